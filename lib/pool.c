/* pool.c: the thread-pool backend.
 *
 * Invariants, all under engine_lock:
 *  - ready[p] holds the READY requests of aio_reqprio p in FIFO order;
 *    workers serve the lowest p first (a larger aio_reqprio lowers priority).
 *  - idle_workers holds the workers asleep with nothing assigned, most
 *    recently idle last; pool_start wakes that one, so hot threads stay hot
 *    and cold ones reach their idle timeout and leave.
 *  - coming counts workers about to look at the ready lists without further
 *    notice: just created, or just woken.  pool_start adds a worker only
 *    when the READY requests outnumber them, so a burst does not create a
 *    thread per request while the first ones are still starting.
 *  - A worker leaves only when no request is READY, so while any request is
 *    READY at least one worker exists (pool_reserve creates the first); the
 *    last one also stays while the poller holds READY requests.
 *    Hence a failure to create a thread never strands a request: it waits
 *    for an existing worker, or submission fails with EAGAIN.
 *
 * Workers block every signal, so signals meant for the application never
 * land on them and their system calls are never interrupted.
 */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <time.h>

#include "engine.h"
#include "fault.h"

struct worker {
	pthread_cond_t wake;
	struct list idle_link;
	bool woken;		/* taken off idle_workers by pool_start */
};

static struct list ready[AIO_PRIO_DELTA_MAX + 1];
static int ready_count;
static struct list idle_workers = LIST_INIT(idle_workers);
static int threads;
static int coming;
static bool lists_ready;

static void
init_lists(void)
{
	for (int p = 0; p <= AIO_PRIO_DELTA_MAX; p++)
		list_init(&ready[p]);
	list_init(&idle_workers);
	lists_ready = true;
}

static struct request *
take_ready(void)
{
	if (ready_count == 0)
		return NULL;
	for (int p = 0; p <= AIO_PRIO_DELTA_MAX; p++) {
		if (!list_empty(&ready[p])) {
			struct request *req = container_of(ready[p].next, struct request, backend_link);
			list_remove(&req->backend_link);
			ready_count--;
			return req;
		}
	}
	return NULL;
}

static void *
worker_main(void *arg)
{
	struct worker self;
	pthread_condattr_t attributes;

	pthread_condattr_init(&attributes);
	pthread_condattr_setclock(&attributes, CLOCK_MONOTONIC);
	pthread_cond_init(&self.wake, &attributes);
	pthread_condattr_destroy(&attributes);
	list_init(&self.idle_link);

	pthread_mutex_lock(&engine_lock);
	coming--;
	for (;;) {
		struct request *req = take_ready();
		if (req) {
			req->state = REQUEST_RUNNING;
			pthread_mutex_unlock(&engine_lock);
			ssize_t rc = request_execute(req);
			if (rc == -EAGAIN && req->polled) {
				/* Its data went to another reader: wait again. */
				pthread_mutex_lock(&engine_lock);
				if (!poller_start(req)) {
					req->polled = false;
					req->state = REQUEST_READY;
					pool_start(req);
				}
				continue;
			}
			engine_finish(req, rc < 0 ? -1 : rc, rc < 0 ? (int)-rc : 0);
			pthread_mutex_lock(&engine_lock);
			continue;
		}

		struct timespec deadline;
		clock_gettime(CLOCK_MONOTONIC, &deadline);
		deadline.tv_sec += config.idle_seconds;
		self.woken = false;
		list_append(&idle_workers, &self.idle_link);
		while (!self.woken) {
			if (pthread_cond_timedwait(&self.wake, &engine_lock, &deadline) == ETIMEDOUT)
				break;
		}
		if (self.woken) {
			coming--;
		} else {
			list_remove(&self.idle_link);
			/* The poller's reads come to the pool once readable:
			 * one worker stays for them. */
			if (ready_count == 0 && (threads > 1 || !poller_waiting()))
				break;
		}
	}
	threads--;
	STATS_ADD(threads, -1ULL);
	pthread_mutex_unlock(&engine_lock);
	pthread_cond_destroy(&self.wake);
	return NULL;
}

int
library_thread_start(void *(*main)(void *))
{
	pthread_attr_t attributes;
	sigset_t all;
	pthread_t thread;

	sigfillset(&all);
	if (pthread_attr_init(&attributes) != 0)
		return EAGAIN;
	int rc = pthread_attr_setdetachstate(&attributes, PTHREAD_CREATE_DETACHED);
	if (rc == 0)
		rc = pthread_attr_setsigmask_np(&attributes, &all);
	if (rc == 0)
		rc = FAULT(FAULT_THREAD_CREATE) ? EAGAIN
			: pthread_create(&thread, &attributes, main, NULL);
	pthread_attr_destroy(&attributes);
	return rc == 0 ? 0 : EAGAIN;
}

/* Called under engine_lock; the new worker waits for the lock to start. */
static int
spawn_worker(void)
{
	if (library_thread_start(worker_main) != 0)
		return EAGAIN;
	threads++;
	coming++;
	STATS_PEAK(peak_threads, STATS_ADD(threads, 1));
	return 0;
}

int
pool_reserve(void)
{
	if (!lists_ready)
		init_lists();
	if (threads > 0)
		return 0;
	return spawn_worker();
}

void
pool_start(struct request *req)
{
	int priority = req->priority;
	if (priority < 0 || priority > AIO_PRIO_DELTA_MAX)
		priority = AIO_PRIO_DELTA_MAX;
	list_append(&ready[priority], &req->backend_link);
	ready_count++;
	if (ready_count <= coming)
		return;		/* a worker on its way will take it */
	if (!list_empty(&idle_workers)) {
		struct worker *w = container_of(idle_workers.prev, struct worker, idle_link);
		list_remove(&w->idle_link);
		w->woken = true;
		coming++;
		pthread_cond_signal(&w->wake);
	} else if (threads < config.max_threads) {
		/* On failure the request waits for a worker that exists. */
		spawn_worker();
	}
}

bool
pool_withdraw(struct request *req)
{
	if (req->state != REQUEST_READY)
		return false;
	list_remove(&req->backend_link);
	ready_count--;
	return true;
}

void
pool_after_fork_child(void)
{
	init_lists();
	ready_count = 0;
	threads = 0;
	coming = 0;
}
