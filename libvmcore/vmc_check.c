/* SPDX-License-Identifier: MIT */
/*
 * vmc_check.c - vmc_check(): the invariants of DESIGN.md section 4.
 *
 * Theory
 * ------
 * The checker is the oracle of every test and fuzz run: it looks at an
 * arena from the outside of each module and recomputes what must hold
 * between them.  It trusts nothing a module says about itself; where a
 * module owns a structure (trees, tables, vmap blocks) it asks that
 * module's validate function, and then cross-checks the structures
 * against each other here.  It reports the lowest-numbered invariant that
 * is broken, with a message naming the address (absolute and as an offset
 * from the arena start, so two backends compare), the area and the
 * expected against the found value.
 *
 * The checks, in the order they run:
 *
 *   1. Coverage.  The free, busy and lazy lists, merged by address, tile
 *      [start, end) exactly: each range begins where the previous one
 *      ended.  One pass over the three lists.  (vmc_va_validate() adds the
 *      per-set structure; what it finds is reported as 1 or 3.)
 *   2. Areas.  Each busy area is well formed: page aligned, inside the
 *      arena, its vmap area and vm_struct agree on address and size, huge
 *      and ioremap areas carry the alignment their rule gives them, and
 *      the guard page (unless VM_NO_GUARD) is not mapped.
 *   3. Trees and lists: vmc_va_validate() (red-black shape, every
 *      subtree_max_size, order, no two adjacent free blocks unmerged).
 *   4. Mappings.  One walk over every present leaf, in address order,
 *      beside one walk over the busy list (no tree lookup per leaf): each
 *      4 KiB page a leaf covers must belong to the current busy area and be
 *      a page that area says is mapped, to the frame it records; huge
 *      leaves only where the area's page order (or ioremap) allows.  The
 *      walk counts the pages mapped in each area; a count below what the
 *      area records means a page is missing, which a lookup then names.
 *      A leaf in a free or lazy range is found the same way.  The table
 *      structure itself is vmc_pt_validate()'s, the vmap blocks'
 *      bookkeeping vmc_vb_validate()'s.
 *   5. TLB and MMU.  Soft TLB (VMC_BF_SOFT_TLB): every cached translation
 *      lies in a busy area and matches what the tables map there now, or
 *      lies in the lazy set (freed, unmapped, not yet purged: stale entries
 *      are legal until the purge flushes them), or is a dirty page of a
 *      vmap block (vm_unmap_ram unmaps without a flush, like Linux; the
 *      block is flushed when it is purged).  Anything in a free range is a
 *      missed flush, anything stale in a busy area a missed flush on remap.
 *      Real MMU (backends with a probe slot): real accesses agree with the
 *      tables where it matters most, a bounded number of probes per range
 *      (O(areas)): the guard page of every busy area faults; the first and
 *      last page of every free range and of every lazy range (unmapped,
 *      awaiting its purge: on a real MMU the unmap is already visible)
 *      fault, and under VMC_DEBUG up to CHK_MMU_SAMPLE pages in between
 *      too; the first page of every busy area that maps one (readable) can
 *      be read.  A probe the backend cannot answer (-EAGAIN: its mirror is
 *      knowingly behind) proves nothing either way and is passed over.
 *   6. Frames.  The backend's count equals baseline + data + tables +
 *      harness; data is recomputed from the busy areas that own frames,
 *      tables from a walk of the tables.  Metadata (full check only): each
 *      kind's live records and bytes equal what the live objects own
 *      (vmc_meta_validate()).
 *   7. Data.  Pages are read through their virtual address and compared
 *      with the direct map of the frame the area records.  With a real
 *      MMU: a sample of every mapped area (all pages under VMC_DEBUG).
 *      With a soft TLB: every page whose translation is cached, and only
 *      those, so that the reads are TLB hits and the check leaves the TLB
 *      as it was (the pages not cached are covered by 4: their next access
 *      walks the tables just verified).
 *
 * The checker takes a->lock itself and changes nothing (on a real MMU its
 * reads may fill the hardware TLB; it allocates nothing, so fault
 * injection counts do not move).
 */
#include "vmc_internal.h"

/* Bytes compared per sampled page, at its start and at its end. */
#define CHK_PROBE 32u

struct chk {
	struct vmc_arena *a;
	struct vmc_violation *v;
	struct vmc_pages_cur pc;        /* page-array lookups (chk_expect) */
};

__attribute__((format(printf, 3, 4)))
static int chk_fail(struct chk *c, int inv, const char *fmt, ...)
{
	va_list ap;

	c->v->invariant = inv;
	va_start(ap, fmt);
	vmc_env_vsnprintf(c->v->msg, sizeof(c->v->msg), fmt, ap);
	va_end(ap);
	return inv;
}

/* Offset of an address from the arena start, for messages. */
static unsigned long chk_off(const struct chk *c, unsigned long addr)
{
	return addr - c->a->start;
}

static const char *chk_state_name(unsigned int state)
{
	switch (state) {
	case VMC_VA_FREE:
		return "free";
	case VMC_VA_BUSY:
		return "busy";
	case VMC_VA_LAZY:
		return "lazy";
	default:
		return "bad-state";
	}
}

static const char *chk_kind_name(const struct vmc_va *va)
{
	switch (va->kind) {
	case VMC_VA_VM:
		return "vm";
	case VMC_VA_BLOCK:
		return "vmap-block";
	case VMC_VA_RAM:
		return "vm_map_ram";
	default:
		return "empty";
	}
}

static struct vmc_va *chk_va_of(struct vmc_list *l)
{
	return vmc_list_entry(l, struct vmc_va, list);
}

/* Which set holds addr, as a word for messages. */
static const char *chk_where(struct chk *c, unsigned long addr)
{
	struct vmc_vaspace *vs = &c->a->vs;

	if (vmc_vaset_find(&vs->busy, addr))
		return "busy";
	if (vmc_vaset_find(&vs->lazy, addr))
		return "lazy";
	if (vmc_vaset_find(&vs->free, addr))
		return "free";
	return "unaccounted";
}

/* ---------- invariant 1: the three sets tile the arena ---------- */

struct chk_cursor {
	struct vmc_list *head, *pos;
	unsigned long seen, nr;
	unsigned int state;
};

static int chk_coverage(struct chk *c)
{
	struct vmc_arena *a = c->a;
	struct chk_cursor cur[3] = {
		{ &a->vs.free.head, a->vs.free.head.next, 0, a->vs.free.nr,
		  VMC_VA_FREE },
		{ &a->vs.busy.head, a->vs.busy.head.next, 0, a->vs.busy.nr,
		  VMC_VA_BUSY },
		{ &a->vs.lazy.head, a->vs.lazy.head.next, 0, a->vs.lazy.nr,
		  VMC_VA_LAZY },
	};
	unsigned long at = a->start, vs, ve;
	struct vmc_va *prev = NULL;
	int i;

	for (;;) {
		struct chk_cursor *best = NULL;
		struct vmc_va *va;

		for (i = 0; i < 3; i++) {
			if (cur[i].pos == cur[i].head)
				continue;
			if (cur[i].seen >= cur[i].nr)
				return chk_fail(c, 3, "%s list holds more than "
						"its count %lu",
						chk_state_name(cur[i].state),
						cur[i].nr);
			va = chk_va_of(cur[i].pos);
			if (!best || va->va_start < chk_va_of(best->pos)->va_start)
				best = &cur[i];
		}
		if (!best)
			break;
		va = chk_va_of(best->pos);
		if (va->state != best->state)
			return chk_fail(c, 3, "range 0x%lx-0x%lx (+0x%lx) on the "
					"%s list has state %u",
					va->va_start, va->va_end,
					chk_off(c, va->va_start),
					chk_state_name(best->state), va->state);
		if (va->va_end <= va->va_start)
			return chk_fail(c, 1, "%s range 0x%lx-0x%lx (+0x%lx) is "
					"empty or inverted",
					chk_state_name(va->state), va->va_start,
					va->va_end, chk_off(c, va->va_start));
		/* Free blocks reach beyond the arena: check its part only. */
		if (!vmc_va_clip(a->start, a->end, va, &vs, &ve)) {
			best->pos = best->pos->next;
			best->seen++;
			continue;
		}
		if (vs > at)
			return chk_fail(c, 1, "gap 0x%lx-0x%lx (+0x%lx, 0x%lx "
					"bytes) is in no set (next: %s range at "
					"0x%lx)", at, va->va_start,
					chk_off(c, at), va->va_start - at,
					chk_state_name(va->state),
					va->va_start);
		if (vs < at) {
			if (!prev)
				return chk_fail(c, 1, "%s range 0x%lx-0x%lx "
						"starts below the arena start "
						"0x%lx",
						chk_state_name(va->state),
						va->va_start, va->va_end, at);
			return chk_fail(c, 1, "%s range 0x%lx-0x%lx (+0x%lx) "
					"overlaps %s range 0x%lx-0x%lx",
					chk_state_name(va->state), va->va_start,
					va->va_end, chk_off(c, va->va_start),
					chk_state_name(prev->state),
					prev->va_start, prev->va_end);
		}
		at = ve;
		prev = va;
		best->pos = best->pos->next;
		best->seen++;
	}
	for (i = 0; i < 3; i++)
		if (cur[i].seen != cur[i].nr)
			return chk_fail(c, 3, "%s list holds %lu ranges, its "
					"count says %lu",
					chk_state_name(cur[i].state),
					cur[i].seen, cur[i].nr);
	if (at != a->end)
		return chk_fail(c, 1, "ranges end at 0x%lx (+0x%lx), the arena "
				"at 0x%lx: 0x%lx-0x%lx is in no set", at,
				chk_off(c, at), a->end,
				at < a->end ? at : a->end,
				at < a->end ? a->end : at);
	return 0;
}

/* ---------- invariant 2: areas ---------- */

static bool chk_is_ioremap(struct vmc_arena *a, const struct vmc_vm *vm)
{
	return (vm->pub.flags & VMC_VM_IOREMAP) && !vm->pages &&
	       !vm->pages_vm &&
	       vmc_bo_is_device(a, (unsigned long)(vm->pub.phys_addr >>
						   VMC_PAGE_SHIFT));
}

/* Bytes of an area without its guard page. */
static unsigned long chk_vm_size(const struct vmc_vm *vm)
{
	if (vm->pub.flags & VMC_VM_NO_GUARD)
		return vm->pub.size;
	return vm->pub.size - VMC_PAGE_SIZE;
}

static bool chk_vm_has_pages(const struct vmc_vm *vm)
{
	return vm->pub.nr_pages && (vm->pages || vm->pages_vm);
}

static int chk_vm_area(struct chk *c, struct vmc_va *va)
{
	struct vmc_arena *a = c->a;
	struct vmc_vm *vm = va->u.vm;
	unsigned long addr, size, pages, align;

	if (!vm)
		return chk_fail(c, 2, "busy vm range 0x%lx-0x%lx (+0x%lx) "
				"has no vm_struct", va->va_start, va->va_end,
				chk_off(c, va->va_start));
	addr = vm->pub.addr;
	size = vm->pub.size;
	if (vm->va != va)
		return chk_fail(c, 2, "area 0x%lx (+0x%lx) points to vmap area "
				"%p, expected %p", addr, chk_off(c, addr),
				(void *)vm->va, (void *)va);
	if (!vmc_page_aligned(addr) || !vmc_page_aligned(size) || !size)
		return chk_fail(c, 2, "area 0x%lx (+0x%lx) size 0x%lx is not "
				"page aligned", addr, chk_off(c, addr), size);
	if (va->va_start != addr || vmc_va_size(va) != size)
		return chk_fail(c, 2, "area 0x%lx+0x%lx (+0x%lx): vmap area "
				"is 0x%lx+0x%lx", addr, size, chk_off(c, addr),
				va->va_start, vmc_va_size(va));
	if (addr < a->start || addr >= a->end || size > a->end - addr)
		return chk_fail(c, 2, "area 0x%lx+0x%lx lies outside the "
				"arena 0x%lx-0x%lx", addr, size, a->start,
				a->end);
	if (!(vm->pub.flags & VMC_VM_NO_GUARD) && size < 2 * VMC_PAGE_SIZE)
		return chk_fail(c, 2, "area 0x%lx (+0x%lx) of 0x%lx bytes has "
				"no room for a page and its guard", addr,
				chk_off(c, addr), size);
	pages = chk_vm_size(vm) >> VMC_PAGE_SHIFT;
	if (vm->pub.nr_pages > pages)
		return chk_fail(c, 2, "area 0x%lx (+0x%lx): %u pages in %lu "
				"page slots", addr, chk_off(c, addr),
				vm->pub.nr_pages, pages);
	if (vm->pub.nr_pages && !chk_is_ioremap(a, vm)) {
		if (!vm->pages && !vm->pages_vm)
			return chk_fail(c, 2, "area 0x%lx (+0x%lx) has %u pages "
					"and no page array", addr,
					chk_off(c, addr), vm->pub.nr_pages);
		if (vm->pub.nr_pages > vm->pages_cap)
			return chk_fail(c, 2, "area 0x%lx (+0x%lx) has %u pages, "
					"its array holds %u", addr,
					chk_off(c, addr), vm->pub.nr_pages,
					vm->pages_cap);
		if (vm->pages_vm && (!vm->pages_vm->is_pages_array ||
				     !vm->pages_vm->va ||
				     vm->pages_vm->va->state != VMC_VA_BUSY))
			return chk_fail(c, 2, "area 0x%lx (+0x%lx): its "
					"vmalloc'ed page array is not a busy "
					"page-array area", addr,
					chk_off(c, addr));
	}
	if (vm->pub.page_order) {
		align = VMC_PAGE_SIZE << vm->pub.page_order;
		if (addr & (align - 1))
			return chk_fail(c, 2, "area 0x%lx (+0x%lx) of page "
					"order %u is not 0x%lx aligned", addr,
					chk_off(c, addr), vm->pub.page_order,
					align);
		if (vm->pub.nr_pages & ((1UL << vm->pub.page_order) - 1))
			return chk_fail(c, 2, "area 0x%lx (+0x%lx): %u pages "
					"are not whole order-%u frames", addr,
					chk_off(c, addr), vm->pub.nr_pages,
					vm->pub.page_order);
	}
	if (vm->pub.flags & VMC_VM_IOREMAP) {
		/* Linux __get_vm_area_node: align on the size sans guard. */
		int order = vmc_count_order(chk_vm_size(vm));

		if (order < VMC_PAGE_SHIFT)
			order = VMC_PAGE_SHIFT;
		if (order > (int)a->ioremap_max_order)
			order = (int)a->ioremap_max_order;
		align = 1UL << order;
		if (addr & (align - 1))
			return chk_fail(c, 2, "ioremap area 0x%lx (+0x%lx) of "
					"0x%lx bytes is not 0x%lx aligned",
					addr, chk_off(c, addr),
					chk_vm_size(vm), align);
	}
	if (!(vm->pub.flags & VMC_VM_NO_GUARD)) {
		unsigned long guard = addr + size - VMC_PAGE_SIZE, pfn;

		if (!vmc_pt_lookup(a, guard, &pfn, NULL, NULL))
			return chk_fail(c, 2, "guard page 0x%lx (+0x%lx) of "
					"area 0x%lx is mapped to pfn 0x%lx",
					guard, chk_off(c, guard), addr, pfn);
	}
	return 0;
}

/* One busy range: what it carries is well formed (invariant 2). */
static int chk_area(struct chk *c, struct vmc_va *va)
{
	struct vmc_arena *a = c->a;
	int bad = 0;

	if (!vmc_page_aligned(va->va_start) ||
	    !vmc_page_aligned(va->va_end))
		return chk_fail(c, 2, "busy range 0x%lx-0x%lx (+0x%lx) "
				"is not page aligned", va->va_start,
				va->va_end, chk_off(c, va->va_start));
	switch (va->kind) {
	case VMC_VA_VM:
		bad = chk_vm_area(c, va);
		break;
	case VMC_VA_BLOCK:
		if (!va->u.vb || va->u.vb->va != va)
			return chk_fail(c, 2, "vmap block range 0x%lx "
					"(+0x%lx) and its block do not "
					"point at each other",
					va->va_start,
					chk_off(c, va->va_start));
		if (vmc_va_size(va) != a->vb_pages << VMC_PAGE_SHIFT)
			return chk_fail(c, 2, "vmap block 0x%lx "
					"(+0x%lx) is 0x%lx bytes, "
					"expected 0x%lx", va->va_start,
					chk_off(c, va->va_start),
					vmc_va_size(va),
					a->vb_pages << VMC_PAGE_SHIFT);
		break;
	case VMC_VA_RAM:
		if (!va->u.ram ||
		    vmc_va_size(va) !=
		    (unsigned long)va->u.ram->count << VMC_PAGE_SHIFT)
			return chk_fail(c, 2, "vm_map_ram range "
					"0x%lx-0x%lx (+0x%lx) does not "
					"match its record of %u pages",
					va->va_start, va->va_end,
					chk_off(c, va->va_start),
					va->u.ram ? va->u.ram->count :
					0u);
		break;
	default:
		return chk_fail(c, 2, "busy range 0x%lx-0x%lx (+0x%lx) "
				"carries nothing (kind %u)",
				va->va_start, va->va_end,
				chk_off(c, va->va_start), va->kind);
	}
	return bad;
}

static int chk_areas(struct chk *c)
{
	struct vmc_list *pos;
	int bad;

	vmc_list_for_each(pos, &c->a->vs.busy.head) {
		bad = chk_area(c, chk_va_of(pos));
		if (bad)
			return bad;
	}
	return 0;
}

/* ---------- invariant 4: mappings ---------- */

/*
 * Is the page at addr (inside busy area va) meant to be mapped, and to
 * which frame?  Also says which leaf sizes the area allows.
 */
static bool chk_expect(struct chk *c, struct vmc_va *va, unsigned long addr,
		       unsigned long *pfn)
{
	struct vmc_arena *a = c->a;

	if (va->kind == VMC_VA_VM) {
		struct vmc_vm *vm = va->u.vm;
		unsigned long i = (addr - vm->pub.addr) >> VMC_PAGE_SHIFT;

		if (chk_is_ioremap(a, vm)) {
			if (i >= chk_vm_size(vm) >> VMC_PAGE_SHIFT)
				return false;
			*pfn = (unsigned long)(vm->pub.phys_addr >>
					       VMC_PAGE_SHIFT) + i;
			return true;
		}
		if (!chk_vm_has_pages(vm) || i >= vm->pub.nr_pages)
			return false;
		*pfn = vmc_pages_get_cur(a, vm, i, &c->pc);
		return true;
	}
	if (va->kind == VMC_VA_BLOCK || va->kind == VMC_VA_RAM)
		return vmc_vb_expected_pfn(a, va, addr, pfn) == 0;
	return false;
}

/* Pages of va that must be mapped. */
static unsigned long chk_expect_count(struct chk *c, struct vmc_va *va)
{
	unsigned long addr, pfn, n = 0;

	if (va->kind == VMC_VA_VM) {
		struct vmc_vm *vm = va->u.vm;

		if (chk_is_ioremap(c->a, vm))
			return chk_vm_size(vm) >> VMC_PAGE_SHIFT;
		return chk_vm_has_pages(vm) ? vm->pub.nr_pages : 0;
	}
	if (va->kind == VMC_VA_RAM)
		return va->u.ram->count;
	if (va->kind == VMC_VA_BLOCK && va->u.vb)
		return vmc_vb_mapped_pages(c->a, va);
	for (addr = va->va_start; addr < va->va_end; addr += VMC_PAGE_SIZE)
		if (chk_expect(c, va, addr, &pfn))
			n++;
	return n;
}

/* Largest leaf shift the area allows. */
static unsigned int chk_max_shift(struct chk *c, struct vmc_va *va)
{
	if (va->kind == VMC_VA_VM) {
		struct vmc_vm *vm = va->u.vm;

		if (chk_is_ioremap(c->a, vm))
			return c->a->huge_iomap ? 63u : VMC_PAGE_SHIFT;
		return VMC_PAGE_SHIFT + vm->pub.page_order;
	}
	return VMC_PAGE_SHIFT;
}

struct chk_leaves {
	struct chk *c;
	struct vmc_list *pos;            /* current busy area */
	unsigned long mapped;            /* pages of it seen mapped so far */
	int bad;
};

/* Leaving an area: all of the pages it records must have been seen. */
static int chk_area_done(struct chk_leaves *w, struct vmc_va *va)
{
	struct chk *c = w->c;
	unsigned long want = chk_expect_count(c, va), addr, pfn, epfn;

	if (w->mapped == want)
		return 0;
	/* Fewer (more is caught leaf by leaf): name the first missing page. */
	for (addr = va->va_start; addr < va->va_end; addr += VMC_PAGE_SIZE) {
		if (!chk_expect(c, va, addr, &epfn))
			continue;
		if (vmc_pt_lookup(c->a, addr, &pfn, NULL, NULL))
			return chk_fail(c, 4, "page 0x%lx (+0x%lx) of %s area "
					"0x%lx is not mapped (expected pfn "
					"0x%lx)", addr, chk_off(c, addr),
					chk_kind_name(va), va->va_start, epfn);
	}
	return chk_fail(c, 4, "%s area 0x%lx (+0x%lx): %lu pages mapped, "
			"%lu expected", chk_kind_name(va), va->va_start,
			chk_off(c, va->va_start), w->mapped, want);
}

static int chk_leaf(void *arg, unsigned long addr, unsigned int level,
		    unsigned long pfn, unsigned int prot)
{
	struct chk_leaves *w = arg;
	struct chk *c = w->c;
	struct vmc_arena *a = c->a;
	struct vmc_list *head = &a->vs.busy.head;
	unsigned int shift = a->info.geom.shift[level];
	unsigned long n = 1UL << (shift - VMC_PAGE_SHIFT), k;
	struct vmc_va *va = NULL;

	(void)prot;
	while (w->pos != head) {
		va = chk_va_of(w->pos);
		if (va->va_end > addr)
			break;
		w->bad = chk_area_done(w, va);
		if (w->bad)
			return 1;
		w->pos = w->pos->next;
		w->mapped = 0;
	}
	if (w->pos == head || addr < chk_va_of(w->pos)->va_start) {
		w->bad = chk_fail(c, 4, "leaf 0x%lx (+0x%lx, level %u, pfn "
				  "0x%lx) maps a %s range", addr,
				  chk_off(c, addr), level, pfn,
				  chk_where(c, addr));
		return 1;
	}
	va = chk_va_of(w->pos);
	if (!(a->info.geom.leaf_levels & (1u << level)) ||
	    shift > chk_max_shift(c, va)) {
		w->bad = chk_fail(c, 4, "leaf 0x%lx (+0x%lx) at level %u in "
				  "%s area 0x%lx: leaves above 2^%u bytes not "
				  "allowed", addr, chk_off(c, addr), level,
				  chk_kind_name(va), va->va_start,
				  chk_max_shift(c, va));
		return 1;
	}
	for (k = 0; k < n; k++) {
		unsigned long p = addr + (k << VMC_PAGE_SHIFT), epfn;

		if (p >= va->va_end) {
			w->bad = chk_fail(c, 4, "leaf 0x%lx (+0x%lx, level %u) "
					  "runs past the end 0x%lx of %s area "
					  "0x%lx", addr, chk_off(c, addr),
					  level, va->va_end, chk_kind_name(va),
					  va->va_start);
			return 1;
		}
		if (!chk_expect(c, va, p, &epfn)) {
			w->bad = chk_fail(c, 4, "page 0x%lx (+0x%lx) of %s area "
					  "0x%lx is mapped (pfn 0x%lx) but the "
					  "area records no page there", p,
					  chk_off(c, p), chk_kind_name(va),
					  va->va_start, pfn + k);
			return 1;
		}
		if (epfn != pfn + k) {
			w->bad = chk_fail(c, 4, "page 0x%lx (+0x%lx) of %s area "
					  "0x%lx maps pfn 0x%lx, the area "
					  "records pfn 0x%lx", p, chk_off(c, p),
					  chk_kind_name(va), va->va_start,
					  pfn + k, epfn);
			return 1;
		}
	}
	w->mapped += n;
	return 0;
}

static int chk_mappings(struct chk *c)
{
	struct vmc_arena *a = c->a;
	struct chk_leaves w = { c, a->vs.busy.head.next, 0, 0 };
	int err;

	err = vmc_pt_for_each_leaf(a, chk_leaf, &w);
	if (w.bad)
		return w.bad;
	if (err)
		return chk_fail(c, 4, "page-table walk failed (%d)", err);
	for (; w.pos != &a->vs.busy.head; w.pos = w.pos->next) {
		int bad = chk_area_done(&w, chk_va_of(w.pos));

		if (bad)
			return bad;
		w.mapped = 0;
	}
	return 0;
}

/* ---------- invariant 5: TLB ---------- */

/* A page of a vmap block handed out and freed again (unmapped, unflushed). */
static bool chk_vb_dirty(struct chk *c, struct vmc_va *va, unsigned long addr)
{
	struct vmc_vb *vb = va->u.vb;
	unsigned long i = (addr - va->va_start) >> VMC_PAGE_SHIFT;

	return vb && vb->used && i < c->a->vb_pages - vb->free && !vb->used[i];
}

static int chk_tlb_entry(void *arg, unsigned long addr, unsigned long pfn)
{
	struct chk *c = arg;
	struct vmc_arena *a = c->a;
	struct vmc_va *va;
	unsigned long now;

	va = vmc_vaset_find(&a->vs.busy, addr);
	if (!va) {
		if (vmc_vaset_find(&a->vs.lazy, addr))
			return 0;
		return chk_fail(c, 5, "TLB translates 0x%lx (+0x%lx) to pfn "
				"0x%lx in a %s range (missed flush)", addr,
				chk_off(c, addr), pfn, chk_where(c, addr));
	}
	if (vmc_pt_lookup(a, addr, &now, NULL, NULL)) {
		if (va->kind == VMC_VA_BLOCK && chk_vb_dirty(c, va, addr))
			return 0;
		return chk_fail(c, 5, "TLB translates 0x%lx (+0x%lx) to pfn "
				"0x%lx, unmapped in %s area 0x%lx", addr,
				chk_off(c, addr), pfn, chk_kind_name(va),
				va->va_start);
	}
	if (now != pfn)
		return chk_fail(c, 5, "TLB translates 0x%lx (+0x%lx) to pfn "
				"0x%lx, the tables map pfn 0x%lx (%s area "
				"0x%lx)", addr, chk_off(c, addr), pfn, now,
				chk_kind_name(va), va->va_start);
	return 0;
}

/* Pages probed between the first and last of a free range (VMC_DEBUG). */
#define CHK_MMU_SAMPLE 8u

/* A page the tables leave unmapped must fault when really touched. */
static int chk_mmu_faults(struct chk *c, unsigned long addr, const char *what,
			  unsigned long start)
{
	if (vmc_bo_probe(c->a, addr, false) != 0)
		return 0;               /* -EFAULT as it must, or no verdict */
	return chk_fail(c, 5, "page 0x%lx (+0x%lx) of %s range 0x%lx (+0x%lx) "
			"is unmapped in the tables but a real read of it "
			"works", addr, chk_off(c, addr), what, start,
			chk_off(c, start));
}

/* The first and last page of an unmapped range fault (and a sample). */
static int chk_mmu_range(struct chk *c, struct vmc_va *va, const char *what)
{
	unsigned long vs, ve, pages, last;
	int bad;

	/* Free blocks reach beyond the arena: probe its part only. */
	if (!vmc_va_clip(c->a->start, c->a->end, va, &vs, &ve))
		return 0;
	pages = (ve - vs) >> VMC_PAGE_SHIFT;
	last = ve - VMC_PAGE_SIZE;
	bad = chk_mmu_faults(c, vs, what, vs);
	if (!bad && last != vs)
		bad = chk_mmu_faults(c, last, what, vs);
#ifdef VMC_DEBUG
	if (!bad && pages > 2) {
		unsigned long i, n = pages - 2 < CHK_MMU_SAMPLE ? pages - 2 :
				     CHK_MMU_SAMPLE;

		for (i = 1; !bad && i <= n; i++) {
			unsigned long k = i * (pages - 1) / (n + 1);

			bad = chk_mmu_faults(c, vs + (k << VMC_PAGE_SHIFT),
					     what, vs);
		}
	}
#else
	(void)pages;
#endif
	return bad;
}

static int chk_mmu_busy(struct chk *c, struct vmc_va *va)
{
	unsigned long pfn;
	unsigned int prot;
	int err;

	if (va->kind == VMC_VA_VM && !(va->u.vm->pub.flags & VMC_VM_NO_GUARD)) {
		unsigned long guard = va->va_end - VMC_PAGE_SIZE;

		if (vmc_bo_probe(c->a, guard, false) == 0)
			return chk_fail(c, 5, "guard page 0x%lx (+0x%lx) of %s "
					"area 0x%lx can really be read",
					guard, chk_off(c, guard),
					chk_kind_name(va), va->va_start);
	}
	if (!chk_expect(c, va, va->va_start, &pfn) ||
	    vmc_pt_lookup(c->a, va->va_start, &pfn, NULL, &prot) ||
	    !(prot & VMC_PROT_READ))
		return 0;
	err = vmc_bo_probe(c->a, va->va_start, false);
	if (err == -EFAULT)
		return chk_fail(c, 5, "first page 0x%lx (+0x%lx) of %s area "
				"maps pfn 0x%lx in the tables but a real read "
				"of it faults", va->va_start,
				chk_off(c, va->va_start), chk_kind_name(va),
				pfn);
	return 0;
}

/*
 * Real-MMU probes are system calls (and faults), so a check does at most
 * CHK_MMU_BUDGET of the per-area probe sets, resuming where the previous
 * check stopped (a->chk_mmu_next): over consecutive checks every busy
 * area, free block and lazy range is probed, and a mapping the host keeps
 * against the tables persists until found.  Without the bound a stream of
 * n ops costs O(n^2) system calls.  Under VMC_DEBUG every check probes
 * everything.
 */
#define CHK_MMU_BUDGET 48u

static int chk_mmu_item(struct chk *c, struct vmc_va *va, unsigned int set)
{
	if (set == 0)
		return chk_mmu_busy(c, va);
	return chk_mmu_range(c, va, set == 1 ? "free" : "lazy");
}

static int chk_mmu(struct chk *c)
{
	struct vmc_arena *a = c->a;
	struct vmc_list *heads[3] = { &a->vs.busy.head, &a->vs.free.head,
				      &a->vs.lazy.head };
	unsigned long total = a->vs.busy.nr + a->vs.free.nr + a->vs.lazy.nr;
	unsigned long first, budget, idx, done = 0;
	unsigned int pass, set;
	struct vmc_list *pos;
	int bad;

	if (!vmc_bo_has_probe(a) || !total)
		return 0;
	first = a->chk_mmu_next % total;
	budget = total;
#ifndef VMC_DEBUG
	if (budget > CHK_MMU_BUDGET)
		budget = CHK_MMU_BUDGET;
#endif
	/* Items [first, total) then [0, first), each set in address order. */
	for (pass = 0; pass < 2 && done < budget; pass++) {
		idx = 0;
		for (set = 0; set < 3 && done < budget; set++) {
			vmc_list_for_each(pos, heads[set]) {
				bool mine = pass ? idx < first : idx >= first;

				idx++;
				if (!mine)
					continue;
				bad = chk_mmu_item(c, chk_va_of(pos), set);
				if (bad)
					return bad;
				if (++done == budget)
					break;
			}
		}
	}
	a->chk_mmu_next = first + done;
	return 0;
}

static int chk_tlb(struct chk *c)
{
	int ret;

	if (!(c->a->info.features & VMC_BF_SOFT_TLB))
		return chk_mmu(c);
	ret = vmc_bo_tlb_for_each(c->a, chk_tlb_entry, c);
	if (ret && !c->v->invariant)
		return chk_fail(c, 5, "TLB walk failed (%d)", ret);
	return ret ? c->v->invariant : 0;
}

/* ---------- invariant 6: frames ---------- */

/* Invariant 6 in O(1): the backend's frames against the core's counters. */
static int chk_frames_balance(struct chk *c)
{
	struct vmc_arena *a = c->a;
	unsigned long used = vmc_bo_frames_used(a);
	unsigned long want = a->frames_baseline + a->frames_data +
			     a->frames_tables + a->frames_harness;

	if (used != want)
		return chk_fail(c, 6, "backend holds %lu frames, the core "
				"accounts for %lu (baseline %lu + data %lu + "
				"tables %lu + harness %lu)", used, want,
				a->frames_baseline, a->frames_data,
				a->frames_tables, a->frames_harness);
	if (a->frames_arrays > a->frames_data)
		return chk_fail(c, 6, "frames_arrays %lu exceeds frames_data "
				"%lu", a->frames_arrays, a->frames_data);
	return 0;
}

static int chk_frames(struct chk *c)
{
	struct vmc_arena *a = c->a;
	unsigned long data = 0, arrays = 0;
	int bad;
	char hmsg[sizeof(c->v->msg)];
	struct vmc_list *pos;

	vmc_list_for_each(pos, &a->vs.busy.head) {
		struct vmc_va *va = chk_va_of(pos);
		struct vmc_vm *vm;

		if (va->kind != VMC_VA_VM || !va->u.vm->owns_frames)
			continue;
		vm = va->u.vm;
		/* nr_pages counts 4 KiB pages, also of huge frames. */
		data += vm->pub.nr_pages;
		if (vm->is_pages_array)
			arrays += vm->pub.nr_pages;
	}
	if (data != a->frames_data)
		return chk_fail(c, 6, "busy areas own %lu frames, frames_data "
				"says %lu", data, a->frames_data);
	if (arrays != a->frames_arrays)
		return chk_fail(c, 6, "page-array areas own %lu frames, "
				"frames_arrays says %lu", arrays,
				a->frames_arrays);
	/* The tables reachable against frames_tables: vmc_pt_validate (6). */
	bad = chk_frames_balance(c);
	if (bad)
		return bad;
	if (vmc_hf_validate(a, hmsg, sizeof(hmsg)))
		return chk_fail(c, 6, "%s", hmsg);
	return 0;
}

/* ---------- invariant 7: data ---------- */

static int chk_probe(struct chk *c, struct vmc_va *va, unsigned long addr,
		     unsigned long pfn)
{
	static const size_t offs[2] = { 0, VMC_PAGE_SIZE - CHK_PROBE };
	unsigned char buf[CHK_PROBE];
	const unsigned char *k = vmc_bo_kaddr_try(c->a, pfn);
	unsigned int i, j;
	int err;

	if (!k)
		return chk_fail(c, 6, "%s area 0x%lx maps pfn 0x%lx, which is "
				"not allocated", chk_kind_name(va),
				va->va_start, pfn);

	for (i = 0; i < 2; i++) {
		err = vmc_bo_access(c->a, addr + offs[i], buf, CHK_PROBE,
				    false);
		if (err)
			return chk_fail(c, 7, "reading 0x%lx (+0x%lx) of %s "
					"area 0x%lx fails (%d)", addr + offs[i],
					chk_off(c, addr + offs[i]),
					chk_kind_name(va), va->va_start, err);
		if (memcmp(buf, k + offs[i], CHK_PROBE)) {
			for (j = 0; buf[j] == k[offs[i] + j]; j++)
				;
			return chk_fail(c, 7, "byte 0x%lx (+0x%lx) of %s area "
					"0x%lx reads 0x%02x, pfn 0x%lx holds "
					"0x%02x", addr + offs[i] + j,
					chk_off(c, addr + offs[i] + j),
					chk_kind_name(va), va->va_start,
					buf[j], pfn, k[offs[i] + j]);
		}
	}
	return 0;
}

/*
 * Pages of an area whose data is compared.  Mapped pages of vm areas and
 * vm_map_ram records are [0, m) from the area start: a few of them are
 * sampled (all under VMC_DEBUG).  Vmap blocks map scattered chunks: every
 * page in use is compared.
 */
static int chk_data_area(struct chk *c, struct vmc_va *va)
{
	unsigned long n = vmc_va_size(va) >> VMC_PAGE_SHIFT, m, i, pfn;
	unsigned long idx[5];
	unsigned int j;
	int bad;

	if (va->kind == VMC_VA_BLOCK)
		m = n;
	else
		m = chk_expect_count(c, va);
#ifndef VMC_DEBUG
	if (va->kind != VMC_VA_BLOCK && m > 5) {
		idx[0] = 0;
		idx[1] = m / 4;
		idx[2] = m / 2;
		idx[3] = m - 1 - m / 4;
		idx[4] = m - 1;
		for (j = 0; j < 5; j++) {
			unsigned long addr = va->va_start +
					     (idx[j] << VMC_PAGE_SHIFT);

			if (!chk_expect(c, va, addr, &pfn))
				return chk_fail(c, 4, "page 0x%lx (+0x%lx) "
						"of %s area 0x%lx: no frame "
						"recorded", addr,
						chk_off(c, addr),
						chk_kind_name(va),
						va->va_start);
			bad = chk_probe(c, va, addr, pfn);
			if (bad)
				return bad;
		}
		return 0;
	}
#else
	(void)idx;
	(void)j;
#endif
	for (i = 0; i < m; i++) {
		unsigned long addr = va->va_start + (i << VMC_PAGE_SHIFT);

		if (!chk_expect(c, va, addr, &pfn))
			continue;
		bad = chk_probe(c, va, addr, pfn);
		if (bad)
			return bad;
	}
	return 0;
}

/*
 * On a backend with a soft TLB the probe reads only pages whose
 * translation is already cached: those reads are TLB hits, so the check
 * leaves the TLB exactly as it found it (a miss would fill an entry and
 * might evict a stale one a test, or the next check, wants to see).
 * Pages not cached are reached by a fresh walk of the tables that
 * invariant 4 has just verified.  The entries are taken in batches of
 * CHK_BATCH (no allocation: the checker must not move fault-injection
 * counts); hits do not reorder the TLB, so the batches line up.
 */
#define CHK_BATCH 64u

struct chk_tlb_batch {
	unsigned long skip, seen;
	unsigned int n;
	unsigned long va[CHK_BATCH];
};

static int chk_tlb_collect(void *arg, unsigned long va, unsigned long pfn)
{
	struct chk_tlb_batch *b = arg;

	(void)pfn;
	if (b->seen++ < b->skip)
		return 0;
	b->va[b->n++] = va;
	return b->n == CHK_BATCH;
}

/* The entries for pages in [lo, hi). */
static int chk_data_tlb_range(struct chk *c, unsigned long lo,
			      unsigned long hi)
{
	struct chk_tlb_batch b;
	unsigned long skip = 0, pfn;
	unsigned int i;
	int bad;

	do {
		b.skip = skip;
		b.seen = 0;
		b.n = 0;
		vmc_bo_tlb_for_each_range(c->a, lo, hi, chk_tlb_collect, &b);
		for (i = 0; i < b.n; i++) {
			struct vmc_va *va = vmc_vaset_find(&c->a->vs.busy,
							 b.va[i]);

			/* lazy ranges and dirty block pages: nothing to read */
			if (!va || !chk_expect(c, va, b.va[i], &pfn))
				continue;
			bad = chk_probe(c, va, b.va[i], pfn);
			if (bad)
				return bad;
		}
		skip += b.n;
	} while (b.n == CHK_BATCH);
	return 0;
}

static int chk_data_tlb(struct chk *c)
{
	return chk_data_tlb_range(c, c->a->start, c->a->end);
}

static int chk_data(struct chk *c)
{
	struct vmc_list *pos;
	int bad;

	if (c->a->info.features & VMC_BF_SOFT_TLB)
		return chk_data_tlb(c);
	vmc_list_for_each(pos, &c->a->vs.busy.head) {
		bad = chk_data_area(c, chk_va_of(pos));
		if (bad)
			return bad;
	}
	return 0;
}

/* ---------- what changed: the dirty ranges ---------- */

static bool chk_touch(unsigned long lo, unsigned long hi, unsigned long l2,
		      unsigned long h2)
{
	return lo <= h2 && l2 <= hi;
}

/* Merge every range touching dirty[i] into it. */
static void chk_dirty_coalesce(struct vmc_arena *a, unsigned int i)
{
	unsigned int j = 0;

	while (j < a->nr_dirty) {
		if (j != i && chk_touch(a->dirty[i].lo, a->dirty[i].hi,
					a->dirty[j].lo, a->dirty[j].hi)) {
			a->dirty[i].lo = VMC_MIN(a->dirty[i].lo, a->dirty[j].lo);
			a->dirty[i].hi = VMC_MAX(a->dirty[i].hi, a->dirty[j].hi);
			a->dirty[j] = a->dirty[--a->nr_dirty];
			if (i == a->nr_dirty)
				i = j;
			j = 0;
			continue;
		}
		j++;
	}
}

void vmc_dirty_add(struct vmc_arena *a, unsigned long lo, unsigned long hi)
{
	unsigned long gap, best_gap = ~0UL;
	unsigned int i, best = 0;

	if (!a->dirty_track)
		return;                 /* no check yet: the first is full */
	lo = VMC_MAX(lo, a->start);
	hi = VMC_MIN(hi, a->end);
	if (lo >= hi)
		return;
	for (i = 0; i < a->nr_dirty; i++) {
		if (chk_touch(lo, hi, a->dirty[i].lo, a->dirty[i].hi))
			break;
		gap = a->dirty[i].hi < lo ? lo - a->dirty[i].hi :
					    a->dirty[i].lo - hi;
		if (gap < best_gap) {
			best_gap = gap;
			best = i;
		}
	}
	if (i == a->nr_dirty && a->nr_dirty < VMC_DIRTY_MAX) {
		a->dirty[a->nr_dirty].lo = lo;
		a->dirty[a->nr_dirty].hi = hi;
		a->nr_dirty++;
		return;
	}
	if (i == a->nr_dirty)
		i = best;       /* no room: grow the nearest range over the gap */
	a->dirty[i].lo = VMC_MIN(a->dirty[i].lo, lo);
	a->dirty[i].hi = VMC_MAX(a->dirty[i].hi, hi);
	chk_dirty_coalesce(a, i);
}

/* ---------- vmc_check_changed: the invariants where things changed ---------- */

/*
 * Theory.  Every call that changes an arena names the address ranges it
 * changed (vmc_dirty_add: a range allocated, freed or purged, entries
 * mapped or unmapped, bytes read or written).  Everything an invariant
 * relates is local to an address: a range's set and its neighbours, the
 * leaves over it, the tree path above its node, the TLB entries inside
 * it.  So checking each changed range, widened to the ranges on either
 * side (a merge or a split changes those too), sees every violation the
 * calls since the last check can have made there, with the same tests as
 * the full check.  What is not local -- the count of nodes in a set, the
 * black height of subtrees the rotations did not touch, a table linked
 * twice, where frames went when the totals still balance -- is left to
 * vmc_check(), which a harness runs every N calls and at the end.
 *
 * Frame accounting is O(1): the backend's count against the counters the
 * core keeps.  The soft TLB is scanned once (a few hundred entries, a
 * range test each) and only entries in a changed range are looked up.
 */

/* The one range of any set holding addr; reports 1 on none, 3 on several. */
static struct vmc_va *chk_at(struct chk *c, unsigned long addr, int *bad)
{
	struct vmc_arena *a = c->a;
	struct vmc_vaset *sets[3] = { &a->vs.free, &a->vs.busy, &a->vs.lazy };
	static const unsigned char states[3] = { VMC_VA_FREE, VMC_VA_BUSY,
						 VMC_VA_LAZY };
	struct vmc_va *found = NULL, *va;
	int i;

	*bad = 0;
	for (i = 0; i < 3; i++) {
		va = vmc_vaset_find(sets[i], addr);
		if (!va)
			continue;
		if (va->state != states[i]) {
			*bad = chk_fail(c, 3, "range 0x%lx-0x%lx (+0x%lx) in the "
					"%s set has state %u", va->va_start,
					va->va_end, chk_off(c, va->va_start),
					chk_state_name(states[i]), va->state);
			return NULL;
		}
		if (found) {
			*bad = chk_fail(c, 1, "%s range 0x%lx-0x%lx (+0x%lx) "
					"overlaps %s range 0x%lx-0x%lx",
					chk_state_name(va->state), va->va_start,
					va->va_end, chk_off(c, va->va_start),
					chk_state_name(found->state),
					found->va_start, found->va_end);
			return NULL;
		}
		found = va;
	}
	if (!found)
		*bad = chk_fail(c, 1, "address 0x%lx (+0x%lx) is in no set",
				addr, chk_off(c, addr));
	return found;
}

static struct vmc_vaset *chk_set_of(struct vmc_arena *a, const struct vmc_va *va)
{
	if (va->state == VMC_VA_FREE)
		return &a->vs.free;
	return va->state == VMC_VA_BUSY ? &a->vs.busy : &a->vs.lazy;
}

static unsigned long chk_sms(const struct vmc_rb_node *n)
{
	return n ? vmc_rb_entry(n, struct vmc_va, rb)->subtree_max_size : 0;
}

/* One node's local rules: child links, key order, red-red, augment. */
static int chk_rb_node(struct chk *c, const struct vmc_rb_node *n, bool aug,
		       const char *name)
{
	const struct vmc_va *va = vmc_rb_entry(n, struct vmc_va, rb);
	const struct vmc_rb_node *kid[2] = { n->left, n->right };
	int i;

	for (i = 0; i < 2; i++) {
		const struct vmc_va *k;

		if (!kid[i])
			continue;
		k = vmc_rb_entry(kid[i], struct vmc_va, rb);
		if (kid[i]->parent != n)
			return chk_fail(c, 3, "%s tree: child 0x%lx of 0x%lx "
					"does not point back", name,
					k->va_start, va->va_start);
		if (i == 0 ? k->va_end > va->va_start :
			     k->va_start < va->va_end)
			return chk_fail(c, 3, "%s tree: 0x%lx-0x%lx is the %s "
					"child of 0x%lx-0x%lx", name,
					k->va_start, k->va_end,
					i == 0 ? "left" : "right",
					va->va_start, va->va_end);
		if (n->red && kid[i]->red)
			return chk_fail(c, 3, "%s tree: red node 0x%lx has a red "
					"child 0x%lx", name, va->va_start,
					k->va_start);
	}
	if (aug) {
		unsigned long m = VMC_MAX(vmc_va_size(va),
					  VMC_MAX(chk_sms(n->left),
						  chk_sms(n->right)));

		if (va->subtree_max_size != m)
			return chk_fail(c, 3, "free block [0x%lx, 0x%lx): "
					"subtree_max_size 0x%lx, expected 0x%lx",
					va->va_start, va->va_end,
					va->subtree_max_size, m);
	}
	return 0;
}

/*
 * The path from va's node to the root, and every child of it (rotations
 * move nodes to just beside the path): local rules, parent links, a black
 * root, and, where va's node has an empty child, its black height equal
 * to the leftmost path's.
 */
static int chk_rb_path(struct chk *c, struct vmc_vaset *s, struct vmc_va *va,
		       bool aug, const char *name)
{
	const struct vmc_rb_node *n = &va->rb, *p, *top = NULL;
	unsigned long blacks = 0, want = 0;
	int bad;

	for (p = n; p; p = p->parent) {
		bad = chk_rb_node(c, p, aug, name);
		if (!bad && p->left)
			bad = chk_rb_node(c, p->left, aug, name);
		if (!bad && p->right)
			bad = chk_rb_node(c, p->right, aug, name);
		if (bad)
			return bad;
		if (p->parent && p->parent->left != p && p->parent->right != p)
			return chk_fail(c, 3, "%s tree: 0x%lx is not a child of "
					"its parent", name,
					vmc_rb_entry(p, struct vmc_va, rb)->va_start);
		blacks += !p->red;
		top = p;
	}
	if (top != s->root.node)
		return chk_fail(c, 3, "%s range 0x%lx-0x%lx (+0x%lx) is not in "
				"its tree", name, va->va_start, va->va_end,
				chk_off(c, va->va_start));
	if (top->red)
		return chk_fail(c, 3, "%s tree: the root is red", name);
	if (n->left && n->right)
		return 0;
	for (p = top; p; p = p->left)
		want += !p->red;
	if (blacks != want)
		return chk_fail(c, 3, "%s tree: %lu black nodes above 0x%lx, %lu "
				"on the leftmost path", name, blacks,
				va->va_start, want);
	return 0;
}

/* va's place in its set: list links, list and tree neighbours agree. */
static int chk_local(struct chk *c, struct vmc_va *va)
{
	struct vmc_arena *a = c->a;
	struct vmc_vaset *s = chk_set_of(a, va);
	const char *name = chk_state_name(va->state);
	struct vmc_va *prev = NULL, *next = NULL;
	struct vmc_rb_node *rp, *rn;

	if (va->list.next->prev != &va->list || va->list.prev->next != &va->list)
		return chk_fail(c, 3, "%s list: broken link at 0x%lx-0x%lx", name,
				va->va_start, va->va_end);
	if (va->list.prev != &s->head)
		prev = chk_va_of(va->list.prev);
	if (va->list.next != &s->head)
		next = chk_va_of(va->list.next);
	if ((prev && prev->va_end > va->va_start) ||
	    (next && next->va_start < va->va_end))
		return chk_fail(c, 3, "%s list out of order around 0x%lx-0x%lx",
				name, va->va_start, va->va_end);
	/* Touching free blocks are list neighbours, also beyond the arena. */
	if (va->state == VMC_VA_FREE) {
		const struct vmc_va *l = prev, *r = va;

		if (next && next->va_start == va->va_end) {
			l = va;
			r = next;
		}
		if (l && l->va_end == r->va_start)
			return chk_fail(c, 3, "free blocks [0x%lx, 0x%lx) and "
					"[0x%lx, 0x%lx) not merged",
					l->va_start, l->va_end, r->va_start,
					r->va_end);
	}
	rp = vmc_rb_prev(&va->rb);
	rn = vmc_rb_next(&va->rb);
	if (rp != (prev ? &prev->rb : NULL) || rn != (next ? &next->rb : NULL))
		return chk_fail(c, 3, "%s list and tree differ at 0x%lx-0x%lx",
				name, va->va_start, va->va_end);
	return chk_rb_path(c, s, va, va->state == VMC_VA_FREE, name);
}

/*
 * The changed ranges of one check, widened to the busy areas they touch:
 * where TLB entries can have gone stale and data can have changed.
 */
struct chk_win {
	unsigned int n;
	unsigned long lo[VMC_DIRTY_MAX], hi[VMC_DIRTY_MAX];
	unsigned long probes;           /* real-MMU probe sets left */
};

/* Invariants 1 to 4 (and 5, 7 on a real MMU) over [lo, hi). */
static int chk_window(struct chk *c, struct chk_win *w, unsigned long lo,
		      unsigned long hi)
{
	struct vmc_arena *a = c->a;
	struct vmc_va *va, *prev = NULL, *first_busy;
	struct chk_leaves lw = { c, NULL, 0, 0 };
	bool block = false;
	char msg[sizeof(c->v->msg)];
	unsigned long at, dlo = lo, dhi = hi, plo, phi, vs, ve;
	int bad, err;

	if (lo > a->start) {
		va = chk_at(c, lo - 1, &bad);
		if (bad)
			return bad;
		lo = VMC_MAX(va->va_start, a->start);  /* free blocks reach out */
	}
	if (hi < a->end) {
		va = chk_at(c, hi, &bad);
		if (bad)
			return bad;
		hi = VMC_MIN(va->va_end, a->end);
	}

	/* In the full check's order: tiling (1), areas (2), sets (3). */
	for (at = lo; at < hi; at = va->va_end) {
		va = chk_at(c, at, &bad);
		if (bad)
			return bad;
		/* Free blocks reach beyond the arena: their part inside counts. */
		if (!vmc_va_clip(a->start, a->end, va, &vs, &ve) || vs != at)
			return chk_fail(c, 1, "%s range 0x%lx-0x%lx (+0x%lx) "
					"does not start where 0x%lx-0x%lx "
					"ends", chk_state_name(va->state),
					va->va_start, va->va_end,
					chk_off(c, va->va_start),
					prev ? prev->va_start : a->start,
					at);
		if (!vmc_page_aligned(vs) || !vmc_page_aligned(ve))
			return chk_fail(c, va->state == VMC_VA_BUSY ? 2 : 1,
					"%s range 0x%lx-0x%lx (+0x%lx) is not "
					"page aligned", chk_state_name(va->state),
					va->va_start, va->va_end,
					chk_off(c, va->va_start));
		prev = va;
	}
	for (at = lo; at < hi; at = va->va_end) {
		va = chk_at(c, at, &bad);
		if (va->state != VMC_VA_BUSY)
			continue;
		bad = chk_area(c, va);
		if (bad)
			return bad;
		block |= va->kind == VMC_VA_BLOCK;
	}
	if (block) {
		msg[0] = 0;
		if (vmc_vb_validate(a, msg, sizeof(msg)))
			return chk_fail(c, 2, "%s", msg);
	}
	for (at = lo; at < hi; at = va->va_end) {
		va = chk_at(c, at, &bad);
		bad = chk_local(c, va);
		if (bad)
			return bad;
	}
	/*
	 * Leaves against the busy areas, as chk_mappings: over what changed,
	 * widened only to whole busy areas (their pages are counted); the
	 * rest of a free or lazy neighbour did not change, and a free
	 * neighbour may be most of the arena.
	 */
	plo = VMC_MAX(dlo, lo);
	phi = VMC_MIN(dhi, hi);
	va = chk_at(c, plo, &bad);
	if (va && va->state == VMC_VA_BUSY)
		plo = va->va_start;
	va = chk_at(c, phi - 1, &bad);
	if (va && va->state == VMC_VA_BUSY)
		phi = va->va_end;
	w->lo[w->n] = plo;
	w->hi[w->n] = phi;
	w->n++;
	msg[0] = 0;
	if (vmc_pt_validate_range(a, plo, phi, msg, sizeof(msg)) ||
	    vmc_pt_validate_sync(a, dlo, dhi, msg, sizeof(msg)))
		return chk_fail(c, 4, "page tables: %s", msg);
	va = chk_at(c, plo, &bad);
	for (first_busy = NULL; va && va->va_start < phi && !first_busy;
	     va = va->va_end < a->end ? chk_at(c, va->va_end, &bad) : NULL)
		if (va->state == VMC_VA_BUSY)
			first_busy = va;
	lw.pos = first_busy ? &first_busy->list : &a->vs.busy.head;
	err = vmc_pt_for_each_leaf_range(a, plo, phi, chk_leaf, &lw);
	if (lw.bad)
		return lw.bad;
	if (err)
		return chk_fail(c, 4, "page-table walk failed (%d)", err);
	for (; lw.pos != &a->vs.busy.head &&
	       chk_va_of(lw.pos)->va_start < phi; lw.pos = lw.pos->next) {
		bad = chk_area_done(&lw, chk_va_of(lw.pos));
		if (bad)
			return bad;
		lw.mapped = 0;
	}
	if (a->info.features & VMC_BF_SOFT_TLB)
		return 0;               /* TLB and data: chk_changed_tlb */
	for (at = lo; at < hi; at = va->va_end) {
		va = chk_at(c, at, &bad);
		if (bad)
			return bad;
		if (vmc_bo_has_probe(a) && w->probes) {
			w->probes--;
			bad = chk_mmu_item(c, va, va->state == VMC_VA_BUSY ? 0 :
					   va->state == VMC_VA_FREE ? 1 : 2);
			if (bad)
				return bad;
		}
		if (va->state == VMC_VA_BUSY) {
			bad = chk_data_area(c, va);
			if (bad)
				return bad;
		}
	}
	return 0;
}

/* Soft TLB: invariant 5 for the entries inside the windows. */
static int chk_changed_tlb(struct chk *c, const struct chk_win *w)
{
	unsigned int i;
	int ret = 0;

	if (!(c->a->info.features & VMC_BF_SOFT_TLB))
		return 0;
	for (i = 0; i < w->n && !ret; i++)
		ret = vmc_bo_tlb_for_each_range(c->a, w->lo[i], w->hi[i],
						chk_tlb_entry, c);
	if (ret && !c->v->invariant)
		return chk_fail(c, 5, "TLB walk failed (%d)", ret);
	return ret ? c->v->invariant : 0;
}

static int chk_changed(struct chk *c)
{
	struct vmc_arena *a = c->a;
	struct chk_win w;
	unsigned int i;
	int bad;

	w.n = 0;
	w.probes = CHK_MMU_BUDGET;
	for (i = 0; i < a->nr_dirty; i++) {
		bad = chk_window(c, &w, a->dirty[i].lo, a->dirty[i].hi);
		if (bad)
			return bad;
	}
	bad = chk_changed_tlb(c, &w);
	if (bad)
		return bad;
	bad = chk_frames_balance(c);
	if (bad)
		return bad;
	for (i = 0; i < w.n && (a->info.features & VMC_BF_SOFT_TLB); i++) {
		bad = chk_data_tlb_range(c, w.lo[i], w.hi[i]);
		if (bad)
			return bad;
	}
	return 0;
}


/* ---------- the entry point ---------- */

static int chk_all(struct chk *c)
{
	struct vmc_arena *a = c->a;
	char msg[sizeof(c->v->msg)];
	char ptmsg[sizeof(c->v->msg)];
	int bad, va_bad, pt_bad;

	bad = chk_coverage(c);
	if (bad)
		return bad;
	/* The per-set structure: 1 (tiling) or 3 (trees, lists). */
	msg[0] = 0;
	va_bad = vmc_va_validate(a, msg, sizeof(msg));
	if (va_bad == 1)
		return chk_fail(c, 1, "%s", msg);
	bad = chk_areas(c);
	if (bad)
		return bad;
	/* Block bookkeeping is part of the areas being well formed. */
	ptmsg[0] = 0;
	if (vmc_vb_validate(a, ptmsg, sizeof(ptmsg)))
		return chk_fail(c, 2, "%s", ptmsg);
	if (va_bad)
		return chk_fail(c, 3, "%s", msg);
	/* Table structure: 4, or 6 for the table count (reported later). */
	ptmsg[0] = 0;
	pt_bad = vmc_pt_validate(a, ptmsg, sizeof(ptmsg));
	if (pt_bad && pt_bad != 6)
		return chk_fail(c, 4, "page tables: %s", ptmsg);
	if (vmc_pt_validate_sync(a, a->start, a->end, msg, sizeof(msg)))
		return chk_fail(c, 4, "page tables: %s", msg);
	bad = chk_mappings(c);
	if (bad)
		return bad;
	bad = chk_tlb(c);
	if (bad)
		return bad;
	bad = chk_frames(c);
	if (bad)
		return bad;
	if (pt_bad)
		return chk_fail(c, 6, "page tables: %s", ptmsg);
	if (vmc_meta_validate(a, msg, sizeof(msg)))
		return chk_fail(c, 6, "%s", msg);
	return chk_data(c);
}

/*
 * Run one checker under the lock.  A clean check by the caller forgets
 * the changed ranges (the full check looked at everything, the
 * incremental one at them); a failing one keeps them, so the next check
 * looks there again.  The debug builds' check after every call
 * (vmc_debug_check) keeps them too: that is the core asserting itself,
 * and the caller's next vmc_check_changed() must still see what changed.
 */
static int chk_run(struct vmc_arena *a, struct vmc_violation *v,
		   int (*fn)(struct chk *c), bool forget)
{
	struct vmc_violation local;
	struct chk c;
	int bad;

	if (!v)
		v = &local;
	v->invariant = 0;
	v->msg[0] = 0;
	memset(&c, 0, sizeof(c));
	c.a = a;
	c.v = v;
	vmc_arena_lock(a);
	if (fn == chk_changed && !a->dirty_track)
		fn = chk_all;           /* nothing recorded yet (vmc_dirty_add) */
	bad = fn(&c);
	if (!bad && forget) {
		a->nr_dirty = 0;
		a->dirty_track = true;
	}
	vmc_arena_unlock(a);
	return bad;
}

int vmc_check(struct vmc_arena *a, struct vmc_violation *v)
{
	return chk_run(a, v, chk_all, true);
}

int vmc_check_changed(struct vmc_arena *a, struct vmc_violation *v)
{
	return chk_run(a, v, chk_changed, true);
}

int vmc_check_keep(struct vmc_arena *a, struct vmc_violation *v)
{
	return chk_run(a, v, chk_all, false);
}
