/* io-util.h: helpers for the I/O suites (read/write, error/return, fsync,
 * abi, stress) on top of testutil.h. */
#ifndef AIO_POSIX_IO_UTIL_H
#define AIO_POSIX_IO_UTIL_H

#include "testutil.h"

#include <limits.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/types.h>

/* Wait, with aio_suspend only, until none of the count requests is still in
 * progress.  NULL entries are skipped. */
static inline void
io_wait_all(struct aiocb *const *cbs, int count)
{
	const struct aiocb **pending = calloc((size_t)(count > 0 ? count : 1), sizeof *pending);
	ck_assert_ptr_nonnull(pending);
	for (;;) {
		int n = 0;
		for (int i = 0; i < count; i++)
			if (cbs[i] != NULL && aio_error(cbs[i]) == EINPROGRESS)
				pending[n++] = cbs[i];
		if (n == 0)
			break;
		int rc = aio_suspend(pending, n, NULL);
		ck_assert_msg(rc == 0 || errno == EINTR, "aio_suspend: %s", strerror(errno));
	}
	free(pending);
}

/* A temporary regular file opened with flags; its path is unlinked at once. */
static inline int
io_temp_file_flags(int flags)
{
	char path[] = "/tmp/aio-posix-io-XXXXXX";
	int fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	close(fd);
	fd = open(path, flags);
	ck_assert_msg(fd >= 0, "open %s: %s", path, strerror(errno));
	unlink(path);
	return fd;
}

/* A file descriptor number that was open and is closed now.  It is taken
 * well above the lowest free numbers, so that nothing the library opens later
 * (an eventfd, a pipe) can land on it by chance. */
static inline int
io_closed_fd(void)
{
	int fd = open("/dev/null", O_RDONLY);
	ck_assert_int_ge(fd, 0);
	int high = fcntl(fd, F_DUPFD, 700);
	ck_assert_int_ge(high, 700);
	ck_assert_int_eq(close(fd), 0);
	ck_assert_int_eq(close(high), 0);
	ck_assert_int_eq(fcntl(high, F_GETFD), -1);
	return high;
}

/* A plain blocking read that insists on the full length. */

static inline void
io_read_all(int fd, void *buffer, size_t length)
{
	char *p = buffer;
	while (length > 0) {
		ssize_t n = read(fd, p, length);
		if (n < 0 && errno == EINTR)
			continue;
		ck_assert_msg(n > 0, "read: %s", n == 0 ? "unexpected end of file" : strerror(errno));
		p += n;
		length -= (size_t)n;
	}
}

static inline void
io_pread_all(int fd, void *buffer, size_t length, off64_t offset)
{
	char *p = buffer;
	while (length > 0) {
		ssize_t n = pread64(fd, p, length, offset);
		if (n < 0 && errno == EINTR)
			continue;
		ck_assert_msg(n > 0, "pread: %s", n == 0 ? "unexpected end of file" : strerror(errno));
		p += n;
		length -= (size_t)n;
		offset += n;
	}
}

static inline void
io_pwrite_all(int fd, const void *buffer, size_t length, off64_t offset)
{
	const char *p = buffer;
	while (length > 0) {
		ssize_t n = pwrite64(fd, p, length, offset);
		if (n < 0 && errno == EINTR)
			continue;
		ck_assert_msg(n > 0, "pwrite: %s", strerror(errno));
		p += n;
		length -= (size_t)n;
		offset += n;
	}
}

/* Offsets and sizes are 64 bits wide in every build (the *64 names reach
 * beyond 2 GiB even where off_t has 32 bits). */
static inline off64_t
io_file_size(int fd)
{
	struct stat64 st;
	ck_assert_int_eq(fstat64(fd, &st), 0);
	return st.st_size;
}

/* A TCase with a timeout, added to suite. */
static inline TCase *
io_tcase(Suite *suite, const char *name, double timeout)
{
	TCase *tc = tcase_create(name);
	tcase_set_timeout(tc, timeout);
	suite_add_tcase(suite, tc);
	return tc;
}

#endif
