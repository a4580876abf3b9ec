/* engine.c: per-fd queues, and the rules that say when a request may run.
 *
 * Locking.  engine_lock guards the fd map, every fd_queue, every request's
 * state and list links, the pool's lists (pool.c) and the ring's submission
 * queue (uring.c).  It is never held
 * across a system call that can block, and no notification is delivered
 * under it.  aio_error, aio_return and aio_suspend never take it: they read
 * the aiocb (see abi.h) and the suspend futex (suspend.c).
 *
 * Ordering rules, kept per fd:
 *  - regular files and block devices: reads and writes run in parallel;
 *  - streams (pipes, sockets, FIFOs, ttys, other character devices): reads
 *    run one at a time in submission order, and so do writes.  The two
 *    directions are independent, so a read waiting for data never holds back
 *    a write on the same socket;
 *  - O_APPEND writes on a file: one at a time in submission order;
 *  - fsync and fdatasync start only once every write submitted earlier on
 *    the fd has finished; later writes do not wait for them.
 * A request allowed to run is READY and belongs to the backend, which picks
 * among READY requests by aio_reqprio.  A WAITING request is the engine's.
 *
 * File descriptors.  A request that runs after its submission call has
 * returned (one held back by its fd's order, or one for the pool) runs on
 * a private duplicate of the fd, made by its queue then, so that if the
 * application closes the fd and the number is reused by another open(),
 * the request still reaches the file it was submitted for and the new file
 * is never touched.  A request handed to the ring during its submission
 * call needs none: the kernel takes its own reference to the file then.
 * So a queue borrows the application's fd until it needs a duplicate.  When
 * a queue is looked up, it checks that the fd still names the same file:
 * kcmp against the duplicate (the same open file description), or, while
 * borrowing, the device and inode fstat saw at creation.  A stale queue is
 * detached from the map to finish on its own.  Duplicates are made high in
 * the fd table (private_fd_floor), never at the low numbers an application
 * expects to get back from its next open().
 *
 * Capacity.  At most config.max_requests requests are in flight; admission
 * past that fails with EAGAIN and queues nothing.  A request completed at
 * submission (inline.c) never enters the engine and is not counted.
 *
 * Completion.  Under engine_lock the result is published to the aiocb, then
 * the request leaves its queue and the fd's next requests are released.  So
 * whenever an fsync is seen complete, every earlier write is seen complete
 * too, and aio_cancel never finds a request whose result is already public.
 * Waking aio_suspend, notification and the lio_listio group come after,
 * outside the lock.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/kcmp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>

#include "engine.h"
#include "fault.h"

pthread_mutex_t engine_lock = PTHREAD_MUTEX_INITIALIZER;

struct fd_queue {
	int fd;				/* the application's number */
	enum {
		FD_BAD,			/* fd was not open: io_fd is -1 */
		FD_BORROWED,		/* io_fd is the application's fd */
		FD_DUPLICATE,		/* io_fd is our duplicate */
		FD_UNPROTECTED,		/* no duplicate could be made: io_fd
					 * is the application's fd */
	} fd_kind;
	int io_fd;			/* what requests run on */
	dev_t device;			/* of the file, while borrowing */
	ino_t inode;
	bool in_map;			/* false once detached as stale */
	bool stream;			/* neither a regular file nor a block device */
	int reserved;			/* places held by engine_reserve */
	struct fd_queue *next_in_bucket;
	unsigned long next_sequence;
	struct list outstanding;	/* every request not finished, in order */
	struct list read_fifo;		/* stream reads; the head may be running */
	struct list write_fifo;		/* stream and O_APPEND writes, likewise */
	struct list unfinished_writes;	/* every write not finished, in order */
	struct list barrier_waiting;	/* fsyncs held back by earlier writes */
};

/* The fd map: a hash table with chaining.  File descriptors are small dense
 * integers, so the low bits are the hash. */
static struct fd_queue **buckets;
static size_t bucket_count;		/* a power of two, or 0 */
static size_t queue_count;
static int outstanding;			/* requests admitted, not finished */
int engine_published_early;		/* atomic: of those, published by
					 * uring.c and not yet finished */
static pid_t engine_pid;		/* getpid(), kept for kcmp */
static bool kcmp_usable = true;
static int private_fd_floor = 3;	/* where our duplicates go: see init */

static struct fd_queue *
queue_lookup(int fd)
{
	if (bucket_count == 0)
		return NULL;
	struct fd_queue *q = buckets[(unsigned)fd & (bucket_count - 1)];
	while (q && q->fd != fd)
		q = q->next_in_bucket;
	return q;
}

static void
map_grow(void)
{
	size_t count = bucket_count ? bucket_count * 2 : 64;
	struct fd_queue **grown = FAULT(FAULT_ALLOC) ? NULL : calloc(count, sizeof *grown);
	if (!grown)
		return;		/* the old table still works, with longer chains */
	for (size_t i = 0; i < bucket_count; i++) {
		struct fd_queue *q = buckets[i];
		while (q) {
			struct fd_queue *next = q->next_in_bucket;
			size_t slot = (unsigned)q->fd & (count - 1);
			q->next_in_bucket = grown[slot];
			grown[slot] = q;
			q = next;
		}
	}
	free(buckets);
	buckets = grown;
	bucket_count = count;
}

/* Does fd still name the file the queue was made for? */
static bool
still_same_file(const struct fd_queue *q)
{
	struct stat now;
	switch (q->fd_kind) {
	case FD_BAD:
		return fcntl(q->fd, F_GETFD) == -1;	/* was bad, still bad? */
	case FD_UNPROTECTED:
		return true;		/* nothing to compare with: trust it */
	case FD_BORROWED:
		return fstat(q->fd, &now) == 0 && now.st_dev == q->device &&
		       now.st_ino == q->inode;
	case FD_DUPLICATE:
		break;
	}
	if (kcmp_usable) {
		long rc = syscall(SYS_kcmp, engine_pid, engine_pid, KCMP_FILE, q->fd, q->io_fd);
		if (rc >= 0)
			return rc == 0;
		if (errno == EBADF)
			return false;
		kcmp_usable = false;	/* ENOSYS or EPERM: compare inodes */
	}
	struct stat then;
	return fstat(q->fd, &now) == 0 && fstat(q->io_fd, &then) == 0 &&
		now.st_dev == then.st_dev && now.st_ino == then.st_ino;
}

/* From now on the queue's requests run on a duplicate.  Called during a
 * submission, when the application's fd is known to be the right one. */
static void
make_duplicate(struct fd_queue *q)
{
	if (q->fd_kind != FD_BORROWED)
		return;
	int copy = fcntl(q->fd, F_DUPFD_CLOEXEC, private_fd_floor);
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
map_remove(struct fd_queue *q)
{
	struct fd_queue **link = &buckets[(unsigned)q->fd & (bucket_count - 1)];
	while (*link != q)
		link = &(*link)->next_in_bucket;
	*link = q->next_in_bucket;
	q->in_map = false;
	queue_count--;
}

static void
queue_free(struct fd_queue *q)
{
	if (q->fd_kind == FD_DUPLICATE)
		close(q->io_fd);
	free(q);
}

int
fd_move_high(int fd)
{
	int high = fcntl(fd, F_DUPFD_CLOEXEC, private_fd_floor);
	if (high < 0)
		return fd;
	close(fd);
	return high;
}

/* The live queue of fd, if any; a stale one is detached on the way. */
static struct fd_queue *
queue_find(int fd)
{
	struct fd_queue *q = queue_lookup(fd);
	if (q && !still_same_file(q)) {
		map_remove(q);		/* finishes its requests on its own */
		q = NULL;
	}
	return q;
}

static struct fd_queue *
queue_get(int fd)
{
	struct fd_queue *q = queue_find(fd);
	if (q)
		return q;
	if (queue_count >= bucket_count)
		map_grow();
	if (bucket_count == 0)
		return NULL;
	q = FAULT(FAULT_ALLOC) ? NULL : calloc(1, sizeof *q);
	if (!q)
		return NULL;
	q->fd = fd;
	struct stat st;
	if (fstat(fd, &st) == 0) {
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
	q->in_map = true;
	list_init(&q->outstanding);
	list_init(&q->read_fifo);
	list_init(&q->write_fifo);
	list_init(&q->unfinished_writes);
	list_init(&q->barrier_waiting);
	size_t slot = (unsigned)fd & (bucket_count - 1);
	q->next_in_bucket = buckets[slot];
	buckets[slot] = q;
	queue_count++;
	return q;
}

static void
queue_release_if_idle(struct fd_queue *q)
{
	if (!list_empty(&q->outstanding) || q->reserved > 0)
		return;
	if (q->in_map)
		map_remove(q);
	queue_free(q);
}

#define REQUEST_OF(link, member) container_of(link, struct request, member)

/* Would read() wait for data on this stream?  Not with O_NONBLOCK, where
 * it owes EAGAIN at once, nor on an fd not open for reading, where it owes
 * EBADF at once. */
static bool
waits_for_data(const struct request *req)
{
	int flags = fcntl(req->io_fd, F_GETFL);
	return flags != -1 && !(flags & O_NONBLOCK) && (flags & O_ACCMODE) != O_WRONLY;
}

/* The request may run: to the ring if it takes it, else to the pool. */
static void
make_ready(struct request *req)
{
	req->io_fd = req->queue->io_fd;
	if (uring_start(req)) {
		req->state = REQUEST_RUNNING;
		return;
	}
	/* The pool may run it after the application has closed its fd.  (A
	 * request released later, by its predecessor, was held back in
	 * enqueue and has the duplicate already.) */
	make_duplicate(req->queue);
	req->io_fd = req->queue->io_fd;
	/* A stream read may wait forever: not in a worker (poller.c). */
	if (req->stream && req->op == OP_READ && waits_for_data(req) &&
	    poller_start(req))
		return;
	req->state = REQUEST_READY;
	pool_start(req);
}

/* Pool and poller both hold READY requests: take one back from either. */
static bool
withdraw(struct request *req)
{
	return req->in_poller ? poller_withdraw(req) : pool_withdraw(req);
}

static void
enqueue(struct request *req)
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
		/* Every unfinished write was submitted before this fsync. */
		runnable = list_empty(&q->unfinished_writes);
		if (!runnable)
			list_append(&q->barrier_waiting, &req->order_link);
		break;
	case OP_MLOCK:		/* no file, no order: runs at once */
		break;
	}
	if (runnable) {
		make_ready(req);
	} else {
		make_duplicate(q);	/* it will start after this call */
		req->state = REQUEST_WAITING;
	}
}

/* Release the fsyncs whose earlier writes have all finished. */
static void
release_barriers(struct fd_queue *q)
{
	while (!list_empty(&q->barrier_waiting)) {
		struct request *sync = REQUEST_OF(q->barrier_waiting.next, order_link);
		if (!list_empty(&q->unfinished_writes)) {
			struct request *oldest = REQUEST_OF(q->unfinished_writes.next, write_link);
			if (oldest->sequence < sync->sequence)
				return;
		}
		list_remove(&sync->order_link);
		make_ready(sync);
	}
}

static void
leave_fifo(struct list *fifo, struct request *req)
{
	bool was_head = fifo->next == &req->order_link;
	list_remove(&req->order_link);
	if (was_head && !list_empty(fifo)) {
		struct request *next = REQUEST_OF(fifo->next, order_link);
		if (next->state == REQUEST_WAITING)
			make_ready(next);
	}
}

/* Take a finished or cancelled request out of its queue and let the fd's
 * next requests run.  The queue itself is freed by the caller. */
static void
dequeue(struct request *req)
{
	struct fd_queue *q = req->queue;

	list_remove(&req->queue_link);
	switch (req->op) {
	case OP_READ:
		if (req->in_order)
			leave_fifo(&q->read_fifo, req);
		break;
	case OP_WRITE:
		if (req->in_order)
			leave_fifo(&q->write_fifo, req);
		list_remove(&req->write_link);
		release_barriers(q);
		break;
	case OP_FSYNC:
	case OP_DATASYNC:
		if (req->state == REQUEST_WAITING)
			list_remove(&req->order_link);
		break;
	case OP_MLOCK:
		break;
	}
}

/* Admission comes in two steps, so that lio_listio can complete some
 * requests at submission (inline.c) and still queue all or none:
 * engine_reserve does everything that can fail (capacity, a worker, the
 * queues) and holds a place in each queue; engine_commit cannot fail.  A
 * queue with places held is never freed. */
int
engine_reserve(struct request **requests, int count)
{
	engine_init();
	report_first_request();
	uring_settle();		/* requests reaped elsewhere leave their places */
	pthread_mutex_lock(&engine_lock);
	/* A request whose result is public is done for the application,
	 * which may resubmit at once, before it is finished here. */
	int in_flight = outstanding - __atomic_load_n(&engine_published_early, __ATOMIC_RELAXED);
	int error = count > config.max_requests - in_flight ? EAGAIN : pool_reserve();
	int found = 0;
	if (error == 0) {
		for (; found < count; found++) {
			/* A list often names one fd many times: look it up once. */
			struct fd_queue *q = found > 0 && requests[found - 1]->fd == requests[found]->fd
				? requests[found - 1]->queue : queue_get(requests[found]->fd);
			if (!q) {
				error = EAGAIN;
				break;
			}
			q->reserved++;
			requests[found]->queue = q;
		}
	}
	if (error) {
		/* Nothing was queued: give the places back. */
		for (int i = 0; i < found; i++) {
			requests[i]->queue->reserved--;
			queue_release_if_idle(requests[i]->queue);
		}
	} else {
		outstanding += count;
	}
	pthread_mutex_unlock(&engine_lock);
	return error;
}

void
engine_commit(struct request **queued, int queued_count,
	      struct request **done, int done_count)
{
	pthread_mutex_lock(&engine_lock);
	/* Counted before any can finish: the ring's completions are counted
	 * outside the lock (uring.c). */
	STATS_PEAK(peak_in_flight, STATS_ADD(in_flight, queued_count));
	for (int i = 0; i < queued_count; i++) {
		struct request *req = queued[i];
		req->queue->reserved--;
		enqueue(req);
		if (req->op == OP_READ)
			STATS_ADD(reads, 1);
		else if (req->op == OP_WRITE)
			STATS_ADD(writes, 1);
		else if (req->op != OP_MLOCK)
			STATS_ADD(syncs, 1);
	}
	for (int i = 0; i < done_count; i++) {
		done[i]->queue->reserved--;
		queue_release_if_idle(done[i]->queue);
	}
	outstanding -= done_count;
	uring_flush();
	pthread_mutex_unlock(&engine_lock);
	uring_settle();		/* what completed during the submission */
}

int
engine_admit(struct request **requests, int count)
{
	int error = engine_reserve(requests, count);
	if (error == 0)
		engine_commit(requests, count, NULL, 0);
	return error;
}

/* What is left to do once a request has left its queue: notify, account
 * to the lio_listio group.  Done outside engine_lock, from a copy, so the
 * request itself is freed under the lock: a fork between the two never
 * leaves the child a request that no thread of its will free. */
struct aftermath {
	struct notification notification;
	struct list_group *group;
	struct aiocb *aiocb;		/* for collect_request_finished: the */
	ssize_t result;			/* address as a value, never read */
	int error;
};

static void
retire(struct request *req, struct aftermath *after)
{
	after->notification = req->notification;
	after->group = req->group;
	after->aiocb = req->aiocb;
	after->result = req->result;
	after->error = req->error;
	request_free(req);
}

static void
finish_outside_lock(struct aftermath *after)
{
	/* To its collection domain first (collect.h): the notification may
	 * wake a thread that looks for it there. */
	collect_request_finished(&after->notification, after->aiocb, after->result,
				 after->error);
	notification_deliver(&after->notification);
	if (after->group)
		list_group_request_done(after->group);
}

/* An orphan (cancelled in the ring, see engine_cancel) is freed by the last
 * of its two owners. */
static void
orphan_release(struct request *req)
{
	if (__atomic_sub_fetch(&req->owners, 1, __ATOMIC_ACQ_REL) == 0)
		request_free(req);
}

void
engine_finish(struct request *req, ssize_t result, int error)
{
	req->result = result;
	req->error = error;
	engine_finish_many(&req, 1);
	uring_settle();		/* what the fd's next requests completed at once */
}

void
engine_finish_many(struct request **requests, int count)
{
	struct aftermath after[ENGINE_FINISH_BATCH];
	int retired = 0;
	bool published_here = false;

	pthread_mutex_lock(&engine_lock);
	for (int i = 0; i < count; i++) {
		struct request *req = requests[i];
		if (req->orphaned) {
			/* aio_cancel finished it already; this is the ring's
			 * late word. */
			orphan_release(req);
			continue;
		}
		/* A result reaped outside the lock is public already, and
		 * counted (uring.c); the aiocb may be the application's again. */
		if (!__atomic_load_n(&req->published, __ATOMIC_ACQUIRE)) {
			abi_publish(req->aiocb, req->result, req->error);
			published_here = true;
			stats_count_completion(req->error);
		} else {
			__atomic_sub_fetch(&engine_published_early, 1, __ATOMIC_RELAXED);
		}
		struct fd_queue *q = req->queue;
		dequeue(req);
		queue_release_if_idle(q);
		retire(req, &after[retired++]);
		outstanding--;
	}
	uring_flush();
	pthread_mutex_unlock(&engine_lock);
	if (published_here)
		suspend_wake_all();
	for (int i = 0; i < retired; i++)
		finish_outside_lock(&after[i]);
}

int
engine_cancel(int fd, struct aiocb *aiocb)
{
	struct list cancelled = LIST_INIT(cancelled);
	bool running = false, woke_ring = false;

	engine_init();
	uring_settle();
	pthread_mutex_lock(&engine_lock);
	struct fd_queue *q = queue_find(fd);
	if (q) {
		struct list *it = q->outstanding.next;
		while (it != &q->outstanding) {
			struct request *req = REQUEST_OF(it, queue_link);
			it = it->next;
			if (aiocb && req->aiocb != aiocb)
				continue;
			/* Reaped already, its result public: it is done, and
			 * its aiocb may even be in flight again, as a newer
			 * request of this list. */
			if (__atomic_load_n(&req->published, __ATOMIC_ACQUIRE))
				continue;
			if (req->state == REQUEST_RUNNING && uring_cancel(req)) {
				/* Called back from the ring: finish it here; the
				 * reaper frees it when its completion arrives. */
				req->orphaned = true;
				req->owners = 2;
				woke_ring = true;
			} else if (req->state == REQUEST_RUNNING ||
				   (req->state == REQUEST_READY && !withdraw(req))) {
				running = true;
				continue;
			}
			abi_publish(req->aiocb, -1, ECANCELED);
			/* Releasing a FIFO successor may make the next entry
			 * READY; it is still in the list and handled in turn. */
			dequeue(req);
			outstanding--;
			STATS_ADD(in_flight, -1ULL);
			list_append(&cancelled, &req->backend_link);
		}
		queue_release_if_idle(q);
	}
	/* An aio_suspend asleep in the ring waits for a completion queue
	 * entry; the cancelled request's own may have come and gone before
	 * its ECANCELED was published above. */
	if (woke_ring)
		uring_wake_sleepers();
	uring_flush();
	pthread_mutex_unlock(&engine_lock);

	uring_settle();
	bool any = !list_empty(&cancelled);
	if (any)
		suspend_wake_all();
	while (!list_empty(&cancelled)) {
		struct request *req = REQUEST_OF(cancelled.next, backend_link);
		struct aftermath after;
		list_remove(&req->backend_link);
		if (req->orphaned) {
			after.notification = req->notification;
			after.group = req->group;
			after.aiocb = req->aiocb;
			orphan_release(req);
		} else {
			retire(req, &after);
		}
		after.result = -1;	/* as published above (collect.h) */
		after.error = ECANCELED;
		STATS_ADD(cancelled, 1);
		finish_outside_lock(&after);
	}
	if (running)
		return AIO_NOTCANCELED;
	return any ? AIO_CANCELED : AIO_ALLDONE;
}

static void
request_links_init(struct request *req)
{
	list_init(&req->queue_link);
	list_init(&req->order_link);
	list_init(&req->write_link);
	list_init(&req->backend_link);
}

void
request_init(struct request *req)
{
	memset(req, 0, sizeof *req);
	request_links_init(req);
}

struct request *
request_new(void)
{
	struct request *req = FAULT(FAULT_ALLOC) ? NULL : calloc(1, sizeof *req);
	if (req)
		request_links_init(req);
	return req;
}

void
request_move(struct request *to, const struct request *from)
{
	*to = *from;
	request_links_init(to);	/* they pointed into from */
}

void
request_free(struct request *req)
{
	free(req->vector);	/* vectored.c's copy of the iovec array */
	free(req);
}

ssize_t
request_execute(const struct request *req)
{
	ssize_t rc;
	do {
		/* Vectored, at the file position, or mlock (vectored.c). */
		if (req->vector || req->at_file_position || req->op == OP_MLOCK) {
			rc = request_execute_extension(req);
			continue;
		}
		switch (req->op) {
		case OP_READ:
			if (req->polled) {
				/* The poller saw data, but someone may have taken
				 * it since: read without waiting (-1: the file
				 * position, as read() uses). */
				struct iovec span = { req->buffer, req->length };
				rc = preadv2(req->io_fd, &span, 1, -1, RWF_NOWAIT);
				if (rc >= 0 || errno != EOPNOTSUPP)
					break;
				/* This kind of file cannot: read, which may wait. */
			}
			rc = req->stream ? read(req->io_fd, req->buffer, req->length)
					 : pread(req->io_fd, req->buffer, req->length, req->offset);
			break;
		case OP_WRITE:
			/* pwrite on an O_APPEND file appends, and leaves the file
			 * offset alone, unlike write. */
			rc = req->stream ? write(req->io_fd, req->buffer, req->length)
					 : pwrite(req->io_fd, req->buffer, req->length, req->offset);
			break;
		case OP_FSYNC:
			rc = fsync(req->io_fd);
			break;
		case OP_DATASYNC:
			rc = fdatasync(req->io_fd);
			break;
		default:
			rc = -1;
			errno = EINVAL;
		}
	} while (rc < 0 && errno == EINTR);
	return rc < 0 ? -errno : rc;
}

/* --- fork ------------------------------------------------------------------
 * The parent's requests go on in the parent.  The child has none of its
 * threads, so it starts afresh: every request it inherited is marked
 * ECANCELED in its copy of the aiocb (so that nobody waits on it forever),
 * without notification, and forgotten. */

static void
fork_prepare(void)
{
	pthread_mutex_lock(&engine_lock);
}

static void
fork_parent(void)
{
	pthread_mutex_unlock(&engine_lock);
}

static void
fork_child(void)
{
	pthread_mutex_init(&engine_lock, NULL);
	engine_pid = getpid();
	outstanding = 0;
	engine_published_early = 0;
	pool_after_fork_child();
	poller_after_fork_child();
	uring_after_fork_child();
	suspend_after_fork_child();
	report_after_fork_child();
	for (size_t i = 0; i < bucket_count; i++) {
		struct fd_queue *q = buckets[i];
		while (q) {
			struct fd_queue *next = q->next_in_bucket;
			while (!list_empty(&q->outstanding)) {
				struct request *req = REQUEST_OF(q->outstanding.next, queue_link);
				list_remove(&req->queue_link);
				if (!req->published)
					abi_publish(req->aiocb, -1, ECANCELED);
				notification_discard(&req->notification);
				if (req->group)
					list_group_forget(req->group);
				request_free(req);
			}
			queue_free(q);
			q = next;
		}
	}
	free(buckets);
	buckets = NULL;
	bucket_count = queue_count = 0;
}

static pthread_once_t init_once = PTHREAD_ONCE_INIT;

static void
choose_backend(void)
{
	stats_live->backend = BACKEND_THREADS;
	pthread_mutex_lock(&engine_lock);
	bool ring = uring_probe();
	pthread_mutex_unlock(&engine_lock);
	if (!ring && config.backend == BACKEND_URING)
		fprintf(stderr, "aio-posix: io_uring is not available here; using threads\n");
}

static void
init(void)
{
	struct rlimit files;
	if (getrlimit(RLIMIT_NOFILE, &files) == 0 && files.rlim_cur != RLIM_INFINITY) {
		rlim_t floor = files.rlim_cur - files.rlim_cur / 4;
		private_fd_floor = floor > 4096 ? 4096 : floor < 3 ? 3 : (int)floor;
	} else {
		private_fd_floor = 4096;
	}
	engine_pid = getpid();
	config_load_environment();
	choose_backend();
	pthread_atfork(fork_prepare, fork_parent, fork_child);
	report_verbose_start();
}

void
engine_init(void)
{
	pthread_once(&init_once, init);
}
