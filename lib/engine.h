/* engine.h: what the modules of libaio-posix share.
 *
 * A request's life:
 *   submit.c / listio.c  validate an aiocb, build a struct request, mark the
 *                        aiocb in progress, and hand it to engine_admit().
 *   engine.c             keeps a queue per fd (in a hash map keyed by fd) and
 *                        decides when a request may run: at once for regular
 *                        files and block devices, in order for streams and
 *                        O_APPEND writes, after earlier writes for fsync.  A
 *                        request allowed to run goes to the backend.
 *   backend              the io_uring ring (uring.c) for files and block
 *                        devices when the kernel allows, else the thread
 *                        pool (pool.c); runs it and calls engine_finish().
 *   engine.c             publishes the result to the aiocb, lets the fd's
 *                        next requests run, wakes aio_suspend waiters, then
 *                        notification (notify.c) and the lio_listio group.
 *
 * One mutex, engine_lock, guards every queue, the fd map, and the backend's
 * own lists; see engine.c for the invariants.  The aiocb fields the
 * lock-free readers use are described in abi.h.
 */
#ifndef AIO_POSIX_ENGINE_H
#define AIO_POSIX_ENGINE_H

#include <aio.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include <sys/uio.h>

#include "abi.h"
#include "collect.h"

/* --- intrusive doubly linked lists ------------------------------------- */

struct list {
	struct list *prev, *next;
};

#define LIST_INIT(name) { &(name), &(name) }
#define container_of(ptr, type, member) \
	((type *)((char *)(ptr) - offsetof(type, member)))

static inline void list_init(struct list *l) { l->prev = l->next = l; }
static inline bool list_empty(const struct list *l) { return l->next == l; }
static inline void list_append(struct list *head, struct list *item)
{
	item->prev = head->prev;
	item->next = head;
	head->prev->next = item;
	head->prev = item;
}
static inline void list_remove(struct list *item)
{
	item->prev->next = item->next;
	item->next->prev = item->prev;
	item->prev = item->next = item;
}

/* --- notification (notify.c) -------------------------------------------- */

/* A private copy of a struct sigevent, made at submission so that delivery
 * never depends on memory the application may have reused, and never needs
 * to allocate. */
struct notification {
	int kind;			/* SIGEV_NONE, _SIGNAL, _THREAD, _THREAD_ID,
					 * SIGEV_AIO_EVENTFD, SIGEV_AIO_QUEUE */
	int signal_number;
	union sigval value;
	pid_t thread_id;		/* SIGEV_THREAD_ID */
	struct thread_callback *callback; /* SIGEV_THREAD: owned */
	/* Porting extensions (collect.h): */
	int event_fd;			/* SIGEV_AIO_EVENTFD: a private duplicate */
	struct completion_queue *queue;	/* SIGEV_AIO_QUEUE: a reference */
	struct collect_ticket ticket;	/* a request's collection domain */
};

/* Validate and copy; returns 0 or an errno value (EINVAL, ENOMEM, EAGAIN). */
int notification_prepare(struct notification *n, const struct sigevent *event);
/* Deliver, then release what prepare took.  Never called under engine_lock. */
void notification_deliver(struct notification *n);
/* Release without delivering. */
void notification_discard(struct notification *n);

/* --- requests ----------------------------------------------------------- */

/* OP_MLOCK (aio_mlock) has no file: it runs mlock() in the pool. */
enum request_op { OP_READ, OP_WRITE, OP_FSYNC, OP_DATASYNC, OP_MLOCK };

enum request_state {
	REQUEST_WAITING,	/* held back by its fd's ordering rules */
	REQUEST_READY,		/* handed to the backend, not started */
	REQUEST_RUNNING,	/* the backend started it: no longer cancellable */
};

struct fd_queue;
struct list_group;

struct request {
	struct aiocb *aiocb;
	enum request_op op;
	enum request_state state;
	int fd;				/* aio_fildes */
	int io_fd;			/* what the system call uses: the queue's duplicate */
	int priority;			/* aio_reqprio: higher means served later */
	bool append;			/* a write on an O_APPEND file description */
	bool direct;			/* on an O_DIRECT file description */
	bool in_order;			/* stream or O_APPEND write: FIFO on its fd */
	bool stream;			/* read()/write() instead of pread()/pwrite() */
	void *buffer;
	size_t length;			/* of a vectored request: the total */
	off_t offset;
	struct iovec *vector;		/* vectored (aio_readv): an owned copy of
					 * the aiocb's array, or NULL */
	int vector_count;
	bool at_file_position;		/* FreeBSD's FOFFSET: read()/write() at
					 * the fd's offset, FIFO on its fd */
	unsigned long sequence;		/* submission order on its fd */
	struct fd_queue *queue;
	struct list queue_link;		/* fd_queue.outstanding */
	struct list order_link;		/* a FIFO, or fd_queue.barrier_waiting */
	struct list write_link;		/* fd_queue.unfinished_writes */
	struct list backend_link;	/* the backend's own lists */
	struct notification notification;
	struct list_group *group;	/* lio_listio, or NULL */
	struct abi_saved_state before;	/* the aiocb before submission */
	bool in_ring;			/* submitted to io_uring */
	bool in_poller;			/* waiting for readiness (poller.c) */
	bool polled;			/* a stream read served by readiness:
					 * its read() must not wait */
	bool orphaned;			/* cancelled in the ring: aio_cancel already
					 * finished it; the reaper only frees it */
	bool published;			/* atomic: the result is public already
					 * (uring.c); engine_finish must not
					 * touch the aiocb, which is the
					 * application's again */
	int owners;			/* of an orphan: canceller and reaper */
	ssize_t result;			/* for engine_finish_many, and inline_try */
	int error;
	struct request *next_reaped;	/* uring.c's list of reaped requests */
};

/* lio_listio's shared state, on the heap so that an interrupted LIO_WAIT
 * leaves nothing pointing into its stack frame. */
struct list_group {
	int remaining;			/* requests not yet finished; futex word */
	int references;			/* one per request, plus the LIO_WAIT caller */
	bool waiter;			/* LIO_WAIT: wake the caller at zero */
	struct notification notification; /* LIO_NOWAIT: delivered at zero */
};

/* A request of the group has finished (listio.c); outside engine_lock. */
void list_group_request_done(struct list_group *group);
/* A fork child forgets a request of the group without finishing it. */
void list_group_forget(struct list_group *group);

/* --- engine (engine.c) -------------------------------------------------- */

extern pthread_mutex_t engine_lock;

/* Make sure the library is set up (config, fork handlers). */
void engine_init(void);

/* Move an fd the library keeps for itself high in the fd table, where an
 * application's next open() will not expect it; returns the new fd (the old
 * one is closed), or fd itself when it cannot be moved. */
int fd_move_high(int fd);

/* Admit requests, all or none: classifies each fd, queues, and starts what
 * may run.  Returns 0, or EAGAIN when the backend cannot take work now (then
 * nothing was queued and the caller still owns the requests). */
int engine_admit(struct request **requests, int count);
/* engine_admit in two steps: reserve can fail (EAGAIN) and queues nothing;
 * commit queues the first array and gives back the places of the second,
 * whose requests were completed at submission meanwhile. */
int engine_reserve(struct request **requests, int count);
void engine_commit(struct request **queued, int queued_count,
		   struct request **done, int done_count);

/* Completing at submission (inline.c): try the request with RWF_NOWAIT in
 * the caller's thread; true if it completed (then call inline_finish, and
 * free the request if it is on the heap). */
bool inline_try(struct request *req);
void inline_finish(struct request *req);
/* Is fd O_DIRECT?  A cached answer, refreshed now and then (inline.c). */
bool direct_hint(int fd);

/* Called by a backend when a request has run (error 0: result is valid). */
void engine_finish(struct request *req, ssize_t result, int error);
/* The same for up to ENGINE_FINISH_BATCH requests whose result and error
 * fields are set, under one hold of engine_lock. */
#define ENGINE_FINISH_BATCH 64
void engine_finish_many(struct request **requests, int count);
/* Requests uring.c published outside engine_lock, not yet finished: they
 * no longer count against AIO_POSIX_MAX_REQUESTS.  Raised before the
 * result is published. */
extern int engine_published_early;

/* aio_cancel's work; returns AIO_CANCELED, AIO_NOTCANCELED or AIO_ALLDONE. */
int engine_cancel(int fd, struct aiocb *aiocb);

/* Wake aio_suspend waiters (suspend.c). */
void suspend_wake_all(void);
/* Is any entry of list not in flight (finished, or never submitted)? */
bool suspend_any_done(const struct aiocb *const list[], int count);
/* Reset suspend state in a fork child. */
void suspend_after_fork_child(void);

struct request *request_new(void);
/* A request on the caller's stack: request_init; to the heap: request_move
 * (only while it is on no list). */
void request_init(struct request *req);
void request_move(struct request *to, const struct request *from);
void request_free(struct request *req);

/* Validate an aiocb and build its request (submit.c); NULL with errno set.
 * On success the aiocb is claimed: it reads EINPROGRESS from then on.
 * flags: enum request_flags (collect.h).  flags_cache, if not NULL, remembers {fd, F_GETFL flags} across calls
 * within one lio_listio; start it at {-2, 0}. */
struct request *request_from_aiocb(struct aiocb *cb, enum request_op op, unsigned flags,
				   int *flags_cache);
/* Give back a request that was never admitted: its aiocb is restored. */
void request_discard(struct request *req);

/* --- the backend: where a request runs ----------------------------------- */

/* The thread pool (pool.c).  All are called with engine_lock held.
 * pool_reserve makes sure a worker exists (0, or EAGAIN when none exists and
 * none can be created); after it, pool_start cannot fail: a worker only
 * leaves when no request is READY. */
int pool_reserve(void);
/* Start a detached thread of the library's own, every signal blocked, so
 * that signals meant for the application never land on it and its system
 * calls are never interrupted: 0 or EAGAIN. */
int library_thread_start(void *(*main)(void *));
void pool_start(struct request *req);
/* Take back a request that has not started; false if it already runs. */
bool pool_withdraw(struct request *req);
void pool_after_fork_child(void);

/* The poller (poller.c), for stream reads the ring does not take; under
 * engine_lock.  poller_start makes the request READY and waits for its fd
 * to be readable before handing it to the pool (false: no poller thread
 * could be started); poller_withdraw takes it back (false: not there). */
bool poller_start(struct request *req);
bool poller_withdraw(struct request *req);
/* Does the poller hold any request? */
bool poller_waiting(void);
void poller_after_fork_child(void);

/* The io_uring backend (uring.c), for regular files and block devices.
 * All under engine_lock.  uring_probe sets the ring up if the configuration
 * allows and the kernel agrees; uring_start takes a request (false: it is
 * the pool's); uring_flush submits what was started, in one system call. */
bool uring_probe(void);
/* Is the ring set up and in use?  Any thread, no lock. */
bool uring_active(void);
bool uring_start(struct request *req);
/* Call back a stream request from the ring; true if the kernel cancelled
 * it (its completion will come with ECANCELED). */
bool uring_cancel(struct request *req);
void uring_flush(void);
/* Under engine_lock: make every thread asleep in the ring look again (after
 * aio_cancel published a result without a completion of its own). */
void uring_wake_sleepers(void);
void uring_after_fork_child(void);

/* Reaping, by whoever needs a completion first (uring.c).  uring_reap and
 * uring_wait are async-signal-safe: they take no lock, they only publish
 * results and leave the rest of each request's completion to
 * uring_settle, which the backend's thread, or any caller that may take
 * engine_lock, runs. */
/* Publish what the ring has completed, if nobody else is doing it. */
void uring_reap(void);
/* aio_suspend's wait in the ring itself, when every entry of list still in
 * flight is in the ring: 0 (look again), EINTR, ETIMEDOUT, or ENOTSUP when
 * the caller must wait on the suspend futex instead. */
int uring_wait(const struct aiocb *const list[], int count, const struct timespec *deadline);
/* Finish the requests others have reaped (not async-signal-safe).  Whoever
 * calls uring_flush calls it after letting go of engine_lock. */
void uring_settle(void);
/* Both, for a caller that may take locks (lio_listio's wait). */
void uring_reap_and_settle(void);

/* Run one request's system call; returns the result or -errno. */
ssize_t request_execute(const struct request *req);

/* --- statistics (stats.c) ------------------------------------------------ */

/* Relaxed atomic counters; the fields match struct aio_posix_stats.  They
 * live where stats_live points: private memory, or memory shared with the
 * exit watcher (report.c). */
struct stats {
	unsigned long long reads, writes, syncs;
	unsigned long long completed, failed, cancelled, notifications;
	unsigned long long in_flight, peak_in_flight;
	unsigned long long threads, peak_threads;
	unsigned long long completed_at_submission;
	int backend;			/* enum backend */
};
extern struct stats *stats_live;

#define STATS_ADD(field, n) __atomic_add_fetch(&stats_live->field, (n), __ATOMIC_RELAXED)
#define STATS_PEAK(field, value) stats_raise_peak(&stats_live->field, (value))
void stats_raise_peak(unsigned long long *peak, unsigned long long value);
/* A request's result was published: it leaves in_flight for completed. */
static inline void
stats_count_completion(int error)
{
	STATS_ADD(completed, 1);
	if (error)
		STATS_ADD(failed, 1);
	STATS_ADD(in_flight, -1ULL);
}

/* --- reports (report.c) -------------------------------------------------- */

/* Before a process's first request: set up the exit report if asked. */
void report_first_request(void);
void report_after_fork_child(void);
/* At first use: the AIO_POSIX_VERBOSE line. */
void report_verbose_start(void);

/* --- configuration (config.c) ------------------------------------------- */

enum backend { BACKEND_AUTO, BACKEND_THREADS, BACKEND_URING };

struct config {
	int max_threads;		/* AIO_POSIX_THREADS, aio_init.aio_threads */
	int idle_seconds;		/* AIO_POSIX_IDLE_SECONDS, aio_init.aio_idle_time */
	int max_requests;		/* AIO_POSIX_MAX_REQUESTS */
	int backend;			/* AIO_POSIX_BACKEND: enum backend */
	bool stats_at_exit;		/* AIO_POSIX_STATS */
	bool verbose;			/* AIO_POSIX_VERBOSE */
};

/* Set once at first use; max_threads and idle_seconds also by aio_init,
 * under engine_lock. */
extern struct config config;
void config_load_environment(void);
const char *config_backend_name(int backend);

#endif
