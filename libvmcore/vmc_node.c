/* SPDX-License-Identifier: MIT */
/*
 * vmc_node.c - the linux-6.12 profile: vmap nodes, their lazy sets and
 * their size-class pools, on top of vmc_va.c's free tree.
 *
 * Theory
 * ------
 * 1. What 6.12 changed (Uladzislau Rezki's "Mitigate a vmap lock
 *    contention", 6.9).  The free tree stays global and its searches are
 *    6.1's (vmc_va.c theory 3-5).  Around it the space is split into
 *    vmap nodes: nr_vnodes = nr_cpus clamped to [1, 128]; with more than
 *    one, an address belongs to node (addr / 16 pages) % nr_vnodes
 *    (addr_to_node, "zones" of 16 pages).  Each node has a busy set, a
 *    lazy set and VMC_POOL_SIZES pools; pool i holds purged areas of
 *    exactly i + 1 pages, ready to be handed out again without touching
 *    the free tree.
 *
 * 2. Where the sets live here.  The busy areas of all nodes are the
 *    arena's one busy set (a->vs.busy): which node's tree holds an area
 *    is not observable in any address.  The lazy areas of all nodes are
 *    the arena's lazy set (a->vs.lazy) too, but unmerged (6.12 inserts
 *    lazy areas, 6.1 merged them), so each keeps its identity; an area's
 *    node is computed, as Linux computes it: the node encoded in it (vn,
 *    Linux's vn_id: the CPU's node that allocated it through the node
 *    layer) or else addr_to_node(va_start).  Pooled areas stay in the
 *    lazy set too, flagged pool = 1 and chained LIFO through u.next:
 *    for vmc_check they are what lazy areas are (unmapped ranges nobody
 *    may use), for the counts they are a->nr_pooled / a->pool_pages.
 *
 * 3. Allocation (alloc_vmap_area, node_alloc).  Only a request for the
 *    whole vmalloc range [a->start, a->end) with more than one node uses
 *    the node layer: node = cpu % nr_vnodes (cpu: the calling thread's,
 *    vmc_set_cpu).  Its pool of the request's size is looked at: the
 *    first (most recently added) area is taken if it is aligned to the
 *    request, else it is moved to the tail and the free tree is
 *    searched.  Either way the area carries that node (vn), so it comes
 *    back to this node's pool.  On no fit: fragmented vmap blocks are
 *    purged (forced), then __purge_vmap_area_lazy with a full pool decay
 *    and no pool refill, and the free tree is searched once more (not
 *    the pool).
 *    When the area's metadata cannot be had after the pool was looked
 *    at, that is told (NOFIT with VMC_VA_EVF_NOMEM): the look may have
 *    moved the pool's head, as Linux's node_alloc() does before its
 *    kmem_cache_alloc() can fail.
 *
 * 4. Freeing (free_vmap_area_noflush).  A busy area goes to its node's
 *    lazy set; when the lazy pages exceed lazy_max_pages the drain runs
 *    (purge, no full decay) at once, where Linux schedules it.
 *
 * 5. Purge (__purge_vmap_area_lazy).  For each node in order: decay its
 *    pools (decay_va_pool_node: each non-empty pool gives up len / 4 of
 *    its areas from the head, or all when len < 4 or on a full decay;
 *    they merge among themselves first, then into the free tree in
 *    address order).  Then one TLB flush over the span of every lazy
 *    area.  Then for each node in order (purge_vmap_node) its lazy areas
 *    in address order: one with a valid node and size <= 256 pages goes
 *    to the head of that node's pool (not on a full decay); the others
 *    are collected LIFO and merged into the free tree in that order, i.e.
 *    from the highest address down.  These orders decide the free tree's
 *    shape and therefore later addresses; the linux612 oracle runs
 *    Linux's own code for them.  Even with nothing lazy a purge decays
 *    the pools and is told (VMC_VA_EV_PURGE).
 *
 * All functions expect the arena lock held (vmc_arena_lock); vmc_pcpu.c
 * pops a node's pool under its CPU's lock alone, as pool_take does.
 */
#include "vmc_internal.h"

#define NODE_MAX VMC_NODE_MAX
#define NODE_ZONE (16UL << VMC_PAGE_SHIFT)

/* ---------- nodes ---------- */

static unsigned int node_of_addr(const struct vmc_arena *a,
				 unsigned long addr)
{
	if (a->nr_vnodes == 1)
		return 0;
	return (unsigned int)((addr / NODE_ZONE) % a->nr_vnodes);
}

/* The node whose lazy set (and pool) an area belongs to (theory 2). */
static unsigned int node_of(const struct vmc_arena *a, const struct vmc_va *va)
{
	if (va->vn && va->vn - 1u < a->nr_vnodes)
		return va->vn - 1u;
	return node_of_addr(a, va->va_start);
}

int vmc_node_init(struct vmc_arena *a)
{
	unsigned int n;

	a->vnodes = NULL;
	a->nr_vnodes = 0;
	a->pool_pages = 0;
	a->nr_pooled = 0;
	if (a->cfg.profile == VMC_PROFILE_LINUX_6_1)
		return 0;
	if (a->cfg.profile != VMC_PROFILE_LINUX_6_12 ||
	    a->cfg.placement != VMC_PLACEMENT_LINUX)
		return -EINVAL;
	n = a->cfg.nr_cpus ? a->cfg.nr_cpus : 1;
	if (n > NODE_MAX)
		n = NODE_MAX;
	a->vnodes = vmc_meta_alloc(a, n * sizeof(*a->vnodes));
	if (!a->vnodes)
		return -ENOMEM;
	a->nr_vnodes = n;
	return 0;
}

void vmc_node_fini(struct vmc_arena *a)
{
	/* Pooled areas are on the lazy list: vmc_va_fini frees them. */
	vmc_meta_free(a, a->vnodes);
	a->vnodes = NULL;
	a->nr_vnodes = 0;
	a->pool_pages = 0;
	a->nr_pooled = 0;
}

/* ---------- pools ---------- */

static struct vmc_pool *pool_of(struct vmc_arena *a, unsigned int node,
				unsigned long size)
{
	unsigned long idx = (size - 1) >> VMC_PAGE_SHIFT;

	return idx < VMC_POOL_SIZES ? &a->vnodes[node].pool[idx] : NULL;
}

/* node_pool_add_va: to the head. */
static bool pool_add(struct vmc_arena *a, unsigned int node, struct vmc_va *va)
{
	struct vmc_pool *p = pool_of(a, node, vmc_va_size(va));

	if (!p)
		return false;
	va->u.next = p->head;
	p->head = va;
	if (!p->tail)
		p->tail = va;
	p->len++;
	va->pool = 1;
	a->nr_pooled++;
	a->pool_pages += vmc_va_size(va) >> VMC_PAGE_SHIFT;
	return true;
}

/* Unchain the head of p (the caller takes it out of the lazy set). */
struct vmc_va *vmc_pool_unlink(struct vmc_pool *p)
{
	struct vmc_va *va = p->head;

	p->head = va->u.next;
	if (!p->head)
		p->tail = NULL;
	va->u.next = NULL;
	va->pool = 0;
	return va;
}

static struct vmc_va *pool_pop(struct vmc_arena *a, struct vmc_pool *p)
{
	struct vmc_va *va = vmc_pool_unlink(p);

	a->nr_pooled--;
	a->pool_pages -= vmc_va_size(va) >> VMC_PAGE_SHIFT;
	return va;
}

/* node_pool_del_va: the head if aligned, else the head goes to the tail. */
static struct vmc_va *pool_take(struct vmc_arena *a, unsigned int node,
				unsigned long size, unsigned long align)
{
	struct vmc_pool *p = pool_of(a, node, size);
	struct vmc_va *va;

	if (!p || !p->head)
		return NULL;
	va = p->head;
	if (va->va_start & (align - 1)) {
		if (p->tail != va) {
			p->head = va->u.next;
			va->u.next = NULL;
			p->tail->u.next = va;
			p->tail = va;
		}
		return NULL;
	}
	VMC_VERIFY3U(vmc_va_size(va), ==, size);
	pool_pop(a, p);
	p->len--;
	return va;
}

/* A range into the free set (vmc_va.c theory 6). */
static void node_to_free(struct vmc_arena *a, struct vmc_va *va)
{
	va->state = VMC_VA_FREE;
	va->kind = VMC_VA_NONE;
	va->pool = 0;
	va->vn = 0;
	va->u.vm = NULL;
	vmc_dirty_add(a, va->va_start, va->va_end);
	vmc_vaset_merge(a, &a->vs.free, va);
}

/* decay_va_pool_node (theory 5). */
static void node_decay(struct vmc_arena *a, unsigned int node, bool full)
{
	struct vmc_vaset decay;
	struct vmc_list *pos, *tmp;
	unsigned int i;

	vmc_vaset_init(&decay);
	for (i = 0; i < VMC_POOL_SIZES; i++) {
		struct vmc_pool *p = &a->vnodes[node].pool[i];
		unsigned long n_decay;

		if (!p->head)
			continue;
		if (full)
			p->len = 0;
		n_decay = p->len >> 2;
		while (p->head) {
			struct vmc_va *va = pool_pop(a, p);

			vmc_vaset_remove(a, &a->vs.lazy, va);
			va->state = VMC_VA_FREE;
			vmc_vaset_merge(a, &decay, va);
			if (!full) {
				p->len--;
				if (!--n_decay)  /* wraps from 0: all go */
					break;
			}
		}
	}
	vmc_list_for_each_safe(pos, tmp, &decay.head) {
		struct vmc_va *va = vmc_list_entry(pos, struct vmc_va, list);

		vmc_list_del(&va->list);
		node_to_free(a, va);
	}
}

/* ---------- allocation, freeing, purge ---------- */

int vmc_node_alloc(struct vmc_arena *a, unsigned long size,
		   unsigned long align, unsigned long vstart,
		   unsigned long vend, struct vmc_va **out)
{
	unsigned short vn = 0;
	struct vmc_va *va = NULL;
	int err;

	if (vstart == a->start && vend == a->end && a->nr_vnodes > 1) {
		unsigned int node = vmc_cur_cpu(a) % a->nr_vnodes;

		va = pool_take(a, node, size, align);
		vn = (unsigned short)(node + 1);
	}
	if (va) {
		vmc_vaset_remove(a, &a->vs.lazy, va);
		va->state = VMC_VA_BUSY;
		va->kind = VMC_VA_NONE;
		va->u.vm = NULL;
		vmc_vaset_insert(a, &a->vs.busy, va);
		vmc_va_event(a, VMC_VA_EV_ALLOC, va->va_start, size, align,
			     vstart, vend, VMC_VA_EVF_POOL);
		err = 0;
	} else {
		err = vmc_va_search(a, size, align, vstart, vend, 0, &va);
		if (err == -ENOMEM && vn)
			/* Linux's node_alloc() ran (it may have moved the
			   pool's head): say so, for a follower. */
			vmc_va_event(a, VMC_VA_EV_NOFIT, 0, size, align, vstart,
				     vend, VMC_VA_EVF_NOMEM);
		if (err == -ENOENT) {
			unsigned long blocks =
				vmc_vb_purge_fragmented_force(a, true);

			if (blocks || a->vs.lazy.nr) {
				vmc_node_purge(a, true);
				err = vmc_va_search(a, size, align, vstart,
						    vend, VMC_VA_EVF_RETRY,
						    &va);
			}
		}
	}
	if (err)
		return err == -ENOENT ? -ENOMEM : err;
	va->vn = vn;
	va->pool = 0;
	vmc_dirty_add(a, va->va_start, va->va_end);
	*out = va;
	return 0;
}

void vmc_node_free(struct vmc_arena *a, struct vmc_va *va)
{
	VMC_VERIFY3U(va->state, ==, VMC_VA_BUSY);
	vmc_dirty_add(a, va->va_start, va->va_end);
	vmc_va_event(a, VMC_VA_EV_LAZY, va->va_start, vmc_va_size(va), 0, 0,
		     0, 0);
	vmc_vaset_remove(a, &a->vs.busy, va);
	va->state = VMC_VA_LAZY;
	va->kind = VMC_VA_NONE;
	va->pool = 0;
	va->u.vm = NULL;
	a->vs.lazy_pages += vmc_va_size(va) >> VMC_PAGE_SHIFT;
	vmc_vaset_insert(a, &a->vs.lazy, va);
	if (a->vs.lazy_pages > a->vs.lazy_max_pages)
		vmc_node_purge(a, false);
}

/* purge_vmap_node: node's lazy areas (chained through u.next, in address
 * order) to its pools or, collected LIFO, to free. */
static void node_purge_one(struct vmc_arena *a, unsigned int node,
			   struct vmc_va *q, bool full)
{
	struct vmc_va *back = NULL;

	while (q) {
		struct vmc_va *va = q;

		q = va->u.next;
		va->u.next = NULL;
		a->vs.lazy_pages -= vmc_va_size(va) >> VMC_PAGE_SHIFT;
		vmc_dirty_add(a, va->va_start, va->va_end);
		if (va->vn && va->vn - 1u < a->nr_vnodes && !full &&
		    pool_add(a, node, va))
			continue;
		vmc_vaset_remove(a, &a->vs.lazy, va);
		va->u.next = back;
		back = va;
	}
	while (back) {
		struct vmc_va *va = back;

		back = va->u.next;
		node_to_free(a, va);
	}
}

unsigned long vmc_node_purge(struct vmc_arena *a, bool full)
{
	unsigned long lo = ~0UL, hi = 0, n = 0;
	struct vmc_list *pos;
	unsigned int i;

	for (i = 0; i < a->nr_vnodes; i++) {
		node_decay(a, i, full);
		a->vnodes[i].qhead = a->vnodes[i].qtail = NULL;
	}
	/* Each node's lazy areas, in address order, on its queue. */
	vmc_list_for_each(pos, &a->vs.lazy.head) {
		struct vmc_va *va = vmc_list_entry(pos, struct vmc_va, list);

		if (va->pool)
			continue;
		lo = VMC_MIN(lo, va->va_start);
		hi = VMC_MAX(hi, va->va_end);
		i = node_of(a, va);
		va->u.next = NULL;
		if (a->vnodes[i].qtail)
			a->vnodes[i].qtail->u.next = va;
		else
			a->vnodes[i].qhead = va;
		a->vnodes[i].qtail = va;
		n++;
	}
	vmc_va_event(a, VMC_VA_EV_PURGE, 0, 0, 0, 0, 0,
		     full ? VMC_VA_EVF_FULL : 0);
	if (!n)
		return 0;
	vmc_bo_flush_tlb(a, lo, hi);
	for (i = 0; i < a->nr_vnodes; i++)
		node_purge_one(a, i, a->vnodes[i].qhead, full);
	a->vs.nr_purges++;
	return n;
}

/* ---------- validation ---------- */

int vmc_node_validate(struct vmc_arena *a, char *msg, size_t len)
{
	unsigned long pooled = 0, pages = 0, chained = 0;
	struct vmc_list *pos;
	unsigned int i, j;

	vmc_list_for_each(pos, &a->vs.lazy.head) {
		const struct vmc_va *va = vmc_list_entry(pos, struct vmc_va,
							 list);

		if (!va->pool)
			continue;
		pooled++;
		pages += vmc_va_size(va) >> VMC_PAGE_SHIFT;
	}
	for (i = 0; i < a->nr_vnodes; i++) {
		for (j = 0; j < VMC_POOL_SIZES; j++) {
			const struct vmc_pool *p = &a->vnodes[i].pool[j];
			const struct vmc_va *va, *last = NULL;
			unsigned long k = 0;

			for (va = p->head; va; va = va->u.next) {
				if (!va->pool || va->state != VMC_VA_LAZY ||
				    vmc_va_size(va) != ((unsigned long)j + 1) <<
				    VMC_PAGE_SHIFT || node_of(a, va) != i) {
					if (msg && len)
						snprintf(msg, len,
							"pool %u/%u holds [0x%lx, "
							"0x%lx), not one of its "
							"areas", i, j + 1,
							va->va_start,
							va->va_end);
					return 3;
				}
				last = va;
				if (++k > pooled)
					break;
			}
			if (last != p->tail || k != p->len) {
				if (msg && len)
					snprintf(msg, len,
						"pool %u/%u: %lu areas, len %lu",
						i, j + 1, k, p->len);
				return 3;
			}
			chained += k;
		}
	}
	if (pooled != a->nr_pooled || chained != pooled ||
	    pages != a->pool_pages) {
		if (msg && len)
			snprintf(msg, len, "%lu pooled areas (%lu pages) "
					 "in the lazy set, %lu in pools, counted "
					 "%lu (%lu pages)", pooled, pages,
					 chained, a->nr_pooled, a->pool_pages);
		return 3;
	}
	return 0;
}
