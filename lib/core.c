/* core.c: admission, completion and cancellation of requests, and fork.
 *
 * Admission.  A request first goes to the inline backend when its lane says
 * it goes now (lane_stage_wanted): done there, it is finished before the
 * call returns and never queued.  Otherwise it takes a place under the cap,
 * is queued on its fd under the fd's shard lock (queue.c), and starts on a
 * backend when the fd's rules allow; then the lane is flushed at once, or
 * left staged for a later flush.  lio_listio admits all or none: first
 * every queue is found or made and held (reserved), then all are queued.
 *
 * Completion (complete, the backends' completion function).  Under the
 * shard lock: the result is published to the aiocb unless the backend did,
 * the request leaves its queue, and the fd's next requests start.  So
 * whenever an fsync is seen complete, every earlier write is seen complete
 * too, and aio_cancel never finds a request whose result is public without
 * also seeing it marked published.  Then, outside every lock, aio_suspend's
 * waiters are woken and the finish hook gets a copy of what the layers
 * above need; the request's memory is freed under the lock, so that a fork
 * between the two leaves the child nothing that no thread of its frees.
 *
 * Cancellation.  A request not yet started (WAITING, or READY in the pool or
 * the poller) is taken back and finished here with ECANCELED; a stream read
 * waiting in the ring may be called back by the kernel, and is then an
 * orphan: finished here, freed by the last of its two owners (this code and
 * the ring's late completion, counted in owners).
 *
 * Fork.  The parent's requests go on in the parent.  The child has none of
 * its threads: every request it inherited reads ECANCELED in its copy of the
 * aiocb, without notification, and is forgotten; each module resets itself.
 */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#include "backend.h"
#include "core.h"
#include "lane.h"
#include "publish.h"
#include "queue.h"

static finish_hook_function *finish_hook;

#define BATCH 64

/* --- completion ---------------------------------------------------------- */

static void
copy_finished(const struct request *req, struct finished *out)
{
	out->aiocb = req->aiocb;
	out->notification = req->notification;
	out->group = req->group;
	out->result = req->result;
	out->error = req->error;
	out->forget = false;
}

/* An orphan is freed by the last of its two owners. */
static void
orphan_release(struct request *req)
{
	if (__atomic_sub_fetch(&req->owners, 1, __ATOMIC_ACQ_REL) == 0)
		request_free(req);
}

/* Count a result published here (not by a backend): it leaves in_flight
 * and gives back its place. */
static void
count_publication(const struct request *req)
{
	unsigned lane = req->lane >= 0 ? (unsigned)req->lane : 0;
	LANE_STATS_ADD(lane, completed, 1);
	if (req->error)
		LANE_STATS_ADD(lane, failed, 1);
	LANE_STATS_ADD(lane, finished, 1);
	lane_places_give(1);
}

static void
flush_lanes(unsigned flush, unsigned flags)
{
	for (unsigned i = 0; flush; i++, flush >>= 1)
		if (flush & 1)
			lane_flush_index(i, flags);
}

static void complete(struct request **requests, int count);

static void
complete_batch(struct request **requests, int count)
{
	struct finished after[BATCH];
	int retired = 0;
	bool published_here = false;
	unsigned flush = 0;
	struct shard *held = NULL;

	for (int i = 0; i < count; i++) {
		struct request *req = requests[i];
		struct shard *shard = shard_of(req->fd);
		if (shard != held) {
			if (held)
				shard_unlock(held);
			shard_lock(shard);
			held = shard;
		}
		/* Set under the shard lock by aio_cancel, which finished the
		 * request already: this is the ring's late word. */
		if (req->orphaned) {
			orphan_release(req);
			continue;
		}
		bool published = __atomic_load_n(&req->published, __ATOMIC_ACQUIRE);
		if (!published && req->polled && req->error == EAGAIN) {
			/* Its data went to another reader: wait again. */
			req->polled = false;
			queue_restart(req, &flush);
			continue;
		}
		if (!published) {
			publish_result(req->aiocb, req->result, req->error);
			count_publication(req);
			published_here = true;
		}
		struct fd_queue *q = req->queue;
		queue_dequeue(req, &flush);
		queue_release_if_idle(shard, q);
		copy_finished(req, &after[retired++]);
		request_free(req);
	}
	if (held)
		shard_unlock(held);
	if (published_here)
		publish_wake();
	flush_lanes(flush, FLUSH_MAY_BLOCK);
	for (int i = 0; i < retired; i++)
		finish_hook(&after[i]);
}

static void
complete(struct request **requests, int count)
{
	for (int done = 0; done < count; done += BATCH)
		complete_batch(requests + done, count - done < BATCH ? count - done : BATCH);
}

void
core_settle(void)
{
	uring_backend.settle();
}

void
core_settle_lane(unsigned lane)
{
	uring_settle_lane(lane);
}

void
core_settle_all(bool may_block)
{
	if (may_block)
		lane_note_wait();
	unsigned flags = may_block ? FLUSH_MAY_BLOCK | FLUSH_SETTLES : 0;
	for (unsigned i = 0; i < LANES_MAX; i++) {
		if (__atomic_load_n(&lanes[i].staged_tick, __ATOMIC_RELAXED))
			lane_flush_index(i, flags);
		if (may_block)
			uring_age(i);
		uring_reap(i);
	}
	if (may_block)
		core_settle();
}

/* --- admission ----------------------------------------------------------- */

/* A request the inline backend completed at submission: publish it and
 * free it, keeping what the finish hook needs. */
static void
finish_inline(struct request *req, struct finished *after)
{
	unsigned lane = (unsigned)req->lane;
	publish_result(req->aiocb, req->result, 0);
	LANE_STATS_ADD(lane, completed, 1);
	LANE_STATS_ADD(lane, completed_at_submission, 1);
	copy_finished(req, after);
	request_free(req);
}

static void
count_submission(const struct request *req, bool queued)
{
	unsigned lane = (unsigned)req->lane;
	if (req->op == OP_READ)
		LANE_STATS_ADD(lane, reads, 1);
	else if (req->op == OP_WRITE)
		LANE_STATS_ADD(lane, writes, 1);
	else if (req->op != OP_MLOCK)
		LANE_STATS_ADD(lane, syncs, 1);
	if (queued) {
		unsigned long long admitted = LANE_STATS_ADD(lane, admitted, 1);
		unsigned long long finished =
			__atomic_load_n(&stats_live->lanes[lane].finished, __ATOMIC_RELAXED);
		stats_raise_peak(&stats_live->lanes[lane].peak_in_flight, admitted - finished);
	}
}

/* Before a submission: is a worker there for requests that may need one? */
static int
reserve_backend(unsigned lane, bool *reserved)
{
	*reserved = !uring_active();
	int error = *reserved ? pool_reserve(lane) : 0;
	if (error)
		*reserved = false;
	return error;
}

/* With the ring, only streams and bad fds are sure to need the pool (see
 * uring.c): under the queue's shard lock, reserve a worker for them too. */
static int
reserve_for_queue(unsigned lane, const struct fd_queue *q, bool *reserved)
{
	if (*reserved || !(q->stream || q->io_fd < 0))
		return 0;
	int error = pool_reserve(lane);
	*reserved = error == 0;
	return error;
}

/* After the requests are queued (or refused): the pool's last worker may
 * leave again. */
static void
reserve_end(unsigned lane, bool reserved)
{
	if (reserved)
		pool_admitted(lane);
}

/* Both are called with the calling thread's lane held (lane_hold) and let
 * it go once every request is queued or done, before anything is
 * delivered. */
int
core_submit(struct request *req)
{
	struct lane *lane = lane_current();
	req->lane = (int)lane->index;
	abi_set_lane(req->aiocb, lane->index);
	bool stage = lane_stage_wanted(lane, 1);
	if (!stage && inline_backend.start(req) == START_DONE) {
		count_submission(req, false);
		struct finished after;
		finish_inline(req, &after);
		lane_release();
		publish_wake();
		finish_hook(&after);
		return 0;
	}
	bool reserved;
	int error = reserve_backend(lane->index, &reserved);
	if (error == 0 && !lane_places_take(1))
		error = EAGAIN;
	struct shard *shard = shard_of(req->fd);
	unsigned flush = 0;
	bool urgent = false;
	if (error == 0) {
		shard_lock(shard);
		req->queue = queue_get(shard, req->fd, req->lane);
		if (req->queue && reserve_for_queue(lane->index, req->queue, &reserved)) {
			queue_release_if_idle(shard, req->queue);
			req->queue = NULL;
		}
		if (req->queue) {
			count_submission(req, true);
			queue_enqueue(req, !stage, &flush);
			urgent = req->urgent;	/* once unlocked, req may be gone */
		} else {
			error = EAGAIN;
		}
		shard_unlock(shard);
		if (error)
			lane_places_give(1);
	}
	reserve_end(lane->index, reserved);
	lane_release();
	if (error) {
		lane_note_returned(req->lane);	/* it was counted as outstanding */
		return error;
	}
	/* Staged: the lane is flushed later, unless its batch is full. */
	if (stage && !urgent &&
	    __atomic_add_fetch(&lane->staged, 1, __ATOMIC_RELAXED) < LANE_BATCH &&
	    lane_note_staged(lane))
		flush &= ~(1u << lane->index);
	/* What the ring reaped before, settled after this request is queued
	 * and before it is handed on: a queue in steady use is never emptied,
	 * freed and made again, even when this request completes during the
	 * flush (it is settled at the next call, or by the reaper).  This
	 * lane's only: the flush below is what may reap the others'. */
	core_settle_lane(lane->index);
	/* What completed during the flush and must be settled at once (a
	 * notification, a waiter) is settled here: cheaper than waking the
	 * reaper thread for it. */
	flush_lanes(flush, FLUSH_MAY_BLOCK | FLUSH_SETTLES_URGENT);
	if (uring_urgent_left())
		core_settle();
	return 0;
}

int
core_submit_list(struct request **requests, int count)
{
	struct lane *lane = lane_current();
	for (int i = 0; i < count; i++) {
		requests[i]->lane = (int)lane->index;
		abi_set_lane(requests[i]->aiocb, lane->index);
	}
	lane_stage_wanted(lane, count);
	bool reserved;
	int error = reserve_backend(lane->index, &reserved);
	if (error == 0 && !lane_places_take(count))
		error = EAGAIN;
	/* Find or make every queue, and hold it, before anything is queued.
	 * An fd met earlier in this list is not looked up again: its queue
	 * was checked during this call, and is held. */
	enum { SEEN_FDS = 8 };
	struct fd_queue *seen[SEEN_FDS] = { NULL };
	int held = 0;
	while (error == 0 && held < count) {
		struct request *req = requests[held++];
		struct shard *shard = shard_of(req->fd);
		struct fd_queue **memo = &seen[(unsigned)req->fd % SEEN_FDS];
		shard_lock(shard);
		if (*memo && (*memo)->fd == req->fd && (*memo)->in_map) {
			req->queue = *memo;
			req->queue->reserved++;
			shard_unlock(shard);
			continue;
		}
		req->queue = queue_get(shard, req->fd, req->lane);
		*memo = req->queue;
		if (req->queue && reserve_for_queue(lane->index, req->queue, &reserved)) {
			*memo = NULL;
			queue_release_if_idle(shard, req->queue);
			req->queue = NULL;
		}
		if (req->queue)
			req->queue->reserved++;
		shard_unlock(shard);
		if (!req->queue)
			error = EAGAIN;
	}
	if (error) {
		for (int i = 0; i < held; i++) {
			struct request *req = requests[i];
			if (!req->queue)
				continue;
			struct shard *shard = shard_of(req->fd);
			shard_lock(shard);
			req->queue->reserved--;
			queue_release_if_idle(shard, req->queue);
			shard_unlock(shard);
		}
		if (held > 0)		/* the places were taken */
			lane_places_give(count);
		for (int i = 0; i < count; i++)
			lane_note_returned((int)lane->index);
		reserve_end(lane->index, reserved);
		lane_release();
		return error;
	}
	/* Queue in list order (streams and the fsync barrier depend on it);
	 * the whole list goes to the kernel in one flush, and the kernel
	 * completes cached reads during it.  Without the ring, each entry is
	 * first tried inline; those done go to the second half of nothing
	 * but this loop: they leave their places at once. */
	bool try_inline = !uring_active();
	unsigned flush = 0;
	int done = 0;
	struct shard *locked = NULL;
	for (int i = 0; i < count; i++) {
		struct request *req = requests[i];
		struct shard *shard = shard_of(req->fd);
		if (shard != locked) {
			if (locked)
				shard_unlock(locked);
			shard_lock(shard);
			locked = shard;
		}
		req->queue->reserved--;
		if (try_inline && inline_backend.start(req) == START_DONE) {
			queue_release_if_idle(shard, req->queue);
			req->queue = NULL;
			requests[done++] = req;		/* done <= i: a slot already seen */
			continue;
		}
		count_submission(req, true);
		queue_enqueue(req, true, &flush);
	}
	if (locked)
		shard_unlock(locked);
	reserve_end(lane->index, reserved);
	if (done)
		lane_places_give(done);
	/* Those done here are published and freed now, delivered once the
	 * hold is let go: a notification may run code of the application. */
	struct finished *after = done ? calloc((size_t)done, sizeof *after) : NULL;
	for (int i = 0; i < done; i++) {
		struct request *req = requests[i];
		count_submission(req, false);
		struct finished local;
		finish_inline(req, after ? &after[i] : &local);
		if (!after)
			finish_hook(&local);	/* no memory: deliver as we go */
	}
	lane_release();
	flush_lanes(flush | (1u << lane->index), FLUSH_MAY_BLOCK | FLUSH_SETTLES);
	if (done)
		publish_wake();
	for (int i = 0; after && i < done; i++)
		finish_hook(&after[i]);
	free(after);
	core_settle();
	return 0;
}

/* --- cancellation -------------------------------------------------------- */

int
core_cancel(int fd, struct aiocb *aiocb)
{
	struct list cancelled = LIST_INIT(cancelled);
	bool running = false;
	unsigned flush = 0, wake_rings = 0;

	core_settle();
	/* Staged requests must be in the kernel to be called back from it. */
	lane_flush(lane_current(), FLUSH_MAY_BLOCK | FLUSH_SETTLES);
	struct shard *shard = shard_of(fd);
	shard_lock(shard);
	struct fd_queue *q = queue_find(shard, fd, -1);
	if (q) {
		struct list *it = q->outstanding.next;
		while (it != &q->outstanding) {
			struct request *req = container_of(it, struct request, queue_link);
			it = it->next;
			if (aiocb && req->aiocb != aiocb)
				continue;
			/* Reaped already, its result public: it is done, and
			 * its aiocb may even be in flight again, as a newer
			 * request of this list. */
			if (__atomic_load_n(&req->published, __ATOMIC_ACQUIRE))
				continue;
			if (request_state(req) != REQUEST_WAITING) {
				const struct backend *home = req->home == HOME_URING ? &uring_backend
					: req->home == HOME_POLLER ? &poller_backend : &pool_backend;
				enum cancel_result answer = home->cancel(req);
				if (answer == CANCEL_RUNNING) {
					/* Unless it ended meanwhile (uring_cancel
					 * may reap it): then it is simply done. */
					if (!__atomic_load_n(&req->published, __ATOMIC_ACQUIRE))
						running = true;
					continue;
				}
				if (answer == CANCEL_CALLED_BACK) {
					req->orphaned = true;
					req->owners = 2;
					wake_rings |= 1u << req->lane;
				}
			}
			publish_result(req->aiocb, -1, ECANCELED);
			/* Releasing a FIFO successor may make the next entry
			 * READY; it is still in the list and handled in turn. */
			queue_dequeue(req, &flush);
			unsigned lane = req->lane >= 0 ? (unsigned)req->lane : 0;
			LANE_STATS_ADD(lane, finished, 1);
			LANE_STATS_ADD(lane, cancelled, 1);
			lane_places_give(1);
			list_append(&cancelled, &req->backend_link);
		}
		queue_release_if_idle(shard, q);
	}
	/* A thread asleep in the ring waits for a completion queue entry; the
	 * cancelled request's own may have come and gone before its
	 * ECANCELED was published above. */
	for (unsigned i = 0; wake_rings; i++, wake_rings >>= 1)
		if (wake_rings & 1)
			uring_wake_sleepers(i);
	shard_unlock(shard);

	bool any = !list_empty(&cancelled);
	if (any)
		publish_wake();
	flush_lanes(flush, FLUSH_MAY_BLOCK | FLUSH_SETTLES);
	while (!list_empty(&cancelled)) {
		struct request *req = container_of(cancelled.next, struct request, backend_link);
		list_remove(&req->backend_link);
		struct finished after;
		copy_finished(req, &after);
		after.result = -1;
		after.error = ECANCELED;
		if (req->orphaned)
			orphan_release(req);
		else
			request_free(req);
		finish_hook(&after);
	}
	core_settle();
	if (running)
		return AIO_NOTCANCELED;
	return any ? AIO_CANCELED : AIO_ALLDONE;
}

/* --- fork and set-up ----------------------------------------------------- */

static void
forget(struct request *req)
{
	if (!req->published)
		publish_result(req->aiocb, -1, ECANCELED);
	struct finished after;
	copy_finished(req, &after);
	after.forget = true;
	if (!req->orphaned || __atomic_sub_fetch(&req->owners, 1, __ATOMIC_RELAXED) == 0)
		request_free(req);
	finish_hook(&after);
}

static void
fork_prepare(void)
{
	lane_before_fork();
	for (int i = 0; i < SHARDS; i++)
		lock_take(&shards[i].lock);
}

static void
fork_parent(void)
{
	for (int i = SHARDS - 1; i >= 0; i--)
		lock_give(&shards[i].lock);
	lane_after_fork_parent();
}

static void
fork_child(void)
{
	lane_after_fork_child();
	uring_backend.after_fork_child();
	poller_backend.after_fork_child();
	pool_backend.after_fork_child();
	inline_backend.after_fork_child();
	report_after_fork_child();
	queue_forget_all(forget);
	publish_after_fork_child();	/* after forget, which publishes */
}

static pthread_once_t init_once = PTHREAD_ONCE_INIT;

static finish_hook_function *hook_offered;	/* atomic: core_init's argument */

static void
init(void)
{
	finish_hook = __atomic_load_n(&hook_offered, __ATOMIC_RELAXED);
	config_load_environment();
	backend_set_completion(complete);
	stats_live->backend = BACKEND_THREADS;
	if (!uring_probe() && config.backend == BACKEND_URING)
		fprintf(stderr, "aio-posix: io_uring is not available here; using threads\n");
	pthread_atfork(fork_prepare, fork_parent, fork_child);
	report_verbose_start();
}

void
core_init(finish_hook_function *hook)
{
	/* init sets finish_hook; pthread_once orders that before every
	 * caller's plain reads of it. */
	if (__builtin_expect(__atomic_load_n(&hook_offered, __ATOMIC_RELAXED) != hook, 0))
		__atomic_store_n(&hook_offered, hook, __ATOMIC_RELAXED);
	pthread_once(&init_once, init);
	report_first_request();
}
