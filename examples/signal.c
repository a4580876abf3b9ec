/* signal: be told of finished POSIX aio requests by a signal.
 *
 * Each request asks for SIGEV_SIGNAL: when it finishes, a real-time signal
 * is queued, carrying in si_value what the request put in sigev_value (here
 * the request's index).  The handler may only do async-signal-safe things;
 * it records which request finished, and aio_error() and aio_return() are
 * safe to call there too.  The main thread keeps the signal blocked, except
 * inside sigsuspend(), so it never misses one.
 *
 * Real-time signals queue: one per finished request, none lost.  Standard
 * signals such as SIGUSR1 would merge.
 *
 * Built against the system <aio.h> and libc only, like any program.
 */
#include <aio.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define REQUESTS 4
#define BLOCK 4096

static struct aiocb cbs[REQUESTS];
static volatile sig_atomic_t done[REQUESTS];
static volatile sig_atomic_t finished;

static void
on_completion(int signo, siginfo_t *info, void *context)
{
	int i = info->si_value.sival_int;
	if (info->si_code != SI_ASYNCIO || i < 0 || i >= REQUESTS)
		return;		/* not one of ours */
	if (aio_error(&cbs[i]) == 0 && aio_return(&cbs[i]) == BLOCK)
		done[i] = 1;
	else
		done[i] = -1;
	finished++;
}

int
main(void)
{
	static char blocks[REQUESTS][BLOCK];
	int signo = SIGRTMIN;
	FILE *file = tmpfile();
	if (!file) {
		perror("signal: tmpfile");
		return 1;
	}

	struct sigaction action;
	memset(&action, 0, sizeof action);
	action.sa_sigaction = on_completion;
	action.sa_flags = SA_SIGINFO | SA_RESTART;
	sigemptyset(&action.sa_mask);
	sigaction(signo, &action, NULL);

	sigset_t blocked, old;
	sigemptyset(&blocked);
	sigaddset(&blocked, signo);
	sigprocmask(SIG_BLOCK, &blocked, &old);

	for (int i = 0; i < REQUESTS; i++) {
		memset(blocks[i], '0' + i, BLOCK);
		cbs[i].aio_fildes = fileno(file);
		cbs[i].aio_buf = blocks[i];
		cbs[i].aio_nbytes = BLOCK;
		cbs[i].aio_offset = (off_t)i * BLOCK;
		cbs[i].aio_sigevent.sigev_notify = SIGEV_SIGNAL;
		cbs[i].aio_sigevent.sigev_signo = signo;
		cbs[i].aio_sigevent.sigev_value.sival_int = i;
		if (aio_write(&cbs[i]) != 0) {
			perror("signal: aio_write");
			return 1;
		}
	}
	printf("signal: %d writes in flight, each to report with SIGRTMIN\n", REQUESTS);

	/* Sleep with the signal unblocked; handle; check; sleep again. */
	while (finished < REQUESTS)
		sigsuspend(&old);
	sigprocmask(SIG_SETMASK, &old, NULL);

	int good = 0;
	for (int i = 0; i < REQUESTS; i++) {
		printf("signal: write %d: %s\n", i, done[i] == 1 ? "done" : "FAILED");
		good += done[i] == 1;
	}
	char check[BLOCK];
	if (pread(fileno(file), check, BLOCK, 3 * BLOCK) != BLOCK || check[0] != '3') {
		printf("signal: the file does not hold what was written\n");
		return 1;
	}
	return good != REQUESTS;
}
