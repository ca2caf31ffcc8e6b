/* SPDX-License-Identifier: MIT */
/*
 * engine_linux61.c - the "linux61" oracle engine: Linux 6.1's own
 * vmap-area allocator, compiled in userspace, replaying the core's calls.
 *
 * Theory
 * ------
 * 1. What runs.  extract.sh copies, at build time, the functions of
 *    Linux 6.1's mm/vmalloc.c that make up the vmap-area allocator (the
 *    free tree and list, find_vmap_lowest_match, adjust_va_to_fit_type,
 *    __alloc_vmap_area, merge_or_add_vmap_area, the purge tree,
 *    __purge_vmap_area_lazy, free_vmap_area(_noflush),
 *    vmap_init_free_space) and lib/rbtree.c out of the installed
 *    linux-source-6.1 tarball; this file includes them after lx_shim.h.
 *    The global trees and lists they use are defined here under their
 *    Linux names.  None of that code is in the repository.
 *
 * 2. What it is given.  The engine follows a core engine
 *    (vmc_engine_ops.exec_follow): the lead's result carries every call
 *    the core's VA allocator made during the op (vmc_result.va_ev, from
 *    vmc_arena_config.va_event), in order.  Each is replayed the way
 *    Linux's callers drive the allocator:
 *      ALLOC, NOFIT  alloc_vmap_area(): preload the no-edge node, then
 *                    __alloc_vmap_area() on the free tree with the same
 *                    size, align and [vstart, vend); on success the area
 *                    goes into the busy tree (insert_vmap_area);
 *      LAZY          free_vmap_area_noflush(): busy tree -> purge tree
 *                    (merged with touching lazy areas);
 *      FREE          free_vmap_area(): busy tree -> free tree;
 *      PURGE         __purge_vmap_area_lazy(ULONG_MAX, 0), as
 *                    purge_vmap_area_lazy() and the drain worker do (the
 *                    fragmented vmap blocks they release first are LAZY
 *                    events before it).
 *    So the core's layers above the allocator (rounding, guard pages,
 *    huge fallbacks, page arrays, vmap blocks, when to purge) choose the
 *    calls, and Linux's code answers them.
 *
 * 3. The verdict.  Every ALLOC must get the address the core got, every
 *    NOFIT must find nothing in Linux too, and every freed range must be
 *    a busy area of Linux's with the same bounds.  Then the op's result
 *    is the lead's (its trace line equals the core's).  Otherwise the
 *    result is -EPROTO with both addresses in the detail, a difference
 *    the runner reports, and the engine stops following (later results
 *    are ignored: the trees no longer correspond).  Ops without VA calls
 *    (write, verify, check) compare trivially.  check() verifies Linux's
 *    own sets: free, busy and purge lists address-ordered, disjoint and
 *    tiling [1, ULONG_MAX), free blocks merged, and no object leaked.
 *
 * 4. One instance at a time: Linux's allocator state is global (static
 *    in vmalloc.c), so create() refuses a second live instance.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lx_shim.h"
#include <linux/rbtree_augmented.h>

#include "vmc_engine.h"
#include "vmc_run.h"

struct vm_struct;

/* ---- the allocator's globals (static in mm/vmalloc.c) ---- */
static spinlock_t vmap_area_lock, free_vmap_area_lock, purge_vmap_area_lock;
static int vmap_purge_lock;
static LIST_HEAD(vmap_area_list);
static struct rb_root vmap_area_root = RB_ROOT;
static struct rb_root purge_vmap_area_root = RB_ROOT;
static LIST_HEAD(purge_vmap_area_list);
static struct kmem_cache *vmap_area_cachep;
static LIST_HEAD(free_vmap_area_list);
static struct rb_root free_vmap_area_root = RB_ROOT;
static atomic_long_t vmap_lazy_nr = ATOMIC_LONG_INIT(0);
static struct work_struct drain_vmap_work;

#include "lx_rbtree.c"
static DEFINE_PER_CPU(struct vmap_area *, ne_fit_preload_node);
#include "lx_vmalloc.c"

#include "lx_hooks.h"

/* ---- the engine ---- */
struct lx_state {
	bool desync;
	unsigned long searches;         /* ALLOC and NOFIT events replayed */
};

static void lx_free_list(struct list_head *head)
{
	struct vmap_area *va, *n;

	list_for_each_entry_safe(va, n, head, list)
		lx_free(va);
	INIT_LIST_HEAD(head);
}

static void lx_reset(void)
{
	lx_free_list(&vmap_area_list);
	lx_free_list(&purge_vmap_area_list);
	lx_free_list(&free_vmap_area_list);
	lx_free(ne_fit_preload_node);
	ne_fit_preload_node = NULL;
	vmap_area_root = RB_ROOT;
	purge_vmap_area_root = RB_ROOT;
	free_vmap_area_root = RB_ROOT;
	vmap_lazy_nr.counter = 0;
	lx_objects = 0;
	lx_warned = false;
	lx_warning = NULL;
}

static int lx_create(const struct vmc_engine_cfg *cfg, void **state)
{
	struct lx_state *s;

	if (cfg->placement)             /* Linux's own search, nothing else */
		return -EINVAL;
	if (cfg->profile)               /* it follows a linux-6.1 core */
		return -EINVAL;
	if (lx_in_use)
		return -EBUSY;
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	lx_reset();
	vmap_init_free_space();         /* [1, ULONG_MAX): no early areas */
	if (list_empty(&free_vmap_area_list)) {
		free(s);
		return -ENOMEM;
	}
	lx_in_use = true;
	*state = s;
	return 0;
}

static void lx_destroy(void *state)
{
	if (!state)
		return;
	lx_reset();
	free(state);
	lx_in_use = false;
}

/* One event of the core's allocator, replayed; false with res set on a
 * difference. */
static bool lx_replay(void *state, const struct vmc_va_ev *ev,
		      unsigned long base, struct vmc_result *res)
{
	struct lx_state *s = state;
	unsigned long addr = base + (unsigned long)ev->off;
	unsigned long size = (unsigned long)ev->size;
	struct vmap_area *va;

	switch (ev->kind) {
	case VMC_ENGINE_EV_ALLOC:
	case VMC_ENGINE_EV_NOFIT: {
		unsigned long vstart = base + (unsigned long)ev->vstart;
		unsigned long vend = base + (unsigned long)ev->vend;
		unsigned long got;

		s->searches++;
		/* alloc_vmap_area(): its object, the preloaded split node. */
		va = kmem_cache_alloc(vmap_area_cachep, 0);
		if (!ne_fit_preload_node)
			ne_fit_preload_node = kmem_cache_alloc(vmap_area_cachep, 0);
		if (!va || !ne_fit_preload_node) {
			lx_free(va);
			snprintf(res->detail, sizeof(res->detail),
				 "linux61: out of memory");
			return false;
		}
		got = __alloc_vmap_area(&free_vmap_area_root,
					&free_vmap_area_list, size,
					(unsigned long)ev->align, vstart, vend);
		if (ev->kind == VMC_ENGINE_EV_NOFIT && got == vend) {
			lx_free(va);
			return true;
		}
		if (got == vend || ev->kind == VMC_ENGINE_EV_NOFIT ||
		    got != addr) {
			lx_differ(res, s->searches, ev, base, got, vend);
			lx_free(va);
			return false;
		}
		va->va_start = got;
		va->va_end = got + size;
		va->vm = NULL;
		insert_vmap_area(va, &vmap_area_root, &vmap_area_list);
		return true;
	}
	case VMC_ENGINE_EV_LAZY:
	case VMC_ENGINE_EV_FREE:
		va = __find_vmap_area(addr, &vmap_area_root);
		if (!va || va->va_start != addr || va->va_end != addr + size) {
			snprintf(res->detail, sizeof(res->detail),
				 "the core freed [+0x%lx, +0x%lx), not a busy "
				 "area of linux61's", addr - base,
				 addr + size - base);
			return false;
		}
		if (ev->kind == VMC_ENGINE_EV_LAZY)
			free_vmap_area_noflush(va);
		else
			free_vmap_area(va);
		return true;
	case VMC_ENGINE_EV_PURGE:
		__purge_vmap_area_lazy(ULONG_MAX, 0);
		return true;
	}
	snprintf(res->detail, sizeof(res->detail), "unknown VA event %u",
		 ev->kind);
	return false;
}

static void lx_exec_follow(void *state, const struct vmc_op *op,
			   const struct vmc_result *lead,
			   struct vmc_result *res)
{
	struct lx_state *s = state;

	(void)op;
	lx_follow(s, &s->desync, lx_replay, lead, res);
}

/* Linux's own sets tile the space; no object leaked. */
static int lx_check(void *state, char *msg, size_t len)
{
	struct list_head *heads[3] = { &free_vmap_area_list, &vmap_area_list,
				       &purge_vmap_area_list };
	static const char *const names[3] = { "free", "busy", "purge" };
	struct vmap_area *cur[3], *prev_free = NULL;
	unsigned long at = 1;
	long n = 0;
	int i;

	(void)state;
	for (i = 0; i < 3; i++)
		cur[i] = list_first_entry(heads[i], struct vmap_area, list);
	for (;;) {
		int w = -1;

		for (i = 0; i < 3; i++)
			if (&cur[i]->list != heads[i] &&
			    (w < 0 || cur[i]->va_start < cur[w]->va_start))
				w = i;
		if (w < 0)
			break;
		if (cur[w]->va_start != at) {
			snprintf(msg, len, "linux61: %s area at 0x%lx, expected "
				 "one at 0x%lx", names[w], cur[w]->va_start, at);
			return 1;
		}
		if (w == 0 && prev_free && prev_free->va_end == at) {
			snprintf(msg, len, "linux61: free blocks at 0x%lx not "
				 "merged", at);
			return 3;
		}
		if (w == 0)
			prev_free = cur[w];
		at = cur[w]->va_end;
		n++;
		cur[w] = list_entry(cur[w]->list.next, struct vmap_area, list);
	}
	if (at != ULONG_MAX) {
		snprintf(msg, len, "linux61: the sets end at 0x%lx", at);
		return 1;
	}
	if (n + (ne_fit_preload_node != NULL) != lx_objects) {
		snprintf(msg, len, "linux61: %ld vmap_area objects, %ld in the "
			 "sets", lx_objects, n);
		return 6;
	}
	return 0;
}

const struct vmc_engine_ops vmc_engine_linux61 = {
	.name = "linux61",
	.create = lx_create,
	.destroy = lx_destroy,
	.exec = lx_exec,
	.check = lx_check,
	.exec_follow = lx_exec_follow,
};
