/* test-completion-queue: completion by file descriptor.  A completion
 * queue (aio_queue_create) is readable exactly while it holds finished
 * requests tied to it with SIGEV_AIO_QUEUE, hands each over once with its
 * result and sigev_value (aio_queue_reap), works in epoll, and is nobody
 * else's; SIGEV_AIO_EVENTFD adds one to the caller's eventfd per
 * completion, and never writes a descriptor number reused meanwhile. */
#include "control-util.h"

/* A fork child here starts requests of its own, and with them threads. */
CONTROL_TSAN_THREADS_AFTER_FORK

#include <poll.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>

static off_t
file_size(int fd)
{
	struct stat st;
	ck_assert_int_eq(fstat(fd, &st), 0);
	return st.st_size;
}

static bool
readable(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	return poll(&p, 1, 0) == 1 && (p.revents & POLLIN);
}

static void
tie(struct aiocb *cb, int queue, int value)
{
	cb->aio_sigevent.sigev_notify = SIGEV_AIO_QUEUE;
	cb->aio_sigevent.sigev_notify_queue = queue;
	cb->aio_sigevent.sigev_value.sival_int = value;
}

/* Start n reads of size bytes, at size * i, into buffers (n times size
 * bytes), tied to queue with the values first_value + i. */
static void
start_tied_reads(struct aiocb *cbs, int n, int fd, int queue, char *buffers, size_t size,
		 int first_value)
{
	for (int i = 0; i < n; i++) {
		test_prepare(&cbs[i], fd, buffers + size * i, size, (off_t)(size * i));
		tie(&cbs[i], queue, first_value + i);
		ck_assert_int_eq(aio_read(&cbs[i]), 0);
	}
}

/* Reap until count entries came, bounded. */
static int
reap_all(int queue, struct aio_completion *out, unsigned count)
{
	unsigned got = 0;
	long long deadline = control_now_ns() + CONTROL_BOUND_NS;
	while (got < count && control_now_ns() < deadline) {
		struct timespec limit = control_ms(1000);
		int n = aio_queue_reap(queue, out + got, count - got, count - got, &limit);
		if (n < 0 && errno == EINTR)
			continue;
		ck_assert_msg(n >= 0, "aio_queue_reap: %s", strerror(errno));
		got += (unsigned)n;
	}
	return (int)got;
}

START_TEST(test_create_and_close)
{
	int queue = aio_queue_create(AIO_QUEUE_CLOEXEC);
	ck_assert_int_ge(queue, 0);
	ck_assert(fcntl(queue, F_GETFD) & FD_CLOEXEC);
	ck_assert(!readable(queue));
	struct aio_completion entry;
	ck_assert_int_eq(aio_queue_reap(queue, &entry, 1, 0, NULL), 0);
	ck_assert_int_eq(aio_queue_close(queue), 0);
	ck_assert_int_eq(fcntl(queue, F_GETFD), -1);	/* closed */
	ck_assert_int_eq(aio_queue_close(queue), -1);
	ck_assert_int_eq(errno, EBADF);
	ck_assert_int_eq(aio_queue_reap(queue, &entry, 1, 0, NULL), -1);
	ck_assert_int_eq(errno, EBADF);
	ck_assert_int_eq(aio_queue_reap(0, &entry, 1, 0, NULL), -1);	/* not a queue */
	ck_assert_int_eq(errno, EBADF);
	ck_assert_int_eq(aio_queue_create(0x100), -1);
	ck_assert_int_eq(errno, EINVAL);
	queue = aio_queue_create(0);
	ck_assert_int_ge(queue, 0);
	ck_assert(!(fcntl(queue, F_GETFD) & FD_CLOEXEC));
	ck_assert_int_eq(aio_queue_reap(queue, &entry, 1, 2, NULL), -1);	/* min > max */
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_int_eq(aio_queue_reap(queue, NULL, 1, 0, NULL), -1);
	ck_assert_int_eq(errno, EINVAL);
	struct timespec bad = { 0, 1000000000L };
	ck_assert_int_eq(aio_queue_reap(queue, &entry, 1, 1, &bad), -1);
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_int_eq(aio_queue_close(queue), 0);
}
END_TEST

START_TEST(test_reap_hands_over_results_and_values)
{
	enum { N = 10 };
	int fd = test_pattern_file(512 * N, 9);
	int queue = aio_queue_create(AIO_QUEUE_CLOEXEC);
	char buffers[N][512];
	struct aiocb cbs[N];
	start_tied_reads(cbs, N, fd, queue, buffers[0], 512, 100);
	/* A failure comes through the queue as well. */
	struct aiocb bad;
	char byte;
	test_prepare(&bad, control_closed_fd(), &byte, 1, 0);
	tie(&bad, queue, -1);
	ck_assert_int_eq(aio_read(&bad), 0);

	struct aio_completion entries[N + 1];
	ck_assert_int_eq(reap_all(queue, entries, N + 1), N + 1);
	int seen[N] = { 0 }, failures = 0;
	for (int i = 0; i < N + 1; i++) {
		if (entries[i].aiocb == &bad) {
			ck_assert_int_eq(entries[i].result, -1);
			ck_assert_int_eq(entries[i].error, EBADF);
			ck_assert_int_eq(entries[i].value.sival_int, -1);
			failures++;
			continue;
		}
		ptrdiff_t k = entries[i].aiocb - cbs;
		ck_assert(k >= 0 && k < N);
		ck_assert_int_eq(entries[i].result, 512);
		ck_assert_int_eq(entries[i].error, 0);
		ck_assert_int_eq(entries[i].value.sival_int, 100 + k);
		seen[k]++;
		/* Reaped: aio_error and aio_return as after aio_return. */
		ck_assert_int_eq(aio_error(&cbs[k]), 0);
		ck_assert_int_eq(aio_return(&cbs[k]), 512);
		ck_assert(test_pattern_check(buffers[k], 512, 9, 512 * k));
	}
	ck_assert_int_eq(failures, 1);
	for (int i = 0; i < N; i++)
		ck_assert_int_eq(seen[i], 1);
	/* Empty again: not readable, and nothing more to reap, at once. */
	ck_assert(!readable(queue));
	ck_assert_int_eq(aio_queue_reap(queue, entries, N, 1, NULL), 0);
	/* The queue's requests are nobody else's. */
	struct aiocb *got;
	ck_assert_int_eq(aio_waitcomplete(&got, NULL), -1);
	ck_assert_int_eq(errno, EAGAIN);
	ck_assert_int_eq(aio_queue_close(queue), 0);
	close(fd);
}
END_TEST

START_TEST(test_readable_while_entries_wait)
{
	int fd = test_pattern_file(4096, 9);
	int queue = aio_queue_create(0);
	char buffers[3][100];
	struct aiocb cbs[3], *list[3];
	for (int i = 0; i < 3; i++) {
		test_prepare(&cbs[i], fd, buffers[i], 100, 100 * i);
		tie(&cbs[i], queue, i);
		cbs[i].aio_lio_opcode = LIO_READ;
		list[i] = &cbs[i];
	}
	ck_assert(!readable(queue));
	/* LIO_WAIT returns once all three have finished, and each was posted
	 * before its list counted it (finish.c): three entries wait. */
	ck_assert_int_eq(lio_listio(LIO_WAIT, list, 3, NULL), 0);
	ck_assert(readable(queue));
	struct aio_completion entries[3];
	ck_assert_int_eq(aio_queue_reap(queue, entries, 1, 0, NULL), 1);
	ck_assert(readable(queue));	/* two left */
	ck_assert_int_eq(aio_queue_reap(queue, entries + 1, 2, 0, NULL), 2);
	ck_assert(!readable(queue));
	int seen[3] = { 0 };
	for (int i = 0; i < 3; i++)
		seen[entries[i].aiocb - cbs]++;
	for (int i = 0; i < 3; i++)
		ck_assert_int_eq(seen[i], 1);
	aio_queue_close(queue);
	close(fd);
}
END_TEST

START_TEST(test_reap_waits_for_min_and_times_out)
{
	int p[2];
	control_pipe(p);
	int queue = aio_queue_create(0);
	char buffer[4];
	struct aiocb cb;
	test_prepare(&cb, p[0], buffer, 4, 0);
	tie(&cb, queue, 7);
	ck_assert_int_eq(aio_read(&cb), 0);
	struct aio_completion entry;
	struct timespec zero = { 0, 0 }, short_wait = control_ms(30);
	ck_assert_int_eq(aio_queue_reap(queue, &entry, 1, 1, &zero), 0);
	ck_assert_int_eq(aio_queue_reap(queue, &entry, 1, 1, &short_wait), 0);
	ck_assert(!readable(queue));
	test_write_all(p[1], "ping", 4);
	ck_assert_int_eq(aio_queue_reap(queue, &entry, 1, 1, NULL), 1);
	ck_assert_ptr_eq(entry.aiocb, &cb);
	ck_assert_int_eq(entry.result, 4);
	ck_assert_int_eq(entry.value.sival_int, 7);
	aio_queue_close(queue);
	control_close_pipe(p);
}
END_TEST

/* A reaper waits for requests in the ring and in the pool alike: a read of
 * a pipe (in io_uring, on that backend) and a write to a full pipe (always
 * a worker's) both wake it. */
START_TEST(test_reap_waits_for_ring_and_pool_requests)
{
	int in[2], out[2];
	control_pipe(in);
	control_pipe(out);
	size_t filler = control_fill_pipe(out);
	int queue = aio_queue_create(0);
	char buffer[3];
	struct aiocb reader, writer;
	test_prepare(&reader, in[0], buffer, 3, 0);
	tie(&reader, queue, 1);
	ck_assert_int_eq(aio_read(&reader), 0);
	test_prepare(&writer, out[1], "out", 3, 0);
	tie(&writer, queue, 2);
	ck_assert_int_eq(aio_write(&writer), 0);
	int blocked[1] = { out[1] };
	ck_assert_int_eq(control_await_writers(blocked, 1, 1, NULL, 0), 1);
	struct aio_completion entries[2];
	/* The write first: the reaper may be asleep in the ring for the read. */
	control_drain_filler(out, filler);
	ck_assert_int_eq(reap_all(queue, entries, 1), 1);
	ck_assert_int_eq(entries[0].value.sival_int, 2);
	ck_assert_int_eq(entries[0].result, 3);
	test_write_all(in[1], "abc", 3);
	ck_assert_int_eq(reap_all(queue, entries, 1), 1);
	ck_assert_int_eq(entries[0].value.sival_int, 1);
	ck_assert_int_eq(entries[0].result, 3);
	aio_queue_close(queue);
	control_close_pipe(in);
	control_close_pipe(out);
}
END_TEST

/* A reaper asleep waiting for a request in the ring is woken by another
 * request of its queue that finishes elsewhere (a worker), submitted after
 * it fell asleep. */
struct sleeper {
	int queue;
	atomic_int tid;
	int got;
	struct aio_completion entry;
};

static void *
sleeper_main(void *arg)
{
	struct sleeper *s = arg;
	atomic_store(&s->tid, (int)gettid());
	do
		s->got = aio_queue_reap(s->queue, &s->entry, 1, 1, NULL);
	while (s->got < 0 && errno == EINTR);
	return NULL;
}

/* A thread that reaps one entry of s's queue, once it is asleep there. */
static pthread_t
sleeper_start(struct sleeper *s)
{
	pthread_t thread;
	ck_assert_int_eq(pthread_create(&thread, NULL, sleeper_main, s), 0);
	long long deadline = control_now_ns() + CONTROL_BOUND_NS;
	while ((atomic_load(&s->tid) == 0 || !control_task_sleeping(atomic_load(&s->tid))) &&
	       control_now_ns() < deadline)
		control_pause();
	return thread;
}

/* Has it ended within 10 s? */
static bool
sleeper_joined(pthread_t thread)
{
	struct timespec limit;
	clock_gettime(CLOCK_REALTIME, &limit);
	limit.tv_sec += 10;
	return pthread_timedjoin_np(thread, NULL, &limit) == 0;
}

START_TEST(test_reaper_asleep_is_woken_by_a_late_request)
{
	int in[2], out[2];
	control_pipe(in);
	control_pipe(out);
	struct sleeper s = { .queue = aio_queue_create(0) };
	atomic_init(&s.tid, 0);
	char buffer[1];
	struct aiocb reader, writer;
	test_prepare(&reader, in[0], buffer, 1, 0);
	tie(&reader, s.queue, 1);
	ck_assert_int_eq(aio_read(&reader), 0);
	pthread_t thread = sleeper_start(&s);
	test_prepare(&writer, out[1], "w", 1, 0);
	tie(&writer, s.queue, 2);
	ck_assert_int_eq(aio_write(&writer), 0);
	ck_assert_msg(sleeper_joined(thread), "the reaper slept through its queue's completion");
	ck_assert_int_eq(s.got, 1);
	ck_assert_int_eq(s.entry.value.sival_int, 2);
	ck_assert_int_eq(aio_cancel(in[0], &reader), AIO_CANCELED);
	aio_queue_close(s.queue);
	control_close_pipe(in);
	control_close_pipe(out);
}
END_TEST

/* Entries posted while a reaper is inside cost no eventfd write, but one
 * it has no room for leaves the descriptor readable when it returns: two
 * reads finish while a reaper that takes one sleeps. */
START_TEST(test_reaper_leaves_what_it_has_no_room_for_readable)
{
	int a[2], b[2];
	control_pipe(a);
	control_pipe(b);
	struct sleeper s = { .queue = aio_queue_create(0) };
	atomic_init(&s.tid, 0);
	char buffers[2];
	struct aiocb readers[2];
	test_prepare(&readers[0], a[0], &buffers[0], 1, 0);
	tie(&readers[0], s.queue, 0);
	ck_assert_int_eq(aio_read(&readers[0]), 0);
	test_prepare(&readers[1], b[0], &buffers[1], 1, 0);
	tie(&readers[1], s.queue, 1);
	ck_assert_int_eq(aio_read(&readers[1]), 0);
	pthread_t thread = sleeper_start(&s);
	test_write_all(a[1], "a", 1);
	test_write_all(b[1], "b", 1);
	ck_assert_msg(sleeper_joined(thread), "the reaper slept through its queue's completions");
	ck_assert_int_eq(s.got, 1);
	/* The other one: posted already, or about to be; either way the
	 * descriptor says so. */
	struct pollfd ready = { .fd = s.queue, .events = POLLIN };
	ck_assert_int_eq(poll(&ready, 1, 10000), 1);
	struct aio_completion other;
	struct timespec zero = { 0, 0 };
	ck_assert_int_eq(aio_queue_reap(s.queue, &other, 1, 0, &zero), 1);
	ck_assert_int_eq(other.value.sival_int + s.entry.value.sival_int, 1);
	ck_assert(!readable(s.queue));
	aio_queue_close(s.queue);
	control_close_pipe(a);
	control_close_pipe(b);
}
END_TEST

static void
on_signal(int signo)
{
	(void)signo;
}

START_TEST(test_reap_interrupted_says_eintr)
{
	struct sigaction action = { .sa_handler = on_signal };
	sigemptyset(&action.sa_mask);
	ck_assert_int_eq(sigaction(SIGUSR1, &action, NULL), 0);
	int p[2];
	control_pipe(p);
	int queue = aio_queue_create(0);
	char buffer[1];
	struct aiocb cb;
	test_prepare(&cb, p[0], buffer, 1, 0);
	tie(&cb, queue, 0);
	ck_assert_int_eq(aio_read(&cb), 0);
	struct control_spammer spammer;
	control_spammer_start(&spammer, pthread_self(), SIGUSR1);
	struct aio_completion entry;
	ck_assert_int_eq(aio_queue_reap(queue, &entry, 1, 1, NULL), -1);
	ck_assert_int_eq(errno, EINTR);
	control_spammer_stop(&spammer);
	ck_assert_int_eq(aio_cancel(p[0], &cb), AIO_CANCELED);
	ck_assert_int_eq(reap_all(queue, &entry, 1), 1);
	ck_assert_int_eq(entry.error, ECANCELED);
	aio_queue_close(queue);
	control_close_pipe(p);
}
END_TEST

START_TEST(test_epoll_sees_the_queue)
{
	int fd = test_pattern_file(4096, 9);
	int queue = aio_queue_create(AIO_QUEUE_CLOEXEC);
	int ep = epoll_create1(EPOLL_CLOEXEC);
	struct epoll_event ev = { .events = EPOLLIN, .data.u32 = 42 };
	ck_assert_int_eq(epoll_ctl(ep, EPOLL_CTL_ADD, queue, &ev), 0);
	ck_assert_int_eq(epoll_wait(ep, &ev, 1, 0), 0);
	char buffer[64];
	struct aiocb cb;
	test_prepare(&cb, fd, buffer, 64, 0);
	tie(&cb, queue, 1);
	ck_assert_int_eq(aio_read(&cb), 0);
	int n;
	do
		n = epoll_wait(ep, &ev, 1, 10000);
	while (n < 0 && errno == EINTR);
	ck_assert_int_eq(n, 1);
	ck_assert_uint_eq(ev.data.u32, 42);
	struct aio_completion entry;
	ck_assert_int_eq(aio_queue_reap(queue, &entry, 1, 0, NULL), 1);
	ck_assert_int_eq(epoll_wait(ep, &ev, 1, 0), 0);
	close(ep);
	aio_queue_close(queue);
	close(fd);
}
END_TEST

START_TEST(test_lio_listio_list_notification)
{
	int fd = test_pattern_file(2048, 9);
	int queue = aio_queue_create(0);
	char buffers[2][1024];
	struct aiocb cbs[2], *list[2];
	for (int i = 0; i < 2; i++) {
		test_prepare(&cbs[i], fd, buffers[i], 1024, 1024 * i);
		cbs[i].aio_lio_opcode = LIO_READ;
		tie(&cbs[i], queue, i);
		list[i] = &cbs[i];
	}
	struct sigevent whole = { .sigev_notify = SIGEV_AIO_QUEUE };
	whole.sigev_notify_queue = queue;
	whole.sigev_value.sival_int = 99;
	ck_assert_int_eq(lio_listio(LIO_NOWAIT, list, 2, &whole), 0);
	struct aio_completion entries[3];
	ck_assert_int_eq(reap_all(queue, entries, 3), 3);
	int lists = 0, requests = 0;
	for (int i = 0; i < 3; i++) {
		if (entries[i].aiocb == NULL) {
			ck_assert_int_eq(entries[i].value.sival_int, 99);
			lists++;
		} else {
			ck_assert_int_eq(entries[i].result, 1024);
			requests++;
		}
	}
	ck_assert_int_eq(lists, 1);
	ck_assert_int_eq(requests, 2);
	aio_queue_close(queue);
	close(fd);
}
END_TEST

START_TEST(test_close_with_requests_in_flight)
{
	int p[2];
	control_pipe(p);
	int queue = aio_queue_create(0);
	char buffer[2];
	struct aiocb cb;
	test_prepare(&cb, p[0], buffer, 2, 0);
	tie(&cb, queue, 0);
	ck_assert_int_eq(aio_read(&cb), 0);
	ck_assert_int_eq(aio_queue_close(queue), 0);
	/* Tying to it now is refused; the request in flight finishes, posts
	 * nothing, and its result is still in its aiocb. */
	struct aiocb late;
	test_prepare(&late, p[0], buffer, 1, 0);
	tie(&late, queue, 0);
	ck_assert_int_eq(aio_read(&late), -1);
	ck_assert_int_eq(errno, EINVAL);
	test_write_all(p[1], "ok", 2);
	struct aiocb *list[1] = { &cb };
	control_wait_all(list, 1);
	ck_assert_int_eq(aio_return(&cb), 2);
	control_close_pipe(p);
}
END_TEST

START_TEST(test_bad_queue_or_eventfd_refused)
{
	int fd = test_temp_file();
	char buffer[4];
	struct aiocb cb;
	test_prepare(&cb, fd, buffer, 4, 0);
	tie(&cb, fd, 0);		/* a file, not a queue */
	ck_assert_int_eq(aio_read(&cb), -1);
	ck_assert_int_eq(errno, EINVAL);
	test_prepare(&cb, fd, buffer, 4, 0);
	cb.aio_sigevent.sigev_notify = SIGEV_AIO_EVENTFD;
	cb.aio_sigevent.sigev_notify_eventfd = fd;	/* a file, not an eventfd */
	ck_assert_int_eq(aio_read(&cb), -1);
	ck_assert_int_eq(errno, EINVAL);
	cb.aio_sigevent.sigev_notify_eventfd = -1;
	ck_assert_int_eq(aio_read(&cb), -1);
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_int_eq(file_size(fd), 0);
	close(fd);
}
END_TEST

START_TEST(test_eventfd_counts_completions)
{
	enum { N = 5 };
	int fd = test_pattern_file(512 * N, 9);
	int event = eventfd(0, EFD_CLOEXEC);
	char buffers[N][512];
	struct aiocb cbs[N], *list[N];
	for (int i = 0; i < N; i++) {
		test_prepare(&cbs[i], fd, buffers[i], 512, 512 * i);
		cbs[i].aio_sigevent.sigev_notify = SIGEV_AIO_EVENTFD;
		cbs[i].aio_sigevent.sigev_notify_eventfd = event;
		ck_assert_int_eq(aio_read(&cbs[i]), 0);
		list[i] = &cbs[i];
	}
	control_wait_all(list, N);
	uint64_t total = 0;
	long long deadline = control_now_ns() + CONTROL_BOUND_NS;
	while (total < N && control_now_ns() < deadline) {
		struct pollfd p = { .fd = event, .events = POLLIN };
		if (poll(&p, 1, 100) == 1) {
			uint64_t count;
			ck_assert_int_eq(read(event, &count, sizeof count), (ssize_t)sizeof count);
			total += count;
		}
	}
	ck_assert_uint_eq(total, N);
	/* Such requests are ordinary otherwise: aio_waitcomplete takes them. */
	for (int i = 0; i < N; i++) {
		struct aiocb *got;
		struct timespec limit = { 10, 0 };
		ck_assert_int_eq(aio_waitcomplete(&got, &limit), 512);
	}
	close(event);
	close(fd);
}
END_TEST

START_TEST(test_eventfd_number_reused_is_never_written)
{
	int p[2];
	control_pipe(p);
	int event = eventfd(0, 0);
	char buffer[3];
	struct aiocb cb;
	test_prepare(&cb, p[0], buffer, 3, 0);
	cb.aio_sigevent.sigev_notify = SIGEV_AIO_EVENTFD;
	cb.aio_sigevent.sigev_notify_eventfd = event;
	ck_assert_int_eq(aio_read(&cb), 0);
	/* The program closes its eventfd; a file takes its number. */
	int file = test_temp_file();
	ck_assert_int_eq(dup2(file, event), event);
	close(file);
	test_write_all(p[1], "end", 3);
	struct aiocb *list[1] = { &cb };
	control_wait_all(list, 1);
	struct aiocb *got;
	struct timespec limit = { 10, 0 };
	ck_assert_int_eq(aio_waitcomplete(&got, &limit), 3);	/* delivered by now */
	ck_assert_int_eq(file_size(event), 0);
	close(event);
	control_close_pipe(p);
}
END_TEST

START_TEST(test_fork_child_inherits_no_queue)
{
	int p[2];
	control_pipe(p);
	int queue = aio_queue_create(0);
	char buffer[1];
	struct aiocb cb;
	test_prepare(&cb, p[0], buffer, 1, 0);
	tie(&cb, queue, 0);
	ck_assert_int_eq(aio_read(&cb), 0);
	control_before_fork();
	pid_t child = fork();
	ck_assert_int_ge(child, 0);
	if (child == 0) {
		struct aio_completion entry;
		int ok = aio_queue_reap(queue, &entry, 1, 1, NULL) == -1 && errno == EBADF;
		struct aiocb mine;
		char byte;
		int fd = open("/dev/zero", O_RDONLY);
		memset(&mine, 0, sizeof mine);
		mine.aio_fildes = fd;
		mine.aio_buf = &byte;
		mine.aio_nbytes = 1;
		tie(&mine, queue, 0);
		ok = ok && aio_read(&mine) == -1 && errno == EINVAL;
		ok = ok && aio_queue_close(queue) == 0;
		/* A queue of its own works. */
		int own = aio_queue_create(0);
		tie(&mine, own, 5);
		ok = ok && aio_read(&mine) == 0 &&
		     aio_queue_reap(own, &entry, 1, 1, NULL) == 1 && entry.value.sival_int == 5;
		_exit(ok ? 0 : 1);
	}
	control_child_succeeded(child, "the child used an inherited queue");
	/* The parent's queue is untouched. */
	test_write_all(p[1], "x", 1);
	struct aio_completion entry;
	ck_assert_int_eq(reap_all(queue, &entry, 1), 1);
	ck_assert_ptr_eq(entry.aiocb, &cb);
	aio_queue_close(queue);
	control_close_pipe(p);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("completion-queue");
	TCase *tc = control_tcase("queues");
	tcase_add_test(tc, test_create_and_close);
	tcase_add_test(tc, test_reap_hands_over_results_and_values);
	tcase_add_test(tc, test_readable_while_entries_wait);
	tcase_add_test(tc, test_reap_waits_for_min_and_times_out);
	tcase_add_test(tc, test_reap_waits_for_ring_and_pool_requests);
	tcase_add_test(tc, test_reaper_asleep_is_woken_by_a_late_request);
	tcase_add_test(tc, test_reaper_leaves_what_it_has_no_room_for_readable);
	tcase_add_test(tc, test_reap_interrupted_says_eintr);
	tcase_add_test(tc, test_epoll_sees_the_queue);
	tcase_add_test(tc, test_lio_listio_list_notification);
	tcase_add_test(tc, test_close_with_requests_in_flight);
	tcase_add_test(tc, test_fork_child_inherits_no_queue);
	suite_add_tcase(s, tc);
	tc = control_tcase("eventfd");
	tcase_add_test(tc, test_bad_queue_or_eventfd_refused);
	tcase_add_test(tc, test_eventfd_counts_completions);
	tcase_add_test(tc, test_eventfd_number_reused_is_never_written);
	suite_add_tcase(s, tc);
	return control_run_suite(s);
}
