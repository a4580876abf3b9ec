/* callback: be told of finished POSIX aio requests by a function call.
 *
 * Each request asks for SIGEV_THREAD: when it finishes, the aio
 * implementation calls sigev_notify_function(sigev_value) on a new thread.
 * Callbacks may run at the same time as each other and as the main thread,
 * so what they share is guarded by a mutex; unlike a signal handler, a
 * callback may use any function.  Here each callback adds its request's
 * bytes to a total and wakes the main thread when the last one is in.
 *
 * Built against the system <aio.h> and libc only, like any program.
 */
#include <aio.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define REQUESTS 6
#define BLOCK 8192

static struct aiocb cbs[REQUESTS];
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t all_done = PTHREAD_COND_INITIALIZER;
static int finished, failed;
static long total;

static void
on_completion(union sigval value)
{
	struct aiocb *cb = value.sival_ptr;
	int error = aio_error(cb);
	ssize_t n = aio_return(cb);

	pthread_mutex_lock(&lock);
	if (error == 0)
		total += n;
	else
		failed++;
	if (++finished == REQUESTS)
		pthread_cond_signal(&all_done);
	pthread_mutex_unlock(&lock);
}

int
main(void)
{
	static char data[REQUESTS * BLOCK], blocks[REQUESTS][BLOCK];
	FILE *file = tmpfile();
	if (!file) {
		perror("callback: tmpfile");
		return 1;
	}
	memset(data, 'x', sizeof data);
	if (pwrite(fileno(file), data, sizeof data, 0) != (ssize_t)sizeof data) {
		perror("callback: pwrite");
		return 1;
	}

	for (int i = 0; i < REQUESTS; i++) {
		cbs[i].aio_fildes = fileno(file);
		cbs[i].aio_buf = blocks[i];
		cbs[i].aio_nbytes = BLOCK;
		cbs[i].aio_offset = (off_t)i * BLOCK;
		cbs[i].aio_sigevent.sigev_notify = SIGEV_THREAD;
		cbs[i].aio_sigevent.sigev_notify_function = on_completion;
		cbs[i].aio_sigevent.sigev_notify_attributes = NULL;
		cbs[i].aio_sigevent.sigev_value.sival_ptr = &cbs[i];
		if (aio_read(&cbs[i]) != 0) {
			perror("callback: aio_read");
			return 1;
		}
	}
	printf("callback: %d reads in flight, each to call on_completion()\n", REQUESTS);

	pthread_mutex_lock(&lock);
	while (finished < REQUESTS)
		pthread_cond_wait(&all_done, &lock);
	pthread_mutex_unlock(&lock);

	printf("callback: %d callbacks ran, %d failed, %ld bytes read\n",
	       finished, failed, total);
	return failed != 0 || total != (long)sizeof data;
}
