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

#ifndef __USE_FILE_OFFSET64
int aioread(int fildes, char *bufp, int bufs, off_t offset, int whence,
	    aio_result_t *resultp);
int aiowrite(int fildes, const char *bufp, int bufs, off_t offset, int whence,
	     aio_result_t *resultp);
#endif
/* The result of a finished request; NULL when the time limit expires;
 * (aio_result_t *)-1 on error. */
#ifndef __USE_TIME_BITS64
aio_result_t *aiowait(const struct timeval *timeout);
#endif
int aiocancel(aio_result_t *resultp);

/* Large files and 64-bit time, as on Solaris and as glibc's <aio.h> does:
 * where off_t has 32 bits (i386), a program built with
 * _FILE_OFFSET_BITS=64 calls aioread64 and aiowrite64, whose offset is an
 * off64_t, under the plain names; with _TIME_BITS=64 too, aiowait is
 * __aiowait_time64, whose struct timeval has 64-bit fields.
 * _LARGEFILE64_SOURCE (or _GNU_SOURCE) declares Solaris's transitional
 * names aioread64 and aiowrite64 in any program. */
#ifdef __USE_FILE_OFFSET64
# ifdef __REDIRECT
int __REDIRECT(aioread, (int fildes, char *bufp, int bufs, off_t offset, int whence,
			 aio_result_t *resultp), aioread64);
int __REDIRECT(aiowrite, (int fildes, const char *bufp, int bufs, off_t offset, int whence,
			  aio_result_t *resultp), aiowrite64);
# else
#  define aioread aioread64
#  define aiowrite aiowrite64
# endif
#endif
#ifdef __USE_TIME_BITS64
# ifdef __REDIRECT
aio_result_t *__REDIRECT(aiowait, (const struct timeval *timeout), __aiowait_time64);
# else
#  define aiowait __aiowait_time64
# endif
#endif
#ifdef __USE_LARGEFILE64
int aioread64(int fildes, char *bufp, int bufs, off64_t offset, int whence,
	      aio_result_t *resultp);
int aiowrite64(int fildes, const char *bufp, int bufs, off64_t offset, int whence,
	       aio_result_t *resultp);
#endif

#ifdef __cplusplus
}
#endif

#endif /* AIO_POSIX_ASYNCH_H */
