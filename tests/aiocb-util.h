/* aiocb-util.h: what every program of tests/ shares, the Check suites
 * (through testutil.h) and the helper programs of test-preload alike,
 * which are built against the system <aio.h> and libc alone: nothing of
 * the library nor of Check here. */
#ifndef AIO_POSIX_AIOCB_UTIL_H
#define AIO_POSIX_AIOCB_UTIL_H

#include <aio.h>
#include <dlfcn.h>
#include <stddef.h>
#include <string.h>

/* A zeroed aiocb for length bytes at offset of fd, without notification. */
static inline void
test_prepare(struct aiocb *cb, int fd, void *buffer, size_t length, off_t offset)
{
	memset(cb, 0, sizeof *cb);
	cb->aio_fildes = fd;
	cb->aio_buf = buffer;
	cb->aio_nbytes = length;
	cb->aio_offset = offset;
	cb->aio_sigevent.sigev_notify = SIGEV_NONE;
}

/* The file of the object that defines address, as the loader has it. */
static inline const char *
object_of(void *address)
{
	Dl_info info;
	if (address == NULL || dladdr(address, &info) == 0 || info.dli_fname == NULL)
		return "unknown";
	return info.dli_fname;
}

#endif
