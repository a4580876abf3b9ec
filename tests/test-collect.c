/* test-collect: aio_waitcomplete (FreeBSD) and aio_waitn (Solaris) hand
 * over the process's finished requests, each exactly once, and follow the
 * rules of aio-posix(7): after aio_return a request is no longer theirs,
 * SIGEV_AIO_PRIVATE keeps one away from them, cancelled and lio_listio
 * requests come like any other, a fork child and an exec'd image have
 * nothing to collect. */
#include "control-util.h"

/* A fork child here starts requests of its own, and with them threads. */
CONTROL_TSAN_THREADS_AFTER_FORK

#include <sys/eventfd.h>

#include <aio-posix/asynch.h>

static char **saved_argv;

static void
start_read(struct aiocb *cb, int fd, void *buffer, size_t length, off_t offset)
{
	test_prepare(cb, fd, buffer, length, offset);
	ck_assert_int_eq(aio_read(cb), 0);
}

static const struct timespec zero = { 0, 0 };

/* aio_waitcomplete with a bounded wait: a request must come. */
static ssize_t
wait_one(struct aiocb **cb)
{
	struct timespec limit = { 20, 0 };
	ssize_t rc;
	do
		rc = aio_waitcomplete(cb, &limit);
	while (rc == -1 && *cb == NULL && errno == EINTR);
	ck_assert_msg(*cb != NULL, "aio_waitcomplete: nothing came (%s)", strerror(errno));
	return rc;
}

static void
assert_nothing_to_collect(void)
{
	struct aiocb *cb = (struct aiocb *)1;
	errno = 0;
	ck_assert_int_eq(aio_waitcomplete(&cb, NULL), -1);
	ck_assert_int_eq(errno, EAGAIN);
	ck_assert_ptr_null(cb);
	struct aiocb *list[4];
	unsigned nwait = 1;
	errno = 0;
	ck_assert_int_eq(aio_waitn(list, 4, &nwait, NULL), -1);
	ck_assert_int_eq(errno, EAGAIN);
	ck_assert_uint_eq(nwait, 0);
}

/* --- aio_waitcomplete ------------------------------------------------------- */

START_TEST(test_waitcomplete_serves_as_aio_return)
{
	int fd = test_pattern_file(4096, 7);
	char buffer[4096];
	struct aiocb a, *got;
	start_read(&a, fd, buffer, sizeof buffer, 0);
	ck_assert_int_eq(wait_one(&got), 4096);
	ck_assert_ptr_eq(got, &a);
	ck_assert(test_pattern_check(buffer, sizeof buffer, 7, 0));
	/* Handed over: never again, and aio_error/aio_return as after
	 * aio_return. */
	got = &a;
	ck_assert_int_eq(aio_waitcomplete(&got, (struct timespec *)&zero), -1);
	ck_assert_int_eq(errno, EAGAIN);
	ck_assert_ptr_null(got);
	ck_assert_int_eq(aio_error(&a), 0);
	ck_assert_int_eq(aio_return(&a), 4096);
	ck_assert_int_eq(aio_return(&a), 4096);
	close(fd);
}
END_TEST

START_TEST(test_waitcomplete_reports_a_failure_in_errno)
{
	char buffer[16];
	struct aiocb a, *got;
	int closed = control_closed_fd();
	start_read(&a, closed, buffer, sizeof buffer, 0);
	errno = 0;
	ck_assert_int_eq(wait_one(&got), -1);
	ck_assert_int_eq(errno, EBADF);
	ck_assert_ptr_eq(got, &a);
	ck_assert_int_eq(aio_error(&a), EBADF);
}
END_TEST

START_TEST(test_waitcomplete_answers_at_once_when_nothing_is_in_flight)
{
	/* Never submitted anything: NULL timeout, and one of an hour, both
	 * answer at once (the test's timeout would catch a wait). */
	assert_nothing_to_collect();
	struct aiocb *cb = (struct aiocb *)1;
	struct timespec hour = { 3600, 0 };
	ck_assert_int_eq(aio_waitcomplete(&cb, &hour), -1);
	ck_assert_int_eq(errno, EAGAIN);
	ck_assert_ptr_null(cb);
	/* And again once everything was collected. */
	int fd = test_pattern_file(512, 7);
	char buffer[512];
	struct aiocb a;
	start_read(&a, fd, buffer, sizeof buffer, 0);
	ck_assert_int_eq(wait_one(&cb), 512);
	assert_nothing_to_collect();
	close(fd);
}
END_TEST

START_TEST(test_waitcomplete_times_out_with_eagain)
{
	int p[2];
	control_pipe(p);
	char buffer[8];
	struct aiocb a, *got = &a;
	start_read(&a, p[0], buffer, sizeof buffer, 0);
	struct timespec short_wait = control_ms(30);
	ck_assert_int_eq(aio_waitcomplete(&got, &short_wait), -1);
	ck_assert_int_eq(errno, EAGAIN);
	ck_assert_ptr_null(got);
	ck_assert_int_eq(aio_waitcomplete(&got, (struct timespec *)&zero), -1);
	ck_assert_int_eq(errno, EAGAIN);
	/* A request finishing while it waits wakes it. */
	test_write_all(p[1], "finished", 8);
	ck_assert_int_eq(wait_one(&got), 8);
	ck_assert_ptr_eq(got, &a);
	control_close_pipe(p);
}
END_TEST

START_TEST(test_waitcomplete_refuses_bad_arguments)
{
	struct aiocb *got = (struct aiocb *)1;
	struct timespec bad[] = { { 0, 1000000000L }, { 0, -1 }, { -1, 0 } };
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		got = (struct aiocb *)1;
		ck_assert_int_eq(aio_waitcomplete(&got, &bad[i]), -1);
		ck_assert_int_eq(errno, EINVAL);
		ck_assert_ptr_null(got);
	}
	ck_assert_int_eq(aio_waitcomplete(NULL, NULL), -1);
	ck_assert_int_eq(errno, EFAULT);
}
END_TEST

static void
on_signal(int signo)
{
	(void)signo;
}

START_TEST(test_waitcomplete_interrupted_says_eintr)
{
	struct sigaction action = { .sa_handler = on_signal };	/* no SA_RESTART */
	sigemptyset(&action.sa_mask);
	ck_assert_int_eq(sigaction(SIGUSR1, &action, NULL), 0);
	int p[2];
	control_pipe(p);
	char buffer[4];
	struct aiocb a, *got = &a;
	start_read(&a, p[0], buffer, sizeof buffer, 0);
	struct control_spammer spammer;
	control_spammer_start(&spammer, pthread_self(), SIGUSR1);
	ck_assert_int_eq(aio_waitcomplete(&got, NULL), -1);
	ck_assert_int_eq(errno, EINTR);
	ck_assert_ptr_null(got);
	control_spammer_stop(&spammer);
	test_write_all(p[1], "done", 4);
	ck_assert_int_eq(wait_one(&got), 4);
	control_close_pipe(p);
}
END_TEST

START_TEST(test_waitcomplete_after_aio_return_never_returns_it)
{
	int fd = test_pattern_file(1024, 7);
	char buffer[1024];
	struct aiocb a;
	start_read(&a, fd, buffer, sizeof buffer, 0);
	struct aiocb *list[1] = { &a };
	control_wait_all(list, 1);
	ck_assert_int_eq(aio_return(&a), 1024);
	assert_nothing_to_collect();
	close(fd);
}
END_TEST

START_TEST(test_resubmitted_aiocb_is_reported_once)
{
	int fd = test_pattern_file(2048, 7);
	char buffer[1024];
	struct aiocb a, *got;
	start_read(&a, fd, buffer, sizeof buffer, 0);
	struct aiocb *list[1] = { &a };
	control_wait_all(list, 1);
	/* Not collected, but resubmitted: the first result is the program's. */
	a.aio_offset = 1024;
	ck_assert_int_eq(aio_read(&a), 0);
	ck_assert_int_eq(wait_one(&got), 1024);
	ck_assert_ptr_eq(got, &a);
	ck_assert(test_pattern_check(buffer, sizeof buffer, 7, 1024));
	assert_nothing_to_collect();
	close(fd);
}
END_TEST

START_TEST(test_private_request_is_left_to_its_submitter)
{
	int fd = test_pattern_file(4096, 7);
	char buffer[2][2048];
	struct aiocb mine, theirs, *got;
	test_prepare(&mine, fd, buffer[0], 2048, 0);
	mine.aio_sigevent.sigev_notify = SIGEV_NONE | SIGEV_AIO_PRIVATE;
	ck_assert_int_eq(aio_read(&mine), 0);
	start_read(&theirs, fd, buffer[1], 2048, 2048);
	ck_assert_int_eq(wait_one(&got), 2048);
	ck_assert_ptr_eq(got, &theirs);
	/* The private one is finished, but not the waiters': nothing else
	 * comes, and nothing counts as in flight for them. */
	struct aiocb *list[1] = { &mine };
	control_wait_all(list, 1);
	assert_nothing_to_collect();
	ck_assert_int_eq(aio_return(&mine), 2048);
	ck_assert(test_pattern_check(buffer[0], 2048, 7, 0));
	close(fd);
}
END_TEST

/* Two threads in aio_waitcomplete against many requests: each is returned
 * exactly once, to one of them. */
enum { MANY = 300 };
static struct aiocb many[MANY];
static atomic_int returned_count[MANY];

static void *
collector_main(void *arg)
{
	atomic_int *taken = arg;
	for (;;) {
		struct aiocb *got;
		ssize_t rc = aio_waitcomplete(&got, NULL);
		if (rc == -1 && !got) {
			if (errno == EINTR)
				continue;
			break;		/* EAGAIN: nothing left at all */
		}
		ptrdiff_t index = got - many;
		if (index >= 0 && index < MANY && rc == 512)
			atomic_fetch_add(&returned_count[index], 1);
		atomic_fetch_add(taken, 1);
	}
	return NULL;
}

START_TEST(test_concurrent_waiters_never_get_one_twice)
{
	int fd = test_pattern_file(512 * 8, 7);
	static char buffers[MANY][512];
	atomic_int taken[2];
	pthread_t threads[2];
	/* The first batch is in flight before the collectors start. */
	for (int i = 0; i < MANY / 2; i++)
		start_read(&many[i], fd, buffers[i], 512, 512 * (i % 8));
	for (int t = 0; t < 2; t++) {
		atomic_init(&taken[t], 0);
		ck_assert_int_eq(pthread_create(&threads[t], NULL, collector_main, &taken[t]), 0);
	}
	for (int i = MANY / 2; i < MANY; i++)
		start_read(&many[i], fd, buffers[i], 512, 512 * (i % 8));
	for (int t = 0; t < 2; t++)
		ck_assert_int_eq(pthread_join(threads[t], NULL), 0);
	/* A collector may have left while the second batch was submitted:
	 * collect the rest here. */
	int rest = 0;
	for (;;) {
		struct aiocb *got;
		ssize_t rc = aio_waitcomplete(&got, NULL);
		if (rc == -1 && !got)
			break;
		ck_assert_int_eq(rc, 512);
		atomic_fetch_add(&returned_count[got - many], 1);
		rest++;
	}
	ck_assert_int_eq(atomic_load(&taken[0]) + atomic_load(&taken[1]) + rest, MANY);
	for (int i = 0; i < MANY; i++)
		ck_assert_msg(atomic_load(&returned_count[i]) == 1, "request %d returned %d times",
			      i, atomic_load(&returned_count[i]));
	close(fd);
}
END_TEST

START_TEST(test_cancelled_request_comes_with_ecanceled)
{
	int p[2];
	control_pipe(p);
	char buffer[4];
	struct aiocb a, *got;
	start_read(&a, p[0], buffer, sizeof buffer, 0);
	ck_assert_int_eq(aio_cancel(p[0], &a), AIO_CANCELED);
	errno = 0;
	ck_assert_int_eq(wait_one(&got), -1);
	ck_assert_int_eq(errno, ECANCELED);
	ck_assert_ptr_eq(got, &a);
	assert_nothing_to_collect();
	control_close_pipe(p);
}
END_TEST

START_TEST(test_lio_listio_requests_come_one_by_one)
{
	int fd = test_pattern_file(4096, 7);
	char buffers[4][1024];
	struct aiocb cbs[5], *list[5];
	for (int i = 0; i < 4; i++) {
		test_prepare(&cbs[i], fd, buffers[i], 1024, 1024 * i);
		cbs[i].aio_lio_opcode = LIO_READ;
		list[i] = &cbs[i];
	}
	/* Refused, never queued: not the waiters' either. */
	test_prepare(&cbs[4], fd, buffers[0], 16, 0);
	cbs[4].aio_lio_opcode = 99;
	list[4] = &cbs[4];
	ck_assert_int_eq(lio_listio(LIO_WAIT, list, 5, NULL), -1);
	ck_assert_int_eq(errno, EIO);
	int seen[4] = { 0 };
	for (int i = 0; i < 4; i++) {
		struct aiocb *got;
		ck_assert_int_eq(wait_one(&got), 1024);
		ck_assert(got >= cbs && got < cbs + 4);
		seen[got - cbs]++;
	}
	for (int i = 0; i < 4; i++)
		ck_assert_int_eq(seen[i], 1);
	assert_nothing_to_collect();
	close(fd);
}
END_TEST

/* --- aio_waitn ---------------------------------------------------------------- */

START_TEST(test_waitn_waits_for_nwait_and_times_out_with_etime)
{
	int fd = test_pattern_file(2048, 7);
	int p[2];
	control_pipe(p);
	char buffers[3][1024];
	struct aiocb file_reads[2], pipe_read, *list[8];
	start_read(&file_reads[0], fd, buffers[0], 1024, 0);
	start_read(&file_reads[1], fd, buffers[1], 1024, 1024);
	start_read(&pipe_read, p[0], buffers[2], 5, 0);
	struct aiocb *wait_list[2] = { &file_reads[0], &file_reads[1] };
	control_wait_all(wait_list, 2);

	unsigned nwait = 3;
	struct timespec short_wait = control_ms(30);
	ck_assert_int_eq(aio_waitn(list, 8, &nwait, &short_wait), -1);
	ck_assert_int_eq(errno, ETIME);
	ck_assert_uint_eq(nwait, 2);
	ck_assert((list[0] == &file_reads[0] && list[1] == &file_reads[1]) ||
		  (list[0] == &file_reads[1] && list[1] == &file_reads[0]));
	/* As on Solaris, the status is still there to read. */
	ck_assert_int_eq(aio_error(list[0]), 0);
	ck_assert_int_eq(aio_return(list[0]), 1024);
	ck_assert_int_eq(aio_return(list[1]), 1024);

	/* A poll with the pipe read still in flight: 0 and nothing. */
	nwait = 1;
	ck_assert_int_eq(aio_waitn(list, 8, &nwait, &zero), 0);
	ck_assert_uint_eq(nwait, 0);

	test_write_all(p[1], "hello", 5);
	nwait = 1;
	ck_assert_int_eq(aio_waitn(list, 8, &nwait, NULL), 0);
	ck_assert_uint_eq(nwait, 1);
	ck_assert_ptr_eq(list[0], &pipe_read);
	ck_assert_int_eq(aio_return(&pipe_read), 5);
	assert_nothing_to_collect();
	control_close_pipe(p);
	close(fd);
}
END_TEST

START_TEST(test_waitn_returns_what_there_is_when_nothing_is_left)
{
	int fd = test_pattern_file(1024, 7);
	char buffer[1024];
	struct aiocb a, *list[4];
	start_read(&a, fd, buffer, sizeof buffer, 0);
	unsigned nwait = 4;	/* more than will ever finish */
	ck_assert_int_eq(aio_waitn(list, 4, &nwait, NULL), 0);
	ck_assert_uint_eq(nwait, 1);
	ck_assert_ptr_eq(list[0], &a);
	close(fd);
}
END_TEST

/* aio_waitn(list of nent, nwait, no time limit) must return expected
 * requests of cbs; each is counted in seen. */
static void
waitn_expecting(struct aiocb *cbs, int *seen, unsigned nent, unsigned nwait, unsigned expected)
{
	struct aiocb *list[8];
	ck_assert_uint_le(nent, 8);
	ck_assert_int_eq(aio_waitn(list, nent, &nwait, NULL), 0);
	ck_assert_uint_eq(nwait, expected);
	for (unsigned i = 0; i < nwait; i++)
		seen[list[i] - cbs]++;
}

START_TEST(test_waitn_fills_at_most_nent)
{
	int fd = test_pattern_file(4096, 7);
	char buffers[6][512];
	struct aiocb cbs[6], *all[6];
	for (int i = 0; i < 6; i++) {
		test_prepare(&cbs[i], fd, buffers[i], 512, 512 * i);
		cbs[i].aio_lio_opcode = LIO_READ;
		all[i] = &cbs[i];
	}
	/* LIO_WAIT returns once every entry has finished, and a finished
	 * request reaches the waiters before its list counts it (finish.c):
	 * all six are there now. */
	ck_assert_int_eq(lio_listio(LIO_WAIT, all, 6, NULL), 0);
	/* As many as there are, beyond nwait, never more than nent
	 * (aio_waitn(3C)); then the rest. */
	int seen[6] = { 0 };
	waitn_expecting(cbs, seen, 4, 2, 4);
	waitn_expecting(cbs, seen, 4, 1, 2);
	for (int i = 0; i < 6; i++)
		ck_assert_int_eq(seen[i], 1);
	assert_nothing_to_collect();
	close(fd);
}
END_TEST

START_TEST(test_waitn_refuses_bad_arguments)
{
	struct aiocb *list[4];
	unsigned nwait;
	nwait = 1;
	ck_assert_int_eq(aio_waitn(list, 0, &nwait, NULL), -1);
	ck_assert_int_eq(errno, EINVAL);
	nwait = 0;
	ck_assert_int_eq(aio_waitn(list, 4, &nwait, NULL), -1);
	ck_assert_int_eq(errno, EINVAL);
	nwait = 5;
	ck_assert_int_eq(aio_waitn(list, 4, &nwait, NULL), -1);
	ck_assert_int_eq(errno, EINVAL);
	nwait = 1;
	ck_assert_int_eq(aio_waitn(list, AIO_POSIX_LISTIO_MAX + 1, &nwait, NULL), -1);
	ck_assert_int_eq(errno, EINVAL);
	struct timespec bad = { 0, -5 };
	ck_assert_int_eq(aio_waitn(list, 4, &nwait, &bad), -1);
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_uint_eq(nwait, 0);
	nwait = 1;
	ck_assert_int_eq(aio_waitn(NULL, 4, &nwait, NULL), -1);
	ck_assert_int_eq(errno, EFAULT);
	ck_assert_int_eq(aio_waitn(list, 4, NULL, NULL), -1);
	ck_assert_int_eq(errno, EFAULT);
}
END_TEST

START_TEST(test_waitn_interrupted_says_eintr)
{
	struct sigaction action = { .sa_handler = on_signal };
	sigemptyset(&action.sa_mask);
	ck_assert_int_eq(sigaction(SIGUSR1, &action, NULL), 0);
	int p[2];
	control_pipe(p);
	char buffer[4];
	struct aiocb a, *list[2];
	start_read(&a, p[0], buffer, sizeof buffer, 0);
	struct control_spammer spammer;
	control_spammer_start(&spammer, pthread_self(), SIGUSR1);
	unsigned nwait = 1;
	ck_assert_int_eq(aio_waitn(list, 2, &nwait, NULL), -1);
	ck_assert_int_eq(errno, EINTR);
	ck_assert_uint_eq(nwait, 0);
	control_spammer_stop(&spammer);
	ck_assert_int_eq(aio_cancel(p[0], &a), AIO_CANCELED);
	nwait = 1;
	ck_assert_int_eq(aio_waitn(list, 2, &nwait, NULL), 0);
	ck_assert_ptr_eq(list[0], &a);
	ck_assert_int_eq(aio_error(&a), ECANCELED);
	control_close_pipe(p);
}
END_TEST

/* A request aio_error reports done is there for a poll at once, on both
 * backends: a pipe read completes in a library thread (a worker or the
 * poller, or the ring), which publishes its result a moment before the
 * record holds it. */
static void
poll_finds_what_aio_error_saw(void)
{
	int p[2];
	control_pipe(p);
	static char byte;
	static struct aiocb cb;
	for (int round = 0; round < 400; round++) {
		start_read(&cb, p[0], &byte, 1, 0);
		ck_assert_int_eq(write(p[1], "x", 1), 1);
		while (aio_error(&cb) == EINPROGRESS)
			;
		struct aiocb *got = NULL;
		if (round % 2 == 0) {
			ck_assert_int_eq(aio_waitcomplete(&got, (struct timespec *)&zero), 1);
		} else {
			struct aiocb *list[2];
			unsigned nwait = 1;
			ck_assert_int_eq(aio_waitn(list, 2, &nwait, &zero), 0);
			ck_assert_uint_eq(nwait, 1);
			got = list[0];
			ck_assert_int_eq(aio_return(got), 1);
		}
		ck_assert_ptr_eq(got, &cb);
	}
	assert_nothing_to_collect();
	control_close_pipe(p);
}

START_TEST(test_poll_finds_what_aio_error_saw)
{
	poll_finds_what_aio_error_saw();
}
END_TEST

START_TEST(test_poll_finds_what_aio_error_saw_on_the_thread_pool)
{
	ck_assert_int_eq(setenv("AIO_POSIX_BACKEND", "threads", 1), 0);
	poll_finds_what_aio_error_saw();
}
END_TEST

START_TEST(test_waitn_and_waitcomplete_share_one_record)
{
	int fd = test_pattern_file(4096, 7);
	char buffers[8][512];
	struct aiocb cbs[8];
	for (int i = 0; i < 8; i++)
		start_read(&cbs[i], fd, buffers[i], 512, 512 * i);
	int seen[8] = { 0 };
	struct aiocb *got;
	for (int i = 0; i < 3; i++) {
		ck_assert_int_eq(wait_one(&got), 512);
		seen[got - cbs]++;
	}
	waitn_expecting(cbs, seen, 8, 5, 5);
	for (int i = 0; i < 8; i++)
		ck_assert_int_eq(seen[i], 1);
	assert_nothing_to_collect();
	close(fd);
}
END_TEST

/* --- fork and exec -------------------------------------------------------------- */

/* What a parent holds when it forks: one request finished and not
 * collected, one in flight (a read of p[0]). */
struct parent_requests {
	int fd, p[2];
	char buffers[2][1024];
	struct aiocb finished, in_flight;
};

static void
parent_requests_start(struct parent_requests *r)
{
	r->fd = test_pattern_file(1024, 7);
	control_pipe(r->p);
	start_read(&r->finished, r->fd, r->buffers[0], 1024, 0);
	struct aiocb *list[1] = { &r->finished };
	control_wait_all(list, 1);
	start_read(&r->in_flight, r->p[0], r->buffers[1], 3, 0);
	control_before_fork();
}

static void
parent_requests_end(struct parent_requests *r)
{
	control_close_pipe(r->p);
	close(r->fd);
}

START_TEST(test_fork_child_has_nothing_to_collect)
{
	static struct parent_requests r;
	struct aiocb *got;
	parent_requests_start(&r);
	pid_t child = fork();
	ck_assert_int_ge(child, 0);
	if (child == 0) {
		struct aiocb *cb = (struct aiocb *)1;
		int ok = aio_waitcomplete(&cb, NULL) == -1 && errno == EAGAIN && cb == NULL;
		struct aiocb *waitn_list[2];
		unsigned nwait = 1;
		ok = ok && aio_waitn(waitn_list, 2, &nwait, NULL) == -1 && errno == EAGAIN;
		_exit(ok ? 0 : 1);
	}
	control_child_succeeded(child, "the child found something to collect");
	/* The parent's requests are still the parent's. */
	test_write_all(r.p[1], "abc", 3);
	int seen = 0;
	for (int i = 0; i < 2; i++) {
		wait_one(&got);
		seen |= got == &r.finished ? 1 : got == &r.in_flight ? 2 : 4;
	}
	ck_assert_int_eq(seen, 3);
	parent_requests_end(&r);
}
END_TEST

/* The image exec'd by the next test: nothing of its parent's is there. */
static int
exec_probe(int queue)
{
	struct aiocb *cb = (struct aiocb *)1;
	if (aio_waitcomplete(&cb, NULL) != -1 || errno != EAGAIN || cb != NULL)
		return 1;
	struct aiocb *list[2];
	unsigned nwait = 1;
	if (aio_waitn(list, 2, &nwait, NULL) != -1 || errno != EAGAIN)
		return 2;
	if (aiowait(NULL) != (aio_result_t *)-1 || errno != EINVAL)
		return 3;
	struct aio_completion entry;
	if (aio_queue_reap(queue, &entry, 1, 1, NULL) != -1 || errno != EBADF)
		return 4;
	return 0;
}

START_TEST(test_exec_starts_with_nothing_to_collect)
{
	static struct parent_requests r;
	int queue = aio_queue_create(0);	/* not close-on-exec */
	ck_assert_int_ge(queue, 0);
	parent_requests_start(&r);
	pid_t child = fork();
	ck_assert_int_ge(child, 0);
	if (child == 0) {
		char number[16];
		snprintf(number, sizeof number, "%d", queue);
		/* A cross build runs this program under its emulator
		 * (qemu-user), which must run the new image too. */
		const char *emulator = getenv("AIO_POSIX_TEST_EMULATOR");
		if (emulator && *emulator)
			execlp(emulator, emulator, saved_argv[0], "--exec-probe", number,
			       (char *)NULL);
		else
			execl("/proc/self/exe", saved_argv[0], "--exec-probe", number,
			      (char *)NULL);
		_exit(99);
	}
	control_child_succeeded(child, "the exec'd image (its exit status: the probe that failed)");
	ck_assert_int_eq(aio_cancel(r.p[0], &r.in_flight), AIO_CANCELED);
	ck_assert_int_eq(aio_queue_close(queue), 0);
	parent_requests_end(&r);
}
END_TEST

int
main(int argc, char **argv)
{
	if (argc == 3 && strcmp(argv[1], "--exec-probe") == 0)
		return exec_probe(atoi(argv[2]));
	saved_argv = argv;
	Suite *s = suite_create("collect");
	TCase *tc = control_tcase("aio_waitcomplete");
	tcase_add_test(tc, test_waitcomplete_serves_as_aio_return);
	tcase_add_test(tc, test_waitcomplete_reports_a_failure_in_errno);
	tcase_add_test(tc, test_waitcomplete_answers_at_once_when_nothing_is_in_flight);
	tcase_add_test(tc, test_waitcomplete_times_out_with_eagain);
	tcase_add_test(tc, test_waitcomplete_refuses_bad_arguments);
	tcase_add_test(tc, test_waitcomplete_interrupted_says_eintr);
	suite_add_tcase(s, tc);
	tc = control_tcase("rules");
	tcase_add_test(tc, test_waitcomplete_after_aio_return_never_returns_it);
	tcase_add_test(tc, test_resubmitted_aiocb_is_reported_once);
	tcase_add_test(tc, test_private_request_is_left_to_its_submitter);
	tcase_add_test(tc, test_concurrent_waiters_never_get_one_twice);
	tcase_add_test(tc, test_cancelled_request_comes_with_ecanceled);
	tcase_add_test(tc, test_lio_listio_requests_come_one_by_one);
	tcase_add_test(tc, test_waitn_and_waitcomplete_share_one_record);
	tcase_add_test(tc, test_poll_finds_what_aio_error_saw);
	tcase_add_test(tc, test_poll_finds_what_aio_error_saw_on_the_thread_pool);
	suite_add_tcase(s, tc);
	tc = control_tcase("aio_waitn");
	tcase_add_test(tc, test_waitn_waits_for_nwait_and_times_out_with_etime);
	tcase_add_test(tc, test_waitn_returns_what_there_is_when_nothing_is_left);
	tcase_add_test(tc, test_waitn_fills_at_most_nent);
	tcase_add_test(tc, test_waitn_refuses_bad_arguments);
	tcase_add_test(tc, test_waitn_interrupted_says_eintr);
	suite_add_tcase(s, tc);
	tc = control_tcase("fork and exec");
	tcase_add_test(tc, test_fork_child_has_nothing_to_collect);
	tcase_add_test(tc, test_exec_starts_with_nothing_to_collect);
	suite_add_tcase(s, tc);
	return control_run_suite(s);
}
