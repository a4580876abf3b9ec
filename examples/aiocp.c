/* aiocp: copy a file with POSIX asynchronous I/O.
 *
 *     aiocp SRC DST
 *
 * This is the demo of libaio-posix, but it knows nothing about it: it is an
 * ordinary program written against the system <aio.h> and linked with
 * nothing but libc.  Run it as it is and glibc's aio serves it; run it with
 *
 *     LD_PRELOAD=/path/to/libaio-posix.so.0 aiocp SRC DST
 *
 * and libaio-posix does, with no rebuild.  It prints which one it got.
 *
 * How the copy works.  The file is cut into CHUNK-sized pieces and SLOTS
 * slots (a buffer and an aiocb each) carry them, so that up to SLOTS requests
 * are in flight at any moment.  Each slot goes round this cycle:
 *
 *     aio_read(chunk k)  --SIGEV_SIGNAL-->  read_done(), a signal handler:
 *                                           passes the slot down a pipe
 *         main thread:   takes it from the pipe, aio_write(the same bytes
 *                        to DST)
 *     aio_write(chunk k) --SIGEV_THREAD-->  write_done(), on a thread the
 *                                           aio implementation starts
 *         write_done():  aio_read(the next chunk nobody has taken yet)
 *
 * so both kinds of completion notification are used: a queued real-time
 * signal for reads and a callback for writes.  When no chunk is left a slot
 * retires.  Once every slot has retired, one aio_fsync() (waited for with
 * aio_suspend()) flushes DST, and the program reads both files back to check
 * the copy.
 */
#define _GNU_SOURCE		/* dladdr() and RTLD_DEFAULT */
#include <aio.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define SLOTS 16		/* requests in flight */
#define CHUNK (64 * 1024)	/* bytes per request */

/* One buffer and its aiocb.  The aiocb must stay where it is, untouched,
 * while a request on it is in flight: that is why slots live in a static
 * array and are never copied. */
struct slot {
	struct aiocb cb;
	off_t chunk;		/* which chunk it carries now */
	char buffer[CHUNK];
};

static struct slot slots[SLOTS];
static int src_fd, dst_fd;
static off_t file_size, chunk_count;
static int read_signal;		/* SIGRTMIN, chosen at run time */
static int pipe_fds[2];		/* read_done() -> main thread */

/* Shared between the main thread and the write callbacks, which may run on
 * several threads at once. */
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t all_retired = PTHREAD_COND_INITIALIZER;
static off_t next_chunk;	/* the first chunk no slot has taken */
static int slots_busy;		/* slots not yet retired */
static int in_flight, peak_in_flight;
static long reads, writes, callbacks_run;
static atomic_long signals_handled;	/* lock-free: safe in a handler */

static void
die(const char *what, int error)
{
	fprintf(stderr, "aiocp: %s: %s\n", what, strerror(error));
	/* _exit: this may run on a notification thread, with requests still in
	 * flight; do not run exit handlers under the aio implementation's feet. */
	_exit(1);
}

/* How long chunk k is: CHUNK, except perhaps the last one. */
static size_t
chunk_length(off_t k)
{
	off_t left = file_size - k * CHUNK;
	return left < CHUNK ? (size_t)left : CHUNK;
}

/* Called with lock held. */
static void
count_submission(void)
{
	if (++in_flight > peak_in_flight)
		peak_in_flight = in_flight;
}

/* Start reading chunk k into slot s.  Completion: signal read_signal, with
 * the slot's address as the signal's value. */
static void
start_read(struct slot *s, off_t k)
{
	memset(&s->cb, 0, sizeof s->cb);
	s->chunk = k;
	s->cb.aio_fildes = src_fd;
	s->cb.aio_buf = s->buffer;
	s->cb.aio_nbytes = chunk_length(k);
	s->cb.aio_offset = k * CHUNK;
	s->cb.aio_sigevent.sigev_notify = SIGEV_SIGNAL;
	s->cb.aio_sigevent.sigev_signo = read_signal;
	s->cb.aio_sigevent.sigev_value.sival_ptr = s;

	pthread_mutex_lock(&lock);
	reads++;
	count_submission();
	pthread_mutex_unlock(&lock);
	if (aio_read(&s->cb) != 0)
		die("aio_read", errno);
}

/* SIGEV_SIGNAL notification of a read.  A handler may call only
 * async-signal-safe functions, and aio_write() is not one, so it just passes
 * the slot (carried in the signal's value) to the main thread through a pipe;
 * write() of a pointer to a pipe is atomic.
 *
 * Why not block the signal and take it with sigwaitinfo()?  Because the
 * signal goes to the process, and any thread that does not block it may take
 * it, including the threads that run SIGEV_THREAD callbacks: glibc starts
 * those with every signal unblocked.  A handler works whichever thread runs
 * it; and real-time signals queue instead of merging, so none is lost. */
static void
read_done(int signal_number, siginfo_t *info, void *context)
{
	int saved_errno = errno;
	void *slot = info->si_value.sival_ptr;
	atomic_fetch_add(&signals_handled, 1);
	if (write(pipe_fds[1], &slot, sizeof slot) != sizeof slot)
		_exit(3);	/* cannot happen: at most SLOTS pointers wait */
	errno = saved_errno;
}

static void write_done(union sigval value);

/* Write what slot s holds to the same offset of DST.  Completion: a call of
 * write_done(slot) on a new thread. */
static void
start_write(struct slot *s, size_t length)
{
	/* aio_buf and aio_offset stay as the read left them: the same bytes
	 * go to the same place in the other file. */
	s->cb.aio_fildes = dst_fd;
	s->cb.aio_nbytes = length;
	memset(&s->cb.aio_sigevent, 0, sizeof s->cb.aio_sigevent);
	s->cb.aio_sigevent.sigev_notify = SIGEV_THREAD;
	s->cb.aio_sigevent.sigev_notify_function = write_done;
	s->cb.aio_sigevent.sigev_notify_attributes = NULL;
	s->cb.aio_sigevent.sigev_value.sival_ptr = s;

	pthread_mutex_lock(&lock);
	writes++;
	count_submission();
	pthread_mutex_unlock(&lock);
	if (aio_write(&s->cb) != 0)
		die("aio_write", errno);
}

/* The result of the request on slot s, which has completed: the byte count,
 * or death. */
static size_t
finished_length(struct slot *s, const char *what)
{
	int error = aio_error(&s->cb);
	if (error != 0)
		die(what, error == EINPROGRESS ? EPROTO : error);
	ssize_t n = aio_return(&s->cb);
	if ((size_t)n != s->cb.aio_nbytes)
		die(what, n < 0 ? errno : EIO);	/* short: SRC shrank, disk full */
	return (size_t)n;
}

/* SIGEV_THREAD notification of a write: the slot is free again.  Give it the
 * next chunk, or retire it. */
static void
write_done(union sigval value)
{
	struct slot *s = value.sival_ptr;
	finished_length(s, "write");

	pthread_mutex_lock(&lock);
	callbacks_run++;
	in_flight--;
	off_t k = next_chunk < chunk_count ? next_chunk++ : -1;
	if (k < 0 && --slots_busy == 0)
		pthread_cond_signal(&all_retired);
	pthread_mutex_unlock(&lock);

	if (k >= 0)
		start_read(s, k);
}

/* Say whose aio_read() this process calls.  With LD_PRELOAD it is the
 * preloaded library's; otherwise libc's.  libaio-posix also exports
 * aio_posix_version(), which glibc does not have. */
static void
report_implementation(void)
{
	Dl_info info;
	void *symbol = dlsym(RTLD_DEFAULT, "aio_read");
	const char *where = "an unknown library";
	if (symbol != NULL && dladdr(symbol, &info) != 0 && info.dli_fname != NULL)
		where = info.dli_fname;

	const char *(*version)(void) =
		(const char *(*)(void))dlsym(RTLD_DEFAULT, "aio_posix_version");
	if (version != NULL)
		printf("aiocp: aio_read() comes from %s (libaio-posix %s)\n", where, version());
	else
		printf("aiocp: aio_read() comes from %s (not libaio-posix)\n", where);
}

/* Read both files back with plain pread() and compare them. */
static void
verify(const char *src, const char *dst)
{
	static char a[CHUNK], b[CHUNK];
	struct stat st;
	if (fstat(dst_fd, &st) != 0)
		die(dst, errno);
	if (st.st_size != file_size) {
		fprintf(stderr, "aiocp: %s has %lld bytes, %s has %lld\n", dst,
			(long long)st.st_size, src, (long long)file_size);
		exit(1);
	}
	for (off_t k = 0; k < chunk_count; k++) {
		size_t length = chunk_length(k);
		errno = EIO;	/* what a short read reports */
		if (pread(src_fd, a, length, k * CHUNK) != (ssize_t)length ||
		    pread(dst_fd, b, length, k * CHUNK) != (ssize_t)length)
			die("verify: pread", errno);
		if (memcmp(a, b, length) != 0) {
			fprintf(stderr, "aiocp: %s differs from %s in chunk %lld\n",
				dst, src, (long long)k);
			exit(1);
		}
	}
}

int
main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: aiocp SRC DST\n");
		return 2;
	}
	const char *src = argv[1], *dst = argv[2];

	/* Reads report completion with SIGRTMIN, handled by read_done().
	 * SA_RESTART: the main thread's read() of the pipe, and anything else
	 * the signal interrupts, carries on afterwards. */
	read_signal = SIGRTMIN;
	if (pipe(pipe_fds) != 0)
		die("pipe", errno);
	struct sigaction action;
	memset(&action, 0, sizeof action);
	action.sa_sigaction = read_done;
	action.sa_flags = SA_SIGINFO | SA_RESTART;
	sigemptyset(&action.sa_mask);
	if (sigaction(read_signal, &action, NULL) != 0)
		die("sigaction", errno);

	report_implementation();

	src_fd = open(src, O_RDONLY);
	if (src_fd < 0)
		die(src, errno);
	dst_fd = open(dst, O_RDWR | O_CREAT | O_TRUNC, 0644);
	if (dst_fd < 0)
		die(dst, errno);
	struct stat st;
	if (fstat(src_fd, &st) != 0)
		die(src, errno);
	if (!S_ISREG(st.st_mode)) {
		fprintf(stderr, "aiocp: %s is not a regular file\n", src);
		return 1;
	}
	file_size = st.st_size;
	chunk_count = (file_size + CHUNK - 1) / CHUNK;

	/* Fill the pipeline: one read per slot, as long as there are chunks. */
	int used = chunk_count < SLOTS ? (int)chunk_count : SLOTS;
	pthread_mutex_lock(&lock);
	next_chunk = used;
	slots_busy = used;
	pthread_mutex_unlock(&lock);
	for (int i = 0; i < used; i++)
		start_read(&slots[i], i);

	/* Every chunk is read exactly once, and every read ends with one
	 * signal, hence one slot in the pipe: take chunk_count of them,
	 * turning each into a write. */
	for (off_t done = 0; done < chunk_count; done++) {
		struct slot *s;
		ssize_t n;
		while ((n = read(pipe_fds[0], &s, sizeof s)) < 0 && errno == EINTR)
			continue;
		if (n != sizeof s)
			die("read from the signal pipe", n < 0 ? errno : EIO);
		if (s < slots || s >= slots + SLOTS)
			die("a read completion signal without a slot", EPROTO);

		size_t length = finished_length(s, "read");
		pthread_mutex_lock(&lock);
		in_flight--;
		pthread_mutex_unlock(&lock);
		start_write(s, length);
	}

	/* The last writes may still be in flight: wait for every slot to
	 * retire (write_done() signals when the last one does). */
	pthread_mutex_lock(&lock);
	while (slots_busy > 0)
		pthread_cond_wait(&all_retired, &lock);
	pthread_mutex_unlock(&lock);

	/* Flush DST to storage, asynchronously, and wait for it with
	 * aio_suspend(): the third way to learn of a completion. */
	struct aiocb sync_cb;
	memset(&sync_cb, 0, sizeof sync_cb);
	sync_cb.aio_fildes = dst_fd;
	sync_cb.aio_sigevent.sigev_notify = SIGEV_NONE;
	if (aio_fsync(O_SYNC, &sync_cb) != 0)
		die("aio_fsync", errno);
	const struct aiocb *wait_list[1] = { &sync_cb };
	int error;
	while (aio_error(&sync_cb) == EINPROGRESS)
		if (aio_suspend(wait_list, 1, NULL) != 0 && errno != EINTR)
			die("aio_suspend", errno);
	error = aio_error(&sync_cb);
	if (error != 0)
		die("aio_fsync", error);
	aio_return(&sync_cb);	/* once per request, to let it go */

	verify(src, dst);

	printf("aiocp: copied %lld bytes from %s to %s in requests of %d KiB, %d slots\n",
	       (long long)file_size, src, dst, CHUNK / 1024, SLOTS);
	printf("aiocp: %ld reads, completion by signal: %ld signals handled\n",
	       reads, atomic_load(&signals_handled));
	printf("aiocp: %ld writes, completion by thread: %ld callbacks run\n",
	       writes, callbacks_run);
	printf("aiocp: at most %d requests were in flight at once; 1 aio_fsync, "
	       "waited for with aio_suspend()\n", peak_in_flight);
	printf("aiocp: verified: %s is identical to %s\n", dst, src);
	close(src_fd);
	close(dst_fd);
	return 0;
}
