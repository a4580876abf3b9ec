/* plain-aio-program: an ordinary glibc aio user.  It knows only the system
 * <aio.h>; built twice: once without libaio-posix (plain-aio-program, run
 * with and without LD_PRELOAD) and once linked with it (linked-aio-program).
 *
 * It does an aio_write + aio_read round trip in a temporary file, then says
 * who served aio_read, one "key=value" per line:
 *   roundtrip=ok|failed
 *   aio_read=<file of the object that defines dlsym(RTLD_DEFAULT, "aio_read")>
 *   aio_read_bound=<file of the object behind the aio_read this program calls>
 *   aio_posix_version=<string>|none
 * Exit status 0 when the round trip succeeded. */
#define _GNU_SOURCE
#include <aio.h>
#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "aiocb-util.h"

static int
wait_for(struct aiocb *cb)
{
	const struct aiocb *list[1] = { cb };
	while (aio_error(cb) == EINPROGRESS)
		if (aio_suspend(list, 1, NULL) != 0 && errno != EINTR)
			return -1;
	return aio_error(cb);
}

static int
round_trip(void)
{
	char path[] = "/tmp/aio-posix-plain-XXXXXX";
	int fd = mkstemp(path);
	if (fd < 0)
		return -1;
	unlink(path);

	static char out[8192], in[8192];
	for (size_t i = 0; i < sizeof out; i++)
		out[i] = (char)(i * 31 + 7);

	struct aiocb cb;
	test_prepare(&cb, fd, out, sizeof out, 100);
	if (aio_write(&cb) != 0 || wait_for(&cb) != 0 || aio_return(&cb) != (ssize_t)sizeof out)
		goto fail;

	test_prepare(&cb, fd, in, sizeof in, 100);
	if (aio_read(&cb) != 0 || wait_for(&cb) != 0 || aio_return(&cb) != (ssize_t)sizeof in)
		goto fail;
	if (memcmp(in, out, sizeof in) != 0)
		goto fail;
	close(fd);
	return 0;
fail:
	close(fd);
	return -1;
}

int
main(void)
{
	int ok = round_trip() == 0;
	printf("roundtrip=%s\n", ok ? "ok" : "failed");
	printf("aio_read=%s\n", object_of(dlsym(RTLD_DEFAULT, "aio_read")));
	printf("aio_read_bound=%s\n", object_of((void *)aio_read));
	const char *(*version)(void) =
		(const char *(*)(void))dlsym(RTLD_DEFAULT, "aio_posix_version");
	printf("aio_posix_version=%s\n", version ? version() : "none");
	fflush(stdout);
	return ok ? EXIT_SUCCESS : EXIT_FAILURE;
}
