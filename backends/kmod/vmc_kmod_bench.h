/* SPDX-License-Identifier: MIT */
/*
 * vmc_kmod_bench.h - the benchmark ioctl of /dev/vmcore (kmod_bench.c),
 * between the module and the guest's vmc-bench (vmc_bench_guest.c).
 *
 * Theory
 * ------
 * One VMC_KMOD_IOC_BENCH runs the workload table of bench/vmb_wl.c - the
 * same code vmcore-bench runs in userspace - on two engines in the same
 * boot: (0) libvmcore on the kmod backend and (1) the kernel's own vmalloc,
 * vfree, vmap, vm_map_ram, ioremap.  For each selected test, in table
 * order, each repeat runs on engine 0 and then on engine 1 (A B A B ...),
 * both from the same random seed, so they are asked the same things;
 * the kernel's clock (ktime_get_ns, get_cycles) times them.
 *
 * Everything userspace sends is checked before anything runs: a loop
 * count of 1..VMC_KMOD_BENCH_LOOPS_MAX, 1..VMC_KMOD_BENCH_REPEAT_MAX
 * repeats, nr_pages up to VMC_KMOD_BENCH_PAGES_MAX, use_huge 0 or 1, mask
 * bits only for tests that exist, a time budget up to
 * VMC_KMOD_BENCH_BUDGET_MAX_MS, a frame budget the guest can afford,
 * reserved fields and flags zero: otherwise -EINVAL.  The run stops early
 * (cancelled = 1, the test it was in VMC_KMOD_BENCH_CANCELLED, the rest
 * VMC_KMOD_BENCH_NOT_RUN) when the budget is spent or a fatal signal is
 * pending; what a test held is freed either way.
 */
#ifndef VMC_KMOD_BENCH_H
#define VMC_KMOD_BENCH_H

#ifdef __KERNEL__
#include <linux/types.h>
#include <linux/ioctl.h>
#else
#include <linux/types.h>
#include <sys/ioctl.h>
#endif

#include "vmc_kmod_uapi.h"      /* VMC_KMOD_IOC_MAGIC */

#define VMC_KMOD_BENCH_TESTS            64
#define VMC_KMOD_BENCH_REPEAT_MAX       8
#define VMC_KMOD_BENCH_LOOPS_MAX        1000000u
#define VMC_KMOD_BENCH_PAGES_MAX        256u
#define VMC_KMOD_BENCH_BUDGET_DEF_MS    120000u
#define VMC_KMOD_BENCH_BUDGET_MAX_MS    1800000u

/* result.status: bench/vmb.h's VMB_* and two of the ioctl's own */
#define VMC_KMOD_BENCH_PASS             0
#define VMC_KMOD_BENCH_FAIL             (-1)
#define VMC_KMOD_BENCH_UNSUPPORTED      1
#define VMC_KMOD_BENCH_SKIPPED          2
#define VMC_KMOD_BENCH_CANCELLED        3
#define VMC_KMOD_BENCH_NOT_RUN          4       /* not selected, or after
						   a cancel */

#define VMC_KMOD_BENCH_CORE             0       /* engine index */
#define VMC_KMOD_BENCH_KERNEL           1

struct vmc_kmod_bench_result {
	__s32 status;                   /* of the last repeat that did not
					   pass, else PASS */
	__u32 passed, failed;
	__u32 repeats;                  /* repeats that ran */
	__u64 usec[VMC_KMOD_BENCH_REPEAT_MAX];    /* whole test */
	__u64 loop_ns[VMC_KMOD_BENCH_REPEAT_MAX]; /* its steady-state loop */
	__u64 ops[VMC_KMOD_BENCH_REPEAT_MAX];     /* ops in that loop */
	__u64 live;                     /* live areas beside the loop */
	char why[96];                   /* NUL-terminated */
	char name[40];                  /* the test's name, NUL-terminated */
};

/* What `results` points to: res[engine][test]. */
struct vmc_kmod_bench_results {
	struct vmc_kmod_bench_result res[2][VMC_KMOD_BENCH_TESTS];
};

struct vmc_kmod_bench {
	/* in: test_vmalloc.c's parameters */
	__u32 test_loop_count;          /* 1..VMC_KMOD_BENCH_LOOPS_MAX */
	__u32 test_repeat_count;        /* 1..VMC_KMOD_BENCH_REPEAT_MAX */
	__u32 nr_pages;                 /* 0 (1 page)..PAGES_MAX */
	__u32 use_huge;                 /* 0 or 1 */
	__u64 run_test_mask;            /* 0: the module's default set */
	__u64 seed;
	__u32 budget_ms;                /* 0: BUDGET_DEF_MS */
	__u32 flags;                    /* must be 0 */
	__u64 nr_frames;                /* core arena; 0: what the tests need */
	__u64 results;                  /* user pointer: vmc_kmod_bench_results */
	__u64 results_len;              /* its size, exactly */
	__u64 reserved[4];              /* must be 0 */
	/* out */
	__u64 run_test_mask_used;
	__u64 nr_frames_used;
	__u64 cycles[2];                /* get_cycles() over each engine's runs */
	__u32 nr_tests;                 /* entries of the table */
	__u32 cancelled;
	__u32 nr_cpus;
	__u32 pad;
};

/* Far from RUN (1) and INFO (2), so that new ioctls there do not collide. */
#define VMC_KMOD_IOC_BENCH \
	_IOWR(VMC_KMOD_IOC_MAGIC, 16, struct vmc_kmod_bench)

#endif /* VMC_KMOD_BENCH_H */
