/* submit.c: aio_read, aio_write and aio_fsync: check the aiocb, build a
 * request, hand it to the engine.
 *
 * What is refused at once (-1 and errno), before anything is queued:
 *   EINVAL  NULL aiocb; the aiocb is still in flight; negative aio_offset;
 *           aio_nbytes above SSIZE_MAX; aio_reqprio outside
 *           0..AIO_PRIO_DELTA_MAX; a bad sigevent; aio_fsync's op is neither
 *           O_SYNC nor O_DSYNC.
 *   EBADF   aio_fsync on an fd that is not open for writing.
 *   EAGAIN  no memory, or no thread could be created to serve it.
 * A read or write on a bad or wrong-mode fd is accepted, and reports EBADF
 * through aio_error, as glibc does and portable tests expect.
 *
 * What POSIX says a function ignores is ignored, never refused:
 * aio_lio_opcode outside lio_listio; for aio_fsync everything but
 * aio_fildes and aio_sigevent (aio_reqprio included); aio_offset of a write
 * on an O_APPEND file description, and of any transfer on a file that
 * cannot seek (a pipe, a socket, a terminal), where it appends or reads in
 * order.  Likewise aio_offset at the file position (FOFFSET), and all but
 * aio_buf, aio_nbytes and aio_sigevent for aio_mlock.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "engine.h"

/* Is aio_offset meaningless for this transfer (see the top)?  Asked only
 * of a negative offset, so its system calls cost nothing otherwise. */
static bool
offset_ignored(const struct aiocb *cb, enum request_op op)
{
	struct stat st;
	if (fstat(cb->aio_fildes, &st) != 0)
		return false;
	if (!S_ISREG(st.st_mode) && !S_ISBLK(st.st_mode))
		return true;
	int flags = fcntl(cb->aio_fildes, F_GETFL);
	return op == OP_WRITE && flags != -1 && (flags & O_APPEND);
}

/* Validate an aiocb and fill req from it; false with errno set. */
static bool
request_prepare(struct request *req, struct aiocb *cb, enum request_op op,
		unsigned request_flags, int *flags_cache)
{
	ABI_FORGET_NONNULL(cb);
	if (!cb) {
		errno = EINVAL;
		return false;
	}
	if (abi_was_submitted(cb) && abi_error_code(cb) == EINPROGRESS) {
		errno = EINVAL;		/* still in flight */
		return false;
	}
	bool transfer = op == OP_READ || op == OP_WRITE;
	bool at_position = transfer && (request_flags & REQUEST_AT_FILE_POSITION);
	/* aio_fsync and aio_mlock ignore aio_reqprio (POSIX; FreeBSD). */
	if (transfer && (cb->aio_reqprio < 0 || cb->aio_reqprio > AIO_PRIO_DELTA_MAX)) {
		errno = EINVAL;
		return false;
	}
	bool offset_used = transfer && !at_position &&
		!(cb->aio_offset < 0 && offset_ignored(cb, op));
	if ((offset_used && cb->aio_offset < 0) ||
	    ((transfer || op == OP_MLOCK) && !(request_flags & REQUEST_VECTORED) &&
	     cb->aio_nbytes > SSIZE_MAX)) {
		errno = EINVAL;
		return false;
	}

	request_init(req);
	int error = notification_prepare(&req->notification, &cb->aio_sigevent);
	if (error) {
		errno = error;
		return false;
	}
	req->aiocb = cb;
	req->op = op;
	req->fd = op == OP_MLOCK ? -1 : cb->aio_fildes;	/* mlock uses no file */
	req->priority = transfer ? cb->aio_reqprio : 0;
	req->buffer = (void *)cb->aio_buf;
	req->length = cb->aio_nbytes;
	req->offset = offset_used ? cb->aio_offset : 0;
	req->at_file_position = at_position;
	if (request_flags & REQUEST_VECTORED) {
		error = vector_prepare(req, cb);
		if (error) {
			notification_discard(&req->notification);
			errno = error;
			return false;
		}
	}
	if (op == OP_READ && !flags_cache) {
		/* O_DIRECT only decides where a read runs, never its result:
		 * a hint will do (inline.c), without a system call each time. */
		req->direct = direct_hint(req->fd);
	} else if (op == OP_READ || op == OP_WRITE) {
		/* flags_cache holds the last fd asked and its flags (-2: none). */
		int flags;
		if (flags_cache && flags_cache[0] == req->fd) {
			flags = flags_cache[1];
		} else {
			flags = fcntl(req->fd, F_GETFL);
			if (flags_cache) {
				flags_cache[0] = req->fd;
				flags_cache[1] = flags;
			}
		}
		req->append = op == OP_WRITE && flags != -1 && (flags & O_APPEND);
		req->direct = flags != -1 && (flags & O_DIRECT);
	}
	/* Claim the aiocb: from here it reads EINPROGRESS, before the engine
	 * can see the request, and a second claim of it fails above.  Its
	 * collection domain too (collect.h), which writes its ticket. */
	abi_save(cb, &req->before);
	error = collect_claim(&req->notification, cb, request_flags);
	if (error) {
		abi_restore(cb, &req->before);
		notification_discard(&req->notification);
		free(req->vector);
		errno = error;
		return false;
	}
	abi_mark_in_progress(cb);
	return true;
}

struct request *
request_from_aiocb(struct aiocb *cb, enum request_op op, unsigned flags, int *flags_cache)
{
	struct request *req = request_new();
	if (!req) {
		errno = EAGAIN;
		return NULL;
	}
	if (!request_prepare(req, cb, op, flags, flags_cache)) {
		request_free(req);
		return NULL;
	}
	return req;
}

void
request_discard(struct request *req)
{
	abi_restore(req->aiocb, &req->before);
	notification_discard(&req->notification);
	request_free(req);
}

/* aio_read's and aio_write's work; also of the extensions (flags:
 * collect.h). */
int
request_submit(struct aiocb *cb, int op, unsigned flags)
{
	/* On the stack first: a request completed at submission never needs
	 * the heap. */
	struct request local;
	if (!request_prepare(&local, cb, op, flags, NULL))
		return -1;
	engine_init();
	report_first_request();
	if (inline_try(&local)) {
		inline_finish(&local);
		free(local.vector);
		return 0;
	}
	struct request *req = request_new();
	if (!req) {
		abi_restore(cb, &local.before);
		notification_discard(&local.notification);
		free(local.vector);
		errno = EAGAIN;
		return -1;
	}
	request_move(req, &local);
	int error = engine_admit(&req, 1);
	if (error) {
		request_discard(req);
		errno = error;
		return -1;
	}
	return 0;
}

AIO_EXPORT int
aio_read(struct aiocb *aiocbp)
{
	return request_submit(aiocbp, OP_READ, 0);
}
AIO_EXPORT_64(aio_read, int, (struct aiocb64 *));

AIO_EXPORT int
aio_write(struct aiocb *aiocbp)
{
	return request_submit(aiocbp, OP_WRITE, 0);
}
AIO_EXPORT_64(aio_write, int, (struct aiocb64 *));

AIO_EXPORT int
aio_fsync(int operation, struct aiocb *aiocbp)
{
	ABI_FORGET_NONNULL(aiocbp);
	if (!aiocbp || (operation != O_SYNC && operation != O_DSYNC)) {
		errno = EINVAL;
		return -1;
	}
	int flags = fcntl(aiocbp->aio_fildes, F_GETFL);
	if (flags == -1 || (flags & O_ACCMODE) == O_RDONLY) {
		errno = EBADF;
		return -1;
	}
	return request_submit(aiocbp, operation == O_SYNC ? OP_FSYNC : OP_DATASYNC, 0);
}
AIO_EXPORT_64(aio_fsync, int, (int, struct aiocb64 *));
