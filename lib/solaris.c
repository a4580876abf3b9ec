/* solaris.c: Solaris's older interface, <aio-posix/asynch.h>: aioread,
 * aiowrite, aiowait and aiocancel, as aioread(3C), aiowait(3C) and
 * aiocancel(3C) describe them.
 *
 * Each request is an aiocb of the library's own, in a struct
 * solaris_request, submitted like aio_read's with the request flag
 * REQUEST_SOLARIS: it belongs to the Solaris domain (collect.h), so aiowait
 * returns it and aio_waitn and aio_waitcomplete never do.  The program
 * knows it by its aio_result_t only.  When it finishes, the result goes to
 * that aio_result_t (aio_errno first, then aio_return with release, so that
 * a program polling aio_return until it is no longer AIO_INPROGRESS reads a
 * final aio_errno), and the request joins the FIFO aiowait takes from.  A
 * request cancelled by aiocancel (or aio_cancel) gets -1 and ECANCELED and
 * is not queued for aiowait, and sends no SIGIO, as on Solaris.
 *
 * SIGIO: when the program has a handler for it at submission, each
 * completion queues SIGIO to the process (a SIGEV_SIGNAL notification).
 * Such a handler may call aiowait, as on Solaris.  So solaris_lock is only
 * ever held with every signal blocked: a handler can never interrupt its
 * holder in the same thread, and aiowait never settles io_uring completions
 * itself (that takes the core's locks): it publishes what the rings hold,
 * and while it waits the reaper settles this domain's requests at once
 * (collect_waiting).
 *
 * Locking: solaris_lock guards the table of requests in flight (by result
 * buffer), the FIFO of finished ones and the count of outstanding requests
 * (in flight or finished, not yet returned by aiowait).  A request lives
 * until it is returned by aiowait or cancelled, and no aiocancel holds it
 * (release_if_done); it is freed at the next aioread, aiowrite or
 * aiocancel, never in aiowait, which may run in a signal handler.
 *
 * Offsets are 64 bits wide inside (aioread64, aiowrite64: compat.c), and
 * each request's aiocb has struct aiocb64's layout.
 *
 * Fork: the child has nothing outstanding.  Its requests in flight read -1
 * and ECANCELED in their result buffers; their structures are freed at the
 * child's next aioread, aiowrite or aiocancel, once the core has let go
 * of their aiocbs.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "aio-posix/asynch.h"
#include "api.h"
#include "finish.h"
#include "fault.h"

struct solaris_request {
	struct aiocb64 cb;		/* first: the core knows only this; the
					 * 64-bit layout on every ABI */
	aio_result_t *result;
	struct solaris_request *next;	/* in a bucket, the FIFO or to_free */
	int users;			/* aiocancel calls holding it */
	bool cancelled;			/* finished with ECANCELED: not queued */
	bool returned;			/* by aiowait */
};

#define BUCKETS 1024

static pthread_mutex_t solaris_lock = PTHREAD_MUTEX_INITIALIZER;
static struct solaris_request *in_flight[BUCKETS];
static struct solaris_request *done_head, *done_tail;
static struct solaris_request *to_free;	/* see release_if_done */
static unsigned outstanding;
static struct waitpoint solaris_point;

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

/* Free the requests release_if_done set aside: at the next aioread,
 * aiowrite or aiocancel, never in aiowait, which may run in a signal
 * handler, where free() is not allowed. */
static void
free_released(void)
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

static void
set_result(aio_result_t *result, ssize_t value, int error)
{
	__atomic_store_n(&result->aio_errno, error, __ATOMIC_RELAXED);
	__atomic_store_n(&result->aio_return, value, __ATOMIC_RELEASE);
}

/* The absolute offset of a request, or -1 with errno set; 64 bits on
 * every ABI (aioread64). */
static int64_t
absolute_offset(int fd, int64_t offset, int whence, bool *seekable)
{
	struct stat64 st;
	if (fstat64(fd, &st) != 0)
		return -1;
	*seekable = S_ISREG(st.st_mode) || S_ISBLK(st.st_mode);
	int64_t base;
	switch (whence) {
	case SEEK_SET:
		base = 0;
		break;
	case SEEK_CUR:
		base = *seekable ? lseek64(fd, 0, SEEK_CUR) : 0;
		if (base < 0)
			return -1;
		break;
	case SEEK_END:
		base = *seekable ? st.st_size : 0;
		break;
	default:
		errno = EINVAL;
		return -1;
	}
	if (!*seekable)
		return 0;	/* ignored: the I/O starts at the current position */
	if (offset < 0 ? base + offset < 0 : base > INT64_MAX - offset) {
		errno = EINVAL;
		return -1;
	}
	return base + offset;
}

/* The one place with a SIGIO handler decides whether completions send it. */
static bool
sigio_wanted(void)
{
	struct sigaction action;
	if (sigaction(SIGIO, NULL, &action) != 0)
		return false;
	if (action.sa_flags & SA_SIGINFO)
		return true;
	return action.sa_handler != SIG_DFL && action.sa_handler != SIG_IGN;
}

int
solaris_submit(int fd, void *buffer, int length, int64_t offset, int whence,
	       aio_result_t *result, enum request_op op)
{
	free_released();
	if (!result) {
		errno = EFAULT;
		return -1;
	}
	if (length < 0) {
		errno = EINVAL;
		return -1;
	}
	int flags = fcntl(fd, F_GETFL);
	if (flags == -1 || (flags & O_ACCMODE) == (op == OP_READ ? O_WRONLY : O_RDONLY)) {
		errno = EBADF;
		return -1;
	}
	bool seekable;
	int64_t position = absolute_offset(fd, offset, whence, &seekable);
	if (position < 0)
		return -1;
	struct solaris_request *req = FAULT(FAULT_ALLOC) ? NULL : calloc(1, sizeof *req);
	if (!req) {
		errno = ENOMEM;
		return -1;
	}
	req->result = result;
	req->cb.aio_fildes = fd;
	req->cb.aio_buf = buffer;
	req->cb.aio_nbytes = (size_t)length;
	req->cb.aio_offset = position;
	req->cb.aio_sigevent.sigev_notify = SIGEV_NONE;
	if (sigio_wanted()) {
		req->cb.aio_sigevent.sigev_notify = SIGEV_SIGNAL;
		req->cb.aio_sigevent.sigev_signo = SIGIO;
	}

	sigset_t saved;
	lock(&saved);
	struct solaris_request **link = find(result);
	if (*link) {
		unlock(&saved);
		free(req);
		errno = EINVAL;		/* the result buffer is in use */
		return -1;
	}
	aio_result_t before = *result;
	*link = req;
	outstanding++;
	unlock(&saved);

	/* In progress before the request can finish, even at submission. */
	set_result(result, AIO_INPROGRESS, 0);
	if (submit_aiocb((struct aiocb *)&req->cb, op, ABI_ENTRY_AIOCB64, REQUEST_SOLARIS) == 0)
		return 0;
	int error = errno;
	lock(&saved);
	*find(result) = req->next;
	outstanding--;
	*result = before;
	unlock(&saved);
	free(req);
	errno = error;
	return -1;
}

AIO_EXPORT int
aioread(int fildes, char *bufp, int bufs, off_t offset, int whence, aio_result_t *resultp)
{
	return solaris_submit(fildes, bufp, bufs, offset, whence, resultp, OP_READ);
}

AIO_EXPORT int
aiowrite(int fildes, const char *bufp, int bufs, off_t offset, int whence,
	 aio_result_t *resultp)
{
	return solaris_submit(fildes, (char *)bufp, bufs, offset, whence, resultp, OP_WRITE);
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
	set_result(req->result, value, error);
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

static void
leave_wait(void *unused)
{
	waitpoint_leave(&solaris_point);
}

aio_result_t *
solaris_wait(const struct abi_timeout *timeout)
{
	struct deadline deadline;
	if (!deadline_from_timeout(timeout, &deadline)) {
		errno = EINVAL;
		return (aio_result_t *)-1;
	}
	int rc = 0;
	aio_result_t *result = NULL;
	waitpoint_enter(&solaris_point);
	pthread_cleanup_push(leave_wait, NULL);
	for (;;) {
		int seen = waitpoint_seen(&solaris_point);
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
		bool none = outstanding == 0;
		unlock(&saved);
		if (result)
			break;
		if (none) {
			errno = EINVAL;		/* no outstanding request */
			result = (aio_result_t *)-1;
			break;
		}
		if (rc == EINTR) {
			errno = EINTR;
			result = (aio_result_t *)-1;
			break;
		}
		if (deadline.poll || rc == ETIMEDOUT)
			break;
		/* Perhaps in a SIGIO handler: no settling here (see the top),
		 * only what is async-signal-safe. */
		rc = waitpoint_sleep(&solaris_point, seen, &deadline, false);
	}
	pthread_cleanup_pop(1);
	return result;
}

AIO_EXPORT aio_result_t *
aiowait(const struct timeval *timeout)
{
	struct abi_timeout wide;
	return solaris_wait(ABI_WIDEN_TIMEVAL(timeout, &wide));
}

AIO_EXPORT int
aiocancel(aio_result_t *resultp)
{
	free_released();
	sigset_t saved;
	lock(&saved);
	if (outstanding == 0) {
		unlock(&saved);
		errno = EINVAL;		/* nothing to cancel at all */
		return -1;
	}
	struct solaris_request *req = resultp ? *find(resultp) : NULL;
	if (req)
		req->users++;
	unlock(&saved);
	if (!req) {
		errno = EACCES;		/* not an outstanding request */
		return -1;
	}
	int rc = aio_cancel(req->cb.aio_fildes, (struct aiocb *)&req->cb);
	lock(&saved);
	bool cancelled = req->cancelled;
	req->users--;
	release_if_done(req);
	unlock(&saved);
	if (rc == AIO_CANCELED && cancelled)
		return 0;
	errno = EACCES;		/* already running or done: not cancellable */
	return -1;
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
			set_result(req->result, -1, ECANCELED);
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
