/*
 * aiocopy -- copy a file with aioread(3C), aiowrite(3C) and aiowait(3C).
 *
 * The double-buffered copier of Solaris's System Interface Guide style:
 * while one buffer is being written, the next is being read; aiowait
 * tells which operation finished by its aio_result_t.  The port to Linux
 * with libaio-posix changes one line, the include marked below, and links
 * with -laio-posix.
 *
 * usage: aiocopy from to
 */
#include <sys/types.h>
#include <aio-posix/asynch.h>	/* on Solaris: #include <sys/asynch.h> */
#include <sys/time.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define	BUFSZ	8192

typedef struct {
	char		b_data[BUFSZ];
	aio_result_t	b_read;		/* the read's result */
	aio_result_t	b_write;	/* the write's result */
	off_t		b_off;
	int		b_busy;		/* a read or a write is out */
} buf_t;

static void
fail(const char *what)
{
	perror(what);
	exit(1);
}

int
main(int argc, char **argv)
{
	static buf_t bufs[2];
	aio_result_t *res;
	off_t next = 0, copied = 0;
	int in, out, i, eof = 0, outstanding = 0;

	if (argc != 3) {
		(void) fprintf(stderr, "usage: aiocopy from to\n");
		return (2);
	}
	if ((in = open(argv[1], O_RDONLY)) == -1)
		fail(argv[1]);
	if ((out = open(argv[2], O_WRONLY | O_CREAT | O_TRUNC, 0644)) == -1)
		fail(argv[2]);

	for (i = 0; i < 2; i++) {
		bufs[i].b_off = next;
		bufs[i].b_read.aio_return = AIO_INPROGRESS;
		if (aioread(in, bufs[i].b_data, BUFSZ, next, SEEK_SET, &bufs[i].b_read) == -1)
			fail("aioread");
		bufs[i].b_busy = 1;
		outstanding++;
		next += BUFSZ;
	}

	while (outstanding > 0) {
		if ((res = aiowait(NULL)) == (aio_result_t *)-1) {
			if (errno == EINTR)
				continue;
			fail("aiowait");
		}
		outstanding--;
		for (i = 0; i < 2; i++)
			if (res == &bufs[i].b_read || res == &bufs[i].b_write)
				break;
		if (i == 2) {
			(void) fprintf(stderr, "aiocopy: unknown result\n");
			return (1);
		}
		buf_t *bp = &bufs[i];
		if (res->aio_return == -1) {
			errno = res->aio_errno;
			fail(res == &bp->b_read ? "read" : "write");
		}
		if (res == &bp->b_read) {
			if (res->aio_return == 0) {	/* end of file */
				eof = 1;
				bp->b_busy = 0;
				continue;
			}
			bp->b_write.aio_return = AIO_INPROGRESS;
			if (aiowrite(out, bp->b_data, (int)res->aio_return, bp->b_off,
			    SEEK_SET, &bp->b_write) == -1)
				fail("aiowrite");
			outstanding++;
		} else {
			copied += res->aio_return;
			if (eof) {
				bp->b_busy = 0;
				continue;
			}
			bp->b_off = next;
			bp->b_read.aio_return = AIO_INPROGRESS;
			if (aioread(in, bp->b_data, BUFSZ, next, SEEK_SET, &bp->b_read) == -1)
				fail("aioread");
			outstanding++;
			next += BUFSZ;
		}
	}
	(void) printf("aiocopy: %lld bytes copied\n", (long long)copied);
	(void) close(in);
	if (close(out) == -1)
		fail(argv[2]);
	return (0);
}
