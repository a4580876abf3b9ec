/* testutil.h: small helpers shared by the Check suites. */
#ifndef AIO_POSIX_TESTUTIL_H
#define AIO_POSIX_TESTUTIL_H

#include <aio.h>
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* A fresh temporary regular file, already unlinked; returns its fd. */
static inline int
test_temp_file(void)
{
	char path[] = "/tmp/aio-posix-test-XXXXXX";
	int fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	unlink(path);
	return fd;
}

/* Deterministic bytes for (seed, offset): every read-back can be verified. */
static inline unsigned char
test_pattern_byte(unsigned seed, uint64_t offset)
{
	uint64_t x = (offset + 1) * UINT64_C(0x9e3779b97f4a7c15) ^ ((uint64_t)seed << 32 | seed);
	x ^= x >> 29;
	return (unsigned char)(x * UINT64_C(0xbf58476d1ce4e5b9) >> 56);
}

static inline void
test_pattern_fill(void *buffer, size_t length, unsigned seed, uint64_t offset)
{
	unsigned char *p = buffer;
	for (size_t i = 0; i < length; i++)
		p[i] = test_pattern_byte(seed, offset + i);
}

static inline int
test_pattern_check(const void *buffer, size_t length, unsigned seed, uint64_t offset)
{
	const unsigned char *p = buffer;
	for (size_t i = 0; i < length; i++)
		if (p[i] != test_pattern_byte(seed, offset + i))
			return 0;
	return 1;
}

/* Wait for one request with aio_suspend (no sleeping), then return its
 * aio_return value; asserts it ended with the expected error code. */
static inline ssize_t
test_wait(struct aiocb *cb, int expected_error)
{
	const struct aiocb *list[1] = { cb };
	while (aio_error(cb) == EINPROGRESS) {
		int rc = aio_suspend(list, 1, NULL);
		ck_assert_msg(rc == 0 || errno == EINTR, "aio_suspend: %s", strerror(errno));
	}
	ck_assert_int_eq(aio_error(cb), expected_error);
	return aio_return(cb);
}

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

/* A plain blocking write that insists on the full length. */
static inline void
test_write_all(int fd, const void *data, size_t length)
{
	const char *p = data;
	while (length > 0) {
		ssize_t n = write(fd, p, length);
		if (n < 0 && errno == EINTR)
			continue;
		ck_assert_msg(n > 0, "write: %s", strerror(errno));
		p += n;
		length -= (size_t)n;
	}
}

/* A fresh temporary file holding length bytes of test_pattern_fill(seed,
 * from offset 0); returns its fd. */
static inline int
test_pattern_file(size_t length, unsigned seed)
{
	int fd = test_temp_file();
	unsigned char *data = malloc(length);
	ck_assert_ptr_nonnull(data);
	test_pattern_fill(data, length, seed, 0);
	test_write_all(fd, data, length);
	free(data);
	return fd;
}

/* Run a suite and turn its result into an exit status. */
static inline int
test_run_suite(Suite *suite)
{
	SRunner *runner = srunner_create(suite);
	srunner_run_all(runner, CK_NORMAL);
	int failed = srunner_ntests_failed(runner);
	srunner_free(runner);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

#endif
