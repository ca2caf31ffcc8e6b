/* SPDX-License-Identifier: MIT */
/*
 * vmc_ioremap.c - ioremap and iounmap: device memory in the vmalloc space.
 *
 * Theory
 * ------
 * 1. What ioremap is for.  Device registers and memory BARs have physical
 *    addresses but no struct page and no direct-map alias; a driver gets at
 *    them through a fresh virtual mapping made in the vmalloc space.  So an
 *    ioremap is an ordinary vm_struct area (flag VM_IOREMAP) whose leaves
 *    point at a contiguous run of device frames instead of at pages the
 *    core allocated.  There is no page array and no frame to free later:
 *    the area only remembers its physical base (pub.phys_addr) and prot.
 *
 * 2. Unaligned requests.  The caller's physical address need not be page
 *    aligned.  Like Linux's generic ioremap_prot(), we split off the
 *    offset inside the first page, map whole pages from the rounded-down
 *    address, and hand back base + offset.  iounmap() accordingly rounds
 *    the pointer down to its page before looking the area up.
 *
 * 3. What may be mapped.  Only the backend's device region
 *    [info.dev_phys, + info.dev_size) is device memory.  x86 refuses to
 *    ioremap RAM (it would alias a cacheable direct-map page with an
 *    uncached one); we refuse RAM and anything outside the region alike,
 *    with a warning and -EINVAL.  A zero size or a range that wraps is
 *    also a bad call, and so is a prot without READ or with bits beyond
 *    READ, WRITE and NOCACHE (device memory is never executed).
 *
 * 4. Alignment and huge leaves.  vmc_area_get() applies the VM_IOREMAP
 *    rule (align to the size's power of two, capped at ioremap_max_order)
 *    so that a large, aligned device range can be mapped with PMD or PUD
 *    leaves.  The populator decides leaf by leaf: it uses a huge leaf only
 *    where VA and PA are both aligned and the range covers it.  We only
 *    tell it the ceiling: the largest leaf the geometry offers, or
 *    PAGE_SHIFT under nohugeiomap (Linux's ioremap_max_page_shift).
 *
 * 5. Errors.  Every failure leaves the arena as it was: an area that could
 *    not be mapped is discarded (the populator already undid its partial
 *    work), and iounmap of anything but the start of an ioremap area warns
 *    and changes nothing.
 */
#include "vmc_internal.h"

/* The prot bits ioremap_prot accepts (it needs READ; EXEC is for RAM). */
#define VMC_PROT_IOREMAP_OK (VMC_PROT_READ | VMC_PROT_WRITE | VMC_PROT_NOCACHE)

/* Largest leaf shift ioremap may use on this arena. */
static unsigned int vmc_io_max_shift(const struct vmc_arena *a)
{
	const struct vmc_geometry *g = &a->info.geom;
	unsigned int level, top = 0;

	if (!a->huge_iomap)
		return VMC_PAGE_SHIFT;
	for (level = 0; level < g->levels; level++)
		if (g->leaf_levels & (1u << level))
			top = level;
	return vmc_geom_shift(g, top);
}

/* Is [phys, phys + size) (size > 0, no wrap) inside the device region? */
static bool vmc_io_in_device(const struct vmc_arena *a, uint64_t phys,
			     uint64_t size)
{
	uint64_t dev = a->info.dev_phys, dev_size = a->info.dev_size;

	return phys >= dev && phys - dev < dev_size &&
	       size <= dev_size - (phys - dev);
}

static void *vmc__ioremap(struct vmc_arena *a, uint64_t phys,
			  unsigned long size, unsigned int prot, int *err)
{
	uint64_t last = phys + size - 1;
	unsigned long offset, mapped, addr;
	struct vmc_vm *vm;
	int ret;

	if (!size || last < phys) {
		vmc_warn(a, "ioremap: bad range phys 0x%llx size 0x%lx",
			 (unsigned long long)phys, size);
		*err = -EINVAL;
		return NULL;
	}
	if (!(prot & VMC_PROT_READ) || prot & ~VMC_PROT_IOREMAP_OK) {
		vmc_warn(a, "ioremap: bad prot 0x%x", prot);
		*err = -EINVAL;
		return NULL;
	}
	if (!vmc_io_in_device(a, phys, size)) {
		vmc_warn(a, "ioremap: 0x%llx-0x%llx is RAM or outside device memory",
			 (unsigned long long)phys, (unsigned long long)last);
		*err = -EINVAL;
		return NULL;
	}

	offset = (unsigned long)(phys & (VMC_PAGE_SIZE - 1));
	phys -= offset;
	/* Cannot overflow: the range lies inside the page-aligned region. */
	if (!vmc_align_up(size + offset, VMC_PAGE_SIZE, &mapped)) {
		*err = -EINVAL;
		return NULL;
	}

	vm = vmc_area_get(a, mapped, VMC_PAGE_SIZE, VMC_VM_IOREMAP, a->start,
			  a->end, VMC_NUMA_NO_NODE, "ioremap", err);
	if (!vm)
		return NULL;
	addr = vm->pub.addr;
	vm->pub.phys_addr = phys;
	vm->pub.prot = prot;

	ret = vmc_pt_map(a, addr, addr + mapped,
			 (unsigned long)(phys >> VMC_PAGE_SHIFT), prot,
			 vmc_io_max_shift(a));
	if (ret) {
		vmc_area_discard(a, vm);
		vmc_area_release(a, vm);
		*err = ret;
		return NULL;
	}
	return (void *)(addr + offset);
}

static int vmc__iounmap(struct vmc_arena *a, unsigned long addr)
{
	struct vmc_vm *vm;

	addr = vmc_align_down(addr, VMC_PAGE_SIZE);
	vm = vmc_area_find_start(a, addr);
	if (!vm || !(vm->pub.flags & VMC_VM_IOREMAP)) {
		vmc_warn(a, "iounmap: bad address 0x%lx", addr);
		return -EINVAL;
	}
	vmc_area_remove(a, vm);
	vmc_area_release(a, vm);
	return 0;
}

void *vmc_ioremap_prot(struct vmc_arena *a, uint64_t phys,
		       unsigned long size, unsigned int prot)
{
	void *p;
	int err = 0;

	vmc_arena_lock(a);
	p = vmc__ioremap(a, phys, size, prot, &err);
	if (!p)
		vmc_fail(a, err ? err : -ENOMEM);
	vmc_arena_unlock(a);
	vmc_debug_check(a, "ioremap");
	return p;
}

void *vmc_ioremap(struct vmc_arena *a, uint64_t phys, unsigned long size)
{
	return vmc_ioremap_prot(a, phys, size, VMC_PROT_IO);
}

int vmc_iounmap(struct vmc_arena *a, const void *addr)
{
	int ret;

	if (!addr)
		return 0;
	vmc_arena_lock(a);
	ret = vmc__iounmap(a, (unsigned long)addr);
	vmc_arena_unlock(a);
	vmc_debug_check(a, "iounmap");
	return ret;
}
