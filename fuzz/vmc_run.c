/*
 * vmc_run.c - the runner: feeds one op stream to several engines in lock
 * step and compares what they answer, op by op.
 *
 * The runner owns the one engine-independent register file
 * (vmc_engine.h): for each register whether it was ever set, whether it
 * holds a live area, the op kind that made it, its size and page count,
 * and its offset from the arena start (the engines agreed on it, or the
 * run has already stopped).  With the offsets the runner knows which
 * registers a successful free kills: every live register at the freed
 * address, not only the one named, because a stale register may hold the
 * address of a newer area (r1 freed, r2 reuses its range, vfree(r1)
 * frees r2's area).  A write or verify through a register that is not
 * live, or outside [0, size), is answered -EINVAL by the runner without
 * calling the engines: touching freed memory is undefined behaviour
 * (a segfault on the mmap backend), not a result to compare.
 *
 * Comparison: err, has_addr, the offset when there is one, and for verify
 * the detail (which byte differs).  Check: every engine's ->check after
 * each op under VMC_RUN_CHECK, at every check() op, and once at the end.
 * The first mismatch or violation stops the run and is described in
 * struct vmc_run_report.
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
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vmc_run.h"

#define P 4096ULL

struct rr_reg {
	bool set, live;
	enum vmc_op_kind kind;
	uint64_t size;
	uint32_t pages;
	uint64_t off;
};

const char *vmc_errname(int err, char *buf, size_t len)
{
	static const struct { int e; const char *n; } t[] = {
		{ EPERM, "EPERM" }, { ENOENT, "ENOENT" }, { EINTR, "EINTR" },
		{ EIO, "EIO" }, { ENXIO, "ENXIO" }, { E2BIG, "E2BIG" },
		{ EBADF, "EBADF" }, { EAGAIN, "EAGAIN" }, { ENOMEM, "ENOMEM" },
		{ EACCES, "EACCES" }, { EFAULT, "EFAULT" }, { EBUSY, "EBUSY" },
		{ EEXIST, "EEXIST" }, { ENODEV, "ENODEV" }, { EINVAL, "EINVAL" },
		{ ENOSPC, "ENOSPC" }, { ERANGE, "ERANGE" },
		{ EOVERFLOW, "EOVERFLOW" }, { ENOSYS, "ENOSYS" },
	};
	size_t i;

	if (!err) {
		snprintf(buf, len, "0");
		return buf;
	}
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		if (-err == t[i].e) {
			snprintf(buf, len, "-%s", t[i].n);
			return buf;
		}
	snprintf(buf, len, "-E%d", -err);
	return buf;
}

int vmc_result_format(const struct vmc_op *op, const struct vmc_result *res,
		      char *buf, size_t len)
{
	char o[256], e[32];

	vmc_op_format(op, o, sizeof(o));
	vmc_errname(res->err, e, sizeof(e));
	if (res->has_addr)
		return snprintf(buf, len, "%s = +0x%llx", o,
				(unsigned long long)res->off);
	if (vmc_op_has_dst(op->kind))
		return snprintf(buf, len, "%s = NULL%s%s", o,
				res->err ? " " : "", res->err ? e : "");
	if (op->kind == VMC_OP_VERIFY && !res->err)
		return snprintf(buf, len, "%s = ok", o);
	if (res->detail[0])
		return snprintf(buf, len, "%s = %s (%s)", o, e, res->detail);
	return snprintf(buf, len, "%s = %s", o, e);
}

static int rr_same(const struct vmc_op *op, const struct vmc_result *a,
		   const struct vmc_result *b)
{
	if (a->err != b->err || a->has_addr != b->has_addr)
		return 0;
	if (a->has_addr && a->off != b->off)
		return 0;
	if (op->kind == VMC_OP_VERIFY && strcmp(a->detail, b->detail))
		return 0;
	return 1;
}

/*
 * Address answers: NULL is has_addr false (an engine may also say
 * has_addr with off UINT64_MAX); an error never comes with an address.
 */
static void rr_normalise(const struct vmc_op *op, struct vmc_result *res)
{
	if (vmc_op_has_dst(op->kind) && res->has_addr &&
	    (res->off == UINT64_MAX || res->err))
		res->has_addr = false;
	if (res->has_addr)
		res->err = 0;
}

/* The engine the others are compared with: the first one in sync. */
static size_t rr_reference(const struct vmc_result *res, size_t neng)
{
	size_t e;

	for (e = 0; e < neng; e++)
		if (!res[e].ignore)
			return e;
	return 0;
}

/* Kill every live register in the page of `off` (a successful free):
 * conservative, since ioremap results carry an in-page offset. */
static void rr_kill(struct rr_reg *regs, uint64_t off)
{
	int i;

	for (i = 0; i < VMC_OP_REGS; i++)
		if (regs[i].live && regs[i].off / P == off / P)
			regs[i].live = false;
}

static void rr_update(struct rr_reg *regs, const struct vmc_op *op,
		      const struct vmc_result *res)
{
	struct rr_reg *src = op->src >= 0 ? &regs[op->src] : NULL;
	struct rr_reg *dst = op->dst >= 0 ? &regs[op->dst] : NULL;

	switch (op->kind) {
	case VMC_OP_VFREE:
	case VMC_OP_VUNMAP:
	case VMC_OP_IOUNMAP:
	case VMC_OP_VM_UNMAP_RAM:
		if (!res->err && src->set && src->off != UINT64_MAX)
			rr_kill(regs, src->off);
		return;
	case VMC_OP_VREALLOC:
		if ((res->has_addr || (!op->size && !res->err)) &&
		    src->set && src->off != UINT64_MAX)
			rr_kill(regs, src->off);
		break;
	default:
		break;
	}
	if (!dst)
		return;
	memset(dst, 0, sizeof(*dst));
	dst->set = true;
	dst->kind = op->kind;
	dst->off = UINT64_MAX;          /* NULL */
	if (!res->has_addr)
		return;
	dst->live = true;
	dst->off = res->off;
	switch (op->kind) {
	case VMC_OP_VMAP:
	case VMC_OP_VM_MAP_RAM:
		dst->pages = op->pages;
		dst->size = (uint64_t)op->pages * P;
		break;
	case VMC_OP_IOREMAP:
		dst->size = op->size;
		dst->pages = (uint32_t)((op->phys % P + op->size + P - 1) / P);
		break;
	default:
		dst->size = op->size;
		dst->pages = (uint32_t)((op->size + P - 1) / P);
		break;
	}
}

/* write/verify the engines may run: a live register, inside its size. */
static int rr_data_ok(const struct rr_reg *regs, const struct vmc_op *op)
{
	const struct rr_reg *r = &regs[op->src];

	return r->live && op->off <= r->size && op->len <= r->size - op->off;
}

static void rr_report_op(struct vmc_run_report *rep, size_t i,
			 const struct vmc_op *op)
{
	rep->index = i;
	rep->line = op ? op->line : 0;
	if (op)
		vmc_op_format(op, rep->op, sizeof(rep->op));
	else
		snprintf(rep->op, sizeof(rep->op), "(end of stream)");
}

/* ->check on every engine; 0, or 1 with rep filled. */
static int rr_check(const struct vmc_engine_spec *eng, void **st, size_t neng,
		    size_t i, const struct vmc_op *op,
		    struct vmc_run_report *rep)
{
	size_t e;

	for (e = 0; e < neng; e++) {
		char msg[256] = "";
		int bad;

		if (!eng[e].ops->check)
			continue;
		bad = eng[e].ops->check(st[e], msg, sizeof(msg));
		if (!bad)
			continue;
		rr_report_op(rep, i, op);
		rep->invariant = bad;
		snprintf(rep->engine_a, sizeof(rep->engine_a), "%s",
			 eng[e].label ? eng[e].label : eng[e].ops->name);
		snprintf(rep->trace_a, sizeof(rep->trace_a), "%s", msg);
		snprintf(rep->what, sizeof(rep->what),
			 "line %u: %s: invariant %d broken on %s: %s",
			 rep->line, rep->op, bad, rep->engine_a, msg);
		return 1;
	}
	return 0;
}

int vmc_run(const struct vmc_op *ops, size_t n,
	    const struct vmc_engine_spec *eng, size_t neng, unsigned int flags,
	    FILE *trace, struct vmc_run_report *rep)
{
	struct rr_reg regs[VMC_OP_REGS];
	struct vmc_result *res = NULL;
	void **st = NULL;
	size_t i, e, ref, made = 0;
	int ret = 0;

	memset(rep, 0, sizeof(*rep));
	memset(regs, 0, sizeof(regs));
	st = calloc(neng ? neng : 1, sizeof(*st));
	res = calloc(neng ? neng : 1, sizeof(*res));
	if (!st || !res) {
		snprintf(rep->what, sizeof(rep->what), "out of memory");
		ret = -1;
		goto out;
	}
	for (made = 0; made < neng; made++) {
		int err = eng[made].ops->create(&eng[made].cfg, &st[made]);

		if (err) {
			char en[32];

			snprintf(rep->what, sizeof(rep->what),
				 "cannot create engine %s: %s",
				 eng[made].label ? eng[made].label :
				 eng[made].ops->name,
				 vmc_errname(err, en, sizeof(en)));
			ret = -1;
			goto out;
		}
	}
	for (i = 0; i < n; i++) {
		struct vmc_op op = ops[i];
		char line[512];

		ref = 0;
		if (op.kind == VMC_OP_VM_UNMAP_RAM && !op.pages)
			op.pages = regs[op.src].kind == VMC_OP_VM_MAP_RAM ?
				   regs[op.src].pages : 0;
		if ((op.kind == VMC_OP_WRITE || op.kind == VMC_OP_VERIFY) &&
		    !rr_data_ok(regs, &op)) {
			memset(&res[0], 0, sizeof(res[0]));
			res[0].err = -EINVAL;
		} else {
			for (e = 0; e < neng; e++) {
				eng[e].ops->exec(st[e], &op, &res[e]);
				rr_normalise(&op, &res[e]);
			}
			ref = rr_reference(res, neng);
			for (e = 0; e < neng; e++) {
				if (e == ref || res[e].ignore ||
				    rr_same(&ops[i], &res[ref], &res[e]))
					continue;
				rr_report_op(rep, i, &ops[i]);
				snprintf(rep->engine_a, sizeof(rep->engine_a),
					 "%s", eng[ref].label ? eng[ref].label :
					 eng[ref].ops->name);
				snprintf(rep->engine_b, sizeof(rep->engine_b),
					 "%s", eng[e].label ? eng[e].label :
					 eng[e].ops->name);
				vmc_result_format(&ops[i], &res[ref],
						  rep->trace_a,
						  sizeof(rep->trace_a));
				vmc_result_format(&ops[i], &res[e],
						  rep->trace_b,
						  sizeof(rep->trace_b));
				snprintf(rep->what, sizeof(rep->what),
					 "line %u: engines differ: %.63s: %.400s | %.63s: %.400s",
					 rep->line, rep->engine_a, rep->trace_a,
					 rep->engine_b, rep->trace_b);
				if (trace && (flags & VMC_RUN_TRACE))
					fprintf(trace, "%s  [%s]\n%s  [%s]\n",
						rep->trace_a, rep->engine_a,
						rep->trace_b, rep->engine_b);
				ret = 1;
				goto out;
			}
		}
		if (trace && (flags & VMC_RUN_TRACE)) {
			vmc_result_format(&ops[i], &res[ref], line, sizeof(line));
			fprintf(trace, "%s\n", line);
		}
		rr_update(regs, &op, &res[ref]);
		if (((flags & VMC_RUN_CHECK) || op.kind == VMC_OP_CHECK) &&
		    rr_check(eng, st, neng, i, &ops[i], rep)) {
			ret = 1;
			goto out;
		}
	}
	if (rr_check(eng, st, neng, n, NULL, rep))
		ret = 1;
out:
	for (e = 0; e < made; e++)
		eng[e].ops->destroy(st[e]);
	free(st);
	free(res);
	return ret;
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

void vmc_engine_data(const struct vmc_op *op, unsigned long base,
		     int (*access)(void *ctx, unsigned long va, void *buf,
				   size_t len, bool write),
		     void *ctx, struct vmc_result *res)
{
	unsigned char buf[4096], want[4096];
	uint64_t done = 0;

	while (done < op->len) {
		size_t n = op->len - done < sizeof(buf) ?
			   (size_t)(op->len - done) : sizeof(buf);
		unsigned long at = base + (unsigned long)(op->off + done);
		bool wr = op->kind == VMC_OP_WRITE;
		size_t i;
		int err;

		for (i = 0; i < n; i++)
			want[i] = vmc_pattern_byte(op->seed, op->off + done + i);
		err = access(ctx, at, wr ? want : buf, n, wr);
		for (i = 0; !err && !wr && i < n; i++) {
			if (buf[i] == want[i])
				continue;
			res->err = -EIO;
			snprintf(res->detail, sizeof(res->detail),
				 "+0x%llx: got 0x%02x want 0x%02x",
				 (unsigned long long)(op->off + done + i),
				 buf[i], want[i]);
			return;
		}
		if (err) {
			res->err = err;
			return;
		}
		done += n;
	}
}
