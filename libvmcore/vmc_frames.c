/* SPDX-License-Identifier: MIT */
/*
 * vmc_frames.c - the frames the harness holds (vmc_frame_alloc) and who
 * maps them.
 *
 * Theory
 * ------
 * 1. Why track them.  vmap() and vm_map_ram() map frames the caller
 *    owns; in a kernel those are pages the caller got from the page
 *    allocator.  Here the caller gets them from vmc_frame_alloc(), and a
 *    count alone cannot tell a harness frame from a frame of a live
 *    vmalloc area, a page table, a freed or an invented pfn: freeing such
 *    a pfn either aborts inside the backend or, worse, frees an area's
 *    frame silently while the counters still balance.  So the arena keeps
 *    the set of pfns it handed out, and vmc_frame_free() frees only those.
 *
 * 2. Who maps them.  Each held frame carries the number of live vmap /
 *    vm_map_ram mappings of it (one frame may be mapped many times).  A
 *    frame still mapped is not freed (-EBUSY): the mapping would point at
 *    a frame the backend may hand to the next vmalloc.  vmap and
 *    vm_map_ram take only held frames (-EINVAL otherwise), so a live
 *    vmalloc area's frame, a table or a device pfn is never mapped twice.
 *
 * 3. Checking.  vmc_hf_validate() (invariant 6) recounts every mapping of
 *    every busy vmap and vm_map_ram area against the set: a mapped frame
 *    the harness does not hold (a vmap of a freed frame, whichever backend
 *    is below) and a count that disagrees are reported, not asserted.
 *
 * 4. Shape.  An open-addressing hash table of (pfn, mappings), linear
 *    probing, removed slots marked so probe chains stay whole: O(1) per
 *    frame.  (A sorted array was O(n) per free; a fuzz input that vmaps
 *    thousands of frames and frees them spent most of its time moving
 *    the array.)
 *    Its memory is not fault-injected: a failure point inside
 *    vmc_frame_alloc would shift every injected metadata failure.
 */
#include "vmc_internal.h"

struct vmc_hframe {
	unsigned long pfn;      /* 0: empty slot; VMC_HF_GONE: removed */
	unsigned long maps;     /* live vmap / vm_map_ram mappings of it */
};

#define VMC_HF_GONE (~0UL)

static bool vmc_hf_live(const struct vmc_hframe *f)
{
	return f->pfn && f->pfn != VMC_HF_GONE;
}

static unsigned long vmc_hf_hash(unsigned long pfn, unsigned long cap)
{
	return (unsigned long)(((uint64_t)pfn * 0x9e3779b97f4a7c15ULL) >> 17) &
	       (cap - 1);
}

/* Slot of pfn in the set, or -1 (pfn 0 is never a frame: vmc_hf_put). */
static long vmc_hf_search(const struct vmc_arena *a, unsigned long pfn)
{
	unsigned long i, n;

	if (!a->hf_cap || !pfn || pfn == VMC_HF_GONE)
		return -1;
	i = vmc_hf_hash(pfn, a->hf_cap);
	for (n = 0; n < a->hf_cap; n++, i = (i + 1) & (a->hf_cap - 1)) {
		if (a->hf[i].pfn == pfn)
			return (long)i;
		if (!a->hf[i].pfn)
			return -1;
	}
	return -1;
}

bool vmc_hf_held(const struct vmc_arena *a, unsigned long pfn)
{
	return vmc_hf_search(a, pfn) >= 0;
}

/* Put pfn (not in the set) into the first free or removed slot. */
static void vmc_hf_place(struct vmc_hframe *t, unsigned long cap,
			 unsigned long pfn, unsigned long maps)
{
	unsigned long i = vmc_hf_hash(pfn, cap);

	while (vmc_hf_live(&t[i]))
		i = (i + 1) & (cap - 1);
	t[i].pfn = pfn;
	t[i].maps = maps;
}

int vmc_hf_reserve(struct vmc_arena *a)
{
	struct vmc_hframe *n;
	unsigned long cap, i;

	/* Room for one more with live + removed slots at most 3/4 full. */
	if ((a->hf_used + 1) * 4 <= a->hf_cap * 3)
		return 0;
	cap = a->hf_cap ? a->hf_cap : 64;
	while ((a->hf_nr + 1) * 2 > cap)
		cap *= 2;
	n = vmc_env_zalloc(cap * sizeof(*n));
	if (!n)
		return -ENOMEM;
	for (i = 0; i < a->hf_cap; i++)
		if (vmc_hf_live(&a->hf[i]))
			vmc_hf_place(n, cap, a->hf[i].pfn, a->hf[i].maps);
	vmc_env_free(a->hf);
	a->hf = n;
	a->hf_cap = cap;
	a->hf_used = a->hf_nr;
	return 0;
}

void vmc_hf_add(struct vmc_arena *a, unsigned long pfn)
{
	unsigned long i;

	VMC_VERIFY(pfn && pfn != VMC_HF_GONE && vmc_hf_search(a, pfn) < 0);
	VMC_VERIFY3U((a->hf_used + 1) * 4, <=, a->hf_cap * 3);
	i = vmc_hf_hash(pfn, a->hf_cap);
	while (vmc_hf_live(&a->hf[i]))
		i = (i + 1) & (a->hf_cap - 1);
	if (!a->hf[i].pfn)
		a->hf_used++;           /* a removed slot was counted already */
	a->hf[i].pfn = pfn;
	a->hf[i].maps = 0;
	a->hf_nr++;
}

int vmc_hf_remove(struct vmc_arena *a, unsigned long pfn)
{
	long i = vmc_hf_search(a, pfn);

	if (i < 0) {
		vmc_warn(a, "frame_free: pfn 0x%lx was not handed out by "
			 "vmc_frame_alloc (or is freed already)", pfn);
		return -EINVAL;
	}
	if (a->hf[i].maps) {
		vmc_warn(a, "frame_free: pfn 0x%lx is still mapped by %lu "
			 "vmap/vm_map_ram mapping(s)", pfn, a->hf[i].maps);
		return -EBUSY;
	}
	a->hf[i].pfn = VMC_HF_GONE;     /* keeps the probe chains whole */
	a->hf_nr--;
	return 0;
}

int vmc_hf_check(struct vmc_arena *a, const char *who,
		 const unsigned long *pfns, unsigned int count)
{
	unsigned int i;

	for (i = 0; i < count; i++) {
		if (!vmc_hf_held(a, pfns[i])) {
			vmc_warn(a, "%s: pfn 0x%lx (page %u) is not a frame "
				 "held through vmc_frame_alloc", who, pfns[i],
				 i);
			return -EINVAL;
		}
	}
	return 0;
}

void vmc_hf_get(struct vmc_arena *a, const unsigned long *pfns,
		unsigned long count)
{
	unsigned long i;

	for (i = 0; i < count; i++) {
		long k = vmc_hf_search(a, pfns[i]);

		VMC_VERIFY(k >= 0);
		a->hf[k].maps++;
	}
}

void vmc_hf_put(struct vmc_arena *a, const unsigned long *pfns,
		unsigned long count)
{
	unsigned long i;

	for (i = 0; i < count; i++) {
		long k;

		if (!pfns[i])
			continue;       /* vmap block pages not in use */
		k = vmc_hf_search(a, pfns[i]);
		VMC_VERIFY(k >= 0 && a->hf[k].maps > 0);
		a->hf[k].maps--;
	}
}

void vmc_hf_put_vm(struct vmc_arena *a, const struct vmc_vm *vm)
{
	unsigned long i;

	if (vm->owns_frames)
		return;
	for (i = 0; i < vm->pub.nr_pages; i++) {
		unsigned long pfn = vmc_pages_get(a, vm, i);

		vmc_hf_put(a, &pfn, 1);
	}
}

void vmc_hf_fini(struct vmc_arena *a)
{
	vmc_env_free(a->hf);
	a->hf = NULL;
	a->hf_nr = a->hf_cap = a->hf_used = 0;
}

/* ---------- checker ---------- */

struct vmc_hf_chk {
	struct vmc_arena *a;
	unsigned long *seen;    /* mappings counted per set entry */
	char *msg;
	size_t len;
};

__attribute__((format(printf, 2, 3)))
static int vmc_hf_bad(struct vmc_hf_chk *c, const char *fmt, ...)
{
	va_list ap;

	if (c->msg && c->len) {
		va_start(ap, fmt);
		vmc_env_vsnprintf(c->msg, c->len, fmt, ap);
		va_end(ap);
	}
	return 6;
}

static int vmc_hf_count(struct vmc_hf_chk *c, unsigned long area,
			unsigned long pfn, const char *what)
{
	long k = vmc_hf_search(c->a, pfn);

	if (k < 0)
		return vmc_hf_bad(c, "%s area at 0x%lx maps pfn 0x%lx, which "
				  "the harness does not hold (freed?)", what,
				  area, pfn);
	c->seen[k]++;
	return 0;
}

static int vmc_hf_count_va(struct vmc_hf_chk *c, const struct vmc_va *va)
{
	struct vmc_arena *a = c->a;
	unsigned long i, addr, pfn;
	int bad;

	if (va->kind == VMC_VA_VM) {
		const struct vmc_vm *vm = va->u.vm;

		if (vm->owns_frames)
			return 0;
		for (i = 0; i < vm->pub.nr_pages; i++) {
			bad = vmc_hf_count(c, vm->pub.addr,
					   vmc_pages_get(a, vm, i), "vmap");
			if (bad)
				return bad;
		}
		return 0;
	}
	if (va->kind == VMC_VA_RAM) {
		for (i = 0; i < va->u.ram->count; i++) {
			bad = vmc_hf_count(c, va->va_start, va->u.ram->pfns[i],
					   "vm_map_ram");
			if (bad)
				return bad;
		}
		return 0;
	}
	if (va->kind == VMC_VA_BLOCK) {
		for (addr = va->va_start; addr < va->va_end;
		     addr += VMC_PAGE_SIZE) {
			if (vmc_vb_expected_pfn(a, va, addr, &pfn))
				continue;
			bad = vmc_hf_count(c, addr, pfn, "vm_map_ram");
			if (bad)
				return bad;
		}
	}
	return 0;
}

int vmc_hf_validate(struct vmc_arena *a, char *msg, size_t len)
{
	struct vmc_hf_chk c = { a, NULL, msg, len };
	struct vmc_list *pos;
	unsigned long i;
	unsigned long n;
	int bad = 0;

	if (a->hf_nr != a->frames_harness)
		return vmc_hf_bad(&c, "the harness holds %lu frames, "
				  "frames_harness says %lu", a->hf_nr,
				  a->frames_harness);
	for (i = 0, n = 0; i < a->hf_cap; i++) {
		unsigned long pfn = a->hf[i].pfn;

		if (!vmc_hf_live(&a->hf[i]))
			continue;
		if (vmc_hf_search(a, pfn) != (long)i)
			return vmc_hf_bad(&c, "harness frame pfn 0x%lx is not "
					  "found where it is stored", pfn);
		n++;
		if (vmc_bo_is_device(a, pfn) || !a->ops->kaddr(a->bs, pfn))
			return vmc_hf_bad(&c, "harness frame pfn 0x%lx is not "
					  "allocated RAM", pfn);
	}
	if (n != a->hf_nr)
		return vmc_hf_bad(&c, "the harness frame set holds %lu frames, "
				  "its count says %lu", n, a->hf_nr);
	c.seen = vmc_env_zalloc((a->hf_cap ? a->hf_cap : 1) * sizeof(*c.seen));
	if (!c.seen)
		return 0;       /* no memory to recount: no verdict */
	vmc_list_for_each(pos, &a->vs.busy.head) {
		bad = vmc_hf_count_va(&c, vmc_list_entry(pos, struct vmc_va,
							 list));
		if (bad)
			break;
	}
	for (i = 0; !bad && i < a->hf_cap; i++)
		if (vmc_hf_live(&a->hf[i]) && c.seen[i] != a->hf[i].maps)
			bad = vmc_hf_bad(&c, "harness frame pfn 0x%lx is mapped "
					 "%lu times, its count says %lu",
					 a->hf[i].pfn, c.seen[i],
					 a->hf[i].maps);
	vmc_env_free(c.seen);
	return bad;
}
