/* compat.c: the exported names whose ABI is not the plain one.
 *
 * - lio_listio and lio_listio64 as glibc 2.1 to 2.3 had them, still what
 *   programs built then call on x86_64 and i386 (at the base version,
 *   abi.h): the list's own notification only, never the entries'.  glibc
 *   did it by writing SIGEV_NONE into each entry's aio_sigevent; we never
 *   write a public field (abi.h), so the entries' sigevents are ignored
 *   instead, and an invalid one is no error, as there.
 * - On ILP32 (i386), where struct aiocb64 is not struct aiocb, each *64
 *   name is a function of its own: aio_read64, aio_write64 and
 *   lio_listio64 read the 64-bit aio_offset (ABI_ENTRY_AIOCB64); the others read
 *   only fields the two structs share (checked in abi.h) and call the plain
 *   function.  __aio_suspend_time64 is aio_suspend for programs built with
 *   _TIME_BITS=64, whose struct timespec has 64-bit seconds.
 * On LP64 the *64 names are aliases of the plain ones, made where those
 * are defined (AIO_EXPORT_64).
 * - The extensions' twins (<aio-posix.h>, <aio-posix/asynch.h>), on every
 *   ABI and unversioned: aio_readv64, aio_writev64, aio_read2_64,
 *   aio_write2_64, aioread64 and aiowrite64 read a 64-bit offset;
 *   aio_mlock64, aio_waitcomplete64 and aio_waitn64 only fields the two
 *   structs share.  On i386, __aio_waitcomplete_time64, __aio_waitn_time64,
 *   __aio_queue_reap_time64 and __aiowait_time64 take the 64-bit-time
 *   struct timespec or struct timeval of programs built with _TIME_BITS=64
 *   (with either aiocb: they read no offset).
 *
 * Every function here is a few lines that call the one internal function
 * of api.h behind its name, with the ABI difference as an argument.
 */
#include "config.h"

#include <errno.h>

#include "api.h"

#if ABI_VERSIONED && ABI_LISTIO_BEFORE_2_4
/* lio_listio@GLIBC_2.1 on i386, @GLIBC_2.2.5 on x86_64. */
AIO_EXPORT int
abi_compat_lio_listio(int mode, struct aiocb *const list[], int nent, struct sigevent *sig)
{
	return listio_submit(mode, list, nent, sig, ABI_ENTRY_PRE_2_4);
}
ABI_SYMBOL_VERSION(abi_compat_lio_listio, "lio_listio", ABI_BASE_VERSION);
#if !ABI_SEPARATE_AIOCB64
ABI_SYMBOL_VERSION(abi_compat_lio_listio, "lio_listio64", ABI_BASE_VERSION);
#else
AIO_EXPORT int
abi_compat_lio_listio64(int mode, struct aiocb64 *const list[], int nent, struct sigevent *sig)
{
	return listio_submit(mode, (struct aiocb *const *)list, nent, sig,
			     ABI_ENTRY_AIOCB64 | ABI_ENTRY_PRE_2_4);
}
ABI_SYMBOL_VERSION(abi_compat_lio_listio64, "lio_listio64", ABI_BASE_VERSION);
#endif
#endif

#if ABI_SEPARATE_AIOCB64

/* glibc's own prototypes of the *64 names (<aio.h>, under _GNU_SOURCE)
 * check each definition below. */

AIO_EXPORT int
aio_read64(struct aiocb64 *aiocbp)
{
	return submit_aiocb((struct aiocb *)aiocbp, OP_READ, ABI_ENTRY_AIOCB64, 0);
}
ABI_VERSIONS_OF(aio_read64, aio_read64, ABI_SINCE_aio_read);

AIO_EXPORT int
aio_write64(struct aiocb64 *aiocbp)
{
	return submit_aiocb((struct aiocb *)aiocbp, OP_WRITE, ABI_ENTRY_AIOCB64, 0);
}
ABI_VERSIONS_OF(aio_write64, aio_write64, ABI_SINCE_aio_write);

AIO_EXPORT int
lio_listio64(int mode, struct aiocb64 *const list[], int nent, struct sigevent *sig)
{
	ABI_FORGET_NONNULL(list);
	return listio_submit(mode, (struct aiocb *const *)list, nent, sig, ABI_ENTRY_AIOCB64);
}
ABI_VERSIONS_OF(lio_listio64, lio_listio64, ABI_SINCE_lio_listio);

/* The plain functions, through the hidden aliases AIO_EXPORT_64 made. */
extern __typeof(aio_fsync) abi_internal_aio_fsync;
extern __typeof(aio_error) abi_internal_aio_error;
extern __typeof(aio_return) abi_internal_aio_return;
extern __typeof(aio_cancel) abi_internal_aio_cancel;
extern __typeof(aio_suspend) abi_internal_aio_suspend;

AIO_EXPORT int
aio_fsync64(int operation, struct aiocb64 *aiocbp)
{
	return abi_internal_aio_fsync(operation, (struct aiocb *)aiocbp);
}
ABI_VERSIONS_OF(aio_fsync64, aio_fsync64, ABI_SINCE_aio_fsync);

AIO_EXPORT int
aio_error64(const struct aiocb64 *aiocbp)
{
	return abi_internal_aio_error((const struct aiocb *)aiocbp);
}
ABI_VERSIONS_OF(aio_error64, aio_error64, ABI_SINCE_aio_error);

AIO_EXPORT ssize_t
aio_return64(struct aiocb64 *aiocbp)
{
	return abi_internal_aio_return((struct aiocb *)aiocbp);
}
ABI_VERSIONS_OF(aio_return64, aio_return64, ABI_SINCE_aio_return);

AIO_EXPORT int
aio_cancel64(int fildes, struct aiocb64 *aiocbp)
{
	return abi_internal_aio_cancel(fildes, (struct aiocb *)aiocbp);
}
ABI_VERSIONS_OF(aio_cancel64, aio_cancel64, ABI_SINCE_aio_cancel);

/* The plain struct timespec: aio_suspend64 is aio_suspend with aiocb64s
 * (glibc's <aio.h> does not send programs built with _TIME_BITS=64 here:
 * aio_suspend is __aio_suspend_time64 for them, aio_suspend64 stays this). */
AIO_EXPORT int
aio_suspend64(const struct aiocb64 *const list[], int nent, const struct timespec *timeout)
{
	return abi_internal_aio_suspend((const struct aiocb *const *)list, nent, timeout);
}
ABI_VERSIONS_OF(aio_suspend64, aio_suspend64, ABI_SINCE_aio_suspend);

#endif /* ABI_SEPARATE_AIOCB64 */

#if ABI_TIME64_ENTRIES
/* No declaration in any header the library sees: <aio.h> names it only
 * for programs built with _TIME_BITS=64, as the assembler name of their
 * aio_suspend. */
int __aio_suspend_time64(const struct aiocb *const list[], int nent,
			 const struct abi_timespec64 *timeout);

/* The padding after tv_nsec is the caller's garbage: never read. */
AIO_EXPORT int
__aio_suspend_time64(const struct aiocb *const list[], int nent,
		     const struct abi_timespec64 *timeout)
{
	ABI_FORGET_NONNULL(list);
	struct abi_timeout wide;
	return suspend_wait(list, nent, ABI_WIDEN_TIMESPEC(timeout, &wide));
}
/* New in glibc 2.34: at that version only, which the version script
 * gives it. */
#endif

/* --- the extensions' twins ------------------------------------------------ */

AIO_EXPORT int
aio_readv64(struct aiocb64 *aiocbp)
{
	return submit_aiocb((struct aiocb *)aiocbp, OP_READ, ABI_ENTRY_AIOCB64, REQUEST_VECTORED);
}

AIO_EXPORT int
aio_writev64(struct aiocb64 *aiocbp)
{
	return submit_aiocb((struct aiocb *)aiocbp, OP_WRITE, ABI_ENTRY_AIOCB64, REQUEST_VECTORED);
}

AIO_EXPORT int
aio_read2_64(struct aiocb64 *aiocbp, int flags)
{
	return submit_op2((struct aiocb *)aiocbp, OP_READ, flags, ABI_ENTRY_AIOCB64);
}

AIO_EXPORT int
aio_write2_64(struct aiocb64 *aiocbp, int flags)
{
	return submit_op2((struct aiocb *)aiocbp, OP_WRITE, flags, ABI_ENTRY_AIOCB64);
}

AIO_EXPORT int
aio_mlock64(struct aiocb64 *aiocbp)
{
	return submit_aiocb((struct aiocb *)aiocbp, OP_MLOCK, ABI_ENTRY_AIOCB64, 0);
}

AIO_EXPORT ssize_t
aio_waitcomplete64(struct aiocb64 **iocbp, struct timespec *timeout)
{
	struct abi_timeout wide;
	return process_waitcomplete((struct aiocb **)iocbp, ABI_WIDEN_TIMESPEC(timeout, &wide));
}

AIO_EXPORT int
aio_waitn64(struct aiocb64 *list[], unsigned int nent, unsigned int *nwait,
	    const struct timespec *timeout)
{
	struct abi_timeout wide;
	return process_waitn((struct aiocb **)list, nent, nwait, ABI_WIDEN_TIMESPEC(timeout, &wide));
}

AIO_EXPORT int
aioread64(int fildes, char *bufp, int bufs, off64_t offset, int whence, aio_result_t *resultp)
{
	return solaris_submit(fildes, bufp, bufs, offset, whence, resultp, OP_READ);
}

AIO_EXPORT int
aiowrite64(int fildes, const char *bufp, int bufs, off64_t offset, int whence,
	   aio_result_t *resultp)
{
	return solaris_submit(fildes, (char *)bufp, bufs, offset, whence, resultp, OP_WRITE);
}

#if ABI_TIME64_ENTRIES
/* Declared for programs built with _TIME_BITS=64 only, as the assembler
 * names of the plain ones (and of aio_waitcomplete64 and aio_waitn64). */
ssize_t __aio_waitcomplete_time64(struct aiocb **iocbp, struct abi_timespec64 *timeout);
int __aio_waitn_time64(struct aiocb *list[], unsigned int nent, unsigned int *nwait,
		       const struct abi_timespec64 *timeout);
int __aio_queue_reap_time64(int queue, struct aio_completion *completions, unsigned int max,
			    unsigned int min, const struct abi_timespec64 *timeout);
aio_result_t *__aiowait_time64(const struct abi_timeval64 *timeout);

AIO_EXPORT ssize_t
__aio_waitcomplete_time64(struct aiocb **iocbp, struct abi_timespec64 *timeout)
{
	struct abi_timeout wide;
	return process_waitcomplete(iocbp, ABI_WIDEN_TIMESPEC(timeout, &wide));
}

AIO_EXPORT int
__aio_waitn_time64(struct aiocb *list[], unsigned int nent, unsigned int *nwait,
		   const struct abi_timespec64 *timeout)
{
	struct abi_timeout wide;
	return process_waitn(list, nent, nwait, ABI_WIDEN_TIMESPEC(timeout, &wide));
}

AIO_EXPORT int
__aio_queue_reap_time64(int queue, struct aio_completion *completions, unsigned int max,
			unsigned int min, const struct abi_timespec64 *timeout)
{
	struct abi_timeout wide;
	return completion_queue_reap(queue, completions, max, min,
				     ABI_WIDEN_TIMESPEC(timeout, &wide));
}

AIO_EXPORT aio_result_t *
__aiowait_time64(const struct abi_timeval64 *timeout)
{
	struct abi_timeout wide;
	return solaris_wait(ABI_WIDEN_TIMEVAL(timeout, &wide));
}
#endif
