/* test-listio.c: lio_listio and lio_listio64. */
#define _GNU_SOURCE 1
#include "control-util.h"

#include <aio-posix.h>

#define BLOCK 1024
#define PIECE 8		/* bytes per pipe read */

static void
prepare(struct aiocb *cb, int opcode, int fd, void *buffer, size_t length, off_t offset)
{
	test_prepare(cb, fd, buffer, length, offset);
	cb->aio_lio_opcode = opcode;
}

/* Writes count pieces of PIECE bytes, piece i all 'A' + i. */
static void
fill_pipe(int fd, int count)
{
	char data[PIECE * 64];
	ck_assert_int_le(count, 64);
	for (int i = 0; i < count; i++)
		memset(data + i * PIECE, 'A' + i, PIECE);
	test_write_all(fd, data, (size_t)count * PIECE);
}

/* Each of the reads got one whole piece, and no piece went to two reads. */
static void
check_pieces(struct aiocb *cbs, int count)
{
	unsigned seen = 0;
	for (int i = 0; i < count; i++) {
		ck_assert_int_eq(aio_error(&cbs[i]), 0);
		ck_assert_int_eq(aio_return(&cbs[i]), PIECE);
		const char *b = (const char *)cbs[i].aio_buf;
		int piece = b[0] - 'A';
		ck_assert_int_ge(piece, 0);
		ck_assert_int_lt(piece, count);
		for (int k = 1; k < PIECE; k++)
			ck_assert_int_eq(b[k], b[0]);
		ck_assert_msg(!(seen & (1u << piece)), "piece %d read twice", piece);
		seen |= 1u << piece;
	}
}

START_TEST(wait_reads_and_writes)
{
	int fd = test_temp_file();
	static char src[BLOCK * 4];
	test_pattern_fill(src, sizeof src, 2, 4 * BLOCK);
	ck_assert_int_eq(pwrite(fd, src, sizeof src, 4 * BLOCK), (ssize_t)sizeof src);

	static struct aiocb cbs[8];
	static char wbuf[4][BLOCK], rbuf[4][BLOCK];
	struct aiocb *list[8];
	for (int i = 0; i < 4; i++) {
		test_pattern_fill(wbuf[i], BLOCK, 1, (uint64_t)i * BLOCK);
		prepare(&cbs[i], LIO_WRITE, fd, wbuf[i], BLOCK, (off_t)i * BLOCK);
		prepare(&cbs[4 + i], LIO_READ, fd, rbuf[i], BLOCK, (off_t)(4 + i) * BLOCK);
	}
	for (int i = 0; i < 8; i++)
		list[i] = &cbs[i];

	ck_assert_int_eq(lio_listio(LIO_WAIT, list, 8, NULL), 0);
	for (int i = 0; i < 8; i++) {
		ck_assert_int_ne(aio_error(&cbs[i]), EINPROGRESS);
		ck_assert_int_eq(aio_error(&cbs[i]), 0);
		ck_assert_int_eq(aio_return(&cbs[i]), BLOCK);
	}
	for (int i = 0; i < 4; i++)
		ck_assert(test_pattern_check(rbuf[i], BLOCK, 2, (uint64_t)(4 + i) * BLOCK));
	static char back[4 * BLOCK];
	ck_assert_int_eq(pread(fd, back, sizeof back, 0), (ssize_t)sizeof back);
	ck_assert(test_pattern_check(back, sizeof back, 1, 0));
	close(fd);
}
END_TEST

/* --- LIO_NOWAIT with its own notification ----------------------------------- */

static struct aiocb group_cbs[4];
static char group_bufs[4][PIECE];

static void
prepare_pipe_reads(int fd, struct aiocb **list)
{
	for (int i = 0; i < 4; i++) {
		prepare(&group_cbs[i], LIO_READ, fd, group_bufs[i], PIECE, 0);
		list[i] = &group_cbs[i];
	}
}

static bool
group_all_done(void)
{
	for (int i = 0; i < 4; i++)
		if (aio_error(&group_cbs[i]) == EINPROGRESS)
			return false;
	return true;
}

START_TEST(nowait_signal_once_after_all)
{
	int signo = SIGRTMIN + 2;
	control_block(signo);
	int p[2];
	control_pipe(p);
	struct aiocb *list[4];
	prepare_pipe_reads(p[0], list);
	static int marker;
	struct sigevent ev;
	memset(&ev, 0, sizeof ev);
	ev.sigev_notify = SIGEV_SIGNAL;
	ev.sigev_signo = signo;
	ev.sigev_value.sival_ptr = &marker;

	ck_assert_int_eq(lio_listio(LIO_NOWAIT, list, 4, &ev), 0);
	/* It did not wait: nothing can have completed on an empty pipe. */
	for (int i = 0; i < 4; i++)
		ck_assert_int_eq(aio_error(&group_cbs[i]), EINPROGRESS);
	siginfo_t info;
	errno = 0;
	ck_assert_int_eq(control_sigwait(signo, &info, 0), -1);
	ck_assert_int_eq(errno, EAGAIN);

	fill_pipe(p[1], 4);
	ck_assert_int_eq(control_sigwait(signo, &info, 10000), signo);
	ck_assert(group_all_done());
	ck_assert_int_eq(info.si_code, SI_ASYNCIO);
	ck_assert_ptr_eq(info.si_value.sival_ptr, &marker);
	ck_assert_int_eq(info.si_pid, getpid());
	check_pieces(group_cbs, 4);

	errno = 0;
	ck_assert_int_eq(control_sigwait(signo, &info, 100), -1);
	ck_assert_int_eq(errno, EAGAIN);
	control_close_pipe(p);
}
END_TEST

static sem_t group_sem;
static atomic_int group_calls;
static atomic_int group_value;
static atomic_bool group_done_when_notified;

static void
group_function(union sigval value)
{
	atomic_store(&group_done_when_notified, group_all_done());
	atomic_store(&group_value, value.sival_int);
	atomic_fetch_add(&group_calls, 1);
	sem_post(&group_sem);
}

START_TEST(nowait_thread_once_after_all)
{
	ck_assert_int_eq(sem_init(&group_sem, 0, 0), 0);
	int p[2];
	control_pipe(p);
	struct aiocb *list[4];
	prepare_pipe_reads(p[0], list);
	struct sigevent ev;
	memset(&ev, 0, sizeof ev);
	ev.sigev_notify = SIGEV_THREAD;
	ev.sigev_notify_function = group_function;
	ev.sigev_value.sival_int = 777;

	ck_assert_int_eq(lio_listio(LIO_NOWAIT, list, 4, &ev), 0);
	for (int i = 0; i < 4; i++)
		ck_assert_int_eq(aio_error(&group_cbs[i]), EINPROGRESS);
	control_assert_atomic_eq(&group_calls, 0);

	fill_pipe(p[1], 4);
	ck_assert_int_eq(control_sem_wait(&group_sem, 10000), 0);
	ck_assert(atomic_load(&group_done_when_notified));
	control_assert_atomic_eq(&group_value, 777);
	check_pieces(group_cbs, 4);
	errno = 0;
	ck_assert_int_eq(control_sem_wait(&group_sem, 100), -1);
	ck_assert_int_eq(errno, ETIMEDOUT);
	control_assert_atomic_eq(&group_calls, 1);
	control_close_pipe(p);
}
END_TEST

START_TEST(per_request_notifications_fire)
{
	int each = SIGRTMIN + 3, whole = SIGRTMIN + 4;
	control_block(each);
	control_block(whole);
	int fd = test_temp_file();
	enum { N = 8 };
	static struct aiocb cbs[N];
	static char bufs[N][BLOCK];
	struct aiocb *list[N];
	for (int i = 0; i < N; i++) {
		memset(bufs[i], 'a' + i, BLOCK);
		prepare(&cbs[i], LIO_WRITE, fd, bufs[i], BLOCK, (off_t)i * BLOCK);
		cbs[i].aio_sigevent.sigev_notify = SIGEV_SIGNAL;
		cbs[i].aio_sigevent.sigev_signo = each;
		cbs[i].aio_sigevent.sigev_value.sival_int = 100 + i;
		list[i] = &cbs[i];
	}
	struct sigevent ev;
	memset(&ev, 0, sizeof ev);
	ev.sigev_notify = SIGEV_SIGNAL;
	ev.sigev_signo = whole;
	ev.sigev_value.sival_int = 4242;
	ck_assert_int_eq(lio_listio(LIO_NOWAIT, list, N, &ev), 0);

	unsigned seen = 0;
	siginfo_t info;
	for (int i = 0; i < N; i++) {
		ck_assert_int_eq(control_sigwait(each, &info, 10000), each);
		ck_assert_int_eq(info.si_code, SI_ASYNCIO);
		int k = info.si_value.sival_int - 100;
		ck_assert_int_ge(k, 0);
		ck_assert_int_lt(k, N);
		ck_assert_msg(!(seen & (1u << k)), "request %d notified twice", k);
		seen |= 1u << k;
		ck_assert_int_eq(aio_error(&cbs[k]), 0);
	}
	ck_assert_int_eq(control_sigwait(whole, &info, 10000), whole);
	ck_assert_int_eq(info.si_value.sival_int, 4242);
	for (int i = 0; i < N; i++)
		ck_assert_int_eq(aio_return(&cbs[i]), BLOCK);
	errno = 0;
	ck_assert_int_eq(control_sigwait(each, &info, 100), -1);
	ck_assert_int_eq(errno, EAGAIN);
	errno = 0;
	ck_assert_int_eq(control_sigwait(whole, &info, 0), -1);
	ck_assert_int_eq(errno, EAGAIN);
	close(fd);
}
END_TEST

START_TEST(nop_and_null_ignored)
{
	int fd = test_temp_file();
	int bad = control_closed_fd();
	static struct aiocb nop, w, r;
	static char nbuf[8], wbuf[BLOCK], rbuf[BLOCK];
	prepare(&nop, LIO_NOP, bad, nbuf, sizeof nbuf, 0);
	memset(wbuf, 'w', sizeof wbuf);
	prepare(&w, LIO_WRITE, fd, wbuf, BLOCK, 0);
	ck_assert_int_eq(pwrite(fd, "rrrrrrrr", 8, 2 * BLOCK), 8);
	prepare(&r, LIO_READ, fd, rbuf, 8, 2 * BLOCK);
	struct aiocb *list[6] = { NULL, &nop, &w, NULL, &r, NULL };
	ck_assert_int_eq(lio_listio(LIO_WAIT, list, 6, NULL), 0);
	ck_assert_int_eq(aio_error(&w), 0);
	ck_assert_int_eq(aio_return(&w), BLOCK);
	ck_assert_int_eq(aio_error(&r), 0);
	ck_assert_int_eq(aio_return(&r), 8);
	ck_assert_int_eq(memcmp(rbuf, "rrrrrrrr", 8), 0);

	/* Nothing but NOPs and NULLs: nothing to do, in either mode. */
	struct aiocb *empty[3] = { NULL, &nop, NULL };
	ck_assert_int_eq(lio_listio(LIO_WAIT, empty, 3, NULL), 0);
	ck_assert_int_eq(lio_listio(LIO_NOWAIT, empty, 3, NULL), 0);
	close(fd);
}
END_TEST

START_TEST(failed_entry_gives_eio)
{
	int fd = test_temp_file();
	int bad = control_closed_fd();
	static struct aiocb good1, failing, good2;
	static char b1[BLOCK], bf[BLOCK], b2[BLOCK];
	memset(b1, '1', sizeof b1);
	memset(b2, '2', sizeof b2);
	prepare(&good1, LIO_WRITE, fd, b1, BLOCK, 0);
	prepare(&failing, LIO_READ, bad, bf, BLOCK, 0);
	prepare(&good2, LIO_WRITE, fd, b2, BLOCK, BLOCK);
	struct aiocb *list[3] = { &good1, &failing, &good2 };
	errno = 0;
	ck_assert_int_eq(lio_listio(LIO_WAIT, list, 3, NULL), -1);
	ck_assert_int_eq(errno, EIO);
	ck_assert_int_eq(aio_error(&failing), EBADF);
	ck_assert_int_eq(aio_return(&failing), -1);
	ck_assert_int_eq(aio_error(&good1), 0);
	ck_assert_int_eq(aio_return(&good1), BLOCK);
	ck_assert_int_eq(aio_error(&good2), 0);
	ck_assert_int_eq(aio_return(&good2), BLOCK);
	char back[2 * BLOCK];
	ck_assert_int_eq(pread(fd, back, sizeof back, 0), (ssize_t)sizeof back);
	ck_assert_int_eq(back[0], '1');
	ck_assert_int_eq(back[BLOCK], '2');
	close(fd);
}
END_TEST

START_TEST(bad_mode)
{
	int fd = test_temp_file();
	struct aiocb w;
	char buffer[16] = "0123456789abcdef";
	prepare(&w, LIO_WRITE, fd, buffer, sizeof buffer, 0);
	struct aiocb *list[1] = { &w };
	errno = 0;
	ck_assert_int_eq(lio_listio(LIO_WAIT + LIO_NOWAIT + 7, list, 1, NULL), -1);
	ck_assert_int_eq(errno, EINVAL);
	errno = 0;
	ck_assert_int_eq(lio_listio(-1, list, 1, NULL), -1);
	ck_assert_int_eq(errno, EINVAL);
	close(fd);
}
END_TEST

START_TEST(too_many_entries)
{
	/* All NULL: a library that read entries before checking nent would
	 * still find nothing to do. */
	struct aiocb **list = calloc(AIO_POSIX_LISTIO_MAX + 1, sizeof *list);
	ck_assert_ptr_nonnull(list);
	errno = 0;
	ck_assert_int_eq(lio_listio(LIO_WAIT, list, AIO_POSIX_LISTIO_MAX + 1, NULL), -1);
	ck_assert_int_eq(errno, EINVAL);
	errno = 0;
	ck_assert_int_eq(lio_listio(LIO_NOWAIT, list, AIO_POSIX_LISTIO_MAX + 1, NULL), -1);
	ck_assert_int_eq(errno, EINVAL);
	/* The maximum itself is accepted. */
	ck_assert_int_eq(lio_listio(LIO_WAIT, list, AIO_POSIX_LISTIO_MAX, NULL), 0);
	free(list);
}
END_TEST

START_TEST(zero_entries)
{
	struct aiocb *list[1] = { NULL };
	ck_assert_int_eq(lio_listio(LIO_WAIT, list, 0, NULL), 0);
	ck_assert_int_eq(lio_listio(LIO_NOWAIT, list, 0, NULL), 0);
}
END_TEST

/* --- an interrupted LIO_WAIT -------------------------------------------------- */

static volatile sig_atomic_t interruptions;

static void
interrupt_handler(int signo)
{
	interruptions++;
}

static struct aiocb interrupted_cbs[4];
static char interrupted_bufs[4][PIECE];

/* Its frame holds the list and whatever lio_listio puts on the stack; it is
 * gone, and overwritten, before the requests finish. */
static __attribute__((noinline)) int
submit_and_wait(int fd, int *error)
{
	struct aiocb *list[4];
	for (int i = 0; i < 4; i++) {
		prepare(&interrupted_cbs[i], LIO_READ, fd, interrupted_bufs[i], PIECE, 0);
		list[i] = &interrupted_cbs[i];
	}
	struct control_spammer spammer;
	control_spammer_start(&spammer, pthread_self(), SIGUSR1);
	errno = 0;
	int rc = lio_listio(LIO_WAIT, list, 4, NULL);
	*error = errno;
	control_spammer_stop(&spammer);
	return rc;
}

static __attribute__((noinline)) void
scribble_stack(void)
{
	volatile unsigned char junk[64 * 1024];
	for (size_t i = 0; i < sizeof junk; i++)
		junk[i] = (unsigned char)(0xa5 ^ i);
	/* Some library calls, whose frames land where submit_and_wait's was. */
	struct timespec zero = { 0, 0 };
	const struct aiocb *list[1] = { &interrupted_cbs[0] };
	aio_suspend(list, 1, &zero);
	(void)aio_error(&interrupted_cbs[1]);
	char text[256];
	snprintf(text, sizeof text, "%d %p", (int)junk[100], (void *)text);
}

START_TEST(interrupted_wait_keeps_going)
{
	control_handle(SIGUSR1, interrupt_handler, 0);
	int p[2];
	control_pipe(p);
	int error;
	ck_assert_int_eq(submit_and_wait(p[0], &error), -1);
	ck_assert_int_eq(error, EINTR);
	ck_assert_int_gt(interruptions, 0);
	scribble_stack();
	for (int i = 0; i < 4; i++)
		ck_assert_int_eq(aio_error(&interrupted_cbs[i]), EINPROGRESS);

	fill_pipe(p[1], 4);
	struct aiocb *cbs[4];
	for (int i = 0; i < 4; i++)
		cbs[i] = &interrupted_cbs[i];
	control_wait_all(cbs, 4);
	check_pieces(interrupted_cbs, 4);

	/* The library still works afterwards. */
	int fd = test_temp_file();
	static struct aiocb w;
	static char wbuf[64];
	memset(wbuf, 'k', sizeof wbuf);
	prepare(&w, LIO_WRITE, fd, wbuf, sizeof wbuf, 0);
	struct aiocb *list[1] = { &w };
	ck_assert_int_eq(lio_listio(LIO_WAIT, list, 1, NULL), 0);
	ck_assert_int_eq(aio_return(&w), (ssize_t)sizeof wbuf);
	close(fd);
	control_close_pipe(p);
}
END_TEST

START_TEST(listio64)
{
	int fd = test_temp_file();
	ck_assert_int_eq(pwrite(fd, "sixty-four", 10, BLOCK), 10);
	static struct aiocb64 w, r;
	static char wbuf[BLOCK], rbuf[16];
	memset(wbuf, '6', sizeof wbuf);
	memset(&w, 0, sizeof w);
	w.aio_fildes = fd;
	w.aio_lio_opcode = LIO_WRITE;
	w.aio_buf = wbuf;
	w.aio_nbytes = BLOCK;
	w.aio_offset = 0;
	w.aio_sigevent.sigev_notify = SIGEV_NONE;
	memset(&r, 0, sizeof r);
	r.aio_fildes = fd;
	r.aio_lio_opcode = LIO_READ;
	r.aio_buf = rbuf;
	r.aio_nbytes = 10;
	r.aio_offset = BLOCK;
	r.aio_sigevent.sigev_notify = SIGEV_NONE;
	struct aiocb64 *list[3] = { &w, NULL, &r };
	ck_assert_int_eq(lio_listio64(LIO_WAIT, list, 3, NULL), 0);
	ck_assert_int_eq(aio_error64(&w), 0);
	ck_assert_int_eq(aio_return64(&w), BLOCK);
	ck_assert_int_eq(aio_error64(&r), 0);
	ck_assert_int_eq(aio_return64(&r), 10);
	ck_assert_int_eq(memcmp(rbuf, "sixty-four", 10), 0);
	errno = 0;
	ck_assert_int_eq(lio_listio64(99, list, 3, NULL), -1);
	ck_assert_int_eq(errno, EINVAL);
	close(fd);
}
END_TEST

static Suite *
listio_suite(void)
{
	Suite *s = suite_create("lio_listio");
	TCase *tc = control_tcase("wait");
	tcase_add_test(tc, wait_reads_and_writes);
	tcase_add_test(tc, nop_and_null_ignored);
	tcase_add_test(tc, failed_entry_gives_eio);
	tcase_add_test(tc, interrupted_wait_keeps_going);
	tcase_add_test(tc, listio64);
	suite_add_tcase(s, tc);

	tc = control_tcase("nowait");
	tcase_add_test(tc, nowait_signal_once_after_all);
	tcase_add_test(tc, nowait_thread_once_after_all);
	tcase_add_test(tc, per_request_notifications_fire);
	suite_add_tcase(s, tc);

	tc = control_tcase("arguments");
	tcase_add_test(tc, bad_mode);
	tcase_add_test(tc, too_many_entries);
	tcase_add_test(tc, zero_entries);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return control_run_suite(listio_suite());
}
