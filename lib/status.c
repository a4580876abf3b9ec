/* status.c: aio_error and aio_return.
 *
 * Both are async-signal-safe: they read the aiocb, take no lock that could
 * be waited for, allocate nothing.  __error_code is loaded with acquire,
 * pairing with the release store that publishes a completion (abi.h), so
 * the return value read after it is the final one.  aio_error of a request
 * in progress hands on what its lane staged and reaps its ring's
 * completions when nobody else is, so a program that polls sees its result
 * without waiting for another thread.
 *
 * An aiocb that was never submitted gives EINVAL.  A finished one keeps its
 * result: aio_return may be called more than once, as with glibc; the first
 * call tells the lane the request is collected (lane.c's staging decision).
 */
#include "config.h"

#include <errno.h>

#include "backend.h"
#include "lane.h"
#include "record.h"

AIO_EXPORT int
aio_error(const struct aiocb *aiocbp)
{
	ABI_FORGET_NONNULL(aiocbp);
	if (!aiocbp || !abi_was_submitted(aiocbp)) {
		errno = EINVAL;
		return -1;
	}
	int error = abi_error_code(aiocbp);
	if (error == EINPROGRESS) {
		/* It may be staged, or its completion waiting in the ring. */
		int lane = abi_lane(aiocbp);
		if (lane >= 0 && lane < LANES_MAX) {
			lane_note_wait();
			if (__atomic_load_n(&lanes[lane].staged_tick, __ATOMIC_RELAXED))
				lane_flush_index((unsigned)lane, 0);
			uring_reap((unsigned)lane);
		}
		error = abi_error_code(aiocbp);
	}
	return error;
}
AIO_EXPORT_64(aio_error, int, (const struct aiocb64 *));

AIO_EXPORT ssize_t
aio_return(struct aiocb *aiocbp)
{
	ABI_FORGET_NONNULL(aiocbp);
	if (!aiocbp || !abi_was_submitted(aiocbp)) {
		errno = EINVAL;
		return -1;
	}
	int error = abi_error_code(aiocbp);
	if (error == EINPROGRESS) {
		/* POSIX leaves this undefined; say so rather than invent a value. */
		errno = EINPROGRESS;
		return -1;
	}
	unsigned flags = abi_flags(aiocbp);
	if (!(flags & ABI_RETURNED)) {
		abi_set_flags(aiocbp, flags | ABI_RETURNED);
		lane_note_returned(abi_lane(aiocbp));
		/* Collected: the process-wide waiters no longer return it
		 * (record.c).  Once is enough. */
		record_note_return(aiocbp);
	}
	return aiocbp->__return_value;
}
AIO_EXPORT_64(aio_return, ssize_t, (struct aiocb64 *));

AIO_EXPORT const char *
aio_posix_version(void)
{
	return PACKAGE_VERSION;
}
