/* SPDX-License-Identifier: MIT */
/*
 * vmb.h - the benchmark workloads of vmcore-bench and the engines they
 * run on.
 *
 * Theory
 * ------
 * 1. One table, two worlds.  vmb_wl.c holds the named table of workloads
 *    (Linux's lib/test_vmalloc.c cases and our own); it is compiled into
 *    the userspace driver (bench/vmcore-bench.c) and into the kernel module
 *    (backends/kmod/kmod_bench.c), so a workload is one piece of code
 *    wherever it runs.  It includes only vmc_env.h (for types, metadata
 *    allocation and formatting) and this header.
 *
 * 2. Engines.  A workload never calls an allocator directly: it calls the
 *    slots of a struct vmb_engine, so the same workload runs on libvmcore
 *    over any backend (vmb_core.c, public vmcore.h API only, also in both
 *    worlds) and on the kernel's own vmalloc (kmod_bench.c).  An engine
 *    leaves NULL what it cannot do; a workload that needs a missing slot
 *    is reported as unsupported with the engine's reason (vmb_need()),
 *    never as a number.  Pages for vmap and vm_map_ram travel as opaque
 *    `unsigned long` handles (a pfn in libvmcore, a struct page * in the
 *    kernel).
 *
 * 3. The host.  Clocks, the cycle counter, progress and cancellation
 *    differ between the worlds; the driver passes them in struct vmb_host.
 *    Workloads call vmb_tick() in every loop: every 256 iterations it asks
 *    the host whether to stop (the kernel's time budget and
 *    fatal_signal_pending(); userspace prints progress there), and a
 *    cancelled workload returns VMB_CANCELLED after freeing what it holds.
 *
 * 4. Timing.  As in test_vmalloc.c, the Summary's avg is the whole test
 *    (set-up included) averaged over the repeats.  Besides it a workload
 *    times its steady-state loop itself (vmb_loop_begin/end): ns per op
 *    is that loop's time over its ops, so the scaling sweep's one-page
 *    pair is not drowned by building a million live areas.
 */
#ifndef VMB_H
#define VMB_H

#include "vmc_env.h"

/* The parameters of test_vmalloc.c, the same names and defaults. */
struct vmb_params {
	long test_loop_count;           /* 1000000 */
	int test_repeat_count;          /* 1 */
	int nr_threads;                 /* 0: 1 */
	int nr_pages;                   /* 0: 1 page (fix_size, vm_map_ram) */
	int use_huge;                   /* fix_size uses vmalloc_huge */
	int sequential_test_order;      /* 0: shuffled, as the kernel does */
	uint64_t run_test_mask;         /* bit i: the table's entry i */
	uint64_t seed;                  /* our addition: the random stream */
};

#define VMB_DEF_LOOPS           1000000L
/* The test_vmalloc family (bits 0..11): the default run_test_mask. */
#define VMB_MASK_TEST_VMALLOC   0xfffULL

/* vmb_engine.vmalloc flags */
#define VMB_ZERO        0x1u            /* __GFP_ZERO */
#define VMB_HUGE        0x2u            /* vmalloc_huge */

/*
 * An engine: one allocator the workloads run on.  `ctx` is the engine's
 * own state.  Every slot may be NULL (why_not says why) except vmalloc,
 * vfree and poke.
 */
struct vmb_engine {
	const char *name;               /* "core" or "linux" */
	/* why a slot is NULL (NULL: "not available on this engine") */
	const char *(*why_not)(const char *slot);
	/* vmalloc; with align > 0 __vmalloc_node(size, align, ...); NULL on
	   failure */
	void *(*vmalloc)(void *ctx, unsigned long size, unsigned long align,
			 unsigned int flags);
	/* the same, for align > PAGE_SIZE; NULL slot: unsupported */
	void *(*vmalloc_align)(void *ctx, unsigned long size,
			       unsigned long align, unsigned int flags);
	void (*vfree)(void *ctx, void *p);
	void *(*vrealloc)(void *ctx, void *p, unsigned long size);
	/* store len bytes at p + off, read them back; 0 or -errno */
	int (*poke)(void *ctx, void *p, unsigned long off, const void *buf,
		    unsigned long len);
	int (*peek)(void *ctx, void *p, unsigned long off, void *buf,
		    unsigned long len);
	/* n pages for vmap / vm_map_ram as handles; 0 or -ENOMEM (none kept) */
	int (*pages_get)(void *ctx, unsigned int n, unsigned long *h);
	void (*pages_put)(void *ctx, unsigned int n, unsigned long *h);
	void *(*vmap)(void *ctx, const unsigned long *h, unsigned int n);
	void (*vunmap)(void *ctx, void *p);
	void *(*vm_map_ram)(void *ctx, const unsigned long *h, unsigned int n);
	void (*vm_unmap_ram)(void *ctx, void *p, unsigned int n);
	/* ioremap of `size` bytes at offset `off` of the device region */
	void *(*ioremap)(void *ctx, unsigned long off, unsigned long size);
	void (*iounmap)(void *ctx, void *p);
	/* get_vm_area(size, VM_IOREMAP): address space without pages */
	void *(*reserve)(void *ctx, unsigned long size);
	void (*unreserve)(void *ctx, void *p);
	/* a private engine whose arena has this lazy_max_pages; 0 or -errno */
	int (*sub_open)(void *ctx, unsigned long lazy_max_pages, void **sub);
	void (*sub_close)(void *sub);
	unsigned long (*nr_purges)(void *ctx);
	unsigned int (*nr_cpus)(void *ctx);     /* num_online_cpus() */
	/* heap bytes of allocator metadata now (NULL: not measurable) */
	unsigned long (*meta_bytes)(void *ctx);
	/*
	 * The floor: `loops` one-page pairs done with only the system calls
	 * the mmap backend issues for vmalloc + store + vfree (userspace mmap
	 * backend only).  0 or -errno.
	 */
	int (*floor)(void *ctx, unsigned long loops);
};

/* What the world around the workloads provides. */
struct vmb_host {
	uint64_t (*now_ns)(void *arg);          /* monotonic clock */
	uint64_t (*cycles)(void *arg);          /* get_cycles() / the TSC */
	/* called every 256 loop iterations: nonzero stops the workload */
	int (*tick)(void *arg, const char *test, long done, long total);
	void *arg;
	/* this thread's CPU time (NULL: only the clock above) */
	uint64_t (*cpu_ns)(void *arg);
};

/* Workload results. */
#define VMB_PASS        0
#define VMB_FAIL        (-1)
#define VMB_UNSUPPORTED 1               /* the engine lacks a slot: `why` */
#define VMB_SKIPPED     2               /* the workload cannot run anywhere */
#define VMB_CANCELLED   3               /* the host's tick said stop */

/* One run of one workload on one engine. */
struct vmb_run {
	const struct vmb_engine *e;
	void *ctx;
	const struct vmb_host *host;
	const struct vmb_params *p;
	const char *test;               /* the workload's name (ticks) */
	uint64_t rng;                   /* xorshift64* state, never 0 */
	unsigned long ticks;
	/* out */
	uint64_t loop_ns;               /* steady-state loop time */
	uint64_t loop_t0;
	uint64_t loop_cpu_ns;            /* its CPU time (host->cpu_ns) */
	uint64_t loop_c0;
	unsigned long ops;              /* ops in that loop */
	unsigned long live;             /* live areas the loop ran beside */
	unsigned long meta_bytes;       /* metadata bytes per live area */
	unsigned long purges;           /* purges during the loop (if known) */
	char why[96];                   /* unsupported / skipped / failed */
};

struct vmb_workload {
	const char *name;
	int (*fn)(struct vmb_run *r, long arg);
	long arg;
	/* frames one worker needs, beyond page tables (driver sizing) */
	unsigned long (*frames)(const struct vmb_params *p, long arg);
	const char *what;               /* one line for --list */
	int expect_fail;                /* fails by design (align_shift) */
};

extern const struct vmb_workload vmb_workloads[];
extern const unsigned int vmb_nr_workloads;

/* The index of the workload called `name`, or -1. */
int vmb_find(const char *name);

/*
 * Run workload i once on r's engine (r->e, r->ctx, r->host, r->p and
 * r->rng set by the caller; the rest is reset here).  Returns VMB_*.
 */
int vmb_run_one(struct vmb_run *r, unsigned int i);

/* The order the tests run in: 0..n-1, shuffled unless sequential. */
void vmb_order(const struct vmb_params *p, uint64_t *rng, int *order);

/*
 * Frames an arena needs for the selected tests run by p->nr_threads
 * workers on `cpus` CPUs: the largest need of one test (tests run one
 * after another) times the workers, an eighth more, the page tables the
 * tests leave behind, and 4096 for tables and page arrays.
 */
unsigned long vmb_frames_needed(const struct vmb_params *p, unsigned int cpus);

/* Clamp the parameters the way test_vmalloc.c's init does. */
void vmb_params_fix(struct vmb_params *p);

/* The kernel's Summary line, exactly (no newline). */
#define VMB_SUMMARY_FMT \
	"Summary: %s passed: %d failed: %d repeat: %d loops: %d avg: %llu usec"
#define VMB_CYCLES_FMT  "All test took worker%d=%llu cycles"

#endif /* VMB_H */
