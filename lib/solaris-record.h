/* solaris-record.h: the Solaris domain (solaris-record.c): the requests
 * of aioread and aiowrite, outstanding until aiowait returns them or
 * aiocancel cancels them.  solaris.c, the interface, builds and submits
 * them; collect.c hands their ends in.
 */
#ifndef AIO_POSIX_SOLARIS_RECORD_H
#define AIO_POSIX_SOLARIS_RECORD_H

#include <aio.h>
#include <stdbool.h>
#include <sys/types.h>

#include "aio-posix/asynch.h"
#include "waitpoint.h"

struct solaris_request {
	struct aiocb64 cb;		/* first: the core knows only this; the
					 * 64-bit layout on every ABI */
	aio_result_t *result;
	struct solaris_request *next;	/* in a bucket, the FIFO or to_free */
	int users;			/* aiocancel calls holding it */
	bool cancelled;			/* finished with ECANCELED: not queued */
	bool returned;			/* by aiowait */
};

/* A result as a program polling aio_return reads it: aio_errno first. */
void solaris_set_result(aio_result_t *result, ssize_t value, int error);
/* Free what nobody will look at again; never in a signal handler. */
void solaris_free_released(void);

/* Make req outstanding, under its result buffer: 0, or EINVAL when the
 * buffer is another outstanding request's. */
int solaris_record_add(struct solaris_request *req);
/* Its submission failed: no longer outstanding; *before goes back into
 * its result buffer.  The caller frees it. */
void solaris_record_remove(struct solaris_request *req, const aio_result_t *before);
/* The result buffer of the oldest finished request, which aiowait now
 * returns, or NULL; *none: nothing is outstanding at all.
 * Async-signal-safe. */
aio_result_t *solaris_record_take(bool *none);
/* aiocancel holds the request of resultp while it cancels it: NULL with
 * *error EINVAL (nothing outstanding) or EACCES (not an outstanding
 * request). */
struct solaris_request *solaris_record_hold(aio_result_t *resultp, int *error);
/* And lets go: true if it ended cancelled. */
bool solaris_record_let_go(struct solaris_request *req);

/* A request of the domain finished (collect.c). */
void solaris_request_finished(struct aiocb *cb, ssize_t result, int error);

/* Where aiowait sleeps: it moves at every finish. */
extern struct waitpoint solaris_point;

#endif
