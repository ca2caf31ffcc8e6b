/* SPDX-License-Identifier: MIT */
/*
 * vmc_va.c - vmap areas: the virtual-address allocator of an arena.
 *
 * Theory
 * ------
 * 1. Three sets.  Every byte of the address space [1, ULONG_MAX) belongs
 *    to exactly one vmap area (struct vmc_va), in exactly one of three
 *    sets:
 *      free  - may be handed out;
 *      busy  - handed out (vmalloc, vmap, ioremap, vmap blocks, ...);
 *      lazy  - freed and already unmapped, but the TLB may still hold
 *              translations for it, so it must not be reused until a
 *              purge has flushed the TLB over it.
 *    Each set is an rbtree keyed by va_start plus a list in address
 *    order (vmc_vaset).  The tree finds a position in O(log n); the list
 *    then gives both neighbours in O(1).  Busy and lazy areas always lie
 *    inside the arena [a->start, a->end); free blocks may reach beyond it.
 *
 * 2. The whole space, as Linux seeds it.  Linux's vmap_init_free_space()
 *    puts the whole kernel VA space [1, ULONG_MAX) into the free tree
 *    (around early areas; an arena has none); [VMALLOC_START,
 *    VMALLOC_END) is only the search range of each request.  We do the
 *    same: the first allocation splits [1, ULONG_MAX) and leaves the
 *    block below the arena as the leftmost node, where every later
 *    search first descends.  Blocks outside the arena are never handed
 *    out (every request's range lies inside it) and hold no mappings;
 *    checks clip free blocks to the arena (vmc_va_clip).
 *
 * 3. The free tree is augmented: every node caches subtree_max_size, the
 *    largest block size in its subtree.  Adjacent free blocks are always
 *    merged, so the free set is the exact set of maximal holes.  Its
 *    shape is Linux's: vmc_rbtree.c balances exactly as lib/rbtree.c does,
 *    and every operation below performs the same tree operations, on the
 *    same nodes and in the same order, as Linux 6.1's mm/vmalloc.c, so a
 *    search that depends on the shape picks the same block.
 *
 * 4. Placement (a->cfg.placement).
 *    LINUX (default): find_vmap_lowest_match().  When align > PAGE_SIZE
 *    (and the range is not exactly size long) the search looks for a
 *    block of length size + align - 1, which fits at any alignment
 *    ("adjust_search_size").  From the root: go left while the left
 *    subtree holds such a block and the node starts above vstart;
 *    otherwise test the node itself exactly (is_within_this_va), then go
 *    right if the right subtree holds one; otherwise climb, testing each
 *    ancestor exactly, to the first whose right subtree holds one and
 *    which starts at or above vstart, move vstart to its start + 1 (its
 *    left side is done) and descend there.  Only nodes on that path get
 *    the exact test, so a lower aligned hole in a subtree whose blocks
 *    are all shorter than size + align - 1 is never seen: Linux may pick
 *    a higher block, and which one depends on the tree's shape.  The
 *    block found is checked against vend only afterwards.
 *    EXACT: the lowest A with A % align == 0, vstart <= A, A + size <=
 *    vend inside one free block: an in-order walk pruning subtrees whose
 *    max is below size and left subtrees wholly below vstart, stopping at
 *    the first block at or above vend.  A deliberate study option: it is
 *    what a naive model (sorted interval list, linear lowest fit)
 *    computes (DESIGN.md invariant 8).  Under VMC_DEBUG each answer is
 *    checked against a linear scan, like DEBUG_AUGMENT_LOWEST_MATCH_CHECK.
 *
 * 5. Cutting the chosen free block F = [fs, fe) around [A, A + size) has
 *    the four shapes of Linux's classify_va_fit_type(), and F keeps the
 *    part Linux keeps:
 *      full fit   F == [A, A+size)     F leaves the tree (it becomes the
 *                                      busy area);
 *      left edge  A == fs, A+size < fe F keeps [A+size, fe);
 *      right edge A > fs, A+size == fe F keeps [fs, A);
 *      no edge    A > fs, A+size < fe  F keeps [A+size, fe) and a new
 *                                      node [fs, A) is linked below it.
 *    Every metadata allocation happens before anything is changed, so an
 *    allocation failure returns -ENOMEM with all sets untouched.
 *
 * 6. Freeing (merge_or_add_vmap_area).  A range returned to the free or
 *    the lazy set merges with the block just above it (that block grows
 *    down and survives) and then with the one just below it (if both,
 *    the upper one is erased and the lower one grows and survives); with
 *    neither it is linked as a new node.  The lazy set merges too, as
 *    Linux's purge tree does, so adjacent lazily freed areas become one.
 *    vmc_va_free() moves a busy area there and purges when the lazy pages
 *    exceed lazy_max_pages (Linux schedules that purge on a worker; we
 *    run it at once).  A purge issues ONE TLB flush over [lowest lazy
 *    start, highest lazy end) and returns the lazy areas to the free set
 *    in address order, as __purge_vmap_area_lazy() does.  Merging only
 *    ever frees metadata, so a purge cannot fail.  vmc_va_free_now()
 *    skips the lazy stage for areas that were never mapped.
 *
 * 7. Allocation failure purges (fragmented vmap blocks, then the lazy
 *    set) and retries once, as Linux's alloc_vmap_area() does through
 *    purge_vmap_area_lazy() before giving up.
 *
 * 8. Profiles.  Everything above is linux-6.1 (the default).  Under
 *    linux-6.12 (a->vnodes set) vmc_va_alloc, vmc_va_free and vmc_va_purge
 *    hand over to vmc_node.c, which keeps the free tree and the searches
 *    of this file but adds the vmap nodes: pools before the tree, lazy
 *    areas unmerged, 6.12's decay and purge order (vmc_vaset_* and
 *    vmc_va_search are the pieces it composes).
 *
 * 9. What is not Linux's, because nobody can see it: the busy set keeps
 *    an insert hint (set_insert), so a vmalloc that lands just after the
 *    last one takes its slot without a descent of a tree of a million
 *    areas, and a vfree of it finds it at once; the slot is the unique
 *    one a descent would find, so the trees have Linux's shapes.  The
 *    free tree's search and updates are exactly Linux's (its shape and
 *    every address depend on them), and a busy lookup of any other
 *    address still descends.
 *
 * All functions expect the arena lock held (vmc_arena_lock).
 * vmc_va_validate() checks every invariant of the three sets (DESIGN.md
 * invariants 1 and 3).
 */
#include "vmc_internal.h"

/* The address space the free tree starts as (theory 2). */
#define VA_SPACE_START 1UL
#define VA_SPACE_END   (~0UL)

/* ---------- set helpers ---------- */

static inline struct vmc_va *va_of(struct vmc_rb_node *n)
{
	return n ? vmc_rb_entry(n, struct vmc_va, rb) : NULL;
}

static inline struct vmc_va *va_of_list(struct vmc_list *l)
{
	return vmc_list_entry(l, struct vmc_va, list);
}

static inline unsigned long va_sms(const struct vmc_rb_node *n)
{
	return n ? vmc_rb_entry(n, struct vmc_va, rb)->subtree_max_size : 0;
}

/* Augmentation of the free tree: max block size over the subtree. */
static bool va_sms_update(struct vmc_rb_node *n)
{
	struct vmc_va *va = va_of(n);
	unsigned long m = vmc_va_size(va);

	m = VMC_MAX(m, va_sms(n->left));
	m = VMC_MAX(m, va_sms(n->right));
	if (va->subtree_max_size == m)
		return false;
	va->subtree_max_size = m;
	return true;
}

static const struct vmc_rb_augment va_free_aug = { va_sms_update };

static inline const struct vmc_rb_augment *set_aug(struct vmc_arena *a,
						   struct vmc_vaset *s)
{
	return s == &a->vs.free ? &va_free_aug : NULL;
}

static void set_init(struct vmc_vaset *s)
{
	s->root.node = NULL;
	vmc_list_init(&s->head);
	s->nr = 0;
	s->hint = NULL;
}

/*
 * Linux's find_va_links(): the empty child slot where [vs, ve) belongs,
 * walking down from the slot `link` below `from_parent`.  *prev is the
 * member just below it (the last node we went right of on the way), or
 * NULL.
 * Overlap with a member is a core bug.
 */
static struct vmc_rb_node **set_find_link(struct vmc_rb_node **link,
					  struct vmc_rb_node *from_parent,
					  unsigned long vs, unsigned long ve,
					  struct vmc_rb_node **parent,
					  struct vmc_va **prev)
{
	*parent = from_parent;
	*prev = NULL;
	while (*link) {
		struct vmc_va *cur = va_of(*link);

		*parent = *link;
		if (ve <= cur->va_start) {
			link = &(*link)->left;
		} else {
			VMC_VERIFY3U(vs, >=, cur->va_end);
			*prev = cur;
			link = &(*link)->right;
		}
	}
	return link;
}

/* Link va at the slot set_find_link() found; list position after prev. */
static void set_link(struct vmc_arena *a, struct vmc_vaset *s,
		     struct vmc_va *va, struct vmc_rb_node *parent,
		     struct vmc_rb_node **link, struct vmc_list *after)
{
	va->subtree_max_size = vmc_va_size(va);
	vmc_rb_link(&va->rb, parent, link);
	vmc_rb_insert(&s->root, &va->rb, set_aug(a, s));
	vmc_list_add(&va->list, after);
	s->nr++;
}

/*
 * Insert va into set s at its address (no merging; the busy set).  The
 * slot a new key takes in a search tree is unique: the right child of
 * its in-order predecessor when that is empty, else the left child of
 * its successor.  So when va lands just after s->hint (the last member
 * inserted, or the one before it after a removal: successive vmallocs
 * usually do), that slot is found without a descent; the tree is the
 * one set_find_link() would have built.
 */
static void set_insert(struct vmc_arena *a, struct vmc_vaset *s,
		       struct vmc_va *va)
{
	struct vmc_rb_node **link, *parent;
	struct vmc_va *prev = s->hint, *next = NULL;

	if (prev && prev->va_end <= va->va_start &&
	    (prev->list.next == &s->head ||
	     (next = va_of_list(prev->list.next),
	      va->va_end <= next->va_start))) {
		if (!prev->rb.right) {
			parent = &prev->rb;
			link = &prev->rb.right;
		} else {                /* next is the leftmost below it */
			parent = &next->rb;
			link = &next->rb.left;
			VMC_VERIFY(!*link);
		}
	} else {
		link = set_find_link(&s->root.node, NULL, va->va_start,
				     va->va_end, &parent, &prev);
	}
	set_link(a, s, va, parent, link, prev ? &prev->list : &s->head);
	s->hint = va;
}

static void set_remove(struct vmc_arena *a, struct vmc_vaset *s,
		       struct vmc_va *va)
{
	if (s->hint == va)
		s->hint = va->list.prev != &s->head ?
			  va_of_list(va->list.prev) : NULL;
	vmc_rb_erase(&s->root, &va->rb, set_aug(a, s));
	vmc_list_del(&va->list);
	VMC_VERIFY(s->nr > 0);
	s->nr--;
}

/*
 * Linux's __merge_or_add_vmap_area() (theory 6): put va (in no set) into
 * s, merging with touching neighbours.  Never allocates.
 *
 *   next only:  |PP|  |vv|NN|  ->  |PP|  |NNNN|   (NN survives)
 *   prev only:  |PP|vv|  |NN|  ->  |PPPP|  |NN|   (PP survives)
 *   both:       |PP|vv|NN|     ->  |PPPPPP|       (NN erased, PP survives)
 *   none:       va is linked as a new node
 */
static void set_merge_or_add(struct vmc_arena *a, struct vmc_vaset *s,
			     struct vmc_va *va)
{
	const struct vmc_rb_augment *aug = set_aug(a, s);
	struct vmc_rb_node **link, *parent;
	struct vmc_va *prev, *next = NULL, *keep = NULL;
	struct vmc_list *after;

	link = set_find_link(&s->root.node, NULL, va->va_start, va->va_end,
			     &parent, &prev);
	after = prev ? &prev->list : &s->head;
	if (after->next != &s->head)
		next = va_of_list(after->next);

	if (next && next->va_start == va->va_end) {
		next->va_start = va->va_start;
		keep = next;
	}
	if (prev && prev->va_end == va->va_start) {
		if (keep) {
			/* Erase the upper one first, then grow the lower. */
			set_remove(a, s, keep);
			prev->va_end = keep->va_end;
			vmc_meta_free(a, keep);
		} else {
			prev->va_end = va->va_end;
		}
		keep = prev;
	}
	if (keep) {
		vmc_meta_free(a, va);
		vmc_rb_propagate(&keep->rb, aug);
		return;
	}
	set_link(a, s, va, parent, link, after);
}

void vmc_vaset_init(struct vmc_vaset *s)
{
	set_init(s);
}

void vmc_vaset_insert(struct vmc_arena *a, struct vmc_vaset *s,
		      struct vmc_va *va)
{
	set_insert(a, s, va);
}

void vmc_vaset_remove(struct vmc_arena *a, struct vmc_vaset *s,
		      struct vmc_va *va)
{
	set_remove(a, s, va);
}

void vmc_vaset_merge(struct vmc_arena *a, struct vmc_vaset *s,
		     struct vmc_va *va)
{
	set_merge_or_add(a, s, va);
}

/* ---------- searches ---------- */

struct va_req {
	unsigned long size, align, vstart, vend;
};

/*
 * Linux's is_within_this_va(): does [A, A + size) with A the first
 * aligned address at or above max(start, vstart) fit in va?  The
 * arithmetic wraps as Linux's does; a wrap fails the test.  Not vend.
 */
static bool va_within(const struct vmc_va *va, unsigned long size,
		      unsigned long align, unsigned long vstart,
		      unsigned long *addr)
{
	unsigned long A = va->va_start > vstart ? va->va_start : vstart;

	A = (A + align - 1) & ~(align - 1);
	if (A + size < A || A < vstart)
		return false;
	if (A + size > va->va_end)
		return false;
	*addr = A;
	return true;
}

/* Linux placement: find_vmap_lowest_match() (theory 4). */
static struct vmc_va *va_find_linux(struct vmc_arena *a,
				    const struct va_req *r,
				    unsigned long *addr)
{
	struct vmc_rb_node *n = a->vs.free.root.node;
	unsigned long vstart = r->vstart, length = r->size;
	struct vmc_va *va;

	if (r->align > VMC_PAGE_SIZE && r->vend - r->vstart != r->size)
		length = r->size + r->align - 1;   /* adjust_search_size */
	while (n) {
		va = va_of(n);
		if (va_sms(n->left) >= length && vstart < va->va_start) {
			n = n->left;
			continue;
		}
		if (va_within(va, r->size, r->align, vstart, addr))
			return va;
		if (va_sms(n->right) >= length) {
			n = n->right;
			continue;
		}
		/* Roll back to the first ancestor with a usable right side. */
		while ((n = n->parent)) {
			va = va_of(n);
			if (va_within(va, r->size, r->align, vstart, addr))
				return va;
			if (va_sms(n->right) >= length &&
			    vstart <= va->va_start) {
				vstart = va->va_start + 1;
				n = n->right;
				break;
			}
		}
	}
	return NULL;
}

/* Exact placement: does [A, A + size) fit in va and the range?  A out. */
static bool va_fits(const struct vmc_va *va, const struct va_req *r,
		    unsigned long *addr)
{
	unsigned long lo = VMC_MAX(va->va_start, r->vstart);
	unsigned long hi = VMC_MIN(va->va_end, r->vend);
	unsigned long A;

	if (vmc_va_size(va) < r->size || lo >= hi)
		return false;
	if (!vmc_align_up(lo, r->align, &A))
		return false;
	if (A > hi || hi - A < r->size)
		return false;
	*addr = A;
	return true;
}

/*
 * Exact placement: in-order walk of the free tree with pruning (theory
 * 4).  Invariant of the "descend" step: the subtree at n has
 * subtree_max_size >= size.
 */
static struct vmc_va *va_find_exact(struct vmc_arena *a,
				    const struct va_req *r,
				    unsigned long *addr)
{
	struct vmc_rb_node *n = a->vs.free.root.node, *p;

	if (!n || va_sms(n) < r->size)
		return NULL;
	for (;;) {
		/* Descend left while the left subtree may hold a fit. */
		while (n->left && va_sms(n->left) >= r->size &&
		       va_of(n)->va_start > r->vstart)
			n = n->left;
visit:
		if (va_of(n)->va_start >= r->vend)
			return NULL;    /* this and everything after: too high */
		if (va_fits(va_of(n), r, addr))
			return va_of(n);
		if (n->right && va_sms(n->right) >= r->size) {
			n = n->right;
			continue;
		}
		/* Climb to the first ancestor we reach from its left side. */
		for (;;) {
			p = n->parent;
			if (!p)
				return NULL;
			if (p->left == n) {
				n = p;
				goto visit;
			}
			n = p;
		}
	}
}

#ifdef VMC_DEBUG
/* The exact question answered by a linear scan of the free list. */
static struct vmc_va *va_find_exact_linear(struct vmc_arena *a,
					   const struct va_req *r,
					   unsigned long *addr)
{
	struct vmc_list *pos;

	vmc_list_for_each(pos, &a->vs.free.head) {
		struct vmc_va *va = va_of_list(pos);

		if (va_fits(va, r, addr))
			return va;
	}
	return NULL;
}
#endif

/* The free block to cut and the address in it, or NULL (theory 4). */
static struct vmc_va *va_find(struct vmc_arena *a, const struct va_req *r,
			      unsigned long *addr)
{
	struct vmc_va *f;

	if (a->cfg.placement == VMC_PLACEMENT_LINUX) {
		f = va_find_linux(a, r, addr);
		/* Linux checks vend only on the block it found. */
		if (f && *addr + r->size > r->vend)
			f = NULL;
		return f;
	}
	f = va_find_exact(a, r, addr);
#ifdef VMC_DEBUG
	{
		unsigned long A2 = 0;
		struct vmc_va *f2 = va_find_exact_linear(a, r, &A2);

		VMC_VERIFY(f == f2);
		if (f)
			VMC_VERIFY3U(*addr, ==, A2);
	}
#endif
	return f;
}

/* ---------- allocation ---------- */

/* Tell the arena's va_event hook (vmcore.h); r: the request, or NULL. */
static void va_event_f(struct vmc_arena *a, unsigned int kind,
		       unsigned long addr, const struct va_req *r,
		       unsigned int flags)
{
	struct vmc_va_event ev;

	if (!a->cfg.va_event)
		return;
	ev.kind = kind;
	ev.addr = addr;
	ev.size = r ? r->size : 0;
	ev.align = r ? r->align : 0;
	ev.vstart = r ? r->vstart : 0;
	ev.vend = r ? r->vend : 0;
	ev.cpu = a->vnodes ? vmc_cur_cpu(a) : 0;
	ev.flags = flags;
	a->cfg.va_event(a->cfg.va_event_arg, &ev);
}

static void va_event(struct vmc_arena *a, unsigned int kind,
		     unsigned long addr, const struct va_req *r)
{
	va_event_f(a, kind, addr, r, 0);
}

void vmc_va_event(struct vmc_arena *a, unsigned int kind, unsigned long addr,
		  unsigned long size, unsigned long align, unsigned long vstart,
		  unsigned long vend, unsigned int flags)
{
	struct va_req r = { size, align, vstart, vend };

	va_event_f(a, kind, addr, &r, flags);
}

/* The same for a freed area. */
static void va_event_free(struct vmc_arena *a, unsigned int kind,
			  const struct vmc_va *va)
{
	struct va_req r = { vmc_va_size(va), 0, 0, 0 };

	va_event(a, kind, va->va_start, &r);
}

/*
 * Cut [A, A + size) out of free block f (theory 5).  Returns the busy
 * area, or NULL (-ENOMEM) with nothing changed.
 */
static struct vmc_va *va_cut(struct vmc_arena *a, struct vmc_va *f,
			     unsigned long A, unsigned long size)
{
	struct vmc_va *busy, *lva = NULL;
	unsigned long fs = f->va_start, fe = f->va_end, end = A + size;

	VMC_VERIFY(fs <= A && end <= fe && A < end);
	if (fs == A && fe == end) {
		/* Full fit: |FFFF| -> |BBBB| */
		set_remove(a, &a->vs.free, f);
		return f;
	}
	busy = vmc_meta_alloc_kind(a, VMC_META_VA, sizeof(*busy));
	if (!busy)
		return NULL;
	if (fs != A && fe != end) {
		lva = vmc_meta_alloc_kind(a, VMC_META_VA, sizeof(*lva));
		if (!lva) {
			vmc_meta_free(a, busy);
			return NULL;
		}
	}
	busy->va_start = A;
	busy->va_end = end;
	if (fs == A) {
		/* Left edge: |FFFF| -> |BBFF| */
		f->va_start = end;
	} else if (fe == end) {
		/* Right edge: |FFFF| -> |FFBB| */
		f->va_end = A;
	} else {
		/* No edge: |FFFF| -> |LBBF|, f keeps the right part. */
		lva->va_start = fs;
		lva->va_end = A;
		lva->state = VMC_VA_FREE;
		f->va_start = end;
	}
	/* f shrank in place: its key order is unchanged, its size is not. */
	vmc_rb_propagate(&f->rb, &va_free_aug);
	if (lva) {
		/* Its slot is in f's left subtree, right after f's predecessor. */
		struct vmc_rb_node **link, *parent;
		struct vmc_va *prev;

		link = set_find_link(&f->rb.left, &f->rb, lva->va_start,
				     lva->va_end, &parent, &prev);
		set_link(a, &a->vs.free, lva, parent, link, f->list.prev);
	}
	return busy;
}

/* The cut of a search that found f and A: a busy area in no set, or NULL. */
static struct vmc_va *va_take(struct vmc_arena *a, struct vmc_va *f,
			      unsigned long A, unsigned long size)
{
	struct vmc_va *va = va_cut(a, f, A, size);

	if (!va)
		return NULL;
	va->state = VMC_VA_BUSY;
	va->kind = VMC_VA_NONE;
	va->u.vm = NULL;
	return va;
}

static int va_alloc_once_f(struct vmc_arena *a, const struct va_req *r,
			   unsigned int flags, struct vmc_va **out)
{
	struct vmc_va *f, *va;
	unsigned long A = 0;

	f = va_find(a, r, &A);
	if (!f) {
		va_event_f(a, VMC_VA_EV_NOFIT, 0, r, flags);
		return -ENOENT;
	}
	va = va_take(a, f, A, r->size);
	if (!va)
		return -ENOMEM;
	set_insert(a, &a->vs.busy, va);
	va_event_f(a, VMC_VA_EV_ALLOC, va->va_start, r, flags);
	*out = va;
	return 0;
}

struct vmc_va *vmc_va_fit(struct vmc_arena *a, unsigned long size,
			  unsigned long align, unsigned long vstart,
			  unsigned long vend, unsigned long *addr)
{
	struct va_req r = { size, align, vstart, vend };

	return va_find(a, &r, addr);
}

struct vmc_va *vmc_va_take(struct vmc_arena *a, struct vmc_va *f,
			   unsigned long addr, unsigned long size,
			   unsigned long align, unsigned long vstart,
			   unsigned long vend)
{
	struct va_req r = { size, align, vstart, vend };
	struct vmc_va *va = va_take(a, f, addr, size);

	if (va)
		va_event_f(a, VMC_VA_EV_ALLOC, va->va_start, &r, 0);
	return va;
}

static int va_alloc_once(struct vmc_arena *a, const struct va_req *r,
			 struct vmc_va **out)
{
	return va_alloc_once_f(a, r, 0, out);
}

int vmc_va_search(struct vmc_arena *a, unsigned long size,
		  unsigned long align, unsigned long vstart,
		  unsigned long vend, unsigned int flags, struct vmc_va **out)
{
	struct va_req r = { size, align, vstart, vend };

	return va_alloc_once_f(a, &r, flags, out);
}

int vmc_va_alloc(struct vmc_arena *a, unsigned long size,
		 unsigned long align, unsigned long vstart,
		 unsigned long vend, struct vmc_va **out)
{
	struct va_req r = { size, align, vstart, vend };
	int err;

	*out = NULL;
	if (!size || !vmc_page_aligned(size) || !vmc_is_pow2(align) ||
	    align < VMC_PAGE_SIZE || vstart < a->start || vend > a->end ||
	    vstart >= vend)
		return -EINVAL;

	if (a->vnodes)
		return vmc_node_alloc(a, size, align, vstart, vend, out);
	err = va_alloc_once(a, &r, out);
	if (err == -ENOENT) {
		/* purge_vmap_area_lazy(): fragmented blocks, then the lazy set. */
		unsigned long blocks = vmc_vb_purge_fragmented(a);

		if (blocks || a->vs.lazy.nr) {
			vmc_va_purge(a);
			err = va_alloc_once(a, &r, out);
		}
	}
	if (!err)
		vmc_dirty_add(a, (*out)->va_start, (*out)->va_end);
	return err == -ENOENT ? -ENOMEM : err;
}

/* ---------- freeing ---------- */

void vmc_va_free(struct vmc_arena *a, struct vmc_va *va)
{
	VMC_VERIFY3U(va->state, ==, VMC_VA_BUSY);
	if (a->vnodes) {
		vmc_node_free(a, va);
		return;
	}
	vmc_dirty_add(a, va->va_start, va->va_end);
	va_event_free(a, VMC_VA_EV_LAZY, va);
	set_remove(a, &a->vs.busy, va);
	va->state = VMC_VA_LAZY;
	va->kind = VMC_VA_NONE;
	va->u.vm = NULL;
	a->vs.lazy_pages += vmc_va_size(va) >> VMC_PAGE_SHIFT;
	set_merge_or_add(a, &a->vs.lazy, va);
	if (a->vs.lazy_pages > a->vs.lazy_max_pages)
		vmc_va_purge(a);
}

/* A range leaves every set and merges into the free set. */
static void va_to_free(struct vmc_arena *a, struct vmc_va *va)
{
	va->state = VMC_VA_FREE;
	va->kind = VMC_VA_NONE;
	va->u.vm = NULL;
	set_merge_or_add(a, &a->vs.free, va);
}

void vmc_va_free_now(struct vmc_arena *a, struct vmc_va *va)
{
	VMC_VERIFY3U(va->state, ==, VMC_VA_BUSY);
	vmc_dirty_add(a, va->va_start, va->va_end);
	va_event_free(a, VMC_VA_EV_FREE, va);
	set_remove(a, &a->vs.busy, va);
	va_to_free(a, va);
}

unsigned long vmc_va_purge(struct vmc_arena *a)
{
	struct vmc_vaset *lz = &a->vs.lazy;
	struct vmc_list *pos, *tmp;
	unsigned long n = 0, lo, hi;

	if (a->vnodes)
		return vmc_node_purge(a, false);
	if (vmc_list_empty(&lz->head))
		return 0;
	/* Address order and disjointness: the span is first start..last end. */
	lo = va_of_list(lz->head.next)->va_start;
	hi = va_of_list(lz->head.prev)->va_end;
	vmc_bo_flush_tlb(a, lo, hi);
	va_event(a, VMC_VA_EV_PURGE, 0, NULL);

	/*
	 * Every lazy area leaves, in address order, so the lazy tree is
	 * dropped as a whole instead of being erased node by node.
	 */
	vmc_list_for_each_safe(pos, tmp, &lz->head) {
		struct vmc_va *va = va_of_list(pos);

		vmc_list_del(&va->list);
		vmc_dirty_add(a, va->va_start, va->va_end);
		va_to_free(a, va);
		n++;
	}
	VMC_VERIFY3U(n, ==, lz->nr);
	set_init(lz);
	a->vs.lazy_pages = 0;
	a->vs.nr_purges++;
	return n;
}

/* The member of set containing addr, by a descent of its tree. */
static struct vmc_va *set_lookup(const struct vmc_vaset *set,
				 unsigned long addr)
{
	struct vmc_rb_node *n = set->root.node;

	while (n) {
		struct vmc_va *va = va_of(n);

		if (addr < va->va_start)
			n = n->left;
		else if (addr >= va->va_end)
			n = n->right;
		else
			return va;
	}
	return NULL;
}

struct vmc_va *vmc_vaset_find(const struct vmc_vaset *set, unsigned long addr)
{
	if (set->hint && addr >= set->hint->va_start &&
	    addr < set->hint->va_end)
		return set->hint;       /* vfree of the last vmalloc */
	return set_lookup(set, addr);
}

struct vmc_va *vmc_va_find(struct vmc_arena *a, unsigned long addr)
{
	return vmc_vaset_find(&a->vs.busy, addr);
}

/* ---------- life cycle ---------- */

int vmc_va_init(struct vmc_arena *a)
{
	struct vmc_va *va;
	int err;

	set_init(&a->vs.free);
	set_init(&a->vs.busy);
	set_init(&a->vs.lazy);
	a->vs.lazy_pages = 0;
	a->vs.nr_purges = 0;
	if (!a->vs.lazy_max_pages) {
		unsigned int cpus = a->cfg.nr_cpus ? a->cfg.nr_cpus : 1;

		a->vs.lazy_max_pages = vmc_fls_long(cpus) *
				       ((32UL << 20) >> VMC_PAGE_SHIFT);
	}
	if (a->cfg.placement != VMC_PLACEMENT_LINUX &&
	    a->cfg.placement != VMC_PLACEMENT_EXACT)
		return -EINVAL;
	VMC_VERIFY(VA_SPACE_START < a->start && a->start < a->end);
	if ((err = vmc_node_init(a)))
		return err;
	/* vmap_init_free_space() with no early areas (theory 2). */
	va = vmc_meta_alloc_kind(a, VMC_META_VA, sizeof(*va));
	if (!va) {
		vmc_node_fini(a);
		return -ENOMEM;
	}
	va->va_start = VA_SPACE_START;
	va->va_end = VA_SPACE_END;
	va->state = VMC_VA_FREE;
	set_insert(a, &a->vs.free, va);
	return 0;
}

static void set_free_all(struct vmc_arena *a, struct vmc_vaset *s)
{
	struct vmc_list *pos, *tmp;

	vmc_list_for_each_safe(pos, tmp, &s->head)
		vmc_meta_free(a, va_of_list(pos));
	set_init(s);
}

void vmc_va_fini(struct vmc_arena *a)
{
	set_free_all(a, &a->vs.busy);
	set_free_all(a, &a->vs.lazy);
	set_free_all(a, &a->vs.free);
	a->vs.lazy_pages = 0;
	vmc_node_fini(a);
}

/* ---------- validation ---------- */

__attribute__((format(printf, 4, 5)))
static int va_report(int inv, char *msg, size_t len, const char *fmt, ...)
{
	va_list ap;

	if (msg && len) {
		va_start(ap, fmt);
		vmc_env_vsnprintf(msg, len, fmt, ap);
		va_end(ap);
	}
	return inv;
}

/*
 * One set: a valid rbtree whose in-order walk is the list, address
 * ordered, states right, count right; for the free set also exact
 * subtree_max_size and no two touching blocks.
 */
static int va_validate_set(struct vmc_arena *a, struct vmc_vaset *s,
			   const char *name, unsigned char state,
			   unsigned long *pages, char *msg, size_t len)
{
	char rbmsg[160];
	struct vmc_rb_node *n;
	struct vmc_list *pos;
	struct vmc_va *prev = NULL;
	unsigned long nr = 0;

	*pages = 0;
	if (vmc_rb_validate(&s->root, rbmsg, sizeof(rbmsg)))
		return va_report(3, msg, len, "%s tree: %s", name, rbmsg);
	n = vmc_rb_first(&s->root);
	vmc_list_for_each(pos, &s->head) {
		struct vmc_va *va = va_of_list(pos);

		if (pos->next->prev != pos)
			return va_report(3, msg, len, "%s list: broken link at "
					 "[0x%lx, 0x%lx)", name,
					 va->va_start, va->va_end);
		if (!n || va_of(n) != va)
			return va_report(3, msg, len, "%s list and tree differ at "
					 "[0x%lx, 0x%lx)", name,
					 va->va_start, va->va_end);
		if (va->state != state)
			return va_report(3, msg, len, "%s area [0x%lx, 0x%lx) has "
					 "state %u", name, va->va_start,
					 va->va_end, va->state);
		if (va->va_start >= va->va_end ||
		    (!vmc_page_aligned(va->va_start) &&
		     va->va_start != VA_SPACE_START) ||
		    (!vmc_page_aligned(va->va_end) &&
		     va->va_end != VA_SPACE_END))
			return va_report(1, msg, len, "%s area [0x%lx, 0x%lx) is "
					 "empty or not page aligned", name,
					 va->va_start, va->va_end);
		if (state != VMC_VA_FREE &&
		    (va->va_start < a->start || va->va_end > a->end))
			return va_report(1, msg, len, "%s area [0x%lx, 0x%lx) is "
					 "outside the arena [0x%lx, 0x%lx)",
					 name, va->va_start, va->va_end,
					 a->start, a->end);
		if (prev && prev->va_start < va->va_start &&
		    prev->va_end > va->va_start)
			return va_report(1, msg, len, "%s areas [0x%lx, 0x%lx) "
					 "and [0x%lx, 0x%lx) overlap", name,
					 prev->va_start, prev->va_end,
					 va->va_start, va->va_end);
		if (prev && prev->va_end > va->va_start)
			return va_report(3, msg, len, "%s list out of order: "
					 "[0x%lx, 0x%lx) then [0x%lx, 0x%lx)",
					 name, prev->va_start, prev->va_end,
					 va->va_start, va->va_end);
		if (state == VMC_VA_FREE) {
			unsigned long m = vmc_va_size(va);

			m = VMC_MAX(m, va_sms(va->rb.left));
			m = VMC_MAX(m, va_sms(va->rb.right));
			if (va->subtree_max_size != m)
				return va_report(3, msg, len, "free block [0x%lx, "
						 "0x%lx): subtree_max_size 0x%lx, "
						 "expected 0x%lx", va->va_start,
						 va->va_end,
						 va->subtree_max_size, m);
			if (prev && prev->va_end == va->va_start)
				return va_report(3, msg, len, "free blocks [0x%lx, "
						 "0x%lx) and [0x%lx, 0x%lx) not "
						 "merged", prev->va_start,
						 prev->va_end, va->va_start,
						 va->va_end);
		}
		if (state != VMC_VA_FREE)
			*pages += vmc_va_size(va) >> VMC_PAGE_SHIFT;
		prev = va;
		nr++;
		n = vmc_rb_next(n);
	}
	if (n)
		return va_report(3, msg, len, "%s tree has [0x%lx, 0x%lx) beyond "
				 "the list's end", name, va_of(n)->va_start,
				 va_of(n)->va_end);
	if (nr != s->nr)
		return va_report(3, msg, len, "%s set counts %lu areas, holds %lu",
				 name, s->nr, nr);
	return 0;
}

int vmc_va_validate(struct vmc_arena *a, char *msg, size_t len)
{
	struct vmc_vaset *sets[3] = { &a->vs.free, &a->vs.busy, &a->vs.lazy };
	static const char *const names[3] = { "free", "busy", "lazy" };
	static const unsigned char states[3] = { VMC_VA_FREE, VMC_VA_BUSY,
						 VMC_VA_LAZY };
	struct vmc_list *cur[3];
	unsigned long pages[3], at = VA_SPACE_START;
	int i, err;

	if (msg && len)
		msg[0] = '\0';
	for (i = 0; i < 3; i++) {
		err = va_validate_set(a, sets[i], names[i], states[i],
				      &pages[i], msg, len);
		if (err)
			return err;
	}
	if (pages[2] != a->vs.lazy_pages + a->pool_pages)
		return va_report(3, msg, len, "lazy_pages is %lu (+%lu pooled), "
				 "lazy set holds %lu pages", a->vs.lazy_pages,
				 a->pool_pages, pages[2]);
	if (a->vnodes) {
		err = vmc_node_validate(a, msg, len);
		if (err)
			return err;
	}

	/* Merge the three ordered lists: they must tile the whole space. */
	for (i = 0; i < 3; i++)
		cur[i] = sets[i]->head.next;
	for (;;) {
		struct vmc_va *low = NULL;
		int which = -1;

		for (i = 0; i < 3; i++) {
			struct vmc_va *va;

			if (cur[i] == &sets[i]->head)
				continue;
			va = va_of_list(cur[i]);
			if (!low || va->va_start < low->va_start) {
				low = va;
				which = i;
			}
		}
		if (!low)
			break;
		if (low->va_start < at)
			return va_report(1, msg, len, "%s area [0x%lx, 0x%lx) "
					 "overlaps what precedes 0x%lx",
					 names[which], low->va_start,
					 low->va_end, at);
		if (low->va_start > at)
			return va_report(1, msg, len, "[0x%lx, 0x%lx) is in no "
					 "set", at, low->va_start);
		at = low->va_end;
		cur[which] = cur[which]->next;
	}
	if (at != VA_SPACE_END)
		return va_report(1, msg, len, "[0x%lx, 0x%lx) is in no set "
				 "(the space ends at 0x%lx)", at, VA_SPACE_END,
				 VA_SPACE_END);
	/* Last, so a broken tiling is reported as such (1) first. */
	for (i = 0; i < 3; i++) {
		const struct vmc_va *h = sets[i]->hint;

		if (h && (h->state != states[i] ||
			  set_lookup(sets[i], h->va_start) != h))
			return va_report(3, msg, len, "%s set: its insert hint "
					 "[0x%lx, 0x%lx) is not a member",
					 names[i], h->va_start, h->va_end);
	}
	return 0;
}
