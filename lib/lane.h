/* lane.h: submission lanes (lane.c).
 *
 * A lane is what a submitting thread goes through: its own io_uring ring
 * (uring.c keeps one per lane), its staged requests, its request memory and
 * its counters.  Each thread is bound to one lane at its first request: a
 * lane of its own while there are fewer than LANES_MAX, else a shared one.
 * So threads that submit at the same time touch no common lock or line.
 */
#ifndef AIO_POSIX_LANE_H
#define AIO_POSIX_LANE_H

#include <stdbool.h>

#include "request.h"
#include "support.h"

struct lane {
	unsigned index;
	int threads;			/* atomic: threads bound to it now */
	int unreturned;			/* atomic: requests submitted here whose
					 * aio_return has not been called */
	int since_wait;			/* atomic: submissions since a thread of
					 * this lane last waited for one */
	unsigned epoch;			/* atomic: waits after submissions so far
					 * (queue.c checks fds once per epoch) */
	unsigned staged_tick;		/* atomic: the flusher's tick when the
					 * lane staged its oldest unflushed
					 * request; 0: nothing staged */
	unsigned staged;		/* atomic: requests staged since the
					 * last flush */
	struct request *returned;	/* atomic stack: freed requests */
} __attribute__((aligned(64)));

extern struct lane lanes[LANES_MAX];

/* The calling thread's lane, bound at its first call. */
struct lane *lane_current(void);

/* Request memory: from the thread's cache, else the lane's returned stack,
 * else malloc.  request_new gives a zeroed request with its links made;
 * NULL when out of memory. */
struct request *request_new(void);
void request_free(struct request *req);

/* Places under the cap, for the calling thread: false means EAGAIN. */
bool lane_places_take(int count);
void lane_places_give(int count);

/* The staging decision for count requests about to be submitted through
 * lane: true if they may wait for a later flush, false if they must go now.
 * A request goes now when nothing submitted through the lane awaits
 * aio_return, or when no request was submitted since a thread of the lane
 * last waited: a program that submits one request and waits for it keeps
 * the round trip of a single system call.  Requests submitted while others
 * are outstanding are staged, and handed on in one batch at the next call
 * that waits, when LANE_BATCH are staged, or by the flusher within about
 * two of its ticks. */
#define LANE_BATCH 64
bool lane_stage_wanted(struct lane *lane, int count);
/* The lane staged requests: start the flusher's clock.  False when there
 * is no flusher (no thread could be made): then flush now. */
bool lane_note_staged(struct lane *lane);
/* A thread is about to wait for requests (aio_suspend, aio_error of one in
 * progress, LIO_WAIT): its lane's next submission goes at once. */
void lane_note_wait(void);
/* aio_return collected a request submitted through lane_index. */
void lane_note_returned(int lane_index);

/* Hand on what lane staged, on every backend: flags as in backend.h. */
void lane_flush(struct lane *lane, unsigned flags);
void lane_flush_index(unsigned lane_index, unsigned flags);

/* Around building and admitting requests: a fork waits for it, so that
 * the child finds every request (in a queue or in a thread's cache). */
void lane_hold(void);
void lane_release(void);

void lane_before_fork(void);
void lane_after_fork_parent(void);
void lane_after_fork_child(void);

#endif
