/*
 * vmc_run.h - the runner: one op stream through several engines in lock
 * step, results compared op by op (DESIGN.md 6).
 */
#ifndef VMC_RUN_H
#define VMC_RUN_H

#include <stdio.h>

#include "vmc_engine.h"

#define VMC_RUN_TRACE 0x1u      /* print every op and its result to `trace` */
#define VMC_RUN_CHECK 0x2u      /* engine->check after every op (always at the end) */

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

/*
 * Run ops[0..n) on eng[0..neng) (each created from its spec and destroyed
 * at the end).  Returns 0 when every result agreed and every check
 * passed, 1 on the first mismatch or violation (rep says which), -1 when
 * an engine could not be created (rep->what says why).
 */
int vmc_run(const struct vmc_op *ops, size_t n,
	    const struct vmc_engine_spec *eng, size_t neng, unsigned int flags,
	    FILE *trace, struct vmc_run_report *rep);

/*
 * One op's trace line (no newline): the op in canonical text, " = ",
 * the result: "+0xOFF", "NULL -ENOMEM", "0", "-EINVAL", "ok",
 * "-EIO (+0x10: got 0x00 want 0x5a)".  Returns chars as snprintf.
 */
int vmc_result_format(const struct vmc_op *op, const struct vmc_result *res,
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

/*
 * The standard differential configuration: model + core engines that
 * must agree, per geometry (see vmc_run.c); the model is in every group.
 */
const struct vmc_run_group *vmc_run_default_groups(size_t *n);

/* Run every default group; 0, or the first group's failure (1 / -1). */
int vmc_run_groups(const struct vmc_op *ops, size_t n, unsigned int flags,
		   FILE *trace, struct vmc_run_report *rep);

/* The engines (engine_core.c; fuzz/model/engine_model.c). */
extern const struct vmc_engine_ops vmc_engine_core_sim;
extern const struct vmc_engine_ops vmc_engine_core_mmap;
extern const struct vmc_engine_ops vmc_engine_model;

#endif /* VMC_RUN_H */
