/* test-solaris: <aio-posix/asynch.h>'s aioread, aiowrite, aiowait and
 * aiocancel behave as aioread(3C), aiowait(3C) and aiocancel(3C) say, and
 * stay apart from the POSIX requests and their waiters; aioread64 and
 * aiowrite64, and with a 64-bit off_t the plain names, reach past 2 GiB. */
#include "control-util.h"
#include "io-util.h"

/* A fork child here starts requests of its own, and with them threads. */
CONTROL_TSAN_THREADS_AFTER_FORK

#include <sys/time.h>

#include <aio-posix/asynch.h>

static const struct timeval poll_now = { 0, 0 };

/* aiowait, bounded: a request must come. */
static aio_result_t *
wait_result(void)
{
	struct timeval limit = { 20, 0 };
	aio_result_t *got;
	do
		got = aiowait(&limit);
	while (got == (aio_result_t *)-1 && errno == EINTR);
	ck_assert_msg(got != NULL && got != (aio_result_t *)-1, "aiowait: %s",
		      got ? strerror(errno) : "timed out");
	return got;
}

static int
text_file(const char *text)
{
	int fd = test_temp_file();
	test_write_all(fd, text, strlen(text));
	return fd;
}

START_TEST(test_aioread_then_aiowait_gives_the_result_buffer)
{
	int fd = text_file("0123456789");
	char buffer[4];
	aio_result_t result;
	ck_assert_int_eq(aioread(fd, buffer, 4, 3, SEEK_SET, &result), 0);
	ck_assert_ptr_eq(wait_result(), &result);
	ck_assert_int_eq(result.aio_return, 4);
	ck_assert_int_eq(result.aio_errno, 0);
	ck_assert_int_eq(memcmp(buffer, "3456", 4), 0);
	/* Returned once: nothing is outstanding any more. */
	ck_assert_ptr_eq(aiowait(NULL), (aio_result_t *)-1);
	ck_assert_int_eq(errno, EINVAL);
	close(fd);
}
END_TEST

START_TEST(test_whence_and_the_seek_pointer)
{
	int fd = text_file("0123456789");
	ck_assert_int_eq(lseek(fd, 4, SEEK_SET), 4);
	char cur[2], end[3];
	aio_result_t r1, r2;
	ck_assert_int_eq(aioread(fd, cur, 2, 2, SEEK_CUR, &r1), 0);
	ck_assert_int_eq(aioread(fd, end, 3, -3, SEEK_END, &r2), 0);
	wait_result();
	wait_result();
	ck_assert_int_eq(memcmp(cur, "67", 2), 0);
	ck_assert_int_eq(memcmp(end, "789", 3), 0);
	ck_assert_int_eq(lseek(fd, 0, SEEK_CUR), 4);	/* not updated */

	aio_result_t w;
	ck_assert_int_eq(aiowrite(fd, "AB", 2, 1, SEEK_SET, &w), 0);
	ck_assert_ptr_eq(wait_result(), &w);
	ck_assert_int_eq(w.aio_return, 2);
	char back[4];
	ck_assert_int_eq(pread(fd, back, 4, 0), 4);
	ck_assert_int_eq(memcmp(back, "0AB3", 4), 0);
	ck_assert_int_eq(lseek(fd, 0, SEEK_CUR), 4);
	close(fd);
}
END_TEST

START_TEST(test_in_progress_poll_and_time_limit)
{
	int p[2];
	control_pipe(p);
	char buffer[5];
	aio_result_t result;
	/* On a pipe, offset and whence are ignored. */
	ck_assert_int_eq(aioread(p[0], buffer, 5, 777, SEEK_END, &result), 0);
	ck_assert_int_eq(result.aio_return, AIO_INPROGRESS);
	ck_assert_ptr_null(aiowait(&poll_now));
	struct timeval short_wait = { 0, 30000 };
	ck_assert_ptr_null(aiowait(&short_wait));
	test_write_all(p[1], "hello", 5);
	ck_assert_ptr_eq(wait_result(), &result);
	ck_assert_int_eq(result.aio_return, 5);
	ck_assert_int_eq(memcmp(buffer, "hello", 5), 0);
	control_close_pipe(p);
}
END_TEST

START_TEST(test_refusals)
{
	int fd = text_file("abc");
	char buffer[4];
	aio_result_t result;
	ck_assert_ptr_eq(aiowait(NULL), (aio_result_t *)-1);
	ck_assert_int_eq(errno, EINVAL);
	struct timeval bad[] = { { -1, 0 }, { 0, 1000000 }, { 0, -1 } };
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		ck_assert_ptr_eq(aiowait(&bad[i]), (aio_result_t *)-1);
		ck_assert_int_eq(errno, EINVAL);
	}
	ck_assert_int_eq(aioread(control_closed_fd(), buffer, 1, 0, SEEK_SET, &result), -1);
	ck_assert_int_eq(errno, EBADF);
	int wronly = open("/dev/null", O_WRONLY);
	ck_assert_int_eq(aioread(wronly, buffer, 1, 0, SEEK_SET, &result), -1);
	ck_assert_int_eq(errno, EBADF);
	close(wronly);
	int rdonly = open("/dev/null", O_RDONLY);
	ck_assert_int_eq(aiowrite(rdonly, "x", 1, 0, SEEK_SET, &result), -1);
	ck_assert_int_eq(errno, EBADF);
	close(rdonly);
	ck_assert_int_eq(aioread(fd, buffer, 1, 0, 42, &result), -1);
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_int_eq(aioread(fd, buffer, 1, -1, SEEK_SET, &result), -1);
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_int_eq(aioread(fd, buffer, -1, 0, SEEK_SET, &result), -1);
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_int_eq(aioread(fd, buffer, 1, 0, SEEK_SET, NULL), -1);
	ck_assert_int_eq(errno, EFAULT);
	/* A result buffer of a request in flight. */
	int p[2];
	control_pipe(p);
	ck_assert_int_eq(aioread(p[0], buffer, 1, 0, SEEK_SET, &result), 0);
	ck_assert_int_eq(aioread(fd, buffer, 1, 0, SEEK_SET, &result), -1);
	ck_assert_int_eq(errno, EINVAL);
	test_write_all(p[1], "z", 1);
	ck_assert_ptr_eq(wait_result(), &result);
	/* Nothing refused is outstanding. */
	ck_assert_ptr_eq(aiowait(NULL), (aio_result_t *)-1);
	ck_assert_int_eq(errno, EINVAL);
	control_close_pipe(p);
	close(fd);
}
END_TEST

START_TEST(test_aiocancel)
{
	int p[2];
	control_pipe(p);
	char buffer[4];
	aio_result_t result, unknown, done;
	ck_assert_int_eq(aiocancel(&result), -1);
	ck_assert_int_eq(errno, EINVAL);	/* nothing outstanding at all */
	ck_assert_int_eq(aioread(p[0], buffer, 4, 0, SEEK_SET, &result), 0);
	ck_assert_int_eq(aiocancel(&unknown), -1);
	ck_assert_int_eq(errno, EACCES);
	ck_assert_int_eq(aiocancel(&result), 0);
	ck_assert_int_eq(result.aio_return, -1);
	ck_assert_int_eq(result.aio_errno, ECANCELED);
	/* Cancelled: not returned by aiowait, and no longer outstanding. */
	ck_assert_ptr_eq(aiowait(NULL), (aio_result_t *)-1);
	ck_assert_int_eq(errno, EINVAL);

	/* A request that has finished cannot be cancelled. */
	int fd = text_file("data");
	ck_assert_int_eq(aioread(fd, buffer, 4, 0, SEEK_SET, &done), 0);
	while (__atomic_load_n(&done.aio_return, __ATOMIC_ACQUIRE) == AIO_INPROGRESS)
		control_pause();
	ck_assert_int_eq(aiocancel(&done), -1);
	ck_assert_int_eq(errno, EACCES);
	ck_assert_ptr_eq(wait_result(), &done);
	close(fd);
	control_close_pipe(p);
}
END_TEST

static aio_result_t *volatile from_handler[4];
static atomic_int sigio_count;

static void
on_sigio(int signo)
{
	(void)signo;
	int saved = errno;
	/* The Solaris idiom: drain with polling aiowait in the handler. */
	aio_result_t *got;
	while ((got = aiowait(&poll_now)) != NULL && got != (aio_result_t *)-1) {
		int n = atomic_fetch_add(&sigio_count, 1);
		if (n < 4)
			from_handler[n] = got;
	}
	errno = saved;
}

START_TEST(test_sigio_handler_drains_with_aiowait)
{
	struct sigaction action = { .sa_handler = on_sigio, .sa_flags = SA_RESTART };
	sigemptyset(&action.sa_mask);
	ck_assert_int_eq(sigaction(SIGIO, &action, NULL), 0);
	int p[2];
	control_pipe(p);
	char buffer[3];
	aio_result_t result, cancelled;
	ck_assert_int_eq(aioread(p[0], buffer, 3, 0, SEEK_SET, &cancelled), 0);
	ck_assert_int_eq(aiocancel(&cancelled), 0);
	ck_assert_int_eq(aioread(p[0], buffer, 3, 0, SEEK_SET, &result), 0);
	test_write_all(p[1], "sig", 3);
	long long deadline = control_now_ns() + CONTROL_BOUND_NS;
	while (atomic_load(&sigio_count) == 0 && control_now_ns() < deadline)
		control_pause();
	ck_assert_int_eq(atomic_load(&sigio_count), 1);
	ck_assert_ptr_eq(from_handler[0], &result);
	ck_assert_int_eq(result.aio_return, 3);
	ck_assert_ptr_eq(aiowait(NULL), (aio_result_t *)-1);	/* nothing left */
	control_close_pipe(p);
}
END_TEST

START_TEST(test_apart_from_posix_requests)
{
	int fd = text_file("posix and solaris");
	char a[5], b[7];
	struct aiocb cb, *got;
	aio_result_t result;
	test_prepare(&cb, fd, a, 5, 0);
	ck_assert_int_eq(aio_read(&cb), 0);
	ck_assert_int_eq(aioread(fd, b, 7, 10, SEEK_SET, &result), 0);
	ck_assert_ptr_eq(wait_result(), &result);
	ck_assert_ptr_eq(aiowait(NULL), (aio_result_t *)-1);
	ck_assert_int_eq(errno, EINVAL);
	struct timespec limit = { 20, 0 };
	ck_assert_int_eq(aio_waitcomplete(&got, &limit), 5);
	ck_assert_ptr_eq(got, &cb);
	ck_assert_int_eq(aio_waitcomplete(&got, NULL), -1);
	ck_assert_int_eq(errno, EAGAIN);
	ck_assert_int_eq(memcmp(b, "solaris", 7), 0);
	close(fd);
}
END_TEST

START_TEST(test_fork_child_has_nothing_outstanding)
{
	int p[2];
	control_pipe(p);
	char buffer[2];
	aio_result_t result;
	ck_assert_int_eq(aioread(p[0], buffer, 2, 0, SEEK_SET, &result), 0);
	control_before_fork();
	pid_t child = fork();
	ck_assert_int_ge(child, 0);
	if (child == 0) {
		int ok = aiowait(NULL) == (aio_result_t *)-1 && errno == EINVAL &&
			 result.aio_return == -1 && result.aio_errno == ECANCELED;
		/* The child can start its own. */
		int q[2];
		char mine[1];
		aio_result_t own;
		ok = ok && pipe(q) == 0 && aioread(q[0], mine, 1, 0, SEEK_SET, &own) == 0 &&
		     write(q[1], "c", 1) == 1 && aiowait(NULL) == &own && own.aio_return == 1;
		_exit(ok ? 0 : 1);
	}
	control_child_succeeded(child, "the child found something outstanding");
	test_write_all(p[1], "ok", 2);
	ck_assert_ptr_eq(wait_result(), &result);
	ck_assert_int_eq(result.aio_return, 2);
	control_close_pipe(p);
}
END_TEST

/* --- beyond 2 GiB -------------------------------------------------------- */

typedef int solaris_read_call(int, char *, int, off64_t, int, aio_result_t *);
typedef int solaris_write_call(int, const char *, int, off64_t, int, aio_result_t *);

/* In a sparse file past 4 GiB: a read at an offset past 2 GiB, one from
 * the end, and a write past 4 GiB, each landing where it says. */
static void
far_requests(solaris_read_call *read_call, solaris_write_call *write_call)
{
	enum { LENGTH = 4096 };
	const off64_t at = ((off64_t)2 << 30) + 5, end = ((off64_t)4 << 30) + 3 * LENGTH;
	static char out[LENGTH], in[LENGTH];
	int fd = test_temp_file();
	test_pattern_fill(out, LENGTH, 81, (uint64_t)at);
	io_pwrite_all(fd, out, LENGTH, at);
	test_pattern_fill(out, LENGTH, 82, (uint64_t)(end - LENGTH));
	io_pwrite_all(fd, out, LENGTH, end - LENGTH);
	aio_result_t result;

	ck_assert_int_eq(read_call(fd, in, LENGTH, at, SEEK_SET, &result), 0);
	ck_assert_ptr_eq(wait_result(), &result);
	ck_assert_int_eq(result.aio_return, LENGTH);
	ck_assert(test_pattern_check(in, LENGTH, 81, (uint64_t)at));

	ck_assert_int_eq(read_call(fd, in, LENGTH, -LENGTH, SEEK_END, &result), 0);
	ck_assert_ptr_eq(wait_result(), &result);
	ck_assert_int_eq(result.aio_return, LENGTH);
	ck_assert(test_pattern_check(in, LENGTH, 82, (uint64_t)(end - LENGTH)));

	test_pattern_fill(out, LENGTH, 83, (uint64_t)end);
	ck_assert_int_eq(write_call(fd, out, LENGTH, end, SEEK_SET, &result), 0);
	ck_assert_ptr_eq(wait_result(), &result);
	ck_assert_int_eq(result.aio_return, LENGTH);
	io_pread_all(fd, in, LENGTH, end);
	ck_assert(test_pattern_check(in, LENGTH, 83, (uint64_t)end));
	ck_assert_int_eq(io_file_size(fd), end + LENGTH);
	close(fd);
}

/* Solaris's transitional names take an off64_t in every build. */
START_TEST(test_aioread64_and_aiowrite64_beyond_2_gib)
{
	far_requests(aioread64, aiowrite64);
}
END_TEST

#if !PLAIN_ILP32
/* Where off_t has 64 bits, the plain names reach as far (with
 * _FILE_OFFSET_BITS=64 on i386 they are the transitional ones). */
START_TEST(test_aioread_and_aiowrite_beyond_2_gib)
{
	far_requests(aioread, aiowrite);
}
END_TEST
#endif

int
main(void)
{
	Suite *s = suite_create("solaris");
	TCase *tc = control_tcase("aioread and aiowait");
	tcase_add_test(tc, test_aioread_then_aiowait_gives_the_result_buffer);
	tcase_add_test(tc, test_whence_and_the_seek_pointer);
	tcase_add_test(tc, test_in_progress_poll_and_time_limit);
	tcase_add_test(tc, test_refusals);
	suite_add_tcase(s, tc);
	tc = control_tcase("aiocancel, SIGIO, domains, fork");
	tcase_add_test(tc, test_aiocancel);
	tcase_add_test(tc, test_sigio_handler_drains_with_aiowait);
	tcase_add_test(tc, test_apart_from_posix_requests);
	tcase_add_test(tc, test_fork_child_has_nothing_outstanding);
	suite_add_tcase(s, tc);
	tc = control_tcase("beyond 2 GiB");
	tcase_add_test(tc, test_aioread64_and_aiowrite64_beyond_2_gib);
#if !PLAIN_ILP32
	tcase_add_test(tc, test_aioread_and_aiowrite_beyond_2_gib);
#endif
	suite_add_tcase(s, tc);
	return control_run_suite(s);
}
