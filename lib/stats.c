/* stats.c: what the library has done in this process, for the statistics
 * API of <aio-posix.h>.
 *
 * Plain counters updated with relaxed atomic operations: each is exact on
 * its own, but a snapshot of several is not taken at one instant (a request
 * may show as completed and still be counted in flight for a moment).  The
 * peaks are raised with a compare-and-swap loop.  No lock, so the getter is
 * async-signal-safe once the library has been used (its first call may set
 * the library up).  Where the counters live is report.c's business; a fork
 * child starts from zero.
 */
#include "config.h"

#include <errno.h>
#include <string.h>

#include "aio-posix.h"
#include "engine.h"

void
stats_raise_peak(unsigned long long *peak, unsigned long long value)
{
	unsigned long long seen = __atomic_load_n(peak, __ATOMIC_RELAXED);
	while (value > seen &&
	       !__atomic_compare_exchange_n(peak, &seen, value, true,
					    __ATOMIC_RELAXED, __ATOMIC_RELAXED))
		;
}

/* The first version of struct aio_posix_stats ends after backend. */
#define FIRST_VERSION_SIZE (offsetof(struct aio_posix_stats, backend) + 16)

AIO_EXPORT int
aio_posix_get_stats(struct aio_posix_stats *out, size_t size)
{
	if (!out || size < FIRST_VERSION_SIZE) {
		errno = EINVAL;
		return -1;
	}
	engine_init();		/* so that backend names the one chosen */
	struct aio_posix_stats now;
	memset(&now, 0, sizeof now);
	const struct stats *s = __atomic_load_n(&stats_live, __ATOMIC_ACQUIRE);
#define READ(field) now.field = __atomic_load_n(&s->field, __ATOMIC_RELAXED)
	READ(reads);
	READ(writes);
	READ(syncs);
	READ(completed);
	READ(failed);
	READ(cancelled);
	READ(notifications);
	READ(in_flight);
	READ(peak_in_flight);
	READ(threads);
	READ(peak_threads);
	READ(completed_at_submission);
#undef READ
	strncpy(now.backend, config_backend_name(s->backend), sizeof now.backend - 1);
	memcpy(out, &now, size < sizeof now ? size : sizeof now);
	return 0;
}
