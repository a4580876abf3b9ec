/* fuzz-aiocb: a libFuzzer harness for the whole POSIX aio surface.
 *
 * Built by 'make fuzz' with clang -fsanitize=fuzzer,address,undefined from
 * the library's own sources (they are compiled into this binary, so the
 * aio_* calls below reach them, not glibc).  Each input is a program: a
 * sequence of operations on eight aiocb slots -- aio_read, aio_write,
 * aio_fsync, lio_listio, aio_cancel, aio_error/aio_return, aio_suspend,
 * raw overwrites of a slot that is not in flight, zeroing a slot,
 * closing and reopening the file under requests, and aio_init -- with every field taken
 * from the input: offsets, lengths, aio_reqprio, opcodes, sigevent kinds,
 * signal numbers, thread ids, list modes and counts, timeouts.
 *
 * The harness itself stays memory-safe and deadlock-free, so that whatever
 * goes wrong is the library's:
 *  - aio_buf is a heap buffer of exactly aio_nbytes bytes (at most MAX_IO),
 *    or NULL or (void *)1 (unmapped: the kernel answers EFAULT);
 *  - fds come from a small set: a temporary file (read-write, and a
 *    read-only fd on it), /dev/null, a non-blocking pipe, a blocking
 *    socketpair, a closed number, -1 and wild numbers that are never open;
 *  - signal numbers are 0, one of four real-time signals with a handler,
 *    or invalid ones (negative, 65 and above); SIGEV_THREAD runs a counting
 *    function; attributes are NULL or a valid pthread_attr_t;
 *  - lio_listio's nent never exceeds the list it passes, except for counts
 *    the library must refuse before reading (negative, above
 *    AIO_POSIX_LISTIO_MAX);
 *  - nothing waits without a bound: aio_suspend always has a timeout, and
 *    LIO_WAIT is used only when no entry is on the socket, which may stay
 *    empty or full until the end of the input.
 * At the end of each input every request it made is cancelled or fed
 * (the socket gets data, its buffer is drained) until aio_error says it is
 * done; one that is still in progress after CLEANUP_SECONDS is a hang and
 * aborts with a message.  No request outlives its input.
 *
 * FUZZ_AIO_FAULTS, if set, becomes AIO_POSIX_FAULTS (the library is built
 * with its fault points here); e.g. alloc=every:13,thread_create=every:5.
 */
#define _GNU_SOURCE
#include <aio.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <aio-posix.h>

#ifndef sigev_notify_thread_id
#define sigev_notify_thread_id _sigev_un._tid
#endif

enum {
	SLOTS = 8,
	MAX_IO = 4096,
	MAX_OPS = 64,
	LIST_ROOM = 16,
	CLEANUP_SECONDS = 20,
};

/* --- reading the input ------------------------------------------------------ */

struct input {
	const uint8_t *data;
	size_t size;
};

static uint8_t
u8(struct input *in)
{
	if (in->size == 0)
		return 0;
	in->size--;
	return *in->data++;
}

static uint32_t
u32(struct input *in)
{
	uint32_t v = 0;
	for (int i = 0; i < 4; i++)
		v = v << 8 | u8(in);
	return v;
}

static uint64_t
u64(struct input *in)
{
	return (uint64_t)u32(in) << 32 | u32(in);
}

/* --- the environment ----------------------------------------------------------- */

static int file_fd = -1, rdonly_fd = -1, null_fd, pipe_fd[2], sock_fd[2], closed_fd;
static char file_path[64];
static atomic_ulong callbacks, signals;
static pthread_attr_t attributes;

static void
on_signal(int signo, siginfo_t *info, void *context)
{
	atomic_fetch_add(&signals, 1);
}

static void
on_callback(union sigval value)
{
	atomic_fetch_add(&callbacks, 1);
}

static void
open_file(void)
{
	snprintf(file_path, sizeof file_path, "/tmp/fuzz-aiocb-%ld", (long)getpid());
	file_fd = open(file_path, O_RDWR | O_CREAT, 0600);
	rdonly_fd = open(file_path, O_RDONLY);
	if (file_fd < 0 || rdonly_fd < 0) {
		perror("fuzz-aiocb: open");
		abort();
	}
	unlink(file_path);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *faults = getenv("FUZZ_AIO_FAULTS");
	if (faults)
		setenv("AIO_POSIX_FAULTS", faults, 1);
	open_file();
	null_fd = open("/dev/null", O_RDWR);
	if (pipe2(pipe_fd, O_NONBLOCK) || socketpair(AF_UNIX, SOCK_STREAM, 0, sock_fd)) {
		perror("fuzz-aiocb: pipe/socketpair");
		abort();
	}
	closed_fd = fcntl(null_fd, F_DUPFD, 900);
	close(closed_fd);
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_sigaction = on_signal;
	sa.sa_flags = SA_SIGINFO | SA_RESTART;
	sigemptyset(&sa.sa_mask);
	for (int s = SIGRTMIN + 1; s <= SIGRTMIN + 4; s++)
		sigaction(s, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	pthread_attr_init(&attributes);
	pthread_attr_setstacksize(&attributes, 128 * 1024);
	return 0;
}

static int
pick_fd(struct input *in)
{
	switch (u8(in) % 12) {
	case 0: case 1: case 2: return file_fd;
	case 3: return rdonly_fd;
	case 4: return null_fd;
	case 5: return pipe_fd[0];
	case 6: return pipe_fd[1];
	case 7: return sock_fd[0];
	case 8: return sock_fd[1];
	case 9: return closed_fd;
	case 10: return -1;
	default: return (int)(u32(in) | 0x40000000);	/* wild: never open (negative or past any limit) */
	}
}

static bool
is_socket(int fd)
{
	return fd == sock_fd[0] || fd == sock_fd[1];
}

static int
pick_signal(struct input *in)
{
	switch (u8(in) % 8) {
	case 0: return 0;
	case 1: case 2: case 3: case 4: return SIGRTMIN + 1 + (int)(u8(in) % 4);
	case 5: return -1 - (int)(u8(in) % 4);
	case 6: return 65 + (int)u8(in);
	default: return INT_MAX;
	}
}

static void
fill_sigevent(struct input *in, struct sigevent *ev)
{
	memset(ev, 0, sizeof *ev);
	ev->sigev_value.sival_ptr = (void *)(uintptr_t)u64(in);
	switch (u8(in) % 7) {
	case 0: case 1:
		ev->sigev_notify = SIGEV_NONE;
		break;
	case 2:
		ev->sigev_notify = SIGEV_SIGNAL;
		ev->sigev_signo = pick_signal(in);
		break;
	case 3:
		ev->sigev_notify = SIGEV_THREAD;
		ev->sigev_notify_function = u8(in) % 8 ? on_callback : NULL;
		ev->sigev_notify_attributes = u8(in) % 2 ? &attributes : NULL;
		break;
	case 4:
		ev->sigev_notify = SIGEV_THREAD_ID;
		ev->sigev_signo = pick_signal(in);
		switch (u8(in) % 4) {
		case 0: ev->sigev_notify_thread_id = (pid_t)syscall(SYS_gettid); break;
		case 1: ev->sigev_notify_thread_id = getpid(); break;
		case 2: ev->sigev_notify_thread_id = 1; break;	/* init: not ours */
		default: ev->sigev_notify_thread_id = (pid_t)u32(in); break;
		}
		break;
	default:
		ev->sigev_notify = (int)u32(in);
		/* Never a real kind by accident with a wild signal number. */
		if (ev->sigev_notify == SIGEV_SIGNAL || ev->sigev_notify == SIGEV_THREAD_ID ||
		    ev->sigev_notify == SIGEV_THREAD)
			ev->sigev_notify = SIGEV_NONE;
		break;
	}
}

/* --- slots ------------------------------------------------------------------- */

struct slot {
	struct aiocb cb;
	void *buffer;		/* owned; aio_buf when it points at the heap */
	bool submitted;		/* a request of ours may be in flight */
};

static struct slot slots[SLOTS];

static bool
in_flight(struct slot *s)
{
	return s->submitted && aio_error(&s->cb) == EINPROGRESS;
}

/* A slot not in flight may be rewritten; its old buffer is ours again. */
static void
settle(struct slot *s)
{
	if (s->submitted && !in_flight(s))
		s->submitted = false;
}

static void
set_buffer(struct input *in, struct slot *s, bool raw)
{
	free(s->buffer);
	s->buffer = NULL;
	switch (u8(in) % 16) {
	case 0:
		s->cb.aio_buf = NULL;
		if (!raw)
			s->cb.aio_nbytes = u8(in);
		break;
	case 1:
		s->cb.aio_buf = (void *)1;
		if (!raw)
			s->cb.aio_nbytes = 1 + u8(in);
		break;
	default: {
		size_t n = (raw ? s->cb.aio_nbytes : u32(in)) % (MAX_IO + 1);
		s->buffer = malloc(n ? n : 1);
		memset(s->buffer, 0x5a, n ? n : 1);
		s->cb.aio_buf = s->buffer;
		s->cb.aio_nbytes = n;
		break;
	}
	}
	/* Beyond SSIZE_MAX only with no memory behind it: must be refused. */
	if (!s->buffer && u8(in) % 8 == 0)
		s->cb.aio_nbytes = (size_t)SSIZE_MAX + 1 + u8(in);
}

static off_t
pick_offset(struct input *in)
{
	switch (u8(in) % 8) {
	case 0: return -1 - (off_t)u8(in);
	case 1: return LLONG_MAX - (off_t)u32(in);
	case 2: return (off_t)(u64(in) & INT64_MAX);
	default: return (off_t)(u32(in) % (1 << 20));
	}
}

static void
fill_slot(struct input *in, struct slot *s)
{
	memset(&s->cb, 0, sizeof s->cb);
	s->cb.aio_fildes = pick_fd(in);
	s->cb.aio_offset = pick_offset(in);
	uint8_t p = u8(in);
	s->cb.aio_reqprio = p < 200 ? p % (AIO_PRIO_DELTA_MAX + 1) : (int)u32(in);
	uint8_t op = u8(in) % 8;
	s->cb.aio_lio_opcode = op < 3 ? LIO_READ : op < 6 ? LIO_WRITE : op == 6 ? LIO_NOP : (int)u32(in);
	set_buffer(in, s, false);
	fill_sigevent(in, &s->cb.aio_sigevent);
}

/* Overwrite the slot with raw input bytes, then make the pointers safe. */
static void
raw_slot(struct input *in, struct slot *s)
{
	uint8_t *bytes = (uint8_t *)&s->cb;
	for (size_t i = 0; i < sizeof s->cb; i++)
		bytes[i] = u8(in);
	s->cb.aio_fildes = pick_fd(in);
	set_buffer(in, s, true);
	struct sigevent *ev = &s->cb.aio_sigevent;
	switch (ev->sigev_notify) {
	case SIGEV_SIGNAL:
	case SIGEV_THREAD_ID:
		ev->sigev_signo = pick_signal(in);
		break;
	case SIGEV_THREAD:
		ev->sigev_notify_function = u8(in) % 8 ? on_callback : NULL;
		ev->sigev_notify_attributes = u8(in) % 2 ? &attributes : NULL;
		break;
	default:
		break;
	}
}

/* --- operations ----------------------------------------------------------------- */

static void
op_submit(struct input *in, int kind)
{
	struct slot *s = &slots[u8(in) % SLOTS];
	settle(s);
	bool fresh = !s->submitted && u8(in) % 4 != 0;
	if (fresh)
		fill_slot(in, s);	/* else: resubmit what is there, maybe in flight */
	int rc;
	if (kind == 0)
		rc = aio_read(&s->cb);
	else if (kind == 1)
		rc = aio_write(&s->cb);
	else {
		static const int ops[] = { O_SYNC, O_DSYNC, 0, O_RDWR };
		uint8_t o = u8(in);
		rc = aio_fsync(o < 250 ? ops[o % 2] : ops[o % 4], &s->cb);
	}
	/* (Accepting an aiocb that was in flight a moment ago proves nothing: it
	 * may have completed since.  test-bad-input checks that refusal.) */
	if (rc == 0) {
		s->submitted = true;
	} else if (errno != EINVAL && errno != EBADF && errno != EAGAIN && errno != ENOMEM) {
		fprintf(stderr, "fuzz-aiocb: submission failed with errno %d (%s)\n", errno, strerror(errno));
		abort();
	}
}

static void
op_listio(struct input *in)
{
	struct aiocb *list[LIST_ROOM];
	int room = 1 + u8(in) % LIST_ROOM;
	bool was[SLOTS];
	bool socket_io = false;
	for (int i = 0; i < SLOTS; i++) {
		settle(&slots[i]);
		was[i] = aio_error(&slots[i].cb) == EINPROGRESS;
	}
	for (int i = 0; i < room; i++) {
		uint8_t pick = u8(in);
		if (pick % 8 == 0) {
			list[i] = NULL;
			continue;
		}
		struct slot *s = &slots[pick % SLOTS];
		if (!s->submitted && u8(in) % 4 != 0)
			fill_slot(in, s);
		list[i] = &s->cb;
		if (is_socket(s->cb.aio_fildes))
			socket_io = true;
		/* The same slot may be listed twice: the second must fail. */
	}
	int nent;
	switch (u8(in) % 8) {
	case 0: nent = -1 - (int)u8(in); break;
	case 1: nent = AIO_POSIX_LISTIO_MAX + 1 + (int)u8(in); break;
	case 2: nent = 0; break;
	default: nent = room; break;
	}
	int mode;
	uint8_t m = u8(in);
	mode = m < 120 ? LIO_WAIT : m < 250 ? LIO_NOWAIT : (int)u32(in);
	/* A socket read may wait for data, a write for room, forever: only the
	 * end of the input feeds and drains the socket. */
	if (mode == LIO_WAIT && socket_io)
		mode = LIO_NOWAIT;
	struct sigevent event;
	fill_sigevent(in, &event);
	int rc = lio_listio(mode, nent == room || nent <= 0 ? (u8(in) % 16 ? list : NULL) : list, nent,
			    u8(in) % 4 ? &event : NULL);
	if (rc != 0 && errno != EINVAL && errno != EIO && errno != EAGAIN && errno != EINTR) {
		fprintf(stderr, "fuzz-aiocb: lio_listio failed with errno %d (%s)\n", errno, strerror(errno));
		abort();
	}
	/* Whatever was not in flight before and is listed may be ours now. */
	for (int i = 0; i < SLOTS; i++) {
		if (was[i])
			continue;
		for (int k = 0; k < room; k++)
			if (list[k] == &slots[i].cb)
				slots[i].submitted = true;
	}
}

static void
op_cancel(struct input *in)
{
	struct slot *s = &slots[u8(in) % SLOTS];
	int fd = u8(in) % 4 ? s->cb.aio_fildes : pick_fd(in);
	bool one = u8(in) % 3 != 0;
	int rc = aio_cancel(fd, one ? &s->cb : NULL);
	if (rc != AIO_CANCELED && rc != AIO_NOTCANCELED && rc != AIO_ALLDONE &&
	    !(rc == -1 && (errno == EBADF || errno == EINVAL))) {
		fprintf(stderr, "fuzz-aiocb: aio_cancel returned %d, errno %d\n", rc, errno);
		abort();
	}
	/* An aiocb cancelled by name reads ECANCELED at once.  (With NULL, a
	 * request of ours on a file since closed and reopened at the same
	 * number is not on the new file's queue: no conclusion.) */
	if (rc == AIO_CANCELED && one && aio_error(&s->cb) != ECANCELED) {
		fprintf(stderr, "fuzz-aiocb: AIO_CANCELED, yet aio_error is %d\n", aio_error(&s->cb));
		abort();
	}
}

static void
op_status(struct input *in)
{
	struct slot *s = &slots[u8(in) % SLOTS];
	int e = aio_error(&s->cb);
	ssize_t r = aio_return(&s->cb);
	if (s->submitted && e != EINPROGRESS && e > 0 && r != -1) {
		fprintf(stderr, "fuzz-aiocb: aio_error %d but aio_return %zd\n", e, r);
		abort();
	}
}

static void
op_suspend(struct input *in)
{
	const struct aiocb *list[LIST_ROOM];
	int n = u8(in) % LIST_ROOM;
	for (int i = 0; i < n; i++)
		list[i] = u8(in) % 6 ? &slots[u8(in) % SLOTS].cb : NULL;
	struct timespec timeout = { 0, (long)(u8(in) % 4) * 250000L };
	switch (u8(in) % 10) {
	case 0: timeout.tv_nsec = -1; break;
	case 1: timeout.tv_nsec = 1000000000L; break;
	case 2: timeout.tv_sec = -1; break;
	default: break;
	}
	int nent = u8(in) % 10 == 0 ? -1 : n;
	int rc = aio_suspend(u8(in) % 20 ? list : NULL, nent, &timeout);
	if (rc != 0 && errno != EAGAIN && errno != EINTR && errno != EINVAL) {
		fprintf(stderr, "fuzz-aiocb: aio_suspend failed with errno %d\n", errno);
		abort();
	}
}

/* Close the file under its requests and open another at the same number. */
static void
op_reopen(struct input *in)
{
	int old = file_fd;
	close(file_fd);
	close(rdonly_fd);
	open_file();
	if (file_fd != old && u8(in) % 2) {
		dup2(file_fd, old);
		close(file_fd);
		file_fd = old;
	}
}

/* --- the end of an input: no request outlives it ------------------------------------ */

static void
feed_and_drain(void)
{
	static char chunk[MAX_IO];
	for (int i = 0; i < 2; i++) {
		send(sock_fd[i], chunk, sizeof chunk, MSG_DONTWAIT | MSG_NOSIGNAL);
		while (recv(sock_fd[i], chunk, sizeof chunk, MSG_DONTWAIT) > 0)
			;
	}
	while (read(pipe_fd[0], chunk, sizeof chunk) > 0)
		;
}

static void
finish_input(void)
{
	struct timespec start, t;
	clock_gettime(CLOCK_MONOTONIC, &start);
	for (int round = 0;; round++) {
		int left = 0;
		for (int i = 0; i < SLOTS; i++) {
			struct slot *s = &slots[i];
			if (!in_flight(s))
				continue;
			left++;
			if (round % 2 == 0)
				aio_cancel(s->cb.aio_fildes, &s->cb);
		}
		if (!left)
			break;
		feed_and_drain();
		const struct aiocb *list[SLOTS];
		for (int i = 0; i < SLOTS; i++)
			list[i] = &slots[i].cb;
		struct timespec timeout = { 0, 1000000L };
		aio_suspend(list, SLOTS, &timeout);
		clock_gettime(CLOCK_MONOTONIC, &t);
		if (t.tv_sec - start.tv_sec > CLEANUP_SECONDS) {
			fprintf(stderr, "fuzz-aiocb: HANG: %d requests still in progress after %d s:\n", left,
				CLEANUP_SECONDS);
			for (int i = 0; i < SLOTS; i++)
				if (in_flight(&slots[i]))
					fprintf(stderr, "  slot %d: fd %d, %zu bytes at %lld, opcode %d, notify %d\n", i,
						slots[i].cb.aio_fildes, slots[i].cb.aio_nbytes,
						(long long)slots[i].cb.aio_offset, slots[i].cb.aio_lio_opcode,
						slots[i].cb.aio_sigevent.sigev_notify);
			abort();
		}
	}
	feed_and_drain();
	for (int i = 0; i < SLOTS; i++) {
		free(slots[i].buffer);
		memset(&slots[i], 0, sizeof slots[i]);
	}
	/* Keep the file small. */
	if (ftruncate(file_fd, 64 * 1024) != 0)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct input in = { data, size };
	for (int op = 0; op < MAX_OPS && in.size > 0; op++) {
		switch (u8(&in) % 12) {
		case 0: case 1: op_submit(&in, 0); break;
		case 2: case 3: op_submit(&in, 1); break;
		case 4: op_submit(&in, 2); break;
		case 5: case 6: op_listio(&in); break;
		case 7: op_cancel(&in); break;
		case 8: op_status(&in); break;
		case 9: op_suspend(&in); break;
		case 10: {
			struct slot *s = &slots[u8(&in) % SLOTS];
			settle(s);
			if (!s->submitted) {
				if (u8(&in) % 2)
					raw_slot(&in, s);
				else
					memset(&s->cb, 0, sizeof s->cb);	/* freed and reused */
			}
			break;
		}
		default:
			switch (u8(&in) % 8) {
			case 0:
				op_reopen(&in);
				break;
			case 1: {
				/* At least 8 workers: the socket may hold up to four. */
				struct aioinit init = { .aio_threads = 8 + (int)(u32(&in) % 5000),
							.aio_idle_time = (int)u32(&in) % 3 };
				static struct aioinit *volatile none;
				aio_init(u8(&in) % 8 ? &init : none);
				break;
			}
			default:
				break;
			}
			break;
		}
	}
	finish_input();
	return 0;
}
