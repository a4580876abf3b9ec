/* inline.c: completing a request at submission, when its data is ready.
 *
 * Handing a request to another thread costs tens of microseconds on a small
 * virtual machine (waking a sleeping vCPU), many times the system call
 * itself.  So a read or write first tries preadv2/pwritev2 with RWF_NOWAIT in
 * the caller's own thread: the kernel does it only if it can without
 * blocking (the data is in the page cache), and says EAGAIN otherwise.
 *
 * Only a complete transfer completes the request here.  Anything else goes
 * the ordinary way, where the same system call runs again and its answer is
 * the one reported: EAGAIN (not cached), a short count (end of file, or a
 * range only partly cached: the two cannot be told apart), ESPIPE (a stream,
 * whose order the engine keeps), EOPNOTSUPP, or any error at all.
 *
 * Eligible: reads, and writes not on an O_APPEND file description (those
 * keep their FIFO), unless the file description is O_DIRECT: with RWF_NOWAIT
 * the kernel still issues direct I/O and waits for the device in the
 * caller's thread, which would make every such request synchronous.  Nothing orders reads or plain writes on a regular file
 * against each other, and an fsync only waits for writes submitted before
 * it, so completing one at once breaks no rule.  Many filesystems refuse
 * buffered RWF_NOWAIT writes (EOPNOTSUPP); the first refusal turns inline
 * writes off for the process, so later writes do not pay for the attempt.
 *
 * Completion here follows the engine's order: publish the result (release),
 * wake aio_suspend waiters, notify, account to a lio_listio group.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/uio.h>

#include "engine.h"

static int writes_unsupported;	/* set once the kernel refused NOWAIT writes */

/* Whether an fd is O_DIRECT, for reads: a hint per fd number, asked of the
 * kernel at the first read and again every HINT_REFRESH reads, since the
 * number may have been closed and reused, or fcntl may have changed the
 * flag.  A stale hint costs speed, never correctness: a direct read done
 * at submission is still done right, only not asynchronously.  Racy by
 * design (relaxed atomics): any value read is one that was true once. */
#define HINT_FDS 4096
#define HINT_REFRESH 64
#define HINT_KNOWN 0x80u
#define HINT_DIRECT 0x40u
#define HINT_COUNT 0x3fu
static unsigned char hints[HINT_FDS];

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

bool
inline_try(struct request *req)
{
	if (req->op != OP_READ && !(req->op == OP_WRITE && !req->append))
		return false;
	/* RWF_NOWAIT does not refuse O_DIRECT I/O: it would wait for the
	 * device right here, and make every request synchronous. */
	if (req->direct)
		return false;
	if (req->op == OP_WRITE && __atomic_load_n(&writes_unsupported, __ATOMIC_RELAXED))
		return false;
	/* At the file position: in order on its fd, like O_APPEND writes. */
	if (req->at_file_position)
		return false;

	/* A vectored request goes in one call too (vectored.c). */
	struct iovec span = { req->buffer, req->length };
	const struct iovec *spans = req->vector ? req->vector : &span;
	int count = req->vector ? req->vector_count : 1;
	ssize_t rc = req->op == OP_READ
		? preadv2(req->fd, spans, count, req->offset, RWF_NOWAIT)
		: pwritev2(req->fd, spans, count, req->offset, RWF_NOWAIT);
	if (rc < 0 && req->op == OP_WRITE && errno == EOPNOTSUPP)
		__atomic_store_n(&writes_unsupported, 1, __ATOMIC_RELAXED);
	if (rc < 0 || (size_t)rc != req->length)
		return false;
	req->result = rc;
	return true;
}

void
inline_finish(struct request *req)
{
	abi_publish(req->aiocb, req->result, 0);
	if (req->op == OP_READ)
		STATS_ADD(reads, 1);
	else
		STATS_ADD(writes, 1);
	STATS_ADD(completed, 1);
	STATS_ADD(completed_at_submission, 1);
	suspend_wake_all();
	/* To its collection domain before the notification (collect.h). */
	collect_request_finished(&req->notification, req->aiocb, req->result, 0);
	notification_deliver(&req->notification);
	if (req->group)
		list_group_request_done(req->group);
}
