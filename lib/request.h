/* request.h: the request, as every layer of the library sees it.
 *
 * The layers, each calling only the ones below it:
 *
 *   API        submit.c listio.c cancel.c stats.c init.c, the porting
 *              extensions' waits (waitcomplete.c, solaris.c), and compat.c
 *              (the *64 and older-version names)
 *   finish     finish.c: the core's finish hook, handed each finished
 *              request; it hands it to its collection domain, delivers
 *              its notification (notify.c) and counts lio_listio groups
 *   collecting collect.c (which domain collects a request) over the
 *              domains: record.c (aio_waitcomplete's and aio_waitn's),
 *              completion-queue.c, solaris-record.c; and eventfd.c
 *   core       core.c (admission, settling, cancellation, fork), over
 *              queue.c (per-fd queues and their ordering rules) and lane.c
 *              (submission lanes: staging, batching, places under the cap,
 *              request memory, the flusher); beside it, lock-free,
 *              status.c (aio_error, aio_return) and suspend.c
 *   backends   inline.c, uring.c with reap.c, poller.c, pool.c: one
 *              interface (backend.h, backend.c)
 *   below      publish.c (results and the aio_suspend futex), vectored.c
 *              (iovec arrays), waitpoint.c (the collecting waits'
 *              futexes), residency.c, report.c and counters.c (the
 *              statistics), threads.c, config.c (settings), fault.c
 *
 * A request's life: the API layer validates an aiocb into a struct request
 * (request_prepare) and hands it to the core (core.h).  The core tries the
 * inline backend, which may complete it in the caller's thread; otherwise
 * it queues the request on its fd, and when the fd's ordering rules allow,
 * starts it on a backend through its lane.  A backend reports the end of a
 * request through the core's completion function (backend.h); the core
 * settles it under its queue's lock and passes it up through the finish
 * hook.
 */
#ifndef AIO_POSIX_REQUEST_H
#define AIO_POSIX_REQUEST_H

#include <aio.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/uio.h>

#include "abi.h"
#include "list.h"

/* Which domain collects a request once it has finished, beyond aio_error
 * and aio_return (collect.c), fixed at submission:
 *   COLLECT_PROCESS  the process-wide record: aio_waitcomplete and
 *                    aio_waitn return it (record.c);
 *   COLLECT_QUEUE    its completion queue: aio_queue_reap returns it
 *                    (completion-queue.c);
 *   COLLECT_SOLARIS  a request of aioread or aiowrite: aiowait returns it
 *                    (solaris-record.c);
 *   COLLECT_NONE     SIGEV_AIO_PRIVATE: only aio_error and aio_return. */
enum collect_domain {
	COLLECT_NONE,
	COLLECT_PROCESS,
	COLLECT_QUEUE,
	COLLECT_SOLARIS,
};

/* Which entry of its domain stands for a request.  For COLLECT_PROCESS the
 * record's slot, the slot's generation when it was claimed, and the shard
 * (the submitting lane's) it was claimed from; slot and generation,
 * packed, are the aiocb's collect ticket (abi.h).  For COLLECT_QUEUE, slot
 * is the request's place among its queue's tracked requests. */
struct collect_ticket {
	enum collect_domain domain;
	uint32_t slot;
	uint32_t generation;
	uint32_t shard;
};

/* Flags of a submission (submit_aiocb, request_prepare: api.h). */
enum request_flags {
	REQUEST_VECTORED = 1,		/* aio_iov, aio_iovcnt */
	REQUEST_AT_FILE_POSITION = 2,	/* at the fd's offset, which advances */
	REQUEST_SOLARIS = 4,		/* aioread, aiowrite: aiowait's own */
};

/* A private copy of a struct sigevent, made at submission so that delivery
 * never depends on memory the application may have reused, and never needs
 * to allocate.  Prepared and delivered by notify.c. */
struct notification {
	int kind;			/* SIGEV_NONE, _SIGNAL, _THREAD, _THREAD_ID,
					 * SIGEV_AIO_EVENTFD, SIGEV_AIO_QUEUE */
	int signal_number;
	union sigval value;
	pid_t thread_id;		/* SIGEV_THREAD_ID */
	struct thread_callback *callback; /* SIGEV_THREAD: owned */
	/* The porting extensions (collect.c): */
	int event_fd;			/* SIGEV_AIO_EVENTFD: a private duplicate */
	struct completion_queue *queue;	/* SIGEV_AIO_QUEUE: a reference */
	struct collect_ticket ticket;	/* the request's collection domain */
};

/* OP_MLOCK (aio_mlock) uses no file: mlock() in the pool (backend.c). */
enum request_op { OP_READ, OP_WRITE, OP_FSYNC, OP_DATASYNC, OP_MLOCK };

enum request_state {
	REQUEST_WAITING,	/* held back by its fd's ordering rules */
	REQUEST_READY,		/* handed to a backend, not started */
	REQUEST_RUNNING,	/* started: no longer cancellable */
};

/* Which backend holds a request that may run. */
enum request_home { HOME_NONE, HOME_URING, HOME_POLLER, HOME_POOL };

struct fd_queue;
struct list_group;

struct request {
	struct aiocb *aiocb;
	unsigned char op;		/* enum request_op */
	unsigned char state;		/* enum request_state: request_state() */
	unsigned char home;		/* enum request_home */
	bool append;			/* a write on an O_APPEND file description */
	bool direct;			/* on an O_DIRECT file description */
	bool in_order;			/* stream, O_APPEND write or at the file
					 * position: FIFO on its fd */
	bool stream;			/* read()/write() instead of pread()/pwrite() */
	bool polled;			/* a stream read served by readiness:
					 * its read() must not wait */
	bool orphaned;			/* cancelled in the ring: aio_cancel already
					 * finished it; its late completion only
					 * frees it */
	bool published;			/* atomic: the result is public already;
					 * the aiocb is the application's again */
	bool ring_done;			/* atomic: its completion queue entry
					 * was reaped (reap.c) */
	bool in_poller;			/* under the poller's lock: waiting there */
	bool settle_soon;		/* atomic: an fsync waits for this write */
	bool urgent;			/* released by a predecessor, or a stream:
					 * start it now, do not stage it */
	bool at_file_position;		/* FreeBSD's FOFFSET: read()/write() at
					 * the fd's offset, FIFO on its fd */
	int fd;				/* aio_fildes */
	int io_fd;			/* what the system call uses */
	int priority;			/* aio_reqprio: higher means served later */
	int owners;			/* atomic, of an orphan: canceller and ring */
	void *buffer;
	size_t length;			/* of a vectored request: the total */
	struct iovec *vector;		/* vectored (aio_readv): an owned copy of
					 * the aiocb's array, freed by
					 * request_free; or NULL */
	int vector_count;
	int64_t offset;			/* 64 bits wide on every ABI (abi.h) */
	unsigned long sequence;		/* submission order on its fd */
	struct fd_queue *queue;
	int lane;			/* the submission lane's index, -1: none */
	struct list queue_link;		/* fd_queue.outstanding */
	struct list order_link;		/* a FIFO, or fd_queue.barrier_waiting */
	struct list write_link;		/* fd_queue.unfinished_writes */
	struct list backend_link;	/* the pool's or the poller's lists */
	struct notification notification;
	struct list_group *group;	/* lio_listio, or NULL */
	struct abi_saved_state before;	/* the aiocb before submission */
	ssize_t result;			/* set by the backend before completion */
	int error;
	struct request *next;		/* free list, reaped list, staging stack */
};

/* The state is changed under the request's queue lock, but READY to
 * RUNNING by a pool worker under the pool's: single bytes, read and written
 * with relaxed atomics.  (The transitions that matter to a reader under the
 * queue lock, to and from WAITING, are all made under it.) */
static inline enum request_state
request_state(const struct request *req)
{
	return (enum request_state)__atomic_load_n(&req->state, __ATOMIC_RELAXED);
}

static inline void
request_set_state(struct request *req, enum request_state state)
{
	__atomic_store_n(&req->state, (unsigned char)state, __ATOMIC_RELAXED);
}

#endif
