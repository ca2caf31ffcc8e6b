/* SPDX-License-Identifier: MIT */
/*
 * vmc_pages.c - the page array of an area.
 *
 * Theory
 * ------
 * 1. What it is.  Every area that maps pages (vmalloc, vmap) records, for
 *    each small page it covers, the frame behind it: one uint64_t pfn per
 *    4 KiB page, even where a huge leaf maps a run of them.  vfree reads
 *    the array to give the frames back, the checker reads it to prove that
 *    each leaf maps the frame the area owns (invariant 4), and
 *    vmalloc_to_pfn's answers are compared against it in the tests.
 *
 * 2. Where it lives.  Like Linux's __vmalloc_area_node(), a small array
 *    (at most one page of entries, 512 pfns) is ordinary metadata (the
 *    kmalloc analogue, vmc_meta_alloc).  A larger one is itself vmalloc'ed
 *    in the same arena, on the same node and with the parent's caller tag,
 *    right after the parent's address range was reserved; vmallocinfo
 *    marks the parent " vpages".  The array area is flagged
 *    is_pages_array so that vfree refuses it and teardown frees it after
 *    the frames it lists.  Its frames count in frames_data (they belong to
 *    an area) and also in frames_arrays.
 *
 * 3. Reaching a vmalloc'ed array.  We never go through the array area's
 *    virtual mapping (that would need the MMU and, on the sim backend, the
 *    TLB); entry i lives in page i / 512 of the array area, at byte
 *    (i % 512) * 8 of that frame's direct map.  The frame of that page is
 *    found the same way in the array area's own array, so an array of
 *    more than 512 * 512 entries simply recurses one level deeper.
 *
 * 4. Freeing.  vmc_pages_free() gives a vmalloc'ed array back like any
 *    vfree (unmap, lazy VA); vmc_pages_discard() is the error-path form,
 *    which leaves no lazy area behind, so a failed call changes nothing.
 *
 * Invariant kept: vm->pages and vm->pages_vm are never both set, and
 * pages_cap is the number of entries the array can hold (its contents
 * beyond pub.nr_pages are meaningless).
 */
#include "vmc_internal.h"

#define VMC_PFNS_PER_PAGE (VMC_PAGE_SIZE / sizeof(uint64_t))

int vmc_pages_alloc(struct vmc_arena *a, struct vmc_vm *vm, unsigned int nr,
		    int node)
{
	unsigned long bytes = (unsigned long)nr * sizeof(uint64_t);
	struct vmc_vm *arr;
	int err = 0;

	VMC_VERIFY(!vm->pages && !vm->pages_vm);
	VMC_VERIFY(nr > 0);

	if (bytes <= VMC_PAGE_SIZE) {
		vm->pages = vmc_meta_alloc(a, bytes);
		if (!vm->pages)
			return -ENOMEM;
		vm->pages_cap = nr;
		return 0;
	}

	arr = vmc__vmalloc_node_range(a, bytes, VMC_PAGE_SIZE, a->start, a->end,
				      VMC_GFP_ZERO, VMC_PROT_KERNEL,
				      VMC_VM_ALLOC, node, vm->pub.caller, &err);
	if (!arr)
		return err ? err : -ENOMEM;
	arr->is_pages_array = true;
	a->frames_arrays += arr->pub.nr_pages;
	vm->pages_vm = arr;
	vm->pages_cap = nr;
	return 0;
}

/* Detach the array from vm; returns the array area, if any. */
static struct vmc_vm *vmc_pages_detach(struct vmc_arena *a, struct vmc_vm *vm)
{
	struct vmc_vm *arr = vm->pages_vm;

	vmc_meta_free(a, vm->pages);
	vm->pages = NULL;
	vm->pages_vm = NULL;
	vm->pages_cap = 0;
	if (arr) {
		VMC_VERIFY(a->frames_arrays >= arr->pub.nr_pages);
		a->frames_arrays -= arr->pub.nr_pages;
	}
	return arr;
}

void vmc_pages_free(struct vmc_arena *a, struct vmc_vm *vm)
{
	struct vmc_vm *arr = vmc_pages_detach(a, vm);

	if (arr)
		vmc__vfree(a, arr);
}

void vmc_pages_discard(struct vmc_arena *a, struct vmc_vm *vm)
{
	struct vmc_vm *arr = vmc_pages_detach(a, vm);

	if (arr)
		vmc__vfree_discard(a, arr);
}

/* Address (direct map) of entry i of a vmalloc'ed array. */
static uint64_t *vmc_pages_slot(struct vmc_arena *a, const struct vmc_vm *vm,
				unsigned long i)
{
	unsigned long pfn = vmc_pages_get(a, vm->pages_vm,
					  i / VMC_PFNS_PER_PAGE);
	uint64_t *page = vmc_bo_kaddr(a, pfn);

	return page + i % VMC_PFNS_PER_PAGE;
}

unsigned long vmc_pages_get(struct vmc_arena *a, const struct vmc_vm *vm,
			    unsigned long i)
{
	VMC_VERIFY3U(i, <, vm->pages_cap);
	if (vm->pages)
		return (unsigned long)vm->pages[i];
	VMC_VERIFY(vm->pages_vm != NULL);
	return (unsigned long)*vmc_pages_slot(a, vm, i);
}

unsigned long vmc_pages_get_cur(struct vmc_arena *a, const struct vmc_vm *vm,
				unsigned long i, struct vmc_pages_cur *cur)
{
	unsigned long page = i / VMC_PFNS_PER_PAGE;

	VMC_VERIFY3U(i, <, vm->pages_cap);
	if (vm->pages)
		return (unsigned long)vm->pages[i];
	if (cur->vm != vm || cur->page != page || !cur->p) {
		cur->p = vmc_pages_slot(a, vm, page * VMC_PFNS_PER_PAGE);
		cur->vm = vm;
		cur->page = page;
	}
	return (unsigned long)cur->p[i % VMC_PFNS_PER_PAGE];
}

void vmc_pages_set(struct vmc_arena *a, struct vmc_vm *vm, unsigned long i,
		   unsigned long pfn)
{
	VMC_VERIFY3U(i, <, vm->pages_cap);
	if (vm->pages) {
		vm->pages[i] = pfn;
		return;
	}
	VMC_VERIFY(vm->pages_vm != NULL);
	*vmc_pages_slot(a, vm, i) = pfn;
}
