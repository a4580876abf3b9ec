/* residency.c: may a buffer be touched without a fault that waits?
 *
 * When the kernel copies into or out of an application's buffer during a
 * submission (the inline backend's preadv2, or an io_uring entry issued
 * inline in io_uring_enter), a page fault on that buffer is taken right
 * there.  On most pages it is quick; on a page registered with
 * userfaultfd, or a page of a mapped file on a slow device, it can wait
 * without bound, and it would stop the caller inside aio_read (or the
 * thread that flushes a batch, and every request behind it).  Such pages
 * are not resident, so mincore(2) tells them apart.
 *
 * mincore is a system call, so its answers are cached: a table of pages
 * seen resident, each with the tick (a coarse clock, CLOCK_MONOTONIC_COARSE)
 * at which it was seen.  An entry is trusted for TRUST_TICKS (about 100 ms): a buffer used
 * over and over is asked about now and then, not every time, and a page
 * that was resident but was since dropped (MADV_DONTNEED, an unmapped and
 * remapped area) is not trusted for long.  Racy by design: entries are
 * single words written with relaxed atomics, and any value read is one
 * that was true, once.  A wrong "resident" costs a wait in the caller; a
 * wrong "not resident" costs only a hand-off.
 */
#include "config.h"

#include <stdint.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "backend.h"

#define TABLE_SLOTS 4096		/* a power of two: pairs of slots */
#define MAX_PAGES 32			/* larger buffers are never trusted */
#define TRUST_TICKS 10			/* ticks of 10 ms */

static uint64_t table[TABLE_SLOTS];	/* page number << 8 | tick, or 0 */
static long page_bytes;		/* atomic: sysconf(_SC_PAGESIZE) */

static unsigned
coarse_tick(void)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC_COARSE, &now);
	return (unsigned)((uint64_t)now.tv_sec * 100 + now.tv_nsec / 10000000) & 0xff;
}

/* A page's pair of slots: the first of the two.  A multiplicative hash:
 * the buffers of two threads lie in arenas a power of two apart, where
 * the low bits of page numbers repeat (with page ^ page >> 10, 104 of two
 * threads' 128 pages each collided, and every lookup missed). */
static size_t
pair_of(uintptr_t page)
{
	return (size_t)(((uint64_t)page * UINT64_C(0x9E3779B97F4A7C15)) >> 52) & (TABLE_SLOTS - 2);
}

static bool
fresh(uint64_t entry, unsigned tick)
{
	return entry && (unsigned char)(tick - (entry & 0xff)) < TRUST_TICKS;
}

static bool
trusted(uintptr_t page, unsigned tick)
{
	size_t pair = pair_of(page);
	for (size_t i = pair; i < pair + 2; i++) {
		uint64_t entry = __atomic_load_n(&table[i], __ATOMIC_RELAXED);
		if ((entry >> 8) == page && fresh(entry, tick))
			return true;
	}
	return false;
}

/* Note page seen resident: in its pair, over its own entry, else over one
 * no longer trusted, else over the second. */
static void
remember(uintptr_t page, unsigned tick)
{
	size_t pair = pair_of(page), at = pair + 1;
	uint64_t first = __atomic_load_n(&table[pair], __ATOMIC_RELAXED);
	if ((first >> 8) == page || !fresh(first, tick))
		at = pair;
	__atomic_store_n(&table[at], (uint64_t)page << 8 | tick, __ATOMIC_RELAXED);
}

bool
buffer_resident(const void *buffer, size_t length)
{
	if (length == 0)
		return true;
	long page_size = __atomic_load_n(&page_bytes, __ATOMIC_RELAXED);
	if (!page_size) {
		page_size = sysconf(_SC_PAGESIZE);
		__atomic_store_n(&page_bytes, page_size, __ATOMIC_RELAXED);
	}
	uintptr_t first = (uintptr_t)buffer / page_size;
	uintptr_t last = ((uintptr_t)buffer + length - 1) / page_size;
	if (last - first >= MAX_PAGES)
		return false;
	unsigned tick = coarse_tick();
	bool all = true;
	for (uintptr_t page = first; page <= last && all; page++)
		all = trusted(page, tick);
	if (all)
		return true;
	unsigned char resident[MAX_PAGES];
	size_t pages = last - first + 1;
	if (mincore((void *)(first * page_size), pages * page_size, resident) != 0)
		return false;
	for (size_t i = 0; i < pages; i++)
		if (!(resident[i] & 1))
			return false;
	for (uintptr_t page = first; page <= last; page++)
		remember(page, tick);
	return true;
}
