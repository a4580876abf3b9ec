/* eventfd.c: SIGEV_AIO_EVENTFD, a caller's eventfd signalled per
 * completion (libaio's io_set_eventfd, on POSIX aio).
 *
 * The library never writes the program's descriptor number at completion:
 * the program may have closed it and opened another file under the same
 * number meanwhile.  At submission it takes a private duplicate (high in the
 * fd table, close-on-exec), and writes that.  Requests on the same eventfd
 * share one duplicate, counted: kcmp says whether the number still names
 * the file the duplicate was made from.  Where kcmp is refused, each
 * request gets a duplicate of its own.
 *
 * Only an anonymous inode is accepted (an eventfd; other anonymous inodes,
 * epoll or timerfd say, refuse an 8-byte write, so nothing is harmed):
 * a regular file or a pipe given by mistake is EINVAL at submission, never
 * eight bytes written into it.
 *
 * Locking: registry_lock guards the table; it is taken in no other lock.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/kcmp.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "eventfd.h"
#include "fault.h"
#include "support.h"

struct shared_eventfd {
	int fd;			/* the program's number; -1 once it is stale */
	int private_fd;
	int references;
};

static pthread_mutex_t registry_lock = PTHREAD_MUTEX_INITIALIZER;
static struct shared_eventfd *table;
static size_t used, room;
static int kcmp_refused;	/* atomic: ENOSYS or EPERM once */

/* Does fd still name the file private_fd was duplicated from? */
static bool
same_file(int fd, int private_fd)
{
	if (__atomic_load_n(&kcmp_refused, __ATOMIC_RELAXED))
		return false;
	pid_t self = getpid();
	long rc = syscall(SYS_kcmp, self, self, KCMP_FILE, fd, private_fd);
	if (rc < 0 && errno != EBADF)
		__atomic_store_n(&kcmp_refused, 1, __ATOMIC_RELAXED);
	return rc == 0;
}

int
eventfd_acquire(int fd)
{
	struct stat st;
	int flags = fd < 0 ? -1 : fcntl(fd, F_GETFL);
	if (flags == -1 || (flags & O_ACCMODE) != O_RDWR || fstat(fd, &st) != 0 ||
	    (st.st_mode & S_IFMT) != 0) {
		errno = EINVAL;
		return -1;
	}
	int private_fd = -1;
	pthread_mutex_lock(&registry_lock);
	for (size_t i = 0; i < used; i++) {
		if (table[i].fd != fd)
			continue;
		if (same_file(fd, table[i].private_fd)) {
			table[i].references++;
			private_fd = table[i].private_fd;
		} else {
			table[i].fd = -1;	/* stale: lives on for its requests */
		}
		break;
	}
	if (private_fd < 0 && (used < room || !FAULT(FAULT_ALLOC))) {
		if (used == room) {
			size_t grown_room = room ? room * 2 : 8;
			struct shared_eventfd *grown = realloc(table, grown_room * sizeof *grown);
			if (grown) {
				table = grown;
				room = grown_room;
			}
		}
		int copy = used < room ? fcntl(fd, F_DUPFD_CLOEXEC, 0) : -1;
		if (copy >= 0) {
			private_fd = fd_move_high(copy);
			table[used++] = (struct shared_eventfd){ fd, private_fd, 1 };
		}
	}
	pthread_mutex_unlock(&registry_lock);
	if (private_fd < 0)
		errno = EINVAL;
	return private_fd;
}

void
eventfd_signal(int private_fd)
{
	uint64_t one = 1;
	ssize_t unused = write(private_fd, &one, sizeof one);
	(void)unused;	/* a full counter (EAGAIN on O_NONBLOCK): still readable */
}

void
eventfd_release(int private_fd)
{
	if (private_fd < 0)
		return;
	pthread_mutex_lock(&registry_lock);
	for (size_t i = 0; i < used; i++) {
		if (table[i].private_fd != private_fd)
			continue;
		if (--table[i].references == 0) {
			close(private_fd);
			table[i] = table[--used];
		}
		break;
	}
	pthread_mutex_unlock(&registry_lock);
}

static void
fork_prepare(void)
{
	pthread_mutex_lock(&registry_lock);
}

static void
fork_parent(void)
{
	pthread_mutex_unlock(&registry_lock);
}

/* The duplicates are the child's own copies, still counted by the requests
 * the core gives back next; nothing else changes. */
static void
fork_child(void)
{
	pthread_mutex_unlock(&registry_lock);
}

__attribute__((constructor)) static void
eventfd_register_fork_handlers(void)
{
	pthread_atfork(fork_prepare, fork_parent, fork_child);
}
