/* support.h: what every layer may use: settings (config.c), counters
 * (counters.c, report.c; read by stats.c), the library's own threads (threads.c) and its fd
 * table manners (publish.c).  Nothing here calls up into the core.
 */
#ifndef AIO_POSIX_SUPPORT_H
#define AIO_POSIX_SUPPORT_H

#include <stdbool.h>
#include <stddef.h>

/* --- settings (config.c) ------------------------------------------------- */

enum backend_choice { BACKEND_AUTO, BACKEND_THREADS, BACKEND_URING };

struct config {
	int max_threads;		/* AIO_POSIX_THREADS, aio_init.aio_threads */
	int idle_seconds;		/* AIO_POSIX_IDLE_SECONDS, aio_init.aio_idle_time */
	int max_requests;		/* AIO_POSIX_MAX_REQUESTS */
	int backend;			/* AIO_POSIX_BACKEND: enum backend_choice */
	bool stats_at_exit;		/* AIO_POSIX_STATS */
	bool verbose;			/* AIO_POSIX_VERBOSE */
};

/* Set once at first use; max_threads and idle_seconds also by aio_init. */
extern struct config config;
void config_load_environment(void);
const char *config_backend_name(int backend);
/* Every setting, where it came from and what it means, on stdout. */
void config_print(void);
/* aio_init's: values out of range are ignored, as glibc does. */
void config_set_pool(int threads, int idle_seconds);

/* --- counters (counters.c, report.c) ------------------------------------- */

/* The most submission lanes (lane.c), hence io_uring rings. */
#define LANES_MAX 16

/* Counters of one submission lane.  Each lane's are mostly written by the
 * threads of that lane, so lanes do not share cache lines.  Relaxed atomic
 * additions; a reader sums the lanes (stats.c). */
struct lane_stats {
	unsigned long long reads, writes, syncs;
	unsigned long long completed, failed, cancelled;
	unsigned long long admitted;		/* queued: not completed at submission */
	unsigned long long finished;		/* of admitted: published or cancelled */
	unsigned long long peak_in_flight;	/* of this lane */
	unsigned long long completed_at_submission;
	unsigned long long submit_calls;	/* system calls and wake-ups that
						 * handed requests on */
} __attribute__((aligned(64)));

struct stats {
	struct lane_stats lanes[LANES_MAX];
	unsigned long long notifications;
	unsigned long long threads, peak_threads;
	unsigned long long lock_waits;
	int backend;			/* enum backend_choice: the one in use */
};

/* Where the counters live: private memory, or memory shared with the exit
 * watcher (report.c). */
extern struct stats *stats_live;

#define STATS_ADD(field, n) __atomic_add_fetch(&stats_live->field, (n), __ATOMIC_RELAXED)
#define LANE_STATS_ADD(lane, field, n) \
	__atomic_add_fetch(&stats_live->lanes[lane].field, (n), __ATOMIC_RELAXED)
#define STATS_PEAK(field, value) stats_raise_peak(&stats_live->field, (value))
void stats_raise_peak(unsigned long long *peak, unsigned long long value);
/* The sum of every lane's field. */
unsigned long long stats_sum(const struct stats *s, size_t field_offset);
#define STATS_SUM(s, field) stats_sum((s), offsetof(struct lane_stats, field))

/* --- reports (report.c) -------------------------------------------------- */

/* Before a process's first request: set up the exit report if asked. */
void report_first_request(void);
void report_after_fork_child(void);
/* At first use: the AIO_POSIX_VERBOSE line. */
void report_verbose_start(void);

/* --- threads and descriptors (threads.c, publish.c) ---------------------- */

/* Start a detached thread of the library's own with every signal blocked:
 * 0 or EAGAIN. */
int library_thread_start(void *(*main)(void *), void *argument);

/* Move an fd the library keeps for itself high in the fd table, where an
 * application's next open() will not expect it; returns the new fd (the old
 * one is closed), or fd itself when it cannot be moved. */
int fd_move_high(int fd);
/* The lowest number fd_move_high uses, worked out at the first call. */
int private_fd_floor(void);

#endif
