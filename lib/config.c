/* config.c: the pool's tunables, from the environment and aio_init.
 *
 * Environment, read once at first use:
 *   AIO_POSIX_THREADS       most worker threads (1..4096, default 64)
 *   AIO_POSIX_IDLE_SECONDS  how long an idle worker lingers (0..86400,
 *                           default 1)
 * A bad value is reported once on stderr and the default is kept.
 * aio_init (a glibc extension) sets the same two, from aio_threads and
 * aio_idle_time, whenever it is called; values out of range are ignored.
 */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>

#include "engine.h"

#define MAX_THREADS_LIMIT 4096
#define IDLE_SECONDS_LIMIT 86400

struct config config = {
	.max_threads = 64,
	.idle_seconds = 1,
};

static void
read_number(const char *name, int low, int high, int *value)
{
	const char *text = getenv(name);
	if (!text)
		return;
	char *end;
	errno = 0;
	long number = strtol(text, &end, 10);
	if (errno || end == text || *end != '\0' || number < low || number > high) {
		fprintf(stderr, "aio-posix: ignoring %s=%s (want a whole number from %d to %d); using %d\n",
			name, text, low, high, *value);
		return;
	}
	*value = (int)number;
}

void
config_load_environment(void)
{
	read_number("AIO_POSIX_THREADS", 1, MAX_THREADS_LIMIT, &config.max_threads);
	read_number("AIO_POSIX_IDLE_SECONDS", 0, IDLE_SECONDS_LIMIT, &config.idle_seconds);
}

AIO_EXPORT void
aio_init(const struct aioinit *init)
{
	ABI_FORGET_NONNULL(init);
	engine_init();
	if (!init)
		return;
	pthread_mutex_lock(&engine_lock);
	if (init->aio_threads >= 1 && init->aio_threads <= MAX_THREADS_LIMIT)
		config.max_threads = init->aio_threads;
	if (init->aio_idle_time >= 0 && init->aio_idle_time <= IDLE_SECONDS_LIMIT)
		config.idle_seconds = init->aio_idle_time;
	pthread_mutex_unlock(&engine_lock);
}
