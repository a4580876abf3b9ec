/* test-ignored-fields: what POSIX says a function ignores, the library
 * ignores: whatever such a member holds, the call is accepted and does its
 * work.  One test per rule:
 *   aio_fsync        uses aio_fildes and aio_sigevent only ("all other
 *                    members are ignored"): aio_reqprio, aio_buf,
 *                    aio_nbytes, aio_offset, aio_lio_opcode;
 *   aio_read/write   ignore aio_lio_opcode;
 *   aio_write        on O_APPEND appends: aio_offset is ignored;
 *   both             on a file that cannot seek, aio_offset is ignored;
 *   sigevent         members its sigev_notify does not use;
 *   lio_listio       LIO_NOP entries, and sig under LIO_WAIT;
 *   aio_cancel       uses only aio_fildes of the aiocb;
 *   aio_error/return read only the request's status, not its members. */
#include "control-util.h"

static void
wait_done(struct aiocb *cb, int error, ssize_t result)
{
	struct aiocb *list[1] = { cb };
	control_wait_all(list, 1);
	ck_assert_int_eq(aio_error(cb), error);
	ck_assert_int_eq(aio_return(cb), result);
}

static void
fsync_with(void (*spoil)(struct aiocb *))
{
	int fd = test_temp_file();
	test_write_all(fd, "data", 4);
	for (int op = 0; op < 2; op++) {
		struct aiocb cb;
		test_prepare(&cb, fd, NULL, 0, 0);
		spoil(&cb);
		ck_assert_msg(aio_fsync(op ? O_DSYNC : O_SYNC, &cb) == 0, "aio_fsync refused: %s",
			      strerror(errno));
		wait_done(&cb, 0, 0);
	}
	close(fd);
}

static void spoil_reqprio_negative(struct aiocb *cb) { cb->aio_reqprio = -1; }
static void spoil_reqprio_huge(struct aiocb *cb) { cb->aio_reqprio = INT_MAX; }

START_TEST(test_fsync_ignores_aio_reqprio)
{
	fsync_with(spoil_reqprio_negative);
	fsync_with(spoil_reqprio_huge);
}
END_TEST

static void
spoil_transfer_fields(struct aiocb *cb)
{
	cb->aio_buf = (void *)1;
	cb->aio_nbytes = SIZE_MAX;
	cb->aio_offset = -4096;
	cb->aio_lio_opcode = 12345;
}

START_TEST(test_fsync_ignores_buffer_length_offset_and_opcode)
{
	fsync_with(spoil_transfer_fields);
}
END_TEST

START_TEST(test_read_and_write_ignore_aio_lio_opcode)
{
	int fd = test_temp_file();
	const int opcodes[] = { LIO_NOP, LIO_READ, LIO_WRITE, -1, 12345 };
	for (size_t i = 0; i < sizeof opcodes / sizeof opcodes[0]; i++) {
		char out[8], in[8];
		test_pattern_fill(out, sizeof out, (unsigned)i, 0);
		struct aiocb cb;
		test_prepare(&cb, fd, out, sizeof out, 0);
		cb.aio_lio_opcode = opcodes[i];
		ck_assert_int_eq(aio_write(&cb), 0);
		wait_done(&cb, 0, sizeof out);
		test_prepare(&cb, fd, in, sizeof in, 0);
		cb.aio_lio_opcode = opcodes[i];
		ck_assert_int_eq(aio_read(&cb), 0);
		wait_done(&cb, 0, sizeof in);
		ck_assert(test_pattern_check(in, sizeof in, (unsigned)i, 0));
	}
	close(fd);
}
END_TEST

START_TEST(test_append_write_ignores_aio_offset)
{
	char path[] = "/tmp/aio-posix-append-XXXXXX";
	int fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	close(fd);
	fd = open(path, O_RDWR | O_APPEND);
	unlink(path);
	const off_t offsets[] = { -1, LLONG_MIN, 0, 1 << 20 };
	const char *parts[] = { "one ", "two ", "three ", "four" };
	for (int i = 0; i < 4; i++) {
		struct aiocb cb;
		test_prepare(&cb, fd, (void *)parts[i], strlen(parts[i]), offsets[i]);
		ck_assert_msg(aio_write(&cb) == 0, "offset %lld refused: %s", (long long)offsets[i],
			      strerror(errno));
		wait_done(&cb, 0, (ssize_t)strlen(parts[i]));
	}
	char back[32] = { 0 };
	ck_assert_int_eq(pread(fd, back, sizeof back, 0), 18);
	ck_assert_str_eq(back, "one two three four");
	close(fd);
}
END_TEST

START_TEST(test_stream_transfers_ignore_aio_offset)
{
	int p[2];
	control_pipe(p);
	struct aiocb w, r;
	char in[5];
	test_prepare(&w, p[1], "pipe!", 5, -5);
	ck_assert_int_eq(aio_write(&w), 0);
	wait_done(&w, 0, 5);
	test_prepare(&r, p[0], in, 5, LLONG_MIN);
	ck_assert_int_eq(aio_read(&r), 0);
	wait_done(&r, 0, 5);
	ck_assert_int_eq(memcmp(in, "pipe!", 5), 0);
	/* lio_listio entries too. */
	test_prepare(&w, p[1], "lio", 3, -1);
	w.aio_lio_opcode = LIO_WRITE;
	struct aiocb *list[1] = { &w };
	ck_assert_int_eq(lio_listio(LIO_WAIT, list, 1, NULL), 0);
	ck_assert_int_eq(read(p[0], in, 3), 3);
	control_close_pipe(p);
}
END_TEST

static atomic_int callbacks;

static void
callback(union sigval value)
{
	(void)value;
	atomic_fetch_add(&callbacks, 1);
}

START_TEST(test_sigevent_members_its_kind_does_not_use)
{
	int fd = test_temp_file();
	char buffer[4] = "abcd";
	struct aiocb cb;
	/* SIGEV_NONE: nothing else matters. */
	test_prepare(&cb, fd, buffer, 4, 0);
	cb.aio_sigevent.sigev_notify = SIGEV_NONE;
	cb.aio_sigevent.sigev_signo = -1;
	cb.aio_sigevent.sigev_notify_function = (void (*)(union sigval))1;
	cb.aio_sigevent.sigev_notify_attributes = (pthread_attr_t *)1;
	ck_assert_int_eq(aio_write(&cb), 0);
	wait_done(&cb, 0, 4);
	/* SIGEV_SIGNAL: the function and attributes do not matter. */
	test_prepare(&cb, fd, buffer, 4, 0);
	cb.aio_sigevent.sigev_notify = SIGEV_SIGNAL;
	cb.aio_sigevent.sigev_signo = 0;	/* no signal at all */
	cb.aio_sigevent.sigev_notify_function = (void (*)(union sigval))1;
	cb.aio_sigevent.sigev_notify_attributes = (pthread_attr_t *)1;
	ck_assert_int_eq(aio_write(&cb), 0);
	wait_done(&cb, 0, 4);
	/* SIGEV_THREAD: the signal number does not matter. */
	test_prepare(&cb, fd, buffer, 4, 0);
	cb.aio_sigevent.sigev_notify = SIGEV_THREAD;
	cb.aio_sigevent.sigev_notify_function = callback;
	cb.aio_sigevent.sigev_signo = -77;
	ck_assert_int_eq(aio_write(&cb), 0);
	wait_done(&cb, 0, 4);
	long long deadline = control_now_ns() + CONTROL_BOUND_NS;
	while (atomic_load(&callbacks) == 0 && control_now_ns() < deadline)
		control_pause();
	ck_assert_int_eq(atomic_load(&callbacks), 1);
	close(fd);
}
END_TEST

START_TEST(test_lio_nop_entries_and_wait_sig_are_ignored)
{
	int fd = test_temp_file();
	char buffer[4] = "list";
	struct aiocb nop, real, *list[2] = { &nop, &real };
	memset(&nop, 0xa5, sizeof nop);	/* every member rubbish... */
	nop.aio_lio_opcode = LIO_NOP;	/* ...but the opcode */
	test_prepare(&real, fd, buffer, 4, 0);
	real.aio_lio_opcode = LIO_WRITE;
	/* Under LIO_WAIT, sig is not used: a rubbish one does not matter. */
	struct sigevent rubbish;
	memset(&rubbish, 0xa5, sizeof rubbish);
	ck_assert_int_eq(lio_listio(LIO_WAIT, list, 2, &rubbish), 0);
	ck_assert_int_eq(aio_return(&real), 4);
	close(fd);
}
END_TEST

START_TEST(test_cancel_uses_only_aio_fildes)
{
	int p[2];
	control_pipe(p);
	struct aiocb never;
	memset(&never, 0x5a, sizeof never);	/* never submitted, rubbish */
	never.aio_fildes = p[0];
	ck_assert_int_eq(aio_cancel(p[0], &never), AIO_ALLDONE);
	char byte;
	struct aiocb cb;
	test_prepare(&cb, p[0], &byte, 1, 0);
	cb.aio_reqprio = 3;
	ck_assert_int_eq(aio_read(&cb), 0);
	ck_assert_int_eq(aio_cancel(p[0], &cb), AIO_CANCELED);
	ck_assert_int_eq(aio_error(&cb), ECANCELED);
	control_close_pipe(p);
}
END_TEST

START_TEST(test_status_does_not_read_the_members)
{
	int fd = test_temp_file();
	char buffer[6] = "status";
	struct aiocb cb;
	test_prepare(&cb, fd, buffer, 6, 0);
	ck_assert_int_eq(aio_write(&cb), 0);
	struct aiocb *list[1] = { &cb };
	control_wait_all(list, 1);
	/* Finished: the members are the program's again. */
	cb.aio_fildes = -1;
	cb.aio_buf = NULL;
	cb.aio_nbytes = 0;
	cb.aio_offset = -1;
	cb.aio_lio_opcode = 999;
	cb.aio_reqprio = -1;
	cb.aio_sigevent.sigev_notify = 12345;
	ck_assert_int_eq(aio_error(&cb), 0);
	ck_assert_int_eq(aio_return(&cb), 6);
	close(fd);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("ignored-fields");
	TCase *tc = control_tcase("POSIX's ignored members");
	tcase_add_test(tc, test_fsync_ignores_aio_reqprio);
	tcase_add_test(tc, test_fsync_ignores_buffer_length_offset_and_opcode);
	tcase_add_test(tc, test_read_and_write_ignore_aio_lio_opcode);
	tcase_add_test(tc, test_append_write_ignores_aio_offset);
	tcase_add_test(tc, test_stream_transfers_ignore_aio_offset);
	tcase_add_test(tc, test_sigevent_members_its_kind_does_not_use);
	tcase_add_test(tc, test_lio_nop_entries_and_wait_sig_are_ignored);
	tcase_add_test(tc, test_cancel_uses_only_aio_fildes);
	tcase_add_test(tc, test_status_does_not_read_the_members);
	suite_add_tcase(s, tc);
	return control_run_suite(s);
}
