/* futex.h: the two futex calls the library needs, as raw system calls.
 *
 * Both are async-signal-safe, which is why aio_suspend and lio_listio wait
 * here and not on a condition variable. */
#ifndef AIO_POSIX_FUTEX_H
#define AIO_POSIX_FUTEX_H

#include <errno.h>

#include "fault.h"
#include <limits.h>
#include <linux/futex.h>
#include <stddef.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

/* Sleep while *word == expected, until the absolute CLOCK_MONOTONIC time
 * deadline (NULL: no deadline).  Returns 0 or an errno value (EAGAIN when the
 * word had already changed, ETIMEDOUT, EINTR).
 *
 * With a deadline the kernel never restarts the wait after a signal handler
 * ran, whatever SA_RESTART says: the caller sees EINTR.  Without one it is
 * restarted under SA_RESTART. */
static inline int
futex_wait_until(const int *word, int expected, const struct timespec *deadline)
{
	if (FAULT(FAULT_FUTEX_WAIT))
		return 0;	/* a spurious wake-up: callers must look again */
	long rc = syscall(SYS_futex, word, FUTEX_WAIT_BITSET | FUTEX_PRIVATE_FLAG,
			  expected, deadline, NULL, FUTEX_BITSET_MATCH_ANY);
	return rc == 0 ? 0 : errno;
}

static inline void
futex_wake_all(const int *word)
{
	syscall(SYS_futex, word, FUTEX_WAKE | FUTEX_PRIVATE_FLAG, INT_MAX, NULL, NULL, 0);
}

#endif
