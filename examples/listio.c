/* listio: queue many POSIX aio requests in one call with lio_listio().
 *
 * LIO_WAIT: the call returns when every request of the list has finished.
 * Here it writes a file in BLOCKS blocks at once.
 *
 * LIO_NOWAIT: the call returns once the requests are queued; the struct
 * sigevent given to lio_listio() itself then reports when the whole list is
 * done (each aiocb's own aio_sigevent still reports its own request).  Here
 * it reads the file back in blocks, and the list's SIGEV_THREAD callback
 * tells the main thread.
 *
 * Either way, if any request fails, lio_listio() reports EIO (for LIO_WAIT,
 * in its return value) and each aiocb tells its own result.
 *
 * Built against the system <aio.h> and libc only, like any program.
 */
#include <aio.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#define BLOCKS 16
#define BLOCK 4096

static char out[BLOCKS][BLOCK], in[BLOCKS][BLOCK];
static struct aiocb writes[BLOCKS], reads[BLOCKS];

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t changed = PTHREAD_COND_INITIALIZER;
static int reads_done;

static void
list_done(union sigval value)
{
	pthread_mutex_lock(&lock);
	reads_done = 1;
	pthread_cond_signal(&changed);
	pthread_mutex_unlock(&lock);
}

/* Fill list with one request per block of buffers. */
static void
prepare(struct aiocb *cbs, struct aiocb *list[], char buffers[][BLOCK], int fd, int opcode)
{
	for (int i = 0; i < BLOCKS; i++) {
		memset(&cbs[i], 0, sizeof cbs[i]);
		cbs[i].aio_fildes = fd;
		cbs[i].aio_lio_opcode = opcode;
		cbs[i].aio_buf = buffers[i];
		cbs[i].aio_nbytes = BLOCK;
		cbs[i].aio_offset = (off_t)i * BLOCK;
		cbs[i].aio_sigevent.sigev_notify = SIGEV_NONE;
		list[i] = &cbs[i];
	}
}

static int
count_good(struct aiocb *cbs)
{
	int good = 0;
	for (int i = 0; i < BLOCKS; i++)
		good += aio_error(&cbs[i]) == 0 && aio_return(&cbs[i]) == BLOCK;
	return good;
}

int
main(void)
{
	struct aiocb *list[BLOCKS];
	FILE *file = tmpfile();
	if (!file) {
		perror("listio: tmpfile");
		return 1;
	}
	int fd = fileno(file);
	for (int i = 0; i < BLOCKS; i++)
		memset(out[i], 'A' + i, BLOCK);

	/* 1. LIO_WAIT: write every block, wait for all. */
	prepare(writes, list, out, fd, LIO_WRITE);
	if (lio_listio(LIO_WAIT, list, BLOCKS, NULL) != 0) {
		perror("listio: lio_listio(LIO_WAIT)");	/* EIO: see each aiocb */
		return 1;
	}
	printf("listio: LIO_WAIT: %d of %d writes done when it returned\n",
	       count_good(writes), BLOCKS);

	/* 2. LIO_NOWAIT: read every block back; a callback says when. */
	prepare(reads, list, in, fd, LIO_READ);
	struct sigevent when_done;
	memset(&when_done, 0, sizeof when_done);
	when_done.sigev_notify = SIGEV_THREAD;
	when_done.sigev_notify_function = list_done;
	if (lio_listio(LIO_NOWAIT, list, BLOCKS, &when_done) != 0) {
		perror("listio: lio_listio(LIO_NOWAIT)");
		return 1;
	}
	pthread_mutex_lock(&lock);
	while (!reads_done)
		pthread_cond_wait(&changed, &lock);
	pthread_mutex_unlock(&lock);
	printf("listio: LIO_NOWAIT: the list's callback ran; %d of %d reads done\n",
	       count_good(reads), BLOCKS);

	int same = memcmp(in, out, sizeof in) == 0;
	printf("listio: the file reads back %s\n", same ? "as written" : "WRONG");
	return !same;
}
