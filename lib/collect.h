/* collect.h: handing finished requests over, beyond aio_error and
 * aio_return: what collect.c, completion-queue.c, eventfd.c, solaris.c and
 * vectored.c share, and the few calls the core makes into them.
 *
 * Every request belongs to one collection domain, fixed at submission
 * (collect_claim):
 *   COLLECT_PROCESS  the process-wide record: aio_waitcomplete and
 *                    aio_waitn return it (collect.c);
 *   COLLECT_QUEUE    its completion queue: aio_queue_reap returns it
 *                    (completion-queue.c);
 *   COLLECT_SOLARIS  a request of aioread or aiowrite: aiowait returns it
 *                    (solaris.c);
 *   COLLECT_NONE     SIGEV_AIO_PRIVATE: only aio_error and aio_return.
 * The core calls collect_request_finished once per finished request, after
 * its result is public and before its notification is delivered, outside
 * every lock of the core; collect_release when a claimed request is given
 * back without finishing (refused, or forgotten in a fork child); and
 * collect_note_return from aio_return.  Nothing here ever reads or writes
 * an aiocb after its result is public, except through aio_return's and
 * the waiters' own arguments.
 */
#ifndef AIO_POSIX_COLLECT_H
#define AIO_POSIX_COLLECT_H

#include <aio.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include "abi.h"

struct notification;
struct request;
struct completion_queue;

enum collect_domain {
	COLLECT_NONE,
	COLLECT_PROCESS,
	COLLECT_QUEUE,
	COLLECT_SOLARIS,
};

/* Which entry of its domain stands for a request.  For COLLECT_PROCESS the
 * record's slot, the slot's generation when it was claimed, and the shard
 * (the submitting lane's) it was claimed from; slot and generation,
 * packed, are the aiocb's collect ticket (abi.h). */
struct collect_ticket {
	enum collect_domain domain;
	uint32_t slot;
	uint32_t generation;
	uint32_t shard;
};

/* Flags of a submission (submit_aiocb, request_prepare: api.h). */
enum request_flags {
	REQUEST_VECTORED = 1,		/* aio_iov, aio_iovcnt */
	REQUEST_AT_FILE_POSITION = 2,	/* at the fd's offset, which advances */
	REQUEST_SOLARIS = 4,		/* aioread, aiowrite: aiowait's own */
};

/* --- the core's calls ---------------------------------------------------- */

/* At submission, with the aiocb still the library's: choose the request's
 * domain and take its place there.  0, or EAGAIN (no memory). */
int collect_claim(struct notification *n, struct aiocb *cb, unsigned flags);
/* A claimed request will not finish: give its place back. */
void collect_release(struct notification *n);
/* A request has finished: hand it to its domain.  cb is not dereferenced. */
void collect_request_finished(struct notification *n, struct aiocb *cb, ssize_t result,
			      int error);
/* aio_return on a finished request: the process-wide waiters no longer
 * return it.  Lock-free and async-signal-safe. */
void collect_note_return(const struct aiocb *cb);

/* --- waiting, shared by the waiters of every domain (collect.c) ---------- */

/* A futex word that moves whenever what the waiters look at changes, and
 * the count of threads registered to wait on it.  A waiter registers
 * (waitpoint_enter) before it first reads the word and looks, and leaves
 * when its call ends (a cleanup handler, for cancellation); a changer
 * makes its change, then calls waitpoint_wake, which moves the word and
 * wakes if anyone is registered (the sequentially consistent pair of
 * suspend.c).  A changer that skips waitpoint_wake while nobody is
 * registered (collect.c's record) must fence between its change and its
 * look at sleepers. */
struct waitpoint {
	int changes;
	int sleepers;			/* registered */
	int asleep;			/* of those, in the futex wait: only then
					 * does a change cost a wake-up call */
};

/* Threads registered at any waitpoint: while there are any, a request of a
 * collection domain is settled at once when it completes (reap.c's
 * settle_is_urgent), not lazily. */
extern int collect_waiters;
static inline bool
collect_waiting(void)
{
	return __atomic_load_n(&collect_waiters, __ATOMIC_RELAXED) > 0;
}

void waitpoint_enter(struct waitpoint *point);
void waitpoint_leave(struct waitpoint *point);
/* Before a waiter sleeps: hand on what every lane staged and publish what
 * the rings completed; may_block (not in a signal handler) also settles it
 * all, so that it reaches its domain without the reaper thread. */
void collect_settle_all(bool may_block);
/* After a change, made visible before the call: wake the sleepers. */
void waitpoint_wake(struct waitpoint *point);
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

/* The value to pass to waitpoint_sleep; read it before looking. */
int waitpoint_seen(struct waitpoint *point);
/* Registered: sleep while nothing changed since seen, until the deadline:
 * 0, EINTR or ETIMEDOUT.  A cancellation point.  First collect_settle_all
 * (may_settle: the caller may take locks, not in a signal handler). */
int waitpoint_sleep(struct waitpoint *point, int seen, struct deadline *deadline,
		    bool may_settle);

/* --- completion queues (completion-queue.c) ------------------------------ */

/* Tie a request (or a list's notification) to the open queue whose
 * descriptor is fd: its entry is reserved, so that posting never
 * allocates, and the reservation keeps the queue alive.  NULL with *error
 * EINVAL (fd is not an open queue) or EAGAIN (no memory). */
struct completion_queue *completion_queue_tie(int fd, int *error);
/* Remember a tied request's aiocb while it is in flight, so that a reaper
 * may wait for it in the io_uring ring; *place says where (ticket.slot). */
void completion_queue_track(struct completion_queue *queue, struct aiocb *cb,
			    uint32_t *place);
/* Give the reservation back unused (place: UINT32_MAX if never tracked). */
void completion_queue_untie(struct completion_queue *queue, uint32_t place);
/* Post into the reservation: a finished request, or a list's own
 * notification (cb NULL, place UINT32_MAX). */
void completion_queue_post(struct completion_queue *queue, uint32_t place, struct aiocb *cb,
			   ssize_t result, int error, union sigval value);

/* --- SIGEV_AIO_EVENTFD (eventfd.c) --------------------------------------- */

/* A private descriptor for the caller's eventfd (shared while it is the
 * same file), or -1 with errno EINVAL. */
int eventfd_acquire(int fd);
void eventfd_signal(int private_fd);
void eventfd_release(int private_fd);

/* --- the Solaris interface (solaris.c) ----------------------------------- */

void solaris_request_finished(struct aiocb *cb, ssize_t result, int error);

/* --- vectored requests (vectored.c) -------------------------------------- */

/* Check and copy a vectored aiocb's iovec array into req: 0, or EINVAL,
 * EFAULT, EAGAIN. */
int vector_prepare(struct request *req, const struct aiocb *cb);
/* request_execute's system call for a vectored request, one at the file
 * position, or an mlock: the result, or -1 with errno. */
ssize_t request_execute_extension(const struct request *req);

#endif
