/* SPDX-License-Identifier: MIT */
/*
 * fuzz_target.h - what the three fuzz targets share (fuzz_diff.c,
 * fuzz_sim.c, fuzz_mmap.c): decode, cap, run, and on failure print the
 * op and a dedup key and abort().
 *
 * Each input is decoded with the forgiving binary decoder (every byte
 * string is a program), cut to at most VMC_FUZZ_MAX_OPS ops (VMC_OP_MAX,
 * 1024, the limit of every stream; $VMC_FUZZ_MAX_OPS may lower it, read
 * once), and run by vmc_run() on
 * engines created for this input and destroyed after it: nothing survives
 * from one input to the next, which keeps AFL++ persistent mode stable and
 * lets LeakSanitizer see any leak.  Sizes need no cap of their own: the
 * runner's default arenas are 1 GiB over small simulated RAM, so a huge
 * request fails fast, and write/verify touch live areas only.
 *
 * On a mismatch or violation the target prints, on stderr:
 *     vmcore-fuzz: KEY
 *     vmcore-fuzz: op #INDEX (line L): OP
 *     ... the runner's report ...
 * and aborts.  KEY is "invN-OPNAME" for a violated invariant and
 * "mismatch-OPNAME" for traces that differ; campaign.sh dedupes crashes on
 * it.
 */
#ifndef VMC_FUZZ_TARGET_H
#define VMC_FUZZ_TARGET_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vmc_op.h"
#include "vmc_run.h"

#ifndef VMC_FUZZ_MAX_OPS
#define VMC_FUZZ_MAX_OPS VMC_OP_MAX      /* the one op limit (vmc_op.h) */
#endif

/*
 * The full check's period, from "-check_every=N" on the fuzzer's command
 * line (libFuzzer warns about a flag it does not know and goes on;
 * OSS-Fuzz passes the .options entry check_every = N that way), else
 * $VMC_CHECK_EVERY, else VMC_RUN_EVERY_DEFAULT.  Between two full checks
 * every op gets the incremental check of what it changed.
 */
static unsigned int vmc_fuzz_every;

int LLVMFuzzerInitialize(int *argc, char ***argv);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	int i;

	for (i = 1; argv && *argv && i < *argc; i++) {
		const char *a = (*argv)[i];
		unsigned long n;

		if (strncmp(a, "-check_every=", 13))
			continue;
		n = strtoul(a + 13, NULL, 0);
		vmc_fuzz_every = n > VMC_RUN_EVERY_MAX ? VMC_RUN_EVERY_MAX :
				 (unsigned int)n;
	}
	return 0;
}

static inline size_t vmc_fuzz_max_ops(void)
{
	static size_t max;
	const char *s;

	if (!max) {
		s = getenv("VMC_FUZZ_MAX_OPS");
		max = s && *s ? (size_t)strtoull(s, NULL, 0) : 0;
		if (!max)
			max = VMC_FUZZ_MAX_OPS;
	}
	return max;
}

/* The op kind's name for the dedup key: the first word of the op text. */
static inline void vmc_fuzz_opname(const char *op, char *out, size_t len)
{
	const char *p = strstr(op, "= "), *paren = strchr(op, '(');
	size_t i = 0;

	p = p && paren && p < paren ? p + 2 : op;
	while (*p && *p != '(' && *p != ' ' && i + 1 < len)
		out[i++] = *p++;
	out[i] = 0;
	if (!i)
		snprintf(out, len, "final");
}

static inline void vmc_fuzz_fail(const char *target, int rc,
			  const struct vmc_run_report *rep)
{
	char name[32];

	if (rc < 0) {
		fprintf(stderr, "vmcore-fuzz: setup-%s\n"
			"vmcore-fuzz: %s: engine setup failed: %s\n",
			target, target, rep->what);
		abort();
	}
	vmc_fuzz_opname(rep->op, name, sizeof(name));
	if (rep->invariant)
		fprintf(stderr, "vmcore-fuzz: inv%d-%s\n", rep->invariant, name);
	else
		fprintf(stderr, "vmcore-fuzz: mismatch-%s\n", name);
	fprintf(stderr, "vmcore-fuzz: %s: op #%zu (line %u): %s\n", target,
		rep->index, (unsigned int)rep->line,
		rep->op[0] ? rep->op : "(final check)");
	if (rep->engine_a[0])
		fprintf(stderr, "vmcore-fuzz:   %-20s %s\n", rep->engine_a,
			rep->trace_a);
	if (rep->engine_b[0])
		fprintf(stderr, "vmcore-fuzz:   %-20s %s\n", rep->engine_b,
			rep->trace_b);
	fprintf(stderr, "vmcore-fuzz: %s\n", rep->what);
	fflush(stderr);
	abort();
}

/*
 * The spec of the engine `ops` in the default group for `geometry`
 * (`nohuge` picks the nohuge group), so the single-backend targets use
 * the configuration the differential target uses: 1 GiB arena, 2048
 * RAM frames, 2 nodes, 1024 device frames (see vmc_run.c).
 */
static inline struct vmc_engine_spec
vmc_fuzz_spec(const struct vmc_engine_ops *ops,
					    const char *geometry, bool nohuge)
{
	const struct vmc_run_group *g;
	struct vmc_engine_spec spec;
	size_t ng, i, j;

	g = vmc_run_default_groups(&ng);
	for (i = 0; i < ng; i++)
		for (j = 0; j < g[i].n; j++)
			if (g[i].spec[j].ops == ops &&
			    g[i].spec[j].cfg.nohuge == nohuge &&
			    strcmp(g[i].spec[j].cfg.geometry, geometry) == 0)
				return g[i].spec[j];
	/* Not in the defaults: the same sizes, this geometry. */
	memset(&spec, 0, sizeof(spec));
	spec.ops = ops;
	spec.cfg = g[0].spec[0].cfg;
	spec.cfg.geometry = geometry;
	spec.cfg.nohuge = nohuge;
	spec.label = ops->name;
	return spec;
}

/*
 * $VMC_FUZZ_PROFILE=linux-6.12: the default groups run the core on the
 * linux-6.12 profile, followed by linux612 (VMC_RUN_LINUX612), and fuzz_sim
 * and fuzz_mmap their one core engine; unset or linux-6.1: as before.  Read once.
 */
static inline unsigned int vmc_fuzz_profile(void)
{
	static int done;
	static unsigned int flags;
	const char *p;

	if (!done) {
		p = getenv("VMC_FUZZ_PROFILE");
		flags = p && !strcmp(p, "linux-6.12") ? VMC_RUN_LINUX612 : 0;
		done = 1;
	}
	return flags;
}

/*
 * Decode and run one input: on `eng[0..neng)` when neng > 0, else on
 * every default group (vmc_run_groups).
 */
static inline int vmc_fuzz_one(const char *target, const uint8_t *data,
			size_t size, const struct vmc_engine_spec *eng,
			size_t neng)
{
	unsigned int flags = VMC_RUN_CHECK | VMC_RUN_EVERY(vmc_fuzz_every);
	struct vmc_engine_spec e612[4];
	struct vmc_run_report rep;
	struct vmc_op *ops;
	size_t n;
	int rc;

	ops = vmc_op_decode(data, size, &n);
	if (!ops)
		return 0;               /* out of memory: not the stream's fault */
	if (n > vmc_fuzz_max_ops())
		n = vmc_fuzz_max_ops();
	if (neng && neng <= 4 && vmc_fuzz_profile()) {
		/* fuzz_sim, fuzz_mmap: the core alone, on linux-6.12 */
		size_t i;

		for (i = 0; i < neng; i++) {
			e612[i] = eng[i];
			e612[i].cfg.profile = VMC_ENGINE_PROFILE_LINUX_6_12;
			e612[i].cfg.nr_cpus = VMC_RUN_CPUS612;
		}
		eng = e612;
	}
	memset(&rep, 0, sizeof(rep));
	if (neng)
		rc = vmc_run(ops, n, eng, neng, flags, NULL, &rep);
	else
		rc = vmc_run_groups(ops, n, flags | vmc_fuzz_profile(), NULL,
				    &rep);
	free(ops);
	if (rc != 0)
		vmc_fuzz_fail(target, rc, &rep);
	return 0;
}

#endif /* VMC_FUZZ_TARGET_H */
