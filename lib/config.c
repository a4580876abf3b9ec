/* config.c: the library's settings, from the environment and aio_init
 * (init.c).
 *
 * Every setting the library reads from the environment is in the table
 * below, with its range and default; aio-posix(7) documents the same list.
 * Two variables are not settings and are read elsewhere: AIO_POSIX_FAULTS
 * (fault.c, fault-injection builds only) and AIO_POSIX_SHOW_CONFIG
 * (init.c).  They are
 * read once, at first use.  A bad value gets a one-line warning on stderr
 * and the default: never a crash, never a silently odd setting.
 * aio_init (a glibc extension) sets max_threads and idle_seconds from
 * aio_threads and aio_idle_time whenever it is called (relaxed atomic
 * stores: the pool reads them without a lock); values out of range
 * are ignored there, as glibc does.
 *
 * config_print writes the settings, one per line, to stdout: init.c does it
 * when the library is loaded with AIO_POSIX_SHOW_CONFIG set.
 */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "support.h"

struct config config = {
	.max_threads = 64,
	.idle_seconds = 1,
	.max_requests = 1 << 20,
	.backend = BACKEND_AUTO,
	.stats_at_exit = false,
	.verbose = false,
};

static const char *const backend_names[] = {
	[BACKEND_AUTO] = "auto",
	[BACKEND_THREADS] = "threads",
	[BACKEND_URING] = "uring",
};

enum origin { FROM_DEFAULT, FROM_ENVIRONMENT, FROM_INVALID };

struct variable {
	const char *name;
	const char *meaning;
	int *number;			/* a whole number in [low, high] ... */
	int low, high;
	bool *flag;			/* ... or 0/1 ... */
	int *choice;			/* ... or one of choices */
	const char *const *choices;
	int choice_count;
	enum origin origin;
};

static struct variable variables[] = {
	{ "AIO_POSIX_THREADS", "most worker threads",
	  .number = &config.max_threads, .low = 1, .high = 4096 },
	{ "AIO_POSIX_IDLE_SECONDS", "seconds an idle worker lingers",
	  .number = &config.idle_seconds, .low = 0, .high = 86400 },
	{ "AIO_POSIX_MAX_REQUESTS", "most requests in flight",
	  .number = &config.max_requests, .low = 1, .high = 1 << 24 },
	{ "AIO_POSIX_BACKEND", "where requests run", .choice = &config.backend,
	  .choices = backend_names, .choice_count = 3 },
	{ "AIO_POSIX_STATS", "print statistics at exit", .flag = &config.stats_at_exit },
	{ "AIO_POSIX_VERBOSE", "say what the library chose, at first use", .flag = &config.verbose },
};
#define VARIABLE_COUNT (sizeof variables / sizeof variables[0])

static bool
parse(struct variable *v, const char *text)
{
	if (v->choice) {
		for (int i = 0; i < v->choice_count; i++) {
			if (strcmp(text, v->choices[i]) == 0) {
				*v->choice = i;
				return true;
			}
		}
		return false;
	}
	char *end;
	errno = 0;
	long number = strtol(text, &end, 10);
	if (errno || end == text || *end != '\0')
		return false;
	if (v->flag) {
		if (number != 0 && number != 1)
			return false;
		*v->flag = number == 1;
		return true;
	}
	if (number < v->low || number > v->high)
		return false;
	*v->number = (int)number;
	return true;
}

static void
describe_expected(const struct variable *v, char *text, size_t size)
{
	if (v->choice) {
		snprintf(text, size, "one of auto, threads, uring");
	} else if (v->flag) {
		snprintf(text, size, "0 or 1");
	} else {
		snprintf(text, size, "a whole number from %d to %d", v->low, v->high);
	}
}

static void
describe_value(const struct variable *v, char *text, size_t size)
{
	if (v->choice)
		snprintf(text, size, "%s", v->choices[*v->choice]);
	else if (v->flag)
		snprintf(text, size, "%d", *v->flag ? 1 : 0);
	else
		snprintf(text, size, "%d", *v->number);
}

void
config_load_environment(void)
{
	for (size_t i = 0; i < VARIABLE_COUNT; i++) {
		struct variable *v = &variables[i];
		const char *text = getenv(v->name);
		if (!text) {
			v->origin = FROM_DEFAULT;
			continue;
		}
		if (parse(v, text)) {
			v->origin = FROM_ENVIRONMENT;
			continue;
		}
		char expected[64], value[32];
		describe_expected(v, expected, sizeof expected);
		describe_value(v, value, sizeof value);
		fprintf(stderr, "aio-posix: ignoring %s=%s (want %s); using %s\n",
			v->name, text, expected, value);
		v->origin = FROM_INVALID;
	}
}

void
config_print(void)
{
	for (size_t i = 0; i < VARIABLE_COUNT; i++) {
		const struct variable *v = &variables[i];
		static const char *const origins[] = {
			[FROM_DEFAULT] = "default",
			[FROM_ENVIRONMENT] = "environment",
			[FROM_INVALID] = "invalid: using default",
		};
		char value[32];
		describe_value(v, value, sizeof value);
		printf("%s=%s (%s; %s)\n", v->name, value, origins[v->origin], v->meaning);
	}
	fflush(stdout);
}

const char *
config_backend_name(int backend)
{
	return backend_names[backend];
}

void
config_set_pool(int threads, int idle_seconds)
{
	/* Read by the pool without a lock: single words, any value is valid. */
	if (threads >= 1 && threads <= variables[0].high)
		__atomic_store_n(&config.max_threads, threads, __ATOMIC_RELAXED);
	if (idle_seconds >= 0 && idle_seconds <= variables[1].high)
		__atomic_store_n(&config.idle_seconds, idle_seconds, __ATOMIC_RELAXED);
}
