/* test-cancel.c: aio_cancel and aio_cancel64. */
#define _GNU_SOURCE 1
#include "control-util.h"

#define CHUNK 16

static void
prepare_read(struct aiocb *cb, int fd, char *buffer)
{
	test_prepare(cb, fd, buffer, CHUNK, 0);
}

/* Starts a read on p[0] and waits until a worker is blocked in it, so that it
 * is running (no longer cancellable) from here on. */
static void
start_running_read(struct aiocb *cb, int p[2], char *buffer)
{
	prepare_read(cb, p[0], buffer);
	ck_assert_int_eq(aio_read(cb), 0);
	ck_assert_msg(control_await_readers(&p[0], 1, 1, NULL, 0) >= 1,
		      "no worker ever blocked in the pipe read");
}

static void
release_running_read(struct aiocb *cb, int p[2], char byte)
{
	char data[CHUNK];
	memset(data, byte, sizeof data);
	test_write_all(p[1], data, sizeof data);
	ck_assert_int_eq(test_wait(cb, 0), CHUNK);
	ck_assert_int_eq(memcmp((const void *)cb->aio_buf, data, CHUNK), 0);
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
	start_running_read(&cb1, p, b1);

	prepare_read(&cb2, p[0], b2);
	cb2.aio_sigevent.sigev_notify = SIGEV_SIGNAL;
	cb2.aio_sigevent.sigev_signo = signo;
	cb2.aio_sigevent.sigev_value.sival_int = 2002;
	ck_assert_int_eq(aio_read(&cb2), 0);

	prepare_read(&cb3, p[0], b3);
	cb3.aio_sigevent.sigev_notify = SIGEV_THREAD;
	cb3.aio_sigevent.sigev_notify_function = notify_function;
	cb3.aio_sigevent.sigev_value.sival_int = 3003;
	notify_cb = &cb3;
	ck_assert_int_eq(aio_read(&cb3), 0);

	ck_assert_int_eq(aio_error(&cb2), EINPROGRESS);
	ck_assert_int_eq(aio_error(&cb3), EINPROGRESS);

	/* The running head of the pipe's queue cannot be cancelled. */
	ck_assert_int_eq(aio_cancel(p[0], &cb1), AIO_NOTCANCELED);
	ck_assert_int_eq(aio_error(&cb1), EINPROGRESS);

	/* #2 waits behind #1: cancelled, and its signal still comes. */
	ck_assert_int_eq(aio_cancel(p[0], &cb2), AIO_CANCELED);
	ck_assert_int_eq(aio_error(&cb2), ECANCELED);
	ck_assert_int_eq(aio_return(&cb2), -1);
	siginfo_t info;
	ck_assert_int_eq(control_sigwait(signo, &info, 10000), signo);
	ck_assert_int_eq(info.si_code, SI_ASYNCIO);
	ck_assert_int_eq(info.si_value.sival_int, 2002);
	/* Cancelling it again finds it done. */
	ck_assert_int_eq(aio_cancel(p[0], &cb2), AIO_ALLDONE);

	/* Everything on the fd: #1 runs, so AIO_NOTCANCELED; #3 is cancelled. */
	ck_assert_int_eq(aio_cancel(p[0], NULL), AIO_NOTCANCELED);
	ck_assert_int_eq(aio_error(&cb3), ECANCELED);
	ck_assert_int_eq(aio_return(&cb3), -1);
	ck_assert_int_eq(control_sem_wait(&notified, 10000), 0);
	control_assert_atomic_eq(&notify_value, 3003);
	control_assert_atomic_eq(&notify_saw_error, ECANCELED);

	/* #1 still completes normally, with all the data: nothing cancelled
	 * consumed any of it. */
	ck_assert_int_eq(aio_error(&cb1), EINPROGRESS);
	release_running_read(&cb1, p, 'q');
	ck_assert_int_eq(aio_cancel(p[0], NULL), AIO_ALLDONE);

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
	/* Three reads queued behind a running one, cancelled together. */
	int p[2];
	control_pipe(p);
	static struct aiocb head, q[3];
	static char hb[CHUNK], qb[3][CHUNK];
	start_running_read(&head, p, hb);
	for (int i = 0; i < 3; i++) {
		prepare_read(&q[i], p[0], qb[i]);
		ck_assert_int_eq(aio_read(&q[i]), 0);
	}
	ck_assert_int_eq(aio_cancel(p[0], NULL), AIO_NOTCANCELED);
	for (int i = 0; i < 3; i++) {
		ck_assert_int_eq(aio_error(&q[i]), ECANCELED);
		ck_assert_int_eq(aio_return(&q[i]), -1);
	}
	release_running_read(&head, p, 'f');

	/* The fd still works: a new read gets new data. */
	static struct aiocb again;
	static char ab[CHUNK];
	start_running_read(&again, p, ab);
	release_running_read(&again, p, 'g');
	control_close_pipe(p);
}
END_TEST

START_TEST(ready_not_started_is_cancelled)
{
	/* With one worker, busy on a pipe read, a file write is accepted but
	 * cannot start: aio_cancel takes it back.  A property of the thread
	 * pool (io_uring starts a file request at once), and of a write that
	 * cannot complete at submission: an O_APPEND one never does. */
	ck_assert_int_eq(setenv("AIO_POSIX_THREADS", "1", 1), 0);
	ck_assert_int_eq(setenv("AIO_POSIX_BACKEND", "threads", 1), 0);
	int p[2];
	control_pipe(p);
	static struct aiocb head, w;
	static char hb[CHUNK], wb[CHUNK];
	start_running_read(&head, p, hb);

	int fd = test_temp_file();
	ck_assert_int_eq(fcntl(fd, F_SETFL, O_APPEND), 0);
	memset(wb, 'w', sizeof wb);
	test_prepare(&w, fd, wb, sizeof wb, 0);
	ck_assert_int_eq(aio_write(&w), 0);
	ck_assert_int_eq(aio_cancel(fd, NULL), AIO_CANCELED);
	ck_assert_int_eq(aio_error(&w), ECANCELED);
	ck_assert_int_eq(aio_return(&w), -1);

	release_running_read(&head, p, 'r');
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
	start_running_read(&head, p, hb);
	prepare_read(&queued, p[0], qb);
	ck_assert_int_eq(aio_read(&queued), 0);
	errno = 0;
	ck_assert_int_eq(aio_cancel(a, &queued), -1);
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_int_eq(aio_error(&queued), EINPROGRESS);
	ck_assert_int_eq(aio_cancel(p[0], &queued), AIO_CANCELED);
	release_running_read(&head, p, 'h');
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
	start_running_read(&head, p, hb);
	memset(&queued, 0, sizeof queued);
	queued.aio_fildes = p[0];
	queued.aio_buf = qb;
	queued.aio_nbytes = sizeof qb;
	queued.aio_sigevent.sigev_notify = SIGEV_NONE;
	ck_assert_int_eq(aio_read64(&queued), 0);
	ck_assert_int_eq(aio_cancel64(p[0], &queued), AIO_CANCELED);
	ck_assert_int_eq(aio_error64(&queued), ECANCELED);
	ck_assert_int_eq(aio_return64(&queued), -1);
	ck_assert_int_eq(aio_cancel64(p[0], NULL), AIO_NOTCANCELED);
	release_running_read(&head, p, '6');
	ck_assert_int_eq(aio_cancel64(p[0], NULL), AIO_ALLDONE);
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
	/* What these tests expect of a running stream read (AIO_NOTCANCELED) is
	 * the thread pool's; tests/test-uring proves the ring's (AIO_CANCELED). */
	setenv("AIO_POSIX_BACKEND", "threads", 1);
	return control_run_suite(cancel_suite());
}
