/* waitpoint.c: the waits that aio_waitcomplete, aio_waitn, aiowait and
 * aio_queue_reap share (waitpoint.h).
 *
 * Ordering: a waitpoint's three words are sequentially consistent.  A
 * changer's increment of changes and a sleeper's futex wait on it pair as
 * in suspend.c: either the changer sees the sleeper asleep and wakes it,
 * or the futex wait sees the word moved and returns at once.
 */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <stdint.h>

#include "futex.h"
#include "waitpoint.h"

/* Far enough to mean "no deadline", near enough not to overflow: a
 * century, or 2^30 seconds where time_t has 32 bits (as suspend.c). */
#define FOREVER_SECONDS \
	(sizeof(time_t) < 8 ? (INT64_C(1) << 30) : INT64_C(60) * 60 * 24 * 365 * 100)

bool
deadline_from_timeout(const struct abi_timeout *timeout, struct deadline *deadline)
{
	if (timeout && (timeout->seconds < 0 || timeout->nanoseconds < 0 ||
			timeout->nanoseconds >= 1000000000L))
		return false;
	deadline->forever = !timeout;
	deadline->poll = timeout && timeout->seconds == 0 && timeout->nanoseconds == 0;
	clock_gettime(CLOCK_MONOTONIC, &deadline->at);
	time_t seconds = !timeout || timeout->seconds > FOREVER_SECONDS ? (time_t)FOREVER_SECONDS
									: (time_t)timeout->seconds;
	deadline->at.tv_sec += seconds;
	deadline->at.tv_nsec += timeout ? timeout->nanoseconds : 0;
	if (deadline->at.tv_nsec >= 1000000000L) {
		deadline->at.tv_sec++;
		deadline->at.tv_nsec -= 1000000000L;
	}
	return true;
}

bool
deadline_passed(struct deadline *deadline)
{
	if (!deadline->forever)
		return true;
	deadline->at.tv_sec += (time_t)FOREVER_SECONDS;	/* a century passed */
	return false;
}

int waitpoint_registered;

int
waitpoint_seen(struct waitpoint *point)
{
	return __atomic_load_n(&point->changes, __ATOMIC_SEQ_CST);
}

void
waitpoint_wake(struct waitpoint *point)
{
	/* Sequentially consistent with waitpoint_sleep: either this sees it
	 * asleep, or its futex wait sees the word moved. */
	__atomic_fetch_add(&point->changes, 1, __ATOMIC_SEQ_CST);
	if (__atomic_load_n(&point->asleep, __ATOMIC_SEQ_CST) > 0)
		futex_wake_all(&point->changes);
}

void
waitpoint_enter(struct waitpoint *point)
{
	__atomic_fetch_add(&waitpoint_registered, 1, __ATOMIC_SEQ_CST);
	__atomic_fetch_add(&point->sleepers, 1, __ATOMIC_SEQ_CST);
}

void
waitpoint_leave(struct waitpoint *point)
{
	__atomic_fetch_sub(&point->sleepers, 1, __ATOMIC_SEQ_CST);
	__atomic_fetch_sub(&waitpoint_registered, 1, __ATOMIC_SEQ_CST);
}

static void
leave_asleep(void *point)
{
	__atomic_fetch_sub(&((struct waitpoint *)point)->asleep, 1, __ATOMIC_SEQ_CST);
}

int
waitpoint_sleep(struct waitpoint *point, int seen, struct deadline *deadline)
{
	if (waitpoint_seen(point) != seen)
		return 0;
	int rc, old_type;
	__atomic_fetch_add(&point->asleep, 1, __ATOMIC_SEQ_CST);
	/* A cancellation point, as aio_suspend: only while asleep.  The
	 * caller's cleanup handler leaves the waitpoint. */
	pthread_cleanup_push(leave_asleep, point);
	pthread_setcanceltype(PTHREAD_CANCEL_ASYNCHRONOUS, &old_type);
	rc = futex_wait_until(&point->changes, seen, &deadline->at);
	pthread_setcanceltype(old_type, NULL);
	pthread_cleanup_pop(1);
	if (rc == ETIMEDOUT && !deadline_passed(deadline))
		return 0;
	return rc == EINTR || rc == ETIMEDOUT ? rc : 0;
}

/* The child's only thread waits nowhere. */
static void
fork_child(void)
{
	__atomic_store_n(&waitpoint_registered, 0, __ATOMIC_RELAXED);
}

__attribute__((constructor)) static void
waitpoint_register_fork_handler(void)
{
	pthread_atfork(NULL, NULL, fork_child);
}
