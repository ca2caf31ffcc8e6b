/* SPDX-License-Identifier: MIT */
/*
 * vmcore.h - public API of libvmcore, the vmalloc core as a library.
 *
 * One struct vmc_arena is one vmalloc space [start, end) bound to one
 * page-table backend instance.  Nothing is global: arenas on different
 * backends live side by side in one process, and every arena is safe to
 * use from several threads at once (one lock per arena).
 *
 * Names and semantics follow Linux 6.x mm/vmalloc.c with a vmc_ prefix.
 * Addresses are virtual addresses of the arena's backend: on the sim
 * backend they are simulated and must be accessed with vmc_read() and
 * vmc_write(), never dereferenced.
 *
 * Errors are negative errno values.  Calls that return an address return
 * NULL on failure and leave the reason in vmc_last_error().  A call that
 * fails leaves the arena as it was: nothing allocated is kept.  Every
 * entry point validates all it is given before it changes anything: a
 * bad call (a size, alignment, range, flag, prot, node, pfn or address
 * the call does not accept, a NULL out-pointer) warns and returns
 * -EINVAL (-ENOMEM where Linux reports a request that cannot fit, e.g. a
 * size beyond RAM or the arena), with the arena exactly as it was.  The
 * arena pointer itself must be one vmc_arena_create() returned.
 *
 * Threads.  Every entry point may be called from any thread at any time
 * (one mutex per arena; arenas are independent).  The rules that make
 * this true, in one place:
 *   - vmc_last_error() is per thread: it tells the reason of the calling
 *     thread's own last failed call on that arena (0 if none).
 *   - vmc_set_cpu() is per thread too: the CPU the calling thread's calls
 *     run on (linux-6.12: their vmap node), 0 until set.
 *   - Pointers the arena returns (the struct vmc_vm_struct of
 *     vmc_get_vm_area / vmc_find_vm_area) stay valid until the area is
 *     freed, by whichever thread.  A caller that shares areas between
 *     threads must own the area it looks at (as in Linux, where
 *     find_vm_area's result is only safe while the caller holds the
 *     area), or use vmc_find_vm_area_info(), which copies under the lock.
 *   - The log callback (struct vmc_arena_config.log) and the vmallocinfo
 *     emit callback run with the arena lock held (Linux too holds the
 *     vmap lock across /proc/vmallocinfo): they must not call into the
 *     same arena (that deadlocks); other arenas are fine.
 *   - vmc_kaddr() and the addresses returned are raw memory: concurrent
 *     access to the same bytes is the callers' to order.
 */
#ifndef VMCORE_H
#define VMCORE_H

#ifdef __KERNEL__
#include <linux/types.h>
#else
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#endif

#include "vmc_backend.h"    /* VMC_PROT_*, VMC_PAGE_SIZE */

#ifdef __cplusplus
extern "C" {
#endif

struct vmc_arena;
struct vmc_backend_ops;

/* vm_struct flags: the values of Linux 6.1 include/linux/vmalloc.h. */
#define VMC_VM_IOREMAP          0x00000001UL
#define VMC_VM_ALLOC            0x00000002UL
#define VMC_VM_MAP              0x00000004UL
#define VMC_VM_USERMAP          0x00000008UL
#define VMC_VM_DMA_COHERENT     0x00000010UL
#define VMC_VM_UNINITIALIZED    0x00000020UL
#define VMC_VM_NO_GUARD         0x00000040UL
#define VMC_VM_ALLOW_HUGE_VMAP  0x00000400UL

/* gfp bits the core honours. */
#define VMC_GFP_ZERO            0x1u

#define VMC_NUMA_NO_NODE        (-1)

/* Arena flags (struct vmc_arena_config.flags). */
#define VMC_ARENA_NOHUGEVMALLOC 0x1u  /* like the nohugevmalloc boot option */
#define VMC_ARENA_NOHUGEIOMAP   0x2u  /* like the nohugeiomap boot option */
#define VMC_ARENA_DEBUG         0x4u  /* full vmc_check() after every call */
#define VMC_ARENA_QUIET         0x8u  /* no default logging of warnings */

/* Placement policies (struct vmc_arena_config.placement). */
#define VMC_PLACEMENT_LINUX     0u    /* Linux 6.1: the default */
#define VMC_PLACEMENT_EXACT     1u    /* exact lowest aligned fit */

/*
 * Kernel profiles (struct vmc_arena_config.profile): which Linux the
 * vmap-area layer follows.  linux-6.1 (0, the default, what every arena
 * did before profiles existed): one free tree, one busy tree, one lazy
 * tree.  linux-6.12: the vmap nodes of 6.9+ (nr_cpus of them, clamped to
 * [1, 128]; none when nr_cpus is 1), per-node lazy sets, size-class pools
 * of purged areas up to 256 pages, 6.12 vrealloc and per-CPU vmap blocks
 * (vmc_node.c).  The calling thread's CPU (vmc_set_cpu) picks its node.
 * linux-6.12 needs VMC_PLACEMENT_LINUX.
 */
#define VMC_PROFILE_LINUX_6_1   0u
#define VMC_PROFILE_LINUX_6_12  1u

/*
 * VA events (struct vmc_arena_config.va_event): one per call of the
 * vmap-area allocator, in order.  A search is one ALLOC or NOFIT event
 * with its request (size, align, [vstart, vend)); on NOFIT the
 * allocator purges and may search once more.
 */
#define VMC_VA_EV_ALLOC         1u    /* found: [addr, addr + size) busy */
#define VMC_VA_EV_NOFIT         2u    /* searched, no room (addr 0) */
#define VMC_VA_EV_LAZY          3u    /* [addr, +size) busy -> lazy */
#define VMC_VA_EV_FREE          4u    /* [addr, +size) busy -> free at once */
#define VMC_VA_EV_PURGE         5u    /* the lazy set went back to free */
/* vmc_va_event.flags (appended with the linux-6.12 profile). */
#define VMC_VA_EVF_POOL         0x1u  /* ALLOC: served from a node pool */
#define VMC_VA_EVF_RETRY        0x2u  /* ALLOC, NOFIT: the search after the
					 failure path's purge */
#define VMC_VA_EVF_FULL         0x4u  /* PURGE: full pool decay, no pool
					 refill (alloc failure path) */
#define VMC_VA_EVF_NOMEM        0x8u  /* NOFIT: no search: the area's
					 metadata failed after the pool was
					 looked at (node_alloc done) */

struct vmc_va_event {
	unsigned int kind;              /* VMC_VA_EV_* */
	unsigned long addr, size;
	unsigned long align, vstart, vend;      /* ALLOC, NOFIT */
	/* Appended: the calling thread's CPU (vmc_set_cpu) and VMC_VA_EVF_*. */
	unsigned int cpu;
	unsigned int flags;
};

/* Log levels passed to the log callback. */
#define VMC_LOG_ERR   3
#define VMC_LOG_WARN  4
#define VMC_LOG_INFO  6

struct vmc_arena_config {
	/* Backend: `ops` if set, else looked up by `backend` name by the caller. */
	const struct vmc_backend_ops *ops;
	const char *geometry;           /* "x86_64" (default), "la57", "i386" */
	unsigned long nr_frames;        /* RAM frames; 0: backend default */
	unsigned int nr_nodes;          /* NUMA nodes; 0: backend default */
	unsigned long dev_frames;       /* device region frames; 0: default */
	unsigned int features_off;      /* VMC_BF_* the backend must withhold */
	unsigned long tlb_entries;      /* sim soft TLB size; 0: default */
	unsigned long size;             /* arena bytes from the start of the
					   backend's space; 0: all of it */
	unsigned long lazy_max_pages;   /* 0: Linux default,
					   fls(nr_cpus) * 32 MiB / PAGE_SIZE */
	unsigned int nr_cpus;           /* 0: 1 */
	unsigned int flags;             /* VMC_ARENA_* */
	/* Log sink for warnings and errors; NULL: standard error. */
	void (*log)(void *arg, int level, const char *line);
	void *log_arg;
	/* Appended: the arena starts at this address, page aligned, inside the
	   backend's space (0: at the start of the space).  With `size` it cuts
	   any window out of the space, e.g. the one a kmod run reports, so that
	   a sim arena has the same addresses and therefore the same alignments. */
	unsigned long start;
	/* Appended: VMC_PLACEMENT_LINUX (0, the default): Linux 6.1's
	   find_vmap_lowest_match() on a free tree shaped as Linux's, so
	   addresses equal the kernel's; VMC_PLACEMENT_EXACT: the true lowest
	   aligned fit, a study option (what a naive model computes). */
	unsigned int placement;
	/* Appended: the vmap-area allocator's calls as they happen
	   (struct vmc_va_event), for harnesses that check or follow them:
	   the op-stream model and the linux61 oracle.  Called under the
	   arena lock, or on a linux-6.12 arena with a node per CPU from a
	   CPU's fast path (vmc_pcpu.c), so from several threads at once if
	   several call in; must not call back into the arena.  NULL: none. */
	void (*va_event)(void *arg, const struct vmc_va_event *ev);
	void *va_event_arg;
	/* Appended: VMC_PROFILE_LINUX_6_1 (0, the default) or
	   VMC_PROFILE_LINUX_6_12 (see above). */
	unsigned int profile;
};

/*
 * The part of a vm_struct callers may read.  Valid until the area is
 * freed; do not write it.
 */
struct vmc_vm_struct {
	unsigned long addr;             /* first byte */
	unsigned long size;             /* bytes, including the guard page */
	unsigned long flags;            /* VMC_VM_* */
	unsigned int nr_pages;          /* small pages mapped */
	unsigned int page_order;        /* 0, or the order of huge frames */
	uint64_t phys_addr;             /* ioremap: physical base, else 0 */
	unsigned int prot;              /* VMC_PROT_* of its leaves */
	int node;                       /* requested node */
	unsigned long requested_size;   /* size asked for (vrealloc) */
	const char *caller;             /* caller tag for vmallocinfo */
};

/*
 * Kinds of core metadata (struct vmc_stats.meta_live / meta_bytes): the
 * records the core allocates with the environment's allocator (kzalloc in
 * the kernel, calloc in userspace).  OTHER: anything not yet given a kind.
 */
enum vmc_meta_kind {
	VMC_META_VA = 0,                /* vmap areas (busy, lazy, free) */
	VMC_META_VM = 1,                /* vm structs */
	VMC_META_PAGES = 2,             /* page arrays of at most a page */
	VMC_META_VB = 3,                /* vmap-block records (block, pfns, bits) */
	VMC_META_RAM = 4,               /* vm_map_ram records (the large path) */
	VMC_META_OTHER = 5,
	VMC_META_KINDS = 6
};

struct vmc_stats {
	unsigned long nr_busy;          /* busy vmap areas */
	unsigned long nr_free;          /* free blocks */
	unsigned long nr_lazy;          /* freed, not yet purged */
	unsigned long lazy_pages;
	unsigned long nr_purges;
	unsigned long nr_tlb_flushes;
	unsigned long frames_data;      /* frames of busy areas */
	unsigned long frames_arrays;    /* frames of vmalloc'ed page arrays */
	unsigned long frames_tables;    /* page-table frames */
	unsigned long frames_harness;   /* frames held through vmc_frame_alloc */
	unsigned long nr_vmap_blocks;
	unsigned long warnings;         /* warnings logged so far */
	/* Appended: linux-6.12: purged areas waiting in node pools (not in
	   nr_lazy, not free either). */
	unsigned long nr_pooled;
	/* Appended: live metadata allocations and their bytes, per kind
	   (enum vmc_meta_kind); vmc_check() matches them to live objects. */
	unsigned long meta_live[VMC_META_KINDS];
	unsigned long meta_bytes[VMC_META_KINDS];
};

/* A violated invariant, as vmc_check() reports it. */
struct vmc_violation {
	int invariant;                  /* DESIGN.md section 4 number, 0 if none */
	char msg[256];
};

/* --- arenas --- */
int  vmc_arena_create(const struct vmc_arena_config *cfg,
		      struct vmc_arena **out);
void vmc_arena_destroy(struct vmc_arena *a);
/* The out-pointer calls return 0, or -EINVAL for a NULL out-pointer. */
int  vmc_arena_range(const struct vmc_arena *a, unsigned long *start,
		     unsigned long *end);
/* The calling thread's last error on a (see Threads above). */
int  vmc_last_error(const struct vmc_arena *a);
/*
 * The CPU the calling thread runs on, for this arena (linux-6.12: it
 * picks the vmap node and the vmap-block queue); 0 until set.  Per
 * thread like vmc_last_error.  0, or -EINVAL for cpu >= nr_cpus.
 */
int  vmc_set_cpu(struct vmc_arena *a, unsigned int cpu);
unsigned int vmc_get_cpu(const struct vmc_arena *a);
int  vmc_get_stats(struct vmc_arena *a, struct vmc_stats *st);
void *vmc_arena_backend_state(struct vmc_arena *a);
const struct vmc_backend_ops *vmc_arena_ops(const struct vmc_arena *a);
/* Device region for ioremap: [*phys, *phys + *size). */
int  vmc_arena_device(const struct vmc_arena *a, uint64_t *phys,
		      unsigned long *size);

/* --- vmalloc family --- */
void *vmc_vmalloc(struct vmc_arena *a, unsigned long size);
void *vmc_vzalloc(struct vmc_arena *a, unsigned long size);
void *vmc_vmalloc_node(struct vmc_arena *a, unsigned long size, int node);
void *vmc_vzalloc_node(struct vmc_arena *a, unsigned long size, int node);
void *vmc_vmalloc_huge(struct vmc_arena *a, unsigned long size);
/* __vmalloc_node_range: [start, end) restricts the placement. */
void *vmc_vmalloc_node_range(struct vmc_arena *a, unsigned long size,
			     unsigned long align, unsigned long start,
			     unsigned long end, unsigned int gfp,
			     unsigned int prot, unsigned long vm_flags,
			     int node, const char *caller);
int   vmc_vfree(struct vmc_arena *a, const void *addr);
void *vmc_vrealloc(struct vmc_arena *a, const void *p, unsigned long size,
		   unsigned int gfp);

/* --- mapping given frames --- */
void *vmc_vmap(struct vmc_arena *a, const unsigned long *pfns,
	       unsigned int count, unsigned long vm_flags, unsigned int prot);
int   vmc_vunmap(struct vmc_arena *a, const void *addr);
void *vmc_vm_map_ram(struct vmc_arena *a, const unsigned long *pfns,
		     unsigned int count, int node);
int   vmc_vm_unmap_ram(struct vmc_arena *a, const void *mem,
		       unsigned int count);
void *vmc_ioremap(struct vmc_arena *a, uint64_t phys, unsigned long size);
void *vmc_ioremap_prot(struct vmc_arena *a, uint64_t phys,
		       unsigned long size, unsigned int prot);
int   vmc_iounmap(struct vmc_arena *a, const void *addr);

/* --- lookups --- */
/* vmalloc_to_pfn: 0 and *pfn, or -EFAULT when addr is not mapped. */
int  vmc_vmalloc_to_pfn(struct vmc_arena *a, const void *addr,
			unsigned long *pfn);
bool vmc_is_vmalloc_addr(const struct vmc_arena *a, const void *addr);

/* --- areas without pages --- */
const struct vmc_vm_struct *vmc_get_vm_area(struct vmc_arena *a,
					    unsigned long size,
					    unsigned long vm_flags);
const struct vmc_vm_struct *vmc_get_vm_area_caller(struct vmc_arena *a,
						   unsigned long size,
						   unsigned long vm_flags,
						   const char *caller);
/* The area containing addr, or NULL (valid while the area lives). */
const struct vmc_vm_struct *vmc_find_vm_area(struct vmc_arena *a,
					     const void *addr);
/* The same, copied to *out under the lock: 0, -ENOENT, -EINVAL (NULL). */
int  vmc_find_vm_area_info(struct vmc_arena *a, const void *addr,
			   struct vmc_vm_struct *out);
/*
 * remove_vm_area: unmap the area starting at addr and free its address
 * range (lazily).  Its frames are not freed.  Returns 0, or -EINVAL when
 * addr is not the start of an area.  If `out` is set, the area's
 * description is copied there before it goes.
 */
int  vmc_remove_vm_area(struct vmc_arena *a, const void *addr,
			struct vmc_vm_struct *out);
/* Page i of an area's page array (pfn), or -EINVAL. */
int  vmc_vm_page(struct vmc_arena *a, const void *addr, unsigned int i,
		 unsigned long *pfn);

/*
 * /proc/vmallocinfo: one line per area to `emit`, in address order, in
 * the kernel's format (addresses printed as offsets from the arena start
 * when `offsets` is true, so dumps of two backends compare).
 */
int  vmc_vmallocinfo(struct vmc_arena *a, bool offsets,
		     void (*emit)(void *arg, const char *line), void *arg);

/* --- lazy freeing --- */
/*
 * Purge now, like Linux vm_unmap_aliases(): vmap blocks with no live
 * chunk are freed, then the lazy set, with one TLB flush over the span.
 * Returns the number of vmap areas purged.
 */
int  vmc_purge(struct vmc_arena *a);

/* --- data access through the arena's MMU --- */
int  vmc_write(struct vmc_arena *a, const void *addr, const void *buf,
	       size_t len);
int  vmc_read(struct vmc_arena *a, const void *addr, void *buf, size_t len);
/* Direct map of a frame (RAM or device), like the kernel's __va(). */
void *vmc_kaddr(struct vmc_arena *a, unsigned long pfn);

/* --- frames the caller holds (for vmap, vm_map_ram) --- */
/*
 * The arena remembers which frames the caller holds: vmap and vm_map_ram
 * take only those (-EINVAL otherwise), and vmc_frame_free frees only
 * those: -EINVAL for any other pfn (never handed out, freed already, a
 * page table, a vmalloc area's or a device frame), -EBUSY for a frame a
 * live vmap or vm_map_ram mapping still maps.
 */
int  vmc_frame_alloc(struct vmc_arena *a, int node, unsigned long *pfn);
int  vmc_frame_free(struct vmc_arena *a, unsigned long pfn);

/* --- checking --- */
/*
 * Verify every invariant of DESIGN.md section 4 (1 to 7) that applies to
 * one backend.  Returns 0 when all hold, else the number of the first
 * invariant violated, with a description in *v (if v is set).
 */
int  vmc_check(struct vmc_arena *a, struct vmc_violation *v);
/*
 * The same invariants, checked over what changed since the previous
 * vmc_check() or vmc_check_changed() only: the address ranges every call
 * since then allocated, freed, purged, mapped, unmapped, read or wrote
 * (with their neighbours), the tree paths above them, the TLB entries
 * inside them, and the O(1) frame balance.  Its cost follows the work of
 * those calls, not the size of the arena, so a harness can run it after
 * every call and vmc_check() every N calls; what it cannot see from the
 * changed ranges alone (a node count, a leak far away, a table reachable
 * twice) vmc_check() sees.  Same return value and report.
 */
int  vmc_check_changed(struct vmc_arena *a, struct vmc_violation *v);

/* --- fault injection --- */
enum vmc_fault_kind {
	VMC_FAULT_FRAME = 0,            /* frame_alloc (data, arrays, harness) */
	VMC_FAULT_TABLE = 1,            /* table_alloc */
	VMC_FAULT_META  = 2,            /* metadata (vmap_area, vm_struct, ...) */
	VMC_FAULT_KINDS = 3
};
/*
 * Make the nth allocation of `kind` from now fail (once); 0 disarms.
 * vmc_fault_count() tells how many allocations of `kind` the arena has
 * made since it was created, so a test can sweep every allocation point.
 */
int  vmc_fault_set(struct vmc_arena *a, enum vmc_fault_kind kind,
		   unsigned long nth);
unsigned long vmc_fault_count(struct vmc_arena *a, enum vmc_fault_kind kind);

#ifdef __cplusplus
}
#endif

#endif /* VMCORE_H */
