/* aio-posix.h: the extension API of libaio-posix.
 *
 * The POSIX functions themselves (aio_read, aio_write, aio_fsync, aio_error,
 * aio_return, aio_suspend, aio_cancel, lio_listio, their *64 twins and
 * aio_init) are declared by the system <aio.h>, which this header includes.
 * This header holds only what libaio-posix adds on top: FreeBSD's and
 * Solaris's extensions of <aio.h>, completion by file descriptor, and the
 * library's own statistics.  Solaris's older interface of <sys/asynch.h>
 * (aioread, aiowait, ...) is in <aio-posix/asynch.h>.
 */
#ifndef AIO_POSIX_H
#define AIO_POSIX_H

#include <aio.h>
#include <signal.h>
#include <stddef.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <time.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The most entries lio_listio() accepts; one more fails with EINVAL.  glibc
 * sets no AIO_LISTIO_MAX (sysconf reports it as indeterminate), so this is
 * ours to choose. */
#define AIO_POSIX_LISTIO_MAX 65536

/* The library's version, "MAJOR.MINOR.PATCH".  Also a way for a program to
 * find out, through dlsym(RTLD_DEFAULT, "aio_posix_version"), whether it is
 * running under libaio-posix. */
const char *aio_posix_version(void);

/* Counters of this process's use of the library, since it started (or,
 * in a fork child, since the fork).  Fields may be added at the end in later
 * versions; never reordered. */
struct aio_posix_stats {
	unsigned long long reads;		/* requests submitted, by kind */
	unsigned long long writes;
	unsigned long long syncs;		/* aio_fsync, O_SYNC and O_DSYNC */
	unsigned long long completed;		/* finished and not cancelled */
	unsigned long long failed;		/* of completed: with an error */
	unsigned long long cancelled;		/* finished by aio_cancel */
	unsigned long long notifications;	/* signals queued, callbacks run */
	unsigned long long in_flight;		/* submitted, not yet finished */
	unsigned long long peak_in_flight;
	unsigned long long threads;		/* worker threads alive now */
	unsigned long long peak_threads;
	char backend[16];			/* "uring" or "threads" */
	unsigned long long completed_at_submission; /* of completed: no thread
						 * hop, the data was ready */
	unsigned long long submit_calls;	/* system calls and worker wake-ups
						 * that handed requests on: fewer
						 * than requests when batched */
	unsigned long long lock_waits;		/* times a thread found a per-fd
						 * shard lock or a ring's
						 * submission lock held */
};

/* Fill *stats with the current counters.  size is sizeof(*stats) as the
 * caller was compiled: a program built against an older, shorter struct
 * gets only the fields it knows.  Returns 0, or -1 with errno EINVAL when
 * stats is NULL or size is smaller than the first version of the struct.
 * Async-signal-safe once the library is in use (a first call sets it up). */
int aio_posix_get_stats(struct aio_posix_stats *stats, size_t size);

/* FreeBSD and Solaris both name struct aiocb aiocb_t; glibc does not. */
typedef struct aiocb aiocb_t;

/* --- FreeBSD's extensions (aio_readv(2), aio_read2(2), aio_mlock(2),
 *     aio_waitcomplete(2), lio_listio(2)) ----------------------------------
 *
 * FreeBSD's struct aiocb overlays the iovec array of a vectored request on
 * aio_buf and its length on aio_nbytes; glibc's struct aiocb is kept as it
 * is, and these two names stand for the same two fields, as on FreeBSD:
 *     cb.aio_iov = iov;  cb.aio_iovcnt = 3;
 * stores the array's address in aio_buf and its count in aio_nbytes. */
#define aio_iov aio_buf
#define aio_iovcnt aio_nbytes

/* lio_listio opcodes beside glibc's LIO_READ, LIO_WRITE and LIO_NOP:
 * vectored transfers, and transfers at the file descriptor's offset
 * (LIO_FOFFSET, or'ed into any of the four). */
#define LIO_VECTORED 0x4
#define LIO_READV (LIO_READ | LIO_VECTORED)
#define LIO_WRITEV (LIO_WRITE | LIO_VECTORED)
#define LIO_FOFFSET 0x8

/* aio_read2 and aio_write2 flags. */
#define AIO_OP2_FOFFSET 0x1	/* at the file offset, which advances;
				 * aio_offset is ignored */
#define AIO_OP2_VECTORED 0x2	/* aio_iov/aio_iovcnt, as aio_readv */

/* (Each function that takes an aiocb, an off_t or a timeout has twins for
 * 32-bit programs built with _FILE_OFFSET_BITS=64 or _TIME_BITS=64: see
 * "Large files and 64-bit time" at the end.) */
#ifndef __USE_FILE_OFFSET64
int aio_readv(struct aiocb *aiocbp);
int aio_writev(struct aiocb *aiocbp);
int aio_read2(struct aiocb *aiocbp, int flags);
int aio_write2(struct aiocb *aiocbp, int flags);
int aio_mlock(struct aiocb *aiocbp);
#endif

/* Wait for the next finished request of the process that nobody has
 * collected; store its aiocb in *iocbp and return its result, which also
 * serves as its aio_return.  See aio_waitcomplete(3aio) for which requests
 * it may return. */
#ifndef __USE_FILE_OFFSET64
ssize_t aio_waitcomplete(struct aiocb **iocbp, struct timespec *timeout);
#endif

/* --- Solaris's extension (aio_waitn(3C)) -----------------------------------
 *
 * Wait until at least *nwait requests of the process have finished; fill
 * list with up to nent of them and set *nwait to how many.  Their status is
 * then read with aio_error and aio_return.  (Solaris spells the unsigned
 * arguments uint_t, which glibc does not define; the type is the same.) */
#ifndef __USE_FILE_OFFSET64
int aio_waitn(struct aiocb *list[], unsigned int nent, unsigned int *nwait,
	      const struct timespec *timeout);
#endif

/* --- completion by file descriptor -------------------------------------------
 *
 * Two notification types beside SIGEV_NONE, SIGEV_SIGNAL, SIGEV_THREAD and
 * SIGEV_THREAD_ID, for aio_sigevent.sigev_notify (and lio_listio's sig):
 *
 *   SIGEV_AIO_EVENTFD  add 1 to the caller's eventfd sigev_notify_eventfd
 *                      when the request finishes (libaio's io_set_eventfd);
 *   SIGEV_AIO_QUEUE    put the finished request, with its result and
 *                      sigev_value, on the completion queue
 *                      sigev_notify_queue, from which aio_queue_reap takes
 *                      it (FreeBSD's SIGEV_KEVENT, Solaris's SIGEV_PORT).
 *
 * SIGEV_AIO_PRIVATE, or'ed into any sigev_notify value of a request, says
 * that the submitter collects the request itself (aio_return): aio_waitn
 * and aio_waitcomplete never return it.
 *
 * The values collide with nothing glibc or the kernel defines. */
#define SIGEV_AIO_EVENTFD 0x41500001
#define SIGEV_AIO_QUEUE 0x41500002
#define SIGEV_AIO_PRIVATE 0x00008000
#define sigev_notify_eventfd sigev_signo
#define sigev_notify_queue sigev_signo

/* One finished request, as aio_queue_reap hands it over. */
struct aio_completion {
	struct aiocb *aiocb;	/* NULL: a lio_listio list's own notification */
	ssize_t result;		/* aio_return's value: -1 on error */
	int error;		/* aio_error's value: 0 or an errno value */
	union sigval value;	/* the request's (or the list's) sigev_value */
};

/* A completion queue: a file descriptor, readable (poll, epoll) while it
 * holds finished requests.  flags: 0 or AIO_QUEUE_CLOEXEC. */
#define AIO_QUEUE_CLOEXEC 0x1
int aio_queue_create(int flags);
/* Take up to max finished requests, waiting until at least min are there
 * (timeout NULL: for ever; zero: not at all).  Returns how many. */
#ifndef __USE_TIME_BITS64
int aio_queue_reap(int queue, struct aio_completion *completions, unsigned int max,
		   unsigned int min, const struct timespec *timeout);
#endif
int aio_queue_close(int queue);

/* --- large files and 64-bit time --------------------------------------------
 *
 * As glibc's <aio.h> does for its own names: where struct aiocb has a
 * 32-bit aio_offset (i386), a program built with _FILE_OFFSET_BITS=64 has
 * a struct aiocb of struct aiocb64's layout, and each function above that
 * takes an aiocb is its *64 twin in the binary; with _TIME_BITS=64 too,
 * each that takes a timeout is its __*_time64 twin, whose struct timespec
 * has 64-bit seconds.  _LARGEFILE64_SOURCE (or _GNU_SOURCE) declares the
 * *64 twins, which take struct aiocb64 in any program.  On x86_64 and
 * aarch64 a twin does what its plain name does. */
#ifdef __USE_FILE_OFFSET64
# ifdef __REDIRECT
int __REDIRECT(aio_readv, (struct aiocb *aiocbp), aio_readv64);
int __REDIRECT(aio_writev, (struct aiocb *aiocbp), aio_writev64);
int __REDIRECT(aio_read2, (struct aiocb *aiocbp, int flags), aio_read2_64);
int __REDIRECT(aio_write2, (struct aiocb *aiocbp, int flags), aio_write2_64);
int __REDIRECT(aio_mlock, (struct aiocb *aiocbp), aio_mlock64);
#  ifndef __USE_TIME_BITS64
ssize_t __REDIRECT(aio_waitcomplete, (struct aiocb **iocbp, struct timespec *timeout),
		   aio_waitcomplete64);
int __REDIRECT(aio_waitn, (struct aiocb *list[], unsigned int nent, unsigned int *nwait,
			   const struct timespec *timeout), aio_waitn64);
#  else
ssize_t __REDIRECT(aio_waitcomplete, (struct aiocb **iocbp, struct timespec *timeout),
		   __aio_waitcomplete_time64);
int __REDIRECT(aio_waitn, (struct aiocb *list[], unsigned int nent, unsigned int *nwait,
			   const struct timespec *timeout), __aio_waitn_time64);
#  endif
# else
#  define aio_readv aio_readv64
#  define aio_writev aio_writev64
#  define aio_read2 aio_read2_64
#  define aio_write2 aio_write2_64
#  define aio_mlock aio_mlock64
#  ifndef __USE_TIME_BITS64
#   define aio_waitcomplete aio_waitcomplete64
#   define aio_waitn aio_waitn64
#  else
#   define aio_waitcomplete __aio_waitcomplete_time64
#   define aio_waitn __aio_waitn_time64
#  endif
# endif
#endif

#ifdef __USE_TIME_BITS64
# ifdef __REDIRECT
int __REDIRECT(aio_queue_reap, (int queue, struct aio_completion *completions,
				unsigned int max, unsigned int min,
				const struct timespec *timeout), __aio_queue_reap_time64);
# else
#  define aio_queue_reap __aio_queue_reap_time64
# endif
#endif

#ifdef __USE_LARGEFILE64
int aio_readv64(struct aiocb64 *aiocbp);
int aio_writev64(struct aiocb64 *aiocbp);
int aio_read2_64(struct aiocb64 *aiocbp, int flags);
int aio_write2_64(struct aiocb64 *aiocbp, int flags);
int aio_mlock64(struct aiocb64 *aiocbp);
# if !defined __USE_TIME_BITS64
ssize_t aio_waitcomplete64(struct aiocb64 **iocbp, struct timespec *timeout);
int aio_waitn64(struct aiocb64 *list[], unsigned int nent, unsigned int *nwait,
		const struct timespec *timeout);
# elif defined __REDIRECT
/* Unlike glibc's aio_suspend64, these follow _TIME_BITS=64 too. */
ssize_t __REDIRECT(aio_waitcomplete64, (struct aiocb64 **iocbp, struct timespec *timeout),
		   __aio_waitcomplete_time64);
int __REDIRECT(aio_waitn64, (struct aiocb64 *list[], unsigned int nent, unsigned int *nwait,
			     const struct timespec *timeout), __aio_waitn_time64);
# else
#  define aio_waitcomplete64 __aio_waitcomplete_time64
#  define aio_waitn64 __aio_waitn_time64
# endif
#endif

#ifdef __cplusplus
}
#endif

#endif /* AIO_POSIX_H */
