/* SPDX-License-Identifier: MIT */
/*
 * test_badinput.c - every entry point of vmcore.h, called as a hostile
 * caller would, from one table.
 *
 * Theory: a bad call must (1) return the errno the API documents (for
 * calls that return an address: NULL, and the errno in vmc_last_error),
 * (2) warn where vmcore.h says a bad call warns, and (3) change nothing:
 * vmc_check() stays clean, and the statistics (frames of every kind, busy,
 * lazy and free counts, purges, flushes) and the whole /proc/vmallocinfo
 * dump are byte for byte what they were before the call.  The arena holds
 * one of everything a bad call can aim at (see the picture in setup()),
 * including already-freed ones for the double frees, so each row names one
 * call and one bad argument class, and the table is printed at the end as
 * "call | errno | clean" for the report.
 *
 * A row that may search the VA space for a fit that is not there (a size
 * beyond the arena, a huge alignment) makes the allocator purge the lazy
 * set and retry, as Linux does; those rows (flag P) run after a purge, so
 * the purge they trigger finds nothing to do and leaves nothing changed.
 * They come last, so the lazy double-free targets are still lazy before.
 * Runs on the backend chosen by VMC_BACKEND (once per userspace backend).
 */
#include <stdint.h>

#include "vmc_test.h"

#define PG      VMC_PAGE_SIZE
#define W       0x1u    /* must warn */
#define P       0x2u    /* may purge: run after a purge */
#define NOARENA 0x4u    /* does not use the arena under test */

struct ctx {
	struct vmc_arena *a;
	unsigned long start, end;
	uint64_t dphys;
	unsigned long dsize;
	unsigned long f[8];             /* held frames */
	unsigned long pfn_freed;        /* handed out, then freed */
	unsigned long pfn_never;        /* RAM, never handed out */
	unsigned long pfn_live;         /* a frame of the vmalloc area p */
	unsigned long pfn_table;        /* the root page table */
	unsigned long pfn_dev;          /* first device frame */
	unsigned long pfn_out;          /* not RAM at all */
	unsigned long ram_phys;         /* physical address of a RAM frame */
	char *p;                        /* vmalloc, 3 pages (+ guard) */
	char *v;                        /* vmap of f[0], f[1] */
	char *v_ro;                     /* vmap of f[4], read only */
	char *r;                        /* vm_map_ram of f[2], f[3] */
	char *io;                       /* ioremap of 2 device pages */
	char *g;                        /* get_vm_area, 2 pages */
	char *p_lazy, *v_lazy, *io_lazy, *g_lazy, *r_dirty; /* freed ones */
	char *hole;                     /* free VA inside the arena */
};

static struct ctx C;
#define A (C.a)

static const char *errname(int e)
{
	switch (e) {
	case 0: return "0";
	case 1: return "success";
	case -EINVAL: return "-EINVAL";
	case -ENOMEM: return "-ENOMEM";
	case -EFAULT: return "-EFAULT";
	case -EBUSY: return "-EBUSY";
	case -ENOENT: return "-ENOENT";
	default: return "other";
	}
}

static int np(const void *q)            /* address calls: 1 if it worked */
{
	return q ? 1 : vmc_last_error(A);
}

static int create(struct vmc_arena_config *cfg)
{
	struct vmc_arena *b = NULL;
	int err = vmc_arena_create(cfg, &b);

	if (!err) {
		vmc_arena_destroy(b);
		return 1;
	}
	return err;
}

static int create_with(const char *geom, unsigned long start,
		       unsigned long size, unsigned int flags,
		       unsigned int features_off, int no_ops)
{
	struct vmc_arena_config cfg;

	memset(&cfg, 0, sizeof(cfg));
	cfg.ops = no_ops ? NULL : vt_backend();
	cfg.geometry = geom;
	cfg.nr_frames = 1024;
	cfg.start = start;
	cfg.size = size;
	cfg.flags = flags | VMC_ARENA_QUIET;
	cfg.features_off = features_off;
	return create(&cfg);
}

/*
 * The table.  X(name, flags, expected, expression): the expression is
 * the call, its value the errno it got (address calls through np(), so
 * a call that wrongly succeeds gives 1).
 */
#define ROWS(X) \
X("arena_create(NULL cfg)", NOARENA, -EINVAL, vmc_arena_create(NULL, &b0)) \
X("arena_create(NULL out)", NOARENA, -EINVAL, create_null_out()) \
X("arena_create(no ops)", NOARENA, -EINVAL, create_with(NULL, 0, 0, 0, 0, 1)) \
X("arena_create(geometry \"mips\")", NOARENA, -EINVAL, create_with("mips", 0, 0, 0, 0, 0)) \
X("arena_create(start unaligned)", NOARENA, -EINVAL, create_with(NULL, C.start + 7, 0, 0, 0, 0)) \
X("arena_create(size unaligned)", NOARENA, -EINVAL, create_with(NULL, 0, PG + 1, 0, 0, 0)) \
X("arena_create(start below space)", NOARENA, -EINVAL, create_with(NULL, PG, PG, 0, 0, 0)) \
X("arena_create(size beyond space)", NOARENA, -EINVAL, create_with(NULL, 0, 1UL << 62, 0, 0, 0)) \
X("arena_create(start+size wraps)", NOARENA, -EINVAL, create_with(NULL, C.start, -C.start, 0, 0, 0)) \
X("arena_create(unknown flags)", NOARENA, -EINVAL, create_with(NULL, 0, 0, 0x100, 0, 0)) \
X("arena_create(unknown features_off)", NOARENA, -EINVAL, create_with(NULL, 0, 0, 0, 0x8000, 0)) \
X("arena_range(NULL)", 0, -EINVAL, vmc_arena_range(A, NULL, NULL)) \
X("arena_device(NULL)", 0, -EINVAL, vmc_arena_device(A, NULL, NULL)) \
X("get_stats(NULL)", 0, -EINVAL, vmc_get_stats(A, NULL)) \
X("vmalloc(0)", W, -EINVAL, np(vmc_vmalloc(A, 0))) \
X("vmalloc(SIZE_MAX)", W, -ENOMEM, np(vmc_vmalloc(A, SIZE_MAX))) \
X("vmalloc(more pages than RAM)", W, -ENOMEM, np(vmc_vmalloc(A, 1UL << 40))) \
X("vzalloc(0)", W, -EINVAL, np(vmc_vzalloc(A, 0))) \
X("vzalloc(SIZE_MAX)", W, -ENOMEM, np(vmc_vzalloc(A, SIZE_MAX))) \
X("vmalloc_node(node 7)", W, -EINVAL, np(vmc_vmalloc_node(A, PG, 7))) \
X("vmalloc_node(node -2)", W, -EINVAL, np(vmc_vmalloc_node(A, PG, -2))) \
X("vzalloc_node(node INT_MAX)", W, -EINVAL, np(vmc_vzalloc_node(A, PG, INT_MAX))) \
X("vmalloc_huge(0)", W, -EINVAL, np(vmc_vmalloc_huge(A, 0))) \
X("vmalloc_huge(SIZE_MAX)", W, -ENOMEM, np(vmc_vmalloc_huge(A, SIZE_MAX))) \
X("node_range(size 0)", W, -EINVAL, np(vmc_vmalloc_node_range(A, 0, PG, C.start, C.end, 0, VMC_PROT_KERNEL, 0, -1, NULL))) \
X("node_range(align 3)", W, -EINVAL, np(vmc_vmalloc_node_range(A, PG, 3, C.start, C.end, 0, VMC_PROT_KERNEL, 0, -1, NULL))) \
X("node_range(align 0x3000)", W, -EINVAL, np(vmc_vmalloc_node_range(A, PG, 3 * PG, C.start, C.end, 0, VMC_PROT_KERNEL, 0, -1, NULL))) \
X("node_range(inverted range)", W, -EINVAL, np(vmc_vmalloc_node_range(A, PG, PG, C.end - PG, C.start, 0, VMC_PROT_KERNEL, 0, -1, NULL))) \
X("node_range(empty range)", W, -EINVAL, np(vmc_vmalloc_node_range(A, PG, PG, C.start, C.start, 0, VMC_PROT_KERNEL, 0, -1, NULL))) \
X("node_range(range below arena)", W, -EINVAL, np(vmc_vmalloc_node_range(A, PG, PG, C.start - PG, C.end, 0, VMC_PROT_KERNEL, 0, -1, NULL))) \
X("node_range(range above arena)", W, -EINVAL, np(vmc_vmalloc_node_range(A, PG, PG, C.start, C.end + PG, 0, VMC_PROT_KERNEL, 0, -1, NULL))) \
X("node_range(prot 0xfff0)", W, -EINVAL, np(vmc_vmalloc_node_range(A, PG, PG, C.start, C.end, 0, 0xfff0, 0, -1, NULL))) \
X("node_range(flags VM_IOREMAP)", W, -EINVAL, np(vmc_vmalloc_node_range(A, PG, PG, C.start, C.end, 0, VMC_PROT_KERNEL, VMC_VM_IOREMAP, -1, NULL))) \
X("node_range(flags VM_MAP)", W, -EINVAL, np(vmc_vmalloc_node_range(A, PG, PG, C.start, C.end, 0, VMC_PROT_KERNEL, VMC_VM_MAP, -1, NULL))) \
X("node_range(flags 1<<31)", W, -EINVAL, np(vmc_vmalloc_node_range(A, PG, PG, C.start, C.end, 0, VMC_PROT_KERNEL, 1UL << 31, -1, NULL))) \
X("node_range(gfp 0x80)", W, -EINVAL, np(vmc_vmalloc_node_range(A, PG, PG, C.start, C.end, 0x80, VMC_PROT_KERNEL, 0, -1, NULL))) \
X("node_range(node 9)", W, -EINVAL, np(vmc_vmalloc_node_range(A, PG, PG, C.start, C.end, 0, VMC_PROT_KERNEL, 0, 9, NULL))) \
X("vfree(interior)", W, -EINVAL, vmc_vfree(A, C.p + PG)) \
X("vfree(random)", W, -EINVAL, vmc_vfree(A, C.p + 0x123)) \
X("vfree(guard page)", W, -EINVAL, vmc_vfree(A, C.p + 3 * PG)) \
X("vfree(double, lazy)", W, -EINVAL, vmc_vfree(A, C.p_lazy)) \
X("vfree(free VA)", W, -EINVAL, vmc_vfree(A, C.hole)) \
X("vfree(outside arena)", W, -EINVAL, vmc_vfree(A, (void *)PG)) \
X("vfree(vmap area)", W, -EINVAL, vmc_vfree(A, C.v)) \
X("vfree(ioremap area)", W, -EINVAL, vmc_vfree(A, C.io)) \
X("vfree(get_vm_area area)", W, -EINVAL, vmc_vfree(A, C.g)) \
X("vfree(vm_map_ram)", W, -EINVAL, vmc_vfree(A, C.r)) \
X("vrealloc(interior)", W, -EINVAL, np(vmc_vrealloc(A, C.p + PG, PG, 0))) \
X("vrealloc(double, lazy)", W, -EINVAL, np(vmc_vrealloc(A, C.p_lazy, PG, 0))) \
X("vrealloc(vmap area)", W, -EINVAL, np(vmc_vrealloc(A, C.v, PG, 0))) \
X("vrealloc(SIZE_MAX)", W, -ENOMEM, np(vmc_vrealloc(A, C.p, SIZE_MAX, 0))) \
X("vrealloc(gfp 0x80)", W, -EINVAL, np(vmc_vrealloc(A, C.p, 2 * PG, 0x80))) \
X("vmap(NULL pfns)", W, -EINVAL, np(vmc_vmap(A, NULL, 1, 0, VMC_PROT_KERNEL))) \
X("vmap(count 0)", W, -EINVAL, np(vmc_vmap(A, C.f, 0, 0, VMC_PROT_KERNEL))) \
X("vmap(count UINT_MAX)", W, -ENOMEM, np(vmc_vmap(A, C.f, UINT32_MAX, 0, VMC_PROT_KERNEL))) \
X("vmap(freed pfn)", W, -EINVAL, np(vmc_vmap(A, &C.pfn_freed, 1, 0, VMC_PROT_KERNEL))) \
X("vmap(never allocated pfn)", W, -EINVAL, np(vmc_vmap(A, &C.pfn_never, 1, 0, VMC_PROT_KERNEL))) \
X("vmap(live vmalloc pfn)", W, -EINVAL, np(vmc_vmap(A, &C.pfn_live, 1, 0, VMC_PROT_KERNEL))) \
X("vmap(page-table pfn)", W, -EINVAL, np(vmc_vmap(A, &C.pfn_table, 1, 0, VMC_PROT_KERNEL))) \
X("vmap(device pfn)", W, -EINVAL, np(vmc_vmap(A, &C.pfn_dev, 1, 0, VMC_PROT_KERNEL))) \
X("vmap(pfn outside RAM)", W, -EINVAL, np(vmc_vmap(A, &C.pfn_out, 1, 0, VMC_PROT_KERNEL))) \
X("vmap(good, then freed pfn)", W, -EINVAL, np(vmc_vmap(A, two_bad(), 2, 0, VMC_PROT_KERNEL))) \
X("vmap(flags VM_ALLOC)", W, -EINVAL, np(vmc_vmap(A, C.f, 1, VMC_VM_ALLOC, VMC_PROT_KERNEL))) \
X("vmap(flags VM_IOREMAP)", W, -EINVAL, np(vmc_vmap(A, C.f, 1, VMC_VM_IOREMAP, VMC_PROT_KERNEL))) \
X("vmap(prot 0xfff0)", W, -EINVAL, np(vmc_vmap(A, C.f, 1, 0, 0xfff0))) \
X("vunmap(interior)", W, -EINVAL, vmc_vunmap(A, C.v + PG)) \
X("vunmap(random)", W, -EINVAL, vmc_vunmap(A, C.v + 0x10)) \
X("vunmap(double, lazy)", W, -EINVAL, vmc_vunmap(A, C.v_lazy)) \
X("vunmap(free VA)", W, -EINVAL, vmc_vunmap(A, C.hole)) \
X("vunmap(vmalloc area)", W, -EINVAL, vmc_vunmap(A, C.p)) \
X("vunmap(ioremap area)", W, -EINVAL, vmc_vunmap(A, C.io)) \
X("vunmap(vm_map_ram)", W, -EINVAL, vmc_vunmap(A, C.r)) \
X("vm_map_ram(NULL pfns)", W, -EINVAL, np(vmc_vm_map_ram(A, NULL, 1, -1))) \
X("vm_map_ram(count 0)", W, -EINVAL, np(vmc_vm_map_ram(A, C.f, 0, -1))) \
X("vm_map_ram(freed pfn)", W, -EINVAL, np(vmc_vm_map_ram(A, &C.pfn_freed, 1, -1))) \
X("vm_map_ram(never allocated pfn)", W, -EINVAL, np(vmc_vm_map_ram(A, &C.pfn_never, 1, -1))) \
X("vm_map_ram(live vmalloc pfn)", W, -EINVAL, np(vmc_vm_map_ram(A, &C.pfn_live, 1, -1))) \
X("vm_map_ram(page-table pfn)", W, -EINVAL, np(vmc_vm_map_ram(A, &C.pfn_table, 1, -1))) \
X("vm_map_ram(device pfn)", W, -EINVAL, np(vmc_vm_map_ram(A, &C.pfn_dev, 1, -1))) \
X("vm_unmap_ram(count 3 of 2)", W, -EINVAL, vmc_vm_unmap_ram(A, C.r, 3)) \
X("vm_unmap_ram(count 1 of 2)", W, -EINVAL, vmc_vm_unmap_ram(A, C.r, 1)) \
X("vm_unmap_ram(count 0)", W, -EINVAL, vmc_vm_unmap_ram(A, C.r, 0)) \
X("vm_unmap_ram(count 100 of 2)", W, -EINVAL, vmc_vm_unmap_ram(A, C.r, 100)) \
X("vm_unmap_ram(interior)", W, -EINVAL, vmc_vm_unmap_ram(A, C.r + PG, 1)) \
X("vm_unmap_ram(random)", W, -EINVAL, vmc_vm_unmap_ram(A, C.r + 0x40, 2)) \
X("vm_unmap_ram(double)", W, -EINVAL, vmc_vm_unmap_ram(A, C.r_dirty, 2)) \
X("vm_unmap_ram(vmalloc area)", W, -EINVAL, vmc_vm_unmap_ram(A, C.p, 3)) \
X("vm_unmap_ram(outside arena)", W, -EINVAL, vmc_vm_unmap_ram(A, (void *)PG, 1)) \
X("ioremap(size 0)", W, -EINVAL, np(vmc_ioremap(A, C.dphys, 0))) \
X("ioremap(phys+size wraps)", W, -EINVAL, np(vmc_ioremap(A, UINT64_MAX - 10, 100))) \
X("ioremap(size SIZE_MAX)", W, -EINVAL, np(vmc_ioremap(A, C.dphys, SIZE_MAX))) \
X("ioremap(RAM)", W, -EINVAL, np(vmc_ioremap(A, C.ram_phys, PG))) \
X("ioremap(phys 0)", W, -EINVAL, np(vmc_ioremap(A, 0, PG))) \
X("ioremap(past device end)", W, -EINVAL, np(vmc_ioremap(A, C.dphys + C.dsize - PG, 2 * PG))) \
X("ioremap_prot(prot 0)", W, -EINVAL, np(vmc_ioremap_prot(A, C.dphys, PG, 0))) \
X("ioremap_prot(prot 0xfff0)", W, -EINVAL, np(vmc_ioremap_prot(A, C.dphys, PG, 0xfff0))) \
X("ioremap_prot(prot READ|EXEC)", W, -EINVAL, np(vmc_ioremap_prot(A, C.dphys, PG, VMC_PROT_READ | VMC_PROT_EXEC))) \
X("iounmap(interior page)", W, -EINVAL, vmc_iounmap(A, C.io + PG)) \
X("iounmap(double, lazy)", W, -EINVAL, vmc_iounmap(A, C.io_lazy)) \
X("iounmap(free VA)", W, -EINVAL, vmc_iounmap(A, C.hole)) \
X("iounmap(vmalloc area)", W, -EINVAL, vmc_iounmap(A, C.p)) \
X("iounmap(vmap area)", W, -EINVAL, vmc_iounmap(A, C.v)) \
X("vmalloc_to_pfn(NULL out)", 0, -EINVAL, vmc_vmalloc_to_pfn(A, C.p, NULL)) \
X("vmalloc_to_pfn(guard page)", 0, -EFAULT, vmc_vmalloc_to_pfn(A, C.p + 3 * PG, &pfn0)) \
X("vmalloc_to_pfn(free VA)", 0, -EFAULT, vmc_vmalloc_to_pfn(A, C.hole, &pfn0)) \
X("vmalloc_to_pfn(outside arena)", 0, -EFAULT, vmc_vmalloc_to_pfn(A, (void *)PG, &pfn0)) \
X("get_vm_area(size 0)", 0, -EINVAL, np(vmc_get_vm_area(A, 0, 0))) \
X("get_vm_area(SIZE_MAX)", 0, -ENOMEM, np(vmc_get_vm_area(A, SIZE_MAX, 0))) \
X("get_vm_area(flags 1<<31)", W, -EINVAL, np(vmc_get_vm_area(A, PG, 1UL << 31))) \
X("get_vm_area_caller(flags 1<<40)", W, -EINVAL, np(vmc_get_vm_area_caller(A, PG, 1UL << 40, "x"))) \
X("find_vm_area_info(NULL out)", 0, -EINVAL, vmc_find_vm_area_info(A, C.p, NULL)) \
X("find_vm_area_info(free VA)", 0, -ENOENT, vmc_find_vm_area_info(A, C.hole, &vm0)) \
X("find_vm_area(free VA) is NULL", 0, 0, vmc_find_vm_area(A, C.hole) != NULL) \
X("remove_vm_area(interior)", W, -EINVAL, vmc_remove_vm_area(A, C.g + PG, NULL)) \
X("remove_vm_area(random)", W, -EINVAL, vmc_remove_vm_area(A, C.g + 1, NULL)) \
X("remove_vm_area(double, lazy)", W, -EINVAL, vmc_remove_vm_area(A, C.g_lazy, NULL)) \
X("remove_vm_area(vmalloc area)", W, -EINVAL, vmc_remove_vm_area(A, C.p, NULL)) \
X("remove_vm_area(vm_map_ram)", W, -EINVAL, vmc_remove_vm_area(A, C.r, NULL)) \
X("vm_page(index 3 of 3)", 0, -EINVAL, vmc_vm_page(A, C.p, 3, &pfn0)) \
X("vm_page(not a start)", 0, -EINVAL, vmc_vm_page(A, C.p + PG, 0, &pfn0)) \
X("vm_page(NULL out)", 0, -EINVAL, vmc_vm_page(A, C.p, 0, NULL)) \
X("vmallocinfo(NULL emit)", 0, -EINVAL, vmc_vmallocinfo(A, true, NULL, NULL)) \
X("write(NULL buf)", 0, -EINVAL, vmc_write(A, C.p, NULL, 8)) \
X("write(guard page)", 0, -EFAULT, vmc_write(A, C.p + 3 * PG, buf0, 8)) \
X("write(across the guard)", 0, -EFAULT, vmc_write(A, C.p + 3 * PG - 4, buf0, 8)) \
X("write(read-only vmap)", 0, -EFAULT, vmc_write(A, C.v_ro, buf0, 8)) \
X("write(outside arena)", 0, -EFAULT, vmc_write(A, (void *)PG, buf0, 8)) \
X("write(len wraps)", 0, -EFAULT, vmc_write(A, C.p, buf0, SIZE_MAX)) \
X("read(NULL buf)", 0, -EINVAL, vmc_read(A, C.p, NULL, 8)) \
X("read(free VA)", 0, -EFAULT, vmc_read(A, C.hole, buf0, 8)) \
X("kaddr(freed pfn) is NULL", 0, 0, vmc_kaddr(A, C.pfn_freed) != NULL) \
X("kaddr(pfn outside RAM) is NULL", 0, 0, vmc_kaddr(A, C.pfn_out) != NULL) \
X("frame_alloc(node 5)", 0, -EINVAL, vmc_frame_alloc(A, 5, &pfn0)) \
X("frame_alloc(NULL out)", 0, -EINVAL, vmc_frame_alloc(A, -1, NULL)) \
X("frame_free(freed pfn)", W, -EINVAL, vmc_frame_free(A, C.pfn_freed)) \
X("frame_free(never allocated pfn)", W, -EINVAL, vmc_frame_free(A, C.pfn_never)) \
X("frame_free(live vmalloc pfn)", W, -EINVAL, vmc_frame_free(A, C.pfn_live)) \
X("frame_free(page-table pfn)", W, -EINVAL, vmc_frame_free(A, C.pfn_table)) \
X("frame_free(device pfn)", W, -EINVAL, vmc_frame_free(A, C.pfn_dev)) \
X("frame_free(pfn outside RAM)", W, -EINVAL, vmc_frame_free(A, C.pfn_out)) \
X("frame_free(pfn 0)", W, -EINVAL, vmc_frame_free(A, 0)) \
X("frame_free(vmapped frame)", W, -EBUSY, vmc_frame_free(A, C.f[0])) \
X("frame_free(vm_map_ram'ed frame)", W, -EBUSY, vmc_frame_free(A, C.f[2])) \
X("fault_set(kind 7)", 0, -EINVAL, vmc_fault_set(A, (enum vmc_fault_kind)7, 1)) \
X("fault_count(kind 7) is 0", 0, 0, (int)vmc_fault_count(A, (enum vmc_fault_kind)7)) \
X("vmalloc(beyond the arena)", W | P, -ENOMEM, np(vmc_vmalloc(A, C.end - C.start))) \
X("node_range(align 1<<62)", W | P, -ENOMEM, np(vmc_vmalloc_node_range(A, PG, 1UL << 62, C.start, C.end, 0, VMC_PROT_KERNEL, 0, -1, NULL))) \
X("node_range(size beyond range)", W | P, -ENOMEM, np(vmc_vmalloc_node_range(A, 8 * PG, PG, C.start, C.start + 4 * PG, 0, VMC_PROT_KERNEL, 0, -1, NULL))) \
X("vrealloc(beyond the arena)", W | P, -ENOMEM, np(vmc_vrealloc(A, C.p, C.end - C.start, 0))) \
X("get_vm_area(beyond the arena)", P, -ENOMEM, np(vmc_get_vm_area(A, C.end - C.start, 0)))

static struct vmc_arena *b0;
static unsigned long pfn0;
static struct vmc_vm_struct vm0;
static unsigned char buf0[16];
static unsigned long bad2[2];

static int create_null_out(void)
{
	struct vmc_arena_config cfg;

	memset(&cfg, 0, sizeof(cfg));
	cfg.ops = vt_backend();
	cfg.nr_frames = 1024;
	cfg.flags = VMC_ARENA_QUIET;
	return vmc_arena_create(&cfg, NULL);
}

static const unsigned long *two_bad(void)
{
	bad2[0] = C.f[5];
	bad2[1] = C.pfn_freed;
	return bad2;
}

struct row {
	const char *call;
	unsigned int flags;
	int err;
};

/* One function per row (the expression needs the context). */
#define X_DEF(name, flags, err, expr) { name, flags, err },
static struct row rows[] = { ROWS(X_DEF) };
#define NROWS (sizeof(rows) / sizeof(rows[0]))

static int run_expr(size_t i)
{
	size_t k = 0;

#define X_RUN(name, flags, err, expr) if (k++ == i) return (int)(expr);
	ROWS(X_RUN)
#undef X_RUN
	return 99;
}

/* ---------- snapshots ---------- */

struct snap {
	struct vmc_stats st;
	char info[16384];
	size_t len;
};

static void info_sink(void *arg, const char *line)
{
	struct snap *s = arg;
	size_t n = strlen(line);

	if (s->len + n + 2 < sizeof(s->info)) {
		memcpy(s->info + s->len, line, n);
		s->len += n;
		s->info[s->len++] = '\n';
		s->info[s->len] = 0;
	}
}

static void snap(struct snap *s)
{
	memset(s, 0, sizeof(*s));
	vmc_get_stats(A, &s->st);
	vmc_vmallocinfo(A, true, info_sink, s);
}

/* Same except the warning count; *warned tells whether it grew. */
static int same(const struct snap *x, const struct snap *y, int *warned)
{
	struct vmc_stats a = x->st, b = y->st;

	*warned = b.warnings > a.warnings;
	a.warnings = b.warnings = 0;
	return !memcmp(&a, &b, sizeof(a)) && x->len == y->len &&
	       !memcmp(x->info, y->info, x->len);
}

/* ---------- the arena every row aims at ---------- */

/*
 * The arena (32 MiB) after setup, in address order (roughly):
 *
 *   p_lazy(L) p[3]+g v[2]+g v_lazy(L) v_ro+g io[2]+g io_lazy(L) g[2]+g
 *   g_lazy(L) block{ r[2] r_dirty(D) } ...free... hole
 *
 * L: freed, still lazy (double-free targets); D: a dirty vm_map_ram chunk.
 */
static void setup(void)
{
	struct vmc_arena_config cfg;
	unsigned long pfn;
	const struct vmc_vm_struct *gv;
	int i, ok = 1;

	memset(&cfg, 0, sizeof(cfg));
	cfg.nr_frames = 4096;
	cfg.size = 32UL << 20;
	cfg.lazy_max_pages = 1UL << 20;         /* no purge on its own */
	cfg.flags = VMC_ARENA_QUIET;
	A = vt_arena_cfg(&cfg);
	vmc_arena_range(A, &C.start, &C.end);
	vmc_arena_device(A, &C.dphys, &C.dsize);

	for (i = 0; i < 8; i++)
		ok &= vmc_frame_alloc(A, -1, &C.f[i]) == 0;
	ok &= vmc_frame_alloc(A, -1, &C.pfn_freed) == 0;
	ok &= vmc_frame_free(A, C.pfn_freed) == 0;

	C.p_lazy = vmc_vmalloc(A, PG);
	C.p = vmc_vmalloc(A, 3 * PG);
	C.v = vmc_vmap(A, C.f, 2, VMC_VM_MAP, VMC_PROT_KERNEL);
	C.v_lazy = vmc_vmap(A, &C.f[6], 1, VMC_VM_MAP, VMC_PROT_KERNEL);
	C.v_ro = vmc_vmap(A, &C.f[4], 1, VMC_VM_MAP, VMC_PROT_READ);
	C.io = vmc_ioremap(A, C.dphys, 2 * PG);
	C.io_lazy = vmc_ioremap(A, C.dphys + 2 * PG, PG);
	gv = vmc_get_vm_area(A, 2 * PG, 0);
	C.g = gv ? (char *)gv->addr : NULL;
	gv = vmc_get_vm_area(A, PG, 0);
	C.g_lazy = gv ? (char *)gv->addr : NULL;
	C.r = vmc_vm_map_ram(A, &C.f[2], 2, -1);
	C.r_dirty = vmc_vm_map_ram(A, &C.f[6], 2, -1);
	ok &= C.p_lazy && C.p && C.v && C.v_lazy && C.v_ro && C.io &&
	      C.io_lazy && C.g && C.g_lazy && C.r && C.r_dirty;
	ok &= vmc_vfree(A, C.p_lazy) == 0 && vmc_vunmap(A, C.v_lazy) == 0 &&
	      vmc_iounmap(A, C.io_lazy) == 0 &&
	      vmc_remove_vm_area(A, C.g_lazy, NULL) == 0 &&
	      vmc_vm_unmap_ram(A, C.r_dirty, 2) == 0;
	C.hole = (char *)C.end - 16 * PG;
	ok &= vmc_vm_page(A, C.p, 0, &C.pfn_live) == 0;
	C.pfn_table = vmc_arena_ops(A)->root(vmc_arena_backend_state(A));
	C.pfn_dev = (unsigned long)(C.dphys >> 12);
	C.pfn_out = 5;
	/* A RAM pfn nobody has: above the held ones, no direct map. */
	for (pfn = C.f[7] + 1; vmc_kaddr(A, pfn) || pfn == C.pfn_freed; pfn++)
		;
	C.pfn_never = pfn;
	C.ram_phys = (unsigned long)C.f[7] << 12;
	if (!tap_ok(ok && vt_clean(A, "setup"), "setup: one of everything "
		    "(%s backend)", vmc_arena_ops(A)->name)) {
		printf("Bail out! setup failed\n");
		exit(99);
	}
}

/*
 * vmc_check() on a state no bad call can reach any more: a vmapped frame
 * freed behind the core's back (straight through the backend), with
 * another frame taken the same way so that every count still balances
 * (what frame_free of a live frame used to do).  It must be reported as
 * invariant 6, not abort, on every backend; giving the other frame back
 * and taking the vmapped one again repairs it.
 */
static void corrupt(void)
{
	const struct vmc_backend_ops *ops = vmc_arena_ops(A);
	void *bs = vmc_arena_backend_state(A);
	struct vmc_violation v;
	static unsigned long taken[4096];
	unsigned long other = 0, pfn = 0;
	unsigned int n;
	int bad;

	if (ops->frame_alloc(bs, -1, 0, &other)) {
		printf("Bail out! no frame for the corruption\n");
		exit(99);
	}
	ops->frame_free(bs, C.f[1], 0);
	bad = vmc_check(A, &v);
	tap_ok(bad == 6, "a vmapped frame freed behind the core's back (counts "
	       "balanced) is reported: invariant %d: %s", bad, v.msg);
	ops->frame_free(bs, other, 0);
	/* Take frames until the vmapped one is among them; free the rest. */
	for (n = 0; n < 4096 && !ops->frame_alloc(bs, -1, 0, &pfn) &&
	     pfn != C.f[1]; n++)
		taken[n] = pfn;
	while (n)
		ops->frame_free(bs, taken[--n], 0);
	if (pfn != C.f[1]) {
		printf("Bail out! the frame did not come back\n");
		exit(99);
	}
	tap_ok(vt_clean(A, "repair"), "taking the frame back repairs it");
}

int main(void)
{
	static struct snap before, after;
	static char table[NROWS][160];
	size_t i;

	tap_plan((int)NROWS + 4);
	setup();
	for (i = 0; i < NROWS; i++) {
		const struct row *r = &rows[i];
		struct vmc_violation v;
		int got, clean, unchanged, warned;

		if (r->flags & P)
			vmc_purge(A);
		snap(&before);
		got = run_expr(i);
		snap(&after);
		clean = !vmc_check(A, &v);
		unchanged = same(&before, &after, &warned);
		tap_ok(got == r->err && clean && unchanged &&
		       (warned || !(r->flags & W)),
		       "%s: %d (want %d), %s, %s, %s", r->call, got, r->err,
		       clean ? "clean" : v.msg,
		       unchanged ? "unchanged" : "CHANGED",
		       warned ? "warned" : (r->flags & W) ? "NOT warned" :
		       "quiet");
		snprintf(table[i], sizeof(table[i]), "%-40s | %-7s | %s%s",
			 r->call, errname(got), clean ? "clean" : "NOT CLEAN",
			 unchanged ? "" : ", changed");
	}
	corrupt();
	/* Everything set up goes away cleanly after all that. */
	{
		int ok = vmc_vfree(A, C.p) == 0 && vmc_vunmap(A, C.v) == 0 &&
			 vmc_vunmap(A, C.v_ro) == 0 &&
			 vmc_iounmap(A, C.io) == 0 &&
			 vmc_remove_vm_area(A, C.g, NULL) == 0 &&
			 vmc_vm_unmap_ram(A, C.r, 2) == 0;

		for (i = 0; i < 8; i++)
			ok &= vmc_frame_free(A, C.f[i]) == 0;
		vmc_purge(A);
		vmc_get_stats(A, &after.st);
		tap_ok(ok && vt_clean(A, "teardown") && !after.st.nr_busy &&
		       !after.st.frames_harness && !after.st.frames_data,
		       "teardown: every object freed, nothing held");
	}
	printf("# %-40s | %-7s | %s\n", "call", "errno", "clean");
	for (i = 0; i < NROWS; i++)
		printf("# %s\n", table[i]);
	vmc_arena_destroy(A);
	return tap_done();
}
