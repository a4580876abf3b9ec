/* test-fork.c: fork with requests in flight, and exit with requests
 * outstanding. */
#define _GNU_SOURCE 1
#include "control-util.h"

/* The fork child creates worker threads: that is the point of the test. */
CONTROL_TSAN_THREADS_AFTER_FORK

#define CHUNK 16

/* Child exit codes: which check failed. */
enum {
	CHILD_OK = 0,
	CHILD_INHERITED_IN_PROGRESS = 10,
	CHILD_INHERITED_NOT_CANCELED,
	CHILD_INHERITED_RETURN,
	CHILD_INHERITED_SUSPEND,
	CHILD_INHERITED_CANCEL,
	CHILD_TEMP_FILE,
	CHILD_WRITE_SUBMIT,
	CHILD_WRITE_RESULT,
	CHILD_READ_SUBMIT,
	CHILD_READ_RESULT,
	CHILD_READ_DATA,
	CHILD_PIPE_SUBMIT,
	CHILD_PIPE_RESULT,
	CHILD_SUSPEND,
};

static const char *
child_failure(int code)
{
	switch (code) {
	case CHILD_INHERITED_IN_PROGRESS: return "an inherited aiocb is still EINPROGRESS in the child";
	case CHILD_INHERITED_NOT_CANCELED: return "an inherited aiocb is not ECANCELED in the child";
	case CHILD_INHERITED_RETURN: return "aio_return of an inherited aiocb is not -1 in the child";
	case CHILD_INHERITED_SUSPEND: return "aio_suspend on inherited aiocbs did not return 0 in the child";
	case CHILD_INHERITED_CANCEL: return "aio_cancel on the inherited fd is not AIO_ALLDONE in the child";
	case CHILD_TEMP_FILE: return "child could not create a file";
	case CHILD_WRITE_SUBMIT: return "aio_write failed in the child";
	case CHILD_WRITE_RESULT: return "aio_write gave a wrong result in the child";
	case CHILD_READ_SUBMIT: return "aio_read failed in the child";
	case CHILD_READ_RESULT: return "aio_read gave a wrong result in the child";
	case CHILD_READ_DATA: return "aio_read returned wrong data in the child";
	case CHILD_PIPE_SUBMIT: return "pipe aio_read failed in the child";
	case CHILD_PIPE_RESULT: return "pipe aio_read gave a wrong result in the child";
	case CHILD_SUSPEND: return "aio_suspend failed in the child";
	default: return "unexpected exit status";
	}
}

/* Wait for one request in a child (no Check assertions there). */
static int
child_wait(struct aiocb *cb)
{
	const struct aiocb *list[1] = { cb };
	for (int i = 0; i < 200 && aio_error(cb) == EINPROGRESS; i++) {
		struct timespec ts = control_ms(100);
		if (aio_suspend(list, 1, &ts) != 0 && errno != EAGAIN && errno != EINTR)
			return -1;
	}
	return aio_error(cb) == EINPROGRESS ? -1 : 0;
}

static int
child_check_inherited(struct aiocb *inherited, int count, int inherited_fd)
{
	for (int i = 0; i < count; i++) {
		if (aio_error(&inherited[i]) == EINPROGRESS)
			return CHILD_INHERITED_IN_PROGRESS;
		if (aio_error(&inherited[i]) != ECANCELED)
			return CHILD_INHERITED_NOT_CANCELED;
		if (aio_return(&inherited[i]) != -1)
			return CHILD_INHERITED_RETURN;
	}
	const struct aiocb *ilist[2] = { &inherited[0], &inherited[1] };
	struct timespec ten = control_ms(10000);
	if (aio_suspend(ilist, 2, &ten) != 0)
		return CHILD_INHERITED_SUSPEND;
	if (aio_cancel(inherited_fd, NULL) != AIO_ALLDONE)
		return CHILD_INHERITED_CANCEL;
	return CHILD_OK;
}

/* A write and read back on a new file, and a read on a new pipe that
 * needs a worker of its own. */
static int
child_round_trip(void)
{
	char path[] = "/tmp/aio-posix-fork-XXXXXX";
	int fd = mkstemp(path);
	if (fd < 0)
		return CHILD_TEMP_FILE;
	unlink(path);
	static char out[4096], in[4096];
	test_pattern_fill(out, sizeof out, 7, 0);
	struct aiocb w, r;
	test_prepare(&w, fd, out, sizeof out, 0);
	if (aio_write(&w) != 0)
		return CHILD_WRITE_SUBMIT;
	if (child_wait(&w) != 0)
		return CHILD_SUSPEND;
	if (aio_error(&w) != 0 || aio_return(&w) != (ssize_t)sizeof out)
		return CHILD_WRITE_RESULT;
	test_prepare(&r, fd, in, sizeof in, 0);
	if (aio_read(&r) != 0)
		return CHILD_READ_SUBMIT;
	if (child_wait(&r) != 0)
		return CHILD_SUSPEND;
	if (aio_error(&r) != 0 || aio_return(&r) != (ssize_t)sizeof in)
		return CHILD_READ_RESULT;
	if (!test_pattern_check(in, sizeof in, 7, 0))
		return CHILD_READ_DATA;
	close(fd);

	int p[2];
	if (pipe(p) != 0)
		return CHILD_PIPE_SUBMIT;
	char pbuf[8];
	struct aiocb pr;
	test_prepare(&pr, p[0], pbuf, sizeof pbuf, 0);
	if (aio_read(&pr) != 0)
		return CHILD_PIPE_SUBMIT;
	if (write(p[1], "childok!", 8) != 8)
		return CHILD_PIPE_RESULT;
	if (child_wait(&pr) != 0)
		return CHILD_SUSPEND;
	if (aio_error(&pr) != 0 || aio_return(&pr) != 8 || memcmp(pbuf, "childok!", 8) != 0)
		return CHILD_PIPE_RESULT;
	close(p[0]);
	close(p[1]);
	return CHILD_OK;
}

static void
check_child_status(int status)
{
	ck_assert_msg(WIFEXITED(status), "child did not exit normally (signal %d)",
		      WIFSIGNALED(status) ? WTERMSIG(status) : 0);
	ck_assert_msg(WEXITSTATUS(status) == 0, "child: %s (status %d)",
		      child_failure(WEXITSTATUS(status)), WEXITSTATUS(status));
}

START_TEST(fork_with_requests_in_flight)
{
	int p[2];
	control_pipe(p);
	static struct aiocb cbs[2];
	static char bufs[2][CHUNK];
	for (int i = 0; i < 2; i++) {
		test_prepare(&cbs[i], p[0], bufs[i], CHUNK, 0);
		ck_assert_int_eq(aio_read(&cbs[i]), 0);
	}
	/* The first waits for data when we fork (in the ring, or in the
	 * poller); the second waits behind it. */

	control_before_fork();
	pid_t pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		int code = child_check_inherited(cbs, 2, p[0]);
		exit(code != CHILD_OK ? code : child_round_trip());
	}
	check_child_status(control_waitpid(pid));

	/* The parent's requests were not disturbed by the child. */
	for (int i = 0; i < 2; i++)
		ck_assert_int_eq(aio_error(&cbs[i]), EINPROGRESS);
	char data[2 * CHUNK];
	memset(data, 'P', CHUNK);
	memset(data + CHUNK, 'Q', CHUNK);
	test_write_all(p[1], data, sizeof data);
	ck_assert_int_eq(test_wait(&cbs[0], 0), CHUNK);
	ck_assert_int_eq(test_wait(&cbs[1], 0), CHUNK);
	ck_assert_int_eq(memcmp(bufs[0], data, CHUNK), 0);
	ck_assert_int_eq(memcmp(bufs[1], data + CHUNK, CHUNK), 0);
	control_close_pipe(p);
}
END_TEST

START_TEST(fork_from_idle_library)
{
	/* The library is set up, its workers idle, nothing in flight. */
	int fd = test_temp_file();
	struct aiocb w;
	char buffer[64];
	memset(buffer, 'i', sizeof buffer);
	test_prepare(&w, fd, buffer, sizeof buffer, 0);
	ck_assert_int_eq(aio_write(&w), 0);
	ck_assert_int_eq(test_wait(&w, 0), (ssize_t)sizeof buffer);

	control_before_fork();
	pid_t pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0)
		exit(child_round_trip());
	check_child_status(control_waitpid(pid));
	close(fd);
}
END_TEST

START_TEST(fork_right_after_completion)
{
	/* Fork while the worker may still be finishing the request it just
	 * published; repeated to catch the library in different states. */
	int fd = test_temp_file();
	for (int round = 0; round < 20; round++) {
		struct aiocb w;
		char buffer[64];
		memset(buffer, 'a' + round, sizeof buffer);
		test_prepare(&w, fd, buffer, sizeof buffer, (off_t)round * 64);
		ck_assert_int_eq(aio_write(&w), 0);
		ck_assert_int_eq(test_wait(&w, 0), (ssize_t)sizeof buffer);
		control_before_fork();
		pid_t pid = fork();
		ck_assert_int_ge(pid, 0);
		if (pid == 0)
			exit(child_round_trip());
		check_child_status(control_waitpid(pid));
	}
	close(fd);
}
END_TEST

/* A child that leaves requests outstanding and calls exit(0). */
static struct aiocb leftover[4];
static char leftover_bufs[4][CHUNK];

static void
leftover_function(union sigval value)
{
	(void)value;
}

static void
child_exit_with_outstanding(bool thread_notification)
{
	int p[2];
	if (pipe(p) != 0)
		_exit(3);
	for (int i = 0; i < 4; i++) {
		test_prepare(&leftover[i], p[0], leftover_bufs[i], CHUNK, 0);
		if (thread_notification) {
			leftover[i].aio_sigevent.sigev_notify = SIGEV_THREAD;
			leftover[i].aio_sigevent.sigev_notify_function = leftover_function;
		}
		if (aio_read(&leftover[i]) != 0)
			_exit(4);
	}
	/* The first waits for data (in the ring, or in the poller), the
	 * others behind it; and a write to a full pipe is blocked in a
	 * worker. */
	int q[2];
	if (pipe(q) != 0)
		_exit(3);
	control_fill_pipe(q);
	static struct aiocb stuck;
	static char stuck_buffer[CHUNK];
	test_prepare(&stuck, q[1], stuck_buffer, CHUNK, 0);
	if (aio_write(&stuck) != 0)
		_exit(4);
	control_await_writers(&q[1], 1, 1, NULL, 0);
	exit(0);
}

static void
exit_with_outstanding(bool thread_notification, bool library_used_before)
{
	if (library_used_before) {
		int fd = test_temp_file();
		struct aiocb w;
		char buffer[16] = "before the fork";
		test_prepare(&w, fd, buffer, sizeof buffer, 0);
		ck_assert_int_eq(aio_write(&w), 0);
		ck_assert_int_eq(test_wait(&w, 0), (ssize_t)sizeof buffer);
		close(fd);
	}
	control_before_fork();
	pid_t pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0)
		child_exit_with_outstanding(thread_notification);
	int status = control_waitpid(pid);
	ck_assert_msg(WIFEXITED(status), "child did not exit normally (signal %d)",
		      WIFSIGNALED(status) ? WTERMSIG(status) : 0);
	ck_assert_int_eq(WEXITSTATUS(status), 0);
}

START_TEST(exit_with_outstanding_reads)
{
	exit_with_outstanding(false, false);
}
END_TEST

START_TEST(exit_with_outstanding_thread_notifications)
{
	exit_with_outstanding(true, false);
}
END_TEST

START_TEST(exit_with_outstanding_after_fork_of_used_library)
{
	exit_with_outstanding(false, true);
}
END_TEST

static Suite *
fork_suite(void)
{
	Suite *s = suite_create("fork");
	TCase *tc = control_tcase("fork");
	tcase_add_test(tc, fork_with_requests_in_flight);
	tcase_add_test(tc, fork_from_idle_library);
	tcase_add_test(tc, fork_right_after_completion);
	suite_add_tcase(s, tc);

	tc = control_tcase("exit");
	tcase_add_test(tc, exit_with_outstanding_reads);
	tcase_add_test(tc, exit_with_outstanding_thread_notifications);
	tcase_add_test(tc, exit_with_outstanding_after_fork_of_used_library);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return control_run_suite(fork_suite());
}
