/* SPDX-License-Identifier: MIT */
/*
 * test_ioremap.c - ioremap / iounmap on every backend and geometry.
 *
 * Runs on the backend chosen at run time (VMC_BACKEND; the suite runs it
 * once per userspace backend).  Geometries the backend refuses are skipped
 * with the reason; without PMD leaves (mmap) an aligned ioremap must use
 * PTEs, and the PUD-leaf checks are skipped.
 *
 * What it shows:
 *   1. an unaligned physical address keeps its offset in the returned
 *      pointer and whole pages around it get mapped (3 pages for
 *      ioremap(dev + 0x1234, 0x2000)), with the nocache prot;
 *   2. data written through the mapping lands in the device frame's direct
 *      map and the other way round;
 *   3. the returned area obeys the VM_IOREMAP alignment rule;
 *   4. an aligned device range gets PMD leaves (PUD on the 64-bit
 *      geometries with a 1 GiB device region), and does not under
 *      VMC_ARENA_NOHUGEIOMAP or when the physical address is unaligned;
 *   5. bad calls (RAM, outside the device region, size 0, wrap-around,
 *      iounmap of a vmalloc area, of an interior page, of a random
 *      address, twice) warn, return -EINVAL and change nothing;
 *   6. a failure injected at any allocation leaves the arena as it was.
 *
 * White box: includes vmc_internal.h for vmc_pt_lookup() (leaf prot) and
 * a->ioremap_max_order (the alignment cap).  Leaf levels come from the sim
 * backend's own walk on sim, from the core's table walk elsewhere.
 */
#include "vmc_test.h"
#include "vmc_internal.h"
#include "vmc_sim.h"

static const char *const geoms[] = { "x86_64", "la57", "i386" };

static struct vmc_arena *mk(const char *geom, unsigned long dev_frames,
			    unsigned int flags)
{
	struct vmc_arena_config cfg;

	memset(&cfg, 0, sizeof(cfg));
	cfg.geometry = geom;
	cfg.dev_frames = dev_frames;
	cfg.flags = flags | VMC_ARENA_QUIET;
	return vt_arena_cfg(&cfg);
}

static unsigned long warnings(struct vmc_arena *a)
{
	struct vmc_stats st;

	vmc_get_stats(a, &st);
	return st.warnings;
}

static unsigned long busy(struct vmc_arena *a)
{
	struct vmc_stats st;

	vmc_get_stats(a, &st);
	return st.nr_busy;
}

/* Shift of a PMD leaf in this geometry. */
static unsigned int pmd_shift(struct vmc_arena *a)
{
	return vmc_geom_shift(&a->info.geom, 1);
}

static int leaf_level(struct vmc_arena *a, unsigned long va, unsigned long *pfn)
{
	unsigned int level;
	bool w;

	if (vmc_arena_ops(a) != &vmc_sim_ops) {
		if (vmc_pt_lookup(a, va, pfn, &level, NULL))
			return -1;
		return (int)level;
	}
	if (vmc_sim_walk(vmc_arena_backend_state(a), va, pfn, &level, &w))
		return -1;
	return (int)level;
}

/* 1. and 2.: offsets, page count, prot, data both ways. */
static void t_unaligned(const char *g)
{
	struct vmc_arena *a = mk(g, 0, 0);
	unsigned char buf[0x2000], back[0x2000];
	unsigned long dev_size, pfn, base, i, dev_pfn;
	const struct vmc_vm_struct *vm;
	unsigned int level, prot;
	uint64_t dev;
	char *p;
	int ok;

	vmc_arena_device(a, &dev, &dev_size);
	dev_pfn = (unsigned long)(dev >> VMC_PAGE_SHIFT);
	p = vmc_ioremap(a, dev + 0x1234, 0x2000);
	if (!tap_ok(p != NULL, "%s: ioremap(dev+0x1234, 0x2000) succeeds", g)) {
		vmc_arena_destroy(a);
		return;
	}
	base = (unsigned long)p & ~(VMC_PAGE_SIZE - 1);
	tap_ok(((unsigned long)p & (VMC_PAGE_SIZE - 1)) == 0x234,
	       "%s: offset 0x234 preserved (%p)", g, (void *)p);
	vm = vmc_find_vm_area(a, p);
	/* |PPP.|  three mapped pages, one guard */
	tap_ok(vm && vm->addr == base && vm->size == 4 * VMC_PAGE_SIZE &&
	       (vm->flags & VMC_VM_IOREMAP) && vm->phys_addr == dev + 0x1000,
	       "%s: area at the page base, 3 pages + guard, phys rounded down", g);
	ok = 1;
	for (i = 0; i < 3; i++)
		ok &= !vmc_vmalloc_to_pfn(a, (void *)(base + i * VMC_PAGE_SIZE), &pfn) &&
		      pfn == dev_pfn + 1 + i;
	tap_ok(ok, "%s: pages 0..2 map device frames 1..3", g);
	tap_ok(vmc_vmalloc_to_pfn(a, (void *)(base + 3 * VMC_PAGE_SIZE), &pfn) == -EFAULT,
	       "%s: guard page unmapped", g);
	tap_ok(!vmc_pt_lookup(a, base, &pfn, &level, &prot) &&
	       (prot & VMC_PROT_NOCACHE) && (prot & VMC_PROT_WRITE),
	       "%s: leaf is nocache and writable (prot 0x%x)", g, prot);

	for (i = 0; i < sizeof(buf); i++)
		buf[i] = (unsigned char)(i * 7 + 3);
	ok = !vmc_write(a, p, buf, sizeof(buf));
	/* bytes 0..0xdcb in frame 1 (from 0x234), the rest in frame 2, 3 */
	ok &= !memcmp((char *)vmc_kaddr(a, dev_pfn + 1) + 0x234, buf, 0x1000 - 0x234);
	ok &= !memcmp(vmc_kaddr(a, dev_pfn + 2), buf + 0x1000 - 0x234, 0x1000);
	ok &= !memcmp(vmc_kaddr(a, dev_pfn + 3), buf + 0x2000 - 0x234, 0x234);
	tap_ok(ok, "%s: data written through ioremap lands in the device frames", g);

	memset(vmc_kaddr(a, dev_pfn + 2), 0x5c, VMC_PAGE_SIZE);
	ok = !vmc_read(a, (void *)(base + VMC_PAGE_SIZE), back, VMC_PAGE_SIZE);
	for (i = 0; i < VMC_PAGE_SIZE; i++)
		ok &= back[i] == 0x5c;
	tap_ok(ok, "%s: data written to the device frame reads through ioremap", g);
	tap_ok(vt_clean(a, "ioremap"), "%s: check after ioremap", g);

	tap_ok(vmc_iounmap(a, p) == 0 && busy(a) == 0 &&
	       vmc_find_vm_area(a, (void *)base) == NULL,
	       "%s: iounmap(base+0x234) removes the area", g);
	{
		struct vmc_stats st;

		vmc_get_stats(a, &st);
		tap_ok(st.nr_lazy == 1 && st.lazy_pages == 4,
		       "%s: its 4 pages wait in the lazy set", g);
	}
	vmc_purge(a);
	tap_ok(vmc_read(a, p, back, 1) == -EFAULT, "%s: unmapped after purge", g);
	tap_ok(vt_clean(a, "iounmap"), "%s: check after iounmap", g);

	/* ioremap_prot without nocache */
	p = vmc_ioremap_prot(a, dev, VMC_PAGE_SIZE, VMC_PROT_KERNEL);
	tap_ok(p && !vmc_pt_lookup(a, (unsigned long)p, &pfn, &level, &prot) &&
	       !(prot & VMC_PROT_NOCACHE) && pfn == dev_pfn,
	       "%s: ioremap_prot(PAGE_KERNEL) leaf is cached", g);
	tap_ok(vmc_iounmap(a, p) == 0, "%s: iounmap of the prot mapping", g);
	tap_ok(vmc_iounmap(a, NULL) == 0, "%s: iounmap(NULL) is a no-op", g);
	vmc_arena_destroy(a);
}

/* 3.: the VM_IOREMAP alignment rule. */
static void t_align(const char *g)
{
	static const unsigned long sizes[] = {
		0x1000, 0x1800, 0x3000, 0x5000, 0x10000, 0x21000, 0x80000,
		0x100000, 0x180000, 0x200000,
	};
	struct vmc_arena *a = mk(g, 2048, 0);
	void *ptrs[sizeof(sizes) / sizeof(sizes[0])];
	unsigned long dev_size, i, align;
	void *small;
	uint64_t dev;
	int ok = 1;

	vmc_arena_device(a, &dev, &dev_size);
	/* A one-page mapping first, so the lowest fit is not already aligned. */
	small = vmc_ioremap(a, dev, VMC_PAGE_SIZE);
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		unsigned long pages = (sizes[i] + VMC_PAGE_SIZE - 1) & ~(VMC_PAGE_SIZE - 1);
		int order = vmc_count_order(pages);

		if (order < VMC_PAGE_SHIFT)
			order = VMC_PAGE_SHIFT;
		if (order > (int)a->ioremap_max_order)
			order = (int)a->ioremap_max_order;
		align = 1UL << order;
		ptrs[i] = vmc_ioremap(a, dev, sizes[i]);
		if (!ptrs[i] || ((unsigned long)ptrs[i] & (align - 1))) {
			tap_diag("%s: size 0x%lx -> %p, want align 0x%lx", g,
				 sizes[i], ptrs[i], align);
			ok = 0;
		}
	}
	tap_ok(small && ok, "%s: every ioremap aligned to 1 << clamp(order, PAGE_SHIFT, %u)",
	       g, a->ioremap_max_order);
	tap_ok(vt_clean(a, "aligned ioremaps"), "%s: check after aligned ioremaps", g);
	ok = vmc_iounmap(a, small) == 0;
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++)
		ok &= vmc_iounmap(a, ptrs[i]) == 0;
	tap_ok(ok && busy(a) == 0, "%s: all unmapped", g);
	vmc_arena_destroy(a);
}

/* 4.: huge leaves. */
static void t_huge(const char *g, unsigned int flags)
{
	/* Two PMDs' worth of device memory in every geometry (4 MiB PMD on i386). */
	struct vmc_arena *a = mk(g, 2048, flags);
	bool huge = !(flags & VMC_ARENA_NOHUGEIOMAP) &&
		    (vmc_arena_ops(a)->features & VMC_BF_HUGE_PMD);
	unsigned long dev_size, pmd, pfn, dev_pfn;
	const char *tag = flags & VMC_ARENA_NOHUGEIOMAP ? " nohugeiomap" :
			  huge ? "" : " (backend has no PMD leaves)";
	unsigned char b = 0;
	uint64_t dev;
	char *p, *q;
	int lvl, lvl_end;

	vmc_arena_device(a, &dev, &dev_size);
	dev_pfn = (unsigned long)(dev >> VMC_PAGE_SHIFT);
	pmd = 1UL << pmd_shift(a);
	/* Fresh arena: the first area sits at the (PMD aligned) arena start. */
	p = vmc_ioremap(a, dev, pmd);
	lvl = p ? leaf_level(a, (unsigned long)p, &pfn) : -1;
	lvl_end = p ? leaf_level(a, (unsigned long)p + pmd - 1, &pfn) : -1;
	tap_ok(p && lvl == (huge ? 1 : 0) && lvl_end == lvl &&
	       pfn == dev_pfn + (pmd >> VMC_PAGE_SHIFT) - 1,
	       "%s%s: aligned ioremap of one PMD uses level-%d leaves (got %d)",
	       g, tag, huge ? 1 : 0, lvl);
	/* data through the huge leaf: last byte of the PMD */
	memset(vmc_kaddr(a, pfn), 0, VMC_PAGE_SIZE);
	b = 0x77;
	tap_ok(p && !vmc_write(a, p + pmd - 1, &b, 1) &&
	       ((unsigned char *)vmc_kaddr(a, pfn))[VMC_PAGE_SIZE - 1] == 0x77,
	       "%s%s: write at the end of the PMD lands in the last frame", g, tag);
	tap_ok(vt_clean(a, "huge ioremap"), "%s%s: check after huge ioremap", g, tag);

	/* Physical address one page off: never a huge leaf. */
	q = vmc_ioremap(a, dev + VMC_PAGE_SIZE, pmd);
	lvl = q ? leaf_level(a, (unsigned long)q, &pfn) : -1;
	tap_ok(q && lvl == 0 && pfn == dev_pfn + 1,
	       "%s%s: unaligned phys gets PTEs (level %d)", g, tag, lvl);
	tap_ok(vt_clean(a, "unaligned big ioremap"), "%s%s: check", g, tag);
	tap_ok(vmc_iounmap(a, p) == 0 && vmc_iounmap(a, q) == 0 && busy(a) == 0,
	       "%s%s: iounmap both", g, tag);
	vmc_purge(a);
	tap_ok(vt_clean(a, "huge iounmap"), "%s%s: check after iounmap", g, tag);
	vmc_arena_destroy(a);
}

/* 4.: a PUD leaf over a 1 GiB device region (64-bit geometries). */
static void t_pud(const char *g)
{
	struct vmc_arena *a;
	unsigned long dev_size, pfn, dev_pfn, gib = 1UL << 30;
	unsigned char b = 0x3c, c = 0;
	uint64_t dev;
	char *p;
	int lvl, i;

	if (!vt_backend_has(VMC_BF_HUGE_PUD)) {
		for (i = 0; i < 5; i++)
			tap_skip("%s: PUD-leaf ioremap check %d of 5: backend "
				 "%s lacks VMC_BF_HUGE_PUD", g, i + 1,
				 vmc_backend_default()->name);
		return;
	}
	a = mk(g, 262144, 0);
	vmc_arena_device(a, &dev, &dev_size);
	dev_pfn = (unsigned long)(dev >> VMC_PAGE_SHIFT);
	p = vmc_ioremap(a, dev, gib);
	lvl = p ? leaf_level(a, (unsigned long)p + gib / 2, &pfn) : -1;
	tap_ok(p && lvl == 2 && pfn == dev_pfn + (gib / 2 >> VMC_PAGE_SHIFT),
	       "%s: 1 GiB aligned ioremap uses a PUD leaf (level %d)", g, lvl);
	tap_ok(p && !vmc_write(a, p + gib / 2 + 5, &b, 1) &&
	       ((unsigned char *)vmc_kaddr(a, pfn))[5] == 0x3c &&
	       !vmc_read(a, p + gib / 2 + 5, &c, 1) && c == 0x3c,
	       "%s: data through the PUD leaf", g);
	tap_ok(vt_clean(a, "PUD ioremap"), "%s: check after PUD ioremap", g);
	tap_ok(vmc_iounmap(a, p) == 0, "%s: iounmap of the PUD mapping", g);
	vmc_purge(a);
	tap_ok(vmc_read(a, p + gib / 2, &c, 1) == -EFAULT && vt_clean(a, "PUD iounmap"),
	       "%s: gone after iounmap + purge", g);
	vmc_arena_destroy(a);
}

/* 5.: bad calls. */
static void t_errors(const char *g)
{
	struct vmc_arena *a = mk(g, 0, 0);
	unsigned long dev_size, w, nb, ram, frame = 0;
	void *p, *v, *r;
	uint64_t dev;

	vmc_arena_device(a, &dev, &dev_size);
	/* RAM: the first frame on sim; elsewhere a frame allocated for it. */
	if (vmc_arena_ops(a) == &vmc_sim_ops)
		ram = vmc_sim_ram_base_pfn(vmc_arena_backend_state(a));
	else if (vmc_frame_alloc(a, VMC_NUMA_NO_NODE, &frame))
		ram = 0;
	else
		ram = frame;
	ram <<= VMC_PAGE_SHIFT;
	p = vmc_ioremap(a, dev, 3 * VMC_PAGE_SIZE);
	v = vmc_vmalloc(a, 2 * VMC_PAGE_SIZE);
	tap_ok(p && v, "%s: an ioremap and a vmalloc to play with", g);
	nb = busy(a);

#define BAD_MAP(call, what)                                                 \
	do {                                                                \
		w = warnings(a);                                            \
		r = (call);                                                 \
		tap_ok(!r && vmc_last_error(a) == -EINVAL &&                \
		       warnings(a) == w + 1 && busy(a) == nb,               \
		       "%s: %s: NULL -EINVAL, warned, nothing changed", g,   \
		       what);                                               \
	} while (0)

	BAD_MAP(vmc_ioremap(a, ram, VMC_PAGE_SIZE), "ioremap of RAM");
	BAD_MAP(vmc_ioremap(a, dev + dev_size, VMC_PAGE_SIZE), "ioremap past the device region");
	BAD_MAP(vmc_ioremap(a, dev + dev_size - VMC_PAGE_SIZE, 2 * VMC_PAGE_SIZE),
		"ioremap straddling the region's end");
	BAD_MAP(vmc_ioremap(a, dev - VMC_PAGE_SIZE, 2 * VMC_PAGE_SIZE),
		"ioremap straddling the region's start");
	BAD_MAP(vmc_ioremap(a, dev, 0), "ioremap of size 0");
	BAD_MAP(vmc_ioremap(a, UINT64_MAX - 0xfff, 0x2000), "ioremap wrapping around");
#undef BAD_MAP

#define BAD_UNMAP(addr, what)                                               \
	do {                                                                \
		w = warnings(a);                                            \
		tap_ok(vmc_iounmap(a, (addr)) == -EINVAL &&                 \
		       warnings(a) == w + 1 && busy(a) == nb,               \
		       "%s: iounmap %s: -EINVAL, warned, nothing changed",   \
		       g, what);                                            \
	} while (0)

	BAD_UNMAP(v, "of a vmalloc area");
	BAD_UNMAP((char *)p + VMC_PAGE_SIZE, "of an interior page");
	BAD_UNMAP((void *)(a->start + 0x123456000UL % (a->end - a->start)),
		  "of a random address");
	BAD_UNMAP((void *)(a->end + VMC_PAGE_SIZE), "past the arena");
	tap_ok(vmc_find_vm_area(a, v) && vmc_find_vm_area(a, p),
	       "%s: both areas still there", g);
	tap_ok(vt_clean(a, "bad calls"), "%s: check after bad calls", g);
	tap_ok(vmc_iounmap(a, (char *)p + 0xfff) == 0,
	       "%s: iounmap inside the first page rounds down and works", g);
	nb = busy(a);
	BAD_UNMAP(p, "twice");
#undef BAD_UNMAP
	tap_ok(vmc_vfree(a, v) == 0 && busy(a) == 0, "%s: vfree the vmalloc area", g);
	if (frame)
		vmc_frame_free(a, frame);
	tap_ok(vt_clean(a, "errors done"), "%s: check at the end", g);
	vmc_arena_destroy(a);
}

/* 6.: a failure injected at every allocation point leaves nothing behind. */
static void t_faults(const char *g)
{
	static const enum vmc_fault_kind kinds[] = { VMC_FAULT_META, VMC_FAULT_TABLE };
	unsigned long dev_size, n, k, failed = 0, ok = 1;
	struct vmc_stats st0, st1;
	uint64_t dev;
	void *p;

	for (k = 0; k < 2; k++) {
		for (n = 1; n < 32; n++) {
			/* A fresh arena each time: every table must be made. */
			struct vmc_arena *a = mk(g, 0, 0);
			unsigned long before = vmc_fault_count(a, kinds[k]);
			bool done;

			vmc_arena_device(a, &dev, &dev_size);
			vmc_get_stats(a, &st0);
			vmc_fault_set(a, kinds[k], n);
			p = vmc_ioremap(a, dev + 0x3000, 0x5000);
			vmc_fault_set(a, kinds[k], 0);
			done = p && vmc_fault_count(a, kinds[k]) - before < n;
			if (!p) {
				failed++;
				vmc_get_stats(a, &st1);
				if (vmc_last_error(a) != -ENOMEM ||
				    st1.nr_busy != st0.nr_busy ||
				    st1.nr_lazy != st0.nr_lazy ||
				    st1.nr_free != st0.nr_free ||
				    st1.frames_data != st0.frames_data ||
				    !vt_clean(a, "injected failure")) {
					tap_diag("%s: kind %lu nth %lu: err %d busy %lu",
						 g, k, n, vmc_last_error(a), st1.nr_busy);
					ok = 0;
				}
			} else {
				vmc_iounmap(a, p);
			}
			vmc_arena_destroy(a);
			if (done)
				break;          /* every allocation point tried */
		}
	}
	tap_ok(failed >= 2 && ok,
	       "%s: %lu injected ioremap failures left the arena unchanged", g, failed);
}

int main(void)
{
	unsigned int i;

	for (i = 0; i < sizeof(geoms) / sizeof(geoms[0]); i++) {
		const char *why = vt_geom_refused(geoms[i]);

		if (why) {
			tap_skip("%s", why);
			continue;
		}
		tap_diag("geometry %s", geoms[i]);
		t_unaligned(geoms[i]);
		t_align(geoms[i]);
		t_huge(geoms[i], 0);
		t_huge(geoms[i], VMC_ARENA_NOHUGEIOMAP);
		if (strcmp(geoms[i], "i386"))
			t_pud(geoms[i]);
		t_errors(geoms[i]);
		t_faults(geoms[i]);
	}
	return tap_done();
}
