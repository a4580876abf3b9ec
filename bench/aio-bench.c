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
 * lio_listio (and, in --mode=queue, libaio-posix's completion queue).
 *
 *   aio-bench roundtrip --mode=aio|pread|uring --file=F
 *       one 4 KiB read at a time: aio_read + aio_suspend + aio_error +
 *       aio_return; or pread(); or io_uring, one SQE submitted and its CQE
 *       waited for with one io_uring_submit_and_wait(1).
 *   aio-bench inflight --mode=aio|uring --depth=N --fds=K --file=F
 *       N 4 KiB reads kept in flight, spread over K descriptors of the file;
 *       aio waits with aio_suspend on the whole list and resubmits what
 *       finished; io_uring resubmits and waits with io_uring_submit_and_wait.
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
 * report after the measurement (AIO_POSIX_BACKEND chooses it).  On
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
#include <stdarg.h>
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

struct opts {
	const char *cmd;
	const char *mode;
	const char *file;
	double seconds;
	double warmup;
	int depth;
	int fds;
	int batch;
	int direct;
	long size_mib;
	uint64_t seed;
};

static struct opts opt = {
	.mode = "aio", .seconds = 0.5, .warmup = 0.1, .depth = 1, .fds = 1,
	.batch = 64, .size_mib = 16, .seed = 0x9e3779b97f4a7c15ULL,
};

static char lib_field[96];

/* The head of libaio-posix's struct aio_posix_stats (include/aio-posix.h),
 * as its first version had it: fields are only ever added at the end, and
 * aio_posix_get_stats fills as many bytes as the caller says it knows.
 * Copied rather than included, so that aio-bench stays a program that
 * knows nothing but <aio.h>. */
struct stats_head {
	unsigned long long counters[11];
	char backend[16];
};

/* libaio-posix's backend ("threads", "uring", ...) as its statistics name
 * it, or "-" on glibc. */
static const char *
which_backend(void)
{
	static char name[sizeof ((struct stats_head *) 0)->backend + 1] = "-";
	int (*get_stats)(void *, size_t);
	*(void **) &get_stats = dlsym(RTLD_DEFAULT, "aio_posix_get_stats");
	struct stats_head st;
	memset(&st, 0, sizeof st);
	if (get_stats && get_stats(&st, sizeof st) == 0 && st.backend[0]) {
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
	if (version)
		snprintf(lib_field, sizeof lib_field, "lib=libaio-posix libversion=%s", version());
	else
		snprintf(lib_field, sizeof lib_field, "lib=glibc libversion=%s", gnu_get_libc_version());
}

/* Print a failure line the driver can recognise, and exit. */
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

static double
cpu_seconds(void)
{
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_utime.tv_sec + ru.ru_utime.tv_usec * 1e-6 +
	       ru.ru_stime.tv_sec + ru.ru_stime.tv_usec * 1e-6;
}

static uint64_t rng;

static uint64_t
next_random(void)
{
	/* xorshift64*: cheap, and the same sequence in every mode. */
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return rng * 0x2545f4914f6cdd1dULL;
}

static off_t nblocks;

static off_t
random_offset(void)
{
	return (off_t) (next_random() % (uint64_t) nblocks) * BS;
}

/* The timed window: a warm-up, then opt.seconds of measurement.  The loops
 * call window_tick every few iterations; it reads the clock and, at the two
 * transitions only, the CPU time. */
struct window {
	double begin, t0, t1, cpu0, cpu1;
	unsigned long long ops0, ops1;
	int phase;	/* 0 warming up, 1 timed, 2 over */
};

static void
window_start(struct window *w)
{
	memset(w, 0, sizeof *w);
	w->begin = now();
	if (opt.warmup <= 0) {
		w->phase = 1;
		w->t0 = w->begin;
		w->cpu0 = cpu_seconds();
	}
}

static int
window_tick(struct window *w, unsigned long long ops)
{
	double t = now();
	if (w->phase == 0 && t - w->begin >= opt.warmup) {
		w->phase = 1;
		w->t0 = t;
		w->cpu0 = cpu_seconds();
		w->ops0 = ops;
	} else if (w->phase == 1 && t - w->t0 >= opt.seconds) {
		w->phase = 2;
		w->t1 = t;
		w->cpu1 = cpu_seconds();
		w->ops1 = ops;
	}
	return w->phase;
}

static void
report(const struct window *w, const char *extra)
{
	unsigned long long ops = w->ops1 - w->ops0;
	double secs = w->t1 - w->t0;
	double cpu = w->cpu1 - w->cpu0;
	if (ops == 0)
		fail("no operation finished in the timed window");
	/* Asked after the measurement: the backend that served it. */
	printf("aio-bench %s mode=%s %s backend=%s depth=%d fds=%d direct=%d%s ops=%llu "
	       "secs=%.6f ns_per_op=%.1f ops_per_s=%.1f cpu_us_per_op=%.3f\n",
	       opt.cmd, opt.mode, lib_field,
	       strcmp(opt.mode, "aio") == 0 || strcmp(opt.mode, "queue") == 0 ? which_backend() : "-",
	       opt.depth, opt.fds, opt.direct, extra ? extra : "", ops, secs, secs * 1e9 / ops,
	       ops / secs, cpu * 1e6 / ops);
	fflush(stdout);
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

/* Open opt.fds descriptors of opt.file; returns the file's size in blocks. */
static void
open_files(void)
{
	int flags = O_RDONLY | (opt.direct ? O_DIRECT : 0);
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

static char **
alloc_buffers(int n)
{
	char **bufs = calloc(n, sizeof *bufs);
	if (!bufs)
		fail("out of memory");
	for (int i = 0; i < n; i++) {
		/* 4096-aligned for O_DIRECT; the same buffers in every mode. */
		if (posix_memalign((void **) &bufs[i], 4096, BS) != 0)
			fail("posix_memalign: out of memory");
		memset(bufs[i], 0, BS);
	}
	return bufs;
}

/* ---- the loops ---- */

#define TICK_EVERY 8	/* loop iterations between clock readings */

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

/* POSIX aio, opt.depth requests in flight: aio_suspend on the whole list,
 * then aio_error/aio_return on each entry and resubmit the finished ones.
 * At depth 1 this is the plain round trip aio_read, aio_suspend, aio_error,
 * aio_return. */
/* opt.depth aiocbs for 4 KiB reads at random offsets, spread over the
 * descriptors; notify(cb, i), if not NULL, sets up the sigevent. */
static struct aiocb *
start_reads(int depth, void (*notify)(struct aiocb *, int, void *), void *arg)
{
	char **bufs = alloc_buffers(depth);
	struct aiocb *cbs = calloc(depth, sizeof *cbs);
	if (!cbs)
		fail("out of memory");
	for (int i = 0; i < depth; i++) {
		cbs[i].aio_fildes = fds[i % opt.fds];
		cbs[i].aio_buf = bufs[i];
		cbs[i].aio_nbytes = BS;
		cbs[i].aio_offset = random_offset();
		cbs[i].aio_sigevent.sigev_notify = SIGEV_NONE;
		if (notify)
			notify(&cbs[i], i, arg);
		if (aio_read(&cbs[i]) != 0)
			fail("aio_read: %s", strerror(errno));
	}
	return cbs;
}

static void
loop_aio(void)
{
	int depth = opt.depth;
	struct aiocb *cbs = start_reads(depth, NULL, NULL);
	const struct aiocb **list = calloc(depth, sizeof *list);
	if (!list)
		fail("out of memory");
	for (int i = 0; i < depth; i++)
		list[i] = &cbs[i];
	struct window w;
	unsigned long long ops = 0;
	int inflight = depth, phase = 0;
	window_start(&w);
	phase = w.phase;
	for (unsigned iter = 1;; iter++) {
		if (aio_suspend(list, depth, NULL) != 0 && errno != EINTR)
			fail("aio_suspend: %s", strerror(errno));
		for (int i = 0; i < depth; i++) {
			if (!list[i])
				continue;
			int err = aio_error(&cbs[i]);
			if (err == EINPROGRESS)
				continue;
			if (err != 0)
				fail("aio_error: %s", err < 0 ? strerror(errno) : strerror(err));
			ssize_t n = aio_return(&cbs[i]);
			if (n != BS)
				fail("aio_return: %zd", n);
			ops++;
			if (phase < 2) {
				cbs[i].aio_offset = random_offset();
				if (aio_read(&cbs[i]) != 0)
					fail("aio_read: %s", strerror(errno));
			} else {
				list[i] = NULL;
				inflight--;
			}
		}
		if (phase < 2 && iter % TICK_EVERY == 0)
			phase = window_tick(&w, ops);
		if (phase == 2 && inflight == 0)
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

static void
tie_to_queue(struct aiocb *cb, int i, void *queue)
{
	cb->aio_sigevent.sigev_notify = QUEUE_SIGEV_NOTIFY;
	cb->aio_sigevent.sigev_signo = *(int *) queue;	/* sigev_notify_queue */
	cb->aio_sigevent.sigev_value.sival_int = i;
}

/* opt.depth requests in flight, tied to a completion queue: each
 * aio_queue_reap hands over what has finished (at least one), and those
 * are resubmitted.  The same reads as loop_aio, one wait per batch, no
 * scan. */
static void
loop_queue(void)
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
	int depth = opt.depth;
	struct queue_completion *done = calloc(depth, sizeof *done);
	if (!done)
		fail("out of memory");
	struct aiocb *cbs = start_reads(depth, tie_to_queue, &queue);
	struct window w;
	unsigned long long ops = 0;
	int inflight = depth, phase;
	window_start(&w);
	phase = w.phase;
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
		if (phase < 2 && iter % TICK_EVERY == 0)
			phase = window_tick(&w, ops);
	}
	queue_close(queue);
	report(&w, NULL);
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
uring_prep(struct io_uring *ring, char **bufs, int i)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(ring);
	if (!sqe)
		fail("io_uring_get_sqe: submission queue full");
	io_uring_prep_read(sqe, fds[i % opt.fds], bufs[i], BS, random_offset());
	io_uring_sqe_set_data64(sqe, (uint64_t) i);
}

/* Raw io_uring, opt.depth in flight: each io_uring_submit_and_wait(1)
 * submits the SQEs prepared for the previous completions and waits for at
 * least one.  At depth 1: submit one, wait one, one system call per read. */
static void
loop_uring(void)
{
	int depth = opt.depth;
	char **bufs = alloc_buffers(depth);
	struct io_uring ring;
	uring_init(&ring, depth);
	for (int i = 0; i < depth; i++)
		uring_prep(&ring, bufs, i);
	struct window w;
	unsigned long long ops = 0;
	int inflight = depth, phase;
	window_start(&w);
	phase = w.phase;
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
				uring_prep(&ring, bufs, (int) cqe->user_data);
			else
				inflight--;
		}
		io_uring_cq_advance(&ring, seen);
		ops += seen;
		if (phase < 2 && iter % TICK_EVERY == 0)
			phase = window_tick(&w, ops);
		if (phase == 2 && inflight == 0)
			break;
	}
	io_uring_queue_exit(&ring);
	report(&w, NULL);
}

/* opt.batch SQEs, one io_uring_submit_and_wait(batch), reap them all. */
static void
loop_listio_uring(void)
{
	int n = opt.batch;
	char **bufs = alloc_buffers(n);
	struct io_uring ring;
	uring_init(&ring, n);
	struct window w;
	unsigned long long ops = 0;
	window_start(&w);
	for (;;) {
		for (int i = 0; i < n; i++)
			uring_prep(&ring, bufs, i);
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
		"                 [--depth=N] [--fds=N] [--batch=N] [--seconds=S] [--warmup=S] [--seed=N]\n"
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
		case 'z': opt.size_mib = atol(optarg); break;
		case 'r': opt.seed = strtoull(optarg, NULL, 0); break;
		default: usage();
		}
	}
	if (optind != argc)
		usage();
	rng = opt.seed ? opt.seed : 1;

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
	if (strcmp(opt.cmd, "roundtrip") == 0)
		opt.depth = 1;
	else if (strcmp(opt.cmd, "direct") == 0)
		opt.direct = 1;
	else if (strcmp(opt.cmd, "inflight") != 0 && !is_listio)
		usage();
	if (is_listio)
		opt.depth = opt.batch;
	if (opt.depth < 1 || opt.depth > MAX_DEPTH || opt.fds < 1 || opt.fds > MAX_FDS ||
	    opt.batch < 1 || opt.batch > MAX_DEPTH || opt.seconds <= 0)
		fail("bad --depth, --fds, --batch or --seconds");

	int mode_aio = strcmp(opt.mode, "aio") == 0;
	int mode_pread = strcmp(opt.mode, "pread") == 0;
	int mode_uring = strcmp(opt.mode, "uring") == 0;
	int mode_queue = strcmp(opt.mode, "queue") == 0;
	if (!mode_aio && !mode_pread && !mode_uring && !mode_queue)
		fail("unknown --mode (aio, pread, uring or queue)");
	if (mode_queue && (is_listio || opt.depth < 1))
		fail("--mode=queue runs with inflight and direct");
	if (mode_pread && (opt.depth != 1 || is_listio))
		fail("--mode=pread runs at depth 1 only");
#ifndef AIO_BENCH_URING
	if (mode_uring)
		fail("built without liburing: no io_uring mode");
#endif
	open_files();

	if (mode_pread)
		loop_pread();
	else if (mode_queue)
		loop_queue();
	else if (mode_aio)
		is_listio ? loop_listio_aio() : loop_aio();
#ifdef AIO_BENCH_URING
	else
		is_listio ? loop_listio_uring() : loop_uring();
#endif
	return 0;
}
