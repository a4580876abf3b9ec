/* test-faults: with the library's fault points firing (a build configured
 * with --enable-fault-injection, AIO_POSIX_FAULTS at run time), every
 * request still ends one of two ways:
 *   - accepted (0) and completed, with the right result, its data verified,
 *     and its notification delivered exactly once;
 *   - refused at submission with EAGAIN or ENOMEM, leaving nothing queued:
 *     the aiocb is not in progress, aio_cancel finds nothing, and the
 *     library's statistics count it nowhere;
 * nothing hangs (every wait is bounded), and once the faults stop the
 * library works as before.
 *
 * AIO_POSIX_FAULTS is read once per process, so each case runs the workload
 * in a fresh process: this program re-executes itself with --workload and
 * the rules in its environment, and the test case checks that it exits 0
 * within its time limit.  That works the same whether Check forks or not.
 *
 * The workload: rounds of eight writes (one aio_write at a time, or one
 * lio_listio, LIO_WAIT or LIO_NOWAIT with its own notification), an
 * aio_fsync, then eight reads of the same blocks, a read at the file
 * position (aio_read2, which the ring declines), and a write and a read
 * through a pipe; notification cycles through none, SIGEV_SIGNAL,
 * SIGEV_THREAD and SIGEV_THREAD_ID.  A second phase, for rules that stop
 * firing (once:K), must see no refusal at all. */
#define _GNU_SOURCE
#include "testutil.h"

#include <aio-posix.h>
#include <limits.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#ifndef sigev_notify_thread_id
#define sigev_notify_thread_id _sigev_un._tid
#endif

enum {
	BLOCK = 1024,
	BATCH = 8,
	ROUNDS = 24,
	MAX_IDS = 4096,
	WAIT_SECONDS = 20,
	CASE_SECONDS = 120,
};

/* Workload flags, passed to the child as a number. */
enum {
	RECOVERS = 1,		/* the rules stop firing: phase two refuses nothing */
	MAY_DROP_SIGNALS = 2,	/* signal_queue keeps failing: signals may be lost */
	FEW_SIGNALS = 4,	/* each lost signal costs the library a second */
};

/* --- the workload (child side) ---------------------------------------------- */

static atomic_uint notes[MAX_IDS];
static int next_id;
static int flags;
static int failures;
static unsigned long accepted_count, refused_count, signal_requests;

#define CHECK(cond, ...)                                                        \
	do {                                                                    \
		if (!(cond)) {                                                  \
			fprintf(stderr, "test-faults: %s:%d: ", __FILE__, __LINE__); \
			fprintf(stderr, __VA_ARGS__);                           \
			fprintf(stderr, "\n");                                  \
			failures++;                                             \
		}                                                               \
	} while (0)

static double
now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void
on_signal(int signo, siginfo_t *info, void *context)
{
	if (info->si_code == SI_ASYNCIO && info->si_value.sival_int >= 0 &&
	    info->si_value.sival_int < MAX_IDS)
		atomic_fetch_add(&notes[info->si_value.sival_int], 1);
}

static void
on_thread(union sigval value)
{
	if (value.sival_int >= 0 && value.sival_int < MAX_IDS)
		atomic_fetch_add(&notes[value.sival_int], 1);
}

struct request {
	struct aiocb cb;
	unsigned char buffer[BLOCK];
	int id;			/* notification id, or -1 */
	bool accepted;
	int block;
};

/* Give the request a notification of the kind its number says. */
static void
notify(struct request *r, int kind)
{
	struct sigevent *ev = &r->cb.aio_sigevent;
	memset(ev, 0, sizeof *ev);
	r->id = -1;
	kind %= 4;
	if ((flags & FEW_SIGNALS) && (kind == 1 || kind == 3) && signal_requests >= 3)
		kind = 0;
	if (kind == 0 || next_id >= MAX_IDS) {
		ev->sigev_notify = SIGEV_NONE;
		return;
	}
	r->id = next_id++;
	atomic_store(&notes[r->id], 0);
	ev->sigev_value.sival_int = r->id;
	switch (kind) {
	case 1:
		ev->sigev_notify = SIGEV_SIGNAL;
		ev->sigev_signo = SIGRTMIN + 1;
		signal_requests++;
		break;
	case 2:
		ev->sigev_notify = SIGEV_THREAD;
		ev->sigev_notify_function = on_thread;
		break;
	default:
		ev->sigev_notify = SIGEV_THREAD_ID;
		ev->sigev_signo = SIGRTMIN + 1;
		ev->sigev_notify_thread_id = (pid_t)syscall(SYS_gettid);
		signal_requests++;
		break;
	}
}

static void
prepare(struct request *r, int fd, int block, int kind)
{
	memset(&r->cb, 0, sizeof r->cb);
	r->cb.aio_fildes = fd;
	r->cb.aio_buf = r->buffer;
	r->cb.aio_nbytes = BLOCK;
	r->cb.aio_offset = (off_t)block * BLOCK;
	r->block = block;
	r->accepted = false;
	notify(r, kind);
}

/* A refusal: EAGAIN or ENOMEM, and nothing of the request left anywhere. */
static void
refused(struct request *r, int error, const char *call)
{
	refused_count++;
	CHECK(error == EAGAIN || error == ENOMEM, "%s refused with %s", call, strerror(error));
	CHECK(aio_error(&r->cb) != EINPROGRESS, "%s refused, yet its aiocb is in progress", call);
	int rc = aio_cancel(r->cb.aio_fildes, &r->cb);
	CHECK(rc == AIO_ALLDONE, "%s refused, yet aio_cancel returned %d", call, rc);
	r->id = -1;	/* a refused request is never notified */
}

static void
accepted(struct request *r)
{
	r->accepted = true;
	accepted_count++;
}

/* Wait, bounded, until no accepted request of the batch is in progress. */
static void
wait_batch(struct request *rs, int n)
{
	double deadline = now() + WAIT_SECONDS;
	for (;;) {
		const struct aiocb *list[BATCH + 1];
		int pending = 0;
		for (int i = 0; i < n; i++)
			if (rs[i].accepted && aio_error(&rs[i].cb) == EINPROGRESS)
				list[pending++] = &rs[i].cb;
		if (!pending)
			return;
		if (now() > deadline) {
			CHECK(0, "%d requests still in progress after %d s", pending, WAIT_SECONDS);
			fflush(stderr);
			_exit(3);
		}
		struct timespec timeout = { 0, 10 * 1000000L };
		int rc = aio_suspend(list, pending, &timeout);
		if (rc == 0) {
			bool any = false;
			for (int i = 0; i < pending; i++)
				any |= aio_error(list[i]) != EINPROGRESS;
			CHECK(any, "aio_suspend returned 0 with nothing complete");
		} else {
			CHECK(errno == EAGAIN || errno == EINTR, "aio_suspend: %s", strerror(errno));
		}
	}
}

/* Each accepted request: its result, and exactly one notification. */
static void
check_batch(struct request *rs, int n, ssize_t expected, const char *what)
{
	for (int i = 0; i < n; i++) {
		struct request *r = &rs[i];
		if (!r->accepted)
			continue;
		int error = aio_error(&r->cb);
		ssize_t result = aio_return(&r->cb);
		CHECK(error == 0 && result == expected, "%s %d: aio_error %d, aio_return %zd, expected %zd",
		      what, i, error, result, expected);
		if (r->id < 0)
			continue;
		double deadline = now() + 5;
		while (atomic_load(&notes[r->id]) == 0 && now() < deadline && !(flags & MAY_DROP_SIGNALS))
			usleep(1000);
		unsigned got = atomic_load(&notes[r->id]);
		if (flags & MAY_DROP_SIGNALS)
			CHECK(got <= 1, "%s %d: %u notifications", what, i, got);
		else
			CHECK(got == 1, "%s %d: %u notifications, expected 1", what, i, got);
	}
}

static int
submit_list(struct request *rs, int n, int mode, struct sigevent *event, int *list_id)
{
	struct aiocb *list[BATCH];
	for (int i = 0; i < n; i++)
		list[i] = &rs[i].cb;
	int rc = lio_listio(mode, list, n, event);
	int error = errno;
	if (rc == 0 || (rc == -1 && (error == EINTR || error == EIO))) {
		for (int i = 0; i < n; i++) {
			int e = aio_error(&rs[i].cb);
			if (rc == -1 && error == EIO && e != EINPROGRESS && e != 0) {
				/* This entry alone was refused. */
				refused(&rs[i], e, "lio_listio entry");
				continue;
			}
			accepted(&rs[i]);
		}
		if (rc == 0 && mode == LIO_WAIT)
			for (int i = 0; i < n; i++)
				CHECK(aio_error(&rs[i].cb) != EINPROGRESS, "LIO_WAIT returned with entry %d in progress", i);
		return 0;
	}
	for (int i = n - 1; i >= 0; i--)
		refused(&rs[i], error, "lio_listio");
	if (list_id)
		*list_id = -1;
	return -1;
}

static void
round_of(int fd, int pipe_fd[2], int round, bool must_accept)
{
	struct request w[BATCH], r[BATCH], f, fp, pw, pr;
	int how = round % 3;
	unsigned long refused_before = refused_count;

	/* Writes. */
	for (int i = 0; i < BATCH; i++) {
		int block = (round * BATCH + i) % 64;
		prepare(&w[i], fd, block, round + i);
		test_pattern_fill(w[i].buffer, BLOCK, (unsigned)round, (uint64_t)block * BLOCK);
		w[i].cb.aio_lio_opcode = LIO_WRITE;
	}
	int list_id = -1;
	if (how == 0) {
		for (int i = 0; i < BATCH; i++) {
			if (aio_write(&w[i].cb) == 0)
				accepted(&w[i]);
			else
				refused(&w[i], errno, "aio_write");
		}
	} else {
		struct sigevent event = { .sigev_notify = SIGEV_NONE };
		if (how == 2 && next_id < MAX_IDS) {
			list_id = next_id++;
			atomic_store(&notes[list_id], 0);
			event.sigev_notify = SIGEV_THREAD;
			event.sigev_notify_function = on_thread;
			event.sigev_value.sival_int = list_id;
		}
		submit_list(w, BATCH, how == 1 ? LIO_WAIT : LIO_NOWAIT, &event, &list_id);
	}
	prepare(&f, fd, 0, round + 1);
	f.cb.aio_nbytes = 0;
	if (aio_fsync(round % 2 ? O_DSYNC : O_SYNC, &f.cb) == 0)
		accepted(&f);
	else
		refused(&f, errno, "aio_fsync");
	wait_batch(w, BATCH);
	wait_batch(&f, 1);
	check_batch(w, BATCH, BLOCK, "write");
	check_batch(&f, 1, 0, "fsync");
	if (list_id >= 0) {
		double deadline = now() + 5;
		while (atomic_load(&notes[list_id]) == 0 && now() < deadline)
			usleep(1000);
		CHECK(atomic_load(&notes[list_id]) == 1, "lio_listio notification arrived %u times",
		      atomic_load(&notes[list_id]));
	}

	/* Reads of the same blocks: what each write left, or zeros where it was
	 * refused (the file starts empty and each block is written once per
	 * phase; see main). */
	for (int i = 0; i < BATCH; i++) {
		prepare(&r[i], fd, w[i].block, round + i + 2);
		memset(r[i].buffer, 0xee, BLOCK);
		r[i].cb.aio_lio_opcode = LIO_READ;
	}
	if (how == 1) {
		for (int i = 0; i < BATCH; i++) {
			if (aio_read(&r[i].cb) == 0)
				accepted(&r[i]);
			else
				refused(&r[i], errno, "aio_read");
		}
	} else {
		submit_list(r, BATCH, how == 0 ? LIO_WAIT : LIO_NOWAIT, NULL, NULL);
	}
	wait_batch(r, BATCH);
	check_batch(r, BATCH, BLOCK, "read");
	for (int i = 0; i < BATCH; i++) {
		if (!r[i].accepted || aio_error(&r[i].cb) != 0)
			continue;
		if (w[i].accepted)
			CHECK(test_pattern_check(r[i].buffer, BLOCK, (unsigned)round, (uint64_t)w[i].block * BLOCK),
			      "read %d: not the data written", i);
	}

	/* A read at the file position, which the ring declines: it needs a
	 * worker, or the flushing thread, on every backend. */
	prepare(&fp, fd, 0, round + 4);
	if (aio_read2(&fp.cb, AIO_OP2_FOFFSET) == 0)
		accepted(&fp);
	else
		refused(&fp, errno, "aio_read2 at the file position");
	wait_batch(&fp, 1);
	check_batch(&fp, 1, BLOCK, "read at the file position");

	/* A pipe: a write, then a read of it. */
	prepare(&pw, pipe_fd[1], 0, round + 3);
	pw.cb.aio_offset = 0;
	test_pattern_fill(pw.buffer, BLOCK, 77, (uint64_t)round);
	if (aio_write(&pw.cb) == 0) {
		accepted(&pw);
		wait_batch(&pw, 1);
		check_batch(&pw, 1, BLOCK, "pipe write");
		prepare(&pr, pipe_fd[0], 0, round);
		pr.cb.aio_offset = 0;
		if (aio_read(&pr.cb) == 0) {
			accepted(&pr);
		} else {
			refused(&pr, errno, "aio_read of a pipe");
			/* Read it ourselves, so the next round starts empty. */
			CHECK(read(pipe_fd[0], pr.buffer, BLOCK) == BLOCK, "draining the pipe");
			pr.accepted = false;
		}
		wait_batch(&pr, 1);
		check_batch(&pr, 1, BLOCK, "pipe read");
		if (pr.accepted)
			CHECK(test_pattern_check(pr.buffer, BLOCK, 77, (uint64_t)round), "pipe data");
	} else {
		refused(&pw, errno, "aio_write of a pipe");
	}
	if (must_accept)
		CHECK(refused_count == refused_before, "round %d: %lu refusals after the faults stopped",
		      round, refused_count - refused_before);
}

static int
workload(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_sigaction = on_signal;
	sa.sa_flags = SA_SIGINFO | SA_RESTART;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGRTMIN + 1, &sa, NULL);

	int pipe_fd[2];
	if (pipe(pipe_fd) != 0)
		return 2;
	for (int phase = 0; phase < 2; phase++) {
		if (phase == 1 && !(flags & RECOVERS))
			break;
		char path[] = "/tmp/aio-posix-faults-XXXXXX";
		int fd = mkstemp(path);
		if (fd < 0 || ftruncate(fd, 64 * BLOCK) != 0)
			return 2;
		unlink(path);
		for (int round = 0; round < ROUNDS; round++) {
			/* Each block once per file: zeros until written. */
			if (round > 0 && round % (64 / BATCH) == 0) {
				close(fd);
				char again[] = "/tmp/aio-posix-faults-XXXXXX";
				fd = mkstemp(again);
				unlink(again);
				if (fd < 0 || ftruncate(fd, 64 * BLOCK) != 0)
					return 2;
			}
			round_of(fd, pipe_fd, round, phase == 1);
		}
		close(fd);
	}

	/* The library's count agrees: everything accepted finished, nothing
	 * refused was counted, nothing is in flight. */
	struct aio_posix_stats st;
	double deadline = now() + 10;
	do {
		aio_posix_get_stats(&st, sizeof st);
		if (st.in_flight == 0 && st.completed + st.cancelled >= accepted_count)
			break;
		usleep(1000);
	} while (now() < deadline);
	CHECK(st.in_flight == 0, "the library counts %llu requests in flight", st.in_flight);
	CHECK(st.completed + st.cancelled == accepted_count,
	      "the library finished %llu requests, %lu were accepted", st.completed + st.cancelled,
	      accepted_count);
	CHECK(st.reads + st.writes + st.syncs == accepted_count,
	      "the library admitted %llu requests, %lu were accepted", st.reads + st.writes + st.syncs,
	      accepted_count);
	printf("test-faults: AIO_POSIX_FAULTS=%s: %lu accepted, %lu refused, %d failures\n",
	       getenv("AIO_POSIX_FAULTS") ? getenv("AIO_POSIX_FAULTS") : "", accepted_count, refused_count,
	       failures);
	return failures ? 1 : 0;
}

/* --- the test cases (parent side) ----------------------------------------------- */

struct fault_case {
	const char *faults;
	const char *backend;	/* AIO_POSIX_BACKEND, or NULL */
	int flags;
};

static const struct fault_case cases[] = {
	{ "thread_create=once:1", NULL, RECOVERS },
	{ "thread_create=once:2", NULL, RECOVERS },
	{ "thread_create=every:2", NULL, 0 },
	{ "thread_create=every:3", NULL, 0 },
	{ "thread_create=after:1", NULL, 0 },	/* one worker, ever */
	{ "thread_create=after:0", NULL, 0 },	/* no thread at all: all refused */
	{ "alloc=once:1", NULL, RECOVERS },
	{ "alloc=once:7", NULL, RECOVERS },
	{ "alloc=every:2", NULL, 0 },
	{ "alloc=every:5", NULL, 0 },
	{ "alloc=after:30", NULL, 0 },
	{ "signal_queue=once:1", NULL, RECOVERS },
	{ "signal_queue=every:2", NULL, 0 },
	{ "signal_queue=every:10", NULL, 0 },
	{ "signal_queue=after:2", NULL, MAY_DROP_SIGNALS | FEW_SIGNALS },
	{ "futex_wait=once:1", NULL, RECOVERS },
	{ "futex_wait=every:2", NULL, 0 },
	{ "futex_wait=every:1", NULL, 0 },
	{ "uring_setup=once:1", "uring", RECOVERS },
	{ "uring_setup=after:0", "uring", 0 },
	{ "uring_submit=once:1", "uring", RECOVERS },
	{ "uring_submit=every:2", "uring", 0 },
	{ "uring_submit=every:2", "auto", 0 },
	{ "thread_create=every:3,alloc=every:7,signal_queue=every:4,futex_wait=every:2", NULL, 0 },
	{ "thread_create=every:3,alloc=every:7,uring_setup=every:2,uring_submit=every:3", "auto", 0 },
};

START_TEST(fault_case)
{
	const struct fault_case *c = &cases[_i];
	char flag_text[16];
	snprintf(flag_text, sizeof flag_text, "%d", c->flags);
	fflush(stdout);
	pid_t pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		setenv("AIO_POSIX_FAULTS", c->faults, 1);
		if (c->backend)
			setenv("AIO_POSIX_BACKEND", c->backend, 1);
		execl("/proc/self/exe", "test-faults", "--workload", flag_text, (char *)NULL);
		_exit(127);
	}
	double deadline = now() + CASE_SECONDS;
	int status;
	for (;;) {
		pid_t done = waitpid(pid, &status, WNOHANG);
		ck_assert_int_ge(done, 0);
		if (done == pid)
			break;
		if (now() > deadline) {
			kill(pid, SIGKILL);
			waitpid(pid, &status, 0);
			ck_abort_msg("AIO_POSIX_FAULTS=%s: the workload hung (killed after %d s)", c->faults,
				     CASE_SECONDS);
		}
		usleep(10000);
	}
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
		      "AIO_POSIX_FAULTS=%s%s%s: the workload failed (status %#x; see its messages above)",
		      c->faults, c->backend ? " AIO_POSIX_BACKEND=" : "", c->backend ? c->backend : "", status);
}
END_TEST

int
main(int argc, char **argv)
{
	if (argc == 3 && strcmp(argv[1], "--workload") == 0) {
		flags = atoi(argv[2]);
		return workload();
	}
	Suite *s = suite_create("faults");
	TCase *tc = tcase_create("fault points");
	tcase_set_timeout(tc, CASE_SECONDS + 30);
	tcase_add_loop_test(tc, fault_case, 0, (int)(sizeof cases / sizeof cases[0]));
	suite_add_tcase(s, tc);
	return test_run_suite(s);
}
