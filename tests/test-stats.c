/* test-stats: the statistics API of <aio-posix.h> counts what happened. */
#include "testutil.h"

#include <aio-posix.h>
#include <pthread.h>
#include <signal.h>

static struct aio_posix_stats
snapshot(void)
{
	struct aio_posix_stats s;
	ck_assert_int_eq(aio_posix_get_stats(&s, sizeof s), 0);
	return s;
}

START_TEST(counts_requests_by_kind_and_outcome)
{
	struct aio_posix_stats before = snapshot();
	int fd = test_temp_file();
	char data[512], back[512];
	test_pattern_fill(data, sizeof data, 7, 0);

	struct aiocb w, r, f, bad;
	test_prepare(&w, fd, data, sizeof data, 0);
	ck_assert_int_eq(aio_write(&w), 0);
	ck_assert_int_eq(test_wait(&w, 0), (ssize_t)sizeof data);
	test_prepare(&f, fd, NULL, 0, 0);
	ck_assert_int_eq(aio_fsync(O_SYNC, &f), 0);
	ck_assert_int_eq(test_wait(&f, 0), 0);
	test_prepare(&r, fd, back, sizeof back, 0);
	ck_assert_int_eq(aio_read(&r), 0);
	ck_assert_int_eq(test_wait(&r, 0), (ssize_t)sizeof back);
	/* A read on a closed fd is accepted and fails: counted as failed. */
	int closed = test_temp_file();
	close(closed);
	test_prepare(&bad, closed, back, sizeof back, 0);
	ck_assert_int_eq(aio_read(&bad), 0);
	ck_assert_int_eq(test_wait(&bad, EBADF), -1);

	/* Completion is published before the counters move: wait for them. */
	struct aio_posix_stats after;
	do
		after = snapshot();
	while (after.completed - before.completed < 4);
	ck_assert_uint_eq(after.reads - before.reads, 2);
	ck_assert_uint_eq(after.writes - before.writes, 1);
	ck_assert_uint_eq(after.syncs - before.syncs, 1);
	ck_assert_uint_eq(after.completed - before.completed, 4);
	ck_assert_uint_eq(after.failed - before.failed, 1);
	ck_assert_uint_ge(after.peak_in_flight, 1);
	ck_assert_uint_ge(after.peak_threads, 1);
	/* The backend the library runs: the one asked for, if one was. */
	const char *asked = getenv("AIO_POSIX_BACKEND");
	if (asked && strcmp(asked, "auto") != 0)
		ck_assert_str_eq(after.backend, asked);
	else
		ck_assert_msg(strcmp(after.backend, "threads") == 0 || strcmp(after.backend, "uring") == 0,
			      "backend %s", after.backend);
	close(fd);
}
END_TEST

START_TEST(counts_cancelled_and_in_flight)
{
	int p[2];
	ck_assert_int_eq(pipe(p), 0);
	char a[8], b[8];
	struct aiocb first, second;
	struct aio_posix_stats before = snapshot();
	test_prepare(&first, p[0], a, sizeof a, 0);
	test_prepare(&second, p[0], b, sizeof b, 0);
	ck_assert_int_eq(aio_read(&first), 0);
	ck_assert_int_eq(aio_read(&second), 0);	/* queued behind the first */
	ck_assert_uint_eq(snapshot().in_flight - before.in_flight, 2);
	ck_assert_int_eq(aio_cancel(p[0], &second), AIO_CANCELED);
	ck_assert_uint_eq(snapshot().cancelled - before.cancelled, 1);
	ck_assert_int_eq(write(p[1], "12345678", 8), 8);
	ck_assert_int_eq(test_wait(&first, 0), 8);
	/* The counters move after the result is published: await them. */
	struct aio_posix_stats after;
	do
		after = snapshot();
	while (after.in_flight != before.in_flight || after.completed == before.completed);
	ck_assert_uint_eq(after.completed - before.completed, 1);
	close(p[0]);
	close(p[1]);
}
END_TEST

static int callbacks;
static pthread_mutex_t callback_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t callback_done = PTHREAD_COND_INITIALIZER;

static void
on_done(union sigval value)
{
	pthread_mutex_lock(&callback_lock);
	callbacks++;
	pthread_cond_signal(&callback_done);
	pthread_mutex_unlock(&callback_lock);
}

START_TEST(counts_notifications)
{
	struct aio_posix_stats before = snapshot();
	int fd = test_temp_file();
	char data[64] = "notify";
	struct aiocb w;
	test_prepare(&w, fd, data, sizeof data, 0);
	w.aio_sigevent.sigev_notify = SIGEV_THREAD;
	w.aio_sigevent.sigev_notify_function = on_done;
	ck_assert_int_eq(aio_write(&w), 0);
	pthread_mutex_lock(&callback_lock);
	while (callbacks == 0)
		pthread_cond_wait(&callback_done, &callback_lock);
	pthread_mutex_unlock(&callback_lock);
	struct aio_posix_stats after;
	do
		after = snapshot();
	while (after.notifications == before.notifications);
	ck_assert_uint_eq(after.notifications - before.notifications, 1);
	close(fd);
}
END_TEST

START_TEST(rejects_bad_arguments)
{
	struct aio_posix_stats s;
	errno = 0;
	ck_assert_int_eq(aio_posix_get_stats(NULL, sizeof s), -1);
	ck_assert_int_eq(errno, EINVAL);
	errno = 0;
	ck_assert_int_eq(aio_posix_get_stats(&s, 8), -1);
	ck_assert_int_eq(errno, EINVAL);
	/* A caller built against a larger, future struct gets ours and zeros
	 * are not written past what we know: only sizeof s is filled. */
	char bigger[sizeof s + 32];
	memset(bigger, 0x5a, sizeof bigger);
	ck_assert_int_eq(aio_posix_get_stats((struct aio_posix_stats *)bigger, sizeof bigger), 0);
	ck_assert_int_eq((unsigned char)bigger[sizeof s], 0x5a);
}
END_TEST

int
main(void)
{
	Suite *suite = suite_create("stats");
	TCase *tc = tcase_create("counters");
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, counts_requests_by_kind_and_outcome);
	tcase_add_test(tc, counts_cancelled_and_in_flight);
	tcase_add_test(tc, counts_notifications);
	tcase_add_test(tc, rejects_bad_arguments);
	suite_add_tcase(suite, tc);
	return test_run_suite(suite);
}
