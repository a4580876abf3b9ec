/* test-priority: aio_reqprio orders the requests waiting for a worker.
 *
 * One worker, held by a write to a full pipe.  Three writes to a second
 * pipe, each through its own duplicate of the write end (so each has its
 * own queue and none waits on another's FIFO), with aio_reqprio 20, 10 and
 * 0, submitted in that order: all three wait.  When the worker is free, it
 * must serve them by priority, and the bytes arrive in the pipe as 0, 10,
 * 20.  A property of the thread pool, so the test pins it. */
#include "control-util.h"

START_TEST(waiting_requests_served_by_priority)
{
	int hold[2], out[2];
	ck_assert_int_eq(pipe(hold), 0);
	ck_assert_int_eq(pipe(out), 0);

	size_t filler = control_fill_pipe(hold);
	char held = 'x';
	struct aiocb blocker;
	test_prepare(&blocker, hold[1], &held, 1, 0);
	ck_assert_int_eq(aio_write(&blocker), 0);

	static const int priorities[3] = { 20, 10, 0 };
	static const char marks[3] = { 'c', 'b', 'a' };
	struct aiocb writes[3];
	int fds[3];
	for (int i = 0; i < 3; i++) {
		fds[i] = dup(out[1]);
		ck_assert_int_ge(fds[i], 0);
		test_prepare(&writes[i], fds[i], (void *)&marks[i], 1, 0);
		writes[i].aio_reqprio = priorities[i];
		ck_assert_int_eq(aio_write(&writes[i]), 0);
	}
	/* The worker may not have reached the blocking write yet when the
	 * others arrive; it was first in line, so it is served first anyway,
	 * and the others wait behind it. */
	control_drain_filler(hold, filler);
	ck_assert_int_eq(test_wait(&blocker, 0), 1);
	for (int i = 0; i < 3; i++)
		ck_assert_int_eq(test_wait(&writes[i], 0), 1);

	char order[3];
	ck_assert_int_eq(read(out[0], order, 3), 3);
	ck_assert_msg(memcmp(order, "abc", 3) == 0, "served as %.3s, want abc", order);
	for (int i = 0; i < 3; i++)
		close(fds[i]);
	close(hold[0]); close(hold[1]); close(out[0]); close(out[1]);
}
END_TEST

int
main(void)
{
	setenv("AIO_POSIX_THREADS", "1", 1);
	setenv("AIO_POSIX_BACKEND", "threads", 1);
	Suite *suite = suite_create("priority");
	TCase *tc = tcase_create("pool");
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, waiting_requests_served_by_priority);
	suite_add_tcase(suite, tc);
	return test_run_suite(suite);
}
