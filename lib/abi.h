/* abi.h: every promise libaio-posix makes to binaries built against glibc's
 * <aio.h>, in one place.
 *
 * - struct aiocb is glibc's, unchanged.  The library never writes a public
 *   field.  Its per-request state lives only in glibc's private fields:
 *     __error_code    EINPROGRESS while in flight, then the final error (0 on
 *                     success); glibc's meaning, read by aio_error().
 *     __return_value  the final return value; glibc's meaning, read by
 *                     aio_return().
 *     __glibc_reserved[0..7]  a submission mark: the aiocb's own address
 *                     mixed with a constant, written at submission, so that
 *                     aio_error() can tell a never-submitted aiocb (EINVAL)
 *                     from a finished one.  Keyed to the address so that a
 *                     copied or stale aiocb elsewhere in memory does not pass.
 *     __glibc_reserved[8]  the ring flag: nonzero while the request is in
 *                     the io_uring ring (see abi_set_in_ring).
 *     __glibc_reserved[16..23]  the collect ticket: which entry of the
 *                     process-wide record of finished requests (collect.c)
 *                     stands for this submission, so that aio_return can
 *                     mark it collected without a lock; 0: none.  Written at
 *                     submission, read by aio_return; 8-byte aligned, loaded
 *                     and stored as one relaxed atomic word.
 *   The other private fields (__next_prio, __abs_prio, __policy and
 *   __glibc_reserved[9..15] and [24..31]) are left alone.
 * - Memory ordering: completion stores __return_value, then publishes
 *   __error_code with release; readers load __error_code with acquire before
 *   they read __return_value.
 * - Exported names: exactly the 17 of glibc plus the extension API of
 *   <aio-posix.h> and <aio-posix/asynch.h>, unversioned (see AIO_EXPORT
 *   below).  Everything else is hidden (-fvisibility=hidden).
 * - The sigev_notify values of <aio-posix.h> (SIGEV_AIO_EVENTFD,
 *   SIGEV_AIO_QUEUE, the flag SIGEV_AIO_PRIVATE) collide with no value glibc
 *   or the kernel defines, alone or combined (checked below).
 * - FreeBSD's aio_iov and aio_iovcnt are aio_buf and aio_nbytes, as FreeBSD
 *   overlays them: <aio-posix.h> names them with two macros and the struct
 *   stays glibc's.
 */
#ifndef AIO_POSIX_ABI_H
#define AIO_POSIX_ABI_H

#include <aio.h>
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "aio-posix.h"

/* Exported names.  glibc exports 17 aio names (objdump -T libc.so.6): the
 * eight POSIX functions, their *64 twins and aio_init, at GLIBC_2.2.5 and,
 * since glibc moved them from librt into libc, at GLIBC_2.34 (lio_listio
 * also at GLIBC_2.4).  Ours are unversioned, which lets a versioned
 * reference bind to them: under LD_PRELOAD they come first in the lookup
 * scope, and a program linked with -laio-posix finds them before libc's.  A
 * version node of our own would defeat that, so the library has no version
 * script.  Each exported function is marked AIO_EXPORT where it is defined;
 * on LP64 struct aiocb64 is struct aiocb (checked below), so each *64 name
 * is an alias made by AIO_EXPORT_64 right after its plain function.
 * tests/test-abi checks the whole exported list. */
#define AIO_EXPORT __attribute__((visibility("default")))
#define AIO_EXPORT_64(name, ret, params) \
	AIO_EXPORT ret name##64 params __attribute__((alias(#name)))

/* What the library keeps in __glibc_reserved: the mark, the ring flag, and
 * the collect ticket. */
#define ABI_RING_FLAG sizeof(uint64_t)
#define ABI_COLLECT_TICKET (2 * sizeof(uint64_t))
#define ABI_PRIVATE_BYTES (ABI_COLLECT_TICKET + sizeof(uint64_t))

#if defined(__x86_64__) && !defined(__ILP32__)
_Static_assert(sizeof(struct aiocb) == 168, "struct aiocb is not glibc's x86_64 layout");
_Static_assert(offsetof(struct aiocb, __error_code) == 112, "__error_code moved");
_Static_assert(offsetof(struct aiocb, __return_value) == 120, "__return_value moved");
_Static_assert(offsetof(struct aiocb, aio_offset) == 128, "aio_offset moved");
_Static_assert(offsetof(struct aiocb, __glibc_reserved) == 136, "__glibc_reserved moved");
#endif
/* aiocb and aiocb64 must be one and the same object to us: the *64 names are
 * aliases of the plain ones. */
_Static_assert(sizeof(struct aiocb) == sizeof(struct aiocb64), "aiocb64 differs from aiocb");
_Static_assert(offsetof(struct aiocb, aio_offset) == offsetof(struct aiocb64, aio_offset),
	       "aiocb64 offset field differs");
_Static_assert(offsetof(struct aiocb, __error_code) == offsetof(struct aiocb64, __error_code),
	       "aiocb64 private fields differ");
_Static_assert(sizeof(off_t) == 8, "libaio-posix needs a 64-bit off_t");
_Static_assert(sizeof(((struct aiocb *)0)->__glibc_reserved) >= ABI_PRIVATE_BYTES,
	       "no room for the submission mark, the ring flag and the collect ticket");
_Static_assert((offsetof(struct aiocb, __glibc_reserved) + ABI_COLLECT_TICKET) %
	       _Alignof(uint64_t) == 0, "the collect ticket is not 8-byte aligned");

/* The notification values of <aio-posix.h> against every value glibc's
 * <bits/sigevent-consts.h> and the kernel's <asm-generic/siginfo.h> define
 * (SIGEV_SIGNAL 0, SIGEV_NONE 1, SIGEV_THREAD 2, SIGEV_THREAD_ID 4, the
 * kernel's flag SIGEV_THREAD_ID or'ed into the others), and against each
 * other once SIGEV_AIO_PRIVATE is or'ed in. */
#define ABI_KERNEL_SIGEV(v) ((v) == SIGEV_SIGNAL || (v) == SIGEV_NONE || (v) == SIGEV_THREAD || \
			     (v) == SIGEV_THREAD_ID || (v) == (SIGEV_THREAD_ID | SIGEV_SIGNAL) || \
			     (v) == (SIGEV_THREAD_ID | SIGEV_NONE) || \
			     (v) == (SIGEV_THREAD_ID | SIGEV_THREAD))
_Static_assert(SIGEV_SIGNAL == 0 && SIGEV_NONE == 1 && SIGEV_THREAD == 2 && SIGEV_THREAD_ID == 4,
	       "glibc's sigev_notify values changed: check the extensions'");
_Static_assert(!ABI_KERNEL_SIGEV(SIGEV_AIO_EVENTFD) && !ABI_KERNEL_SIGEV(SIGEV_AIO_QUEUE) &&
	       !ABI_KERNEL_SIGEV(SIGEV_AIO_EVENTFD & ~SIGEV_THREAD_ID) &&
	       !ABI_KERNEL_SIGEV(SIGEV_AIO_QUEUE & ~SIGEV_THREAD_ID),
	       "SIGEV_AIO_EVENTFD or SIGEV_AIO_QUEUE collides with a sigev_notify value");
_Static_assert((SIGEV_AIO_EVENTFD & SIGEV_AIO_PRIVATE) == 0 &&
	       (SIGEV_AIO_QUEUE & SIGEV_AIO_PRIVATE) == 0 && SIGEV_AIO_EVENTFD != SIGEV_AIO_QUEUE &&
	       !ABI_KERNEL_SIGEV(SIGEV_AIO_PRIVATE | SIGEV_SIGNAL) &&
	       !ABI_KERNEL_SIGEV(SIGEV_AIO_PRIVATE | SIGEV_NONE) &&
	       !ABI_KERNEL_SIGEV(SIGEV_AIO_PRIVATE | SIGEV_THREAD) &&
	       !ABI_KERNEL_SIGEV(SIGEV_AIO_PRIVATE | SIGEV_THREAD_ID),
	       "SIGEV_AIO_PRIVATE is not a flag apart from every sigev_notify value");
/* FreeBSD's lio_listio opcodes against glibc's LIO_READ 0, LIO_WRITE 1,
 * LIO_NOP 2. */
_Static_assert(LIO_READV != LIO_NOP && LIO_WRITEV != LIO_NOP && (LIO_NOP & LIO_VECTORED) == 0 &&
	       ((LIO_READ | LIO_WRITE | LIO_NOP) & (LIO_VECTORED | LIO_FOFFSET)) == 0,
	       "FreeBSD's lio opcodes collide with glibc's");
/* aio_iov and aio_iovcnt are aio_buf and aio_nbytes: pointer- and
 * size-sized, as FreeBSD's overlay needs. */
_Static_assert(sizeof(((struct aiocb *)0)->aio_iov) == sizeof(struct iovec *) &&
	       sizeof(((struct aiocb *)0)->aio_iovcnt) >= sizeof(int),
	       "aio_iov/aio_iovcnt cannot hold an iovec array and its count");

/* glibc's <aio.h> declares the aiocb and list arguments nonnull, and GCC
 * then deletes a NULL check on them (even with
 * -fno-delete-null-pointer-checks).  We answer NULL with EINVAL, so each entry
 * point passes such an argument through this empty asm first: afterwards the
 * compiler knows nothing about the value. */
#define ABI_FORGET_NONNULL(pointer) __asm__("" : "+r"(pointer))

/* SIGEV_THREAD_ID's thread: glibc 2.36 has the field but not this name. */
#ifndef sigev_notify_thread_id
#define sigev_notify_thread_id _sigev_un._tid
#endif

#define ABI_SUBMISSION_MARK UINT64_C(0xa10905c0ffee1d00)

static inline uint64_t
abi_mark_for(const struct aiocb *cb)
{
	return ABI_SUBMISSION_MARK ^ (uint64_t)(uintptr_t)cb;
}

static inline bool
abi_was_submitted(const struct aiocb *cb)
{
	uint64_t mark;
	memcpy(&mark, cb->__glibc_reserved, sizeof mark);
	return mark == abi_mark_for(cb);
}

static inline int
abi_error_code(const struct aiocb *cb)
{
	return __atomic_load_n(&cb->__error_code, __ATOMIC_ACQUIRE);
}

/* The ring flag: set while the request is in the io_uring ring, so that its
 * completion will come as a completion queue entry (uring.c).  aio_suspend
 * reads it to know whether it may wait in the ring. */
static inline void
abi_set_in_ring(struct aiocb *cb, bool in_ring)
{
	__atomic_store_n(&cb->__glibc_reserved[ABI_RING_FLAG], in_ring, __ATOMIC_RELAXED);
}

static inline bool
abi_in_ring(const struct aiocb *cb)
{
	return __atomic_load_n(&cb->__glibc_reserved[ABI_RING_FLAG], __ATOMIC_RELAXED);
}

/* The collect ticket (collect.c): one word, atomic because aio_return reads
 * it while another thread may be resubmitting the aiocb (a program's race,
 * which must stay harmless). */
static inline uint64_t *
abi_ticket_word(const struct aiocb *cb)
{
	return (uint64_t *)(uintptr_t)&cb->__glibc_reserved[ABI_COLLECT_TICKET];
}

static inline uint64_t
abi_collect_ticket(const struct aiocb *cb)
{
	return __atomic_load_n(abi_ticket_word(cb), __ATOMIC_RELAXED);
}

static inline void
abi_set_collect_ticket(struct aiocb *cb, uint64_t ticket)
{
	__atomic_store_n(abi_ticket_word(cb), ticket, __ATOMIC_RELAXED);
}

/* The private fields as they were before a submission, so that a refused
 * submission can put them back. */
struct abi_saved_state {
	ssize_t return_value;
	int error_code;
	char mark[ABI_PRIVATE_BYTES];
};

static inline void
abi_save(const struct aiocb *cb, struct abi_saved_state *saved)
{
	saved->return_value = cb->__return_value;
	saved->error_code = cb->__error_code;
	memcpy(saved->mark, cb->__glibc_reserved, sizeof saved->mark);
}

static inline void
abi_restore(struct aiocb *cb, const struct abi_saved_state *saved)
{
	cb->__return_value = saved->return_value;
	cb->__error_code = saved->error_code;
	memcpy(cb->__glibc_reserved, saved->mark, sizeof saved->mark);
}

/* Called by the submitter before the request becomes visible to any other
 * thread (the engine lock publishes it). */
static inline void
abi_mark_in_progress(struct aiocb *cb)
{
	uint64_t mark = abi_mark_for(cb);
	cb->__return_value = 0;
	__atomic_store_n(&cb->__error_code, EINPROGRESS, __ATOMIC_RELAXED);
	memcpy(cb->__glibc_reserved, &mark, sizeof mark);
	abi_set_in_ring(cb, false);
}

/* Final state of a request that will never run (refused inside lio_listio). */
static inline void
abi_mark_failed(struct aiocb *cb, int error)
{
	uint64_t mark = abi_mark_for(cb);
	memcpy(cb->__glibc_reserved, &mark, sizeof mark);
	cb->__return_value = -1;
	__atomic_store_n(&cb->__error_code, error, __ATOMIC_RELEASE);
}

/* Completion: the return value first, then the error code with release.
 * After this store the aiocb belongs to the application again. */
static inline void
abi_publish(struct aiocb *cb, ssize_t result, int error)
{
	cb->__return_value = error ? -1 : result;
	__atomic_store_n(&cb->__error_code, error, __ATOMIC_RELEASE);
}

#endif
