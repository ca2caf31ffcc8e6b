/* SPDX-License-Identifier: MIT */
/*
 * mdl_ram.c - the model's RAM: one buddy allocator per node, and the
 * contents of every frame.
 *
 * Theory
 * ------
 * The core asks its backend for frames; which frame it gets decides
 * whether a later order-9 (huge) allocation finds a free aligned block.
 * So the model re-states the sim backend's allocator rule by rule, in the
 * plainest form: per node and order a free list kept as an array used as
 * a stack (the head is the last element), initial carving of each node
 * into maximal aligned blocks with the lowest block at the head, split
 * keeping the lower half (upper halves pushed), freeing by coalescing
 * with a free buddy of the same order inside the node (removed from its
 * list wherever it is, by a linear search).  Nodes: an equal share each,
 * the last takes the remainder; an allocation tries the preferred node
 * (node 0 for "any") and then the others in ascending order.
 *
 * Contents: a frame is `fill` in every byte until something writes a
 * single byte of it; then it gets a 4 KiB buffer.  Allocation resets it
 * to the poison 0xa5.  Device frames start zeroed and are never reset.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "model.h"

static int push(struct mdl_stack *s, uint32_t idx)
{
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 16;
		uint32_t *v = realloc(s->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		s->v = v;
		s->cap = cap;
	}
	s->v[s->n++] = idx;
	return 0;
}

static void remove_at(struct mdl_stack *s, uint32_t idx)
{
	size_t i;

	for (i = 0; i < s->n; i++) {
		if (s->v[i] == idx) {
			memmove(&s->v[i], &s->v[i + 1],
				(s->n - i - 1) * sizeof(s->v[0]));
			s->n--;
			return;
		}
	}
	abort();                        /* a free head not on its list */
}

static void mark_free(struct mdl_ram *r, unsigned int n, unsigned long idx,
		      unsigned int order)
{
	r->head[idx] = 1;
	r->order[idx] = (uint8_t)order;
	if (push(&r->node[n].fl[order], (uint32_t)idx))
		abort();
}

int mdl_ram_init(struct mdl_ram *r, unsigned long nr_frames,
		 unsigned int nr_nodes, unsigned long dev_frames)
{
	unsigned long share, i;
	unsigned int n, o;

	memset(r, 0, sizeof(*r));
	if (!nr_frames || !nr_nodes || nr_nodes > 16 || nr_frames < nr_nodes ||
	    !dev_frames)
		return -EINVAL;
	r->nr_frames = nr_frames;
	r->nr_nodes = nr_nodes;
	r->dev_frames = dev_frames;
	r->head = calloc(nr_frames, 1);
	r->order = calloc(nr_frames, 1);
	r->data = calloc(nr_frames, sizeof(*r->data));
	r->dev = calloc(dev_frames, sizeof(*r->dev));
	if (!r->head || !r->order || !r->data || !r->dev) {
		mdl_ram_fini(r);
		return -ENOMEM;
	}
	share = nr_frames / nr_nodes;
	for (n = 0; n < nr_nodes; n++) {
		struct mdl_node *nd = &r->node[n];

		nd->start = n * share;
		nd->end = n + 1 == nr_nodes ? nr_frames : (n + 1) * share;
		nd->nr_free = nd->end - nd->start;
		/* From the top down: the largest aligned block ending at i. */
		for (i = nd->end; i > nd->start;) {
			for (o = MDL_MAX_ORDER;; o--) {
				unsigned long sz = 1UL << o;

				if (i - nd->start >= sz &&
				    !((MDL_RAM_BASE + i - sz) & (sz - 1)))
					break;
			}
			i -= 1UL << o;
			mark_free(r, n, i, o);
		}
	}
	return 0;
}

void mdl_ram_fini(struct mdl_ram *r)
{
	unsigned long i;
	unsigned int n, o;

	for (n = 0; n < 16; n++)
		for (o = 0; o <= MDL_MAX_ORDER; o++)
			free(r->node[n].fl[o].v);
	for (i = 0; r->data && i < r->nr_frames; i++)
		free(r->data[i].buf);
	for (i = 0; r->dev && i < r->dev_frames; i++)
		free(r->dev[i].buf);
	free(r->head);
	free(r->order);
	free(r->data);
	free(r->dev);
	memset(r, 0, sizeof(*r));
}

static bool node_take(struct mdl_ram *r, unsigned int n, unsigned int order,
		      unsigned long *idx)
{
	struct mdl_node *nd = &r->node[n];
	unsigned int o;
	unsigned long i;

	for (o = order; o <= MDL_MAX_ORDER && !nd->fl[o].n; o++)
		;
	if (o > MDL_MAX_ORDER)
		return false;
	i = nd->fl[o].v[--nd->fl[o].n];
	r->head[i] = 0;
	while (o > order) {
		o--;
		mark_free(r, n, i + (1UL << o), o);
	}
	r->head[i] = 2;
	r->order[i] = (uint8_t)order;
	nd->nr_free -= 1UL << order;
	r->used += 1UL << order;
	*idx = i;
	return true;
}

int mdl_ram_alloc(struct mdl_ram *r, int node, unsigned int order,
		  unsigned long *idx)
{
	unsigned int first, n;

	if (order > MDL_MAX_ORDER)
		return -ENOMEM;
	first = node >= 0 && (unsigned int)node < r->nr_nodes ?
		(unsigned int)node : 0;
	if (node_take(r, first, order, idx))
		return 0;
	for (n = 0; n < r->nr_nodes; n++)
		if (n != first && node_take(r, n, order, idx))
			return 0;
	return -ENOMEM;
}

int mdl_ram_node_of(const struct mdl_ram *r, unsigned long idx)
{
	unsigned int n;

	for (n = 0; n < r->nr_nodes; n++)
		if (idx >= r->node[n].start && idx < r->node[n].end)
			return (int)n;
	return -1;
}

void mdl_ram_free(struct mdl_ram *r, unsigned long idx, unsigned int order)
{
	int n = mdl_ram_node_of(r, idx);
	struct mdl_node *nd;

	if (n < 0 || (r->head[idx] != 2 && r->head[idx] != 3) ||
	    r->order[idx] != order)
		abort();                /* a model bug: bad free */
	nd = &r->node[n];
	r->head[idx] = 0;
	nd->nr_free += 1UL << order;
	r->used -= 1UL << order;
	while (order < MDL_MAX_ORDER) {
		unsigned long b = ((MDL_RAM_BASE + idx) ^ (1UL << order)) -
				  MDL_RAM_BASE;

		if (b < nd->start || b >= nd->end || r->head[b] != 1 ||
		    r->order[b] != order)
			break;
		remove_at(&nd->fl[order], (uint32_t)b);
		r->head[b] = 0;
		if (b < idx)
			idx = b;
		order++;
	}
	mark_free(r, (unsigned int)n, idx, order);
}

struct mdl_page *mdl_ram_page(struct mdl_ram *r, uint32_t target)
{
	if (target & MDL_DEV)
		return &r->dev[target & ~MDL_DEV];
	return &r->data[target];
}

void mdl_page_set(struct mdl_page *p, uint8_t fill)
{
	free(p->buf);
	p->buf = NULL;
	p->fill = fill;
}

void mdl_page_rw(struct mdl_page *p, size_t off, void *buf, size_t len,
		 bool write)
{
	if (!write) {
		if (p->buf)
			memcpy(buf, p->buf + off, len);
		else
			memset(buf, p->fill, len);
		return;
	}
	if (!p->buf) {
		p->buf = malloc(MDL_PAGE_SIZE);
		if (!p->buf)
			abort();
		memset(p->buf, p->fill, MDL_PAGE_SIZE);
	}
	memcpy(p->buf + off, buf, len);
}
