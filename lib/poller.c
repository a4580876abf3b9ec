/* poller.c: readiness for the stream reads the ring does not serve.
 *
 * A read on a pipe, socket, FIFO or tty may wait forever.  On the pool it
 * would hold a worker all that time, and no worker could be called back from
 * it: aio_cancel could only say AIO_NOTCANCELED.  So when the ring does not
 * take such a read (the thread-pool backend, or a full ring), it waits here
 * for its fd to be readable, with no worker; only then does it go to the
 * pool, whose worker reads without waiting (request_execute, RWF_NOWAIT).
 * If someone else took the data meanwhile, the read comes back here.
 *
 * Invariants, all under engine_lock:
 *  - watching holds the requests waiting for readiness, READY and linked by
 *    backend_link (a request is on one backend list at a time), with
 *    in_poller set.  Such a request is cancellable: poller_withdraw.
 *  - generation changes whenever watching does.  The poller thread polls
 *    outside the lock, on a copy of the fds; a copy older than the list is
 *    thrown away unread (poll is level-triggered: nothing is lost), so the
 *    poller never touches a request that has left the list.
 *  - wake_fd, an eventfd, is in every poll: whoever changes the list writes
 *    it, so the thread rebuilds its copy.
 * The poller thread blocks every signal and lives as long as the process,
 * like the reaper.  O_NONBLOCK reads never come here: read() owes them
 * EAGAIN at once.
 */
#include "config.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "engine.h"
#include "fault.h"

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

	pthread_mutex_lock(&engine_lock);
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
		pthread_mutex_unlock(&engine_lock);

		int ready = poll(fds, n, -1);
		if (ready > 0 && (fds[0].revents & POLLIN)) {
			uint64_t counter;
			ssize_t got = read(wake_fd, &counter, sizeof counter);
			(void)got;
		}
		pthread_mutex_lock(&engine_lock);
		if (ready <= 0 || generation != seen)
			continue;	/* the copy is stale: rebuild it */
		for (size_t i = 1; i < n; i++) {
			if (!fds[i].revents)
				continue;
			/* Readable, at end of file, or failed: the read says. */
			struct request *req = requests[i];
			list_remove(&req->backend_link);
			req->in_poller = false;
			watching_count--;
			generation++;
			pool_start(req);
		}
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
	if (library_thread_start(poller_main) != 0) {
		close(wake_fd);
		wake_fd = -1;
		return false;
	}
	return true;
}

bool
poller_start(struct request *req)
{
	if (!started) {
		if (!start_thread())
			return false;	/* the pool serves it, blocking */
		started = true;
	}
	req->state = REQUEST_READY;
	req->in_poller = true;
	req->polled = true;
	list_append(&watching, &req->backend_link);
	watching_count++;
	generation++;
	wake_poller();
	return true;
}

bool
poller_waiting(void)
{
	return watching_count > 0;
}

bool
poller_withdraw(struct request *req)
{
	if (!req->in_poller)
		return false;
	list_remove(&req->backend_link);
	req->in_poller = false;
	watching_count--;
	generation++;
	wake_poller();
	return true;
}

void
poller_after_fork_child(void)
{
	/* The thread is the parent's; the requests were freed with their
	 * queues. */
	if (wake_fd >= 0)
		close(wake_fd);
	wake_fd = -1;
	started = false;
	list_init(&watching);
	watching_count = 0;
	generation = 0;
}
