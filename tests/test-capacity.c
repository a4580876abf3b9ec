/* test-capacity: AIO_POSIX_MAX_REQUESTS caps the requests in flight.  Past
 * it aio_read fails with EAGAIN, lio_listio fails with EAGAIN and queues
 * none of its entries, and room made by a completion is usable again. */
#include "testutil.h"

enum { CAP = 4 };

START_TEST(past_the_cap_is_eagain_and_nothing_is_queued)
{
	int pipes[CAP + 1][2];
	struct aiocb reads[CAP + 1];
	char bytes[CAP + 1];
	for (int i = 0; i <= CAP; i++)
		ck_assert_int_eq(pipe(pipes[i]), 0);
	/* Pipe reads never complete at submission: each one is in flight. */
	for (int i = 0; i < CAP; i++) {
		test_prepare(&reads[i], pipes[i][0], &bytes[i], 1, 0);
		ck_assert_int_eq(aio_read(&reads[i]), 0);
	}
	test_prepare(&reads[CAP], pipes[CAP][0], &bytes[CAP], 1, 0);
	errno = 0;
	ck_assert_int_eq(aio_read(&reads[CAP]), -1);
	ck_assert_int_eq(errno, EAGAIN);
	ck_assert_int_eq(aio_error(&reads[CAP]), -1);	/* never submitted */
	ck_assert_int_eq(errno, EINVAL);

	/* A list past the cap: none of it is queued. */
	struct aiocb a, b;
	char ab[2];
	test_prepare(&a, pipes[CAP][0], &ab[0], 1, 0);
	test_prepare(&b, pipes[CAP][0], &ab[1], 1, 0);
	a.aio_lio_opcode = b.aio_lio_opcode = LIO_READ;
	struct aiocb *list[2] = { &a, &b };
	errno = 0;
	ck_assert_int_eq(lio_listio(LIO_NOWAIT, list, 2, NULL), -1);
	ck_assert_int_eq(errno, EAGAIN);
	ck_assert_int_eq(aio_error(&a), -1);
	ck_assert_int_eq(aio_error(&b), -1);
	ck_assert_int_eq(write(pipes[CAP][1], "z", 1), 1);
	char left;
	ck_assert_int_eq(read(pipes[CAP][0], &left, 1), 1);	/* nobody took it */
	ck_assert_int_eq(left, 'z');

	/* One completes: there is room again. */
	ck_assert_int_eq(write(pipes[0][1], "0", 1), 1);
	ck_assert_int_eq(test_wait(&reads[0], 0), 1);
	ck_assert_int_eq(aio_read(&reads[CAP]), 0);
	for (int i = 1; i <= CAP; i++) {
		ck_assert_int_eq(write(pipes[i][1], "x", 1), 1);
		ck_assert_int_eq(test_wait(&reads[i], 0), 1);
	}
	for (int i = 0; i <= CAP; i++) {
		close(pipes[i][0]);
		close(pipes[i][1]);
	}
}
END_TEST

int
main(void)
{
	setenv("AIO_POSIX_MAX_REQUESTS", "4", 1);
	Suite *suite = suite_create("capacity");
	TCase *tc = tcase_create("cap");
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, past_the_cap_is_eagain_and_nothing_is_queued);
	suite_add_tcase(suite, tc);
	return test_run_suite(suite);
}
