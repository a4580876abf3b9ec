/* test-fsync: aio_fsync completes with 0 for O_SYNC and O_DSYNC, refuses a
 * bad operation or descriptor at once, and is a barrier: it completes only
 * after every write submitted earlier on its descriptor has completed. */
#define _GNU_SOURCE
#include "io-util.h"

static void
wait_fsync_alone(struct aiocb *sync)
{
	const struct aiocb *list[1] = { sync };
	while (aio_error(sync) == EINPROGRESS) {
		int rc = aio_suspend(list, 1, NULL);
		ck_assert_msg(rc == 0 || errno == EINTR, "aio_suspend: %s", strerror(errno));
	}
}

static void
check_fsync_op(int op)
{
	int fd = test_temp_file();
	unsigned char data[8192];
	test_pattern_fill(data, sizeof data, 21, 0);
	struct aiocb w, s;

	test_prepare(&w, fd, data, sizeof data, 0);
	ck_assert_int_eq(aio_write(&w), 0);
	ck_assert_int_eq(test_wait(&w, 0), (ssize_t)sizeof data);

	test_prepare(&s, fd, NULL, 0, 0);
	ck_assert_int_eq(aio_fsync(op, &s), 0);
	ck_assert_int_eq(test_wait(&s, 0), 0);

	/* With nothing written since, it still completes with 0. */
	test_prepare(&s, fd, NULL, 0, 0);
	ck_assert_int_eq(aio_fsync(op, &s), 0);
	ck_assert_int_eq(test_wait(&s, 0), 0);
	close(fd);
}

START_TEST(test_fsync_o_sync)
{
	check_fsync_op(O_SYNC);
}
END_TEST

START_TEST(test_fsync_o_dsync)
{
	check_fsync_op(O_DSYNC);
}
END_TEST

START_TEST(test_fsync64)
{
	int fd = test_temp_file();
	unsigned char data[512];
	test_pattern_fill(data, sizeof data, 22, 0);
	io_pwrite_all(fd, data, sizeof data, 0);

	struct aiocb64 s;
	memset(&s, 0, sizeof s);
	s.aio_fildes = fd;
	s.aio_sigevent.sigev_notify = SIGEV_NONE;
	ck_assert_int_eq(aio_fsync64(O_SYNC, &s), 0);
	const struct aiocb64 *list[1] = { &s };
	while (aio_error64(&s) == EINPROGRESS)
		ck_assert(aio_suspend64(list, 1, NULL) == 0 || errno == EINTR);
	ck_assert_int_eq(aio_error64(&s), 0);
	ck_assert_int_eq(aio_return64(&s), 0);

	memset(&s, 0, sizeof s);
	s.aio_fildes = fd;
	s.aio_sigevent.sigev_notify = SIGEV_NONE;
	errno = 0;
	ck_assert_int_eq(aio_fsync64(O_RDWR, &s), -1);
	ck_assert_int_eq(errno, EINVAL);
	close(fd);
}
END_TEST

START_TEST(test_bad_op_refused)
{
	int fd = test_temp_file();
	struct aiocb s;
	const int bad[] = { 0, O_RDWR, O_WRONLY, O_APPEND, 12345, -1 };

	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		test_prepare(&s, fd, NULL, 0, 0);
		errno = 0;
		ck_assert_msg(aio_fsync(bad[i], &s) == -1, "aio_fsync(%#x) accepted", bad[i]);
		ck_assert_msg(errno == EINVAL, "aio_fsync(%#x): errno %d, expected EINVAL",
			      bad[i], errno);
	}
	close(fd);
}
END_TEST

START_TEST(test_bad_fd_refused_at_once)
{
	struct aiocb s;
	test_prepare(&s, io_closed_fd(), NULL, 0, 0);
	errno = 0;
	ck_assert_int_eq(aio_fsync(O_SYNC, &s), -1);
	ck_assert_int_eq(errno, EBADF);

	test_prepare(&s, -1, NULL, 0, 0);
	errno = 0;
	ck_assert_int_eq(aio_fsync(O_DSYNC, &s), -1);
	ck_assert_int_eq(errno, EBADF);
}
END_TEST

/* The barrier, made observable: when the fsync is seen finished, no write
 * submitted before it may still be in progress.  64 writes are in flight
 * when the fsync is submitted, round after round; the last `large` of them
 * (those most likely still running when the fsync could start) are
 * large_length bytes, the others length bytes. */
static void
check_barrier(int fd, int rounds, size_t length, int large, size_t large_length)
{
	enum { N = 64 };
	static struct aiocb writes[N];
	struct aiocb *list[N];
	unsigned char *data[N];
	size_t size[N];
	off_t offset[N];
	off_t end = 0;
	for (int i = 0; i < N; i++) {
		size[i] = i >= N - large ? large_length : length;
		offset[i] = end;
		end += (off_t)size[i];
		data[i] = malloc(size[i]);
		ck_assert_ptr_nonnull(data[i]);
	}
	unsigned char *back = malloc(large_length > length ? large_length : length);
	ck_assert_ptr_nonnull(back);

	for (int round = 0; round < rounds; round++) {
		for (int i = 0; i < N; i++) {
			test_pattern_fill(data[i], size[i], 100u + (unsigned)round, (uint64_t)offset[i]);
			test_prepare(&writes[i], fd, data[i], size[i], offset[i]);
			list[i] = &writes[i];
			ck_assert_int_eq(aio_write(&writes[i]), 0);
		}
		struct aiocb sync;
		test_prepare(&sync, fd, NULL, 0, 0);
		ck_assert_int_eq(aio_fsync(round % 2 ? O_DSYNC : O_SYNC, &sync), 0);
		wait_fsync_alone(&sync);

		for (int i = 0; i < N; i++)
			ck_assert_msg(aio_error(&writes[i]) != EINPROGRESS,
				      "round %d: fsync finished while write %d was in progress",
				      round, i);
		ck_assert_int_eq(aio_error(&sync), 0);
		ck_assert_int_eq(aio_return(&sync), 0);

		io_wait_all(list, N);
		for (int i = 0; i < N; i++) {
			ck_assert_int_eq(aio_error(&writes[i]), 0);
			ck_assert_int_eq(aio_return(&writes[i]), (ssize_t)size[i]);
			io_pread_all(fd, back, size[i], offset[i]);
			ck_assert(test_pattern_check(back, size[i], 100u + (unsigned)round,
						     (uint64_t)offset[i]));
		}
	}
	for (int i = 0; i < N; i++)
		free(data[i]);
	free(back);
}

START_TEST(test_fsync_waits_for_earlier_writes)
{
	int fd = test_temp_file();
	check_barrier(fd, 8, 8192, 0, 0);
	close(fd);
}
END_TEST

/* On tmpfs an fsync costs next to nothing while large writes take a while:
 * an fsync that did not wait for them would be seen finishing first. */
START_TEST(test_fsync_waits_for_earlier_writes_tmpfs)
{
	char path[] = "/dev/shm/aio-posix-io-XXXXXX";
	int fd = mkstemp(path);
	if (fd < 0) {
		printf("note: no /dev/shm (%s); using /tmp\n", strerror(errno));
		fd = test_temp_file();
	} else {
		unlink(path);
	}
	check_barrier(fd, 16, 64 * 1024, 8, 4 << 20);
	close(fd);
}
END_TEST

/* On a pipe a write can be held up for as long as the test likes: the
 * fsync behind it must stay in progress until the write is done. */
START_TEST(test_fsync_waits_for_blocked_stream_write)
{
	enum { LEN = 1 << 20 };	/* far more than a pipe holds */
	int p[2];
	ck_assert_int_eq(pipe(p), 0);
	unsigned char *data = malloc(LEN), *got = malloc(LEN);
	ck_assert(data != NULL && got != NULL);
	test_pattern_fill(data, LEN, 61, 0);

	struct aiocb w, sync;
	test_prepare(&w, p[1], data, LEN, 0);
	ck_assert_int_eq(aio_write(&w), 0);
	test_prepare(&sync, p[1], NULL, 0, 0);
	errno = 0;
	int rc = aio_fsync(O_SYNC, &sync);
	if (rc == -1 && errno == EINVAL) {
		/* POSIX lets aio_fsync refuse a file without synchronized I/O at
		 * once; then there is no barrier to observe here. */
		printf("note: aio_fsync on a pipe refused at submission\n");
	} else {
		ck_assert_int_eq(rc, 0);
		/* The write cannot finish before the pipe is drained. */
		ck_assert_int_eq(aio_error(&w), EINPROGRESS);
		/* Give a wrong fsync a moment to finish and show itself; a
		 * correct one stays in progress, so the time limit cannot make
		 * a correct library fail. */
		const struct aiocb *list[1] = { &sync };
		struct timespec moment = { 0, 200 * 1000 * 1000 };
		errno = 0;
		int waited = aio_suspend(list, 1, &moment);
		ck_assert_msg(waited == -1 && errno == EAGAIN,
			      "aio_suspend on the fsync returned %d (%s): it finished while "
			      "an earlier write was blocked", waited, strerror(errno));
		ck_assert_int_eq(aio_error(&sync), EINPROGRESS);
		ck_assert_int_eq(aio_error(&w), EINPROGRESS);
	}
	io_read_all(p[0], got, LEN);
	ck_assert_int_eq(test_wait(&w, 0), LEN);
	ck_assert(test_pattern_check(got, LEN, 61, 0));
	if (rc == 0) {
		/* fsync(2) on a pipe fails with EINVAL; what matters is that the
		 * request finished, and only after the write. */
		const struct aiocb *list[1] = { &sync };
		while (aio_error(&sync) == EINPROGRESS)
			ck_assert(aio_suspend(list, 1, NULL) == 0 || errno == EINTR);
		ck_assert_int_eq(aio_error(&sync), EINVAL);
		ck_assert_int_eq(aio_return(&sync), -1);
	}
	free(data);
	free(got);
	close(p[0]);
	close(p[1]);
}
END_TEST

/* The same for O_APPEND writes, which the library runs in order rather
 * than all at once. */
START_TEST(test_fsync_waits_for_earlier_append_writes)
{
	enum { ROUNDS = 4, N = 64, LEN = 1000 };
	int fd = io_temp_file_flags(O_RDWR | O_APPEND);
	static struct aiocb writes[N];
	struct aiocb *list[N];
	static unsigned char data[N][LEN];

	for (int round = 0; round < ROUNDS; round++) {
		for (int i = 0; i < N; i++) {
			test_pattern_fill(data[i], LEN, 200u + (unsigned)(round * N + i), 0);
			test_prepare(&writes[i], fd, data[i], LEN, 0);
			list[i] = &writes[i];
			ck_assert_int_eq(aio_write(&writes[i]), 0);
		}
		struct aiocb sync;
		test_prepare(&sync, fd, NULL, 0, 0);
		ck_assert_int_eq(aio_fsync(O_SYNC, &sync), 0);
		wait_fsync_alone(&sync);
		for (int i = 0; i < N; i++)
			ck_assert_msg(aio_error(&writes[i]) != EINPROGRESS,
				      "round %d: fsync finished while append %d was in progress",
				      round, i);
		ck_assert_int_eq(aio_error(&sync), 0);
		io_wait_all(list, N);
		for (int i = 0; i < N; i++)
			ck_assert_int_eq(aio_return(&writes[i]), LEN);
	}
	ck_assert_int_eq(io_file_size(fd), (off_t)ROUNDS * N * LEN);
	close(fd);
}
END_TEST

START_TEST(test_writes_after_fsync_complete)
{
	enum { N = 32, LEN = 4096 };
	int fd = test_temp_file();
	static struct aiocb before[N], after[N];
	struct aiocb *list[2 * N + 1];
	static unsigned char data[2 * N][LEN];
	static unsigned char back[LEN];
	struct aiocb sync;

	for (int i = 0; i < N; i++) {
		test_pattern_fill(data[i], LEN, 31, (uint64_t)i * LEN);
		test_prepare(&before[i], fd, data[i], LEN, (off_t)i * LEN);
		ck_assert_int_eq(aio_write(&before[i]), 0);
		list[i] = &before[i];
	}
	test_prepare(&sync, fd, NULL, 0, 0);
	ck_assert_int_eq(aio_fsync(O_SYNC, &sync), 0);
	list[N] = &sync;
	for (int i = 0; i < N; i++) {
		off_t at = (off_t)(N + i) * LEN;
		test_pattern_fill(data[N + i], LEN, 31, (uint64_t)at);
		test_prepare(&after[i], fd, data[N + i], LEN, at);
		ck_assert_int_eq(aio_write(&after[i]), 0);
		list[N + 1 + i] = &after[i];
	}
	io_wait_all(list, 2 * N + 1);

	ck_assert_int_eq(aio_error(&sync), 0);
	ck_assert_int_eq(aio_return(&sync), 0);
	for (int i = 0; i < 2 * N; i++) {
		struct aiocb *cb = i < N ? &before[i] : &after[i - N];
		ck_assert_int_eq(aio_error(cb), 0);
		ck_assert_int_eq(aio_return(cb), LEN);
		io_pread_all(fd, back, LEN, (off_t)i * LEN);
		ck_assert(test_pattern_check(back, LEN, 31, (uint64_t)i * LEN));
	}

	/* Another fsync after all that still works. */
	test_prepare(&sync, fd, NULL, 0, 0);
	ck_assert_int_eq(aio_fsync(O_DSYNC, &sync), 0);
	ck_assert_int_eq(test_wait(&sync, 0), 0);
	close(fd);
}
END_TEST

static Suite *
fsync_suite(void)
{
	Suite *s = suite_create("fsync");
	TCase *tc;

	tc = io_tcase(s, "operations", 30);
	tcase_add_test(tc, test_fsync_o_sync);
	tcase_add_test(tc, test_fsync_o_dsync);
	tcase_add_test(tc, test_fsync64);
	tcase_add_test(tc, test_bad_op_refused);
	tcase_add_test(tc, test_bad_fd_refused_at_once);

	tc = io_tcase(s, "barrier", 120);
	tcase_add_test(tc, test_fsync_waits_for_earlier_writes);
	tcase_add_test(tc, test_fsync_waits_for_earlier_writes_tmpfs);
	tcase_add_test(tc, test_fsync_waits_for_blocked_stream_write);
	tcase_add_test(tc, test_fsync_waits_for_earlier_append_writes);
	tcase_add_test(tc, test_writes_after_fsync_complete);
	return s;
}

int
main(void)
{
	return test_run_suite(fsync_suite());
}
