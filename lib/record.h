/* record.h: the process-wide record of finished requests that nobody has
 * collected (record.c), from which aio_waitcomplete and aio_waitn take
 * (waitcomplete.c).
 */
#ifndef AIO_POSIX_RECORD_H
#define AIO_POSIX_RECORD_H

#include <aio.h>
#include <stdbool.h>
#include <sys/types.h>

#include "request.h"
#include "waitpoint.h"

/* At submission: a slot for cb, its ticket into *ticket and into the
 * aiocb.  0, or EAGAIN (no memory). */
int record_claim(struct collect_ticket *ticket, struct aiocb *cb);
/* The request of ticket leaves its in-flight slot: finished (the record
 * keeps its result for the waiters), or given back. */
void record_leave(const struct collect_ticket *ticket, bool finished, ssize_t result, int error);
/* aio_return on a finished request, or a resubmission: the waiters no
 * longer return it.  Lock-free and async-signal-safe. */
void record_note_return(const struct aiocb *cb);

/* Take up to max finished requests into list (the first one's result into
 * *result and *error, if given: that hands it over as aio_return would);
 * *idle: nothing more can come. */
unsigned record_take(struct aiocb **list, unsigned max, ssize_t *result, int *error,
		     bool *idle);
/* A waiter is about to wait: from now on the record keeps more. */
void record_note_waited(void);
/* Where the waiters sleep; it moves at every change while one is
 * registered. */
extern struct waitpoint record_point;

#endif
