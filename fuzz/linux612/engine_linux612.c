/* SPDX-License-Identifier: MIT */
/*
 * engine_linux612.c - the "linux612" oracle engine: Linux 6.12's own
 * vmap-area allocator, with its vmap nodes and pools, compiled in
 * userspace, replaying the calls of a core engine on the linux-6.12
 * profile.
 *
 * Theory
 * ------
 * 1. What runs.  ../linux61/extract.sh (VERSION 6.12) copies, at build
 *    time, the vmap-area allocator of Linux 6.12's mm/vmalloc.c out of
 *    the installed linux-source-6.12 tarball: the types (struct
 *    vmap_area, rb_list, vmap_pool, vmap_node and its `single`) into
 *    lx_types.h, and the functions from addr_to_node_id to
 *    vmap_init_nodes (the free tree and its search, va_clip, the node
 *    pools, node_alloc, decay_va_pool_node, purge_vmap_node,
 *    __purge_vmap_area_lazy, free_vmap_area(_noflush),
 *    find_unlink_vmap_area, vmap_init_free_space, vmap_init_nodes) into
 *    lx_vmalloc.c, plus lib/rbtree.c.  This file defines the globals
 *    they use under their Linux names and includes them after the shim
 *    (../linux61/lx_shim.h and the 6.12 additions below).  Its rbtree
 *    functions are renamed (lx612_*) so that linux61's copy links into
 *    the same library.
 *
 * 2. What it is given.  Like linux61 it follows a core engine
 *    (exec_follow), here one with cfg.profile linux-6.12: each VA event
 *    of the lead's result is replayed the way 6.12's callers drive the
 *    allocator, on the CPU the event names (raw_smp_processor_id()):
 *      ALLOC, NOFIT  alloc_vmap_area(): node_alloc() (a pool of the
 *                    CPU's node, for requests over the whole vmalloc
 *                    range with more than one node), else the vmap_area
 *                    object, preload and __alloc_vmap_area() on the free
 *                    tree; on success insert_vmap_area() into the busy
 *                    tree of addr_to_node(), the area marked with the
 *                    node id node_alloc gave;
 *      ... RETRY     the search after the failure path's purge: the same
 *                    object and node id, no pool (goto retry);
 *      ... NOMEM     node_alloc() only: the core's object allocation
 *                    failed after it (the pool must not have served);
 *      LAZY          find_unlink_vmap_area() + free_vmap_area_noflush();
 *      FREE          free_vmap_area();
 *      PURGE         __purge_vmap_area_lazy(ULONG_MAX, 0, full) (full:
 *                    the failure path's reclaim; else drain and
 *                    vm_unmap_aliases); purge helpers run at once, in
 *                    node order (schedule_work_on below).
 *    The arena is VMALLOC_START .. VMALLOC_END (the lead's va_base and
 *    va_size), the CPU count num_possible_cpus() = num_online_cpus() =
 *    cfg.nr_cpus, so vmap_init_nodes() makes the nodes the core made.
 *
 * 3. The verdict.  Every ALLOC must get the core's address, from a pool
 *    exactly when the core's came from one, every NOFIT must find
 *    nothing, and every freed range must be a busy area of Linux's with
 *    the same bounds; otherwise -EPROTO with both answers, and the engine
 *    stops following.  check() verifies Linux's own sets: the free list,
 *    every node's busy and lazy lists and pools tile [1, ULONG_MAX)
 *    without overlap, free blocks merged, no object leaked.
 *
 * 4. One instance at a time: the allocator's state is global.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* 6.12 additions to the shim: nodes, CPUs, the purge's workers. */
static unsigned int lx_nr_cpus = 1, lx_cpu;
static unsigned long lx_vmalloc_start, lx_vmalloc_end;
#define LX_NAME "linux612"
#define LX_NR_CPUS lx_nr_cpus
#include "lx_shim.h"

#define rb_insert_color lx612_rb_insert_color
#define rb_erase lx612_rb_erase
#define __rb_erase_color lx612___rb_erase_color
#define __rb_insert_augmented lx612___rb_insert_augmented
#define rb_first lx612_rb_first
#define rb_last lx612_rb_last
#define rb_next lx612_rb_next
#define rb_prev lx612_rb_prev
#define rb_replace_node lx612_rb_replace_node
#define rb_replace_node_rcu lx612_rb_replace_node_rcu
#define rb_next_postorder lx612_rb_next_postorder
#define rb_first_postorder lx612_rb_first_postorder
#include <linux/rbtree_augmented.h>

#define __init
#define __read_mostly
#define BITS_PER_LONG 64
#define BITS_PER_BYTE 8
#define __GFP_NOWARN 0u
#define VMALLOC_START lx_vmalloc_start
#define VMALLOC_END lx_vmalloc_end
#define IS_ENABLED(x) 0
#define IS_ALIGNED(x, a) (((x) & ((typeof(x))(a) - 1)) == 0)
#define clamp(v, lo, hi) min(max(v, lo), hi)
#define clamp_t(t, v, lo, hi) clamp((t)(v), (t)(lo), (t)(hi))
#define spin_lock_init(l) (*(l) = 0)
#define raw_smp_processor_id() lx_cpu
#define num_possible_cpus() lx_nr_cpus
#define WARN_ONCE(cond, ...) WARN(cond, __VA_ARGS__)
#define pr_err(...) fprintf(stderr, LX_NAME ": " __VA_ARGS__)
#define kmalloc_array(n, size, gfp) ((void)(gfp), calloc(n, size))
#define trace_purge_vmap_area_lazy(s, e, n) ((void)(n))
#define trace_free_vmap_area_noflush(s, n, m) ((void)(s), (void)(n), (void)(m))
#define kasan_release_vmalloc_node(vn) ((void)(vn))

static inline void list_move_tail(struct list_head *e, struct list_head *h)
{
	e->prev->next = e->next;
	e->next->prev = e->prev;
	lx_list_insert(e, h->prev, h);
}

/* cpumask: nodes to purge (at most 128 of them). */
typedef struct { unsigned char bit[128]; } cpumask_t;
#define CPU_MASK_NONE ((cpumask_t){ { 0 } })
#define cpumask_set_cpu(i, m) ((m)->bit[i] = 1)
#define cpumask_test_cpu(i, m) ((void)(m), 1)
#define cpu_online_mask ((cpumask_t *)NULL)
static inline unsigned int cpumask_weight(const cpumask_t *m)
{
	unsigned int i, n = 0;

	for (i = 0; i < 128; i++)
		n += m->bit[i];
	return n;
}
#define for_each_cpu(i, m) \
	for ((i) = 0; (i) < 128; (i)++) if ((m)->bit[i])
/* A purge helper runs at once, in node order (theory 2). */
#define INIT_WORK(w, f) ((w)->func = (f))
static inline bool schedule_work_on(int cpu, struct work_struct *w)
{
	(void)cpu;
	w->func(w);
	return true;
}
#define flush_work(w) ((void)(w))

/* ---- the allocator's globals (static in mm/vmalloc.c) ---- */
struct vm_struct {                      /* vmap_init_free_space's vmlist */
	void *addr;
	unsigned long size;
	struct vm_struct *next;
};
static struct vm_struct *vmlist;
static spinlock_t free_vmap_area_lock;
static int vmap_purge_lock;
static struct kmem_cache *vmap_area_cachep;
static LIST_HEAD(free_vmap_area_list);
static struct rb_root free_vmap_area_root = RB_ROOT;
static atomic_long_t vmap_lazy_nr = ATOMIC_LONG_INIT(0);
static struct work_struct drain_vmap_work;

#include "lx_rbtree.c"
static DEFINE_PER_CPU(struct vmap_area *, ne_fit_preload_node);
#include "lx_types.h"
static struct vmap_node *vmap_nodes = &single;
static unsigned int nr_vmap_nodes = 1;
static unsigned int vmap_zone_size = 1;
static cpumask_t purge_nodes;
#include "lx_vmalloc.c"

#include "lx_hooks.h"
#include "vmc_run.h"

/* ---- the engine ---- */
struct lx_state {
	bool desync;
	unsigned long searches;         /* ALLOC and NOFIT events replayed */
	/* alloc_vmap_area() between its failed search and the retry */
	struct vmap_area *pending;
	unsigned int pending_vn_id;
};

static void lx_free_list(struct list_head *head)
{
	struct vmap_area *va, *n;

	if (!head->next) {              /* a static node never set up */
		INIT_LIST_HEAD(head);
		return;
	}
	list_for_each_entry_safe(va, n, head, list)
		lx_free(va);
	INIT_LIST_HEAD(head);
}

static void lx_node_init(struct vmap_node *vn)
{
	int i;

	vn->busy.root = RB_ROOT;
	INIT_LIST_HEAD(&vn->busy.head);
	vn->lazy.root = RB_ROOT;
	INIT_LIST_HEAD(&vn->lazy.head);
	INIT_LIST_HEAD(&vn->purge_list);
	for (i = 0; i < MAX_VA_SIZE_PAGES; i++) {
		INIT_LIST_HEAD(&vn->pool[i].head);
		vn->pool[i].len = 0;
	}
}

static void lx_reset(void)
{
	unsigned int n, i;

	for (n = 0; n < nr_vmap_nodes; n++) {
		struct vmap_node *vn = &vmap_nodes[n];

		lx_free_list(&vn->busy.head);
		lx_free_list(&vn->lazy.head);
		for (i = 0; i < MAX_VA_SIZE_PAGES; i++)
			lx_free_list(&vn->pool[i].head);
	}
	if (vmap_nodes != &single)
		free(vmap_nodes);
	vmap_nodes = &single;
	nr_vmap_nodes = 1;
	vmap_zone_size = 1;
	memset(&single, 0, sizeof(single));
	lx_node_init(&single);
	lx_free_list(&free_vmap_area_list);
	free_vmap_area_root = RB_ROOT;
	lx_free(ne_fit_preload_node);
	ne_fit_preload_node = NULL;
	vmap_lazy_nr.counter = 0;
	lx_objects = 0;
	lx_warned = false;
	lx_warning = NULL;
}

static int lx_create(const struct vmc_engine_cfg *cfg, void **state)
{
	struct lx_state *s;
	unsigned int n;

	if (cfg->profile != VMC_ENGINE_PROFILE_LINUX_6_12)
		return -EINVAL;         /* it follows a linux-6.12 core */
	if (lx_in_use)
		return -EBUSY;
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	lx_reset();
	lx_nr_cpus = cfg->nr_cpus ? cfg->nr_cpus : 1;
	lx_cpu = 0;
	vmap_init_nodes();              /* calloc'ed: lists set up there */
	for (n = 0; n < nr_vmap_nodes; n++)
		INIT_LIST_HEAD(&vmap_nodes[n].purge_list);
	vmap_init_free_space();         /* [1, ULONG_MAX): no early areas */
	if (list_empty(&free_vmap_area_list)) {
		lx_reset();
		free(s);
		return -ENOMEM;
	}
	lx_in_use = true;
	*state = s;
	return 0;
}

static void lx_destroy(void *state)
{
	struct lx_state *s = state;

	if (!s)
		return;
	lx_free(s->pending);
	lx_reset();
	free(s);
	lx_in_use = false;
}

/* The busy area starting at addr, of any node, or NULL (find_vmap_area). */
static struct vmap_area *lx_find_busy(unsigned long addr)
{
	unsigned int i, j;

	i = j = addr_to_node_id(addr);
	do {
		struct vmap_area *va = __find_vmap_area(addr,
							&vmap_nodes[i].busy.root);

		if (va)
			return va;
	} while ((i = (i + 1) % nr_vmap_nodes) != j);
	return NULL;
}

/* One search of alloc_vmap_area(); false with res set on a difference. */
static bool lx_search(struct lx_state *s, const struct vmc_va_ev *ev,
		      unsigned long base, struct vmc_result *res)
{
	unsigned long size = (unsigned long)ev->size;
	unsigned long align = (unsigned long)ev->align;
	unsigned long vstart = base + (unsigned long)ev->vstart;
	unsigned long vend = base + (unsigned long)ev->vend;
	unsigned long addr = vend;
	bool retry = ev->flags & VMC_ENGINE_EVF_RETRY, pooled = false;
	struct vmap_area *va = NULL;
	unsigned int vn_id = 0;
	struct vmap_node *vn;

	s->searches++;
	lx_cpu = ev->cpu;
	if (ev->flags & VMC_ENGINE_EVF_NOMEM) {
		/* The core's object allocation failed after node_alloc(). */
		lx_free(s->pending);
		s->pending = NULL;
		va = node_alloc(size, align, vstart, vend, &addr, &vn_id);
		if (!va)
			return true;
		lx_differ(res, s->searches, ev, base, addr, vend);
		lx_free(va);            /* out of its pool, in no tree now */
		return false;
	}
	if (retry && s->pending) {
		va = s->pending;
		vn_id = s->pending_vn_id;
		s->pending = NULL;
	} else {
		lx_free(s->pending);
		s->pending = NULL;
		va = node_alloc(size, align, vstart, vend, &addr, &vn_id);
		pooled = va != NULL;
		if (!va)
			va = kmem_cache_alloc(vmap_area_cachep, 0);
	}
	if (!va) {
		snprintf(res->detail, sizeof(res->detail),
			 LX_NAME ": out of memory");
		return false;
	}
	if (addr == vend) {
		if (!ne_fit_preload_node)
			ne_fit_preload_node = kmem_cache_alloc(vmap_area_cachep, 0);
		addr = __alloc_vmap_area(&free_vmap_area_root,
					 &free_vmap_area_list, size, align,
					 vstart, vend);
	}
	if (addr == vend && ev->kind == VMC_ENGINE_EV_NOFIT) {
		s->pending = va;        /* the retry, if the core makes one */
		s->pending_vn_id = vn_id;
		return true;
	}
	if (addr == vend || ev->kind == VMC_ENGINE_EV_NOFIT ||
	    addr != base + (unsigned long)ev->off ||
	    pooled != !!(ev->flags & VMC_ENGINE_EVF_POOL)) {
		lx_differ(res, s->searches, ev, base, addr, vend);
		if (addr != vend && pooled != !!(ev->flags & VMC_ENGINE_EVF_POOL))
			snprintf(res->detail + strlen(res->detail),
				 sizeof(res->detail) - strlen(res->detail),
				 "%s", pooled ? " (pool)" : " (tree)");
		lx_free(va);    /* a pooled one left its pool: no one holds it */
		return false;
	}
	va->va_start = addr;
	va->va_end = addr + size;
	va->vm = NULL;
	va->flags = vn_id;
	vn = addr_to_node(va->va_start);
	insert_vmap_area(va, &vn->busy.root, &vn->busy.head);
	return true;
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
	case VMC_ENGINE_EV_NOFIT:
		return lx_search(s, ev, base, res);
	case VMC_ENGINE_EV_LAZY:
	case VMC_ENGINE_EV_FREE:
		lx_cpu = ev->cpu;
		va = lx_find_busy(addr);
		if (!va || va->va_start != addr || va->va_end != addr + size) {
			snprintf(res->detail, sizeof(res->detail),
				 "the core freed [+0x%lx, +0x%lx), not a busy "
				 "area of " LX_NAME "'s", addr - base,
				 addr + size - base);
			return false;
		}
		if (ev->kind == VMC_ENGINE_EV_LAZY) {
			va = find_unlink_vmap_area(addr);
			free_vmap_area_noflush(va);
		} else {
			free_vmap_area(va);
		}
		return true;
	case VMC_ENGINE_EV_PURGE:
		__purge_vmap_area_lazy(ULONG_MAX, 0,
				       ev->flags & VMC_ENGINE_EVF_FULL);
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
	lx_vmalloc_start = (unsigned long)lead->va_base;
	lx_vmalloc_end = (unsigned long)(lead->va_base + lead->va_size);
	if (lx_follow(s, &s->desync, lx_replay, lead, res)) {
		/* The op is over: a failed search is not retried any more. */
		lx_free(s->pending);
		s->pending = NULL;
	}
}

struct lx_item {
	unsigned long s, e;
	const char *set;
};

static int lx_item_cmp(const void *x, const void *y)
{
	const struct lx_item *a = x, *b = y;

	return a->s < b->s ? -1 : a->s > b->s;
}

static size_t lx_collect(struct lx_item *v, size_t n, size_t cap,
			 struct list_head *head, const char *set)
{
	struct vmap_area *va;

	list_for_each_entry(va, head, list) {
		if (n < cap) {
			v[n].s = va->va_start;
			v[n].e = va->va_end;
			v[n].set = set;
		}
		n++;
	}
	return n;
}

/* Linux's own sets (free, busy, lazy, pools) tile the space; no leak. */
static int lx_check(void *state, char *msg, size_t len)
{
	struct lx_item *v;
	size_t n = 0, cap, i;
	unsigned long at = 1;
	unsigned int k, j;
	int bad = 0;

	(void)state;
	cap = (size_t)lx_objects + 1;
	v = calloc(cap, sizeof(*v));
	if (!v) {
		snprintf(msg, len, LX_NAME ": out of memory");
		return 6;
	}
	n = lx_collect(v, n, cap, &free_vmap_area_list, "free");
	for (k = 0; k < nr_vmap_nodes; k++) {
		n = lx_collect(v, n, cap, &vmap_nodes[k].busy.head, "busy");
		n = lx_collect(v, n, cap, &vmap_nodes[k].lazy.head, "lazy");
		for (j = 0; j < MAX_VA_SIZE_PAGES; j++)
			n = lx_collect(v, n, cap, &vmap_nodes[k].pool[j].head,
				       "pool");
	}
	if (n + (ne_fit_preload_node != NULL) != (size_t)lx_objects ||
	    n > cap) {
		snprintf(msg, len, LX_NAME ": %ld vmap_area objects, %zu in "
			 "the sets", lx_objects, n);
		free(v);
		return 6;
	}
	qsort(v, n, sizeof(*v), lx_item_cmp);
	for (i = 0; i < n && !bad; i++) {
		if (v[i].s != at) {
			snprintf(msg, len, LX_NAME ": %s area at 0x%lx, "
				 "expected one at 0x%lx", v[i].set, v[i].s, at);
			bad = 1;
		} else if (i && !strcmp(v[i].set, "free") &&
			   !strcmp(v[i - 1].set, "free")) {
			snprintf(msg, len, LX_NAME ": free blocks at 0x%lx not "
				 "merged", at);
			bad = 3;
		}
		at = v[i].e;
	}
	if (!bad && at != ULONG_MAX) {
		snprintf(msg, len, LX_NAME ": the sets end at 0x%lx", at);
		bad = 1;
	}
	free(v);
	return bad;
}

const struct vmc_engine_ops vmc_engine_linux612 = {
	.name = "linux612",
	.create = lx_create,
	.destroy = lx_destroy,
	.exec = lx_exec,
	.check = lx_check,
	.exec_follow = lx_exec_follow,
};
