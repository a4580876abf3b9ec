/* test-uring: what the io_uring backend promises beyond the pool.
 *   - a read blocked on an empty pipe waits in the kernel and can be
 *     cancelled (AIO_CANCELED), its notification still delivered, and it
 *     consumed nothing;
 *   - reads queued on a pipe keep their order on the ring;
 *   - 64 blocked pipe reads never delay a regular-file request, even with a
 *     pool of two threads.
 * Runs only where the library runs on io_uring; elsewhere it says so and
 * passes (tests/each-backend.sh runs it with each backend). */
#include "testutil.h"

#include <aio-posix.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>

static bool
on_ring(void)
{
	struct aio_posix_stats stats;
	return aio_posix_get_stats(&stats, sizeof stats) == 0 && strcmp(stats.backend, "uring") == 0;
}

static atomic_int notified;

static void
count_notification(union sigval value)
{
	atomic_fetch_add(&notified, value.sival_int);
}

START_TEST(blocked_pipe_read_is_cancelled)
{
	if (!on_ring())
		return;
	int p[2];
	ck_assert_int_eq(pipe(p), 0);
	char buffer[16];
	struct aiocb cb;
	test_prepare(&cb, p[0], buffer, sizeof buffer, 0);
	cb.aio_sigevent.sigev_notify = SIGEV_THREAD;
	cb.aio_sigevent.sigev_notify_function = count_notification;
	cb.aio_sigevent.sigev_value.sival_int = 1;
	ck_assert_int_eq(aio_read(&cb), 0);
	ck_assert_int_eq(aio_error(&cb), EINPROGRESS);

	ck_assert_int_eq(aio_cancel(p[0], &cb), AIO_CANCELED);
	ck_assert_int_eq(aio_error(&cb), ECANCELED);
	ck_assert_int_eq(aio_return(&cb), -1);
	/* The notification of a cancelled request is delivered, once. */
	struct timespec pause = { 0, 1000000 };
	for (int i = 0; i < 10000 && atomic_load(&notified) == 0; i++)
		nanosleep(&pause, NULL);	/* bounded poll of a callback count */
	ck_assert_int_eq(atomic_load(&notified), 1);

	/* It consumed nothing: the next read gets what is written next. */
	ck_assert_int_eq(write(p[1], "after", 5), 5);
	struct aiocb next;
	test_prepare(&next, p[0], buffer, sizeof buffer, 0);
	ck_assert_int_eq(aio_read(&next), 0);
	ck_assert_int_eq(test_wait(&next, 0), 5);
	ck_assert_int_eq(memcmp(buffer, "after", 5), 0);
	ck_assert_int_eq(atomic_load(&notified), 1);
	close(p[0]);
	close(p[1]);
}
END_TEST

START_TEST(queued_pipe_reads_keep_their_order)
{
	if (!on_ring())
		return;
	enum { READS = 16 };
	int p[2];
	ck_assert_int_eq(pipe(p), 0);
	static char buffers[READS][4];
	static struct aiocb cbs[READS];
	for (int i = 0; i < READS; i++) {
		test_prepare(&cbs[i], p[0], buffers[i], 4, 0);
		ck_assert_int_eq(aio_read(&cbs[i]), 0);
	}
	for (int i = 0; i < READS; i++) {
		char record[4] = { 'r', (char)('a' + i), 'e', 'c' };
		ck_assert_int_eq(write(p[1], record, 4), 4);
	}
	for (int i = 0; i < READS; i++) {
		ck_assert_int_eq(test_wait(&cbs[i], 0), 4);
		ck_assert_int_eq(buffers[i][1], 'a' + i);
	}
	close(p[0]);
	close(p[1]);
}
END_TEST

START_TEST(blocked_pipe_reads_never_delay_files)
{
	/* Two pool threads only: on the pool, 64 blocked reads would leave a
	 * file request waiting forever.  On the ring they hold no thread. */
	ck_assert_int_eq(setenv("AIO_POSIX_THREADS", "2", 1), 0);
	if (!on_ring())
		return;
	enum { PIPES = 64 };
	static int pipes[PIPES][2];
	static struct aiocb reads[PIPES];
	static char bytes[PIPES];
	for (int i = 0; i < PIPES; i++) {
		ck_assert_int_eq(pipe(pipes[i]), 0);
		test_prepare(&reads[i], pipes[i][0], &bytes[i], 1, 0);
		ck_assert_int_eq(aio_read(&reads[i]), 0);
	}

	/* An fsync and an O_APPEND write never complete at submission. */
	int fd = test_temp_file();
	ck_assert_int_eq(fcntl(fd, F_SETFL, O_APPEND), 0);
	char data[4096];
	test_pattern_fill(data, sizeof data, 3, 0);
	struct aiocb w, f;
	test_prepare(&w, fd, data, sizeof data, 0);
	test_prepare(&f, fd, NULL, 0, 0);
	ck_assert_int_eq(aio_write(&w), 0);
	ck_assert_int_eq(aio_fsync(O_SYNC, &f), 0);
	const struct aiocb *list[1] = { &f };
	struct timespec bound = { 20, 0 };	/* a hang guard, not a timing */
	ck_assert_int_eq(aio_suspend(list, 1, &bound), 0);
	ck_assert_int_eq(aio_error(&f), 0);
	ck_assert_int_eq(aio_error(&w), 0);
	ck_assert_int_eq(aio_return(&w), (ssize_t)sizeof data);

	for (int i = 0; i < PIPES; i++) {
		ck_assert_int_eq(aio_error(&reads[i]), EINPROGRESS);
		ck_assert_int_eq(aio_cancel(pipes[i][0], &reads[i]), AIO_CANCELED);
		close(pipes[i][0]);
		close(pipes[i][1]);
	}
	close(fd);
}
END_TEST

int
main(void)
{
	if (!on_ring())
		printf("test-uring: the library does not run on io_uring here: nothing to prove\n");
	Suite *suite = suite_create("uring");
	TCase *tc = tcase_create("streams");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, blocked_pipe_read_is_cancelled);
	tcase_add_test(tc, queued_pipe_reads_keep_their_order);
	tcase_add_test(tc, blocked_pipe_reads_never_delay_files);
	suite_add_tcase(suite, tc);
	return test_run_suite(suite);
}
