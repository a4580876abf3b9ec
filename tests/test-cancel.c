/* test-cancel.c: aio_cancel and aio_cancel64. */
#define _GNU_SOURCE 1
#include "control-util.h"

#include <sys/ioctl.h>

#define CHUNK 16

static void
prepare_write(struct aiocb *cb, int fd, char *buffer, char byte)
{
	memset(buffer, byte, CHUNK);
	test_prepare(cb, fd, buffer, CHUNK, 0);
}

/* A request that is running, no longer cancellable: a write to a full pipe,
 * blocked in a worker (stream writes run in the pool on every backend; a
 * stream read would wait for readiness, where it can still be cancelled).
 * Fills the pipe, starts the write, waits until a worker is blocked in it;
 * returns how many filler bytes are ahead of it. */
static size_t
start_running_write(struct aiocb *cb, int p[2], char *buffer, char byte)
{
	size_t filler = control_fill_pipe(p);
	prepare_write(cb, p[1], buffer, byte);
	ck_assert_int_eq(aio_write(cb), 0);
	ck_assert_msg(control_await_writers(&p[1], 1, 1, NULL, 0) >= 1,
		      "no worker ever blocked in the pipe write");
	return filler;
}

/* Read the filler: the running write completes, and its bytes, and only
 * its bytes, follow in the pipe. */
static void
release_running_write(struct aiocb *cb, int p[2], size_t filler)
{
	control_drain_filler(p, filler);
	ck_assert_int_eq(test_wait(cb, 0), CHUNK);
	char data[CHUNK];
	size_t got = 0;
	while (got < CHUNK) {
		ssize_t n = read(p[0], data + got, CHUNK - got);
		ck_assert_int_gt(n, 0);
		got += (size_t)n;
	}
	ck_assert_int_eq(memcmp(data, (const void *)cb->aio_buf, CHUNK), 0);
	int left = -1;
	ck_assert_int_eq(ioctl(p[0], FIONREAD, &left), 0);
	ck_assert_int_eq(left, 0);
}

/* SIGEV_THREAD notification of the third request. */
static sem_t notified;
static atomic_int notify_calls;
static atomic_int notify_value;
static atomic_int notify_saw_error = -1;
static struct aiocb *notify_cb;

static void
notify_function(union sigval value)
{
	atomic_store(&notify_value, value.sival_int);
	atomic_store(&notify_saw_error, aio_error(notify_cb));
	atomic_fetch_add(&notify_calls, 1);
	sem_post(&notified);
}

START_TEST(queued_requests_cancelled)
{
	int signo = SIGRTMIN + 1;
	control_block(signo);	/* before the library makes any thread */
	ck_assert_int_eq(sem_init(&notified, 0, 0), 0);

	int p[2];
	control_pipe(p);
	static struct aiocb cb1, cb2, cb3;
	static char b1[CHUNK], b2[CHUNK], b3[CHUNK];
	size_t filler = start_running_write(&cb1, p, b1, '1');

	prepare_write(&cb2, p[1], b2, '2');
	cb2.aio_sigevent.sigev_notify = SIGEV_SIGNAL;
	cb2.aio_sigevent.sigev_signo = signo;
	cb2.aio_sigevent.sigev_value.sival_int = 2002;
	ck_assert_int_eq(aio_write(&cb2), 0);

	prepare_write(&cb3, p[1], b3, '3');
	cb3.aio_sigevent.sigev_notify = SIGEV_THREAD;
	cb3.aio_sigevent.sigev_notify_function = notify_function;
	cb3.aio_sigevent.sigev_value.sival_int = 3003;
	notify_cb = &cb3;
	ck_assert_int_eq(aio_write(&cb3), 0);

	ck_assert_int_eq(aio_error(&cb2), EINPROGRESS);
	ck_assert_int_eq(aio_error(&cb3), EINPROGRESS);

	/* The running head of the pipe's queue cannot be cancelled. */
	ck_assert_int_eq(aio_cancel(p[1], &cb1), AIO_NOTCANCELED);
	ck_assert_int_eq(aio_error(&cb1), EINPROGRESS);

	/* #2 waits behind #1: cancelled, and its signal still comes. */
	ck_assert_int_eq(aio_cancel(p[1], &cb2), AIO_CANCELED);
	ck_assert_int_eq(aio_error(&cb2), ECANCELED);
	ck_assert_int_eq(aio_return(&cb2), -1);
	siginfo_t info;
	ck_assert_int_eq(control_sigwait(signo, &info, 10000), signo);
	ck_assert_int_eq(info.si_code, SI_ASYNCIO);
	ck_assert_int_eq(info.si_value.sival_int, 2002);
	/* Cancelling it again finds it done. */
	ck_assert_int_eq(aio_cancel(p[1], &cb2), AIO_ALLDONE);

	/* Everything on the fd: #1 runs, so AIO_NOTCANCELED; #3 is cancelled. */
	ck_assert_int_eq(aio_cancel(p[1], NULL), AIO_NOTCANCELED);
	ck_assert_int_eq(aio_error(&cb3), ECANCELED);
	ck_assert_int_eq(aio_return(&cb3), -1);
	ck_assert_int_eq(control_sem_wait(&notified, 10000), 0);
	control_assert_atomic_eq(&notify_value, 3003);
	control_assert_atomic_eq(&notify_saw_error, ECANCELED);

	/* #1 still completes normally, and nothing cancelled wrote a byte. */
	ck_assert_int_eq(aio_error(&cb1), EINPROGRESS);
	release_running_write(&cb1, p, filler);
	ck_assert_int_eq(aio_cancel(p[1], NULL), AIO_ALLDONE);

	/* No second notification for either cancelled request. */
	errno = 0;
	ck_assert_int_eq(control_sigwait(signo, &info, 100), -1);
	ck_assert_int_eq(errno, EAGAIN);
	errno = 0;
	ck_assert_int_eq(control_sem_wait(&notified, 100), -1);
	ck_assert_int_eq(errno, ETIMEDOUT);
	control_assert_atomic_eq(&notify_calls, 1);
	control_close_pipe(p);
}
END_TEST

START_TEST(cancel_all_queued_fifo)
{
	/* Three writes queued behind a running one, cancelled together. */
	int p[2];
	control_pipe(p);
	static struct aiocb head, q[3];
	static char hb[CHUNK], qb[3][CHUNK];
	size_t filler = start_running_write(&head, p, hb, 'h');
	for (int i = 0; i < 3; i++) {
		prepare_write(&q[i], p[1], qb[i], (char)('a' + i));
		ck_assert_int_eq(aio_write(&q[i]), 0);
	}
	ck_assert_int_eq(aio_cancel(p[1], NULL), AIO_NOTCANCELED);
	for (int i = 0; i < 3; i++) {
		ck_assert_int_eq(aio_error(&q[i]), ECANCELED);
		ck_assert_int_eq(aio_return(&q[i]), -1);
	}
	release_running_write(&head, p, filler);

	/* The fd still works: a new write goes through. */
	static struct aiocb again;
	static char ab[CHUNK];
	filler = start_running_write(&again, p, ab, 'g');
	release_running_write(&again, p, filler);
	control_close_pipe(p);
}
END_TEST

START_TEST(ready_not_started_is_cancelled)
{
	/* With one worker, busy on a pipe write, a file write is accepted but
	 * cannot start: aio_cancel takes it back.  A property of the thread
	 * pool (io_uring starts a file request at once), and of a write that
	 * cannot complete at submission: an O_APPEND one never does. */
	ck_assert_int_eq(setenv("AIO_POSIX_THREADS", "1", 1), 0);
	ck_assert_int_eq(setenv("AIO_POSIX_BACKEND", "threads", 1), 0);
	int p[2];
	control_pipe(p);
	static struct aiocb head, w;
	static char hb[CHUNK], wb[CHUNK];
	size_t filler = start_running_write(&head, p, hb, 'r');

	int fd = test_temp_file();
	ck_assert_int_eq(fcntl(fd, F_SETFL, O_APPEND), 0);
	memset(wb, 'w', sizeof wb);
	test_prepare(&w, fd, wb, sizeof wb, 0);
	ck_assert_int_eq(aio_write(&w), 0);
	ck_assert_int_eq(aio_cancel(fd, NULL), AIO_CANCELED);
	ck_assert_int_eq(aio_error(&w), ECANCELED);
	ck_assert_int_eq(aio_return(&w), -1);

	release_running_write(&head, p, filler);
	/* The write never happened. */
	struct stat st;
	ck_assert_int_eq(fstat(fd, &st), 0);
	ck_assert_int_eq(st.st_size, 0);
	close(fd);
	control_close_pipe(p);
}
END_TEST

START_TEST(nothing_pending_all_done)
{
	int fd = test_temp_file();
	ck_assert_int_eq(aio_cancel(fd, NULL), AIO_ALLDONE);
	close(fd);
}
END_TEST

START_TEST(completed_aiocb_all_done)
{
	int fd = test_temp_file();
	struct aiocb cb;
	char buffer[64];
	memset(buffer, 'c', sizeof buffer);
	test_prepare(&cb, fd, buffer, sizeof buffer, 0);
	ck_assert_int_eq(aio_write(&cb), 0);
	ck_assert_int_eq(test_wait(&cb, 0), (ssize_t)sizeof buffer);
	ck_assert_int_eq(aio_cancel(fd, &cb), AIO_ALLDONE);
	ck_assert_int_eq(aio_cancel(fd, NULL), AIO_ALLDONE);
	/* The result is untouched. */
	ck_assert_int_eq(aio_error(&cb), 0);
	close(fd);
}
END_TEST

START_TEST(bad_fd)
{
	int bad = control_closed_fd();
	errno = 0;
	ck_assert_int_eq(aio_cancel(bad, NULL), -1);
	ck_assert_int_eq(errno, EBADF);

	struct aiocb cb;
	char buffer[8];
	test_prepare(&cb, bad, buffer, sizeof buffer, 0);
	errno = 0;
	ck_assert_int_eq(aio_cancel(bad, &cb), -1);
	ck_assert_int_eq(errno, EBADF);
}
END_TEST

START_TEST(fd_mismatch)
{
	int a = test_temp_file();
	int b = test_temp_file();
	struct aiocb cb;
	char buffer[32];
	memset(buffer, 'm', sizeof buffer);
	test_prepare(&cb, a, buffer, sizeof buffer, 0);
	ck_assert_int_eq(aio_write(&cb), 0);
	ck_assert_int_eq(test_wait(&cb, 0), (ssize_t)sizeof buffer);
	errno = 0;
	ck_assert_int_eq(aio_cancel(b, &cb), -1);
	ck_assert_int_eq(errno, EINVAL);

	/* Also while the request is still queued. */
	int p[2];
	control_pipe(p);
	static struct aiocb head, queued;
	static char hb[CHUNK], qb[CHUNK];
	size_t filler = start_running_write(&head, p, hb, 'h');
	prepare_write(&queued, p[1], qb, 'q');
	ck_assert_int_eq(aio_write(&queued), 0);
	errno = 0;
	ck_assert_int_eq(aio_cancel(a, &queued), -1);
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_int_eq(aio_error(&queued), EINPROGRESS);
	ck_assert_int_eq(aio_cancel(p[1], &queued), AIO_CANCELED);
	release_running_write(&head, p, filler);
	control_close_pipe(p);
	close(a);
	close(b);
}
END_TEST

START_TEST(cancel64)
{
	int p[2];
	control_pipe(p);
	static struct aiocb head;
	static struct aiocb64 queued;
	static char hb[CHUNK], qb[CHUNK];
	size_t filler = start_running_write(&head, p, hb, '6');
	memset(&queued, 0, sizeof queued);
	memset(qb, '4', sizeof qb);
	queued.aio_fildes = p[1];
	queued.aio_buf = qb;
	queued.aio_nbytes = sizeof qb;
	queued.aio_sigevent.sigev_notify = SIGEV_NONE;
	ck_assert_int_eq(aio_write64(&queued), 0);
	ck_assert_int_eq(aio_cancel64(p[1], &queued), AIO_CANCELED);
	ck_assert_int_eq(aio_error64(&queued), ECANCELED);
	ck_assert_int_eq(aio_return64(&queued), -1);
	ck_assert_int_eq(aio_cancel64(p[1], NULL), AIO_NOTCANCELED);
	release_running_write(&head, p, filler);
	ck_assert_int_eq(aio_cancel64(p[1], NULL), AIO_ALLDONE);
	control_close_pipe(p);
}
END_TEST

static Suite *
cancel_suite(void)
{
	Suite *s = suite_create("aio_cancel");
	TCase *tc = control_tcase("queued");
	tcase_add_test(tc, queued_requests_cancelled);
	tcase_add_test(tc, cancel_all_queued_fifo);
	tcase_add_test(tc, ready_not_started_is_cancelled);
	tcase_add_test(tc, cancel64);
	suite_add_tcase(s, tc);

	tc = control_tcase("results");
	tcase_add_test(tc, nothing_pending_all_done);
	tcase_add_test(tc, completed_aiocb_all_done);
	tcase_add_test(tc, bad_fd);
	tcase_add_test(tc, fd_mismatch);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return control_run_suite(cancel_suite());
}
