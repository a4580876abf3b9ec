/* test-submission: the submission path (lane.c and the backends).
 *
 * - Requests submitted while others are outstanding are staged and handed
 *   on in batches: fewer submission calls than requests.
 * - A staged request completes while its caller only waits outside the
 *   library (the flusher's bounded deadline).
 * - Submission never waits for the transfer: right after a 64 MiB aio_read
 *   returns, the request is still in progress; a read into a buffer whose
 *   page stalls (userfaultfd) stalls neither its caller nor the fd's other
 *   requests.
 * Every wait has a bound; no sleep stands in for a condition.
 */
#include "control-util.h"

#include <linux/userfaultfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>

#define BLOCK 4096

static struct aio_posix_stats
stats_now(void)
{
	struct aio_posix_stats st;
	ck_assert_int_eq(aio_posix_get_stats(&st, sizeof st), 0);
	return st;
}

/* A cached file of blocks BLOCK-byte blocks, pattern seed 7. */
static int
cached_file(int blocks)
{
	int fd = test_temp_file();
	static char data[1 << 16];
	for (int written = 0; written < blocks;) {
		int now = blocks - written < (int)(sizeof data / BLOCK)
			? blocks - written : (int)(sizeof data / BLOCK);
		test_pattern_fill(data, (size_t)now * BLOCK, 7, (uint64_t)written * BLOCK);
		ck_assert_int_eq(pwrite(fd, data, (size_t)now * BLOCK, (off_t)written * BLOCK),
				 (ssize_t)now * BLOCK);
		written += now;
	}
	return fd;
}

/* 64 reads submitted back to back, then one aio_suspend on them all: handed
 * on in a few batches, not one submission call per request.  The flusher
 * may hand a batch on at each of its ticks (500 us) while the loop runs, so
 * on a slow or preempted run each tick that passed allows one call more;
 * a run that is not preempted still allows only DEPTH / 8. */
START_TEST(requests_in_flight_are_batched)
{
	enum { DEPTH = 64 };
	int fd = cached_file(DEPTH);
	static char buffers[DEPTH][BLOCK];
	static struct aiocb cbs[DEPTH];
	struct aiocb *list[DEPTH];
	/* A first request, collected, so the lane has seen a wait. */
	test_prepare(&cbs[0], fd, buffers[0], BLOCK, 0);
	ck_assert_int_eq(aio_read(&cbs[0]), 0);
	ck_assert_int_eq(test_wait(&cbs[0], 0), BLOCK);

	struct aio_posix_stats before = stats_now();
	long long started = control_now_ns();
	for (int i = 0; i < DEPTH; i++) {
		test_prepare(&cbs[i], fd, buffers[i], BLOCK, (off_t)i * BLOCK);
		ck_assert_int_eq(aio_read(&cbs[i]), 0);
		list[i] = &cbs[i];
	}
	long long ticks = (control_now_ns() - started) / 500000 + 1;
	control_wait_all(list, DEPTH);
	struct aio_posix_stats after = stats_now();
	for (int i = 0; i < DEPTH; i++) {
		ck_assert_int_eq(aio_return(&cbs[i]), BLOCK);
		ck_assert(test_pattern_check(buffers[i], BLOCK, 7, (uint64_t)i * BLOCK));
	}
	unsigned long long calls = after.submit_calls - before.submit_calls;
	unsigned long long inline_done = after.completed_at_submission -
					 before.completed_at_submission;
	ck_assert_msg(calls + inline_done <= DEPTH / 8 + (unsigned long long)ticks,
		      "%llu submission calls and %llu inline completions for %d requests"
		      " submitted over %lld flusher ticks",
		      calls, inline_done, DEPTH, ticks);
	close(fd);
}
END_TEST

static sem_t notified;

static void
count_completion(union sigval value)
{
	sem_post(&notified);
}

/* A request staged behind another completes while the caller waits on a
 * semaphore only: nothing in the library is called to hand it on. */
START_TEST(staged_request_completes_while_caller_waits_elsewhere)
{
	int fd = cached_file(2);
	static char a[BLOCK], b[BLOCK];
	struct aiocb first, second;
	ck_assert_int_eq(sem_init(&notified, 0, 0), 0);
	test_prepare(&first, fd, a, BLOCK, 0);
	test_prepare(&second, fd, b, BLOCK, BLOCK);
	first.aio_sigevent.sigev_notify = second.aio_sigevent.sigev_notify = SIGEV_THREAD;
	first.aio_sigevent.sigev_notify_function = count_completion;
	second.aio_sigevent.sigev_notify_function = count_completion;
	/* The first goes at once; the second, submitted while the first is
	 * not collected and with no wait between them, is staged. */
	ck_assert_int_eq(aio_read(&first), 0);
	ck_assert_int_eq(aio_read(&second), 0);
	struct timespec bound;
	clock_gettime(CLOCK_REALTIME, &bound);
	bound.tv_sec += 10;
	for (int got = 0; got < 2; got++) {
		int rc;
		while ((rc = sem_timedwait(&notified, &bound)) != 0 && errno == EINTR)
			;
		ck_assert_msg(rc == 0, "only %d of 2 requests completed with nobody calling in", got);
	}
	ck_assert_int_eq(aio_return(&first), BLOCK);
	ck_assert_int_eq(aio_return(&second), BLOCK);
	ck_assert(test_pattern_check(b, BLOCK, 7, BLOCK));
	sem_destroy(&notified);
	close(fd);
}
END_TEST

/* aio_read of 64 MiB from a cached file returns with the request still in
 * progress: the copy is not done in the caller.  (A machine that stops the
 * test between the two calls for as long as the copy takes could see it
 * done; so it tries a few times, and a library that copies in aio_read
 * never shows it in progress.) */
START_TEST(large_read_returns_in_progress)
{
	enum { SIZE = 64 << 20, TRIES = 5 };
	int fd = test_temp_file();
	ck_assert_int_eq(ftruncate(fd, SIZE), 0);
	char *buffer = malloc(SIZE);
	ck_assert_ptr_nonnull(buffer);
	memset(buffer, 'L', SIZE);
	ck_assert_int_eq(pwrite(fd, buffer, SIZE, 0), SIZE);	/* cached now */
	int in_progress = 0;
	for (int i = 0; i < TRIES && !in_progress; i++) {
		struct aiocb cb;
		test_prepare(&cb, fd, buffer, SIZE, 0);
		ck_assert_int_eq(aio_read(&cb), 0);
		in_progress = aio_error(&cb) == EINPROGRESS;
		ck_assert_int_eq(test_wait(&cb, 0), SIZE);
	}
	ck_assert_msg(in_progress, "a 64 MiB aio_read was complete when it returned, %d times",
		      TRIES);
	ck_assert(buffer[0] == 'L' && buffer[SIZE - 1] == 'L');
	free(buffer);
	close(fd);
}
END_TEST

/* --- a stalled destination page ------------------------------------------- */

struct stall {
	int uffd;
	char *area;
	size_t length;
	atomic_bool release;
	atomic_bool faulted;
	pthread_t resolver;
};

static void *
resolve_when_told(void *arg)
{
	struct stall *s = arg;
	struct uffd_msg msg;
	ssize_t n;
	while ((n = read(s->uffd, &msg, sizeof msg)) < 0 && errno == EINTR)
		;
	if (n != sizeof msg || msg.event != UFFD_EVENT_PAGEFAULT)
		return NULL;
	atomic_store(&s->faulted, true);
	while (!atomic_load(&s->release))
		control_pause();
	static char page[BLOCK] __attribute__((aligned(BLOCK)));
	memset(page, 'U', sizeof page);
	struct uffdio_copy copy = {
		.dst = msg.arg.pagefault.address & ~(unsigned long long)(BLOCK - 1),
		.src = (unsigned long)page,
		.len = BLOCK,
	};
	ioctl(s->uffd, UFFDIO_COPY, &copy);
	return NULL;
}

/* A page registered with userfaultfd, whose first fault waits until the
 * test says so; false when the kernel does not allow it here. */
static bool
stall_setup(struct stall *s)
{
	memset(s, 0, sizeof *s);
	s->uffd = (int)syscall(SYS_userfaultfd, O_CLOEXEC);
	if (s->uffd < 0)
		return false;
	struct uffdio_api api = { .api = UFFD_API };
	s->length = BLOCK;
	s->area = mmap(NULL, s->length, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ck_assert_ptr_ne(s->area, MAP_FAILED);
	struct uffdio_register reg = {
		.range = { (unsigned long)s->area, s->length },
		.mode = UFFDIO_REGISTER_MODE_MISSING,
	};
	if (ioctl(s->uffd, UFFDIO_API, &api) != 0 || ioctl(s->uffd, UFFDIO_REGISTER, &reg) != 0) {
		close(s->uffd);
		munmap(s->area, s->length);
		return false;
	}
	ck_assert_int_eq(pthread_create(&s->resolver, NULL, resolve_when_told, s), 0);
	return true;
}

START_TEST(stalled_page_stalls_only_its_request)
{
	struct stall s;
	if (!stall_setup(&s)) {
		fprintf(stderr, "test-submission: userfaultfd is not allowed here: "
			"stalled_page_stalls_only_its_request skipped\n");
		return;
	}
	int fd = cached_file(4);
	struct aiocb stalled, other;
	test_prepare(&stalled, fd, s.area, BLOCK, 0);
	/* If the caller took the fault, this call would not return until the
	 * resolver is released below, and the test would time out. */
	ck_assert_int_eq(aio_read(&stalled), 0);
	ck_assert_int_eq(aio_error(&stalled), EINPROGRESS);
	/* Another read on the same fd completes meanwhile. */
	static char buffer[BLOCK];
	test_prepare(&other, fd, buffer, BLOCK, BLOCK);
	ck_assert_int_eq(aio_read(&other), 0);
	const struct aiocb *list[1] = { &other };
	struct timespec bound = { 10, 0 };
	while (aio_error(&other) == EINPROGRESS)
		ck_assert_msg(aio_suspend(list, 1, &bound) == 0 || errno == EINTR,
			      "a read beside a stalled one did not complete");
	ck_assert_int_eq(aio_return(&other), BLOCK);
	ck_assert(test_pattern_check(buffer, BLOCK, 7, BLOCK));
	ck_assert_int_eq(aio_error(&stalled), EINPROGRESS);
	/* Let the page in: the stalled read finishes, with the file's data. */
	atomic_store(&s.release, true);
	ck_assert_int_eq(test_wait(&stalled, 0), BLOCK);
	ck_assert(test_pattern_check(s.area, BLOCK, 7, 0));
	pthread_join(s.resolver, NULL);
	close(s.uffd);
	munmap(s.area, s.length);
	close(fd);
}
END_TEST

static Suite *
submission_suite(void)
{
	Suite *s = suite_create("submission");
	TCase *tc = control_tcase("batching");
	tcase_add_test(tc, requests_in_flight_are_batched);
	tcase_add_test(tc, staged_request_completes_while_caller_waits_elsewhere);
	suite_add_tcase(s, tc);
	tc = control_tcase("never-waits");
	tcase_add_test(tc, large_read_returns_in_progress);
	tcase_add_test(tc, stalled_page_stalls_only_its_request);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return control_run_suite(submission_suite());
}
