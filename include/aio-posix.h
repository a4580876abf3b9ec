/* aio-posix.h: the extension API of libaio-posix.
 *
 * The POSIX functions themselves (aio_read, aio_write, aio_fsync, aio_error,
 * aio_return, aio_suspend, aio_cancel, lio_listio, their *64 twins and
 * aio_init) are declared by the system <aio.h>; include that for them.  This
 * header holds only what libaio-posix adds on top.
 */
#ifndef AIO_POSIX_H
#define AIO_POSIX_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The most entries lio_listio() accepts; one more fails with EINVAL.  glibc
 * sets no AIO_LISTIO_MAX (sysconf reports it as indeterminate), so this is
 * ours to choose. */
#define AIO_POSIX_LISTIO_MAX 65536

/* The library's version, "MAJOR.MINOR.PATCH".  Also a way for a program to
 * find out, through dlsym(RTLD_DEFAULT, "aio_posix_version"), whether it is
 * running under libaio-posix. */
const char *aio_posix_version(void);

/* Counters of this process's use of the library, since it started (or,
 * in a fork child, since the fork).  Fields may be added at the end in later
 * versions; never reordered. */
struct aio_posix_stats {
	unsigned long long reads;		/* requests submitted, by kind */
	unsigned long long writes;
	unsigned long long syncs;		/* aio_fsync, O_SYNC and O_DSYNC */
	unsigned long long completed;		/* finished and not cancelled */
	unsigned long long failed;		/* of completed: with an error */
	unsigned long long cancelled;		/* finished by aio_cancel */
	unsigned long long notifications;	/* signals queued, callbacks run */
	unsigned long long in_flight;		/* submitted, not yet finished */
	unsigned long long peak_in_flight;
	unsigned long long threads;		/* worker threads alive now */
	unsigned long long peak_threads;
	char backend[16];			/* "uring" or "threads" */
	unsigned long long completed_at_submission; /* of completed: no thread
						 * hop, the data was ready */
	unsigned long long submit_calls;	/* system calls and worker wake-ups
						 * that handed requests on: fewer
						 * than requests when batched */
	unsigned long long lock_waits;		/* times a thread found a per-fd
						 * shard lock or a ring's
						 * submission lock held */
};

/* Fill *stats with the current counters.  size is sizeof(*stats) as the
 * caller was compiled: a program built against an older, shorter struct
 * gets only the fields it knows.  Returns 0, or -1 with errno EINVAL when
 * stats is NULL or size is smaller than the first version of the struct.
 * Async-signal-safe once the library is in use (a first call sets it up). */
int aio_posix_get_stats(struct aio_posix_stats *stats, size_t size);

#ifdef __cplusplus
}
#endif

#endif /* AIO_POSIX_H */
