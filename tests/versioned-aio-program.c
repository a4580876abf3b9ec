/* versioned-aio-program: a program built against an old glibc.  It calls
 * aio_read, aio_error, aio_return and lio_listio at the architecture's
 * first glibc version (GLIBC_2.1 on i386, GLIBC_2.2.5 on x86_64,
 * GLIBC_2.17 on aarch64), as a binary built then does, beside today's
 * names; built twice like plain-aio-program: alone (run with and without
 * LD_PRELOAD) and linked with libaio-posix (linked-versioned-aio-program).
 *
 * It says, one "key=value" per line:
 *   roundtrip=ok|failed     a write, then a read through the old names
 *   aio_read_base=FILE      the object behind each reference as bound
 *   lio_listio_base=FILE
 *   lio_listio=FILE
 *   base_entry_signals=N    signals an entry of lio_listio@BASE sent
 *   base_list_signals=N     and the list itself (LIO_NOWAIT)
 *   base_wait=waited|returned-early   whether LIO_WAIT waited
 *   entry_signals=N         the same for today's lio_listio
 *   list_signals=N
 *   wait=...
 * glibc 2.1 to 2.3 sent only the list's signal, and where lio_listio@BASE
 * is that code (x86_64, i386), tests/test-preload wants base_entry_signals
 * 0 of libaio-posix.  (glibc 2.34 to at least 2.36 lost it: moved into
 * libc, their lio_listio@BASE sends the entries' signals and returns from
 * LIO_WAIT at once.)  Exit status 0 when every call succeeded. */
#define _GNU_SOURCE
#include <aio.h>
#include <dlfcn.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/wait.h>
#include <unistd.h>

#include "aiocb-util.h"

/* Only the table of symbol versions: no code of the library. */
#define ABI_VERSIONS_ONLY 1
#include "abi.h"

#define STRING_(x) #x
#define STRING(x) STRING_(x)
#define BASE STRING(ABI_GLIBC_BASE)

/* The names this program's <aio.h> gives the calls: the *64 ones where
 * _FILE_OFFSET_BITS=64 redirects them on ILP32. */
#if __SIZEOF_LONG__ == 4 && defined(_FILE_OFFSET_BITS) && _FILE_OFFSET_BITS == 64
#define NAME(name) #name "64"
#else
#define NAME(name) #name
#endif

int old_aio_read(struct aiocb *);
int old_aio_error(const struct aiocb *);
ssize_t old_aio_return(struct aiocb *);
int old_lio_listio(int, struct aiocb *const[], int, struct sigevent *);
__asm__(".symver old_aio_read, " NAME(aio_read) "@" BASE);
__asm__(".symver old_aio_error, " NAME(aio_error) "@" BASE);
__asm__(".symver old_aio_return, " NAME(aio_return) "@" BASE);
__asm__(".symver old_lio_listio, " NAME(lio_listio) "@" BASE);

/* Each lio_listio gets signals of its own, so that a late one of the first
 * is never counted for the second. */
#define LIST_SIGNAL (SIGRTMIN + 3)
#define BASE_ENTRY_SIGNAL (SIGRTMIN + 4)
#define ENTRY_SIGNAL (SIGRTMIN + 5)

static int
round_trip(int fd)
{
	static char out[4096], in[4096];
	for (size_t i = 0; i < sizeof out; i++)
		out[i] = (char)(i * 13 + 1);
	if (pwrite(fd, out, sizeof out, 512) != (ssize_t)sizeof out)
		return -1;
	struct aiocb cb;
	test_prepare(&cb, fd, in, sizeof in, 512);
	if (old_aio_read(&cb) != 0)
		return -1;
	const struct aiocb *list[1] = { &cb };
	while (old_aio_error(&cb) == EINPROGRESS)
		if (aio_suspend(list, 1, NULL) != 0 && errno != EINTR)
			return -1;
	if (old_aio_error(&cb) != 0 || old_aio_return(&cb) != (ssize_t)sizeof in)
		return -1;
	return memcmp(in, out, sizeof in) == 0 ? 0 : -1;
}

/* Drain the pending instances of signal (blocked): how many were sent. */
static int
count_pending(int signal)
{
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, signal);
	struct timespec now = { 0, 0 };
	int count = 0;
	while (sigtimedwait(&set, NULL, &now) == signal)
		count++;
	return count;
}

/* A LIO_NOWAIT list of one read whose aiocb asks for entry_signal, the
 * list for LIST_SIGNAL.  Once the list's signal is in, an entry's would be
 * too: glibc and libaio-posix both notify an entry before its list.  Then
 * a LIO_WAIT list: has its request finished when the call returns? */
static int
list_semantics(int (*listio)(int, struct aiocb *const[], int, struct sigevent *), int fd,
	       int entry_signal, int *entry_signals, int *list_signals, const char **wait)
{
	static char buffer[512];
	struct aiocb cb;
	test_prepare(&cb, fd, buffer, sizeof buffer, 0);
	cb.aio_lio_opcode = LIO_READ;
	cb.aio_sigevent.sigev_notify = SIGEV_SIGNAL;
	cb.aio_sigevent.sigev_signo = entry_signal;
	struct sigevent list_event;
	memset(&list_event, 0, sizeof list_event);
	list_event.sigev_notify = SIGEV_SIGNAL;
	list_event.sigev_signo = LIST_SIGNAL;
	struct aiocb *list[1] = { &cb };
	if (listio(LIO_NOWAIT, list, 1, &list_event) != 0)
		return -1;
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, LIST_SIGNAL);
	struct timespec limit = { 30, 0 };
	if (sigtimedwait(&set, NULL, &limit) != LIST_SIGNAL)
		return -1;
	*list_signals = 1 + count_pending(LIST_SIGNAL);
	*entry_signals = count_pending(entry_signal);

	/* A read of an empty pipe finishes when a child writes to it: a
	 * LIO_WAIT that waits returns after that, whenever it comes; the
	 * child's pause only gives one that does not wait the time to be
	 * seen returning first. */
	int p[2];
	if (pipe(p) != 0)
		return -1;
	cb.aio_fildes = p[0];
	cb.aio_nbytes = 1;
	cb.aio_sigevent.sigev_notify = SIGEV_NONE;
	pid_t writer = fork();
	if (writer == 0) {
		struct timespec pause = { 0, 200 * 1000 * 1000 };
		nanosleep(&pause, NULL);
		_exit(write(p[1], "x", 1) == 1 ? 0 : 1);
	}
	if (writer < 0)
		return -1;
	int rc = listio(LIO_WAIT, list, 1, NULL);
	*wait = rc == 0 && aio_error(&cb) == 0 ? "waited" : "returned-early";
	const struct aiocb *pending[1] = { &cb };
	while (aio_error(&cb) == EINPROGRESS)
		aio_suspend(pending, 1, NULL);
	waitpid(writer, NULL, 0);
	close(p[0]);
	close(p[1]);
	return 0;
}

int
main(void)
{
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, LIST_SIGNAL);
	sigaddset(&set, BASE_ENTRY_SIGNAL);
	sigaddset(&set, ENTRY_SIGNAL);
	sigprocmask(SIG_BLOCK, &set, NULL);

	char path[] = "/tmp/aio-posix-versioned-XXXXXX";
	int fd = mkstemp(path);
	if (fd < 0)
		return EXIT_FAILURE;
	unlink(path);

	int ok = round_trip(fd) == 0;
	printf("roundtrip=%s\n", ok ? "ok" : "failed");
	printf("aio_read_base=%s\n", object_of((void *)old_aio_read));
	printf("lio_listio_base=%s\n", object_of((void *)old_lio_listio));
	printf("lio_listio=%s\n", object_of((void *)lio_listio));

	int entry = -1, whole = -1;
	const char *wait = "unknown";
	if (list_semantics(old_lio_listio, fd, BASE_ENTRY_SIGNAL, &entry, &whole, &wait) != 0)
		ok = 0;
	printf("base_entry_signals=%d\nbase_list_signals=%d\nbase_wait=%s\n", entry, whole, wait);
	entry = whole = -1;
	wait = "unknown";
	if (list_semantics(lio_listio, fd, ENTRY_SIGNAL, &entry, &whole, &wait) != 0)
		ok = 0;
	printf("entry_signals=%d\nlist_signals=%d\nwait=%s\n", entry, whole, wait);
	close(fd);
	fflush(stdout);
	return ok ? EXIT_SUCCESS : EXIT_FAILURE;
}
