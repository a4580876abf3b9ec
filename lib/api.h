/* api.h: what the files of the API layer share: building requests, and
 * the work behind the exported names whose ABIs differ (compat.c calls
 * these for the *64 names, the 64-bit-time and the pre-2.4 ones).
 * entry_abi says how the entry point was given its aiocbs (ABI_ENTRY_*,
 * abi.h).  Each returns what its exported function returns.
 */
#ifndef AIO_POSIX_API_H
#define AIO_POSIX_API_H

#include "request.h"

/* Build a request from an aiocb, for op with request_flags (enum
 * request_flags, collect.h); false with errno set.  On success the aiocb
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
 * (vectored.c, solaris.c) with their request_flags. */
int submit_aiocb(struct aiocb *cb, enum request_op op, unsigned entry_abi,
		 unsigned request_flags);
/* lio_listio (listio.c). */
int listio_submit(int mode, struct aiocb *const list[], int nent, struct sigevent *event,
		  unsigned entry_abi);
/* aio_suspend, with a timeout wide enough for every ABI (suspend.c). */
int suspend_wait(const struct aiocb *const list[], int nent, const struct abi_timeout *timeout);

#endif
