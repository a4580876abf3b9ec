/* queue.h: per-fd queues and their ordering rules (queue.c), for core.c.
 *
 * Every function here is called with the fd's shard locked, and every
 * request and queue it touches belongs to that shard.
 */
#ifndef AIO_POSIX_QUEUE_H
#define AIO_POSIX_QUEUE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "lock.h"
#include "request.h"

struct fd_queue {
	int fd;				/* the application's number */
	enum {
		FD_BAD,			/* fd was not open: io_fd is -1 */
		FD_BORROWED,		/* io_fd is the application's fd */
		FD_DUPLICATE,		/* io_fd is our duplicate */
		FD_UNPROTECTED,		/* no duplicate could be made: io_fd
					 * is the application's fd */
	} fd_kind;
	int io_fd;			/* what requests run on */
	dev_t device;			/* of the file, from fstat at creation */
	ino64_t inode;
	bool in_map;			/* false once detached as stale */
	bool stream;			/* neither a regular file nor a block device */
	int checked_lane;		/* the lane, epoch and time of the last check */
	unsigned checked_epoch;
	int64_t checked_time;		/* coarse clock, in CHECK_TICK_NS units */
	int reserved;			/* places held by a lio_listio being admitted */
	struct fd_queue *next_in_bucket;
	unsigned long next_sequence;
	struct list outstanding;	/* every request not finished, in order */
	struct list read_fifo;		/* stream reads; the head may be running */
	struct list write_fifo;		/* stream and O_APPEND writes, likewise */
	struct list unfinished_writes;	/* every write not finished, in order */
	struct list barrier_waiting;	/* fsyncs held back by earlier writes */
};

#define SHARDS 64

struct shard {
	struct lock lock;
	struct fd_queue **buckets;
	size_t bucket_count;		/* a power of two, or 0 */
	size_t queue_count;
} __attribute__((aligned(64)));

extern struct shard shards[SHARDS];

static inline struct shard *
shard_of(int fd)
{
	return &shards[(unsigned)fd % SHARDS];
}

/* Lock a shard, counting a wait in the statistics when it was held. */
void shard_lock(struct shard *shard);
static inline void shard_unlock(struct shard *shard) { lock_give(&shard->lock); }

/* The live queue of fd, checked once per flush epoch of the lane that asks
 * (streams at every call); a stale one is detached on the way.  NULL: none. */
struct fd_queue *queue_find(struct shard *shard, int fd, int lane);
/* The same, creating the queue if there is none; NULL when out of memory. */
struct fd_queue *queue_get(struct shard *shard, int fd, int lane);
/* Free the queue if nothing holds it any more. */
void queue_release_if_idle(struct shard *shard, struct fd_queue *q);

/* Queue a request admitted on req->queue and start it if the fd's rules
 * let it run.  within_call: if it starts now it is handed on before the
 * submitting call returns (so it may use the application's fd itself).
 * Lanes that now hold started requests are added to *flush (a bit each). */
void queue_enqueue(struct request *req, bool within_call, unsigned *flush);
/* Take a finished or cancelled request out of its queue and start the fd's
 * requests it held back; the queue itself is released by the caller. */
void queue_dequeue(struct request *req, unsigned *flush);
/* Start a request again, on a backend (a polled read whose data another
 * reader took). */
void queue_restart(struct request *req, unsigned *flush);

/* A fork child: every queue and every request in them goes; each request
 * is passed to forget first.  No lock: only this thread exists. */
void queue_forget_all(void (*forget)(struct request *req));

#endif
