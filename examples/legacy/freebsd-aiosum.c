/*
 * aiosum -- checksum a file with asynchronous vectored reads.
 *
 * Written as FreeBSD programs are: a ring of control blocks, each reading
 * one block with aio_readv(2) into a header and a body buffer, reaped in
 * whatever order they finish with aio_waitcomplete(2), which also serves
 * as aio_return(2).  The port to Linux with libaio-posix changes one line,
 * the include marked below, and links with -laio-posix.
 *
 * usage: aiosum file
 */
#include <sys/types.h>
#include <sys/stat.h>
#include <sys/uio.h>

#include <aio-posix.h>	/* on FreeBSD: #include <aio.h> */
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define	NCB	8		/* requests in flight */
#define	HEAD	512		/* bytes of a block into the header buffer */
#define	BODY	(16384 - HEAD)	/* the rest into the body buffer */

struct job {
	struct aiocb	cb;
	struct iovec	iov[2];
	char		head[HEAD];
	char		body[BODY];
};

static uint32_t
weigh(const char *p, size_t n, off_t off)
{
	uint32_t s = 0;
	size_t i;

	/* Each byte weighed by its position: the order of completion does
	 * not matter. */
	for (i = 0; i < n; i++)
		s += (uint32_t)(unsigned char)p[i] * (uint32_t)((off + i) % 251 + 1);
	return (s);
}

static void
start(struct job *j, int fd, off_t off)
{
	memset(&j->cb, 0, sizeof(j->cb));
	j->iov[0].iov_base = j->head;
	j->iov[0].iov_len = HEAD;
	j->iov[1].iov_base = j->body;
	j->iov[1].iov_len = BODY;
	j->cb.aio_fildes = fd;
	j->cb.aio_offset = off;
	j->cb.aio_iov = j->iov;
	j->cb.aio_iovcnt = 2;
	j->cb.aio_sigevent.sigev_notify = SIGEV_NONE;
	if (aio_readv(&j->cb) == -1)
		err(1, "aio_readv");
}

int
main(int argc, char **argv)
{
	static struct job jobs[NCB];
	struct aiocb *done;
	struct stat sb;
	off_t next = 0, total = 0;
	uint32_t sum = 0;
	ssize_t n;
	int fd, busy = 0, i, blocks = 0;

	if (argc != 2)
		errx(2, "usage: aiosum file");
	if ((fd = open(argv[1], O_RDONLY)) == -1 || fstat(fd, &sb) == -1)
		err(1, "%s", argv[1]);

	for (i = 0; i < NCB && next < sb.st_size; i++, next += HEAD + BODY, busy++)
		start(&jobs[i], fd, next);

	while (busy > 0) {
		n = aio_waitcomplete(&done, NULL);
		if (n == -1 && done == NULL) {
			if (errno == EINTR)
				continue;
			err(1, "aio_waitcomplete");
		}
		if (n == -1)
			err(1, "read at %jd", (intmax_t)done->aio_offset);
		struct job *j = (struct job *)done;
		off_t off = j->cb.aio_offset;
		size_t h = (size_t)n < HEAD ? (size_t)n : HEAD;
		sum += weigh(j->head, h, off);
		if ((size_t)n > HEAD)
			sum += weigh(j->body, (size_t)n - HEAD, off + HEAD);
		total += n;
		blocks++;
		busy--;
		if (next < sb.st_size) {
			start(j, fd, next);
			next += HEAD + BODY;
			busy++;
		}
	}
	printf("aiosum: %jd bytes in %d blocks, sum %08x\n", (intmax_t)total, blocks,
	    (unsigned)sum);
	close(fd);
	return (0);
}
