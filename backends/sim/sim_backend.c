/* SPDX-License-Identifier: MIT */
/*
 * sim_backend.c - the ops table of the sim backend.
 *
 * Theory
 * ------
 * 1. What "sim" is for.  It is the embedded default backend: a whole
 *    machine (RAM, NUMA nodes, a device region, page tables in real
 *    formats, a TLB) in plain C, so the core runs under sanitizers and
 *    fuzzers at full speed with every hardware effect it depends on made
 *    observable.  Nothing here reaches the host's MMU or any OS service
 *    beyond memory allocation.
 *
 * 2. The CPU's view.  access() and translate() are what a load or store
 *    would do: look the page up in the soft TLB, walk the tables from the
 *    root on a miss, fill the TLB, then touch the frame's bytes (RAM or
 *    device).  The TLB is never invalidated behind the core's back, so a
 *    translation outlives the PTE that produced it until flush_tlb().
 *    With VMC_BF_SOFT_TLB withheld there is no TLB at all: every access
 *    walks, which gives a reference MMU with instant invalidation.
 *
 * 3. Strictness.  Any slot call that can only come from a vmcore bug
 *    (freeing what is not allocated, a table entry pointing at a non-table,
 *    frame_node of a free frame, unbalanced batch_end) panics through
 *    VMC_VERIFY; everything that can legitimately fail returns a negative
 *    errno and changes nothing.  kaddr answers NULL for a pfn that is
 *    neither allocated RAM nor device memory (the public vmc_kaddr()
 *    passes harness pfns through; the core's wrapper panics on NULL).
 *
 * 4. Determinism.  No clock, no randomness, no host addresses leak into
 *    results: the same configuration and call sequence produce the same
 *    pfns, entries and TLB contents in every run and every instance.
 *
 * 5. Concurrency (VMC_BF_CONCURRENT, userspace builds).  The core's
 *    per-CPU fast paths call frame_alloc / frame_free, frame_reuse,
 *    read / write of distinct entries, batch_* and access from several
 *    threads at once.  The frame allocator then takes a lock.  Each
 *    thread gets a shard (cache lines of its own) with its CPU's TLB, as
 *    each CPU has its own (flushes and checks go over all of them), and
 *    its count of PTE writes, summed when read; batches are not counted.
 *    Frame metadata is per frame and the tables' layout only changes
 *    under the arena lock, so the rest needs nothing.  A single thread
 *    gets the same pfns, entries and cached translations as without it.
 */
#include "sim_internal.h"

#ifdef VMC_ENV_THREAD_LOCAL
#define SIM_FEATURES (VMC_BF_HUGE_PMD | VMC_BF_HUGE_PUD | VMC_BF_SOFT_TLB | \
		      VMC_BF_NUMA | VMC_BF_CONCURRENT)
#else
#define SIM_FEATURES (VMC_BF_HUGE_PMD | VMC_BF_HUGE_PUD | VMC_BF_SOFT_TLB | \
		      VMC_BF_NUMA)
#endif

/* --- concurrency (theory 5) ------------------------------------------- */

#ifdef VMC_ENV_THREAD_LOCAL
static VMC_ENV_THREAD_LOCAL unsigned int sim_tls_shard;  /* 0: not yet */
static unsigned int sim_shard_next;
#endif

struct sim_shard *sim_shard(struct sim_state *s)
{
#ifdef VMC_ENV_THREAD_LOCAL
	if (!sim_tls_shard)
		sim_tls_shard = __atomic_add_fetch(&sim_shard_next, 1,
						   __ATOMIC_RELAXED) %
				SIM_SHARDS + 1;
	return &s->shards[sim_tls_shard - 1];
#else
	return &s->shards[0];
#endif
}

static void sim_shards_fini(struct sim_state *s, unsigned int n)
{
	while (n--) {
		sim_tlb_fini(&s->shards[n].tlb);
		vmc_lock_destroy(&s->shards[n].lock);
	}
}

static int sim_locks_init(struct sim_state *s)
{
	unsigned int i;
	int err;

	s->shards = vmc_env_zalloc_lines(SIM_SHARDS * sizeof(struct sim_shard),
					 &s->shards_mem);
	if (!s->shards)
		return -ENOMEM;
	err = vmc_lock_init(&s->ram_lock);
	if (err)
		goto out_mem;
	for (i = 0; i < SIM_SHARDS; i++) {
		struct sim_shard *sh = &s->shards[i];

		err = vmc_lock_init(&sh->lock);
		if (!err && s->tlb.n) {
			err = sim_tlb_init(&sh->tlb, s->tlb.n);
			if (err)
				vmc_lock_destroy(&sh->lock);
		}
		if (err) {
			sim_shards_fini(s, i);
			vmc_lock_destroy(&s->ram_lock);
			goto out_mem;
		}
	}
	s->locked = true;
	return 0;
out_mem:
	s->shards = NULL;
	vmc_env_free(s->shards_mem);
	s->shards_mem = NULL;
	return err;
}

static void sim_locks_fini(struct sim_state *s)
{
	if (!s->locked)
		return;
	sim_shards_fini(s, SIM_SHARDS);
	vmc_lock_destroy(&s->ram_lock);
	vmc_env_free(s->shards_mem);
	s->locked = false;
}

/*
 * The instance's TLBs: s->tlb, and with shards each thread's (theory 5).
 * A shard's TLB nobody filled yet holds nothing: flushes and walks over
 * the TLBs skip it (sim_tlb_nr gives NULL), so one thread pays for one.
 */
static unsigned int sim_nr_tlbs(const struct sim_state *s)
{
	return s->locked ? SIM_SHARDS + 1 : 1;
}

static struct sim_tlb *sim_tlb_nr(struct sim_state *s, unsigned int i)
{
	struct sim_tlb *t = i ? &s->shards[i - 1].tlb : &s->tlb;

	return !i || t->used ? t : NULL;
}

static struct sim_state *S(void *bs)
{
	return bs;
}

/* --- lifecycle --------------------------------------------------------- */

void sim_sizing_init(struct sim_sizing *z, const struct vmc_backend_config *cfg,
		     unsigned int offered)
{
	z->nr_frames = cfg->nr_frames ? cfg->nr_frames : SIM_DEF_FRAMES;
	z->nr_nodes = cfg->nr_nodes ? cfg->nr_nodes : SIM_DEF_NODES;
	z->dev_frames = cfg->dev_frames ? cfg->dev_frames : SIM_DEF_DEV;
	z->features = offered & ~cfg->features_off;
	if (!(z->features & VMC_BF_NUMA))
		z->nr_nodes = 1;        /* NUMA withheld: one node */
	if (z->nr_nodes < 2)
		z->features &= ~VMC_BF_NUMA;
}

/* Everything physical, device region included, must fit an entry. */
int sim_sizing_fits(const struct sim_sizing *z, const struct sim_geo *geo)
{
	unsigned long gb = 1UL << SIM_MAX_ORDER;

	if (z->nr_nodes > SIM_MAX_NODES || z->nr_frames / z->nr_nodes == 0 ||
	    z->nr_frames >= SIM_NONE || z->dev_frames >= SIM_NONE ||
	    z->nr_frames > geo->pfn_limit ||
	    ((SIM_RAM_BASE_PFN + z->nr_frames + gb - 1) & ~(gb - 1)) +
	    z->dev_frames > geo->pfn_limit)
		return -EINVAL;
	return 0;
}

void sim_fill_info(const struct sim_state *s, const struct sim_sizing *z,
		   struct vmc_backend_info *info)
{
	memset(info, 0, sizeof(*info));
	info->geom = s->geo.g;
	info->vstart = s->geo.vstart;
	info->vend = s->geo.vend;
	info->nr_frames = z->nr_frames;
	info->nr_nodes = z->nr_nodes;
	info->dev_phys = (uint64_t)s->ram.dev_pfn << VMC_PAGE_SHIFT;
	info->dev_size = z->dev_frames << VMC_PAGE_SHIFT;
	info->features = s->features;
}

static int sim_init(void *bs, const struct vmc_backend_config *cfg,
		    struct vmc_backend_info *info)
{
	static const struct vmc_backend_config defcfg;
	struct sim_state *s = S(bs);
	struct sim_sizing z;
	int err;

	if (!cfg)
		cfg = &defcfg;
	sim_sizing_init(&z, cfg, SIM_FEATURES);
	err = sim_geo_init(&s->geo, cfg->geometry, z.features);
	if (err)
		return err;
	if (s->geo.g.levels < 3)
		z.features &= ~VMC_BF_HUGE_PUD;
	err = sim_sizing_fits(&z, &s->geo);
	if (err)
		return err;

	err = sim_ram_init(&s->ram, z.nr_frames, z.nr_nodes, z.dev_frames);
	if (err)
		return err;
	if (z.features & VMC_BF_SOFT_TLB) {
		err = sim_tlb_init(&s->tlb, cfg->tlb_entries ? cfg->tlb_entries :
				   SIM_DEF_TLB);
		if (err)
			goto fail_ram;
	}
	err = sim_ram_table_alloc(&s->ram, s->geo.g.levels - 1, &s->root);
	if (err)
		goto fail_tlb;
	err = sim_sync_init(s);
	if (err)
		goto fail_tlb;
	if (z.features & VMC_BF_CONCURRENT) {
		err = sim_locks_init(s);
		if (err)
			goto fail_sync;
	}
	s->features = z.features;
	sim_fill_info(s, &z, info);
	return 0;

fail_sync:
	sim_sync_fini(s);
fail_tlb:
	sim_tlb_fini(&s->tlb);
fail_ram:
	sim_ram_fini(&s->ram);
	return err;
}

static void sim_fini(void *bs)
{
	struct sim_state *s = S(bs);

	sim_locks_fini(s);
	sim_sync_fini(s);
	sim_tlb_fini(&s->tlb);
	sim_ram_fini(&s->ram);
}

/* --- physical memory --------------------------------------------------- */

int sim_frame_alloc(void *bs, int node, unsigned int order,
			   unsigned long *pfn)
{
	struct sim_state *s = S(bs);
	int err;

	if (!s->locked)
		return sim_ram_alloc(&s->ram, node, order, pfn);
	vmc_lock(&s->ram_lock);
	err = sim_ram_alloc(&s->ram, node, order, pfn);
	vmc_unlock(&s->ram_lock);
	return err;
}

void sim_frame_free(void *bs, unsigned long pfn, unsigned int order)
{
	struct sim_state *s = S(bs);

	if (!s->locked) {
		sim_ram_free(&s->ram, pfn, order);
		return;
	}
	vmc_lock(&s->ram_lock);
	sim_ram_free(&s->ram, pfn, order);
	vmc_unlock(&s->ram_lock);
}

int sim_frame_node(void *bs, unsigned long pfn)
{
	struct sim_state *s = S(bs);

	VMC_VERIFY(sim_ram_is_allocated(&s->ram, pfn));
	return sim_ram_node_of(&s->ram, pfn);
}

void *sim_kaddr(void *bs, unsigned long pfn)
{
	struct sim_state *s = S(bs);

	/* NULL outside the contract: the harness may ask (vmc_kaddr). */
	if (!sim_ram_is_allocated(&s->ram, pfn) && !sim_ram_is_dev(&s->ram, pfn))
		return NULL;
	return sim_ram_data(&s->ram, pfn);
}

/* The core hands out a frame it kept: the 0xa5 fill is owed again. */
static void sim_frame_reuse(void *bs, unsigned long pfn)
{
	struct sim_ram *r = &S(bs)->ram;

	VMC_VERIFY(sim_ram_is_ram(r, pfn) && sim_ram_is_allocated(r, pfn));
	r->meta[pfn - r->base_pfn].poison = 1;
}

void sim_frame_zero(void *bs, unsigned long pfn)
{
	struct sim_ram *r = &S(bs)->ram;
	unsigned char *p = sim_ram_ptr(r, pfn);

	VMC_VERIFY(p && sim_ram_is_ram(r, pfn) &&
		   sim_ram_is_allocated(r, pfn));
	r->meta[pfn - r->base_pfn].poison = 0;  /* the fill is not owed now */
	memset(p, 0, VMC_PAGE_SIZE);
}

unsigned long sim_frames_used(void *bs)
{
	return S(bs)->ram.used;
}

/* --- entries ----------------------------------------------------------- */

vmc_pte_t sim_op_mk_table(void *bs, unsigned int level,
				 unsigned long pfn)
{
	return sim_mk_table(&S(bs)->geo, level, pfn);
}

vmc_pte_t sim_op_mk_leaf(void *bs, unsigned int level,
				unsigned long pfn, unsigned int prot)
{
	return sim_mk_leaf(&S(bs)->geo, level, pfn, prot);
}

bool sim_op_present(void *bs, unsigned int level, vmc_pte_t e)
{
	(void)bs;
	(void)level;
	return sim_present(e);
}

bool sim_op_is_leaf(void *bs, unsigned int level, vmc_pte_t e)
{
	(void)bs;
	return sim_is_leaf(level, e);
}

unsigned long sim_op_entry_pfn(void *bs, unsigned int level,
				      vmc_pte_t e)
{
	(void)level;
	return sim_entry_pfn(&S(bs)->geo, e);
}

unsigned int sim_op_leaf_prot(void *bs, unsigned int level,
				     vmc_pte_t e)
{
	(void)level;
	return sim_leaf_prot(&S(bs)->geo, e);
}

/* --- tables ------------------------------------------------------------ */

unsigned long sim_root(void *bs)
{
	return S(bs)->root;
}

int sim_table_alloc(void *bs, unsigned int level, unsigned long *pfn)
{
	struct sim_state *s = S(bs);

	VMC_VERIFY3U(level, <, s->geo.g.levels - 1);
	return sim_ram_table_alloc(&s->ram, level, pfn);
}

void sim_table_free(void *bs, unsigned int level, unsigned long pfn)
{
	struct sim_state *s = S(bs);
	unsigned int i;

	VMC_VERIFY3U(pfn, !=, s->root);
	VMC_VERIFY(sim_ram_is_table(&s->ram, pfn, level));
	for (i = 0; i < 1u << s->geo.g.bits[level]; i++)
		VMC_VERIFY(!sim_present(sim_table_read(s, pfn, level, i)));
	sim_ram_table_free(&s->ram, pfn, level);
}

static vmc_pte_t sim_read(void *bs, unsigned long table, unsigned int level,
			  unsigned int idx)
{
	return sim_table_read(S(bs), table, level, idx);
}

static const void *sim_entries(void *bs, unsigned long table,
			       unsigned int level)
{
	return sim_table_entries(S(bs), table, level);
}

static int sim_write(void *bs, unsigned long table, unsigned int level,
		     unsigned int idx, vmc_pte_t e, unsigned long va)
{
	(void)va;
	sim_table_write(S(bs), table, level, idx, e);
	return 0;
}

static void sim_sync(void *bs, unsigned long start, unsigned long end,
		     unsigned int mask)
{
	(void)mask;
	sim_sync_range(S(bs), start, end);
}

const void *sim_op_sync_copy(void *bs)
{
	return sim_sync_copy(S(bs));
}

static void sim_flush_tlb(void *bs, unsigned long start, unsigned long end)
{
	struct sim_state *s = S(bs);

	unsigned int i;

	VMC_VERIFY3U(start, <=, end);
	if (!s->tlb.n) {
		s->tlb.flushes++;
		return;
	}
	for (i = 0; i < sim_nr_tlbs(s); i++) {
		struct sim_tlb *t = sim_tlb_nr(s, i);

		if (t)
			sim_tlb_flush(t, start, end);
	}
}

static void sim_batch_begin(void *bs)
{
	struct sim_state *s = S(bs);

	if (s->locked)
		return;                 /* not counted beside other threads */
	s->batch_depth++;
	s->batches++;
}

static void sim_batch_end(void *bs)
{
	struct sim_state *s = S(bs);

	if (s->locked)
		return;
	VMC_VERIFY3U(s->batch_depth, >, 0);
	s->batch_depth--;
}

/* --- access ------------------------------------------------------------ */

/*
 * The CPU's translation of one page: TLB, else walk (from the other root
 * at the top level, sim_sync.c) and fill.
 */
static int xlate_tlb(struct sim_state *s, struct sim_tlb *t, unsigned long va,
		     unsigned long *pfn, bool *writable)
{
	int err;

	if (t->n) {
		if (sim_tlb_lookup(t, va, pfn, writable))
			return 0;
	} else {
		t->misses++;
		t->used = true;
	}
	err = sim_walk_cpu(s, va, pfn, writable);
	if (err)
		return err;
	if (t->n)
		sim_tlb_fill(t, va, *pfn, *writable);
	return 0;
}

/* With shards each thread has its CPU's TLB (theory 5). */
static int xlate(struct sim_state *s, unsigned long va, unsigned long *pfn,
		 bool *writable)
{
	struct sim_shard *sh;
	int err;

	if (!s->locked)
		return xlate_tlb(s, &s->tlb, va, pfn, writable);
	sh = sim_shard(s);
	vmc_lock(&sh->lock);
	err = xlate_tlb(s, &sh->tlb, va, pfn, writable);
	vmc_unlock(&sh->lock);
	return err;
}

static int sim_access(void *bs, unsigned long va, void *buf, size_t len,
		      bool write)
{
	struct sim_state *s = S(bs);
	unsigned char *b = buf;

	if (va + len < va)
		return -EFAULT;
	while (len) {
		size_t off = va & (VMC_PAGE_SIZE - 1);
		size_t n = VMC_PAGE_SIZE - off;
		unsigned long pfn;
		unsigned char *p;
		bool w;
		int err;

		if (n > len)
			n = len;
		err = xlate(s, va, &pfn, &w);
		if (err)
			return err;
		if (write && !w)
			return -EFAULT;
		p = sim_ram_data(&s->ram, pfn);
		VMC_VERIFY(p != NULL);
		if (write)
			memcpy(p + off, b, n);
		else
			memcpy(b, p + off, n);
		va += n;
		b += n;
		len -= n;
	}
	return 0;
}

static int sim_translate(void *bs, unsigned long va, unsigned long *pfn)
{
	bool w;

	return xlate(S(bs), va, pfn, &w);
}

static int sim_tlb_each_range(void *bs, unsigned long lo, unsigned long hi,
			      int (*fn)(void *arg, unsigned long va,
					unsigned long pfn),
			      void *arg)
{
	struct sim_state *s = S(bs);
	unsigned int i;
	int err = 0;

	for (i = 0; i < sim_nr_tlbs(s) && !err; i++) {
		struct sim_tlb *t = sim_tlb_nr(s, i);

		if (t)
			err = sim_tlb_for_each_range(t, lo, hi, fn, arg);
	}
	return err;
}

static int sim_tlb_each(void *bs,
			int (*fn)(void *arg, unsigned long va, unsigned long pfn),
			void *arg)
{
	struct sim_state *s = S(bs);
	unsigned int i;
	int err = 0;

	for (i = 0; i < sim_nr_tlbs(s) && !err && s->tlb.n; i++) {
		struct sim_tlb *t = sim_tlb_nr(s, i);

		if (t)
			err = sim_tlb_for_each(t, fn, arg);
	}
	return err;
}

const struct vmc_backend_ops vmc_sim_ops = {
	.name = "sim",
	.features = SIM_FEATURES,
	.state_size = sizeof(struct sim_state),
	.init = sim_init,
	.fini = sim_fini,
	.frame_alloc = sim_frame_alloc,
	.frame_free = sim_frame_free,
	.frame_node = sim_frame_node,
	.kaddr = sim_kaddr,
	.frames_used = sim_frames_used,
	.mk_table = sim_op_mk_table,
	.mk_leaf = sim_op_mk_leaf,
	.present = sim_op_present,
	.is_leaf = sim_op_is_leaf,
	.entry_pfn = sim_op_entry_pfn,
	.leaf_prot = sim_op_leaf_prot,
	.root = sim_root,
	.table_alloc = sim_table_alloc,
	.table_free = sim_table_free,
	.read = sim_read,
	.write = sim_write,
	.sync = sim_sync,
	.flush_tlb = sim_flush_tlb,
	.batch_begin = sim_batch_begin,
	.batch_end = sim_batch_end,
	.access = sim_access,
	.translate = sim_translate,
	.tlb_for_each = sim_tlb_each,
	.table_entries = sim_entries,
	.tlb_for_each_range = sim_tlb_each_range,
	.frame_zero = sim_frame_zero,
	.sync_copy = sim_op_sync_copy,
	.frame_reuse = sim_frame_reuse,
};

/* --- test hooks (vmc_sim.h) -------------------------------------------- */

void vmc_sim_get_stats(void *bs, struct vmc_sim_stats *st)
{
	struct sim_state *s = S(bs);
	unsigned int i;

	memset(st, 0, sizeof(*st));
	for (i = 0; i < sim_nr_tlbs(s); i++) {
		const struct sim_tlb *t = sim_tlb_nr(s, i);

		if (!t)
			continue;
		st->tlb_hits += t->hits;
		st->tlb_misses += t->misses;
		st->tlb_flushed_entries += t->flushed;
	}
	st->tlb_flushes = s->tlb.flushes;
	st->frames_used = s->ram.used;
	st->tables_used = s->ram.tables;
	st->syncs = s->syncs;
	st->pte_writes = s->pte_writes;
	if (s->locked) {
		for (i = 0; i < SIM_SHARDS; i++)
			st->pte_writes += __atomic_load_n(&s->shards[i].pte_writes,
							  __ATOMIC_RELAXED);
	}
}

unsigned long vmc_sim_ram_base_pfn(void *bs)
{
	return S(bs)->ram.base_pfn;
}

unsigned long vmc_sim_node_frames_free(void *bs, int node)
{
	return sim_ram_free_frames(&S(bs)->ram, node);
}

int vmc_sim_walk(void *bs, unsigned long va, unsigned long *pfn,
		 unsigned int *level, bool *writable)
{
	return sim_walk(S(bs), va, pfn, level, writable);
}

unsigned long vmc_sim_tlb_count(void *bs)
{
	struct sim_state *s = S(bs);

	unsigned long n = 0;
	unsigned int i;

	for (i = 0; i < sim_nr_tlbs(s) && s->tlb.n; i++) {
		struct sim_tlb *t = sim_tlb_nr(s, i);

		if (t)
			n += sim_tlb_count(t);
	}
	return n;
}
