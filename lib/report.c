/* report.c: the lines the library prints about itself.
 *
 * AIO_POSIX_VERBOSE=1: one line on stderr at first use, saying what the
 * library chose.  AIO_POSIX_STATS=1: one line on stderr when the process
 * ends, with its counters (stats.c), for every process that submitted at
 * least one request.
 *
 * exit() runs our destructor, which prints the line.  _exit() (fio and
 * stress-ng workers leave that way) and death by a signal run nothing of
 * ours, so a watcher process prints it then.  At a process's first request
 * its counters move into memory shared with a watcher, which waits on a
 * pipe whose only writer is this process.  The destructor prints, then
 * writes one byte; end of file with no byte before it means the process left
 * another way, and the watcher prints from the shared counters.
 *
 * The watcher is a grandchild made with raw clone system calls, not fork():
 * no atfork handler of the application runs, the application never has a
 * child of ours to reap, and in its single thread it only makes system
 * calls (no malloc, no stdio, whose locks another thread may have held at
 * the clone).  It closes every fd but stderr and the pipe, so it never
 * holds a file or socket of the application open, and blocks the signals
 * that would kill it along with its process group.
 * A fork child starts with private zeroed counters, closes its parent's
 * pipe, and gets a watcher of its own at its own first request.
 *
 * report_lock guards watcher creation; the counters are atomics (stats.c).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "support.h"

static struct stats private_stats;
struct stats *stats_live = &private_stats;

static pthread_mutex_t report_lock = PTHREAD_MUTEX_INITIALIZER;
static int watching;		/* 1 once this process has its watcher */
static int pipe_to_watcher = -1;

/* --- formatting without stdio --------------------------------------------- */

struct line {
	char text[512];
	size_t length;
};

static void
add_text(struct line *line, const char *text)
{
	while (*text && line->length < sizeof line->text - 1)
		line->text[line->length++] = *text++;
}

static void
add_number(struct line *line, unsigned long long value)
{
	char digits[24];
	int n = 0;
	do {
		digits[n++] = (char)('0' + value % 10);
		value /= 10;
	} while (value);
	while (n > 0 && line->length < sizeof line->text - 1)
		line->text[line->length++] = digits[--n];
}

static void
format_stats(struct line *line, const struct stats *s, long pid)
{
	line->length = 0;
	add_text(line, "aio-posix[");
	add_number(line, (unsigned long long)pid);
	add_text(line, "]: backend=");
	add_text(line, config_backend_name(s->backend));
#define FIELD(name, value) do { add_text(line, " " #name "="); add_number(line, (value)); } while (0)
#define LANES(name) FIELD(name, STATS_SUM(s, name))
#define GLOBAL(name) FIELD(name, __atomic_load_n(&s->name, __ATOMIC_RELAXED))
	LANES(reads);
	LANES(writes);
	LANES(syncs);
	LANES(completed);
	LANES(failed);
	LANES(cancelled);
	GLOBAL(notifications);
	LANES(peak_in_flight);
	GLOBAL(peak_threads);
	LANES(completed_at_submission);
	LANES(submit_calls);
	GLOBAL(lock_waits);
#undef GLOBAL
#undef LANES
#undef FIELD
	add_text(line, "\n");
}

static void
write_all(int fd, const char *text, size_t length)
{
	while (length > 0) {
		ssize_t n = write(fd, text, length);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return;
		text += n;
		length -= (size_t)n;
	}
}

/* --- the watcher --------------------------------------------------------- */

static long
raw_fork(void)
{
	return syscall(SYS_clone, SIGCHLD, 0, NULL, NULL, 0);
}

__attribute__((noreturn)) static void
raw_exit(int status)
{
	for (;;)
		syscall(SYS_exit_group, status);
}

static void
close_all_but(int keep_a, int keep_b)
{
	int low = keep_a < keep_b ? keep_a : keep_b;
	int high = keep_a < keep_b ? keep_b : keep_a;
	if (low > 0)
		syscall(SYS_close_range, 0, low - 1, 0);
	if (high > low + 1)
		syscall(SYS_close_range, low + 1, high - 1, 0);
	syscall(SYS_close_range, high + 1, ~0U, 0);
}

__attribute__((noreturn)) static void
watch(int from_process, const struct stats *shared, long pid)
{
	sigset_t all;
	sigfillset(&all);
	syscall(SYS_rt_sigprocmask, SIG_SETMASK, &all, NULL, _NSIG / 8);
	close_all_but(STDERR_FILENO, from_process);
	syscall(SYS_chdir, "/");

	char byte;
	ssize_t n;
	do
		n = read(from_process, &byte, 1);
	while (n < 0 && errno == EINTR);
	if (n == 0) {
		/* The process is gone without printing: _exit or a signal. */
		struct line line;
		format_stats(&line, shared, pid);
		write_all(STDERR_FILENO, line.text, line.length);
	}
	raw_exit(0);
}

static void
start_watcher(void)
{
	struct stats *shared = mmap(NULL, sizeof *shared, PROT_READ | PROT_WRITE,
				    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	int ends[2];
	if (shared == MAP_FAILED)
		return;
	if (pipe2(ends, O_CLOEXEC) != 0) {
		munmap(shared, sizeof *shared);
		return;
	}
	/* Nothing has been counted in this process yet that would be lost,
	 * but carry over whatever the private counters hold. */
	*shared = *stats_live;
	long pid = getpid();

	long child = raw_fork();
	if (child == 0) {
		if (raw_fork() == 0) {
			close(ends[1]);
			watch(ends[0], shared, pid);
		}
		raw_exit(0);
	}
	close(ends[0]);
	if (child < 0) {
		close(ends[1]);
		munmap(shared, sizeof *shared);
		return;
	}
	while (waitpid((pid_t)child, NULL, 0) < 0 && errno == EINTR)
		;
	pipe_to_watcher = fd_move_high(ends[1]);
	__atomic_store_n(&stats_live, shared, __ATOMIC_RELEASE);
}

void
report_first_request(void)
{
	if (!config.stats_at_exit || __atomic_load_n(&watching, __ATOMIC_ACQUIRE))
		return;
	pthread_mutex_lock(&report_lock);
	if (!watching) {
		start_watcher();
		__atomic_store_n(&watching, 1, __ATOMIC_RELEASE);
	}
	pthread_mutex_unlock(&report_lock);
}

void
report_after_fork_child(void)
{
	pthread_mutex_init(&report_lock, NULL);
	if (pipe_to_watcher >= 0)
		close(pipe_to_watcher);	/* the parent's watcher is not ours */
	pipe_to_watcher = -1;
	memset(&private_stats, 0, sizeof private_stats);
	private_stats.backend = stats_live->backend;
	stats_live = &private_stats;
	watching = 0;
}

__attribute__((destructor)) static void
report_at_exit(void)
{
	if (!config.stats_at_exit || !__atomic_load_n(&watching, __ATOMIC_ACQUIRE))
		return;
	struct line line;
	format_stats(&line, stats_live, getpid());
	write_all(STDERR_FILENO, line.text, line.length);
	if (pipe_to_watcher >= 0)
		write_all(pipe_to_watcher, "p", 1);	/* printed: watcher, stay quiet */
}

void
report_verbose_start(void)
{
	if (!config.verbose)
		return;
	fprintf(stderr, "aio-posix[%ld]: libaio-posix %s backend=%s max_threads=%d "
		"idle_seconds=%d max_requests=%d\n", (long)getpid(), PACKAGE_VERSION,
		config_backend_name(stats_live->backend), config.max_threads,
		config.idle_seconds, config.max_requests);
}
