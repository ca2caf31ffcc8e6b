/* SPDX-License-Identifier: MIT */
/*
 * vmc_run_file.c - the runner's userspace entry points: vmc_run (trace to
 * a FILE) over the sink-based vmc_run_sink of vmc_run.c, and the default
 * differential groups.
 *
 * Default groups (vmc_run_default_groups): every group runs with
 * VMC_RUN_FRAMES frames of RAM (8 MiB, small enough that streams reach
 * exhaustion soon), two
 * nodes, 1024 device frames and a 1 GiB arena (i386: its whole 112 MiB
 * space), so "arena-sized" requests of the binary format are reachable:
 *   x86_64         model, core:sim
 *   la57           model, core:sim
 *   i386           model, core:sim
 *   x86_64 nohuge  model, core:sim, core:mmap
 * The model is in every group: a group without it would compare the core
 * only with itself.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vmcore.h"
#include "vmc_run.h"

/*
 * flags with $VMC_CHECK_EVERY=N as the full check's period when the
 * caller named none (0 or unset: the default).  Read once.
 */
unsigned int vmc_run_env_every(unsigned int flags)
{
	static int done;
	static unsigned int every;
	const char *s;

	if (!done) {
		s = getenv("VMC_CHECK_EVERY");
		every = s && *s ? (unsigned int)strtoul(s, NULL, 0) : 0;
		if (every > VMC_RUN_EVERY_MAX)
			every = VMC_RUN_EVERY_MAX;
		done = 1;
	}
	if (flags & (VMC_RUN_EVERY_MAX << VMC_RUN_EVERY_SHIFT))
		return flags;
	return flags | VMC_RUN_EVERY(every);
}

static void rf_line(void *arg, const char *line)
{
	FILE *f = arg;

	fputs(line, f);
	fputc('\n', f);
}

int vmc_run(const struct vmc_op *ops, size_t n,
	    const struct vmc_engine_spec *eng, size_t neng, unsigned int flags,
	    FILE *trace, struct vmc_run_report *rep)
{
	struct vmc_trace_sink sink = { rf_line, trace, NULL };

	flags = vmc_run_env_every(flags);
	return vmc_run_sink(ops, n, eng, neng, flags,
			    trace && (flags & VMC_RUN_TRACE) ? &sink : NULL,
			    rep);
}

/* ---------- the default differential configuration ---------- */

static struct vmc_run_group rr_groups[4];
static size_t rr_ngroups;

static void rr_add(struct vmc_run_group *g, const struct vmc_engine_ops *ops,
		   const char *geometry, bool nohuge, uint64_t arena,
		   const char *label)
{
	struct vmc_engine_spec *s = &g->spec[g->n++];

	memset(s, 0, sizeof(*s));
	s->ops = ops;
	s->cfg.geometry = geometry;
	s->cfg.nohuge = nohuge;
	s->cfg.arena_size = arena;
	s->cfg.nr_frames = VMC_RUN_FRAMES;
	s->cfg.nr_nodes = 2;
	s->cfg.dev_frames = 1024;
	s->label = label;
}

const struct vmc_run_group *vmc_run_default_groups(size_t *n)
{
	static const struct {
		const char *name, *geometry, *model, *core;
		bool nohuge;
		uint64_t arena;
	} def[4] = {
		{ "x86_64", "x86_64", "model:x86_64", "core:sim:x86_64",
		  false, 1ULL << 30 },
		{ "la57", "la57", "model:la57", "core:sim:la57",
		  false, 1ULL << 30 },
		{ "i386", "i386", "model:i386", "core:sim:i386", false, 0 },
		{ "x86_64-nohuge", "x86_64", "model:x86_64:nohuge",
		  "core:sim:x86_64:nohuge", true, 1ULL << 30 },
	};
	size_t i;

	if (!rr_ngroups) {
		for (i = 0; i < 4; i++) {
			struct vmc_run_group *g = &rr_groups[i];

			g->name = def[i].name;
			g->n = 0;
			rr_add(g, &vmc_engine_model, def[i].geometry,
			       def[i].nohuge, def[i].arena, def[i].model);
			rr_add(g, &vmc_engine_core_sim, def[i].geometry,
			       def[i].nohuge, def[i].arena, def[i].core);
			if (def[i].nohuge)
				rr_add(g, &vmc_engine_core_mmap,
				       def[i].geometry, true, def[i].arena,
				       "core:mmap");
#ifdef VMC_HAVE_LINUX61
			/* Follows core:sim, the group's first core engine. */
			rr_add(g, &vmc_engine_linux61, def[i].geometry,
			       def[i].nohuge, def[i].arena, "linux61");
#endif
		}
		rr_ngroups = 4;
	}
	*n = rr_ngroups;
	return rr_groups;
}

int vmc_run_groups_sink(const struct vmc_op *ops, size_t n,
			unsigned int flags, const struct vmc_trace_sink *sink,
			struct vmc_run_report *rep)
{
	const struct vmc_run_group *g;
	char head[80];
	size_t ng, i;
	int ret;

	flags = vmc_run_env_every(flags);
	if (n && ops[0].kind == VMC_OP_CONFIG)  /* the stream's setting wins */
		flags = ops[0].placement ? flags | VMC_RUN_EXACT :
					   flags & ~VMC_RUN_EXACT;
	/* ... and its config(profile=) the groups' kernel (vmc_op.h). */
	if (n && ops[0].kind == VMC_OP_CONFIG && ops[0].profile)
		flags = ops[0].profile == 2 ? flags | VMC_RUN_LINUX612 :
			flags & ~VMC_RUN_LINUX612;
	g = vmc_run_default_groups(&ng);
	for (i = 0; i < ng; i++) {
		struct vmc_run_group one = g[i];
		bool exact = (flags & VMC_RUN_EXACT) != 0;
		bool l612 = (flags & VMC_RUN_LINUX612) != 0;
		size_t k, j;

		/*
		 * Exact placement: the model compares, Linux cannot agree.
		 * 6.12: the core on 6.12, and Linux 6.12's code after it (the
		 * model and linux61 know 6.1's rules only).
		 */
		for (k = j = 0; k < one.n; k++) {
#ifdef VMC_HAVE_LINUX61
			if ((exact || l612) &&
			    one.spec[k].ops == &vmc_engine_linux61)
				continue;
#endif
			if (l612 && one.spec[k].ops == &vmc_engine_model)
				continue;
			one.spec[j] = one.spec[k];
			if (exact)
				one.spec[j].cfg.placement = VMC_PLACEMENT_EXACT;
			if (l612) {
				one.spec[j].cfg.profile = VMC_PROFILE_LINUX_6_12;
				one.spec[j].cfg.nr_cpus = VMC_RUN_CPUS612;
			}
			j++;
		}
#ifdef VMC_HAVE_LINUX612
		if (l612) {
			one.spec[j] = one.spec[0];
			one.spec[j].ops = &vmc_engine_linux612;
			one.spec[j++].label = "linux612";
		}
#endif
		one.n = j;
		if (sink) {
			snprintf(head, sizeof(head), "# group %s", g[i].name);
			sink->line(sink->arg, head);
		}
		ret = vmc_run_sink(ops, n, one.spec, one.n, flags, sink, rep);
		if (ret) {
			char what[sizeof(rep->what)];

			snprintf(what, sizeof(what), "%s", rep->what);
			snprintf(rep->what, sizeof(rep->what), "[%.20s] %.990s",
				 g[i].name, what);
			return ret;
		}
	}
	return 0;
}

int vmc_run_groups(const struct vmc_op *ops, size_t n, unsigned int flags,
		   FILE *trace, struct vmc_run_report *rep)
{
	struct vmc_trace_sink sink = { rf_line, trace, NULL };

	return vmc_run_groups_sink(ops, n, flags,
				   trace && (flags & VMC_RUN_TRACE) ? &sink :
				   NULL, rep);
}
