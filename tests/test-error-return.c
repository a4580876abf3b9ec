/* test-error-return: aio_error and aio_return report a request's state and
 * result: EINPROGRESS while it cannot have finished, then the final code;
 * EINVAL for what was never submitted. */
#define _GNU_SOURCE
#include "io-util.h"

START_TEST(test_in_progress_then_final_code)
{
	int p[2];
	ck_assert_int_eq(pipe(p), 0);
	char buffer[32];
	struct aiocb cb;

	test_prepare(&cb, p[0], buffer, sizeof buffer, 0);
	ck_assert_int_eq(aio_read(&cb), 0);
	/* The pipe is empty: the read cannot have finished. */
	ck_assert_int_eq(aio_error(&cb), EINPROGRESS);
	ck_assert_int_eq(aio_error(&cb), EINPROGRESS);

	test_write_all(p[1], "seven!!", 7);
	const struct aiocb *list[1] = { &cb };
	while (aio_error(&cb) == EINPROGRESS)
		ck_assert(aio_suspend(list, 1, NULL) == 0 || errno == EINTR);
	ck_assert_int_eq(aio_error(&cb), 0);
	/* aio_error does not consume anything: asking twice gives the same. */
	ck_assert_int_eq(aio_error(&cb), 0);
	ck_assert_int_eq(aio_return(&cb), 7);
	ck_assert_int_eq(memcmp(buffer, "seven!!", 7), 0);
	close(p[0]);
	close(p[1]);
}
END_TEST

START_TEST(test_never_submitted_is_einval)
{
	struct aiocb cb;
	memset(&cb, 0, sizeof cb);
	errno = 0;
	ck_assert_int_eq(aio_error(&cb), -1);
	ck_assert_int_eq(errno, EINVAL);

	/* A prepared but unsubmitted aiocb, too. */
	int fd = test_temp_file();
	char buffer[8];
	test_prepare(&cb, fd, buffer, sizeof buffer, 0);
	errno = 0;
	ck_assert_int_eq(aio_error(&cb), -1);
	ck_assert_int_eq(errno, EINVAL);
	close(fd);
}
END_TEST

START_TEST(test_copy_of_finished_aiocb_is_not_submitted)
{
	/* abi.h: the submission mark is keyed to the aiocb's address, so a
	 * byte copy of a finished aiocb elsewhere is not a submitted one. */
	int fd = test_temp_file();
	char data[16] = "abcdefghijklmno";
	struct aiocb cb;
	test_prepare(&cb, fd, data, sizeof data, 0);
	ck_assert_int_eq(aio_write(&cb), 0);
	ck_assert_int_eq(test_wait(&cb, 0), (ssize_t)sizeof data);

	struct aiocb *copy = malloc(sizeof *copy);
	ck_assert_ptr_nonnull(copy);
	memcpy(copy, &cb, sizeof cb);
	errno = 0;
	ck_assert_int_eq(aio_error(copy), -1);
	ck_assert_int_eq(errno, EINVAL);
	free(copy);
	close(fd);
}
END_TEST

START_TEST(test_null_is_einval)
{
	/* Through pointers without the nonnull attribute (testutil.h). */
	errno = 0;
	ck_assert_int_eq(error_p(null_aiocb), -1);
	ck_assert_int_eq(errno, EINVAL);
	errno = 0;
	ck_assert_int_eq(return_p(null_aiocb), -1);
	ck_assert_int_eq(errno, EINVAL);

	errno = 0;
	ck_assert_int_eq(error64_p(null_aiocb64), -1);
	ck_assert_int_eq(errno, EINVAL);
	errno = 0;
	ck_assert_int_eq(return64_p(null_aiocb64), -1);
	ck_assert_int_eq(errno, EINVAL);
}
END_TEST

START_TEST(test_return_gives_byte_count)
{
	int fd = test_temp_file();
	static unsigned char data[12345], back[20000];
	test_pattern_fill(data, sizeof data, 11, 0);
	struct aiocb cb;

	test_prepare(&cb, fd, data, sizeof data, 0);
	ck_assert_int_eq(aio_write(&cb), 0);
	ck_assert_int_eq(test_wait(&cb, 0), 12345);

	test_prepare(&cb, fd, data, 1, 12345);
	ck_assert_int_eq(aio_write(&cb), 0);
	ck_assert_int_eq(test_wait(&cb, 0), 1);

	/* Ask for more than there is: the count is what was read. */
	test_prepare(&cb, fd, back, sizeof back, 0);
	ck_assert_int_eq(aio_read(&cb), 0);
	ck_assert_int_eq(test_wait(&cb, 0), 12346);
	ck_assert(test_pattern_check(back, sizeof data, 11, 0));
	ck_assert_int_eq(back[12345], data[0]);

	/* The *64 names report the same values for the same aiocb. */
	struct aiocb64 *cb64 = (struct aiocb64 *)&cb;
	ck_assert_int_eq(aio_error64(cb64), 0);
	ck_assert_int_eq(aio_return64(cb64), 12346);
	close(fd);
}
END_TEST

START_TEST(test_failed_request_reports_errno)
{
	char buffer[64];
	struct aiocb cb;

	/* Reading a directory fails with EISDIR. */
	int dir = open("/tmp", O_RDONLY | O_DIRECTORY);
	ck_assert_int_ge(dir, 0);
	test_prepare(&cb, dir, buffer, sizeof buffer, 0);
	ck_assert_int_eq(aio_read(&cb), 0);
	const struct aiocb *list[1] = { &cb };
	while (aio_error(&cb) == EINPROGRESS)
		ck_assert(aio_suspend(list, 1, NULL) == 0 || errno == EINTR);
	ck_assert_int_eq(aio_error(&cb), EISDIR);
	ck_assert_int_eq(aio_return(&cb), -1);
	close(dir);

	/* A closed descriptor: EBADF. */
	test_prepare(&cb, io_closed_fd(), buffer, sizeof buffer, 0);
	ck_assert_int_eq(aio_write(&cb), 0);
	while (aio_error(&cb) == EINPROGRESS)
		ck_assert(aio_suspend(list, 1, NULL) == 0 || errno == EINTR);
	ck_assert_int_eq(aio_error(&cb), EBADF);
	ck_assert_int_eq(aio_return(&cb), -1);

	/* A write to a pipe without readers: EPIPE (SIGPIPE ignored). */
	signal(SIGPIPE, SIG_IGN);
	int p[2];
	ck_assert_int_eq(pipe(p), 0);
	close(p[0]);
	test_prepare(&cb, p[1], buffer, sizeof buffer, 0);
	ck_assert_int_eq(aio_write(&cb), 0);
	while (aio_error(&cb) == EINPROGRESS)
		ck_assert(aio_suspend(list, 1, NULL) == 0 || errno == EINTR);
	ck_assert_int_eq(aio_error(&cb), EPIPE);
	ck_assert_int_eq(aio_return(&cb), -1);
	close(p[1]);
}
END_TEST

START_TEST(test_failure_then_success_on_same_aiocb)
{
	/* A reused aiocb reports the new request, not the old failure. */
	char buffer[8] = "payload";
	struct aiocb cb;
	test_prepare(&cb, io_closed_fd(), buffer, sizeof buffer, 0);
	ck_assert_int_eq(aio_write(&cb), 0);
	ck_assert_int_eq(test_wait(&cb, EBADF), -1);

	int fd = test_temp_file();
	test_prepare(&cb, fd, buffer, sizeof buffer, 0);
	ck_assert_int_eq(aio_write(&cb), 0);
	ck_assert_int_eq(test_wait(&cb, 0), (ssize_t)sizeof buffer);
	close(fd);
}
END_TEST

static Suite *
error_return_suite(void)
{
	Suite *s = suite_create("error-return");
	TCase *tc;

	tc = io_tcase(s, "state", 30);
	tcase_add_test(tc, test_in_progress_then_final_code);
	tcase_add_test(tc, test_never_submitted_is_einval);
	tcase_add_test(tc, test_copy_of_finished_aiocb_is_not_submitted);
	tcase_add_test(tc, test_null_is_einval);

	tc = io_tcase(s, "result", 30);
	tcase_add_test(tc, test_return_gives_byte_count);
	tcase_add_test(tc, test_failed_request_reports_errno);
	tcase_add_test(tc, test_failure_then_success_on_same_aiocb);
	return s;
}

int
main(void)
{
	return test_run_suite(error_return_suite());
}
