/* notify.h: notification of a finished request (notify.c).
 */
#ifndef AIO_POSIX_NOTIFY_H
#define AIO_POSIX_NOTIFY_H

#include <signal.h>

#include "request.h"

/* Validate and copy a sigevent; returns 0 or an errno value (EINVAL,
 * ENOMEM, EAGAIN). */
int notification_prepare(struct notification *n, const struct sigevent *event);
/* Deliver, then release what prepare took.  Never called under a lock. */
void notification_deliver(struct notification *n);
/* Release without delivering. */
void notification_discard(struct notification *n);
void notify_after_fork_child(void);

#endif
