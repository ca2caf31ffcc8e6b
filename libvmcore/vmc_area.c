/* SPDX-License-Identifier: MIT */
/*
 * vmc_area.c - areas (Linux's vm_struct): reserve, find, remove, dump.
 *
 * Theory
 * ------
 * 1. Two layers.  A vmap area (struct vmc_va, vmc_va.c) is only a busy
 *    address range.  An area (struct vmc_vm) is what a user of the vmalloc
 *    space asked for on top of it: flags saying what it maps (VM_ALLOC
 *    pages the core allocated, VM_MAP pages the caller gave, VM_IOREMAP
 *    device memory), its page array, prot, node and a caller tag.  A busy
 *    vmap area carrying an area has kind VMC_VA_VM and points at it, and
 *    the area points back; the pair is made in vmc_area_get() and broken
 *    in vmc_area_remove() or vmc_area_discard().
 *
 * 2. Sizes.  Like __get_vm_area_node(), the requested size is rounded up
 *    to whole pages and, unless VM_NO_GUARD, one unmapped guard page is
 *    added behind it, so a linear overrun faults instead of landing in the
 *    next area.  pub.size includes the guard (vmallocinfo prints it so);
 *    vmc_area_size() is the usable part.  VM_IOREMAP areas are aligned to
 *    the power of two covering their size, between one page and
 *    1 << ioremap_max_order, so large device ranges can get huge leaves.
 *
 * 3. Removing.  vmc_area_remove() is remove_vm_area(): clear the leaves
 *    (no TLB flush) and move the range to the lazy set, whose purge does
 *    one flush for many frees.  vmc_area_discard() is for error paths
 *    where the range was never mapped: it gives the range back at once,
 *    so a failed call leaves the allocator exactly as it was.
 *    Neither frees frames or the page array: that is the caller's part
 *    (vfree, vunmap, iounmap, remove_vm_area) before vmc_area_release().
 *
 * 4. vmallocinfo.  The dump follows Linux 6.1's s_show(): busy areas in
 *    address order, then the lazy ("unpurged vm_area") ones, which Linux
 *    prints after the last busy area.  Like Linux (which holds the vmap
 *    lock across the whole seq_file walk), the dump runs under the arena
 *    lock: the emit callback must not call back into the arena.
 */
#include "vmc_internal.h"

struct vmc_vm *vmc_area_get(struct vmc_arena *a, unsigned long size,
			    unsigned long align, unsigned long flags,
			    unsigned long start, unsigned long end, int node,
			    const char *caller, int *err)
{
	unsigned long total;
	struct vmc_vm *vm;
	struct vmc_va *va;
	int ret;

	if (!size) {
		*err = -EINVAL;
		return NULL;
	}
	if (!vmc_align_up(size, VMC_PAGE_SIZE, &size)) {
		*err = -ENOMEM;
		return NULL;
	}
	if (flags & VMC_VM_IOREMAP) {
		int order = vmc_count_order(size);

		if (order < VMC_PAGE_SHIFT)
			order = VMC_PAGE_SHIFT;
		if (order > (int)a->ioremap_max_order)
			order = (int)a->ioremap_max_order;
		align = 1UL << order;
	}
	total = size;
	if (!(flags & VMC_VM_NO_GUARD)) {
		total += VMC_PAGE_SIZE;
		if (total < size) {
			*err = -ENOMEM;
			return NULL;
		}
	}

	/* Linux allocates the vm_struct first, then the vmap area. */
	vm = vmc_meta_alloc_kind(a, VMC_META_VM, sizeof(*vm));
	if (!vm) {
		*err = -ENOMEM;
		return NULL;
	}
	ret = vmc_va_alloc(a, total, align, start, end, &va);
	if (ret) {
		vmc_meta_free(a, vm);
		*err = ret;
		return NULL;
	}
	vmc_area_attach(vm, va, flags, node, caller);
	return vm;
}

void vmc_area_attach(struct vmc_vm *vm, struct vmc_va *va,
		     unsigned long flags, int node, const char *caller)
{
	va->kind = VMC_VA_VM;
	va->u.vm = vm;
	vm->va = va;
	vm->pub.addr = va->va_start;
	vm->pub.size = vmc_va_size(va);
	vm->pub.flags = flags;
	vm->pub.node = node;
	vm->pub.caller = caller;
}

struct vmc_vm *vmc_area_find(struct vmc_arena *a, unsigned long addr)
{
	struct vmc_va *va = vmc_va_find(a, addr);

	if (!va || va->kind != VMC_VA_VM)
		return NULL;
	return va->u.vm;
}

struct vmc_vm *vmc_area_find_start(struct vmc_arena *a, unsigned long addr)
{
	struct vmc_vm *vm = vmc_area_find(a, addr);

	if (!vm || vm->pub.addr != addr)
		return NULL;
	return vm;
}

unsigned long vmc_area_size(const struct vmc_vm *vm)
{
	if (vm->pub.flags & VMC_VM_NO_GUARD)
		return vm->pub.size;
	return vm->pub.size - VMC_PAGE_SIZE;
}

/* Break the va <-> vm link. */
static struct vmc_va *vmc_area_detach(struct vmc_vm *vm)
{
	struct vmc_va *va = vm->va;

	VMC_VERIFY(va != NULL);
	VMC_VERIFY(va->kind == VMC_VA_VM && va->u.vm == vm);
	va->kind = VMC_VA_NONE;
	va->u.vm = NULL;
	vm->va = NULL;
	return va;
}

void vmc_area_remove(struct vmc_arena *a, struct vmc_vm *vm)
{
	unsigned long addr = vm->pub.addr;
	struct vmc_va *va = vmc_area_detach(vm);

	vmc_pt_unmap(a, addr, addr + vmc_area_size(vm));
	vmc_va_free(a, va);
}

void vmc_area_discard(struct vmc_arena *a, struct vmc_vm *vm)
{
	vmc_va_free_now(a, vmc_area_detach(vm));
}

void vmc_area_release(struct vmc_arena *a, struct vmc_vm *vm)
{
	VMC_VERIFY(vm->va == NULL);
	VMC_VERIFY(!vm->pages && !vm->pages_vm);
	vmc_meta_free(a, vm);
}

/* ---------- vmallocinfo ---------- */

#define VMC_INFO_LINE 512

struct vmc_line {
	char buf[VMC_INFO_LINE];
	size_t len;
};

__attribute__((format(printf, 2, 3)))
static void vmc_line_add(struct vmc_line *l, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (l->len >= sizeof(l->buf) - 1)
		return;
	va_start(ap, fmt);
	n = vmc_env_vsnprintf(l->buf + l->len, sizeof(l->buf) - l->len, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	l->len += (size_t)n;
	if (l->len > sizeof(l->buf) - 1)
		l->len = sizeof(l->buf) - 1;
}

/* "0x<start>-0x<end> <size>", or offsets from the arena start. */
static void vmc_line_range(struct vmc_arena *a, struct vmc_line *l,
			   bool offsets, unsigned long start,
			   unsigned long end)
{
	if (offsets)
		vmc_line_add(l, "+0x%016lx-+0x%016lx %7ld", start - a->start,
			     end - a->start, (long)(end - start));
	else
		vmc_line_add(l, "0x%016lx-0x%016lx %7ld", start, end,
			     (long)(end - start));
}

/* Linux show_numa_info(): pages per node, nodes with none omitted. */
static void vmc_line_numa(struct vmc_arena *a, struct vmc_line *l,
			  const struct vmc_vm *vm)
{
	unsigned int node, nr = a->info.nr_nodes;
	unsigned long i, step = 1UL << vm->pub.page_order;

	for (node = 0; node < nr; node++) {
		unsigned int count = 0;

		for (i = 0; i < vm->pub.nr_pages; i += step)
			if (vmc_bo_frame_node(a, vmc_pages_get(a, vm, i)) ==
			    (int)node)
				count += (unsigned int)step;
		if (count)
			vmc_line_add(l, " N%u=%u", node, count);
	}
}

static void vmc_line_vm(struct vmc_arena *a, struct vmc_line *l,
			bool offsets, const struct vmc_vm *vm)
{
	const struct vmc_vm_struct *p = &vm->pub;
	bool allocated = p->flags & VMC_VM_ALLOC;

	vmc_line_range(a, l, offsets, p->addr, p->addr + p->size);
	if (p->caller)
		vmc_line_add(l, " %s", p->caller);
	/*
	 * Linux records pages only for vmalloc areas (vmap keeps none unless
	 * VM_MAP_PUT_PAGES), so only those print pages= and node counts.
	 */
	if (allocated && p->nr_pages)
		vmc_line_add(l, " pages=%u", p->nr_pages);
	if (p->phys_addr) {
		uint64_t phys = p->phys_addr;

		if (offsets && phys >= a->info.dev_phys)
			vmc_line_add(l, " phys=+0x%016llx",
				     (unsigned long long)(phys -
							  a->info.dev_phys));
		else
			vmc_line_add(l, " phys=0x%016llx",
				     (unsigned long long)phys);
	}
	if (p->flags & VMC_VM_IOREMAP)
		vmc_line_add(l, " ioremap");
	if (p->flags & VMC_VM_ALLOC)
		vmc_line_add(l, " vmalloc");
	if (p->flags & VMC_VM_MAP)
		vmc_line_add(l, " vmap");
	if (p->flags & VMC_VM_USERMAP)
		vmc_line_add(l, " user");
	if (p->flags & VMC_VM_DMA_COHERENT)
		vmc_line_add(l, " dma-coherent");
	if (vm->pages_vm)
		vmc_line_add(l, " vpages");
	if (allocated && p->nr_pages && vm->owns_frames)
		vmc_line_numa(a, l, vm);
}

int vmc_vmallocinfo(struct vmc_arena *a, bool offsets,
		    void (*emit)(void *arg, const char *line), void *arg)
{
	struct vmc_list *pos;
	struct vmc_line l;

	if (!emit)
		return -EINVAL;
	vmc_arena_lock(a);
	vmc_list_for_each(pos, &a->vs.busy.head) {
		const struct vmc_va *va = vmc_list_entry(pos, struct vmc_va,
							 list);

		l.len = 0;
		l.buf[0] = '\0';
		if (va->kind == VMC_VA_VM) {
			vmc_line_vm(a, &l, offsets, va->u.vm);
		} else if (va->kind == VMC_VA_RAM || va->kind == VMC_VA_BLOCK) {
			vmc_line_range(a, &l, offsets, va->va_start,
				       va->va_end);
			vmc_line_add(&l, " vm_map_ram");
		} else {
			continue;
		}
		emit(arg, l.buf);
	}
	vmc_list_for_each(pos, &a->vs.lazy.head) {
		const struct vmc_va *va = vmc_list_entry(pos, struct vmc_va,
							 list);

		if (va->pool)
			continue;       /* linux-6.12: purged, in a node pool */
		l.len = 0;
		l.buf[0] = '\0';
		vmc_line_range(a, &l, offsets, va->va_start, va->va_end);
		vmc_line_add(&l, " unpurged vm_area");
		emit(arg, l.buf);
	}
	vmc_arena_unlock(a);
	return 0;
}

/* ---------- public: areas without pages ---------- */

/* Every vm_struct flag vmcore knows: what get_vm_area may be given. */
#define VMC_VM_FLAGS_ALL (VMC_VM_IOREMAP | VMC_VM_ALLOC | VMC_VM_MAP | \
			  VMC_VM_USERMAP | VMC_VM_DMA_COHERENT | \
			  VMC_VM_UNINITIALIZED | VMC_VM_NO_GUARD | \
			  VMC_VM_ALLOW_HUGE_VMAP)

const struct vmc_vm_struct *vmc_get_vm_area_caller(struct vmc_arena *a,
						   unsigned long size,
						   unsigned long vm_flags,
						   const char *caller)
{
	struct vmc_vm *vm;
	int err = 0;

	vmc_arena_lock(a);
	if (vm_flags & ~VMC_VM_FLAGS_ALL) {
		vmc_warn(a, "get_vm_area: bad flags 0x%lx", vm_flags);
		vmc_arena_unlock(a);
		return vmc_fail(a, -EINVAL);
	}
	vm = vmc_area_get(a, size, VMC_PAGE_SIZE, vm_flags, a->start, a->end,
			  VMC_NUMA_NO_NODE, caller, &err);
	if (!vm)
		vmc_fail(a, err ? err : -ENOMEM);
	vmc_arena_unlock(a);
	vmc_debug_check(a, "get_vm_area");
	return vm ? &vm->pub : NULL;
}

const struct vmc_vm_struct *vmc_get_vm_area(struct vmc_arena *a,
					    unsigned long size,
					    unsigned long vm_flags)
{
	return vmc_get_vm_area_caller(a, size, vm_flags, "get_vm_area");
}

const struct vmc_vm_struct *vmc_find_vm_area(struct vmc_arena *a,
					     const void *addr)
{
	struct vmc_vm *vm;

	vmc_arena_lock(a);
	vm = vmc_area_find(a, (unsigned long)addr);
	vmc_arena_unlock(a);
	return vm ? &vm->pub : NULL;
}

int vmc_find_vm_area_info(struct vmc_arena *a, const void *addr,
			  struct vmc_vm_struct *out)
{
	struct vmc_vm *vm;

	if (!out)
		return -EINVAL;
	vmc_arena_lock(a);
	vm = vmc_area_find(a, (unsigned long)addr);
	if (vm)
		*out = vm->pub;
	vmc_arena_unlock(a);
	return vm ? 0 : -ENOENT;
}

/*
 * remove_vm_area.  The caller keeps the frames (Linux hands the vm_struct
 * back with its pages for the caller to free).  An area whose frames the
 * core itself allocated (vmalloc, a vmalloc'ed page array) is refused:
 * its frames would leave the core's accounting with no one able to free
 * them (huge ones cannot be freed page by page); vfree is the way.  Any
 * other area (get_vm_area, vmap, ioremap) goes: mappings cleared, page
 * array freed, range lazily freed.
 */
int vmc_remove_vm_area(struct vmc_arena *a, const void *addr,
		       struct vmc_vm_struct *out)
{
	unsigned long va = (unsigned long)addr;
	struct vmc_vm *vm;
	int ret = 0;

	vmc_arena_lock(a);
	vm = vmc_area_find_start(a, va);
	if (!vm) {
		vmc_warn(a, "remove_vm_area: 0x%lx is not the start of an area",
			 va);
		ret = -EINVAL;
	} else if (vm->owns_frames || vm->is_pages_array) {
		vmc_warn(a, "remove_vm_area: 0x%lx owns its frames; use vfree",
			 va);
		ret = -EINVAL;
	} else {
		if (out)
			*out = vm->pub;
		vmc_area_remove(a, vm);
		vmc_hf_put_vm(a, vm);
		vmc_pages_free(a, vm);
		vmc_area_release(a, vm);
	}
	vmc_arena_unlock(a);
	vmc_debug_check(a, "remove_vm_area");
	return ret;
}

int vmc_vm_page(struct vmc_arena *a, const void *addr, unsigned int i,
		unsigned long *pfn)
{
	struct vmc_vm *vm;
	int ret = -EINVAL;

	if (!pfn)
		return -EINVAL;
	vmc_arena_lock(a);
	vm = vmc_area_find_start(a, (unsigned long)addr);
	if (vm && i < vm->pub.nr_pages) {
		*pfn = vmc_pages_get(a, vm, i);
		ret = 0;
	}
	vmc_arena_unlock(a);
	return ret;
}
