/* SPDX-License-Identifier: MIT */
/*
 * model.h - the naive reference model of libvmcore (DESIGN.md invariant 8).
 *
 * An independent, deliberately simple re-statement of what the core does,
 * used as one engine of differential runs.  It shares no code with the
 * core: the address space is one sorted array of segments scanned
 * linearly, RAM is a per-node buddy allocator made of plain arrays used
 * as stacks, page tables are a flat list of (level, index) keys.  What it
 * predicts, op by op: the error code, the address (as an offset from the
 * arena start), and the bytes a read returns.
 *
 * What must match the core exactly, and why it does:
 *   - addresses: exact lowest fit over the free segments, lazy segments
 *     reusable only after a purge, purge when lazy pages exceed
 *     lazy_max_pages, purge-and-retry-once on no fit;
 *   - frames: the sim backend's buddy allocator (LIFO free lists, split
 *     keeping the lower half, coalescing inside a node) is re-stated, and
 *     every frame and table allocation is made in the core's order, so
 *     fault injection (fail(frames=N), fail(tables=N)) hits the same
 *     allocation and huge (order-9) allocations succeed or fail alike;
 *   - data: a fresh frame reads 0xa5 (the sim's poison), a zeroed one 0,
 *     device frames start zeroed and keep their bytes.
 * Metadata allocations are not modelled: after fail(meta=N) the engine
 * marks its results `ignore`.
 */
#ifndef VMC_MODEL_H
#define VMC_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MDL_PAGE_SHIFT 12
#define MDL_PAGE_SIZE  (1UL << MDL_PAGE_SHIFT)
#define MDL_NO_NODE    (-1)
#define MDL_MAX_ORDER  18               /* buddy orders 0..18 (sim) */
#define MDL_RAM_BASE   0x40000UL        /* first RAM pfn (sim) */
#define MDL_POISON     0xa5             /* fresh frames read this */

/* vm flags the model distinguishes (values of vmcore.h). */
#define MDL_VM_IOREMAP 0x001UL
#define MDL_VM_ALLOC   0x002UL
#define MDL_VM_MAP     0x004UL
#define MDL_VM_NO_GUARD 0x040UL
#define MDL_VM_HUGE    0x400UL          /* VM_ALLOW_HUGE_VMAP */

#define MDL_VMAP_MAX_ALLOC 64u

enum mdl_fault { MDL_F_FRAME = 0, MDL_F_TABLE = 1, MDL_F_META = 2 };

struct mdl_cfg {
	const char *geometry;           /* "x86_64" (default), "la57", "i386" */
	bool nohuge;
	unsigned long arena_size;       /* 0: the whole space */
	unsigned long nr_frames;        /* 0: 65536 */
	unsigned int nr_nodes;          /* 0: 2 */
	unsigned long dev_frames;       /* 0: 1024 */
	unsigned long lazy_max_pages;   /* 0: 8192 */
	unsigned int placement;         /* 0: Linux (check, then follow the
					   core), 1: exact lowest fit */
};

/* ---- RAM: buddy allocator per node + frame contents (mdl_ram.c) ---- */

struct mdl_stack {                      /* a free list: head = last */
	uint32_t *v;
	size_t n, cap;
};

struct mdl_node {
	unsigned long start, end;       /* frame indexes [start, end) */
	unsigned long nr_free;
	struct mdl_stack fl[MDL_MAX_ORDER + 1];
};

struct mdl_page {                       /* contents of one frame */
	uint8_t fill;                   /* every byte, while buf == NULL */
	uint8_t *buf;
};

struct mdl_ram {
	unsigned long nr_frames;
	unsigned int nr_nodes;
	struct mdl_node node[16];
	uint8_t *head;                  /* 0, 1 = free head, 2 = alloc head, 3 = table */
	uint8_t *order;                 /* order of a head */
	unsigned long used;             /* frames allocated (incl. tables) */
	struct mdl_page *data;          /* per RAM frame */
	unsigned long dev_frames;
	struct mdl_page *dev;           /* per device frame */
};

int  mdl_ram_init(struct mdl_ram *r, unsigned long nr_frames,
		  unsigned int nr_nodes, unsigned long dev_frames);
void mdl_ram_fini(struct mdl_ram *r);
/* Allocate 2^order frames: 0 and the first index, or -ENOMEM. */
int  mdl_ram_alloc(struct mdl_ram *r, int node, unsigned int order,
		   unsigned long *idx);
void mdl_ram_free(struct mdl_ram *r, unsigned long idx, unsigned int order);
int  mdl_ram_node_of(const struct mdl_ram *r, unsigned long idx);
/* A "target" names a frame: RAM index, or MDL_DEV | device index. */
#define MDL_DEV 0x80000000u
struct mdl_page *mdl_ram_page(struct mdl_ram *r, uint32_t target);
void mdl_page_set(struct mdl_page *p, uint8_t fill);
void mdl_page_rw(struct mdl_page *p, size_t off, void *buf, size_t len,
		 bool write);

/* ---- the address space: a sorted array of segments (mdl_va.c) ---- */

enum mdl_state { MDL_FREE = 1, MDL_BUSY = 2, MDL_LAZY = 3 };

struct mdl_area;

struct mdl_seg {
	unsigned long s, e;             /* [s, e) */
	int st;                         /* enum mdl_state */
	struct mdl_area *own;           /* busy: what it carries (may be NULL) */
};

/* One search of the core's VA allocator, absolute addresses (mdl_va.c). */
struct mdl_va_ev {
	bool found;                     /* at addr; else no room */
	unsigned long addr, size, align;
};

struct mdl_space {
	unsigned long start, end;
	struct mdl_seg *v;
	size_t n, cap;
	unsigned long lazy_pages, lazy_max;
	unsigned long nr_purges;
	/*
	 * Linux placement: the core's events for the op in progress
	 * (mdl_space_follow), taken in order by the allocations.  A choice
	 * Linux's rule does not allow, or events that do not match, set
	 * `bad` with the reason in `why`.  Without events (no core to
	 * follow) allocations take the exact lowest fit.
	 */
	bool linux_mode, following, bad;
	const struct mdl_va_ev *ev;
	size_t nev, iev;
	char why[200];
	/* The first step of the failure retry: release fragmented vmap
	 * blocks (model.c); returns how many. */
	unsigned long (*purge_blocks)(void *arg);
	void *purge_arg;
};

int  mdl_space_init(struct mdl_space *sp, unsigned long start,
		    unsigned long end, unsigned long lazy_max);
void mdl_space_fini(struct mdl_space *sp);
/* 0 with *addr, -EINVAL or -ENOMEM (purges and retries once). */
int  mdl_space_alloc(struct mdl_space *sp, unsigned long size,
		     unsigned long align, unsigned long vstart,
		     unsigned long vend, struct mdl_area *own,
		     unsigned long *addr);
/* The busy segment containing addr, or NULL (pointer valid until the
 * next change). */
struct mdl_seg *mdl_space_find(struct mdl_space *sp, unsigned long addr);
/* Busy segment at addr -> lazy (purges over lazy_max) / -> free now. */
void mdl_space_free_lazy(struct mdl_space *sp, unsigned long addr);
void mdl_space_free_now(struct mdl_space *sp, unsigned long addr);
unsigned long mdl_space_purge(struct mdl_space *sp);
/* Follow these events in the next op's allocations (n == 0 and ev ==
 * NULL: stop following). */
void mdl_space_follow(struct mdl_space *sp, const struct mdl_va_ev *ev,
		      size_t n);
/* Invariants 1 and 3 of the model's own list: 0 or the number. */
int  mdl_space_check(const struct mdl_space *sp, char *msg, size_t len);

/* ---- the model arena (model.c) ---- */

enum mdl_kind { MDL_K_VM = 1, MDL_K_BLOCK = 2, MDL_K_RAM = 3 };

struct mdl_area {
	int kind;
	unsigned long addr, size;       /* size includes the guard page */
	unsigned long flags;
	unsigned int nr_pages;          /* pages mapped (VM, RAM) */
	unsigned int order;             /* page order of the frames */
	int node;
	unsigned long req;              /* requested size */
	bool owns, is_arr;
	uint32_t *fr;                   /* target of page i (cap entries) */
	unsigned int cap;
	struct mdl_area *arr;           /* vmalloc'ed page array (vpages) */
	unsigned long dev;              /* ioremap: first device frame */
	/* vmap block */
	unsigned long bfree, bdirty;
	uint8_t *used;                  /* 1 in use, 2 mapped, 4 head, order << 4 */
};

struct mdl {
	struct mdl_cfg cfg;
	unsigned int levels, bits[5];
	unsigned int leaf_levels;       /* bit L: leaves allowed at level L */
	bool huge_pmd;                  /* vmalloc may use level-1 leaves */
	unsigned int io_max_shift, ioremap_max_order;
	uint64_t dev_phys;              /* absolute, as the sim computes it */
	unsigned long start, end;
	struct mdl_space sp;
	struct mdl_ram ram;
	unsigned long root;             /* root table frame */
	/* page tables below the root: (level, index) -> frame */
	struct mdl_table { unsigned int level; unsigned long key, frame; } *tab;
	size_t ntab, captab;
	/* vmap blocks in creation order */
	struct mdl_area **vb;
	size_t nvb, capvb;
	unsigned long vb_pages;
	/* accounting */
	unsigned long frames_data, frames_harness;
	unsigned long fault_nth[3], fault_count[3];
};

int  mdl_create(const struct mdl_cfg *cfg, struct mdl **out);
void mdl_destroy(struct mdl *m);
unsigned int mdl_shift(const struct mdl *m, unsigned int level);

/* The API, with core semantics; addresses are absolute model addresses. */
int mdl_vmalloc(struct mdl *m, unsigned long size, unsigned long align,
		unsigned long start, unsigned long end, bool zero,
		unsigned long vm_flags, int node, unsigned long *addr);
int mdl_vfree(struct mdl *m, unsigned long addr);
/* *addr = 0 for the NULL answer (size 0). */
int mdl_vrealloc(struct mdl *m, unsigned long p, unsigned long size,
		 unsigned long *addr);
int mdl_vmap(struct mdl *m, const uint32_t *frames, unsigned int count,
	     unsigned long *addr);
int mdl_vunmap(struct mdl *m, unsigned long addr);
/* phys: offset into the device region. */
int mdl_ioremap(struct mdl *m, uint64_t phys, unsigned long size,
		unsigned long *addr);
int mdl_iounmap(struct mdl *m, unsigned long addr);
int mdl_vm_map_ram(struct mdl *m, const uint32_t *frames,
		   unsigned int count, unsigned long *addr);
int mdl_vm_unmap_ram(struct mdl *m, unsigned long addr, unsigned int count);
int mdl_purge(struct mdl *m);
int mdl_write(struct mdl *m, unsigned long addr, const void *buf,
	      size_t len);
int mdl_read(struct mdl *m, unsigned long addr, void *buf, size_t len);
/* Harness frames (vmc_frame_alloc / vmc_frame_free). */
int  mdl_frame_alloc(struct mdl *m, int node, uint32_t *frame);
void mdl_frame_free(struct mdl *m, uint32_t frame);
void mdl_fault_set(struct mdl *m, enum mdl_fault kind, unsigned long nth);
/* The model's own consistency: 0 or an invariant number (1, 3, 6). */
int  mdl_check(struct mdl *m, char *msg, size_t len);
/* The O(1) part of mdl_check: frames used against the counters (6). */
int  mdl_check_balance(const struct mdl *m, char *msg, size_t len);

#endif /* VMC_MODEL_H */
