/* uring.c: the io_uring backend: reads, writes and syncs on regular files
 * and block devices, and reads on streams.
 *
 * One ring for the process, set up at first use when AIO_POSIX_BACKEND is
 * auto or uring.  Any refusal (ENOSYS, EPERM, io_uring_disabled, seccomp, a
 * missing opcode) leaves the thread pool in charge for good, silently; with
 * AIO_POSIX_BACKEND=uring a warning says so.
 *
 * Stream reads go to the ring too (unless O_NONBLOCK, where read() must say
 * EAGAIN at once): the kernel waits for a pipe or socket to be ready by
 * polling, with no thread of ours, so a read that may wait forever holds
 * nothing.  Such a read can be cancelled: uring_cancel asks
 * the kernel synchronously, and on success the engine publishes ECANCELED
 * at once and leaves the request to the reaper, which frees it when the
 * cancelled completion arrives (see engine_cancel).  Stream writes stay
 * with the pool: the ring ends a write to a pipe short of room with a short
 * count, where aio_write, like a blocking write(), owes the whole transfer.
 *
 * Invariants:
 *  - The submission queue is written only under engine_lock: uring_start
 *    fills an entry, and uring_flush, called before engine_lock is released
 *    wherever requests may have started, submits them all with one system
 *    call (a whole lio_listio goes in one submission).
 *  - The completion queue is read only by the reaper thread, which hands each
 *    result to engine_finish.  liburing allows one submitter and one
 *    completer at a time on the two queues.
 *  - At most cq_entries requests are in the ring, so the completion queue
 *    never overflows; past that, requests go to the pool.
 *  - A request in the ring is RUNNING: only a stream request can be called
 *    back, through uring_cancel, under engine_lock.
 * In a fork child the ring is the parent's: the child unmaps its copy and
 * sets up its own at its next request.
 *
 * liburing is linked statically and its names are not exported, so the
 * library never needs liburing at run time.
 */
#include "config.h"

#include "engine.h"

#ifdef HAVE_LIBURING

#include <errno.h>
#include <fcntl.h>
#include <liburing.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>

#include "fault.h"

#define RING_ENTRIES 256

enum ring_state { RING_UNPROBED, RING_ACTIVE, RING_DISABLED };

static struct io_uring ring;
static enum ring_state state = RING_UNPROBED;
static unsigned in_ring;		/* requests submitted, not yet reaped */
static unsigned capacity;		/* cq_entries */
static unsigned unsubmitted;		/* entries filled since the last flush */

static void *
reaper_main(void *arg)
{
	struct io_uring *r = arg;
	for (;;) {
		struct io_uring_cqe *cqe;
		int rc = io_uring_wait_cqe(r, &cqe);
		if (rc == -EINTR || rc == -EAGAIN)
			continue;
		if (rc < 0)
			return NULL;	/* the ring is gone (fork child) */
		unsigned head, seen = 0;
		io_uring_for_each_cqe(r, head, cqe) {
			struct request *req = io_uring_cqe_get_data(cqe);
			int res = cqe->res;
			seen++;
			__atomic_sub_fetch(&in_ring, 1, __ATOMIC_RELAXED);
			engine_finish(req, res < 0 ? -1 : res, res < 0 ? -res : 0);
		}
		io_uring_cq_advance(r, seen);
	}
}

static bool
opcodes_supported(void)
{
	struct io_uring_probe *probe = io_uring_get_probe_ring(&ring);
	if (!probe)
		return false;
	bool ok = io_uring_opcode_supported(probe, IORING_OP_READ) &&
		  io_uring_opcode_supported(probe, IORING_OP_WRITE) &&
		  io_uring_opcode_supported(probe, IORING_OP_FSYNC);
	io_uring_free_probe(probe);
	return ok;
}

/* Under engine_lock.  True if the ring is usable now. */
static bool
ring_ready(void)
{
	if (state != RING_UNPROBED)
		return state == RING_ACTIVE;
	state = RING_DISABLED;
	if (config.backend == BACKEND_THREADS)
		return false;
	if (FAULT(FAULT_URING_SETUP) || io_uring_queue_init(RING_ENTRIES, &ring, 0) < 0)
		return false;
	/* Keep the ring's fd out of the numbers the application reuses. */
	ring.ring_fd = ring.enter_ring_fd = fd_move_high(ring.ring_fd);
	if (!opcodes_supported()) {
		io_uring_queue_exit(&ring);
		return false;
	}
	/* Set before the reaper starts: it updates in_ring from then on. */
	capacity = ring.cq.ring_entries;
	in_ring = 0;
	unsubmitted = 0;
	pthread_attr_t attributes;
	sigset_t all;
	pthread_t thread;
	sigfillset(&all);
	int rc = pthread_attr_init(&attributes);
	if (rc == 0) {
		pthread_attr_setdetachstate(&attributes, PTHREAD_CREATE_DETACHED);
		pthread_attr_setsigmask_np(&attributes, &all);
		rc = FAULT(FAULT_THREAD_CREATE) ? EAGAIN
			: pthread_create(&thread, &attributes, reaper_main, &ring);
		pthread_attr_destroy(&attributes);
	}
	if (rc != 0) {
		io_uring_queue_exit(&ring);
		return false;
	}
	state = RING_ACTIVE;
	stats_live->backend = BACKEND_URING;
	return true;
}

bool
uring_start(struct request *req)
{
	/* A bad fd goes to the pool, whose system call reports it as EBADF;
	 * so do stream writes and syncs (see above). */
	if (req->io_fd < 0 || (req->stream && req->op != OP_READ) || !ring_ready())
		return false;
	/* The ring waits for data even on an O_NONBLOCK stream, where read()
	 * answers EAGAIN at once: such reads go to the pool.  (The flag is the
	 * open file description's, which our duplicate shares.) */
	if (req->stream) {
		int flags = fcntl(req->io_fd, F_GETFL);
		if (flags == -1 || (flags & O_NONBLOCK))
			return false;
	}
	if (__atomic_load_n(&in_ring, __ATOMIC_RELAXED) + unsubmitted >= capacity ||
	    FAULT(FAULT_URING_SUBMIT))
		return false;
	struct io_uring_sqe *sqe = io_uring_get_sqe(&ring);
	if (!sqe) {
		uring_flush();
		sqe = io_uring_get_sqe(&ring);
		if (!sqe)
			return false;
	}
	/* A stream has no offset: -1 says so. */
	__u64 offset = req->stream ? (__u64)-1 : (__u64)req->offset;
	switch (req->op) {
	case OP_READ:
		io_uring_prep_read(sqe, req->io_fd, req->buffer, (unsigned)req->length, offset);
		break;
	case OP_WRITE:
		io_uring_prep_write(sqe, req->io_fd, req->buffer, (unsigned)req->length, offset);
		break;
	case OP_FSYNC:
		io_uring_prep_fsync(sqe, req->io_fd, 0);
		break;
	case OP_DATASYNC:
		io_uring_prep_fsync(sqe, req->io_fd, IORING_FSYNC_DATASYNC);
		break;
	}
	io_uring_sqe_set_data(sqe, req);
	req->in_ring = true;
	unsubmitted++;
	return true;
}

bool
uring_cancel(struct request *req)
{
	if (state != RING_ACTIVE || !req->in_ring || !req->stream)
		return false;
	uring_flush();		/* it must have been submitted to be found */
	struct io_uring_sync_cancel_reg cancel = {
		.addr = (__u64)(uintptr_t)req,
		.fd = -1,
		.timeout = { .tv_sec = 0, .tv_nsec = 10 * 1000 * 1000 },
	};
	/* 0: cancelled, and its completion (-ECANCELED) is on its way;
	 * -EALREADY: it is transferring data; -ENOENT: it has completed. */
	return io_uring_register_sync_cancel(&ring, &cancel) == 0;
}

void
uring_flush(void)
{
	if (unsubmitted == 0)
		return;
	/* A request counts as in the ring from its submission on. */
	__atomic_add_fetch(&in_ring, unsubmitted, __ATOMIC_RELAXED);
	unsubmitted = 0;
	for (int attempt = 0; attempt < 1000; attempt++) {
		int rc = io_uring_submit(&ring);
		if (rc >= 0 || (rc != -EAGAIN && rc != -EBUSY && rc != -EINTR))
			return;
		sched_yield();	/* the kernel is short of resources: retry */
	}
}

bool
uring_probe(void)
{
	return ring_ready();
}

void
uring_after_fork_child(void)
{
	if (state == RING_ACTIVE)
		io_uring_queue_exit(&ring);	/* our copy only; the parent's stays */
	state = RING_UNPROBED;
	in_ring = unsubmitted = 0;
}

#else /* !HAVE_LIBURING */

bool uring_start(struct request *req) { return false; }
void uring_flush(void) { }
bool uring_probe(void) { return false; }
bool uring_cancel(struct request *req) { return false; }
void uring_after_fork_child(void) { }

#endif
