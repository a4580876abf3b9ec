/* aio-posix/asynch.h: Solaris's older asynchronous I/O interface, as its
 * <sys/asynch.h> declares it, on libaio-posix.
 *
 * A program written for Solaris changes one line,
 *     #include <sys/asynch.h>   ->   #include <aio-posix/asynch.h>
 * and links with -laio-posix.  See aioread(3aio), aiowait(3aio) and
 * aiocancel(3aio).  These requests are the Solaris interface's own: aiowait
 * returns only them, and aio_waitn and aio_waitcomplete never do.
 */
#ifndef AIO_POSIX_ASYNCH_H
#define AIO_POSIX_ASYNCH_H

#include <sys/time.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Where a request's result goes.  aio_return is read()'s or write()'s
 * return value (-1 on error), aio_errno its errno (0 on success);
 * aio_return holds AIO_INPROGRESS while the request is in flight. */
typedef struct aio_result_t {
	ssize_t aio_return;
	int aio_errno;
} aio_result_t;

#define AIO_INPROGRESS (-2)

int aioread(int fildes, char *bufp, int bufs, off_t offset, int whence,
	    aio_result_t *resultp);
int aiowrite(int fildes, const char *bufp, int bufs, off_t offset, int whence,
	     aio_result_t *resultp);
/* The result of a finished request; NULL when the time limit expires;
 * (aio_result_t *)-1 on error. */
aio_result_t *aiowait(const struct timeval *timeout);
int aiocancel(aio_result_t *resultp);

/* Solaris's transitional names for 64-bit offsets: off_t is 64 bits here. */
#define aioread64 aioread
#define aiowrite64 aiowrite

#ifdef __cplusplus
}
#endif

#endif /* AIO_POSIX_ASYNCH_H */
