/* core.h: what the API layer asks of the request core (core.c).
 *
 * The core owns a request from admission to its end: it tries the inline
 * backend, queues the request on its fd, starts it on a backend when the
 * fd's rules allow, settles it when it has run, and then hands what the
 * layers above need (notification, the lio_listio group) to the finish hook
 * they registered.  It never calls those layers by name.
 */
#ifndef AIO_POSIX_CORE_H
#define AIO_POSIX_CORE_H

#include "request.h"

/* A request that has ended, as the layers above see it.  The request itself
 * is gone by then: this is a copy. */
struct finished {
	struct aiocb *aiocb;		/* the application's again, unless forget */
	struct notification notification;
	struct list_group *group;
	ssize_t result;
	int error;
	bool forget;			/* a fork child: release, do not deliver */
};

/* Called outside every lock, once per request, in some thread of the
 * library or the application. */
typedef void finish_hook_function(struct finished *finished);

/* Set the library up on first use (settings, backends, fork handlers) and
 * name the finish hook.  Every entry point calls it; cheap after the first. */
void core_init(finish_hook_function *hook);

/* Admit one prepared request (on the heap, from request_new): 0, or EAGAIN
 * when it could not be queued, and then the caller still owns it. */
int core_submit(struct request *req);
/* Admit count requests, all or none (lio_listio): 0 or EAGAIN.  They are
 * handed on before the call returns, in one batch. */
int core_submit_list(struct request **requests, int count);

/* aio_cancel's work: AIO_CANCELED, AIO_NOTCANCELED or AIO_ALLDONE. */
int core_cancel(int fd, struct aiocb *aiocb);

/* Settle what backends reaped elsewhere (any caller that may take locks). */
void core_settle(void);
/* The same for one lane's ring: what a thread of that lane settles as it
 * goes, leaving the other lanes to their own threads and the reaper. */
void core_settle_lane(unsigned lane);
/* Before a waiter of a collecting domain sleeps: hand on what every lane
 * staged and publish what the rings completed; may_block (not in a signal
 * handler) also settles it all, so that it reaches its domain without the
 * reaper thread. */
void core_settle_all(bool may_block);

#endif
