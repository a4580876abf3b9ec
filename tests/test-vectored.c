/* test-vectored: FreeBSD's aio_readv, aio_writev, LIO_READV/LIO_WRITEV,
 * aio_read2/aio_write2 with AIO_OP2_VECTORED and AIO_OP2_FOFFSET, and
 * aio_mlock move the right bytes, as one transfer, and refuse what FreeBSD
 * refuses; their *64 twins, and in a build with a 64-bit off_t the plain
 * names, reach beyond 2 and 4 GiB. */
#include "control-util.h"
#include "io-util.h"

#include <sys/mman.h>
#include <sys/uio.h>

static void
vector_prepare_cb(struct aiocb *cb, int fd, struct iovec *iov, int count, off_t offset)
{
	memset(cb, 0, sizeof *cb);
	cb->aio_fildes = fd;
	cb->aio_iov = iov;
	cb->aio_iovcnt = count;
	cb->aio_offset = offset;
	cb->aio_sigevent.sigev_notify = SIGEV_NONE;
}

static ssize_t
finish(struct aiocb *cb, int expected_error)
{
	struct aiocb *list[1] = { cb };
	control_wait_all(list, 1);
	ck_assert_int_eq(aio_error(cb), expected_error);
	return aio_return(cb);
}

START_TEST(test_iov_names_are_aio_buf_and_aio_nbytes)
{
	struct aiocb cb;
	struct iovec iov[2];
	memset(&cb, 0, sizeof cb);
	cb.aio_iov = iov;
	cb.aio_iovcnt = 2;
	ck_assert_ptr_eq((void *)cb.aio_buf, iov);
	ck_assert_uint_eq(cb.aio_nbytes, 2);
	ck_assert_uint_eq(offsetof(struct aiocb, aio_iov), offsetof(struct aiocb, aio_buf));
	ck_assert_uint_eq(offsetof(struct aiocb, aio_iovcnt), offsetof(struct aiocb, aio_nbytes));
}
END_TEST

START_TEST(test_writev_then_readv_moves_every_buffer)
{
	int fd = test_temp_file();
	char a[100], b[3000], c[5];
	test_pattern_fill(a, sizeof a, 3, 1000);
	test_pattern_fill(b, sizeof b, 3, 1100);
	test_pattern_fill(c, sizeof c, 3, 4100);
	struct iovec out[3] = { { a, sizeof a }, { b, sizeof b }, { c, sizeof c } };
	struct aiocb cb;
	vector_prepare_cb(&cb, fd, out, 3, 1000);
	ck_assert_int_eq(aio_writev(&cb), 0);
	/* The array is copied at submission: the program may reuse it. */
	memset(out, 0, sizeof out);
	ck_assert_int_eq(finish(&cb, 0), 3105);

	char x[1], y[3103], z[1];
	struct iovec in[3] = { { x, 1 }, { y, sizeof y }, { z, 1 } };
	vector_prepare_cb(&cb, fd, in, 3, 1000);
	ck_assert_int_eq(aio_readv(&cb), 0);
	ck_assert_int_eq(finish(&cb, 0), 3105);
	char whole[3105];
	whole[0] = x[0];
	memcpy(whole + 1, y, sizeof y);
	whole[3104] = z[0];
	ck_assert(test_pattern_check(whole, sizeof whole, 3, 1000));
	close(fd);
}
END_TEST

START_TEST(test_readv_on_a_pipe_waits_for_data)
{
	int p[2];
	control_pipe(p);
	char first[3], second[4];
	struct iovec in[2] = { { first, 3 }, { second, 4 } };
	struct aiocb cb;
	vector_prepare_cb(&cb, p[0], in, 2, 0);
	ck_assert_int_eq(aio_readv(&cb), 0);
	ck_assert_int_eq(aio_error(&cb), EINPROGRESS);
	test_write_all(p[1], "abcdefg", 7);
	ck_assert_int_eq(finish(&cb, 0), 7);
	ck_assert_int_eq(memcmp(first, "abc", 3), 0);
	ck_assert_int_eq(memcmp(second, "defg", 4), 0);
	control_close_pipe(p);
}
END_TEST

START_TEST(test_readv_short_at_end_of_file)
{
	int fd = test_temp_file();
	test_write_all(fd, "0123456789", 10);
	char a[4], b[100];
	struct iovec in[2] = { { a, 4 }, { b, 100 } };
	struct aiocb cb;
	vector_prepare_cb(&cb, fd, in, 2, 2);
	ck_assert_int_eq(aio_readv(&cb), 0);
	ck_assert_int_eq(finish(&cb, 0), 8);
	ck_assert_int_eq(memcmp(a, "2345", 4), 0);
	ck_assert_int_eq(memcmp(b, "6789", 4), 0);
	close(fd);
}
END_TEST

START_TEST(test_vectored_refusals)
{
	int fd = test_temp_file();
	struct aiocb cb;
	char byte;
	/* More than IOV_MAX buffers. */
	struct iovec *many = calloc(IOV_MAX + 1, sizeof *many);
	ck_assert_ptr_nonnull(many);
	for (int i = 0; i <= IOV_MAX; i++)
		many[i] = (struct iovec){ &byte, 1 };
	vector_prepare_cb(&cb, fd, many, IOV_MAX + 1, 0);
	ck_assert_int_eq(aio_readv(&cb), -1);
	ck_assert_int_eq(errno, EINVAL);
	/* Lengths adding up past SSIZE_MAX. */
	struct iovec huge[2] = { { &byte, SSIZE_MAX }, { &byte, 2 } };
	vector_prepare_cb(&cb, fd, huge, 2, 0);
	ck_assert_int_eq(aio_writev(&cb), -1);
	ck_assert_int_eq(errno, EINVAL);
	/* No array, or an array that is not there. */
	vector_prepare_cb(&cb, fd, NULL, 1, 0);
	ck_assert_int_eq(aio_readv(&cb), -1);
	ck_assert_int_eq(errno, EFAULT);
	struct iovec *gone = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
				  -1, 0);
	ck_assert_ptr_ne(gone, MAP_FAILED);
	ck_assert_int_eq(munmap(gone, 4096), 0);
	vector_prepare_cb(&cb, fd, gone, 2, 0);
	ck_assert_int_eq(aio_readv(&cb), -1);
	ck_assert_int_eq(errno, EFAULT);
	/* A negative offset on a file that seeks. */
	struct iovec one = { &byte, 1 };
	vector_prepare_cb(&cb, fd, &one, 1, -1);
	ck_assert_int_eq(aio_readv(&cb), -1);
	ck_assert_int_eq(errno, EINVAL);
	/* Nothing refused was queued: aio_cancel finds nothing. */
	ck_assert_int_eq(aio_cancel(fd, NULL), AIO_ALLDONE);
	/* No buffers at all is a transfer of nothing. */
	vector_prepare_cb(&cb, fd, &one, 0, 0);
	ck_assert_int_eq(aio_readv(&cb), 0);
	ck_assert_int_eq(finish(&cb, 0), 0);
	free(many);
	close(fd);
}
END_TEST

START_TEST(test_lio_listio_vectored_entries)
{
	int fd = test_temp_file();
	char a[10] = "0123456789", b[6] = "abcdef";
	struct iovec out[2] = { { a, 10 }, { b, 6 } };
	struct aiocb w, r, *list[2];
	vector_prepare_cb(&w, fd, out, 2, 0);
	w.aio_lio_opcode = LIO_WRITEV;
	list[0] = &w;
	ck_assert_int_eq(lio_listio(LIO_WAIT, list, 1, NULL), 0);
	ck_assert_int_eq(aio_return(&w), 16);

	char x[8], y[8];
	struct iovec in[2] = { { x, 8 }, { y, 8 } };
	vector_prepare_cb(&r, fd, in, 2, 0);
	r.aio_lio_opcode = LIO_READV;
	list[0] = &r;
	ck_assert_int_eq(lio_listio(LIO_WAIT, list, 1, NULL), 0);
	ck_assert_int_eq(aio_return(&r), 16);
	ck_assert_int_eq(memcmp(x, "01234567", 8), 0);
	ck_assert_int_eq(memcmp(y, "89abcdef", 8), 0);
	close(fd);
}
END_TEST

START_TEST(test_read2_and_write2_at_the_file_offset)
{
	int fd = test_temp_file();
	struct aiocb cb;
	char text[] = "first second third";
	/* Three writes at the offset, queued at once: in order, one after
	 * the other, and the offset advances past them. */
	struct aiocb writes[3];
	const char *parts[3] = { "first ", "second ", "third" };
	for (int i = 0; i < 3; i++) {
		test_prepare(&writes[i], fd, (void *)parts[i], strlen(parts[i]), -12345);
		ck_assert_int_eq(aio_write2(&writes[i], AIO_OP2_FOFFSET), 0);
	}
	struct aiocb *list[3] = { &writes[0], &writes[1], &writes[2] };
	control_wait_all(list, 3);
	ck_assert_int_eq(lseek(fd, 0, SEEK_CUR), (off_t)strlen(text));
	char back[sizeof text];
	ck_assert_int_eq(pread(fd, back, sizeof text - 1, 0), (ssize_t)sizeof text - 1);
	ck_assert_int_eq(memcmp(back, text, sizeof text - 1), 0);

	/* Reads at the offset, vectored too. */
	ck_assert_int_eq(lseek(fd, 6, SEEK_SET), 6);
	char s1[3], s2[4];
	struct iovec in[2] = { { s1, 3 }, { s2, 4 } };
	vector_prepare_cb(&cb, fd, in, 2, 999);
	ck_assert_int_eq(aio_read2(&cb, AIO_OP2_FOFFSET | AIO_OP2_VECTORED), 0);
	ck_assert_int_eq(finish(&cb, 0), 7);
	ck_assert_int_eq(memcmp(s1, "sec", 3), 0);
	ck_assert_int_eq(memcmp(s2, "ond ", 4), 0);
	ck_assert_int_eq(lseek(fd, 0, SEEK_CUR), 13);
	char rest[5];
	test_prepare(&cb, fd, rest, 5, 0);
	ck_assert_int_eq(aio_read2(&cb, AIO_OP2_FOFFSET), 0);
	ck_assert_int_eq(finish(&cb, 0), 5);
	ck_assert_int_eq(memcmp(rest, "third", 5), 0);

	/* Flags 0: aio_read itself; an unknown flag: EINVAL. */
	test_prepare(&cb, fd, rest, 5, 0);
	ck_assert_int_eq(aio_read2(&cb, 0), 0);
	ck_assert_int_eq(finish(&cb, 0), 5);
	ck_assert_int_eq(memcmp(rest, "first", 5), 0);
	ck_assert_int_eq(aio_read2(&cb, 0x100), -1);
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_int_eq(aio_write2(&cb, -1), -1);
	ck_assert_int_eq(errno, EINVAL);
	close(fd);
}
END_TEST

START_TEST(test_lio_foffset_entries)
{
	int fd = test_temp_file();
	test_write_all(fd, "abcdefghij", 10);
	ck_assert_int_eq(lseek(fd, 2, SEEK_SET), 2);
	char a[3], b[3];
	struct aiocb r1, r2, *list[2] = { &r1, &r2 };
	test_prepare(&r1, fd, a, 3, 0);
	r1.aio_lio_opcode = LIO_READ | LIO_FOFFSET;
	test_prepare(&r2, fd, b, 3, 0);
	r2.aio_lio_opcode = LIO_READ | LIO_FOFFSET;
	ck_assert_int_eq(lio_listio(LIO_WAIT, list, 2, NULL), 0);
	ck_assert_int_eq(memcmp(a, "cde", 3), 0);
	ck_assert_int_eq(memcmp(b, "fgh", 3), 0);
	ck_assert_int_eq(lseek(fd, 0, SEEK_CUR), 8);
	close(fd);
}
END_TEST

/* The process's locked memory, as the kernel counts it (VmLck). */
static long
locked_kib(void)
{
	FILE *status = fopen("/proc/self/status", "r");
	ck_assert_ptr_nonnull(status);
	char line[256];
	long kib = -1;
	while (fgets(line, sizeof line, status))
		if (sscanf(line, "VmLck: %ld kB", &kib) == 1)
			break;
	fclose(status);
	ck_assert_int_ge(kib, 0);
	return kib;
}

START_TEST(test_mlock_locks_the_range)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	long locked_before = locked_kib();
	char *area = mmap(NULL, 4 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ck_assert_ptr_ne(area, MAP_FAILED);
	struct aiocb cb;
	memset(&cb, 0, sizeof cb);
	cb.aio_fildes = -1;		/* ignored: no file */
	cb.aio_reqprio = 12345;		/* ignored */
	cb.aio_offset = -1;		/* ignored */
	cb.aio_buf = area;
	cb.aio_nbytes = 2 * page;
	cb.aio_sigevent.sigev_notify = SIGEV_NONE;
	ck_assert_int_eq(aio_mlock(&cb), 0);
	struct aiocb *list[1] = { &cb };
	control_wait_all(list, 1);
	int error = aio_error(&cb);
	ssize_t rc = aio_return(&cb);
	/* RLIMIT_MEMLOCK may forbid it; then aio_error says what mlock said. */
	if (error == 0) {
		ck_assert_int_eq(rc, 0);
#if !defined(__SANITIZE_THREAD__) && !defined(__SANITIZE_ADDRESS__)
		/* (The sanitizers' runtimes turn mlock into a no-op.) */
		ck_assert_int_ge(locked_kib(), locked_before + (long)(2 * page / 1024));
#else
		(void)locked_before;
#endif
		ck_assert_int_eq(munlock(area, 2 * page), 0);
	} else {
		ck_assert_int_eq(rc, -1);
		ck_assert(error == ENOMEM || error == EPERM || error == EAGAIN);
	}
	/* An address range that is not mapped fails the way mlock does. */
	ck_assert_int_eq(munmap(area, 4 * page), 0);
#if !defined(__SANITIZE_THREAD__) && !defined(__SANITIZE_ADDRESS__)
	cb.aio_buf = area;
	cb.aio_nbytes = page;
	ck_assert_int_eq(aio_mlock(&cb), 0);
	ck_assert_int_eq(finish(&cb, ENOMEM), -1);
#endif
}
END_TEST

/* --- beyond 2 GiB -------------------------------------------------------------
 *
 * Past 2 GiB a 32-bit aio_offset is negative (refused); past 4 GiB it
 * names a place near the start of the file, which is a hole here. */
enum { FAR_LENGTH = 8192 };
static const off64_t far_offsets[2] = { ((off64_t)2 << 30) + 3 * 4096 + 1,
					((off64_t)4 << 30) + 8193 };

/* The calls that take an offset, given struct aiocb64's layout: the *64
 * twins, or the plain names where struct aiocb has that layout. */
struct offset_calls {
	int (*readv)(struct aiocb64 *);
	int (*writev)(struct aiocb64 *);
	int (*read2)(struct aiocb64 *, int);
	int (*write2)(struct aiocb64 *, int);
	int (*listio)(int, struct aiocb64 *const[], int, struct sigevent *);
};

/* Each read reaches the pattern at each far offset of a sparse file, in
 * two buffers or one; each write lands there. */
static void
far_round_trip(const struct offset_calls *calls)
{
	int fd = test_temp_file();
	static unsigned char out[FAR_LENGTH], in[FAR_LENGTH];
	struct aiocb64 cb, *list[1] = { &cb };
	struct iovec halves[2] = { { in, FAR_LENGTH / 2 }, { in + FAR_LENGTH / 2, FAR_LENGTH / 2 } };
	for (int i = 0; i < 2; i++) {
		const off64_t at = far_offsets[i];
		test_pattern_fill(out, FAR_LENGTH, 71, (uint64_t)at);
		io_pwrite_all(fd, out, FAR_LENGTH, at);

		memset(in, 0, sizeof in);
		test_prepare64(&cb, fd, halves, 2, at);
		ck_assert_int_eq(calls->readv(&cb), 0);
		ck_assert_int_eq(test_wait64(&cb, 0), FAR_LENGTH);
		ck_assert_msg(test_pattern_check(in, FAR_LENGTH, 71, (uint64_t)at), "readv at %lld",
			      (long long)at);

		memset(in, 0, sizeof in);
		test_prepare64(&cb, fd, halves, 2, at);
		ck_assert_int_eq(calls->read2(&cb, AIO_OP2_VECTORED), 0);
		ck_assert_int_eq(test_wait64(&cb, 0), FAR_LENGTH);
		ck_assert_msg(test_pattern_check(in, FAR_LENGTH, 71, (uint64_t)at),
			      "read2 vectored at %lld", (long long)at);

		memset(in, 0, sizeof in);
		test_prepare64(&cb, fd, in, FAR_LENGTH, at);
		ck_assert_int_eq(calls->read2(&cb, 0), 0);
		ck_assert_int_eq(test_wait64(&cb, 0), FAR_LENGTH);
		ck_assert_msg(test_pattern_check(in, FAR_LENGTH, 71, (uint64_t)at), "read2 at %lld",
			      (long long)at);

		memset(in, 0, sizeof in);
		test_prepare64(&cb, fd, halves, 2, at);
		cb.aio_lio_opcode = LIO_READV;
		ck_assert_int_eq(calls->listio(LIO_WAIT, list, 1, NULL), 0);
		ck_assert_int_eq(test_wait64(&cb, 0), FAR_LENGTH);
		ck_assert_msg(test_pattern_check(in, FAR_LENGTH, 71, (uint64_t)at),
			      "LIO_READV at %lld", (long long)at);

		/* Writes after the pattern: a vectored one, then a plain one. */
		struct iovec whole = { out, FAR_LENGTH };
		test_pattern_fill(out, FAR_LENGTH, 72, (uint64_t)(at + FAR_LENGTH));
		test_prepare64(&cb, fd, &whole, 1, at + FAR_LENGTH);
		ck_assert_int_eq(calls->writev(&cb), 0);
		ck_assert_int_eq(test_wait64(&cb, 0), FAR_LENGTH);
		io_pread_all(fd, in, FAR_LENGTH, at + FAR_LENGTH);
		ck_assert_msg(test_pattern_check(in, FAR_LENGTH, 72, (uint64_t)(at + FAR_LENGTH)),
			      "writev at %lld", (long long)(at + FAR_LENGTH));

		test_pattern_fill(out, FAR_LENGTH, 73, (uint64_t)(at + 2 * FAR_LENGTH));
		test_prepare64(&cb, fd, out, FAR_LENGTH, at + 2 * FAR_LENGTH);
		ck_assert_int_eq(calls->write2(&cb, 0), 0);
		ck_assert_int_eq(test_wait64(&cb, 0), FAR_LENGTH);
		io_pread_all(fd, in, FAR_LENGTH, at + 2 * FAR_LENGTH);
		ck_assert_msg(test_pattern_check(in, FAR_LENGTH, 73, (uint64_t)(at + 2 * FAR_LENGTH)),
			      "write2 at %lld", (long long)(at + 2 * FAR_LENGTH));
	}
	ck_assert_int_eq(io_file_size(fd), far_offsets[1] + 3 * FAR_LENGTH);
	close(fd);
}

/* The *64 twins reach beyond 2 and 4 GiB in every build. */
START_TEST(test_twins_beyond_2_gib)
{
	const struct offset_calls twins = { aio_readv64, aio_writev64, aio_read2_64, aio_write2_64,
					    lio_listio64 };
	far_round_trip(&twins);
}
END_TEST

#if !PLAIN_ILP32
/* Where struct aiocb has a 64-bit aio_offset (LP64, or
 * _FILE_OFFSET_BITS=64 on i386, where <aio-posix.h> sends the plain names
 * to the twins), the plain names reach as far. */
static int plain_readv(struct aiocb64 *cb) { return aio_readv((struct aiocb *)cb); }
static int plain_writev(struct aiocb64 *cb) { return aio_writev((struct aiocb *)cb); }
static int plain_read2(struct aiocb64 *cb, int flags) { return aio_read2((struct aiocb *)cb, flags); }
static int plain_write2(struct aiocb64 *cb, int flags) { return aio_write2((struct aiocb *)cb, flags); }
static int
plain_listio(int mode, struct aiocb64 *const list[], int count, struct sigevent *event)
{
	return lio_listio(mode, (struct aiocb *const *)list, count, event);
}

START_TEST(test_plain_names_beyond_2_gib)
{
	_Static_assert(sizeof(struct aiocb) == sizeof(struct aiocb64) &&
		       offsetof(struct aiocb, aio_offset) == offsetof(struct aiocb64, aio_offset) &&
		       sizeof(((struct aiocb *)0)->aio_offset) == 8,
		       "struct aiocb has struct aiocb64's layout in this build");
	const struct offset_calls plain = { plain_readv, plain_writev, plain_read2, plain_write2,
					    plain_listio };
	far_round_trip(&plain);
}
END_TEST
#endif

int
main(void)
{
	Suite *s = suite_create("vectored");
	TCase *tc = control_tcase("aio_readv and aio_writev");
	tcase_add_test(tc, test_iov_names_are_aio_buf_and_aio_nbytes);
	tcase_add_test(tc, test_writev_then_readv_moves_every_buffer);
	tcase_add_test(tc, test_readv_on_a_pipe_waits_for_data);
	tcase_add_test(tc, test_readv_short_at_end_of_file);
	tcase_add_test(tc, test_vectored_refusals);
	tcase_add_test(tc, test_lio_listio_vectored_entries);
	suite_add_tcase(s, tc);
	tc = control_tcase("aio_read2, aio_write2, aio_mlock");
	tcase_add_test(tc, test_read2_and_write2_at_the_file_offset);
	tcase_add_test(tc, test_lio_foffset_entries);
	tcase_add_test(tc, test_mlock_locks_the_range);
	suite_add_tcase(s, tc);
	tc = control_tcase("beyond 2 GiB");
	tcase_add_test(tc, test_twins_beyond_2_gib);
#if !PLAIN_ILP32
	tcase_add_test(tc, test_plain_names_beyond_2_gib);
#endif
	suite_add_tcase(s, tc);
	return control_run_suite(s);
}
