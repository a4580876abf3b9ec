/* uring-works: exit 0 when the library runs on io_uring here (AIO_POSIX_BACKEND
 * unset means auto), 1 when it fell back to threads.  tests/local.mk asks it
 * once, to know whether the uring run of each test can happen. */
#include <aio-posix.h>
#include <string.h>

int
main(void)
{
	struct aio_posix_stats stats;
	if (aio_posix_get_stats(&stats, sizeof stats) != 0)
		return 1;
	return strcmp(stats.backend, "uring") == 0 ? 0 : 1;
}
