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
 * Reaping.  A completion is reaped by whoever needs it first: a thread in
 * aio_suspend, which sleeps in the ring itself when every request it waits
 * for is there, so that the kernel wakes it directly; a caller of
 * aio_error; a lio_listio caller; or the reaper thread, which the kernel
 * wakes through an eventfd at every completion, for notifications and for
 * completions nobody waits for.  Reaping is in two steps:
 *  1. drain_completions, async-signal-safe: publish each result to its
 *     aiocb and count it, then push the request on the reaped list.  The
 *     one exception is ECANCELED, which may belong to an orphan (see
 *     engine_cancel), something only engine_lock can tell: it is published
 *     in step 2.
 *  2. uring_settle: engine_finish_many, under engine_lock: the request
 *     leaves its queue, the fd's next requests start, then notification
 *     and the lio_listio group.  The reaper thread runs it after every
 *     wake-up, and so does every caller that may take a lock.
 *
 * Invariants:
 *  - The submission queue is written only under engine_lock: uring_start
 *    fills an entry, and uring_flush, called before engine_lock is released
 *    wherever requests may have started, submits them all with one system
 *    call (a whole lio_listio goes in one submission).
 *  - The completion queue is read only by the holder of reap_role, a word
 *    taken with a compare-and-swap that holds the holder's pthread_self()
 *    (so a signal handler can tell it interrupted the holder), and a mark
 *    bit the reaper sets when it finds the role taken, so that the holder
 *    signals the eventfd when it gives the role back.  Nobody ever waits for
 *    the role, so a signal handler never deadlocks on it.
 *    Results are published before the role is given back (release), so a
 *    thread that takes it next (acquire) and finds its aiocb in progress
 *    knows that its completion has not been reaped yet.
 *  - A thread asleep in the ring holds the role, so nobody can reap its
 *    completion behind its back; it sleeps only when every entry it waits
 *    for carries the ring flag (abi.h), and every such request ends with a
 *    completion queue entry: its own, or, when aio_cancel published its
 *    ECANCELED, a wake-up entry (uring_wake_sleepers).
 *  - Nothing stays on the reaped list.  Every push follows a completion,
 *    which also signalled the eventfd the reaper sleeps on.  Woken, the
 *    reaper takes the role, or, finding it taken, marks it (2) so that the
 *    holder signals the eventfd again when it gives the role back; then it
 *    settles.  Either way it settles after every push of the holder.
 *  - At most cq_entries requests are in the ring, so the completion queue
 *    never overflows; past that, requests go to the pool.
 *  - A request in the ring is RUNNING: only a stream request can be called
 *    back, through uring_cancel, under engine_lock.
 * Without an eventfd (kernels before 5.2) or without IORING_FEAT_EXT_ARG
 * (before 5.11) the reaper keeps the role for good, or waiters do not
 * sleep in the ring, and everything else works the same.
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
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "fault.h"

#define RING_ENTRIES 256
/* Completion queue entries kept free for uring_wake_sleepers. */
#define WAKE_UP_ROOM 8

enum ring_state { RING_UNPROBED, RING_ACTIVE, RING_DISABLED };

static struct io_uring ring;
static enum ring_state state = RING_UNPROBED;	/* under engine_lock */
static bool ring_active;		/* atomic: state is RING_ACTIVE */
static unsigned in_ring;		/* requests submitted, not yet reaped */
static unsigned capacity;		/* requests the ring may hold */
static unsigned unsubmitted;		/* entries filled since the last flush */

static uintptr_t reap_role;		/* atomic: 0, or the holder's
					 * pthread_self() | ROLE_MARKED */
static int completion_event = -1;	/* eventfd the kernel signals at each
					 * completion; -1: none, and the reaper
					 * keeps reap_role for good */
static bool waiters_sleep_in_ring;	/* atomic: aio_suspend may wait here */
static struct request *reaped;		/* atomic: the reaped list, newest
					 * batch first */
static unsigned quiet_windows;		/* atomic: quiet_end calls so far */
static bool reaper_sleeps_for_good;	/* atomic: in a sleep without timeout */

/* How long the reaper lets the reaped list wait, or a quiet window's lost
 * signal, before it looks itself. */
#define HEAL_MILLISECONDS 1

/* --- the reap role -------------------------------------------------------- */

/* The kernel orders a submission before its completion, and a completion
 * before whoever reads its entry; ThreadSanitizer cannot see that. */
#ifdef __SANITIZE_THREAD__
#include <sanitizer/tsan_interface.h>
#define KERNEL_HANDOFF_RELEASE() __tsan_release(&ring)
#define KERNEL_HANDOFF_ACQUIRE() __tsan_acquire(&ring)
#else
#define KERNEL_HANDOFF_RELEASE() ((void)0)
#define KERNEL_HANDOFF_ACQUIRE() ((void)0)
#endif

/* The holder's identity is in the word, so that a signal handler can tell
 * that the holder it cannot wait for is the very thread it interrupted. */
#define ROLE_MARKED ((uintptr_t)1)	/* the reaper wants to hear of its release */

static void poke_reaper(void);

static uintptr_t
role_self(void)
{
	return (uintptr_t)pthread_self() & ~ROLE_MARKED;
}

static bool
role_try(void)
{
	uintptr_t free_role = 0;
	return __atomic_compare_exchange_n(&reap_role, &free_role, role_self(), false,
					   __ATOMIC_ACQUIRE, __ATOMIC_RELAXED);
}

/* Does this thread hold the role, in code a signal handler interrupted? */
static bool
role_held_here(void)
{
	return (__atomic_load_n(&reap_role, __ATOMIC_RELAXED) & ~ROLE_MARKED) == role_self();
}

/* Give the role back; if the reaper found it taken, tell it through the
 * eventfd, which it sleeps on, that it is free now.  Async-signal-safe. */
static void
role_release(void)
{
	if (__atomic_exchange_n(&reap_role, 0, __ATOMIC_RELEASE) & ROLE_MARKED)
		poke_reaper();
}

static void quiet_end(void);

/* What a sleeper cancelled in the ring gives back. */
struct sleep_state {
	bool owns_role;
	bool quiet;
};

static void
release_on_cancel(void *arg)
{
	const struct sleep_state *sleeper = arg;
	if (!sleeper->owns_role)
		return;
	if (sleeper->quiet)
		quiet_end();
	role_release();
}

/* Wake the reaper: something on the reaped list should be settled soon.
 * Async-signal-safe. */
static void
poke_reaper(void)
{
	int saved = errno;
	uint64_t one = 1;
	ssize_t unused = write(completion_event, &one, sizeof one);
	(void)unused;
	errno = saved;
}

/* A quiet window: the kernel does not signal the eventfd while a thread of
 * ours is about to reap whatever completes (see the top of the file). */
static bool
quiet_begin(void)
{
	if (completion_event < 0 || !ring.cq.kflags)
		return false;
	__atomic_fetch_or(ring.cq.kflags, IORING_CQ_EVENTFD_DISABLED, __ATOMIC_SEQ_CST);
	return true;
}

/* After a quiet window the reaper looks again within HEAL_MILLISECONDS,
 * in case the kernel lost a signal to its race with the re-enabling: it
 * checks quiet_windows before it sleeps, and a reaper already asleep for
 * good is woken here (Dekker's pattern on the two sequentially consistent
 * variables).  While windows follow each other, it sleeps with a timeout,
 * and nobody pays for a wake-up. */
static void
quiet_end(void)
{
	__atomic_fetch_and(ring.cq.kflags, ~(unsigned)IORING_CQ_EVENTFD_DISABLED, __ATOMIC_SEQ_CST);
	__atomic_add_fetch(&quiet_windows, 1, __ATOMIC_SEQ_CST);
	bool asleep = true;
	if (__atomic_load_n(&reaper_sleeps_for_good, __ATOMIC_SEQ_CST) &&
	    __atomic_load_n(&in_ring, __ATOMIC_RELAXED) > 0 &&
	    __atomic_compare_exchange_n(&reaper_sleeps_for_good, &asleep, false, false,
					__ATOMIC_SEQ_CST, __ATOMIC_RELAXED))
		poke_reaper();
}

static bool
completions_waiting(void)
{
	return __atomic_load_n(ring.cq.ktail, __ATOMIC_ACQUIRE) !=
	       __atomic_load_n(ring.cq.khead, __ATOMIC_RELAXED);
}

/* The reaper's: take the role, or mark it so that its holder tells the
 * reaper when it gives it back.  Acquire either way: whatever the holders
 * pushed before, the reaper's uring_settle sees. */
static bool
role_take_or_mark(void)
{
	for (;;) {
		if (role_try())
			return true;
		uintptr_t holder = __atomic_load_n(&reap_role, __ATOMIC_ACQUIRE);
		if (holder & ROLE_MARKED)
			return false;
		if (holder && __atomic_compare_exchange_n(&reap_role, &holder, holder | ROLE_MARKED,
							  false, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
			return false;
	}
}

/* --- reaping -------------------------------------------------------------- */

/* Does the rest of a request's completion matter to anyone soon?  A
 * notification, a lio_listio group, the next request of a FIFO, an fsync
 * waiting for earlier writes, and a duplicate fd to close do; a plain read
 * on the application's own fd only gives back memory. */
static bool
settle_is_urgent(const struct request *req)
{
	return req->notification.kind != SIGEV_NONE || req->group || req->in_order ||
	       req->op != OP_READ || req->io_fd != req->fd;
}

/* Step 1, with the role held: see the top of the file.  Async-signal-safe.
 * Returns how many entries it consumed; *urgent says whether any of them
 * should be settled soon. */
static unsigned
drain_completions(bool *urgent)
{
	struct io_uring_cqe *cqe;
	struct request *first = NULL, **last = &first;
	unsigned head, seen = 0;
	bool published = false;

	io_uring_for_each_cqe(&ring, head, cqe) {
		struct request *req = io_uring_cqe_get_data(cqe);
		KERNEL_HANDOFF_ACQUIRE();	/* each entry: the loop rereads the tail */
		seen++;
		if (!req)
			continue;	/* uring_wake_sleepers' entry */
		int res = cqe->res;
		req->result = res < 0 ? -1 : res;
		req->error = res < 0 ? -res : 0;
		if (res != -ECANCELED) {
			__atomic_add_fetch(&engine_published_early, 1, __ATOMIC_RELAXED);
			abi_publish(req->aiocb, req->result, req->error);
			stats_count_completion(req->error);
			__atomic_store_n(&req->published, true, __ATOMIC_RELEASE);
			published = true;
		}
		if (urgent && (res == -ECANCELED || settle_is_urgent(req)))
			*urgent = true;
		*last = req;
		last = &req->next_reaped;
	}
	if (seen == 0)
		return 0;
	io_uring_cq_advance(&ring, seen);
	__atomic_sub_fetch(&in_ring, seen, __ATOMIC_RELAXED);
	if (first) {
		struct request *top = __atomic_load_n(&reaped, __ATOMIC_RELAXED);
		do
			*last = top;
		while (!__atomic_compare_exchange_n(&reaped, &top, first, true,
						    __ATOMIC_RELEASE, __ATOMIC_RELAXED));
	}
	if (published)
		suspend_wake_all();
	return seen;
}

void
uring_settle(void)
{
	/* Finishing may start more requests, which may complete at once and
	 * be reaped onto the list again: go on until it is empty. */
	while (__atomic_load_n(&reaped, __ATOMIC_RELAXED)) {
		struct request *next = __atomic_exchange_n(&reaped, NULL, __ATOMIC_ACQUIRE);
		while (next) {
			struct request *batch[ENGINE_FINISH_BATCH];
			int count = 0;
			while (next && count < ENGINE_FINISH_BATCH) {
				batch[count++] = next;
				next = next->next_reaped;
			}
			engine_finish_many(batch, count);
		}
	}
}

/* For a signal handler that interrupted this thread while it held the
 * role: publish the results waiting in the completion queue without
 * consuming them (the interrupted code will, and will publish them again:
 * the same values).  Their requests stay alive until then.  Returns how many
 * entries are waiting. */
static unsigned
publish_in_place(void)
{
	unsigned mask = ring.cq.ring_mask;
	unsigned head = __atomic_load_n(ring.cq.khead, __ATOMIC_RELAXED);
	unsigned tail = __atomic_load_n(ring.cq.ktail, __ATOMIC_ACQUIRE);
	KERNEL_HANDOFF_ACQUIRE();
	for (unsigned i = head; i != tail; i++) {
		const struct io_uring_cqe *cqe = &ring.cq.cqes[i & mask];
		struct request *req = io_uring_cqe_get_data(cqe);
		if (req && cqe->res != -ECANCELED)
			abi_publish(req->aiocb, cqe->res < 0 ? -1 : cqe->res,
				    cqe->res < 0 ? -cqe->res : 0);
	}
	return tail - head;
}

/* Reap if nobody is; settle_here: the caller runs uring_settle next, else
 * the reaper is woken for what should not wait.  Async-signal-safe unless
 * settle_here. */
static void
reap(bool settle_here)
{
	if (!__atomic_load_n(&ring_active, __ATOMIC_ACQUIRE) || !completions_waiting())
		return;
	if (!role_try()) {
		if (role_held_here())
			publish_in_place();
		return;
	}
	bool urgent = false;
	drain_completions(&urgent);
	role_release();
	if (urgent && !settle_here)
		poke_reaper();
}

void
uring_reap(void)
{
	reap(false);
}

void
uring_reap_and_settle(void)
{
	reap(true);
	uring_settle();
}

/* Sleep in the ring until it holds min_complete entries, a signal or the
 * deadline: 0, EINTR or ETIMEDOUT. */
static int
sleep_in_ring(const struct timespec *deadline, unsigned min_complete, struct sleep_state *sleeper)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	struct __kernel_timespec left = {
		.tv_sec = deadline->tv_sec - now.tv_sec,
		.tv_nsec = deadline->tv_nsec - now.tv_nsec,
	};
	if (left.tv_nsec < 0) {
		left.tv_sec--;
		left.tv_nsec += 1000000000L;
	}
	if (left.tv_sec < 0)
		return ETIMEDOUT;
	struct io_uring_getevents_arg arg = {
		.sigmask = 0,		/* no mask of our own: signals interrupt */
		.sigmask_sz = _NSIG / 8,
		.ts = (uint64_t)(uintptr_t)&left,
	};
	int saved = errno, old_type;
	long rc;
	/* A cancellation point, like the futex wait: accepted only while
	 * asleep, and the role goes back. */
	pthread_cleanup_push(release_on_cancel, sleeper);
	pthread_setcanceltype(PTHREAD_CANCEL_ASYNCHRONOUS, &old_type);
	rc = syscall(__NR_io_uring_enter, ring.ring_fd, 0, min_complete,
		     IORING_ENTER_GETEVENTS | IORING_ENTER_EXT_ARG, &arg, sizeof arg);
	pthread_setcanceltype(old_type, NULL);
	pthread_cleanup_pop(0);
	int error = rc < 0 ? errno : 0;
	errno = saved;
	if (error == EINTR)
		return EINTR;
	if (error == ETIME)
		return ETIMEDOUT;
	if (error && error != EAGAIN && error != EBUSY)
		__atomic_store_n(&waiters_sleep_in_ring, false, __ATOMIC_RELAXED);
	return 0;
}

int
uring_wait(const struct aiocb *const list[], int count, const struct timespec *deadline)
{
	if (!__atomic_load_n(&waiters_sleep_in_ring, __ATOMIC_ACQUIRE))
		return ENOTSUP;
	/* A request elsewhere (the pool, or held back by its fd's order)
	 * would finish without waking a sleeper here. */
	for (int i = 0; i < count; i++) {
		const struct aiocb *cb = list[i];
		if (cb && abi_was_submitted(cb) && abi_error_code(cb) == EINPROGRESS &&
		    !abi_in_ring(cb))
			return ENOTSUP;
	}
	int rc = 0;
	if (!role_try()) {
		if (!role_held_here())
			return ENOTSUP;	/* its holder publishes, and wakes us */
		/* A signal handler, and the code it interrupted holds the
		 * role: nobody else can reap until the handler returns. */
		struct sleep_state nested = { .owns_role = false };
		unsigned waiting = publish_in_place();
		if (!suspend_any_done(list, count)) {
			rc = sleep_in_ring(deadline, waiting + 1, &nested);
			publish_in_place();
		}
		return rc;
	}
	bool urgent = false;
	/* With the role held, an entry still in progress has not been
	 * reaped: its completion is still to come, and will wake us.  The
	 * kernel need not wake the reaper meanwhile: we reap it all. */
	if (drain_completions(&urgent) == 0 && !suspend_any_done(list, count)) {
		struct sleep_state sleeper = { .owns_role = true, .quiet = quiet_begin() };
		rc = sleep_in_ring(deadline, 1, &sleeper);
		if (sleeper.quiet)
			quiet_end();
		drain_completions(&urgent);
	}
	role_release();
	if (urgent)
		poke_reaper();
	return rc;
}

static void *
reaper_main(void *unused)
{
	unsigned windows_seen = 0;
	for (;;) {
		if (completion_event >= 0) {
			/* After a quiet window, a completion's signal may have
			 * been lost to the kernel's race with quiet_end; a
			 * reaped list may hold what nobody hurried us for.
			 * Either way, look again soon by ourselves. */
			__atomic_store_n(&reaper_sleeps_for_good, true, __ATOMIC_SEQ_CST);
			unsigned windows = __atomic_load_n(&quiet_windows, __ATOMIC_SEQ_CST);
			bool heal = (windows != windows_seen &&
				     __atomic_load_n(&in_ring, __ATOMIC_RELAXED) > 0) ||
				    __atomic_load_n(&reaped, __ATOMIC_RELAXED);
			windows_seen = windows;
			if (heal)
				__atomic_store_n(&reaper_sleeps_for_good, false, __ATOMIC_RELAXED);
			struct pollfd event = { .fd = completion_event, .events = POLLIN };
			int ready = poll(&event, 1, heal ? HEAL_MILLISECONDS : -1);
			__atomic_store_n(&reaper_sleeps_for_good, false, __ATOMIC_RELAXED);
			if (ready > 0) {
				uint64_t count;
				if (read(completion_event, &count, sizeof count) < 0 &&
				    errno != EINTR && errno != EAGAIN)
					return NULL;
			}
			if (role_take_or_mark()) {
				drain_completions(NULL);
				role_release();
			}
		} else {
			/* The role is the reaper's for good. */
			struct io_uring_cqe *cqe;
			int rc = io_uring_wait_cqe(&ring, &cqe);
			if (rc < 0 && rc != -EINTR && rc != -EAGAIN)
				return NULL;
			drain_completions(NULL);
		}
		uring_settle();
	}
}

/* --- set-up --------------------------------------------------------------- */

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

/* The eventfd that wakes the reaper; without it, the reaper keeps the
 * role and waits in the ring itself. */
static void
completion_event_setup(void)
{
	completion_event = eventfd(0, EFD_CLOEXEC);
	if (completion_event < 0)
		return;
	completion_event = fd_move_high(completion_event);
	if (io_uring_register_eventfd(&ring, completion_event) < 0) {
		close(completion_event);
		completion_event = -1;
	}
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
	completion_event_setup();
	/* Set before the reaper starts: it updates in_ring from then on. */
	capacity = ring.cq.ring_entries - WAKE_UP_ROOM;
	in_ring = 0;
	unsubmitted = 0;
	reaped = NULL;
	reap_role = completion_event < 0 ? ROLE_MARKED : 0;	/* nobody's: for good */
	if (library_thread_start(reaper_main) != 0) {
		io_uring_queue_exit(&ring);
		if (completion_event >= 0)
			close(completion_event);
		completion_event = -1;
		return false;
	}
	state = RING_ACTIVE;
	stats_live->backend = BACKEND_URING;
	__atomic_store_n(&ring_active, true, __ATOMIC_RELEASE);
	__atomic_store_n(&waiters_sleep_in_ring,
			 completion_event >= 0 && (ring.features & IORING_FEAT_EXT_ARG),
			 __ATOMIC_RELEASE);
	return true;
}

bool
uring_active(void)
{
	return __atomic_load_n(&ring_active, __ATOMIC_ACQUIRE);
}

/* --- submission (under engine_lock) --------------------------------------- */

static struct io_uring_sqe *
next_entry(void)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(&ring);
	if (!sqe) {
		uring_flush();
		sqe = io_uring_get_sqe(&ring);
	}
	return sqe;
}

bool
uring_start(struct request *req)
{
	/* A bad fd goes to the pool, whose system call reports it as EBADF;
	 * so do stream writes and syncs (see above). */
	if (req->io_fd < 0 || (req->stream && req->op != OP_READ) || req->op == OP_MLOCK ||
	    !ring_ready())
		return false;
	/* At the file position (vectored.c): offset -1, since Linux 5.6. */
	if (req->at_file_position && !(ring.features & IORING_FEAT_RW_CUR_POS))
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
	struct io_uring_sqe *sqe = next_entry();
	if (!sqe)
		return false;
	/* A stream has no offset: -1 says so. */
	__u64 offset = req->stream || req->at_file_position ? (__u64)-1 : (__u64)req->offset;
	switch (req->op) {
	case OP_READ:
		if (req->vector)	/* one entry for the whole vector */
			io_uring_prep_readv(sqe, req->io_fd, req->vector, req->vector_count, offset);
		else
			io_uring_prep_read(sqe, req->io_fd, req->buffer, (unsigned)req->length, offset);
		break;
	case OP_WRITE:
		if (req->vector)
			io_uring_prep_writev(sqe, req->io_fd, req->vector, req->vector_count, offset);
		else
			io_uring_prep_write(sqe, req->io_fd, req->buffer, (unsigned)req->length, offset);
		break;
	case OP_FSYNC:
		io_uring_prep_fsync(sqe, req->io_fd, 0);
		break;
	case OP_DATASYNC:
		io_uring_prep_fsync(sqe, req->io_fd, IORING_FSYNC_DATASYNC);
		break;
	case OP_MLOCK:		/* refused above */
		break;
	}
	io_uring_sqe_set_data(sqe, req);
	req->in_ring = true;
	abi_set_in_ring(req->aiocb, true);
	unsubmitted++;
	return true;
}

void
uring_wake_sleepers(void)
{
	if (state != RING_ACTIVE ||
	    __atomic_load_n(&in_ring, __ATOMIC_RELAXED) + unsubmitted >= ring.cq.ring_entries)
		return;
	struct io_uring_sqe *sqe = next_entry();
	if (!sqe)
		return;
	io_uring_prep_nop(sqe);
	io_uring_sqe_set_data(sqe, NULL);
	unsubmitted++;
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
	/* Cached reads complete during the submission itself: a quiet window,
	 * so the kernel does not wake the reaper for them, and they are
	 * reaped here; the caller settles them once it has let go of
	 * engine_lock. */
	bool quiet = quiet_begin();
	KERNEL_HANDOFF_RELEASE();
	for (int attempt = 0; attempt < 1000; attempt++) {
		int rc = io_uring_submit(&ring);
		if (rc >= 0 || (rc != -EAGAIN && rc != -EBUSY && rc != -EINTR))
			break;
		sched_yield();	/* the kernel is short of resources: retry */
	}
	if (!quiet)
		return;
	quiet_end();
	if (!completions_waiting())
		return;
	if (role_try()) {
		drain_completions(NULL);
		role_release();
	} else {
		poke_reaper();	/* its holder may be past these entries */
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
	if (state == RING_ACTIVE) {
		io_uring_queue_exit(&ring);	/* our copy only; the parent's stays */
		if (completion_event >= 0)
			close(completion_event);
	}
	state = RING_UNPROBED;
	ring_active = waiters_sleep_in_ring = false;
	completion_event = -1;
	reap_role = 0;
	reaped = NULL;	/* its requests were in the queues, freed there */
	in_ring = unsubmitted = 0;
}

#else /* !HAVE_LIBURING */

bool uring_start(struct request *req) { return false; }
void uring_flush(void) { }
bool uring_probe(void) { return false; }
bool uring_active(void) { return false; }
bool uring_cancel(struct request *req) { return false; }
void uring_wake_sleepers(void) { }
void uring_reap(void) { }
void uring_reap_and_settle(void) { }
int uring_wait(const struct aiocb *const list[], int count, const struct timespec *deadline)
{
	return ENOTSUP;
}
void uring_settle(void) { }
void uring_after_fork_child(void) { }

#endif
