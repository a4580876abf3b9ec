/* poller.c: readiness for the stream reads the ring does not serve.
 *
 * A read on a pipe, socket, FIFO or tty may wait forever.  On the pool it
 * would hold a worker all that time, and no worker could be called back from
 * it: aio_cancel could only say AIO_NOTCANCELED.  So when the ring does not
 * take such a read (the thread-pool backend, or a full ring), it waits here
 * for its fd to be readable, with no worker; only then does it go to the
 * pool, whose worker reads without waiting (request_execute, RWF_NOWAIT).
 * If someone else took the data meanwhile, the core sends it back here.
 *
 * Invariants, under poller_lock (a leaf: the pool's start, a lock-free
 * push, is the only call out while it is held):
 *  - watching holds the requests waiting for readiness, READY, linked by
 *    backend_link, with in_poller set.  Such a request is cancellable.
 *  - generation changes whenever watching does.  The poller thread polls
 *    outside the lock, on a copy of the fds; a copy older than the list is
 *    thrown away unread (poll is level-triggered: nothing is lost), so the
 *    poller never touches a request that has left the list.
 *  - wake_fd, an eventfd, is in every poll: whoever changes the list writes
 *    it, so the thread rebuilds its copy.
 * The poller thread blocks every signal and lives as long as the process.
 * O_NONBLOCK reads never come here: read() owes them EAGAIN at once.
 */
#include "config.h"

#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "backend.h"
#include "fault.h"
#include "lock.h"

static struct lock poller_lock = LOCK_INIT;
static struct list watching = LIST_INIT(watching);
static size_t watching_count;
static unsigned generation;
static int wake_fd = -1;
static bool started;

/* The poller thread's copy of the list; grown as it needs. */
#define FIRST_ROOM 64
static struct pollfd *copy_fds;
static struct request **copy_requests;
static size_t copy_room;

static void
wake_poller(void)
{
	uint64_t one = 1;
	ssize_t unused = write(wake_fd, &one, sizeof one);
	(void)unused;	/* only a full counter fails: the thread is awake */
}

static void *
poller_main(void *unused)
{
	struct pollfd *fds = copy_fds;
	struct request **requests = copy_requests;
	size_t room = copy_room;

	lock_take(&poller_lock);
	for (;;) {
		size_t count = watching_count + 1;
		if (count > room) {
			size_t want = count * 2;
			struct pollfd *f = realloc(fds, want * sizeof *fds);
			if (f)
				fds = f;
			struct request **r = realloc(requests, want * sizeof *requests);
			if (r)
				requests = r;
			if (f && r)
				room = want;
			else
				count = room;	/* watch what fits; the rest later */
		}
		fds[0] = (struct pollfd){ .fd = wake_fd, .events = POLLIN };
		size_t n = 1;
		for (struct list *it = watching.next; it != &watching && n < count; it = it->next) {
			struct request *req = container_of(it, struct request, backend_link);
			fds[n] = (struct pollfd){ .fd = req->io_fd, .events = POLLIN };
			requests[n++] = req;
		}
		unsigned seen = generation;
		lock_give(&poller_lock);

		int ready = poll(fds, n, -1);
		if (ready > 0 && (fds[0].revents & POLLIN)) {
			uint64_t counter;
			ssize_t got = read(wake_fd, &counter, sizeof counter);
			(void)got;
		}
		lock_take(&poller_lock);
		if (ready <= 0 || generation != seen)
			continue;	/* the copy is stale: rebuild it */
		struct request *readable = NULL;
		for (size_t i = 1; i < n; i++) {
			if (!fds[i].revents)
				continue;
			/* Readable, at end of file, or failed: the read says. */
			struct request *req = requests[i];
			list_remove(&req->backend_link);
			req->in_poller = false;
			watching_count--;
			generation++;
			req->next = readable;
			readable = req;
		}
		if (!readable)
			continue;
		/* To the pool.  Until the pool has them, cancel could find
		 * them in neither place: they go on its staged stacks under
		 * poller_lock (a lock-free push), and are flushed after it is
		 * let go (a flush may complete requests, and completing may
		 * start a read here). */
		unsigned lanes = 0;
		int moved = 0;
		for (struct request *req = readable, *next; req; req = next) {
			next = req->next;
			lanes |= 1u << (req->lane >= 0 ? req->lane : 0);
			moved++;
			pool_backend.start(req);	/* from here it may be gone */
		}
		lock_give(&poller_lock);
		for (unsigned i = 0; lanes; i++, lanes >>= 1)
			if (lanes & 1)
				pool_backend.flush(i, true);
		pool_hold_worker(-moved);
		lock_take(&poller_lock);
	}
	return NULL;
}

static bool
start_thread(void)
{
	if (!copy_fds) {
		copy_fds = FAULT(FAULT_ALLOC) ? NULL : malloc(FIRST_ROOM * sizeof *copy_fds);
		copy_requests = copy_fds ? malloc(FIRST_ROOM * sizeof *copy_requests) : NULL;
		if (!copy_requests) {
			free(copy_fds);
			copy_fds = NULL;
			return false;
		}
		copy_room = FIRST_ROOM;
	}
	wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (wake_fd < 0)
		return false;
	wake_fd = fd_move_high(wake_fd);
	if (library_thread_start(poller_main, NULL) != 0) {
		close(wake_fd);
		wake_fd = -1;
		return false;
	}
	return true;
}

static enum start_result
poller_start(struct request *req)
{
	lock_take(&poller_lock);
	if (!started && !(started = start_thread())) {
		lock_give(&poller_lock);
		return START_DECLINED;	/* the pool serves it, blocking */
	}
	req->in_poller = true;
	req->polled = true;
	pool_hold_worker(1);
	list_append(&watching, &req->backend_link);
	watching_count++;
	generation++;
	wake_poller();
	lock_give(&poller_lock);
	return START_TAKEN;
}

static enum cancel_result
poller_cancel(struct request *req)
{
	lock_take(&poller_lock);
	bool here = req->in_poller;
	if (here) {
		list_remove(&req->backend_link);
		req->in_poller = false;
		watching_count--;
		generation++;
		wake_poller();
		pool_hold_worker(-1);
	}
	lock_give(&poller_lock);
	/* Not here any more: the pool has it. */
	return here ? CANCEL_WITHDRAWN : pool_backend.cancel(req);
}

static void
poller_after_fork_child(void)
{
	/* The thread is the parent's; the requests were freed with their
	 * queues. */
	lock_reset(&poller_lock);
	if (wake_fd >= 0)
		close(wake_fd);
	wake_fd = -1;
	started = false;
	list_init(&watching);
	watching_count = 0;
	generation = 0;
}

const struct backend poller_backend = {
	.name = "poller",
	.start = poller_start,
	.cancel = poller_cancel,
	.after_fork_child = poller_after_fork_child,
};
