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
 *     __glibc_reserved[16..23]  the collect ticket: which entry of the
 *                     record of finished requests (record.c) stands for
 *                     this submission, so that aio_return can mark it
 *                     collected without a lock; 0: none.  Written at
 *                     submission, read by aio_return; loaded and stored as
 *                     one relaxed atomic word.
 *   The other private fields (__next_prio, __abs_prio, __policy and the rest
 *   of __glibc_reserved) are left alone.
 * - Two layouts on ILP32 (i386): struct aiocb has a 32-bit aio_offset
 *   followed by 4 bytes of padding a caller may leave as garbage, struct
 *   aiocb64 a 64-bit aio_offset at the same place; both have the same size
 *   and the same private fields (checked below).  So the library is built,
 *   like glibc itself, with the plain 32-bit off_t and time_t (its struct
 *   aiocb is the plain one), and an entry point says which layout it was
 *   given (ABI_ENTRY_AIOCB64) wherever that matters: only for aio_offset.  On
 *   LP64 the two are one layout.  Offsets inside the library are 64 bits
 *   wide everywhere (off64_t).
 * - Memory ordering: completion stores __return_value, then publishes
 *   __error_code with release; readers load __error_code with acquire before
 *   they read __return_value.
 * - Exported names: exactly glibc's aio names, at exactly the symbol
 *   versions the same architecture's libc.so.6 gives them (the table below;
 *   lib/libaio-posix.map.in lists them, and tests/test-abi compares them
 *   with the running libc), plus the extension API of <aio-posix.h> and
 *   <aio-posix/asynch.h>, unversioned (ABI_EXTENSION_NAMES below; the
 *   same test compares).  Everything else is hidden (-fvisibility=hidden).
 * - The extension API has glibc's twins too: on every ABI a *64 name for
 *   each function that takes an aiocb or an off_t, taking struct aiocb64 or
 *   off64_t, and on i386 a __*_time64 name for each that takes a timeout,
 *   taking glibc's 64-bit-time struct timespec or struct timeval.  Their
 *   headers send a program built with _FILE_OFFSET_BITS=64 or _TIME_BITS=64
 *   to them, as <aio.h> does for its own names (compat.c defines them).
 * - The sigev_notify values of <aio-posix.h> (SIGEV_AIO_EVENTFD,
 *   SIGEV_AIO_QUEUE, the flag SIGEV_AIO_PRIVATE) collide with no value glibc
 *   or the kernel defines, alone or combined (checked below).
 * - FreeBSD's aio_iov and aio_iovcnt are aio_buf and aio_nbytes, as FreeBSD
 *   overlays them: <aio-posix.h> names them with two macros and the struct
 *   stays glibc's.
 */
#ifndef AIO_POSIX_ABI_H
#define AIO_POSIX_ABI_H

/* --- symbol versions --------------------------------------------------------
 * glibc exports each aio name at the version of the architecture's first
 * glibc (ABI_GLIBC_BASE) and, since glibc 2.34 moved them from librt into
 * libc, at GLIBC_2.34, the default.  On x86_64 and i386 lio_listio and
 * lio_listio64 at the base version are older code: until glibc 2.4
 * lio_listio delivered only the list's notification, never the entries'
 * own (ABI_ENTRY_PRE_2_4); today's lio_listio is also at GLIBC_2.4.  A
 * 32-bit glibc with 32-bit time_t adds __aio_suspend_time64 at GLIBC_2.34,
 * the aio_suspend of programs built with _TIME_BITS=64.
 *
 * Our definitions carry the same version names.  The dynamic linker
 * matches a versioned reference by the version's name only, never by the
 * library that defined it, so a reference to aio_read@GLIBC_2.34 binds to
 * ours whenever we come first in the lookup scope: preloaded, or linked
 * before libc.  An unversioned definition would bind every version, and
 * give programs built against glibc 2.1 to 2.3 today's lio_listio; a
 * version node of our own would bind none (tests/test-preload proves all
 * this by preload and by link).
 *
 * This part is read by the C preprocessor alone, too, to make the linker's
 * version script: lib/libaio-posix.map.in defines ABI_VERSIONS_ONLY. */
#if defined(__x86_64__) && defined(__LP64__)
#define ABI_GLIBC_BASE GLIBC_2.2.5
#define ABI_LISTIO_BEFORE_2_4 1
#define ABI_TIME64_ENTRIES 0
#elif defined(__i386__)
#define ABI_GLIBC_BASE GLIBC_2.1
#define ABI_LISTIO_BEFORE_2_4 1
#define ABI_TIME64_ENTRIES 1
#elif defined(__aarch64__) && defined(__LP64__)
#define ABI_GLIBC_BASE GLIBC_2.17
#define ABI_LISTIO_BEFORE_2_4 0
#define ABI_TIME64_ENTRIES 0
#endif
/* Elsewhere the versions are unknown: configure then builds without a
 * version script, and the names stay unversioned (see configure.ac). */

/* The extension API's exported names, unversioned (in no node of the
 * version script): X(name) for each.  The *64 twins exist on every ABI,
 * the __*_time64 ones where time_t has 32 bits. */
#define ABI_EXTENSION_NAMES_EVERYWHERE(X) \
	X(aio_posix_version) X(aio_posix_get_stats) \
	X(aio_readv) X(aio_writev) X(aio_read2) X(aio_write2) X(aio_mlock) \
	X(aio_waitcomplete) X(aio_waitn) \
	X(aio_queue_create) X(aio_queue_reap) X(aio_queue_close) \
	X(aioread) X(aiowrite) X(aiowait) X(aiocancel) \
	X(aio_readv64) X(aio_writev64) X(aio_read2_64) X(aio_write2_64) X(aio_mlock64) \
	X(aio_waitcomplete64) X(aio_waitn64) X(aioread64) X(aiowrite64)
#if ABI_TIME64_ENTRIES
#define ABI_EXTENSION_NAMES(X) ABI_EXTENSION_NAMES_EVERYWHERE(X) \
	X(__aio_waitcomplete_time64) X(__aio_waitn_time64) X(__aio_queue_reap_time64) \
	X(__aiowait_time64)
#else
#define ABI_EXTENSION_NAMES(X) ABI_EXTENSION_NAMES_EVERYWHERE(X)
#endif

#ifndef ABI_VERSIONS_ONLY

#include <aio.h>
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#include "aio-posix.h"

/* The library's own view must be the plain one (see the top). */
#ifdef __USE_FILE_OFFSET64
#error "build the library without _FILE_OFFSET_BITS=64: its struct aiocb must be the plain one"
#endif
#ifdef __USE_TIME_BITS64
#error "build the library without _TIME_BITS=64: its struct timespec must be the plain one"
#endif

/* Does the architecture have distinct aiocb and aiocb64 (ILP32), or one
 * layout under two names (LP64)?  Any 32-bit glibc keeps a 32-bit off_t in
 * the plain struct; glibc's own 64-bit-time ILP32 ports (__TIMESIZE 64
 * from the start) are not among the supported ones. */
#if __SIZEOF_LONG__ == 8
#define ABI_SEPARATE_AIOCB64 0
#else
#define ABI_SEPARATE_AIOCB64 1
#endif

/* --- exported names ----------------------------------------------------------
 * AIO_EXPORT marks a function that leaves the library.  After the
 * definition of each of glibc's names comes AIO_EXPORT_VERSIONS(name), or
 * AIO_EXPORT_64(name, ret, params) for a name with a *64 twin: it gives
 * the name (and, on LP64, its twin, an alias made here: struct aiocb64 is
 * struct aiocb there) glibc's versions.  On ILP32 compat.c defines the
 * twins, which reach the plain function through the hidden alias
 * abi_internal_NAME made here.  Built with AIO_POSIX_UNVERSIONED (an
 * architecture missing from the table, or the fuzzer, which links the
 * sources into a program), the names stay unversioned. */
#define AIO_EXPORT __attribute__((visibility("default")))

#define ABI_STRING_(x) #x
#define ABI_STRING(x) ABI_STRING_(x)

#if defined(ABI_GLIBC_BASE) && !defined(AIO_POSIX_UNVERSIONED)
#define ABI_VERSIONED 1
#define ABI_BASE_VERSION ABI_STRING(ABI_GLIBC_BASE)
/* The oldest version of each name that has today's meaning. */
#define ABI_SINCE_aio_read ABI_BASE_VERSION
#define ABI_SINCE_aio_write ABI_BASE_VERSION
#define ABI_SINCE_aio_fsync ABI_BASE_VERSION
#define ABI_SINCE_aio_error ABI_BASE_VERSION
#define ABI_SINCE_aio_return ABI_BASE_VERSION
#define ABI_SINCE_aio_suspend ABI_BASE_VERSION
#define ABI_SINCE_aio_cancel ABI_BASE_VERSION
#define ABI_SINCE_aio_init ABI_BASE_VERSION
#if ABI_LISTIO_BEFORE_2_4
#define ABI_SINCE_lio_listio "GLIBC_2.4"
#else
#define ABI_SINCE_lio_listio ABI_BASE_VERSION
#endif
/* exported: exported_name@version, for the function internal (whose own
 * name the version script keeps local: abi_*). */
#define ABI_SYMBOL_VERSION(internal, exported, version) \
	__asm__(".symver " #internal ", " exported "@" version)
/* name@@GLIBC_2.34, the default, and name@since, for function, through an
 * alias of its own: the linker would take a versioned alias sharing the
 * plain name's place for the plain name itself. */
#define ABI_VERSIONS_OF(function, name, since) \
	extern __typeof(function) abi_export_##name \
		__attribute__((alias(#function), copy(function), visibility("default"))); \
	ABI_SYMBOL_VERSION(abi_export_##name, #name, "@GLIBC_2.34"); /* @@: the default */ \
	ABI_SYMBOL_VERSION(abi_export_##name, #name, since)
#else
#define ABI_VERSIONED 0
#define ABI_VERSIONS_OF(function, name, since) \
	extern __typeof(function) abi_unversioned_##name
#endif

#define AIO_EXPORT_VERSIONS(name) ABI_VERSIONS_OF(name, name, ABI_SINCE_##name)

#if !ABI_SEPARATE_AIOCB64
#define AIO_EXPORT_64(name, ret, params) \
	AIO_EXPORT ret name##64 params __attribute__((alias(#name))); \
	AIO_EXPORT_VERSIONS(name); \
	ABI_VERSIONS_OF(name##64, name##64, ABI_SINCE_##name)
#else
#define AIO_EXPORT_64(name, ret, params) \
	extern __typeof(name) abi_internal_##name \
		__attribute__((alias(#name), copy(name), visibility("hidden"))); \
	AIO_EXPORT_VERSIONS(name)
#endif

/* How an entry point was given its aiocbs (the entry_abi of submit.c and
 * listio.c). */
#define ABI_ENTRY_AIOCB64 1u		/* struct aiocb64: a 64-bit aio_offset */
#define ABI_ENTRY_PRE_2_4 2u	/* lio_listio before glibc 2.4: the entries'
				 * own sigevents are not delivered */

/* aio_offset as the entry point's layout has it. */
static inline int64_t
abi_offset(const struct aiocb *cb, unsigned entry_abi)
{
	if (entry_abi & ABI_ENTRY_AIOCB64)
		return ((const struct aiocb64 *)cb)->aio_offset;
	return cb->aio_offset;	/* on ILP32 the 32 bits, never the padding */
}

/* A wait's timeout (aio_suspend, aio_waitn, ...), widened so that every
 * ABI's struct timespec and struct timeval fit. */
struct abi_timeout {
	int64_t seconds;
	long nanoseconds;	/* -1 for a timeval whose tv_usec is out of range */
};

/* On ILP32 with 32-bit time_t, the struct timespec of a program built with
 * _TIME_BITS=64 (glibc's struct __timespec64): 64-bit seconds, a 32-bit
 * tv_nsec, then 4 bytes of padding a caller may leave as garbage.
 * tests/test-abi compares it with the system's, in its _TIME_BITS=64
 * build. */
struct abi_timespec64 {
	int64_t tv_sec;
	int32_t tv_nsec;
	int32_t padding;
};
_Static_assert(sizeof(struct abi_timespec64) == 16, "struct __timespec64 is 16 bytes");
_Static_assert(offsetof(struct abi_timespec64, tv_nsec) == 8, "tv_nsec follows tv_sec");

/* Likewise glibc's struct __timeval64: 64-bit seconds and microseconds. */
struct abi_timeval64 {
	int64_t tv_sec;
	int64_t tv_usec;
};
_Static_assert(sizeof(struct abi_timeval64) == 16, "struct __timeval64 is 16 bytes");

/* A program's timeout, of any ABI's struct timespec (timeout NULL: none),
 * as the struct abi_timeout *wide, or NULL.  Never reads the padding. */
#define ABI_WIDEN_TIMESPEC(timeout, wide)                                          \
	((timeout) ? (*(wide) = (struct abi_timeout){ (timeout)->tv_sec, (timeout)->tv_nsec }, \
		      (const struct abi_timeout *)(wide))                              \
		   : NULL)
/* The same of a struct timeval: a tv_usec outside [0, 1000000) makes the
 * timeout invalid. */
#define ABI_WIDEN_TIMEVAL(timeout, wide)                                           \
	((timeout) ? (*(wide) = (struct abi_timeout){                                   \
			      (timeout)->tv_sec,                                        \
			      (timeout)->tv_usec < 0 || (timeout)->tv_usec >= 1000000   \
				      ? -1L : (long)(timeout)->tv_usec * 1000L },       \
		      (const struct abi_timeout *)(wide))                              \
		   : NULL)

/* What the library keeps in __glibc_reserved: the mark, the lane, the flags,
 * the collect ticket. */
#define ABI_LANE_BYTE sizeof(uint64_t)
#define ABI_FLAGS_BYTE (ABI_LANE_BYTE + 1)
#define ABI_COLLECT_TICKET (2 * sizeof(uint64_t))
#define ABI_PRIVATE_BYTES (ABI_COLLECT_TICKET + sizeof(uint64_t))
#define ABI_IN_RING 0x01
#define ABI_RETURNED 0x02

/* --- layouts --------------------------------------------------------------- */

#define ABI_AT(type, field, offset) \
	_Static_assert(offsetof(struct type, field) == (offset), #type "." #field " moved")

#if (defined(__x86_64__) || defined(__aarch64__)) && defined(__LP64__)
/* x86_64 and aarch64: one LP64 layout. */
_Static_assert(sizeof(struct aiocb) == 168, "struct aiocb is not glibc's LP64 layout");
ABI_AT(aiocb, aio_fildes, 0);
ABI_AT(aiocb, aio_lio_opcode, 4);
ABI_AT(aiocb, aio_reqprio, 8);
ABI_AT(aiocb, aio_buf, 16);
ABI_AT(aiocb, aio_nbytes, 24);
ABI_AT(aiocb, aio_sigevent, 32);
ABI_AT(aiocb, __error_code, 112);
ABI_AT(aiocb, __return_value, 120);
ABI_AT(aiocb, aio_offset, 128);
ABI_AT(aiocb, __glibc_reserved, 136);
_Static_assert(sizeof(off_t) == 8, "LP64 has a 64-bit off_t");
#elif defined(__i386__)
/* i386: two layouts of one size. */
_Static_assert(sizeof(struct aiocb) == 144, "struct aiocb is not glibc's i386 layout");
_Static_assert(sizeof(struct aiocb64) == 144, "struct aiocb64 is not glibc's i386 layout");
ABI_AT(aiocb, aio_fildes, 0);
ABI_AT(aiocb, aio_lio_opcode, 4);
ABI_AT(aiocb, aio_reqprio, 8);
ABI_AT(aiocb, aio_buf, 12);
ABI_AT(aiocb, aio_nbytes, 16);
ABI_AT(aiocb, aio_sigevent, 20);
ABI_AT(aiocb, __error_code, 96);
ABI_AT(aiocb, __return_value, 100);
ABI_AT(aiocb, aio_offset, 104);
ABI_AT(aiocb, __pad, 108);
ABI_AT(aiocb, __glibc_reserved, 112);
_Static_assert(sizeof(off_t) == 4 && sizeof(((struct aiocb *)0)->__pad) == 4,
	       "i386's struct aiocb: a 32-bit aio_offset, then 4 bytes of padding");
_Static_assert(sizeof(((struct aiocb64 *)0)->aio_offset) == 8, "aiocb64 has a 64-bit offset");
_Static_assert(sizeof(time_t) == 4, "the library's own time_t is i386's plain one");
#endif
/* Everywhere: the fields before aio_offset and the private ones are the
 * same in both structs, so every entry point but the offset readers may
 * take one for the other. */
#define ABI_SAME_IN_AIOCB64(field) \
	_Static_assert(offsetof(struct aiocb, field) == offsetof(struct aiocb64, field) && \
		       sizeof(((struct aiocb *)0)->field) == sizeof(((struct aiocb64 *)0)->field), \
		       "aiocb64." #field " differs from aiocb's")
ABI_SAME_IN_AIOCB64(aio_fildes);
ABI_SAME_IN_AIOCB64(aio_lio_opcode);
ABI_SAME_IN_AIOCB64(aio_reqprio);
ABI_SAME_IN_AIOCB64(aio_buf);
ABI_SAME_IN_AIOCB64(aio_nbytes);
ABI_SAME_IN_AIOCB64(aio_sigevent);
ABI_SAME_IN_AIOCB64(__error_code);
ABI_SAME_IN_AIOCB64(__return_value);
ABI_SAME_IN_AIOCB64(__glibc_reserved);
_Static_assert(sizeof(struct aiocb) == sizeof(struct aiocb64), "aiocb64's size differs");
_Static_assert(offsetof(struct aiocb, aio_offset) == offsetof(struct aiocb64, aio_offset),
	       "aiocb64 offset field differs");
_Static_assert(sizeof(struct sigevent) == 64, "struct sigevent is 64 bytes in every glibc ABI");
_Static_assert(sizeof(((struct aiocb *)0)->__glibc_reserved) >= ABI_PRIVATE_BYTES,
	       "no room for the submission mark, the lane, the flags and the collect ticket");
_Static_assert((offsetof(struct aiocb, __glibc_reserved) + ABI_COLLECT_TICKET) % 4 == 0,
	       "the collect ticket is not word-aligned in the aiocb");

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

/* The collect ticket (record.c): one word, atomic because aio_return reads
 * it without a lock. */
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

#endif /* ABI_VERSIONS_ONLY */

#endif
