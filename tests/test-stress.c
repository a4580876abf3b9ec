/* test-stress: many threads submit mixed reads, writes and fsyncs on shared
 * files at once; every request succeeds and every byte read or left in the
 * files is the one expected.
 *
 * Each thread owns a disjoint region of every file and keeps a model of its
 * bytes.  It works in batches: within a batch no two requests of the thread
 * overlap where one of them writes, so the expected bytes of every read are
 * known when it is submitted.  Batches are waited for with aio_suspend. */
#define _GNU_SOURCE
#include "io-util.h"

#include <pthread.h>

enum {
	THREADS = 8,
	REQUESTS_PER_THREAD = 500,
	FILES = 4,
	REGION = 64 * 1024,
	MAX_LENGTH = 8192,
	MAX_BATCH = 24,
};

static int files[FILES];
static pthread_barrier_t start_line;

struct op {
	struct aiocb cb;
	int kind;		/* 0 read, 1 write, 2 fsync */
	int file;
	size_t start;		/* within the thread's region */
	size_t length;
	unsigned char *buffer;
};

struct worker {
	int index;
	uint64_t random;
	unsigned char *model[FILES];
	unsigned generation;
	int done;
	int reads, writes, fsyncs;
	char failure[512];
};

static uint64_t
next_random(struct worker *w)
{
	/* xorshift64* */
	uint64_t x = w->random;
	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	w->random = x;
	return x * UINT64_C(2685821657736338717);
}

static unsigned
below(struct worker *w, unsigned bound)
{
	return (unsigned)(next_random(w) % bound);
}

#define FAIL(w, ...)                                                            \
	do {                                                                    \
		snprintf((w)->failure, sizeof (w)->failure, __VA_ARGS__);       \
		goto out;                                                       \
	} while (0)

static int
conflicts(const struct op *ops, int count, int kind, int file, size_t start, size_t length)
{
	for (int i = 0; i < count; i++) {
		if (ops[i].kind == 2 || ops[i].file != file)
			continue;
		if (ops[i].kind == 0 && kind == 0)
			continue;
		if (start < ops[i].start + ops[i].length && ops[i].start < start + length)
			return 1;
	}
	return 0;
}

static void *
work(void *arg)
{
	struct worker *w = arg;
	struct op *ops = calloc(MAX_BATCH, sizeof *ops);
	const struct aiocb *pending[MAX_BATCH];
	const off_t base = (off_t)w->index * REGION;

	pthread_barrier_wait(&start_line);
	if (ops == NULL) {
		snprintf(w->failure, sizeof w->failure, "out of memory");
		return NULL;
	}
	for (int i = 0; i < MAX_BATCH; i++) {
		ops[i].buffer = malloc(MAX_LENGTH);
		if (ops[i].buffer == NULL)
			FAIL(w, "out of memory");
	}

	while (w->done < REQUESTS_PER_THREAD) {
		int batch = 1 + (int)below(w, MAX_BATCH);
		if (batch > REQUESTS_PER_THREAD - w->done)
			batch = REQUESTS_PER_THREAD - w->done;

		for (int i = 0; i < batch; i++) {
			struct op *op = &ops[i];
			unsigned roll = below(w, 100);
			op->kind = roll < 45 ? 0 : roll < 90 ? 1 : 2;
			op->file = (int)below(w, FILES);
			op->start = op->length = 0;
			if (op->kind != 2) {
				int tries = 0;
				do {
					op->start = below(w, REGION);
					size_t room = REGION - op->start;
					op->length = 1 + below(w, MAX_LENGTH);
					if (op->length > room)
						op->length = room;
				} while (conflicts(ops, i, op->kind, op->file, op->start, op->length) &&
					 ++tries < 16);
				if (tries == 16)
					op->kind = 2;
			}

			int fd = files[op->file];
			off_t at = base + (off_t)op->start;
			int rc;
			switch (op->kind) {
			case 0:
				memset(op->buffer, 0xee, op->length);
				test_prepare(&op->cb, fd, op->buffer, op->length, at);
				rc = aio_read(&op->cb);
				w->reads++;
				break;
			case 1: {
				unsigned seed = (unsigned)w->index * 1000003u + ++w->generation;
				test_pattern_fill(op->buffer, op->length, seed, (uint64_t)at);
				/* No request of this batch overlaps it: the model
				 * can take the new bytes now. */
				memcpy(w->model[op->file] + op->start, op->buffer, op->length);
				test_prepare(&op->cb, fd, op->buffer, op->length, at);
				op->cb.aio_reqprio = (int)below(w, AIO_PRIO_DELTA_MAX + 1);
				rc = aio_write(&op->cb);
				w->writes++;
				break;
			}
			default:
				test_prepare(&op->cb, fd, NULL, 0, 0);
				rc = aio_fsync(below(w, 2) ? O_SYNC : O_DSYNC, &op->cb);
				w->fsyncs++;
				break;
			}
			if (rc != 0)
				FAIL(w, "thread %d: submission %d (kind %d) failed: %s", w->index,
				     w->done + i, op->kind, strerror(errno));
		}

		for (;;) {
			int n = 0;
			for (int i = 0; i < batch; i++)
				if (aio_error(&ops[i].cb) == EINPROGRESS)
					pending[n++] = &ops[i].cb;
			if (n == 0)
				break;
			if (aio_suspend(pending, n, NULL) != 0 && errno != EINTR)
				FAIL(w, "thread %d: aio_suspend: %s", w->index, strerror(errno));
		}

		for (int i = 0; i < batch; i++) {
			struct op *op = &ops[i];
			int error = aio_error(&op->cb);
			ssize_t result = aio_return(&op->cb);
			ssize_t expected = op->kind == 2 ? 0 : (ssize_t)op->length;
			if (error != 0 || result != expected)
				FAIL(w, "thread %d: request %d (kind %d, file %d, at %zu, %zu bytes): "
				     "error %d, return %zd, expected 0 and %zd", w->index, w->done + i,
				     op->kind, op->file, op->start, op->length, error, result, expected);
			if (op->kind == 0 &&
			    memcmp(op->buffer, w->model[op->file] + op->start, op->length) != 0)
				FAIL(w, "thread %d: read %d (file %d, at %zu, %zu bytes) got wrong bytes",
				     w->index, w->done + i, op->file, op->start, op->length);
		}
		w->done += batch;
	}
out:
	for (int i = 0; i < MAX_BATCH; i++)
		free(ops[i].buffer);
	free(ops);
	return NULL;
}

START_TEST(test_threads_mixed_requests)
{
	static struct worker workers[THREADS];
	pthread_t threads[THREADS];

	for (int f = 0; f < FILES; f++) {
		files[f] = test_temp_file();
		/* Every region exists (zeros), so no read is ever short. */
		ck_assert_int_eq(ftruncate(files[f], (off_t)THREADS * REGION), 0);
	}
	ck_assert_int_eq(pthread_barrier_init(&start_line, NULL, THREADS), 0);
	for (int t = 0; t < THREADS; t++) {
		struct worker *w = &workers[t];
		memset(w, 0, sizeof *w);
		w->index = t;
		w->random = UINT64_C(0x9e3779b97f4a7c15) * (uint64_t)(t + 1);
		for (int f = 0; f < FILES; f++) {
			w->model[f] = calloc(REGION, 1);
			ck_assert_ptr_nonnull(w->model[f]);
		}
	}
	for (int t = 0; t < THREADS; t++)
		ck_assert_int_eq(pthread_create(&threads[t], NULL, work, &workers[t]), 0);
	for (int t = 0; t < THREADS; t++)
		ck_assert_int_eq(pthread_join(threads[t], NULL), 0);
	pthread_barrier_destroy(&start_line);

	int reads = 0, writes = 0, fsyncs = 0;
	for (int t = 0; t < THREADS; t++) {
		ck_assert_msg(workers[t].failure[0] == '\0', "%s", workers[t].failure);
		ck_assert_int_eq(workers[t].done, REQUESTS_PER_THREAD);
		reads += workers[t].reads;
		writes += workers[t].writes;
		fsyncs += workers[t].fsyncs;
	}
	/* The mix really was mixed. */
	ck_assert_int_gt(reads, 0);
	ck_assert_int_gt(writes, 0);
	ck_assert_int_gt(fsyncs, 0);

	/* The files hold exactly what the models say. */
	unsigned char *back = malloc(REGION);
	ck_assert_ptr_nonnull(back);
	for (int t = 0; t < THREADS; t++)
		for (int f = 0; f < FILES; f++) {
			io_pread_all(files[f], back, REGION, (off_t)t * REGION);
			ck_assert_msg(memcmp(back, workers[t].model[f], REGION) == 0,
				      "file %d, region of thread %d differs from its model", f, t);
			free(workers[t].model[f]);
		}
	free(back);
	for (int f = 0; f < FILES; f++)
		close(files[f]);
}
END_TEST

static Suite *
stress_suite(void)
{
	Suite *s = suite_create("stress");
	TCase *tc = io_tcase(s, "threads", 300);
	tcase_add_test(tc, test_threads_mixed_requests);
	return s;
}

int
main(void)
{
	return test_run_suite(stress_suite());
}
