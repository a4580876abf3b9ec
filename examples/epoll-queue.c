/* epoll-queue: an epoll event loop that learns of finished aio requests
 * from a completion queue, beside its other descriptors.
 *
 * This is libaio's "io_submit + eventfd + epoll" pattern, FreeBSD's
 * "SIGEV_KEVENT + kevent" and Solaris's "SIGEV_PORT + port_getn", on
 * POSIX aio with libaio-posix:
 *   1. aio_queue_create() makes a queue: a descriptor for the epoll set;
 *   2. each aiocb is tied to it with SIGEV_AIO_QUEUE and
 *      sigev_notify_queue, its sigev_value saying which request it is;
 *   3. when epoll says the queue is readable, aio_queue_reap() hands over
 *      the finished requests, with their results, many at a time.
 * No thread per completion, no signal, no scan of every aiocb.
 *
 * The loop reads a file in chunks, several in flight, and also serves a
 * pipe (here it only says hello).  Link with -laio-posix.
 *
 * usage: epoll-queue file
 */
#include <aio-posix.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/stat.h>
#include <unistd.h>

#define CHUNK 65536
#define IN_FLIGHT 8

enum { TAG_QUEUE = 1, TAG_PIPE = 2 };

struct chunk {
	struct aiocb cb;
	char data[CHUNK];
};

static struct chunk chunks[IN_FLIGHT];

static void
die(const char *what)
{
	perror(what);
	exit(1);
}

/* The same sum, read the plain way, to check the loop's. */
static uint32_t
byte_sum_by_pread(int fd)
{
	static char buffer[CHUNK];
	uint32_t sum = 0;
	ssize_t got;
	for (off_t at = 0; (got = pread(fd, buffer, sizeof buffer, at)) > 0; at += got)
		for (ssize_t b = 0; b < got; b++)
			sum += (unsigned char)buffer[b];
	return sum;
}

/* Start reading the chunk at offset into slot, tied to the queue. */
static void
start(int slot, int fd, int queue, off_t offset)
{
	struct aiocb *cb = &chunks[slot].cb;
	memset(cb, 0, sizeof *cb);
	cb->aio_fildes = fd;
	cb->aio_buf = chunks[slot].data;
	cb->aio_nbytes = CHUNK;
	cb->aio_offset = offset;
	cb->aio_sigevent.sigev_notify = SIGEV_AIO_QUEUE;
	cb->aio_sigevent.sigev_notify_queue = queue;
	cb->aio_sigevent.sigev_value.sival_int = slot;
	if (aio_read(cb) != 0)
		die("aio_read");
}

int
main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: epoll-queue file\n");
		return 2;
	}
	const char *path = argv[1];
	int fd = open(path, O_RDONLY);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) != 0)
		die(path);

	int queue = aio_queue_create(AIO_QUEUE_CLOEXEC);
	int ep = epoll_create1(EPOLL_CLOEXEC);
	int p[2];
	if (queue < 0 || ep < 0 || pipe(p) != 0)
		die("setting up");
	struct epoll_event ev = { .events = EPOLLIN, .data.u32 = TAG_QUEUE };
	if (epoll_ctl(ep, EPOLL_CTL_ADD, queue, &ev) != 0)
		die("epoll_ctl queue");
	ev.data.u32 = TAG_PIPE;
	if (epoll_ctl(ep, EPOLL_CTL_ADD, p[0], &ev) != 0)
		die("epoll_ctl pipe");
	if (write(p[1], "hello", 5) != 5)
		die("write");

	off_t next = 0, total = 0;
	int busy = 0, completions = 0;
	uint32_t sum = 0;
	for (int slot = 0; slot < IN_FLIGHT && next < st.st_size; slot++, next += CHUNK) {
		start(slot, fd, queue, next);
		busy++;
	}

	char said[16] = "";
	while (busy > 0 || !said[0]) {
		struct epoll_event events[4];
		int n = epoll_wait(ep, events, 4, -1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			die("epoll_wait");
		for (int e = 0; e < n; e++) {
			if (events[e].data.u32 == TAG_PIPE) {
				ssize_t got = read(p[0], said, sizeof said - 1);
				said[got > 0 ? got : 0] = '\0';
				continue;
			}
			/* The queue is readable: take everything there is. */
			struct aio_completion done[IN_FLIGHT];
			int count = aio_queue_reap(queue, done, IN_FLIGHT, 0, NULL);
			if (count < 0)
				die("aio_queue_reap");
			for (int i = 0; i < count; i++) {
				int slot = done[i].value.sival_int;
				if (done[i].error) {
					errno = done[i].error;
					die("read");
				}
				for (ssize_t b = 0; b < done[i].result; b++)
					sum += (unsigned char)chunks[slot].data[b];
				total += done[i].result;
				completions++;
				busy--;
				if (next < st.st_size) {
					start(slot, fd, queue, next);
					next += CHUNK;
					busy++;
				}
			}
		}
	}
	printf("epoll-queue: the pipe said \"%s\"\n", said);
	printf("epoll-queue: read the whole file (%s) in %d completions\n",
	       total == st.st_size ? "every byte" : "NOT every byte", completions);
	printf("epoll-queue: byte sum matches pread: %s\n",
	       byte_sum_by_pread(fd) == sum ? "yes" : "NO");
	aio_queue_close(queue);
	close(ep);
	close(fd);
	return total == st.st_size ? 0 : 1;
}
