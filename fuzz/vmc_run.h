/* SPDX-License-Identifier: MIT */
/*
 * vmc_run.h - the runner: one op stream through several engines in lock
 * step, results compared op by op (DESIGN.md 6).
 *
 * Compiles in both worlds: the kernel module runs streams with
 * vmc_run_sink (vmc_run.c is kernel-safe); the FILE-based entry points
 * (vmc_run_file.c) exist in userspace only.
 */
#ifndef VMC_RUN_H
#define VMC_RUN_H

#ifndef __KERNEL__
#include <stdio.h>
#endif

#include "vmc_engine.h"

#define VMC_RUN_TRACE   0x1u    /* vmc_run: print every op and its result to `trace` */
#define VMC_RUN_CHECK   0x2u    /* engine->check after every op (always at the end) */
#define VMC_RUN_OBSERVE 0x4u    /* observe mode: cfg.observe on every engine,
				   address results compared by their detail
				   (vmc_engine_observe), printed "= addr (DETAIL)" */
#define VMC_RUN_EXACT   0x10u   /* vmc_run_groups: exact placement (every
				   engine's cfg.placement), without linux61 */
#define VMC_RUN_LINUX612 0x20u  /* vmc_run_groups: every core engine on the
				   linux-6.12 profile with VMC_RUN_CPUS612
				   CPUs, followed by linux612 (when built);
				   no model (it knows 6.1 only), no linux61 */
#define VMC_RUN_CPUS612 4u
#define VMC_RUN_NO_STALE 0x8u   /* do not run a free through a register whose
				   area was freed (a double free whose answer
				   depends on whether the address was reused);
				   printed as a "# skipped" comment */
/*
 * Under VMC_RUN_CHECK: the full check (engine ->check) runs after every
 * N-th op, at every check() op and at the end; the ops between get the
 * engine's incremental ->check_changed (what the op changed), or the
 * full check where an engine has none.  N = 0: VMC_RUN_EVERY_DEFAULT;
 * N = 1: a full check after every op.
 */
#define VMC_RUN_EVERY_SHIFT 16
#define VMC_RUN_EVERY_MAX 0xffffu
#define VMC_RUN_EVERY(n) (((unsigned int)(n) & VMC_RUN_EVERY_MAX) << VMC_RUN_EVERY_SHIFT)
#define VMC_RUN_EVERY_DEFAULT 64u

/*
 * RAM frames of the default configuration (the differential groups and
 * vmcore-replay): 8 MiB, so a stream reaches exhaustion in a few ops and
 * an arena-sized request fails after 2048 frame allocations, not 8192
 * (frame churn of failing big requests was most of a fuzz input's cost).
 */
#define VMC_RUN_FRAMES 2048u

/* Why a run stopped; filled by vmc_run when it returns 1. */
struct vmc_run_report {
	size_t index;                   /* op index (n: the final check) */
	uint32_t line;                  /* the op's line (0: the final check) */
	char op[256];                   /* the op, canonical text */
	int invariant;                  /* violated invariant, 0 for a mismatch */
	char engine_a[64], engine_b[64];        /* labels of the engines */
	char trace_a[512], trace_b[512];        /* their trace lines */
	char what[1024];                /* one-line summary for a person */
};

/* Where trace lines go: line() is called once per line, without '\n'. */
struct vmc_trace_sink {
	void (*line)(void *arg, const char *line);
	void *arg;
	/*
	 * Appended, optional: asked before every op; non-zero stops the run
	 * there (vmc_run_sink returns 2, rep->index is the op not run,
	 * rep->what says how far it got).  The kernel module's RUN ioctl
	 * stops on a fatal signal or when its op / time budget is spent.
	 */
	int (*stop)(void *arg);
};

/*
 * Run ops[0..n) on eng[0..neng) (each created from its spec, with
 * cfg.observe set under VMC_RUN_OBSERVE, and destroyed at the end).
 * Every op's trace line goes to `sink` (NULL: no trace; VMC_RUN_TRACE is
 * not needed here), and on a mismatch the two differing lines, each
 * followed by "  [label]".  Returns 0 when every result agreed and every
 * check passed, 1 on the first mismatch or violation (rep says which),
 * 2 when sink->stop asked to stop (no final check), -1 when an engine could not be created or memory ran out (rep->what
 * says why).  Kernel-safe; its own stack use is small.
 */
int vmc_run_sink(const struct vmc_op *ops, size_t n,
		 const struct vmc_engine_spec *eng, size_t neng,
		 unsigned int flags, const struct vmc_trace_sink *sink,
		 struct vmc_run_report *rep);

/*
 * One op's trace line (no newline): the op in canonical text, " = ",
 * the result: "+0xOFF", "NULL -ENOMEM", "0", "-EINVAL", "ok",
 * "-EIO (+0x10: got 0x00 want 0x5a)".  Returns chars as snprintf.
 * vmc_result_format_obs with `observe` prints address results as
 * "addr (DETAIL)" instead of "+0xOFF".
 */
int vmc_result_format(const struct vmc_op *op, const struct vmc_result *res,
		      char *buf, size_t len);
int vmc_result_format_obs(const struct vmc_op *op,
			  const struct vmc_result *res, bool observe,
			  char *buf, size_t len);

/* "-ENOMEM" for -ENOMEM, "0" for 0, "-E123" when unknown. */
const char *vmc_errname(int err, char *buf, size_t len);

/* A group of engines that must agree, with one configuration. */
#define VMC_RUN_GROUP_MAX 4
struct vmc_run_group {
	const char *name;
	size_t n;
	struct vmc_engine_spec spec[VMC_RUN_GROUP_MAX];
};

/* The core engine on the kmod backend (engine_core.c): the backend comes
 * from vmc_backend_find("kmod"), which only the module has; elsewhere
 * create() fails with -ENODEV. */
extern const struct vmc_engine_ops vmc_engine_core_kmod;

#ifndef __KERNEL__
/* --- userspace only (vmc_run_file.c) --- */

/* flags with $VMC_CHECK_EVERY applied when they name no N (vmc_run and
 * vmc_run_groups apply it). */
unsigned int vmc_run_env_every(unsigned int flags);

/* vmc_run_sink with trace lines written to `trace` (with '\n') when
 * flags has VMC_RUN_TRACE and trace is not NULL. */
int vmc_run(const struct vmc_op *ops, size_t n,
	    const struct vmc_engine_spec *eng, size_t neng, unsigned int flags,
	    FILE *trace, struct vmc_run_report *rep);

/*
 * The standard differential configuration: model + core engines that
 * must agree, per geometry (see vmc_run_file.c); the model is in every
 * group.
 */
const struct vmc_run_group *vmc_run_default_groups(size_t *n);

/* Run every default group; 0, or the first group's failure (1 / -1). */
int vmc_run_groups(const struct vmc_op *ops, size_t n, unsigned int flags,
		   FILE *trace, struct vmc_run_report *rep);
/* The same with trace lines to `sink` (NULL: none), each group's preceded
 * by "# group NAME". */
int vmc_run_groups_sink(const struct vmc_op *ops, size_t n,
			unsigned int flags, const struct vmc_trace_sink *sink,
			struct vmc_run_report *rep);

/* The engines (engine_core.c; fuzz/model/engine_model.c). */
extern const struct vmc_engine_ops vmc_engine_core_sim;
extern const struct vmc_engine_ops vmc_engine_core_mmap;
extern const struct vmc_engine_ops vmc_engine_model;
#ifdef VMC_HAVE_LINUX61
/* Linux 6.1's own VA allocator replaying the core's calls
 * (fuzz/linux61/engine_linux61.c; built when configure found the
 * linux-source-6.1 tarball). */
extern const struct vmc_engine_ops vmc_engine_linux61;
#endif
#ifdef VMC_HAVE_LINUX612
/* Linux 6.12's own VA allocator, vmap nodes and pools, replaying a
 * linux-6.12 core's calls (fuzz/linux612/engine_linux612.c; built when
 * configure found the linux-source-6.12 tarball). */
extern const struct vmc_engine_ops vmc_engine_linux612;
#endif
#endif /* !__KERNEL__ */

#endif /* VMC_RUN_H */
