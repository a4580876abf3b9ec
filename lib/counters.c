/* counters.c: the statistics' counters (support.h): raising a peak, and
 * summing a field over the lanes.  Relaxed atomics: each counter is exact
 * on its own, a sum of several is not taken at one instant.  Where the
 * counters live is report.c's business.
 */
#include "config.h"

#include "support.h"

void
stats_raise_peak(unsigned long long *peak, unsigned long long value)
{
	unsigned long long seen = __atomic_load_n(peak, __ATOMIC_RELAXED);
	while (value > seen &&
	       !__atomic_compare_exchange_n(peak, &seen, value, true,
					    __ATOMIC_RELAXED, __ATOMIC_RELAXED))
		;
}

unsigned long long
stats_sum(const struct stats *s, size_t field_offset)
{
	unsigned long long sum = 0;
	for (int i = 0; i < LANES_MAX; i++) {
		const unsigned long long *field =
			(const void *)((const char *)&s->lanes[i] + field_offset);
		sum += __atomic_load_n(field, __ATOMIC_RELAXED);
	}
	return sum;
}
