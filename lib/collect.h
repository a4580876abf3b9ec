/* collect.h: handing a finished request over to the domain that collects
 * it, beyond aio_error and aio_return (collect.c; the domains are
 * request.h's enum collect_domain).
 *
 * submit.c calls collect_claim once per request, at submission, with the
 * aiocb still the library's; finish.c calls collect_request_finished once
 * per finished request, after its result is public and before its
 * notification is delivered, outside every lock of the core; notify.c
 * calls collect_release when a claimed request is given back without
 * finishing (refused, or forgotten in a fork child).  Nothing here reads
 * or writes an aiocb after its result is public.
 */
#ifndef AIO_POSIX_COLLECT_H
#define AIO_POSIX_COLLECT_H

#include <aio.h>
#include <stdbool.h>
#include <sys/types.h>

#include "request.h"

/* Choose the request's domain and take its place there.  0, or EAGAIN
 * (no memory). */
int collect_claim(struct notification *n, struct aiocb *cb, unsigned flags);
/* A claimed request will not finish: give its place back. */
void collect_release(struct notification *n);
/* A request has finished: hand it to its domain (cb is not dereferenced).
 * False: its notification is not to be delivered (a Solaris request that
 * aiocancel cancelled sends no SIGIO). */
bool collect_request_finished(struct notification *n, struct aiocb *cb, ssize_t result,
			      int error);

#endif
