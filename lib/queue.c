/* queue.c: per-fd queues, and the rules that say when a request may run.
 *
 * Locking.  The fd map is split in SHARDS shards by fd number; a shard's
 * lock guards its part of the map, its queues, and the state and list links
 * of every request on them.  So requests on different fds mostly take
 * different locks.  A shard lock is held only for list work and the
 * backends' start and cancel, which take backend locks of their own (the
 * lane's ring, the pool, the poller: leaves, never held while taking a
 * shard lock).  It is never held across a system call that can block for
 * long (only fstat, fcntl and dup of the fd, and the ring's non-blocking
 * submission), and nothing is delivered under it.
 *
 * Ordering rules, kept per fd:
 *  - regular files and block devices: reads and writes run in parallel;
 *  - streams (pipes, sockets, FIFOs, ttys, other character devices): reads
 *    run one at a time in submission order, and so do writes; the two
 *    directions are independent, so a read waiting for data never holds back
 *    a write on the same socket;
 *  - O_APPEND writes on a file: one at a time in submission order;
 *  - fsync and fdatasync start only once every write submitted earlier on
 *    the fd has finished; later writes do not wait for them.
 *
 * File descriptors.  A request that runs after its submission call has
 * returned (staged, held back by its fd's order, or for the pool or the
 * poller) runs on a private duplicate of the fd, made by its queue then, so
 * that if the application closes the fd and the number is reused, the
 * request still reaches the file it was submitted for and the new file is
 * never touched.  A request handed to the ring during its submission call
 * needs none: the kernel takes its own reference to the file then.  So a
 * queue borrows the application's fd until it needs a duplicate.
 * Duplicates are made high in the fd table (fd_move_high's floor).
 *
 * Staleness.  When a queue is looked up, it checks that the fd still names
 * the file it was made for (fstat: device and inode), and a stale queue is
 * detached to finish on its own.  A positional queue checks again when the
 * asking lane has waited since the last check (aio_suspend, aio_error on a
 * request in progress, lio_listio: one epoch, lane.c) or CHECK_TICK_NS of
 * the coarse clock have passed, or its newest request is no longer in
 * flight, not at every request: the check is a system call, and a batch of
 * requests must not cost one each.  A program that saw its requests on the
 * old file complete (aio_error polled, with no wait the library counts)
 * may have closed the fd since, so a queue whose newest request has its
 * result published is checked again.  So only a request submitted on an
 * fd number that was closed and reused while a request on the old file was
 * still in flight, with no wait since and within a few milliseconds, can go
 * to the old file.  Streams, where requests may wait forever, check at
 * every request.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "backend.h"
#include "fault.h"
#include "lane.h"
#include "queue.h"

struct shard shards[SHARDS];

#define REQUEST_OF(link, member) container_of(link, struct request, member)

void
shard_lock(struct shard *shard)
{
	if (!lock_try(&shard->lock)) {
		STATS_ADD(lock_waits, 1);
		lock_slow(&shard->lock);
	}
}

static size_t
slot_of(const struct shard *shard, int fd)
{
	return ((unsigned)fd / SHARDS) & (shard->bucket_count - 1);
}

static struct fd_queue *
lookup(struct shard *shard, int fd)
{
	if (shard->bucket_count == 0)
		return NULL;
	struct fd_queue *q = shard->buckets[slot_of(shard, fd)];
	while (q && q->fd != fd)
		q = q->next_in_bucket;
	return q;
}

static void
map_grow(struct shard *shard)
{
	size_t count = shard->bucket_count ? shard->bucket_count * 2 : 8;
	struct fd_queue **grown = FAULT(FAULT_ALLOC) ? NULL : calloc(count, sizeof *grown);
	if (!grown)
		return;		/* the old table still works, with longer chains */
	size_t old_count = shard->bucket_count;
	struct fd_queue **old = shard->buckets;
	shard->buckets = grown;
	shard->bucket_count = count;
	for (size_t i = 0; i < old_count; i++) {
		struct fd_queue *q = old[i];
		while (q) {
			struct fd_queue *next = q->next_in_bucket;
			size_t slot = slot_of(shard, q->fd);
			q->next_in_bucket = grown[slot];
			grown[slot] = q;
			q = next;
		}
	}
	free(old);
}

static void
map_remove(struct shard *shard, struct fd_queue *q)
{
	struct fd_queue **link = &shard->buckets[slot_of(shard, q->fd)];
	while (*link != q)
		link = &(*link)->next_in_bucket;
	*link = q->next_in_bucket;
	q->in_map = false;
	shard->queue_count--;
}

/* Does fd still name the file the queue was made for? */
static bool
still_same_file(const struct fd_queue *q)
{
	struct stat64 now;
	switch (q->fd_kind) {
	case FD_BAD:
		return fcntl(q->fd, F_GETFD) == -1;	/* was bad, still bad? */
	case FD_UNPROTECTED:
		return true;		/* nothing to compare with: trust it */
	case FD_BORROWED:
	case FD_DUPLICATE:
		break;
	}
	return fstat64(q->fd, &now) == 0 && now.st_dev == q->device && now.st_ino == q->inode;
}

/* From now on the queue's requests run on a duplicate.  Called during a
 * submission, when the application's fd is known to be the right one. */
static void
make_duplicate(struct fd_queue *q)
{
	if (q->fd_kind != FD_BORROWED)
		return;
	int copy = fcntl(q->fd, F_DUPFD_CLOEXEC, private_fd_floor());
	if (copy < 0 && (errno == EMFILE || errno == EINVAL))
		copy = fcntl(q->fd, F_DUPFD_CLOEXEC, 0);
	if (copy < 0) {
		/* Out of descriptors: use the application's, unprotected. */
		q->fd_kind = FD_UNPROTECTED;
		return;
	}
	q->fd_kind = FD_DUPLICATE;
	q->io_fd = copy;
}

static void
queue_free(struct fd_queue *q)
{
	if (q->fd_kind == FD_DUPLICATE)
		close(q->io_fd);
	free(q);
}

/* The coarse clock (a few milliseconds of resolution, read without a
 * system call), in units of CHECK_TICK_NS. */
#define CHECK_TICK_NS 4000000L

static int64_t
coarse_now(void)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC_COARSE, &now);
	return (int64_t)now.tv_sec * (1000000000L / CHECK_TICK_NS) + now.tv_nsec / CHECK_TICK_NS;
}

/* Is the newest request of q still without a published result?  (The
 * ring's reaper marks it published after storing the result: only that
 * instant's completion, seen by the program at once, escapes this.) */
static bool
newest_in_flight(const struct fd_queue *q)
{
	if (list_empty(&q->outstanding))
		return false;
	const struct request *newest = REQUEST_OF(q->outstanding.prev, queue_link);
	return !__atomic_load_n(&newest->published, __ATOMIC_ACQUIRE);
}

struct fd_queue *
queue_find(struct shard *shard, int fd, int lane)
{
	struct fd_queue *q = lookup(shard, fd);
	if (!q)
		return NULL;
	unsigned epoch = lane >= 0 ? __atomic_load_n(&lanes[lane].epoch, __ATOMIC_RELAXED) : 0;
	int64_t time = 0;
	/* Trusted without a look only while the asking lane has not waited
	 * since the last one, within its coarse tick, and while the queue's
	 * newest request is in flight: a program that closes an fd and opens
	 * another under the same number has, as a rule, waited for the old
	 * file's requests first, or seen them complete. */
	if (!q->stream && lane >= 0 && q->checked_lane == lane && q->checked_epoch == epoch &&
	    newest_in_flight(q) && (time = coarse_now()) == q->checked_time)
		return q;
	if (!time)
		time = coarse_now();
	if (!still_same_file(q)) {
		map_remove(shard, q);		/* finishes its requests on its own */
		queue_release_if_idle(shard, q);
		return NULL;
	}
	q->checked_lane = lane;
	q->checked_epoch = epoch;
	q->checked_time = time;
	return q;
}

struct fd_queue *
queue_get(struct shard *shard, int fd, int lane)
{
	struct fd_queue *q = queue_find(shard, fd, lane);
	if (q)
		return q;
	if (shard->queue_count >= shard->bucket_count)
		map_grow(shard);
	if (shard->bucket_count == 0)
		return NULL;
	q = FAULT(FAULT_ALLOC) ? NULL : calloc(1, sizeof *q);
	if (!q)
		return NULL;
	q->fd = fd;
	struct stat64 st;	/* 64-bit inode numbers on every ABI */
	if (fstat64(fd, &st) == 0) {
		q->fd_kind = FD_BORROWED;
		q->io_fd = fd;
		q->device = st.st_dev;
		q->inode = st.st_ino;
		q->stream = !S_ISREG(st.st_mode) && !S_ISBLK(st.st_mode);
	} else {
		/* A bad fd: the pool's system call reports EBADF. */
		q->fd_kind = FD_BAD;
		q->io_fd = -1;
	}
	q->checked_lane = lane;
	q->checked_epoch = lane >= 0 ? __atomic_load_n(&lanes[lane].epoch, __ATOMIC_RELAXED) : 0;
	q->checked_time = coarse_now();
	q->in_map = true;
	list_init(&q->outstanding);
	list_init(&q->read_fifo);
	list_init(&q->write_fifo);
	list_init(&q->unfinished_writes);
	list_init(&q->barrier_waiting);
	size_t slot = slot_of(shard, fd);
	q->next_in_bucket = shard->buckets[slot];
	shard->buckets[slot] = q;
	shard->queue_count++;
	return q;
}

void
queue_release_if_idle(struct shard *shard, struct fd_queue *q)
{
	if (!list_empty(&q->outstanding) || q->reserved > 0)
		return;
	if (q->in_map)
		map_remove(shard, q);
	queue_free(q);
}

/* Would read() wait for data on this stream?  Not with O_NONBLOCK, where
 * it owes EAGAIN at once, nor on an fd not open for reading, where it owes
 * EBADF at once. */
static bool
waits_for_data(const struct request *req)
{
	int flags = fcntl(req->io_fd, F_GETFL);
	return flags != -1 && !(flags & O_NONBLOCK) && (flags & O_ACCMODE) != O_WRONLY;
}

static void
note_flush(const struct request *req, unsigned *flush)
{
	if (req->lane >= 0)
		*flush |= 1u << req->lane;
}

/* The request may run: to the ring if it takes it, else the poller or the
 * pool. */
static void
make_ready(struct request *req, bool within_call, unsigned *flush)
{
	struct fd_queue *q = req->queue;
	if (!within_call)
		make_duplicate(q);	/* it will run after this call */
	req->io_fd = q->io_fd;
	/* Set before the ring can see it: once in the ring, it may complete
	 * and be reaped at any moment. */
	request_set_state(req, REQUEST_RUNNING);
	req->home = HOME_URING;
	if (uring_backend.start(req) == START_TAKEN) {
		note_flush(req, flush);
		return;
	}
	/* The pool and the poller run it after the application may have
	 * closed its fd. */
	make_duplicate(q);
	req->io_fd = q->io_fd;
	request_set_state(req, REQUEST_READY);
	/* A stream read may wait forever: not in a worker (poller.c). */
	if (req->stream && req->op == OP_READ && waits_for_data(req) &&
	    poller_backend.start(req) == START_TAKEN) {
		req->home = HOME_POLLER;
		return;
	}
	req->home = HOME_POOL;
	pool_backend.start(req);
	note_flush(req, flush);
}

void
queue_restart(struct request *req, unsigned *flush)
{
	make_ready(req, false, flush);
}

void
queue_enqueue(struct request *req, bool within_call, unsigned *flush)
{
	struct fd_queue *q = req->queue;
	bool runnable = true;

	req->sequence = q->next_sequence++;
	req->stream = q->stream;
	list_append(&q->outstanding, &req->queue_link);
	switch (req->op) {
	case OP_READ:
		/* At the file position (vectored.c): in order, as on a stream. */
		req->in_order = q->stream || req->at_file_position;
		if (req->in_order) {
			runnable = list_empty(&q->read_fifo);
			list_append(&q->read_fifo, &req->order_link);
		}
		break;
	case OP_WRITE:
		list_append(&q->unfinished_writes, &req->write_link);
		req->in_order = q->stream || req->append || req->at_file_position;
		if (req->in_order) {
			runnable = list_empty(&q->write_fifo);
			list_append(&q->write_fifo, &req->order_link);
		}
		break;
	case OP_FSYNC:
	case OP_DATASYNC:
		/* Every unfinished write was submitted before this fsync; the
		 * ring's reapers must not leave them unsettled for long. */
		runnable = list_empty(&q->unfinished_writes);
		if (!runnable) {
			list_append(&q->barrier_waiting, &req->order_link);
			for (struct list *it = q->unfinished_writes.next; it != &q->unfinished_writes;
			     it = it->next)
				__atomic_store_n(&REQUEST_OF(it, write_link)->settle_soon, true,
						 __ATOMIC_RELAXED);
		}
		break;
	case OP_MLOCK:		/* no file, no order: runs at once */
		break;
	}
	/* A stream request goes at once: it may wait long anyway, and it must
	 * be in the kernel before aio_cancel can call it back. */
	if (req->stream)
		req->urgent = true;
	if (runnable) {
		make_ready(req, within_call, flush);
	} else {
		make_duplicate(q);	/* it will start after this call */
		request_set_state(req, REQUEST_WAITING);
	}
}

/* Release the fsyncs whose earlier writes have all finished. */
static void
release_barriers(struct fd_queue *q, unsigned *flush)
{
	while (!list_empty(&q->barrier_waiting)) {
		struct request *sync = REQUEST_OF(q->barrier_waiting.next, order_link);
		if (!list_empty(&q->unfinished_writes)) {
			struct request *oldest = REQUEST_OF(q->unfinished_writes.next, write_link);
			if (oldest->sequence < sync->sequence)
				return;
		}
		list_remove(&sync->order_link);
		sync->urgent = true;
		make_ready(sync, false, flush);
	}
}

static void
leave_fifo(struct list *fifo, struct request *req, unsigned *flush)
{
	bool was_head = fifo->next == &req->order_link;
	list_remove(&req->order_link);
	if (was_head && !list_empty(fifo)) {
		struct request *next = REQUEST_OF(fifo->next, order_link);
		if (request_state(next) == REQUEST_WAITING) {
			next->urgent = true;
			make_ready(next, false, flush);
		}
	}
}

void
queue_dequeue(struct request *req, unsigned *flush)
{
	struct fd_queue *q = req->queue;

	list_remove(&req->queue_link);
	switch (req->op) {
	case OP_READ:
		if (req->in_order)
			leave_fifo(&q->read_fifo, req, flush);
		break;
	case OP_WRITE:
		if (req->in_order)
			leave_fifo(&q->write_fifo, req, flush);
		list_remove(&req->write_link);
		release_barriers(q, flush);
		break;
	case OP_FSYNC:
	case OP_DATASYNC:
		if (request_state(req) == REQUEST_WAITING)
			list_remove(&req->order_link);
		break;
	case OP_MLOCK:
		break;
	}
}

void
queue_forget_all(void (*forget)(struct request *req))
{
	for (int s = 0; s < SHARDS; s++) {
		struct shard *shard = &shards[s];
		lock_reset(&shard->lock);
		for (size_t i = 0; i < shard->bucket_count; i++) {
			struct fd_queue *q = shard->buckets[i];
			while (q) {
				struct fd_queue *next = q->next_in_bucket;
				while (!list_empty(&q->outstanding)) {
					struct request *req = REQUEST_OF(q->outstanding.next, queue_link);
					list_remove(&req->queue_link);
					forget(req);
				}
				queue_free(q);
				q = next;
			}
		}
		free(shard->buckets);
		shard->buckets = NULL;
		shard->bucket_count = shard->queue_count = 0;
	}
}
