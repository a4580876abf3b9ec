/* backend.h: the one interface through which the core hands requests to
 * the places where they run.
 *
 *   inline   the caller's own thread, with RWF_NOWAIT, for small transfers
 *            whose data and buffer are ready (inline.c)
 *   uring    one io_uring ring per submission lane (uring.c)
 *   poller   stream reads that would wait, until their fd is readable
 *            (poller.c), then the pool
 *   pool     worker threads (pool.c)
 *
 * The core calls start for a request its fd's rules let run, trying the
 * backends in that order; a backend takes it or declines.  A backend that
 * takes a request stages it in the request's lane and hands on all that
 * lane staged at its next flush: at once, or later when lane.c says the
 * request may wait (lane_stage_wanted).  When a request has run, the
 * backend sets its result and error and passes it to the completion
 * function the core gave at set-up (backend_set_completion), never calling
 * the core by name: the dependencies run one way.  A backend that published
 * a result itself, lock-free (the ring's reapers), says so in
 * req->published.
 *
 * Locking: start and cancel are called with the request's queue lock held
 * (queue.c); they may take the backend's own locks, which are leaves.
 * flush and reap take none that a signal handler could be waiting for.
 */
#ifndef AIO_POSIX_BACKEND_H
#define AIO_POSIX_BACKEND_H

#include <stdbool.h>
#include <time.h>

#include "request.h"
#include "support.h"

enum start_result {
	START_DECLINED,		/* not this backend's: try the next one */
	START_TAKEN,		/* it will complete through the completion function */
	START_DONE,		/* inline only: done now, result and error set */
};

/* The cancel answer for a request a backend holds. */
enum cancel_result {
	CANCEL_WITHDRAWN,	/* taken back before it started: finish it here */
	CANCEL_CALLED_BACK,	/* the kernel gave it back: finish it here; its
				 * late completion still arrives (an orphan) */
	CANCEL_RUNNING,		/* too late */
};

struct backend {
	const char *name;
	/* Take req, which may run now.  A backend that takes it holds it in
	 * the lane req->lane until that lane's next flush (the core flushes at
	 * once unless lane.c says the request may be staged). */
	enum start_result (*start)(struct request *req);
	/* Hand on what lane staged; flags as below.  False if something is
	 * left staged (a lock was busy, the kernel short of resources). */
	bool (*flush)(unsigned lane, unsigned flags);
	enum cancel_result (*cancel)(struct request *req);
	/* Pass to the completion function what was reaped elsewhere. */
	void (*settle)(void);
	void (*after_fork_child)(void);
};

/* The flags of flush. */
#define FLUSH_MAY_BLOCK 1u	/* the caller may take locks and sleep for them
				 * (not in aio_suspend, aio_error, handlers) */
#define FLUSH_SETTLES 2u	/* the caller settles (core_settle) right after:
				 * what completes now need not wake the reaper */
#define FLUSH_SETTLES_URGENT 4u	/* the caller settles right after if
				 * uring_urgent_left says so, instead of the
				 * reaper being woken for it */

extern const struct backend inline_backend, uring_backend, poller_backend, pool_backend;

/* The core's completion function: count requests whose result and error
 * are set (and maybe published), all of one call.  Not async-signal-safe. */
typedef void completion_function(struct request **requests, int count);
void backend_set_completion(completion_function *function);	/* backend.c */
extern completion_function *backend_completion;

/* Run one request's system call in this thread; the result or -errno
 * (backend.c).  The pool's workers use it. */
ssize_t request_execute(const struct request *req);

/* --- what only some backends have ---------------------------------------- */

/* The ring (uring.c).  uring_probe sets the backend up if the configuration
 * allows and the kernel agrees; true if requests may go to rings. */
bool uring_probe(void);
bool uring_active(void);
/* Does lane's ring hold entries not yet submitted?  Lock-free. */
bool uring_has_staged(unsigned lane);
/* Async-signal-safe: submit what lane staged, and publish what lane's ring
 * has completed if nobody else is doing it. */
void uring_reap(unsigned lane);
/* Lock-free: lane waits; what its ring reaped so far may be settled from
 * now on (reap.c keeps the latest completions for a while). */
void uring_age(unsigned lane);
/* The settle entry of uring_backend, for lane's ring alone. */
void uring_settle_lane(unsigned lane);
/* Did this thread's last flush with FLUSH_SETTLES_URGENT reap requests
 * that must be settled at once?  Reading it clears it. */
bool uring_urgent_left(void);
/* aio_suspend's wait in the ring of lane itself, when every entry of list
 * still in flight is in that ring: 0 (look again), EINTR, ETIMEDOUT, or
 * ENOTSUP when the caller must wait on the futex instead.  caller_settles:
 * the caller settles right after (core_settle), so what it reaped that is
 * due at once needs no reaper thread. */
int uring_wait(unsigned lane, const struct aiocb *const list[], int count,
	       const struct timespec *deadline, bool caller_settles);
/* Under the request's queue lock: make every thread asleep in lane's ring
 * look again (aio_cancel published a result without a completion). */
void uring_wake_sleepers(unsigned lane);

/* The pool (pool.c): make sure a worker exists before admitting requests
 * that may need one: 0, or EAGAIN. */
int pool_reserve(unsigned lane);
/* The submission that pool_reserve answered 0 has queued its requests. */
void pool_admitted(unsigned lane);
/* The poller holds change more requests, which will come to the pool: the
 * pool keeps a worker while it holds any. */
void pool_hold_worker(int change);
/* O_DIRECT hint for reads, without a system call each time (inline.c). */
bool direct_hint(int fd);

/* Can a buffer be touched without a page fault that may wait for long
 * (residency.c)?  A cached answer; false when unsure. */
bool buffer_resident(const void *buffer, size_t length);

#endif
