/* test-streams: a stream read waits for readiness, never in a worker, on
 * every backend (io_uring polls in the kernel; the thread pool has its
 * poller, lib/poller.c):
 *   - a read blocked on an empty pipe can be cancelled (AIO_CANCELED), its
 *     notification still delivered, and it consumed nothing;
 *   - reads queued on a pipe keep their order;
 *   - 64 blocked pipe reads never delay a regular-file request, even with a
 *     pool of two threads;
 *   - a read whose data another reader took first waits again, holding no
 *     worker.
 * tests/each-backend.sh runs it with each backend. */
#include "testutil.h"

#include <sys/uio.h>

#include <aio-posix.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>

static atomic_int notified;

static void
count_notification(union sigval value)
{
	atomic_fetch_add(&notified, value.sival_int);
}

START_TEST(blocked_pipe_read_is_cancelled)
{
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
	/* Two pool threads only: if blocked reads held workers, the file
	 * requests would wait forever. */
	ck_assert_int_eq(setenv("AIO_POSIX_THREADS", "2", 1), 0);
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

START_TEST(read_beaten_to_the_data_waits_again)
{
	/* Two reads on one pipe through two fds (two queues, so nothing orders
	 * them) both see data arrive; one takes it.  The other must go back to
	 * waiting, not block the only worker, which the file write needs. */
	ck_assert_int_eq(setenv("AIO_POSIX_THREADS", "1", 1), 0);
	int p[2];
	ck_assert_int_eq(pipe(p), 0);
	/* The worker's read that must not wait is preadv2 with RWF_NOWAIT.
	 * Without it (Linux before 4.14, or qemu-user 7.2, which has no
	 * preadv2) the library falls back to a read that waits, and holds the
	 * worker: the guarantee under test does not exist there. */
	char probe[1];
	struct iovec span = { probe, 1 };
	if (preadv2(p[0], &span, 1, -1, RWF_NOWAIT) < 0 && errno == EOPNOTSUPP) {
		printf("note: no preadv2 with RWF_NOWAIT here: test skipped\n");
		close(p[0]);
		close(p[1]);
		return;
	}
	int other = dup(p[0]);
	ck_assert_int_ge(other, 0);
	char a[4], b[4];
	struct aiocb ra, rb;
	test_prepare(&ra, p[0], a, sizeof a, 0);
	test_prepare(&rb, other, b, sizeof b, 0);
	ck_assert_int_eq(aio_read(&ra), 0);
	ck_assert_int_eq(aio_read(&rb), 0);
	ck_assert_int_eq(write(p[1], "one!", 4), 4);
	const struct aiocb *both[2] = { &ra, &rb };
	struct timespec bound = { 20, 0 };	/* a hang guard, not a timing */
	ck_assert_int_eq(aio_suspend(both, 2, &bound), 0);
	struct aiocb *first = aio_error(&ra) == EINPROGRESS ? &rb : &ra;
	struct aiocb *second = first == &ra ? &rb : &ra;
	ck_assert_int_eq(aio_error(first), 0);
	ck_assert_int_eq(aio_return(first), 4);
	ck_assert_int_eq(aio_error(second), EINPROGRESS);

	int fd = test_temp_file();
	ck_assert_int_eq(fcntl(fd, F_SETFL, O_APPEND), 0);	/* never inline */
	struct aiocb w;
	char data[64];
	memset(data, 'w', sizeof data);
	test_prepare(&w, fd, data, sizeof data, 0);
	ck_assert_int_eq(aio_write(&w), 0);
	const struct aiocb *list[1] = { &w };
	ck_assert_int_eq(aio_suspend(list, 1, &bound), 0);
	ck_assert_int_eq(aio_return(&w), (ssize_t)sizeof data);

	ck_assert_int_eq(aio_error(second), EINPROGRESS);
	ck_assert_int_eq(write(p[1], "two!", 4), 4);
	ck_assert_int_eq(test_wait(second, 0), 4);
	ck_assert_int_eq(memcmp((const void *)second->aio_buf, "two!", 4), 0);
	close(fd);
	close(other);
	close(p[0]);
	close(p[1]);
}
END_TEST

int
main(void)
{
	Suite *suite = suite_create("streams");
	TCase *tc = tcase_create("streams");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, blocked_pipe_read_is_cancelled);
	tcase_add_test(tc, queued_pipe_reads_keep_their_order);
	tcase_add_test(tc, blocked_pipe_reads_never_delay_files);
	tcase_add_test(tc, read_beaten_to_the_data_waits_again);
	suite_add_tcase(suite, tc);
	return test_run_suite(suite);
}
