/* testutil.h: small helpers shared by the Check suites. */
#ifndef AIO_POSIX_TESTUTIL_H
#define AIO_POSIX_TESTUTIL_H

/* The *64 names, O_LARGEFILE and mkostemp: include this header first. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

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

#include "aiocb-util.h"

/* NULL where <aio.h> says nonnull, the way an application may pass it: the
 * compiler would act on a literal NULL, and UBSan
 * (-fsanitize=nonnull-attribute) rightly reports a call that passes one to
 * a function declared nonnull.  So the tests that prove the library answers
 * NULL with EINVAL pass it through volatile pointers to the functions,
 * whose type carries no nonnull attribute: nothing the sanitizer may flag,
 * and the library still sees NULL. */
#define TEST_UNANNOTATED static __attribute__((unused))
TEST_UNANNOTATED struct aiocb *volatile null_aiocb;
TEST_UNANNOTATED struct aiocb64 *volatile null_aiocb64;
TEST_UNANNOTATED struct aiocb **volatile null_list;
TEST_UNANNOTATED const struct aiocb **volatile null_const_list;
TEST_UNANNOTATED int (*volatile read_p)(struct aiocb *) = aio_read;
TEST_UNANNOTATED int (*volatile write_p)(struct aiocb *) = aio_write;
TEST_UNANNOTATED int (*volatile fsync_p)(int, struct aiocb *) = aio_fsync;
TEST_UNANNOTATED int (*volatile error_p)(const struct aiocb *) = aio_error;
TEST_UNANNOTATED ssize_t (*volatile return_p)(struct aiocb *) = aio_return;
TEST_UNANNOTATED int (*volatile read64_p)(struct aiocb64 *) = aio_read64;
TEST_UNANNOTATED int (*volatile error64_p)(const struct aiocb64 *) = aio_error64;
TEST_UNANNOTATED ssize_t (*volatile return64_p)(struct aiocb64 *) = aio_return64;
TEST_UNANNOTATED int (*volatile suspend_p)(const struct aiocb *const[], int,
					   const struct timespec *) = aio_suspend;
TEST_UNANNOTATED int (*volatile listio_p)(int, struct aiocb *const[], int,
					  struct sigevent *) = lio_listio;

/* Which struct aiocb this build of the tests has: a plain ILP32 build's
 * has a 32-bit aio_offset and padding after it, and its off_t reaches 2
 * GiB only; the *64 names reach beyond in every build. */
#if __SIZEOF_LONG__ == 4 && !(defined(_FILE_OFFSET_BITS) && _FILE_OFFSET_BITS == 64)
#define PLAIN_ILP32 1
#else
#define PLAIN_ILP32 0
#endif

/* A fresh temporary regular file, already unlinked; returns its fd.  It is
 * O_LARGEFILE in every build, as a program using struct aiocb64 opens its
 * files: without it a 32-bit kernel interface refuses a write beyond 2 GiB
 * (EFBIG), with glibc's aio as with ours. */
static inline int
test_temp_file(void)
{
	char path[] = "/tmp/aio-posix-test-XXXXXX";
	int fd = mkostemp(path, O_LARGEFILE);
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

/* The same for struct aiocb64, whose aio_offset has 64 bits in every
 * build. */
static inline void
test_prepare64(struct aiocb64 *cb, int fd, void *buffer, size_t length, off64_t offset)
{
	memset(cb, 0, sizeof *cb);
	cb->aio_fildes = fd;
	cb->aio_buf = buffer;
	cb->aio_nbytes = length;
	cb->aio_offset = offset;
	cb->aio_sigevent.sigev_notify = SIGEV_NONE;
}

static inline ssize_t
test_wait64(struct aiocb64 *cb, int expected_error)
{
	const struct aiocb64 *list[1] = { cb };
	while (aio_error64(cb) == EINPROGRESS) {
		int rc = aio_suspend64(list, 1, NULL);
		ck_assert_msg(rc == 0 || errno == EINTR, "aio_suspend64: %s", strerror(errno));
	}
	ck_assert_int_eq(aio_error64(cb), expected_error);
	return aio_return64(cb);
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
