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

/* The result of a request, for the application: return value first, then
 * the error code with release (abi.h).  After it the aiocb is the
 * application's again.  Call publish_wake once after one or more of them. */
static inline void
publish_result(struct aiocb *cb, ssize_t result, int error)
{
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

void publish_after_fork_child(void);

#endif
