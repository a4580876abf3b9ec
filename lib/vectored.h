/* vectored.h: a vectored request's iovec array (vectored.c). */
#ifndef AIO_POSIX_VECTORED_H
#define AIO_POSIX_VECTORED_H

#include <aio.h>

#include "request.h"

/* Check and copy a vectored aiocb's iovec array into req: 0, or EINVAL,
 * EFAULT, EAGAIN. */
int vector_prepare(struct request *req, const struct aiocb *cb);

#endif
