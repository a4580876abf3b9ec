/* poll: wait for POSIX aio requests by polling aio_error().
 *
 * The simplest way to learn that a request has finished: ask.  aio_error()
 * returns EINPROGRESS while the request is in flight, then 0 or an error
 * number; aio_return() then gives what write() or read() would have.  The
 * program writes a block to a temporary file, then reads it back, polling
 * each time.  Polling burns CPU; sleep a little between looks, or see
 * suspend.c for a wait that sleeps until something finishes.
 *
 * Built against the system <aio.h> and libc only, like any program.
 */
#include <aio.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define SIZE 65536

/* Poll until the request on cb has finished; return its result. */
static ssize_t
wait_by_polling(struct aiocb *cb, const char *what)
{
	int error;
	while ((error = aio_error(cb)) == EINPROGRESS) {
		struct timespec pause = { 0, 100000 };	/* 0.1 ms */
		nanosleep(&pause, NULL);
	}
	ssize_t result = aio_return(cb);
	if (error != 0) {
		fprintf(stderr, "poll: %s failed: %s\n", what, strerror(error));
		exit(1);
	}
	return result;
}

int
main(void)
{
	static char out[SIZE], in[SIZE];
	FILE *file = tmpfile();
	if (!file) {
		perror("poll: tmpfile");
		return 1;
	}
	for (int i = 0; i < SIZE; i++)
		out[i] = (char)(i * 7);

	struct aiocb cb;
	memset(&cb, 0, sizeof cb);	/* no notification: SIGEV_NONE is 0... */
	cb.aio_sigevent.sigev_notify = SIGEV_NONE;	/* ...but say it anyway */
	cb.aio_fildes = fileno(file);
	cb.aio_buf = out;
	cb.aio_nbytes = SIZE;
	cb.aio_offset = 0;
	if (aio_write(&cb) != 0) {
		perror("poll: aio_write");
		return 1;
	}
	printf("poll: wrote %zd bytes\n", wait_by_polling(&cb, "aio_write"));

	/* The aiocb is ours again after aio_return: reuse it for the read. */
	cb.aio_buf = in;
	if (aio_read(&cb) != 0) {
		perror("poll: aio_read");
		return 1;
	}
	printf("poll: read %zd bytes\n", wait_by_polling(&cb, "aio_read"));
	printf("poll: the data read back is %s\n",
	       memcmp(in, out, SIZE) == 0 ? "the data written" : "WRONG");
	return memcmp(in, out, SIZE) != 0;
}
