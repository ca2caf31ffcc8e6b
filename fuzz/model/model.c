/* SPDX-License-Identifier: MIT */
/*
 * model.c - the model arena: areas, page tables, the vmalloc family,
 * vmap, ioremap, vm_map_ram and its blocks, data access.
 *
 * Theory
 * ------
 * Each call is re-stated from the core's documented behaviour as a plain
 * sequence of steps, in the core's order, because the order decides
 * which allocation an injected fault hits and which frame the buddy
 * allocator hands out next:
 *
 *   vmalloc    checks (size 0 -EINVAL; more pages than RAM -ENOMEM; align
 *              not a power of two, unknown node, range outside the arena
 *              -EINVAL), then per attempt: area (size + guard page),
 *              page array (kept as metadata up to 512 entries, else itself
 *              vmalloc'ed first: "vpages"), frames in page order, then
 *              tables while mapping.  Any failure gives everything back at
 *              once (no lazy range).  Huge: VM_ALLOW_HUGE_VMAP, level-1
 *              leaves available and size per node (size / nodes for "any")
 *              >= one level-1 span: size rounded to that span, alignment
 *              raised, order-9 frames; on failure once more with small
 *              pages.
 *   vfree      range lazy, frames freed in page order, then the array.
 *   vrealloc   shrink frees the tail frames; grow within the area maps
 *              fresh frames; else move (new vmalloc, copy, vfree).
 *
 * Page tables are a flat list of the tables that exist: (level, index of
 * the span they cover).  Mapping walks page by page (or, for linear
 * mappings, tries the biggest allowed leaf top-down first), creating
 * missing tables top-down in address order -- the allocation order of
 * the core's recursive walker.  Tables are never freed, except when a
 * huge leaf replaces a table tree that maps nothing (always the case in
 * a correct core: the range belongs to the area being mapped), which
 * frees its tables depth-first in index order, the table itself last.
 * Leaves are not stored: what is mapped follows from the areas (a VM
 * area maps pages [0, nr_pages), ioremap all its pages, a block its
 * mapped chunk pages).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model.h"

#define PAGE MDL_PAGE_SIZE

static bool pow2(unsigned long x)
{
	return x && !(x & (x - 1));
}

static unsigned int fls_ul(unsigned long x)
{
	unsigned int n = 0;

	while (x) {
		n++;
		x >>= 1;
	}
	return n;
}

/* Smallest order with PAGE << order >= size. */
static unsigned int get_order(unsigned long size)
{
	unsigned int o = 0;

	while ((PAGE << o) < size)
		o++;
	return o;
}

unsigned int mdl_shift(const struct mdl *m, unsigned int level)
{
	unsigned int s = MDL_PAGE_SHIFT, l;

	for (l = 0; l < level; l++)
		s += m->bits[l];
	return s;
}

/* ---------- faults and frames ---------- */

static bool fault_hit(struct mdl *m, enum mdl_fault k)
{
	m->fault_count[k]++;
	if (m->fault_nth[k] && m->fault_count[k] == m->fault_nth[k]) {
		m->fault_nth[k] = 0;
		return true;
	}
	return false;
}

void mdl_fault_set(struct mdl *m, enum mdl_fault kind, unsigned long nth)
{
	m->fault_nth[kind] = nth ? m->fault_count[kind] + nth : 0;
}

static int frame_alloc(struct mdl *m, int node, unsigned int order,
		       unsigned long *idx)
{
	if (fault_hit(m, MDL_F_FRAME))
		return -ENOMEM;
	if (mdl_ram_alloc(&m->ram, node, order, idx))
		return -ENOMEM;
	{
		unsigned long i;

		for (i = 0; i < 1UL << order; i++)
			mdl_page_set(&m->ram.data[*idx + i], MDL_POISON);
	}
	return 0;
}

int mdl_frame_alloc(struct mdl *m, int node, uint32_t *frame)
{
	unsigned long idx;
	int err;

	if (node != MDL_NO_NODE &&
	    (node < 0 || (unsigned int)node >= m->ram.nr_nodes))
		return -EINVAL;
	err = frame_alloc(m, node, 0, &idx);
	if (err)
		return err;
	m->frames_harness++;
	*frame = (uint32_t)idx;
	return 0;
}

void mdl_frame_free(struct mdl *m, uint32_t frame)
{
	mdl_ram_free(&m->ram, frame, 0);
	m->frames_harness--;
}

/* ---------- page tables ---------- */

static long tab_find(struct mdl *m, unsigned int level, unsigned long key)
{
	size_t i;

	for (i = 0; i < m->ntab; i++)
		if (m->tab[i].level == level && m->tab[i].key == key)
			return (long)i;
	return -1;
}

static int tab_alloc(struct mdl *m, unsigned int level, unsigned long key)
{
	unsigned long idx;

	if (fault_hit(m, MDL_F_TABLE))
		return -ENOMEM;
	if (mdl_ram_alloc(&m->ram, MDL_NO_NODE, 0, &idx))
		return -ENOMEM;
	m->ram.head[idx] = 3;
	if (m->ntab == m->captab) {
		size_t cap = m->captab ? m->captab * 2 : 64;
		void *v = realloc(m->tab, cap * sizeof(*m->tab));

		if (!v)
			abort();
		m->tab = v;
		m->captab = cap;
	}
	m->tab[m->ntab].level = level;
	m->tab[m->ntab].key = key;
	m->tab[m->ntab].frame = idx;
	m->ntab++;
	return 0;
}

static void tab_free(struct mdl *m, size_t i)
{
	mdl_ram_free(&m->ram, m->tab[i].frame, 0);
	m->tab[i] = m->tab[--m->ntab];
}

/*
 * Free every table below the table (level, key), depth-first in index
 * order (pt_free_below); the table itself stays.
 */
static void tab_free_below(struct mdl *m, unsigned int level,
			   unsigned long key)
{
	unsigned long n = 1UL << m->bits[level], i;

	if (level == 0)
		return;
	for (i = 0; i < n; i++) {
		unsigned long ck = (key << m->bits[level]) + i;
		long t = tab_find(m, level - 1, ck);

		if (t < 0)
			continue;
		tab_free_below(m, level - 1, ck);
		tab_free(m, (size_t)tab_find(m, level - 1, ck));
	}
}

/* The table of `level` covering va must exist: allocate it if missing. */
static int tab_need(struct mdl *m, unsigned int level, unsigned long va)
{
	unsigned long key = (va - 0) >> mdl_shift(m, level + 1);

	if (tab_find(m, level, key) >= 0)
		return 0;
	return tab_alloc(m, level, key);
}

/* Tables from below the root down to `level` for va, top-down. */
static int tab_path(struct mdl *m, unsigned int level, unsigned long va)
{
	unsigned int l;
	int err;

	for (l = m->levels - 1; l-- > level;) {
		err = tab_need(m, l, va);
		if (err)
			return err;
	}
	return 0;
}

/*
 * Map nr small pages at addr (each a leaf at level 0): only the tables
 * matter.  Pages are visited in address order; a path is walked again
 * only when the page enters a new level-0 table.
 */
static int map_small(struct mdl *m, unsigned long addr, unsigned long nr)
{
	unsigned long i, span0 = 1UL << mdl_shift(m, 1);
	int err;

	for (i = 0; i < nr; i++) {
		unsigned long va = addr + (i << MDL_PAGE_SHIFT);

		if (i && va & (span0 - 1))
			continue;
		err = tab_path(m, 0, va);
		if (err)
			return err;
	}
	return 0;
}

/*
 * Map [addr, addr + len) linearly to frames from `pfn` (absolute, for
 * alignment), leaves up to 1 << max_shift (vmc_pt_map).
 */
static int map_linear(struct mdl *m, unsigned long addr, unsigned long len,
		      unsigned long pfn, unsigned int max_shift)
{
	unsigned long va = addr, end = addr + len;
	int err;

	while (va != end) {
		unsigned long p = pfn + ((va - addr) >> MDL_PAGE_SHIFT);
		unsigned int l, leaf = 0;

		for (l = m->levels - 1; l >= 1; l--) {
			unsigned int sh = mdl_shift(m, l);
			unsigned long span = 1UL << sh;

			if (!(m->leaf_levels & (1u << l)) || sh > max_shift)
				continue;
			if ((va & (span - 1)) || end - va < span ||
			    (p & ((span >> MDL_PAGE_SHIFT) - 1)))
				continue;
			leaf = l;
			break;
		}
		/* Tables down to the leaf's level (the walker descends to it). */
		err = tab_path(m, leaf, va);
		if (err)
			return err;
		if (leaf) {
			unsigned long key = va >> mdl_shift(m, leaf);
			long t = tab_find(m, leaf - 1, key);

			if (t >= 0) {
				/* An empty table tree gives way to the leaf. */
				tab_free_below(m, leaf - 1, key);
				tab_free(m, (size_t)tab_find(m, leaf - 1, key));
			}
			va += 1UL << mdl_shift(m, leaf);
		} else {
			va += PAGE;
		}
	}
	return 0;
}

/* ---------- areas ---------- */

static unsigned long area_size(const struct mdl_area *a)
{
	return a->flags & MDL_VM_NO_GUARD ? a->size : a->size - PAGE;
}

static void area_put(struct mdl_area *a)
{
	if (!a)
		return;
	free(a->fr);
	free(a->used);
	free(a);
}

static int area_get(struct mdl *m, unsigned long size, unsigned long align,
		    unsigned long flags, unsigned long start,
		    unsigned long end, int node, struct mdl_area **out)
{
	struct mdl_area *a;
	unsigned long total, addr;
	int err;

	if (!size)
		return -EINVAL;
	if (size + PAGE - 1 < size)
		return -ENOMEM;
	size = (size + PAGE - 1) & ~(PAGE - 1);
	if (flags & MDL_VM_IOREMAP) {
		int order = size == 1 ? 0 : (int)fls_ul(size - 1);

		if (order < MDL_PAGE_SHIFT)
			order = MDL_PAGE_SHIFT;
		if (order > (int)m->ioremap_max_order)
			order = (int)m->ioremap_max_order;
		align = 1UL << order;
	}
	total = size;
	if (!(flags & MDL_VM_NO_GUARD)) {
		total += PAGE;
		if (total < size)
			return -ENOMEM;
	}
	a = calloc(1, sizeof(*a));
	if (!a)
		abort();
	err = mdl_space_alloc(&m->sp, total, align, start, end, a, &addr);
	if (err) {
		free(a);
		return err;
	}
	a->kind = MDL_K_VM;
	a->addr = addr;
	a->size = total;
	a->flags = flags;
	a->node = node;
	*out = a;
	return 0;
}

/* The VM area starting exactly at addr, or NULL. */
static struct mdl_area *area_at(struct mdl *m, unsigned long addr)
{
	struct mdl_seg *s = mdl_space_find(&m->sp, addr);

	if (!s || !s->own || s->own->kind != MDL_K_VM || s->own->addr != addr)
		return NULL;
	return s->own;
}

static void area_discard(struct mdl *m, struct mdl_area *a)
{
	mdl_space_free_now(&m->sp, a->addr);
	area_put(a);
}

/* remove_vm_area: the range goes lazy (frames are the caller's). */
static void area_remove(struct mdl *m, struct mdl_area *a)
{
	mdl_space_free_lazy(&m->sp, a->addr);
}

static void free_frames(struct mdl *m, struct mdl_area *a, unsigned long from,
			unsigned long to)
{
	unsigned long i, step = 1UL << a->order;

	for (i = from; i < to; i += step) {
		mdl_ram_free(&m->ram, a->fr[i], a->order);
		m->frames_data -= step;
	}
}

static int alloc_frames(struct mdl *m, struct mdl_area *a, unsigned long from,
			unsigned long to, int node, bool zero)
{
	unsigned long i, j, idx, step = 1UL << a->order;
	int err;

	for (i = from; i < to; i += step) {
		err = frame_alloc(m, node, a->order, &idx);
		if (err) {
			free_frames(m, a, from, i);
			return err;
		}
		m->frames_data += step;
		for (j = 0; j < step; j++) {
			a->fr[i + j] = (uint32_t)(idx + j);
			if (zero)
				mdl_page_set(&m->ram.data[idx + j], 0);
		}
	}
	return 0;
}

static int vmalloc_range(struct mdl *m, unsigned long size,
			 unsigned long align, unsigned long start,
			 unsigned long end, bool zero, unsigned long vm_flags,
			 int node, struct mdl_area **out);
static void vfree_area(struct mdl *m, struct mdl_area *a);

static void vfree_discard(struct mdl *m, struct mdl_area *a);

/* The page array: entries are ours (a->fr); a vmalloc'ed one costs VA. */
static int pages_alloc(struct mdl *m, struct mdl_area *a, unsigned int nr,
		       int node)
{
	a->fr = calloc(nr, sizeof(*a->fr));
	if (!a->fr)
		abort();
	a->cap = nr;
	if ((unsigned long)nr * 8 > PAGE) {
		struct mdl_area *arr;
		int err = vmalloc_range(m, (unsigned long)nr * 8, PAGE,
					m->start, m->end, true, MDL_VM_ALLOC,
					node, &arr);

		if (err) {
			free(a->fr);
			a->fr = NULL;
			return err;
		}
		arr->is_arr = true;
		a->arr = arr;
	}
	return 0;
}

static void pages_free(struct mdl *m, struct mdl_area *a)
{
	struct mdl_area *arr = a->arr;

	a->arr = NULL;
	if (arr)
		vfree_area(m, arr);
}

static void pages_discard(struct mdl *m, struct mdl_area *a)
{
	struct mdl_area *arr = a->arr;

	a->arr = NULL;
	if (arr)
		vfree_discard(m, arr);
}

static int vmalloc_try(struct mdl *m, unsigned long size, unsigned long align,
		       unsigned long start, unsigned long end, bool zero,
		       unsigned long vm_flags, int node, unsigned int shift,
		       struct mdl_area **out)
{
	struct mdl_area *a;
	unsigned long nr;
	int err;

	err = area_get(m, size, align, MDL_VM_ALLOC | vm_flags, start, end,
		       node, &a);
	if (err)
		return err;
	nr = area_size(a) >> MDL_PAGE_SHIFT;
	if (nr > UINT32_MAX) {
		area_discard(m, a);
		return -ENOMEM;
	}
	a->order = shift - MDL_PAGE_SHIFT;
	a->owns = true;
	err = pages_alloc(m, a, (unsigned int)nr, node);
	if (err) {
		area_discard(m, a);
		return err;
	}
	err = alloc_frames(m, a, 0, nr, node, zero);
	if (!err) {
		if (shift == MDL_PAGE_SHIFT)
			err = map_small(m, a->addr, nr);
		else {
			unsigned long i, run = 1UL << a->order;

			for (i = 0; i < nr && !err; i += run)
				err = map_linear(m, a->addr + (i << MDL_PAGE_SHIFT),
						 run << MDL_PAGE_SHIFT,
						 MDL_RAM_BASE + a->fr[i], shift);
		}
		if (err)
			free_frames(m, a, 0, nr);
	}
	if (err) {
		pages_discard(m, a);
		area_discard(m, a);
		return err;
	}
	a->nr_pages = (unsigned int)nr;
	*out = a;
	return 0;
}

static int vmalloc_range(struct mdl *m, unsigned long size,
			 unsigned long align, unsigned long start,
			 unsigned long end, bool zero, unsigned long vm_flags,
			 int node, struct mdl_area **out)
{
	unsigned long real, try_size, try_align, pmd;
	unsigned int shift = MDL_PAGE_SHIFT;
	int err;

	if (!size)
		return -EINVAL;
	if (size + PAGE - 1 < size)
		return -ENOMEM;
	real = (size + PAGE - 1) & ~(PAGE - 1);
	if ((real >> MDL_PAGE_SHIFT) > m->ram.nr_frames)
		return -ENOMEM;
	if (!pow2(align))
		return -EINVAL;
	if (node != MDL_NO_NODE &&
	    (node < 0 || (unsigned int)node >= m->ram.nr_nodes))
		return -EINVAL;
	if (start >= end || start < m->start || end > m->end)
		return -EINVAL;
	if (align < PAGE)
		align = PAGE;

	pmd = 1UL << mdl_shift(m, 1);
	if (m->huge_pmd && (vm_flags & MDL_VM_HUGE) &&
	    (node == MDL_NO_NODE ? real / m->ram.nr_nodes : real) >= pmd)
		shift = mdl_shift(m, 1);
	try_size = real;
	try_align = align;
	if (shift > MDL_PAGE_SHIFT) {
		try_size = (real + pmd - 1) & ~(pmd - 1);
		if (try_size < real)
			shift = MDL_PAGE_SHIFT, try_size = real;
	}
	if (shift > MDL_PAGE_SHIFT && try_align < pmd)
		try_align = pmd;
	for (;;) {
		err = vmalloc_try(m, try_size, try_align, start, end, zero,
				  vm_flags, node, shift, out);
		if (!err || shift == MDL_PAGE_SHIFT)
			break;
		shift = MDL_PAGE_SHIFT;
		try_size = real;
		try_align = align;
	}
	if (err)
		return err;
	(*out)->req = size;
	return 0;
}

static void vfree_area(struct mdl *m, struct mdl_area *a)
{
	area_remove(m, a);
	free_frames(m, a, 0, a->nr_pages);
	a->nr_pages = 0;
	pages_free(m, a);
	area_put(a);
}

static void vfree_discard(struct mdl *m, struct mdl_area *a)
{
	free_frames(m, a, 0, a->nr_pages);
	a->nr_pages = 0;
	pages_discard(m, a);
	area_discard(m, a);
}

int mdl_vmalloc(struct mdl *m, unsigned long size, unsigned long align,
		unsigned long start, unsigned long end, bool zero,
		unsigned long vm_flags, int node, unsigned long *addr)
{
	struct mdl_area *a;
	int err = vmalloc_range(m, size, align, start, end, zero, vm_flags,
				node, &a);

	*addr = err ? 0 : a->addr;
	return err;
}

static struct mdl_area *vmalloc_at(struct mdl *m, unsigned long addr)
{
	struct mdl_area *a = NULL;

	if (!(addr & (PAGE - 1)))
		a = area_at(m, addr);
	if (!a || !(a->flags & MDL_VM_ALLOC) || !a->owns || a->is_arr)
		return NULL;
	return a;
}

int mdl_vfree(struct mdl *m, unsigned long addr)
{
	struct mdl_area *a;

	if (!addr)
		return 0;
	a = vmalloc_at(m, addr);
	if (!a)
		return -EINVAL;
	vfree_area(m, a);
	return 0;
}

/* ---------- vrealloc ---------- */

static void copy_pages(struct mdl *m, struct mdl_area *dst,
		       struct mdl_area *src, unsigned long len)
{
	unsigned long off;
	uint8_t buf[MDL_PAGE_SIZE];

	for (off = 0; off < len; off += PAGE) {
		unsigned long i = off >> MDL_PAGE_SHIFT;
		unsigned long n = len - off < PAGE ? len - off : PAGE;

		mdl_page_rw(mdl_ram_page(&m->ram, src->fr[i]), 0, buf, n, false);
		mdl_page_rw(mdl_ram_page(&m->ram, dst->fr[i]), 0, buf, n, true);
	}
}

int mdl_vrealloc(struct mdl *m, unsigned long p, unsigned long size,
		 unsigned long *addr)
{
	struct mdl_area *a, *n;
	unsigned long need, nr, old;
	int err;

	*addr = 0;
	if (!size)
		return mdl_vfree(m, p);
	if (!p)
		return mdl_vmalloc(m, size, PAGE, m->start, m->end, false, 0,
				   MDL_NO_NODE, addr);
	a = vmalloc_at(m, p);
	if (!a)
		return -EINVAL;
	if (size + PAGE - 1 < size)
		return -ENOMEM;
	need = (size + PAGE - 1) & ~(PAGE - 1);
	nr = need >> MDL_PAGE_SHIFT;
	old = a->req;
	if (nr <= a->nr_pages || (!a->order && need <= area_size(a))) {
		if (nr < a->nr_pages && !a->order) {
			free_frames(m, a, nr, a->nr_pages);
			a->nr_pages = (unsigned int)nr;
		}
		if (nr > a->nr_pages) {
			unsigned long cur = a->nr_pages;

			err = alloc_frames(m, a, cur, nr, a->node, false);
			if (err)
				return err;
			err = map_small(m, a->addr + (cur << MDL_PAGE_SHIFT),
					nr - cur);
			if (err) {
				free_frames(m, a, cur, nr);
				return err;
			}
			a->nr_pages = (unsigned int)nr;
		}
		a->req = size;
		*addr = a->addr;
		return 0;
	}
	err = vmalloc_range(m, size, PAGE, m->start, m->end, false,
			    a->flags & ~MDL_VM_ALLOC, a->node, &n);
	if (err)
		return err;
	copy_pages(m, n, a, old < size ? old : size);
	vfree_area(m, a);
	*addr = n->addr;
	return 0;
}

/* ---------- vmap ---------- */

int mdl_vmap(struct mdl *m, const uint32_t *frames, unsigned int count,
	     unsigned long *addr)
{
	struct mdl_area *a;
	int err;

	*addr = 0;
	if (!frames || !count)
		return -EINVAL;
	if (count > m->ram.nr_frames)
		return -ENOMEM;
	err = area_get(m, (unsigned long)count << MDL_PAGE_SHIFT, PAGE,
		       MDL_VM_MAP, m->start, m->end, MDL_NO_NODE, &a);
	if (err)
		return err;
	err = pages_alloc(m, a, count, MDL_NO_NODE);
	if (err) {
		area_discard(m, a);
		return err;
	}
	memcpy(a->fr, frames, count * sizeof(*frames));
	err = map_small(m, a->addr, count);
	if (err) {
		pages_discard(m, a);
		area_discard(m, a);
		return err;
	}
	a->nr_pages = count;
	*addr = a->addr;
	return 0;
}

int mdl_vunmap(struct mdl *m, unsigned long addr)
{
	struct mdl_area *a;

	if (!addr)
		return 0;
	a = area_at(m, addr);
	if (!a || !(a->flags & MDL_VM_MAP) || a->owns)
		return -EINVAL;
	area_remove(m, a);
	a->nr_pages = 0;
	pages_free(m, a);
	area_put(a);
	return 0;
}

/* ---------- ioremap ---------- */

int mdl_ioremap(struct mdl *m, uint64_t phys_off, unsigned long size,
		unsigned long *addr)
{
	uint64_t phys = m->dev_phys + phys_off, last = phys + size - 1;
	uint64_t dev_size = (uint64_t)m->ram.dev_frames << MDL_PAGE_SHIFT;
	unsigned long offset, mapped;
	struct mdl_area *a;
	int err;

	*addr = 0;
	if (!size || last < phys)
		return -EINVAL;
	if (!(phys >= m->dev_phys && phys - m->dev_phys < dev_size &&
	      size <= dev_size - (phys - m->dev_phys)))
		return -EINVAL;
	offset = (unsigned long)(phys & (PAGE - 1));
	phys -= offset;
	mapped = (size + offset + PAGE - 1) & ~(PAGE - 1);
	if (mapped < size)
		return -EINVAL;
	err = area_get(m, mapped, PAGE, MDL_VM_IOREMAP, m->start, m->end,
		       MDL_NO_NODE, &a);
	if (err)
		return err;
	a->dev = (unsigned long)((phys - m->dev_phys) >> MDL_PAGE_SHIFT);
	err = map_linear(m, a->addr, mapped,
			 (unsigned long)(phys >> MDL_PAGE_SHIFT),
			 m->io_max_shift);
	if (err) {
		area_discard(m, a);
		return err;
	}
	a->nr_pages = (unsigned int)(mapped >> MDL_PAGE_SHIFT);
	*addr = a->addr + offset;
	return 0;
}

int mdl_iounmap(struct mdl *m, unsigned long addr)
{
	struct mdl_area *a;

	if (!addr)
		return 0;
	a = area_at(m, addr & ~(PAGE - 1));
	if (!a || !(a->flags & MDL_VM_IOREMAP))
		return -EINVAL;
	area_remove(m, a);
	area_put(a);
	return 0;
}

/* ---------- vm_map_ram ---------- */

#define U_INUSE 1u
#define U_MAPPED 2u
#define U_HEAD 4u

static void vb_release(struct mdl *m, size_t i, bool now)
{
	struct mdl_area *b = m->vb[i];

	memmove(&m->vb[i], &m->vb[i + 1], (m->nvb - i - 1) * sizeof(m->vb[0]));
	m->nvb--;
	if (now)
		mdl_space_free_now(&m->sp, b->addr);
	else
		mdl_space_free_lazy(&m->sp, b->addr);
	area_put(b);
}

static int vb_alloc(struct mdl *m, const uint32_t *frames, unsigned int count,
		    unsigned long *addr)
{
	unsigned int order = get_order((unsigned long)count << MDL_PAGE_SHIFT);
	unsigned long nr = 1UL << order, off, i, bytes = m->vb_pages * PAGE;
	struct mdl_area *b = NULL;
	bool fresh = false;
	size_t k;
	int err;

	for (k = 0; k < m->nvb; k++)
		if (m->vb[k]->bfree >= nr) {
			b = m->vb[k];
			break;
		}
	if (!b) {
		b = calloc(1, sizeof(*b));
		if (!b)
			abort();
		b->kind = MDL_K_BLOCK;
		b->size = bytes;
		b->fr = calloc(m->vb_pages, sizeof(*b->fr));
		b->used = calloc(m->vb_pages, 1);
		if (!b->fr || !b->used)
			abort();
		err = mdl_space_alloc(&m->sp, bytes, bytes, m->start, m->end,
				      b, &b->addr);
		if (err) {
			area_put(b);
			return err;
		}
		b->bfree = m->vb_pages;
		if (m->nvb == m->capvb) {
			size_t cap = m->capvb ? m->capvb * 2 : 16;
			void *v = realloc(m->vb, cap * sizeof(*m->vb));

			if (!v)
				abort();
			m->vb = v;
			m->capvb = cap;
		}
		m->vb[m->nvb++] = b;
		fresh = true;
	}
	off = m->vb_pages - b->bfree;
	err = map_small(m, b->addr + (off << MDL_PAGE_SHIFT), count);
	if (err) {
		if (fresh)
			vb_release(m, m->nvb - 1, true);
		return err;
	}
	b->bfree -= nr;
	for (i = 0; i < nr; i++) {
		b->used[off + i] = U_INUSE;
		if (i < count) {
			b->used[off + i] |= U_MAPPED;
			b->fr[off + i] = frames[i];
		}
	}
	b->used[off] |= U_HEAD | (uint8_t)(order << 4);
	*addr = b->addr + (off << MDL_PAGE_SHIFT);
	return 0;
}

static int vb_unmap(struct mdl *m, unsigned long addr, unsigned int count)
{
	unsigned int order = get_order((unsigned long)count << MDL_PAGE_SHIFT);
	unsigned long nr = 1UL << order, off, i;
	struct mdl_seg *s = mdl_space_find(&m->sp, addr);
	struct mdl_area *b;
	size_t k;

	if (!s || !s->own || s->own->kind != MDL_K_BLOCK)
		return -EINVAL;
	b = s->own;
	off = (addr - b->addr) >> MDL_PAGE_SHIFT;
	if (!(b->used[off] & U_HEAD) || (unsigned int)(b->used[off] >> 4) != order)
		return -EINVAL;
	for (i = 0; i < nr; i++) {
		b->used[off + i] = 0;
		b->fr[off + i] = 0;
	}
	b->bdirty += nr;
	if (b->bdirty == m->vb_pages) {
		for (k = 0; m->vb[k] != b; k++)
			;
		vb_release(m, k, false);
	}
	return 0;
}

static int ram_alloc(struct mdl *m, const uint32_t *frames,
		     unsigned int count, unsigned long *addr)
{
	unsigned long size = (unsigned long)count << MDL_PAGE_SHIFT;
	struct mdl_area *r;
	int err;

	if (size > m->end - m->start)
		return -ENOMEM;
	r = calloc(1, sizeof(*r));
	if (!r)
		abort();
	r->kind = MDL_K_RAM;
	err = mdl_space_alloc(&m->sp, size, PAGE, m->start, m->end, r,
			      &r->addr);
	if (err) {
		free(r);
		return err;
	}
	err = map_small(m, r->addr, count);
	if (err) {
		mdl_space_free_now(&m->sp, r->addr);
		free(r);
		return err;
	}
	r->size = size;
	r->fr = malloc(count * sizeof(*r->fr));
	if (!r->fr)
		abort();
	memcpy(r->fr, frames, count * sizeof(*r->fr));
	r->nr_pages = count;
	*addr = r->addr;
	return 0;
}

int mdl_vm_map_ram(struct mdl *m, const uint32_t *frames,
		   unsigned int count, unsigned long *addr)
{
	*addr = 0;
	if (!count || !frames)
		return -EINVAL;
	if (count <= MDL_VMAP_MAX_ALLOC)
		return vb_alloc(m, frames, count, addr);
	return ram_alloc(m, frames, count, addr);
}

int mdl_vm_unmap_ram(struct mdl *m, unsigned long addr, unsigned int count)
{
	struct mdl_seg *s;
	struct mdl_area *r;

	if (!count || (addr & (PAGE - 1)) || addr < m->start || addr >= m->end)
		return -EINVAL;
	if (count <= MDL_VMAP_MAX_ALLOC)
		return vb_unmap(m, addr, count);
	s = mdl_space_find(&m->sp, addr);
	if (!s || !s->own || s->own->kind != MDL_K_RAM || s->s != addr ||
	    s->own->nr_pages != count)
		return -EINVAL;
	r = s->own;
	mdl_space_free_lazy(&m->sp, addr);
	area_put(r);
	return 0;
}

/* Release blocks with no live chunk that are not fully dirty. */
static unsigned long vb_purge_fragmented(void *arg)
{
	struct mdl *m = arg;
	unsigned long n = 0;
	size_t k = 0;

	while (k < m->nvb) {
		struct mdl_area *b = m->vb[k];

		if (b->bfree + b->bdirty == m->vb_pages &&
		    b->bdirty != m->vb_pages) {
			vb_release(m, k, false);
			n++;
			continue;
		}
		k++;
	}
	return n;
}

int mdl_purge(struct mdl *m)
{
	vb_purge_fragmented(m);
	return (int)mdl_space_purge(&m->sp);
}

/* ---------- data ---------- */

/* The frame behind the page at va: 0 and *target, or -EFAULT. */
static int resolve(struct mdl *m, unsigned long va, uint32_t *target)
{
	struct mdl_seg *s = mdl_space_find(&m->sp, va);
	struct mdl_area *a;
	unsigned long i;

	if (!s || !s->own)
		return -EFAULT;
	a = s->own;
	i = (va - a->addr) >> MDL_PAGE_SHIFT;
	switch (a->kind) {
	case MDL_K_BLOCK:
		if (!(a->used[i] & U_MAPPED))
			return -EFAULT;
		*target = a->fr[i];
		return 0;
	case MDL_K_RAM:
		if (i >= a->nr_pages)
			return -EFAULT;
		*target = a->fr[i];
		return 0;
	default:
		if (i >= a->nr_pages)
			return -EFAULT;
		if (a->flags & MDL_VM_IOREMAP)
			*target = MDL_DEV | (uint32_t)(a->dev + i);
		else
			*target = a->fr[i];
		return 0;
	}
}

static int access_rw(struct mdl *m, unsigned long va, void *buf, size_t len,
		     bool write)
{
	uint8_t *b = buf;

	if (va < m->start || va >= m->end || len > m->end - va)
		return -EFAULT;
	while (len) {
		size_t off = va & (PAGE - 1), n = PAGE - off;
		uint32_t t;

		if (n > len)
			n = len;
		if (resolve(m, va, &t))
			return -EFAULT;
		mdl_page_rw(mdl_ram_page(&m->ram, t), off, b, n, write);
		va += n;
		b += n;
		len -= n;
	}
	return 0;
}

int mdl_write(struct mdl *m, unsigned long addr, const void *buf, size_t len)
{
	return access_rw(m, addr, (void *)buf, len, true);
}

int mdl_read(struct mdl *m, unsigned long addr, void *buf, size_t len)
{
	return access_rw(m, addr, buf, len, false);
}

/* ---------- life cycle ---------- */

int mdl_create(const struct mdl_cfg *cfg, struct mdl **out)
{
	struct mdl *m;
	const char *g = cfg->geometry ? cfg->geometry : "x86_64";
	unsigned long nr_frames = cfg->nr_frames ? cfg->nr_frames : 65536;
	unsigned long dev = cfg->dev_frames ? cfg->dev_frames : 1024;
	unsigned int nodes = cfg->nr_nodes ? cfg->nr_nodes : 2, l, top = 0;
	unsigned long vstart, vend, pages, n, gb = 1UL << MDL_MAX_ORDER;
	int err;

	*out = NULL;
	m = calloc(1, sizeof(*m));
	if (!m)
		return -ENOMEM;
	m->cfg = *cfg;
	if (!strcmp(g, "x86_64") || !strcmp(g, "la57")) {
		bool la57 = !strcmp(g, "la57");

		m->levels = la57 ? 5 : 4;
		for (l = 0; l < m->levels; l++)
			m->bits[l] = 9;
		m->leaf_levels = cfg->nohuge ? 1u : 7u;
		vstart = la57 ? 0xffa0000000000000UL : 0xffffc90000000000UL;
		vend = la57 ? vstart + (12800UL << 40) : 0xffffe90000000000UL;
	} else if (!strcmp(g, "i386")) {
		m->levels = 2;
		m->bits[0] = m->bits[1] = 10;
		m->leaf_levels = cfg->nohuge ? 1u : 3u;
		vstart = 0xf8800000UL;
		vend = 0xff7fe000UL;
	} else {
		free(m);
		return -EINVAL;
	}
	m->start = vstart;
	m->end = vend;
	if (cfg->arena_size) {
		if ((cfg->arena_size & (PAGE - 1)) ||
		    cfg->arena_size > vend - vstart) {
			free(m);
			return -EINVAL;
		}
		m->end = vstart + cfg->arena_size;
	}
	m->huge_pmd = m->leaf_levels & 2u;
	for (l = 0; l < m->levels; l++)
		if (m->leaf_levels & (1u << l))
			top = l;
	m->io_max_shift = mdl_shift(m, top);
	m->ioremap_max_order = mdl_shift(m, m->levels - 1 < 2 ? m->levels - 1 : 2);
	m->dev_phys = (uint64_t)((MDL_RAM_BASE + nr_frames + gb - 1) & ~(gb - 1))
		      << MDL_PAGE_SHIFT;

	err = mdl_ram_init(&m->ram, nr_frames, nodes, dev);
	if (!err)
		err = mdl_ram_alloc(&m->ram, MDL_NO_NODE, 0, &m->root);
	if (!err) {
		m->ram.head[m->root] = 3;
		err = mdl_space_init(&m->sp, m->start, m->end,
				     cfg->lazy_max_pages ? cfg->lazy_max_pages :
				     8192);
	}
	if (err) {
		mdl_ram_fini(&m->ram);
		free(m);
		return err;
	}
	m->sp.linux_mode = cfg->placement == 0;
	m->sp.purge_blocks = vb_purge_fragmented;
	m->sp.purge_arg = m;
	pages = (m->end - m->start) >> MDL_PAGE_SHIFT;
	n = pages / 16;
	if (n < 2 * MDL_VMAP_MAX_ALLOC)
		n = 2 * MDL_VMAP_MAX_ALLOC;
	if (n > 1024)
		n = 1024;
	m->vb_pages = 1UL << (fls_ul(n) - 1);
	*out = m;
	return 0;
}

void mdl_destroy(struct mdl *m)
{
	size_t i;

	if (!m)
		return;
	for (i = 0; i < m->sp.n; i++) {
		struct mdl_area *a = m->sp.v[i].own;

		if (m->sp.v[i].st == MDL_BUSY && a)
			area_put(a);
	}
	mdl_space_fini(&m->sp);
	mdl_ram_fini(&m->ram);
	free(m->tab);
	free(m->vb);
	free(m);
}

/* ---------- check ---------- */

int mdl_check(struct mdl *m, char *msg, size_t len)
{
	unsigned long data = 0, arrays = 0;
	size_t i;
	int bad = mdl_space_check(&m->sp, msg, len);

	if (bad)
		return bad;
	for (i = 0; i < m->sp.n; i++) {
		const struct mdl_seg *s = &m->sp.v[i];
		const struct mdl_area *a = s->own;

		if (s->st != MDL_BUSY)
			continue;
		if (!a || a->addr != s->s || a->size != s->e - s->s) {
			snprintf(msg, len, "model: busy [0x%lx, 0x%lx) and its "
				 "area disagree", s->s, s->e);
			return 2;
		}
		if (a->kind == MDL_K_VM && a->owns)
			data += a->nr_pages;
		if (a->kind == MDL_K_VM && a->is_arr)
			arrays += a->nr_pages;
		if (a->kind == MDL_K_BLOCK) {
			unsigned long k, live = 0;

			for (k = 0; k < m->vb_pages; k++)
				live += a->used[k] & U_INUSE;
			if (a->bfree + a->bdirty + live != m->vb_pages ||
			    a->bdirty >= m->vb_pages) {
				snprintf(msg, len, "model: block at 0x%lx: free "
					 "%lu + dirty %lu + live %lu != %lu",
					 a->addr, a->bfree, a->bdirty, live,
					 m->vb_pages);
				return 2;
			}
		}
	}
	(void)arrays;
	if (data != m->frames_data ||
	    m->ram.used != 1 + data + m->ntab + m->frames_harness) {
		snprintf(msg, len, "model: frames used %lu, expected 1 + data "
			 "%lu (counted %lu) + tables %zu + harness %lu",
			 m->ram.used, m->frames_data, data, m->ntab,
			 m->frames_harness);
		return 6;
	}
	return 0;
}

int mdl_check_balance(const struct mdl *m, char *msg, size_t len)
{
	if (m->ram.used != 1 + m->frames_data + m->ntab + m->frames_harness) {
		snprintf(msg, len, "model: frames used %lu, expected 1 + data "
			 "%lu + tables %zu + harness %lu", m->ram.used,
			 m->frames_data, m->ntab, m->frames_harness);
		return 6;
	}
	return 0;
}
