/* notify.c: completion notification.
 *
 * Everything a delivery needs is copied from the struct sigevent when the
 * request is submitted: the application may reuse the aiocb, its sigevent
 * and its pthread_attr_t as soon as the call returns, and delivery must not
 * fail for want of memory.  Delivery happens after the result is published
 * (POSIX: when the signal arrives, aio_error already reports completion) and
 * never under a lock (finish.c calls it for each finished request).
 *
 * SIGEV_SIGNAL and SIGEV_THREAD_ID queue a siginfo with si_code SI_ASYNCIO,
 * si_pid, si_uid and si_value, to the process or to one thread.  Signal
 * number 0 means no signal: a zeroed aiocb asks for nothing.
 * SIGEV_THREAD starts a detached thread per notification.  The application's
 * attributes are copied at submission and forced detached, so a joinable
 * attribute leaks nothing.  The thread starts with no signal blocked unless
 * the attributes set a mask, as an application's own thread would (the
 * workers that create it block everything).
 *
 * Two kinds of libaio-posix's own (<aio-posix.h>): SIGEV_AIO_EVENTFD adds 1
 * to the caller's eventfd, written through a private duplicate taken at
 * submission (eventfd.c), so a descriptor closed and reused meanwhile is
 * never written; SIGEV_AIO_QUEUE holds a place in its completion queue,
 * taken at submission, so that posting never fails.
 * A request's own entry is posted by collect_request_finished, with its
 * result; a lio_listio list's, here.  The flag SIGEV_AIO_PRIVATE says who
 * collects a request, not how it is notified: it is collect.c's business.
 */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#include <linux/futex.h>

#include "aio-posix.h"
#include "collect.h"
#include "completion-queue.h"
#include "eventfd.h"
#include "fault.h"
#include "lock.h"
#include "notify.h"
#include "support.h"

struct thread_callback {
	void (*function)(union sigval);
	union sigval value;
	pthread_attr_t *attributes;	/* owned; NULL: the defaults below */
};

static pthread_attr_t default_attributes;
static pthread_once_t default_once = PTHREAD_ONCE_INIT;
static bool default_usable;

static void
init_default_attributes(void)
{
	sigset_t none;
	sigemptyset(&none);
	default_usable = pthread_attr_init(&default_attributes) == 0 &&
		pthread_attr_setdetachstate(&default_attributes, PTHREAD_CREATE_DETACHED) == 0 &&
		pthread_attr_setsigmask_np(&default_attributes, &none) == 0;
}

/* pthread_attr_t has no copy function; copy what it can say, field by field.
 * A stack address is not copied: one stack cannot serve several
 * notification threads at once. */
static int
copy_attributes(pthread_attr_t *copy, const pthread_attr_t *from)
{
	size_t size;
	int value;
	struct sched_param param;
	cpu_set_t cpus;
	sigset_t mask;

	if (pthread_attr_init(copy) != 0)
		return ENOMEM;
	int rc = 0;
	if (rc == 0 && pthread_attr_getstacksize(from, &size) == 0)
		rc = pthread_attr_setstacksize(copy, size);
	if (rc == 0 && pthread_attr_getguardsize(from, &size) == 0)
		rc = pthread_attr_setguardsize(copy, size);
	if (rc == 0 && pthread_attr_getinheritsched(from, &value) == 0)
		rc = pthread_attr_setinheritsched(copy, value);
	if (rc == 0 && pthread_attr_getschedpolicy(from, &value) == 0)
		rc = pthread_attr_setschedpolicy(copy, value);
	if (rc == 0 && pthread_attr_getschedparam(from, &param) == 0)
		rc = pthread_attr_setschedparam(copy, &param);
	if (rc == 0 && pthread_attr_getscope(from, &value) == 0)
		rc = pthread_attr_setscope(copy, value);
	if (rc == 0 && pthread_attr_getaffinity_np(from, sizeof cpus, &cpus) == 0 &&
	    CPU_COUNT(&cpus) > 0 && CPU_COUNT(&cpus) < CPU_SETSIZE)
		rc = pthread_attr_setaffinity_np(copy, sizeof cpus, &cpus);
	if (rc == 0) {
		int got = pthread_attr_getsigmask_np(from, &mask);
		if (got == PTHREAD_ATTR_NO_SIGMASK_NP)
			sigemptyset(&mask);
		rc = pthread_attr_setsigmask_np(copy, &mask);
	}
	if (rc == 0)
		rc = pthread_attr_setdetachstate(copy, PTHREAD_CREATE_DETACHED);
	if (rc != 0) {
		pthread_attr_destroy(copy);
		return rc == ENOMEM ? ENOMEM : EINVAL;
	}
	return 0;
}

static bool
signal_number_valid(int signo)
{
	return signo >= 0 && signo < NSIG;
}

int
notification_prepare(struct notification *n, const struct sigevent *event)
{
	*n = (struct notification){ .kind = SIGEV_NONE, .event_fd = -1 };
	if (!event)
		return 0;
	int kind = event->sigev_notify & ~SIGEV_AIO_PRIVATE;
	switch (kind) {
	case SIGEV_NONE:
		return 0;
	case SIGEV_SIGNAL:
		if (!signal_number_valid(event->sigev_signo))
			return EINVAL;
		break;
	case SIGEV_THREAD_ID:
		if (!signal_number_valid(event->sigev_signo) || event->sigev_notify_thread_id <= 0)
			return EINVAL;
		/* The thread must belong to this process. */
		if (syscall(SYS_tgkill, getpid(), event->sigev_notify_thread_id, 0) != 0)
			return EINVAL;
		n->thread_id = event->sigev_notify_thread_id;
		break;
	case SIGEV_THREAD: {
		if (!event->sigev_notify_function)
			return EINVAL;
		struct thread_callback *cb = FAULT(FAULT_ALLOC) ? NULL : calloc(1, sizeof *cb);
		if (!cb)
			return EAGAIN;
		cb->function = event->sigev_notify_function;
		cb->value = event->sigev_value;
		if (event->sigev_notify_attributes) {
			cb->attributes = FAULT(FAULT_ALLOC) ? NULL : malloc(sizeof *cb->attributes);
			int rc = cb->attributes ? copy_attributes(cb->attributes,
					event->sigev_notify_attributes) : ENOMEM;
			if (rc != 0) {
				free(cb->attributes);
				free(cb);
				return rc == ENOMEM ? EAGAIN : rc;
			}
		}
		n->callback = cb;
		break;
	}
	case SIGEV_AIO_EVENTFD:
		n->event_fd = eventfd_acquire(event->sigev_notify_eventfd);
		if (n->event_fd < 0)
			return EINVAL;
		break;
	case SIGEV_AIO_QUEUE: {
		int error;
		n->queue = completion_queue_tie(event->sigev_notify_queue, &error);
		if (!n->queue)
			return error;
		break;
	}
	default:
		return EINVAL;
	}
	n->kind = kind;
	n->signal_number = event->sigev_signo;
	n->value = event->sigev_value;
	return 0;
}

static void *
callback_main(void *arg)
{
	struct thread_callback *cb = arg;
	void (*function)(union sigval) = cb->function;
	union sigval value = cb->value;
	free(cb);
	function(value);
	return NULL;
}

static void
run_callback(struct thread_callback *cb)
{
	pthread_attr_t *attributes = cb->attributes;
	pthread_t thread;

	pthread_once(&default_once, init_default_attributes);
	if (!attributes && default_usable)
		attributes = &default_attributes;
	cb->attributes = NULL;	/* the thread frees cb, not the attributes */
	int rc = attributes && !FAULT(FAULT_THREAD_CREATE)
		? pthread_create(&thread, attributes, callback_main, cb) : EAGAIN;
	if (rc != 0 && attributes != &default_attributes && default_usable &&
	    !FAULT(FAULT_THREAD_CREATE))
		rc = pthread_create(&thread, &default_attributes, callback_main, cb);
	if (rc != 0) {
		/* No thread to be had: run it here rather than lose it. */
		callback_main(cb);
	}
	if (attributes && attributes != &default_attributes) {
		pthread_attr_destroy(attributes);
		free(attributes);
	}
}

static long
send_signal(const struct notification *n, siginfo_t *info)
{
	if (FAULT(FAULT_SIGNAL_QUEUE)) {
		errno = EAGAIN;		/* as when the kernel's signal queue is full */
		return -1;
	}
	if (n->kind == SIGEV_THREAD_ID)
		return syscall(SYS_rt_tgsigqueueinfo, info->si_pid, n->thread_id,
			       n->signal_number, info);
	return syscall(SYS_rt_sigqueueinfo, info->si_pid, n->signal_number, info);
}

/* Signals the kernel's queue had no room for (EAGAIN, up to
 * RLIMIT_SIGPENDING), retried by a thread of the library's own, every
 * millisecond for about a second each, in order, then dropped, as the
 * kernel itself would drop a signal that cannot be queued.  Retrying on the
 * completing thread would hold back every other completion meanwhile, so
 * it does so only when the retry thread or the memory to queue the signal
 * for it cannot be had: slower, but nothing lost.
 * retry_lock guards the list; retry_wake is the futex the thread sleeps on. */
struct pending_signal {
	struct pending_signal *next;
	struct notification notification;
	siginfo_t info;
};

#define RETRY_ATTEMPTS 1000

/* Send, retrying every millisecond while the kernel's queue is full. */
static void
send_with_retries(const struct notification *n, siginfo_t *info)
{
	for (int attempt = 0; attempt < RETRY_ATTEMPTS; attempt++) {
		if (send_signal(n, info) == 0 || errno != EAGAIN)
			return;
		struct timespec pause = { 0, 1000000 };	/* 1 ms */
		nanosleep(&pause, NULL);
	}
}

static struct lock retry_lock = LOCK_INIT;
static struct pending_signal *retry_head, **retry_tail = &retry_head;
static int retry_wake;
static bool retry_started;

static void *
retry_main(void *unused)
{
	for (;;) {
		lock_take(&retry_lock);
		struct pending_signal *p = retry_head;
		lock_give(&retry_lock);
		if (!p) {
			int seen = __atomic_load_n(&retry_wake, __ATOMIC_ACQUIRE);
			lock_take(&retry_lock);
			bool empty = retry_head == NULL;
			lock_give(&retry_lock);
			if (empty)
				syscall(SYS_futex, &retry_wake, FUTEX_WAIT_PRIVATE, seen, NULL, NULL, 0);
			continue;
		}
		send_with_retries(&p->notification, &p->info);
		lock_take(&retry_lock);
		__atomic_store_n(&retry_head, p->next, __ATOMIC_RELAXED);
		if (!p->next)
			retry_tail = &retry_head;
		lock_give(&retry_lock);
		free(p);
	}
	return NULL;
}

void notify_after_fork_child(void);

static void
retry_later(const struct notification *n, siginfo_t *info)
{
	struct pending_signal *p = FAULT(FAULT_ALLOC) ? NULL : malloc(sizeof *p);
	if (!p) {
		send_with_retries(n, info);
		return;
	}
	p->next = NULL;
	p->notification = *n;
	p->info = *info;
	lock_take(&retry_lock);
	if (!retry_started) {
		retry_started = library_thread_start(retry_main, NULL) == 0;
		static bool fork_handled;
		if (retry_started && !fork_handled)
			fork_handled = pthread_atfork(NULL, NULL, notify_after_fork_child) == 0;
	}
	if (!retry_started) {
		lock_give(&retry_lock);
		send_with_retries(n, info);
		free(p);
		return;
	}
	__atomic_store_n(retry_tail, p, __ATOMIC_RELAXED);
	retry_tail = &p->next;
	lock_give(&retry_lock);
	__atomic_add_fetch(&retry_wake, 1, __ATOMIC_RELEASE);
	syscall(SYS_futex, &retry_wake, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
}

/* Queue a signal; if the kernel's queue is full, leave it to the retry
 * thread.  So that signals keep their order, a signal also waits its turn
 * there while earlier ones are still pending. */
static void
queue_signal(const struct notification *n)
{
	siginfo_t info = { 0 };
	info.si_signo = n->signal_number;
	info.si_code = SI_ASYNCIO;
	info.si_pid = getpid();
	info.si_uid = getuid();
	info.si_value = n->value;

	if (__atomic_load_n(&retry_head, __ATOMIC_RELAXED) == NULL &&
	    (send_signal(n, &info) == 0 || errno != EAGAIN))
		return;
	retry_later(n, &info);
}

void
notify_after_fork_child(void)
{
	/* The retry thread and its signals were the parent's. */
	lock_reset(&retry_lock);
	__atomic_store_n(&retry_head, NULL, __ATOMIC_RELAXED);
	retry_tail = &retry_head;
	retry_started = false;
}

void
notification_deliver(struct notification *n)
{
	switch (n->kind) {
	case SIGEV_SIGNAL:
	case SIGEV_THREAD_ID:
		if (n->signal_number != 0) {
			queue_signal(n);
			STATS_ADD(notifications, 1);
		}
		break;
	case SIGEV_THREAD:
		run_callback(n->callback);
		n->callback = NULL;
		STATS_ADD(notifications, 1);
		break;
	case SIGEV_AIO_EVENTFD:
		eventfd_signal(n->event_fd);
		eventfd_release(n->event_fd);
		n->event_fd = -1;
		STATS_ADD(notifications, 1);
		break;
	case SIGEV_AIO_QUEUE:
		/* A request's entry is posted already, with its result. */
		if (n->ticket.domain != COLLECT_QUEUE)
			completion_queue_post(n->queue, UINT32_MAX, NULL, 0, 0, n->value);
		n->queue = NULL;
		STATS_ADD(notifications, 1);
		break;
	}
	n->kind = SIGEV_NONE;
}

void
notification_discard(struct notification *n)
{
	if (n->kind == SIGEV_THREAD && n->callback) {
		if (n->callback->attributes) {
			pthread_attr_destroy(n->callback->attributes);
			free(n->callback->attributes);
		}
		free(n->callback);
		n->callback = NULL;
	}
	if (n->kind == SIGEV_AIO_EVENTFD)
		eventfd_release(n->event_fd);
	if (n->kind == SIGEV_AIO_QUEUE) {
		completion_queue_untie(n->queue, n->ticket.domain == COLLECT_QUEUE ? n->ticket.slot
									  : UINT32_MAX);
		n->queue = NULL;
	}
	collect_release(n);
	n->kind = SIGEV_NONE;
}
