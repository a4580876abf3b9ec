/* suspend.c: aio_suspend, and the futex its waiters sleep on.
 *
 * One process-wide futex word, completion_count, goes up by one whenever any
 * request finishes.  A waiter registers in waiter_count, reads the count,
 * checks its aiocbs, and sleeps only while the count is unchanged.  A
 * finisher publishes its result (release), bumps the count, and makes the
 * wake system call only when waiter_count says someone may sleep.  All four
 * accesses are sequentially consistent, so either the finisher sees the
 * waiter registered and wakes it, or the waiter sees the new count (and,
 * through it, the published result) and does not sleep.  A waiter whose
 * every entry is in the io_uring ring sleeps there instead, woken by the
 * kernel (uring_wait), and does not register: finishers then skip the
 * wake system call.
 *
 * No lock and no allocation anywhere on the waiting side: aio_suspend is
 * async-signal-safe.  It is also a cancellation point: the thread accepts
 * cancellation only while it sleeps, and a cleanup handler takes it out of
 * waiter_count.
 *
 * The sleep always has an absolute CLOCK_MONOTONIC deadline, even when the
 * caller gave no timeout, because the kernel then reports a caught signal as
 * EINTR instead of silently restarting the wait under SA_RESTART.
 */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <time.h>

#include "engine.h"
#include "futex.h"

static int completion_count;
static int waiter_count;

void
suspend_wake_all(void)
{
	__atomic_fetch_add(&completion_count, 1, __ATOMIC_SEQ_CST);
	if (__atomic_load_n(&waiter_count, __ATOMIC_SEQ_CST) > 0)
		futex_wake_all(&completion_count);
}

void
suspend_after_fork_child(void)
{
	__atomic_store_n(&waiter_count, 0, __ATOMIC_RELAXED);
}

bool
suspend_any_done(const struct aiocb *const list[], int count)
{
	for (int i = 0; i < count; i++) {
		const struct aiocb *cb = list[i];
		if (cb && (!abi_was_submitted(cb) || abi_error_code(cb) != EINPROGRESS))
			return true;
	}
	return false;
}

static void
leave_waiters(void *registered)
{
	if (*(bool *)registered)
		__atomic_fetch_sub(&waiter_count, 1, __ATOMIC_SEQ_CST);
}

/* The futex wait, registered in waiter_count only meanwhile: a thread
 * asleep in the ring is woken by the kernel, and a finisher need not make
 * the wake system call for it.  0, EINTR, ETIMEDOUT, EAGAIN. */
static int
futex_wait_registered(const struct aiocb *const list[], int nent,
		      const struct timespec *deadline, bool *registered)
{
	__atomic_fetch_add(&waiter_count, 1, __ATOMIC_SEQ_CST);
	*registered = true;
	int seen = __atomic_load_n(&completion_count, __ATOMIC_SEQ_CST);
	int rc = 0;
	if (!suspend_any_done(list, nent)) {
		int old_type;
		pthread_setcanceltype(PTHREAD_CANCEL_ASYNCHRONOUS, &old_type);
		rc = futex_wait_until(&completion_count, seen, deadline);
		pthread_setcanceltype(old_type, NULL);
	}
	*registered = false;
	__atomic_fetch_sub(&waiter_count, 1, __ATOMIC_SEQ_CST);
	return rc;
}

/* Far enough to mean "no deadline", near enough that the CLOCK_MONOTONIC
 * deadline does not overflow time_t: a century, or 2^30 seconds (34 years)
 * where the library's time_t has 32 bits (ILP32, see abi.h). */
#define FOREVER_SECONDS \
	(sizeof(time_t) < 8 ? (INT64_C(1) << 30) : INT64_C(60) * 60 * 24 * 365 * 100)

int
suspend_wait(const struct aiocb *const list[], int nent, const struct abi_timeout *timeout)
{
	if (nent < 0 || (nent > 0 && !list) ||
	    (timeout && (timeout->seconds < 0 || timeout->nanoseconds < 0 ||
			 timeout->nanoseconds >= 1000000000L))) {
		errno = EINVAL;
		return -1;
	}

	bool waitable = false;
	for (int i = 0; i < nent; i++) {
		const struct aiocb *cb = list[i];
		if (!cb)
			continue;
		if (!abi_was_submitted(cb) || abi_error_code(cb) != EINPROGRESS)
			return 0;
		waitable = true;
	}
	if (!waitable)
		return 0;	/* nothing listed is in flight: nothing to wait for */
	pthread_testcancel();

	struct timespec deadline;
	clock_gettime(CLOCK_MONOTONIC, &deadline);
	if (timeout) {
		if (timeout->seconds > FOREVER_SECONDS)
			deadline.tv_sec += (time_t)FOREVER_SECONDS;
		else
			deadline.tv_sec += (time_t)timeout->seconds;
		deadline.tv_nsec += timeout->nanoseconds;
		if (deadline.tv_nsec >= 1000000000L) {
			deadline.tv_sec++;
			deadline.tv_nsec -= 1000000000L;
		}
	} else {
		deadline.tv_sec += FOREVER_SECONDS;
	}

	int result = 0, error = 0;
	bool registered = false;
	pthread_cleanup_push(leave_waiters, &registered);
	for (;;) {
		if (suspend_any_done(list, nent))
			break;
		/* In the ring when it can, to be woken by the kernel itself. */
		int rc = uring_wait(list, nent, &deadline);
		if (rc == ENOTSUP)
			rc = futex_wait_registered(list, nent, &deadline, &registered);
		if (rc != EINTR && rc != ETIMEDOUT)
			continue;	/* woken, or the count moved on: look again */
		if (suspend_any_done(list, nent))
			break;
		if (rc == ETIMEDOUT && !timeout) {
			deadline.tv_sec += FOREVER_SECONDS;	/* a century passed */
			continue;
		}
		result = -1;
		error = rc == EINTR ? EINTR : EAGAIN;
		break;
	}
	pthread_cleanup_pop(0);
	if (result)
		errno = error;
	return result;
}

AIO_EXPORT int
aio_suspend(const struct aiocb *const list[], int nent, const struct timespec *timeout)
{
	ABI_FORGET_NONNULL(list);
	struct abi_timeout wide;
	if (timeout)
		wide = (struct abi_timeout){ timeout->tv_sec, timeout->tv_nsec };
	return suspend_wait(list, nent, timeout ? &wide : NULL);
}
AIO_EXPORT_64(aio_suspend, int, (const struct aiocb64 *const[], int, const struct timespec *));
