/* SPDX-License-Identifier: MIT */
/*
 * vmc_backend.h - the page-table backend contract.
 *
 * Theory
 * ------
 * A backend is the MMU and the physical memory behind one arena.  It is a
 * const ops table (struct vmc_backend_ops) plus a block of private state
 * whose size the table declares; the core allocates that block, zeroed, and
 * passes it as the first argument `bs` of every slot.  The core never calls
 * a slot directly: every call goes through the thin wrappers of vmc_bops.c,
 * which assert the preconditions written here, host fault injection and
 * supply defaults for the optional (may be NULL) slots.
 *
 * Physical memory is named by page frame number (pfn).  Pages are always
 * 4 KiB (VMC_PAGE_SHIFT).  A table is named by the pfn of the frame that
 * holds it.  Entries are opaque 64-bit values in the backend's own format
 * (the sim backend stores real x86-64 or i386 bits); the core only builds
 * them and asks about them through the entry slots.
 *
 * Levels are numbered from the bottom: level 0 holds PTEs (each maps one
 * page), level 1 is the PMD, 2 the PUD, 3 the P4D, 4 the PGD of a 5-level
 * tree.  The root table is at level (levels - 1).  An entry at level L
 * covers 1 << (VMC_PAGE_SHIFT + sum of bits[0..L-1]) bytes... precisely,
 * shift(L) = VMC_PAGE_SHIFT + bits[0] + ... + bits[L-1].
 *
 * Fields are only ever appended to the ops table.
 *
 * Locking: the core calls every slot with the arena lock held, so a
 * backend needs no lock of its own for its tables.  Frame allocation may
 * also be reached by the harness through vmc_frame_alloc(), again under the
 * arena lock.  The per-CPU fast paths (vmc_pcpu.c) call a few slots
 * without it, one at a time (a->bo_lock), or at once from several threads
 * when the backend offers VMC_BF_CONCURRENT; no one holds the arena lock
 * meanwhile.
 */
#ifndef VMC_BACKEND_H
#define VMC_BACKEND_H

#include "vmc_env.h"

#define VMC_PAGE_SHIFT   12
#define VMC_PAGE_SIZE    (1UL << VMC_PAGE_SHIFT)
#define VMC_MAX_LEVELS   5

typedef uint64_t vmc_pte_t;

/* Protection of a leaf, in the core's own terms; backends encode it. */
#define VMC_PROT_READ     0x1u
#define VMC_PROT_WRITE    0x2u
#define VMC_PROT_EXEC     0x4u
#define VMC_PROT_NOCACHE  0x8u   /* device memory: uncached (x86 PCD) */
#define VMC_PROT_KERNEL   (VMC_PROT_READ | VMC_PROT_WRITE)      /* PAGE_KERNEL */
#define VMC_PROT_IO       (VMC_PROT_KERNEL | VMC_PROT_NOCACHE)  /* ioremap */

/* Feature bits (struct vmc_backend_ops.features). */
#define VMC_BF_HUGE_PMD   0x1u   /* may hold leaves at level 1 */
#define VMC_BF_HUGE_PUD   0x2u   /* may hold leaves at level 2 */
#define VMC_BF_SOFT_TLB   0x4u   /* tlb_for_each enumerates cached translations */
#define VMC_BF_REAL_MMU   0x8u   /* accesses go through a real MMU (mmap, kmod) */
#define VMC_BF_NUMA       0x10u  /* frames come from more than one node */
/*
 * The core's per-CPU fast paths (vmc_pcpu.c) may call frame_alloc,
 * frame_free, frame_zero, frame_reuse, kaddr, read, write (of distinct
 * entries, never linking or freeing a table), batch_begin/end and access
 * from several threads at once; every other slot still runs under the
 * arena lock, with no fast path running.  Without it they take turns.
 */
#define VMC_BF_CONCURRENT 0x20u

/* The shape of the page tables. */
struct vmc_geometry {
	const char *name;               /* "x86_64", "la57", "i386", ... */
	unsigned int levels;            /* 2 to 5 */
	unsigned int bits[VMC_MAX_LEVELS]; /* index bits of level 0 (PTE) up */
	unsigned int leaf_levels;       /* bit L: level L may hold a leaf; bit 0 always */
	unsigned int sync_levels;       /* bit L: a change at level L needs sync() */
	unsigned int entry_size;        /* bytes per entry in the table frames (4 or 8) */
	/* Appended, filled by the core from bits[] (backends leave it 0):
	   shift[L] = vmc_geom_shift(g, L), for the page-table walks. */
	unsigned int shift[VMC_MAX_LEVELS];
};

/* Common configuration, passed to init().  Zero means "backend default". */
struct vmc_backend_config {
	const char *geometry;           /* sim: "x86_64" (default), "la57", "i386" */
	unsigned long nr_frames;        /* RAM frames (sim default 65536) */
	unsigned int nr_nodes;          /* NUMA nodes (sim default 2) */
	unsigned long dev_frames;       /* device region frames (default 1024) */
	unsigned int features_off;      /* VMC_BF_* bits to withhold */
	unsigned long tlb_entries;      /* sim: soft TLB capacity (default 512) */
	/* Appended: bytes of space the arena will use (kmod: the size of the
	   window it reserves); 0: the backend's default. */
	unsigned long space;
};

/* What init() reports about the instance it set up. */
struct vmc_backend_info {
	struct vmc_geometry geom;
	unsigned long vstart, vend;     /* the vmalloc space it backs, [vstart, vend) */
	unsigned long nr_frames;        /* RAM frames in total */
	unsigned int nr_nodes;          /* >= 1 */
	uint64_t dev_phys;              /* device region: physical base (page aligned) */
	unsigned long dev_size;         /* device region: bytes (multiple of a page) */
	unsigned int features;          /* VMC_BF_* this instance really offers */
};

struct vmc_backend_ops {
	/* --- data --- */
	const char *name;               /* registry name: "sim", "mmap", "kmod" */
	unsigned int features;          /* VMC_BF_* the backend can offer at most */
	size_t state_size;              /* bytes of private state (the `bs` block) */

	/* --- lifecycle --- */

	/*
	 * init: set the instance up in `bs` (zeroed, state_size bytes) from
	 * `cfg` and fill `info`.  The root table exists on return.
	 * Returns 0, -EINVAL for a configuration it cannot honour, -ENOMEM.
	 * On error nothing is left allocated and fini() is not called.
	 */
	int (*init)(void *bs, const struct vmc_backend_config *cfg,
		    struct vmc_backend_info *info);

	/*
	 * fini: release everything init() and later calls took, including
	 * frames still allocated (the core frees its frames and tables first;
	 * whatever remains is a leak the backend may report but must release).
	 */
	void (*fini)(void *bs);

	/* --- physical memory --- */

	/*
	 * frame_alloc: allocate 1 << order contiguous frames, the first
	 * aligned to 1 << order, preferring `node` (-1: no preference) and
	 * falling back to the other nodes.  Contents are unspecified (not
	 * zeroed).  Stores the first pfn in *pfn.  Returns 0 or -ENOMEM.
	 */
	int (*frame_alloc)(void *bs, int node, unsigned int order,
			   unsigned long *pfn);

	/* frame_free: free what frame_alloc(order) returned at `pfn`. */
	void (*frame_free)(void *bs, unsigned long pfn, unsigned int order);

	/* frame_node: the node of an allocated RAM frame. */
	int (*frame_node)(void *bs, unsigned long pfn);

	/*
	 * kaddr: host pointer to the VMC_PAGE_SIZE bytes of frame `pfn` (the
	 * direct map).  Valid for allocated RAM frames and for device frames
	 * (pfn of dev_phys .. dev_phys + dev_size).  Never NULL for those; NULL
	 * for any other pfn, which is how the core rejects frames a caller
	 * hands in that are not allocated RAM.
	 */
	void *(*kaddr)(void *bs, unsigned long pfn);

	/*
	 * frames_used: RAM frames currently allocated through frame_alloc and
	 * table_alloc together (the backend's own count, checked by invariant 6).
	 */
	unsigned long (*frames_used)(void *bs);

	/* --- entries (pure functions of their arguments) --- */

	/* mk_table: an entry at `level` (>= 1) pointing to the table at pfn. */
	vmc_pte_t (*mk_table)(void *bs, unsigned int level, unsigned long pfn);

	/* mk_leaf: a leaf at `level` mapping pfn (aligned for the level). */
	vmc_pte_t (*mk_leaf)(void *bs, unsigned int level, unsigned long pfn,
			     unsigned int prot);

	/* present: does the entry map anything (table or leaf)? */
	bool (*present)(void *bs, unsigned int level, vmc_pte_t e);

	/* is_leaf: for a present entry, is it a leaf (always true at level 0)? */
	bool (*is_leaf)(void *bs, unsigned int level, vmc_pte_t e);

	/* entry_pfn: the pfn a present entry points at (table or leaf frame). */
	unsigned long (*entry_pfn)(void *bs, unsigned int level, vmc_pte_t e);

	/* leaf_prot: the VMC_PROT_* bits a present leaf carries. */
	unsigned int (*leaf_prot)(void *bs, unsigned int level, vmc_pte_t e);

	/* --- tables --- */

	/* root: the pfn of the root table (level levels - 1). */
	unsigned long (*root)(void *bs);

	/*
	 * table_alloc: a zeroed (all entries not present) table for `level`.
	 * Returns 0 and the pfn, or -ENOMEM.
	 */
	int (*table_alloc)(void *bs, unsigned int level, unsigned long *pfn);

	/* table_free: free a table; all its entries are not present. */
	void (*table_free)(void *bs, unsigned int level, unsigned long pfn);

	/* read: entry `idx` of the table at pfn `table`, at `level`. */
	vmc_pte_t (*read)(void *bs, unsigned long table, unsigned int level,
			  unsigned int idx);

	/*
	 * write: store entry `idx`.  `va` is the first virtual address the
	 * entry covers; a backend with a real MMU mirrors leaf changes there
	 * (it may defer them to flush_tlb or batch_end).  Returns 0, or
	 * -ENOMEM when the mirror is refused by the host; then the entry is
	 * left as it was.
	 */
	int (*write)(void *bs, unsigned long table, unsigned int level,
		     unsigned int idx, vmc_pte_t e, unsigned long va);

	/*
	 * sync (optional): arch_sync_kernel_mappings for [start, end), called
	 * when the levels in `mask` (bit L = level L modified) intersect
	 * geom.sync_levels.
	 */
	void (*sync)(void *bs, unsigned long start, unsigned long end,
		     unsigned int mask);

	/*
	 * flush_tlb: invalidate every cached translation in [start, end).
	 * Until this is called a backend may keep translating addresses whose
	 * entries were cleared (the sim backend's soft TLB does).
	 */
	void (*flush_tlb)(void *bs, unsigned long start, unsigned long end);

	/* batch_begin / batch_end (optional): lazy-MMU mode around bulk writes. */
	void (*batch_begin)(void *bs);
	void (*batch_end)(void *bs);

	/* --- access --- */

	/*
	 * access: copy len bytes between buf and virtual address va, as the
	 * CPU would (through the TLB, filling it on a miss).  Returns 0, or
	 * -EFAULT when some page is not mapped or (writing) not writable; a
	 * failed access may have copied a prefix.
	 */
	int (*access)(void *bs, unsigned long va, void *buf, size_t len,
		      bool write);

	/*
	 * translate (optional): what would an access to va reach now?  0 and
	 * the pfn, or -EFAULT.  Like access(), it may use and fill the TLB.
	 */
	int (*translate)(void *bs, unsigned long va, unsigned long *pfn);

	/*
	 * tlb_for_each (optional, VMC_BF_SOFT_TLB): call fn for every cached
	 * translation (virtual page address, pfn).  Stops early and returns
	 * fn's value when fn returns non-zero; returns 0 otherwise.
	 */
	int (*tlb_for_each)(void *bs,
			    int (*fn)(void *arg, unsigned long va,
				      unsigned long pfn),
			    void *arg);

	/* --- appended slots --- */

	/*
	 * probe (optional, VMC_BF_REAL_MMU): really touch va, as a load (and
	 * with `write`, a store of the byte just loaded) through the real
	 * MMU, not through the backend's tables.  0 if it worked, -EFAULT if
	 * the access faulted, -EAGAIN if the backend cannot tell now (its
	 * real mapping of va is knowingly behind its tables, e.g. the host
	 * refused to update it; the core then draws no conclusion).  Must not
	 * disturb the contents or the tables; pending batched writes are
	 * committed first.  Lets vmc_check() verify invariant 5 on a real MMU.
	 */
	int (*probe)(void *bs, unsigned long va, bool write);

	/*
	 * table_entries (optional): a read-only host view of the table at
	 * pfn `table` of `level`: its 1 << geom.bits[level] entries of
	 * geom.entry_size bytes each, in the backend's format, valid until the
	 * next write to that table or its table_free; NULL when the backend
	 * has none.  An entry whose bytes are all zero must be not present.
	 * Lets a walk over whole tables (the checker's) skip the empty
	 * entries without a read() call each.
	 */
	const void *(*table_entries)(void *bs, unsigned long table,
				     unsigned int level);

	/*
	 * tlb_for_each_range (optional, VMC_BF_SOFT_TLB): tlb_for_each for
	 * the cached translations of pages in [lo, hi) only, in an order that
	 * depends only on the TLB's contents.  Lets a check of a small range
	 * look at a few sets instead of the whole TLB.
	 */
	int (*tlb_for_each_range)(void *bs, unsigned long lo, unsigned long hi,
				  int (*fn)(void *arg, unsigned long va,
					    unsigned long pfn),
				  void *arg);

	/*
	 * frame_zero (optional): make the allocated RAM frame at pfn read
	 * as zero bytes through kaddr(), as memset(kaddr(pfn), 0, 4096)
	 * would.  Lets a backend that fills fresh frames lazily (the sim's
	 * 0xa5 poison) skip a fill the zeroing overwrites at once.
	 */
	void (*frame_zero)(void *bs, unsigned long pfn);

	/*
	 * sync_copy (optional): a read-only host view of the other
	 * page-table roots' copy of the root table (level levels - 1), in
	 * the format of table_entries: what every other root holds for the
	 * kernel's entries, as the last sync() calls left it.  Meaningful
	 * when geom.sync_levels has the root level; NULL when the backend
	 * keeps no copy.  Lets vmc_check() report a root entry that changed
	 * without a sync (arch_sync_kernel_mappings) after it.
	 */
	const void *(*sync_copy)(void *bs);

	/*
	 * frame_reuse (optional, with VMC_BF_CONCURRENT): the core hands
	 * out again an allocated RAM frame it kept for that (a CPU's frame
	 * cache, vmc_pcpu.c): make it what frame_alloc would have returned
	 * (the sim owes its 0xa5 fill again).  Called concurrently.
	 */
	void (*frame_reuse)(void *bs, unsigned long pfn);
};

/* Shift of the area one entry at `level` covers. */
static inline unsigned int vmc_geom_shift(const struct vmc_geometry *g,
					  unsigned int level)
{
	unsigned int s = VMC_PAGE_SHIFT, l;

	for (l = 0; l < level; l++)
		s += g->bits[l];
	return s;
}

#endif /* VMC_BACKEND_H */
