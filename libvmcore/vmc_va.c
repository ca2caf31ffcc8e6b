/*
 * vmc_va.c - vmap areas: the virtual-address allocator of an arena.
 *
 * Theory
 * ------
 * 1. Three sets.  Every byte of the arena [a->start, a->end) belongs to
 *    exactly one vmap area (struct vmc_va), in exactly one of three sets:
 *      free  - may be handed out;
 *      busy  - handed out (vmalloc, vmap, ioremap, vmap blocks, ...);
 *      lazy  - freed and already unmapped, but the TLB may still hold
 *              translations for it, so it must not be reused until a
 *              purge has flushed the TLB over it.
 *    Each set is an rbtree keyed by va_start plus a list in address
 *    order (vmc_vaset).  The tree finds a position in O(log n); the list
 *    then gives both neighbours in O(1).
 *
 * 2. The free tree is augmented: every node caches subtree_max_size, the
 *    largest block size in its subtree.  A whole subtree whose cached
 *    maximum is below the request is skipped, so a fit is located by a
 *    descent instead of a scan.  Adjacent free blocks are always merged,
 *    so the free set is the exact set of maximal holes.
 *
 * 3. Allocation is the EXACT lowest-address first fit: the lowest A with
 *    A % align == 0, vstart <= A, A + size <= vend, and [A, A + size)
 *    inside one free block.  The search is an in-order walk of the free
 *    tree that prunes subtrees whose max size is too small and left
 *    subtrees lying wholly below vstart, and stops at the first block
 *    starting at or above vend.  A block large enough whose aligned range
 *    does not fit is passed over and the walk continues, so the answer is
 *    exact; when such blocks are rare the cost is O(log n).
 *    Linux's find_vmap_lowest_match() instead looks for a block of size
 *    size + align - 1 when align > PAGE_SIZE, which always fits once
 *    found but may pick a higher block than the lowest one that fits.
 *    We deliberately choose the exact lowest fit, so that a naive model
 *    (sorted interval list, linear lowest fit) makes the same choices
 *    (DESIGN.md invariant 8).  Under VMC_DEBUG each answer is checked
 *    against a linear scan of the free list, like Linux's
 *    DEBUG_AUGMENT_LOWEST_MATCH_CHECK.
 *
 * 4. Cutting the chosen free block F = [fs, fe) around [A, A + size) has
 *    the four shapes of Linux's classify_va_fit_type():
 *      full fit   F == [A, A+size)     F itself becomes the busy area;
 *      left edge  A == fs, A+size < fe F shrinks from the left;
 *      right edge A > fs, A+size == fe F shrinks from the right;
 *      split      A > fs, A+size < fe  F keeps the left part, a new
 *                                      node takes the right part.
 *    Every metadata allocation happens before anything is changed, so an
 *    allocation failure returns -ENOMEM with all sets untouched.
 *
 * 5. Freeing.  vmc_va_free() moves a busy area to the lazy set and purges
 *    when the lazy pages exceed lazy_max_pages.  A purge issues ONE TLB
 *    flush over [lowest lazy start, highest lazy end) (the span of the
 *    union, as Linux's __purge_vmap_area_lazy does) and then returns each
 *    lazy area to the free set.  Returning a range merges it with its
 *    left and/or right free neighbour when they touch; merging only ever
 *    frees metadata, so a purge cannot fail.  vmc_va_free_now() skips the
 *    lazy stage for areas that were never mapped.
 *
 * 6. Allocation failure purges the lazy set (if any) and retries once, as
 *    Linux's alloc_vmap_area() does before giving up.
 *
 * All functions expect a->lock held.  vmc_va_validate() checks every
 * invariant of the three sets (DESIGN.md invariants 1 and 3).
 */
#include "vmc_internal.h"

/* ---------- set helpers ---------- */

static inline struct vmc_va *va_of(struct vmc_rb_node *n)
{
	return n ? vmc_rb_entry(n, struct vmc_va, rb) : NULL;
}

static inline struct vmc_va *va_of_list(struct vmc_list *l)
{
	return vmc_list_entry(l, struct vmc_va, list);
}

static inline unsigned long va_sms(struct vmc_rb_node *n)
{
	return n ? va_of(n)->subtree_max_size : 0;
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
}

/*
 * Insert va into set s at its address.  Overlap with a member is a core
 * bug.  The list position is after the last node we went right of.
 */
static void set_insert(struct vmc_arena *a, struct vmc_vaset *s,
		       struct vmc_va *va)
{
	struct vmc_rb_node **link = &s->root.node, *parent = NULL;
	struct vmc_va *pred = NULL;

	while (*link) {
		struct vmc_va *cur = va_of(*link);

		parent = *link;
		if (va->va_end <= cur->va_start) {
			link = &parent->left;
		} else {
			VMC_VERIFY3U(va->va_start, >=, cur->va_end);
			pred = cur;
			link = &parent->right;
		}
	}
	va->subtree_max_size = vmc_va_size(va);
	vmc_rb_link(&va->rb, parent, link);
	vmc_rb_insert(&s->root, &va->rb, set_aug(a, s));
	vmc_list_add(&va->list, pred ? &pred->list : &s->head);
	s->nr++;
}

static void set_remove(struct vmc_arena *a, struct vmc_vaset *s,
		       struct vmc_va *va)
{
	vmc_rb_erase(&s->root, &va->rb, set_aug(a, s));
	vmc_list_del(&va->list);
	VMC_VERIFY(s->nr > 0);
	s->nr--;
}

/* ---------- lowest fit ---------- */

struct va_req {
	unsigned long size, align, vstart, vend;
};

/* Does [A, A + size) fit in block va (and the request's range)?  A out. */
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
 * In-order walk of the free tree with pruning (theory 3).  Invariant of
 * the "descend" step: the subtree at n has subtree_max_size >= size.
 */
static struct vmc_va *va_find_lowest(struct vmc_arena *a,
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
/* The same question answered by a linear scan of the free list. */
static struct vmc_va *va_find_lowest_linear(struct vmc_arena *a,
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

/*
 * Cut [A, A + size) out of free block f (theory 4).  Returns the busy
 * area, or NULL (-ENOMEM) with nothing changed.
 */
static struct vmc_va *va_cut(struct vmc_arena *a, struct vmc_va *f,
			     unsigned long A, unsigned long size)
{
	struct vmc_va *busy, *right = NULL;
	unsigned long fs = f->va_start, fe = f->va_end, end = A + size;

	VMC_VERIFY(fs <= A && end <= fe && A < end);
	if (fs == A && fe == end) {
		/* Full fit: |FFFF| -> |BBBB| */
		set_remove(a, &a->vs.free, f);
		return f;
	}
	busy = vmc_meta_alloc(a, sizeof(*busy));
	if (!busy)
		return NULL;
	busy->va_start = A;
	busy->va_end = end;
	if (fs == A) {
		/* Left edge: |FFFF| -> |BBFF| */
		f->va_start = end;
	} else if (fe == end) {
		/* Right edge: |FFFF| -> |FFBB| */
		f->va_end = A;
	} else {
		/* Split: |FFFF| -> |FBBF|, a new node for the right part. */
		right = vmc_meta_alloc(a, sizeof(*right));
		if (!right) {
			vmc_meta_free(a, busy);
			return NULL;
		}
		right->va_start = end;
		right->va_end = fe;
		right->state = VMC_VA_FREE;
		f->va_end = A;
	}
	/* f shrank in place: its key order is unchanged, its size is not. */
	vmc_rb_propagate(&f->rb, &va_free_aug);
	if (right)
		set_insert(a, &a->vs.free, right);
	return busy;
}

static int va_alloc_once(struct vmc_arena *a, const struct va_req *r,
			 struct vmc_va **out)
{
	struct vmc_va *f, *va;
	unsigned long A = 0;

	f = va_find_lowest(a, r, &A);
#ifdef VMC_DEBUG
	{
		unsigned long A2 = 0;
		struct vmc_va *f2 = va_find_lowest_linear(a, r, &A2);

		VMC_VERIFY(f == f2);
		if (f)
			VMC_VERIFY3U(A, ==, A2);
	}
#endif
	if (!f)
		return -ENOENT;
	va = va_cut(a, f, A, r->size);
	if (!va)
		return -ENOMEM;
	va->state = VMC_VA_BUSY;
	va->kind = VMC_VA_NONE;
	va->u.vm = NULL;
	set_insert(a, &a->vs.busy, va);
	*out = va;
	return 0;
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

	err = va_alloc_once(a, &r, out);
	if (err == -ENOENT && a->vs.lazy.nr) {
		vmc_va_purge(a);
		err = va_alloc_once(a, &r, out);
	}
	if (!err)
		vmc_dirty_add(a, (*out)->va_start, (*out)->va_end);
	return err == -ENOENT ? -ENOMEM : err;
}

/* ---------- freeing and merging ---------- */

/*
 * Return va's range to the free set, merging with touching neighbours.
 * va must be in no set.  Never allocates: va's own node is reused or
 * freed.
 *
 *   left only:  |PP|vv|  |NN|  ->  |PPPP|  |NN|
 *   right only: |PP|  |vv|NN|  ->  |PP|  |NNNN|
 *   both:       |PP|vv|NN|     ->  |PPPPPP|
 *   none:       |PP| |vv| |NN| ->  va is linked as a new free block
 */
static void va_free_insert(struct vmc_arena *a, struct vmc_va *va)
{
	struct vmc_vaset *s = &a->vs.free;
	struct vmc_rb_node **link = &s->root.node, *parent = NULL;
	struct vmc_va *pred = NULL, *succ = NULL, *mp, *mn;
	struct vmc_list *after;
	unsigned long vs = va->va_start, ve = va->va_end;

	/* Locate va's position: pred is the free block just below it. */
	while (*link) {
		struct vmc_va *cur = va_of(*link);

		parent = *link;
		if (ve <= cur->va_start) {
			link = &parent->left;
		} else {
			VMC_VERIFY3U(vs, >=, cur->va_end);
			pred = cur;
			link = &parent->right;
		}
	}
	/* The list gives the block just above it in O(1). */
	after = pred ? &pred->list : &s->head;
	if (after->next != &s->head)
		succ = va_of_list(after->next);
	mp = pred && pred->va_end == vs ? pred : NULL;
	mn = succ && succ->va_start == ve ? succ : NULL;

	if (mp && mn) {
		mp->va_end = mn->va_end;
		set_remove(a, s, mn);
		vmc_meta_free(a, mn);
		vmc_rb_propagate(&mp->rb, &va_free_aug);
		vmc_meta_free(a, va);
	} else if (mp) {
		mp->va_end = ve;
		vmc_rb_propagate(&mp->rb, &va_free_aug);
		vmc_meta_free(a, va);
	} else if (mn) {
		/* Grows downwards: still above pred, so the key order holds. */
		mn->va_start = vs;
		vmc_rb_propagate(&mn->rb, &va_free_aug);
		vmc_meta_free(a, va);
	} else {
		va->state = VMC_VA_FREE;
		va->kind = VMC_VA_NONE;
		va->u.vm = NULL;
		va->subtree_max_size = vmc_va_size(va);
		vmc_rb_link(&va->rb, parent, link);
		vmc_rb_insert(&s->root, &va->rb, &va_free_aug);
		vmc_list_add(&va->list, after);
		s->nr++;
	}
}

void vmc_va_free(struct vmc_arena *a, struct vmc_va *va)
{
	VMC_VERIFY3U(va->state, ==, VMC_VA_BUSY);
	vmc_dirty_add(a, va->va_start, va->va_end);
	set_remove(a, &a->vs.busy, va);
	va->state = VMC_VA_LAZY;
	va->kind = VMC_VA_NONE;
	va->u.vm = NULL;
	set_insert(a, &a->vs.lazy, va);
	a->vs.lazy_pages += vmc_va_size(va) >> VMC_PAGE_SHIFT;
	if (a->vs.lazy_pages > a->vs.lazy_max_pages)
		vmc_va_purge(a);
}

void vmc_va_free_now(struct vmc_arena *a, struct vmc_va *va)
{
	VMC_VERIFY3U(va->state, ==, VMC_VA_BUSY);
	vmc_dirty_add(a, va->va_start, va->va_end);
	set_remove(a, &a->vs.busy, va);
	va_free_insert(a, va);
}

unsigned long vmc_va_purge(struct vmc_arena *a)
{
	struct vmc_vaset *lz = &a->vs.lazy;
	struct vmc_list *pos, *tmp;
	unsigned long n = 0, lo, hi;

	if (vmc_list_empty(&lz->head))
		return 0;
	/* Address order and disjointness: the span is first start..last end. */
	lo = va_of_list(lz->head.next)->va_start;
	hi = va_of_list(lz->head.prev)->va_end;
	vmc_bo_flush_tlb(a, lo, hi);

	/*
	 * Every lazy area leaves, so the lazy tree is dropped as a whole
	 * instead of being erased node by node.
	 */
	vmc_list_for_each_safe(pos, tmp, &lz->head) {
		struct vmc_va *va = va_of_list(pos);

		vmc_list_del(&va->list);
		vmc_dirty_add(a, va->va_start, va->va_end);
		va_free_insert(a, va);
		n++;
	}
	VMC_VERIFY3U(n, ==, lz->nr);
	set_init(lz);
	a->vs.lazy_pages = 0;
	a->vs.nr_purges++;
	return n;
}

struct vmc_va *vmc_vaset_find(const struct vmc_vaset *set, unsigned long addr)
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

struct vmc_va *vmc_va_find(struct vmc_arena *a, unsigned long addr)
{
	return vmc_vaset_find(&a->vs.busy, addr);
}

/* ---------- life cycle ---------- */

int vmc_va_init(struct vmc_arena *a)
{
	struct vmc_va *va;

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
	VMC_VERIFY(a->start < a->end);
	va = vmc_meta_alloc(a, sizeof(*va));
	if (!va)
		return -ENOMEM;
	va->va_start = a->start;
	va->va_end = a->end;
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
		    !vmc_page_aligned(va->va_start) ||
		    !vmc_page_aligned(va->va_end))
			return va_report(1, msg, len, "%s area [0x%lx, 0x%lx) is "
					 "empty or not page aligned", name,
					 va->va_start, va->va_end);
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
	(void)a;
	return 0;
}

int vmc_va_validate(struct vmc_arena *a, char *msg, size_t len)
{
	struct vmc_vaset *sets[3] = { &a->vs.free, &a->vs.busy, &a->vs.lazy };
	static const char *const names[3] = { "free", "busy", "lazy" };
	static const unsigned char states[3] = { VMC_VA_FREE, VMC_VA_BUSY,
						 VMC_VA_LAZY };
	struct vmc_list *cur[3];
	unsigned long pages[3], at = a->start;
	int i, err;

	if (msg && len)
		msg[0] = '\0';
	for (i = 0; i < 3; i++) {
		err = va_validate_set(a, sets[i], names[i], states[i],
				      &pages[i], msg, len);
		if (err)
			return err;
	}
	if (pages[2] != a->vs.lazy_pages)
		return va_report(3, msg, len, "lazy_pages is %lu, lazy set holds "
				 "%lu pages", a->vs.lazy_pages, pages[2]);

	/* Merge the three ordered lists: they must tile [start, end). */
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
	if (at != a->end)
		return va_report(1, msg, len, "[0x%lx, 0x%lx) is in no set "
				 "(arena ends at 0x%lx)", at, a->end, a->end);
	return 0;
}
