/*
 * vmc_run_file.c - the runner's userspace entry points: vmc_run (trace to
 * a FILE) over the sink-based vmc_run_sink of vmc_run.c, and the default
 * differential groups.
 *
 * Default groups (vmc_run_default_groups): every group runs with 8192
 * frames of RAM (32 MiB, small enough that streams reach exhaustion), two
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
#include <string.h>

#include "vmc_run.h"

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
	s->cfg.nr_frames = 8192;
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
		}
		rr_ngroups = 4;
	}
	*n = rr_ngroups;
	return rr_groups;
}

int vmc_run_groups(const struct vmc_op *ops, size_t n, unsigned int flags,
		   FILE *trace, struct vmc_run_report *rep)
{
	const struct vmc_run_group *g;
	size_t ng, i;
	int ret;

	g = vmc_run_default_groups(&ng);
	for (i = 0; i < ng; i++) {
		if (trace && (flags & VMC_RUN_TRACE))
			fprintf(trace, "# group %s\n", g[i].name);
		ret = vmc_run(ops, n, g[i].spec, g[i].n, flags, trace, rep);
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

