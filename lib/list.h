/* list.h: intrusive doubly linked lists, and a lock-free stack.
 *
 * The lists are plain data: whoever links or unlinks holds the lock of the
 * structure that owns the list.  The stack (stack_push / stack_take_all) is
 * safe for any number of pushers and one taker at a time that takes the
 * whole stack, so it needs no ABA protection.
 */
#ifndef AIO_POSIX_LIST_H
#define AIO_POSIX_LIST_H

#include <stdbool.h>
#include <stddef.h>

struct list {
	struct list *prev, *next;
};

#define LIST_INIT(name) { &(name), &(name) }
#define container_of(ptr, type, member) \
	((type *)((char *)(ptr) - offsetof(type, member)))

static inline void list_init(struct list *l) { l->prev = l->next = l; }
static inline bool list_empty(const struct list *l) { return l->next == l; }

static inline void
list_append(struct list *head, struct list *item)
{
	item->prev = head->prev;
	item->next = head;
	head->prev->next = item;
	head->prev = item;
}

static inline void
list_remove(struct list *item)
{
	item->prev->next = item->next;
	item->next->prev = item->prev;
	item->prev = item->next = item;
}

/* A lock-free stack of objects linked through a `next` pointer field.
 * Push with release, take with acquire: what the pusher wrote before is
 * visible to the taker. */
#define stack_push(top, first, last) do {					\
	__typeof__(*(top)) seen_ = __atomic_load_n((top), __ATOMIC_RELAXED);	\
	do								\
		(last)->next = seen_;					\
	while (!__atomic_compare_exchange_n((top), &seen_, (first), true,	\
					    __ATOMIC_RELEASE, __ATOMIC_RELAXED)); \
} while (0)

#define stack_take_all(top) __atomic_exchange_n((top), NULL, __ATOMIC_ACQUIRE)

#endif
