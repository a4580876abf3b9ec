/* publish.h: making a result public, and waiting for one (publish.c).
 *
 * The bottom of the library: backends publish results here, aio_suspend
 * sleeps here, and admission counts its places here.  No lock anywhere:
 * everything is async-signal-safe.
 */
#ifndef AIO_POSIX_PUBLISH_H
#define AIO_POSIX_PUBLISH_H

#include <aio.h>
#include <stdbool.h>
#include <time.h>

#include "abi.h"
#include "support.h"

/* Requests of the process-wide record (those with a collect ticket) whose
 * result is public but which the record does not hold yet: aio_waitcomplete
 * and aio_waitn wait for them, rather than say that nothing finished while
 * aio_error already says something did.  Counted per lane, so that
 * completing threads do not share a line: a lane's count may go below
 * zero (the record counts down in the submitting lane's shard), only the
 * sum means anything.  Counted up relaxed: publication's release orders
 * the count before the result, so a thread that has seen a result and then
 * sums sees it counted, or handed over already.  Counted down with
 * release after the record holds it, and summed with acquire, so that a
 * sum that no longer counts it comes before a look that finds it. */
struct transit_count {
	long count;
} __attribute__((aligned(64)));
extern struct transit_count in_transit[LANES_MAX];

/* The record holds a request of lane (record.c). */
static inline void
transit_done(unsigned lane)
{
	__atomic_fetch_sub(&in_transit[lane % LANES_MAX].count, 1, __ATOMIC_RELEASE);
}

/* Published and not yet in the record, over all lanes. */
long transit_pending(void);

/* The result of a request, for the application: return value first, then
 * the error code with release (abi.h).  After it the aiocb is the
 * application's again.  Call publish_wake once after one or more of them. */
static inline void
publish_result(struct aiocb *cb, ssize_t result, int error)
{
	if (abi_collect_ticket(cb)) {
		int lane = abi_lane(cb);
		__atomic_fetch_add(&in_transit[lane > 0 ? lane % LANES_MAX : 0].count, 1,
				   __ATOMIC_RELAXED);
	}
	abi_publish(cb, result, error);
}

/* Wake the aio_suspend callers asleep on the futex, if any.  Cheap when
 * there are none: a fence and a load. */
void publish_wake(void);

/* Is any entry of list not in flight (finished, or never submitted)? */
bool publish_any_done(const struct aiocb *const list[], int count);

/* Before sleeping on the futex: register as a waiter (a publisher then
 * wakes it), and read the futex word's value into *seen; the caller checks
 * its aiocbs, then sleeps on the word returned while it still holds *seen.
 * *registered tells publish_unregister, and a cleanup handler, to undo it.
 * (The sleep itself is the caller's, in its own frame: a cancellation point
 * there unwinds no frame of ours.) */
const int *publish_wait_begin(bool *registered, int *seen);
void publish_unregister(bool *registered);

/* Places under AIO_POSIX_MAX_REQUESTS: requests admitted whose result is
 * not public yet.  take fails (false) when count more would exceed the cap;
 * publication gives places back. */
bool places_take(int count, int limit);
void places_give(int count);

/* In a fork child, once the inherited requests are forgotten. */
void publish_after_fork_child(void);

#endif
