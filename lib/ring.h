/* ring.h: the io_uring backend's own state, shared by uring.c (set-up and
 * submission) and reap.c (completion).  Only those two include it.
 */
#ifndef AIO_POSIX_RING_H
#define AIO_POSIX_RING_H

#include "config.h"

#ifdef HAVE_LIBURING

#include <liburing.h>
#include <stdbool.h>
#include <stdint.h>

#include "lock.h"
#include "request.h"
#include "support.h"

#define RING_ENTRIES 256
/* Completion queue entries kept free for uring_wake_sleepers. */
#define WAKE_UP_ROOM 8

enum ring_state { RING_UNMADE, RING_ACTIVE, RING_FAILED };

/* One lane's ring. */
struct ring {
	struct io_uring uring;
	struct lock producers;		/* who fills submission entries */
	unsigned tail;			/* under producers: the next entry */
	int state;			/* atomic: enum ring_state */
	unsigned held;			/* atomic: requests filled in and not
					 * yet reaped (at most capacity) */
	unsigned capacity;
	uintptr_t reap_role;		/* atomic: 0, or the holder's
					 * pthread_self() | ROLE_MARKED */
	struct request *urgent;		/* atomic stacks of requests reaped and
					 * not settled: those to settle soon, */
	struct request *reaped;		/* the others since the lane last waited, */
	struct request *aged;		/* and the others before that */
	unsigned settles;		/* atomic: reap_settle calls that took
					 * from this ring */
} __attribute__((aligned(64)));

extern struct ring rings[LANES_MAX];

/* The kernel orders a submission before its completion, and a completion
 * before whoever reads its entry; ThreadSanitizer cannot see that.  Each
 * producer releases when it publishes an entry, and so does each enter
 * after reading the tail; a reader of completions acquires. */
#ifdef __SANITIZE_THREAD__
#include <sanitizer/tsan_interface.h>
#define KERNEL_HANDOFF_RELEASE(r) __tsan_release(r)
#define KERNEL_HANDOFF_ACQUIRE(r) __tsan_acquire(r)
#else
#define KERNEL_HANDOFF_RELEASE(r) ((void)0)
#define KERNEL_HANDOFF_ACQUIRE(r) ((void)0)
#endif

/* Shared by every ring. */
extern int completion_event;		/* eventfd the kernel signals at each
					 * completion; -1: none */
extern bool waiters_sleep_in_ring;	/* atomic: aio_suspend may wait in a ring */
extern bool backend_active;		/* atomic: rings may be made */

/* reap.c */
bool reaper_start(void);
/* Settle what is due on every ring: the urgent, and the aged (every: all
 * of it). */
void reap_settle_rings(unsigned lanes, bool every);
/* Submit what the ring holds, then collect what completed meanwhile;
 * flags as backend.h's flush. */
void ring_submit(struct ring *r, unsigned flags);
/* After a synchronous cancel of req answered 0, which the kernel also
 * answers for a request that ran to its end meanwhile: reap until req's
 * entry is seen.  True if the kernel cancelled it; false if it completed
 * (its result is published then, as any other).  Under req's shard lock,
 * which keeps req alive. */
bool ring_await_cancelled(struct ring *r, struct request *req);
void reap_after_fork_child(void);

#endif
#endif
