/* listio.c: lio_listio and its group.
 *
 * Opcodes: glibc's LIO_READ, LIO_WRITE and LIO_NOP, and FreeBSD's
 * LIO_READV, LIO_WRITEV and LIO_FOFFSET (<aio-posix.h>), parsed by
 * entry_opcode.
 *
 * All or nothing at admission: every request is built first; if any cannot
 * be (no memory), none is queued and the call fails with EAGAIN.  An entry
 * that is invalid (LIO_NOP and NULL are skipped) is not queued; its aiocb
 * reports the error through aio_error, unless it is an aiocb still in
 * flight, which is left untouched.  Either way the call then reports EIO
 * once the others are queued (LIO_NOWAIT) or done (LIO_WAIT).
 *
 * The group lives on the heap with a reference per request plus one for a
 * LIO_WAIT caller, so a caller interrupted by a signal (EINTR) can leave and
 * the requests finish later without touching its stack frame.
 * group.remaining counts unfinished requests and is the futex word the
 * caller sleeps on; it reaches zero exactly once, and whoever brings it
 * there delivers the list's own notification (LIO_NOWAIT) or wakes the
 * caller (LIO_WAIT).
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>

#include "aio-posix.h"
#include "api.h"
#include "backend.h"
#include "fault.h"
#include "futex.h"
#include "lane.h"
#include "finish.h"

enum entry { ENTRY_SKIPPED, ENTRY_INVALID, ENTRY_REQUEST };

/* What a list entry asks for: skipped (NULL, LIO_NOP), an invalid opcode,
 * or a request of op with flags (enum request_flags, request.h). */
static enum entry
entry_opcode(const struct aiocb *cb, enum request_op *op, unsigned *flags)
{
	if (!cb)
		return ENTRY_SKIPPED;
	int opcode = cb->aio_lio_opcode;
	*flags = 0;
	if (opcode >= 0 && (opcode & LIO_FOFFSET)) {
		opcode &= ~LIO_FOFFSET;
		*flags |= REQUEST_AT_FILE_POSITION;
	}
	if (opcode == LIO_NOP)
		return ENTRY_SKIPPED;
	if (opcode >= 0 && (opcode & LIO_VECTORED)) {
		opcode &= ~LIO_VECTORED;
		*flags |= REQUEST_VECTORED;
	}
	if (opcode == LIO_READ)
		*op = OP_READ;
	else if (opcode == LIO_WRITE)
		*op = OP_WRITE;
	else
		return ENTRY_INVALID;
	return ENTRY_REQUEST;
}

/* Wait until the group is done.  Restarted under SA_RESTART, EINTR
 * otherwise, as the kernel decides for an untimed futex wait. */
static int
group_wait(struct list_group *group, int lane)
{
	lane_note_wait();
	for (;;) {
		int remaining = __atomic_load_n(&group->remaining, __ATOMIC_ACQUIRE);
		if (remaining == 0)
			return 0;
		/* A list of cached reads completes during its submission:
		 * finish it here rather than wait for the reaper thread. */
		uring_reap((unsigned)lane);
		core_settle_lane((unsigned)lane);
		/* Say we may sleep, then look again: whoever brings remaining
		 * to zero wakes us only if it sees this (finish.c). */
		__atomic_store_n(&group->sleeping, 1, __ATOMIC_SEQ_CST);
		remaining = __atomic_load_n(&group->remaining, __ATOMIC_SEQ_CST);
		if (remaining == 0)
			return 0;
		if (futex_wait_until(&group->remaining, remaining, NULL) == EINTR)
			return __atomic_load_n(&group->remaining, __ATOMIC_ACQUIRE) == 0 ? 0 : EINTR;
	}
}

static void
discard_all(struct request **requests, int count)
{
	for (int i = count - 1; i >= 0; i--)
		request_discard(requests[i]);
}

int
listio_submit(int mode, struct aiocb *const list[], int nent, struct sigevent *event,
	      unsigned entry_abi)
{
	if ((mode != LIO_WAIT && mode != LIO_NOWAIT) || nent < 0 ||
	    nent > AIO_POSIX_LISTIO_MAX || (nent > 0 && !list)) {
		errno = EINVAL;
		return -1;
	}
	library_init();
	struct lane *lane = lane_current();
	lane_hold();

	struct list_group *group = FAULT(FAULT_ALLOC) ? NULL : calloc(1, sizeof *group);
	struct request **requests = FAULT(FAULT_ALLOC) ? NULL
		: calloc(nent ? (size_t)nent : 1, sizeof *requests);
	if (!group || !requests) {
		lane_release();
		free(group);
		free(requests);
		errno = EAGAIN;
		return -1;
	}
	group->waiter = mode == LIO_WAIT;
	if (mode == LIO_NOWAIT) {
		int error = notification_prepare(&group->notification, event);
		if (error) {
			lane_release();
			free(group);
			free(requests);
			errno = error;
			return -1;
		}
	}

	/* Build every request first: all are queued, or none.  Entries on the
	 * same fd as the one before share its F_GETFL. */
	int count = 0, failed = 0;
	int flags_cache[2] = { -2, 0 };
	for (int i = 0; i < nent; i++) {
		struct aiocb *cb = list[i];
		enum request_op op;
		unsigned request_flags;
		enum entry entry = entry_opcode(cb, &op, &request_flags);
		if (entry == ENTRY_SKIPPED)
			continue;
		if (entry == ENTRY_INVALID) {
			if (!(abi_was_submitted(cb) && abi_error_code(cb) == EINPROGRESS))
				abi_mark_failed(cb, EINVAL);
			failed++;
			continue;
		}
		struct request *req = request_new();
		/* An aiocb in flight, or listed twice (the first claim makes it
		 * in flight), fails here and is left as it is. */
		if (!req || !request_prepare(req, cb, op, entry_abi, request_flags, flags_cache)) {
			int error = req ? errno : EAGAIN;
			if (req)
				request_free(req);
			if (error == EAGAIN) {
				discard_all(requests, count);
				lane_release();
				notification_discard(&group->notification);
				free(group);
				free(requests);
				errno = EAGAIN;
				return -1;
			}
			if (!(abi_was_submitted(cb) && abi_error_code(cb) == EINPROGRESS))
				abi_mark_failed(cb, error);
			failed++;
			continue;
		}
		req->group = group;
		requests[count++] = req;
	}

	group->remaining = count;
	group->references = count + (mode == LIO_WAIT ? 1 : 0);
	if (count == 0)
		lane_release();
	if (count > 0) {
		int error = core_submit_list(requests, count);	/* lets the hold go */
		if (error) {
			discard_all(requests, count);
			notification_discard(&group->notification);
			free(group);
			free(requests);
			errno = error;
			return -1;
		}
	}
	free(requests);

	if (mode == LIO_NOWAIT) {
		/* No requests at all: the list is complete now. */
		if (count == 0) {
			notification_deliver(&group->notification);
			free(group);
		}
	} else {
		int error = group_wait(group, (int)lane->index);
		list_group_forget(group);	/* the caller's reference */
		if (error) {
			errno = error;
			return -1;
		}
		/* Any request that ended in error makes the call fail with EIO. */
		for (int i = 0; i < nent && !failed; i++) {
			enum request_op op;
			unsigned request_flags;
			if (entry_opcode(list[i], &op, &request_flags) == ENTRY_REQUEST &&
			    abi_error_code(list[i]) != 0)
				failed++;
		}
	}
	if (failed) {
		errno = EIO;
		return -1;
	}
	return 0;
}

AIO_EXPORT int
lio_listio(int mode, struct aiocb *const list[], int nent, struct sigevent *sig)
{
	ABI_FORGET_NONNULL(list);
	return listio_submit(mode, list, nent, sig, 0);
}
AIO_EXPORT_64(lio_listio, int, (int, struct aiocb64 *const[], int, struct sigevent *));
