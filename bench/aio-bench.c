/* aio-bench: the measuring half of 'make bench'.
 *
 * One program, several subcommands.  Each measurement prints exactly one
 * line of key=value fields, starting with "aio-bench", that
 * bench/run-bench.sh collects, then turns into medians and ratios.
 *
 * The program is built against the system <aio.h> and linked with libc only
 * (plus liburing for the raw io_uring baselines), never with libaio-posix.
 * The same binary therefore measures glibc's POSIX aio when run as is, and
 * libaio-posix when run with LD_PRELOAD=.../libaio-posix.so.0.  The aio modes
 * call nothing but aio_read, aio_suspend, aio_error, aio_return and
 * lio_listio (and, in the submit scenario, aio_write and aio_fsync; in
 * --mode=queue, libaio-posix's completion queue).
 *
 *   aio-bench roundtrip --mode=aio|pread|uring --file=F
 *       one 4 KiB read at a time: aio_read + aio_suspend + aio_error +
 *       aio_return; or pread(); or io_uring, one SQE submitted and its CQE
 *       waited for with one io_uring_submit_and_wait(1).
 *   aio-bench inflight --mode=aio|uring --depth=N --fds=K --file=F
 *                      [--pattern=list|oldest]
 *       N 4 KiB reads kept in flight, spread over K descriptors of the file;
 *       aio, pattern list: aio_suspend on the whole list, aio_error +
 *       aio_return on each, resubmit what finished; pattern oldest: wait
 *       with aio_suspend on the oldest request alone, collect it, resubmit
 *       it at once, go on to the next oldest; io_uring resubmits and waits
 *       with io_uring_submit_and_wait.
 *   aio-bench listio --mode=aio|uring --batch=N --file=F
 *       lio_listio(LIO_WAIT) of N reads, then aio_error + aio_return of each;
 *       or N SQEs and one io_uring_submit_and_wait(N).  One op = one batch.
 *   aio-bench direct --mode=aio|pread|uring --depth=N --file=F
 *       as inflight, with O_DIRECT (pread: depth 1 only).  The file must not
 *       be on tmpfs.
 *   aio-bench inflight|direct --mode=queue ...
 *       as --mode=aio, but the requests are tied to a libaio-posix
 *       completion queue (SIGEV_AIO_QUEUE) and reaped with aio_queue_reap,
 *       as many at a time as have finished, instead of aio_suspend on the
 *       whole list and a scan of every aiocb.  Found with dlsym: runs only
 *       with libaio-posix preloaded.
 *   aio-bench threads --mode=aio|uring --threads=T --depth=N --file=F
 *       T threads, each with its own descriptor of the file, each keeping N
 *       reads in flight (aio: the list pattern; uring: a ring of its own),
 *       released together by a barrier and timed over one common window;
 *       ops and CPU time are those of the whole process.
 *   aio-bench submit --mode=aio --size=BYTES --file=F
 *                    [--call=read|write|listio|fsync] [--min-calls=N]
 *       the time one submission call takes to return: aio_read, aio_write,
 *       lio_listio(LIO_NOWAIT) of one read, or aio_fsync(O_SYNC) after an
 *       untimed pwrite; each request is waited for (aio_suspend, aio_return)
 *       outside the timing.  Reports p50, p99 and max in microseconds, and
 *       how many timed calls slept (blocked_calls: a voluntary context
 *       switch during the call) or lost the CPU (preempted_calls).
 *       write and fsync write into F, so give them a scratch file.
 *   aio-bench mkfile --file=F --size-mib=M     write M MiB of random bytes
 *   aio-bench warm --file=F                    read F once into the page cache
 *   aio-bench fsinfo --file=PATH               statfs: is PATH on tmpfs?
 *   aio-bench info                             io_uring compiled in? which aio?
 *
 * Common options: --seconds=S (timed window, default 0.5), --warmup=S
 * (untimed lead-in, default 0.1), --seed=N.  Reads are 4 KiB at random
 * 4 KiB-aligned offsets.  Times come from CLOCK_MONOTONIC; CPU time from
 * getrusage(RUSAGE_SELF), user + system, of the whole process (every
 * thread, the library's workers included), over the timed window only.
 *
 * Output fields: ops, secs, ns_per_op, ops_per_s, cpu_us_per_op, and
 * lib=glibc or lib=libaio-posix (found with dlsym(RTLD_DEFAULT,
 * "aio_posix_version")), so the driver can check the preload took; in the
 * aio modes under libaio-posix, backend= names the backend its statistics
 * report after the measurement (AIO_POSIX_BACKEND chooses it), and
 * submit_calls_per_op, lock_waits_per_op and at_submission_per_op are the
 * library's own counters over the timed window, divided by the ops.  On
 * failure: a line with error="..." and exit status 1.
 */
#define _GNU_SOURCE
#include <aio.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <gnu/libc-version.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <time.h>
#include <unistd.h>

#ifdef AIO_BENCH_URING
#include <liburing.h>
#endif

#ifndef TMPFS_MAGIC
#define TMPFS_MAGIC 0x01021994
#endif
#ifndef RAMFS_MAGIC
#define RAMFS_MAGIC 0x858458f6
#endif

#define BS 4096
#define MAX_DEPTH 4096
#define MAX_FDS 64
#define MAX_SUBMIT_SIZE (1L << 30)
/* The submit scenario stops at this many seconds even when it has fewer
 * calls than --min-calls (a stalled library must not stall the run). */
#define SUBMIT_HARD_LIMIT 20.0

struct opts {
	const char *cmd;
	const char *mode;
	const char *file;
	const char *pattern;	/* inflight: list or oldest */
	const char *call;	/* submit: read, write, listio or fsync */
	double seconds;
	double warmup;
	int depth;
	int fds;
	int batch;
	int threads;
	int direct;
	long size_mib;
	long size;		/* submit: bytes per request */
	long min_calls;		/* submit: calls the timed window needs at least */
	uint64_t seed;
};

static struct opts opt = {
	.mode = "aio", .pattern = "list", .call = "read", .seconds = 0.5, .warmup = 0.1,
	.depth = 1, .fds = 1, .batch = 64, .threads = 1, .size_mib = 16, .size = BS,
	.min_calls = 200, .seed = 0x9e3779b97f4a7c15ULL,
};

static char lib_field[96];

/* libaio-posix's struct aio_posix_stats (include/aio-posix.h) as far as this
 * program reads it.  Fields are only ever added at the end, and
 * aio_posix_get_stats fills as many bytes as the caller says it knows (an
 * older library leaves the later ones as we zeroed them).  Copied rather
 * than included, so that aio-bench stays a program that knows nothing but
 * <aio.h>. */
struct library_stats {
	unsigned long long counters[11];
	char backend[16];
	unsigned long long completed_at_submission;
	unsigned long long submit_calls;
	unsigned long long lock_waits;
};

static int (*get_stats)(void *, size_t);

/* The library's counters now; all zero on glibc. */
static void
read_stats(struct library_stats *st)
{
	memset(st, 0, sizeof *st);
	if (get_stats)
		get_stats(st, sizeof *st);
}

/* libaio-posix's backend ("threads", "uring", ...) as its statistics name
 * it, or "-" on glibc. */
static const char *
which_backend(void)
{
	static char name[sizeof ((struct library_stats *) 0)->backend + 1] = "-";
	struct library_stats st;
	read_stats(&st);
	if (st.backend[0]) {
		memcpy(name, st.backend, sizeof st.backend);
		name[sizeof st.backend] = 0;
		for (char *p = name; *p; p++)
			if (*p == ' ' || *p == '=')
				*p = '_';
	}
	return name;
}

static void
which_lib(void)
{
	const char *(*version)(void);
	*(void **) &version = dlsym(RTLD_DEFAULT, "aio_posix_version");
	*(void **) &get_stats = dlsym(RTLD_DEFAULT, "aio_posix_get_stats");
	if (version)
		snprintf(lib_field, sizeof lib_field, "lib=libaio-posix libversion=%s", version());
	else
		snprintf(lib_field, sizeof lib_field, "lib=glibc libversion=%s", gnu_get_libc_version());
}

/* Print a failure line the driver can recognise, and exit.  Any thread may
 * call it. */
static void __attribute__((noreturn, format(printf, 1, 2)))
fail(const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	for (char *p = msg; *p; p++)
		if (*p == '"')
			*p = '\'';
	fflush(stdout);
	printf("aio-bench %s mode=%s %s error=\"%s\"\n", opt.cmd ? opt.cmd : "?", opt.mode,
	       lib_field, msg);
	fflush(stdout);
	exit(1);
}

static double
now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static void
sleep_for(double seconds)
{
	struct timespec ts = {(time_t) seconds, (long) ((seconds - (time_t) seconds) * 1e9)};
	while (clock_nanosleep(CLOCK_MONOTONIC, 0, &ts, &ts) == EINTR)
		;
}

static double
cpu_seconds(void)
{
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_utime.tv_sec + ru.ru_utime.tv_usec * 1e-6 +
	       ru.ru_stime.tv_sec + ru.ru_stime.tv_usec * 1e-6;
}

/* One generator per thread, so that the threads scenario's workers draw
 * without sharing; each is seeded from --seed. */
static __thread uint64_t rng;

static void
seed_random(unsigned stream)
{
	rng = (opt.seed ? opt.seed : 1) + stream * 0x9e3779b97f4a7c15ULL;
	if (!rng)
		rng = 1;
}

static uint64_t
next_random(void)
{
	/* xorshift64*: cheap, and the same sequence in every mode. */
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return rng * 0x2545f4914f6cdd1dULL;
}

static off_t file_size;
static off_t nblocks;

static off_t
random_offset(void)
{
	return (off_t) (next_random() % (uint64_t) nblocks) * BS;
}

/* The timed window: a warm-up, then opt.seconds of measurement.  The loops
 * call window_tick every few iterations; it reads the clock and, at the two
 * transitions only, the CPU time and the library's counters.  The window
 * closes once opt.seconds have passed and at least min_ops were done, or
 * at hard_limit seconds (0: none) whatever the count. */
struct window {
	double begin, t0, t1, cpu0, cpu1;
	unsigned long long ops0, ops1, min_ops;
	double hard_limit;
	struct library_stats st0, st1;
	int phase;	/* 0 warming up, 1 timed, 2 over */
};

static void
window_open(struct window *w, double t, unsigned long long ops)
{
	w->phase = 1;
	w->ops0 = ops;
	read_stats(&w->st0);
	w->cpu0 = cpu_seconds();
	w->t0 = t;
}

static void
window_close(struct window *w, double t, unsigned long long ops)
{
	w->phase = 2;
	w->t1 = t;
	w->cpu1 = cpu_seconds();
	read_stats(&w->st1);
	w->ops1 = ops;
}

static void
window_start(struct window *w)
{
	memset(w, 0, sizeof *w);
	w->begin = now();
	if (opt.warmup <= 0)
		window_open(w, w->begin, 0);
}

static int
window_tick(struct window *w, unsigned long long ops)
{
	double t = now();
	if (w->phase == 0 && t - w->begin >= opt.warmup)
		window_open(w, t, ops);
	else if (w->phase == 1 && ((t - w->t0 >= opt.seconds && ops - w->ops0 >= w->min_ops) ||
				   (w->hard_limit > 0 && t - w->t0 >= w->hard_limit)))
		window_close(w, t, ops);
	return w->phase;
}

/* The library's counters over the window, per op: " name=value" each. */
static void
format_library_counters(const struct window *w, char *out, size_t size)
{
	unsigned long long ops = w->ops1 - w->ops0;
	out[0] = 0;
	if (!get_stats || ops == 0)
		return;
	snprintf(out, size, " submit_calls_per_op=%.4f lock_waits_per_op=%.4f at_submission_per_op=%.4f",
		 (double) (w->st1.submit_calls - w->st0.submit_calls) / ops,
		 (double) (w->st1.lock_waits - w->st0.lock_waits) / ops,
		 (double) (w->st1.completed_at_submission - w->st0.completed_at_submission) / ops);
}

static void
report(const struct window *w, const char *extra)
{
	unsigned long long ops = w->ops1 - w->ops0;
	double secs = w->t1 - w->t0;
	double cpu = w->cpu1 - w->cpu0;
	int aio = strcmp(opt.mode, "aio") == 0 || strcmp(opt.mode, "queue") == 0;
	char counters[160];
	if (ops == 0)
		fail("no operation finished in the timed window");
	format_library_counters(w, counters, sizeof counters);
	/* Asked after the measurement: the backend that served it. */
	printf("aio-bench %s mode=%s %s backend=%s depth=%d fds=%d direct=%d%s ops=%llu "
	       "secs=%.6f ns_per_op=%.1f ops_per_s=%.1f cpu_us_per_op=%.3f%s\n",
	       opt.cmd, opt.mode, lib_field, aio ? which_backend() : "-", opt.depth, opt.fds,
	       opt.direct, extra ? extra : "", ops, secs, secs * 1e9 / ops, ops / secs,
	       cpu * 1e6 / ops, aio ? counters : "");
	fflush(stdout);
}

/* How a loop learns where the timed window is.  Alone (own set), it keeps
 * its own window and looks at the clock every TICK_EVERY iterations.  In the
 * threads scenario (own NULL), the main thread keeps the one window: the
 * loop publishes its count on every iteration and reads the phase the main
 * thread set.  Relaxed atomics suffice: the main thread only sums counts
 * that each have one writer, and a phase read late costs an iteration. */
#define TICK_EVERY 8	/* loop iterations between clock readings */

static _Atomic int shared_phase;

struct pace {
	struct window *own;
	_Atomic unsigned long long *published;
};

static int
pace_begin(struct pace *p)
{
	if (!p->own)
		return atomic_load_explicit(&shared_phase, memory_order_relaxed);
	window_start(p->own);
	return p->own->phase;
}

static int
pace_tick(struct pace *p, unsigned iter, unsigned long long ops, int phase)
{
	if (p->own)
		return iter % TICK_EVERY == 0 ? window_tick(p->own, ops) : phase;
	atomic_store_explicit(p->published, ops, memory_order_relaxed);
	return atomic_load_explicit(&shared_phase, memory_order_relaxed);
}

/* ---- files ---- */

static int
is_memory_fs(const char *path, unsigned long *type)
{
	struct statfs sf;
	if (statfs(path, &sf) != 0)
		fail("statfs %s: %s", path, strerror(errno));
	*type = (unsigned long) sf.f_type;
	return sf.f_type == TMPFS_MAGIC || sf.f_type == RAMFS_MAGIC;
}

static void
warm_fd(int fd, off_t size)
{
	char *buf = malloc(1 << 20);
	if (!buf)
		fail("out of memory");
	for (off_t off = 0; off < size;) {
		ssize_t n = pread(fd, buf, 1 << 20, off);
		if (n < 0)
			fail("pread: %s", strerror(errno));
		if (n == 0)
			break;
		off += n;
	}
	free(buf);
}

static int fds[MAX_FDS];

/* Open opt.fds descriptors of opt.file (read-write when writable is set)
 * and note the file's size; cached scenarios read it all first. */
static void
open_files(int writable)
{
	int flags = (writable ? O_RDWR : O_RDONLY) | (opt.direct ? O_DIRECT : 0);
	unsigned long type;
	if (opt.direct && is_memory_fs(opt.file, &type))
		fail("%s is on tmpfs/ramfs (f_type 0x%lx): O_DIRECT needs a real disk", opt.file, type);
	for (int i = 0; i < opt.fds; i++) {
		fds[i] = open(opt.file, flags);
		if (fds[i] < 0)
			fail("open %s%s: %s", opt.file, opt.direct ? " with O_DIRECT" : "", strerror(errno));
	}
	struct stat st;
	if (fstat(fds[0], &st) != 0)
		fail("fstat: %s", strerror(errno));
	file_size = st.st_size;
	nblocks = st.st_size / BS;
	if (nblocks < 1)
		fail("%s: smaller than %d bytes", opt.file, BS);
	if (!opt.direct) {
		/* Cached scenarios: make sure every page is in the page cache. */
		int fd = open(opt.file, O_RDONLY);
		if (fd < 0)
			fail("open %s: %s", opt.file, strerror(errno));
		warm_fd(fd, st.st_size);
		close(fd);
	}
}

static void *
alloc_buffer(size_t size)
{
	void *buf;
	/* 4096-aligned for O_DIRECT; touched, so no first-use page fault is
	 * timed. */
	if (posix_memalign(&buf, 4096, size) != 0)
		fail("posix_memalign: out of memory");
	memset(buf, 0, size);
	return buf;
}

static char **
alloc_buffers(int n)
{
	char **bufs = calloc(n, sizeof *bufs);
	if (!bufs)
		fail("out of memory");
	for (int i = 0; i < n; i++)
		bufs[i] = alloc_buffer(BS);
	return bufs;
}

/* ---- the loops ---- */

/* The descriptors and depth one loop works on: the whole process's in the
 * single-threaded scenarios, one thread's own fd in the threads scenario. */
struct target {
	const int *fds;
	int nfds;
	int depth;
};

/* pread, one at a time (depth 1). */
static void
loop_pread(void)
{
	char **bufs = alloc_buffers(1);
	struct window w;
	unsigned long long ops = 0;
	window_start(&w);
	for (unsigned iter = 1;; iter++) {
		ssize_t n = pread(fds[0], bufs[0], BS, random_offset());
		if (n != BS)
			fail("pread: %s", n < 0 ? strerror(errno) : "short read");
		ops++;
		if (iter % TICK_EVERY == 0 && window_tick(&w, ops) == 2)
			break;
	}
	report(&w, NULL);
}

/* libaio-posix's completion queue, as <aio-posix.h> defines it; copied,
 * so that aio-bench stays a program that knows nothing but <aio.h>, and
 * found at run time. */
#define QUEUE_SIGEV_NOTIFY 0x41500002	/* SIGEV_AIO_QUEUE */
struct queue_completion {
	struct aiocb *aiocb;
	ssize_t result;
	int error;
	union sigval value;
};

/* depth aiocbs, read i on fd i mod nfds, all submitted; tied to the
 * completion queue whose descriptor is queue, unless it is -1. */
static struct aiocb *
submit_initial(const struct target *t, int queue)
{
	char **bufs = alloc_buffers(t->depth);
	struct aiocb *cbs = calloc(t->depth, sizeof *cbs);
	if (!cbs)
		fail("out of memory");
	for (int i = 0; i < t->depth; i++) {
		cbs[i].aio_fildes = t->fds[i % t->nfds];
		cbs[i].aio_buf = bufs[i];
		cbs[i].aio_nbytes = BS;
		cbs[i].aio_offset = random_offset();
		cbs[i].aio_sigevent.sigev_notify = SIGEV_NONE;
		if (queue >= 0) {
			cbs[i].aio_sigevent.sigev_notify = QUEUE_SIGEV_NOTIFY;
			cbs[i].aio_sigevent.sigev_signo = queue;	/* sigev_notify_queue */
			cbs[i].aio_sigevent.sigev_value.sival_int = i;
		}
		if (aio_read(&cbs[i]) != 0)
			fail("aio_read: %s", strerror(errno));
	}
	return cbs;
}

/* aio_return of a finished request whose aio_error said err; it must have
 * transferred len bytes. */
static void
collect(struct aiocb *cb, int err, ssize_t len)
{
	if (err != 0)
		fail("aio_error: %s", err < 0 ? strerror(errno) : strerror(err));
	ssize_t n = aio_return(cb);
	if (n != len)
		fail("aio_return: %zd, expected %zd", n, len);
}

/* POSIX aio, the list pattern: aio_suspend on the whole list, then
 * aio_error/aio_return on each entry and resubmit the finished ones.  At
 * depth 1 this is the plain round trip aio_read, aio_suspend, aio_error,
 * aio_return. */
static void
loop_aio_list(const struct target *t, struct pace *p)
{
	int depth = t->depth;
	struct aiocb *cbs = submit_initial(t, -1);
	const struct aiocb **list = calloc(depth, sizeof *list);
	if (!list)
		fail("out of memory");
	for (int i = 0; i < depth; i++)
		list[i] = &cbs[i];
	unsigned long long ops = 0;
	int inflight = depth, phase = pace_begin(p);
	for (unsigned iter = 1;; iter++) {
		int suspended = aio_suspend(list, depth, NULL);
		if (suspended != 0 && errno != EINTR)
			fail("aio_suspend: %s", strerror(errno));
		int collected = 0;
		for (int i = 0; i < depth; i++) {
			if (!list[i])
				continue;
			int err = aio_error(&cbs[i]);
			if (err == EINPROGRESS)
				continue;
			collect(&cbs[i], err, BS);
			collected++;
			if (phase < 2) {
				cbs[i].aio_offset = random_offset();
				if (aio_read(&cbs[i]) != 0)
					fail("aio_read: %s", strerror(errno));
			} else {
				list[i] = NULL;
				inflight--;
			}
		}
		/* aio_suspend returned 0: at least one of the list was done. */
		if (suspended == 0 && collected == 0)
			fail("aio_suspend returned 0 but every request of the list is in progress");
		ops += collected;
		if (phase < 2)
			phase = pace_tick(p, iter, ops, phase);
		if (phase == 2 && inflight == 0)
			break;
	}
	free(list);
}

/* POSIX aio, one at a time: the requests stay in flight in ring order;
 * each iteration waits with aio_suspend on the oldest alone, collects it
 * and resubmits it at once, which makes it the newest. */
static void
loop_aio_oldest(const struct target *t, struct pace *p)
{
	int depth = t->depth;
	struct aiocb *cbs = submit_initial(t, -1);
	unsigned long long ops = 0;
	int inflight = depth, oldest = 0, phase = pace_begin(p);
	for (unsigned iter = 1; inflight > 0; iter++) {
		struct aiocb *cb = &cbs[oldest];
		const struct aiocb *one[1] = {cb};
		int err;
		for (;;) {
			if (aio_suspend(one, 1, NULL) == 0) {
				if ((err = aio_error(cb)) == EINPROGRESS)
					fail("aio_suspend on one request returned 0 with it in progress");
				break;
			}
			if (errno != EINTR)
				fail("aio_suspend: %s", strerror(errno));
		}
		collect(cb, err, BS);
		ops++;
		if (phase < 2) {
			cb->aio_offset = random_offset();
			if (aio_read(cb) != 0)
				fail("aio_read: %s", strerror(errno));
			phase = pace_tick(p, iter, ops, phase);
		} else {
			inflight--;
		}
		oldest = (oldest + 1) % depth;
	}
}

/* t->depth requests in flight, tied to a completion queue: each
 * aio_queue_reap hands over what has finished (at least one), and those
 * are resubmitted.  The same reads as the list pattern, one wait per
 * batch, no scan. */
static void
loop_queue(const struct target *t, struct pace *p)
{
	int (*queue_create)(int);
	int (*queue_reap)(int, struct queue_completion *, unsigned, unsigned,
			  const struct timespec *);
	int (*queue_close)(int);
	*(void **) &queue_create = dlsym(RTLD_DEFAULT, "aio_queue_create");
	*(void **) &queue_reap = dlsym(RTLD_DEFAULT, "aio_queue_reap");
	*(void **) &queue_close = dlsym(RTLD_DEFAULT, "aio_queue_close");
	if (!queue_create || !queue_reap || !queue_close)
		fail("--mode=queue needs libaio-posix (LD_PRELOAD) with completion queues");
	int queue = queue_create(0);
	if (queue < 0)
		fail("aio_queue_create: %s", strerror(errno));
	int depth = t->depth;
	struct queue_completion *done = calloc(depth, sizeof *done);
	if (!done)
		fail("out of memory");
	struct aiocb *cbs = submit_initial(t, queue);
	unsigned long long ops = 0;
	int inflight = depth, phase = pace_begin(p);
	for (unsigned iter = 1; inflight > 0; iter++) {
		int n = queue_reap(queue, done, (unsigned) depth, 1, NULL);
		if (n < 0 && errno != EINTR)
			fail("aio_queue_reap: %s", strerror(errno));
		for (int k = 0; k < n; k++) {
			if (done[k].error != 0)
				fail("read: %s", strerror(done[k].error));
			if (done[k].result != BS)
				fail("aio_queue_reap: result %zd", done[k].result);
			ops++;
			struct aiocb *cb = &cbs[done[k].value.sival_int];
			if (phase < 2) {
				cb->aio_offset = random_offset();
				if (aio_read(cb) != 0)
					fail("aio_read: %s", strerror(errno));
			} else {
				inflight--;
			}
		}
		if (phase < 2)
			phase = pace_tick(p, iter, ops, phase);
	}
	queue_close(queue);
	free(done);
}

static void
loop_aio(const struct target *t, struct pace *p)
{
	if (strcmp(opt.pattern, "oldest") == 0)
		loop_aio_oldest(t, p);
	else
		loop_aio_list(t, p);
}

/* lio_listio(LIO_WAIT) of opt.batch reads; one op is one whole batch. */
static void
loop_listio_aio(void)
{
	int n = opt.batch;
	char **bufs = alloc_buffers(n);
	struct aiocb *cbs = calloc(n, sizeof *cbs);
	struct aiocb **list = calloc(n, sizeof *list);
	if (!cbs || !list)
		fail("out of memory");
	for (int i = 0; i < n; i++) {
		cbs[i].aio_fildes = fds[i % opt.fds];
		cbs[i].aio_buf = bufs[i];
		cbs[i].aio_nbytes = BS;
		cbs[i].aio_lio_opcode = LIO_READ;
		cbs[i].aio_sigevent.sigev_notify = SIGEV_NONE;
		list[i] = &cbs[i];
	}
	struct window w;
	unsigned long long ops = 0;
	window_start(&w);
	for (;;) {
		for (int i = 0; i < n; i++)
			cbs[i].aio_offset = random_offset();
		if (lio_listio(LIO_WAIT, list, n, NULL) != 0)
			fail("lio_listio: %s", strerror(errno));
		for (int i = 0; i < n; i++) {
			int err = aio_error(&cbs[i]);
			if (err != 0)
				fail("aio_error after LIO_WAIT: %s",
				     err == EINPROGRESS ? "still in progress" : strerror(err));
			ssize_t r = aio_return(&cbs[i]);
			if (r != BS)
				fail("aio_return: %zd", r);
		}
		ops++;
		if (window_tick(&w, ops) == 2)
			break;
	}
	char extra[32];
	snprintf(extra, sizeof extra, " batch=%d", n);
	report(&w, extra);
}

#ifdef AIO_BENCH_URING
static void
uring_init(struct io_uring *ring, unsigned entries)
{
	int ret = io_uring_queue_init(entries, ring, 0);
	if (ret < 0)
		fail("io_uring_queue_init: %s", strerror(-ret));
}

static void
uring_prep(struct io_uring *ring, const struct target *t, char **bufs, int i)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(ring);
	if (!sqe)
		fail("io_uring_get_sqe: submission queue full");
	io_uring_prep_read(sqe, t->fds[i % t->nfds], bufs[i], BS, random_offset());
	io_uring_sqe_set_data64(sqe, (uint64_t) i);
}

/* Raw io_uring, depth in flight: each io_uring_submit_and_wait(1)
 * submits the SQEs prepared for the previous completions and waits for at
 * least one.  At depth 1: submit one, wait one, one system call per read. */
static void
loop_uring(const struct target *t, struct pace *p)
{
	int depth = t->depth;
	char **bufs = alloc_buffers(depth);
	struct io_uring ring;
	uring_init(&ring, depth);
	for (int i = 0; i < depth; i++)
		uring_prep(&ring, t, bufs, i);
	unsigned long long ops = 0;
	int inflight = depth, phase = pace_begin(p);
	for (unsigned iter = 1;; iter++) {
		int ret = io_uring_submit_and_wait(&ring, 1);
		if (ret < 0 && ret != -EINTR)
			fail("io_uring_submit_and_wait: %s", strerror(-ret));
		struct io_uring_cqe *cqe;
		unsigned head, seen = 0;
		io_uring_for_each_cqe(&ring, head, cqe) {
			if (cqe->res != BS)
				fail("io_uring read: %s", cqe->res < 0 ? strerror(-cqe->res) : "short read");
			seen++;
			if (phase < 2)
				uring_prep(&ring, t, bufs, (int) cqe->user_data);
			else
				inflight--;
		}
		io_uring_cq_advance(&ring, seen);
		ops += seen;
		if (phase < 2)
			phase = pace_tick(p, iter, ops, phase);
		if (phase == 2 && inflight == 0)
			break;
	}
	io_uring_queue_exit(&ring);
}

/* opt.batch SQEs, one io_uring_submit_and_wait(batch), reap them all. */
static void
loop_listio_uring(void)
{
	int n = opt.batch;
	char **bufs = alloc_buffers(n);
	struct target t = {fds, opt.fds, n};
	struct io_uring ring;
	uring_init(&ring, n);
	struct window w;
	unsigned long long ops = 0;
	window_start(&w);
	for (;;) {
		for (int i = 0; i < n; i++)
			uring_prep(&ring, &t, bufs, i);
		int ret = io_uring_submit_and_wait(&ring, n);
		if (ret < 0)
			fail("io_uring_submit_and_wait: %s", strerror(-ret));
		int got = 0;
		while (got < n) {
			struct io_uring_cqe *cqe;
			unsigned head, seen = 0;
			io_uring_for_each_cqe(&ring, head, cqe) {
				if (cqe->res != BS)
					fail("io_uring read: %s",
					     cqe->res < 0 ? strerror(-cqe->res) : "short read");
				seen++;
			}
			io_uring_cq_advance(&ring, seen);
			got += seen;
			if (got < n && (ret = io_uring_wait_cqe(&ring, &cqe)) < 0 && ret != -EINTR)
				fail("io_uring_wait_cqe: %s", strerror(-ret));
		}
		ops++;
		if (window_tick(&w, ops) == 2)
			break;
	}
	io_uring_queue_exit(&ring);
	char extra[32];
	snprintf(extra, sizeof extra, " batch=%d", n);
	report(&w, extra);
}
#endif

/* The in-flight loop of the mode chosen (aio or uring), alone in the
 * process, over opt.fds descriptors. */
static void
run_inflight(int mode_aio, int mode_queue)
{
	struct target t = {fds, opt.fds, opt.depth};
	struct window w;
	struct pace p = {&w, NULL};
	char extra[32] = "";
	if (mode_aio) {
		loop_aio(&t, &p);
		snprintf(extra, sizeof extra, " pattern=%s", opt.pattern);
	} else if (mode_queue) {
		loop_queue(&t, &p);
	}
#ifdef AIO_BENCH_URING
	else
		loop_uring(&t, &p);
#endif
	report(&w, extra);
}

/* ---- the threads scenario ---- */

struct worker {
	pthread_t thread;
	unsigned index;
	int mode_aio;
	struct target target;
	_Atomic unsigned long long ops;
	char pad[64];	/* keeps the next worker's count off this cache line */
};

static pthread_barrier_t start_line;

static void *
worker_main(void *arg)
{
	struct worker *wk = arg;
	struct pace p = {NULL, &wk->ops};
	seed_random(wk->index + 1);
	pthread_barrier_wait(&start_line);
	if (wk->mode_aio)
		loop_aio_list(&wk->target, &p);
#ifdef AIO_BENCH_URING
	else
		loop_uring(&wk->target, &p);
#endif
	return NULL;
}

static unsigned long long
sum_ops(const struct worker *workers, int n)
{
	unsigned long long sum = 0;
	for (int i = 0; i < n; i++)
		sum += atomic_load_explicit(&workers[i].ops, memory_order_relaxed);
	return sum;
}

/* opt.threads workers, worker i on fds[i]; the main thread keeps the window
 * (it only sleeps, so it adds nothing to the process's CPU time). */
static void
run_threads(int mode_aio)
{
	int n = opt.threads;
	struct worker *workers = calloc(n, sizeof *workers);
	if (!workers)
		fail("out of memory");
	int err = pthread_barrier_init(&start_line, NULL, n + 1);
	if (err)
		fail("pthread_barrier_init: %s", strerror(err));
	for (int i = 0; i < n; i++) {
		workers[i].index = i;
		workers[i].mode_aio = mode_aio;
		workers[i].target = (struct target) {&fds[i], 1, opt.depth};
		err = pthread_create(&workers[i].thread, NULL, worker_main, &workers[i]);
		if (err)
			fail("pthread_create: %s", strerror(err));
	}
	struct window w;
	memset(&w, 0, sizeof w);
	pthread_barrier_wait(&start_line);
	w.begin = now();
	sleep_for(opt.warmup);
	window_open(&w, now(), sum_ops(workers, n));
	atomic_store_explicit(&shared_phase, 1, memory_order_relaxed);
	sleep_for(opt.seconds);
	window_close(&w, now(), sum_ops(workers, n));
	atomic_store_explicit(&shared_phase, 2, memory_order_relaxed);
	for (int i = 0; i < n; i++)
		pthread_join(workers[i].thread, NULL);
	char extra[32];
	snprintf(extra, sizeof extra, " threads=%d%s", n, mode_aio ? " pattern=list" : "");
	report(&w, extra);
}

/* ---- the submit scenario ---- */

static int
compare_doubles(const void *a, const void *b)
{
	double x = *(const double *) a, y = *(const double *) b;
	return (x > y) - (x < y);
}

/* The nearest-rank percentile q (0..1] of n sorted samples. */
static double
percentile(const double *sorted, size_t n, double q)
{
	size_t rank = (size_t) (q * n + 0.999999);
	return sorted[rank < 1 ? 0 : rank > n ? n - 1 : rank - 1];
}

/* This thread's context switches so far: voluntary (it slept) and
 * involuntary (the scheduler gave its CPU to another). */
static void
thread_switches(long *voluntary, long *involuntary)
{
	struct rusage ru;
	getrusage(RUSAGE_THREAD, &ru);
	*voluntary = ru.ru_nvcsw;
	*involuntary = ru.ru_nivcsw;
}

/* The one submission call the scenario times. */
static int
submit_call(struct aiocb *cb)
{
	struct aiocb *list[1] = {cb};
	switch (opt.call[0]) {
	case 'w': return aio_write(cb);
	case 'f': return aio_fsync(O_SYNC, cb);
	case 'l': return lio_listio(LIO_NOWAIT, list, 1, NULL);
	default: return aio_read(cb);
	}
}

static void
run_submit(void)
{
	size_t size = (size_t) opt.size;
	int is_fsync = opt.call[0] == 'f';
	if ((off_t) size > file_size)
		fail("%s: %lld bytes, smaller than --size=%zu", opt.file, (long long) file_size, size);
	char *buf = alloc_buffer(size);
	struct aiocb cb;
	memset(&cb, 0, sizeof cb);
	cb.aio_fildes = fds[0];
	cb.aio_buf = buf;
	cb.aio_nbytes = size;
	cb.aio_lio_opcode = LIO_READ;
	cb.aio_sigevent.sigev_notify = SIGEV_NONE;
	uint64_t offsets = (uint64_t) (file_size - size) / BS + 1;
	size_t count = 0, capacity = 4096, blocked = 0, preempted = 0;
	double *samples = malloc(capacity * sizeof *samples);
	if (!samples)
		fail("out of memory");
	struct window w;
	window_start(&w);
	w.min_ops = (unsigned long long) opt.min_calls;
	w.hard_limit = SUBMIT_HARD_LIMIT;
	int phase = w.phase;
	for (unsigned long long calls = 0; phase < 2;) {
		cb.aio_offset = (off_t) (next_random() % offsets) * BS;
		/* aio_fsync: something to sync, written outside the timing. */
		if (is_fsync && pwrite(cb.aio_fildes, buf, BS, cb.aio_offset) != BS)
			fail("pwrite: %s", strerror(errno));
		long vol0, invol0, vol1, invol1;
		thread_switches(&vol0, &invol0);
		double t0 = now();
		int ret = submit_call(&cb);
		double t1 = now();
		thread_switches(&vol1, &invol1);
		if (ret != 0)
			fail("%s: %s", opt.call, strerror(errno));
		const struct aiocb *one[1] = {&cb};
		int err;
		while ((err = aio_error(&cb)) == EINPROGRESS)
			if (aio_suspend(one, 1, NULL) != 0 && errno != EINTR)
				fail("aio_suspend: %s", strerror(errno));
		collect(&cb, err, is_fsync ? 0 : (ssize_t) size);
		if (phase == 1) {
			if (count == capacity &&
			    !(samples = realloc(samples, (capacity *= 2) * sizeof *samples)))
				fail("out of memory");
			samples[count++] = (t1 - t0) * 1e6;
			blocked += vol1 != vol0;
			preempted += invol1 != invol0;
		}
		calls++;
		phase = window_tick(&w, calls);
	}
	if (count == 0)
		fail("no call in the timed window");
	qsort(samples, count, sizeof *samples, compare_doubles);
	double sum = 0;
	for (size_t i = 0; i < count; i++)
		sum += samples[i];
	char counters[160];
	format_library_counters(&w, counters, sizeof counters);
	printf("aio-bench submit mode=%s %s backend=%s call=%s size=%zu calls=%zu secs=%.6f "
	       "p50_us=%.3f p99_us=%.3f max_us=%.3f mean_us=%.3f blocked_calls=%zu "
	       "preempted_calls=%zu%s\n",
	       opt.mode, lib_field, which_backend(), opt.call, size, count, w.t1 - w.t0,
	       percentile(samples, count, 0.50), percentile(samples, count, 0.99),
	       samples[count - 1], sum / count, blocked, preempted, counters);
	fflush(stdout);
	free(samples);
	free(buf);
}

/* ---- subcommands ---- */

static void
cmd_mkfile(void)
{
	int fd = open(opt.file, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0)
		fail("create %s: %s", opt.file, strerror(errno));
	uint64_t *buf = malloc(1 << 20);
	if (!buf)
		fail("out of memory");
	for (long m = 0; m < opt.size_mib; m++) {
		for (size_t i = 0; i < (1 << 20) / sizeof *buf; i++)
			buf[i] = next_random();
		for (size_t done = 0; done < (1 << 20);) {
			ssize_t n = write(fd, (char *) buf + done, (1 << 20) - done);
			if (n < 0)
				fail("write %s: %s", opt.file, strerror(errno));
			done += n;
		}
	}
	if (fsync(fd) != 0)
		fail("fsync %s: %s", opt.file, strerror(errno));
	close(fd);
	printf("aio-bench mkfile file=%s size_mib=%ld\n", opt.file, opt.size_mib);
}

static void
cmd_warm(void)
{
	int fd = open(opt.file, O_RDONLY);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) != 0)
		fail("open %s: %s", opt.file, strerror(errno));
	double t = now();
	warm_fd(fd, st.st_size);
	close(fd);
	printf("aio-bench warm file=%s bytes=%lld secs=%.3f\n", opt.file, (long long) st.st_size,
	       now() - t);
}

static void
cmd_fsinfo(void)
{
	unsigned long type;
	int mem = is_memory_fs(opt.file, &type);
	printf("aio-bench fsinfo path=%s f_type=0x%lx tmpfs=%d\n", opt.file, type, mem);
}

static void
cmd_info(void)
{
#ifdef AIO_BENCH_URING
	int uring = 1;
#else
	int uring = 0;
#endif
	printf("aio-bench info %s uring=%d\n", lib_field, uring);
}

static void
usage(void)
{
	fprintf(stderr,
		"usage: aio-bench roundtrip|inflight|listio|direct --mode=aio|pread|uring|queue --file=F\n"
		"                 [--depth=N] [--fds=N] [--batch=N] [--pattern=list|oldest]\n"
		"                 [--seconds=S] [--warmup=S] [--seed=N]\n"
		"       aio-bench threads --mode=aio|uring --threads=T [--depth=N] --file=F\n"
		"       aio-bench submit --mode=aio --size=BYTES [--call=read|write|listio|fsync]\n"
		"                 [--min-calls=N] --file=F\n"
		"       aio-bench mkfile --file=F --size-mib=M\n"
		"       aio-bench warm|fsinfo --file=F\n"
		"       aio-bench info\n");
	exit(2);
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"mode", required_argument, NULL, 'm'},
		{"file", required_argument, NULL, 'f'},
		{"seconds", required_argument, NULL, 's'},
		{"warmup", required_argument, NULL, 'w'},
		{"depth", required_argument, NULL, 'd'},
		{"fds", required_argument, NULL, 'n'},
		{"batch", required_argument, NULL, 'b'},
		{"pattern", required_argument, NULL, 'p'},
		{"threads", required_argument, NULL, 't'},
		{"size", required_argument, NULL, 'S'},
		{"call", required_argument, NULL, 'c'},
		{"min-calls", required_argument, NULL, 'M'},
		{"size-mib", required_argument, NULL, 'z'},
		{"seed", required_argument, NULL, 'r'},
		{NULL, 0, NULL, 0},
	};
	which_lib();
	if (argc < 2)
		usage();
	opt.cmd = argv[1];
	optind = 2;
	int c;
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (c) {
		case 'm': opt.mode = optarg; break;
		case 'f': opt.file = optarg; break;
		case 's': opt.seconds = atof(optarg); break;
		case 'w': opt.warmup = atof(optarg); break;
		case 'd': opt.depth = atoi(optarg); break;
		case 'n': opt.fds = atoi(optarg); break;
		case 'b': opt.batch = atoi(optarg); break;
		case 'p': opt.pattern = optarg; break;
		case 't': opt.threads = atoi(optarg); break;
		case 'S': opt.size = atol(optarg); break;
		case 'c': opt.call = optarg; break;
		case 'M': opt.min_calls = atol(optarg); break;
		case 'z': opt.size_mib = atol(optarg); break;
		case 'r': opt.seed = strtoull(optarg, NULL, 0); break;
		default: usage();
		}
	}
	if (optind != argc)
		usage();
	seed_random(0);

	if (strcmp(opt.cmd, "info") == 0) {
		cmd_info();
		return 0;
	}
	if (!opt.file)
		usage();
	if (strcmp(opt.cmd, "mkfile") == 0) {
		cmd_mkfile();
		return 0;
	}
	if (strcmp(opt.cmd, "warm") == 0) {
		cmd_warm();
		return 0;
	}
	if (strcmp(opt.cmd, "fsinfo") == 0) {
		cmd_fsinfo();
		return 0;
	}

	int is_listio = strcmp(opt.cmd, "listio") == 0;
	int is_threads = strcmp(opt.cmd, "threads") == 0;
	int is_submit = strcmp(opt.cmd, "submit") == 0;
	if (strcmp(opt.cmd, "roundtrip") == 0)
		opt.depth = 1;
	else if (strcmp(opt.cmd, "direct") == 0)
		opt.direct = 1;
	else if (strcmp(opt.cmd, "inflight") != 0 && !is_listio && !is_threads && !is_submit)
		usage();
	if (is_listio)
		opt.depth = opt.batch;
	if (is_threads) {
		if (opt.threads < 1 || opt.threads > MAX_FDS)
			fail("bad --threads (1 to %d)", MAX_FDS);
		opt.fds = opt.threads;	/* one descriptor each */
	}
	if (is_submit) {
		opt.depth = 1;
		if (opt.size < 1 || opt.size > MAX_SUBMIT_SIZE || opt.size % BS != 0)
			fail("bad --size (a multiple of %d, at most %ld)", BS, MAX_SUBMIT_SIZE);
		if (opt.min_calls < 0)
			fail("bad --min-calls");
		if (strcmp(opt.call, "read") != 0 && strcmp(opt.call, "write") != 0 &&
		    strcmp(opt.call, "listio") != 0 && strcmp(opt.call, "fsync") != 0)
			fail("unknown --call (read, write, listio or fsync)");
	}
	if (strcmp(opt.pattern, "list") != 0 && strcmp(opt.pattern, "oldest") != 0)
		fail("unknown --pattern (list or oldest)");
	if (opt.depth < 1 || opt.depth > MAX_DEPTH || opt.fds < 1 || opt.fds > MAX_FDS ||
	    opt.batch < 1 || opt.batch > MAX_DEPTH || opt.seconds <= 0)
		fail("bad --depth, --fds, --batch or --seconds");

	int mode_aio = strcmp(opt.mode, "aio") == 0;
	int mode_pread = strcmp(opt.mode, "pread") == 0;
	int mode_uring = strcmp(opt.mode, "uring") == 0;
	int mode_queue = strcmp(opt.mode, "queue") == 0;
	if (!mode_aio && !mode_pread && !mode_uring && !mode_queue)
		fail("unknown --mode (aio, pread, uring or queue)");
	if (mode_queue && (is_listio || is_threads || is_submit))
		fail("--mode=queue runs with inflight and direct");
	if (mode_pread && (opt.depth != 1 || is_listio || is_threads || is_submit))
		fail("--mode=pread runs at depth 1 only, alone");
	if (is_submit && !mode_aio)
		fail("submit measures aio calls only: --mode=aio");
#ifndef AIO_BENCH_URING
	if (mode_uring)
		fail("built without liburing: no io_uring mode");
#endif
	open_files(is_submit && strcmp(opt.call, "read") != 0 && strcmp(opt.call, "listio") != 0);

	if (mode_pread)
		loop_pread();
	else if (is_threads)
		run_threads(mode_aio);
	else if (is_submit)
		run_submit();
	else if (is_listio && mode_aio)
		loop_listio_aio();
#ifdef AIO_BENCH_URING
	else if (is_listio)
		loop_listio_uring();
#endif
	else
		run_inflight(mode_aio, mode_queue);
	return 0;
}
