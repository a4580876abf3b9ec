/* fault.c: the fault points of fault.h, in builds that have them.
 *
 * The rules are read from AIO_POSIX_FAULTS once; each point keeps an atomic
 * call counter, so the Kth call is well defined across threads.  A bad rule
 * is reported on stderr and ignored.
 */
#include "config.h"

#include "fault.h"

#ifdef AIO_POSIX_FAULT_INJECTION

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum rule_kind { RULE_NONE, RULE_EVERY, RULE_ONCE, RULE_AFTER };

struct rule {
	enum rule_kind kind;
	unsigned long k;
	unsigned long calls;
};

static const char *const point_names[FAULT_POINTS] = {
	[FAULT_THREAD_CREATE] = "thread_create",
	[FAULT_ALLOC] = "alloc",
	[FAULT_SIGNAL_QUEUE] = "signal_queue",
	[FAULT_FUTEX_WAIT] = "futex_wait",
	[FAULT_URING_SETUP] = "uring_setup",
	[FAULT_URING_SUBMIT] = "uring_submit",
};

static struct rule rules[FAULT_POINTS];
static pthread_once_t rules_once = PTHREAD_ONCE_INIT;

static bool
parse_rule(const char *item)
{
	const char *equals = strchr(item, '=');
	if (!equals)
		return false;
	size_t name_length = (size_t)(equals - item);
	for (int p = 0; p < FAULT_POINTS; p++) {
		if (strlen(point_names[p]) != name_length || strncmp(item, point_names[p], name_length))
			continue;
		static const struct { const char *name; enum rule_kind kind; } kinds[] = {
			{ "every:", RULE_EVERY }, { "once:", RULE_ONCE }, { "after:", RULE_AFTER },
		};
		for (size_t k = 0; k < sizeof kinds / sizeof kinds[0]; k++) {
			size_t n = strlen(kinds[k].name);
			if (strncmp(equals + 1, kinds[k].name, n) != 0)
				continue;
			char *end;
			unsigned long value = strtoul(equals + 1 + n, &end, 10);
			if (*end != '\0' || (kinds[k].kind != RULE_AFTER && value == 0))
				return false;
			rules[p] = (struct rule){ .kind = kinds[k].kind, .k = value };
			return true;
		}
		return false;
	}
	return false;
}

static void
load_rules(void)
{
	const char *text = getenv("AIO_POSIX_FAULTS");
	if (!text)
		return;
	char copy[512];
	snprintf(copy, sizeof copy, "%s", text);
	char *saved;
	for (char *item = strtok_r(copy, ",", &saved); item; item = strtok_r(NULL, ",", &saved))
		if (!parse_rule(item))
			fprintf(stderr, "aio-posix: ignoring fault rule '%s'\n", item);
}

bool
fault_now(enum fault_point point)
{
	pthread_once(&rules_once, load_rules);
	struct rule *r = &rules[point];
	if (r->kind == RULE_NONE)
		return false;
	unsigned long call = __atomic_add_fetch(&r->calls, 1, __ATOMIC_RELAXED);
	switch (r->kind) {
	case RULE_EVERY:
		return call % r->k == 0;
	case RULE_ONCE:
		return call == r->k;
	case RULE_AFTER:
		return call > r->k;
	default:
		return false;
	}
}

#endif
