/*
 * recserver -- serve fixed-size records from a data file, Solaris style.
 *
 * Each client request asks for one record; the server starts an
 * aio_read(3C) for each, collects finished ones in batches with
 * aio_waitn(3C), reads their status with aio_error(3C) and aio_return(3C)
 * as Solaris requires, and answers.  Here the clients are a scripted list
 * of record numbers, and the answers a digest printed at the end.  The
 * port to Linux with libaio-posix changes one line, the include marked
 * below, and links with -laio-posix.
 *
 * usage: recserver datafile
 */
#include <sys/types.h>

#include <aio-posix.h>	/* on Solaris: #include <aio.h> */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define	RECSIZE		64
#define	NCLIENTS	40
#define	MAXWAIT		16	/* aiocbs per aio_waitn */
#define	NSLOTS		12	/* requests in flight */

typedef struct slot {
	aiocb_t		s_cb;		/* first: aio_waitn returns its address */
	int		s_client;
	char		s_rec[RECSIZE];
} slot_t;

static uint64_t answers[NCLIENTS];	/* 64 bits on every ABI */
static int served;

static void
submit(slot_t *sp, int fd, int client)
{
	(void) memset(&sp->s_cb, 0, sizeof (sp->s_cb));
	sp->s_client = client;
	sp->s_cb.aio_fildes = fd;
	sp->s_cb.aio_buf = sp->s_rec;
	sp->s_cb.aio_nbytes = RECSIZE;
	/* the scripted clients ask for records in a scattered order */
	sp->s_cb.aio_offset = (off_t)((client * 17) % NCLIENTS) * RECSIZE;
	sp->s_cb.aio_sigevent.sigev_notify = SIGEV_NONE;
	if (aio_read(&sp->s_cb) != 0) {
		perror("aio_read");
		exit(1);
	}
}

static void
answer(slot_t *sp)
{
	uint64_t h = 5381;
	int i, error;
	ssize_t n;

	if ((error = aio_error(&sp->s_cb)) != 0) {
		(void) fprintf(stderr, "recserver: client %d: %s\n", sp->s_client,
		    strerror(error));
		exit(1);
	}
	if ((n = aio_return(&sp->s_cb)) != RECSIZE) {
		(void) fprintf(stderr, "recserver: short record %zd\n", n);
		exit(1);
	}
	for (i = 0; i < RECSIZE; i++)
		h = h * 33 + (unsigned char)sp->s_rec[i];
	answers[sp->s_client] = h;
	served++;
}

int
main(int argc, char **argv)
{
	static slot_t slots[NSLOTS];
	aiocb_t *done[MAXWAIT];
	unsigned int nwait, i;
	int fd, next = 0, busy = 0;
	uint64_t digest = 0;	/* the same on every ABI */

	if (argc != 2) {
		(void) fprintf(stderr, "usage: recserver datafile\n");
		return (2);
	}
	if ((fd = open(argv[1], O_RDONLY)) == -1) {
		perror(argv[1]);
		return (1);
	}
	for (; busy < NSLOTS && next < NCLIENTS; busy++)
		submit(&slots[busy], fd, next++);

	while (busy > 0) {
		nwait = busy < 4 ? (unsigned int)busy : 4;	/* a batch at a time */
		if (aio_waitn(done, MAXWAIT, &nwait, NULL) == -1 && errno != EINTR &&
		    errno != ETIME) {
			perror("aio_waitn");
			return (1);
		}
		for (i = 0; i < nwait; i++) {
			slot_t *sp = (slot_t *)done[i];
			answer(sp);
			busy--;
			if (next < NCLIENTS) {
				submit(sp, fd, next++);
				busy++;
			}
		}
	}
	for (i = 0; i < NCLIENTS; i++)
		digest = digest * 31 + answers[i];
	(void) printf("recserver: %d clients served, digest %016llx\n", served,
	    (unsigned long long) digest);
	(void) close(fd);
	return (0);
}
