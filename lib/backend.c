/* backend.c: what every backend shares: the completion function the core
 * gives them, and running one request's system call in the calling thread
 * (the pool's workers).
 */
#include "config.h"

#include <errno.h>
#include <sys/mman.h>
#include <sys/uio.h>
#include <unistd.h>

#include "backend.h"

completion_function *backend_completion;

void
backend_set_completion(completion_function *function)
{
	backend_completion = function;
}

/* A vectored request, one at the file position, or an mlock: the
 * result, or -1 with errno. */
static ssize_t
execute_extension(const struct request *req)
{
	if (req->op == OP_MLOCK)
		return mlock(req->buffer, req->length);
	struct iovec single = { req->buffer, req->length };
	const struct iovec *spans = req->vector ? req->vector : &single;
	int count = req->vector ? req->vector_count : 1;
	bool at_position = req->stream || req->at_file_position;
	if (req->op == OP_READ) {
		if (req->polled) {
			/* As request_execute's stream read: never wait. */
			ssize_t rc = preadv64v2(req->io_fd, spans, count, -1, RWF_NOWAIT);
			if (rc >= 0 || errno != EOPNOTSUPP)
				return rc;
		}
		return at_position ? readv(req->io_fd, spans, count)
				   : preadv64(req->io_fd, spans, count, req->offset);
	}
	return at_position ? writev(req->io_fd, spans, count)
			   : pwritev64(req->io_fd, spans, count, req->offset);
}

ssize_t
request_execute(const struct request *req)
{
	ssize_t rc;
	do {
		/* Vectored, at the file position, or mlock (vectored.c). */
		if (req->vector || req->at_file_position || req->op == OP_MLOCK) {
			rc = execute_extension(req);
			continue;
		}
		switch (req->op) {
		case OP_READ:
			if (req->polled) {
				/* The poller saw data, but someone may have taken
				 * it since: read without waiting (-1: the file
				 * position, as read() uses). */
				struct iovec span = { req->buffer, req->length };
				rc = preadv64v2(req->io_fd, &span, 1, -1, RWF_NOWAIT);
				if (rc >= 0 || errno != EOPNOTSUPP)
					break;
				/* This kind of file cannot: read, which may wait. */
			}
			rc = req->stream ? read(req->io_fd, req->buffer, req->length)
					 : pread64(req->io_fd, req->buffer, req->length, req->offset);
			break;
		case OP_WRITE:
			/* pwrite on an O_APPEND file appends, and leaves the file
			 * offset alone, unlike write. */
			rc = req->stream ? write(req->io_fd, req->buffer, req->length)
					 : pwrite64(req->io_fd, req->buffer, req->length, req->offset);
			break;
		case OP_FSYNC:
			rc = fsync(req->io_fd);
			break;
		case OP_DATASYNC:
			rc = fdatasync(req->io_fd);
			break;
		default:
			rc = -1;
			errno = EINVAL;
		}
	} while (rc < 0 && errno == EINTR);
	return rc < 0 ? -errno : rc;
}
