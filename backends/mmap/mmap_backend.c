/* SPDX-License-Identifier: MIT */
/*
 * mmap_backend.c - the ops table of the mmap backend (a real MMU).
 *
 * Theory
 * ------
 * 1. What "mmap" is for.  The sim backend proves the core against a model
 *    of an MMU; this one proves it against the host's.  RAM is a memfd of
 *    nr_frames pages, its direct map (kaddr) one linear MAP_SHARED view of
 *    it; the device region for ioremap is a second memfd with its own
 *    direct map; the vmalloc space is a reserved PROT_NONE window of the
 *    process in which each mapped page is the frame's memfd page
 *    (mmap_host.c).  Addresses the core hands out are real pointers.
 *
 * 2. What is borrowed from sim.  The frames (sim_ram.c: buddy allocator,
 *    NUMA nodes, poisoning, strict frees) run unchanged over the memfd
 *    direct maps (sim_ram_init_mem); the bookkeeping page tables the core
 *    walks are the sim's x86-64 4-level format (sim_geom.c) in frames of
 *    the memfd, so the oracle and the bookkeeping cannot drift in format,
 *    only in content, which the tests compare.  Only "x86_64" is offered:
 *    the host MMU is x86-64 4-level-like whatever we call it.
 *
 * 3. Honest features.  4 KiB pages only (no huge leaves: every mapping is
 *    one mmap of 4 KiB granules, the host picks its own page size), so
 *    leaf_levels is 1; VMC_BF_REAL_MMU; VMC_BF_NUMA with more than one
 *    node (nodes are bookkeeping only).  No soft TLB: the host flushes
 *    its TLB itself on every mmap, so flush_tlb only commits the pending
 *    batch and tlb_for_each is NULL.
 *
 * 4. The CPU's view.  access() and translate() commit the pending batch,
 *    walk the bookkeeping tables (a page not present or not writable is
 *    -EFAULT: access never faults the process), then copy through the
 *    real mapping in the window.
 */
#define _GNU_SOURCE
#include "mmap_internal.h"

#define MM_FEATURES (VMC_BF_REAL_MMU | VMC_BF_NUMA)

static struct mm_state *M(void *bs)
{
	return bs;
}

/* --- lifecycle --------------------------------------------------------- */

static int mm_init(void *bs, const struct vmc_backend_config *cfg,
		   struct vmc_backend_info *info)
{
	static const struct vmc_backend_config defcfg;
	struct mm_state *m = M(bs);
	struct sim_state *s = &m->s;
	struct sim_sizing z;
	int err;

	if (!cfg)
		cfg = &defcfg;
	if (cfg->geometry && strcmp(cfg->geometry, "x86_64"))
		return -EINVAL;
	sim_sizing_init(&z, cfg, MM_FEATURES);
	err = sim_geo_init(&s->geo, "x86_64", 0);       /* 4 KiB leaves only */
	if (err)
		return err;
	err = sim_sizing_fits(&z, &s->geo);
	if (err)
		return err;

	/* Home: where sim's space starts, modulo the 47-bit user half. */
	err = mm_host_init(m, z.nr_frames, z.dev_frames,
			   s->geo.vstart & MM_HOME_MASK);
	if (err)
		return err;
	err = sim_ram_init_mem(&s->ram, z.nr_frames, z.nr_nodes, z.dev_frames,
			       m->h.ram_map, m->h.dev_map);
	if (err)
		goto fail_host;
	err = sim_ram_table_alloc(&s->ram, s->geo.g.levels - 1, &s->root);
	if (err)
		goto fail_ram;
	err = sim_sync_init(s);         /* the checker's copy (sim_sync.c) */
	if (err)
		goto fail_ram;
	s->geo.vstart = (unsigned long)m->h.win;
	s->geo.vend = s->geo.vstart + m->h.win_len;
	s->features = m->features = z.features;
	sim_fill_info(s, &z, info);
	return 0;

fail_ram:
	sim_ram_fini(&s->ram);
fail_host:
	mm_host_fini(m);
	return err;
}

static void mm_fini(void *bs)
{
	struct mm_state *m = M(bs);

	mm_commit(m, false);
	sim_sync_fini(&m->s);
	sim_ram_fini(&m->s.ram);
	mm_host_fini(m);        /* the window goes, with whatever is left in it */
}

/*
 * Physical memory, entries and tables are the sim's own functions (see
 * sim_internal.h): the state begins with the struct sim_state they use.
 */
_Static_assert(offsetof(struct mm_state, s) == 0,
	       "the sim ops need struct sim_state first in struct mm_state");

static vmc_pte_t mm_read(void *bs, unsigned long table, unsigned int level,
			 unsigned int idx)
{
	return sim_table_read(&M(bs)->s, table, level, idx);
}

static const void *mm_entries(void *bs, unsigned long table,
			      unsigned int level)
{
	return sim_table_entries(&M(bs)->s, table, level);
}

static int mm_write(void *bs, unsigned long table, unsigned int level,
		    unsigned int idx, vmc_pte_t e, unsigned long va)
{
	struct mm_state *m = M(bs);

	if (level == 0)
		return mm_write_leaf(m, table, idx, e, va);
	/* Table entries only (no huge leaves): nothing to mirror. */
	sim_table_write(&m->s, table, level, idx, e);
	return 0;
}

/*
 * The host's MMU needs no sync (the window is one process's), but the
 * copy of the root that sim_sync.c keeps is updated all the same, so
 * vmc_check() finds a missed sync on this backend too.
 */
static void mm_sync(void *bs, unsigned long start, unsigned long end,
		    unsigned int mask)
{
	(void)mask;
	sim_sync_range(&M(bs)->s, start, end);
}

static void mm_flush_tlb(void *bs, unsigned long start, unsigned long end)
{
	VMC_VERIFY3U(start, <=, end);
	mm_commit(M(bs), true);
}

static void mm_batch_begin(void *bs)
{
	M(bs)->batch_depth++;
}

static void mm_batch_end(void *bs)
{
	struct mm_state *m = M(bs);

	VMC_VERIFY3U(m->batch_depth, >, 0);
	m->batch_depth--;
	mm_commit(m, false);
}

/* --- access ------------------------------------------------------------ */

static int mm_access(void *bs, unsigned long va, void *buf, size_t len,
		     bool write)
{
	struct mm_state *m = M(bs);
	unsigned char *b = buf;

	if (va + len < va)
		return -EFAULT;
	mm_commit(m, true);
	while (len) {
		size_t off = va & (VMC_PAGE_SIZE - 1);
		size_t n = VMC_PAGE_SIZE - off;
		unsigned long pfn;
		unsigned char *p;
		bool w;

		if (n > len)
			n = len;
		if (sim_walk(&m->s, va, &pfn, NULL, &w) || (write && !w))
			return -EFAULT;
		/* A page whose mirror the host refused: use the direct map. */
		if (m->nr_dirty && mm_is_dirty(m, va))
			p = sim_ram_ptr(&m->s.ram, pfn) + off;
		else
			p = (unsigned char *)va;
		if (write)
			memcpy(p, b, n);
		else
			memcpy(b, p, n);
		va += n;
		b += n;
		len -= n;
	}
	return 0;
}

static int mm_translate(void *bs, unsigned long va, unsigned long *pfn)
{
	struct mm_state *m = M(bs);

	mm_commit(m, true);
	return sim_walk(&m->s, va, pfn, NULL, NULL);
}

/*
 * The contract's probe slot (vmc_check, invariant 5): a page whose mirror
 * the host refused to update, even after the retry the commit makes, is
 * knowingly behind the tables, so a real access there proves nothing.
 */
static int mm_ops_probe(void *bs, unsigned long va, bool write)
{
	struct mm_state *m = M(bs);

	mm_commit(m, true);
	if (m->nr_dirty && mm_is_dirty(m, va))
		return -EAGAIN;
	return mm_probe_kernel(m, va, write);
}

const struct vmc_backend_ops vmc_mmap_ops = {
	.name = "mmap",
	.features = MM_FEATURES,
	.state_size = sizeof(struct mm_state),
	.init = mm_init,
	.fini = mm_fini,
	.frame_alloc = sim_frame_alloc,
	.frame_free = sim_frame_free,
	.frame_node = sim_frame_node,
	.kaddr = sim_kaddr,
	.frame_zero = sim_frame_zero,
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
	.read = mm_read,
	.write = mm_write,
	.sync = mm_sync,
	.flush_tlb = mm_flush_tlb,
	.batch_begin = mm_batch_begin,
	.batch_end = mm_batch_end,
	.access = mm_access,
	.translate = mm_translate,
	.tlb_for_each = NULL,
	.probe = mm_ops_probe,
	.table_entries = mm_entries,
	.sync_copy = sim_op_sync_copy,
};

/* --- test hooks (vmc_mmap.h) ------------------------------------------- */

void vmc_mmap_get_stats(void *bs, struct vmc_mmap_stats *st)
{
	struct mm_state *m = M(bs);

	*st = m->st;
	st->dirty_ranges = m->nr_dirty;
	st->frames_used = m->s.ram.used;
	st->tables_used = m->s.ram.tables;
	st->pte_writes = m->s.pte_writes;
}

void vmc_mmap_fail_nth(void *bs, unsigned long nth)
{
	M(bs)->fail_nth = nth;
}

int vmc_mmap_probe(void *bs, unsigned long va, bool write)
{
	return mm_probe(M(bs), va, write);
}

int vmc_mmap_ram_fd(void *bs)
{
	return M(bs)->h.ram_fd;
}

int vmc_mmap_dev_fd(void *bs)
{
	return M(bs)->h.dev_fd;
}
