/* SPDX-License-Identifier: MIT */
/*
 * vmc_meta.c - metadata accounting: every record has an owner.
 *
 * Theory
 * ------
 * 1. Why.  Frames balance (invariant 6), but a leaked metadata record (a
 *    vm struct, a vmap area, a page array, a vmap-block record, a
 *    vm_map_ram record) on an error path used to be visible only to
 *    LeakSanitizer, which neither make check's default build nor the fuzz
 *    build runs.  Now vmc_meta_alloc_kind() (vmc_bops.c) counts each live
 *    allocation and its bytes per kind, in the arena, whatever the
 *    environment's allocator is (calloc or kvzalloc: the header in front of
 *    each record, not the allocator, remembers kind and size).
 *
 * 2. Owners.  Between two calls every record belongs to a live object, and
 *    that is what vmc_meta_validate() recounts from the structures:
 *      VA     one per node of the free, busy and lazy sets;
 *      VM     one per busy area of kind vm (page-array areas included);
 *      PAGES  one per vm whose array is metadata (at most a page): its
 *             pages_cap entries;
 *      VB     three per vmap block on a->vb_list (the block, its pfns,
 *             its page bits);
 *      RAM    one per busy area of kind vm_map_ram (the large path): its
 *             header and count pfns.
 *    A count or a byte total that differs is reported as invariant 6 (the
 *    accounting one), naming the kind and both figures.  OTHER (records
 *    allocated without a kind) has no owner to match; it must only be gone
 *    at teardown.
 *
 * 3. Teardown.  vmc_arena_destroy() frees every record it still finds
 *    (areas the caller left, blocks, the sets); whatever is counted after
 *    that was lost by the core, and vmc_meta_none_left() says so: the
 *    destroy then panics with the figures, in every build, so a test or a
 *    fuzz input that leaks fails where it happens.
 */
#include "vmc_internal.h"

static const char *const vmc_meta_names[VMC_META_KINDS] = {
	"vmap areas", "vm structs", "page arrays", "vmap-block records",
	"vm_map_ram records", "other records",
};

static void vmc_meta_count_set(const struct vmc_vaset *s, unsigned long *n)
{
	const struct vmc_list *pos;

	for (pos = s->head.next; pos != &s->head; pos = pos->next)
		(*n)++;
}

int vmc_meta_validate(struct vmc_arena *a, char *msg, size_t len)
{
	unsigned long n[VMC_META_KINDS] = { 0 }, b[VMC_META_KINDS] = { 0 };
	const struct vmc_list *pos;
	unsigned int k;

	vmc_meta_count_set(&a->vs.free, &n[VMC_META_VA]);
	vmc_meta_count_set(&a->vs.busy, &n[VMC_META_VA]);
	vmc_meta_count_set(&a->vs.lazy, &n[VMC_META_VA]);
	b[VMC_META_VA] = n[VMC_META_VA] * sizeof(struct vmc_va);
	for (pos = a->vs.busy.head.next; pos != &a->vs.busy.head;
	     pos = pos->next) {
		const struct vmc_va *va = vmc_list_entry(pos, struct vmc_va,
							 list);

		if (va->kind == VMC_VA_VM) {
			const struct vmc_vm *vm = va->u.vm;

			n[VMC_META_VM]++;
			b[VMC_META_VM] += sizeof(*vm);
			if (vm->pages) {
				n[VMC_META_PAGES]++;
				b[VMC_META_PAGES] += (unsigned long)vm->pages_cap *
						     sizeof(vm->pages[0]);
			}
		} else if (va->kind == VMC_VA_RAM) {
			n[VMC_META_RAM]++;
			b[VMC_META_RAM] += sizeof(struct vmc_ram) +
					   va->u.ram->count *
					   sizeof(va->u.ram->pfns[0]);
		}
	}
	for (pos = a->vb_list.next; pos != &a->vb_list; pos = pos->next) {
		n[VMC_META_VB] += 3;
		b[VMC_META_VB] += sizeof(struct vmc_vb) +
				  a->vb_pages * sizeof(unsigned long) +
				  a->vb_pages;
	}
	for (k = 0; k < VMC_META_OTHER; k++) {
		if (n[k] == a->meta_live[k] && b[k] == a->meta_bytes[k])
			continue;
		vmc_msg(msg, len, "metadata: %lu %s live (%lu bytes), "
			"the live objects own %lu (%lu bytes)",
			a->meta_live[k], vmc_meta_names[k],
			a->meta_bytes[k], n[k], b[k]);
		return 6;
	}
	return 0;
}

bool vmc_meta_none_left(struct vmc_arena *a)
{
	char line[256];
	bool none = true;
	unsigned int k;

	for (k = 0; k < VMC_META_KINDS; k++) {
		if (!a->meta_live[k] && !a->meta_bytes[k])
			continue;
		snprintf(line, sizeof(line), "metadata leak at arena destroy: "
			 "%lu %s (%lu bytes) left", a->meta_live[k],
			 vmc_meta_names[k], a->meta_bytes[k]);
		vmc_env_log_default(VMC_LOG_ERR, line);
		none = false;
	}
	return none;
}
