/* solaris-record.c: the Solaris domain: the requests of aioread and
 * aiowrite that are outstanding, in flight or finished, until aiowait
 * returns them or aiocancel cancels them (solaris-record.h).
 *
 * When a request finishes, the result goes to its aio_result_t (aio_errno
 * first, then aio_return with release, so that a program polling
 * aio_return until it is no longer AIO_INPROGRESS reads a final
 * aio_errno), and the request joins the FIFO aiowait takes from.  A
 * request cancelled by aiocancel (or aio_cancel) gets -1 and ECANCELED and
 * is not queued for aiowait (and sends no SIGIO: collect.c).
 *
 * Locking: solaris_lock guards the table of requests in flight (by result
 * buffer), the FIFO of finished ones, the count of outstanding requests
 * (in flight or finished, not yet returned by aiowait) and the list to
 * free.  It is only ever held with every signal blocked: a SIGIO handler
 * may call aiowait, and can then never interrupt the lock's holder in the
 * same thread.  A request lives until it is returned by aiowait or
 * cancelled, and no aiocancel holds it (release_if_done); it is freed at
 * the next aioread, aiowrite or aiocancel, never in aiowait, which may run
 * in a signal handler.
 *
 * Fork: the child has nothing outstanding.  Its requests in flight read -1
 * and ECANCELED in their result buffers; their structures are freed at the
 * child's next aioread, aiowrite or aiocancel, once the core has let go
 * of their aiocbs.
 */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>

#include "solaris-record.h"

#define BUCKETS 1024

static pthread_mutex_t solaris_lock = PTHREAD_MUTEX_INITIALIZER;
static struct solaris_request *in_flight[BUCKETS];
static struct solaris_request *done_head, *done_tail;
static struct solaris_request *to_free;	/* see release_if_done */
static unsigned outstanding;
struct waitpoint solaris_point;

static unsigned
bucket_of(const aio_result_t *result)
{
	return (unsigned)(((uintptr_t)result >> 3) % BUCKETS);
}

/* Lock with every signal blocked; the old mask goes to *saved. */
static void
lock(sigset_t *saved)
{
	sigset_t all;
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, saved);
	pthread_mutex_lock(&solaris_lock);
}

static void
unlock(const sigset_t *saved)
{
	pthread_mutex_unlock(&solaris_lock);
	pthread_sigmask(SIG_SETMASK, saved, NULL);
}

/* The requests release_if_done set aside (see the top). */
void
solaris_free_released(void)
{
	sigset_t saved;
	lock(&saved);
	struct solaris_request *list = to_free;
	to_free = NULL;
	unlock(&saved);
	while (list) {
		struct solaris_request *next = list->next;
		free(list);
		list = next;
	}
}

/* Under solaris_lock. */
static struct solaris_request **
find(aio_result_t *result)
{
	struct solaris_request **link = &in_flight[bucket_of(result)];
	while (*link && (*link)->result != result)
		link = &(*link)->next;
	return link;
}

/* Under solaris_lock: set aside for free_released a request nobody will
 * look at again. */
static void
release_if_done(struct solaris_request *req)
{
	if (req->users == 0 && (req->returned || req->cancelled)) {
		req->next = to_free;
		to_free = req;
	}
}

void
solaris_set_result(aio_result_t *result, ssize_t value, int error)
{
	__atomic_store_n(&result->aio_errno, error, __ATOMIC_RELAXED);
	__atomic_store_n(&result->aio_return, value, __ATOMIC_RELEASE);
}

int
solaris_record_add(struct solaris_request *req)
{
	sigset_t saved;
	lock(&saved);
	struct solaris_request **link = find(req->result);
	bool taken = *link != NULL;
	if (!taken) {
		*link = req;
		outstanding++;
	}
	unlock(&saved);
	return taken ? EINVAL : 0;
}

void
solaris_record_remove(struct solaris_request *req, const aio_result_t *before)
{
	sigset_t saved;
	lock(&saved);
	*find(req->result) = req->next;
	outstanding--;
	*req->result = *before;
	unlock(&saved);
}

aio_result_t *
solaris_record_take(bool *none)
{
	aio_result_t *result = NULL;
	sigset_t saved;
	lock(&saved);
	struct solaris_request *req = done_head;
	if (req) {
		done_head = req->next;
		if (!done_head)
			done_tail = NULL;
		outstanding--;
		result = req->result;
		req->returned = true;
		release_if_done(req);
	}
	*none = outstanding == 0;
	unlock(&saved);
	return result;
}

struct solaris_request *
solaris_record_hold(aio_result_t *resultp, int *error)
{
	sigset_t saved;
	lock(&saved);
	struct solaris_request *req = NULL;
	if (outstanding == 0) {
		*error = EINVAL;
	} else {
		req = resultp ? *find(resultp) : NULL;
		if (req)
			req->users++;
		*error = req ? 0 : EACCES;
	}
	unlock(&saved);
	return req;
}

bool
solaris_record_let_go(struct solaris_request *req)
{
	sigset_t saved;
	lock(&saved);
	bool cancelled = req->cancelled;
	req->users--;
	release_if_done(req);
	unlock(&saved);
	return cancelled;
}

void
solaris_request_finished(struct aiocb *cb, ssize_t value, int error)
{
	struct solaris_request *req = (struct solaris_request *)cb;
	sigset_t saved;
	lock(&saved);
	struct solaris_request **link = find(req->result);
	while (*link && *link != req)
		link = &(*link)->next;
	if (*link)
		*link = req->next;
	solaris_set_result(req->result, value, error);
	req->next = NULL;
	if (error == ECANCELED) {
		req->cancelled = true;
		outstanding--;
		release_if_done(req);
	} else {
		if (done_tail)
			done_tail->next = req;
		else
			done_head = req;
		done_tail = req;
	}
	unlock(&saved);
	waitpoint_wake(&solaris_point);
}

/* --- fork ---------------------------------------------------------------- */

static __thread sigset_t mask_before_fork;

static void
fork_prepare(void)
{
	sigset_t all;
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &mask_before_fork);
	pthread_mutex_lock(&solaris_lock);
}

static void
fork_parent(void)
{
	pthread_mutex_unlock(&solaris_lock);
	pthread_sigmask(SIG_SETMASK, &mask_before_fork, NULL);
}

/* The forking thread holds solaris_lock (fork_prepare). */
static void
fork_child(void)
{
	for (unsigned b = 0; b < BUCKETS; b++) {
		while (in_flight[b]) {
			struct solaris_request *req = in_flight[b];
			in_flight[b] = req->next;
			solaris_set_result(req->result, -1, ECANCELED);
			req->next = to_free;
			to_free = req;
		}
	}
	if (done_tail) {
		done_tail->next = to_free;
		to_free = done_head;
	}
	done_head = done_tail = NULL;
	outstanding = 0;
	solaris_point = (struct waitpoint){ 0, 0, 0 };
	pthread_mutex_unlock(&solaris_lock);
	pthread_sigmask(SIG_SETMASK, &mask_before_fork, NULL);
}

__attribute__((constructor)) static void
solaris_register_fork_handlers(void)
{
	pthread_atfork(fork_prepare, fork_parent, fork_child);
}
