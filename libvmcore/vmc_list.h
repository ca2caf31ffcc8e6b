/* SPDX-License-Identifier: MIT */
/*
 * vmc_list.h - circular doubly linked lists with a sentinel head.
 *
 * The free, busy and lazy sets keep their vmap areas on address-ordered
 * lists beside their trees, so that the neighbours of a block are found in
 * O(1) once the tree has located it (merge on free needs exactly that).
 */
#ifndef VMC_LIST_H
#define VMC_LIST_H

#include "vmc_env.h"

struct vmc_list {
	struct vmc_list *next, *prev;
};

#define vmc_container_of(ptr, type, member) \
	((type *)(void *)((char *)(ptr) - offsetof(type, member)))

#define vmc_list_entry(ptr, type, member) vmc_container_of(ptr, type, member)

static inline void vmc_list_init(struct vmc_list *h)
{
	h->next = h;
	h->prev = h;
}

static inline bool vmc_list_empty(const struct vmc_list *h)
{
	return h->next == h;
}

/* Insert n between prev and next. */
static inline void vmc_list_insert_between(struct vmc_list *n,
					   struct vmc_list *prev,
					   struct vmc_list *next)
{
	n->prev = prev;
	n->next = next;
	prev->next = n;
	next->prev = n;
}

/* Insert n right after pos. */
static inline void vmc_list_add(struct vmc_list *n, struct vmc_list *pos)
{
	vmc_list_insert_between(n, pos, pos->next);
}

/* Insert n right before pos (at the tail when pos is the head). */
static inline void vmc_list_add_before(struct vmc_list *n, struct vmc_list *pos)
{
	vmc_list_insert_between(n, pos->prev, pos);
}

static inline void vmc_list_del(struct vmc_list *n)
{
	n->prev->next = n->next;
	n->next->prev = n->prev;
	n->next = n;
	n->prev = n;
}

#define vmc_list_for_each(pos, head) \
	for ((pos) = (head)->next; (pos) != (head); (pos) = (pos)->next)

#define vmc_list_for_each_safe(pos, tmp, head)                      \
	for ((pos) = (head)->next, (tmp) = (pos)->next; (pos) != (head); \
	     (pos) = (tmp), (tmp) = (pos)->next)

#endif /* VMC_LIST_H */
