/* solaris.c: Solaris's older interface, <aio-posix/asynch.h>: aioread,
 * aiowrite, aiowait and aiocancel, as aioread(3C), aiowait(3C) and
 * aiocancel(3C) describe them.
 *
 * Each request is an aiocb of the library's own, in a struct
 * solaris_request, submitted like aio_read's with the request flag
 * REQUEST_SOLARIS: it belongs to the Solaris domain (solaris-record.c), so
 * aiowait returns it and aio_waitn and aio_waitcomplete never do.  The
 * program knows it by its aio_result_t only.
 *
 * SIGIO: when the program has a handler for it at submission, each
 * completion queues SIGIO to the process (a SIGEV_SIGNAL notification).
 * Such a handler may call aiowait, as on Solaris.  So aiowait never
 * settles io_uring completions itself (that takes the core's locks): it
 * publishes what the rings hold, and while it waits the reaper settles
 * this domain's requests at once (waitpoint_anyone_registered).
 *
 * Offsets are 64 bits wide inside (aioread64, aiowrite64: compat.c), and
 * each request's aiocb has struct aiocb64's layout.
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
#include "core.h"
#include "fault.h"
#include "solaris-record.h"

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
	solaris_free_released();
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

	aio_result_t before = *result;
	if (solaris_record_add(req) != 0) {
		free(req);
		errno = EINVAL;		/* the result buffer is in use */
		return -1;
	}

	/* In progress before the request can finish, even at submission. */
	solaris_set_result(result, AIO_INPROGRESS, 0);
	if (submit_aiocb((struct aiocb *)&req->cb, op, ABI_ENTRY_AIOCB64, REQUEST_SOLARIS) == 0)
		return 0;
	int error = errno;
	solaris_record_remove(req, &before);
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
		bool none;
		result = solaris_record_take(&none);
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
		core_settle_all(false);
		rc = waitpoint_sleep(&solaris_point, seen, &deadline);
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
	solaris_free_released();
	/* EINVAL: nothing to cancel at all; EACCES: not an outstanding
	 * request. */
	int error;
	struct solaris_request *req = solaris_record_hold(resultp, &error);
	if (!req) {
		errno = error;
		return -1;
	}
	int rc = aio_cancel(req->cb.aio_fildes, (struct aiocb *)&req->cb);
	bool cancelled = solaris_record_let_go(req);
	if (rc == AIO_CANCELED && cancelled)
		return 0;
	errno = EACCES;		/* already running or done: not cancellable */
	return -1;
}

