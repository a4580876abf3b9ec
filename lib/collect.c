/* collect.c: the process-wide record of finished requests that nobody has
 * collected, and the waits on it: FreeBSD's aio_waitcomplete and Solaris's
 * aio_waitn.  Also the dispatch of each finished request to its collection
 * domain (collect.h), and the waiting primitives every domain shares.
 *
 * The record.  Every request of the process domain takes a slot at
 * submission (collect_claim).  When it finishes, the slot joins the FIFO of
 * finished requests, in the order they finished; a waiter takes the oldest.
 * aio_return marks a slot collected without a lock (it must stay
 * async-signal-safe), through the ticket the aiocb carries (abi.h): the
 * slot's index and generation.  A collected slot is skipped and freed by
 * the next waiter, or by the next finish, which prunes the FIFO.  So:
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
 * Locking.  record_lock guards the slots' links, results and aiocbs, the
 * free list, the FIFO and the counts.  A slot's state word (generation and
 * status) is atomic: aio_return changes it with a compare-and-swap and no
 * lock, everyone else under record_lock.  Chunks of slots are allocated
 * under the lock, published with release, and never freed, so aio_return
 * can follow any ticket (acquire) without a lock.  record_lock is never
 * held while taking another lock of the library, and no lock of the core is
 * held when the core calls in here.
 *
 * Size.  A program that never calls aio_return (glibc does not require it)
 * would fill the record for nothing; until the process first waits here,
 * the FIFO keeps the newest UNWAITED_KEEP requests, and afterwards up to
 * AIO_POSIX_MAX_REQUESTS; past that the oldest is forgotten by the waiters
 * (aio_error and aio_return still report it).
 *
 * Waiting.  A waitpoint is a futex word that moves at every change and a
 * count of sleepers: a waiter reads the word, looks under the lock, and
 * sleeps only while the word is unchanged; a changer makes its change, then
 * moves the word, then wakes if anyone may sleep (the sequentially
 * consistent pair of suspend.c).  A waiter that may take locks first
 * finishes what the io_uring ring has completed, so that it does not wait
 * for the reaper thread to do it.
 *
 * Fork.  The child has nothing to collect: every slot is freed with a new
 * generation, so the tickets its aiocbs inherited point at nothing.  The
 * handlers are registered by a constructor, before the engine's, so that the
 * child's record is sound again when the engine's child handler gives back
 * the inherited requests.
 */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <time.h>

#include "aio-posix.h"
#include "engine.h"
#include "fault.h"
#include "futex.h"

/* --- waiting ------------------------------------------------------------- */

/* Far enough to mean "no deadline", near enough not to overflow. */
#define FOREVER_SECONDS (60L * 60 * 24 * 365 * 100)

bool
deadline_from_timeout(const struct timespec *timeout, struct deadline *deadline)
{
	if (timeout && (timeout->tv_sec < 0 || timeout->tv_nsec < 0 ||
			timeout->tv_nsec >= 1000000000L))
		return false;
	deadline->forever = !timeout;
	deadline->poll = timeout && timeout->tv_sec == 0 && timeout->tv_nsec == 0;
	clock_gettime(CLOCK_MONOTONIC, &deadline->at);
	time_t seconds = !timeout || timeout->tv_sec > FOREVER_SECONDS ? FOREVER_SECONDS
								       : timeout->tv_sec;
	deadline->at.tv_sec += seconds;
	deadline->at.tv_nsec += timeout ? timeout->tv_nsec : 0;
	if (deadline->at.tv_nsec >= 1000000000L) {
		deadline->at.tv_sec++;
		deadline->at.tv_nsec -= 1000000000L;
	}
	return true;
}

bool
deadline_passed(struct deadline *deadline)
{
	if (!deadline->forever)
		return true;
	deadline->at.tv_sec += FOREVER_SECONDS;		/* a century passed */
	return false;
}

int
waitpoint_seen(struct waitpoint *point)
{
	return __atomic_load_n(&point->changes, __ATOMIC_SEQ_CST);
}

void
waitpoint_wake(struct waitpoint *point)
{
	__atomic_fetch_add(&point->changes, 1, __ATOMIC_SEQ_CST);
	if (__atomic_load_n(&point->sleepers, __ATOMIC_SEQ_CST) > 0)
		futex_wake_all(&point->changes);
}

static void
leave_sleepers(void *point)
{
	__atomic_fetch_sub(&((struct waitpoint *)point)->sleepers, 1, __ATOMIC_SEQ_CST);
}

int
waitpoint_sleep(struct waitpoint *point, int seen, struct deadline *deadline, bool may_settle)
{
	if (may_settle) {
		uring_reap_and_settle();
		if (waitpoint_seen(point) != seen)
			return 0;
	}
	int rc, old_type;
	__atomic_fetch_add(&point->sleepers, 1, __ATOMIC_SEQ_CST);
	/* A cancellation point, as aio_suspend: only while asleep. */
	pthread_cleanup_push(leave_sleepers, point);
	pthread_setcanceltype(PTHREAD_CANCEL_ASYNCHRONOUS, &old_type);
	rc = futex_wait_until(&point->changes, seen, &deadline->at);
	pthread_setcanceltype(old_type, NULL);
	pthread_cleanup_pop(1);
	if (rc == ETIMEDOUT && !deadline_passed(deadline))
		return 0;
	return rc == EINTR || rc == ETIMEDOUT ? rc : 0;
}

/* --- the record ---------------------------------------------------------- */

enum slot_status { SLOT_FREE, SLOT_IN_FLIGHT, SLOT_FINISHED, SLOT_COLLECTED };

struct slot {
	uint64_t state;			/* atomic: generation << 32 | status */
	struct aiocb *aiocb;		/* the rest under record_lock */
	ssize_t result;
	int error;
	uint32_t next;			/* in the FIFO or the free list */
};

#define CHUNK_SHIFT 12
#define CHUNK_SLOTS (1u << CHUNK_SHIFT)
#define MAX_CHUNKS 4096			/* 16M slots: AIO_POSIX_MAX_REQUESTS' ceiling */
#define NO_SLOT UINT32_MAX
#define UNWAITED_KEEP 65536
#define COMPACT_MIN 1024

static pthread_mutex_t record_lock = PTHREAD_MUTEX_INITIALIZER;
static struct slot *chunks[MAX_CHUNKS];	/* atomic pointers, never freed */
static uint32_t chunk_count;
static uint32_t free_head = NO_SLOT;
static uint32_t fifo_head = NO_SLOT, fifo_tail = NO_SLOT;
static unsigned fifo_length;		/* entries, collected ones included */
static unsigned compact_at = COMPACT_MIN;
static unsigned pending;		/* claimed, not finished yet */
static bool waited;			/* atomic: the process has waited here */
static struct waitpoint record_point;

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

static bool
grow(void)
{
	if (chunk_count == MAX_CHUNKS)
		return false;
	struct slot *chunk = FAULT(FAULT_ALLOC) ? NULL : calloc(CHUNK_SLOTS, sizeof *chunk);
	if (!chunk)
		return false;
	uint32_t base = chunk_count << CHUNK_SHIFT;
	for (uint32_t i = 0; i < CHUNK_SLOTS; i++) {
		chunk[i].state = state_of(1, SLOT_FREE);
		chunk[i].next = i + 1 < CHUNK_SLOTS ? base + i + 1 : free_head;
	}
	free_head = base;
	__atomic_store_n(&chunks[chunk_count], chunk, __ATOMIC_RELEASE);
	chunk_count++;
	return true;
}

/* Under record_lock: a slot leaves for the free list, with a new
 * generation.  Its status must be one aio_return cannot change (FREE is
 * reached from IN_FLIGHT or FINISHED only by the caller's own CAS). */
static void
slot_free(uint32_t index, struct slot *s, uint32_t generation)
{
	__atomic_store_n(&s->state, state_of(generation + 1, SLOT_FREE), __ATOMIC_RELEASE);
	s->aiocb = NULL;
	s->next = free_head;
	free_head = index;
}

/* Under record_lock: move a slot from one status to FREE, racing only with
 * aio_return's IN_FLIGHT/FINISHED -> COLLECTED. */
static void
slot_retire(uint32_t index, struct slot *s)
{
	uint64_t state = __atomic_load_n(&s->state, __ATOMIC_ACQUIRE);
	slot_free(index, s, (uint32_t)(state >> 32));
}

/* Under record_lock: take the oldest finished, uncollected request off the
 * FIFO; false if there is none.  Collected entries met on the way are
 * freed. */
static bool
fifo_take(struct aiocb **aiocb, ssize_t *result, int *error)
{
	while (fifo_head != NO_SLOT) {
		uint32_t index = fifo_head;
		struct slot *s = slot_at(index);
		fifo_head = s->next;
		if (fifo_head == NO_SLOT)
			fifo_tail = NO_SLOT;
		fifo_length--;
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
			s->next = free_head;
			free_head = index;
			return true;
		}
		slot_retire(index, s);	/* collected by aio_return */
	}
	return false;
}

/* Under record_lock: drop the collected entries from the FIFO. */
static void
fifo_compact(void)
{
	uint32_t *link = &fifo_head, last = NO_SLOT;
	while (*link != NO_SLOT) {
		uint32_t index = *link;
		struct slot *s = slot_at(index);
		uint64_t state = __atomic_load_n(&s->state, __ATOMIC_ACQUIRE);
		if ((state & 0xffffffffu) == SLOT_COLLECTED) {
			*link = s->next;
			fifo_length--;
			slot_retire(index, s);
		} else {
			last = index;
			link = &s->next;
		}
	}
	fifo_tail = last;
}

/* Under record_lock: keep the FIFO within its bounds (see the top). */
static void
fifo_trim(void)
{
	if (fifo_length >= compact_at) {
		fifo_compact();
		compact_at = fifo_length * 2 > COMPACT_MIN ? fifo_length * 2 : COMPACT_MIN;
	}
	unsigned keep = UNWAITED_KEEP;
	if (__atomic_load_n(&waited, __ATOMIC_RELAXED) && (unsigned)config.max_requests > keep)
		keep = (unsigned)config.max_requests;
	struct aiocb *forgotten;
	ssize_t result;
	int error;
	while (fifo_length > keep && fifo_take(&forgotten, &result, &error))
		;
}

static int
record_claim(struct notification *n, struct aiocb *cb)
{
	pthread_mutex_lock(&record_lock);
	if (free_head == NO_SLOT && !grow()) {
		pthread_mutex_unlock(&record_lock);
		return EAGAIN;
	}
	uint32_t index = free_head;
	struct slot *s = slot_at(index);
	free_head = s->next;
	uint32_t generation = (uint32_t)(__atomic_load_n(&s->state, __ATOMIC_RELAXED) >> 32);
	__atomic_store_n(&s->state, state_of(generation, SLOT_IN_FLIGHT), __ATOMIC_RELEASE);
	s->aiocb = cb;
	s->next = NO_SLOT;
	pending++;
	pthread_mutex_unlock(&record_lock);
	n->ticket = (struct collect_ticket){ COLLECT_PROCESS, index, generation };
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

static void
record_finished(const struct collect_ticket *ticket, ssize_t result, int error)
{
	uint64_t state;
	pthread_mutex_lock(&record_lock);
	struct slot *s = ticket_slot(ticket, &state);
	if (s && (state & 0xffffffffu) != SLOT_FREE) {
		pending--;
		s->result = result;
		s->error = error;
		uint64_t in_flight = state_of(ticket->generation, SLOT_IN_FLIGHT);
		if (__atomic_compare_exchange_n(&s->state, &in_flight,
						state_of(ticket->generation, SLOT_FINISHED), false,
						__ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
			if (fifo_tail == NO_SLOT)
				fifo_head = ticket->slot;
			else
				slot_at(fifo_tail)->next = ticket->slot;
			fifo_tail = ticket->slot;
			s->next = NO_SLOT;
			fifo_length++;
			fifo_trim();
		} else {
			slot_free(ticket->slot, s, ticket->generation);	/* aio_return was first */
		}
	}
	pthread_mutex_unlock(&record_lock);
	waitpoint_wake(&record_point);
}

static void
record_release(const struct collect_ticket *ticket)
{
	uint64_t state;
	pthread_mutex_lock(&record_lock);
	struct slot *s = ticket_slot(ticket, &state);
	if (s && (state & 0xffffffffu) != SLOT_FREE) {
		pending--;
		slot_free(ticket->slot, s, ticket->generation);
	}
	pthread_mutex_unlock(&record_lock);
	waitpoint_wake(&record_point);
}

void
collect_note_return(const struct aiocb *cb)
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

/* --- the core's calls ------------------------------------------------------ */

int
collect_claim(struct notification *n, struct aiocb *cb, unsigned flags)
{
	/* Resubmitted: whatever its previous result was, the program is done
	 * with it. */
	collect_note_return(cb);
	abi_set_collect_ticket(cb, 0);
	n->ticket = (struct collect_ticket){ .domain = COLLECT_NONE };
	if (n->queue) {
		n->ticket.domain = COLLECT_QUEUE;
		completion_queue_track(n->queue, cb, &n->ticket.slot);
	}
	else if (flags & REQUEST_SOLARIS)
		n->ticket.domain = COLLECT_SOLARIS;
	else if (!(cb->aio_sigevent.sigev_notify & SIGEV_AIO_PRIVATE))
		return record_claim(n, cb);
	return 0;
}

void
collect_release(struct notification *n)
{
	if (n->ticket.domain == COLLECT_PROCESS)
		record_release(&n->ticket);
	n->ticket.domain = COLLECT_NONE;
}

void
collect_request_finished(struct notification *n, struct aiocb *cb, ssize_t result, int error)
{
	switch (n->ticket.domain) {
	case COLLECT_PROCESS:
		record_finished(&n->ticket, result, error);
		break;
	case COLLECT_QUEUE:
		completion_queue_post(n->queue, n->ticket.slot, cb, result, error, n->value);
		break;
	case COLLECT_SOLARIS:
		/* aiocancel'ed: Solaris sends no SIGIO. */
		if (error == ECANCELED)
			notification_discard(n);
		solaris_request_finished(cb, result, error);
		break;
	case COLLECT_NONE:
		break;
	}
}

/* --- aio_waitcomplete and aio_waitn ---------------------------------------- */

/* Take up to max requests into list (the first one's result into *result
 * and *error, if given); *idle says that nothing more can come: none in
 * flight, none left finished. */
static unsigned
record_take(struct aiocb **list, unsigned max, ssize_t *result, int *error, bool *idle)
{
	unsigned count = 0;
	ssize_t ignored_result;
	int ignored_error;
	pthread_mutex_lock(&record_lock);
	while (count < max && fifo_take(&list[count], result ? result : &ignored_result,
					error ? error : &ignored_error))
		count++;
	*idle = pending == 0 && fifo_head == NO_SLOT;
	pthread_mutex_unlock(&record_lock);
	return count;
}

/* The deadline of a wait on the record; false (EINVAL) for a bad timeout.
 * From the first wait on, the record keeps more (see the top). */
static bool
begin_wait(const struct timespec *timeout, struct deadline *deadline)
{
	if (!deadline_from_timeout(timeout, deadline)) {
		errno = EINVAL;
		return false;
	}
	__atomic_store_n(&waited, true, __ATOMIC_RELAXED);
	return true;
}

AIO_EXPORT ssize_t
aio_waitcomplete(struct aiocb **iocbp, struct timespec *timeout)
{
	ABI_FORGET_NONNULL(iocbp);
	if (!iocbp) {
		errno = EFAULT;
		return -1;
	}
	*iocbp = NULL;
	struct deadline deadline;
	if (!begin_wait(timeout, &deadline))
		return -1;
	struct aiocb *cb;
	ssize_t result;
	int error, rc = 0;
	for (;;) {
		int seen = waitpoint_seen(&record_point);
		bool idle;
		if (record_take(&cb, 1, &result, &error, &idle) == 1) {
			*iocbp = cb;
			if (error) {
				errno = error;
				return -1;
			}
			return result;
		}
		/* Nothing can come (see aio_waitcomplete(3aio)), or the last
		 * look after a time-out or a signal. */
		if (idle || deadline.poll || rc == ETIMEDOUT || rc == EINTR) {
			errno = rc == EINTR ? EINTR : EAGAIN;
			return -1;
		}
		rc = waitpoint_sleep(&record_point, seen, &deadline, true);
	}
}

/* aio_waitn's turn: one call at a time, as on Solaris, so that one that
 * waits for many is not starved by others taking them one by one. */
static int waitn_turn;			/* atomic: 1 while a call has it */
static struct waitpoint turn_point;

static void
release_turn(void *unused)
{
	__atomic_store_n(&waitn_turn, 0, __ATOMIC_RELEASE);
	waitpoint_wake(&turn_point);
}

/* 0, or EINTR; *busy: poll found the turn taken. */
static int
take_turn(bool poll, bool *busy)
{
	struct deadline forever;
	deadline_from_timeout(NULL, &forever);
	*busy = false;
	for (;;) {
		int seen = waitpoint_seen(&turn_point);
		int free_turn = 0;
		if (__atomic_compare_exchange_n(&waitn_turn, &free_turn, 1, false, __ATOMIC_ACQUIRE,
						__ATOMIC_RELAXED))
			return 0;
		if (poll) {
			*busy = true;
			return 0;
		}
		if (waitpoint_sleep(&turn_point, seen, &forever, false) == EINTR)
			return EINTR;
	}
}

AIO_EXPORT int
aio_waitn(struct aiocb *list[], unsigned int nent, unsigned int *nwait,
	  const struct timespec *timeout)
{
	ABI_FORGET_NONNULL(list);
	if (!list || !nwait) {
		errno = EFAULT;
		return -1;
	}
	if (nent == 0 || nent > AIO_POSIX_LISTIO_MAX || *nwait == 0 || *nwait > nent) {
		errno = EINVAL;
		return -1;
	}
	struct deadline deadline;
	if (!begin_wait(timeout, &deadline)) {
		*nwait = 0;
		return -1;
	}
	bool busy;
	int error = take_turn(deadline.poll, &busy);
	if (error || busy) {
		*nwait = 0;
		if (!error)
			return 0;
		errno = error;
		return -1;
	}
	/* The time limit runs from when this call has the turn. */
	(void)deadline_from_timeout(timeout, &deadline);
	unsigned want = *nwait, count = 0;
	int rc = 0, result = 0;
	pthread_cleanup_push(release_turn, NULL);
	for (;;) {
		int seen = waitpoint_seen(&record_point);
		bool idle;
		count += record_take(list + count, nent - count, NULL, NULL, &idle);
		if (count >= want || deadline.poll)
			break;
		if (idle) {
			/* Nothing left in flight: what there is, or EAGAIN. */
			if (count == 0) {
				result = -1;
				error = EAGAIN;
			}
			break;
		}
		if (rc == ETIMEDOUT || rc == EINTR) {
			result = -1;
			error = rc == EINTR ? EINTR : ETIME;
			break;
		}
		rc = waitpoint_sleep(&record_point, seen, &deadline, true);
	}
	pthread_cleanup_pop(1);
	*nwait = count;
	if (result)
		errno = error;
	return result;
}

/* --- fork -------------------------------------------------------------------- */

static void
fork_prepare(void)
{
	pthread_mutex_lock(&record_lock);
}

static void
fork_parent(void)
{
	pthread_mutex_unlock(&record_lock);
}

/* The forking thread holds record_lock (fork_prepare): the record is
 * whole, and the child's only thread lets go of it when done. */
static void
fork_child(void)
{
	free_head = NO_SLOT;
	for (uint32_t c = chunk_count; c-- > 0;) {
		for (uint32_t i = CHUNK_SLOTS; i-- > 0;) {
			uint32_t index = c << CHUNK_SHIFT | i;
			slot_retire(index, &chunks[c][i]);
		}
	}
	fifo_head = fifo_tail = NO_SLOT;
	fifo_length = pending = 0;
	compact_at = COMPACT_MIN;
	waitn_turn = 0;
	record_point = (struct waitpoint){ 0, 0 };
	turn_point = (struct waitpoint){ 0, 0 };
	pthread_mutex_unlock(&record_lock);
}

__attribute__((constructor)) static void
collect_register_fork_handlers(void)
{
	pthread_atfork(fork_prepare, fork_parent, fork_child);
}
