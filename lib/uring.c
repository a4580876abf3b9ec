/* uring.c: the io_uring backend: set-up and submission.  Completion is
 * reap.c's.
 *
 * One ring per submission lane, made at the lane's first request (so
 * threads that submit at the same time share no ring), while
 * AIO_POSIX_BACKEND is auto or uring.  The first ring is made when the
 * library starts, to learn whether the kernel allows rings at all: any
 * refusal (ENOSYS, EPERM, io_uring_disabled, seccomp, a missing opcode)
 * leaves the thread pool in charge for good, silently, and with
 * AIO_POSIX_BACKEND=uring a warning says so.  A later lane whose ring
 * cannot be made sends its requests to the pool.
 *
 * What the ring takes: reads, writes and syncs on regular files and block
 * devices, and reads on streams (not O_NONBLOCK ones, where read() owes
 * EAGAIN at once).  The kernel waits for a stream to be ready by polling,
 * with no thread of ours, so a read that may wait forever holds nothing,
 * and it can be called back (uring_cancel).  Stream writes stay with the
 * pool: the ring ends a write to a pipe short of room with a short count,
 * where aio_write, like a blocking write(), owes the whole transfer.
 *
 * Submission never waits for a transfer.  An entry is issued inline when
 * it is submitted (the kernel first tries without blocking), so one that
 * would copy much, or touch a buffer that may fault for long
 * (residency.c), is marked IOSQE_ASYNC: the kernel's workers do it, and
 * io_uring_enter returns at once.
 *
 * Invariants:
 *  - A ring's submission entries are filled only under its producers lock
 *    (by the lane's threads, and by settlers that start a request another
 *    one held back), and made visible by a release store of the ring's
 *    tail.  Submitting them to the kernel (ring_submit) takes no lock: any
 *    thread may call io_uring_enter, and the kernel consumes the entries up
 *    to the tail it reads.  So aio_suspend and aio_error, which may run in
 *    signal handlers, submit a staged batch without locking.
 *  - held counts the requests filled in and not yet reaped; it never
 *    exceeds capacity, cq_entries less WAKE_UP_ROOM, so the completion
 *    queue never overflows.  Past it, requests go to the pool.
 *  - A request in a ring is RUNNING: only a stream read can be called back.
 *  - The producers lock is a leaf: it is taken under a shard lock, never
 *    the other way round.
 * In a fork child the rings are the parent's: the child unmaps its copies
 * and makes its own at its next request.
 *
 * liburing is linked statically and its names are not exported, so the
 * library never needs liburing at run time.
 */
#include "config.h"

#include "backend.h"

#ifdef HAVE_LIBURING

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "fault.h"
#include "ring.h"

struct ring rings[LANES_MAX];
int completion_event = -1;
bool waiters_sleep_in_ring;
bool backend_active;

/* Larger transfers are left to the kernel's workers (see the top). */
#define ISSUE_INLINE_MAX (64 * 1024)

static struct lock setup_lock = LOCK_INIT;
static enum { UNPROBED, PROBED_YES, PROBED_NO } probed;	/* atomic; set under setup_lock */

static bool
opcodes_supported(struct io_uring *uring)
{
	struct io_uring_probe *probe = io_uring_get_probe_ring(uring);
	if (!probe)
		return false;
	bool ok = io_uring_opcode_supported(probe, IORING_OP_READ) &&
		  io_uring_opcode_supported(probe, IORING_OP_WRITE) &&
		  io_uring_opcode_supported(probe, IORING_OP_FSYNC);
	io_uring_free_probe(probe);
	return ok;
}

/* Under setup_lock.  Make lane's ring; true if it is usable. */
static bool
ring_make(unsigned lane)
{
	struct ring *r = &rings[lane];
	if (FAULT(FAULT_URING_SETUP) || io_uring_queue_init(RING_ENTRIES, &r->uring, 0) < 0)
		return false;
	/* Keep the ring's fd out of the numbers the application reuses. */
	r->uring.ring_fd = r->uring.enter_ring_fd = fd_move_high(r->uring.ring_fd);
	if (!opcodes_supported(&r->uring)) {
		io_uring_queue_exit(&r->uring);
		return false;
	}
	/* Entry i of the submission array is always submission entry i. */
	for (unsigned i = 0; i <= r->uring.sq.ring_mask; i++)
		r->uring.sq.array[i] = i;
	r->tail = *r->uring.sq.ktail;
	if (completion_event >= 0 && io_uring_register_eventfd(&r->uring, completion_event) < 0) {
		io_uring_queue_exit(&r->uring);
		return false;
	}
	r->capacity = r->uring.cq.ring_entries - WAKE_UP_ROOM;
	__atomic_store_n(&r->held, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&r->urgent, NULL, __ATOMIC_RELAXED);
	__atomic_store_n(&r->reaped, NULL, __ATOMIC_RELAXED);
	__atomic_store_n(&r->aged, NULL, __ATOMIC_RELAXED);
	__atomic_store_n(&r->reap_role, 0, __ATOMIC_RELAXED);
	lock_reset(&r->producers);
	__atomic_store_n(&r->state, RING_ACTIVE, __ATOMIC_RELEASE);
	return true;
}

/* The first ring, and what every ring shares. */
static bool
probe(void)
{
	if (config.backend == BACKEND_THREADS)
		return false;
	int event = eventfd(0, EFD_CLOEXEC);
	completion_event = event < 0 ? -1 : fd_move_high(event);
	if (completion_event < 0 || !ring_make(0))
		goto refused;
	__atomic_store_n(&backend_active, true, __ATOMIC_RELEASE);
	if (!reaper_start()) {
		__atomic_store_n(&backend_active, false, __ATOMIC_RELEASE);
		io_uring_queue_exit(&rings[0].uring);
		rings[0].state = RING_FAILED;
		goto refused;
	}
	__atomic_store_n(&waiters_sleep_in_ring,
			 (rings[0].uring.features & IORING_FEAT_EXT_ARG) != 0, __ATOMIC_RELEASE);
	stats_live->backend = BACKEND_URING;
	return true;
refused:
	if (completion_event >= 0)
		close(completion_event);
	completion_event = -1;
	return false;
}

bool
uring_probe(void)
{
	lock_take(&setup_lock);
	if (probed == UNPROBED)
		__atomic_store_n(&probed, probe() ? PROBED_YES : PROBED_NO, __ATOMIC_RELEASE);
	bool yes = probed == PROBED_YES;
	lock_give(&setup_lock);
	return yes;
}

bool
uring_active(void)
{
	if (__atomic_load_n(&backend_active, __ATOMIC_ACQUIRE))
		return true;
	/* A fork child probes again at its first request. */
	return __atomic_load_n(&probed, __ATOMIC_ACQUIRE) == UNPROBED && uring_probe();
}

/* lane's ring, made if need be; NULL: the pool serves this lane. */
static struct ring *
ring_of(int lane)
{
	if (lane < 0 || !uring_active())
		return NULL;
	struct ring *r = &rings[lane];
	int state = __atomic_load_n(&r->state, __ATOMIC_ACQUIRE);
	if (state == RING_UNMADE) {
		lock_take(&setup_lock);
		if (__atomic_load_n(&r->state, __ATOMIC_RELAXED) == RING_UNMADE && !ring_make(lane))
			__atomic_store_n(&r->state, RING_FAILED, __ATOMIC_RELEASE);
		lock_give(&setup_lock);
		state = __atomic_load_n(&r->state, __ATOMIC_ACQUIRE);
	}
	return state == RING_ACTIVE ? r : NULL;
}

bool
uring_has_staged(unsigned lane)
{
	struct ring *r = &rings[lane];
	return __atomic_load_n(&r->state, __ATOMIC_ACQUIRE) == RING_ACTIVE &&
	       __atomic_load_n(r->uring.sq.ktail, __ATOMIC_ACQUIRE) !=
	       __atomic_load_n(r->uring.sq.khead, __ATOMIC_ACQUIRE);
}

/* Under r->producers: the next free submission entry, or NULL. */
static struct io_uring_sqe *
entry_take(struct ring *r)
{
	unsigned entries = r->uring.sq.ring_entries;
	if (r->tail - __atomic_load_n(r->uring.sq.khead, __ATOMIC_ACQUIRE) >= entries) {
		/* Full of staged entries: hand them to the kernel first. */
		ring_submit(r, 0);
		if (r->tail - __atomic_load_n(r->uring.sq.khead, __ATOMIC_ACQUIRE) >= entries)
			return NULL;
	}
	struct io_uring_sqe *sqe = &r->uring.sq.sqes[r->tail & r->uring.sq.ring_mask];
	return sqe;
}

static void
entry_publish(struct ring *r)
{
	r->tail++;
	KERNEL_HANDOFF_RELEASE(r);
	__atomic_store_n(r->uring.sq.ktail, r->tail, __ATOMIC_RELEASE);
}

static enum start_result
uring_start(struct request *req)
{
	/* A bad fd goes to the pool, whose system call reports it as EBADF;
	 * so do stream writes and syncs (see the top). */
	if (req->io_fd < 0 || (req->stream && req->op != OP_READ))
		return START_DECLINED;
	/* At the file position (the kernel's offset -1 is not FIFO on its
	 * own), and mlock, which has no opcode: the pool (backend.c). */
	if (req->at_file_position || req->op == OP_MLOCK)
		return START_DECLINED;
	struct ring *r = ring_of(req->lane);
	if (!r)
		return START_DECLINED;
	/* The ring waits for data even on an O_NONBLOCK stream, where read()
	 * answers EAGAIN at once: such reads go to the pool.  (The flag is the
	 * open file description's, which our duplicate shares.) */
	if (req->stream) {
		int flags = fcntl(req->io_fd, F_GETFL);
		if (flags == -1 || (flags & O_NONBLOCK))
			return START_DECLINED;
	}
	bool issue_async = req->length > ISSUE_INLINE_MAX || req->vector ||
			   ((req->op == OP_READ || req->op == OP_WRITE) &&
			    !buffer_resident(req->buffer, req->length));
	if (FAULT(FAULT_URING_SUBMIT))
		return START_DECLINED;
	if (!lock_try(&r->producers)) {
		STATS_ADD(lock_waits, 1);
		lock_slow(&r->producers);
	}
	struct io_uring_sqe *sqe = NULL;
	if (__atomic_load_n(&r->held, __ATOMIC_RELAXED) < r->capacity)
		sqe = entry_take(r);
	if (!sqe) {
		lock_give(&r->producers);
		return START_DECLINED;
	}
	/* A stream has no offset: -1 says so. */
	__u64 offset = req->stream ? (__u64)-1 : (__u64)req->offset;
	switch (req->op) {
	case OP_READ:
		if (req->vector)	/* one entry for the whole vector */
			io_uring_prep_readv(sqe, req->io_fd, req->vector,
					    (unsigned)req->vector_count, offset);
		else
			io_uring_prep_read(sqe, req->io_fd, req->buffer, (unsigned)req->length,
					   offset);
		break;
	case OP_WRITE:
		if (req->vector)
			io_uring_prep_writev(sqe, req->io_fd, req->vector,
					     (unsigned)req->vector_count, offset);
		else
			io_uring_prep_write(sqe, req->io_fd, req->buffer, (unsigned)req->length,
					    offset);
		break;
	case OP_FSYNC:
		io_uring_prep_fsync(sqe, req->io_fd, 0);
		break;
	case OP_DATASYNC:
		io_uring_prep_fsync(sqe, req->io_fd, IORING_FSYNC_DATASYNC);
		break;
	case OP_MLOCK:		/* declined above */
		break;
	}
	if (issue_async)
		sqe->flags |= IOSQE_ASYNC;
	io_uring_sqe_set_data(sqe, req);
	abi_set_flags(req->aiocb, ABI_IN_RING);
	__atomic_add_fetch(&r->held, 1, __ATOMIC_RELAXED);
	entry_publish(r);
	lock_give(&r->producers);
	return START_TAKEN;
}

static bool
uring_flush(unsigned lane, unsigned flags)
{
	struct ring *r = &rings[lane];
	if (__atomic_load_n(&r->state, __ATOMIC_ACQUIRE) != RING_ACTIVE)
		return true;
	ring_submit(r, flags);
	return !uring_has_staged(lane);
}

void
uring_wake_sleepers(unsigned lane)
{
	struct ring *r = &rings[lane];
	if (__atomic_load_n(&r->state, __ATOMIC_ACQUIRE) != RING_ACTIVE)
		return;
	lock_take(&r->producers);
	struct io_uring_sqe *sqe = NULL;
	if (__atomic_load_n(&r->held, __ATOMIC_RELAXED) < r->uring.cq.ring_entries)
		sqe = entry_take(r);
	if (sqe) {
		io_uring_prep_nop(sqe);
		io_uring_sqe_set_data(sqe, NULL);
		__atomic_add_fetch(&r->held, 1, __ATOMIC_RELAXED);
		entry_publish(r);
	}
	lock_give(&r->producers);
	ring_submit(r, FLUSH_MAY_BLOCK);
}

static enum cancel_result
uring_cancel(struct request *req)
{
	if (!req->stream || req->lane < 0)
		return CANCEL_RUNNING;
	struct ring *r = &rings[req->lane];
	ring_submit(r, FLUSH_MAY_BLOCK | FLUSH_SETTLES);	/* it must be in the kernel to be found */
	struct io_uring_sync_cancel_reg cancel = {
		.addr = (__u64)(uintptr_t)req,
		.fd = -1,
		.timeout = { .tv_sec = 0, .tv_nsec = 10 * 1000 * 1000 },
	};
	/* -EALREADY: it is transferring data; -ENOENT: it has completed.
	 * 0: it is gone from the kernel, cancelled (-ECANCELED) or, when
	 * it was running and finished while the kernel waited, completed:
	 * only its completion entry tells which. */
	if (io_uring_register_sync_cancel(&r->uring, &cancel) != 0)
		return CANCEL_RUNNING;
	return ring_await_cancelled(r, req) ? CANCEL_CALLED_BACK : CANCEL_RUNNING;
}

static void
uring_after_fork_child(void)
{
	lock_reset(&setup_lock);
	for (unsigned i = 0; i < LANES_MAX; i++) {
		struct ring *r = &rings[i];
		if (r->state == RING_ACTIVE)
			io_uring_queue_exit(&r->uring);	/* our copy; the parent's stays */
		r->state = RING_UNMADE;
		r->held = 0;
		/* Their requests were in the queues, freed there. */
		r->urgent = r->reaped = r->aged = NULL;
		r->reap_role = 0;
	}
	if (completion_event >= 0)
		close(completion_event);
	completion_event = -1;
	backend_active = waiters_sleep_in_ring = false;
	probed = UNPROBED;
	reap_after_fork_child();
}

static void
reap_settle(void)
{
	reap_settle_rings(~0u, false);
}

void
uring_settle_lane(unsigned lane)
{
	if (lane < LANES_MAX)
		reap_settle_rings(1u << lane, false);
}

const struct backend uring_backend = {
	.name = "uring",
	.start = uring_start,
	.flush = uring_flush,
	.cancel = uring_cancel,
	.settle = reap_settle,
	.after_fork_child = uring_after_fork_child,
};

#else /* !HAVE_LIBURING */

static enum start_result uring_start(struct request *req) { return START_DECLINED; }
static bool uring_flush(unsigned lane, unsigned flags) { return true; }
static enum cancel_result uring_cancel(struct request *req) { return CANCEL_RUNNING; }
static void uring_settle(void) { }
static void uring_after_fork_child(void) { }
bool uring_probe(void) { return false; }
bool uring_active(void) { return false; }
bool uring_has_staged(unsigned lane) { return false; }
void uring_reap(unsigned lane) { }
void uring_age(unsigned lane) { }
bool uring_urgent_left(void) { return false; }
void uring_settle_lane(unsigned lane) { }
void uring_wake_sleepers(unsigned lane) { }
int
uring_wait(unsigned lane, const struct aiocb *const list[], int count,
	   const struct timespec *deadline, bool caller_settles)
{
	return ENOTSUP;
}

const struct backend uring_backend = {
	.name = "uring",
	.start = uring_start,
	.flush = uring_flush,
	.cancel = uring_cancel,
	.settle = uring_settle,
	.after_fork_child = uring_after_fork_child,
};

#endif
