/* publish.c: the futex aio_suspend sleeps on, the count of places under
 * the request cap, and the library's fds high in the table.
 *
 * The futex.  completion_count goes up, and a wake system call is made,
 * only when waiter_count says someone may sleep.  A publisher stores its
 * results (release), then a sequentially consistent fence, then reads
 * waiter_count.  A waiter adds itself to waiter_count (sequentially
 * consistent), fences, reads completion_count, checks its aiocbs and
 * sleeps only while completion_count is unchanged.  This is Dekker's
 * pattern: either the publisher sees the waiter and wakes it, or the
 * waiter's check sees the published result.  So a completion nobody waits
 * for costs one fence, and one per batch when a backend publishes many.
 *
 * The places.  places counts requests admitted whose result is not yet
 * public; admission takes, publication gives back (the aiocb may be
 * resubmitted at once, before the library has settled the old request).
 * lane.c takes places in chunks for each thread, so that most admissions
 * touch no shared line.
 *
 * Everything here is async-signal-safe.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/resource.h>
#include <unistd.h>

#include "futex.h"
#include "publish.h"
#include "support.h"

static int completion_count;	/* the futex word */
static int waiter_count;
static int places;


void
publish_wake(void)
{
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (__atomic_load_n(&waiter_count, __ATOMIC_RELAXED) > 0) {
		__atomic_fetch_add(&completion_count, 1, __ATOMIC_SEQ_CST);
		futex_wake_all(&completion_count);
	}
}

bool
publish_any_done(const struct aiocb *const list[], int count)
{
	for (int i = 0; i < count; i++) {
		const struct aiocb *cb = list[i];
		if (cb && (!abi_was_submitted(cb) || abi_error_code(cb) != EINPROGRESS))
			return true;
	}
	return false;
}

void
publish_unregister(bool *registered)
{
	if (*registered) {
		*registered = false;
		__atomic_fetch_sub(&waiter_count, 1, __ATOMIC_SEQ_CST);
	}
}

const int *
publish_wait_begin(bool *registered, int *seen)
{
	__atomic_fetch_add(&waiter_count, 1, __ATOMIC_SEQ_CST);
	*registered = true;
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	*seen = __atomic_load_n(&completion_count, __ATOMIC_SEQ_CST);
	return &completion_count;
}

bool
places_take(int count, int limit)
{
	int now = __atomic_load_n(&places, __ATOMIC_RELAXED);
	do {
		if (count > limit - now)
			return false;
	} while (!__atomic_compare_exchange_n(&places, &now, now + count, true,
					      __ATOMIC_RELAXED, __ATOMIC_RELAXED));
	return true;
}

void
places_give(int count)
{
	if (count)
		__atomic_sub_fetch(&places, count, __ATOMIC_RELAXED);
}

struct transit_count in_transit[LANES_MAX];

long
transit_pending(void)
{
	long sum = 0;
	for (unsigned i = 0; i < LANES_MAX; i++)
		sum += __atomic_load_n(&in_transit[i].count, __ATOMIC_ACQUIRE);
	return sum;
}

void
publish_after_fork_child(void)
{
	/* The record forgot everything, and was told of nothing. */
	for (unsigned i = 0; i < LANES_MAX; i++)
		__atomic_store_n(&in_transit[i].count, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&waiter_count, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&places, 0, __ATOMIC_RELAXED);
}

int
private_fd_floor(void)
{
	static int floor;	/* atomic: 0 until first asked */
	int known = __atomic_load_n(&floor, __ATOMIC_RELAXED);
	if (known)
		return known;
	/* A quarter of the limit below it, at most 4096: high enough that a
	 * program's next open() does not expect it, low enough to exist. */
	struct rlimit files;
	if (getrlimit(RLIMIT_NOFILE, &files) == 0 && files.rlim_cur != RLIM_INFINITY) {
		rlim_t high = files.rlim_cur - files.rlim_cur / 4;
		known = high > 4096 ? 4096 : high < 3 ? 3 : (int)high;
	} else {
		known = 4096;
	}
	__atomic_store_n(&floor, known, __ATOMIC_RELAXED);
	return known;
}

int
fd_move_high(int fd)
{
	int high = fcntl(fd, F_DUPFD_CLOEXEC, private_fd_floor());
	if (high < 0)
		return fd;
	close(fd);
	return high;
}
