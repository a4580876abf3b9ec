/* test-read-write: aio_read and aio_write (and their *64 twins) move the
 * right bytes to the right place, keep stream and O_APPEND order, accept a
 * bad descriptor and report it through aio_error, and refuse invalid input
 * at submission. */
#define _GNU_SOURCE
#include "io-util.h"

#include <limits.h>
#include <stdint.h>
#include <sys/socket.h>

/* Submission must fail at once with EINVAL. */
#define ASSERT_REFUSED(call)                                                    \
	do {                                                                    \
		errno = 0;                                                      \
		int rc_ = (call);                                               \
		int errno_ = errno;                                             \
		ck_assert_msg(rc_ == -1, "%s returned %d, expected -1", #call, rc_); \
		ck_assert_msg(errno_ == EINVAL, "%s: errno %d (%s), expected EINVAL", \
			      #call, errno_, strerror(errno_));                 \
	} while (0)

/* --- regular files ------------------------------------------------------- */

enum { ROUND_TRIP_COUNT = 128 };

START_TEST(test_file_round_trip_many_in_flight)
{
	int fd = test_temp_file();
	static struct aiocb cbs[ROUND_TRIP_COUNT];
	struct aiocb *list[ROUND_TRIP_COUNT];
	unsigned char *out[ROUND_TRIP_COUNT], *in[ROUND_TRIP_COUNT];
	size_t length[ROUND_TRIP_COUNT];
	off_t offset[ROUND_TRIP_COUNT];
	off_t next = 0;

	/* Disjoint ranges of odd sizes, laid out in a scrambled order. */
	for (int i = 0; i < ROUND_TRIP_COUNT; i++) {
		int slot = (i * 37) % ROUND_TRIP_COUNT;
		length[slot] = 1 + (size_t)((i * 7919) % 20000);
	}
	for (int i = 0; i < ROUND_TRIP_COUNT; i++) {
		offset[i] = next;
		next += (off_t)length[i] + 13;
	}

	for (int i = 0; i < ROUND_TRIP_COUNT; i++) {
		out[i] = malloc(length[i]);
		in[i] = malloc(length[i]);
		ck_assert(out[i] != NULL && in[i] != NULL);
		test_pattern_fill(out[i], length[i], 1000u + (unsigned)i, (uint64_t)offset[i]);
		memset(in[i], 0xee, length[i]);
		test_prepare(&cbs[i], fd, out[i], length[i], offset[i]);
		list[i] = &cbs[i];
		ck_assert_int_eq(aio_write(&cbs[i]), 0);
	}
	io_wait_all(list, ROUND_TRIP_COUNT);
	for (int i = 0; i < ROUND_TRIP_COUNT; i++) {
		ck_assert_int_eq(aio_error(&cbs[i]), 0);
		ck_assert_int_eq(aio_return(&cbs[i]), (ssize_t)length[i]);
	}

	/* The file holds exactly what was written (checked without aio). */
	for (int i = 0; i < ROUND_TRIP_COUNT; i++) {
		io_pread_all(fd, in[i], length[i], offset[i]);
		ck_assert_msg(test_pattern_check(in[i], length[i], 1000u + (unsigned)i, (uint64_t)offset[i]),
			      "write %d landed wrong", i);
		memset(in[i], 0xee, length[i]);
	}

	/* Read everything back with aio, all in flight at once. */
	for (int i = 0; i < ROUND_TRIP_COUNT; i++) {
		test_prepare(&cbs[i], fd, in[i], length[i], offset[i]);
		ck_assert_int_eq(aio_read(&cbs[i]), 0);
	}
	io_wait_all(list, ROUND_TRIP_COUNT);
	for (int i = 0; i < ROUND_TRIP_COUNT; i++) {
		ck_assert_int_eq(aio_error(&cbs[i]), 0);
		ck_assert_int_eq(aio_return(&cbs[i]), (ssize_t)length[i]);
		ck_assert_msg(test_pattern_check(in[i], length[i], 1000u + (unsigned)i, (uint64_t)offset[i]),
			      "read %d returned wrong bytes", i);
		free(in[i]);
		free(out[i]);
	}
	close(fd);
}
END_TEST

START_TEST(test_read_at_eof_returns_zero)
{
	int fd = test_temp_file();
	unsigned char data[100], buffer[64];
	test_pattern_fill(data, sizeof data, 7, 0);
	io_pwrite_all(fd, data, sizeof data, 0);

	struct aiocb cb;
	test_prepare(&cb, fd, buffer, sizeof buffer, 100);
	ck_assert_int_eq(aio_read(&cb), 0);
	ck_assert_int_eq(test_wait(&cb, 0), 0);

	test_prepare(&cb, fd, buffer, sizeof buffer, 1 << 20);
	ck_assert_int_eq(aio_read(&cb), 0);
	ck_assert_int_eq(test_wait(&cb, 0), 0);

	/* An empty file too. */
	int empty = test_temp_file();
	test_prepare(&cb, empty, buffer, sizeof buffer, 0);
	ck_assert_int_eq(aio_read(&cb), 0);
	ck_assert_int_eq(test_wait(&cb, 0), 0);
	close(empty);
	close(fd);
}
END_TEST

START_TEST(test_short_read_at_end_of_file)
{
	int fd = test_temp_file();
	unsigned char data[100], buffer[100];
	test_pattern_fill(data, sizeof data, 8, 0);
	io_pwrite_all(fd, data, sizeof data, 0);

	memset(buffer, 0xee, sizeof buffer);
	struct aiocb cb;
	test_prepare(&cb, fd, buffer, sizeof buffer, 60);
	ck_assert_int_eq(aio_read(&cb), 0);
	ck_assert_int_eq(test_wait(&cb, 0), 40);
	ck_assert(test_pattern_check(buffer, 40, 8, 60));
	for (size_t i = 40; i < sizeof buffer; i++)
		ck_assert_int_eq(buffer[i], 0xee);
	close(fd);
}
END_TEST

START_TEST(test_zero_length_requests)
{
	int fd = test_temp_file();
	unsigned char data[16];
	test_pattern_fill(data, sizeof data, 9, 0);
	io_pwrite_all(fd, data, sizeof data, 0);

	struct aiocb cb;
	unsigned char buffer[16];
	test_prepare(&cb, fd, buffer, 0, 0);
	ck_assert_int_eq(aio_read(&cb), 0);
	ck_assert_int_eq(test_wait(&cb, 0), 0);

	test_prepare(&cb, fd, data, 0, 4096);
	ck_assert_int_eq(aio_write(&cb), 0);
	ck_assert_int_eq(test_wait(&cb, 0), 0);
	/* A zero-length write does not extend the file. */
	ck_assert_int_eq(io_file_size(fd), (off_t)sizeof data);

	/* On a pipe as well: nothing to wait for, even with no writer data. */
	int p[2];
	ck_assert_int_eq(pipe(p), 0);
	test_prepare(&cb, p[1], data, 0, 0);
	ck_assert_int_eq(aio_write(&cb), 0);
	ck_assert_int_eq(test_wait(&cb, 0), 0);
	close(p[0]);
	close(p[1]);
	close(fd);
}
END_TEST

START_TEST(test_append_writes_land_in_submission_order)
{
	enum { N = 100, ROUNDS = 20 };
	int fd = io_temp_file_flags(O_RDWR | O_APPEND);
	static struct aiocb cbs[N];
	struct aiocb *list[N];
	static unsigned char blocks[N][700];
	size_t length[N];
	off_t at = 0;
	unsigned char buffer[700];

	for (int round = 0; round < ROUNDS; round++) {
		for (int i = 0; i < N; i++) {
			unsigned seed = 5000u + (unsigned)(round * N + i);
			length[i] = 300 + (size_t)(((round * N + i) * 131) % 400);
			test_pattern_fill(blocks[i], length[i], seed, 0);
			/* The offset must be ignored for O_APPEND. */
			test_prepare(&cbs[i], fd, blocks[i], length[i], (off_t)(N - i) * 4096);
			list[i] = &cbs[i];
			ck_assert_int_eq(aio_write(&cbs[i]), 0);
		}
		io_wait_all(list, N);

		for (int i = 0; i < N; i++) {
			unsigned seed = 5000u + (unsigned)(round * N + i);
			ck_assert_int_eq(aio_error(&cbs[i]), 0);
			ck_assert_int_eq(aio_return(&cbs[i]), (ssize_t)length[i]);
			io_pread_all(fd, buffer, length[i], at);
			ck_assert_msg(test_pattern_check(buffer, length[i], seed, 0),
				      "round %d: append %d is not at offset %lld "
				      "(appends reordered or mixed)", round, i, (long long)at);
			at += (off_t)length[i];
		}
		ck_assert_int_eq(io_file_size(fd), at);
	}
	close(fd);
}
END_TEST

START_TEST(test_priorities_zero_to_max_all_complete)
{
	enum { N = AIO_PRIO_DELTA_MAX + 1, LEN = 3000 };
	int fd = test_temp_file();
	static struct aiocb cbs[N];
	struct aiocb *list[N];
	static unsigned char out[N][LEN], in[N][LEN];

	for (int i = 0; i < N; i++) {
		test_pattern_fill(out[i], LEN, 77, (uint64_t)i * LEN);
		test_prepare(&cbs[i], fd, out[i], LEN, (off_t)i * LEN);
		cbs[i].aio_reqprio = i;
		list[i] = &cbs[i];
		ck_assert_int_eq(aio_write(&cbs[i]), 0);
	}
	io_wait_all(list, N);
	for (int i = 0; i < N; i++) {
		ck_assert_int_eq(aio_error(&cbs[i]), 0);
		ck_assert_int_eq(aio_return(&cbs[i]), LEN);
	}
	for (int i = 0; i < N; i++) {
		test_prepare(&cbs[i], fd, in[i], LEN, (off_t)i * LEN);
		cbs[i].aio_reqprio = AIO_PRIO_DELTA_MAX - i;
		ck_assert_int_eq(aio_read(&cbs[i]), 0);
	}
	io_wait_all(list, N);
	for (int i = 0; i < N; i++) {
		ck_assert_int_eq(aio_error(&cbs[i]), 0);
		ck_assert_int_eq(aio_return(&cbs[i]), LEN);
		ck_assert(test_pattern_check(in[i], LEN, 77, (uint64_t)i * LEN));
	}
	close(fd);
}
END_TEST

/* --- streams: pipes and socket pairs ------------------------------------- */

/* Several writes submitted back to back, together larger than the pipe or
 * socket buffer and each larger than PIPE_BUF: the reader must see them
 * whole and in submission order. */
static void
check_stream_write_order(int write_fd, int read_fd)
{
	enum { N = 16, LEN = 16384 };
	static struct aiocb cbs[N];
	struct aiocb *list[N];
	static unsigned char blocks[N][LEN];
	static unsigned char got[N * LEN];

	for (int i = 0; i < N; i++) {
		test_pattern_fill(blocks[i], LEN, 300u + (unsigned)i, 0);
		/* Offsets are meaningless on a stream and must be ignored. */
		test_prepare(&cbs[i], write_fd, blocks[i], LEN, (off_t)(N - i) * 999983);
		list[i] = &cbs[i];
		ck_assert_int_eq(aio_write(&cbs[i]), 0);
	}
	io_read_all(read_fd, got, sizeof got);
	io_wait_all(list, N);
	for (int i = 0; i < N; i++) {
		ck_assert_int_eq(aio_error(&cbs[i]), 0);
		ck_assert_int_eq(aio_return(&cbs[i]), LEN);
		ck_assert_msg(test_pattern_check(got + (size_t)i * LEN, LEN, 300u + (unsigned)i, 0),
			      "stream block %d out of order or torn", i);
	}
}

/* Several reads queued on an empty stream, then the data arrives in one
 * write: each read gets its share in submission order. */
static void
check_stream_read_order(int read_fd, int write_fd)
{
	enum { N = 8, LEN = 100 };
	static struct aiocb cbs[N];
	struct aiocb *list[N];
	static unsigned char buffers[N][LEN];
	unsigned char data[N * LEN];

	for (int i = 0; i < N; i++) {
		memset(buffers[i], 0xee, LEN);
		test_prepare(&cbs[i], read_fd, buffers[i], LEN, (off_t)i * 1234567);
		list[i] = &cbs[i];
		ck_assert_int_eq(aio_read(&cbs[i]), 0);
	}
	/* Nothing has been written: none of them can have finished. */
	for (int i = 0; i < N; i++)
		ck_assert_int_eq(aio_error(&cbs[i]), EINPROGRESS);

	test_pattern_fill(data, sizeof data, 42, 0);
	test_write_all(write_fd, data, sizeof data);
	io_wait_all(list, N);
	for (int i = 0; i < N; i++) {
		ck_assert_int_eq(aio_error(&cbs[i]), 0);
		ck_assert_int_eq(aio_return(&cbs[i]), LEN);
		ck_assert_msg(test_pattern_check(buffers[i], LEN, 42, (uint64_t)i * LEN),
			      "queued read %d did not get bytes %d..%d", i, i * LEN, (i + 1) * LEN - 1);
	}
}

START_TEST(test_pipe_writes_in_order)
{
	int p[2];
	ck_assert_int_eq(pipe(p), 0);
	for (int round = 0; round < 4; round++)
		check_stream_write_order(p[1], p[0]);
	close(p[0]);
	close(p[1]);
}
END_TEST

START_TEST(test_pipe_reads_in_order)
{
	int p[2];
	ck_assert_int_eq(pipe(p), 0);
	for (int round = 0; round < 10; round++)
		check_stream_read_order(p[0], p[1]);
	close(p[0]);
	close(p[1]);
}
END_TEST

START_TEST(test_socketpair_writes_in_order)
{
	int sv[2];
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	for (int round = 0; round < 4; round++) {
		check_stream_write_order(sv[0], sv[1]);
		check_stream_write_order(sv[1], sv[0]);
	}
	close(sv[0]);
	close(sv[1]);
}
END_TEST

START_TEST(test_socketpair_reads_in_order)
{
	int sv[2];
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	for (int round = 0; round < 10; round++) {
		check_stream_read_order(sv[1], sv[0]);
		check_stream_read_order(sv[0], sv[1]);
	}
	close(sv[0]);
	close(sv[1]);
}
END_TEST

/* --- bad descriptors: accepted, then EBADF -------------------------------- */

START_TEST(test_closed_fd_reports_ebadf)
{
	unsigned char buffer[64] = { 0 };
	struct aiocb cb;
	int fd = io_closed_fd();

	test_prepare(&cb, fd, buffer, sizeof buffer, 0);
	ck_assert_int_eq(aio_read(&cb), 0);
	ck_assert_int_eq(test_wait(&cb, EBADF), -1);

	test_prepare(&cb, fd, buffer, sizeof buffer, 0);
	ck_assert_int_eq(aio_write(&cb), 0);
	ck_assert_int_eq(test_wait(&cb, EBADF), -1);
}
END_TEST

START_TEST(test_wrong_mode_fd_reports_ebadf)
{
	unsigned char buffer[64];
	struct aiocb cb;
	test_pattern_fill(buffer, sizeof buffer, 3, 0);

	int ro = io_temp_file_flags(O_RDONLY);
	test_prepare(&cb, ro, buffer, sizeof buffer, 0);
	ck_assert_int_eq(aio_write(&cb), 0);
	ck_assert_int_eq(test_wait(&cb, EBADF), -1);
	ck_assert_int_eq(io_file_size(ro), 0);
	close(ro);

	int wo = io_temp_file_flags(O_WRONLY);
	io_pwrite_all(wo, buffer, sizeof buffer, 0);
	test_prepare(&cb, wo, buffer, sizeof buffer, 0);
	ck_assert_int_eq(aio_read(&cb), 0);
	ck_assert_int_eq(test_wait(&cb, EBADF), -1);
	close(wo);

	/* The write end of a pipe cannot be read, the read end not written. */
	int p[2];
	ck_assert_int_eq(pipe(p), 0);
	test_prepare(&cb, p[0], buffer, sizeof buffer, 0);
	ck_assert_int_eq(aio_write(&cb), 0);
	ck_assert_int_eq(test_wait(&cb, EBADF), -1);
	test_prepare(&cb, p[1], buffer, sizeof buffer, 0);
	ck_assert_int_eq(aio_read(&cb), 0);
	ck_assert_int_eq(test_wait(&cb, EBADF), -1);
	close(p[0]);
	close(p[1]);
}
END_TEST

/* --- invalid input: refused at submission --------------------------------- */

START_TEST(test_negative_offset_refused)
{
	int fd = test_temp_file();
	unsigned char buffer[32] = { 0 };
	struct aiocb cb;

	test_prepare(&cb, fd, buffer, sizeof buffer, -1);
	ASSERT_REFUSED(aio_read(&cb));
	test_prepare(&cb, fd, buffer, sizeof buffer, -4096);
	ASSERT_REFUSED(aio_write(&cb));
	ck_assert_int_eq(io_file_size(fd), 0);
	close(fd);
}
END_TEST

START_TEST(test_bad_reqprio_refused)
{
	int fd = test_temp_file();
	unsigned char buffer[32] = { 0 };
	struct aiocb cb;
	const int bad[] = { -1, AIO_PRIO_DELTA_MAX + 1, INT_MIN, INT_MAX };

	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		test_prepare(&cb, fd, buffer, sizeof buffer, 0);
		cb.aio_reqprio = bad[i];
		ASSERT_REFUSED(aio_read(&cb));
		test_prepare(&cb, fd, buffer, sizeof buffer, 0);
		cb.aio_reqprio = bad[i];
		ASSERT_REFUSED(aio_write(&cb));
	}
	ck_assert_int_eq(io_file_size(fd), 0);
	close(fd);
}
END_TEST

START_TEST(test_bad_sigevent_refused)
{
	int fd = test_temp_file();
	unsigned char buffer[32] = { 0 };
	struct aiocb cb;

	test_prepare(&cb, fd, buffer, sizeof buffer, 0);
	cb.aio_sigevent.sigev_notify = 12345;
	ASSERT_REFUSED(aio_read(&cb));
	test_prepare(&cb, fd, buffer, sizeof buffer, 0);
	cb.aio_sigevent.sigev_notify = 12345;
	ASSERT_REFUSED(aio_write(&cb));

	const int bad_signals[] = { 65, -1 };
	for (size_t i = 0; i < 2; i++) {
		test_prepare(&cb, fd, buffer, sizeof buffer, 0);
		cb.aio_sigevent.sigev_notify = SIGEV_SIGNAL;
		cb.aio_sigevent.sigev_signo = bad_signals[i];
		ASSERT_REFUSED(aio_read(&cb));
		test_prepare(&cb, fd, buffer, sizeof buffer, 0);
		cb.aio_sigevent.sigev_notify = SIGEV_SIGNAL;
		cb.aio_sigevent.sigev_signo = bad_signals[i];
		ASSERT_REFUSED(aio_write(&cb));
	}
	ck_assert_int_eq(io_file_size(fd), 0);
	close(fd);
}
END_TEST

START_TEST(test_huge_nbytes_refused)
{
	int fd = test_temp_file();
	unsigned char buffer[32] = { 0 };
	struct aiocb cb;

	test_prepare(&cb, fd, buffer, (size_t)SSIZE_MAX + 1, 0);
	ASSERT_REFUSED(aio_read(&cb));
	test_prepare(&cb, fd, buffer, SIZE_MAX, 0);
	ASSERT_REFUSED(aio_write(&cb));
	ck_assert_int_eq(io_file_size(fd), 0);
	close(fd);
}
END_TEST

START_TEST(test_resubmitting_in_flight_aiocb_refused)
{
	int p[2];
	ck_assert_int_eq(pipe(p), 0);
	char buffer[10];
	struct aiocb cb;

	test_prepare(&cb, p[0], buffer, sizeof buffer, 0);
	ck_assert_int_eq(aio_read(&cb), 0);
	ck_assert_int_eq(aio_error(&cb), EINPROGRESS);	/* the pipe is empty */

	ASSERT_REFUSED(aio_read(&cb));
	ASSERT_REFUSED(aio_write(&cb));
	ck_assert_int_eq(aio_error(&cb), EINPROGRESS);

	test_write_all(p[1], "0123456789", 10);
	ck_assert_int_eq(test_wait(&cb, 0), 10);
	ck_assert_int_eq(memcmp(buffer, "0123456789", 10), 0);

	/* Had the refused submission been queued after all, it would steal the
	 * next bytes from the pipe (and this read would never finish). */
	char rest[5];
	test_write_all(p[1], "hello", 5);
	io_read_all(p[0], rest, 5);
	ck_assert_int_eq(memcmp(rest, "hello", 5), 0);

	/* Once finished, the aiocb may be used again. */
	test_prepare(&cb, p[0], buffer, sizeof buffer, 0);
	ck_assert_int_eq(aio_read(&cb), 0);
	test_write_all(p[1], "abc", 3);
	ck_assert_int_eq(test_wait(&cb, 0), 3);
	ck_assert_int_eq(memcmp(buffer, "abc", 3), 0);
	close(p[0]);
	close(p[1]);
}
END_TEST

/* --- the *64 twins -------------------------------------------------------- */

START_TEST(test_largefile64_round_trip)
{
	enum { N = 16, LEN = 4096 };
	int fd = test_temp_file();
	static struct aiocb64 cbs[N];
	static unsigned char out[N][LEN], in[N][LEN];
	/* Beyond 4 GiB, so that a truncated 32-bit offset would show. */
	const off64_t base = ((off64_t)5 << 30) + 123;

	for (int i = 0; i < N; i++) {
		off64_t at = base + (off64_t)i * LEN;
		test_pattern_fill(out[i], LEN, 64, (uint64_t)at);
		test_prepare64(&cbs[i], fd, out[i], LEN, at);
		ck_assert_int_eq(aio_write64(&cbs[i]), 0);
	}
	for (int i = 0; i < N; i++)
		ck_assert_int_eq(test_wait64(&cbs[i], 0), LEN);
	ck_assert_int_eq(io_file_size(fd), base + (off64_t)N * LEN);

	unsigned char check[LEN];
	io_pread_all(fd, check, LEN, base);
	ck_assert(test_pattern_check(check, LEN, 64, (uint64_t)base));

	for (int i = 0; i < N; i++) {
		off64_t at = base + (off64_t)i * LEN;
		test_prepare64(&cbs[i], fd, in[i], LEN, at);
		ck_assert_int_eq(aio_read64(&cbs[i]), 0);
	}
	for (int i = 0; i < N; i++) {
		ck_assert_int_eq(test_wait64(&cbs[i], 0), LEN);
		ck_assert(test_pattern_check(in[i], LEN, 64, (uint64_t)(base + (off64_t)i * LEN)));
	}

	/* Same rules as the plain names: EOF, bad fd, invalid input. */
	test_prepare64(&cbs[0], fd, in[0], LEN, base + (off64_t)N * LEN);
	ck_assert_int_eq(aio_read64(&cbs[0]), 0);
	ck_assert_int_eq(test_wait64(&cbs[0], 0), 0);

	test_prepare64(&cbs[0], io_closed_fd(), in[0], LEN, 0);
	ck_assert_int_eq(aio_write64(&cbs[0]), 0);
	ck_assert_int_eq(test_wait64(&cbs[0], EBADF), -1);

	test_prepare64(&cbs[0], fd, in[0], LEN, -1);
	ASSERT_REFUSED(aio_read64(&cbs[0]));
	test_prepare64(&cbs[0], fd, in[0], LEN, 0);
	cbs[0].aio_reqprio = AIO_PRIO_DELTA_MAX + 1;
	ASSERT_REFUSED(aio_write64(&cbs[0]));
	close(fd);
}
END_TEST

#if PLAIN_ILP32
/* The 4 bytes after a 32-bit aio_offset are the caller's garbage: the plain
 * names read the offset alone, as glibc's do. */
START_TEST(test_plain_offset_ignores_padding)
{
	enum { LEN = 4096, AT = 3 * 4096 + 17 };
	int fd = test_temp_file();
	static unsigned char out[LEN], in[LEN], back[LEN];
	test_pattern_fill(out, LEN, 32, AT);
	struct aiocb cb;

	test_prepare(&cb, fd, out, LEN, AT);
	memset(cb.__pad, 0xff, sizeof cb.__pad);
	ck_assert_int_eq(aio_write(&cb), 0);
	ck_assert_int_eq(test_wait(&cb, 0), LEN);
	io_pread_all(fd, back, LEN, AT);
	ck_assert(test_pattern_check(back, LEN, 32, AT));
	ck_assert_int_eq(io_file_size(fd), AT + LEN);

	test_prepare(&cb, fd, in, LEN, AT);
	memset(cb.__pad, 0x7f, sizeof cb.__pad);
	ck_assert_int_eq(aio_read(&cb), 0);
	ck_assert_int_eq(test_wait(&cb, 0), LEN);
	ck_assert(test_pattern_check(in, LEN, 32, AT));

	/* And in a list. */
	memset(in, 0, sizeof in);
	test_prepare(&cb, fd, in, LEN, AT);
	cb.aio_lio_opcode = LIO_READ;
	memset(cb.__pad, 0x80, sizeof cb.__pad);
	struct aiocb *list[1] = { &cb };
	ck_assert_int_eq(lio_listio(LIO_WAIT, list, 1, NULL), 0);
	ck_assert_int_eq(aio_return(&cb), LEN);
	ck_assert(test_pattern_check(in, LEN, 32, AT));
	close(fd);
}
END_TEST
#endif

/* lio_listio64 reads the 64-bit offsets of struct aiocb64, whatever this
 * build's off_t. */
START_TEST(test_listio64_beyond_4_gib)
{
	enum { N = 4, LEN = 4096 };
	int fd = test_temp_file();
	static struct aiocb64 cbs[N];
	static unsigned char out[N][LEN], in[N][LEN];
	const off64_t base = ((off64_t)9 << 30) + 7;
	struct aiocb64 *list[N];

	for (int i = 0; i < N; i++) {
		off64_t at = base + (off64_t)i * LEN;
		test_pattern_fill(out[i], LEN, 65, (uint64_t)at);
		test_prepare64(&cbs[i], fd, out[i], LEN, at);
		cbs[i].aio_lio_opcode = LIO_WRITE;
		list[i] = &cbs[i];
	}
	ck_assert_int_eq(lio_listio64(LIO_WAIT, list, N, NULL), 0);
	ck_assert_int_eq(io_file_size(fd), base + (off64_t)N * LEN);
	for (int i = 0; i < N; i++) {
		off64_t at = base + (off64_t)i * LEN;
		test_prepare64(&cbs[i], fd, in[i], LEN, at);
		cbs[i].aio_lio_opcode = LIO_READ;
	}
	ck_assert_int_eq(lio_listio64(LIO_WAIT, list, N, NULL), 0);
	for (int i = 0; i < N; i++) {
		ck_assert_int_eq(aio_return64(&cbs[i]), LEN);
		ck_assert(test_pattern_check(in[i], LEN, 65, (uint64_t)(base + (off64_t)i * LEN)));
	}
	close(fd);
}
END_TEST

#if !PLAIN_ILP32
/* Where off_t has 64 bits (LP64, or _FILE_OFFSET_BITS=64 on ILP32, where
 * <aio.h> sends the plain names to the *64 ones), the plain names reach
 * beyond 2 and 4 GiB. */
START_TEST(test_plain_names_beyond_2_gib)
{
	enum { LEN = 8192 };
	int fd = test_temp_file();
	static unsigned char out[2][LEN], in[2][LEN];
	const off_t at[2] = { ((off_t)2 << 30) + 4096 * 3 + 1, ((off_t)6 << 30) + 5 };
	struct aiocb cbs[2];
	struct aiocb *list[2] = { &cbs[0], &cbs[1] };

	test_pattern_fill(out[0], LEN, 66, (uint64_t)at[0]);
	test_prepare(&cbs[0], fd, out[0], LEN, at[0]);
	ck_assert_int_eq(aio_write(&cbs[0]), 0);
	ck_assert_int_eq(test_wait(&cbs[0], 0), LEN);
	test_pattern_fill(out[1], LEN, 66, (uint64_t)at[1]);
	test_prepare(&cbs[1], fd, out[1], LEN, at[1]);
	cbs[1].aio_lio_opcode = LIO_WRITE;
	ck_assert_int_eq(lio_listio(LIO_WAIT, &list[1], 1, NULL), 0);
	ck_assert_int_eq(io_file_size(fd), at[1] + LEN);

	for (int i = 0; i < 2; i++) {
		test_prepare(&cbs[i], fd, in[i], LEN, at[i]);
		cbs[i].aio_lio_opcode = LIO_READ;
	}
	ck_assert_int_eq(aio_read(&cbs[0]), 0);
	ck_assert_int_eq(test_wait(&cbs[0], 0), LEN);
	ck_assert_int_eq(lio_listio(LIO_WAIT, &list[1], 1, NULL), 0);
	ck_assert_int_eq(aio_return(&cbs[1]), LEN);
	for (int i = 0; i < 2; i++)
		ck_assert(test_pattern_check(in[i], LEN, 66, (uint64_t)at[i]));
	close(fd);
}
END_TEST
#endif

static Suite *
read_write_suite(void)
{
	Suite *s = suite_create("read-write");
	TCase *tc;

	tc = io_tcase(s, "regular-file", 60);
	tcase_add_test(tc, test_file_round_trip_many_in_flight);
	tcase_add_test(tc, test_read_at_eof_returns_zero);
	tcase_add_test(tc, test_short_read_at_end_of_file);
	tcase_add_test(tc, test_zero_length_requests);
	tcase_add_test(tc, test_append_writes_land_in_submission_order);
	tcase_add_test(tc, test_priorities_zero_to_max_all_complete);

	tc = io_tcase(s, "stream", 30);
	tcase_add_test(tc, test_pipe_writes_in_order);
	tcase_add_test(tc, test_pipe_reads_in_order);
	tcase_add_test(tc, test_socketpair_writes_in_order);
	tcase_add_test(tc, test_socketpair_reads_in_order);

	tc = io_tcase(s, "bad-descriptor", 30);
	tcase_add_test(tc, test_closed_fd_reports_ebadf);
	tcase_add_test(tc, test_wrong_mode_fd_reports_ebadf);

	tc = io_tcase(s, "invalid-input", 30);
	tcase_add_test(tc, test_negative_offset_refused);
	tcase_add_test(tc, test_bad_reqprio_refused);
	tcase_add_test(tc, test_bad_sigevent_refused);
	tcase_add_test(tc, test_huge_nbytes_refused);
	tcase_add_test(tc, test_resubmitting_in_flight_aiocb_refused);

	tc = io_tcase(s, "largefile64", 30);
	tcase_add_test(tc, test_largefile64_round_trip);
	tcase_add_test(tc, test_listio64_beyond_4_gib);
#if PLAIN_ILP32
	tcase_add_test(tc, test_plain_offset_ignores_padding);
#else
	tcase_add_test(tc, test_plain_names_beyond_2_gib);
#endif
	return s;
}

int
main(void)
{
	return test_run_suite(read_write_suite());
}
