/* lane.c: submission lanes, request memory, places under the cap, and the
 * flusher that bounds how long a staged request waits.
 *
 * Binding.  A thread is bound to a lane at its first request: a lane no
 * thread uses (left by threads that exited), else a new one while there are
 * fewer than LANES_MAX, else the one with the fewest threads.  lanes_lock
 * guards only binding; the binding lives in thread-local storage, and a
 * thread-specific key's destructor unbinds the thread when it exits.
 *
 * Memory.  Each thread caches freed requests in a thread-local list (at
 * most CACHE_KEEP of its own frees, plus a stack it took) when they belong
 * to its own lane, else they go on their lane's returned stack, which a
 * thread of that lane takes whole when its cache is empty.  So in the common case, one thread submitting and
 * settling, a request costs neither malloc nor an atomic operation.
 *
 * Places.  A thread takes places under AIO_POSIX_MAX_REQUESTS from the
 * process-wide count (publish.c) PLACES_CHUNK at a time, and uses them one
 * by one; publication gives each back to the process-wide count.  With a
 * small cap (under CHUNKED_CAP) chunks are 1, so the cap is exact; with a
 * large one, up to LANES_MAX * PLACES_CHUNK places may sit unused in
 * threads' hands, and EAGAIN may come that much early.
 *
 * Staging.  lane_stage_wanted decides from two counters of the lane:
 * unreturned (submitted, not yet collected by aio_return) and since_wait
 * (submitted since a thread of the lane last waited).  Both are atomics;
 * since_wait is a hint, updated with plain relaxed stores, and a lost update
 * only moves one decision.
 *
 * The flusher.  A thread of the library's own ticks every TICK_MICROSECONDS
 * (500 us) while anything is staged, and for LINGER_TICKS (50 ms) after; it flushes every
 * lane whose oldest staged request is older than its previous tick.  A lane
 * stamps staged_tick when it stages into an empty stage; if the flusher is
 * asleep for good then (flusher_asleep, Dekker's pattern with the stamp:
 * both sequentially consistent), the stager wakes it.  So a request waits
 * at most about two ticks for a caller that computes and calls nothing.
 */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <time.h>

#include "backend.h"
#include "fault.h"
#include "futex.h"
#include "lane.h"
#include "lock.h"
#include "publish.h"

struct lane lanes[LANES_MAX];
static unsigned lanes_used;		/* atomic */
static struct lock lanes_lock = LOCK_INIT;

#define CACHE_KEEP 256
#define TICK_MICROSECONDS 500
#define LINGER_TICKS 100		/* 50 ms of nothing staged */
#define PLACES_CHUNK 32
#define CHUNKED_CAP 65536

struct thread_state {
	struct lane *lane;
	struct request *cache;
	unsigned cached;
	int places;			/* taken from the process-wide count */
	bool key_set;
	struct lock busy;		/* held while building requests (fork) */
	struct thread_state *next_state; /* threads, under lanes_lock */
};

static __thread struct thread_state self __attribute__((tls_model("initial-exec")));
static pthread_key_t exit_key;
static pthread_once_t exit_key_once = PTHREAD_ONCE_INIT;
static struct thread_state *states;	/* under lanes_lock */

static void
thread_exit(void *unused)
{
	lock_take(&lanes_lock);
	for (struct thread_state **link = &states; *link; link = &(*link)->next_state) {
		if (*link == &self) {
			*link = self.next_state;
			break;
		}
	}
	lock_give(&lanes_lock);
	if (self.lane)
		__atomic_sub_fetch(&self.lane->threads, 1, __ATOMIC_RELAXED);
	self.lane = NULL;
	while (self.cache) {
		struct request *next = self.cache->next;
		free(self.cache);
		self.cache = next;
	}
	self.cached = 0;
	places_give(self.places);
	self.places = 0;
}

static void
make_exit_key(void)
{
	pthread_key_create(&exit_key, thread_exit);
}

static void
arm_exit_key(void)
{
	if (self.key_set)
		return;
	pthread_once(&exit_key_once, make_exit_key);
	pthread_setspecific(exit_key, &self);
	self.key_set = true;
	lock_take(&lanes_lock);
	self.next_state = states;
	states = &self;
	lock_give(&lanes_lock);
}

void
lane_hold(void)
{
	if (!self.key_set)
		arm_exit_key();
	lock_take(&self.busy);
}

void
lane_release(void)
{
	lock_give(&self.busy);
}

/* Fork: wait until no other thread is building requests, so that each
 * request is either in a queue or in a thread's cache, where the child
 * finds it. */
void
lane_before_fork(void)
{
	lock_take(&lanes_lock);
	for (struct thread_state *state = states; state; state = state->next_state)
		if (state != &self)
			lock_take(&state->busy);
}

void
lane_after_fork_parent(void)
{
	for (struct thread_state *state = states; state; state = state->next_state)
		if (state != &self)
			lock_give(&state->busy);
	lock_give(&lanes_lock);
}

static struct lane *
bind(void)
{
	lock_take(&lanes_lock);
	unsigned used = lanes_used, pick = 0;
	bool found = false;
	for (unsigned i = 0; i < used && !found; i++) {
		if (__atomic_load_n(&lanes[i].threads, __ATOMIC_RELAXED) == 0) {
			pick = i;
			found = true;
		}
	}
	if (!found && used < LANES_MAX) {
		pick = used;
		lanes[pick].index = pick;
		__atomic_store_n(&lanes_used, used + 1, __ATOMIC_RELEASE);
		found = true;
	}
	for (unsigned i = 1; i < used && !found; i++)
		if (lanes[i].threads < lanes[pick].threads)
			pick = i;
	__atomic_add_fetch(&lanes[pick].threads, 1, __ATOMIC_RELAXED);
	lock_give(&lanes_lock);
	self.lane = &lanes[pick];
	arm_exit_key();
	return self.lane;
}

struct lane *
lane_current(void)
{
	return self.lane ? self.lane : bind();
}

static void
links_init(struct request *req)
{
	list_init(&req->queue_link);
	list_init(&req->order_link);
	list_init(&req->write_link);
	list_init(&req->backend_link);
}

struct request *
request_new(void)
{
	struct request *req = self.cache;
	if (!req && self.lane) {
		/* Not counted: walking the stack would miss the cache once per
		 * request (another thread freed them), and cached only bounds
		 * what request_free keeps. */
		self.cache = stack_take_all(&self.lane->returned);
		req = self.cache;
	}
	if (req) {
		self.cache = req->next;
		if (self.cached)
			self.cached--;
		if (self.cache)
			__builtin_prefetch(self.cache, 1);	/* the next one's */
		memset(req, 0, sizeof *req);
	} else {
		req = FAULT(FAULT_ALLOC) ? NULL : calloc(1, sizeof *req);
		if (!req)
			return NULL;
	}
	links_init(req);
	req->lane = self.lane ? (int)self.lane->index : -1;
	return req;
}

void
request_free(struct request *req)
{
	/* vector_prepare's copy of the iovec array: freed once, here, before the
	 * memory is cached for reuse (request_new zeroes it). */
	free(req->vector);
	req->vector = NULL;
	struct lane *home = req->lane >= 0 ? &lanes[req->lane] : NULL;
	if (!home || (home == self.lane && self.cached < CACHE_KEEP)) {
		if (!self.key_set)
			arm_exit_key();
		req->next = self.cache;
		self.cache = req;
		self.cached++;
		return;
	}
	stack_push(&home->returned, req, req);
}

bool
lane_places_take(int count)
{
	if (self.places >= count) {
		self.places -= count;
		return true;
	}
	int limit = config.max_requests;
	int need = count - self.places;
	int chunk = limit >= CHUNKED_CAP ? PLACES_CHUNK : 0;
	if (places_take(need + chunk, limit)) {
		self.places = chunk;
	} else if (chunk && places_take(need, limit)) {
		self.places = 0;
	} else {
		return false;
	}
	if (!self.key_set)
		arm_exit_key();
	return true;
}

void
lane_places_give(int count)
{
	places_give(count);
}

/* --- staging ----------------------------------------------------------- */

static unsigned tick = 1;		/* atomic: never 0 */
static int flusher_asleep;		/* atomic futex word: 1 asleep for good */
static bool flusher_started;		/* atomic; set under lanes_lock */
static bool flusher_running(void);

bool
lane_stage_wanted(struct lane *lane, int count)
{
	int unreturned = __atomic_fetch_add(&lane->unreturned, count, __ATOMIC_RELAXED);
	int since_wait = __atomic_load_n(&lane->since_wait, __ATOMIC_RELAXED);
	__atomic_store_n(&lane->since_wait, since_wait + count, __ATOMIC_RELAXED);
	return unreturned > 0 && since_wait > 0;
}

void
lane_note_wait(void)
{
	struct lane *lane = self.lane;
	if (lane && __atomic_load_n(&lane->since_wait, __ATOMIC_RELAXED) != 0) {
		__atomic_store_n(&lane->since_wait, 0, __ATOMIC_RELAXED);
		__atomic_add_fetch(&lane->epoch, 1, __ATOMIC_RELAXED);
		uring_age(lane->index);
	}
}

void
lane_note_returned(int lane_index)
{
	if (lane_index < 0 || lane_index >= LANES_MAX)
		return;
	struct lane *lane = &lanes[lane_index];
	int now = __atomic_load_n(&lane->unreturned, __ATOMIC_RELAXED);
	/* Never below zero: a request of another process's lane (a fork
	 * child's inherited aiocb) or a repeated count must not skew it. */
	while (now > 0 && !__atomic_compare_exchange_n(&lane->unreturned, &now, now - 1, true,
						       __ATOMIC_RELAXED, __ATOMIC_RELAXED))
		;
}

/* --- the flusher --------------------------------------------------------- */



static void *flusher_main(void *unused);

/* Started at the first staging; without it nothing is staged. */
static bool
flusher_running(void)
{
	if (__atomic_load_n(&flusher_started, __ATOMIC_ACQUIRE))
		return true;
	lock_take(&lanes_lock);
	if (!flusher_started && library_thread_start(flusher_main, NULL) == 0)
		__atomic_store_n(&flusher_started, true, __ATOMIC_RELEASE);
	lock_give(&lanes_lock);
	return flusher_started;
}

bool
lane_note_staged(struct lane *lane)
{
	if (__atomic_load_n(&lane->staged_tick, __ATOMIC_RELAXED) != 0)
		return true;
	if (!flusher_running())
		return false;
	__atomic_store_n(&lane->staged_tick, __atomic_load_n(&tick, __ATOMIC_RELAXED),
			 __ATOMIC_SEQ_CST);
	if (__atomic_load_n(&flusher_asleep, __ATOMIC_SEQ_CST)) {
		__atomic_store_n(&flusher_asleep, 0, __ATOMIC_SEQ_CST);
		futex_wake_all(&flusher_asleep);
	}
	return true;
}

void
lane_flush(struct lane *lane, unsigned flags)
{
	/* Cleared first: whatever is staged after this is stamped anew. */
	__atomic_store_n(&lane->staged_tick, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&lane->staged, 0, __ATOMIC_RELAXED);
	bool all = uring_backend.flush(lane->index, flags);
	all &= pool_backend.flush(lane->index, flags);
	if (!all)
		lane_note_staged(lane);	/* left over: the flusher's again */
}

void
lane_flush_index(unsigned lane_index, unsigned flags)
{
	if (lane_index < __atomic_load_n(&lanes_used, __ATOMIC_ACQUIRE))
		lane_flush(&lanes[lane_index], flags);
}

static void *
flusher_main(void *unused)
{
	unsigned idle = 0;
	for (;;) {
		unsigned now = __atomic_add_fetch(&tick, 1, __ATOMIC_RELAXED);
		if (now == 0)
			__atomic_store_n(&tick, now = 1, __ATOMIC_RELAXED);
		bool staged = false;
		unsigned used = __atomic_load_n(&lanes_used, __ATOMIC_ACQUIRE);
		for (unsigned i = 0; i < used; i++) {
			unsigned stamp = __atomic_load_n(&lanes[i].staged_tick, __ATOMIC_SEQ_CST);
			if (stamp == 0)
				continue;
			staged = true;
			if (now - stamp >= 2)	/* staged before the previous tick */
				lane_flush(&lanes[i], FLUSH_MAY_BLOCK);
		}
		idle = staged ? 0 : idle + 1;
		if (idle < LINGER_TICKS) {
			struct timespec pause = { 0, TICK_MICROSECONDS * 1000L };
			nanosleep(&pause, NULL);
			continue;
		}
		/* Nothing staged for a while: sleep until a stager wakes us,
		 * after one last look (Dekker's pattern with lane_note_staged). */
		__atomic_store_n(&flusher_asleep, 1, __ATOMIC_SEQ_CST);
		bool any = false;
		for (unsigned i = 0; i < used && !any; i++)
			any = __atomic_load_n(&lanes[i].staged_tick, __ATOMIC_SEQ_CST) != 0;
		if (!any)
			futex_wait_until(&flusher_asleep, 1, NULL);
		__atomic_store_n(&flusher_asleep, 0, __ATOMIC_SEQ_CST);
		idle = 0;
	}
	return NULL;
}

void
lane_after_fork_child(void)
{
	/* Only this thread exists: it keeps its binding and its cache; the
	 * others' caches are freed. */
	struct thread_state *state = states;
	while (state) {
		struct thread_state *next = state->next_state;
		if (state != &self) {
			while (state->cache) {
				struct request *req = state->cache;
				state->cache = req->next;
				free(req);
			}
		}
		state = next;
	}
	states = self.key_set ? &self : NULL;
	self.next_state = NULL;
	lock_reset(&self.busy);
	lock_reset(&lanes_lock);
	unsigned used = lanes_used;
	for (unsigned i = 0; i < used; i++) {
		struct lane *lane = &lanes[i];
		lane->threads = lane == self.lane ? 1 : 0;
		lane->unreturned = 0;
		lane->since_wait = 0;
		lane->staged_tick = 0;
		/* Requests freed by the parent's other threads stay usable. */
	}
	self.places = 0;
	flusher_asleep = 0;
	flusher_started = false;	/* the parent's; ours starts when needed */
}
