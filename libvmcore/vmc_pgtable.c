/* SPDX-License-Identifier: MIT */
/*
 * vmc_pgtable.c - the generic page-table walker, populator and unmapper.
 *
 * Theory
 * ------
 * 1. One walker for every shape.  Linux spells its kernel page-table code
 *    out once per level (vmap_pte_range, vmap_pmd_range, ... up to the
 *    pgd) because the number of levels is a compile-time fact there.  Here
 *    the shape comes from the backend at run time (struct vmc_geometry:
 *    2 to 5 levels, any index width per level, a mask of leaf-capable
 *    levels), so every operation is one recursive function over a level
 *    number.  At level L an entry covers 1 << vmc_geom_shift(L) bytes and
 *    the index of an address is the bits[L] bits above that shift.  The
 *    recursion depth is at most VMC_MAX_LEVELS.
 *
 * 2. Tables are frames, not memory.  A table is named by its pfn and its
 *    entries are reached only through vmc_bo_read / vmc_bo_write; entries
 *    are opaque values that only the backend builds and decodes.  The one
 *    value the walker writes on its own is 0, the empty entry (every
 *    backend's "not present": x86 and the kernel agree).
 *
 * 3. Mapping (vmc_pt_map, Linux vmap_range_noflush).  Walk [addr, end)
 *    top-down.  At a level L >= 1 a single huge leaf replaces the subtree
 *    when the backend allows leaves at L, L's span is within the caller's
 *    max_shift, the chunk is exactly one whole entry and the physical
 *    address is aligned to that span: the same tests as Linux's
 *    vmap_try_huge_p?d.  Because the walk goes top-down, the biggest
 *    allowed leaf wins.  If the entry still holds a table that maps
 *    nothing (a leftover of earlier small mappings, tables are never freed
 *    on unmap), that table tree is freed and the leaf takes its place
 *    (Linux pmd_free_pte_page / pud_free_pmd_page); a table that still
 *    maps something is descended into instead.  Missing tables are
 *    allocated on the way down.  Writing over a present leaf is a caller
 *    bug: refused with -EBUSY and logged.
 *
 * 4. Failure leaves nothing mapped.  The walk proceeds in address order
 *    and stops at the first error, so at that point exactly
 *    [addr, fail_at) was mapped by this call; it is unmapped again before
 *    returning.  Tables allocated on the way stay linked: they are
 *    accounted in frames_tables and reused later, as in the kernel.
 *
 * 5. The modified-levels mask.  Bit L is set whenever an entry at level L
 *    is written (Linux's pgtbl_mod_mask).  When it meets
 *    geom.sync_levels the backend's sync hook runs once for the whole
 *    call (arch_sync_kernel_mappings), also after an error, since tables
 *    linked before the error stay.  Mapping never flushes the TLB: a range
 *    being mapped was flushed when it was last purged.
 *
 * 6. Unmapping (vmc_pt_unmap, vunmap_range_noflush) clears leaves only.
 *    Empty entries are skipped a whole entry span at a time, so clearing
 *    the whole arena costs only what is really present.  No TLB flush: the
 *    lazy-purge logic of vmc_va.c owns that.  A huge leaf reaching outside
 *    the range would mean an area boundary splits a leaf: a core bug.
 *
 * 7. Reading walks (lookup, for_each_leaf, count, validate) and teardown
 *    (vmc_pt_fini) visit only entries whose span intersects the arena
 *    [a->start, a->end): a root shared with someone else (the kmod backend
 *    uses the kernel's) is never touched outside it.
 *
 * 8. The walk cache.  A vmalloc of a few pages and its vfree each walk
 *    from the root to the same level-0 table: most of a small call's
 *    page-table cost is the descent.  The arena remembers the last
 *    level-0 table a map or unmap walk reached (a->pt_wc_table) and the
 *    level-1 entry above it (a->pt_wc_key); a map or unmap of a range
 *    inside that one entry's span (and smaller than it, so no level-1
 *    leaf can be meant) starts there.  Tables are only unlinked on their
 *    way to vmc_bo_table_free, which empties the cache, so a cached
 *    table is always the one the entry points to.  Not Linux's (its walk
 *    always descends), not observable: the same entries are written in
 *    the same order; only the reads of the levels above are skipped.
 *
 * 9. Sync (vmc_pt_validate_sync).  Where the root level is a sync level,
 *    the other page-table roots must hold what the root holds: a root
 *    entry the walker changed and no sync() followed is stale everywhere
 *    else.  A backend that keeps such a copy (sync_copy) lets the checker
 *    compare the arena's root entries with it, one per root entry span.
 *
 * Invariants kept: a table entry always points at a live table of the
 * level below (a table is unlinked before it is freed); leaves only at
 * levels in geom.leaf_levels, with frames aligned to their span; every
 * table below the root is reachable exactly once and counted in
 * a->frames_tables (vmc_pt_validate checks all of this).
 */
#include "vmc_internal.h"

#define VMC_PT_NONE ((vmc_pte_t)0)      /* the empty entry */

/* ---------- geometry helpers ---------- */

/* g is the arena's copy, whose shift[] vmc_bo_init filled. */
static unsigned long pt_span(const struct vmc_geometry *g, unsigned int level)
{
	return 1UL << g->shift[level];
}

static unsigned int pt_index(const struct vmc_geometry *g, unsigned int level,
			     unsigned long addr)
{
	return (unsigned int)((addr >> g->shift[level]) &
			      ((1UL << g->bits[level]) - 1));
}

/*
 * End of the entry containing addr, clipped to end (the "- 1" compares
 * keep it right when the next boundary wraps to 0).
 */
static unsigned long pt_next(unsigned long addr, unsigned long end,
			     unsigned long span)
{
	unsigned long next = (addr + span) & ~(span - 1);

	return next - 1 < end - 1 ? next : end;
}

static unsigned int pt_top(struct vmc_arena *a)
{
	return a->info.geom.levels - 1;
}

/* Clear one entry; clearing never needs anything from the host. */
static void pt_clear(struct vmc_arena *a, unsigned long table,
		     unsigned int level, unsigned int idx, unsigned long va)
{
	int err = vmc_bo_write(a, table, level, idx, VMC_PT_NONE, va);

	VMC_VERIFY3U(err, ==, 0);
}

/* ---------- the walk cache (theory 8) ---------- */

/* The cached level-0 table for [addr, end), or 0 when it does not hold. */
static unsigned long pt_wc_get(struct vmc_arena *a, unsigned long addr,
			       unsigned long end)
{
	unsigned int s1 = a->info.geom.shift[1];

	if (!a->pt_wc_key || (addr >> s1) + 1 != a->pt_wc_key ||
	    ((end - 1) >> s1) != (addr >> s1) || end - addr >= 1UL << s1)
		return 0;
	return a->pt_wc_table;
}

static void pt_wc_set(struct vmc_arena *a, unsigned long addr,
		      unsigned long table)
{
	a->pt_wc_key = (addr >> a->info.geom.shift[1]) + 1;
	a->pt_wc_table = table;
}

/* ---------- unmapping ---------- */

static void pt_unmap_level(struct vmc_arena *a, unsigned long table,
			   unsigned int level, unsigned long addr,
			   unsigned long end, unsigned int *mask)
{
	const struct vmc_geometry *g = &a->info.geom;
	unsigned long span = pt_span(g, level), next;

	do {
		unsigned int idx = pt_index(g, level, addr);
		vmc_pte_t e = vmc_bo_read(a, table, level, idx);

		next = pt_next(addr, end, span);
		if (!vmc_bo_present(a, level, e))
			continue;
		if (vmc_bo_is_leaf(a, level, e)) {
			/* A huge leaf must lie wholly inside the range. */
			VMC_VERIFY(level == 0 || (!(addr & (span - 1)) &&
						  next - addr == span));
			pt_clear(a, table, level, idx, addr);
			*mask |= 1u << level;
			continue;
		}
		if (level == 1)
			pt_wc_set(a, addr, vmc_bo_entry_pfn(a, level, e));
		pt_unmap_level(a, vmc_bo_entry_pfn(a, level, e), level - 1,
			       addr, next, mask);
	} while (addr = next, addr != end);
}

static void pt_sync(struct vmc_arena *a, unsigned long addr,
		    unsigned long end, unsigned int mask)
{
	if (mask & a->info.geom.sync_levels)
		vmc_bo_sync(a, addr, end, mask);
}

void vmc_pt_unmap(struct vmc_arena *a, unsigned long addr, unsigned long end)
{
	unsigned long table;
	unsigned int mask = 0;

	VMC_VERIFY(vmc_page_aligned(addr) && vmc_page_aligned(end));
	VMC_VERIFY(a->start <= addr && addr <= end && end <= a->end);
	if (addr == end)
		return;
	vmc_dirty_add(a, addr, end);
	vmc_bo_batch_begin(a);
	table = pt_wc_get(a, addr, end);
	if (table)
		pt_unmap_level(a, table, 0, addr, end, &mask);
	else
		pt_unmap_level(a, vmc_bo_root(a), pt_top(a), addr, end, &mask);
	vmc_bo_batch_end(a);
	pt_sync(a, addr, end, mask);
}

/* ---------- the fast paths' walks (vmc_pcpu.c) ---------- */

/*
 * The level-0 table holding every leaf of [addr, end), found without
 * allocating, or 0 (a table missing, a huge leaf on the way, the range
 * crossing a level-0 table).  Reads only: the fast paths run it beside
 * each other, and tables are linked and freed under the arena lock alone.
 */
static unsigned long pt_quick_table(struct vmc_arena *a, unsigned long addr,
				    unsigned long end)
{
	const struct vmc_geometry *g = &a->info.geom;
	unsigned long table = vmc_bo_root(a);
	unsigned int level;

	if ((addr >> g->shift[1]) != ((end - 1) >> g->shift[1]) ||
	    (g->sync_levels & 1u))
		return 0;
	for (level = pt_top(a); level > 0; level--) {
		vmc_pte_t e = vmc_bo_read(a, table, level,
					  pt_index(g, level, addr));

		if (!vmc_bo_present(a, level, e) || vmc_bo_is_leaf(a, level, e))
			return 0;
		table = vmc_bo_entry_pfn(a, level, e);
	}
	return table;
}

int vmc_pt_map_quick(struct vmc_arena *a, unsigned long addr,
		     unsigned long nr, const uint64_t *pfns, unsigned int prot)
{
	const struct vmc_geometry *g = &a->info.geom;
	unsigned long end = addr + (nr << VMC_PAGE_SHIFT), i;
	unsigned long table = pt_quick_table(a, addr, end);
	unsigned int idx = pt_index(g, 0, addr);
	int err = 0;

	if (!table)
		return -EAGAIN;
	for (i = 0; i < nr; i++)
		if (vmc_bo_present(a, 0, vmc_bo_read(a, table, 0, idx + i)))
			return -EAGAIN;        /* the slow path says why */
	vmc_bo_batch_begin(a);
	for (i = 0; i < nr; i++) {
		err = vmc_bo_write(a, table, 0, idx + (unsigned int)i,
				   vmc_bo_mk_leaf(a, 0, pfns[i], prot),
				   addr + (i << VMC_PAGE_SHIFT));
		if (err)
			break;
	}
	if (err)
		while (i--)
			pt_clear(a, table, 0, idx + (unsigned int)i,
				 addr + (i << VMC_PAGE_SHIFT));
	vmc_bo_batch_end(a);
	return err ? -EAGAIN : 0;
}

int vmc_pt_unmap_quick(struct vmc_arena *a, unsigned long addr,
		       unsigned long end)
{
	const struct vmc_geometry *g = &a->info.geom;
	unsigned long table = pt_quick_table(a, addr, end), va;
	unsigned int idx = pt_index(g, 0, addr);

	if (!table)
		return -EAGAIN;
	vmc_bo_batch_begin(a);
	for (va = addr; va < end; va += VMC_PAGE_SIZE, idx++)
		if (vmc_bo_present(a, 0, vmc_bo_read(a, table, 0, idx)))
			pt_clear(a, table, 0, idx, va);
	vmc_bo_batch_end(a);
	return 0;
}

/* ---------- mapping ---------- */

struct pt_map {
	struct vmc_arena *a;
	unsigned long start;            /* first address of the call */
	unsigned long pfn;              /* linear: frame mapped at start */
	unsigned long (*get)(void *arg, unsigned long i); /* or page by page */
	void *arg;
	unsigned int prot;
	unsigned int max_shift;
	unsigned int mask;              /* levels written */
	unsigned long fail_at;          /* where the walk stopped on error */
};

static unsigned long pt_pfn_at(const struct pt_map *m, unsigned long addr)
{
	unsigned long i = (addr - m->start) >> VMC_PAGE_SHIFT;

	return m->get ? m->get(m->arg, i) : m->pfn + i;
}

static int pt_busy(struct pt_map *m, unsigned long addr, unsigned int level)
{
	vmc_warn(m->a, "vmap: 0x%lx is already mapped (level %u entry present)",
		 addr, level);
	m->fail_at = addr;
	return -EBUSY;
}

/* May [addr, next) be one leaf at `level` (level >= 1)? */
static bool pt_huge_fits(const struct pt_map *m, unsigned int level,
			 unsigned long addr, unsigned long next)
{
	const struct vmc_geometry *g = &m->a->info.geom;
	unsigned int shift = vmc_geom_shift(g, level);
	unsigned long span = 1UL << shift;

	if (m->get || !(g->leaf_levels & (1u << level)) || shift > m->max_shift)
		return false;
	if ((addr & (span - 1)) || next - addr != span)
		return false;
	return !(pt_pfn_at(m, addr) & ((span >> VMC_PAGE_SHIFT) - 1));
}

/* Does the table tree at `table` (of `level`) hold no present leaf? */
static bool pt_maps_nothing(struct vmc_arena *a, unsigned long table,
			    unsigned int level)
{
	unsigned int idx, n = 1u << a->info.geom.bits[level];

	for (idx = 0; idx < n; idx++) {
		vmc_pte_t e = vmc_bo_read(a, table, level, idx);

		if (!vmc_bo_present(a, level, e))
			continue;
		if (vmc_bo_is_leaf(a, level, e) ||
		    !pt_maps_nothing(a, vmc_bo_entry_pfn(a, level, e),
				     level - 1))
			return false;
	}
	return true;
}

/*
 * Empty a table tree that maps nothing: free every table below `table`,
 * clearing the entries that linked them.  `table` itself stays (the
 * caller unlinks it, then frees it).
 */
static void pt_free_below(struct vmc_arena *a, unsigned long table,
			  unsigned int level, unsigned long va)
{
	const struct vmc_geometry *g = &a->info.geom;
	unsigned int idx, n = 1u << g->bits[level];
	unsigned int shift = vmc_geom_shift(g, level);

	for (idx = 0; idx < n; idx++) {
		vmc_pte_t e = vmc_bo_read(a, table, level, idx);
		unsigned long child, eva = va + ((unsigned long)idx << shift);

		if (!vmc_bo_present(a, level, e))
			continue;
		VMC_VERIFY(!vmc_bo_is_leaf(a, level, e));
		child = vmc_bo_entry_pfn(a, level, e);
		pt_free_below(a, child, level - 1, eva);
		pt_clear(a, table, level, idx, eva);
		vmc_bo_table_free(a, level - 1, child);
	}
}

/*
 * Try to install a huge leaf in entry idx (holding e) for [addr, +span).
 * Returns 1 when the caller must descend instead, 0 when mapped, or an
 * error.
 */
static int pt_map_huge(struct pt_map *m, unsigned long table,
		       unsigned int level, unsigned int idx, vmc_pte_t e,
		       unsigned long addr)
{
	struct vmc_arena *a = m->a;
	vmc_pte_t leaf = vmc_bo_mk_leaf(a, level, pt_pfn_at(m, addr), m->prot);
	unsigned long old = 0;
	int err;

	if (vmc_bo_present(a, level, e)) {
		if (vmc_bo_is_leaf(a, level, e))
			return pt_busy(m, addr, level);
		old = vmc_bo_entry_pfn(a, level, e);
		if (!pt_maps_nothing(a, old, level - 1))
			return 1;
		pt_free_below(a, old, level - 1, addr);
	}
	err = vmc_bo_write(a, table, level, idx, leaf, addr);
	if (err) {
		/* The emptied table is still linked; the entry is unchanged. */
		m->fail_at = addr;
		return err;
	}
	m->mask |= 1u << level;
	if (old)
		vmc_bo_table_free(a, level - 1, old);
	return 0;
}

/* The table entry idx (holding e) points to, allocating it if missing. */
static int pt_child(struct pt_map *m, unsigned long table, unsigned int level,
		    unsigned int idx, vmc_pte_t e, unsigned long addr,
		    unsigned long *child)
{
	struct vmc_arena *a = m->a;
	int err;

	if (vmc_bo_present(a, level, e)) {
		if (vmc_bo_is_leaf(a, level, e))
			return pt_busy(m, addr, level);
		*child = vmc_bo_entry_pfn(a, level, e);
		return 0;
	}
	err = vmc_bo_table_alloc(a, level - 1, child);
	if (!err) {
		err = vmc_bo_write(a, table, level, idx,
				   vmc_bo_mk_table(a, level, *child), addr);
		if (err)
			vmc_bo_table_free(a, level - 1, *child);
	}
	if (err) {
		m->fail_at = addr;
		return err;
	}
	m->mask |= 1u << level;
	return 0;
}

static int pt_map_level(struct pt_map *m, unsigned long table,
			unsigned int level, unsigned long addr,
			unsigned long end)
{
	struct vmc_arena *a = m->a;
	const struct vmc_geometry *g = &a->info.geom;
	unsigned long span = pt_span(g, level), next, child;
	int err;

	do {
		unsigned int idx = pt_index(g, level, addr);
		vmc_pte_t e = vmc_bo_read(a, table, level, idx);

		next = pt_next(addr, end, span);
		if (level == 0) {
			vmc_pte_t leaf = vmc_bo_mk_leaf(a, 0,
							pt_pfn_at(m, addr),
							m->prot);

			if (vmc_bo_present(a, 0, e))
				return pt_busy(m, addr, 0);
			err = vmc_bo_write(a, table, 0, idx, leaf, addr);
			if (err) {
				m->fail_at = addr;
				return err;
			}
			m->mask |= 1u;
			continue;
		}
		if (pt_huge_fits(m, level, addr, next)) {
			err = pt_map_huge(m, table, level, idx, e, addr);
			if (err <= 0) {
				if (err)
					return err;
				continue;
			}
		}
		err = pt_child(m, table, level, idx, e, addr, &child);
		if (!err && level == 1)
			pt_wc_set(a, addr, child);
		if (!err)
			err = pt_map_level(m, child, level - 1, addr, next);
		if (err)
			return err;
	} while (addr = next, addr != end);
	return 0;
}

static int pt_map_run(struct pt_map *m, unsigned long addr, unsigned long end)
{
	struct vmc_arena *a = m->a;
	unsigned long table;
	int err;

	VMC_VERIFY(vmc_page_aligned(addr) && vmc_page_aligned(end));
	VMC_VERIFY(a->start <= addr && addr < end && end <= a->end);
	vmc_dirty_add(a, addr, end);
	m->start = addr;
	m->fail_at = addr;
	m->mask = 0;
	vmc_bo_batch_begin(a);
	table = pt_wc_get(a, addr, end);
	if (table)
		err = pt_map_level(m, table, 0, addr, end);
	else
		err = pt_map_level(m, vmc_bo_root(a), pt_top(a), addr, end);
	if (err && m->fail_at > addr)
		pt_unmap_level(a, vmc_bo_root(a), pt_top(a), addr, m->fail_at,
			       &m->mask);
	vmc_bo_batch_end(a);
	pt_sync(a, addr, end, m->mask);
	return err;
}

int vmc_pt_map(struct vmc_arena *a, unsigned long addr, unsigned long end,
	       unsigned long pfn, unsigned int prot, unsigned int max_shift)
{
	struct pt_map m;

	memset(&m, 0, sizeof(m));
	m.a = a;
	m.pfn = pfn;
	m.prot = prot;
	m.max_shift = max_shift;
	return pt_map_run(&m, addr, end);
}

int vmc_pt_map_pages(struct vmc_arena *a, unsigned long addr,
		     unsigned long nr_pages,
		     unsigned long (*get)(void *arg, unsigned long i),
		     void *arg, unsigned int prot, unsigned int page_shift)
{
	unsigned long run, i, end;
	struct pt_map m;
	int err = 0;

	VMC_VERIFY3U(page_shift, >=, VMC_PAGE_SHIFT);
	if (!nr_pages)
		return 0;
	VMC_VERIFY3U(nr_pages, <=, (a->end - addr) >> VMC_PAGE_SHIFT);
	end = addr + (nr_pages << VMC_PAGE_SHIFT);
	if (page_shift == VMC_PAGE_SHIFT) {
		/* One walk, one leaf per page. */
		memset(&m, 0, sizeof(m));
		m.a = a;
		m.get = get;
		m.arg = arg;
		m.prot = prot;
		m.max_shift = VMC_PAGE_SHIFT;
		return pt_map_run(&m, addr, end);
	}
	/* Runs of contiguous frames, each mapped with leaves up to its size. */
	run = 1UL << (page_shift - VMC_PAGE_SHIFT);
	for (i = 0; i < nr_pages; i += run) {
		unsigned long va = addr + (i << VMC_PAGE_SHIFT);
		unsigned long n = VMC_MIN(run, nr_pages - i);

		err = vmc_pt_map(a, va, va + (n << VMC_PAGE_SHIFT),
				 get(arg, i), prot, page_shift);
		if (err) {
			vmc_pt_unmap(a, addr, va);
			break;
		}
	}
	return err;
}

/* ---------- lookups and walks ---------- */

int vmc_pt_lookup(struct vmc_arena *a, unsigned long addr,
		  unsigned long *pfn, unsigned int *level, unsigned int *prot)
{
	const struct vmc_geometry *g = &a->info.geom;
	unsigned long table = vmc_bo_root(a);
	unsigned int l = pt_top(a);

	if (addr < a->start || addr >= a->end)
		return -EFAULT;
	for (;;) {
		vmc_pte_t e = vmc_bo_read(a, table, l, pt_index(g, l, addr));

		if (!vmc_bo_present(a, l, e))
			return -EFAULT;
		if (vmc_bo_is_leaf(a, l, e)) {
			unsigned long span = pt_span(g, l);

			if (pfn)
				*pfn = vmc_bo_entry_pfn(a, l, e) +
				       ((addr & (span - 1)) >> VMC_PAGE_SHIFT);
			if (level)
				*level = l;
			if (prot)
				*prot = vmc_bo_leaf_prot(a, l, e);
			return 0;
		}
		table = vmc_bo_entry_pfn(a, l, e);
		l--;
	}
}

/*
 * A read-only pre-order walk of the arena's part of the tree: `table` is
 * called for every table below the root before it is descended into,
 * `leaf` for every present leaf whose first address is in the arena.
 * Either may stop the walk by returning non-zero.
 */
struct pt_visit {
	struct vmc_arena *a;
	int (*table)(struct pt_visit *v, unsigned long pfn, unsigned int level);
	int (*leaf)(struct pt_visit *v, unsigned long va, unsigned int level,
		    vmc_pte_t e);
};

/*
 * The first index in [idx, last] whose entry is not all zero bytes
 * (last + 1 if none), scanning a table_entries view.
 */
static unsigned int pt_skip_zero(const void *tv, unsigned int esize,
				 unsigned int idx, unsigned int last)
{
	if (esize == 8) {
		const uint64_t *p = tv;

		/* Four at a time while they are all empty. */
		while (idx + 3 <= last && !(p[idx] | p[idx + 1] | p[idx + 2] |
					    p[idx + 3]))
			idx += 4;
		while (idx <= last && !p[idx])
			idx++;
	} else {
		const uint32_t *p = tv;

		while (idx <= last && !p[idx])
			idx++;
	}
	return idx;
}

/* Entry idx of a table, from its host view when there is one. */
static vmc_pte_t pt_entry(struct vmc_arena *a, const void *tv,
			  unsigned long table, unsigned int level,
			  unsigned int idx)
{
	if (!tv)
		return vmc_bo_read(a, table, level, idx);
	if (a->info.geom.entry_size == 8)
		return ((const uint64_t *)tv)[idx];
	return ((const uint32_t *)tv)[idx];
}

static int pt_visit_level(struct pt_visit *v, unsigned long table,
			  unsigned int level, unsigned long addr,
			  unsigned long end)
{
	struct vmc_arena *a = v->a;
	const struct vmc_geometry *g = &a->info.geom;
	unsigned long span = pt_span(g, level);
	unsigned long base = addr & ~(span - 1);        /* entry i0's start */
	const void *tv = vmc_bo_table_entries(a, table, level);
	unsigned int i0 = pt_index(g, level, addr);
	unsigned int last = pt_index(g, level, end - 1), idx;
	int rc;

	/* [addr, end) lies in this one table: entries i0..last. */
	for (idx = i0; idx <= last; idx++) {
		unsigned long lo;
		vmc_pte_t e;

		if (tv) {
			idx = pt_skip_zero(tv, g->entry_size, idx, last);
			if (idx > last)
				break;
		}
		e = pt_entry(a, tv, table, level, idx);
		if (!vmc_bo_present(a, level, e))
			continue;
		lo = base + (unsigned long)(idx - i0) * span;
		if (vmc_bo_is_leaf(a, level, e)) {
			rc = (lo >= a->start && v->leaf) ?
			     v->leaf(v, lo, level, e) : 0;
		} else {
			unsigned long child = vmc_bo_entry_pfn(a, level, e);

			rc = v->table ? v->table(v, child, level - 1) : 0;
			if (!rc)
				rc = pt_visit_level(v, child, level - 1,
						    VMC_MAX(lo, addr),
						    pt_next(lo, end, span));
		}
		if (rc)
			return rc;
	}
	return 0;
}

static int pt_visit(struct pt_visit *v)
{
	struct vmc_arena *a = v->a;

	return pt_visit_level(v, vmc_bo_root(a), pt_top(a), a->start, a->end);
}

/* The same over [lo, hi) clipped to the arena; nothing when that is empty. */
static int pt_visit_range(struct pt_visit *v, unsigned long lo,
			  unsigned long hi)
{
	struct vmc_arena *a = v->a;

	lo = VMC_MAX(lo, a->start);
	hi = VMC_MIN(hi, a->end);
	if (lo >= hi)
		return 0;
	return pt_visit_level(v, vmc_bo_root(a), pt_top(a), lo, hi);
}

struct pt_leaf_cb {
	struct pt_visit v;
	int (*fn)(void *arg, unsigned long va, unsigned int level,
		  unsigned long pfn, unsigned int prot);
	void *arg;
};

static int pt_leaf_cb(struct pt_visit *v, unsigned long va,
		      unsigned int level, vmc_pte_t e)
{
	struct pt_leaf_cb *c = (struct pt_leaf_cb *)v;

	return c->fn(c->arg, va, level, vmc_bo_entry_pfn(v->a, level, e),
		     vmc_bo_leaf_prot(v->a, level, e));
}

int vmc_pt_for_each_leaf(struct vmc_arena *a,
			 int (*fn)(void *arg, unsigned long va,
				   unsigned int level, unsigned long pfn,
				   unsigned int prot),
			 void *arg)
{
	return vmc_pt_for_each_leaf_range(a, a->start, a->end, fn, arg);
}

int vmc_pt_for_each_leaf_range(struct vmc_arena *a, unsigned long lo,
			       unsigned long hi,
			       int (*fn)(void *arg, unsigned long va,
					 unsigned int level, unsigned long pfn,
					 unsigned int prot),
			       void *arg)
{
	struct pt_leaf_cb c;

	memset(&c, 0, sizeof(c));
	c.v.a = a;
	c.v.leaf = pt_leaf_cb;
	c.fn = fn;
	c.arg = arg;
	return pt_visit_range(&c.v, lo, hi);
}

struct pt_count {
	struct pt_visit v;
	unsigned long n;
	unsigned long *pfns;            /* if set: record, up to cap */
	unsigned long cap;
};

static int pt_count_cb(struct pt_visit *v, unsigned long pfn,
		       unsigned int level)
{
	struct pt_count *c = (struct pt_count *)v;

	(void)level;
	if (c->pfns && c->n < c->cap)
		c->pfns[c->n] = pfn;
	c->n++;
	return 0;
}

unsigned long vmc_pt_count_tables(struct vmc_arena *a)
{
	struct pt_count c;

	memset(&c, 0, sizeof(c));
	c.v.a = a;
	c.v.table = pt_count_cb;
	pt_visit(&c.v);
	return c.n;
}

/* ---------- teardown ---------- */

/* Is every entry of the table not present? */
static bool pt_table_empty(struct vmc_arena *a, unsigned long table,
			   unsigned int level)
{
	unsigned int idx, n = 1u << a->info.geom.bits[level];

	for (idx = 0; idx < n; idx++)
		if (vmc_bo_present(a, level, vmc_bo_read(a, table, level, idx)))
			return false;
	return true;
}

/*
 * Clear every entry of [addr, end) below `table` and free the tables,
 * bottom-up.  A table whose span reaches outside the arena is freed only
 * if nothing outside is present (someone else's entries stay untouched).
 */
static void pt_fini_level(struct vmc_arena *a, unsigned long table,
			  unsigned int level, unsigned long addr,
			  unsigned long end, unsigned int *mask,
			  unsigned long *leaves)
{
	const struct vmc_geometry *g = &a->info.geom;
	unsigned long span = pt_span(g, level);
	unsigned long base = addr & ~(span - 1);        /* entry i0's start */
	const void *tv = vmc_bo_table_entries(a, table, level);
	unsigned int i0 = pt_index(g, level, addr);
	unsigned int last = pt_index(g, level, end - 1), idx;

	/* Entries i0..last, as pt_visit_level steps through them. */
	for (idx = i0; idx <= last; idx++) {
		unsigned long lo, next, child;
		vmc_pte_t e;

		if (tv) {
			idx = pt_skip_zero(tv, g->entry_size, idx, last);
			if (idx > last)
				break;
		}
		e = pt_entry(a, tv, table, level, idx);
		if (!vmc_bo_present(a, level, e))
			continue;
		lo = VMC_MAX(base + (unsigned long)(idx - i0) * span, addr);
		next = pt_next(lo, end, span);
		if (vmc_bo_is_leaf(a, level, e)) {
			(*leaves)++;
			pt_clear(a, table, level, idx, lo);
			tv = vmc_bo_table_entries(a, table, level);
			*mask |= 1u << level;
			continue;
		}
		child = vmc_bo_entry_pfn(a, level, e);
		pt_fini_level(a, child, level - 1, lo, next, mask, leaves);
		if ((lo & (span - 1) || next - lo != span) &&
		    !pt_table_empty(a, child, level - 1)) {
			vmc_warn(a, "pt_fini: table at 0x%lx holds entries "
				 "outside the arena; kept", lo);
			continue;
		}
		pt_clear(a, table, level, idx, lo);
		tv = vmc_bo_table_entries(a, table, level);  /* a write */
		*mask |= 1u << level;
		vmc_bo_table_free(a, level - 1, child);
	}
}

void vmc_pt_fini(struct vmc_arena *a)
{
	unsigned long leaves = 0;
	unsigned int mask = 0;

	vmc_bo_batch_begin(a);
	pt_fini_level(a, vmc_bo_root(a), pt_top(a), a->start, a->end, &mask,
		      &leaves);
	vmc_bo_batch_end(a);
	pt_sync(a, a->start, a->end, mask);
	if (leaves)
		vmc_warn(a, "pt_fini: %lu leaves were still mapped", leaves);
}

/* ---------- validation (the checker) ---------- */

struct pt_check {
	struct pt_visit v;
	char *msg;
	size_t len;
	unsigned long n;                /* tables seen */
	unsigned long *pfns;            /* their pfns, the first cap of them */
	unsigned long cap;
};

static int pt_check_table(struct pt_visit *v, unsigned long pfn,
			  unsigned int level)
{
	struct pt_check *c = (struct pt_check *)v;

	(void)level;
	if (c->pfns && c->n < c->cap)
		c->pfns[c->n] = pfn;
	c->n++;
	return 0;
}

static int pt_check_leaf(struct pt_visit *v, unsigned long va,
			 unsigned int level, vmc_pte_t e)
{
	struct pt_check *c = (struct pt_check *)v;
	const struct vmc_geometry *g = &v->a->info.geom;
	unsigned long pfn = vmc_bo_entry_pfn(v->a, level, e);
	unsigned long frames = pt_span(g, level) >> VMC_PAGE_SHIFT;

	if (!(g->leaf_levels & (1u << level))) {
		vmc_msg(c->msg, c->len, "leaf at 0x%lx on level %u, which "
			"may not hold leaves", va, level);
		return 4;
	}
	if (pfn & (frames - 1)) {
		vmc_msg(c->msg, c->len, "level %u leaf at 0x%lx maps pfn 0x%lx "
			"not aligned to its %lu frames", level, va, pfn, frames);
		return 4;
	}
	return 0;
}

/* Heap sort of table pfns: no libc qsort in the core, no recursion. */
static void pt_sift(unsigned long *p, unsigned long i, unsigned long n)
{
	for (;;) {
		unsigned long c = 2 * i + 1, t;

		if (c >= n)
			return;
		if (c + 1 < n && p[c + 1] > p[c])
			c++;
		if (p[i] >= p[c])
			return;
		t = p[i];
		p[i] = p[c];
		p[c] = t;
		i = c;
	}
}

static void pt_sort(unsigned long *p, unsigned long n)
{
	unsigned long i, t;

	for (i = n / 2; i-- > 0;)
		pt_sift(p, i, n);
	for (i = n; i-- > 1;) {
		t = p[0];
		p[0] = p[i];
		p[i] = t;
		pt_sift(p, 0, i);
	}
}

int vmc_pt_validate_range(struct vmc_arena *a, unsigned long lo,
			  unsigned long hi, char *msg, size_t len)
{
	struct pt_check chk;

	memset(&chk, 0, sizeof(chk));
	chk.v.a = a;
	chk.v.leaf = pt_check_leaf;
	chk.msg = msg;
	chk.len = len;
	return pt_visit_range(&chk.v, lo, hi);
}


int vmc_pt_validate(struct vmc_arena *a, char *msg, size_t len)
{
	struct pt_check chk;
	unsigned long i, n;
	int rc;

	memset(&chk, 0, sizeof(chk));
	chk.v.a = a;
	chk.v.leaf = pt_check_leaf;
	chk.v.table = pt_check_table;
	chk.msg = msg;
	chk.len = len;
	/*
	 * One walk checks the leaves and collects the tables.  Room for the
	 * tables the core accounts and one more: with more than that the
	 * count is wrong (6) whatever else is.  Environment memory: the
	 * checker must not consume injected faults.
	 */
	chk.cap = a->frames_tables + 1;
	chk.pfns = vmc_env_zalloc(chk.cap * sizeof(*chk.pfns));
	rc = pt_visit(&chk.v);
	if (!rc && chk.pfns) {
		/* Distinct tables: sort their pfns, look for neighbours. */
		n = VMC_MIN(chk.n, chk.cap);
		pt_sort(chk.pfns, n);
		for (i = 1; i < n && !rc; i++) {
			if (chk.pfns[i] != chk.pfns[i - 1])
				continue;
			vmc_msg(msg, len, "table pfn 0x%lx is reachable twice",
				chk.pfns[i]);
			rc = 4;
		}
	}
	vmc_env_free(chk.pfns);
	if (rc)
		return rc;
	if (chk.n != a->frames_tables) {
		vmc_msg(msg, len, "%lu page tables reachable in the arena, "
			"%lu accounted", chk.n, a->frames_tables);
		return 6;
	}
	return 0;
}

static vmc_pte_t pt_copy_entry(const void *copy, unsigned int esize,
			       unsigned int idx)
{
	if (esize == 4)
		return ((const uint32_t *)copy)[idx];
	return ((const uint64_t *)copy)[idx];
}

int vmc_pt_validate_sync(struct vmc_arena *a, unsigned long lo,
			 unsigned long hi, char *msg, size_t len)
{
	const struct vmc_geometry *g = &a->info.geom;
	unsigned int top = pt_top(a);
	unsigned long span = pt_span(g, top), addr, next;
	const void *copy;

	if (!(g->sync_levels & (1u << top)))
		return 0;
	copy = vmc_bo_sync_copy(a);
	lo = VMC_MAX(lo, a->start);
	hi = VMC_MIN(hi, a->end);
	if (!copy || lo >= hi)
		return 0;
	for (addr = lo; addr != hi; addr = next) {
		unsigned int idx = pt_index(g, top, addr);
		vmc_pte_t e = vmc_bo_read(a, vmc_bo_root(a), top, idx);
		vmc_pte_t o = pt_copy_entry(copy, g->entry_size, idx);

		next = pt_next(addr, hi, span);
		if (e == o)
			continue;
		vmc_msg(msg, len, "entry at level %u for 0x%lx (+0x%lx) not "
			"synced: the root holds 0x%llx, the other roots 0x%llx",
			top, addr & ~(span - 1), addr - a->start,
			(unsigned long long)e, (unsigned long long)o);
		return 4;
	}
	return 0;
}
