/* stats.c: aio_posix_get_stats, what the library has done in this
 * process.
 *
 * Plain counters updated with relaxed atomic operations, most of them per
 * submission lane (support.h), summed here: each sum is exact on its own,
 * but a snapshot of several is not taken at one instant (a request may show
 * as completed and still be counted in flight for a moment).  in_flight is
 * admitted less finished.  peak_in_flight is the sum of the lanes' peaks:
 * exact for a program that submits from one thread, an upper bound
 * otherwise.  No lock, so the getter is async-signal-safe once the library
 * has been used (its first call may set the library up).  The counters
 * themselves are counters.c's; a fork child starts from zero.
 */
#include "config.h"

#include <errno.h>
#include <string.h>

#include "aio-posix.h"
#include "finish.h"
#include "support.h"

/* The first version of struct aio_posix_stats ends after backend. */
#define FIRST_VERSION_SIZE (offsetof(struct aio_posix_stats, backend) + 16)

AIO_EXPORT int
aio_posix_get_stats(struct aio_posix_stats *out, size_t size)
{
	if (!out || size < FIRST_VERSION_SIZE) {
		errno = EINVAL;
		return -1;
	}
	library_init();		/* so that backend names the one chosen */
	struct aio_posix_stats now;
	memset(&now, 0, sizeof now);
	const struct stats *s = __atomic_load_n(&stats_live, __ATOMIC_ACQUIRE);
	now.reads = STATS_SUM(s, reads);
	now.writes = STATS_SUM(s, writes);
	now.syncs = STATS_SUM(s, syncs);
	now.completed = STATS_SUM(s, completed);
	now.failed = STATS_SUM(s, failed);
	now.cancelled = STATS_SUM(s, cancelled);
	now.notifications = __atomic_load_n(&s->notifications, __ATOMIC_RELAXED);
	/* finished is read first: in_flight never comes out negative. */
	unsigned long long finished = STATS_SUM(s, finished);
	unsigned long long admitted = STATS_SUM(s, admitted);
	now.in_flight = admitted > finished ? admitted - finished : 0;
	now.peak_in_flight = STATS_SUM(s, peak_in_flight);
	now.threads = __atomic_load_n(&s->threads, __ATOMIC_RELAXED);
	now.peak_threads = __atomic_load_n(&s->peak_threads, __ATOMIC_RELAXED);
	now.completed_at_submission = STATS_SUM(s, completed_at_submission);
	now.submit_calls = STATS_SUM(s, submit_calls);
	now.lock_waits = __atomic_load_n(&s->lock_waits, __ATOMIC_RELAXED);
	strncpy(now.backend, config_backend_name(s->backend), sizeof now.backend - 1);
	memcpy(out, &now, size < sizeof now ? size : sizeof now);
	return 0;
}
