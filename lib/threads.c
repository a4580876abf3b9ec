/* threads.c: the library's own threads.
 *
 * Every thread the library starts for itself (pool workers, the reaper, the
 * poller) starts here: detached, with every signal blocked, so that signals
 * meant for the application never land on it and its system calls are
 * never interrupted.
 */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>

#include "fault.h"
#include "support.h"

int
library_thread_start(void *(*main)(void *), void *argument)
{
	pthread_attr_t attributes;
	sigset_t all;
	pthread_t thread;

	sigfillset(&all);
	if (pthread_attr_init(&attributes) != 0)
		return EAGAIN;
	int rc = pthread_attr_setdetachstate(&attributes, PTHREAD_CREATE_DETACHED);
	if (rc == 0)
		rc = pthread_attr_setsigmask_np(&attributes, &all);
	if (rc == 0)
		rc = FAULT(FAULT_THREAD_CREATE) ? EAGAIN
			: pthread_create(&thread, &attributes, main, argument);
	pthread_attr_destroy(&attributes);
	return rc == 0 ? 0 : EAGAIN;
}
