/* test-pool.c: the worker pool and its configuration (aio_init,
 * AIO_POSIX_THREADS, AIO_POSIX_IDLE_SECONDS).
 *
 * The library reads its configuration once, at first use.  Check runs each
 * test in a fresh child process and main() never calls the library, so each
 * test sets its environment before its first aio call. */
#define _GNU_SOURCE 1
#include "control-util.h"

#define BLOCK 512
#define MANY 256
#define PIPES 4
#define PIECE 8

/* MANY writes then MANY reads on one file, all verified. */
static void
many_requests_complete(void)
{
	int fd = test_temp_file();
	static struct aiocb cbs[MANY];
	static char bufs[MANY][BLOCK];
	struct aiocb *list[MANY];
	for (int i = 0; i < MANY; i++) {
		test_pattern_fill(bufs[i], BLOCK, 3, (uint64_t)i * BLOCK);
		test_prepare(&cbs[i], fd, bufs[i], BLOCK, (off_t)i * BLOCK);
		ck_assert_int_eq(aio_write(&cbs[i]), 0);
		list[i] = &cbs[i];
	}
	control_wait_all(list, MANY);
	for (int i = 0; i < MANY; i++) {
		ck_assert_int_eq(aio_error(&cbs[i]), 0);
		ck_assert_int_eq(aio_return(&cbs[i]), BLOCK);
	}
	for (int i = 0; i < MANY; i++) {
		memset(bufs[i], 0, BLOCK);
		test_prepare(&cbs[i], fd, bufs[i], BLOCK, (off_t)i * BLOCK);
		ck_assert_int_eq(aio_read(&cbs[i]), 0);
	}
	control_wait_all(list, MANY);
	for (int i = 0; i < MANY; i++) {
		ck_assert_int_eq(aio_error(&cbs[i]), 0);
		ck_assert_int_eq(aio_return(&cbs[i]), BLOCK);
		ck_assert(test_pattern_check(bufs[i], BLOCK, 3, (uint64_t)i * BLOCK));
	}
	close(fd);
}

/* Writes blocked on PIPES separate full pipes: each holds a worker (a
 * stream read would not: it waits for readiness, in no worker). */
struct blocked {
	int pipes[PIPES][2];
	int fds[PIPES];
	size_t filler[PIPES];
	struct aiocb cbs[PIPES];
	char bufs[PIPES][PIECE];
};

static void
block_writes(struct blocked *b)
{
	for (int i = 0; i < PIPES; i++) {
		control_pipe(b->pipes[i]);
		b->filler[i] = control_fill_pipe(b->pipes[i]);
		b->fds[i] = b->pipes[i][1];
		memset(b->bufs[i], '0' + i, PIECE);
		test_prepare(&b->cbs[i], b->fds[i], b->bufs[i], PIECE, 0);
		ck_assert_int_eq(aio_write(&b->cbs[i]), 0);
	}
}

static void
release_writes(struct blocked *b)
{
	for (int i = 0; i < PIPES; i++)
		control_drain_filler(b->pipes[i], b->filler[i]);
	for (int i = 0; i < PIPES; i++) {
		ck_assert_int_eq(test_wait(&b->cbs[i], 0), PIECE);
		char data[PIECE];
		size_t got = 0;
		while (got < PIECE) {
			ssize_t n = read(b->pipes[i][0], data + got, PIECE - got);
			ck_assert_int_gt(n, 0);
			got += (size_t)n;
		}
		ck_assert_int_eq(data[0], '0' + i);
		control_close_pipe(b->pipes[i]);
	}
}

static void *
note_tid(void *arg)
{
	*(pid_t *)arg = gettid();
	return NULL;
}

/* Threads of this process before the library makes any.  One thread is
 * created and joined first: a sanitizer runtime may start a helper thread
 * of its own at the first pthread_create, and it belongs in the baseline. */
static int
thread_baseline(void)
{
	pthread_t thread;
	pid_t tid = 0;
	ck_assert_int_eq(pthread_create(&thread, NULL, note_tid, &tid), 0);
	ck_assert_int_eq(pthread_join(thread, NULL), 0);
	long long deadline = control_now_ns() + CONTROL_BOUND_NS;
	while (control_task_exists(tid) && control_now_ns() < deadline)
		control_pause();
	ck_assert(!control_task_exists(tid));
	return control_thread_count();
}

/* With at most max workers and PIPES > max blocking writes: exactly max
 * writers block, and no thread beyond max was created. */
static void
check_thread_limit(int max)
{
	ck_assert_int_lt(max, PIPES);
	int baseline = thread_baseline();
	static struct blocked b;
	block_writes(&b);
	ck_assert_int_eq(control_await_writers(b.fds, PIPES, max, NULL, 0), max);
	ck_assert_int_le(control_thread_count() - baseline, max);
	ck_assert_int_eq(control_blocked(b.fds, PIPES, true, NULL, 0), max);
	/* The ones without a worker are still waiting, not failed. */
	int in_progress = 0;
	for (int i = 0; i < PIPES; i++)
		in_progress += aio_error(&b.cbs[i]) == EINPROGRESS;
	ck_assert_int_eq(in_progress, PIPES);
	release_writes(&b);
}

START_TEST(aio_init_two_threads)
{
	struct aioinit init;
	memset(&init, 0, sizeof init);
	init.aio_threads = 2;
	init.aio_num = 64;
	aio_init(&init);
	check_thread_limit(2);
	many_requests_complete();
}
END_TEST

START_TEST(environment_one_thread)
{
	ck_assert_int_eq(setenv("AIO_POSIX_THREADS", "1", 1), 0);
	check_thread_limit(1);
	many_requests_complete();
}
END_TEST

START_TEST(environment_bad_value_warns)
{
	ck_assert_int_eq(setenv("AIO_POSIX_THREADS", "abc", 1), 0);
	/* Catch stderr around the first call, which reads the configuration. */
	int capture = test_temp_file();
	fflush(stderr);
	int saved = dup(STDERR_FILENO);
	ck_assert_int_ge(saved, 0);
	ck_assert_int_eq(dup2(capture, STDERR_FILENO), STDERR_FILENO);
	int fd = test_temp_file();
	struct aiocb w;
	char buffer[BLOCK];
	memset(buffer, 'e', sizeof buffer);
	test_prepare(&w, fd, buffer, sizeof buffer, 0);
	int rc = aio_write(&w);
	fflush(stderr);
	ck_assert_int_eq(dup2(saved, STDERR_FILENO), STDERR_FILENO);
	close(saved);
	ck_assert_int_eq(rc, 0);
	ck_assert_int_eq(test_wait(&w, 0), BLOCK);

	char text[512];
	ssize_t n = pread(capture, text, sizeof text - 1, 0);
	ck_assert_msg(n > 0, "no warning on stderr for AIO_POSIX_THREADS=abc");
	close(capture);
	many_requests_complete();
	close(fd);
}
END_TEST

START_TEST(aio_init_after_first_use_harmless)
{
	many_requests_complete();
	struct aioinit init;
	memset(&init, 0, sizeof init);
	init.aio_threads = 1;
	aio_init(&init);
	many_requests_complete();
}
END_TEST

/* Workers made busy on blocking writes, then left idle: they leave. */
static void
check_idle_workers_leave(void)
{
	static struct blocked b;
	pid_t tids[PIPES];
	block_writes(&b);
	ck_assert_int_eq(control_await_writers(b.fds, PIPES, PIPES, tids, PIPES), PIPES);
	release_writes(&b);

	long long deadline = control_now_ns() + CONTROL_BOUND_NS;
	int alive;
	do {
		alive = 0;
		for (int i = 0; i < PIPES; i++)
			alive += control_task_exists(tids[i]);
		if (alive == 0)
			break;
		control_pause();
	} while (control_now_ns() < deadline);
	ck_assert_msg(alive == 0, "%d idle workers still alive after 10 s", alive);
}

START_TEST(aio_init_idle_time)
{
	struct aioinit init;
	memset(&init, 0, sizeof init);
	init.aio_threads = PIPES;
	init.aio_idle_time = 1;
	aio_init(&init);
	check_idle_workers_leave();
	/* And new work brings workers back. */
	many_requests_complete();
}
END_TEST

START_TEST(environment_idle_seconds)
{
	ck_assert_int_eq(setenv("AIO_POSIX_IDLE_SECONDS", "1", 1), 0);
	ck_assert_int_eq(setenv("AIO_POSIX_THREADS", "8", 1), 0);
	check_idle_workers_leave();
	many_requests_complete();
}
END_TEST

static Suite *
pool_suite(void)
{
	Suite *s = suite_create("pool");
	TCase *tc = control_tcase("threads");
	tcase_add_test(tc, aio_init_two_threads);
	tcase_add_test(tc, environment_one_thread);
	tcase_add_test(tc, environment_bad_value_warns);
	tcase_add_test(tc, aio_init_after_first_use_harmless);
	suite_add_tcase(s, tc);

	tc = control_tcase("idle");
	tcase_add_test(tc, aio_init_idle_time);
	tcase_add_test(tc, environment_idle_seconds);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	/* These tests prove the thread pool: run on it, whatever backend the
	 * run asks for (io_uring adds a thread of its own). */
	setenv("AIO_POSIX_BACKEND", "threads", 1);
	return control_run_suite(pool_suite());
}
