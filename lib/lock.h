/* lock.h: the library's mutex, a futex word.
 *
 * 0 free, 1 held, 2 held and someone may sleep on it.  Taking a free lock
 * is one compare-and-swap, giving it back one exchange; the wake system
 * call is made only when the word said 2.  Acquire on taking, release on
 * giving back: that is all the ordering the data under a lock needs.
 *
 * lock_try never sleeps, so a caller that must not wait (a signal handler,
 * aio_suspend) can use it: if the lock is held, perhaps by the very code the
 * handler interrupted, it gives up instead of deadlocking.
 *
 * No owner is recorded and the lock is not recursive.  A fork child resets
 * every lock it owns with lock_reset: the parent's other threads, which may
 * have held one, do not exist there.
 */
#ifndef AIO_POSIX_LOCK_H
#define AIO_POSIX_LOCK_H

#include <limits.h>
#include <linux/futex.h>
#include <stdbool.h>
#include <sys/syscall.h>
#include <unistd.h>

struct lock {
	int word;
};

#define LOCK_INIT { 0 }

static inline bool
lock_try(struct lock *l)
{
	int free_word = 0;
	return __atomic_compare_exchange_n(&l->word, &free_word, 1, false,
					   __ATOMIC_ACQUIRE, __ATOMIC_RELAXED);
}

static inline void
lock_cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#elif defined(__aarch64__)
	__asm__ __volatile__("yield");
#endif
}

/* Held locks are held briefly (a few list operations): spin a little before
 * sleeping, but not long, since on a small machine the holder may be the
 * thread that this one keeps off the CPU. */
#define LOCK_SPINS 64

static inline void
lock_slow(struct lock *l)
{
	for (int i = 0; i < LOCK_SPINS; i++) {
		if (__atomic_load_n(&l->word, __ATOMIC_RELAXED) == 0 && lock_try(l))
			return;
		lock_cpu_relax();
	}
	while (__atomic_exchange_n(&l->word, 2, __ATOMIC_ACQUIRE) != 0)
		syscall(SYS_futex, &l->word, FUTEX_WAIT | FUTEX_PRIVATE_FLAG, 2, NULL, NULL, 0);
}

static inline void
lock_take(struct lock *l)
{
	if (!lock_try(l))
		lock_slow(l);
}

static inline void
lock_give(struct lock *l)
{
	if (__atomic_exchange_n(&l->word, 0, __ATOMIC_RELEASE) == 2)
		syscall(SYS_futex, &l->word, FUTEX_WAKE | FUTEX_PRIVATE_FLAG, 1, NULL, NULL, 0);
}

static inline void
lock_reset(struct lock *l)
{
	__atomic_store_n(&l->word, 0, __ATOMIC_RELAXED);
}

#endif
