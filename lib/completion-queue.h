/* completion-queue.h: what the layers below the API ask of completion
 * queues (completion-queue.c): notify.c ties a request or a list's
 * notification to its queue, collect.c tracks and posts.
 */
#ifndef AIO_POSIX_COMPLETION_QUEUE_H
#define AIO_POSIX_COMPLETION_QUEUE_H

#include <aio.h>
#include <signal.h>
#include <stdint.h>
#include <sys/types.h>

struct completion_queue;

/* Tie a request (or a list's notification) to the open queue whose
 * descriptor is fd: its entry is reserved, so that posting never
 * allocates, and the reservation keeps the queue alive.  NULL with *error
 * EINVAL (fd is not an open queue) or EAGAIN (no memory). */
struct completion_queue *completion_queue_tie(int fd, int *error);
/* Remember a tied request's aiocb while it is in flight, so that a reaper
 * may wait for it in the io_uring ring; *place says where (ticket.slot). */
void completion_queue_track(struct completion_queue *queue, struct aiocb *cb,
			    uint32_t *place);
/* Give the reservation back unused (place: UINT32_MAX if never tracked). */
void completion_queue_untie(struct completion_queue *queue, uint32_t place);
/* Post into the reservation: a finished request, or a list's own
 * notification (cb NULL, place UINT32_MAX). */
void completion_queue_post(struct completion_queue *queue, uint32_t place, struct aiocb *cb,
			   ssize_t result, int error, union sigval value);

#endif
