/* fault.h: fault points for tests.
 *
 * Built only with ./configure --enable-fault-injection; otherwise FAULT()
 * is the constant false and costs nothing.  At run time AIO_POSIX_FAULTS
 * says which points fail, as a comma-separated list of point=rule:
 *   every:K   every Kth call fails
 *   once:K    only the Kth call fails
 *   after:K   every call after the first K fails
 * Points: thread_create, alloc, signal_queue, futex_wait, uring_setup,
 * uring_submit.  Each place that can fail in the library asks its point;
 * what a failure means there is said where it is asked.
 */
#ifndef AIO_POSIX_FAULT_H
#define AIO_POSIX_FAULT_H

#include <stdbool.h>

enum fault_point {
	FAULT_THREAD_CREATE,
	FAULT_ALLOC,
	FAULT_SIGNAL_QUEUE,
	FAULT_FUTEX_WAIT,
	FAULT_URING_SETUP,
	FAULT_URING_SUBMIT,
	FAULT_POINTS
};

#ifdef AIO_POSIX_FAULT_INJECTION
bool fault_now(enum fault_point point);
#define FAULT(point) __builtin_expect(fault_now(point), 0)
#else
#define FAULT(point) false
#endif

#endif
