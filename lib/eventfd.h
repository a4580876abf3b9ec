/* eventfd.h: SIGEV_AIO_EVENTFD's descriptors (eventfd.c), for notify.c. */
#ifndef AIO_POSIX_EVENTFD_H
#define AIO_POSIX_EVENTFD_H

/* A private descriptor for the caller's eventfd (shared while it is the
 * same file), or -1 with errno EINVAL. */
int eventfd_acquire(int fd);
/* One completion: add 1 to its counter. */
void eventfd_signal(int private_fd);
/* A request is done with it (-1: none). */
void eventfd_release(int private_fd);

#endif
