/* completion-queue.c: completion queues, for event loops (<aio-posix.h>).
 *
 * A queue is a file descriptor, an eventfd, that a program puts in its
 * poll or epoll set; requests are tied to it with SIGEV_AIO_QUEUE and
 * sigev_notify_queue, as FreeBSD ties them to a kqueue with SIGEV_KEVENT.
 * A finished request is posted to its queue with its result and its
 * sigev_value; aio_queue_reap takes up to N at once.  No thread is started
 * for a completion, and nothing is allocated when one is posted: a request
 * reserves its entry at submission (completion_queue_reserve).
 *
 * The descriptor is readable exactly while the queue holds entries: the
 * first entry of an empty queue adds 1 to the eventfd's counter, and the
 * reap that empties the queue reads the counter back to 0.  The library
 * writes through a private duplicate (high in the fd table, close-on-exec),
 * so a program that closes the descriptor by mistake never has another
 * file written in its place.
 *
 * Locking.  registry_lock guards the table from descriptor to queue, the
 * list of every queue alive (in the table or not), and each queue's
 * reference count; a queue's own lock guards its ring, its
 * counts and its eventfd counter.  registry_lock is taken before a queue's
 * lock, never after.  A queue lives while the table or a request refers to
 * it; aio_queue_close takes it out of the table and drops what it holds,
 * and requests still in flight that finish later post nothing.
 *
 * Fork: as FreeBSD's kqueues, queues are not inherited; in the child each
 * is closed (reap and submission say EBADF) until the child calls
 * aio_queue_close, which frees it and closes the child's copy of the
 * descriptor.
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
#include "engine.h"
#include "fault.h"

struct completion_queue {
	pthread_mutex_t lock;
	int fd;				/* the program's descriptor: the handle */
	int signal_fd;			/* the library's duplicate, written */
	int references;			/* under registry_lock */
	bool closed;			/* aio_queue_close, or inherited by fork */
	bool signalled;			/* the eventfd counter is not 0 */
	unsigned reserved;		/* entries promised to requests in flight */
	struct aio_completion *ring;
	unsigned capacity, head, count;
	struct waitpoint point;
	struct list live_link;		/* live_queues */
};

static pthread_mutex_t registry_lock = PTHREAD_MUTEX_INITIALIZER;
static struct completion_queue **registry;	/* indexed by descriptor */
static size_t registry_size;
static struct list live_queues = LIST_INIT(live_queues);

#define QUEUE_OF(link) container_of(link, struct completion_queue, live_link)

/* Under registry_lock. */
static void
queue_unref(struct completion_queue *queue)
{
	if (--queue->references > 0)
		return;
	list_remove(&queue->live_link);
	close(queue->signal_fd);
	pthread_mutex_destroy(&queue->lock);
	free(queue->ring);
	free(queue);
}

struct completion_queue *
completion_queue_get(int fd)
{
	struct completion_queue *queue = NULL;
	pthread_mutex_lock(&registry_lock);
	if (fd >= 0 && (size_t)fd < registry_size && registry[fd] && !registry[fd]->closed) {
		queue = registry[fd];
		queue->references++;
	}
	pthread_mutex_unlock(&registry_lock);
	return queue;
}

void
completion_queue_put(struct completion_queue *queue)
{
	pthread_mutex_lock(&registry_lock);
	queue_unref(queue);
	pthread_mutex_unlock(&registry_lock);
}

int
completion_queue_reserve(struct completion_queue *queue)
{
	int error = 0;
	pthread_mutex_lock(&queue->lock);
	if (queue->count + queue->reserved == queue->capacity) {
		unsigned capacity = queue->capacity ? queue->capacity * 2 : 64;
		struct aio_completion *ring = FAULT(FAULT_ALLOC) ? NULL
			: malloc(capacity * sizeof *ring);
		if (!ring || capacity < queue->capacity) {
			free(ring);
			error = EAGAIN;
		} else {
			for (unsigned i = 0; i < queue->count; i++)
				ring[i] = queue->ring[(queue->head + i) % queue->capacity];
			free(queue->ring);
			queue->ring = ring;
			queue->capacity = capacity;
			queue->head = 0;
		}
	}
	if (!error)
		queue->reserved++;
	pthread_mutex_unlock(&queue->lock);
	return error;
}

void
completion_queue_unreserve(struct completion_queue *queue)
{
	pthread_mutex_lock(&queue->lock);
	queue->reserved--;
	pthread_mutex_unlock(&queue->lock);
	waitpoint_wake(&queue->point);	/* a reaper may see it idle now */
}

void
completion_queue_post(struct completion_queue *queue, struct aiocb *cb, ssize_t result,
		      int error, union sigval value, bool reserved)
{
	pthread_mutex_lock(&queue->lock);
	if (reserved)
		queue->reserved--;
	if (!queue->closed && queue->count < queue->capacity) {
		struct aio_completion *entry =
			&queue->ring[(queue->head + queue->count) % queue->capacity];
		*entry = (struct aio_completion){ .aiocb = cb, .result = result, .error = error,
						  .value = value };
		queue->count++;
		if (!queue->signalled) {
			uint64_t one = 1;
			ssize_t unused = write(queue->signal_fd, &one, sizeof one);
			(void)unused;	/* only a full counter fails: it is not 0 */
			queue->signalled = true;
		}
	}
	pthread_mutex_unlock(&queue->lock);
	waitpoint_wake(&queue->point);
}

AIO_EXPORT int
aio_queue_create(int flags)
{
	if (flags & ~AIO_QUEUE_CLOEXEC) {
		errno = EINVAL;
		return -1;
	}
	engine_init();		/* fd_move_high needs the library's fd floor */
	struct completion_queue *queue = FAULT(FAULT_ALLOC) ? NULL : calloc(1, sizeof *queue);
	if (!queue) {
		errno = ENOMEM;
		return -1;
	}
	queue->fd = eventfd(0, EFD_NONBLOCK | (flags & AIO_QUEUE_CLOEXEC ? EFD_CLOEXEC : 0));
	queue->signal_fd = queue->fd < 0 ? -1 : fcntl(queue->fd, F_DUPFD_CLOEXEC, 0);
	if (queue->signal_fd < 0) {
		int error = errno;
		if (queue->fd >= 0)
			close(queue->fd);
		free(queue);
		errno = error;
		return -1;
	}
	queue->signal_fd = fd_move_high(queue->signal_fd);
	pthread_mutex_init(&queue->lock, NULL);
	queue->references = 1;		/* the registry's */
	list_init(&queue->live_link);
	pthread_mutex_lock(&registry_lock);
	if ((size_t)queue->fd >= registry_size) {
		size_t size = registry_size ? registry_size : 64;
		while (size <= (size_t)queue->fd)
			size *= 2;
		struct completion_queue **grown = FAULT(FAULT_ALLOC) ? NULL
			: realloc(registry, size * sizeof *grown);
		if (!grown) {
			pthread_mutex_unlock(&registry_lock);
			close(queue->fd);
			close(queue->signal_fd);
			pthread_mutex_destroy(&queue->lock);
			free(queue);
			errno = ENOMEM;
			return -1;
		}
		memset(grown + registry_size, 0, (size - registry_size) * sizeof *grown);
		registry = grown;
		registry_size = size;
	}
	/* A queue the program closed with close() left its entry: it is
	 * forgotten now that the number is in use again. */
	if (registry[queue->fd]) {
		registry[queue->fd]->closed = true;
		queue_unref(registry[queue->fd]);
	}
	registry[queue->fd] = queue;
	list_append(&live_queues, &queue->live_link);
	pthread_mutex_unlock(&registry_lock);
	return queue->fd;
}

AIO_EXPORT int
aio_queue_close(int fd)
{
	pthread_mutex_lock(&registry_lock);
	struct completion_queue *queue =
		fd >= 0 && (size_t)fd < registry_size ? registry[fd] : NULL;
	if (!queue) {
		pthread_mutex_unlock(&registry_lock);
		errno = EBADF;
		return -1;
	}
	registry[fd] = NULL;
	pthread_mutex_lock(&queue->lock);
	queue->closed = true;
	queue->count = 0;
	pthread_mutex_unlock(&queue->lock);
	close(queue->fd);
	waitpoint_wake(&queue->point);	/* reapers asleep on it leave */
	queue_unref(queue);
	pthread_mutex_unlock(&registry_lock);
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

AIO_EXPORT int
aio_queue_reap(int fd, struct aio_completion *completions, unsigned int max, unsigned int min,
	       const struct timespec *timeout)
{
	struct timespec deadline;
	bool poll, forever;
	if ((max > 0 && !completions) || min > max ||
	    !deadline_from_timeout(timeout, &deadline, &poll, &forever)) {
		errno = EINVAL;
		return -1;
	}
	struct completion_queue *queue = completion_queue_get(fd);
	if (!queue) {
		errno = EBADF;
		return -1;
	}
	unsigned got = 0;
	int rc = 0, result;
	for (;;) {
		int seen = waitpoint_seen(&queue->point);
		pthread_mutex_lock(&queue->lock);
		got += queue_take(queue, completions + got, max - got);
		/* With nothing in flight, waiting would never end. */
		bool idle = queue->reserved == 0 && queue->count == 0;
		bool closed = queue->closed;
		pthread_mutex_unlock(&queue->lock);
		if (got >= min || poll || idle || closed || rc == ETIMEDOUT) {
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
		rc = waitpoint_sleep(&queue->point, seen, &deadline, true);
		if (rc == ETIMEDOUT && forever)
			rc = 0;
	}
	completion_queue_put(queue);
	return result;
}

/* --- fork ---------------------------------------------------------------- */

static void
fork_prepare(void)
{
	pthread_mutex_lock(&registry_lock);
	for (struct list *it = live_queues.next; it != &live_queues; it = it->next)
		pthread_mutex_lock(&QUEUE_OF(it)->lock);
}

static void
fork_parent(void)
{
	for (struct list *it = live_queues.next; it != &live_queues; it = it->next)
		pthread_mutex_unlock(&QUEUE_OF(it)->lock);
	pthread_mutex_unlock(&registry_lock);
}

/* The forking thread holds every lock here (fork_prepare). */
static void
fork_child(void)
{
	for (struct list *it = live_queues.next; it != &live_queues; it = it->next) {
		struct completion_queue *queue = QUEUE_OF(it);
		queue->closed = true;
		queue->count = 0;
		queue->point = (struct waitpoint){ 0, 0 };
		pthread_mutex_unlock(&queue->lock);
	}
	pthread_mutex_unlock(&registry_lock);
}

__attribute__((constructor)) static void
completion_queue_register_fork_handlers(void)
{
	pthread_atfork(fork_prepare, fork_parent, fork_child);
}
