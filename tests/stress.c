/* stress: never lose a request, never crash, never hang.
 *
 *   tests/stress [-t threads] [-s seconds] [-f files] [-b backend] [-S seed]
 *                [-F 0|1] [-v]
 *
 * T threads submit, for S seconds, random aio_read / aio_write / aio_fsync
 * and lio_listio batches (LIO_WAIT and LIO_NOWAIT, with LIO_NOP and NULL
 * entries) over F shared temporary files, a pipe and a SOCK_SEQPACKET
 * socketpair per thread.  Completion is observed through a mix of
 * aio_suspend (timed and untimed), aio_error polling, SIGEV_SIGNAL,
 * SIGEV_THREAD_ID and SIGEV_THREAD (no signals under ThreadSanitizer, which
 * coalesces them).  Meanwhile threads cancel requests at
 * random (one aiocb, or a whole fd), thread 0 forks now and then (the child
 * does a little aio of its own and must exit 0), and a storm thread keeps
 * sending a handled signal (no SA_RESTART) to the submitting threads.
 *
 * Data.  Each file is divided into blocks of BLOCK bytes; thread t owns
 * blocks [t*BPT, (t+1)*BPT) of every file, so only t touches them and its
 * model of them needs no lock.  A write of generation g to block b of file f
 * writes pattern(f, b, g): the first word names (g, f, b), the rest follows
 * from it, so a read tells which generation it saw and whether the block is
 * one generation throughout.  A block with a write in flight gets no other
 * read or write (on Linux a pread racing a pwrite may legitimately see a torn
 * block), so when a read is submitted the generation it must see is known
 * exactly: the last one whose write completed (a cancelled write never ran).
 * Stream records carry a sequence number and a pattern; every record written
 * must be read exactly once, intact; reads are only submitted when a write in
 * flight or done will feed them, so no worker blocks forever.
 *
 * Accounting.  Every accepted request is retired exactly once, when
 * aio_error stops saying EINPROGRESS (and stays put), and, for the
 * notifying kinds, when its one notification arrived.  Notifications carry
 * (thread, slot, serial) in sigev_value: a second one, or one for a request
 * already retired, counts as duplicated; none within NOTE_WAIT seconds of
 * completion counts as lost.  lio_listio's own notification is checked the
 * same way.  At the end every block of every file is read back, the
 * library's statistics must agree with ours, and the summary line is
 *
 *   stress: N requests, 0 lost, 0 duplicated, 0 corrupt, C cancelled
 *
 * Exit status 0 when lost, duplicated and corrupt are all 0; 1 otherwise; 2
 * when the watchdog found no progress (a hang) and 77 when -b asks for a
 * backend the library does not run.
 */
#define _GNU_SOURCE
#include <aio.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <aio-posix.h>

#ifndef sigev_notify_thread_id
#define sigev_notify_thread_id _sigev_un._tid
#endif

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define SANITIZED 1
#endif
#endif
#ifndef SANITIZED
#define SANITIZED 0
#endif

/* ThreadSanitizer defers a signal to its handler and keeps one pending
 * instance per signal number, so queued real-time signals coalesce: under it
 * notification by signal cannot be counted, and is left out. */
#if defined(__SANITIZE_THREAD__)
#define SIGNALS_COUNTABLE 0
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define SIGNALS_COUNTABLE 0
#endif
#endif
#ifndef SIGNALS_COUNTABLE
#define SIGNALS_COUNTABLE 1
#endif

enum {
	BLOCK = 4096,
	BPT = 32,		/* blocks each thread owns in each file */
	MAX_RUN = 4,		/* blocks per request at most */
	SLOTS = 32,		/* requests in flight per thread at most */
	LISTS = 16,		/* notifying LIO_NOWAIT lists in flight per thread */
	REC = 512,		/* stream record */
	STREAM_WINDOW = 16,	/* records written and not yet seen read, at most */
	MAX_THREADS = 64,
	MAX_FILES = 64,
	MAX_MESSAGES = 40,
};

#define NOTE_WAIT 10.0		/* seconds a notification may lag completion */

enum kind { K_READ, K_WRITE, K_FSYNC, K_SREAD, K_SWRITE };
static const char *const kind_name[] = { "read", "write", "fsync", "stream-read", "stream-write" };

enum method { M_SUSPEND, M_POLL, M_SIGNAL, M_THREAD_ID, M_THREAD, M_COUNT };
static const char *const method_name[] = { "suspend", "poll", "SIGEV_SIGNAL", "SIGEV_THREAD_ID", "SIGEV_THREAD" };

/* Where a notification lands: its serial says which request it is for. */
struct target {
	_Atomic uint32_t serial;
	_Atomic unsigned count;
};

struct slot {
	struct aiocb cb;
	struct target note;
	bool busy;
	bool notifies;		/* expects exactly one notification */
	bool not_cancelable;	/* aio_cancel said AIO_NOTCANCELED */
	enum kind kind;
	enum method method;
	int file, first, blocks;	/* K_READ, K_WRITE: file and thread-local blocks */
	unsigned gen;			/* K_WRITE */
	int stream;			/* K_SREAD, K_SWRITE */
	uint64_t seq;			/* K_SWRITE */
	int list;			/* index of its notifying list, or -1 */
	double submitted, done_at;
	unsigned char *buffer;
};

struct list_record {
	struct target note;
	bool busy;
	int remaining;		/* its requests not yet retired */
	double done_at;
};

struct stream {
	int rfd, wfd;
	int id;
	uint64_t written_claimed;	/* records given a sequence number */
	uint64_t written_ok;
	uint64_t read_claimed;		/* reads submitted and not cancelled */
	uint64_t read_ok;
	uint64_t base;			/* every record below it was read once */
	unsigned char seen[4 * STREAM_WINDOW];
};

struct worker {
	int index;
	pthread_t thread;
	_Atomic pid_t tid;
	uint64_t random;
	struct slot slots[SLOTS];
	struct list_record lists[LISTS];
	unsigned stable[MAX_FILES][BPT];	/* generation on disk */
	unsigned next_gen[MAX_FILES][BPT];
	bool writing[MAX_FILES][BPT];
	unsigned short reading[MAX_FILES][BPT];
	struct stream streams[2];		/* a pipe, a socketpair */
	struct aiocb nop;
	uint32_t serial;
	/* counters, read by main after join (and racily by the watchdog) */
	unsigned long accepted, cancelled, lost, duplicated, corrupt, refused;
	unsigned long kinds[5], methods[M_COUNT], lists_wait, lists_nowait;
	unsigned long cancels, forks, interrupted, notes_expected;
	_Atomic bool finished;
};

/* --- options and shared state ------------------------------------------- */

static int nthreads = 4, nfiles = 4;
static double seconds = 3;
static uint64_t seed;
static int fork_enabled = !SANITIZED;
static int verbose;
static const char *backend;

static int files[MAX_FILES];
static struct worker *workers;
static double start_time;
static atomic_bool stop_submitting, stop_storm, all_done;
static atomic_ulong progress;		/* requests retired, all threads */
static atomic_ulong stale_notes;	/* for no request in flight */
static atomic_ulong bad_si_code;
static atomic_ulong storm_signals, storm_handled;
static atomic_int messages;
static pthread_attr_t small_stack;
static char backend_ran[sizeof ((struct aio_posix_stats *)0)->backend + 1] = "?";
static unsigned long probes;		/* requests made outside the workers */

#define SIG_NOTE (SIGRTMIN + 1)		/* SIGEV_SIGNAL */
#define SIG_NOTE_TID (SIGRTMIN + 2)	/* SIGEV_THREAD_ID */
#define SIG_STORM SIGUSR1

static double
now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void
pause_ns(long ns)
{
	struct timespec ts = { ns / 1000000000L, ns % 1000000000L };
	nanosleep(&ts, NULL);
}

static uint64_t
mix(uint64_t x)
{
	x += UINT64_C(0x9e3779b97f4a7c15);
	x = (x ^ (x >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
	x = (x ^ (x >> 27)) * UINT64_C(0x94d049bb133111eb);
	return x ^ (x >> 31);
}

static unsigned
below(struct worker *w, unsigned bound)
{
	w->random = mix(w->random);
	return (unsigned)(w->random % bound);
}

/* Report a failure; the first MAX_MESSAGES are printed. */
static void
report(struct worker *w, unsigned long *counter, const char *format, ...)
{
	if (counter)
		++*counter;
	if (atomic_fetch_add(&messages, 1) >= MAX_MESSAGES)
		return;
	char text[512];
	va_list args;
	va_start(args, format);
	vsnprintf(text, sizeof text, format, args);
	va_end(args);
	fprintf(stderr, "stress: FAIL [thread %d, %.3f s]: %s\n", w ? w->index : -1,
		now() - start_time, text);
}

/* --- data patterns ------------------------------------------------------- */

static uint64_t
block_head(int file, int block, unsigned gen)
{
	return (uint64_t)gen << 32 | (uint64_t)file << 24 | (uint64_t)block;
}

static void
block_fill(unsigned char *p, int file, int block, unsigned gen)
{
	uint64_t head = block_head(file, block, gen), x = mix(head);
	memcpy(p, &head, 8);
	for (int i = 8; i < BLOCK; i += 8) {
		x = mix(x + (uint64_t)i);
		memcpy(p + i, &x, 8);
	}
}

/* 0 when the block is generation gen of (file, block); otherwise describes
 * what it is in text. */
static int
block_check(const unsigned char *p, int file, int block, unsigned gen, char *text, size_t size)
{
	uint64_t head;
	memcpy(&head, p, 8);
	if (head != block_head(file, block, gen)) {
		snprintf(text, size, "block %d of file %d holds head %#llx (generation %u of file %d block %d), "
			 "expected generation %u", block, file, (unsigned long long)head,
			 (unsigned)(head >> 32), (int)(head >> 24 & 0xff), (int)(head & 0xffffff), gen);
		return -1;
	}
	uint64_t x = mix(head);
	for (int i = 8; i < BLOCK; i += 8) {
		uint64_t v;
		x = mix(x + (uint64_t)i);
		memcpy(&v, p + i, 8);
		if (v != x) {
			snprintf(text, size, "block %d of file %d generation %u is corrupt from byte %d",
				 block, file, gen, i);
			return -1;
		}
	}
	return 0;
}

static void
record_fill(unsigned char *p, int stream, uint64_t seq)
{
	uint64_t head = seq << 16 | (uint64_t)stream, x = mix(head ^ 0x5555);
	memcpy(p, &head, 8);
	for (int i = 8; i < REC; i += 8) {
		x = mix(x + (uint64_t)i);
		memcpy(p + i, &x, 8);
	}
}

/* Returns the record's sequence number, or -1 if it is not a record of this
 * stream, intact. */
static int64_t
record_check(const unsigned char *p, int stream)
{
	uint64_t head;
	memcpy(&head, p, 8);
	if ((head & 0xffff) != (uint64_t)stream)
		return -1;
	uint64_t x = mix(head ^ 0x5555);
	for (int i = 8; i < REC; i += 8) {
		uint64_t v;
		x = mix(x + (uint64_t)i);
		memcpy(&v, p + i, 8);
		if (v != x)
			return -1;
	}
	return (int64_t)(head >> 16);
}

/* --- notifications -------------------------------------------------------- */

/* sigev_value: thread, list flag, index and serial, in a pointer's bits:
 * 8, 1, 15 and 32 of them on LP64; 6, 1, 5 and 20 on ILP32, where a serial
 * repeats only after 2^20 requests of one thread, long after NOTE_WAIT. */
#define NOTE_SERIAL_BITS (sizeof(void *) == 8 ? 32 : 20)
#define NOTE_INDEX_BITS (sizeof(void *) == 8 ? 15 : 5)
#define NOTE_SERIAL_MASK ((uint32_t)((UINT64_C(1) << NOTE_SERIAL_BITS) - 1))
_Static_assert(SLOTS <= 32 && LISTS <= 32 && MAX_THREADS <= 64, "the fields fit in 32 bits");

static union sigval
note_value(int thread, bool list, int index, uint32_t serial)
{
	union sigval v;
	uintptr_t bits = (uintptr_t)thread << (NOTE_SERIAL_BITS + NOTE_INDEX_BITS + 1) |
			 (uintptr_t)list << (NOTE_SERIAL_BITS + NOTE_INDEX_BITS) |
			 (uintptr_t)index << NOTE_SERIAL_BITS | (serial & NOTE_SERIAL_MASK);
	v.sival_ptr = (void *)bits;
	return v;
}

static void
note_arrived(union sigval v)
{
	uintptr_t bits = (uintptr_t)v.sival_ptr;
	int thread = (int)(bits >> (NOTE_SERIAL_BITS + NOTE_INDEX_BITS + 1));
	bool list = bits >> (NOTE_SERIAL_BITS + NOTE_INDEX_BITS) & 1;
	int index = (int)(bits >> NOTE_SERIAL_BITS & ((1u << NOTE_INDEX_BITS) - 1));
	uint32_t serial = (uint32_t)bits & NOTE_SERIAL_MASK;
	if (thread >= nthreads || index >= (list ? LISTS : SLOTS)) {
		atomic_fetch_add(&stale_notes, 1);
		return;
	}
	struct target *t = list ? &workers[thread].lists[index].note : &workers[thread].slots[index].note;
	if ((atomic_load(&t->serial) & NOTE_SERIAL_MASK) != serial) {
		atomic_fetch_add(&stale_notes, 1);
		return;
	}
	atomic_fetch_add(&t->count, 1);
}

static void
on_note_signal(int signo, siginfo_t *info, void *context)
{
	int saved = errno;
	if (info->si_code != SI_ASYNCIO)
		atomic_fetch_add(&bad_si_code, 1);
	else
		note_arrived(info->si_value);
	errno = saved;
}

static void
on_note_thread(union sigval v)
{
	note_arrived(v);
}

static void
on_storm(int signo)
{
	atomic_fetch_add(&storm_handled, 1);
}

static void
target_reset(struct target *t, uint32_t serial)
{
	atomic_store(&t->serial, serial);
	atomic_store(&t->count, 0);
}

/* --- building requests ---------------------------------------------------- */

static void
set_notification(struct worker *w, struct slot *s, int index)
{
	struct sigevent *ev = &s->cb.aio_sigevent;
	/* The previous request of the slot had its count checked when it was
	 * retired; a late duplicate since then shows here. */
	unsigned before = atomic_load(&s->note.count);
	if (before > (s->notifies ? 1u : 0u))
		report(w, &w->duplicated, "slot %d: %u notifications for one request (late)", index, before);
	w->serial++;
	target_reset(&s->note, w->serial);

	memset(ev, 0, sizeof *ev);
	s->method = (enum method)below(w, M_COUNT);
	if (!SIGNALS_COUNTABLE && (s->method == M_SIGNAL || s->method == M_THREAD_ID))
		s->method = M_THREAD;
	s->notifies = s->method >= M_SIGNAL;
	w->methods[s->method]++;
	if (!s->notifies) {
		ev->sigev_notify = SIGEV_NONE;
		return;
	}
	ev->sigev_value = note_value(w->index, false, index, w->serial);
	switch (s->method) {
	case M_SIGNAL:
		ev->sigev_notify = SIGEV_SIGNAL;
		ev->sigev_signo = SIG_NOTE;
		break;
	case M_THREAD_ID:
		ev->sigev_notify = SIGEV_THREAD_ID;
		ev->sigev_signo = SIG_NOTE_TID;
		ev->sigev_notify_thread_id = atomic_load(&w->tid);
		break;
	default:
		ev->sigev_notify = SIGEV_THREAD;
		ev->sigev_notify_function = on_note_thread;
		ev->sigev_notify_attributes = below(w, 4) == 0 ? &small_stack : NULL;
		break;
	}
}

static void
prepare(struct worker *w, struct slot *s, int index, int fd, size_t length, off_t offset)
{
	/* Half the time a zeroed aiocb, half the time the finished one reused. */
	if (below(w, 2) == 0)
		memset(&s->cb, 0, sizeof s->cb);
	s->cb.aio_fildes = fd;
	s->cb.aio_buf = s->buffer;
	s->cb.aio_nbytes = length;
	s->cb.aio_offset = offset;
	s->cb.aio_reqprio = (int)below(w, AIO_PRIO_DELTA_MAX + 1);
	s->cb.aio_lio_opcode = LIO_NOP;
	s->list = -1;
	s->not_cancelable = false;
	s->done_at = 0;
	set_notification(w, s, index);
}

static off_t
block_offset(struct worker *w, int first)
{
	return ((off_t)w->index * BPT + first) * BLOCK;
}

/* Pick an operation for slot index and claim what it touches; false when
 * the chosen kind cannot be had right now. */
static bool
build(struct worker *w, int index, bool allow_fsync)
{
	struct slot *s = &w->slots[index];
	unsigned roll = below(w, 100);
	enum kind kind = roll < 36 ? K_READ : roll < 72 ? K_WRITE : roll < 78 ? K_FSYNC :
			 roll < 89 ? K_SWRITE : K_SREAD;
	if (kind == K_FSYNC && !allow_fsync)
		kind = K_WRITE;
	s->kind = kind;

	if (kind == K_READ || kind == K_WRITE) {
		int f = (int)below(w, nfiles);
		int first = (int)below(w, BPT);
		int n = 1 + (int)below(w, MAX_RUN);
		if (n > BPT - first)
			n = BPT - first;
		for (int b = first; b < first + n; b++)
			if (w->writing[f][b] || (kind == K_WRITE && w->reading[f][b]))
				return false;
		s->file = f;
		s->first = first;
		s->blocks = n;
		prepare(w, s, index, files[f], (size_t)n * BLOCK, block_offset(w, first));
		if (kind == K_READ) {
			memset(s->buffer, 0xa5, (size_t)n * BLOCK);
			for (int b = first; b < first + n; b++)
				w->reading[f][b]++;
		} else {
			s->gen = ++w->next_gen[f][first];
			for (int b = first; b < first + n; b++) {
				if (w->next_gen[f][b] < s->gen)
					w->next_gen[f][b] = s->gen;
				w->writing[f][b] = true;
				block_fill(s->buffer + (size_t)(b - first) * BLOCK, f,
					   w->index * BPT + b, s->gen);
			}
		}
		s->cb.aio_lio_opcode = kind == K_READ ? LIO_READ : LIO_WRITE;
	} else if (kind == K_FSYNC) {
		s->file = (int)below(w, nfiles);
		s->gen = below(w, 2);	/* 1: O_DSYNC */
		prepare(w, s, index, files[s->file], 0, 0);
	} else {
		int i = (int)below(w, 2);
		struct stream *st = &w->streams[i];
		s->stream = i;
		if (kind == K_SWRITE) {
			/* base is the oldest record not yet seen read: a read
			 * may be complete and still wait for its notification,
			 * so count from there, not from the reads retired. */
			if (st->written_claimed - st->base >= STREAM_WINDOW)
				return false;
			s->seq = st->written_claimed++;
			prepare(w, s, index, st->wfd, REC, 0);
			record_fill(s->buffer, st->id, s->seq);
			s->cb.aio_lio_opcode = LIO_WRITE;
		} else {
			if (st->read_claimed >= st->written_claimed)
				return false;
			st->read_claimed++;
			prepare(w, s, index, st->rfd, REC, 0);
			memset(s->buffer, 0xa5, REC);
			s->cb.aio_lio_opcode = LIO_READ;
		}
	}
	return true;
}

/* Give back what build claimed, for a request that was refused.  Called in
 * reverse order of building, so stream sequence numbers stay dense. */
static void
unbuild(struct worker *w, struct slot *s)
{
	switch (s->kind) {
	case K_READ:
		for (int b = s->first; b < s->first + s->blocks; b++)
			w->reading[s->file][b]--;
		break;
	case K_WRITE:
		for (int b = s->first; b < s->first + s->blocks; b++)
			w->writing[s->file][b] = false;
		break;
	case K_SWRITE:
		w->streams[s->stream].written_claimed--;
		break;
	case K_SREAD:
		w->streams[s->stream].read_claimed--;
		break;
	default:
		break;
	}
	/* A refused request sends no notification; the slot expects none. */
	s->notifies = false;
}

static void
accepted(struct worker *w, struct slot *s)
{
	s->busy = true;
	s->submitted = now();
	w->accepted++;
	w->kinds[s->kind]++;
	if (s->notifies)
		w->notes_expected++;
}

/* A refused submission must leave nothing in flight. */
static void
refused(struct worker *w, struct slot *s, int index, const char *call)
{
	w->refused++;
	if (aio_error(&s->cb) == EINPROGRESS)
		report(w, &w->corrupt, "%s refused with EAGAIN but slot %d reads EINPROGRESS", call, index);
	unbuild(w, s);
}

static int
submit_one(struct slot *s)
{
	switch (s->kind) {
	case K_READ:
	case K_SREAD:
		return aio_read(&s->cb);
	case K_WRITE:
	case K_SWRITE:
		return aio_write(&s->cb);
	default:
		return aio_fsync(s->gen ? O_DSYNC : O_SYNC, &s->cb);
	}
}

static int
free_list_record(struct worker *w)
{
	for (int i = 0; i < LISTS; i++)
		if (!w->lists[i].busy)
			return i;
	return -1;
}

/* Build and submit one batch into free slots. */
static void
submit_batch(struct worker *w)
{
	int chosen[SLOTS], n = 0;
	int want = 1 + (int)below(w, 8);
	unsigned style = below(w, 100);	/* <55 one by one, <70 LIO_WAIT, else LIO_NOWAIT */
	bool as_list = style >= 55;

	for (int i = 0; i < SLOTS && n < want; i++) {
		if (w->slots[i].busy)
			continue;
		if (build(w, i, !as_list))
			chosen[n++] = i;
	}

	if (!as_list) {
		for (int k = 0; k < n; k++) {
			struct slot *s = &w->slots[chosen[k]];
			if (submit_one(s) == 0) {
				accepted(w, s);
				int e = aio_error(&s->cb);
				if (e == -1)
					report(w, &w->corrupt, "aio_error right after %s: -1 (%s)",
					       kind_name[s->kind], strerror(errno));
				continue;
			}
			int error = errno;
			if (error != EAGAIN && error != ENOMEM)
				report(w, &w->corrupt, "%s refused: %s", kind_name[s->kind], strerror(error));
			/* Refuse the rest as well, newest first: a later stream
			 * write must not get ahead of a refused one. */
			for (int j = n - 1; j > k; j--)
				unbuild(w, &w->slots[chosen[j]]);
			refused(w, s, chosen[k], "submission");
			break;
		}
		return;
	}

	/* A list: the built requests in order, with LIO_NOP and NULL entries. */
	struct aiocb *list[3 * SLOTS];
	int count = 0;
	for (int k = 0; k < n; k++) {
		if (below(w, 6) == 0)
			list[count++] = NULL;
		if (below(w, 6) == 0)
			list[count++] = &w->nop;
		list[count++] = &w->slots[chosen[k]].cb;
	}
	w->nop.aio_lio_opcode = LIO_NOP;

	int mode = style < 70 ? LIO_WAIT : LIO_NOWAIT;
	struct sigevent event = { .sigev_notify = SIGEV_NONE };
	int record = -1;
	if (mode == LIO_NOWAIT && below(w, 2) == 0 && (record = free_list_record(w)) >= 0) {
		struct list_record *r = &w->lists[record];
		w->serial++;
		target_reset(&r->note, w->serial);
		event.sigev_value = note_value(w->index, true, record, w->serial);
		if (SIGNALS_COUNTABLE && below(w, 2) == 0) {
			event.sigev_notify = SIGEV_SIGNAL;
			event.sigev_signo = SIG_NOTE;
		} else {
			event.sigev_notify = SIGEV_THREAD;
			event.sigev_notify_function = on_note_thread;
		}
	}

	int rc = lio_listio(mode, list, count, &event);
	int error = errno;
	if (rc == -1 && (error == EAGAIN || error == ENOMEM)) {
		/* Nothing may have been queued. */
		for (int k = n - 1; k >= 0; k--)
			refused(w, &w->slots[chosen[k]], chosen[k], "lio_listio");
		return;
	}
	if (rc == -1 && error != EINTR && error != EIO)
		report(w, &w->corrupt, "lio_listio(%s, %d entries): %s",
		       mode == LIO_WAIT ? "LIO_WAIT" : "LIO_NOWAIT", count, strerror(error));
	if (rc == -1 && error == EINTR)
		w->interrupted++;
	mode == LIO_WAIT ? w->lists_wait++ : w->lists_nowait++;
	for (int k = 0; k < n; k++) {
		struct slot *s = &w->slots[chosen[k]];
		accepted(w, s);
		if (record >= 0)
			s->list = record;
		if (mode == LIO_WAIT && (rc == 0 || error == EIO) && aio_error(&s->cb) == EINPROGRESS)
			report(w, &w->corrupt, "lio_listio(LIO_WAIT) returned %d with slot %d in progress",
			       rc, chosen[k]);
	}
	if (record >= 0) {
		w->lists[record].busy = true;
		w->lists[record].remaining = n;
		w->lists[record].done_at = 0;
		w->notes_expected++;
	}
}

/* --- cancellation ----------------------------------------------------------- */

static void
random_cancel(struct worker *w)
{
	w->cancels++;
	if (below(w, 16) == 0) {
		/* Every request on a shared file, other threads' too. */
		int rc = aio_cancel(files[below(w, nfiles)], NULL);
		if (rc != AIO_CANCELED && rc != AIO_NOTCANCELED && rc != AIO_ALLDONE)
			report(w, &w->corrupt, "aio_cancel(fd, NULL) = %d (%s)", rc, strerror(errno));
		return;
	}
	int i = (int)below(w, SLOTS);
	struct slot *s = &w->slots[i];
	/* Never cancel a stream write: the reads it feeds would wait forever. */
	if (!s->busy || s->kind == K_SWRITE)
		return;
	int rc = aio_cancel(s->cb.aio_fildes, &s->cb);
	int e = aio_error(&s->cb);
	switch (rc) {
	case AIO_CANCELED:
		if (e != ECANCELED)
			report(w, &w->corrupt, "aio_cancel said AIO_CANCELED, aio_error then %d", e);
		break;
	case AIO_ALLDONE:
		if (e == EINPROGRESS)
			report(w, &w->corrupt, "aio_cancel said AIO_ALLDONE, aio_error then EINPROGRESS");
		break;
	case AIO_NOTCANCELED:
		s->not_cancelable = true;
		break;
	default:
		report(w, &w->corrupt, "aio_cancel(fd, aiocb) = %d (%s)", rc, strerror(errno));
	}
}

/* --- retiring -------------------------------------------------------------- */

static void
check_result(struct worker *w, struct slot *s, int index, int error, ssize_t result)
{
	size_t length = s->cb.aio_nbytes;
	char text[256];

	if (error == ECANCELED) {
		w->cancelled++;
		if (s->not_cancelable)
			report(w, &w->corrupt, "slot %d: %s cancelled after AIO_NOTCANCELED", index,
			       kind_name[s->kind]);
		if (result != -1)
			report(w, &w->corrupt, "slot %d: cancelled but aio_return %zd", index, result);
		if (s->kind == K_SWRITE)
			report(w, &w->corrupt, "slot %d: a stream write was cancelled; nobody asked", index);
	} else if (error != 0) {
		report(w, &w->corrupt, "slot %d: %s (%zu bytes at %lld, fd %d) failed: %s", index,
		       kind_name[s->kind], length, (long long)s->cb.aio_offset, s->cb.aio_fildes,
		       strerror(error));
	} else if (result != (ssize_t)length) {
		report(w, &w->corrupt, "slot %d: %s returned %zd, expected %zu", index, kind_name[s->kind],
		       result, length);
		error = -1;
	}

	switch (s->kind) {
	case K_READ:
		for (int b = s->first; b < s->first + s->blocks; b++) {
			w->reading[s->file][b]--;
			if (error == 0 &&
			    block_check(s->buffer + (size_t)(b - s->first) * BLOCK, s->file, w->index * BPT + b,
					w->stable[s->file][b], text, sizeof text))
				report(w, &w->corrupt, "read: %s", text);
		}
		break;
	case K_WRITE:
		for (int b = s->first; b < s->first + s->blocks; b++) {
			w->writing[s->file][b] = false;
			if (error == 0)
				w->stable[s->file][b] = s->gen;
		}
		break;
	case K_SWRITE:
		if (error == 0)
			w->streams[s->stream].written_ok++;
		break;
	case K_SREAD: {
		struct stream *st = &w->streams[s->stream];
		if (error == ECANCELED) {
			st->read_claimed--;
			break;
		}
		if (error != 0)
			break;
		int64_t seq = record_check(s->buffer, st->id);
		if (seq < 0 || (uint64_t)seq < st->base || (uint64_t)seq >= st->written_claimed) {
			report(w, &w->corrupt, "stream %d: read a bad record (seq %lld, window %llu..%llu)",
			       st->id, (long long)seq, (unsigned long long)st->base,
			       (unsigned long long)st->written_claimed);
			break;
		}
		unsigned char *mark = &st->seen[seq % (4 * STREAM_WINDOW)];
		if (*mark) {
			report(w, &w->corrupt, "stream %d: record %lld read twice", st->id, (long long)seq);
			break;
		}
		*mark = 1;
		while (st->seen[st->base % (4 * STREAM_WINDOW)]) {
			st->seen[st->base % (4 * STREAM_WINDOW)] = 0;
			st->base++;
		}
		st->read_ok++;
		break;
	}
	default:
		break;
	}
}

/* Retire slot i if it is finished (and notified); true if it was. */
static bool
try_retire(struct worker *w, int i, double t)
{
	struct slot *s = &w->slots[i];
	unsigned notes = atomic_load(&s->note.count);
	int error = aio_error(&s->cb);
	if (error == EINPROGRESS) {
		if (s->notifies && notes > 0)
			report(w, &w->corrupt, "slot %d: notified while aio_error still says EINPROGRESS", i);
		return false;
	}
	if (error == -1) {
		report(w, &w->corrupt, "slot %d: aio_error -1 (%s) for a submitted aiocb", i, strerror(errno));
		error = errno;
	}
	if (s->notifies && notes == 0) {
		if (s->done_at == 0)
			s->done_at = t;
		if (t - s->done_at < NOTE_WAIT)
			return false;
		report(w, &w->lost, "slot %d: %s by %s completed %.1f s ago, never notified", i,
		       kind_name[s->kind], method_name[s->method], t - s->done_at);
	} else if (notes > (s->notifies ? 1u : 0u)) {
		report(w, &w->duplicated, "slot %d: %u notifications for one %s by %s", i, notes,
		       kind_name[s->kind], method_name[s->method]);
	}
	ssize_t result = aio_return(&s->cb);
	int again = aio_error(&s->cb);
	if (again != error)
		report(w, &w->corrupt, "slot %d: aio_error changed from %d to %d after completion", i, error, again);
	check_result(w, s, i, error, result);
	if (s->list >= 0)
		w->lists[s->list].remaining--;
	s->busy = false;
	atomic_fetch_add(&progress, 1);
	return true;
}

static void
retire_lists(struct worker *w, double t)
{
	for (int i = 0; i < LISTS; i++) {
		struct list_record *r = &w->lists[i];
		if (!r->busy)
			continue;
		unsigned notes = atomic_load(&r->note.count);
		if (r->remaining > 0) {
			if (notes == 0)
				continue;
			/* Notified: every request of the list must be complete. */
			for (int k = 0; k < SLOTS; k++) {
				struct slot *s = &w->slots[k];
				if (s->busy && s->list == i && aio_error(&s->cb) == EINPROGRESS)
					report(w, &w->corrupt, "list notified before its request in slot %d completed", k);
			}
			continue;
		}
		if (notes == 0) {
			if (r->done_at == 0)
				r->done_at = t;
			if (t - r->done_at < NOTE_WAIT)
				continue;
			report(w, &w->lost, "lio_listio notification never arrived");
		} else if (notes > 1) {
			report(w, &w->duplicated, "%u notifications for one lio_listio", notes);
		}
		r->busy = false;
	}
}

static int
busy_count(struct worker *w)
{
	int n = 0;
	for (int i = 0; i < SLOTS; i++)
		n += w->slots[i].busy;
	for (int i = 0; i < LISTS; i++)
		n += w->lists[i].busy;
	return n;
}

/* Wait a little for completions, one way or another, then retire. */
static void
wait_and_retire(struct worker *w)
{
	const struct aiocb *pending[2 * SLOTS];
	int n = 0;
	for (int i = 0; i < SLOTS; i++) {
		struct slot *s = &w->slots[i];
		if (s->busy && aio_error(&s->cb) == EINPROGRESS) {
			if (below(w, 8) == 0)
				pending[n++] = NULL;
			pending[n++] = &s->cb;
		}
	}
	bool in_progress = false;
	for (int i = 0; i < n; i++)
		in_progress |= pending[i] != NULL;

	unsigned how = below(w, 8);
	if (in_progress && how < 4) {
		struct timespec timeout = { 0, (1 + (long)below(w, 20)) * 1000000L };
		int rc = aio_suspend(pending, n, how == 0 ? NULL : &timeout);
		if (rc == -1 && errno == EINTR)
			w->interrupted++;
		else if (rc == -1 && errno != EAGAIN)
			report(w, &w->corrupt, "aio_suspend: %s", strerror(errno));
	} else if (in_progress) {
		pause_ns(50000 + (long)below(w, 500000));	/* then poll aio_error */
	}

	double t = now();
	int retired = 0;
	for (int i = 0; i < SLOTS; i++)
		if (w->slots[i].busy && try_retire(w, i, t))
			retired++;
	retire_lists(w, t);
	if (!retired && !in_progress && busy_count(w) > 0)
		pause_ns(200000);	/* only notifications to wait for */
}

/* --- fork ------------------------------------------------------------------- */

static void
child_say(const char *text)
{
	ssize_t ignored = write(2, text, strlen(text));
	(void)ignored;
}

/* In the child: what the parent had in flight reads as finished (ECANCELED
 * or its result), and fresh aio works. */
static int
child_main(struct worker *w, const bool *was_busy)
{
	alarm(20);
	for (int i = 0; i < SLOTS; i++) {
		if (was_busy[i] && aio_error(&w->slots[i].cb) == EINPROGRESS) {
			child_say("stress: FAIL [fork child]: an inherited request still reads EINPROGRESS\n");
			return 1;
		}
	}
	struct aio_posix_stats st;
	if (aio_posix_get_stats(&st, sizeof st) == 0 && st.in_flight != 0) {
		child_say("stress: FAIL [fork child]: statistics show requests in flight\n");
		return 1;
	}
	char path[] = "/tmp/aio-posix-stress-child-XXXXXX";
	int fd = mkstemp(path);
	if (fd < 0)
		return 1;
	unlink(path);
	static unsigned char out[BLOCK], in[BLOCK];
	block_fill(out, 63, 1, 7);
	struct aiocb cb;
	memset(&cb, 0, sizeof cb);
	cb.aio_fildes = fd;
	cb.aio_buf = out;
	cb.aio_nbytes = BLOCK;
	cb.aio_sigevent.sigev_notify = SIGEV_NONE;
	for (int round = 0; round < 2; round++) {
		if ((round == 0 ? aio_write(&cb) : aio_read(&cb)) != 0) {
			child_say("stress: FAIL [fork child]: submission refused\n");
			return 1;
		}
		const struct aiocb *list[1] = { &cb };
		while (aio_error(&cb) == EINPROGRESS)
			aio_suspend(list, 1, NULL);
		if (aio_error(&cb) != 0 || aio_return(&cb) != BLOCK) {
			child_say("stress: FAIL [fork child]: request failed\n");
			return 1;
		}
		cb.aio_buf = in;
	}
	char text[128];
	if (block_check(in, 63, 1, 7, text, sizeof text)) {
		child_say("stress: FAIL [fork child]: read back the wrong data\n");
		return 1;
	}
	close(fd);
	return 0;
}

static void
maybe_fork(struct worker *w, double *next_fork)
{
	double t = now();
	if (!fork_enabled || w->index != 0 || t < *next_fork)
		return;
	*next_fork = t + 0.2 + below(w, 600) / 1000.0;
	bool was_busy[SLOTS];
	for (int i = 0; i < SLOTS; i++)
		was_busy[i] = w->slots[i].busy;
	pid_t pid = fork();
	if (pid == 0)
		_exit(child_main(w, was_busy));
	if (pid < 0) {
		report(w, &w->corrupt, "fork: %s", strerror(errno));
		return;
	}
	w->forks++;
	int status;
	while (waitpid(pid, &status, 0) == -1) {
		if (errno != EINTR) {
			report(w, &w->corrupt, "waitpid: %s", strerror(errno));
			return;
		}
	}
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		report(w, &w->corrupt, "fork child ended with status %#x%s", status,
		       WIFSIGNALED(status) && WTERMSIG(status) == SIGALRM ? " (it hung)" : "");
}

/* --- the submitting threads ---------------------------------------------------- */

static void
stream_drain(struct worker *w, struct stream *st)
{
	/* Every record written and not read is still in the pipe: read it. */
	int flags = fcntl(st->rfd, F_GETFL);
	fcntl(st->rfd, F_SETFL, flags | O_NONBLOCK);
	unsigned char record[REC];
	for (;;) {
		ssize_t n = read(st->rfd, record, sizeof record);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && errno == EAGAIN)
			break;
		if (n != REC) {
			report(w, &w->corrupt, "stream %d: draining read %zd (%s)", st->id, n,
			       n < 0 ? strerror(errno) : "short");
			break;
		}
		int64_t seq = record_check(record, st->id);
		if (seq < 0 || (uint64_t)seq < st->base || (uint64_t)seq >= st->written_claimed ||
		    st->seen[seq % (4 * STREAM_WINDOW)]) {
			report(w, &w->corrupt, "stream %d: bad or repeated record %lld left over", st->id,
			       (long long)seq);
			break;
		}
		st->seen[seq % (4 * STREAM_WINDOW)] = 1;
		while (st->seen[st->base % (4 * STREAM_WINDOW)]) {
			st->seen[st->base % (4 * STREAM_WINDOW)] = 0;
			st->base++;
		}
	}
	if (st->base != st->written_claimed || st->written_ok != st->written_claimed)
		report(w, &w->lost, "stream %d: %llu records written, %llu completed, %llu arrived",
		       st->id, (unsigned long long)st->written_claimed, (unsigned long long)st->written_ok,
		       (unsigned long long)st->base);
}

static void *
worker_main(void *arg)
{
	struct worker *w = arg;
	double next_fork = now() + 0.1;

	atomic_store(&w->tid, (pid_t)syscall(SYS_gettid));
	while (!atomic_load(&stop_submitting)) {
		maybe_fork(w, &next_fork);
		if (busy_count(w) < SLOTS - 4)
			submit_batch(w);
		if (below(w, 6) == 0)
			random_cancel(w);
		wait_and_retire(w);
	}
	while (busy_count(w) > 0)
		wait_and_retire(w);
	for (int i = 0; i < 2; i++)
		stream_drain(w, &w->streams[i]);
	atomic_store(&w->finished, true);
	return NULL;
}

/* --- storm and watchdog ----------------------------------------------------------- */

static void *
storm_main(void *arg)
{
	uint64_t r = seed ^ 0x5707;
	while (!atomic_load(&stop_storm)) {
		for (int burst = 0; burst < 64; burst++) {
			r = mix(r);
			struct worker *w = &workers[r % nthreads];
			if (pthread_kill(w->thread, SIG_STORM) == 0)
				atomic_fetch_add(&storm_signals, 1);
			pause_ns(20000);
		}
		pause_ns(2000000);
	}
	return NULL;
}

static void
totals(unsigned long *requests, unsigned long *lost, unsigned long *duplicated,
       unsigned long *corrupt, unsigned long *cancelled)
{
	*requests = *lost = *duplicated = *corrupt = *cancelled = 0;
	for (int t = 0; t < nthreads; t++) {
		struct worker *w = &workers[t];
		*requests += w->accepted;
		*lost += w->lost;
		*duplicated += w->duplicated;
		*corrupt += w->corrupt;
		*cancelled += w->cancelled;
	}
	*duplicated += atomic_load(&stale_notes);
	*corrupt += atomic_load(&bad_si_code);
}

static int hang_seconds = 60;

static void *
watchdog_main(void *arg)
{
	unsigned long last = atomic_load(&progress);
	double last_change = now();
	double limit = start_time + seconds + 10 * hang_seconds;
	for (;;) {
		pause_ns(250000000);
		if (atomic_load(&all_done))
			return NULL;
		unsigned long p = atomic_load(&progress);
		double t = now();
		if (p != last) {
			last = p;
			last_change = t;
		}
		bool stuck = t - last_change > hang_seconds;
		if (!stuck && t < limit)
			continue;
		/* A hang: say what is stuck, then fail. */
		fprintf(stderr, "stress: HANG: %s; what is still in flight:\n",
			stuck ? "no request finished for a long time" : "the run overran its time");
		unsigned long in_flight = 0;
		for (int k = 0; k < nthreads; k++) {
			struct worker *w = &workers[k];
			for (int i = 0; i < SLOTS; i++) {
				struct slot *s = &w->slots[i];
				if (!s->busy)
					continue;
				in_flight++;
				fprintf(stderr, "  thread %d slot %d: %s fd %d, %zu bytes at %lld, by %s, "
					"for %.1f s, aio_error %d, notifications %u\n",
					k, i, kind_name[s->kind], s->cb.aio_fildes, s->cb.aio_nbytes,
					(long long)s->cb.aio_offset, method_name[s->method], t - s->submitted,
					aio_error(&s->cb), atomic_load(&s->note.count));
			}
			for (int i = 0; i < LISTS; i++)
				if (w->lists[i].busy)
					fprintf(stderr, "  thread %d list %d: %d requests left, notifications %u\n",
						k, i, w->lists[i].remaining, atomic_load(&w->lists[i].note.count));
		}
		struct aio_posix_stats st;
		if (aio_posix_get_stats(&st, sizeof st) == 0)
			fprintf(stderr, "  library: in_flight %llu, threads %llu, completed %llu, cancelled %llu\n",
				st.in_flight, st.threads, st.completed, st.cancelled);
		unsigned long requests, lost, duplicated, corrupt, cancelled;
		totals(&requests, &lost, &duplicated, &corrupt, &cancelled);
		printf("stress: %lu requests, %lu lost, %lu duplicated, %lu corrupt, %lu cancelled\n",
		       requests, lost + in_flight, duplicated, corrupt, cancelled);
		fflush(stdout);
		_exit(2);
	}
}

/* --- setup and the end --------------------------------------------------------- */

static int
temp_file(void)
{
	const char *dir = getenv("TMPDIR");
	char path[PATH_MAX];
	snprintf(path, sizeof path, "%s/aio-posix-stress-XXXXXX", dir && *dir ? dir : "/tmp");
	int fd = mkstemp(path);
	if (fd < 0) {
		perror("stress: mkstemp");
		exit(1);
	}
	unlink(path);
	return fd;
}

static void
handle(int signo, void (*handler)(int), void (*action)(int, siginfo_t *, void *))
{
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sigemptyset(&sa.sa_mask);
	if (action) {
		sa.sa_sigaction = action;
		sa.sa_flags = SA_SIGINFO;	/* no SA_RESTART: let calls see EINTR */
	} else {
		sa.sa_handler = handler;
	}
	sigaction(signo, &sa, NULL);
}

static void
usage(void)
{
	fprintf(stderr, "usage: stress [-t threads (1-%d)] [-s seconds] [-f files (1-%d)] [-b backend]\n"
			"              [-S seed] [-F 0|1 (fork)] [-v]\n", MAX_THREADS, MAX_FILES);
	exit(64);
}

/* Check every block of every file against the model. */
static void
verify_files(void)
{
	unsigned char *buffer = malloc(BLOCK);
	char text[256];
	for (int t = 0; t < nthreads; t++) {
		struct worker *w = &workers[t];
		for (int f = 0; f < nfiles; f++)
			for (int b = 0; b < BPT; b++) {
				if (pread(files[f], buffer, BLOCK, block_offset(w, b)) != BLOCK) {
					report(w, &w->corrupt, "final pread of file %d: %s", f, strerror(errno));
					continue;
				}
				if (block_check(buffer, f, t * BPT + b, w->stable[f][b], text, sizeof text))
					report(w, &w->corrupt, "at the end: %s", text);
			}
	}
	free(buffer);
}

/* The library's own count must agree with ours. */
static void
verify_stats(unsigned long requests, unsigned long notes_expected)
{
	struct aio_posix_stats st;
	double deadline = now() + 10;
	do {
		if (aio_posix_get_stats(&st, sizeof st) != 0) {
			report(NULL, NULL, "aio_posix_get_stats: %s", strerror(errno));
			return;
		}
		if (st.in_flight == 0 && st.completed + st.cancelled >= requests &&
		    st.notifications >= notes_expected)
			break;
		pause_ns(1000000);
	} while (now() < deadline);
	if (verbose)
		printf("stress: library: backend %s, %llu reads, %llu writes, %llu syncs, %llu completed "
		       "(%llu failed), %llu cancelled, %llu notifications, peak %llu in flight, "
		       "peak %llu threads\n", st.backend, st.reads, st.writes, st.syncs, st.completed,
		       st.failed, st.cancelled, st.notifications, st.peak_in_flight, st.peak_threads);
	struct worker *w0 = &workers[0];
	if (st.in_flight != 0)
		report(NULL, &w0->lost, "the library still counts %llu requests in flight", st.in_flight);
	if (st.completed + st.cancelled != requests)
		report(NULL, st.completed + st.cancelled < requests ? &w0->lost : &w0->duplicated,
		       "the library finished %llu requests (%llu completed, %llu cancelled), we submitted %lu",
		       st.completed + st.cancelled, st.completed, st.cancelled, requests);
	if (st.reads + st.writes + st.syncs != requests)
		report(NULL, &w0->corrupt, "the library counted %llu submissions, we made %lu",
		       st.reads + st.writes + st.syncs, requests);
	if (st.notifications != notes_expected)
		report(NULL, st.notifications < notes_expected ? &w0->lost : &w0->duplicated,
		       "the library counted %llu notifications, we expected %lu", st.notifications,
		       notes_expected);
	const char *cap = getenv("AIO_POSIX_MAX_REQUESTS");
	/* The library enforces its cap on its own count, under its lock; the
	 * statistics' in_flight lags behind completion a little, so their peak
	 * may overshoot the cap by a few.  Worth a note, not a failure. */
	if (cap && *cap && st.peak_in_flight > strtoull(cap, NULL, 10))
		printf("stress: note: statistics show a peak of %llu in flight, AIO_POSIX_MAX_REQUESTS=%s\n",
		       st.peak_in_flight, cap);
	snprintf(backend_ran, sizeof backend_ran, "%s", st.backend);
}

int
main(int argc, char **argv)
{
	int opt;
	seed = (uint64_t)time(NULL) ^ (uint64_t)getpid() << 20;
	while ((opt = getopt(argc, argv, "t:s:f:b:S:F:vh")) != -1) {
		switch (opt) {
		case 't': nthreads = atoi(optarg); break;
		case 's': seconds = atof(optarg); break;
		case 'f': nfiles = atoi(optarg); break;
		case 'b': backend = optarg; break;
		case 'S': seed = strtoull(optarg, NULL, 0); break;
		case 'F': fork_enabled = atoi(optarg); break;
		case 'v': verbose = 1; break;
		default: usage();
		}
	}
	if (optind != argc || nthreads < 1 || nthreads > MAX_THREADS || nfiles < 1 ||
	    nfiles > MAX_FILES || !(seconds >= 0))
		usage();
	if (getenv("STRESS_HANG_SECONDS"))
		hang_seconds = atoi(getenv("STRESS_HANG_SECONDS"));
	/* The library reads its environment at its first use, which is below. */
	if (backend)
		setenv("AIO_POSIX_BACKEND", backend, 1);
	setvbuf(stdout, NULL, _IOLBF, 0);

	handle(SIG_NOTE, NULL, on_note_signal);
	handle(SIG_NOTE_TID, NULL, on_note_signal);
	handle(SIG_STORM, on_storm, NULL);
	signal(SIGPIPE, SIG_IGN);
	pthread_attr_init(&small_stack);
	pthread_attr_setstacksize(&small_stack, 256 * 1024);

	workers = calloc(nthreads, sizeof *workers);
	unsigned char *block = malloc(BLOCK);
	for (int f = 0; f < nfiles; f++) {
		files[f] = temp_file();
		for (int b = 0; b < nthreads * BPT; b++) {
			block_fill(block, f, b, 0);
			if (pwrite(files[f], block, BLOCK, (off_t)b * BLOCK) != BLOCK) {
				perror("stress: pwrite");
				return 1;
			}
		}
	}
	free(block);
	for (int t = 0; t < nthreads; t++) {
		struct worker *w = &workers[t];
		w->index = t;
		w->random = mix(seed + (uint64_t)t * 7919);
		for (int i = 0; i < SLOTS; i++) {
			w->slots[i].buffer = malloc((size_t)MAX_RUN * BLOCK);
			w->slots[i].list = -1;
		}
		int p[2], sp[2];
		if (pipe(p) || socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sp)) {
			perror("stress: pipe/socketpair");
			return 1;
		}
		w->streams[0] = (struct stream){ .rfd = p[0], .wfd = p[1], .id = 2 * t + 1 };
		w->streams[1] = (struct stream){ .rfd = sp[0], .wfd = sp[1], .id = 2 * t + 2 };
		w->nop.aio_lio_opcode = LIO_NOP;
	}

	/* Which backend runs?  (The first call sets the library up.) */
	struct aio_posix_stats st;
	if (aio_posix_get_stats(&st, sizeof st) == 0 && backend && strcmp(backend, "auto") != 0 &&
	    strcmp(backend, st.backend) != 0) {
		/* The statistics may name the backend only once it has run. */
		struct aiocb probe = { .aio_fildes = files[0], .aio_buf = &st, .aio_nbytes = 1 };
		probe.aio_sigevent.sigev_notify = SIGEV_NONE;
		const struct aiocb *list[1] = { &probe };
		if (aio_read(&probe) == 0 && ++probes)
			while (aio_error(&probe) == EINPROGRESS)
				aio_suspend(list, 1, NULL);
		aio_posix_get_stats(&st, sizeof st);
		if (strcmp(backend, st.backend) != 0) {
			printf("stress: backend %s requested, the library runs %s: skipped\n", backend, st.backend);
			return 77;
		}
	}
	printf("stress: %d threads, %g s, %d files, seed %#llx, fork %s, AIO_POSIX_BACKEND=%s\n", nthreads,
	       seconds, nfiles, (unsigned long long)seed, fork_enabled ? "on" : "off",
	       getenv("AIO_POSIX_BACKEND") ? getenv("AIO_POSIX_BACKEND") : "(unset)");

	start_time = now();
	pthread_t watchdog, storm;
	sigset_t all, old;
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);		/* helpers take no signals */
	pthread_create(&watchdog, NULL, watchdog_main, NULL);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	for (int t = 0; t < nthreads; t++)
		pthread_create(&workers[t].thread, NULL, worker_main, &workers[t]);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	pthread_create(&storm, NULL, storm_main, NULL);
	pthread_sigmask(SIG_SETMASK, &old, NULL);

	while (now() - start_time < seconds)
		pause_ns(10000000);
	atomic_store(&stop_submitting, true);
	for (int t = 0; t < nthreads; t++)
		while (!atomic_load(&workers[t].finished))
			pause_ns(1000000);
	atomic_store(&stop_storm, true);
	pthread_join(storm, NULL);
	for (int t = 0; t < nthreads; t++)
		pthread_join(workers[t].thread, NULL);

	/* Late duplicates: give them a moment to show. */
	pause_ns(100000000);
	unsigned long notes_expected = 0, requests_made = probes;
	for (int t = 0; t < nthreads; t++) {
		struct worker *w = &workers[t];
		notes_expected += w->notes_expected;
		requests_made += w->accepted;
		for (int i = 0; i < SLOTS; i++) {
			struct slot *s = &w->slots[i];
			unsigned c = atomic_load(&s->note.count);
			if (c > (s->notifies ? 1u : 0u))
				report(w, &w->duplicated, "slot %d: %u notifications for its last request", i, c);
		}
		for (int i = 0; i < LISTS; i++)
			if (atomic_load(&w->lists[i].note.count) > 1)
				report(w, &w->duplicated, "list %d: duplicate notification", i);
	}
	verify_files();
	verify_stats(requests_made, notes_expected);
	atomic_store(&all_done, true);
	pthread_join(watchdog, NULL);

	unsigned long requests, lost, duplicated, corrupt, cancelled;
	totals(&requests, &lost, &duplicated, &corrupt, &cancelled);
	if (verbose) {
		unsigned long k[5] = { 0 }, m[M_COUNT] = { 0 }, lw = 0, ln = 0, cancels = 0, forks = 0,
			      refused = 0, interrupted = 0;
		for (int t = 0; t < nthreads; t++) {
			struct worker *w = &workers[t];
			for (int i = 0; i < 5; i++)
				k[i] += w->kinds[i];
			for (int i = 0; i < M_COUNT; i++)
				m[i] += w->methods[i];
			lw += w->lists_wait;
			ln += w->lists_nowait;
			cancels += w->cancels;
			forks += w->forks;
			refused += w->refused;
			interrupted += w->interrupted;
		}
		printf("stress: %lu reads, %lu writes, %lu fsyncs, %lu stream reads, %lu stream writes; "
		       "%lu LIO_WAIT and %lu LIO_NOWAIT lists; %lu cancel calls, %lu forks, %lu refused, "
		       "%lu calls interrupted, %lu storm signals sent, %lu handled; methods:",
		       k[K_READ], k[K_WRITE], k[K_FSYNC], k[K_SREAD], k[K_SWRITE], lw, ln, cancels, forks,
		       refused, interrupted, atomic_load(&storm_signals), atomic_load(&storm_handled));
		for (int i = 0; i < M_COUNT; i++)
			printf(" %s %lu", method_name[i], m[i]);
		printf("\n");
	}
	printf("stress: backend %s\n", backend_ran);
	printf("stress: %lu requests, %lu lost, %lu duplicated, %lu corrupt, %lu cancelled\n", requests,
	       lost, duplicated, corrupt, cancelled);
	return lost || duplicated || corrupt || atomic_load(&messages) ? 1 : 0;
}
