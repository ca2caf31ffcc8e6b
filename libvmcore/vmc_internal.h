/* SPDX-License-Identifier: MIT */
/*
 * vmc_internal.h - structures and functions shared by the core's files.
 *
 * Map of the core (one concept per file):
 *
 *   vmc_arena.c      arena life cycle, locking, logging, stats, errors
 *   vmc_bops.c       the only caller of the backend ops table: wrappers
 *                    that assert preconditions, count frames and host
 *                    fault injection; metadata allocation
 *   vmc_rbtree.c     augmented red-black tree
 *   vmc_va.c         vmap areas: free tree + list, busy tree, lazy set,
 *                    Linux (or exact lowest-fit) placement, merging, purge
 *   vmc_node.c       linux-6.12 profile: vmap nodes, per-node lazy sets,
 *                    size-class pools, pool decay, 6.12 purge order
 *   vmc_pgtable.c    generic page-table walker / populator / unmapper
 *   vmc_pages.c      page arrays of areas (kmalloc'ed or vmalloc'ed)
 *   vmc_area.c       vm_struct areas: get / find / remove, vmallocinfo
 *   vmc_vmalloc.c    vmalloc family, vfree, vrealloc, vmap, vunmap
 *   vmc_ioremap.c    ioremap, iounmap
 *   vmc_vmap_block.c vm_map_ram, vm_unmap_ram and the vmap blocks
 *   vmc_check.c      vmc_check(): the invariants of DESIGN.md section 4
 *
 * Locking: every public entry point takes the arena lock
 * (vmc_arena_lock: every CPU's lock of vmc_pcpu.c, then a->lock) and
 * calls the internal (double underscore free, `_locked`-less) functions
 * declared here, which all expect it held.  Internal functions never take
 * it.  The only exceptions are vmc_pcpu.c's fast paths, which hold their
 * CPU's lock alone and touch nothing arena-wide (vmc_pcpu.c theory).
 *
 * Address arithmetic is on unsigned long (64-bit on every supported host;
 * the i386 geometry uses the low 32 bits).  Helpers below never overflow:
 * vmc_align_up() reports overflow instead of wrapping.
 */
#ifndef VMC_INTERNAL_H
#define VMC_INTERNAL_H

#include "vmc_env.h"
#include "vmc_backend.h"
#include "vmcore.h"
#include "vmc_list.h"
#include "vmc_rbtree.h"

/* ---------- arithmetic ---------- */

static inline bool vmc_is_pow2(unsigned long x)
{
	return x && !(x & (x - 1));
}

/* Round x up to a multiple of align (a power of two); false on overflow. */
static inline bool vmc_align_up(unsigned long x, unsigned long align,
				unsigned long *out)
{
	unsigned long r = (x + align - 1) & ~(align - 1);

	if (r < x)
		return false;
	*out = r;
	return true;
}

static inline unsigned long vmc_align_down(unsigned long x,
					   unsigned long align)
{
	return x & ~(align - 1);
}

static inline bool vmc_page_aligned(unsigned long x)
{
	return !(x & (VMC_PAGE_SIZE - 1));
}

/* fls: 1-based index of the highest set bit, 0 for 0. */
static inline unsigned int vmc_fls_long(unsigned long x)
{
	return x ? (unsigned int)(sizeof(x) * 8) - (unsigned int)__builtin_clzl(x) : 0;
}

/* Linux get_order(): smallest order with (PAGE_SIZE << order) >= size. */
static inline unsigned int vmc_get_order(unsigned long size)
{
	if (size <= VMC_PAGE_SIZE)
		return 0;
	return vmc_fls_long((size - 1) >> VMC_PAGE_SHIFT);
}

/* Linux get_count_order_long(): ceil(log2(x)), -1 for 0. */
static inline int vmc_count_order(unsigned long x)
{
	if (!x)
		return -1;
	return (int)vmc_fls_long(x - 1);
}

#define VMC_MIN(a, b) ((a) < (b) ? (a) : (b))
#define VMC_MAX(a, b) ((a) > (b) ? (a) : (b))

/* ---------- vmap areas ---------- */

enum vmc_va_state {
	VMC_VA_FREE = 1,
	VMC_VA_BUSY = 2,
	VMC_VA_LAZY = 3,
};

/* What a busy vmap area carries. */
enum vmc_va_kind {
	VMC_VA_NONE = 0,     /* just allocated, nothing attached yet */
	VMC_VA_VM   = 1,     /* a vm_struct (vmalloc, vmap, ioremap, get_vm_area) */
	VMC_VA_BLOCK = 2,    /* a vmap block serving small vm_map_ram calls */
	VMC_VA_RAM  = 3,     /* a vm_map_ram of more than VMC_VMAP_MAX_ALLOC pages */
};

struct vmc_vm;
struct vmc_vb;
struct vmc_ram;

/* Linux struct vmap_area. */
struct vmc_va {
	unsigned long va_start, va_end;  /* [va_start, va_end) */
	unsigned long subtree_max_size;  /* free tree: largest block below */
	struct vmc_rb_node rb;           /* in the tree of its state */
	struct vmc_list list;            /* on the address-ordered list of its state */
	unsigned char state;             /* enum vmc_va_state */
	unsigned char kind;              /* enum vmc_va_kind (busy only) */
	/* linux-6.12 (vmc_node.c): pool = 1 while a purged area waits in a
	   node pool (it stays in the lazy set, state LAZY, for the checker);
	   vn = Linux's encoded vn_id (node + 1 of the CPU that allocated it
	   through the node layer, 0 for none). */
	unsigned char pool;
	unsigned short vn;
	union {
		struct vmc_vm *vm;
		struct vmc_vb *vb;
		struct vmc_ram *ram;
		struct vmc_va *next;      /* linux-6.12: next in its node pool */
	} u;
	struct vmc_va *staged;           /* next on its CPU's staged list
					    (vmc_pcpu.c) */
};

static inline unsigned long vmc_va_size(const struct vmc_va *va)
{
	return va->va_end - va->va_start;
}

/*
 * The part of va inside the arena, [*s, *e); false when none.  Busy and
 * lazy areas lie inside it; free blocks may reach beyond it (the free
 * tree covers the whole space [1, ULONG_MAX), as Linux's does).
 */
static inline bool vmc_va_clip(unsigned long start, unsigned long end,
			       const struct vmc_va *va, unsigned long *s,
			       unsigned long *e)
{
	*s = va->va_start > start ? va->va_start : start;
	*e = va->va_end < end ? va->va_end : end;
	return *s < *e;
}

/* One address-ordered set: tree + list + count. */
struct vmc_vaset {
	struct vmc_rb_root root;
	struct vmc_list head;
	unsigned long nr;
	struct vmc_va *hint;             /* busy: the member inserted last, or
					    its list predecessor once removed */
};

struct vmc_vaspace {
	struct vmc_vaset free;           /* augmented with subtree_max_size */
	struct vmc_vaset busy;
	struct vmc_vaset lazy;
	unsigned long lazy_pages;        /* pages in the lazy set */
	unsigned long lazy_max_pages;    /* purge when lazy_pages exceeds it */
	unsigned long nr_purges;
};

/* ---------- areas (vm_struct) ---------- */

/* Internal vm_struct: the public part first, so a pointer converts. */
struct vmc_vm {
	struct vmc_vm_struct pub;
	struct vmc_va *va;
	uint64_t *pages;                 /* page array in metadata, or NULL */
	struct vmc_vm *pages_vm;         /* page array vmalloc'ed ("vpages") */
	unsigned int pages_cap;          /* entries the array holds */
	bool owns_frames;                /* vfree frees the frames (VM_ALLOC) */
	bool is_pages_array;             /* this area holds another's array */
};

/* A vm_map_ram of more than VMC_VMAP_MAX_ALLOC pages: no vm_struct. */
struct vmc_ram {
	unsigned int count;
	unsigned long pfns[];
};

/* vm_map_ram of at most this many pages is served from vmap blocks. */
#define VMC_VMAP_MAX_ALLOC 64u

/* A vmap block: one VA of a->vb_pages pages carved into power-of-two chunks. */
struct vmc_vb {
	struct vmc_va *va;
	struct vmc_list list;            /* on a->vb_list */
	unsigned long free;              /* pages never handed out (at the tail) */
	unsigned long dirty;             /* pages handed out and freed again */
	unsigned long *pfns;             /* pfn of each page in use, 0 if none */
	unsigned char *used;             /* VMC_VB_* bits per page, 0 if not in use */
	unsigned int cpu;                /* linux-6.12: the CPU whose queue it is on */
};

/* ---------- the arena ---------- */

/* Changed ranges an arena remembers between two checks (vmc_check.c). */
#define VMC_DIRTY_MAX 8u

struct vmc_arena {
	struct vmc_arena_config cfg;
	const struct vmc_backend_ops *ops;
	void *bs;                        /* backend state, ops->state_size bytes */
	struct vmc_backend_info info;
	unsigned long start, end;        /* the arena: [start, end) */
	vmc_lock_t lock;

	struct vmc_vaspace vs;

	/* vmap blocks (vm_map_ram) */
	struct vmc_list vb_list;
	unsigned long vb_pages;          /* pages per block (VMAP_BBMAP_BITS) */
	unsigned long nr_vb;

	/* huge mappings */
	bool huge_vmalloc;               /* !nohugevmalloc and backend has PMD leaves */
	bool huge_iomap;                 /* !nohugeiomap */
	unsigned int ioremap_max_order;  /* VM_IOREMAP alignment cap (shift) */

	/* fault injection and accounting (vmc_bops.c) */
	unsigned long fault_nth[VMC_FAULT_KINDS];
	unsigned long fault_count[VMC_FAULT_KINDS];
	/*
	 * Frame accounting.  frames_tables and frames_baseline are kept by
	 * vmc_bops.c alone; frames_data / frames_arrays by the code that
	 * allocates area frames (vmc_vmalloc.c, vmc_pages.c); frames_harness
	 * by vmc_frame_alloc / vmc_frame_free.  Invariant 6:
	 * frames_used = baseline + data + tables + harness.
	 */
	unsigned long frames_baseline;   /* frames_used right after init (root) */
	unsigned long frames_data;       /* frames held by areas (incl. arrays) */
	unsigned long frames_arrays;     /* of which: vmalloc'ed page arrays */
	unsigned long frames_tables;     /* tables below the root */
	/*
	 * The walk cache (vmc_pgtable.c): the level-0 table under the
	 * level-1 entry numbered pt_wc_key - 1 (0: none).  Any table_free
	 * empties it.
	 */
	unsigned long pt_wc_key, pt_wc_table;
	unsigned long frames_harness;
	unsigned long nr_tlb_flushes;
	unsigned long chk_mmu_next;     /* vmc_check: where real-MMU probes resume */
	/*
	 * What changed since the last check (vmc_check_changed): disjoint
	 * address ranges, unordered; when a new one finds no room the two
	 * nearest merge, so the ranges only ever grow to cover more.
	 * Recorded only once a check has run (dirty_track): an arena nobody
	 * checks pays nothing, and the first vmc_check_changed() before any
	 * check is a full one.
	 */
	bool dirty_track;
	unsigned int nr_dirty;
	struct { unsigned long lo, hi; } dirty[VMC_DIRTY_MAX];

	/* frames the harness holds, sorted by pfn (vmc_frames.c) */
	struct vmc_hframe *hf;
	unsigned long hf_nr, hf_cap, hf_used; /* frames held; slots; slots live or removed */

	unsigned long warnings;
	int last_error;
	bool in_teardown;

	/* Appended: the linux-6.12 node layer (vmc_node.c); NULL under 6.1. */
	struct vmc_vnode *vnodes;
	unsigned int nr_vnodes;
	unsigned long pool_pages;        /* pages of pooled areas (in vs.lazy) */
	unsigned long nr_pooled;         /* pooled areas (in vs.lazy) */
#ifndef VMC_ENV_THREAD_LOCAL
	unsigned int cur_cpu;            /* vmc_set_cpu without thread locals */
#endif
	/* Appended: live metadata per kind (vmc_bops.c, checked in vmc_meta.c). */
	unsigned long meta_live[VMC_META_KINDS];
	unsigned long meta_bytes[VMC_META_KINDS];
	/* Appended: freed vmap-area, vm and page-array records kept for reuse
	   (vmc_bops.c, VMC_META_CACHE), a singly linked stack per kind. */
	void *meta_cache[3];
	unsigned int meta_cached[3];
	/* Appended: per-CPU fast paths (vmc_pcpu.c); NULL when off. */
	struct vmc_pcpu *pcpu;
	void *pcpu_mem;                  /* what pcpu was carved from */
	unsigned long *lazy_fast;        /* lazy pages the CPUs reserved
					    since the arena lock (atomic; a
					    cache line of its own) */
	unsigned int nr_pcpu;
	vmc_lock_t bo_lock;              /* backend calls of the fast paths */
};

/* ---------- vmc_pcpu.c ---------- */

/*
 * One CPU's share of a linux-6.12 arena (vmc_pcpu.c theory).  Its lock
 * guards everything here and the pools of the CPU's vmap node; the
 * counters are deltas to the arena's, folded in by the global lock.
 */
#define VMC_PCPU_FRAMES 32u

struct vmc_pcpu {
	_Alignas(64) vmc_lock_t lock;     /* a line of its own per CPU */
	struct vmc_va *staged;           /* busy areas not yet in vs.busy */
	unsigned int nr_staged;
	long nr_pooled, pool_pages, frames_data;
	long meta_live[VMC_META_KINDS], meta_bytes[VMC_META_KINDS];
	unsigned long fault_meta;        /* metadata attempts (fault counts) */
	unsigned long fault_frame;       /* frame attempts */
	unsigned long dirty_lo, dirty_hi;/* what changed, [lo, hi); lo == hi: nothing */
	unsigned long lazy_room;         /* lazy pages reserved, not yet used */
	unsigned long lazy_used;         /* lazy pages the fast vfrees added */
	void *meta_cache[2];             /* freed vm and page-array records */
	unsigned int meta_cached[2];
	unsigned int nr_frames;          /* frames kept for reuse (theory 5) */
	unsigned long frames[VMC_PCPU_FRAMES];
};

/* Will an arena of cfg have fast paths (6.12, one node per CPU)? */
bool vmc_pcpu_wanted(const struct vmc_arena_config *cfg);
/* Set up the fast paths where they apply. */
int  vmc_pcpu_init(struct vmc_arena *a);
void vmc_pcpu_fini(struct vmc_arena *a);
/*
 * The arena lock: every CPU's lock, then a->lock; the CPUs' deltas are
 * folded in, so under it the arena is what vmc_check expects.
 */
void vmc_arena_lock_all(struct vmc_arena *a);
void vmc_arena_unlock_all(struct vmc_arena *a);

static inline void vmc_arena_lock(struct vmc_arena *a)
{
	if (a->pcpu)
		vmc_arena_lock_all(a);
	else
		vmc_lock(&a->lock);
}

static inline void vmc_arena_unlock(struct vmc_arena *a)
{
	if (a->pcpu)
		vmc_arena_unlock_all(a);
	else
		vmc_unlock(&a->lock);
}
/*
 * The fast paths: a vmalloc served from the calling CPU's pool, the vfree
 * of an area such a call returned, a data access (its result in *err).
 * NULL / -EAGAIN / false when the call needs the arena lock; nothing
 * changed then.
 */
struct vmc_vm *vmc_pcpu_vmalloc(struct vmc_arena *a, unsigned long size,
				unsigned int gfp, const char *caller);
int  vmc_pcpu_vfree(struct vmc_arena *a, unsigned long addr);
bool vmc_pcpu_access(struct vmc_arena *a, unsigned long va, void *buf,
		     size_t len, bool write, int *err);

/* ---------- vmc_arena.c ---------- */

/* Log a warning (counted in stats.warnings) / an error, printf-style. */
void vmc_warn(struct vmc_arena *a, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void vmc_info(struct vmc_arena *a, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* A checker's message into msg[len], printf-style; nothing when msg is
 * NULL or len 0. */
void vmc_msg(char *msg, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Record err as the last error and return NULL (for address returns). */
void *vmc_fail(struct vmc_arena *a, int err);
/* Record err as the calling thread's last error on a (vrealloc(p, 0)). */
void vmc_set_error(struct vmc_arena *a, int err);
/* Under VMC_ARENA_DEBUG / VMC_DEBUG: full check, panic on violation. */
void vmc_debug_check(struct vmc_arena *a, const char *op);
/* vmc_check() that leaves the changed ranges for vmc_check_changed(). */
int  vmc_check_keep(struct vmc_arena *a, struct vmc_violation *v);
/* vmc_check() that leaves the changed ranges for vmc_check_changed(). */
int  vmc_check_keep(struct vmc_arena *a, struct vmc_violation *v);
/*
 * Remember that [lo, hi) changed (vmc_check.c): every call that moves a
 * range between sets, writes page-table entries or touches data says so,
 * and vmc_check_changed() looks there.  Cheap: O(VMC_DIRTY_MAX).
 */
void vmc_dirty_add(struct vmc_arena *a, unsigned long lo, unsigned long hi);

/* ---------- vmc_bops.c ---------- */

/*
 * Metadata: zeroed or NULL, counted per kind (enum vmc_meta_kind) in
 * a->meta_live / a->meta_bytes; free takes NULL.  vmc_meta_alloc is
 * vmc_meta_alloc_kind(VMC_META_OTHER).
 */
void *vmc_meta_alloc_kind(struct vmc_arena *a, enum vmc_meta_kind kind,
			  size_t size);
void *vmc_meta_alloc(struct vmc_arena *a, size_t size);
void  vmc_meta_free(struct vmc_arena *a, void *p);
/* The same on a CPU's fast path: counted and cached in pc. */
void *vmc_meta_alloc_pc(struct vmc_pcpu *pc, enum vmc_meta_kind kind,
			size_t size);
void  vmc_meta_free_pc(struct vmc_pcpu *pc, void *p);
/* Give every record on a cache back to the environment. */
void  vmc_meta_cache_free(void **cache, unsigned int *cached);
/* Give the records kept for reuse back to the environment (teardown). */
void  vmc_meta_cache_drain(struct vmc_arena *a);

int   vmc_bo_init(struct vmc_arena *a, const struct vmc_backend_config *c);
void  vmc_bo_fini(struct vmc_arena *a);
/* Arm fault injection: the nth next allocation of kind fails (0 disarms). */
void  vmc_fault_arm(struct vmc_arena *a, enum vmc_fault_kind kind,
		     unsigned long nth);
/* Frames: the caller counts them (frames_data or frames_harness). */
int   vmc_bo_frame_alloc(struct vmc_arena *a, int node, unsigned int order,
			 unsigned long *pfn);
/* One small frame for a fast path: the attempt is counted in pc. */
int   vmc_bo_frame_alloc_pc(struct vmc_arena *a, struct vmc_pcpu *pc,
			    unsigned long *pfn);
void  vmc_bo_frame_free(struct vmc_arena *a, unsigned long pfn,
			unsigned int order);
int   vmc_bo_frame_node(struct vmc_arena *a, unsigned long pfn);
void *vmc_bo_kaddr(struct vmc_arena *a, unsigned long pfn);
/* The same, NULL for a pfn the backend has no direct map of (checker). */
void *vmc_bo_kaddr_try(struct vmc_arena *a, unsigned long pfn);
/* Zero an allocated RAM frame (the backend's frame_zero, else memset). */
void vmc_bo_frame_zero(struct vmc_arena *a, unsigned long pfn);
unsigned long vmc_bo_frames_used(struct vmc_arena *a);
bool  vmc_bo_is_device(struct vmc_arena *a, unsigned long pfn);
/*
 * Frames a caller hands in (vmap, vm_map_ram) must be allocated RAM
 * held by the harness (vmc_frame_alloc):
 * 0, or -EINVAL with a warning naming `who` and the first bad page.
 */
int   vmc_bo_check_ram(struct vmc_arena *a, const char *who,
		       const unsigned long *pfns, unsigned int count);

vmc_pte_t vmc_bo_mk_table(struct vmc_arena *a, unsigned int level,
			  unsigned long pfn);
vmc_pte_t vmc_bo_mk_leaf(struct vmc_arena *a, unsigned int level,
			 unsigned long pfn, unsigned int prot);
bool  vmc_bo_present(struct vmc_arena *a, unsigned int level, vmc_pte_t e);
bool  vmc_bo_is_leaf(struct vmc_arena *a, unsigned int level, vmc_pte_t e);
unsigned long vmc_bo_entry_pfn(struct vmc_arena *a, unsigned int level,
			       vmc_pte_t e);
unsigned int vmc_bo_leaf_prot(struct vmc_arena *a, unsigned int level,
			      vmc_pte_t e);

unsigned long vmc_bo_root(struct vmc_arena *a);
int   vmc_bo_table_alloc(struct vmc_arena *a, unsigned int level,
			 unsigned long *pfn);
void  vmc_bo_table_free(struct vmc_arena *a, unsigned int level,
			unsigned long pfn);
/* table_entries, or NULL where the backend has no such view. */
const void *vmc_bo_table_entries(struct vmc_arena *a, unsigned long table,
				 unsigned int level);
/* sync_copy: the other roots' copy of the root, or NULL (none kept). */
const void *vmc_bo_sync_copy(struct vmc_arena *a);
vmc_pte_t vmc_bo_read(struct vmc_arena *a, unsigned long table,
		      unsigned int level, unsigned int idx);
int   vmc_bo_write(struct vmc_arena *a, unsigned long table,
		   unsigned int level, unsigned int idx, vmc_pte_t e,
		   unsigned long va);
void  vmc_bo_sync(struct vmc_arena *a, unsigned long start,
		  unsigned long end, unsigned int mask);
void  vmc_bo_flush_tlb(struct vmc_arena *a, unsigned long start,
		       unsigned long end);
void  vmc_bo_batch_begin(struct vmc_arena *a);
void  vmc_bo_batch_end(struct vmc_arena *a);
int   vmc_bo_access(struct vmc_arena *a, unsigned long va, void *buf,
		    size_t len, bool write);
int   vmc_bo_translate(struct vmc_arena *a, unsigned long va,
		       unsigned long *pfn);
int   vmc_bo_tlb_for_each(struct vmc_arena *a,
			  int (*fn)(void *arg, unsigned long va,
				    unsigned long pfn),
			  void *arg);
/* Has the backend a probe slot?  Then vmc_bo_probe() answers 0/-EFAULT. */
/* tlb_for_each over the pages in [lo, hi) (every entry filtered by default). */
int   vmc_bo_tlb_for_each_range(struct vmc_arena *a, unsigned long lo,
				unsigned long hi,
				int (*fn)(void *arg, unsigned long va,
					  unsigned long pfn),
				void *arg);
bool  vmc_bo_has_probe(struct vmc_arena *a);
/* Really touch va: 0, -EFAULT (faulted) or -EAGAIN (no verdict, no probe). */
int   vmc_bo_probe(struct vmc_arena *a, unsigned long va, bool write);

/* ---------- vmc_va.c ---------- */

/* One free block covering the space [1, ULONG_MAX); -ENOMEM, -EINVAL (bad
 * placement). */
int  vmc_va_init(struct vmc_arena *a);
/* Release every vmap area's metadata (all three sets). */
void vmc_va_fini(struct vmc_arena *a);
/*
 * Allocate a busy area of `size` bytes (page multiple, > 0) aligned to
 * `align` (power of two >= PAGE_SIZE) inside [vstart, vend), where the
 * arena's placement puts it (Linux's search or the exact lowest fit).  On
 * no fit, purges fragmented vmap blocks and the lazy set and retries once.
 * Returns 0 with *out (kind VMC_VA_NONE), -ENOMEM or -EINVAL.
 */
int  vmc_va_alloc(struct vmc_arena *a, unsigned long size,
		  unsigned long align, unsigned long vstart,
		  unsigned long vend, struct vmc_va **out);
/*
 * Move a busy area to the lazy set.  The caller has already cleared its
 * mappings (without a TLB flush).  Purges when lazy pages exceed
 * lazy_max_pages.
 */
void vmc_va_free(struct vmc_arena *a, struct vmc_va *va);
/* Give a busy area back to the free set at once (error paths: never mapped). */
void vmc_va_free_now(struct vmc_arena *a, struct vmc_va *va);
/* Flush the TLB once over the lazy set's span and free it; returns count. */
unsigned long vmc_va_purge(struct vmc_arena *a);
/* The busy area containing addr, or NULL. */
struct vmc_va *vmc_va_find(struct vmc_arena *a, unsigned long addr);
/* The area of any one set (free, busy, lazy) containing addr, or NULL. */
struct vmc_va *vmc_vaset_find(const struct vmc_vaset *set, unsigned long addr);
/*
 * Check the three sets: valid trees, exact subtree_max_size, lists equal
 * to in-order walks, states, merged free blocks, counts, lazy_pages
 * (returns 3), and busy + lazy + free tiling [start, end) (returns 1).
 * 0 when all hold; else the invariant number with a message in msg[len].
 */
int  vmc_va_validate(struct vmc_arena *a, char *msg, size_t len);

/*
 * Pieces of vmc_va.c the linux-6.12 node layer (vmc_node.c) composes;
 * all expect a->lock held.  vmc_va_search: one search of the free tree
 * and the cut (theory 4, 5), told as an ALLOC / NOFIT event with `flags`
 * (VMC_VA_EVF_*); 0 with *out busy, -ENOENT (no fit), -ENOMEM.
 */
int  vmc_va_search(struct vmc_arena *a, unsigned long size,
		   unsigned long align, unsigned long vstart,
		   unsigned long vend, unsigned int flags, struct vmc_va **out);
/*
 * vmc_va_search(..., 0, out) in two halves, for a caller that maps the
 * pages before it takes the area (vmc_pcpu.c theory 6): vmc_va_fit names
 * the block and address the search would take and changes nothing;
 * vmc_va_take(f, *addr, ...) then makes the same cut and ALLOC event and
 * returns the busy area, in no set yet, or NULL (-ENOMEM, nothing
 * changed).  a->lock held across both.
 */
struct vmc_va *vmc_va_fit(struct vmc_arena *a, unsigned long size,
			  unsigned long align, unsigned long vstart,
			  unsigned long vend, unsigned long *addr);
struct vmc_va *vmc_va_take(struct vmc_arena *a, struct vmc_va *f,
			   unsigned long addr, unsigned long size,
			   unsigned long align, unsigned long vstart,
			   unsigned long vend);
/* Tell the va_event hook (vmcore.h); size..vend 0 where they do not apply. */
void vmc_va_event(struct vmc_arena *a, unsigned int kind, unsigned long addr,
		  unsigned long size, unsigned long align, unsigned long vstart,
		  unsigned long vend, unsigned int flags);
void vmc_vaset_init(struct vmc_vaset *s);
/* Insert at its address, no merging / remove / merge_or_add (theory 6). */
void vmc_vaset_insert(struct vmc_arena *a, struct vmc_vaset *s,
		      struct vmc_va *va);
void vmc_vaset_remove(struct vmc_arena *a, struct vmc_vaset *s,
		      struct vmc_va *va);
void vmc_vaset_merge(struct vmc_arena *a, struct vmc_vaset *s,
		     struct vmc_va *va);

/* ---------- vmc_node.c (linux-6.12 profile) ---------- */

/* Linux 6.12's MAX_VA_SIZE_PAGES: pools hold areas of 1..256 pages. */
#define VMC_POOL_SIZES 256u
#define VMC_NODE_MAX 128u                /* vmap nodes at most */

/* One size class of a node: LIFO through vmc_va.u.next. */
struct vmc_pool {
	struct vmc_va *head, *tail;
	unsigned long len;
};

/* Linux's struct vmap_node, minus the busy and lazy sets (theory 2). */
struct vmc_vnode {
	struct vmc_pool pool[VMC_POOL_SIZES];
	struct vmc_va *qhead, *qtail;    /* a purge's queue of its lazy areas */
};

/*
 * Take the head off pool p (not empty), uncounted: the caller keeps
 * nr_pooled, pool_pages and p->len (vmc_node.c, vmc_pcpu.c).
 */
struct vmc_va *vmc_pool_unlink(struct vmc_pool *p);

/* The nodes for a linux-6.12 arena (none for 6.1); -ENOMEM, -EINVAL. */
int  vmc_node_init(struct vmc_arena *a);
void vmc_node_fini(struct vmc_arena *a);
/* alloc_vmap_area() of 6.12: a node pool, else the free tree, purge, retry. */
int  vmc_node_alloc(struct vmc_arena *a, unsigned long size,
		    unsigned long align, unsigned long vstart,
		    unsigned long vend, struct vmc_va **out);
/* free_vmap_area_noflush() of 6.12: into its node's lazy set; drain. */
void vmc_node_free(struct vmc_arena *a, struct vmc_va *va);
/* __purge_vmap_area_lazy(full_pool_decay): areas purged. */
unsigned long vmc_node_purge(struct vmc_arena *a, bool full);
/* The node counts behind vmc_va_validate (3 on a mismatch). */
int  vmc_node_validate(struct vmc_arena *a, char *msg, size_t len);
/* The calling thread's CPU for a (vmc_set_cpu; vmc_arena.c). */
unsigned int vmc_cur_cpu(const struct vmc_arena *a);

/* ---------- vmc_pgtable.c ---------- */

/*
 * vmap_range_noflush: map [addr, end) to the frames from `pfn` on, using
 * leaves up to 1 << max_shift bytes where the geometry, the backend and
 * the alignment of VA and PA allow.  -EBUSY (logged) if an entry is
 * already present, -ENOMEM if a table cannot be had; on error whatever
 * this call mapped is unmapped again.
 */
int  vmc_pt_map(struct vmc_arena *a, unsigned long addr, unsigned long end,
		unsigned long pfn, unsigned int prot, unsigned int max_shift);
/*
 * vmap_pages_range_noflush: map nr_pages small pages at addr; get(arg, i)
 * returns the pfn of page i.  With page_shift > PAGE_SHIFT the pages come
 * in naturally aligned runs of 1 << (page_shift - PAGE_SHIFT) and each
 * run is mapped with one leaf where possible.  Same errors and cleanup.
 */
int  vmc_pt_map_pages(struct vmc_arena *a, unsigned long addr,
		      unsigned long nr_pages,
		      unsigned long (*get)(void *arg, unsigned long i),
		      void *arg, unsigned int prot, unsigned int page_shift);
/* vunmap_range_noflush: clear every leaf in [addr, end); no TLB flush. */
void vmc_pt_unmap(struct vmc_arena *a, unsigned long addr, unsigned long end);
/*
 * The fast paths' map and unmap (vmc_pcpu.c): nr small pages at addr from
 * pfns[], or clear [addr, end), where every table already exists and the
 * range sits in one level-0 table; -EAGAIN with nothing changed when not
 * (or when an entry is in the way, or the backend refused a write).  No
 * walk cache, no dirty range: the caller keeps its own.
 */
int  vmc_pt_map_quick(struct vmc_arena *a, unsigned long addr,
		      unsigned long nr, const uint64_t *pfns,
		      unsigned int prot);
int  vmc_pt_unmap_quick(struct vmc_arena *a, unsigned long addr,
			unsigned long end);
/* Software walk: 0 and the 4 KiB frame at addr (and leaf level, prot; both
 * may be NULL), or -EFAULT. */
int  vmc_pt_lookup(struct vmc_arena *a, unsigned long addr,
		   unsigned long *pfn, unsigned int *level, unsigned int *prot);
/* Call fn for every present leaf in the arena, in address order. */
int  vmc_pt_for_each_leaf(struct vmc_arena *a,
			  int (*fn)(void *arg, unsigned long va,
				    unsigned int level, unsigned long pfn,
				    unsigned int prot),
			  void *arg);
/* vmc_pt_for_each_leaf over the leaves that map part of [lo, hi) only. */
int  vmc_pt_for_each_leaf_range(struct vmc_arena *a, unsigned long lo,
				unsigned long hi,
				int (*fn)(void *arg, unsigned long va,
					  unsigned int level, unsigned long pfn,
					  unsigned int prot),
				void *arg);
/* Tables below the root reachable from the arena's range. */
unsigned long vmc_pt_count_tables(struct vmc_arena *a);
/* Free every table below the root in the arena's range (teardown). */
void vmc_pt_fini(struct vmc_arena *a);
/*
 * Checker: leaves only at geom.leaf_levels, huge leaves aligned, no table
 * reachable twice (all: 4), table count == a->frames_tables (6).  Returns
 * 0 or that invariant number with a description in msg.
 */
int  vmc_pt_validate(struct vmc_arena *a, char *msg, size_t len);
/* The leaf rules of vmc_pt_validate for the leaves in [lo, hi) only (4). */
int  vmc_pt_validate_range(struct vmc_arena *a, unsigned long lo,
			   unsigned long hi, char *msg, size_t len);
/*
 * The sync rule over [lo, hi) (4): every root entry of the arena there
 * equals the other roots' copy of it (the backend's sync_copy), when the
 * root level is one of geom.sync_levels and the backend keeps a copy.
 */
int  vmc_pt_validate_sync(struct vmc_arena *a, unsigned long lo,
			  unsigned long hi, char *msg, size_t len);

/* ---------- vmc_meta.c ---------- */

/*
 * Checker: each kind's live count and bytes equal what the live objects
 * own (6).  Returns 0 or 6 with a description in msg.
 */
int  vmc_meta_validate(struct vmc_arena *a, char *msg, size_t len);
/* Teardown: true if nothing is left; else logs each kind left (a leak). */
bool vmc_meta_none_left(struct vmc_arena *a);

/* ---------- vmc_pages.c ---------- */

/* Give vm an array of nr entries: metadata if <= a page, else vmalloc'ed. */
int  vmc_pages_alloc(struct vmc_arena *a, struct vmc_vm *vm,
		     unsigned int nr, int node);
void vmc_pages_free(struct vmc_arena *a, struct vmc_vm *vm);
/* Error-path form: a vmalloc'ed array goes back at once (no lazy area). */
void vmc_pages_discard(struct vmc_arena *a, struct vmc_vm *vm);
unsigned long vmc_pages_get(struct vmc_arena *a, const struct vmc_vm *vm,
			    unsigned long i);
void vmc_pages_set(struct vmc_arena *a, struct vmc_vm *vm, unsigned long i,
		   unsigned long pfn);
/*
 * A read cursor for walks that look up many entries in order (the
 * checker): it keeps the direct-map address of the array page it read
 * last, so entries of one page cost no backend kaddr() each.  Valid
 * while nothing changes the array; zero it to start.
 */
struct vmc_pages_cur {
	const struct vmc_vm *vm;
	unsigned long page;             /* index of the array page held */
	const uint64_t *p;
};
unsigned long vmc_pages_get_cur(struct vmc_arena *a, const struct vmc_vm *vm,
				unsigned long i, struct vmc_pages_cur *cur);

/* ---------- vmc_area.c ---------- */

/* Link vm and its busy area va; vm gets va's range, flags, node, caller. */
void vmc_area_attach(struct vmc_vm *vm, struct vmc_va *va,
		     unsigned long flags, int node, const char *caller);

/*
 * __get_vm_area_node: reserve an area of size (rounded up to pages, plus
 * a guard page unless VM_NO_GUARD) in [start, end); VM_IOREMAP areas get
 * the ioremap alignment.  Returns the area or NULL with *err.
 */
struct vmc_vm *vmc_area_get(struct vmc_arena *a, unsigned long size,
			    unsigned long align, unsigned long flags,
			    unsigned long start, unsigned long end, int node,
			    const char *caller, int *err);
/* The area containing addr / starting exactly at addr, or NULL. */
struct vmc_vm *vmc_area_find(struct vmc_arena *a, unsigned long addr);
struct vmc_vm *vmc_area_find_start(struct vmc_arena *a, unsigned long addr);
/* Size without the guard page. */
unsigned long vmc_area_size(const struct vmc_vm *vm);
/*
 * remove_vm_area: clear the area's mappings (no flush), send its vmap
 * area to the lazy set and detach it.  Frames and the page array stay
 * with vm, which the caller frees with vmc_area_release().
 */
void vmc_area_remove(struct vmc_arena *a, struct vmc_vm *vm);
/* Give back a never-mapped area at once (error paths). */
void vmc_area_discard(struct vmc_arena *a, struct vmc_vm *vm);
void vmc_area_release(struct vmc_arena *a, struct vmc_vm *vm);

/* ---------- vmc_frames.c ---------- */

/*
 * The frames the harness holds (vmc_frame_alloc) and how many vmap /
 * vm_map_ram mappings each has.  reserve before the frame is taken (so
 * add cannot fail), remove refuses a frame not held (-EINVAL) or still
 * mapped (-EBUSY) with a warning; check is the vmap / vm_map_ram
 * precondition (-EINVAL naming `who`); get / put count mappings (put
 * skips pfn 0); validate is invariant 6 for them (6 or 0, message).
 */
struct vmc_hframe;
int  vmc_hf_reserve(struct vmc_arena *a);
void vmc_hf_add(struct vmc_arena *a, unsigned long pfn);
int  vmc_hf_remove(struct vmc_arena *a, unsigned long pfn);
bool vmc_hf_held(const struct vmc_arena *a, unsigned long pfn);
int  vmc_hf_check(struct vmc_arena *a, const char *who,
		  const unsigned long *pfns, unsigned int count);
void vmc_hf_get(struct vmc_arena *a, const unsigned long *pfns,
		unsigned long count);
void vmc_hf_put(struct vmc_arena *a, const unsigned long *pfns,
		unsigned long count);
/* put for every page of a vmap area (not for areas owning their frames) */
void vmc_hf_put_vm(struct vmc_arena *a, const struct vmc_vm *vm);
void vmc_hf_fini(struct vmc_arena *a);
int  vmc_hf_validate(struct vmc_arena *a, char *msg, size_t len);

/* ---------- vmc_vmalloc.c ---------- */

void *vmc__vmalloc_node_range(struct vmc_arena *a, unsigned long size,
			      unsigned long align, unsigned long start,
			      unsigned long end, unsigned int gfp,
			      unsigned int prot, unsigned long vm_flags,
			      int node, const char *caller, int *err);
/* Free a VM_ALLOC area: unmap, frames, array, lazy VA. */
void vmc__vfree(struct vmc_arena *a, struct vmc_vm *vm);
/* Error-path vfree of an area only reached through the direct map:
 * unmap (no flush needed), free frames, give the range back at once. */
void vmc__vfree_discard(struct vmc_arena *a, struct vmc_vm *vm);

/* ---------- vmc_vmap_block.c ---------- */

/*
 * used[] of a vmap block, one byte per page: 0 when the page is not part
 * of a live chunk (never handed out, or handed out and freed: dirty).
 */
#define VMC_VB_INUSE    0x01u   /* the page belongs to a live chunk */
#define VMC_VB_MAPPED   0x02u   /* ... and is mapped to pfns[i] */
#define VMC_VB_HEAD     0x04u   /* first page of its chunk */
#define VMC_VB_ORDER(u) ((unsigned int)(u) >> 4)  /* heads: chunk order */

/* a->vb_pages from the arena size and nr_cpus; empty block list. */
void vmc_vb_init(struct vmc_arena *a);
/* Checker helper: pages of a VMC_VA_BLOCK area marked VMC_VB_MAPPED. */
unsigned long vmc_vb_mapped_pages(struct vmc_arena *a,
				  const struct vmc_va *va);
/*
 * Free the metadata of every vmap block and vm_map_ram record (not their
 * vmap areas, which vmc_va_fini() frees): call it before vmc_va_fini().
 */
void vmc_vb_fini(struct vmc_arena *a);
/*
 * Checker helper: 0 when every block and VMC_VA_RAM record is consistent
 * (pages add up, chunks inside their block, kinds right), else non-zero
 * with a description in msg.
 */
int  vmc_vb_validate(struct vmc_arena *a, char *msg, size_t len);
/*
 * Checker helper for a busy VMC_VA_BLOCK or VMC_VA_RAM area: 0 and the
 * pfn when the page at addr must be mapped to it, 1 when it must not be
 * mapped, -EINVAL when va is not such an area or addr is outside it.
 */
int  vmc_vb_expected_pfn(struct vmc_arena *a, const struct vmc_va *va,
			 unsigned long addr, unsigned long *pfn);
/*
 * purge_fragmented_blocks: release every block with no live chunk that is
 * not fully dirty (its range goes lazy).  vm_unmap_aliases() semantics:
 * meant to run just before vmc_va_purge() on an explicit purge.  Returns
 * the number of blocks released.
 */
unsigned long vmc_vb_purge_fragmented(struct vmc_arena *a);
/* The same with 6.12's threshold: without force only blocks whose never-used
 * part is below a quarter (VMAP_PURGE_THRESHOLD, vm_unmap_aliases). */
unsigned long vmc_vb_purge_fragmented_force(struct vmc_arena *a, bool force);

#endif /* VMC_INTERNAL_H */
