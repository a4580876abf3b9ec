/* test-notify.c: completion notification (SIGEV_SIGNAL, SIGEV_THREAD,
 * SIGEV_THREAD_ID, and none). */
#define _GNU_SOURCE 1
#include "control-util.h"

#ifndef sigev_notify_thread_id
#define sigev_notify_thread_id _sigev_un._tid
#endif

#define BLOCK 512

static void
start_write(struct aiocb *cb, int fd, char *buffer, size_t length, off_t offset)
{
	memset(buffer, 'n', length);
	test_prepare(cb, fd, buffer, length, offset);
}

START_TEST(signal_carries_info)
{
	int signo = SIGRTMIN + 5;
	control_block(signo);	/* before the library creates any thread */
	int fd = test_temp_file();
	static struct aiocb cb;
	static char buffer[BLOCK];
	start_write(&cb, fd, buffer, sizeof buffer, 0);
	cb.aio_sigevent.sigev_notify = SIGEV_SIGNAL;
	cb.aio_sigevent.sigev_signo = signo;
	cb.aio_sigevent.sigev_value.sival_int = 1234;
	ck_assert_int_eq(aio_write(&cb), 0);

	siginfo_t info;
	ck_assert_int_eq(control_sigwait(signo, &info, 10000), signo);
	/* The result is public before the signal is sent. */
	ck_assert_int_eq(aio_error(&cb), 0);
	ck_assert_int_eq(aio_return(&cb), BLOCK);
	ck_assert_int_eq(info.si_signo, signo);
	ck_assert_int_eq(info.si_code, SI_ASYNCIO);
	ck_assert_int_eq(info.si_value.sival_int, 1234);
	ck_assert_int_eq(info.si_pid, getpid());
	ck_assert_int_eq(info.si_uid, getuid());

	/* A read, with a pointer value. */
	static struct aiocb rd;
	static char rbuf[BLOCK];
	test_prepare(&rd, fd, rbuf, sizeof rbuf, 0);
	rd.aio_sigevent.sigev_notify = SIGEV_SIGNAL;
	rd.aio_sigevent.sigev_signo = signo;
	rd.aio_sigevent.sigev_value.sival_ptr = &rd;
	ck_assert_int_eq(aio_read(&rd), 0);
	ck_assert_int_eq(control_sigwait(signo, &info, 10000), signo);
	ck_assert_int_eq(aio_error(&rd), 0);
	ck_assert_int_eq(info.si_code, SI_ASYNCIO);
	ck_assert_ptr_eq(info.si_value.sival_ptr, &rd);
	ck_assert_int_eq(aio_return(&rd), BLOCK);
	ck_assert_int_eq(memcmp(rbuf, buffer, BLOCK), 0);

	errno = 0;
	ck_assert_int_eq(control_sigwait(signo, &info, 100), -1);
	ck_assert_int_eq(errno, EAGAIN);
	close(fd);
}
END_TEST

/* A read of 8 bytes on a new pipe p, notified by signo (blocked) with
 * value. */
static void
start_signalled_pipe_read(struct aiocb *cb, int p[2], char buffer[8], int signo, int value)
{
	control_block(signo);
	control_pipe(p);
	test_prepare(cb, p[0], buffer, 8, 0);
	cb->aio_sigevent.sigev_notify = SIGEV_SIGNAL;
	cb->aio_sigevent.sigev_signo = signo;
	cb->aio_sigevent.sigev_value.sival_int = value;
	ck_assert_int_eq(aio_read(cb), 0);
}

START_TEST(signal_on_pipe_read_after_completion)
{
	/* The signal cannot be sent before the data arrives. */
	int signo = SIGRTMIN + 5;
	int p[2];
	static struct aiocb cb;
	static char buffer[8];
	start_signalled_pipe_read(&cb, p, buffer, signo, 77);
	siginfo_t info;
	errno = 0;
	ck_assert_int_eq(control_sigwait(signo, &info, 0), -1);
	ck_assert_int_eq(errno, EAGAIN);
	test_write_all(p[1], "pipedata", 8);
	ck_assert_int_eq(control_sigwait(signo, &info, 10000), signo);
	ck_assert_int_eq(aio_error(&cb), 0);
	ck_assert_int_eq(aio_return(&cb), 8);
	ck_assert_int_eq(info.si_value.sival_int, 77);
	ck_assert_int_eq(memcmp(buffer, "pipedata", 8), 0);
	control_close_pipe(p);
}
END_TEST

/* Writes to a pipe once the given thread sleeps (in aio_suspend). */
struct late_writer {
	pid_t sleeper;
	int fd;
};

static void *
late_writer_main(void *arg)
{
	struct late_writer *w = arg;
	long long deadline = control_now_ns() + CONTROL_BOUND_NS;
	while (!control_task_sleeping(w->sleeper) && control_now_ns() < deadline)
		control_pause();
	test_write_all(w->fd, "reaped!!", 8);
	return NULL;
}

START_TEST(signal_once_when_the_waiter_reaps_it)
{
	/* aio_suspend may reap the completion itself (in the ring); the
	 * signal must still come, once. */
	int signo = SIGRTMIN + 6;
	int p[2];
	static struct aiocb cb;
	static char buffer[8];
	start_signalled_pipe_read(&cb, p, buffer, signo, 88);
	struct late_writer w = { gettid(), p[1] };
	pthread_t writer;
	ck_assert_int_eq(pthread_create(&writer, NULL, late_writer_main, &w), 0);
	const struct aiocb *list[1] = { &cb };
	struct timespec bound = control_ms(2 * CONTROL_BOUND_NS / 1000000);
	ck_assert_int_eq(aio_suspend(list, 1, &bound), 0);
	ck_assert_int_eq(pthread_join(writer, NULL), 0);
	ck_assert_int_eq(aio_error(&cb), 0);
	ck_assert_int_eq(aio_return(&cb), 8);

	siginfo_t info;
	ck_assert_int_eq(control_sigwait(signo, &info, 10000), signo);
	ck_assert_int_eq(info.si_value.sival_int, 88);
	errno = 0;
	ck_assert_int_eq(control_sigwait(signo, &info, 100), -1);
	ck_assert_int_eq(errno, EAGAIN);
	control_close_pipe(p);
}
END_TEST

START_TEST(signal_exact_count)
{
	enum { N = 32 };
	int signo = SIGRTMIN + 6;
	control_block(signo);
	int fd = test_temp_file();
	static struct aiocb cbs[N];
	static char bufs[N][BLOCK];
	for (int i = 0; i < N; i++) {
		start_write(&cbs[i], fd, bufs[i], BLOCK, (off_t)i * BLOCK);
		cbs[i].aio_sigevent.sigev_notify = SIGEV_SIGNAL;
		cbs[i].aio_sigevent.sigev_signo = signo;
		cbs[i].aio_sigevent.sigev_value.sival_int = i;
		ck_assert_int_eq(aio_write(&cbs[i]), 0);
	}
	int seen[N] = { 0 };
	siginfo_t info;
	for (int i = 0; i < N; i++) {
		ck_assert_int_eq(control_sigwait(signo, &info, 10000), signo);
		ck_assert_int_eq(info.si_code, SI_ASYNCIO);
		int k = info.si_value.sival_int;
		ck_assert_int_ge(k, 0);
		ck_assert_int_lt(k, N);
		ck_assert_int_eq(aio_error(&cbs[k]), 0);
		seen[k]++;
	}
	for (int i = 0; i < N; i++) {
		ck_assert_int_eq(seen[i], 1);
		ck_assert_int_eq(aio_return(&cbs[i]), BLOCK);
	}
	errno = 0;
	ck_assert_int_eq(control_sigwait(signo, &info, 100), -1);
	ck_assert_int_eq(errno, EAGAIN);
	close(fd);
}
END_TEST

START_TEST(signal_number_zero_sends_nothing)
{
	/* A zeroed aiocb asks for SIGEV_SIGNAL (0) with signal 0: no signal. */
	sigset_t all;
	sigfillset(&all);
	ck_assert_int_eq(pthread_sigmask(SIG_BLOCK, &all, NULL), 0);
	int fd = test_temp_file();
	static struct aiocb cb;
	static char buffer[BLOCK];
	memset(buffer, 'z', sizeof buffer);
	memset(&cb, 0, sizeof cb);
	ck_assert_int_eq(cb.aio_sigevent.sigev_notify, SIGEV_SIGNAL);
	cb.aio_fildes = fd;
	cb.aio_buf = buffer;
	cb.aio_nbytes = sizeof buffer;
	ck_assert_int_eq(aio_write(&cb), 0);
	ck_assert_int_eq(test_wait(&cb, 0), BLOCK);
	/* Every signal is blocked, so anything sent would stay pending. */
	sigset_t pending;
	ck_assert_int_eq(sigpending(&pending), 0);
	for (int s = 1; s <= SIGRTMAX; s++)
		ck_assert_msg(!sigismember(&pending, s), "signal %d is pending", s);
	close(fd);
}
END_TEST

/* --- SIGEV_THREAD ---------------------------------------------------------- */

enum { THREAD_N = 16 };
static struct aiocb thread_cbs[THREAD_N];
static char thread_bufs[THREAD_N][BLOCK];
static atomic_int thread_calls[THREAD_N];
static atomic_int thread_error_seen[THREAD_N];
static atomic_int thread_bad_value;
static sem_t thread_sem;

static void
thread_function(union sigval value)
{
	int k = value.sival_int;
	if (k < 0 || k >= THREAD_N) {
		atomic_fetch_add(&thread_bad_value, 1);
	} else {
		atomic_store(&thread_error_seen[k], aio_error(&thread_cbs[k]));
		atomic_fetch_add(&thread_calls[k], 1);
	}
	sem_post(&thread_sem);
}

START_TEST(thread_once_per_request)
{
	ck_assert_int_eq(sem_init(&thread_sem, 0, 0), 0);
	int fd = test_temp_file();
	for (int i = 0; i < THREAD_N; i++) {
		atomic_init(&thread_error_seen[i], -1);
		start_write(&thread_cbs[i], fd, thread_bufs[i], BLOCK, (off_t)i * BLOCK);
		thread_cbs[i].aio_sigevent.sigev_notify = SIGEV_THREAD;
		thread_cbs[i].aio_sigevent.sigev_notify_function = thread_function;
		thread_cbs[i].aio_sigevent.sigev_value.sival_int = i;
		ck_assert_int_eq(aio_write(&thread_cbs[i]), 0);
	}
	for (int i = 0; i < THREAD_N; i++)
		ck_assert_int_eq(control_sem_wait(&thread_sem, 10000), 0);
	for (int i = 0; i < THREAD_N; i++) {
		control_assert_atomic_eq(&thread_calls[i], 1);
		/* The result was public when the function ran. */
		control_assert_atomic_eq(&thread_error_seen[i], 0);
		ck_assert_int_eq(aio_return(&thread_cbs[i]), BLOCK);
	}
	control_assert_atomic_eq(&thread_bad_value, 0);
	errno = 0;
	ck_assert_int_eq(control_sem_wait(&thread_sem, 100), -1);
	ck_assert_int_eq(errno, ETIMEDOUT);
	close(fd);
}
END_TEST

/* What the notification thread learns about itself. */
static atomic_int attr_calls;
static atomic_int attr_value;
static atomic_int attr_detach_state = -1;
static atomic_size_t attr_stack_size;
static sem_t attr_sem;

static void
attr_function(union sigval value)
{
	pthread_attr_t self;
	if (pthread_getattr_np(pthread_self(), &self) == 0) {
		int state;
		size_t size;
		if (pthread_attr_getdetachstate(&self, &state) == 0)
			atomic_store(&attr_detach_state, state);
		if (pthread_attr_getstacksize(&self, &size) == 0)
			atomic_store(&attr_stack_size, size);
		pthread_attr_destroy(&self);
	}
	atomic_store(&attr_value, value.sival_int);
	atomic_fetch_add(&attr_calls, 1);
	sem_post(&attr_sem);
}

#define BIG_STACK ((size_t)16 << 20)

/* A pipe read notified by SIGEV_THREAD with attributes; the data (and so the
 * notification) comes only after the caller had its chance to destroy them. */
static void
thread_with_attributes(bool destroy_early)
{
	ck_assert_int_eq(sem_init(&attr_sem, 0, 0), 0);
	pthread_attr_t *attr = malloc(sizeof *attr);
	ck_assert_ptr_nonnull(attr);
	ck_assert_int_eq(pthread_attr_init(attr), 0);
	ck_assert_int_eq(pthread_attr_setdetachstate(attr, PTHREAD_CREATE_JOINABLE), 0);
	ck_assert_int_eq(pthread_attr_setstacksize(attr, BIG_STACK), 0);

	int p[2];
	control_pipe(p);
	static struct aiocb cb;
	static char buffer[8];
	test_prepare(&cb, p[0], buffer, sizeof buffer, 0);
	cb.aio_sigevent.sigev_notify = SIGEV_THREAD;
	cb.aio_sigevent.sigev_notify_function = attr_function;
	cb.aio_sigevent.sigev_notify_attributes = attr;
	cb.aio_sigevent.sigev_value.sival_int = 5150;
	ck_assert_int_eq(aio_read(&cb), 0);
	if (destroy_early) {
		/* The library copied them: wipe and free the original. */
		pthread_attr_destroy(attr);
		memset(attr, 0xff, sizeof *attr);
		free(attr);
	}
	test_write_all(p[1], "attribut", 8);
	ck_assert_int_eq(control_sem_wait(&attr_sem, 10000), 0);
	ck_assert_int_eq(test_wait(&cb, 0), 8);
	control_assert_atomic_eq(&attr_calls, 1);
	control_assert_atomic_eq(&attr_value, 5150);
	control_assert_atomic_eq(&attr_detach_state, PTHREAD_CREATE_DETACHED);
	ck_assert_msg(atomic_load(&attr_stack_size) >= BIG_STACK * 3 / 4,
		      "notification thread stack %zu bytes: attributes ignored",
		      atomic_load(&attr_stack_size));
	if (!destroy_early) {
		pthread_attr_destroy(attr);
		free(attr);
	}
	control_close_pipe(p);
}

START_TEST(thread_joinable_attributes_forced_detached)
{
	thread_with_attributes(false);
}
END_TEST

START_TEST(thread_attributes_copied_at_submission)
{
	thread_with_attributes(true);
}
END_TEST

START_TEST(thread_null_function_rejected)
{
	int fd = test_temp_file();
	struct aiocb cb;
	char buffer[BLOCK];
	start_write(&cb, fd, buffer, sizeof buffer, 0);
	cb.aio_sigevent.sigev_notify = SIGEV_THREAD;
	cb.aio_sigevent.sigev_notify_function = NULL;
	errno = 0;
	ck_assert_int_eq(aio_write(&cb), -1);
	ck_assert_int_eq(errno, EINVAL);
	errno = 0;
	ck_assert_int_eq(aio_read(&cb), -1);
	ck_assert_int_eq(errno, EINVAL);
	cb.aio_sigevent.sigev_notify = SIGEV_THREAD;
	errno = 0;
	ck_assert_int_eq(aio_fsync(O_SYNC, &cb), -1);
	ck_assert_int_eq(errno, EINVAL);
	close(fd);
}
END_TEST

/* --- SIGEV_THREAD_ID ------------------------------------------------------------ */

struct target {
	sem_t ready;		/* the target published its id */
	sem_t go;		/* the target may take the signal */
	bool wait_for_go;
	int signo;
	atomic_int tid;
	atomic_int got;		/* signal number received, or -errno */
	atomic_int code;
	atomic_int value;
};

static void *
target_main(void *arg)
{
	struct target *t = arg;
	atomic_store(&t->tid, gettid());
	sem_post(&t->ready);
	if (t->wait_for_go && control_sem_wait(&t->go, 20000) != 0) {
		atomic_store(&t->got, -ETIMEDOUT);
		return NULL;
	}
	siginfo_t info;
	int rc = control_sigwait(t->signo, &info, 10000);
	if (rc < 0) {
		atomic_store(&t->got, -errno);
		return NULL;
	}
	atomic_store(&t->code, info.si_code);
	atomic_store(&t->value, info.si_value.sival_int);
	atomic_store(&t->got, rc);
	return NULL;
}

static void
submit_to_thread(struct aiocb *cb, int fd, char *buffer, int signo, pid_t tid)
{
	start_write(cb, fd, buffer, BLOCK, 0);
	cb->aio_sigevent.sigev_notify = SIGEV_THREAD_ID;
	cb->aio_sigevent.sigev_signo = signo;
	cb->aio_sigevent.sigev_value.sival_int = 9090;
	cb->aio_sigevent.sigev_notify_thread_id = tid;
	ck_assert_int_eq(aio_write(cb), 0);
}

START_TEST(thread_id_delivers_to_waiting_thread)
{
	int signo = SIGRTMIN + 7;
	control_block(signo);	/* inherited by every later thread */
	static struct target t;
	ck_assert_int_eq(sem_init(&t.ready, 0, 0), 0);
	t.signo = signo;
	t.wait_for_go = false;
	pthread_t thread;
	ck_assert_int_eq(pthread_create(&thread, NULL, target_main, &t), 0);
	ck_assert_int_eq(control_sem_wait(&t.ready, 10000), 0);

	int fd = test_temp_file();
	static struct aiocb cb;
	static char buffer[BLOCK];
	submit_to_thread(&cb, fd, buffer, signo, atomic_load(&t.tid));
	ck_assert_int_eq(pthread_join(thread, NULL), 0);
	control_assert_atomic_eq(&t.got, signo);
	control_assert_atomic_eq(&t.code, SI_ASYNCIO);
	control_assert_atomic_eq(&t.value, 9090);
	ck_assert_int_eq(aio_error(&cb), 0);
	ck_assert_int_eq(aio_return(&cb), BLOCK);
	close(fd);
}
END_TEST

/* Does /proc/self/task/<tid>/status show signo pending in field? */
static bool
pending_in(pid_t tid, const char *field, int signo)
{
	char path[64], line[256];
	snprintf(path, sizeof path, "/proc/self/task/%d/status", (int)tid);
	FILE *f = fopen(path, "r");
	ck_assert_ptr_nonnull(f);
	unsigned long long mask = 0;
	size_t flen = strlen(field);
	while (fgets(line, sizeof line, f))
		if (strncmp(line, field, flen) == 0 && line[flen] == ':')
			mask = strtoull(line + flen + 1, NULL, 16);
	fclose(f);
	return (mask >> (signo - 1)) & 1;
}

START_TEST(thread_id_is_thread_directed)
{
	int signo = SIGRTMIN + 7;
	control_block(signo);
	static struct target t;
	ck_assert_int_eq(sem_init(&t.ready, 0, 0), 0);
	ck_assert_int_eq(sem_init(&t.go, 0, 0), 0);
	t.signo = signo;
	t.wait_for_go = true;
	pthread_t thread;
	ck_assert_int_eq(pthread_create(&thread, NULL, target_main, &t), 0);
	ck_assert_int_eq(control_sem_wait(&t.ready, 10000), 0);
	pid_t tid = atomic_load(&t.tid);

	int fd = test_temp_file();
	static struct aiocb cb;
	static char buffer[BLOCK];
	submit_to_thread(&cb, fd, buffer, signo, tid);
	ck_assert_int_eq(test_wait(&cb, 0), BLOCK);

	/* Nobody takes it yet: it must become pending on the target thread
	 * alone, not on the process.  (Under an emulator the host's pending
	 * sets say nothing: qemu-user takes every signal at once and queues it
	 * itself; the delivery checks below still hold.) */
	long long deadline = control_now_ns() + (control_emulated() ? 0 : CONTROL_BOUND_NS);
	while (!pending_in(tid, "SigPnd", signo) && !pending_in(tid, "ShdPnd", signo) &&
	       control_now_ns() < deadline)
		control_pause();
	if (control_emulated()) {
		printf("note: under an emulator: which thread the signal is pending on is not checked\n");
	} else {
		ck_assert_msg(pending_in(tid, "SigPnd", signo), "signal not pending on the target thread");
		ck_assert_msg(!pending_in(tid, "ShdPnd", signo), "signal was process-directed");
		ck_assert(!pending_in(gettid(), "SigPnd", signo));
	}

	sem_post(&t.go);
	ck_assert_int_eq(pthread_join(thread, NULL), 0);
	control_assert_atomic_eq(&t.got, signo);
	control_assert_atomic_eq(&t.code, SI_ASYNCIO);
	control_assert_atomic_eq(&t.value, 9090);
	close(fd);
}
END_TEST

static Suite *
notify_suite(void)
{
	Suite *s = suite_create("notify");
	TCase *tc = control_tcase("signal");
	tcase_add_test(tc, signal_carries_info);
	tcase_add_test(tc, signal_on_pipe_read_after_completion);
	tcase_add_test(tc, signal_once_when_the_waiter_reaps_it);
	tcase_add_test(tc, signal_exact_count);
	tcase_add_test(tc, signal_number_zero_sends_nothing);
	suite_add_tcase(s, tc);

	tc = control_tcase("thread");
	tcase_add_test(tc, thread_once_per_request);
	tcase_add_test(tc, thread_joinable_attributes_forced_detached);
	tcase_add_test(tc, thread_attributes_copied_at_submission);
	tcase_add_test(tc, thread_null_function_rejected);
	suite_add_tcase(s, tc);

	tc = control_tcase("thread_id");
	tcase_add_test(tc, thread_id_delivers_to_waiting_thread);
	tcase_add_test(tc, thread_id_is_thread_directed);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return control_run_suite(notify_suite());
}
