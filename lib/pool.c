/* pool.c: the thread-pool backend.
 *
 * start pushes a request on its lane's staged stack (lock-free); flush
 * moves a lane's whole stack to the ready lists under pool_lock and wakes
 * one worker for the batch.  A worker that takes a request while more are
 * ready and another worker is idle wakes that one in turn, so a batch of
 * many costs its submitter a single wake-up.
 *
 * Invariants, under pool_lock:
 *  - ready[p] holds the READY requests of aio_reqprio p in FIFO order;
 *    workers serve the lowest p first (a larger aio_reqprio lowers priority).
 *  - idle_workers holds the workers asleep with nothing assigned, most
 *    recently idle last; a wake-up goes to that one, so hot threads stay hot
 *    and cold ones reach their idle timeout and leave.
 *  - coming counts workers about to look at the ready lists without further
 *    notice: just created, or just woken.  A flush adds a worker only when
 *    the READY requests outnumber them.
 *  - A worker leaves only when no request is READY or staged (staged_count,
 *    atomic), and the last one also stays while the poller holds requests
 *    (poller_hold), or while a submission is between pool_reserve and
 *    pool_admitted.  pool_reserve, called before admitting requests that
 *    may need a worker, makes the first one.  So a failure to create a
 *    thread strands no request: it waits for an existing worker, or
 *    submission fails with EAGAIN.  A request that came without a
 *    reservation (a regular file the ring declined) and finds no worker,
 *    with none to be made, runs on the thread that flushes it, if that
 *    thread may block; else it stays staged for one that may.
 * pool_lock is a leaf: nothing else is locked while holding it.  Workers
 * block every signal (threads.c).
 */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <time.h>

#include "backend.h"
#include "lock.h"

struct worker {
	pthread_cond_t wake;
	struct list idle_link;
	bool woken;		/* taken off idle_workers by a waker */
};

static pthread_mutex_t pool_lock = PTHREAD_MUTEX_INITIALIZER;
/* Submissions between pool_reserve and pool_admitted, a counter per lane
 * so that threads submitting at once share no cache line (atomic). */
static struct {
	unsigned count;
} __attribute__((aligned(64))) admitting[LANES_MAX];

static bool
any_admitting(void)
{
	for (unsigned i = 0; i < LANES_MAX; i++)
		if (__atomic_load_n(&admitting[i].count, __ATOMIC_SEQ_CST))
			return true;
	return false;
}
static struct list ready[AIO_PRIO_DELTA_MAX + 1];
static int ready_count;
static struct list idle_workers = LIST_INIT(idle_workers);
static int threads;		/* atomic reads; written under pool_lock */
static int coming;
static int poller_holds;	/* atomic: requests the poller holds */
static int staged_count;	/* atomic: on lanes' staged stacks */
static bool lists_ready;
static struct request *staged[LANES_MAX];	/* atomic stacks, newest first */

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

static void *worker_main(void *unused);
static void run_request(struct request *req);

/* Under pool_lock; the new worker waits for the lock to start. */
static int
spawn_worker(void)
{
	if (library_thread_start(worker_main, NULL) != 0)
		return EAGAIN;
	__atomic_store_n(&threads, threads + 1, __ATOMIC_RELAXED);
	coming++;
	STATS_PEAK(peak_threads, STATS_ADD(threads, 1));
	return 0;
}

/* Under pool_lock: wake or make a worker for the READY requests that no
 * worker is on its way to. */
static void
wake_one(void)
{
	if (ready_count <= coming)
		return;
	if (!list_empty(&idle_workers)) {
		struct worker *w = container_of(idle_workers.prev, struct worker, idle_link);
		list_remove(&w->idle_link);
		w->woken = true;
		coming++;
		pthread_cond_signal(&w->wake);
	} else if (threads < __atomic_load_n(&config.max_threads, __ATOMIC_RELAXED)) {
		spawn_worker();		/* on failure, an existing worker serves it */
	}
}

static void *
worker_main(void *unused)
{
	struct worker self;
	pthread_condattr_t attributes;

	pthread_condattr_init(&attributes);
	pthread_condattr_setclock(&attributes, CLOCK_MONOTONIC);
	pthread_cond_init(&self.wake, &attributes);
	pthread_condattr_destroy(&attributes);
	list_init(&self.idle_link);

	pthread_mutex_lock(&pool_lock);
	coming--;
	for (;;) {
		struct request *req = take_ready();
		if (req) {
			request_set_state(req, REQUEST_RUNNING);
			wake_one();	/* the rest of a batch: the next worker */
			pthread_mutex_unlock(&pool_lock);
			run_request(req);
			pthread_mutex_lock(&pool_lock);
			continue;
		}

		struct timespec deadline;
		clock_gettime(CLOCK_MONOTONIC, &deadline);
		deadline.tv_sec += __atomic_load_n(&config.idle_seconds, __ATOMIC_RELAXED);
		self.woken = false;
		list_append(&idle_workers, &self.idle_link);
		while (!self.woken) {
			if (pthread_cond_timedwait(&self.wake, &pool_lock, &deadline) == ETIMEDOUT)
				break;
		}
		if (self.woken) {
			coming--;
		} else {
			list_remove(&self.idle_link);
			/* Staged requests and the poller's reads come here later:
			 * one worker stays for them. */
			bool wanted = __atomic_load_n(&staged_count, __ATOMIC_ACQUIRE) > 0 ||
				      __atomic_load_n(&poller_holds, __ATOMIC_ACQUIRE) > 0;
			if (ready_count == 0 && (threads > 1 || !wanted)) {
				/* Dekker's pattern with pool_reserve: either it
				 * sees no worker and makes one, or this sees it
				 * admitting and stays. */
				__atomic_store_n(&threads, threads - 1, __ATOMIC_SEQ_CST);
				if (threads > 0 || !any_admitting())
					break;
				__atomic_store_n(&threads, threads + 1, __ATOMIC_RELAXED);
			}
		}
	}
	STATS_ADD(threads, -1ULL);
	pthread_mutex_unlock(&pool_lock);
	pthread_cond_destroy(&self.wake);
	return NULL;
}

int
pool_reserve(unsigned lane)
{
	__atomic_add_fetch(&admitting[lane].count, 1, __ATOMIC_SEQ_CST);
	if (__atomic_load_n(&threads, __ATOMIC_SEQ_CST) > 0)
		return 0;
	pthread_mutex_lock(&pool_lock);
	if (!lists_ready)
		init_lists();
	int rc = threads > 0 ? 0 : spawn_worker();
	pthread_mutex_unlock(&pool_lock);
	if (rc)
		pool_admitted(lane);
	return rc;
}

void
pool_admitted(unsigned lane)
{
	__atomic_sub_fetch(&admitting[lane].count, 1, __ATOMIC_RELEASE);
}

void
pool_hold_worker(int change)
{
	__atomic_add_fetch(&poller_holds, change, __ATOMIC_RELEASE);
}

static enum start_result
pool_start(struct request *req)
{
	unsigned lane = req->lane >= 0 ? (unsigned)req->lane : 0;
	__atomic_add_fetch(&staged_count, 1, __ATOMIC_RELEASE);
	stack_push(&staged[lane], req, req);
	return START_TAKEN;
}

/* Under pool_lock: requests, newest first, to the ready lists in order. */
static int
make_ready(struct request *newest)
{
	struct request *oldest = NULL;
	int count = 0;
	while (newest) {
		struct request *next = newest->next;
		newest->next = oldest;
		oldest = newest;
		newest = next;
		count++;
	}
	for (struct request *req = oldest; req; req = req->next) {
		int priority = req->priority;
		if (priority < 0 || priority > AIO_PRIO_DELTA_MAX)
			priority = AIO_PRIO_DELTA_MAX;
		list_append(&ready[priority], &req->backend_link);
		ready_count++;
	}
	return count;
}

/* Under pool_lock: lane's staged requests to the ready lists. */
static int
take_staged(unsigned lane)
{
	struct request *newest = stack_take_all(&staged[lane]);
	if (!lists_ready)
		init_lists();
	int count = make_ready(newest);
	__atomic_sub_fetch(&staged_count, count, __ATOMIC_RELEASE);
	return count;
}

/* Run one request to its end on the calling thread, as a worker would. */
static void
run_request(struct request *req)
{
	ssize_t rc = request_execute(req);
	req->result = rc < 0 ? -1 : rc;
	req->error = rc < 0 ? (int)-rc : 0;
	backend_completion(&req, 1);
}

/* Set while this thread runs requests no worker could take: a flush from
 * inside their completion leaves its requests staged instead of nesting. */
static __thread bool running_unserved;

static bool
pool_flush(unsigned lane, unsigned flags)
{
	if (!__atomic_load_n(&staged[lane], __ATOMIC_RELAXED))
		return true;
	if (flags & FLUSH_MAY_BLOCK)
		pthread_mutex_lock(&pool_lock);
	else if (pthread_mutex_trylock(&pool_lock) != 0)
		return false;		/* the flusher or the next call will */
	if (threads == 0 && spawn_worker() != 0 &&
	    (!(flags & FLUSH_MAY_BLOCK) || running_unserved)) {
		/* No worker, none to be had, and this caller may not run
		 * them: they stay staged for a caller that may. */
		pthread_mutex_unlock(&pool_lock);
		return false;
	}
	int count = take_staged(lane);
	wake_one();
	bool unserved = threads == 0;
	pthread_mutex_unlock(&pool_lock);
	if (count)
		LANE_STATS_ADD(lane, submit_calls, 1);
	/* Accepted, and no thread to run them (core.c reserves a worker for
	 * what surely needs one, streams among them; only regular files the
	 * ring declined get here): this thread runs them rather than fail
	 * them, until a worker can be had. */
	while (unserved) {
		pthread_mutex_lock(&pool_lock);
		struct request *req = NULL;
		if (threads == 0) {
			take_staged(lane);	/* what the last one's end released */
			req = take_ready();
		}
		if (req)
			request_set_state(req, REQUEST_RUNNING);
		pthread_mutex_unlock(&pool_lock);
		if (!req)
			break;
		running_unserved = true;
		run_request(req);
		running_unserved = false;
	}
	return true;
}

/* Under the request's queue lock: nothing here completes a request. */
static enum cancel_result
pool_cancel(struct request *req)
{
	pthread_mutex_lock(&pool_lock);
	/* Still staged: to the ready lists first, then take it back. */
	if (take_staged(req->lane >= 0 ? (unsigned)req->lane : 0))
		wake_one();
	enum cancel_result answer = CANCEL_RUNNING;
	if (request_state(req) == REQUEST_READY) {
		list_remove(&req->backend_link);
		ready_count--;
		answer = CANCEL_WITHDRAWN;
	}
	pthread_mutex_unlock(&pool_lock);
	return answer;
}

static void
pool_after_fork_child(void)
{
	pthread_mutex_init(&pool_lock, NULL);
	init_lists();
	ready_count = 0;
	threads = 0;
	coming = 0;
	poller_holds = 0;
	staged_count = 0;
	for (unsigned i = 0; i < LANES_MAX; i++)
		staged[i] = NULL;
}

const struct backend pool_backend = {
	.name = "threads",
	.start = pool_start,
	.flush = pool_flush,
	.cancel = pool_cancel,
	.after_fork_child = pool_after_fork_child,
};
