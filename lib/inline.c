/* inline.c: the inline backend: a request completed in the caller's own
 * thread, when its data and its buffer are ready.
 *
 * Handing a request to another thread, or to the kernel's, costs many
 * times a small system call.  So a small read or write that goes at once
 * (lane.c) first tries preadv2/pwritev2 with RWF_NOWAIT in the caller's
 * thread: the kernel does it only if it can without waiting for the device
 * (the data is in the page cache), and says EAGAIN otherwise.  Only a
 * complete transfer completes the request here; anything else goes the
 * ordinary way, where the same transfer runs again and its answer is the one
 * reported: EAGAIN, a short count (end of file, or a range only partly
 * cached), ESPIPE (a stream, whose order the core keeps), EOPNOTSUPP, any
 * error.
 *
 * What is never tried, so that submission never waits for a transfer:
 *  - more than INLINE_MAX bytes: the copy itself would take too long;
 *  - a buffer not known to be resident (residency.c): RWF_NOWAIT covers the
 *    file's pages, not the application's, and a fault on a page registered
 *    with userfaultfd, or of a mapped file on a slow device, would stop the
 *    caller inside aio_read;
 *  - O_DIRECT: with RWF_NOWAIT the kernel still issues the direct I/O and
 *    waits for the device right here;
 *  - O_APPEND writes, which keep their FIFO, and writes once the kernel
 *    refused a buffered RWF_NOWAIT write (EOPNOTSUPP, ext4 among others).
 * An fd whose attempts keep failing (its data is not cached, or its file
 * refuses RWF_NOWAIT) is not tried again for a while: a miss costs a
 * system call; and a kernel without preadv2 is not tried again.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/uio.h>

#include "backend.h"

#define INLINE_MAX (64 * 1024)

static int writes_unsupported;	/* set once the kernel refused NOWAIT writes */
static int reads_unsupported;	/* set once the kernel knew no preadv2 */

/* Per fd number, racy by design (relaxed atomics, any value read was true
 * once): whether it is O_DIRECT, asked of the kernel at the first read and
 * again every HINT_REFRESH reads, since the number may have been reused or
 * fcntl may have changed the flag; and how many inline attempts to skip
 * after a miss.  A stale hint costs speed, never correctness. */
#define HINT_FDS 4096
#define HINT_REFRESH 64
#define HINT_KNOWN 0x80u
#define HINT_DIRECT 0x40u
#define HINT_COUNT 0x3fu
#define SKIP_AFTER_MISS 16
static unsigned char hints[HINT_FDS];
static unsigned char skips[HINT_FDS];

bool
direct_hint(int fd)
{
	if (fd < 0 || fd >= HINT_FDS) {
		int flags = fcntl(fd, F_GETFL);
		return flags != -1 && (flags & O_DIRECT);
	}
	unsigned char hint = __atomic_load_n(&hints[fd], __ATOMIC_RELAXED);
	if ((hint & HINT_KNOWN) && (hint & HINT_COUNT) > 0) {
		__atomic_store_n(&hints[fd], hint - 1, __ATOMIC_RELAXED);
		return hint & HINT_DIRECT;
	}
	int flags = fcntl(fd, F_GETFL);
	bool direct = flags != -1 && (flags & O_DIRECT);
	__atomic_store_n(&hints[fd], (unsigned char)(HINT_KNOWN | (direct ? HINT_DIRECT : 0) |
						     (HINT_REFRESH - 1)), __ATOMIC_RELAXED);
	return direct;
}

/* Skip this fd's attempt?  Counts the skip. */
static bool
skip_attempt(int fd)
{
	if (fd < 0 || fd >= HINT_FDS)
		return false;
	unsigned char left = __atomic_load_n(&skips[fd], __ATOMIC_RELAXED);
	if (left == 0)
		return false;
	__atomic_store_n(&skips[fd], left - 1, __ATOMIC_RELAXED);
	return true;
}

static void
note_miss(int fd)
{
	if (fd >= 0 && fd < HINT_FDS)
		__atomic_store_n(&skips[fd], SKIP_AFTER_MISS, __ATOMIC_RELAXED);
}

static enum start_result
inline_start(struct request *req)
{
	if (req->op != OP_READ && !(req->op == OP_WRITE && !req->append))
		return START_DECLINED;
	if (req->length > INLINE_MAX || req->direct ||
	    (req->op == OP_READ && direct_hint(req->fd)))
		return START_DECLINED;
	if (__atomic_load_n(req->op == OP_WRITE ? &writes_unsupported : &reads_unsupported,
			    __ATOMIC_RELAXED))
		return START_DECLINED;
	/* At the file position: in order on its fd, like O_APPEND writes. */
	if (req->at_file_position)
		return START_DECLINED;
	/* A vectored request goes in one call too (vectored.c). */
	struct iovec span = { req->buffer, req->length };
	const struct iovec *spans = req->vector ? req->vector : &span;
	int count = req->vector ? req->vector_count : 1;
	if (skip_attempt(req->fd))
		return START_DECLINED;
	for (int i = 0; i < count; i++)
		if (!buffer_resident(spans[i].iov_base, spans[i].iov_len))
			return START_DECLINED;

	ssize_t rc = req->op == OP_READ
		? preadv64v2(req->fd, spans, count, req->offset, RWF_NOWAIT)
		: pwritev64v2(req->fd, spans, count, req->offset, RWF_NOWAIT);
	if (rc < 0 && req->op == OP_WRITE && errno == EOPNOTSUPP)
		__atomic_store_n(&writes_unsupported, 1, __ATOMIC_RELAXED);
	/* Without preadv2 (some emulators) every attempt would fail: stop
	 * trying.  A file that refuses RWF_NOWAIT (EOPNOTSUPP, and every file
	 * before Linux 4.14) is skipped for a while below. */
	if (rc < 0 && errno == ENOSYS)
		__atomic_store_n(req->op == OP_WRITE ? &writes_unsupported : &reads_unsupported, 1,
				 __ATOMIC_RELAXED);
	if (rc < 0 || (size_t)rc != req->length) {
		if (rc < 0 && (errno == EAGAIN || errno == EOPNOTSUPP))
			note_miss(req->fd);
		return START_DECLINED;
	}
	req->result = rc;
	req->error = 0;
	return START_DONE;
}

static void
inline_after_fork_child(void)
{
}

const struct backend inline_backend = {
	.name = "inline",
	.start = inline_start,
	.after_fork_child = inline_after_fork_child,
};
