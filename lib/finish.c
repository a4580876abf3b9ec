/* finish.c: the layer above the core: what a finished request owes its
 * application once the core has settled it, and lio_listio's groups.
 *
 * The core hands every ended request to finish_request (its finish hook),
 * outside every lock (requests that complete inline and cancelled ones
 * too): it goes to its collection domain (collect.c), then the
 * notification is delivered (notify.c) unless the domain says it is not
 * owed, then the request's group is counted down.  The domain comes first:
 * the notification may wake a thread that looks for it there.  A request a
 * fork child forgets gives its place in the domain back
 * (notification_discard).  A group lives on the heap with a reference per
 * request plus one for a LIO_WAIT caller; group.remaining reaches zero
 * exactly once, and whoever brings it there delivers the list's own
 * notification (LIO_NOWAIT) or wakes the caller (LIO_WAIT), who sleeps on
 * it as a futex word (listio.c).
 */
#include "config.h"

#include <stdlib.h>

#include "collect.h"
#include "finish.h"
#include "futex.h"

static void
group_release(struct list_group *group)
{
	if (__atomic_sub_fetch(&group->references, 1, __ATOMIC_ACQ_REL) == 0) {
		notification_discard(&group->notification);
		free(group);
	}
}

void
list_group_request_done(struct list_group *group)
{
	if (__atomic_sub_fetch(&group->remaining, 1, __ATOMIC_SEQ_CST) == 0) {
		/* The caller says when it may sleep (listio.c): Dekker's
		 * pattern on remaining and sleeping. */
		if (group->waiter && __atomic_load_n(&group->sleeping, __ATOMIC_SEQ_CST))
			futex_wake_all(&group->remaining);
		else
			notification_deliver(&group->notification);
	}
	group_release(group);
}

void
list_group_forget(struct list_group *group)
{
	group_release(group);
}

static void
finish_request(struct finished *finished)
{
	if (finished->forget) {
		/* A fork child: nothing is delivered for an inherited request. */
		notification_discard(&finished->notification);
		if (finished->group)
			list_group_forget(finished->group);
		return;
	}
	if (collect_request_finished(&finished->notification, finished->aiocb, finished->result,
				     finished->error))
		notification_deliver(&finished->notification);
	else
		notification_discard(&finished->notification);
	if (finished->group)
		list_group_request_done(finished->group);
}

void
library_init(void)
{
	core_init(finish_request);
}
