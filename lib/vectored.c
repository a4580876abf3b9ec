/* vectored.c: the vectored request of FreeBSD's aio_readv, aio_writev
 * and aio_read2/aio_write2 with AIO_OP2_VECTORED (submit.c): its iovec
 * array checked and copied at submission (vectored.h).
 *
 * A vectored request names its buffers with aio_iov and aio_iovcnt, which
 * are aio_buf and aio_nbytes under other names (<aio-posix.h>).  Its iovec
 * array is checked and copied at submission, as FreeBSD's kernel copies it
 * in, so the program may reuse the array (not the buffers) as soon as the
 * call returns; the copy is read with process_vm_readv where the kernel
 * allows it (else mincore at least spots an unmapped array), so that a bad
 * address is EFAULT rather than a crash.  The
 * request then goes to the kernel as one transfer: one preadv2/pwritev2
 * attempt at submission (inline.c), one IORING_OP_READV/WRITEV entry
 * (uring.c), or one preadv/pwritev/readv/writev in a worker (backend.c).
 *
 * At the file offset (AIO_OP2_FOFFSET, LIO_FOFFSET) a request runs as
 * read()/write() do, and advances the offset; such requests keep their
 * order on their fd (queue.c's FIFO, as for O_APPEND writes), so a
 * program that queues several reads at the offset gets consecutive ranges,
 * in order.  aio_offset is ignored.
 *
 * aio_mlock runs mlock(aio_buf, aio_nbytes) in a worker (backend.c); it
 * uses no file (aio_fildes, aio_offset and aio_reqprio are ignored).
 */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/uio.h>
#include <unistd.h>

#include "aio-posix.h"
#include "fault.h"
#include "vectored.h"

/* Copy count iovecs from the program's array; EFAULT if it is not there. */
static int
copy_array(struct iovec *copy, const struct iovec *array, size_t count)
{
	static int vm_read_unusable;	/* ENOSYS or EPERM once: memcpy */
	size_t bytes = count * sizeof *copy;
	if (!__atomic_load_n(&vm_read_unusable, __ATOMIC_RELAXED)) {
		struct iovec local = { copy, bytes };
		struct iovec remote = { (void *)array, bytes };
		ssize_t got = process_vm_readv(getpid(), &local, 1, &remote, 1, 0);
		if (got == (ssize_t)bytes)
			return 0;
		if (got >= 0 || errno == EFAULT)
			return EFAULT;
		__atomic_store_n(&vm_read_unusable, 1, __ATOMIC_RELAXED);
	}
	/* Without process_vm_readv (seccomp, qemu-user): mincore at least
	 * tells an unmapped array from a mapped one. */
	long page = sysconf(_SC_PAGESIZE);
	uintptr_t first = (uintptr_t)array & ~(uintptr_t)(page - 1);
	size_t span = (uintptr_t)array + bytes - first;
	unsigned char resident[64];
	for (size_t at = 0; at < span; at += sizeof resident * (size_t)page) {
		size_t chunk = span - at < sizeof resident * (size_t)page
			? span - at : sizeof resident * (size_t)page;
		if (mincore((void *)(first + at), chunk, resident) != 0 && errno == ENOMEM)
			return EFAULT;
	}
	memcpy(copy, array, bytes);
	return 0;
}

int
vector_prepare(struct request *req, const struct aiocb *cb)
{
	const struct iovec *array = (const struct iovec *)cb->aio_iov;
	size_t count = cb->aio_iovcnt;
	if (count > IOV_MAX)
		return EINVAL;
	if (count > 0 && !array)
		return EFAULT;
	/* Never NULL, even for no buffers: NULL means "not vectored". */
	struct iovec *copy = FAULT(FAULT_ALLOC) ? NULL : malloc((count ? count : 1) * sizeof *copy);
	if (!copy)
		return EAGAIN;
	int error = count ? copy_array(copy, array, count) : 0;
	size_t total = 0;
	for (size_t i = 0; i < count && !error; i++) {
		if (copy[i].iov_len > SSIZE_MAX - total)
			error = EINVAL;
		else
			total += copy[i].iov_len;
	}
	if (error) {
		free(copy);
		return error;
	}
	req->vector = copy;
	req->vector_count = (int)count;
	req->buffer = NULL;
	req->length = total;
	return 0;
}
