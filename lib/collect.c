/* collect.c: which domain collects a finished request, beyond aio_error
 * and aio_return, and the hand-over to it (collect.h).
 *
 * A request's domain is chosen at submission, from its notification and
 * its submission flags: its completion queue (SIGEV_AIO_QUEUE), the
 * Solaris domain (aioread, aiowrite), none (SIGEV_AIO_PRIVATE), or else
 * the process-wide record that aio_waitcomplete and aio_waitn take from.
 * The domain then holds a place for it (the request's collect ticket), so
 * that its finish never allocates.  Each domain locks its own state; this
 * file has none.
 */
#include "config.h"

#include <errno.h>

#include "aio-posix.h"
#include "collect.h"
#include "completion-queue.h"
#include "record.h"
#include "solaris-record.h"

int
collect_claim(struct notification *n, struct aiocb *cb, unsigned flags)
{
	/* Resubmitted: whatever its previous result was, the program is done
	 * with it.  (After aio_return, the record knows already.) */
	if (!(abi_was_submitted(cb) && (abi_flags(cb) & ABI_RETURNED)))
		record_note_return(cb);
	abi_set_collect_ticket(cb, 0);
	n->ticket = (struct collect_ticket){ .domain = COLLECT_NONE };
	if (n->queue) {
		n->ticket.domain = COLLECT_QUEUE;
		completion_queue_track(n->queue, cb, &n->ticket.slot);
	} else if (flags & REQUEST_SOLARIS) {
		n->ticket.domain = COLLECT_SOLARIS;
	} else if (!(cb->aio_sigevent.sigev_notify & SIGEV_AIO_PRIVATE)) {
		return record_claim(&n->ticket, cb);
	}
	return 0;
}

void
collect_release(struct notification *n)
{
	if (n->ticket.domain == COLLECT_PROCESS)
		record_leave(&n->ticket, false, 0, 0);
	n->ticket.domain = COLLECT_NONE;
}

bool
collect_request_finished(struct notification *n, struct aiocb *cb, ssize_t result, int error)
{
	switch (n->ticket.domain) {
	case COLLECT_PROCESS:
		record_leave(&n->ticket, true, result, error);
		break;
	case COLLECT_QUEUE:
		completion_queue_post(n->queue, n->ticket.slot, cb, result, error, n->value);
		break;
	case COLLECT_SOLARIS:
		solaris_request_finished(cb, result, error);
		/* aiocancel'ed: Solaris sends no SIGIO. */
		return error != ECANCELED;
	case COLLECT_NONE:
		break;
	}
	return true;
}
