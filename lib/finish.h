/* finish.h: what happens to a request above the core once it has ended
 * (finish.c): its notification is delivered, and its lio_listio group
 * counted down.
 */
#ifndef AIO_POSIX_FINISH_H
#define AIO_POSIX_FINISH_H

#include <stdbool.h>

#include "core.h"
#include "notify.h"

/* lio_listio's shared state, on the heap so that an interrupted LIO_WAIT
 * leaves nothing pointing into its stack frame. */
struct list_group {
	int remaining;			/* requests not yet finished; futex word */
	int references;			/* one per request, plus the LIO_WAIT caller */
	bool waiter;			/* LIO_WAIT: wake the caller at zero */
	int sleeping;			/* atomic: the LIO_WAIT caller may be asleep */
	struct notification notification; /* LIO_NOWAIT: delivered at zero */
};

/* A request of the group has finished. */
void list_group_request_done(struct list_group *group);
/* A fork child forgets a request of the group without finishing it. */
void list_group_forget(struct list_group *group);

/* Set the library up on first use, with finish.c's hook: every entry
 * point calls it. */
void library_init(void);

#endif
