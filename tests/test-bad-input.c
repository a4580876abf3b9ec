/* test-bad-input: every invalid argument of every entry point gets its POSIX
 * answer, and the library keeps working after each.
 *
 * The first test case is a table: each invalid aiocb field (the mutations
 * below) is tried on each entry point that takes an aiocb (aio_read,
 * aio_write, aio_fsync with O_SYNC and O_DSYNC, and as an entry of a
 * lio_listio list with LIO_WAIT and LIO_NOWAIT).  A field the submission must
 * refuse is refused with its errno and leaves nothing queued; inside a list
 * the entry reports that errno through aio_error and the call fails with
 * EIO while the list's valid entry still runs.  A field the kernel judges
 * (bad fd, wrong access mode, bad buffer, huge offset) is accepted and
 * reported through aio_error, and the request completes: it never hangs.
 * The other cases cover the arguments that are not aiocb fields: NULL
 * pointers, aio_fsync's op, aio_cancel's fd, aio_suspend's list and
 * timeout, lio_listio's mode, count and list, the same aiocb twice in one
 * list, an aiocb resubmitted while in flight, a freed and reused aiocb, and
 * an fd closed and reused while a request on it waits.
 *
 * Every test ends with library_works(): a write and a read back, verified,
 * and nothing left in flight.  Each test runs in its own child (Check's fork
 * mode); none depends on that, so CK_FORK=no works too (valgrind). */
#define _GNU_SOURCE
#include "testutil.h"

#include <aio-posix.h>
#include <limits.h>
#include <stdbool.h>
#include <sys/stat.h>
#include <pthread.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/syscall.h>

#ifndef sigev_notify_thread_id
#define sigev_notify_thread_id _sigev_un._tid
#endif

#if defined(__has_include)
#if __has_include(<valgrind/valgrind.h>)
#include <valgrind/valgrind.h>
#endif
#endif
#ifndef RUNNING_ON_VALGRIND
#define RUNNING_ON_VALGRIND 0
#endif

#define WAIT_SECONDS 10		/* longest a request may take to complete */
#define FILE_SIZE 8192
#define LENGTH 512

/* --- helpers ---------------------------------------------------------------- */

static double
now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Wait for cb to complete, with a bound: a request that never completes is a
 * hang, and fails the test with a message instead of Check's timeout. */
static int
wait_bounded(const struct aiocb *cb)
{
	const struct aiocb *list[1] = { cb };
	double deadline = now() + WAIT_SECONDS;
	while (aio_error(cb) == EINPROGRESS) {
		ck_assert_msg(now() < deadline, "request still in progress after %d s", WAIT_SECONDS);
		struct timespec ts = { 0, 50 * 1000000L };
		int rc = aio_suspend(list, 1, &ts);
		ck_assert_msg(rc == 0 || errno == EAGAIN || errno == EINTR, "aio_suspend: %s",
			      strerror(errno));
	}
	return aio_error(cb);
}

/* Nothing of ours is in flight any more (the statistics lag completion by a
 * moment, so wait for them). */
static void
nothing_in_flight(void)
{
	struct aio_posix_stats st;
	double deadline = now() + WAIT_SECONDS;
	for (;;) {
		ck_assert_int_eq(aio_posix_get_stats(&st, sizeof st), 0);
		if (st.in_flight == 0)
			return;
		ck_assert_msg(now() < deadline, "%llu requests still in flight", st.in_flight);
		struct timespec ts = { 0, 1000000L };
		nanosleep(&ts, NULL);
	}
}

/* The library still works: a write and a read back, through aio_write,
 * lio_listio and aio_read, and nothing is left in flight. */
static void
library_works(void)
{
	int fd = test_temp_file();
	unsigned char out[LENGTH], in[LENGTH];
	test_pattern_fill(out, sizeof out, 99, 0);
	struct aiocb w, r;
	test_prepare(&w, fd, out, sizeof out, 0);
	ck_assert_msg(aio_write(&w) == 0, "aio_write after the bad input: %s", strerror(errno));
	ck_assert_int_eq(wait_bounded(&w), 0);
	ck_assert_int_eq(aio_return(&w), LENGTH);
	memset(in, 0, sizeof in);
	test_prepare(&r, fd, in, sizeof in, 0);
	r.aio_lio_opcode = LIO_READ;
	struct aiocb *list[1] = { &r };
	ck_assert_msg(lio_listio(LIO_WAIT, list, 1, NULL) == 0, "lio_listio after the bad input: %s",
		      strerror(errno));
	ck_assert_int_eq(aio_error(&r), 0);
	ck_assert_int_eq(aio_return(&r), LENGTH);
	ck_assert(test_pattern_check(in, sizeof in, 99, 0));
	memset(in, 0, sizeof in);
	test_prepare(&r, fd, in, sizeof in, 0);
	ck_assert_int_eq(aio_read(&r), 0);
	ck_assert_int_eq(wait_bounded(&r), 0);
	ck_assert_int_eq(aio_return(&r), LENGTH);
	ck_assert(test_pattern_check(in, sizeof in, 99, 0));
	close(fd);
	nothing_in_flight();
}

/* A request that stays in flight until release_blocker(): a read on an empty
 * socket (read-write, so aio_fsync accepts the fd too). */
struct blocker {
	int sv[2];
	struct aiocb cb;
	char buffer[16];
};

static void
start_blocker(struct blocker *b)
{
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, b->sv), 0);
	test_prepare(&b->cb, b->sv[0], b->buffer, sizeof b->buffer, 0);
	ck_assert_int_eq(aio_read(&b->cb), 0);
	ck_assert_int_eq(aio_error(&b->cb), EINPROGRESS);
}

static void
release_blocker(struct blocker *b)
{
	ck_assert_int_eq(write(b->sv[1], "released", 8), 8);
	ck_assert_int_eq(wait_bounded(&b->cb), 0);
	ck_assert_int_eq(aio_return(&b->cb), 8);
	ck_assert_int_eq(memcmp(b->buffer, "released", 8), 0);
	close(b->sv[0]);
	close(b->sv[1]);
}

/* --- the table: aiocb fields x entry points -------------------------------- */

struct fixture {
	int rw, rdonly, wronly, closed;
	unsigned char buffer[LENGTH];
	pid_t foreign_tid;		/* a thread of another process: our parent */
};

static struct fixture fx;

/* What an entry point must do with a mutated aiocb. */
enum { NA = -1000, ANY_COMPLETION = -1001 };
#define REFUSE(e) (-(e))	/* -1 with errno e at submission */
#define ACCEPT(e) (e)		/* accepted; aio_error then e */

struct mutation {
	const char *name;
	void (*apply)(struct aiocb *cb);
	int on_read, on_write, on_fsync;	/* lio entries use on_read/on_write */
};

static void m_negative_offset(struct aiocb *cb) { cb->aio_offset = -1; }
/* The extremes of this build's off_t: 32 bits in a plain ILP32 build. */
#define OFF_T_MAX (sizeof(off_t) == 8 ? (off_t)LLONG_MAX : (off_t)INT_MAX)
#define OFF_T_MIN (-OFF_T_MAX - 1)
static void m_min_offset(struct aiocb *cb) { cb->aio_offset = OFF_T_MIN; }
static void m_huge_nbytes(struct aiocb *cb) { cb->aio_nbytes = (size_t)SSIZE_MAX + 1; }
static void m_max_nbytes(struct aiocb *cb) { cb->aio_nbytes = SIZE_MAX; }
static void m_reqprio_negative(struct aiocb *cb) { cb->aio_reqprio = -1; }
static void m_reqprio_21(struct aiocb *cb) { cb->aio_reqprio = AIO_PRIO_DELTA_MAX + 1; }
static void m_reqprio_min(struct aiocb *cb) { cb->aio_reqprio = INT_MIN; }
static void m_reqprio_max(struct aiocb *cb) { cb->aio_reqprio = INT_MAX; }
static void m_notify_99(struct aiocb *cb) { cb->aio_sigevent.sigev_notify = 99; }
static void m_notify_negative(struct aiocb *cb) { cb->aio_sigevent.sigev_notify = -1; }
static void
m_signal_negative(struct aiocb *cb)
{
	cb->aio_sigevent.sigev_notify = SIGEV_SIGNAL;
	cb->aio_sigevent.sigev_signo = -1;
}
static void
m_signal_65(struct aiocb *cb)
{
	cb->aio_sigevent.sigev_notify = SIGEV_SIGNAL;
	cb->aio_sigevent.sigev_signo = 65;
}
static void
m_signal_huge(struct aiocb *cb)
{
	cb->aio_sigevent.sigev_notify = SIGEV_SIGNAL;
	cb->aio_sigevent.sigev_signo = INT_MAX;
}
static void
m_thread_null_function(struct aiocb *cb)
{
	cb->aio_sigevent.sigev_notify = SIGEV_THREAD;
	cb->aio_sigevent.sigev_notify_function = NULL;
}
static void
m_thread_id_foreign(struct aiocb *cb)
{
	cb->aio_sigevent.sigev_notify = SIGEV_THREAD_ID;
	cb->aio_sigevent.sigev_signo = SIGUSR2;
	cb->aio_sigevent.sigev_notify_thread_id = fx.foreign_tid;
}
static void
m_thread_id_zero(struct aiocb *cb)
{
	cb->aio_sigevent.sigev_notify = SIGEV_THREAD_ID;
	cb->aio_sigevent.sigev_signo = SIGUSR2;
	cb->aio_sigevent.sigev_notify_thread_id = 0;
}
static void
m_thread_id_bad_signal(struct aiocb *cb)
{
	cb->aio_sigevent.sigev_notify = SIGEV_THREAD_ID;
	cb->aio_sigevent.sigev_signo = 65;
	cb->aio_sigevent.sigev_notify_thread_id = (pid_t)syscall(SYS_gettid);
}
static void m_fd_minus_one(struct aiocb *cb) { cb->aio_fildes = -1; }
static void m_fd_closed(struct aiocb *cb) { cb->aio_fildes = fx.closed; }
static void m_fd_huge(struct aiocb *cb) { cb->aio_fildes = INT_MAX; }
static void m_fd_read_only(struct aiocb *cb) { cb->aio_fildes = fx.rdonly; }
static void m_fd_write_only(struct aiocb *cb) { cb->aio_fildes = fx.wronly; }
static void m_buffer_one(struct aiocb *cb) { cb->aio_buf = (void *)1; }
static void m_huge_offset(struct aiocb *cb) { cb->aio_offset = OFF_T_MAX - 100; }
static void m_offset_past_end(struct aiocb *cb) { cb->aio_offset = 1LL << 40; }

static const struct mutation mutations[] = {
	{ "negative aio_offset", m_negative_offset, REFUSE(EINVAL), REFUSE(EINVAL), NA },
	{ "aio_offset: off_t's least", m_min_offset, REFUSE(EINVAL), REFUSE(EINVAL), NA },
	{ "aio_nbytes SSIZE_MAX+1", m_huge_nbytes, REFUSE(EINVAL), REFUSE(EINVAL), NA },
	{ "aio_nbytes SIZE_MAX", m_max_nbytes, REFUSE(EINVAL), REFUSE(EINVAL), NA },
	/* aio_fsync ignores aio_reqprio: POSIX uses only aio_fildes and
	 * aio_sigevent there. */
	{ "aio_reqprio -1", m_reqprio_negative, REFUSE(EINVAL), REFUSE(EINVAL), ACCEPT(0) },
	{ "aio_reqprio 21", m_reqprio_21, REFUSE(EINVAL), REFUSE(EINVAL), ACCEPT(0) },
	{ "aio_reqprio INT_MIN", m_reqprio_min, REFUSE(EINVAL), REFUSE(EINVAL), ACCEPT(0) },
	{ "aio_reqprio INT_MAX", m_reqprio_max, REFUSE(EINVAL), REFUSE(EINVAL), ACCEPT(0) },
	{ "sigev_notify 99", m_notify_99, REFUSE(EINVAL), REFUSE(EINVAL), REFUSE(EINVAL) },
	{ "sigev_notify -1", m_notify_negative, REFUSE(EINVAL), REFUSE(EINVAL), REFUSE(EINVAL) },
	{ "SIGEV_SIGNAL signal -1", m_signal_negative, REFUSE(EINVAL), REFUSE(EINVAL), REFUSE(EINVAL) },
	{ "SIGEV_SIGNAL signal 65", m_signal_65, REFUSE(EINVAL), REFUSE(EINVAL), REFUSE(EINVAL) },
	{ "SIGEV_SIGNAL signal INT_MAX", m_signal_huge, REFUSE(EINVAL), REFUSE(EINVAL), REFUSE(EINVAL) },
	{ "SIGEV_THREAD NULL function", m_thread_null_function, REFUSE(EINVAL), REFUSE(EINVAL),
	  REFUSE(EINVAL) },
	{ "SIGEV_THREAD_ID thread of another process", m_thread_id_foreign, REFUSE(EINVAL),
	  REFUSE(EINVAL), REFUSE(EINVAL) },
	{ "SIGEV_THREAD_ID thread 0", m_thread_id_zero, REFUSE(EINVAL), REFUSE(EINVAL), REFUSE(EINVAL) },
	{ "SIGEV_THREAD_ID signal 65", m_thread_id_bad_signal, REFUSE(EINVAL), REFUSE(EINVAL),
	  REFUSE(EINVAL) },
	{ "fd -1", m_fd_minus_one, ACCEPT(EBADF), ACCEPT(EBADF), REFUSE(EBADF) },
	{ "closed fd", m_fd_closed, ACCEPT(EBADF), ACCEPT(EBADF), REFUSE(EBADF) },
	{ "fd INT_MAX", m_fd_huge, ACCEPT(EBADF), ACCEPT(EBADF), REFUSE(EBADF) },
	{ "read-only fd", m_fd_read_only, ACCEPT(0), ACCEPT(EBADF), REFUSE(EBADF) },
	{ "write-only fd", m_fd_write_only, ACCEPT(EBADF), ACCEPT(0), ACCEPT(0) },
	{ "aio_buf (void *)1", m_buffer_one, ACCEPT(EFAULT), ACCEPT(EFAULT), NA },
	{ "aio_offset: off_t's most - 100", m_huge_offset, ANY_COMPLETION, ANY_COMPLETION, NA },
	{ "aio_offset 1 TiB", m_offset_past_end, ACCEPT(0), ANY_COMPLETION, NA },
};

enum entry { E_READ, E_WRITE, E_FSYNC, E_FDATASYNC, E_LIO_WAIT_READ, E_LIO_WAIT_WRITE,
	     E_LIO_NOWAIT_READ, E_LIO_NOWAIT_WRITE, ENTRIES };
static const char *const entry_name[] = {
	"aio_read", "aio_write", "aio_fsync(O_SYNC)", "aio_fsync(O_DSYNC)",
	"lio_listio(LIO_WAIT) read entry", "lio_listio(LIO_WAIT) write entry",
	"lio_listio(LIO_NOWAIT) read entry", "lio_listio(LIO_NOWAIT) write entry",
};

static int
expectation(const struct mutation *m, enum entry e)
{
	switch (e) {
	case E_READ: case E_LIO_WAIT_READ: case E_LIO_NOWAIT_READ:
		return m->on_read;
	case E_WRITE: case E_LIO_WAIT_WRITE: case E_LIO_NOWAIT_WRITE:
		return m->on_write;
	default:
		return m->on_fsync;
	}
}

struct row {
	const struct mutation *mutation;
	enum entry entry;
};

static struct row rows[sizeof mutations / sizeof mutations[0] * ENTRIES];
static int row_count;

static void
build_rows(void)
{
	for (size_t m = 0; m < sizeof mutations / sizeof mutations[0]; m++)
		for (int e = 0; e < ENTRIES; e++)
			if (expectation(&mutations[m], (enum entry)e) != NA)
				rows[row_count++] = (struct row){ &mutations[m], (enum entry)e };
}

static void
fixture_setup(void)
{
	char path[] = "/tmp/aio-posix-bad-input-XXXXXX";
	fx.rw = mkstemp(path);
	ck_assert_int_ge(fx.rw, 0);
	unsigned char data[FILE_SIZE];
	test_pattern_fill(data, sizeof data, 5, 0);
	ck_assert_int_eq(pwrite(fx.rw, data, sizeof data, 0), FILE_SIZE);
	fx.rdonly = open(path, O_RDONLY);
	fx.wronly = open(path, O_WRONLY);
	ck_assert_int_ge(fx.rdonly, 0);
	ck_assert_int_ge(fx.wronly, 0);
	unlink(path);
	/* A closed number well above what anything will open meanwhile. */
	int high = fcntl(fx.rw, F_DUPFD, 900);
	ck_assert_int_ge(high, 900);
	close(high);
	fx.closed = high;
	/* A thread id that is not ours: our parent's (Check's runner, or
	 * whatever started us), alive for the whole test. */
	fx.foreign_tid = getppid();
	ck_assert_int_gt(fx.foreign_tid, 1);
}

static void
fixture_teardown(void)
{
	close(fx.rw);
	close(fx.rdonly);
	close(fx.wronly);
}

static bool
is_read(enum entry e)
{
	return e == E_READ || e == E_LIO_WAIT_READ || e == E_LIO_NOWAIT_READ;
}

/* After a completion the kernel judged: what it may say for a huge offset. */
static void
check_completion(const struct aiocb *cb, int expected, const char *what)
{
	int error = wait_bounded(cb);
	ssize_t result = aio_return((struct aiocb *)cb);
	if (expected == ANY_COMPLETION) {
		ck_assert_msg(error == 0 || error == EINVAL || error == EFBIG || error == EOVERFLOW ||
			      error == ENOSPC, "%s: aio_error %d (%s)", what, error, strerror(error));
		if (error == 0)
			ck_assert_msg(result >= 0 && result <= LENGTH, "%s: aio_return %zd", what, result);
		else
			ck_assert_int_eq(result, -1);
		return;
	}
	ck_assert_msg(error == expected, "%s: aio_error %d (%s), expected %d (%s)", what, error,
		      strerror(error), expected, strerror(expected));
	if (expected == 0)
		ck_assert_msg(result >= 0 && result <= LENGTH, "%s: aio_return %zd", what, result);
	else
		ck_assert_msg(result == -1, "%s: aio_return %zd after an error", what, result);
}

START_TEST(invalid_field)
{
	const struct row *row = &rows[_i];
	const struct mutation *m = row->mutation;
	enum entry e = row->entry;
	int expected = expectation(m, e);
	char what[160];
	snprintf(what, sizeof what, "%s with %s", entry_name[e], m->name);

	/* Memcheck rightly reports a system call given an unmapped buffer; here
	 * that is the point of the row (the kernel answers EFAULT), so under
	 * valgrind it is left out rather than suppressed for everyone. */
	if (m->apply == m_buffer_one && RUNNING_ON_VALGRIND) {
		printf("note: %s skipped under valgrind\n", what);
		library_works();
		return;
	}

	struct aiocb cb;
	test_prepare(&cb, fx.rw, fx.buffer, LENGTH, 0);
	if (e == E_FSYNC || e == E_FDATASYNC)
		cb.aio_nbytes = 0;
	m->apply(&cb);

	if (e <= E_FDATASYNC) {
		errno = 0;
		int rc = e == E_READ ? aio_read(&cb) : e == E_WRITE ? aio_write(&cb) :
			 aio_fsync(e == E_FSYNC ? O_SYNC : O_DSYNC, &cb);
		int error = errno;
		if (expected < 0 && expected > NA) {
			ck_assert_msg(rc == -1 && error == -expected, "%s: returned %d, errno %d (%s); "
				      "expected -1 and %s", what, rc, error, strerror(error),
				      strerror(-expected));
			/* Refused: nothing half-queued. */
			ck_assert_msg(aio_error(&cb) != EINPROGRESS, "%s: refused, yet in progress", what);
			ck_assert_int_eq(aio_cancel(fx.rw, NULL), AIO_ALLDONE);
		} else {
			ck_assert_msg(rc == 0, "%s: refused with %s; it should be accepted", what,
				      strerror(error));
			check_completion(&cb, expected, what);
		}
	} else {
		/* In a list beside a valid request, which must run regardless. */
		unsigned char good_buffer[LENGTH];
		struct aiocb good;
		test_prepare(&good, fx.rw, good_buffer, LENGTH, LENGTH);
		good.aio_lio_opcode = LIO_READ;
		cb.aio_lio_opcode = is_read(e) ? LIO_READ : LIO_WRITE;
		struct aiocb *list[2] = { &cb, &good };
		int mode = e == E_LIO_WAIT_READ || e == E_LIO_WAIT_WRITE ? LIO_WAIT : LIO_NOWAIT;
		errno = 0;
		int rc = lio_listio(mode, list, 2, NULL);
		int error = errno;
		bool entry_fails = expected < 0 && expected > NA;
		bool may_fail = entry_fails || expected == ANY_COMPLETION || expected > 0;
		if (entry_fails || (mode == LIO_WAIT && expected > 0))
			ck_assert_msg(rc == -1 && error == EIO, "%s: lio_listio returned %d, errno %d (%s); "
				      "expected -1 and EIO", what, rc, error, strerror(error));
		else if (!may_fail || mode == LIO_NOWAIT)
			ck_assert_msg(rc == 0, "%s: lio_listio returned %d, errno %d (%s)", what, rc, error,
				      strerror(error));
		else
			ck_assert_msg(rc == 0 || error == EIO, "%s: lio_listio returned %d, errno %s", what,
				      rc, strerror(error));
		if (entry_fails) {
			ck_assert_msg(aio_error(&cb) == -expected, "%s: the entry's aio_error is %d, expected %d",
				      what, aio_error(&cb), -expected);
			ck_assert_int_eq(aio_return(&cb), -1);
		} else {
			check_completion(&cb, expected, what);
		}
		ck_assert_int_eq(wait_bounded(&good), 0);
		ck_assert_int_eq(aio_return(&good), LENGTH);
	}
	library_works();
}
END_TEST

/* --- arguments that are not aiocb fields ------------------------------------- */

START_TEST(null_aiocb_everywhere)
{
	errno = 0;
	ck_assert_int_eq(read_p(null_aiocb), -1);
	ck_assert_int_eq(errno, EINVAL);
	errno = 0;
	ck_assert_int_eq(write_p(null_aiocb), -1);
	ck_assert_int_eq(errno, EINVAL);
	errno = 0;
	ck_assert_int_eq(fsync_p(O_SYNC, null_aiocb), -1);
	ck_assert_int_eq(errno, EINVAL);
	errno = 0;
	ck_assert_int_eq(error_p(null_aiocb), -1);
	ck_assert_int_eq(errno, EINVAL);
	errno = 0;
	ck_assert_int_eq(return_p(null_aiocb), -1);
	ck_assert_int_eq(errno, EINVAL);
	/* The *64 names are the same functions. */
	errno = 0;
	ck_assert_int_eq(read64_p(null_aiocb64), -1);
	ck_assert_int_eq(errno, EINVAL);
	errno = 0;
	ck_assert_int_eq(error64_p(null_aiocb64), -1);
	ck_assert_int_eq(errno, EINVAL);
	/* aio_cancel with NULL means every request on the fd: not an error. */
	ck_assert_int_eq(aio_cancel(fx.rw, NULL), AIO_ALLDONE);
	library_works();
}
END_TEST

START_TEST(fsync_bad_operation)
{
	static const int ops[] = { 0, -1, O_RDWR, O_APPEND, O_NONBLOCK, 42, INT_MAX };
	for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++) {
		struct aiocb cb;
		test_prepare(&cb, fx.rw, NULL, 0, 0);
		errno = 0;
		ck_assert_msg(aio_fsync(ops[i], &cb) == -1 && errno == EINVAL,
			      "aio_fsync(%#x): errno %d", ops[i], errno);
		ck_assert_int_ne(aio_error(&cb), EINPROGRESS);
	}
	ck_assert_int_eq(aio_cancel(fx.rw, NULL), AIO_ALLDONE);
	library_works();
}
END_TEST

START_TEST(error_and_return_of_never_submitted)
{
	struct aiocb cb;
	memset(&cb, 0, sizeof cb);
	errno = 0;
	ck_assert_int_eq(aio_error(&cb), -1);
	ck_assert_int_eq(errno, EINVAL);
	errno = 0;
	ck_assert_int_eq(aio_return(&cb), -1);
	ck_assert_int_eq(errno, EINVAL);
	memset(&cb, 0xff, sizeof cb);
	errno = 0;
	ck_assert_int_eq(aio_error(&cb), -1);
	ck_assert_int_eq(errno, EINVAL);
	errno = 0;
	ck_assert_int_eq(aio_return(&cb), -1);
	ck_assert_int_eq(errno, EINVAL);
	/* A copy of a finished aiocb, elsewhere in memory, was never submitted. */
	struct aiocb done, copy;
	test_prepare(&done, fx.rw, fx.buffer, LENGTH, 0);
	ck_assert_int_eq(aio_read(&done), 0);
	ck_assert_int_eq(wait_bounded(&done), 0);
	memcpy(&copy, &done, sizeof copy);
	errno = 0;
	ck_assert_int_eq(aio_error(&copy), -1);
	ck_assert_int_eq(errno, EINVAL);
	library_works();
}
END_TEST

START_TEST(cancel_bad_arguments)
{
	struct aiocb cb;
	test_prepare(&cb, fx.rw, fx.buffer, LENGTH, 0);
	static const int bad[] = { -1, INT_MIN, INT_MAX };
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		errno = 0;
		ck_assert_int_eq(aio_cancel(bad[i], NULL), -1);
		ck_assert_int_eq(errno, EBADF);
		errno = 0;
		ck_assert_int_eq(aio_cancel(bad[i], &cb), -1);
		ck_assert_int_eq(errno, EBADF);
	}
	errno = 0;
	ck_assert_int_eq(aio_cancel(fx.closed, NULL), -1);
	ck_assert_int_eq(errno, EBADF);
	/* aio_fildes is not the fd named: EINVAL, and the request goes on. */
	struct blocker b;
	start_blocker(&b);
	errno = 0;
	ck_assert_int_eq(aio_cancel(fx.rw, &b.cb), -1);
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_int_eq(aio_error(&b.cb), EINPROGRESS);
	release_blocker(&b);
	library_works();
}
END_TEST

START_TEST(suspend_bad_arguments)
{
	struct blocker b;
	start_blocker(&b);
	const struct aiocb *list[1] = { &b.cb };
	errno = 0;
	ck_assert_int_eq(aio_suspend(list, -1, NULL), -1);
	ck_assert_int_eq(errno, EINVAL);
	errno = 0;
	ck_assert_int_eq(aio_suspend(list, INT_MIN, NULL), -1);
	ck_assert_int_eq(errno, EINVAL);
	errno = 0;
	ck_assert_int_eq(suspend_p(null_const_list, 1, NULL), -1);
	ck_assert_int_eq(errno, EINVAL);
	static const struct timespec bad[] = {
		{ 0, -1 }, { 0, 1000000000L }, { -1, 0 }, { 0, LONG_MAX }, { LONG_MIN, 0 },
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		errno = 0;
		ck_assert_msg(aio_suspend(list, 1, &bad[i]) == -1 && errno == EINVAL,
			      "timeout {%ld, %ld}: errno %d", (long)bad[i].tv_sec, bad[i].tv_nsec, errno);
	}
	/* nent 0 and a list of NULLs have nothing to wait for. */
	ck_assert_int_eq(suspend_p(null_const_list, 0, NULL), 0);
	const struct aiocb *nulls[2] = { NULL, NULL };
	struct timespec short_wait = { 0, 1000000L };
	int rc = aio_suspend(nulls, 2, &short_wait);
	ck_assert_msg(rc == 0 || errno == EAGAIN, "aio_suspend of NULLs: %s", strerror(errno));
	ck_assert_int_eq(aio_error(&b.cb), EINPROGRESS);
	release_blocker(&b);
	library_works();
}
END_TEST

START_TEST(listio_bad_arguments)
{
	struct aiocb cb;
	test_prepare(&cb, fx.rw, fx.buffer, LENGTH, 0);
	cb.aio_lio_opcode = LIO_READ;
	struct aiocb *list[1] = { &cb };
	static const int modes[] = { -1, 2, 42, INT_MIN };
	for (size_t i = 0; i < sizeof modes / sizeof modes[0]; i++) {
		errno = 0;
		ck_assert_int_eq(lio_listio(modes[i], list, 1, NULL), -1);
		ck_assert_int_eq(errno, EINVAL);
		ck_assert_int_ne(aio_error(&cb), EINPROGRESS);
	}
	errno = 0;
	ck_assert_int_eq(lio_listio(LIO_WAIT, list, -1, NULL), -1);
	ck_assert_int_eq(errno, EINVAL);
	errno = 0;
	ck_assert_int_eq(listio_p(LIO_NOWAIT, null_list, 1, NULL), -1);
	ck_assert_int_eq(errno, EINVAL);
	errno = 0;
	ck_assert_int_eq(listio_p(LIO_WAIT, null_list, 1, NULL), -1);
	ck_assert_int_eq(errno, EINVAL);
	/* One entry too many; the list itself is valid memory (all NULL). */
	struct aiocb **big = calloc(AIO_POSIX_LISTIO_MAX + 1, sizeof *big);
	ck_assert_ptr_nonnull(big);
	errno = 0;
	ck_assert_int_eq(lio_listio(LIO_WAIT, big, AIO_POSIX_LISTIO_MAX + 1, NULL), -1);
	ck_assert_int_eq(errno, EINVAL);
	errno = 0;
	ck_assert_int_eq(lio_listio(LIO_NOWAIT, big, INT_MAX, NULL), -1);
	ck_assert_int_eq(errno, EINVAL);
	/* AIO_POSIX_LISTIO_MAX NULL entries are allowed: nothing to do. */
	ck_assert_int_eq(lio_listio(LIO_WAIT, big, AIO_POSIX_LISTIO_MAX, NULL), 0);
	free(big);
	/* Empty lists are fine. */
	ck_assert_int_eq(listio_p(LIO_WAIT, null_list, 0, NULL), 0);
	ck_assert_int_eq(listio_p(LIO_NOWAIT, null_list, 0, NULL), 0);
	/* A bad list notification refuses the whole list. */
	struct sigevent bad_event = { .sigev_notify = 99 };
	errno = 0;
	ck_assert_int_eq(lio_listio(LIO_NOWAIT, list, 1, &bad_event), -1);
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_int_ne(aio_error(&cb), EINPROGRESS);
	bad_event = (struct sigevent){ .sigev_notify = SIGEV_SIGNAL, .sigev_signo = 65 };
	errno = 0;
	ck_assert_int_eq(lio_listio(LIO_NOWAIT, list, 1, &bad_event), -1);
	ck_assert_int_eq(errno, EINVAL);
	bad_event = (struct sigevent){ .sigev_notify = SIGEV_THREAD };
	errno = 0;
	ck_assert_int_eq(lio_listio(LIO_NOWAIT, list, 1, &bad_event), -1);
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_int_ne(aio_error(&cb), EINPROGRESS);
	ck_assert_int_eq(aio_cancel(fx.rw, NULL), AIO_ALLDONE);
	library_works();
}
END_TEST

/* A bad aio_lio_opcode fails that entry with EINVAL; the others run. */
START_TEST(listio_bad_opcode)
{
	static const int opcodes[] = { 3, -1, 42, INT_MAX };
	for (int mode = 0; mode < 2; mode++) {
		for (size_t i = 0; i < sizeof opcodes / sizeof opcodes[0]; i++) {
			unsigned char a[LENGTH], c[LENGTH];
			struct aiocb first, bad, last;
			test_prepare(&first, fx.rw, a, LENGTH, 0);
			first.aio_lio_opcode = LIO_READ;
			test_prepare(&bad, fx.rw, fx.buffer, LENGTH, 0);
			bad.aio_lio_opcode = opcodes[i];
			test_prepare(&last, fx.rw, c, LENGTH, LENGTH);
			last.aio_lio_opcode = LIO_READ;
			struct aiocb *list[3] = { &first, &bad, &last };
			errno = 0;
			ck_assert_int_eq(lio_listio(mode ? LIO_NOWAIT : LIO_WAIT, list, 3, NULL), -1);
			ck_assert_int_eq(errno, EIO);
			ck_assert_int_eq(aio_error(&bad), EINVAL);
			ck_assert_int_eq(aio_return(&bad), -1);
			ck_assert_int_eq(wait_bounded(&first), 0);
			ck_assert_int_eq(wait_bounded(&last), 0);
			ck_assert_int_eq(aio_return(&first), LENGTH);
			ck_assert_int_eq(aio_return(&last), LENGTH);
			ck_assert(test_pattern_check(a, LENGTH, 5, 0));
			ck_assert(test_pattern_check(c, LENGTH, 5, LENGTH));
		}
	}
	library_works();
}
END_TEST

/* The same aiocb twice in one list: the second entry fails, the first runs. */
START_TEST(listio_same_aiocb_twice)
{
	for (int mode = 0; mode < 2; mode++) {
		unsigned char in[LENGTH];
		struct aiocb cb;
		test_prepare(&cb, fx.rw, in, LENGTH, 0);
		cb.aio_lio_opcode = LIO_READ;
		struct aiocb *list[2] = { &cb, &cb };
		errno = 0;
		ck_assert_int_eq(lio_listio(mode ? LIO_NOWAIT : LIO_WAIT, list, 2, NULL), -1);
		ck_assert_int_eq(errno, EIO);
		ck_assert_int_eq(wait_bounded(&cb), 0);
		ck_assert_int_eq(aio_return(&cb), LENGTH);
		ck_assert(test_pattern_check(in, LENGTH, 5, 0));
	}
	library_works();
}
END_TEST

/* Resubmitting an aiocb still in flight, by any entry point, is EINVAL, and
 * the request in flight is not disturbed. */
START_TEST(resubmit_in_flight)
{
	struct blocker b;
	start_blocker(&b);
	/* Only the public fields: the library owns the private ones in flight. */
	struct aiocb saved;
	memset(&saved, 0, sizeof saved);
	saved.aio_fildes = b.cb.aio_fildes;
	saved.aio_buf = b.cb.aio_buf;
	saved.aio_nbytes = b.cb.aio_nbytes;
	saved.aio_offset = b.cb.aio_offset;
	saved.aio_reqprio = b.cb.aio_reqprio;
	errno = 0;
	ck_assert_int_eq(aio_read(&b.cb), -1);
	ck_assert_int_eq(errno, EINVAL);
	errno = 0;
	ck_assert_int_eq(aio_write(&b.cb), -1);
	ck_assert_int_eq(errno, EINVAL);
	errno = 0;
	ck_assert_int_eq(aio_fsync(O_SYNC, &b.cb), -1);
	ck_assert_int_eq(errno, EINVAL);
	b.cb.aio_lio_opcode = LIO_WRITE;
	struct aiocb *list[1] = { &b.cb };
	errno = 0;
	ck_assert_int_eq(lio_listio(LIO_NOWAIT, list, 1, NULL), -1);
	ck_assert_int_eq(errno, EIO);
	errno = 0;
	ck_assert_int_eq(lio_listio(LIO_WAIT, list, 1, NULL), -1);
	ck_assert_int_eq(errno, EIO);
	ck_assert_int_eq(aio_error(&b.cb), EINPROGRESS);
	ck_assert_int_eq(b.cb.aio_fildes, saved.aio_fildes);
	ck_assert_ptr_eq((void *)b.cb.aio_buf, (void *)saved.aio_buf);
	ck_assert_uint_eq(b.cb.aio_nbytes, saved.aio_nbytes);
	ck_assert_int_eq(b.cb.aio_offset, saved.aio_offset);
	ck_assert_int_eq(b.cb.aio_reqprio, saved.aio_reqprio);
	release_blocker(&b);
	library_works();
}
END_TEST

/* An aiocb freed after completion, and a zeroed one malloc'ed, likely at the
 * same address: never submitted (EINVAL); then it works as usual. */
START_TEST(freed_and_reused_aiocb)
{
	for (int round = 0; round < 8; round++) {
		struct aiocb *cb = malloc(sizeof *cb);
		ck_assert_ptr_nonnull(cb);
		test_prepare(cb, fx.rw, fx.buffer, LENGTH, 0);
		ck_assert_int_eq(aio_read(cb), 0);
		ck_assert_int_eq(wait_bounded(cb), 0);
		uintptr_t old = (uintptr_t)cb;
		free(cb);
		cb = malloc(sizeof *cb);	/* malloc: calloc skips the cache free() fed */
		ck_assert_ptr_nonnull(cb);
		memset(cb, 0, sizeof *cb);
		if (round == 0 && (uintptr_t)cb != old)
			printf("note: the allocator gave another address\n");
		errno = 0;
		ck_assert_int_eq(aio_error(cb), -1);
		ck_assert_int_eq(errno, EINVAL);
		errno = 0;
		ck_assert_int_eq(aio_return(cb), -1);
		ck_assert_int_eq(errno, EINVAL);
		unsigned char in[LENGTH];
		test_prepare(cb, fx.rw, in, LENGTH, LENGTH);
		ck_assert_int_eq(aio_read(cb), 0);
		ck_assert_int_eq(wait_bounded(cb), 0);
		ck_assert_int_eq(aio_return(cb), LENGTH);
		ck_assert(test_pattern_check(in, LENGTH, 5, LENGTH));
		free(cb);
	}
	library_works();
}
END_TEST

/* Reopen fd's number on a fresh temporary file (open() takes the lowest free
 * number; dup2 if something lower was free). */
static int
reopen_as(int fd)
{
	int fresh = test_temp_file();
	if (fresh != fd) {
		ck_assert_int_eq(dup2(fresh, fd), fd);
		close(fresh);
	}
	return fd;
}

/* Fill a pipe until a write would block. */
static size_t
fill_pipe(int wfd)
{
	int flags = fcntl(wfd, F_GETFL);
	ck_assert_int_eq(fcntl(wfd, F_SETFL, flags | O_NONBLOCK), 0);
	char chunk[4096];
	memset(chunk, 'f', sizeof chunk);
	size_t total = 0;
	for (;;) {
		ssize_t n = write(wfd, chunk, sizeof chunk);
		if (n < 0) {
			ck_assert_int_eq(errno, EAGAIN);
			break;
		}
		total += (size_t)n;
	}
	ck_assert_int_eq(fcntl(wfd, F_SETFL, flags), 0);
	return total;
}

/* A write waits in its fd's queue (behind one blocked on a full pipe) when
 * the application closes the fd and open() hands the number to another file:
 * the waiting write still goes to the pipe, as if the fd had not been
 * closed, and the new file is never touched. */
START_TEST(closed_fd_reused_while_write_waits)
{
	int p[2];
	ck_assert_int_eq(pipe(p), 0);
	size_t filled = fill_pipe(p[1]);
	char one[LENGTH], two[LENGTH];
	memset(one, '1', sizeof one);
	memset(two, '2', sizeof two);
	struct aiocb w1, w2;
	test_prepare(&w1, p[1], one, sizeof one, 0);
	test_prepare(&w2, p[1], two, sizeof two, 0);
	ck_assert_int_eq(aio_write(&w1), 0);	/* blocks: the pipe is full */
	ck_assert_int_eq(aio_write(&w2), 0);	/* waits behind it */
	int number = p[1];
	ck_assert_int_eq(close(p[1]), 0);
	int fresh = reopen_as(number);
	/* Drain the pipe: both writes complete, into the pipe. */
	size_t expected = filled + 2 * LENGTH, got = 0;
	char buffer[4096];
	int twos = 0, ones = 0;
	double deadline = now() + WAIT_SECONDS;
	while (got < expected) {
		ck_assert_msg(now() < deadline, "only %zu of %zu bytes came through the pipe", got, expected);
		ssize_t n = read(p[0], buffer, sizeof buffer);
		ck_assert_msg(n > 0, "the pipe %s after %zu of %zu bytes: the waiting write lost its fd",
			      n == 0 ? "reached end of file" : "failed", got, expected);
		for (ssize_t i = 0; i < n; i++) {
			ones += buffer[i] == '1';
			twos += buffer[i] == '2';
		}
		got += (size_t)n;
	}
	ck_assert_int_eq(wait_bounded(&w1), 0);
	ck_assert_int_eq(aio_return(&w1), LENGTH);
	ck_assert_int_eq(wait_bounded(&w2), 0);
	ck_assert_int_eq(aio_return(&w2), LENGTH);
	ck_assert_int_eq(ones, LENGTH);
	ck_assert_int_eq(twos, LENGTH);
	struct stat st;
	ck_assert_int_eq(fstat(fresh, &st), 0);
	ck_assert_msg(st.st_size == 0, "the file that reused the fd number got %lld bytes",
		      (long long)st.st_size);
	close(fresh);
	close(p[0]);
	library_works();
}
END_TEST

/* The same for reads: a read waiting behind a blocked read on a pipe reads
 * the pipe, not the file that reused the number. */
START_TEST(closed_fd_reused_while_read_waits)
{
	int p[2];
	ck_assert_int_eq(pipe(p), 0);
	char one[LENGTH], two[LENGTH];
	struct aiocb r1, r2;
	test_prepare(&r1, p[0], one, sizeof one, 0);
	test_prepare(&r2, p[0], two, sizeof two, 0);
	ck_assert_int_eq(aio_read(&r1), 0);	/* blocks: the pipe is empty */
	ck_assert_int_eq(aio_read(&r2), 0);	/* waits behind it */
	int number = p[0];
	ck_assert_int_eq(close(p[0]), 0);
	int fresh = reopen_as(number);
	char file_data[2 * LENGTH];
	memset(file_data, 'F', sizeof file_data);
	ck_assert_int_eq(pwrite(fresh, file_data, sizeof file_data, 0), (ssize_t)sizeof file_data);
	char pipe_data[2 * LENGTH];
	memset(pipe_data, 'P', sizeof pipe_data);
	ck_assert_int_eq(write(p[1], pipe_data, sizeof pipe_data), (ssize_t)sizeof pipe_data);
	ck_assert_int_eq(wait_bounded(&r1), 0);
	ssize_t n1 = aio_return(&r1);
	if (n1 < LENGTH) {
		/* r1 woke on part of the data; r2 then gets more of it. */
		ck_assert_int_gt(n1, 0);
	}
	ck_assert_int_eq(wait_bounded(&r2), 0);
	ssize_t n2 = aio_return(&r2);
	ck_assert_int_gt(n2, 0);
	for (ssize_t i = 0; i < n1; i++)
		ck_assert_msg(one[i] == 'P', "the first read got a byte from elsewhere");
	for (ssize_t i = 0; i < n2; i++)
		ck_assert_msg(two[i] == 'P', "the waiting read got a byte from the file that reused its fd");
	char check[2 * LENGTH];
	ck_assert_int_eq(pread(fresh, check, sizeof check, 0), (ssize_t)sizeof check);
	ck_assert_int_eq(memcmp(check, file_data, sizeof check), 0);
	close(fresh);
	close(p[1]);
	library_works();
}
END_TEST

/* A read on an empty O_NONBLOCK pipe, and a write to a full one: read()
 * and write() would fail at once with EAGAIN, and so must the requests,
 * promptly, on every backend (an io_uring read must not wait for data the
 * application said it would not wait for). */
START_TEST(nonblocking_stream_would_block)
{
	int p[2];
	ck_assert_int_eq(pipe2(p, O_NONBLOCK), 0);
	char buffer[LENGTH];
	struct aiocb r;
	test_prepare(&r, p[0], buffer, sizeof buffer, 0);
	ck_assert_int_eq(aio_read(&r), 0);
	ck_assert_msg(wait_bounded(&r) == EAGAIN, "read of an empty O_NONBLOCK pipe: aio_error %d (%s)",
		      aio_error(&r), strerror(aio_error(&r)));
	ck_assert_int_eq(aio_return(&r), -1);
	fill_pipe(p[1]);
	ck_assert_int_eq(fcntl(p[1], F_SETFL, O_NONBLOCK), 0);	/* fill_pipe put the flags back */
	struct aiocb w;
	memset(buffer, 'w', sizeof buffer);
	test_prepare(&w, p[1], buffer, sizeof buffer, 0);
	ck_assert_int_eq(aio_write(&w), 0);
	ck_assert_msg(wait_bounded(&w) == EAGAIN, "write to a full O_NONBLOCK pipe: aio_error %d (%s)",
		      aio_error(&w), strerror(aio_error(&w)));
	ck_assert_int_eq(aio_return(&w), -1);
	close(p[0]);
	close(p[1]);
	library_works();
}
END_TEST

static Suite *
suite(void)
{
	Suite *s = suite_create("bad-input");
	TCase *tc = tcase_create("aiocb fields");
	tcase_set_timeout(tc, 60);
	tcase_add_checked_fixture(tc, fixture_setup, fixture_teardown);
	tcase_add_loop_test(tc, invalid_field, 0, row_count);
	suite_add_tcase(s, tc);

	tc = tcase_create("other arguments");
	tcase_set_timeout(tc, 60);
	tcase_add_checked_fixture(tc, fixture_setup, fixture_teardown);
	tcase_add_test(tc, null_aiocb_everywhere);
	tcase_add_test(tc, fsync_bad_operation);
	tcase_add_test(tc, error_and_return_of_never_submitted);
	tcase_add_test(tc, cancel_bad_arguments);
	tcase_add_test(tc, suspend_bad_arguments);
	tcase_add_test(tc, listio_bad_arguments);
	tcase_add_test(tc, listio_bad_opcode);
	tcase_add_test(tc, listio_same_aiocb_twice);
	tcase_add_test(tc, resubmit_in_flight);
	tcase_add_test(tc, freed_and_reused_aiocb);
	tcase_add_test(tc, nonblocking_stream_would_block);
	suite_add_tcase(s, tc);

	tc = tcase_create("closed and reused fd");
	tcase_set_timeout(tc, 60);
	tcase_add_checked_fixture(tc, fixture_setup, fixture_teardown);
	tcase_add_test(tc, closed_fd_reused_while_write_waits);
	tcase_add_test(tc, closed_fd_reused_while_read_waits);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	signal(SIGPIPE, SIG_IGN);
	build_rows();
	SRunner *runner = srunner_create(suite());
#if defined(__SANITIZE_THREAD__)
	/* Under TSan a forked test's exit takes about a second (it waits on the
	 * library's idle workers), and there are some four hundred: run them in
	 * one process there.  No test depends on a fresh process. */
	srunner_set_fork_status(runner, CK_NOFORK);
#endif
	srunner_run_all(runner, CK_NORMAL);
	int failed = srunner_ntests_failed(runner);
	srunner_free(runner);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
