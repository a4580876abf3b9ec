/* waitpoint.h: the waits of the collecting domains (waitpoint.c): a futex
 * word that moves at every change, and deadlines.
 *
 * A waiter registers (waitpoint_enter) before it first reads the word and
 * looks, and leaves when its call ends (a cleanup handler, for
 * cancellation); a changer makes its change, then calls waitpoint_wake,
 * which moves the word and wakes if anyone is asleep (the sequentially
 * consistent pair of suspend.c).  A changer that skips waitpoint_wake
 * while nobody is registered (record.c) must fence between its change and
 * its look at sleepers.
 */
#ifndef AIO_POSIX_WAITPOINT_H
#define AIO_POSIX_WAITPOINT_H

#include <stdbool.h>
#include <time.h>

#include "abi.h"

struct waitpoint {
	int changes;
	int sleepers;			/* registered */
	int asleep;			/* of those, in the futex wait: only then
					 * does a change cost a wake-up call */
};

/* Threads registered at any waitpoint: while there are any, a request of a
 * collection domain is settled at once when it completes (reap.c's
 * settle_is_urgent), not lazily. */
extern int waitpoint_registered;
static inline bool
waitpoint_anyone_registered(void)
{
	return __atomic_load_n(&waitpoint_registered, __ATOMIC_RELAXED) > 0;
}

void waitpoint_enter(struct waitpoint *point);
void waitpoint_leave(struct waitpoint *point);
/* After a change, made visible before the call: wake the sleepers. */
void waitpoint_wake(struct waitpoint *point);
/* The value to pass to waitpoint_sleep; read it before looking. */
int waitpoint_seen(struct waitpoint *point);

/* When a wait ends: an absolute CLOCK_MONOTONIC time, always set (a
 * century ahead for no timeout, so that the kernel reports a caught signal
 * as EINTR, as suspend.c explains). */
struct deadline {
	struct timespec at;
	bool poll;			/* a zero timeout: never wait */
	bool forever;			/* no timeout: at is moved on when reached */
};

/* A relative timeout (NULL: none) as a deadline; false (EINVAL) for a bad
 * one. */
bool deadline_from_timeout(const struct abi_timeout *timeout, struct deadline *deadline);
/* After a wait said ETIMEDOUT: has the deadline really passed?  Without a
 * timeout, a century has: the deadline moves on, and the answer is no. */
bool deadline_passed(struct deadline *deadline);

/* Registered: sleep while nothing changed since seen, until the deadline:
 * 0, EINTR or ETIMEDOUT.  A cancellation point.  A waiter that may take
 * locks settles first (core_settle_all), so that what it waits for does
 * not wait for the reaper thread. */
int waitpoint_sleep(struct waitpoint *point, int seen, struct deadline *deadline);

#endif
