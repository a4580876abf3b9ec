/* api.h: what the files of the API layer share: building requests, and
 * the work behind the exported names whose ABIs differ (compat.c calls
 * these for the *64 names, the 64-bit-time and the pre-2.4 ones).
 * entry_abi says how the entry point was given its aiocbs (ABI_ENTRY_*,
 * abi.h).  Each returns what its exported function returns.
 */
#ifndef AIO_POSIX_API_H
#define AIO_POSIX_API_H

#include "aio-posix/asynch.h"
#include "request.h"

/* Build a request from an aiocb, for op with request_flags (enum
 * request_flags, request.h); false with errno set.  On success the aiocb
 * is claimed: it reads EINPROGRESS from then on (submit.c).  On failure
 * req may hold a vector copy: request_free frees it.
 * flags_cache, if not NULL, remembers {fd, F_GETFL flags} across calls
 * within one lio_listio; start it at {-2, 0}. */
bool request_prepare(struct request *req, struct aiocb *cb, enum request_op op,
		     unsigned entry_abi, unsigned request_flags, int *flags_cache);
/* Give back a request that was never admitted: its aiocb is restored, its
 * notification released, its memory freed. */
void request_discard(struct request *req);

/* aio_read, aio_write, aio_fsync (submit.c), and the porting extensions
 * (submit.c, solaris.c) with their request_flags. */
int submit_aiocb(struct aiocb *cb, enum request_op op, unsigned entry_abi,
		 unsigned request_flags);
/* lio_listio (listio.c). */
int listio_submit(int mode, struct aiocb *const list[], int nent, struct sigevent *event,
		  unsigned entry_abi);
/* aio_suspend, with a timeout wide enough for every ABI (suspend.c). */
int suspend_wait(const struct aiocb *const list[], int nent, const struct abi_timeout *timeout);

/* The porting extensions' work, likewise (the twins of <aio-posix.h> and
 * <aio-posix/asynch.h>).  aio_read2 and aio_write2 (submit.c): */
int submit_op2(struct aiocb *cb, enum request_op op, int flags, unsigned entry_abi);
/* aio_waitcomplete and aio_waitn (waitcomplete.c): */
ssize_t process_waitcomplete(struct aiocb **iocbp, const struct abi_timeout *timeout);
int process_waitn(struct aiocb *list[], unsigned nent, unsigned *nwait,
		  const struct abi_timeout *timeout);
/* aio_queue_reap (completion-queue.c): */
int completion_queue_reap(int queue, struct aio_completion *completions, unsigned max,
			  unsigned min, const struct abi_timeout *timeout);
/* aioread and aiowrite, with a 64-bit offset, and aiowait (solaris.c): */
int solaris_submit(int fd, void *buffer, int length, int64_t offset, int whence,
		   aio_result_t *result, enum request_op op);
aio_result_t *solaris_wait(const struct abi_timeout *timeout);

#endif
