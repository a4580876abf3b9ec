/* uring-works: exit 0 when the library runs on io_uring here (AIO_POSIX_BACKEND
 * unset means auto), 1 when it fell back to threads, and then say why on
 * stdout, in one line.  tests/local.mk asks it once, to know whether the
 * uring run of each test can happen; tests/each-backend.sh prints the
 * reason in every test's log. */
#include <config.h>

#include <aio-posix.h>
#include <errno.h>
#include <linux/io_uring.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

int
main(void)
{
	struct aio_posix_stats stats;
	if (aio_posix_get_stats(&stats, sizeof stats) != 0) {
		printf("aio_posix_get_stats failed: %s\n", strerror(errno));
		return 1;
	}
	if (strcmp(stats.backend, "uring") == 0)
		return 0;
#ifndef HAVE_LIBURING
	printf("the library was built without the io_uring backend (see configure's summary)\n");
#else
	/* Ask the kernel, or the emulator, directly. */
	struct io_uring_params params;
	memset(&params, 0, sizeof params);
	long fd = syscall(SYS_io_uring_setup, 4, &params);
	if (fd < 0)
		printf("io_uring_setup fails with %s (%s)%s\n", strerrorname_np(errno),
		       strerror(errno),
		       errno == ENOSYS ? ": the kernel, or an emulator such as qemu-user, has no io_uring" : "");
	else
		printf("the kernel sets up a ring, but the library chose threads: "
		       "an opcode it needs is missing, or AIO_POSIX_BACKEND says so\n");
#endif
	return 1;
}
