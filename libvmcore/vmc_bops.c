/* SPDX-License-Identifier: MIT */
/*
 * vmc_bops.c - the one place the core calls its backend.
 *
 * Theory
 * ------
 * The ops table of vmc_backend.h is a contract; this file enforces it from
 * the core's side, like SQLite's os.c or jemalloc's ehooks.h:
 *
 *   1. Preconditions.  Every wrapper asserts what the contract says the
 *      core promises (levels in range, aligned pfns, tables that exist).
 *      A violated precondition is a core bug, so it panics (VMC_VERIFY),
 *      except the expensive ones, which are VMC_ASSERT (debug builds).
 *   2. Defaults.  Optional slots (sync, batch_*, translate, tlb_for_each,
 *      probe) may be NULL; the wrapper supplies the neutral behaviour.
 *   3. Fault injection.  Every allocation the core makes -- frames, page
 *      tables and its own metadata -- passes through here and is counted
 *      per kind.  vmc_fault_set(kind, n) arms a failure at the n-th next
 *      allocation of that kind, which fails with -ENOMEM exactly as a real
 *      shortage would, without the backend being called.  A test runs a
 *      scenario once to learn the counts, then sweeps every point.
 *   4. Accounting.  Page-table frames are counted here (frames_tables),
 *      and so is the number of frames the backend holds right after init
 *      (frames_baseline: the root and anything else it keeps), so the
 *      checker can balance the backend's count against the core's.
 *
 * Every wrapper expects the arena lock held.
 */
#include "vmc_internal.h"

/* Count an allocation attempt of `kind`; true if it must fail. */
static bool vmc_fault_hit(struct vmc_arena *a, enum vmc_fault_kind kind)
{
	a->fault_count[kind]++;
	if (a->fault_nth[kind] && a->fault_count[kind] == a->fault_nth[kind]) {
		a->fault_nth[kind] = 0;
		return true;
	}
	return false;
}

void vmc_fault_arm(struct vmc_arena *a, enum vmc_fault_kind kind,
		   unsigned long nth)
{
	VMC_VERIFY3U(kind, <, VMC_FAULT_KINDS);
	a->fault_nth[kind] = nth ? a->fault_count[kind] + nth : 0;
}

void *vmc_meta_alloc(struct vmc_arena *a, size_t size)
{
	if (vmc_fault_hit(a, VMC_FAULT_META))
		return NULL;
	return vmc_env_zalloc(size);
}

void vmc_meta_free(struct vmc_arena *a, void *p)
{
	(void)a;
	vmc_env_free(p);
}

static void vmc_bo_check_level(struct vmc_arena *a, unsigned int level)
{
	VMC_VERIFY3U(level, <, a->info.geom.levels);
}

int vmc_bo_init(struct vmc_arena *a, const struct vmc_backend_config *c)
{
	const struct vmc_backend_ops *ops = a->ops;
	const struct vmc_geometry *g = &a->info.geom;
	unsigned int l, va_bits = VMC_PAGE_SHIFT;
	int err;

	err = ops->init(a->bs, c, &a->info);
	if (err)
		return err;
	/* The contract's promises about the instance, checked once. */
	if (g->levels < 2 || g->levels > VMC_MAX_LEVELS ||
	    !(g->leaf_levels & 1u) || a->info.vstart >= a->info.vend ||
	    !vmc_page_aligned(a->info.vstart) ||
	    !vmc_page_aligned(a->info.vend) || !a->info.nr_nodes) {
		ops->fini(a->bs);
		return -EINVAL;
	}
	for (l = 0; l < g->levels; l++) {
		a->info.geom.shift[l] = va_bits;
		va_bits += g->bits[l];
	}
	if (va_bits > 64 || g->leaf_levels >> g->levels) {
		ops->fini(a->bs);
		return -EINVAL;
	}
	a->frames_baseline = ops->frames_used(a->bs);
	return 0;
}

void vmc_bo_fini(struct vmc_arena *a)
{
	a->ops->fini(a->bs);
}

int vmc_bo_frame_alloc(struct vmc_arena *a, int node, unsigned int order,
		       unsigned long *pfn)
{
	int err;

	VMC_VERIFY(node == VMC_NUMA_NO_NODE ||
		   (node >= 0 && (unsigned int)node < a->info.nr_nodes));
	if (vmc_fault_hit(a, VMC_FAULT_FRAME))
		return -ENOMEM;
	err = a->ops->frame_alloc(a->bs, node, order, pfn);
	if (!err)
		VMC_VERIFY(!(*pfn & ((1UL << order) - 1)));
	return err;
}

void vmc_bo_frame_free(struct vmc_arena *a, unsigned long pfn,
		       unsigned int order)
{
	VMC_VERIFY(!(pfn & ((1UL << order) - 1)));
	VMC_VERIFY(!vmc_bo_is_device(a, pfn));
	a->ops->frame_free(a->bs, pfn, order);
}

int vmc_bo_frame_node(struct vmc_arena *a, unsigned long pfn)
{
	return a->ops->frame_node ? a->ops->frame_node(a->bs, pfn) : 0;
}

void *vmc_bo_kaddr(struct vmc_arena *a, unsigned long pfn)
{
	void *p = a->ops->kaddr(a->bs, pfn);

	VMC_VERIFY(p != NULL);
	return p;
}

void vmc_bo_frame_zero(struct vmc_arena *a, unsigned long pfn)
{
	if (a->ops->frame_zero)
		a->ops->frame_zero(a->bs, pfn);
	else
		memset(vmc_bo_kaddr(a, pfn), 0, VMC_PAGE_SIZE);
}

void *vmc_bo_kaddr_try(struct vmc_arena *a, unsigned long pfn)
{
	return a->ops->kaddr(a->bs, pfn);
}

unsigned long vmc_bo_frames_used(struct vmc_arena *a)
{
	return a->ops->frames_used(a->bs);
}

bool vmc_bo_is_device(struct vmc_arena *a, unsigned long pfn)
{
	unsigned long first = (unsigned long)(a->info.dev_phys >> VMC_PAGE_SHIFT);

	return pfn >= first && pfn - first < (a->info.dev_size >> VMC_PAGE_SHIFT);
}

vmc_pte_t vmc_bo_mk_table(struct vmc_arena *a, unsigned int level,
			  unsigned long pfn)
{
	vmc_bo_check_level(a, level);
	VMC_VERIFY(level >= 1);
	return a->ops->mk_table(a->bs, level, pfn);
}

vmc_pte_t vmc_bo_mk_leaf(struct vmc_arena *a, unsigned int level,
			 unsigned long pfn, unsigned int prot)
{
	const struct vmc_geometry *g = &a->info.geom;
	unsigned int shift = g->shift[level];

	vmc_bo_check_level(a, level);
	VMC_VERIFY(g->leaf_levels & (1u << level));
	VMC_VERIFY(!(pfn & ((1UL << (shift - VMC_PAGE_SHIFT)) - 1)));
	return a->ops->mk_leaf(a->bs, level, pfn, prot);
}

bool vmc_bo_present(struct vmc_arena *a, unsigned int level, vmc_pte_t e)
{
	return a->ops->present(a->bs, level, e);
}

bool vmc_bo_is_leaf(struct vmc_arena *a, unsigned int level, vmc_pte_t e)
{
	VMC_ASSERT(a->ops->present(a->bs, level, e));
	return level == 0 || a->ops->is_leaf(a->bs, level, e);
}

unsigned long vmc_bo_entry_pfn(struct vmc_arena *a, unsigned int level,
			       vmc_pte_t e)
{
	VMC_ASSERT(a->ops->present(a->bs, level, e));
	return a->ops->entry_pfn(a->bs, level, e);
}

unsigned int vmc_bo_leaf_prot(struct vmc_arena *a, unsigned int level,
			      vmc_pte_t e)
{
	return a->ops->leaf_prot(a->bs, level, e);
}

unsigned long vmc_bo_root(struct vmc_arena *a)
{
	return a->ops->root(a->bs);
}

int vmc_bo_table_alloc(struct vmc_arena *a, unsigned int level,
		       unsigned long *pfn)
{
	int err;

	vmc_bo_check_level(a, level);
	VMC_VERIFY(level < a->info.geom.levels - 1);  /* the root exists */
	if (vmc_fault_hit(a, VMC_FAULT_TABLE))
		return -ENOMEM;
	err = a->ops->table_alloc(a->bs, level, pfn);
	if (!err)
		a->frames_tables++;
	return err;
}

void vmc_bo_table_free(struct vmc_arena *a, unsigned int level,
		       unsigned long pfn)
{
	vmc_bo_check_level(a, level);
	VMC_VERIFY(a->frames_tables > 0);
	a->pt_wc_key = 0;               /* the walk cache may name it */
	a->ops->table_free(a->bs, level, pfn);
	a->frames_tables--;
}

const void *vmc_bo_table_entries(struct vmc_arena *a, unsigned long table,
				 unsigned int level)
{
	vmc_bo_check_level(a, level);
	return a->ops->table_entries ?
	       a->ops->table_entries(a->bs, table, level) : NULL;
}

vmc_pte_t vmc_bo_read(struct vmc_arena *a, unsigned long table,
		      unsigned int level, unsigned int idx)
{
	vmc_bo_check_level(a, level);
	VMC_ASSERT3U(idx, <, 1u << a->info.geom.bits[level]);
	return a->ops->read(a->bs, table, level, idx);
}

int vmc_bo_write(struct vmc_arena *a, unsigned long table,
		 unsigned int level, unsigned int idx, vmc_pte_t e,
		 unsigned long va)
{
	vmc_bo_check_level(a, level);
	VMC_VERIFY3U(idx, <, 1u << a->info.geom.bits[level]);
	return a->ops->write(a->bs, table, level, idx, e, va);
}

void vmc_bo_sync(struct vmc_arena *a, unsigned long start, unsigned long end,
		 unsigned int mask)
{
	if (a->ops->sync && (mask & a->info.geom.sync_levels))
		a->ops->sync(a->bs, start, end, mask);
}

void vmc_bo_flush_tlb(struct vmc_arena *a, unsigned long start,
		      unsigned long end)
{
	VMC_VERIFY3U(start, <, end);
	a->nr_tlb_flushes++;
	a->ops->flush_tlb(a->bs, start, end);
}

void vmc_bo_batch_begin(struct vmc_arena *a)
{
	if (a->ops->batch_begin)
		a->ops->batch_begin(a->bs);
}

void vmc_bo_batch_end(struct vmc_arena *a)
{
	if (a->ops->batch_end)
		a->ops->batch_end(a->bs);
}

int vmc_bo_access(struct vmc_arena *a, unsigned long va, void *buf,
		  size_t len, bool write)
{
	if (!len)
		return 0;
	return a->ops->access(a->bs, va, buf, len, write);
}

int vmc_bo_translate(struct vmc_arena *a, unsigned long va,
		     unsigned long *pfn)
{
	unsigned char byte;
	int err;

	if (a->ops->translate)
		return a->ops->translate(a->bs, va, pfn);
	/* Default: prove the access works, then read the tables. */
	err = a->ops->access(a->bs, va, &byte, 1, false);
	if (err)
		return err;
	return vmc_pt_lookup(a, va, pfn, NULL, NULL);
}

int vmc_bo_tlb_for_each(struct vmc_arena *a,
			int (*fn)(void *arg, unsigned long va,
				  unsigned long pfn),
			void *arg)
{
	if (!a->ops->tlb_for_each)
		return 0;
	return a->ops->tlb_for_each(a->bs, fn, arg);
}

struct bo_tlb_range {
	unsigned long lo, hi;
	int (*fn)(void *arg, unsigned long va, unsigned long pfn);
	void *arg;
};

static int bo_tlb_in_range(void *arg, unsigned long va, unsigned long pfn)
{
	struct bo_tlb_range *r = arg;

	if (va < r->lo || va >= r->hi)
		return 0;
	return r->fn(r->arg, va, pfn);
}

int vmc_bo_tlb_for_each_range(struct vmc_arena *a, unsigned long lo,
			      unsigned long hi,
			      int (*fn)(void *arg, unsigned long va,
					unsigned long pfn),
			      void *arg)
{
	struct bo_tlb_range r = { lo, hi, fn, arg };

	if (lo >= hi)
		return 0;
	if (a->ops->tlb_for_each_range)
		return a->ops->tlb_for_each_range(a->bs, lo, hi, fn, arg);
	/* The default: every entry, filtered. */
	return vmc_bo_tlb_for_each(a, bo_tlb_in_range, &r);
}

bool vmc_bo_has_probe(struct vmc_arena *a)
{
	return a->ops->probe != NULL;
}

int vmc_bo_probe(struct vmc_arena *a, unsigned long va, bool write)
{
	int err;

	if (!a->ops->probe)
		return -EAGAIN;         /* no real MMU to ask: no verdict */
	err = a->ops->probe(a->bs, va, write);
	VMC_VERIFY(err == 0 || err == -EFAULT || err == -EAGAIN);
	return err;
}

int vmc_bo_check_ram(struct vmc_arena *a, const char *who,
		     const unsigned long *pfns, unsigned int count)
{
	unsigned int i;

	for (i = 0; i < count; i++) {
		if (vmc_bo_is_device(a, pfns[i]) ||
		    !a->ops->kaddr(a->bs, pfns[i])) {
			vmc_warn(a, "%s: pfn 0x%lx (page %u) is not allocated RAM",
				 who, pfns[i], i);
			return -EINVAL;
		}
	}
	return vmc_hf_check(a, who, pfns, count);
}
