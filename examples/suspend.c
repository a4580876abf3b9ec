/* suspend: wait for POSIX aio requests with aio_suspend().
 *
 * Several reads of one file are in flight at once.  aio_suspend() sleeps
 * until at least one of the listed requests has finished (or a signal
 * arrives, or the timeout expires), and the program then collects every
 * finished request and takes it off the list (a NULL entry is ignored).
 * It goes on until the list is empty.
 *
 * Built against the system <aio.h> and libc only, like any program.
 */
#include <aio.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define REQUESTS 8
#define BLOCK 16384

int
main(void)
{
	static char data[REQUESTS * BLOCK], blocks[REQUESTS][BLOCK];
	FILE *file = tmpfile();
	if (!file) {
		perror("suspend: tmpfile");
		return 1;
	}
	for (size_t i = 0; i < sizeof data; i++)
		data[i] = (char)(i / BLOCK + 'a');
	if (pwrite(fileno(file), data, sizeof data, 0) != (ssize_t)sizeof data) {
		perror("suspend: pwrite");
		return 1;
	}

	struct aiocb cbs[REQUESTS];
	const struct aiocb *waiting[REQUESTS];
	memset(cbs, 0, sizeof cbs);
	for (int i = 0; i < REQUESTS; i++) {
		cbs[i].aio_fildes = fileno(file);
		cbs[i].aio_buf = blocks[i];
		cbs[i].aio_nbytes = BLOCK;
		cbs[i].aio_offset = (off_t)i * BLOCK;
		if (aio_read(&cbs[i]) != 0) {
			perror("suspend: aio_read");
			return 1;
		}
		waiting[i] = &cbs[i];
	}
	printf("suspend: %d reads of %d bytes in flight\n", REQUESTS, BLOCK);

	int left = REQUESTS, good = 0;
	while (left > 0) {
		struct timespec timeout = { 10, 0 };
		if (aio_suspend(waiting, REQUESTS, &timeout) != 0) {
			if (errno == EINTR)
				continue;	/* a signal: look again */
			perror("suspend: aio_suspend");	/* EAGAIN: timed out */
			return 1;
		}
		for (int i = 0; i < REQUESTS; i++) {
			if (!waiting[i] || aio_error(waiting[i]) == EINPROGRESS)
				continue;
			int error = aio_error(&cbs[i]);
			ssize_t n = aio_return(&cbs[i]);
			if (error == 0 && n == BLOCK && blocks[i][0] == 'a' + i &&
			    blocks[i][BLOCK - 1] == 'a' + i)
				good++;
			waiting[i] = NULL;
			left--;
		}
	}
	printf("suspend: %d of %d blocks read back correctly\n", good, REQUESTS);
	return good != REQUESTS;
}
