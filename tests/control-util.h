/* control-util.h: helpers for the control suites (suspend, cancel, listio,
 * notify, fork, pool).  Every wait here awaits a condition with a bound; no
 * helper sleeps in place of synchronisation. */
#ifndef AIO_POSIX_CONTROL_UTIL_H
#define AIO_POSIX_CONTROL_UTIL_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1
#endif

#include <dirent.h>
#include <limits.h>
#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>

#include "testutil.h"

#include <aio-posix.h>

#define CONTROL_TIMEOUT 30	/* seconds, for every TCase */

/* For a suite whose fork children start threads (their own requests):
 * ThreadSanitizer would otherwise stop them. */
#ifdef __SANITIZE_THREAD__
#define CONTROL_TSAN_THREADS_AFTER_FORK                                          \
	const char *__tsan_default_options(void);                                \
	const char *__tsan_default_options(void) { return "die_after_fork=0"; }
#else
#define CONTROL_TSAN_THREADS_AFTER_FORK
#endif
#define CONTROL_BOUND_NS (10LL * 1000000000LL) /* longest condition wait */

/* ck_assert_int_eq on an atomic, with a readable message. */
#define control_assert_atomic_eq(ptr, expected)                                  \
	do {                                                                     \
		long long value_ = (long long)atomic_load(ptr);                  \
		long long expected_ = (long long)(expected);                     \
		ck_assert_msg(value_ == expected_, "%s is %lld, expected %lld",  \
			      #ptr, value_, expected_);                          \
	} while (0)

static inline long long
control_now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* A short pause between two checks of a condition (never a synchronisation
 * by itself: every caller loops on the condition, with a bound). */
static inline void
control_pause(void)
{
	struct timespec ts = { 0, 1000000 };	/* 1 ms */
	nanosleep(&ts, NULL);
}

static inline TCase *
control_tcase(const char *name)
{
	TCase *tc = tcase_create(name);
	tcase_set_timeout(tc, CONTROL_TIMEOUT);
	return tc;
}

/* The suites rely on each test running in a fresh child process (signal
 * masks, handlers, and the library's one-time configuration). */
static inline int
control_run_suite(Suite *suite)
{
	SRunner *runner = srunner_create(suite);
	srunner_set_fork_status(runner, CK_FORK);
	srunner_run_all(runner, CK_NORMAL);
	int failed = srunner_ntests_failed(runner);
	srunner_free(runner);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

static inline void
control_pipe(int p[2])
{
	ck_assert_int_eq(pipe(p), 0);
}

static inline void
control_close_pipe(int p[2])
{
	close(p[0]);
	close(p[1]);
}


/* A file descriptor number that is certainly not open. */
static inline int
control_closed_fd(void)
{
	int fd = dup(0);
	if (fd < 0)
		fd = open("/dev/null", O_RDONLY);
	ck_assert_int_ge(fd, 0);
	close(fd);
	return fd;
}

static inline struct timespec
control_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
	return ts;
}

/* Wait for every listed request, tolerating EINTR from stray signals. */
static inline void
control_wait_all(struct aiocb **cbs, int count)
{
	long long deadline = control_now_ns() + 2 * CONTROL_BOUND_NS;
	for (int i = 0; i < count; i++) {
		if (!cbs[i])
			continue;
		const struct aiocb *list[1] = { cbs[i] };
		while (aio_error(cbs[i]) == EINPROGRESS) {
			struct timespec ts = control_ms(1000);
			int rc = aio_suspend(list, 1, &ts);
			ck_assert_msg(rc == 0 || errno == EINTR || errno == EAGAIN,
				      "aio_suspend: %s", strerror(errno));
			ck_assert_msg(control_now_ns() < deadline,
				      "request %d never completed", i);
		}
	}
}

/* Wait for a fork child and check that it exited with status 0; what is
 * its part of the test. */
static inline void
control_child_succeeded(pid_t child, const char *what)
{
	int status;
	ck_assert_int_eq(waitpid(child, &status, 0), child);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "%s: the child failed (%d)",
		      what, WIFEXITED(status) ? WEXITSTATUS(status) : -1);
}

/* --- threads, seen through /proc ---------------------------------------- */

static inline int
control_thread_count(void)
{
	DIR *d = opendir("/proc/self/task");
	ck_assert_ptr_nonnull(d);
	int n = 0;
	struct dirent *e;
	while ((e = readdir(d)) != NULL)
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n;
}

static inline bool
control_task_exists(pid_t tid)
{
	char path[64];
	snprintf(path, sizeof path, "/proc/self/task/%d", (int)tid);
	return access(path, F_OK) == 0;
}

/* Do descriptors theirs (perhaps the library's) and mine (the test's) refer
 * to the same file?  Compared by their /proc/self/fd links ("pipe:[inode]",
 * or a path), so that no system call touches theirs. */
static inline bool
control_same_file(int theirs, int mine)
{
	char path[64], a[256], b[256];
	snprintf(path, sizeof path, "/proc/self/fd/%d", theirs);
	ssize_t na = readlink(path, a, sizeof a - 1);
	snprintf(path, sizeof path, "/proc/self/fd/%d", mine);
	ssize_t nb = readlink(path, b, sizeof b - 1);
	if (na <= 0 || nb <= 0 || na != nb)
		return false;
	return memcmp(a, b, (size_t)na) == 0;
}

/* Is this test run by an emulator (a cross build: tests/local.mk)?  Then
 * /proc shows what the host kernel sees of the emulator's threads. */
static inline bool
control_emulated(void)
{
	const char *emulator = getenv("AIO_POSIX_TEST_EMULATOR");
	return emulator && *emulator;
}

struct control_probe {
	int fd;
	bool writing;
	_Atomic pid_t tid;
};

static void *
control_probe_main(void *arg)
{
	struct control_probe *probe = arg;
	char byte = 'p';
	atomic_store(&probe->tid, gettid());
	ssize_t n = probe->writing ? write(probe->fd, &byte, 1) : read(probe->fd, &byte, 1);
	return (void *)(intptr_t)n;
}

/* The number /proc/self/task/N/syscall shows for a thread blocked in
 * write() (writing) or read() on a pipe: SYS_write or SYS_read natively,
 * but the host's numbering under an emulator, which makes the host's
 * system call for the program's.  Learned once, from a thread of our own
 * blocked so; -1 if it never showed. */
static inline long
control_kernel_number(bool writing)
{
	static long learned[2] = { -1, -1 };
	if (learned[writing] >= 0)
		return learned[writing];
	int p[2];
	ck_assert_int_eq(pipe(p), 0);
	size_t filled = 0;
	if (writing) {
		char chunk[4096];
		memset(chunk, 'f', sizeof chunk);
		ck_assert_int_eq(fcntl(p[1], F_SETFL, O_NONBLOCK), 0);
		for (size_t size = sizeof chunk; size > 0; size = size > 1 ? 1 : 0) {
			ssize_t n;
			while ((n = write(p[1], chunk, size)) > 0)
				filled += (size_t)n;
		}
		ck_assert_int_eq(fcntl(p[1], F_SETFL, 0), 0);
	}
	struct control_probe probe = { .fd = writing ? p[1] : p[0], .writing = writing };
	atomic_init(&probe.tid, 0);
	pthread_t thread;
	ck_assert_int_eq(pthread_create(&thread, NULL, control_probe_main, &probe), 0);
	long long deadline = control_now_ns() + CONTROL_BOUND_NS;
	while (learned[writing] < 0 && control_now_ns() < deadline) {
		char path[64], text[256];
		snprintf(path, sizeof path, "/proc/self/task/%d/syscall", (int)atomic_load(&probe.tid));
		int f = atomic_load(&probe.tid) ? open(path, O_RDONLY) : -1;
		ssize_t n = f >= 0 ? read(f, text, sizeof text - 1) : -1;
		if (f >= 0)
			close(f);
		long nr;
		unsigned long arg0;
		if (n > 0) {
			text[n] = '\0';
			if (sscanf(text, "%ld 0x%lx", &nr, &arg0) == 2 && arg0 == (unsigned long)probe.fd)
				learned[writing] = nr;
		}
		if (learned[writing] < 0)
			control_pause();
	}
	/* Let it go: take a byte from the full pipe, or give it one. */
	char sink[4096];
	if (writing) {
		ssize_t n;
		while (filled > 0 && (n = read(p[0], sink, filled < sizeof sink ? filled : sizeof sink)) > 0)
			filled -= (size_t)n;
	} else {
		ck_assert_int_eq(write(p[1], "x", 1), 1);
	}
	ck_assert_int_eq(pthread_join(thread, NULL), 0);
	/* Gone for good before anyone counts threads (under an emulator the
	 * host thread outlives the join a little). */
	deadline = control_now_ns() + CONTROL_BOUND_NS;
	while (control_task_exists(atomic_load(&probe.tid)) && control_now_ns() < deadline)
		control_pause();
	close(p[0]);
	close(p[1]);
	return learned[writing];
}

/* Is thread tid blocked in a read-type (or, writing, a write-type) system
 * call on fd? */
static inline bool
control_task_blocked_on(pid_t tid, int fd, bool writing)
{
	char path[64], text[256];
	snprintf(path, sizeof path, "/proc/self/task/%d/syscall", (int)tid);
	int f = open(path, O_RDONLY);
	if (f < 0)
		return false;
	ssize_t n = read(f, text, sizeof text - 1);
	close(f);
	if (n <= 0)
		return false;
	text[n] = '\0';
	long nr;
	unsigned long arg0;
	if (sscanf(text, "%ld 0x%lx", &nr, &arg0) != 2)
		return false;	/* "running" */
	bool matches = writing
		? nr == SYS_write || nr == SYS_pwrite64 || nr == SYS_writev ||
		  nr == SYS_pwritev || nr == SYS_pwritev2
		: nr == SYS_read || nr == SYS_pread64 || nr == SYS_readv ||
		  nr == SYS_preadv || nr == SYS_preadv2;
	/* Under an emulator, the host's read() or write(): what the library's
	 * workers make for a stream. */
	if (!matches && control_emulated())
		matches = nr == control_kernel_number(writing);
	if (!matches)
		return false;
	if (arg0 == (unsigned long)fd)
		return true;
	/* The library may run requests on a private duplicate of the fd:
	 * compare the files, not the numbers.  Through /proc, not fstat: the
	 * duplicate is the library's, and may be closed under us
	 * (ThreadSanitizer would call an fstat of it a race with that close). */
	return arg0 <= INT_MAX && control_same_file((int)arg0, fd);
}

/* Threads of this process (other than the caller) blocked reading (or
 * writing) any of fds; stores up to max of their ids in tids, returns how
 * many. */
static inline int
control_blocked(const int *fds, int nfds, bool writing, pid_t *tids, int max)
{
	DIR *d = opendir("/proc/self/task");
	ck_assert_ptr_nonnull(d);
	pid_t self = gettid();
	int found = 0;
	struct dirent *e;
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		pid_t tid = (pid_t)atoi(e->d_name);
		if (tid == self)
			continue;
		for (int i = 0; i < nfds; i++) {
			if (control_task_blocked_on(tid, fds[i], writing)) {
				if (tids && found < max)
					tids[found] = tid;
				found++;
				break;
			}
		}
	}
	closedir(d);
	return found;
}

/* Wait (bounded) until at least want threads are blocked writing fds. */
static inline int
control_await_writers(const int *fds, int nfds, int want, pid_t *tids, int max)
{
	long long deadline = control_now_ns() + CONTROL_BOUND_NS;
	int n;
	while ((n = control_blocked(fds, nfds, true, tids, max)) < want &&
	       control_now_ns() < deadline)
		control_pause();
	return n;
}

/* Fill pipe p to the brim, so that a write to p[1] blocks.  Through a second
 * open file description of the write end, non-blocking, so that p[1] itself
 * stays blocking.  Returns how many bytes it wrote. */
static inline size_t
control_fill_pipe(int p[2])
{
	char path[64], chunk[4096];
	snprintf(path, sizeof path, "/proc/self/fd/%d", p[1]);
	int w = open(path, O_WRONLY | O_NONBLOCK | O_CLOEXEC);
	ck_assert_int_ge(w, 0);
	memset(chunk, 'f', sizeof chunk);
	size_t total = 0;
	/* Whole pages while they fit, then single bytes for what is left. */
	for (size_t size = sizeof chunk; size > 0; size = size > 1 ? 1 : 0) {
		ssize_t n;
		while ((n = write(w, chunk, size)) > 0)
			total += (size_t)n;
		ck_assert_int_eq(errno, EAGAIN);
	}
	close(w);
	return total;
}

/* Read and check count filler bytes (control_fill_pipe's) from p[0]. */
static inline void
control_drain_filler(int p[2], size_t count)
{
	char chunk[4096];
	while (count > 0) {
		ssize_t n = read(p[0], chunk, count < sizeof chunk ? count : sizeof chunk);
		ck_assert_int_gt(n, 0);
		for (ssize_t i = 0; i < n; i++)
			ck_assert_int_eq(chunk[i], 'f');
		count -= (size_t)n;
	}
}

/* Is thread tid asleep in a futex, poll or similar wait? */
static inline bool
control_task_sleeping(pid_t tid)
{
	char path[64], text[256];
	snprintf(path, sizeof path, "/proc/self/task/%d/syscall", (int)tid);
	int f = open(path, O_RDONLY);
	if (f < 0)
		return false;
	ssize_t n = read(f, text, sizeof text - 1);
	close(f);
	if (n <= 0)
		return false;
	text[n] = '\0';
	long nr;
	return sscanf(text, "%ld", &nr) == 1 && nr >= 0;
}

/* Is system call nr one that waits?  aarch64 has neither poll nor
 * epoll_wait, only their p- forms. */
static inline bool
waiting_call(long nr)
{
	static const long waits[] = {
		SYS_futex, SYS_read, SYS_readv, SYS_pread64, SYS_preadv, SYS_preadv2,
		SYS_io_uring_enter, SYS_ppoll, SYS_epoll_pwait, SYS_rt_sigtimedwait,
		SYS_nanosleep, SYS_clock_nanosleep,
#ifdef SYS_poll
		SYS_poll,
#endif
#ifdef SYS_epoll_wait
		SYS_epoll_wait,
#endif
	};
	for (size_t i = 0; i < sizeof waits / sizeof waits[0]; i++)
		if (nr == waits[i])
			return true;
	return false;
}

/* Is every thread but the caller asleep in a wait (futex, read, io_uring,
 * poll, sleep)?  Such threads hold no allocator lock. */
static inline bool
control_threads_quiet(void)
{
	DIR *d = opendir("/proc/self/task");
	ck_assert_ptr_nonnull(d);
	pid_t self = gettid();
	bool quiet = true;
	struct dirent *e;
	while (quiet && (e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		pid_t tid = (pid_t)atoi(e->d_name);
		if (tid == self)
			continue;
		char path[64], text[256];
		snprintf(path, sizeof path, "/proc/self/task/%d/syscall", (int)tid);
		int f = open(path, O_RDONLY);
		if (f < 0)
			continue;	/* gone */
		ssize_t n = read(f, text, sizeof text - 1);
		close(f);
		long nr;
		if (n <= 0)
			continue;
		text[n] = '\0';
		if (sscanf(text, "%ld", &nr) != 1 || !waiting_call(nr))
			quiet = false;
	}
	closedir(d);
	return quiet;
}

/* Before fork() in a test: under ASan, wait (bounded) until the library's
 * workers have settled.  GCC 12's ASan does not take its allocator locks
 * around fork, so a worker inside free() at that moment (a request is freed
 * just after its result is published) leaves the child deadlocked, and the
 * request it was freeing reported as leaked.  Plain builds fork at once: the
 * library must cope with workers in any state there. */
static inline void
control_before_fork(void)
{
#ifdef __SANITIZE_ADDRESS__
	long long deadline = control_now_ns() + CONTROL_BOUND_NS;
	int quiet_scans = 0;
	while (quiet_scans < 2 && control_now_ns() < deadline) {
		quiet_scans = control_threads_quiet() ? quiet_scans + 1 : 0;
		if (quiet_scans < 2)
			control_pause();
	}
#endif
}

/* --- a thread that keeps signalling another until told to stop ----------- */

struct control_spammer {
	pthread_t thread;
	pthread_t target;
	int signo;
	atomic_bool stop;
	atomic_int sent;
};

static inline void *
control_spammer_main(void *arg)
{
	struct control_spammer *s = arg;
	while (!atomic_load(&s->stop)) {
		if (pthread_kill(s->target, s->signo) == 0)
			atomic_fetch_add(&s->sent, 1);
		struct timespec ts = { 0, 2000000 };	/* every 2 ms */
		nanosleep(&ts, NULL);
	}
	return NULL;
}

static inline void
control_spammer_start(struct control_spammer *s, pthread_t target, int signo)
{
	s->target = target;
	s->signo = signo;
	atomic_init(&s->stop, false);
	atomic_init(&s->sent, 0);
	ck_assert_int_eq(pthread_create(&s->thread, NULL, control_spammer_main, s), 0);
}

static inline void
control_spammer_stop(struct control_spammer *s)
{
	atomic_store(&s->stop, true);
	ck_assert_int_eq(pthread_join(s->thread, NULL), 0);
}

/* --- signals ------------------------------------------------------------- */

static inline void
control_block(int signo)
{
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, signo);
	ck_assert_int_eq(pthread_sigmask(SIG_BLOCK, &set, NULL), 0);
}

static inline void
control_handle(int signo, void (*handler)(int), int flags)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = handler;
	sa.sa_flags = flags;
	sigemptyset(&sa.sa_mask);
	ck_assert_int_eq(sigaction(signo, &sa, NULL), 0);
}

/* Wait up to ms milliseconds for blocked signal signo; returns the signal
 * number or -1 with errno (EAGAIN on timeout). */
static inline int
control_sigwait(int signo, siginfo_t *info, long ms)
{
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, signo);
	struct timespec ts = control_ms(ms);
	int rc;
	do
		rc = sigtimedwait(&set, info, &ts);
	while (rc < 0 && errno == EINTR);
	return rc;
}

/* sem_wait with a bound; returns 0, or -1 with errno ETIMEDOUT. */
static inline int
control_sem_wait(sem_t *sem, long ms)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	ts.tv_sec += ms / 1000;
	ts.tv_nsec += (ms % 1000) * 1000000L;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	int rc;
	do
		rc = sem_clockwait(sem, CLOCK_MONOTONIC, &ts);
	while (rc < 0 && errno == EINTR);
	return rc;
}

/* --- child processes ----------------------------------------------------- */

/* waitpid with a bound; on timeout kills the child and fails the test. */
static inline int
control_waitpid(pid_t pid)
{
	long long deadline = control_now_ns() + 2 * CONTROL_BOUND_NS;
	int status;
	for (;;) {
		pid_t rc = waitpid(pid, &status, WNOHANG);
		if (rc == pid)
			return status;
		ck_assert_msg(rc == 0 || (rc < 0 && errno == EINTR),
			      "waitpid: %s", strerror(errno));
		if (control_now_ns() > deadline) {
			kill(pid, SIGKILL);
			waitpid(pid, &status, 0);
			ck_abort_msg("child %d did not exit within 20 s (hung)", (int)pid);
		}
		control_pause();
	}
}

#endif
