/* cancel.c: aio_cancel.
 *
 * A request still waiting for its turn or for a worker is cancelled: its
 * aiocb reads ECANCELED and -1, and its notification is delivered as for any
 * completion.  So can a stream read waiting for data (the poller holds it,
 * or the ring calls it back).  Any other request already running cannot be
 * called back: AIO_NOTCANCELED.
 * The queue work is the core's (core_cancel); this file checks the
 * arguments.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>

#include "finish.h"

AIO_EXPORT int
aio_cancel(int fildes, struct aiocb *aiocbp)
{
	if (fcntl(fildes, F_GETFD) == -1) {
		errno = EBADF;
		return -1;
	}
	if (aiocbp && aiocbp->aio_fildes != fildes) {
		errno = EINVAL;
		return -1;
	}
	/* Never submitted, or already finished: nothing to do. */
	if (aiocbp && (!abi_was_submitted(aiocbp) || abi_error_code(aiocbp) != EINPROGRESS))
		return AIO_ALLDONE;
	library_init();
	return core_cancel(fildes, aiocbp);
}
AIO_EXPORT_64(aio_cancel, int, (int, struct aiocb64 *));
