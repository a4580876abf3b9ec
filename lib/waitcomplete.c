/* waitcomplete.c: the waits on the process-wide record (record.c):
 * FreeBSD's aio_waitcomplete and Solaris's aio_waitn.
 *
 * A waiter registers at record_point for its whole call (a cleanup handler
 * undoes it when a cancellation unwinds the call), settles what the rings
 * reaped before its first look, so that a poll or a wait satisfied at once
 * returns it too, then looks and sleeps until the record moves.  While it
 * is registered, reap.c settles every request of a collecting domain at
 * once (waitpoint_anyone_registered), so that it need not wait for the
 * reaper thread's lazy settling.
 *
 * aio_waitn is one call at a time, as on Solaris (waitn_turn, an atomic
 * word, with turn_point for those who wait for it), so that one that waits
 * for many is not starved by others taking them one by one.  The turn is
 * given back by a cleanup handler, so a cancelled aio_waitn gives it back.
 *
 * Fork: the child's only thread waits nowhere; the turn is free there.
 */
#include "config.h"

#include <errno.h>
#include <pthread.h>

#include "aio-posix.h"
#include "api.h"
#include "finish.h"
#include "publish.h"
#include "record.h"

/* The deadline of a wait on the record; false (EINVAL) for a bad timeout.
 * From the first wait on, the record keeps more (record.c). */
static bool
begin_wait(const struct abi_timeout *timeout, struct deadline *deadline)
{
	if (!deadline_from_timeout(timeout, deadline)) {
		errno = EINVAL;
		return false;
	}
	record_note_waited();
	return true;
}

/* A wait about to end with less than it wants while results are public
 * that the record does not hold yet (transit, publish.h): on the thread
 * pool, a worker publishes a result a moment before the finish hook hands
 * it to the record.  Sleep for them, within a short grace, so that a
 * request aio_error already reports done is not missed.  true: look
 * again. */
#define TRANSIT_GRACE_NS 100000000L	/* 100 ms: a worker may be preempted, or emulated */

static bool
await_transit(long transit, int seen, struct deadline *grace, bool *grace_set)
{
	if (transit <= 0)
		return false;
	if (!*grace_set) {
		struct abi_timeout moment = { 0, TRANSIT_GRACE_NS };
		(void)deadline_from_timeout(&moment, grace);
		*grace_set = true;
	}
	return waitpoint_sleep(&record_point, seen, grace) == 0;
}

/* The waiters' registration lasts the whole call, so that it is undone
 * when a cancellation unwinds the call. */
static void
leave_wait(void *point)
{
	waitpoint_leave(point);
}

ssize_t
process_waitcomplete(struct aiocb **iocbp, const struct abi_timeout *timeout)
{
	ABI_FORGET_NONNULL(iocbp);
	if (!iocbp) {
		errno = EFAULT;
		return -1;
	}
	*iocbp = NULL;
	struct deadline deadline;
	if (!begin_wait(timeout, &deadline))
		return -1;
	library_init();
	struct aiocb *cb = NULL;
	ssize_t result = -1;
	int error = 0, rc = 0;
	bool done = false, grace_set = false;
	struct deadline grace;
	waitpoint_enter(&record_point);
	pthread_cleanup_push(leave_wait, &record_point);
	/* What the rings reaped, settled before the first look: a poll, or a
	 * wait that is satisfied at once, returns it too. */
	core_settle_all(true);
	while (!done) {
		int seen = waitpoint_seen(&record_point);
		long transit = transit_pending();	/* before the look */
		bool idle;
		if (record_take(&cb, 1, &result, &error, &idle) == 1) {
			done = true;
		} else if ((deadline.poll || rc == ETIMEDOUT) &&
			   await_transit(transit, seen, &grace, &grace_set)) {
			continue;
		} else if (idle || deadline.poll || rc == ETIMEDOUT || rc == EINTR) {
			/* Nothing can come (see aio_waitcomplete(3aio)), or the
			 * last look after a time-out or a signal. */
			cb = NULL;
			error = rc == EINTR ? EINTR : EAGAIN;
			done = true;
		} else {
			core_settle_all(true);
			rc = waitpoint_sleep(&record_point, seen, &deadline);
		}
	}
	pthread_cleanup_pop(1);
	*iocbp = cb;
	if (error) {
		errno = error;
		return -1;
	}
	return result;
}

/* aio_waitn's turn (see the top). */
static int waitn_turn;			/* atomic: 1 while a call has it */
static struct waitpoint turn_point;

static void
release_turn(void *unused)
{
	__atomic_store_n(&waitn_turn, 0, __ATOMIC_RELEASE);
	waitpoint_wake(&turn_point);
}

/* 0, or EINTR; *busy: poll found the turn taken. */
static int
take_turn(bool poll, bool *busy)
{
	struct deadline forever;
	deadline_from_timeout(NULL, &forever);
	*busy = false;
	volatile int error = 0;	/* set inside the cleanup frame */
	waitpoint_enter(&turn_point);
	pthread_cleanup_push(leave_wait, &turn_point);
	for (;;) {
		int seen = waitpoint_seen(&turn_point);
		int free_turn = 0;
		if (__atomic_compare_exchange_n(&waitn_turn, &free_turn, 1, false, __ATOMIC_ACQUIRE,
						__ATOMIC_RELAXED))
			break;
		if (poll) {
			*busy = true;
			break;
		}
		if (waitpoint_sleep(&turn_point, seen, &forever) == EINTR) {
			error = EINTR;
			break;
		}
	}
	pthread_cleanup_pop(1);
	return error;
}

AIO_EXPORT ssize_t
aio_waitcomplete(struct aiocb **iocbp, struct timespec *timeout)
{
	struct abi_timeout wide;
	return process_waitcomplete(iocbp, ABI_WIDEN_TIMESPEC(timeout, &wide));
}

int
process_waitn(struct aiocb *list[], unsigned nent, unsigned *nwait,
	      const struct abi_timeout *timeout)
{
	/* No ABI_FORGET_NONNULL: no header declares list nonnull, and the
	 * asm would make it an argument changed before the setjmp of
	 * pthread_cleanup_push (-Wclobbered). */
	if (!list || !nwait) {
		errno = EFAULT;
		return -1;
	}
	if (nent == 0 || nent > AIO_POSIX_LISTIO_MAX || *nwait == 0 || *nwait > nent) {
		errno = EINVAL;
		return -1;
	}
	struct deadline deadline;
	if (!begin_wait(timeout, &deadline)) {
		*nwait = 0;
		return -1;
	}
	library_init();
	bool busy;
	int error = take_turn(deadline.poll, &busy);
	if (error || busy) {
		*nwait = 0;
		if (!error)
			return 0;
		errno = error;
		return -1;
	}
	/* The time limit runs from when this call has the turn. */
	(void)deadline_from_timeout(timeout, &deadline);
	unsigned want = *nwait, count = 0;
	int rc = 0, result = 0;
	bool grace_set = false;
	struct deadline grace;
	pthread_cleanup_push(release_turn, NULL);
	waitpoint_enter(&record_point);
	pthread_cleanup_push(leave_wait, &record_point);
	core_settle_all(true);	/* as aio_waitcomplete's */
	for (;;) {
		int seen = waitpoint_seen(&record_point);
		long transit = transit_pending();	/* before the look */
		bool idle;
		count += record_take(list + count, nent - count, NULL, NULL, &idle);
		if (count >= want)
			break;
		if ((deadline.poll || rc == ETIMEDOUT) &&
		    await_transit(transit, seen, &grace, &grace_set))
			continue;
		if (deadline.poll)
			break;
		if (idle) {
			/* Nothing left in flight: what there is, or EAGAIN. */
			if (count == 0) {
				result = -1;
				error = EAGAIN;
			}
			break;
		}
		if (rc == ETIMEDOUT || rc == EINTR) {
			result = -1;
			error = rc == EINTR ? EINTR : ETIME;
			break;
		}
		core_settle_all(true);
		rc = waitpoint_sleep(&record_point, seen, &deadline);
	}
	pthread_cleanup_pop(1);
	pthread_cleanup_pop(1);
	*nwait = count;
	if (result)
		errno = error;
	return result;
}

AIO_EXPORT int
aio_waitn(struct aiocb *list[], unsigned int nent, unsigned int *nwait,
	  const struct timespec *timeout)
{
	struct abi_timeout wide;
	return process_waitn(list, nent, nwait, ABI_WIDEN_TIMESPEC(timeout, &wide));
}

/* --- fork ---------------------------------------------------------------- */

static void
fork_child(void)
{
	waitn_turn = 0;
	turn_point = (struct waitpoint){ 0, 0, 0 };
}

__attribute__((constructor)) static void
waitcomplete_register_fork_handler(void)
{
	pthread_atfork(NULL, NULL, fork_child);
}
