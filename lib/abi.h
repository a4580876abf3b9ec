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
 *     __glibc_reserved[8]  the lane: 1 + the index of the submission lane
 *                     (lane.c) the request went through, 0 for none.
 *     __glibc_reserved[9]  flags: ABI_IN_RING while the request is in an
 *                     io_uring ring (its completion will come as a
 *                     completion queue entry of its lane's ring), and
 *                     ABI_RETURNED once aio_return has collected it.
 *   The other private fields (__next_prio, __abs_prio, __policy and the rest
 *   of __glibc_reserved) are left alone.
 * - Memory ordering: completion stores __return_value, then publishes
 *   __error_code with release; readers load __error_code with acquire before
 *   they read __return_value.
 * - Exported names: exactly the 17 of glibc plus the extension API of
 *   <aio-posix.h>, unversioned (see AIO_EXPORT below).  Everything else is
 *   hidden (-fvisibility=hidden).
 */
#ifndef AIO_POSIX_ABI_H
#define AIO_POSIX_ABI_H

#include <aio.h>
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

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

/* What the library keeps in __glibc_reserved: the mark, the lane, the flags. */
#define ABI_LANE_BYTE sizeof(uint64_t)
#define ABI_FLAGS_BYTE (ABI_LANE_BYTE + 1)
#define ABI_PRIVATE_BYTES (ABI_FLAGS_BYTE + 1)
#define ABI_IN_RING 0x01
#define ABI_RETURNED 0x02

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
	       "no room for the submission mark, the lane and the flags");

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

/* The lane and the flags are written by the submitter before the request
 * is published to any other thread, and read without ordering by
 * aio_suspend and aio_return, which only take them as hints about where to
 * wait and what to count. */
static inline void
abi_set_lane(struct aiocb *cb, unsigned lane_index)
{
	__atomic_store_n(&cb->__glibc_reserved[ABI_LANE_BYTE], (char)(lane_index + 1),
			 __ATOMIC_RELAXED);
}

/* The lane index, or -1. */
static inline int
abi_lane(const struct aiocb *cb)
{
	return (unsigned char)__atomic_load_n(&cb->__glibc_reserved[ABI_LANE_BYTE],
					      __ATOMIC_RELAXED) - 1;
}

static inline unsigned
abi_flags(const struct aiocb *cb)
{
	return (unsigned char)__atomic_load_n(&cb->__glibc_reserved[ABI_FLAGS_BYTE],
					      __ATOMIC_RELAXED);
}

static inline void
abi_set_flags(struct aiocb *cb, unsigned flags)
{
	__atomic_store_n(&cb->__glibc_reserved[ABI_FLAGS_BYTE], (char)flags, __ATOMIC_RELAXED);
}

static inline bool
abi_in_ring(const struct aiocb *cb)
{
	return abi_flags(cb) & ABI_IN_RING;
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
 * thread (the queue's lock, or the ring, publishes it). */
static inline void
abi_mark_in_progress(struct aiocb *cb)
{
	uint64_t mark = abi_mark_for(cb);
	cb->__return_value = 0;
	__atomic_store_n(&cb->__error_code, EINPROGRESS, __ATOMIC_RELAXED);
	memcpy(cb->__glibc_reserved, &mark, sizeof mark);
	cb->__glibc_reserved[ABI_LANE_BYTE] = 0;
	cb->__glibc_reserved[ABI_FLAGS_BYTE] = 0;
}

/* Final state of a request that will never run (refused inside lio_listio). */
static inline void
abi_mark_failed(struct aiocb *cb, int error)
{
	uint64_t mark = abi_mark_for(cb);
	memcpy(cb->__glibc_reserved, &mark, sizeof mark);
	cb->__glibc_reserved[ABI_LANE_BYTE] = 0;
	cb->__glibc_reserved[ABI_FLAGS_BYTE] = 0;
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
