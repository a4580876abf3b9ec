/* submit.c: aio_read, aio_write and aio_fsync, and FreeBSD's aio_readv,
 * aio_writev, aio_read2, aio_write2 and aio_mlock: check the aiocb, build
 * a request, hand it to the core.  (Their *64 twins, struct aiocb64, are
 * in compat.c.)
 *
 * What is refused at once (-1 and errno), before anything is queued:
 *   EINVAL  NULL aiocb; the aiocb is still in flight; negative aio_offset;
 *           aio_nbytes above SSIZE_MAX; aio_reqprio outside
 *           0..AIO_PRIO_DELTA_MAX; a bad sigevent; aio_fsync's op is neither
 *           O_SYNC nor O_DSYNC.
 *   EBADF   aio_fsync on an fd that is not open for writing.
 *   EAGAIN  no memory, no thread could be created to serve it, or the cap
 *           of requests in flight (AIO_POSIX_MAX_REQUESTS) is reached.
 * A read or write on a bad or wrong-mode fd is accepted, and reports EBADF
 * through aio_error, as glibc does and portable tests expect.
 *
 * What POSIX says a function ignores is ignored, never refused:
 * aio_lio_opcode outside lio_listio; for aio_fsync everything but
 * aio_fildes and aio_sigevent (aio_reqprio, aio_offset, aio_buf and
 * aio_nbytes included); aio_offset of a write on an O_APPEND file
 * description, and of any transfer on a file that cannot seek (a pipe, a
 * socket, a terminal), where it appends or reads in order.  Likewise
 * aio_offset at the file position (FOFFSET), and all but aio_buf,
 * aio_nbytes and aio_sigevent for aio_mlock.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "aio-posix.h"
#include "api.h"
#include "backend.h"
#include "collect.h"
#include "finish.h"
#include "lane.h"
#include "vectored.h"

/* Is aio_offset meaningless for this transfer (see the top)?  Asked only
 * of a negative offset, so its system calls cost nothing otherwise. */
static bool
offset_ignored(const struct aiocb *cb, enum request_op op)
{
	struct stat64 st;
	if (fstat64(cb->aio_fildes, &st) != 0)
		return false;
	if (!S_ISREG(st.st_mode) && !S_ISBLK(st.st_mode))
		return true;
	int flags = fcntl(cb->aio_fildes, F_GETFL);
	return op == OP_WRITE && flags != -1 && (flags & O_APPEND);
}

bool
request_prepare(struct request *req, struct aiocb *cb, enum request_op op, unsigned entry_abi,
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
	int64_t offset = transfer && !at_position ? abi_offset(cb, entry_abi) : 0;
	if (offset < 0 && offset_ignored(cb, op))
		offset = 0;
	if (offset < 0 ||
	    ((transfer || op == OP_MLOCK) && !(request_flags & REQUEST_VECTORED) &&
	     cb->aio_nbytes > SSIZE_MAX)) {
		errno = EINVAL;
		return false;
	}

	/* lio_listio before glibc 2.4 delivered no entry's own event. */
	int error = notification_prepare(&req->notification, (entry_abi & ABI_ENTRY_PRE_2_4)
					 ? NULL : &cb->aio_sigevent);
	if (error) {
		errno = error;
		return false;
	}
	req->aiocb = cb;
	req->op = op;
	req->fd = op == OP_MLOCK ? -1 : cb->aio_fildes;	/* mlock uses no file */
	req->priority = transfer ? cb->aio_reqprio : 0;
	req->buffer = transfer || op == OP_MLOCK ? (void *)cb->aio_buf : NULL;
	req->length = transfer || op == OP_MLOCK ? cb->aio_nbytes : 0;
	req->offset = offset;
	req->at_file_position = at_position;
	if (request_flags & REQUEST_VECTORED) {
		/* The copy is request_free's to free, whatever happens next. */
		error = vector_prepare(req, cb);
		if (error) {
			notification_discard(&req->notification);
			errno = error;
			return false;
		}
	}
	/* A read's O_DIRECT only decides whether it is tried inline, never
	 * its result: the inline backend asks a hint, when it tries. */
	if (op == OP_WRITE) {
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
		req->append = flags != -1 && (flags & O_APPEND);
		req->direct = flags != -1 && (flags & O_DIRECT);
	}
	/* Claim the aiocb: from here it reads EINPROGRESS, before the core
	 * can see the request, and a second claim of it fails above.  Its
	 * collection domain too (collect.h), which writes its ticket. */
	abi_save(cb, &req->before);
	error = collect_claim(&req->notification, cb, request_flags);
	if (error) {
		abi_restore(cb, &req->before);
		notification_discard(&req->notification);
		errno = error;
		return false;
	}
	abi_mark_in_progress(cb);
	return true;
}

void
request_discard(struct request *req)
{
	abi_restore(req->aiocb, &req->before);
	notification_discard(&req->notification);
	request_free(req);
}

int
submit_aiocb(struct aiocb *cb, enum request_op op, unsigned entry_abi, unsigned request_flags)
{
	library_init();
	lane_current();
	lane_hold();
	struct request *req = request_new();
	int error = req ? 0 : EAGAIN;
	if (req && !request_prepare(req, cb, op, entry_abi, request_flags, NULL)) {
		error = errno;
		request_free(req);
	}
	if (error) {
		lane_release();
	} else {
		error = core_submit(req);	/* lets the hold go */
		if (error)
			request_discard(req);
	}
	if (error) {
		errno = error;
		return -1;
	}
	return 0;
}

AIO_EXPORT int
aio_read(struct aiocb *aiocbp)
{
	return submit_aiocb(aiocbp, OP_READ, 0, 0);
}
AIO_EXPORT_64(aio_read, int, (struct aiocb64 *));

AIO_EXPORT int
aio_write(struct aiocb *aiocbp)
{
	return submit_aiocb(aiocbp, OP_WRITE, 0, 0);
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
	return submit_aiocb(aiocbp, operation == O_SYNC ? OP_FSYNC : OP_DATASYNC, 0, 0);
}
AIO_EXPORT_64(aio_fsync, int, (int, struct aiocb64 *));

/* --- FreeBSD's extensions (vectored.c) --------------------------------- */

AIO_EXPORT int
aio_readv(struct aiocb *aiocbp)
{
	return submit_aiocb(aiocbp, OP_READ, 0, REQUEST_VECTORED);
}

AIO_EXPORT int
aio_writev(struct aiocb *aiocbp)
{
	return submit_aiocb(aiocbp, OP_WRITE, 0, REQUEST_VECTORED);
}

int
submit_op2(struct aiocb *aiocbp, enum request_op op, int flags, unsigned entry_abi)
{
	if (flags & ~(AIO_OP2_FOFFSET | AIO_OP2_VECTORED)) {
		errno = EINVAL;
		return -1;
	}
	return submit_aiocb(aiocbp, op, entry_abi,
			    (flags & AIO_OP2_FOFFSET ? REQUEST_AT_FILE_POSITION : 0) |
			    (flags & AIO_OP2_VECTORED ? REQUEST_VECTORED : 0));
}

AIO_EXPORT int
aio_read2(struct aiocb *aiocbp, int flags)
{
	return submit_op2(aiocbp, OP_READ, flags, 0);
}

AIO_EXPORT int
aio_write2(struct aiocb *aiocbp, int flags)
{
	return submit_op2(aiocbp, OP_WRITE, flags, 0);
}

AIO_EXPORT int
aio_mlock(struct aiocb *aiocbp)
{
	return submit_aiocb(aiocbp, OP_MLOCK, 0, 0);
}
