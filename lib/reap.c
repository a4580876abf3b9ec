/* reap.c: the io_uring backend's completions: reaping by whoever needs a
 * completion first, and the reaper thread for the rest.
 *
 * A ring's completions are reaped by a thread in aio_suspend, which sleeps
 * in the ring itself when every request it waits for is in that ring, so
 * that the kernel wakes it directly; by a caller of aio_error; by a
 * submitter, whose io_uring_enter completed cached reads; or by the reaper
 * thread, which the kernel wakes through an eventfd (one for every ring) at
 * each completion, for notifications and for completions nobody waits for.
 * Reaping is in two steps:
 *  1. drain, async-signal-safe: publish each result to its aiocb, count it,
 *     give back its place, then push the request on the ring's reaped
 *     stack.  The one exception is ECANCELED, which may belong to an orphan
 *     (core.c), something only the request's queue lock can tell: it is
 *     published in step 2.
 *  2. reap_settle: pass the reaped requests to the core's completion
 *     function, which settles them under their queue locks.  The reaper
 *     runs it after every wake-up, and so does every caller that may take a
 *     lock (core_settle).
 *
 * Invariants, per ring:
 *  - The completion queue is read only by the holder of reap_role, a word
 *    taken with a compare-and-swap that holds the holder's pthread_self()
 *    (so that a signal handler can tell it interrupted the holder), and a
 *    mark bit the reaper sets when it finds the role taken, so that the
 *    holder signals the eventfd when it gives the role back.  Nobody waits
 *    for the role, so a signal handler never deadlocks on it.  Results are
 *    published before the role is given back (release), so a thread that
 *    takes it next (acquire) and finds its aiocb in progress knows that its
 *    completion has not been reaped yet.
 *  - A thread asleep in a ring holds its role, so nobody reaps its
 *    completion behind its back; it sleeps only when every entry it waits
 *    for carries the ring flag and the ring's lane (abi.h), and every such
 *    request ends with a completion queue entry: its own, or, when
 *    aio_cancel published its ECANCELED, a wake-up entry
 *    (uring_wake_sleepers).
 *  - Nothing stays on a reaped stack for long: a request whose settling
 *    matters soon (settle_is_urgent) is settled by the pusher's caller or
 *    the reaper is woken for it; any other push sets the ring's bit in
 *    reaped_rings, and the reaper, which never sleeps for good while a bit
 *    is set (Dekker's pattern with the pusher, and with a settler that
 *    puts back the bits of what it left), settles it within about two
 *    HEAL_MILLISECONDS (one look to see that nobody settled the ring, one
 *    to settle it) if no other caller does first.
 * Quiet windows.  While one of our threads is about to reap a ring itself
 * (a submitter in io_uring_enter, a waiter asleep in the ring), the kernel
 * is told not to signal the eventfd for that ring
 * (IORING_CQ_EVENTFD_DISABLED): a wake-up of the reaper for nothing is the
 * whole cost of a small batch.  The kernel can lose a signal to its race
 * with the re-enabling, so after a quiet window the reaper looks again
 * within HEAL_MILLISECONDS; a reaper asleep for good is woken by
 * quiet_end (Dekker's pattern on two sequentially consistent variables).
 * Without IORING_FEAT_EXT_ARG (before Linux 5.11) waiters do not sleep in
 * rings, and everything else works the same.
 */
#include "config.h"

#include "backend.h"

#ifdef HAVE_LIBURING

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "publish.h"
#include "ring.h"
#include "waitpoint.h"

#define HEAL_MILLISECONDS 1
#define AWAIT_SPINS_MAX 1000000L	/* ring_await_cancelled's bound */
#define ROLE_MARKED ((uintptr_t)1)	/* the reaper wants to hear of its release */

static unsigned quiet_windows;		/* atomic: quiet_end calls so far */
static unsigned reaped_rings;		/* atomic: a bit per ring whose reaped
					 * stack may hold requests; set after
					 * the push, taken before the stacks */
static bool reaper_sleeps_for_good;	/* atomic: in a sleep without timeout */


static unsigned
lane_of(const struct ring *r)
{
	return (unsigned)(r - rings);
}

/* --- the reap role ------------------------------------------------------- */

static uintptr_t
role_self(void)
{
	return (uintptr_t)pthread_self() & ~ROLE_MARKED;
}

static bool
role_try(struct ring *r)
{
	uintptr_t free_role = 0;
	return __atomic_compare_exchange_n(&r->reap_role, &free_role, role_self(), false,
					   __ATOMIC_ACQUIRE, __ATOMIC_RELAXED);
}

/* Does this thread hold the role, in code a signal handler interrupted? */
static bool
role_held_here(struct ring *r)
{
	return (__atomic_load_n(&r->reap_role, __ATOMIC_RELAXED) & ~ROLE_MARKED) == role_self();
}

/* Wake the reaper: something should be settled soon.  Async-signal-safe. */
static void
poke_reaper(void)
{
	int saved = errno;
	uint64_t one = 1;
	ssize_t unused = write(completion_event, &one, sizeof one);
	(void)unused;
	errno = saved;
}

/* Give the role back; if the reaper found it taken, tell it now. */
static void
role_release(struct ring *r)
{
	if (__atomic_exchange_n(&r->reap_role, 0, __ATOMIC_RELEASE) & ROLE_MARKED)
		poke_reaper();
}

/* The reaper's: take the role, or mark it so that its holder tells the
 * reaper when it gives it back. */
static bool
role_take_or_mark(struct ring *r)
{
	for (;;) {
		if (role_try(r))
			return true;
		uintptr_t holder = __atomic_load_n(&r->reap_role, __ATOMIC_ACQUIRE);
		if (holder & ROLE_MARKED)
			return false;
		if (holder && __atomic_compare_exchange_n(&r->reap_role, &holder, holder | ROLE_MARKED,
							  false, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
			return false;
	}
}

static bool
quiet_begin(struct ring *r)
{
	if (!r->uring.cq.kflags)
		return false;
	__atomic_fetch_or(r->uring.cq.kflags, IORING_CQ_EVENTFD_DISABLED, __ATOMIC_SEQ_CST);
	return true;
}

static void
quiet_end(struct ring *r)
{
	__atomic_fetch_and(r->uring.cq.kflags, ~(unsigned)IORING_CQ_EVENTFD_DISABLED,
			   __ATOMIC_SEQ_CST);
	__atomic_add_fetch(&quiet_windows, 1, __ATOMIC_SEQ_CST);
	bool asleep = true;
	if (__atomic_load_n(&reaper_sleeps_for_good, __ATOMIC_SEQ_CST) &&
	    __atomic_load_n(&r->held, __ATOMIC_RELAXED) > 0 &&
	    __atomic_compare_exchange_n(&reaper_sleeps_for_good, &asleep, false, false,
					__ATOMIC_SEQ_CST, __ATOMIC_RELAXED))
		poke_reaper();
}

/* What a sleeper cancelled in the ring gives back. */
struct sleep_state {
	struct ring *ring;
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
		quiet_end(sleeper->ring);
	role_release(sleeper->ring);
}

static bool
completions_waiting(struct ring *r)
{
	return __atomic_load_n(r->uring.cq.ktail, __ATOMIC_ACQUIRE) !=
	       __atomic_load_n(r->uring.cq.khead, __ATOMIC_RELAXED);
}

/* --- reaping ------------------------------------------------------------- */

/* Does the rest of a request's completion matter to anyone soon?  A
 * notification, a lio_listio group, the next request of a FIFO, and a
 * write an fsync waits for do; a plain read or write only gives back
 * memory. */
static bool
settle_is_urgent(const struct request *req)
{
	return req->notification.kind != SIGEV_NONE || req->group || req->in_order ||
	       req->op == OP_FSYNC || req->op == OP_DATASYNC ||
	       __atomic_load_n(&req->settle_soon, __ATOMIC_RELAXED) ||
	       /* Someone waits in aio_waitcomplete, aio_waitn, aiowait or
		* aio_queue_reap, which see a request only once it is settled
		* (waitpoint.h). */
	       (req->notification.ticket.domain != COLLECT_NONE && waitpoint_anyone_registered());
}

/* Step 1, with the role held.  Async-signal-safe.  Returns how many entries
 * it consumed; *urgent says whether any of them should be settled soon.
 * settled_next: the caller settles right after (the reaper, or a submitter
 * that says FLUSH_SETTLES), so a reaper asleep need not be woken. */
static unsigned
drain(struct ring *r, bool *urgent, bool settled_next)
{
	struct io_uring_cqe *cqe;
	struct request *first = NULL, **last = &first, *tail = NULL;
	unsigned head, seen = 0;
	unsigned long long completed = 0, failed = 0;

	struct request *soon = NULL, **soon_last = &soon, *soon_tail = NULL;
	io_uring_for_each_cqe(&r->uring, head, cqe) {
		struct request *req = io_uring_cqe_get_data(cqe);
		KERNEL_HANDOFF_ACQUIRE(r);	/* each entry: the loop rereads the tail */
		seen++;
		if (!req)
			continue;	/* uring_wake_sleepers' entry */
		int res = cqe->res;
		req->result = res < 0 ? -1 : res;
		req->error = res < 0 ? -res : 0;
		/* Before the push below hands req on: uring_cancel, under its
		 * shard lock, waits for this. */
		__atomic_store_n(&req->ring_done, true, __ATOMIC_RELEASE);
		if (res != -ECANCELED) {
			publish_result(req->aiocb, req->result, req->error);
			__atomic_store_n(&req->published, true, __ATOMIC_RELEASE);
			completed++;
			failed += res < 0;
		}
		if (res == -ECANCELED || settle_is_urgent(req)) {
			if (urgent)
				*urgent = true;
			*soon_last = req;
			soon_last = &req->next;
			soon_tail = req;
		} else {
			*last = req;
			last = &req->next;
			tail = req;
		}
	}
	if (seen == 0)
		return 0;
	io_uring_cq_advance(&r->uring, seen);
	__atomic_sub_fetch(&r->held, seen, __ATOMIC_RELAXED);
	if (completed) {
		unsigned lane = lane_of(r);
		LANE_STATS_ADD(lane, completed, completed);
		LANE_STATS_ADD(lane, finished, completed);
		if (failed)
			LANE_STATS_ADD(lane, failed, failed);
		places_give((int)completed);
		publish_wake();
	}
	if (soon) {
		*soon_last = NULL;
		stack_push(&r->urgent, soon, soon_tail);
	}
	if (first) {
		*last = NULL;
		stack_push(&r->reaped, first, tail);
	}
	if (first || soon) {
		/* Sequentially consistent with the reaper's sleep for good:
		 * either it sees the bit and looks within HEAL_MILLISECONDS,
		 * or this sees it asleep and wakes it. */
		__atomic_fetch_or(&reaped_rings, 1u << lane_of(r), __ATOMIC_SEQ_CST);
		if (!settled_next && __atomic_load_n(&reaper_sleeps_for_good, __ATOMIC_SEQ_CST))
			poke_reaper();
	}
	return seen;
}

static void
settle_list(struct request *next)
{
	while (next) {
		struct request *batch[64];
		int count = 0;
		while (next && count < 64) {
			batch[count++] = next;
			next = next->next;
		}
		backend_completion(batch, count);
	}
}

/* Settling.  The urgent are settled at every call; a plain request waits
 * until its lane has waited once more (uring_age), so that when an
 * application resubmits as it collects, as most do, its fd's queue still
 * holds the requests of the last wait and is never emptied, freed and made
 * again.  The reaper settles everything of a ring nobody settled for a
 * while (every).  lanes: a mask of the rings to settle; a submitter
 * settles its own lane's only, so that threads on their own lanes do not
 * settle each other's requests (their queue locks and their requests'
 * cache lines would go back and forth between them). */
void
reap_settle_rings(unsigned lanes, bool every)
{
	unsigned mask = __atomic_fetch_and(&reaped_rings, ~lanes, __ATOMIC_ACQUIRE) & lanes;
	unsigned left = 0;
	for (unsigned i = 0; mask; i++, mask >>= 1) {
		if (!(mask & 1))
			continue;
		struct ring *r = &rings[i];
		/* Completing may start more requests, which may complete at
		 * once and be reaped again: go on until nothing is due. */
		for (;;) {
			struct request *due = stack_take_all(&r->urgent);
			if (!due)
				due = stack_take_all(&r->aged);
			if (!due && every)
				due = stack_take_all(&r->reaped);
			if (!due)
				break;
			__atomic_add_fetch(&r->settles, 1, __ATOMIC_RELAXED);
			settle_list(due);
		}
		if (__atomic_load_n(&r->reaped, __ATOMIC_RELAXED) ||
		    __atomic_load_n(&r->aged, __ATOMIC_RELAXED) ||
		    __atomic_load_n(&r->urgent, __ATOMIC_RELAXED))
			left |= 1u << i;
	}
	if (left) {
		/* The exchange above hid these bits for a moment: the reaper
		 * may have seen none and gone to sleep for good.  Dekker's
		 * pattern again: either it sees them now, or this sees it
		 * asleep and wakes it. */
		__atomic_fetch_or(&reaped_rings, left, __ATOMIC_SEQ_CST);
		bool asleep = true;
		if (__atomic_load_n(&reaper_sleeps_for_good, __ATOMIC_SEQ_CST) &&
		    __atomic_compare_exchange_n(&reaper_sleeps_for_good, &asleep, false, false,
						__ATOMIC_SEQ_CST, __ATOMIC_RELAXED))
			poke_reaper();
	}
}

void
uring_age(unsigned lane)
{
	if (lane >= LANES_MAX)
		return;
	struct ring *r = &rings[lane];
	if (!__atomic_load_n(&r->reaped, __ATOMIC_RELAXED))
		return;
	struct request *young = stack_take_all(&r->reaped);
	if (!young)
		return;
	struct request *tail = young;
	while (tail->next)
		tail = tail->next;
	stack_push(&r->aged, young, tail);
	/* Due now: the next settle must look at this ring even if a settler
	 * took its bit while the requests were still young. */
	__atomic_fetch_or(&reaped_rings, 1u << lane, __ATOMIC_SEQ_CST);
}

/* For a signal handler that interrupted this thread while it held the
 * role: publish the results waiting in the completion queue without
 * consuming them (the interrupted code will, and will publish them again:
 * the same values).  Their requests stay alive until then.  Returns how
 * many entries are waiting. */
static unsigned
publish_in_place(struct ring *r)
{
	unsigned mask = r->uring.cq.ring_mask;
	unsigned head = __atomic_load_n(r->uring.cq.khead, __ATOMIC_RELAXED);
	unsigned tail = __atomic_load_n(r->uring.cq.ktail, __ATOMIC_ACQUIRE);
	KERNEL_HANDOFF_ACQUIRE(r);
	for (unsigned i = head; i != tail; i++) {
		const struct io_uring_cqe *cqe = &r->uring.cq.cqes[i & mask];
		struct request *req = io_uring_cqe_get_data(cqe);
		if (req && cqe->res != -ECANCELED)
			publish_result(req->aiocb, cqe->res < 0 ? -1 : cqe->res,
				       cqe->res < 0 ? -cqe->res : 0);
	}
	if (tail != head)
		publish_wake();
	return tail - head;
}

/* Reap r if nobody is; the reaper is woken for what should not wait. */
static void
reap(struct ring *r)
{
	if (!completions_waiting(r))
		return;
	if (!role_try(r)) {
		if (role_held_here(r))
			publish_in_place(r);
		return;
	}
	bool urgent = false;
	drain(r, &urgent, false);
	role_release(r);
	if (urgent)
		poke_reaper();
}

/* io_uring_enter, submitting whatever the ring holds; returns what the
 * kernel said.  The count must be the number staged, not more: the kernel
 * takes a submission short of to_submit as a reason not to wait.  (Another
 * thread may submit some meanwhile: then this one returns without waiting,
 * and its caller looks again.) */
static long
enter(struct ring *r, unsigned min_complete, unsigned flags, void *arg, size_t arg_size,
      unsigned *submitted)
{
	unsigned staged = __atomic_load_n(r->uring.sq.ktail, __ATOMIC_ACQUIRE) -
			  __atomic_load_n(r->uring.sq.khead, __ATOMIC_ACQUIRE);
	*submitted = staged;
	/* After the tail is read: what this call submits includes the other
	 * producers' entries, whose writes that load acquired. */
	KERNEL_HANDOFF_RELEASE(r);
	return syscall(__NR_io_uring_enter, r->uring.ring_fd, staged, min_complete, flags,
		       arg, arg_size);
}

/* Set by ring_submit for a caller that settles urgent requests itself. */
static __thread bool urgent_left __attribute__((tls_model("initial-exec")));

bool
uring_urgent_left(void)
{
	bool left = urgent_left;
	urgent_left = false;
	return left;
}

void
ring_submit(struct ring *r, unsigned flags)
{
	if (__atomic_load_n(r->uring.sq.ktail, __ATOMIC_ACQUIRE) ==
	    __atomic_load_n(r->uring.sq.khead, __ATOMIC_ACQUIRE))
		return;
	/* Cached reads complete during the submission itself: a quiet
	 * window, so the kernel does not wake the reaper for them, and they
	 * are reaped here. */
	bool quiet = quiet_begin(r);
	int saved = errno;
	for (int attempt = 0; attempt < (flags & FLUSH_MAY_BLOCK ? 1000 : 1); attempt++) {
		unsigned submitted;
		long rc = enter(r, 0, 0, NULL, 0, &submitted);
		if (rc >= 0 || (errno != EAGAIN && errno != EBUSY && errno != EINTR))
			break;
		sched_yield();	/* the kernel is short of resources: retry */
	}
	errno = saved;
	LANE_STATS_ADD(lane_of(r), submit_calls, 1);
	/* Reaped before the window ends, so that a batch that completed
	 * during the submission leaves nothing in flight, and nothing for the
	 * reaper to look at. */
	bool reaped = false, urgent = false;
	if (completions_waiting(r) && role_try(r)) {
		drain(r, &urgent, flags & FLUSH_SETTLES);
		reaped = true;
	}
	if (quiet)
		quiet_end(r);
	if (reaped) {
		/* What completed between the drain and the window's end
		 * signalled nobody: take it too. */
		drain(r, &urgent, flags & FLUSH_SETTLES);
		role_release(r);
	} else if (completions_waiting(r)) {
		if (role_try(r)) {
			drain(r, &urgent, flags & FLUSH_SETTLES);
			role_release(r);
		} else {
			poke_reaper();	/* its holder may be past these entries */
		}
	}
	/* What was reaped here is settled by the caller, or must not wait
	 * for the reaper's next look. */
	if (urgent && (flags & FLUSH_SETTLES_URGENT) && !(flags & FLUSH_SETTLES))
		urgent_left = true;
	else if (urgent && !(flags & FLUSH_SETTLES))
		poke_reaper();
}

bool
ring_await_cancelled(struct ring *r, struct request *req)
{
	/* Its entry is in the completion queue, or being reaped by the role's
	 * holder, who was woken by it: reap it, or wait for the holder. */
	for (long spin = 0; !__atomic_load_n(&req->ring_done, __ATOMIC_ACQUIRE); spin++) {
		if (spin > AWAIT_SPINS_MAX)
			return false;	/* it ends as its entry says, when reaped */
		if (role_try(r)) {
			drain(r, NULL, false);
			role_release(r);
		} else {
			sched_yield();
		}
	}
	return req->error == ECANCELED && !__atomic_load_n(&req->published, __ATOMIC_ACQUIRE);
}

void
uring_reap(unsigned lane)
{
	if (lane >= LANES_MAX)
		return;
	struct ring *r = &rings[lane];
	if (__atomic_load_n(&r->state, __ATOMIC_ACQUIRE) != RING_ACTIVE)
		return;
	ring_submit(r, 0);
	reap(r);
}

/* Sleep in the ring until it holds min_complete entries, a signal or the
 * deadline: 0, EINTR or ETIMEDOUT.  What the ring holds staged is
 * submitted by the same system call. */
static int
sleep_in_ring(struct sleep_state *sleeper, const struct timespec *deadline, unsigned min_complete)
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
	unsigned submitted = 0;
	/* A cancellation point, like the futex wait: accepted only while
	 * asleep, and the role goes back. */
	pthread_cleanup_push(release_on_cancel, sleeper);
	pthread_setcanceltype(PTHREAD_CANCEL_ASYNCHRONOUS, &old_type);
	rc = enter(sleeper->ring, min_complete, IORING_ENTER_GETEVENTS | IORING_ENTER_EXT_ARG,
		   &arg, sizeof arg, &submitted);
	pthread_setcanceltype(old_type, NULL);
	pthread_cleanup_pop(0);
	int error = rc < 0 ? errno : 0;
	errno = saved;
	if (submitted)		/* a wait that handed nothing on is no submission */
		LANE_STATS_ADD(lane_of(sleeper->ring), submit_calls, 1);
	if (error == EINTR)
		return EINTR;
	if (error == ETIME)
		return ETIMEDOUT;
	if (error && error != EAGAIN && error != EBUSY)
		__atomic_store_n(&waiters_sleep_in_ring, false, __ATOMIC_RELAXED);
	return 0;
}

int
uring_wait(unsigned lane, const struct aiocb *const list[], int count,
	   const struct timespec *deadline, bool caller_settles)
{
	if (lane >= LANES_MAX || !__atomic_load_n(&waiters_sleep_in_ring, __ATOMIC_ACQUIRE))
		return ENOTSUP;
	struct ring *r = &rings[lane];
	if (__atomic_load_n(&r->state, __ATOMIC_ACQUIRE) != RING_ACTIVE)
		return ENOTSUP;
	/* A request elsewhere (another ring, the pool, held back by its fd's
	 * order) would finish without waking a sleeper here. */
	for (int i = 0; i < count; i++) {
		const struct aiocb *cb = list[i];
		if (cb && abi_was_submitted(cb) && abi_error_code(cb) == EINPROGRESS &&
		    (!abi_in_ring(cb) || abi_lane(cb) != (int)lane))
			return ENOTSUP;
	}
	int rc = 0;
	if (!role_try(r)) {
		if (!role_held_here(r)) {
			ring_submit(r, 0);
			return ENOTSUP;	/* its holder publishes, and wakes us */
		}
		/* A signal handler, and the code it interrupted holds the
		 * role: nobody else can reap until the handler returns. */
		struct sleep_state nested = { .ring = r, .owns_role = false };
		unsigned waiting = publish_in_place(r);
		if (!publish_any_done(list, count)) {
			rc = sleep_in_ring(&nested, deadline, waiting + 1);
			publish_in_place(r);
		}
		return rc;
	}
	bool urgent = false;
	/* With the role held, an entry still in progress has not been
	 * reaped: its completion is still to come, and will wake us.  The
	 * kernel need not wake the reaper meanwhile: we reap it all. */
	if (drain(r, &urgent, caller_settles) == 0 && !publish_any_done(list, count)) {
		struct sleep_state sleeper = { .ring = r, .owns_role = true, .quiet = quiet_begin(r) };
		rc = sleep_in_ring(&sleeper, deadline, 1);
		/* Drained before and after the window ends (see ring_submit). */
		drain(r, &urgent, caller_settles);
		if (sleeper.quiet)
			quiet_end(r);
		drain(r, &urgent, caller_settles);
	}
	role_release(r);
	if (urgent && !caller_settles)
		poke_reaper();
	return rc;
}

/* --- the reaper thread ---------------------------------------------------- */

static bool
any_held(void)
{
	for (unsigned i = 0; i < LANES_MAX; i++)
		if (__atomic_load_n(&rings[i].state, __ATOMIC_ACQUIRE) == RING_ACTIVE &&
		    __atomic_load_n(&rings[i].held, __ATOMIC_RELAXED) > 0)
			return true;
	return false;
}

static bool
any_reaped(void)
{
	return __atomic_load_n(&reaped_rings, __ATOMIC_SEQ_CST) != 0;
}

static void *
reaper_main(void *unused)
{
	unsigned windows_seen = 0;
	unsigned settles_seen[LANES_MAX] = { 0 };
	for (;;) {
		/* After a quiet window, a completion's signal may have been
		 * lost to the kernel's race with quiet_end; a reaped stack
		 * may hold what nobody hurried us for.  Either way, look
		 * again soon by ourselves. */
		__atomic_store_n(&reaper_sleeps_for_good, true, __ATOMIC_SEQ_CST);
		unsigned windows = __atomic_load_n(&quiet_windows, __ATOMIC_SEQ_CST);
		bool heal = (windows != windows_seen && any_held()) || any_reaped();
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
		for (unsigned i = 0; i < LANES_MAX; i++) {
			struct ring *r = &rings[i];
			if (__atomic_load_n(&r->state, __ATOMIC_ACQUIRE) != RING_ACTIVE ||
			    !completions_waiting(r))
				continue;
			if (role_take_or_mark(r)) {
				drain(r, NULL, true);
				role_release(r);
			}
		}
		/* What is due now; and everything of a ring that nobody
		 * settled since the last look. */
		reap_settle_rings(~0u, false);
		bool stale = false;
		for (unsigned i = 0; i < LANES_MAX; i++) {
			unsigned settles = __atomic_load_n(&rings[i].settles, __ATOMIC_RELAXED);
			if (settles == settles_seen[i] &&
			    (__atomic_load_n(&rings[i].reaped, __ATOMIC_RELAXED) ||
			     __atomic_load_n(&rings[i].aged, __ATOMIC_RELAXED)))
				stale = true;
			settles_seen[i] = settles;
		}
		if (stale) {
			reap_settle_rings(~0u, true);
			for (unsigned i = 0; i < LANES_MAX; i++)
				settles_seen[i] = __atomic_load_n(&rings[i].settles, __ATOMIC_RELAXED);
		}
	}
}

bool
reaper_start(void)
{
	return library_thread_start(reaper_main, NULL) == 0;
}

void
reap_after_fork_child(void)
{
	quiet_windows = 0;
	reaper_sleeps_for_good = false;
	reaped_rings = 0;
}

#endif
