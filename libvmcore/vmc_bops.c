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
 *      Metadata is counted here too, per kind and in bytes (a header in
 *      front of each allocation remembers both), so the checker can match
 *      it to the live objects and the teardown can find a leak
 *      (vmc_meta.c).
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

/*
 * Every metadata allocation carries a header in front: its kind and size,
 * so a free knows what to uncount without the caller saying it.  16 bytes
 * keep the payload as aligned as the environment's allocator made it.
 */
struct vmc_meta_hdr {
	uint64_t size;
	uint32_t kind;
	uint32_t magic;
};

#define VMC_META_MAGIC 0x6d657461u      /* "meta" */
#define VMC_META_HDR   16u

_Static_assert(sizeof(struct vmc_meta_hdr) <= VMC_META_HDR,
	       "the metadata header fits its slot");

/*
 * The record cache.  Every vmalloc/vfree pair allocates and frees a vmap
 * area, a vm struct and a page array; the environment's allocator was a
 * fifth of a small pair's cost.  So these three kinds keep up to
 * VMC_META_CACHE freed records each, of one size per kind, on a stack
 * (the payload's first word links them) and hand them out again zeroed,
 * as vmc_env_zalloc would.  The bound is a purge's worth: a purge
 * hands back up to lazy_max_pages / 2 records at once (1-page areas and
 * their guards), and an aligned pair leaves a free-block record behind
 * until then, so a cache of 64 sent most of them through the
 * environment's allocator again (callgrind, 64 KiB-aligned pairs beside
 * 15000 busy areas: 5,498 -> 5,087 instructions a pair with 8192).
 * Accounting is unchanged: a cached record is not live.  Fault injection
 * still counts every attempt first.  Off in debug and AddressSanitizer
 * builds, where reusing a record would hide a use after free.
 */
#if defined(VMC_DEBUG) || defined(__SANITIZE_ADDRESS__)
#define VMC_META_CACHE 0
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define VMC_META_CACHE 0
#endif
#endif
#ifndef VMC_META_CACHE
#define VMC_META_CACHE 8192u
#endif

void vmc_meta_cache_free(void **cache, unsigned int *cached)
{
	while (*cache) {
		struct vmc_meta_hdr *h = *cache;

		*cache = *(void **)((unsigned char *)h + VMC_META_HDR);
		vmc_env_free(h);
	}
	*cached = 0;
}

void vmc_meta_cache_drain(struct vmc_arena *a)
{
	unsigned int k;

	for (k = 0; k <= VMC_META_PAGES; k++)
		vmc_meta_cache_free(&a->meta_cache[k], &a->meta_cached[k]);
}

/* Pop a record of `size` from a one-size LIFO cache (zeroed), or NULL. */
static inline struct vmc_meta_hdr *meta_pop(void **cache,
					    unsigned int *cached, size_t size)
{
	struct vmc_meta_hdr *h = *cache;
	void **p;

	if (!h || h->size != size)
		return NULL;            /* only one size per kind is kept */
	p = (void **)((unsigned char *)h + VMC_META_HDR);
	*cache = *p;
	(*cached)--;
	memset(p, 0, size);
	return h;
}

/* Push freed record h on a cache if it has room and h's size; false if not. */
static inline bool meta_push(void **cache, unsigned int *cached,
			     struct vmc_meta_hdr *h)
{
	static const unsigned int cap = VMC_META_CACHE;  /* 0: caching off */

	if (*cached >= cap || h->size < sizeof(void *) ||
	    (*cache && ((struct vmc_meta_hdr *)*cache)->size != h->size))
		return false;
	*(void **)((unsigned char *)h + VMC_META_HDR) = *cache;
	*cache = h;
	(*cached)++;
	return true;
}

/* A fresh or cached record of kind and size, its header filled in. */
static inline void *meta_new(void **cache, unsigned int *cached,
			     enum vmc_meta_kind kind, size_t size)
{
	struct vmc_meta_hdr *h = NULL;

	if (size > SIZE_MAX - VMC_META_HDR)
		return NULL;
	if (cache)
		h = meta_pop(cache, cached, size);
	if (!h)
		h = vmc_env_zalloc(VMC_META_HDR + size);
	if (!h)
		return NULL;
	h->size = size;
	h->kind = kind;
	h->magic = VMC_META_MAGIC;
	return (unsigned char *)h + VMC_META_HDR;
}

static struct vmc_meta_hdr *meta_hdr(void *p)
{
	struct vmc_meta_hdr *h;

	h = (struct vmc_meta_hdr *)((unsigned char *)p - VMC_META_HDR);
	VMC_VERIFY3U(h->magic, ==, VMC_META_MAGIC);
	VMC_VERIFY3U(h->kind, <, VMC_META_KINDS);
	return h;
}

void *vmc_meta_alloc_kind(struct vmc_arena *a, enum vmc_meta_kind kind,
			  size_t size)
{
	void *p;

	VMC_VERIFY3U(kind, <, VMC_META_KINDS);
	if (vmc_fault_hit(a, VMC_FAULT_META))
		return NULL;
	if (VMC_META_CACHE && kind <= VMC_META_PAGES)
		p = meta_new(&a->meta_cache[kind], &a->meta_cached[kind],
			     kind, size);
	else
		p = meta_new(NULL, NULL, kind, size);
	if (!p)
		return NULL;
	a->meta_live[kind]++;
	a->meta_bytes[kind] += size;
	return p;
}

void *vmc_meta_alloc_pc(struct vmc_pcpu *pc, enum vmc_meta_kind kind,
			size_t size)
{
	void *p;

	VMC_VERIFY(kind == VMC_META_VM || kind == VMC_META_PAGES);
	pc->fault_meta++;
	p = meta_new(&pc->meta_cache[kind - 1], &pc->meta_cached[kind - 1],
		     kind, size);
	if (!p)
		return NULL;
	pc->meta_live[kind]++;
	pc->meta_bytes[kind] += (long)size;
	return p;
}

void *vmc_meta_alloc(struct vmc_arena *a, size_t size)
{
	return vmc_meta_alloc_kind(a, VMC_META_OTHER, size);
}

void vmc_meta_free(struct vmc_arena *a, void *p)
{
	struct vmc_meta_hdr *h;

	if (!p)
		return;
	h = meta_hdr(p);
	VMC_VERIFY3U(a->meta_live[h->kind], >, 0);
	VMC_VERIFY3U(a->meta_bytes[h->kind], >=, h->size);
	a->meta_live[h->kind]--;
	a->meta_bytes[h->kind] -= h->size;
	h->magic = 0;
	if (VMC_META_CACHE && h->kind <= VMC_META_PAGES &&
	    meta_push(&a->meta_cache[h->kind], &a->meta_cached[h->kind], h))
		return;
	vmc_env_free(h);
}

/* The arena's counts are checked once the deltas are folded in. */
void vmc_meta_free_pc(struct vmc_pcpu *pc, void *p)
{
	struct vmc_meta_hdr *h = meta_hdr(p);

	VMC_VERIFY(h->kind == VMC_META_VM || h->kind == VMC_META_PAGES);
	pc->meta_live[h->kind]--;
	pc->meta_bytes[h->kind] -= (long)h->size;
	h->magic = 0;
	if (!meta_push(&pc->meta_cache[h->kind - 1],
		       &pc->meta_cached[h->kind - 1], h))
		vmc_env_free(h);
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

int vmc_bo_frame_alloc_pc(struct vmc_arena *a, struct vmc_pcpu *pc,
			  unsigned long *pfn)
{
	pc->fault_frame++;
	return a->ops->frame_alloc(a->bs, VMC_NUMA_NO_NODE, 0, pfn);
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

const void *vmc_bo_sync_copy(struct vmc_arena *a)
{
	return a->ops->sync_copy ? a->ops->sync_copy(a->bs) : NULL;
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
	bool all_held = true;

	/*
	 * A frame the harness holds came from frame_alloc: it is RAM and
	 * allocated, and asking kaddr would only pay its owed poison fill
	 * early (sim_ram.c 5).  Only a frame not held is looked at, to say
	 * which of the two rules it breaks; when every frame is held there
	 * is nothing left for vmc_hf_check to find.
	 */
	for (i = 0; i < count; i++) {
		if (vmc_hf_held(a, pfns[i]))
			continue;
		all_held = false;
		if (vmc_bo_is_device(a, pfns[i]) ||
		    !a->ops->kaddr(a->bs, pfns[i])) {
			vmc_warn(a, "%s: pfn 0x%lx (page %u) is not allocated RAM",
				 who, pfns[i], i);
			return -EINVAL;
		}
	}
	return all_held ? 0 : vmc_hf_check(a, who, pfns, count);
}
