/* SPDX-License-Identifier: MIT */
/*
 * vmc_vmalloc.c - the vmalloc family: vmalloc, vzalloc, vmalloc_node,
 * vmalloc_huge, __vmalloc_node_range, vfree, vrealloc, vmap, vunmap,
 * vmalloc_to_pfn, is_vmalloc_addr.
 *
 * Theory
 * ------
 * 1. An allocation is three things taken in order: an area (an address
 *    range with a guard page behind it, vmc_area.c), a page array
 *    (vmc_pages.c), and frames, one per small page or one per run of
 *    1 << page_order pages for a huge mapping; then the range is mapped.
 *    If any step fails, everything taken so far is given back at once
 *    (the error-path forms: vmc_area_discard, vmc_pages_discard), so a
 *    failed call leaves the arena exactly as it was -- no lazy area, no
 *    frame, no metadata.  Only page tables the populator added stay, as
 *    in Linux (they are counted in frames_tables and balance).
 *
 * 2. Huge mappings follow Linux 6.x __vmalloc_node_range(): only with
 *    VM_ALLOW_HUGE_VMAP (vmalloc_huge), only where the arena allows huge
 *    vmalloc and the backend has level-1 leaves, and only when the size
 *    per node (size / nr_nodes for "any node") reaches one PMD.  Then the
 *    size is rounded up to whole PMDs, the alignment raised to a PMD, and
 *    frames come as naturally aligned order-9 blocks.  If anything fails
 *    the whole allocation is retried once with small pages and the
 *    caller's original size and alignment.
 *
 * 3. Frames are reached by the core only through the direct map
 *    (vmc_bo_kaddr): zeroing for vzalloc, copying for vrealloc.  The
 *    virtual mapping is the user's; the core never touches it, so the
 *    TLB only ever caches what users accessed.
 *
 * 4. Freeing is lazy like Linux: vfree clears the leaves, frees frames and
 *    array at once and sends the range to the lazy set; the TLB flush
 *    comes with the next purge.
 *
 * 5. vrealloc.  Linux 6.12+ keeps an area's pages when it shrinks and
 *    only lowers requested_size.  We give the tail pages back: their
 *    leaves are cleared, the TLB is flushed over them at once (the range
 *    stays busy, so no purge would ever flush it, and the frames are
 *    reused immediately), the frames are freed and nr_pages drops; the
 *    area keeps its size and its array its capacity.  A later grow that
 *    fits in the area maps fresh frames there again ("grow in place");
 *    anything bigger moves to a new allocation, copying the old
 *    requested_size bytes, and frees the old one.  Huge areas never
 *    shrink; they only change requested_size.  With VMC_GFP_ZERO the
 *    bytes between the old and the new requested size are zeroed.
 *
 * Bad calls (a size of 0, more pages than RAM, an alignment that is not
 * a power of two, an unknown node, freeing something that is not the
 * start of the right kind of area) warn and return -EINVAL / -ENOMEM with
 * nothing changed.
 */
#include "vmc_internal.h"

#define VMC_PROT_ALL (VMC_PROT_READ | VMC_PROT_WRITE | VMC_PROT_EXEC | \
		      VMC_PROT_NOCACHE)

/*
 * The flags a __vmalloc_node_range() caller may pass (VM_ALLOC is
 * implied): those Linux's callers pass.  VM_IOREMAP or VM_MAP would make
 * a vmalloc area that iounmap / vunmap accept and cannot free.
 */
#define VMC_VMALLOC_FLAGS (VMC_VM_ALLOC | VMC_VM_USERMAP | VMC_VM_NO_GUARD | \
			   VMC_VM_ALLOW_HUGE_VMAP | VMC_VM_DMA_COHERENT)

/* The flags a vmap() caller may pass (VM_MAP is implied). */
#define VMC_VMAP_FLAGS (VMC_VM_MAP | VMC_VM_USERMAP | VMC_VM_DMA_COHERENT)

/* ---------- frames of an area ---------- */

struct vmc_get_arg {
	struct vmc_arena *a;
	struct vmc_vm *vm;
	unsigned long base;              /* page index of get()'s page 0 */
};

static unsigned long vmc_get_pfn(void *arg, unsigned long i)
{
	struct vmc_get_arg *g = arg;

	return vmc_pages_get(g->a, g->vm, g->base + i);
}

/* Map pages [from, to) of vm, which its array already lists. */
static int vmc_vm_map(struct vmc_arena *a, struct vmc_vm *vm,
		      unsigned long from, unsigned long to, unsigned int shift)
{
	struct vmc_get_arg g = { a, vm, from };

	return vmc_pt_map_pages(a, vm->pub.addr + (from << VMC_PAGE_SHIFT),
				to - from, vmc_get_pfn, &g, vm->pub.prot,
				shift);
}

/* Free the frames behind pages [from, to), in runs of page_order. */
static void vmc_vm_free_frames(struct vmc_arena *a, struct vmc_vm *vm,
			       unsigned long from, unsigned long to)
{
	unsigned int order = vm->pub.page_order;
	unsigned long i, step = 1UL << order;

	for (i = from; i < to; i += step) {
		vmc_bo_frame_free(a, vmc_pages_get(a, vm, i), order);
		VMC_VERIFY3U(a->frames_data, >=, step);
		a->frames_data -= step;
	}
}

/*
 * Allocate frames for pages [from, to) and record them in the array;
 * zero them through the direct map if asked.  On failure the frames this
 * call took are freed again.
 */
static int vmc_vm_alloc_frames(struct vmc_arena *a, struct vmc_vm *vm,
			       unsigned long from, unsigned long to, int node,
			       bool zero)
{
	unsigned int order = vm->pub.page_order;
	unsigned long i, j, pfn, step = 1UL << order;
	int err;

	for (i = from; i < to; i += step) {
		err = vmc_bo_frame_alloc(a, node, order, &pfn);
		if (err) {
			vmc_vm_free_frames(a, vm, from, i);
			return err;
		}
		a->frames_data += step;
		for (j = 0; j < step; j++) {
			vmc_pages_set(a, vm, i + j, pfn + j);
			if (zero)
				vmc_bo_frame_zero(a, pfn + j);
		}
	}
	return 0;
}

/* Zero bytes [from, to) of vm's pages through the direct map. */
static void vmc_vm_zero(struct vmc_arena *a, struct vmc_vm *vm,
			unsigned long from, unsigned long to)
{
	while (from < to) {
		unsigned long off = from & (VMC_PAGE_SIZE - 1);
		unsigned long n = VMC_MIN(VMC_PAGE_SIZE - off, to - from);
		unsigned char *p = vmc_bo_kaddr(a, vmc_pages_get(a, vm,
					from >> VMC_PAGE_SHIFT));

		memset(p + off, 0, n);
		from += n;
	}
}

/* Copy the first len bytes of src's pages to dst's (direct map). */
static void vmc_vm_copy(struct vmc_arena *a, struct vmc_vm *dst,
			struct vmc_vm *src, unsigned long len)
{
	unsigned long off;

	for (off = 0; off < len; off += VMC_PAGE_SIZE) {
		unsigned long i = off >> VMC_PAGE_SHIFT;
		unsigned long n = VMC_MIN(VMC_PAGE_SIZE, len - off);

		memcpy(vmc_bo_kaddr(a, vmc_pages_get(a, dst, i)),
		       vmc_bo_kaddr(a, vmc_pages_get(a, src, i)), n);
	}
}

/* ---------- __vmalloc_node_range ---------- */

/*
 * One attempt with a given leaf shift.  size is page aligned (a multiple
 * of 1 << shift), align a power of two >= PAGE_SIZE.
 */
static struct vmc_vm *vmc_vmalloc_try(struct vmc_arena *a,
				      unsigned long size, unsigned long align,
				      unsigned long start, unsigned long end,
				      unsigned int gfp, unsigned int prot,
				      unsigned long vm_flags, int node,
				      const char *caller, unsigned int shift,
				      int *err)
{
	unsigned long nr;
	struct vmc_vm *vm;
	int ret;

	vm = vmc_area_get(a, size, align, VMC_VM_ALLOC | vm_flags, start, end,
			  node, caller, err);
	if (!vm) {
		if (shift == VMC_PAGE_SHIFT)
			vmc_warn(a, "vmalloc error: size %lu, vm_struct "
				 "allocation failed", size);
		return NULL;
	}
	nr = vmc_area_size(vm) >> VMC_PAGE_SHIFT;
	if (nr > UINT32_MAX) {
		ret = -ENOMEM;
		goto out_area;
	}
	vm->pub.page_order = shift - VMC_PAGE_SHIFT;
	vm->pub.prot = prot;
	vm->owns_frames = true;

	ret = vmc_pages_alloc(a, vm, (unsigned int)nr, node);
	if (ret)
		goto out_area;
	ret = vmc_vm_alloc_frames(a, vm, 0, nr, node, gfp & VMC_GFP_ZERO);
	if (ret) {
		if (shift == VMC_PAGE_SHIFT)
			vmc_warn(a, "vmalloc error: size %lu, failed to allocate pages",
				 size);
		goto out_pages;
	}
	ret = vmc_vm_map(a, vm, 0, nr, shift);
	if (ret)
		goto out_frames;
	vm->pub.nr_pages = (unsigned int)nr;
	return vm;

out_frames:
	vmc_vm_free_frames(a, vm, 0, nr);
out_pages:
	vmc_pages_discard(a, vm);
out_area:
	vmc_area_discard(a, vm);
	vmc_area_release(a, vm);
	*err = ret;
	return NULL;
}

/* Can this call get PMD leaves?  Returns the shift to try first. */
static unsigned int vmc_vmalloc_shift(struct vmc_arena *a, unsigned long size,
				      unsigned long vm_flags, int node)
{
	const struct vmc_geometry *g = &a->info.geom;
	unsigned long per_node = size;
	unsigned int pmd_shift;

	if (!a->huge_vmalloc || !(vm_flags & VMC_VM_ALLOW_HUGE_VMAP) ||
	    !(g->leaf_levels & 2u) || !(a->info.features & VMC_BF_HUGE_PMD))
		return VMC_PAGE_SHIFT;
	pmd_shift = vmc_geom_shift(g, 1);
	if (node == VMC_NUMA_NO_NODE)
		per_node /= a->info.nr_nodes;
	return per_node >= (1UL << pmd_shift) ? pmd_shift : VMC_PAGE_SHIFT;
}

void *vmc__vmalloc_node_range(struct vmc_arena *a, unsigned long size,
			      unsigned long align, unsigned long start,
			      unsigned long end, unsigned int gfp,
			      unsigned int prot, unsigned long vm_flags,
			      int node, const char *caller, int *err)
{
	unsigned long real_size, try_size, try_align;
	unsigned int shift;
	struct vmc_vm *vm;

	if (!size) {
		vmc_warn(a, "vmalloc: size 0 (%s)", caller ? caller : "?");
		*err = -EINVAL;
		return NULL;
	}
	if (!vmc_align_up(size, VMC_PAGE_SIZE, &real_size) ||
	    (real_size >> VMC_PAGE_SHIFT) > a->info.nr_frames) {
		vmc_warn(a, "vmalloc error: size %lu, exceeds total pages",
			 size);
		*err = -ENOMEM;
		return NULL;
	}
	if (!vmc_is_pow2(align)) {
		vmc_warn(a, "vmalloc: alignment 0x%lx is not a power of two",
			 align);
		*err = -EINVAL;
		return NULL;
	}
	if (node != VMC_NUMA_NO_NODE &&
	    (node < 0 || (unsigned int)node >= a->info.nr_nodes)) {
		vmc_warn(a, "vmalloc: no node %d", node);
		*err = -EINVAL;
		return NULL;
	}
	if (start >= end || start < a->start || end > a->end) {
		vmc_warn(a, "vmalloc: range 0x%lx-0x%lx outside the arena",
			 start, end);
		*err = -EINVAL;
		return NULL;
	}
	if (prot & ~VMC_PROT_ALL) {
		vmc_warn(a, "vmalloc: bad prot 0x%x", prot);
		*err = -EINVAL;
		return NULL;
	}
	if (vm_flags & ~VMC_VMALLOC_FLAGS || gfp & ~VMC_GFP_ZERO) {
		vmc_warn(a, "vmalloc: bad flags 0x%lx / gfp 0x%x", vm_flags,
			 gfp);
		*err = -EINVAL;
		return NULL;
	}
	align = VMC_MAX(align, VMC_PAGE_SIZE);

	shift = vmc_vmalloc_shift(a, real_size, vm_flags, node);
	try_size = real_size;
	try_align = align;
	if (shift > VMC_PAGE_SHIFT &&
	    !vmc_align_up(real_size, 1UL << shift, &try_size))
		shift = VMC_PAGE_SHIFT;
	if (shift > VMC_PAGE_SHIFT)
		try_align = VMC_MAX(align, 1UL << shift);

	for (;;) {
		vm = vmc_vmalloc_try(a, try_size, try_align, start, end, gfp,
				     prot, vm_flags, node, caller, shift, err);
		if (vm || shift == VMC_PAGE_SHIFT)
			break;
		/* Like Linux: fall back to small pages once. */
		shift = VMC_PAGE_SHIFT;
		try_size = real_size;
		try_align = align;
	}
	if (!vm)
		return NULL;
	vm->pub.requested_size = size;
	return vm;
}

void vmc__vfree(struct vmc_arena *a, struct vmc_vm *vm)
{
	VMC_VERIFY(vm->owns_frames);
	vmc_area_remove(a, vm);
	vmc_vm_free_frames(a, vm, 0, vm->pub.nr_pages);
	vm->pub.nr_pages = 0;
	vmc_pages_free(a, vm);
	vmc_area_release(a, vm);
}

/*
 * The error-path vfree.  Such an area (a vmalloc'ed page array of an
 * allocation that failed later) was mapped but only ever reached through
 * the direct map, so no translation of it can be cached and clearing the
 * leaves without a flush is enough before the range goes back at once.
 */
void vmc__vfree_discard(struct vmc_arena *a, struct vmc_vm *vm)
{
	unsigned long addr = vm->pub.addr;

	VMC_VERIFY(vm->owns_frames);
	vmc_pt_unmap(a, addr, addr + vmc_area_size(vm));
	vmc_vm_free_frames(a, vm, 0, vm->pub.nr_pages);
	vm->pub.nr_pages = 0;
	vmc_pages_discard(a, vm);
	vmc_area_discard(a, vm);
	vmc_area_release(a, vm);
}

/* ---------- public: allocation ---------- */

static void *vmc_vmalloc_entry(struct vmc_arena *a, unsigned long size,
			       unsigned long align, unsigned long start,
			       unsigned long end, unsigned int gfp,
			       unsigned int prot, unsigned long vm_flags,
			       int node, const char *caller)
{
	struct vmc_vm *vm = NULL;
	int err = 0;

	if (a->pcpu && vmc_is_pow2(align) && align <= VMC_PAGE_SIZE &&
	    start == a->start &&
	    end == a->end && !(gfp & ~VMC_GFP_ZERO) &&
	    prot == VMC_PROT_KERNEL && !vm_flags && node == VMC_NUMA_NO_NODE)
		vm = vmc_pcpu_vmalloc(a, size, gfp, caller);
	if (!vm) {
		vmc_arena_lock(a);
		vm = vmc__vmalloc_node_range(a, size, align, start, end, gfp,
					     prot, vm_flags, node, caller,
					     &err);
		if (!vm)
			vmc_fail(a, err ? err : -ENOMEM);
		vmc_arena_unlock(a);
	}
	vmc_debug_check(a, caller ? caller : "vmalloc");
	return vm ? (void *)vm->pub.addr : NULL;
}

void *vmc_vmalloc_node_range(struct vmc_arena *a, unsigned long size,
			     unsigned long align, unsigned long start,
			     unsigned long end, unsigned int gfp,
			     unsigned int prot, unsigned long vm_flags,
			     int node, const char *caller)
{
	return vmc_vmalloc_entry(a, size, align, start, end, gfp, prot,
				 vm_flags, node,
				 caller ? caller : "__vmalloc_node_range");
}

void *vmc_vmalloc(struct vmc_arena *a, unsigned long size)
{
	return vmc_vmalloc_entry(a, size, VMC_PAGE_SIZE, a->start, a->end, 0,
				 VMC_PROT_KERNEL, 0, VMC_NUMA_NO_NODE,
				 "vmalloc");
}

void *vmc_vzalloc(struct vmc_arena *a, unsigned long size)
{
	return vmc_vmalloc_entry(a, size, VMC_PAGE_SIZE, a->start, a->end,
				 VMC_GFP_ZERO, VMC_PROT_KERNEL, 0,
				 VMC_NUMA_NO_NODE, "vzalloc");
}

void *vmc_vmalloc_node(struct vmc_arena *a, unsigned long size, int node)
{
	return vmc_vmalloc_entry(a, size, VMC_PAGE_SIZE, a->start, a->end, 0,
				 VMC_PROT_KERNEL, 0, node, "vmalloc_node");
}

void *vmc_vzalloc_node(struct vmc_arena *a, unsigned long size, int node)
{
	return vmc_vmalloc_entry(a, size, VMC_PAGE_SIZE, a->start, a->end,
				 VMC_GFP_ZERO, VMC_PROT_KERNEL, 0, node,
				 "vzalloc_node");
}

void *vmc_vmalloc_huge(struct vmc_arena *a, unsigned long size)
{
	return vmc_vmalloc_entry(a, size, VMC_PAGE_SIZE, a->start, a->end, 0,
				 VMC_PROT_KERNEL, VMC_VM_ALLOW_HUGE_VMAP,
				 VMC_NUMA_NO_NODE, "vmalloc_huge");
}

/* ---------- public: vfree ---------- */

/* The vmalloc area starting at addr, or NULL with a warning. */
static struct vmc_vm *vmc_vmalloc_area(struct vmc_arena *a,
				       unsigned long addr, const char *op)
{
	struct vmc_vm *vm = NULL;

	if (vmc_page_aligned(addr))
		vm = vmc_area_find_start(a, addr);
	if (!vm || !(vm->pub.flags & VMC_VM_ALLOC) || !vm->owns_frames ||
	    vm->is_pages_array) {
		vmc_warn(a, "%s: 0x%lx is not a vmalloc area start", op, addr);
		return NULL;
	}
	return vm;
}

int vmc_vfree(struct vmc_arena *a, const void *addr)
{
	struct vmc_vm *vm;
	int ret = 0;

	if (!addr)
		return 0;
	if (a->pcpu && !vmc_pcpu_vfree(a, (unsigned long)addr)) {
		vmc_debug_check(a, "vfree");
		return 0;
	}
	vmc_arena_lock(a);
	vm = vmc_vmalloc_area(a, (unsigned long)addr, "vfree");
	if (vm)
		vmc__vfree(a, vm);
	else
		ret = -EINVAL;
	vmc_arena_unlock(a);
	vmc_debug_check(a, "vfree");
	return ret;
}

/* ---------- public: vrealloc ---------- */

/* Give back the pages behind [nr, nr_pages) of a small-page area. */
static void vmc_vrealloc_shrink(struct vmc_arena *a, struct vmc_vm *vm,
				unsigned long nr)
{
	unsigned long start = vm->pub.addr + (nr << VMC_PAGE_SHIFT);
	unsigned long end = vm->pub.addr +
			    ((unsigned long)vm->pub.nr_pages << VMC_PAGE_SHIFT);
	unsigned long i;

	vmc_pt_unmap(a, start, end);
	vmc_bo_flush_tlb(a, start, end);
	vmc_vm_free_frames(a, vm, nr, vm->pub.nr_pages);
	for (i = nr; i < vm->pub.nr_pages; i++)
		vmc_pages_set(a, vm, i, 0);
	vm->pub.nr_pages = (unsigned int)nr;
}

/* Map fresh frames behind pages [nr_pages, nr); nothing changes on error. */
static int vmc_vrealloc_grow(struct vmc_arena *a, struct vmc_vm *vm,
			     unsigned long nr)
{
	unsigned long cur = vm->pub.nr_pages;
	int err;

	err = vmc_vm_alloc_frames(a, vm, cur, nr, vm->pub.node, false);
	if (err)
		return err;
	err = vmc_vm_map(a, vm, cur, nr, VMC_PAGE_SHIFT);
	if (err) {
		vmc_vm_free_frames(a, vm, cur, nr);
		return err;
	}
	vm->pub.nr_pages = (unsigned int)nr;
	return 0;
}

static void *vmc__vrealloc(struct vmc_arena *a, struct vmc_vm *vm,
			   unsigned long size, unsigned int gfp, int *err)
{
	unsigned long need, nr, old = vm->pub.requested_size;
	struct vmc_vm *n;
	int ret;

	if (!vmc_align_up(size, VMC_PAGE_SIZE, &need)) {
		vmc_warn(a, "vrealloc: size %lu too large", size);
		*err = -ENOMEM;
		return NULL;
	}
	nr = need >> VMC_PAGE_SHIFT;

	if (nr <= vm->pub.nr_pages ||
	    (!vm->pub.page_order && need <= vmc_area_size(vm))) {
		/* linux-6.12 keeps the pages, zeroing the tail on request. */
		if (nr < vm->pub.nr_pages && !vm->pub.page_order &&
		    !a->vnodes)
			vmc_vrealloc_shrink(a, vm, nr);
		if (a->vnodes && (gfp & VMC_GFP_ZERO) && size < old)
			vmc_vm_zero(a, vm, size, old);
		if (nr > vm->pub.nr_pages) {
			ret = vmc_vrealloc_grow(a, vm, nr);
			if (ret) {
				*err = ret;
				return NULL;
			}
		}
		if ((gfp & VMC_GFP_ZERO) && size > old)
			vmc_vm_zero(a, vm, old, size);
		vm->pub.requested_size = size;
		return (void *)vm->pub.addr;
	}

	n = vmc__vmalloc_node_range(a, size, VMC_PAGE_SIZE, a->start, a->end,
				    gfp, vm->pub.prot,
				    vm->pub.flags & ~VMC_VM_ALLOC,
				    vm->pub.node, vm->pub.caller, err);
	if (!n)
		return NULL;
	vmc_vm_copy(a, n, vm, VMC_MIN(old, size));
	vmc__vfree(a, vm);
	return (void *)n->pub.addr;
}

void *vmc_vrealloc(struct vmc_arena *a, const void *p, unsigned long size,
		   unsigned int gfp)
{
	struct vmc_vm *vm;
	void *r = NULL;
	int err = 0;

	if (gfp & ~VMC_GFP_ZERO) {
		vmc_arena_lock(a);
		vmc_warn(a, "vrealloc: bad gfp 0x%x", gfp);
		vmc_arena_unlock(a);
		return vmc_fail(a, -EINVAL);
	}
	if (!size) {
		err = vmc_vfree(a, p);
		vmc_set_error(a, err);
		return NULL;
	}
	if (!p)
		return vmc_vmalloc_entry(a, size, VMC_PAGE_SIZE, a->start,
					 a->end, gfp, VMC_PROT_KERNEL, 0,
					 VMC_NUMA_NO_NODE, "vrealloc");

	vmc_arena_lock(a);
	vm = vmc_vmalloc_area(a, (unsigned long)p, "vrealloc");
	if (!vm)
		err = -EINVAL;
	else
		r = vmc__vrealloc(a, vm, size, gfp, &err);
	if (!r)
		vmc_fail(a, err ? err : -ENOMEM);
	vmc_arena_unlock(a);
	vmc_debug_check(a, "vrealloc");
	return r;
}

/* ---------- public: vmap / vunmap ---------- */

static void *vmc__vmap(struct vmc_arena *a, const unsigned long *pfns,
		       unsigned int count, unsigned long vm_flags,
		       unsigned int prot, int *err)
{
	struct vmc_vm *vm;
	unsigned int i;
	int ret;

	if (!pfns || !count) {
		vmc_warn(a, "vmap: no pages");
		*err = -EINVAL;
		return NULL;
	}
	if (count > a->info.nr_frames) {
		vmc_warn(a, "vmap: %u pages exceed total pages", count);
		*err = -ENOMEM;
		return NULL;
	}
	if (vm_flags & ~VMC_VMAP_FLAGS) {
		vmc_warn(a, "vmap: bad flags 0x%lx", vm_flags);
		*err = -EINVAL;
		return NULL;
	}
	if (prot & ~VMC_PROT_ALL) {
		vmc_warn(a, "vmap: bad prot 0x%x", prot);
		*err = -EINVAL;
		return NULL;
	}
	*err = vmc_bo_check_ram(a, "vmap", pfns, count);
	if (*err)
		return NULL;

	vm = vmc_area_get(a, (unsigned long)count << VMC_PAGE_SHIFT,
			  VMC_PAGE_SIZE, VMC_VM_MAP | vm_flags, a->start,
			  a->end, VMC_NUMA_NO_NODE, "vmap", err);
	if (!vm)
		return NULL;
	vm->pub.prot = prot & ~VMC_PROT_EXEC;   /* Linux: pgprot_nx() */
	ret = vmc_pages_alloc(a, vm, count, VMC_NUMA_NO_NODE);
	if (ret)
		goto out_area;
	for (i = 0; i < count; i++)
		vmc_pages_set(a, vm, i, pfns[i]);
	ret = vmc_vm_map(a, vm, 0, count, VMC_PAGE_SHIFT);
	if (ret)
		goto out_pages;
	vm->pub.nr_pages = count;
	vmc_hf_get(a, pfns, count);
	return (void *)vm->pub.addr;

out_pages:
	vmc_pages_discard(a, vm);
out_area:
	vmc_area_discard(a, vm);
	vmc_area_release(a, vm);
	*err = ret;
	return NULL;
}

void *vmc_vmap(struct vmc_arena *a, const unsigned long *pfns,
	       unsigned int count, unsigned long vm_flags, unsigned int prot)
{
	void *p;
	int err = 0;

	vmc_arena_lock(a);
	p = vmc__vmap(a, pfns, count, vm_flags, prot, &err);
	if (!p)
		vmc_fail(a, err ? err : -ENOMEM);
	vmc_arena_unlock(a);
	vmc_debug_check(a, "vmap");
	return p;
}

int vmc_vunmap(struct vmc_arena *a, const void *addr)
{
	unsigned long va = (unsigned long)addr;
	struct vmc_vm *vm;
	int ret = 0;

	if (!addr)
		return 0;
	vmc_arena_lock(a);
	vm = vmc_area_find_start(a, va);
	if (!vm || !(vm->pub.flags & VMC_VM_MAP) || vm->owns_frames) {
		vmc_warn(a, "vunmap: 0x%lx is not a vmap area start", va);
		ret = -EINVAL;
	} else {
		vmc_area_remove(a, vm);
		vmc_hf_put_vm(a, vm);
		vm->pub.nr_pages = 0;
		vmc_pages_free(a, vm);
		vmc_area_release(a, vm);
	}
	vmc_arena_unlock(a);
	vmc_debug_check(a, "vunmap");
	return ret;
}

/* ---------- public: lookups ---------- */

int vmc_vmalloc_to_pfn(struct vmc_arena *a, const void *addr,
		       unsigned long *pfn)
{
	unsigned long va = (unsigned long)addr;
	int ret;

	if (!pfn)
		return -EINVAL;
	if (va < a->start || va >= a->end)
		return -EFAULT;
	vmc_arena_lock(a);
	ret = vmc_pt_lookup(a, va, pfn, NULL, NULL);
	vmc_arena_unlock(a);
	return ret ? -EFAULT : 0;
}

bool vmc_is_vmalloc_addr(const struct vmc_arena *a, const void *addr)
{
	unsigned long va = (unsigned long)addr;

	return va >= a->start && va < a->end;
}
