/* record.c: the process-wide record of finished requests that nobody has
 * collected, from which FreeBSD's aio_waitcomplete and Solaris's aio_waitn
 * take (waitcomplete.c).
 *
 * Every request of the process domain takes a slot at submission
 * (record_claim).  When it finishes, the slot joins its shard's FIFO of
 * finished requests, in the order they finished (see Locking).  aio_return
 * marks a slot collected without a lock (it must stay async-signal-safe),
 * through the ticket the aiocb carries (abi.h): the slot's index and
 * generation.  A collected slot is skipped and freed by the next waiter,
 * or by a later finish, which prunes the FIFO's head (and, amortised,
 * all of it).  So:
 *  - no request is handed over twice: a slot leaves FINISHED exactly once,
 *    by one compare-and-swap, to a waiter (FREE) or to aio_return
 *    (COLLECTED);
 *  - nothing here reads an aiocb after its result is public: the slot
 *    holds its own copy of the result, and the aiocb's address only as a
 *    value to hand back;
 *  - a stale ticket (the slot was freed and reused since) is harmless:
 *    every free bumps the slot's generation, and the ticket's no longer
 *    matches.
 *
 * Locking.  The record is sharded by submission lane (lane.c): a request
 * takes its slot from, and finishes into, the shard of the lane that
 * submitted it, so aio_read and its completion take no lock that every
 * request takes.  A shard's lock guards its slots' links, results and
 * aiocbs, its free list, its FIFO and its counts; activity, a copy of
 * pending + fifo_length, is written under it and read without it by
 * waiters that skip idle shards.  A slot's state word (generation and
 * status) is atomic: aio_return changes it with a compare-and-swap and no
 * lock, everyone else under its shard's lock.  Chunks of slots are
 * allocated under grow_lock (taken inside a shard's lock, a leaf),
 * published with release, and never freed, so aio_return can follow any
 * ticket (acquire) without a lock.  No shard lock is held while taking
 * another lock of the library but grow_lock, and no lock of the core is
 * held when the core's finish hook calls in here.
 *
 * Size.  A program that never calls aio_return (glibc does not require it)
 * would fill the record for nothing; until the process first waits here,
 * the FIFO keeps the newest UNWAITED_KEEP requests, and afterwards up to
 * AIO_POSIX_MAX_REQUESTS; past that the oldest is forgotten by the waiters
 * (aio_error and aio_return still report it).
 *
 * Waking.  record_point moves only when someone is registered, after a
 * fence (Dekker's pattern with the registration), so that a finish with
 * nobody waiting touches no shared line.  Order: the shards are taken in
 * turn from a rotating start; within a shard oldest finished first (one
 * thread's requests in the order they finished, several threads'
 * interleaved).
 *
 * Fork.  The child has nothing to collect: every slot is freed with a new
 * generation, so the tickets its aiocbs inherited point at nothing.  The
 * handlers are registered by a constructor, before the core's, so that the
 * child's record is sound again when the core's child handler gives back
 * the inherited requests.
 */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>

#include "fault.h"
#include "lane.h"
#include "publish.h"
#include "record.h"

enum slot_status { SLOT_FREE, SLOT_IN_FLIGHT, SLOT_FINISHED, SLOT_COLLECTED };

struct slot {
	uint64_t state;			/* atomic: generation << 32 | status */
	struct aiocb *aiocb;		/* the rest under its shard's lock */
	ssize_t result;
	int error;
	uint32_t next;			/* in a shard's FIFO or free list */
};

#define CHUNK_SHIFT 12
#define CHUNK_SLOTS (1u << CHUNK_SHIFT)
#define MAX_CHUNKS 4096			/* 16M slots: AIO_POSIX_MAX_REQUESTS' ceiling */
#define NO_SLOT UINT32_MAX
#define UNWAITED_KEEP 65536
#define COMPACT_MIN 1024

/* One shard a submission lane: a request's slot is taken from, and its
 * finish recorded in, the shard of the lane it was submitted through. */
struct record_shard {
	pthread_mutex_t lock;
	uint32_t free_head, fifo_head, fifo_tail;
	unsigned fifo_length;		/* entries, collected ones included */
	unsigned compact_at;
	unsigned pending;		/* claimed, not finished yet */
	unsigned activity;		/* atomic copy of pending + fifo_length,
					 * for waiters that skip empty shards */
} __attribute__((aligned(64)));

static struct record_shard shards[LANES_MAX];
static pthread_mutex_t grow_lock = PTHREAD_MUTEX_INITIALIZER;
static struct slot *chunks[MAX_CHUNKS];	/* atomic pointers, never freed */
static uint32_t chunk_count;		/* under grow_lock */
static bool waited;			/* atomic: the process has waited here */
struct waitpoint record_point;
static unsigned next_shard;		/* atomic: where the next waiter starts */

__attribute__((constructor)) static void
shards_init(void)
{
	for (unsigned i = 0; i < LANES_MAX; i++) {
		pthread_mutex_init(&shards[i].lock, NULL);
		shards[i].free_head = shards[i].fifo_head = shards[i].fifo_tail = NO_SLOT;
		shards[i].compact_at = COMPACT_MIN;
	}
}

static uint64_t
state_of(uint32_t generation, enum slot_status status)
{
	return (uint64_t)generation << 32 | status;
}

static struct slot *
slot_at(uint32_t index)
{
	if ((index >> CHUNK_SHIFT) >= MAX_CHUNKS)
		return NULL;
	struct slot *chunk = __atomic_load_n(&chunks[index >> CHUNK_SHIFT], __ATOMIC_ACQUIRE);
	return chunk ? &chunk[index & (CHUNK_SLOTS - 1)] : NULL;
}

/* The aiocb's ticket: 0, or (slot + 1) << 32 | generation. */
static uint64_t
ticket_pack(uint32_t index, uint32_t generation)
{
	return (uint64_t)(index + 1) << 32 | generation;
}

/* Under the shard's lock: the shard's activity as waiters read it. */
static void
shard_note_activity(struct record_shard *shard)
{
	__atomic_store_n(&shard->activity, shard->pending + shard->fifo_length, __ATOMIC_RELAXED);
}

/* Under the shard's lock: a new chunk of slots for its free list. */
static bool
grow(struct record_shard *shard)
{
	pthread_mutex_lock(&grow_lock);
	struct slot *chunk = chunk_count == MAX_CHUNKS || FAULT(FAULT_ALLOC)
		? NULL : calloc(CHUNK_SLOTS, sizeof *chunk);
	if (!chunk) {
		pthread_mutex_unlock(&grow_lock);
		return false;
	}
	uint32_t base = chunk_count << CHUNK_SHIFT;
	for (uint32_t i = 0; i < CHUNK_SLOTS; i++) {
		chunk[i].state = state_of(1, SLOT_FREE);
		chunk[i].next = i + 1 < CHUNK_SLOTS ? base + i + 1 : shard->free_head;
	}
	shard->free_head = base;
	__atomic_store_n(&chunks[chunk_count], chunk, __ATOMIC_RELEASE);
	chunk_count++;
	pthread_mutex_unlock(&grow_lock);
	return true;
}

/* Under the shard's lock: a slot leaves for its free list, with a new
 * generation.  Its status must be one aio_return cannot change (FREE is
 * reached from IN_FLIGHT or FINISHED only by the caller's own CAS). */
static void
slot_free(struct record_shard *shard, uint32_t index, struct slot *s, uint32_t generation)
{
	__atomic_store_n(&s->state, state_of(generation + 1, SLOT_FREE), __ATOMIC_RELEASE);
	s->aiocb = NULL;
	s->next = shard->free_head;
	shard->free_head = index;
}

/* Under the shard's lock: move a slot from one status to FREE, racing only
 * with aio_return's IN_FLIGHT/FINISHED -> COLLECTED. */
static void
slot_retire(struct record_shard *shard, uint32_t index, struct slot *s)
{
	uint64_t state = __atomic_load_n(&s->state, __ATOMIC_ACQUIRE);
	slot_free(shard, index, s, (uint32_t)(state >> 32));
}

/* Under the shard's lock: take its oldest finished, uncollected request
 * off its FIFO; false if there is none.  Collected entries met on the way
 * are freed. */
static bool
fifo_take(struct record_shard *shard, struct aiocb **aiocb, ssize_t *result, int *error)
{
	while (shard->fifo_head != NO_SLOT) {
		uint32_t index = shard->fifo_head;
		struct slot *s = slot_at(index);
		shard->fifo_head = s->next;
		if (shard->fifo_head == NO_SLOT)
			shard->fifo_tail = NO_SLOT;
		shard->fifo_length--;
		uint64_t state = __atomic_load_n(&s->state, __ATOMIC_ACQUIRE);
		uint32_t generation = (uint32_t)(state >> 32);
		uint64_t finished = state_of(generation, SLOT_FINISHED);
		/* The one compare-and-swap that hands it over, against
		 * aio_return's. */
		bool mine = __atomic_compare_exchange_n(&s->state, &finished,
							state_of(generation + 1, SLOT_FREE), false,
							__ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE);
		if (mine) {
			*aiocb = s->aiocb;
			*result = s->result;
			*error = s->error;
			s->aiocb = NULL;
			s->next = shard->free_head;
			shard->free_head = index;
			return true;
		}
		slot_retire(shard, index, s);	/* collected by aio_return */
	}
	return false;
}

/* Under the shard's lock: drop the collected entries from its FIFO. */
static void
fifo_compact(struct record_shard *shard)
{
	uint32_t *link = &shard->fifo_head, last = NO_SLOT;
	while (*link != NO_SLOT) {
		uint32_t index = *link;
		struct slot *s = slot_at(index);
		uint64_t state = __atomic_load_n(&s->state, __ATOMIC_ACQUIRE);
		if ((state & 0xffffffffu) == SLOT_COLLECTED) {
			*link = s->next;
			shard->fifo_length--;
			slot_retire(shard, index, s);
		} else {
			last = index;
			link = &s->next;
		}
	}
	shard->fifo_tail = last;
}

/* Under the shard's lock: free up to max collected entries at the head of
 * its FIFO.  When a program calls aio_return in about the order its
 * requests finish, as most do, this keeps the FIFO short and the slots
 * reused while they are still in the cache. */
static void
fifo_prune_head(struct record_shard *shard, unsigned max)
{
	while (max-- > 0 && shard->fifo_head != NO_SLOT) {
		uint32_t index = shard->fifo_head;
		struct slot *s = slot_at(index);
		if ((__atomic_load_n(&s->state, __ATOMIC_ACQUIRE) & 0xffffffffu) != SLOT_COLLECTED)
			return;
		shard->fifo_head = s->next;
		if (shard->fifo_head == NO_SLOT)
			shard->fifo_tail = NO_SLOT;
		shard->fifo_length--;
		slot_retire(shard, index, s);
	}
}

/* Under the shard's lock: keep its FIFO within its bounds (see the top). */
static void
fifo_trim(struct record_shard *shard)
{
	fifo_prune_head(shard, 2);
	if (shard->fifo_length >= shard->compact_at) {
		fifo_compact(shard);
		shard->compact_at = shard->fifo_length * 2 > COMPACT_MIN ? shard->fifo_length * 2
									 : COMPACT_MIN;
	}
	unsigned keep = UNWAITED_KEEP;
	if (__atomic_load_n(&waited, __ATOMIC_RELAXED) && (unsigned)config.max_requests > keep)
		keep = (unsigned)config.max_requests;
	struct aiocb *forgotten;
	ssize_t result;
	int error;
	while (shard->fifo_length > keep && fifo_take(shard, &forgotten, &result, &error))
		;
}

/* The shard of the calling thread's lane. */
static unsigned
current_shard(void)
{
	return lane_current()->index % LANES_MAX;
}

int
record_claim(struct collect_ticket *ticket, struct aiocb *cb)
{
	unsigned shard_index = current_shard();
	struct record_shard *shard = &shards[shard_index];
	pthread_mutex_lock(&shard->lock);
	if (shard->free_head == NO_SLOT && !grow(shard)) {
		pthread_mutex_unlock(&shard->lock);
		return EAGAIN;
	}
	uint32_t index = shard->free_head;
	struct slot *s = slot_at(index);
	shard->free_head = s->next;
	uint32_t generation = (uint32_t)(__atomic_load_n(&s->state, __ATOMIC_RELAXED) >> 32);
	__atomic_store_n(&s->state, state_of(generation, SLOT_IN_FLIGHT), __ATOMIC_RELEASE);
	s->aiocb = cb;
	s->next = NO_SLOT;
	shard->pending++;
	shard_note_activity(shard);
	pthread_mutex_unlock(&shard->lock);
	*ticket = (struct collect_ticket){ COLLECT_PROCESS, index, generation, shard_index };
	abi_set_collect_ticket(cb, ticket_pack(index, generation));
	return 0;
}

/* The slot of a ticket, if the ticket is still its own. */
static struct slot *
ticket_slot(const struct collect_ticket *ticket, uint64_t *state)
{
	struct slot *s = slot_at(ticket->slot);
	if (!s)
		return NULL;
	*state = __atomic_load_n(&s->state, __ATOMIC_ACQUIRE);
	return (uint32_t)(*state >> 32) == ticket->generation ? s : NULL;
}

/* After a change to the record, made under a shard's lock: wake the
 * waiters, if any.  They registered (waitpoint_enter) before they looked,
 * so either they see the change or this sees them (Dekker's pattern on
 * the shard's state and record_point.sleepers, with the fence). */
static void
record_changed(void)
{
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (__atomic_load_n(&record_point.sleepers, __ATOMIC_SEQ_CST) > 0)
		waitpoint_wake(&record_point);
}

/* A claimed request leaves its in-flight slot: finished (into the FIFO,
 * unless aio_return was first) or given back. */
void
record_leave(const struct collect_ticket *ticket, bool finished, ssize_t result, int error)
{
	uint64_t state;
	struct record_shard *shard = &shards[ticket->shard];
	pthread_mutex_lock(&shard->lock);
	struct slot *s = ticket_slot(ticket, &state);
	if (s && (state & 0xffffffffu) != SLOT_FREE) {
		shard->pending--;
		s->result = result;
		s->error = error;
		uint64_t in_flight = state_of(ticket->generation, SLOT_IN_FLIGHT);
		if (finished &&
		    __atomic_compare_exchange_n(&s->state, &in_flight,
						state_of(ticket->generation, SLOT_FINISHED), false,
						__ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
			if (shard->fifo_tail == NO_SLOT)
				shard->fifo_head = ticket->slot;
			else
				slot_at(shard->fifo_tail)->next = ticket->slot;
			shard->fifo_tail = ticket->slot;
			s->next = NO_SLOT;
			shard->fifo_length++;
			fifo_trim(shard);
		} else {
			/* given back, or aio_return was first */
			slot_free(shard, ticket->slot, s, ticket->generation);
		}
		shard_note_activity(shard);
	}
	pthread_mutex_unlock(&shard->lock);
	record_changed();
	if (finished)
		transit_done(ticket->shard);	/* published before (publish.h) */
}

void
record_note_return(const struct aiocb *cb)
{
	uint64_t ticket = abi_collect_ticket(cb);
	if (!ticket)
		return;
	struct slot *s = slot_at((uint32_t)(ticket >> 32) - 1);
	if (!s)
		return;
	uint32_t generation = (uint32_t)ticket;
	uint64_t collected = state_of(generation, SLOT_COLLECTED);
	uint64_t expected = state_of(generation, SLOT_FINISHED);
	if (!__atomic_compare_exchange_n(&s->state, &expected, collected, false,
					 __ATOMIC_ACQ_REL, __ATOMIC_RELAXED)) {
		expected = state_of(generation, SLOT_IN_FLIGHT);
		__atomic_compare_exchange_n(&s->state, &expected, collected, false,
					    __ATOMIC_ACQ_REL, __ATOMIC_RELAXED);
	}
}

/* *idle: none in flight, none left finished.  The shards are visited in
 * turn from a rotating start, so that no lane's requests starve another's;
 * within a shard, oldest finished first.  A shard with no activity is
 * skipped without its lock. */
unsigned
record_take(struct aiocb **list, unsigned max, ssize_t *result, int *error, bool *idle)
{
	unsigned count = 0;
	ssize_t ignored_result;
	int ignored_error;
	bool busy = false;
	unsigned first = __atomic_fetch_add(&next_shard, 1, __ATOMIC_RELAXED);
	for (unsigned i = 0; i < LANES_MAX; i++) {
		struct record_shard *shard = &shards[(first + i) % LANES_MAX];
		if (__atomic_load_n(&shard->activity, __ATOMIC_SEQ_CST) == 0)
			continue;
		if (count == max) {
			busy = true;
			break;
		}
		pthread_mutex_lock(&shard->lock);
		unsigned before = count;
		while (count < max &&
		       fifo_take(shard, &list[count], count == 0 && result ? result : &ignored_result,
				 count == 0 && error ? error : &ignored_error))
			count++;
		/* Handing over the result serves as aio_return (aio_waitcomplete):
		 * the lane's count of unreturned requests, which its staging
		 * decisions read, goes down as aio_return's would.  The shard is
		 * the submitting lane; the aiocb is not touched. */
		for (unsigned taken = before; result && taken < count; taken++)
			lane_note_returned((int)((first + i) % LANES_MAX));
		busy |= shard->pending > 0 || shard->fifo_head != NO_SLOT;
		shard_note_activity(shard);
		pthread_mutex_unlock(&shard->lock);
	}
	*idle = !busy;
	return count;
}

void
record_note_waited(void)
{
	__atomic_store_n(&waited, true, __ATOMIC_RELAXED);
}

/* --- fork -------------------------------------------------------------------- */

static void
fork_prepare(void)
{
	for (unsigned i = 0; i < LANES_MAX; i++)
		pthread_mutex_lock(&shards[i].lock);
	pthread_mutex_lock(&grow_lock);
}

static void
fork_parent(void)
{
	pthread_mutex_unlock(&grow_lock);
	for (unsigned i = LANES_MAX; i-- > 0;)
		pthread_mutex_unlock(&shards[i].lock);
}

/* The forking thread holds every lock of the record (fork_prepare): it is
 * whole, and the child's only thread lets go of the locks when done.  Every
 * slot goes to shard 0's free list with a new generation. */
static void
fork_child(void)
{
	for (unsigned i = 0; i < LANES_MAX; i++) {
		struct record_shard *shard = &shards[i];
		shard->free_head = shard->fifo_head = shard->fifo_tail = NO_SLOT;
		shard->fifo_length = shard->pending = shard->activity = 0;
		shard->compact_at = COMPACT_MIN;
	}
	for (uint32_t c = chunk_count; c-- > 0;) {
		for (uint32_t i = CHUNK_SLOTS; i-- > 0;) {
			uint32_t index = c << CHUNK_SHIFT | i;
			slot_retire(&shards[0], index, &chunks[c][i]);
		}
	}
	record_point = (struct waitpoint){ 0, 0, 0 };
	pthread_mutex_unlock(&grow_lock);
	for (unsigned i = LANES_MAX; i-- > 0;)
		pthread_mutex_unlock(&shards[i].lock);
}

__attribute__((constructor)) static void
record_register_fork_handlers(void)
{
	pthread_atfork(fork_prepare, fork_parent, fork_child);
}
