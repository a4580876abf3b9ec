/* completion-queue.c: completion queues, for event loops (<aio-posix.h>).
 *
 * A queue is a file descriptor, an eventfd, that a program puts in its
 * poll or epoll set; requests are tied to it with SIGEV_AIO_QUEUE and
 * sigev_notify_queue, as FreeBSD ties them to a kqueue with SIGEV_KEVENT.
 * A finished request is posted to its queue with its result and its
 * sigev_value; aio_queue_reap takes up to N at once.  No thread is started
 * for a completion, and nothing is allocated when one is posted: a request
 * reserves its entry when it is tied (completion_queue_tie), and that
 * reservation is also what keeps the queue alive for it.
 *
 * The descriptor is readable while the queue holds entries that no reaper
 * is about to take: the first entry of an empty queue adds 1 to the
 * eventfd's counter, and the reap that empties the queue reads the counter
 * back to 0.  An entry posted while a reaper is inside costs no write: the
 * post wakes every reaper inside, and each looks again under the lock
 * before it sleeps or leaves, so the entry is taken at once; one that
 * leaves entries behind (it had no room for them) signals them on its way
 * out (reaper_leave), under the same hold of the lock as its last look.
 * So a reaping program pays no eventfd system calls for what it reaps
 * itself, and a program that only polls the descriptor sees every entry.  The library
 * writes through a private duplicate (high in the fd table, close-on-exec),
 * so a program that closes the descriptor by mistake never has another
 * file written in its place.
 *
 * Locking and lifetime.  A queue's lock guards everything in it.  Queue
 * objects are never freed, only recycled (type-stable memory): the table
 * from descriptor to queue is read without a lock, and a reader then
 * checks, under the queue's lock, that the queue is still open and still
 * that descriptor's.  A closed queue goes back to the pool once no request
 * holds a reservation in it and no reaper is inside it.  So tying a request
 * costs one lock (the queue's), and posting its completion one more.
 * registry_lock serializes creation, closing and recycling, and guards the
 * table's chunks and the pool; it is taken before a queue's lock, never
 * after, and the hot paths never take it.
 *
 * Waiting.  A queue keeps the aiocbs of the requests tied to it that are in
 * flight (tracked by collect_claim, untracked when posted or given back).
 * A reaper alone in its queue, with few enough of them, waits as
 * aio_suspend does: in the io_uring ring itself when every one still in
 * flight is there (uring_wait), so the kernel wakes it directly, and it
 * finishes their completions itself; otherwise, on the queue's waitpoint.
 * A request that finishes without a completion queue entry (in a worker,
 * at submission) while the reaper sleeps in the ring wakes it with one
 * (uring_wake_sleepers), once per sleep.  The aiocbs are read only while
 * they are tied and not yet reaped, when the program must keep them (the
 * queue hands them back).
 *
 * Fork: as FreeBSD's kqueues, queues are not inherited; in the child each
 * is closed (reap says EBADF, tying a request EINVAL) until the child calls
 * aio_queue_close, which closes the child's copy of the descriptor.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "aio-posix.h"
#include "api.h"
#include "backend.h"
#include "completion-queue.h"
#include "core.h"
#include "fault.h"
#include "lane.h"
#include "waitpoint.h"

struct completion_queue {
	pthread_mutex_t lock;		/* initialised once, never destroyed */
	int fd;				/* the program's descriptor: the handle */
	int signal_fd;			/* the library's duplicate, written */
	bool closed;			/* aio_queue_close, fork, or pooled */
	bool pooled;			/* in the pool, for the next create */
	bool signalled;			/* the eventfd counter is not 0 */
	unsigned reserved;		/* entries promised to tied requests */
	unsigned reapers;		/* aio_queue_reap calls inside */
	struct aio_completion *ring;
	unsigned capacity, head, count;
	struct aiocb **tracked;		/* in flight, by place; NULL: a hole */
	unsigned *next_hole;		/* the holes' free list, by place */
	unsigned tracked_room, tracked_used, first_hole;
	bool too_many;			/* one was not tracked: no ring waits */
	bool ring_waiting;		/* a reaper may be asleep in the ring */
	bool ring_woken;		/* and a wake-up entry is on its way */
	int ring_lane;			/* the lane of that ring */
	struct waitpoint point;
	struct completion_queue *next;	/* all_queues */
};

#define NO_PLACE UINT32_MAX
/* The most tracked requests a reaper waits for in the ring. */
#define RING_WAIT_MAX 256

/* The table: chunks of atomic pointers, allocated once, never freed. */
#define CHUNK_SHIFT 10
#define CHUNK_FDS (1u << CHUNK_SHIFT)
#define MAX_CHUNKS 1024			/* descriptors below 1M */

static pthread_mutex_t registry_lock = PTHREAD_MUTEX_INITIALIZER;
static struct completion_queue **table[MAX_CHUNKS];
static struct completion_queue *all_queues;	/* every object ever made */

/* The table's slot for fd, or NULL; create: allocate its chunk (under
 * registry_lock). */
static struct completion_queue **
slot_of(int fd, bool create)
{
	if (fd < 0 || (unsigned)fd >> CHUNK_SHIFT >= MAX_CHUNKS)
		return NULL;
	struct completion_queue ***chunk = &table[(unsigned)fd >> CHUNK_SHIFT];
	struct completion_queue **slots = __atomic_load_n(chunk, __ATOMIC_ACQUIRE);
	if (!slots && create) {
		slots = FAULT(FAULT_ALLOC) ? NULL : calloc(CHUNK_FDS, sizeof *slots);
		if (slots)
			__atomic_store_n(chunk, slots, __ATOMIC_RELEASE);
	}
	return slots ? &slots[(unsigned)fd & (CHUNK_FDS - 1)] : NULL;
}

/* The open queue of fd, locked; NULL if fd names none. */
static struct completion_queue *
lock_open_queue(int fd)
{
	struct completion_queue **slot = slot_of(fd, false);
	struct completion_queue *queue = slot ? __atomic_load_n(slot, __ATOMIC_ACQUIRE) : NULL;
	if (!queue)
		return NULL;
	pthread_mutex_lock(&queue->lock);
	if (queue->closed || queue->fd != fd) {	/* closed, or recycled since */
		pthread_mutex_unlock(&queue->lock);
		return NULL;
	}
	return queue;
}

/* Under the queue's lock: a queue closed for good (fd -1: by
 * aio_queue_close, or forgotten) that nobody is inside goes back to the
 * pool, where the next aio_queue_create finds it (queue_object).  A queue
 * closed by fork keeps its descriptor until the child closes it. */
static void
recycle_if_unused(struct completion_queue *queue)
{
	if (!queue->closed || queue->fd >= 0 || queue->pooled || queue->reserved > 0 ||
	    queue->reapers > 0)
		return;
	queue->pooled = true;
	queue->count = 0;
	if (queue->signal_fd >= 0)
		close(queue->signal_fd);
	queue->signal_fd = -1;
}

/* Under the queue's lock: make the descriptor readable for its entries. */
static void
signal_entries(struct completion_queue *queue)
{
	if (queue->signalled || queue->count == 0 || queue->closed)
		return;
	uint64_t one = 1;
	ssize_t unused = write(queue->signal_fd, &one, sizeof one);
	(void)unused;	/* only a full counter fails: it is not 0 */
	queue->signalled = true;
}

/* Under the queue's lock: a reaper leaves, and signals what it left. */
static void
reaper_leave(struct completion_queue *queue)
{
	waitpoint_leave(&queue->point);
	queue->reapers--;
	signal_entries(queue);
	recycle_if_unused(queue);
}

struct completion_queue *
completion_queue_tie(int fd, int *error)
{
	struct completion_queue *queue = lock_open_queue(fd);
	if (!queue) {
		*error = EINVAL;
		return NULL;
	}
	*error = 0;
	if (queue->count + queue->reserved == queue->capacity) {
		unsigned capacity = queue->capacity ? queue->capacity * 2 : 64;
		struct aio_completion *ring = FAULT(FAULT_ALLOC) || capacity < queue->capacity
			? NULL : malloc(capacity * sizeof *ring);
		if (ring) {
			for (unsigned i = 0; i < queue->count; i++)
				ring[i] = queue->ring[(queue->head + i) % queue->capacity];
			free(queue->ring);
			queue->ring = ring;
			queue->capacity = capacity;
			queue->head = 0;
		} else {
			*error = EAGAIN;
		}
	}
	if (!*error)
		queue->reserved++;
	pthread_mutex_unlock(&queue->lock);
	return *error ? NULL : queue;
}

void
completion_queue_track(struct completion_queue *queue, struct aiocb *cb, uint32_t *place)
{
	*place = NO_PLACE;
	pthread_mutex_lock(&queue->lock);
	if (queue->first_hole == NO_PLACE && queue->tracked_used == queue->tracked_room &&
	    queue->tracked_room < RING_WAIT_MAX) {
		unsigned room = queue->tracked_room ? queue->tracked_room * 2 : 16;
		struct aiocb **tracked = realloc(queue->tracked, room * sizeof *tracked);
		unsigned *holes = tracked ? realloc(queue->next_hole, room * sizeof *holes) : NULL;
		if (tracked)
			queue->tracked = tracked;
		if (holes) {
			queue->next_hole = holes;
			queue->tracked_room = room;
		}
	}
	if (queue->first_hole != NO_PLACE) {
		*place = queue->first_hole;
		queue->first_hole = queue->next_hole[*place];
	} else if (queue->tracked_used < queue->tracked_room) {
		*place = queue->tracked_used++;
	} else {
		queue->too_many = true;
	}
	if (*place != NO_PLACE)
		queue->tracked[*place] = cb;
	pthread_mutex_unlock(&queue->lock);
}

/* Under the queue's lock. */
static void
untrack(struct completion_queue *queue, uint32_t place)
{
	if (place == NO_PLACE || place >= queue->tracked_used)
		return;
	queue->tracked[place] = NULL;
	queue->next_hole[place] = queue->first_hole;
	queue->first_hole = place;
}

void
completion_queue_untie(struct completion_queue *queue, uint32_t place)
{
	pthread_mutex_lock(&queue->lock);
	queue->reserved--;
	untrack(queue, place);
	recycle_if_unused(queue);
	pthread_mutex_unlock(&queue->lock);
	waitpoint_wake(&queue->point);	/* a reaper may see it idle now */
}


void
completion_queue_post(struct completion_queue *queue, uint32_t place, struct aiocb *cb,
		      ssize_t result, int error, union sigval value)
{
	pthread_mutex_lock(&queue->lock);
	queue->reserved--;
	untrack(queue, place);
	/* Not reaped yet, so still the program's to keep: readable. */
	bool wake_ring = queue->ring_waiting && !queue->ring_woken && !(cb && abi_in_ring(cb));
	int ring_lane = queue->ring_lane;
	if (wake_ring)
		queue->ring_woken = true;
	if (!queue->closed) {
		struct aio_completion *entry =
			&queue->ring[(queue->head + queue->count) % queue->capacity];
		*entry = (struct aio_completion){ .aiocb = cb, .result = result, .error = error,
						  .value = value };
		queue->count++;
		if (queue->reapers == 0)
			signal_entries(queue);	/* else a reaper takes it (the top) */
	}
	recycle_if_unused(queue);
	pthread_mutex_unlock(&queue->lock);
	waitpoint_wake(&queue->point);
	if (wake_ring && ring_lane >= 0)
		uring_wake_sleepers((unsigned)ring_lane);	/* they look again */
}

/* Under registry_lock: an object for a new queue, from the pool if one is
 * free there, with its lock held. */
static struct completion_queue *
queue_object(void)
{
	for (struct completion_queue *queue = all_queues; queue; queue = queue->next) {
		pthread_mutex_lock(&queue->lock);
		if (queue->pooled)
			return queue;
		pthread_mutex_unlock(&queue->lock);
	}
	struct completion_queue *queue = FAULT(FAULT_ALLOC) ? NULL : calloc(1, sizeof *queue);
	if (!queue)
		return NULL;
	pthread_mutex_init(&queue->lock, NULL);
	pthread_mutex_lock(&queue->lock);
	queue->signal_fd = -1;
	queue->closed = queue->pooled = true;
	queue->next = all_queues;
	all_queues = queue;
	return queue;
}

AIO_EXPORT int
aio_queue_create(int flags)
{
	if (flags & ~AIO_QUEUE_CLOEXEC) {
		errno = EINVAL;
		return -1;
	}
	int fd = eventfd(0, EFD_NONBLOCK | (flags & AIO_QUEUE_CLOEXEC ? EFD_CLOEXEC : 0));
	int signal_fd = fd < 0 ? -1 : fcntl(fd, F_DUPFD_CLOEXEC, 0);
	if (signal_fd < 0) {
		int error = errno;
		if (fd >= 0)
			close(fd);
		errno = error;
		return -1;
	}
	signal_fd = fd_move_high(signal_fd);
	pthread_mutex_lock(&registry_lock);
	struct completion_queue **slot = slot_of(fd, true);
	struct completion_queue *queue = slot ? queue_object() : NULL;
	if (!queue) {
		pthread_mutex_unlock(&registry_lock);
		close(fd);
		close(signal_fd);
		errno = ENOMEM;
		return -1;
	}
	queue->fd = fd;
	queue->signal_fd = signal_fd;
	queue->closed = queue->pooled = queue->signalled = false;
	queue->head = queue->count = 0;
	queue->tracked_used = 0;		/* the arrays are kept */
	queue->first_hole = NO_PLACE;
	queue->too_many = false;
	queue->point = (struct waitpoint){ 0, 0, 0 };
	pthread_mutex_unlock(&queue->lock);
	/* A queue the program closed with close() left its entry: forgotten
	 * now that the number is in use again. */
	struct completion_queue *old = __atomic_load_n(slot, __ATOMIC_RELAXED);
	if (old && old != queue) {
		pthread_mutex_lock(&old->lock);
		if (old->fd == fd) {
			old->closed = true;
			old->fd = -1;
			recycle_if_unused(old);
		}
		pthread_mutex_unlock(&old->lock);
	}
	__atomic_store_n(slot, queue, __ATOMIC_RELEASE);
	pthread_mutex_unlock(&registry_lock);
	return fd;
}

AIO_EXPORT int
aio_queue_close(int fd)
{
	pthread_mutex_lock(&registry_lock);
	struct completion_queue **slot = slot_of(fd, false);
	struct completion_queue *queue = slot ? __atomic_load_n(slot, __ATOMIC_ACQUIRE) : NULL;
	if (queue) {
		pthread_mutex_lock(&queue->lock);
		if (queue->fd != fd || queue->pooled) {
			pthread_mutex_unlock(&queue->lock);
			queue = NULL;
		}
	}
	if (!queue) {
		pthread_mutex_unlock(&registry_lock);
		errno = EBADF;
		return -1;
	}
	__atomic_store_n(slot, NULL, __ATOMIC_RELEASE);
	queue->closed = true;
	queue->count = 0;
	queue->fd = -1;
	close(fd);
	recycle_if_unused(queue);
	pthread_mutex_unlock(&queue->lock);
	pthread_mutex_unlock(&registry_lock);
	waitpoint_wake(&queue->point);	/* reapers asleep on it leave */
	return 0;
}

/* Under the queue's lock: move up to max entries out. */
static unsigned
queue_take(struct completion_queue *queue, struct aio_completion *out, unsigned max)
{
	unsigned taken = 0;
	while (taken < max && queue->count > 0) {
		out[taken++] = queue->ring[queue->head];
		queue->head = (queue->head + 1) % queue->capacity;
		queue->count--;
	}
	if (queue->count == 0 && queue->signalled) {
		uint64_t counter;
		ssize_t unused = read(queue->signal_fd, &counter, sizeof counter);
		(void)unused;	/* nonblocking, and known not to be 0 */
		queue->signalled = false;
	}
	return taken;
}

/* A reaper cancelled while asleep (without the queue's lock) leaves. */
static void
reap_cancelled(void *argument)
{
	struct completion_queue *queue = argument;
	pthread_mutex_lock(&queue->lock);
	reaper_leave(queue);
	pthread_mutex_unlock(&queue->lock);
}

AIO_EXPORT int
aio_queue_reap(int fd, struct aio_completion *completions, unsigned int max, unsigned int min,
	       const struct timespec *timeout)
{
	struct abi_timeout wide;
	return completion_queue_reap(fd, completions, max, min, ABI_WIDEN_TIMESPEC(timeout, &wide));
}

int
completion_queue_reap(int fd, struct aio_completion *completions, unsigned max, unsigned min,
		      const struct abi_timeout *timeout)
{
	struct deadline deadline;
	if ((max > 0 && !completions) || min > max || !deadline_from_timeout(timeout, &deadline)) {
		errno = EINVAL;
		return -1;
	}
	struct completion_queue *queue = lock_open_queue(fd);
	if (!queue) {
		errno = EBADF;
		return -1;
	}
	queue->reapers++;	/* keeps the object from being recycled */
	/* On the thread pool, the program collecting is a wait of its lane,
	 * as aio_error on a request in flight is: its next request goes at
	 * once, and may complete in its own thread (lane.c), which costs less
	 * than a hand-off to a worker.  With io_uring the batch costs less,
	 * so only a reap that sleeps counts (core_settle_all). */
	if (!uring_active())
		lane_note_wait();
	unsigned got = 0;
	int rc = 0, result;
	struct aiocb *in_flight[RING_WAIT_MAX];
	waitpoint_enter(&queue->point);
	pthread_cleanup_push(reap_cancelled, queue);
	for (;;) {
		got += queue_take(queue, completions + got, max - got);
		/* With nothing in flight, waiting would never end. */
		bool idle = queue->reserved == 0 && queue->count == 0;
		bool closed = queue->closed;
		int seen = waitpoint_seen(&queue->point);
		if (got >= min || deadline.poll || idle || closed || rc == ETIMEDOUT) {
			result = got > 0 || !closed ? (int)got : -1;
			if (result < 0)
				errno = EBADF;
			break;
		}
		if (rc == EINTR) {
			result = got > 0 ? (int)got : -1;
			if (result < 0)
				errno = EINTR;
			break;
		}
		/* Alone here, with its requests known: wait as aio_suspend. */
		int count = 0;
		if (queue->reapers == 1 && !queue->too_many && uring_active())
			for (unsigned i = 0; i < queue->tracked_used; i++)
				if (queue->tracked[i])
					in_flight[count++] = queue->tracked[i];
		queue->ring_waiting = count > 0;
		queue->ring_woken = false;
		queue->ring_lane = count > 0 ? abi_lane(in_flight[0]) : -1;
		pthread_mutex_unlock(&queue->lock);
		if (count > 0) {
			/* What is staged or reaped already is posted first. */
			core_settle_all(true);
			if (waitpoint_seen(&queue->point) != seen)
				count = 0;
		}
		/* uring_wait says ENOTSUP unless all are in this lane's ring. */
		int wait_lane = count > 0 ? abi_lane(in_flight[0]) : -1;
		rc = count > 0 ? uring_wait((unsigned)wait_lane,
					    (const struct aiocb *const *)in_flight, count,
					    &deadline.at, true)
			       : ENOTSUP;
		if (rc == ENOTSUP && count == 0 && waitpoint_seen(&queue->point) != seen) {
			rc = 0;		/* posted meanwhile: look again */
		} else if (rc == ENOTSUP) {
			if (count > 0) {
				pthread_mutex_lock(&queue->lock);
				queue->ring_waiting = false;
				pthread_mutex_unlock(&queue->lock);
			}
			core_settle_all(true);
			rc = waitpoint_sleep(&queue->point, seen, &deadline);
		} else {
			core_settle_lane((unsigned)wait_lane);	/* post what it reaped */
			if (rc == ETIMEDOUT && !deadline_passed(&deadline))
				rc = 0;
		}
		pthread_mutex_lock(&queue->lock);
		queue->ring_waiting = false;
	}
	pthread_cleanup_pop(0);
	reaper_leave(queue);
	pthread_mutex_unlock(&queue->lock);
	/* A reap hands the result over as aio_return does: the same marks,
	 * for aio_return and for the lane's staging decisions (the program
	 * keeps each aiocb until it is reaped, so it may be written). */
	for (unsigned i = 0; i < got; i++) {
		struct aiocb *cb = completions[i].aiocb;
		unsigned flags = cb ? abi_flags(cb) : ABI_RETURNED;
		if (!(flags & ABI_RETURNED)) {
			abi_set_flags(cb, flags | ABI_RETURNED);
			lane_note_returned(abi_lane(cb));
		}
	}
	return result;
}

/* --- fork ---------------------------------------------------------------- */

static void
fork_prepare(void)
{
	pthread_mutex_lock(&registry_lock);
	for (struct completion_queue *queue = all_queues; queue; queue = queue->next)
		pthread_mutex_lock(&queue->lock);
}

static void
fork_parent(void)
{
	for (struct completion_queue *queue = all_queues; queue; queue = queue->next)
		pthread_mutex_unlock(&queue->lock);
	pthread_mutex_unlock(&registry_lock);
}

/* The forking thread holds every lock here (fork_prepare).  In the child
 * every queue is closed; the requests the core gives back next untie
 * themselves, and aio_queue_close closes the child's descriptors. */
static void
fork_child(void)
{
	for (struct completion_queue *queue = all_queues; queue; queue = queue->next) {
		queue->closed = true;
		queue->count = 0;
		queue->reapers = 0;
		queue->point = (struct waitpoint){ 0, 0, 0 };
		pthread_mutex_unlock(&queue->lock);
	}
	pthread_mutex_unlock(&registry_lock);
}

__attribute__((constructor)) static void
completion_queue_register_fork_handlers(void)
{
	pthread_atfork(fork_prepare, fork_parent, fork_child);
}
