/* test-suspend.c: aio_suspend and aio_suspend64. */
#define _GNU_SOURCE 1
#include "control-util.h"

/* A read of len bytes on an empty pipe: it stays in progress until the test
 * writes to the pipe. */
static void
start_pipe_read(struct aiocb *cb, int p[2], void *buffer, size_t len)
{
	test_prepare(cb, p[0], buffer, len, 0);
	ck_assert_int_eq(aio_read(cb), 0);
}

/* Release a pipe read started by start_pipe_read and check its result. */
static void
finish_pipe_read(struct aiocb *cb, int p[2], char byte, size_t len)
{
	char data[64];
	ck_assert_uint_le(len, sizeof data);
	memset(data, byte, len);
	test_write_all(p[1], data, len);
	ck_assert_int_eq(test_wait(cb, 0), (ssize_t)len);
	ck_assert_int_eq(((char *)cb->aio_buf)[0], byte);
}

static void
complete_file_write(struct aiocb *cb, int fd, char *buffer, size_t len)
{
	memset(buffer, 'w', len);
	test_prepare(cb, fd, buffer, len, 0);
	ck_assert_int_eq(aio_write(cb), 0);
	ck_assert_int_eq(test_wait(cb, 0), (ssize_t)len);
}

START_TEST(completed_returns_at_once)
{
	int fd = test_temp_file();
	struct aiocb cb;
	char buffer[128];
	complete_file_write(&cb, fd, buffer, sizeof buffer);

	const struct aiocb *list[1] = { &cb };
	struct timespec zero = { 0, 0 };
	ck_assert_int_eq(aio_suspend(list, 1, NULL), 0);
	ck_assert_int_eq(aio_suspend(list, 1, &zero), 0);
	close(fd);
}
END_TEST

START_TEST(any_completed_among_pending)
{
	int fd = test_temp_file();
	int p[2];
	control_pipe(p);
	struct aiocb done, pending;
	char buffer[128], rbuf[8];
	complete_file_write(&done, fd, buffer, sizeof buffer);
	start_pipe_read(&pending, p, rbuf, sizeof rbuf);

	/* One complete entry among a pending one and NULLs: returns at once. */
	const struct aiocb *list[4] = { NULL, &pending, NULL, &done };
	ck_assert_int_eq(aio_suspend(list, 4, NULL), 0);
	ck_assert_int_eq(aio_error(&pending), EINPROGRESS);

	finish_pipe_read(&pending, p, 'x', sizeof rbuf);
	control_close_pipe(p);
	close(fd);
}
END_TEST

START_TEST(null_entries_ignored)
{
	int p[2];
	control_pipe(p);
	struct aiocb pending;
	char rbuf[8];
	start_pipe_read(&pending, p, rbuf, sizeof rbuf);

	/* NULLs around a pending entry are not taken as complete. */
	const struct aiocb *list[3] = { NULL, &pending, NULL };
	struct timespec zero = { 0, 0 };
	errno = 0;
	ck_assert_int_eq(aio_suspend(list, 3, &zero), -1);
	ck_assert_int_eq(errno, EAGAIN);

	finish_pipe_read(&pending, p, 'n', sizeof rbuf);
	control_close_pipe(p);
}
END_TEST

/* A thread that writes to a pipe once the main thread is about to wait. */
struct releaser {
	pthread_barrier_t barrier;
	int fd;
};

static void *
releaser_main(void *arg)
{
	struct releaser *r = arg;
	pthread_barrier_wait(&r->barrier);
	char data[8];
	memset(data, 'b', sizeof data);
	ssize_t n = write(r->fd, data, sizeof data);
	return (void *)(intptr_t)n;
}

START_TEST(waits_for_any_in_list)
{
	for (int round = 0; round < 20; round++) {
		int a[2], b[2];
		control_pipe(a);
		control_pipe(b);
		struct aiocb ra, rb;
		char abuf[8], bbuf[8];
		start_pipe_read(&ra, a, abuf, sizeof abuf);
		start_pipe_read(&rb, b, bbuf, sizeof bbuf);

		struct releaser r;
		r.fd = b[1];
		pthread_barrier_init(&r.barrier, NULL, 2);
		pthread_t thread;
		ck_assert_int_eq(pthread_create(&thread, NULL, releaser_main, &r), 0);

		const struct aiocb *list[2] = { &ra, &rb };
		pthread_barrier_wait(&r.barrier);
		int rc;
		do
			rc = aio_suspend(list, 2, NULL);
		while (rc < 0 && errno == EINTR);
		ck_assert_int_eq(rc, 0);

		void *written;
		ck_assert_int_eq(pthread_join(thread, &written), 0);
		ck_assert_int_eq((intptr_t)written, 8);
		pthread_barrier_destroy(&r.barrier);

		/* Whatever woke the wait, only b's read can have finished. */
		ck_assert_int_eq(aio_error(&ra), EINPROGRESS);
		ck_assert_int_eq(test_wait(&rb, 0), 8);
		ck_assert_int_eq(memcmp(bbuf, "bbbbbbbb", 8), 0);

		finish_pipe_read(&ra, a, 'a', sizeof abuf);
		control_close_pipe(a);
		control_close_pipe(b);
	}
}
END_TEST

START_TEST(relative_timeout_expires)
{
	int p[2];
	control_pipe(p);
	struct aiocb pending;
	char rbuf[8];
	start_pipe_read(&pending, p, rbuf, sizeof rbuf);

	const struct aiocb *list[1] = { &pending };
	struct timespec timeout = control_ms(50);
	errno = 0;
	ck_assert_int_eq(aio_suspend(list, 1, &timeout), -1);
	ck_assert_int_eq(errno, EAGAIN);
	ck_assert_int_eq(aio_error(&pending), EINPROGRESS);

	finish_pipe_read(&pending, p, 't', sizeof rbuf);
	control_close_pipe(p);
}
END_TEST

START_TEST(zero_timeout_polls)
{
	int p[2];
	control_pipe(p);
	struct aiocb pending;
	char rbuf[8];
	start_pipe_read(&pending, p, rbuf, sizeof rbuf);

	const struct aiocb *list[1] = { &pending };
	struct timespec zero = { 0, 0 };
	for (int i = 0; i < 100; i++) {
		errno = 0;
		ck_assert_int_eq(aio_suspend(list, 1, &zero), -1);
		ck_assert_int_eq(errno, EAGAIN);
	}

	finish_pipe_read(&pending, p, 'z', sizeof rbuf);
	control_close_pipe(p);
}
END_TEST

/* --- signals --------------------------------------------------------------- */

static volatile sig_atomic_t handler_calls;

/* State for the handler that calls aio_suspend itself. */
static const struct aiocb *volatile handler_done_list[1];
static const struct aiocb *volatile handler_pending_list[1];
static volatile sig_atomic_t handler_done_rc = 99;
static volatile sig_atomic_t handler_pending_rc = 99;
static volatile sig_atomic_t handler_pending_errno;
static volatile sig_atomic_t handler_bad = 0;

static void
counting_handler(int signo)
{
	handler_calls++;
}

/* Calls aio_suspend, with a zero timeout, on a complete and on a pending
 * request; records what it saw.  Keeps errno. */
static void
suspending_handler(int signo)
{
	int saved = errno;
	struct timespec zero = { 0, 0 };
	const struct aiocb *done[1] = { handler_done_list[0] };
	const struct aiocb *pending[1] = { handler_pending_list[0] };
	int rc = aio_suspend(done, 1, &zero);
	if (handler_calls == 0)
		handler_done_rc = rc;
	else if (rc != 0)
		handler_bad = 1;
	errno = 0;
	rc = aio_suspend(pending, 1, &zero);
	if (handler_calls == 0) {
		handler_pending_rc = rc;
		handler_pending_errno = errno;
	} else if (rc != -1 || errno != EAGAIN) {
		handler_bad = 1;
	}
	handler_calls++;
	errno = saved;
}

/* Waits with no timeout (or a long one) on a read that never completes while
 * a helper thread keeps signalling; returns aio_suspend's result. */
static int
interrupted_wait(void (*handler)(int), int flags, const struct timespec *timeout,
		 int *error)
{
	int p[2];
	control_pipe(p);
	static struct aiocb pending;
	static char rbuf[8];
	start_pipe_read(&pending, p, rbuf, sizeof rbuf);
	handler_pending_list[0] = &pending;

	control_handle(SIGUSR1, handler, flags);
	struct control_spammer spammer;
	control_spammer_start(&spammer, pthread_self(), SIGUSR1);
	const struct aiocb *list[1] = { &pending };
	errno = 0;
	int rc = aio_suspend(list, 1, timeout);
	*error = errno;
	control_spammer_stop(&spammer);
	ck_assert_int_gt(atomic_load(&spammer.sent), 0);
	ck_assert_int_gt(handler_calls, 0);

	ck_assert_int_eq(aio_error(&pending), EINPROGRESS);
	finish_pipe_read(&pending, p, 's', sizeof rbuf);
	control_close_pipe(p);
	return rc;
}

START_TEST(signal_interrupts_without_restart)
{
	int error;
	ck_assert_int_eq(interrupted_wait(counting_handler, 0, NULL, &error), -1);
	ck_assert_int_eq(error, EINTR);
}
END_TEST

START_TEST(signal_interrupts_with_restart)
{
	/* SA_RESTART does not apply to aio_suspend: it fails with EINTR. */
	int error;
	ck_assert_int_eq(interrupted_wait(counting_handler, SA_RESTART, NULL, &error), -1);
	ck_assert_int_eq(error, EINTR);
}
END_TEST

START_TEST(signal_interrupts_timed_wait_with_restart)
{
	int error;
	struct timespec timeout = control_ms(20000);
	ck_assert_int_eq(interrupted_wait(counting_handler, SA_RESTART, &timeout, &error), -1);
	ck_assert_int_eq(error, EINTR);
}
END_TEST

START_TEST(suspend_inside_handler)
{
	int fd = test_temp_file();
	struct aiocb done;
	char buffer[64];
	complete_file_write(&done, fd, buffer, sizeof buffer);
	int p[2];
	control_pipe(p);
	struct aiocb pending;
	char rbuf[8];
	start_pipe_read(&pending, p, rbuf, sizeof rbuf);

	handler_done_list[0] = &done;
	handler_pending_list[0] = &pending;
	control_handle(SIGUSR2, suspending_handler, 0);
	ck_assert_int_eq(pthread_kill(pthread_self(), SIGUSR2), 0);
	/* The signal is for this thread and unblocked: it has run by now, but a
	 * sanitizer may defer it to its next interception point. */
	long long deadline = control_now_ns() + CONTROL_BOUND_NS;
	while (handler_calls == 0 && control_now_ns() < deadline)
		sched_yield();
	ck_assert_int_eq(handler_calls, 1);
	ck_assert_int_eq(handler_done_rc, 0);
	ck_assert_int_eq(handler_pending_rc, -1);
	ck_assert_int_eq(handler_pending_errno, EAGAIN);

	finish_pipe_read(&pending, p, 'h', sizeof rbuf);
	control_close_pipe(p);
	close(fd);
}
END_TEST

START_TEST(suspend_inside_handler_nested_in_wait)
{
	/* The handler runs while this thread is itself inside aio_suspend. */
	int fd = test_temp_file();
	static struct aiocb done;
	static char buffer[64];
	complete_file_write(&done, fd, buffer, sizeof buffer);
	handler_done_list[0] = &done;

	int error;
	ck_assert_int_eq(interrupted_wait(suspending_handler, 0, NULL, &error), -1);
	ck_assert_int_eq(error, EINTR);
	ck_assert_int_eq(handler_done_rc, 0);
	ck_assert_int_eq(handler_pending_rc, -1);
	ck_assert_int_eq(handler_pending_errno, EAGAIN);
	ck_assert_int_eq(handler_bad, 0);
	close(fd);
}
END_TEST

/* A handler that waits for a request while the code it interrupted is
 * itself waiting for another, in the ring where the library can: the
 * interrupted wait cannot go on until the handler returns, so the handler's
 * request must complete without it. */
static struct aiocb *handler_wait_target;
static atomic_int handler_waiting;
static int handler_wait_rc = -2, handler_wait_errno;

static void
waiting_handler(int signo)
{
	int saved = errno;
	const struct aiocb *list[1] = { handler_wait_target };
	struct timespec timeout = control_ms(CONTROL_BOUND_NS / 1000000);
	atomic_store(&handler_waiting, 1);
	errno = 0;
	handler_wait_rc = aio_suspend(list, 1, &timeout);
	handler_wait_errno = errno;
	errno = saved;
}

struct feeder {
	pid_t waiter;
	int fd;
};

/* Signals the waiter once it sleeps in its wait, then feeds the pipe the
 * handler waits on once the handler waits. */
static void *
feeder_main(void *arg)
{
	struct feeder *f = arg;
	long long deadline = control_now_ns() + CONTROL_BOUND_NS;
	while (!control_task_sleeping(f->waiter) && control_now_ns() < deadline)
		control_pause();
	ck_assert_int_eq(syscall(SYS_tgkill, getpid(), f->waiter, SIGUSR1), 0);
	while (!atomic_load(&handler_waiting) && control_now_ns() < deadline)
		control_pause();
	test_write_all(f->fd, "h", 1);
	return NULL;
}

START_TEST(suspend_inside_handler_waits_while_interrupted_wait_holds_on)
{
	int outer[2], inner[2];
	control_pipe(outer);
	control_pipe(inner);
	static struct aiocb outer_read, inner_read;
	static char outer_buffer[1], inner_buffer[1];
	start_pipe_read(&outer_read, outer, outer_buffer, 1);
	start_pipe_read(&inner_read, inner, inner_buffer, 1);
	handler_wait_target = &inner_read;
	control_handle(SIGUSR1, waiting_handler, 0);

	struct feeder f = { gettid(), inner[1] };
	pthread_t feeder;
	ck_assert_int_eq(pthread_create(&feeder, NULL, feeder_main, &f), 0);
	const struct aiocb *list[1] = { &outer_read };
	struct timespec timeout = control_ms(2 * CONTROL_BOUND_NS / 1000000);
	errno = 0;
	int rc = aio_suspend(list, 1, &timeout);
	int error = errno;
	ck_assert_int_eq(pthread_join(feeder, NULL), 0);

	ck_assert_int_eq(atomic_load(&handler_waiting), 1);
	ck_assert_int_eq(handler_wait_rc, 0);
	ck_assert_int_eq(aio_error(&inner_read), 0);
	ck_assert_int_eq(aio_return(&inner_read), 1);
	ck_assert_int_eq(inner_buffer[0], 'h');
	ck_assert_int_eq(rc, -1);
	ck_assert_int_eq(error, EINTR);
	finish_pipe_read(&outer_read, outer, 'o', 1);
	control_close_pipe(outer);
	control_close_pipe(inner);
}
END_TEST

/* --- cancellation ------------------------------------------------------------ */

#ifdef __SANITIZE_ADDRESS__
/* ASan cannot see frames left by the forced unwind of pthread_cancel: their
 * redzones stay poisoned, and ASan's own thread teardown then reports a
 * stack-buffer-overflow on them (google/sanitizers#1399).  A thread-specific
 * destructor, which runs before ASan's teardown, unpoisons the dead part of
 * the cancelled thread's stack. */
#include <sanitizer/asan_interface.h>

static pthread_key_t unpoison_key;
static pthread_once_t unpoison_once = PTHREAD_ONCE_INIT;

static void
unpoison_dead_stack(void *low)
{
	char *here = __builtin_frame_address(0);
	ASAN_UNPOISON_MEMORY_REGION(low, (size_t)(here - (char *)low));
}

static void
make_unpoison_key(void)
{
	pthread_key_create(&unpoison_key, unpoison_dead_stack);
}

static __attribute__((noinline)) void
unpoison_stack_at_exit(void)
{
	pthread_attr_t attr;
	void *low;
	size_t size;
	pthread_once(&unpoison_once, make_unpoison_key);
	if (pthread_getattr_np(pthread_self(), &attr) != 0)
		return;
	if (pthread_attr_getstack(&attr, &low, &size) == 0)
		pthread_setspecific(unpoison_key, low);
	pthread_attr_destroy(&attr);
}
#else
static void
unpoison_stack_at_exit(void)
{
}
#endif

struct waiter {
	const struct aiocb *list[1];
	atomic_int tid;
	atomic_bool entering;
	atomic_bool returned;
};

static void *
waiter_main(void *arg)
{
	struct waiter *w = arg;
	unpoison_stack_at_exit();
	atomic_store(&w->tid, gettid());
	atomic_store(&w->entering, true);
	for (;;) {
		/* The request never completes while this thread lives. */
		aio_suspend(w->list, 1, NULL);
		atomic_store(&w->returned, true);
	}
	return NULL;
}

static void
cancel_waiter(bool wait_until_blocked)
{
	int p[2];
	control_pipe(p);
	static struct aiocb pending;
	static char rbuf[8];
	start_pipe_read(&pending, p, rbuf, sizeof rbuf);

	static struct waiter w;
	w.list[0] = &pending;
	atomic_init(&w.tid, 0);
	atomic_init(&w.entering, false);
	atomic_init(&w.returned, false);
	pthread_t thread;
	ck_assert_int_eq(pthread_create(&thread, NULL, waiter_main, &w), 0);
	if (wait_until_blocked) {
		long long deadline = control_now_ns() + CONTROL_BOUND_NS;
		while (!atomic_load(&w.entering) && control_now_ns() < deadline)
			control_pause();
		ck_assert(atomic_load(&w.entering));
		/* Best effort: let it reach its sleep inside aio_suspend. */
		while (!control_task_sleeping(atomic_load(&w.tid)) && control_now_ns() < deadline)
			control_pause();
	}
	ck_assert_int_eq(pthread_cancel(thread), 0);
	void *result;
	ck_assert_int_eq(pthread_join(thread, &result), 0);
	ck_assert_ptr_eq(result, PTHREAD_CANCELED);
	ck_assert(!atomic_load(&w.returned));

	/* The cancelled waiter left nothing behind that completion touches. */
	finish_pipe_read(&pending, p, 'c', sizeof rbuf);
	const struct aiocb *list[1] = { &pending };
	ck_assert_int_eq(aio_suspend(list, 1, NULL), 0);
	control_close_pipe(p);
}

START_TEST(cancellation_point_while_blocked)
{
	cancel_waiter(true);
}
END_TEST

START_TEST(cancellation_point_pending_at_entry)
{
	cancel_waiter(false);
}
END_TEST

/* --- the longest timeouts -------------------------------------------------------- */

struct long_waiter {
	const struct aiocb *list[1];
	struct timespec timeout;
	_Atomic pid_t tid;
	int rc, error;
};

static void *
long_waiter_main(void *arg)
{
	struct long_waiter *w = arg;
	atomic_store(&w->tid, gettid());
	do
		w->rc = aio_suspend(w->list, 1, &w->timeout);
	while (w->rc < 0 && errno == EINTR);
	w->error = w->rc < 0 ? errno : 0;
	return NULL;
}

/* A timeout of the most seconds time_t holds (beyond 2^31 with a 64-bit
 * time_t: __aio_suspend_time64 in a _TIME_BITS=64 build on i386) is a
 * wait until completion, not an error nor an early return. */
START_TEST(longest_timeout_waits_for_completion)
{
	int p[2];
	control_pipe(p);
	static struct aiocb pending;
	static char rbuf[8];
	start_pipe_read(&pending, p, rbuf, sizeof rbuf);

	static struct long_waiter w;
	w.list[0] = &pending;
	w.timeout.tv_sec = sizeof(time_t) == 8 ? (time_t)INT64_MAX : (time_t)INT32_MAX;
	w.timeout.tv_nsec = 999999999;
	atomic_init(&w.tid, 0);
	pthread_t thread;
	ck_assert_int_eq(pthread_create(&thread, NULL, long_waiter_main, &w), 0);
	long long deadline = control_now_ns() + CONTROL_BOUND_NS;
	while (atomic_load(&w.tid) == 0 && control_now_ns() < deadline)
		control_pause();
	/* Best effort: let it reach its sleep; the result is the same either
	 * way, but a wait that returned at once would show here. */
	while (!control_task_sleeping(atomic_load(&w.tid)) && control_now_ns() < deadline)
		control_pause();
	finish_pipe_read(&pending, p, 'l', sizeof rbuf);
	ck_assert_int_eq(pthread_join(thread, NULL), 0);
	ck_assert_msg(w.rc == 0, "aio_suspend with tv_sec %lld: -1, %s",
		      (long long)w.timeout.tv_sec, strerror(w.error));
	control_close_pipe(p);
}
END_TEST

/* --- aio_suspend64 ------------------------------------------------------------ */

START_TEST(suspend64)
{
	int fd = test_temp_file();
	struct aiocb64 done;
	char buffer[64];
	memset(buffer, 'w', sizeof buffer);
	memset(&done, 0, sizeof done);
	done.aio_fildes = fd;
	done.aio_buf = buffer;
	done.aio_nbytes = sizeof buffer;
	done.aio_sigevent.sigev_notify = SIGEV_NONE;
	ck_assert_int_eq(aio_write64(&done), 0);
	const struct aiocb64 *dlist[1] = { &done };
	while (aio_error64(&done) == EINPROGRESS)
		ck_assert(aio_suspend64(dlist, 1, NULL) == 0 || errno == EINTR);
	ck_assert_int_eq(aio_error64(&done), 0);
	ck_assert_int_eq(aio_return64(&done), (ssize_t)sizeof buffer);
	ck_assert_int_eq(aio_suspend64(dlist, 1, NULL), 0);

	int p[2];
	control_pipe(p);
	struct aiocb64 pending;
	char rbuf[8];
	memset(&pending, 0, sizeof pending);
	pending.aio_fildes = p[0];
	pending.aio_buf = rbuf;
	pending.aio_nbytes = sizeof rbuf;
	pending.aio_sigevent.sigev_notify = SIGEV_NONE;
	ck_assert_int_eq(aio_read64(&pending), 0);
	const struct aiocb64 *plist[2] = { NULL, &pending };
	struct timespec timeout = control_ms(50);
	errno = 0;
#if __SIZEOF_LONG__ == 4 && defined(_TIME_BITS) && _TIME_BITS == 64
	/* glibc's <aio.h> sends aio_suspend to __aio_suspend_time64 here, but
	 * not aio_suspend64, whose struct timespec stays the 32-bit one of its
	 * ABI: with a timeout, only aio_suspend is right (doc/porting.md). */
	ck_assert_int_eq(aio_suspend((const struct aiocb *const *)plist, 2, &timeout), -1);
#else
	ck_assert_int_eq(aio_suspend64(plist, 2, &timeout), -1);
#endif
	ck_assert_int_eq(errno, EAGAIN);

	test_write_all(p[1], "12345678", 8);
	int rc;
	do
		rc = aio_suspend64(plist, 2, NULL);
	while (rc < 0 && errno == EINTR);
	ck_assert_int_eq(rc, 0);
	while (aio_error64(&pending) == EINPROGRESS)
		aio_suspend64(plist, 2, NULL);
	ck_assert_int_eq(aio_error64(&pending), 0);
	ck_assert_int_eq(aio_return64(&pending), 8);
	ck_assert_int_eq(memcmp(rbuf, "12345678", 8), 0);
	control_close_pipe(p);
	close(fd);
}
END_TEST

static Suite *
suspend_suite(void)
{
	Suite *s = suite_create("aio_suspend");
	TCase *tc = control_tcase("basics");
	tcase_add_test(tc, completed_returns_at_once);
	tcase_add_test(tc, any_completed_among_pending);
	tcase_add_test(tc, null_entries_ignored);
	tcase_add_test(tc, waits_for_any_in_list);
	tcase_add_test(tc, relative_timeout_expires);
	tcase_add_test(tc, zero_timeout_polls);
	tcase_add_test(tc, suspend64);
	tcase_add_test(tc, longest_timeout_waits_for_completion);
	suite_add_tcase(s, tc);

	tc = control_tcase("signals");
	tcase_add_test(tc, signal_interrupts_without_restart);
	tcase_add_test(tc, signal_interrupts_with_restart);
	tcase_add_test(tc, signal_interrupts_timed_wait_with_restart);
	tcase_add_test(tc, suspend_inside_handler);
	tcase_add_test(tc, suspend_inside_handler_nested_in_wait);
	tcase_add_test(tc, suspend_inside_handler_waits_while_interrupted_wait_holds_on);
	suite_add_tcase(s, tc);

	tc = control_tcase("cancellation");
	tcase_add_test(tc, cancellation_point_while_blocked);
	tcase_add_test(tc, cancellation_point_pending_at_entry);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return control_run_suite(suspend_suite());
}
