/* suspend.c: aio_suspend.
 *
 * It first hands on what the entries' lanes staged (lock-free, or with a
 * lock it only tries), then sleeps: in a ring itself when every entry still
 * in flight is in the ring of one lane, so that the kernel wakes it
 * directly and the staged batch is submitted by the same system call
 * (uring_wait); otherwise on the futex of publish.c.
 *
 * No lock that could be waited for and no allocation anywhere: aio_suspend
 * is async-signal-safe.  It is also a cancellation point: the thread
 * accepts cancellation only while it sleeps, and a cleanup handler takes it
 * off the futex's waiters.
 *
 * The sleep always has an absolute CLOCK_MONOTONIC deadline, even when the
 * caller gave no timeout, because the kernel then reports a caught signal as
 * EINTR instead of silently restarting the wait under SA_RESTART.
 */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <time.h>

#include "api.h"
#include "backend.h"
#include "futex.h"
#include "lane.h"
#include "publish.h"

/* Far enough to mean "no deadline", near enough that the CLOCK_MONOTONIC
 * deadline does not overflow time_t: a century, or 2^30 seconds (34 years)
 * where the library's time_t has 32 bits (ILP32, see abi.h). */
#define FOREVER_SECONDS \
	(sizeof(time_t) < 8 ? (INT64_C(1) << 30) : INT64_C(60) * 60 * 24 * 365 * 100)

static void
leave_waiters(void *registered)
{
	publish_unregister(registered);
}

/* Hand on what the lanes of the entries in flight staged; returns the one
 * lane they all went through, or -1. */
static int
flush_lanes_of(const struct aiocb *const list[], int count)
{
	unsigned done = 0;
	int common = -2;
	for (int i = 0; i < count; i++) {
		const struct aiocb *cb = list[i];
		if (!cb || abi_error_code(cb) != EINPROGRESS)
			continue;
		int lane = abi_lane(cb);
		if (lane < 0 || lane >= LANES_MAX) {
			common = -1;
			continue;
		}
		common = common == -2 || common == lane ? lane : -1;
		if (!(done & (1u << lane))) {
			done |= 1u << lane;
			if (__atomic_load_n(&lanes[lane].staged_tick, __ATOMIC_RELAXED))
				lane_flush_index((unsigned)lane, 0);
		}
	}
	return common < 0 ? -1 : common;
}

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
	lane_note_wait();

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
		deadline.tv_sec += (time_t)FOREVER_SECONDS;
	}

	int result = 0, error = 0;
	bool registered = false;
	pthread_cleanup_push(leave_waiters, &registered);
	for (;;) {
		if (publish_any_done(list, nent))
			break;
		int lane = flush_lanes_of(list, nent);
		/* In the ring when it can, to be woken by the kernel itself. */
		int rc = lane >= 0 ? uring_wait((unsigned)lane, list, nent, &deadline, false) : ENOTSUP;
		if (rc == ENOTSUP) {
			if (lane >= 0)
				uring_reap((unsigned)lane);
			int seen;
			const int *word = publish_wait_begin(&registered, &seen);
			if (!publish_any_done(list, nent)) {
				int old_type;
				pthread_setcanceltype(PTHREAD_CANCEL_ASYNCHRONOUS, &old_type);
				rc = futex_wait_until(word, seen, &deadline);
				pthread_setcanceltype(old_type, NULL);
			}
			publish_unregister(&registered);
		}
		if (rc != EINTR && rc != ETIMEDOUT)
			continue;	/* woken, or the count moved on: look again */
		if (publish_any_done(list, nent))
			break;
		if (rc == ETIMEDOUT && !timeout) {
			deadline.tv_sec += (time_t)FOREVER_SECONDS;	/* a century passed */
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
	return suspend_wait(list, nent, ABI_WIDEN_TIMESPEC(timeout, &wide));
}
AIO_EXPORT_64(aio_suspend, int, (const struct aiocb64 *const[], int, const struct timespec *));
