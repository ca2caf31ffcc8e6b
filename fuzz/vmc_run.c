/* SPDX-License-Identifier: MIT */
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
 * the detail (which byte differs).  Check: under VMC_RUN_CHECK every
 * engine's incremental ->check_changed after each op (an engine without
 * one, as the oracles, is checked at the full checks only) and its full
 * ->check after every N-th (VMC_RUN_EVERY(N), default VMC_RUN_EVERY_DEFAULT);
 * the full check also at every check() op and once at the end.
 * The first mismatch or violation stops the run and is described in
 * struct vmc_run_report.
 *
 * Observe mode (VMC_RUN_OBSERVE): every engine is created with
 * cfg.observe and describes each address it returns by what can be seen
 * through its own page tables (vmc_engine_observe, below); the runner
 * compares that description instead of the offset and prints
 * "= addr (DETAIL)".  This is how the core is compared with the kernel's
 * own vmalloc, whose addresses say nothing about the core's.
 *
 * Trace lines go to a sink (struct vmc_trace_sink), one call per line,
 * so the same runner serves the host tools (vmc_run_file.c: a FILE, and
 * the default groups) and the kernel module (kmod_dev.c: a buffer).
 *
 * Kernel-safe: compiled into the vmcore module, so it includes only
 * vmc_env.h and project headers, and keeps its stack small (the register
 * file, line buffers and data-check buffers are allocated: the kernel
 * stack is 16 KiB).
 */
#include "vmc_env.h"
#include "vmc_run.h"
#include "vmcore.h"          /* VMC_PLACEMENT_* */

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
		{ EPROTO, "EPROTO" },
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

int vmc_result_format_obs(const struct vmc_op *op,
			  const struct vmc_result *res, bool observe,
			  char *buf, size_t len)
{
	char o[256], e[32];

	vmc_op_format(op, o, sizeof(o));
	vmc_errname(res->err, e, sizeof(e));
	if (res->has_addr && observe)
		return snprintf(buf, len, "%s = addr (%s)", o, res->detail);
	if (res->has_addr)
		return snprintf(buf, len, "%s = +0x%llx", o,
				(unsigned long long)res->off);
	/* A following engine that refused its lead says why. */
	if (vmc_op_has_dst(op->kind) && res->err == -EPROTO && res->detail[0])
		return snprintf(buf, len, "%s = NULL %s (%s)", o, e,
				res->detail);
	if (vmc_op_has_dst(op->kind))
		return snprintf(buf, len, "%s = NULL%s%s", o,
				res->err ? " " : "", res->err ? e : "");
	if ((op->kind == VMC_OP_VERIFY || op->kind == VMC_OP_VMALLOCINFO) &&
	    !res->err)
		return snprintf(buf, len, "%s = ok", o);
	if (res->detail[0])
		return snprintf(buf, len, "%s = %s (%s)", o, e, res->detail);
	return snprintf(buf, len, "%s = %s", o, e);
}

static int rr_same(const struct vmc_op *op, const struct vmc_result *a,
		   const struct vmc_result *b, bool observe)
{
	if (a->err != b->err || a->has_addr != b->has_addr)
		return 0;
	if (a->has_addr && !observe && a->off != b->off)
		return 0;
	if (a->has_addr && observe && strcmp(a->detail, b->detail))
		return 0;
	if (op->kind == VMC_OP_VERIFY && strcmp(a->detail, b->detail))
		return 0;
	return 1;
}

int vmc_result_format(const struct vmc_op *op, const struct vmc_result *res,
		      char *buf, size_t len)
{
	return vmc_result_format_obs(op, res, false, buf, len);
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

/* The first engine that does not follow (vmc_engine_ops.exec_follow),
 * or neng when every engine would follow. */
static size_t rr_lead(const struct vmc_engine_spec *eng, size_t neng)
{
	size_t e;

	for (e = 0; e < neng; e++)
		if (!eng[e].ops->exec_follow)
			return e;
	return neng;
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

/* A free through a register that held an area, since freed. */
static bool rr_stale_free(const struct rr_reg *regs, const struct vmc_op *op)
{
	const struct rr_reg *r;

	switch (op->kind) {
	case VMC_OP_VFREE:
	case VMC_OP_VUNMAP:
	case VMC_OP_IOUNMAP:
	case VMC_OP_VM_UNMAP_RAM:
	case VMC_OP_VREALLOC:
		break;
	default:
		return false;
	}
	r = &regs[op->src];
	return r->set && r->off != UINT64_MAX && !r->live;
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

/*
 * ->check on every engine (full), or ->check_changed of the engines that
 * have one (incremental); 0, or 1 with rep filled.
 */
static int rr_check(const struct vmc_engine_spec *eng, void **st, size_t neng,
		    size_t i, const struct vmc_op *op, bool full, char *msg,
		    size_t msglen, struct vmc_run_report *rep)
{
	size_t e;

	for (e = 0; e < neng; e++) {
		int (*fn)(void *, char *, size_t) = full ? eng[e].ops->check :
						     eng[e].ops->check_changed;
		int bad;

		if (!fn)
			continue;
		msg[0] = '\0';
		bad = fn(st[e], msg, msglen);
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

/* What one run allocates instead of putting it on the stack. */
struct rr_run {
	struct rr_reg regs[VMC_OP_REGS];
	char line[640];                 /* a trace line and "  [label]" */
	char msg[256];
	struct vmc_engine_cfg cfg;
};

static const char *rr_label(const struct vmc_engine_spec *s)
{
	return s->label ? s->label : s->ops->name;
}

static void rr_emit(const struct vmc_trace_sink *sink, const char *line)
{
	if (sink && sink->line)
		sink->line(sink->arg, line);
}

/*
 * After an op's line: one comment line per ignored engine whose result
 * differs from the reference's, "# ignored [LABEL] (WHY): LINE", so a
 * known divergence stays visible in the trace (comments never compare).
 */
static void rr_emit_ignored(const struct vmc_trace_sink *sink,
			    const struct vmc_op *op,
			    const struct vmc_result *res, size_t ref,
			    const struct vmc_engine_spec *eng, size_t neng,
			    bool observe, char *line, size_t len)
{
	char text[320];
	size_t e;

	for (e = 0; e < neng; e++) {
		if (e == ref || !res[e].ignore ||
		    rr_same(op, &res[ref], &res[e], observe))
			continue;
		vmc_result_format_obs(op, &res[e], observe, text, sizeof(text));
		snprintf(line, len, "# ignored [%s] (%s): %s", rr_label(&eng[e]),
			 res[e].why ? res[e].why : "out of sync", text);
		rr_emit(sink, line);
	}
}

/* One line of an engine's vmallocinfo dump: "# vmallocinfo [LABEL] LINE". */
struct rr_info {
	const struct vmc_trace_sink *sink;
	const char *label;
	char *line;
	size_t len;
	size_t lines;
};

static void rr_info_line(void *arg, const char *text)
{
	struct rr_info *ri = arg;

	snprintf(ri->line, ri->len, "# vmallocinfo [%s] %s", ri->label, text);
	rr_emit(ri->sink, ri->line);
	ri->lines++;
}

/* After a vmallocinfo() op's line: the dump of every engine that has one
 * ("(no areas)" when it is empty). */
static void rr_emit_vmallocinfo(const struct vmc_trace_sink *sink,
				const struct vmc_engine_spec *eng, void **st,
				size_t neng, char *line, size_t len)
{
	struct rr_info ri = { sink, NULL, line, len, 0 };
	size_t e;

	for (e = 0; e < neng; e++) {
		if (!eng[e].ops->vmallocinfo)
			continue;
		ri.label = rr_label(&eng[e]);
		ri.lines = 0;
		eng[e].ops->vmallocinfo(st[e], rr_info_line, &ri);
		if (!ri.lines)
			rr_info_line(&ri, "(no areas)");
	}
}

int vmc_run_sink(const struct vmc_op *ops, size_t n,
		 const struct vmc_engine_spec *eng, size_t neng,
		 unsigned int flags, const struct vmc_trace_sink *sink,
		 struct vmc_run_report *rep)
{
	bool observe = (flags & VMC_RUN_OBSERVE) != 0;
	size_t every = (flags >> VMC_RUN_EVERY_SHIFT) & VMC_RUN_EVERY_MAX;
	bool full;
	struct vmc_result *res = NULL;
	const struct vmc_op *conf = NULL;
	struct rr_run *run;
	void **st = NULL;
	size_t i, e, ref, made = 0;
	int ret = 0;

	if (!every)
		every = VMC_RUN_EVERY_DEFAULT;
	if (n && ops[0].kind == VMC_OP_CONFIG)
		conf = &ops[0];         /* the stream's settings (vmc_op.h) */
	memset(rep, 0, sizeof(*rep));
	run = vmc_env_zalloc(sizeof(*run));
	if (run) {
		st = vmc_op_grow(NULL, 0, neng ? neng : 1, sizeof(*st));
		res = vmc_op_grow(NULL, 0, neng ? neng : 1, sizeof(*res));
	}
	if (!run || !st || !res) {
		snprintf(rep->what, sizeof(rep->what), "out of memory");
		ret = -1;
		goto out;
	}
	for (made = 0; made < neng; made++) {
		int err;

		run->cfg = eng[made].cfg;
		if (observe)
			run->cfg.observe = true;
		if (conf)               /* the stream's setting wins */
			run->cfg.placement = conf->placement ?
					     VMC_PLACEMENT_EXACT :
					     VMC_PLACEMENT_LINUX;
		if (conf && conf->profile) {
			run->cfg.profile = conf->profile - 1u;
			if (run->cfg.profile && !run->cfg.nr_cpus)
				run->cfg.nr_cpus = VMC_RUN_CPUS612;
		}
		err = eng[made].ops->create(&run->cfg, &st[made]);
		if (err) {
			char en[32];

			snprintf(rep->what, sizeof(rep->what),
				 "cannot create engine %s: %s%s",
				 rr_label(&eng[made]),
				 vmc_errname(err, en, sizeof(en)),
				 run->cfg.placement ? " (with placement=exact, "
				 "which it does not take)" :
				 conf && conf->profile ? " (with the stream's "
				 "config(profile=): another kernel's engine)" : "");
			ret = -1;
			goto out;
		}
	}
	for (i = 0; i < n; i++) {
		struct vmc_op op = ops[i];
		struct rr_reg *regs = run->regs;

		ref = 0;
		if (sink && sink->stop && sink->stop(sink->arg)) {
			rep->index = i;
			rep->line = ops[i].line;
			snprintf(rep->what, sizeof(rep->what),
				 "stopped before op %zu of %zu (line %u)", i, n,
				 (unsigned int)ops[i].line);
			ret = 2;
			goto out;
		}
		if (op.kind == VMC_OP_CONFIG) {         /* applied above */
			vmc_op_format(&ops[i], run->line, sizeof(run->line));
			rr_emit(sink, run->line);
			continue;
		}
		if (op.kind == VMC_OP_VM_UNMAP_RAM && !op.pages)
			op.pages = regs[op.src].kind == VMC_OP_VM_MAP_RAM ?
				   regs[op.src].pages : 0;
		if ((flags & VMC_RUN_NO_STALE) && rr_stale_free(regs, &op)) {
			char text[256];

			vmc_op_format(&ops[i], text, sizeof(text));
			snprintf(run->line, sizeof(run->line),
				 "# skipped (the register's area was freed): %s",
				 text);
			rr_emit(sink, run->line);
			continue;
		}
		if ((op.kind == VMC_OP_WRITE || op.kind == VMC_OP_VERIFY) &&
		    !rr_data_ok(regs, &op)) {
			/* No engine runs it: every result is the same. */
			for (e = 0; e < (neng ? neng : 1); e++) {
				memset(&res[e], 0, sizeof(res[e]));
				res[e].err = -EINVAL;
			}
		} else {
			size_t lead = rr_lead(eng, neng);

			/* Engines that follow run after their lead. */
			for (e = 0; e < neng; e++) {
				if (lead < neng && eng[e].ops->exec_follow)
					continue;
				eng[e].ops->exec(st[e], &op, &res[e]);
				rr_normalise(&op, &res[e]);
			}
			for (e = 0; lead < neng && e < neng; e++) {
				if (!eng[e].ops->exec_follow)
					continue;
				eng[e].ops->exec_follow(st[e], &op, &res[lead],
							&res[e]);
				rr_normalise(&op, &res[e]);
			}
			ref = rr_reference(res, neng);
			for (e = 0; e < neng; e++) {
				if (e == ref || res[e].ignore ||
				    rr_same(&ops[i], &res[ref], &res[e],
					    observe))
					continue;
				rr_report_op(rep, i, &ops[i]);
				snprintf(rep->engine_a, sizeof(rep->engine_a),
					 "%s", rr_label(&eng[ref]));
				snprintf(rep->engine_b, sizeof(rep->engine_b),
					 "%s", rr_label(&eng[e]));
				vmc_result_format_obs(&ops[i], &res[ref],
						      observe, rep->trace_a,
						      sizeof(rep->trace_a));
				vmc_result_format_obs(&ops[i], &res[e],
						      observe, rep->trace_b,
						      sizeof(rep->trace_b));
				snprintf(rep->what, sizeof(rep->what),
					 "line %u: engines differ: %.63s: %.400s | %.63s: %.400s",
					 rep->line, rep->engine_a, rep->trace_a,
					 rep->engine_b, rep->trace_b);
				snprintf(run->line, sizeof(run->line),
					 "%s  [%s]", rep->trace_a,
					 rep->engine_a);
				rr_emit(sink, run->line);
				snprintf(run->line, sizeof(run->line),
					 "%s  [%s]", rep->trace_b,
					 rep->engine_b);
				rr_emit(sink, run->line);
				ret = 1;
				goto out;
			}
		}
		if (sink) {
			vmc_result_format_obs(&ops[i], &res[ref], observe,
					      run->line, sizeof(run->line));
			rr_emit(sink, run->line);
			rr_emit_ignored(sink, &ops[i], res, ref, eng, neng,
					observe, run->line, sizeof(run->line));
			if (op.kind == VMC_OP_VMALLOCINFO)
				rr_emit_vmallocinfo(sink, eng, st, neng,
						    run->line,
						    sizeof(run->line));
		}
		rr_update(regs, &op, &res[ref]);
		full = op.kind == VMC_OP_CHECK || (i + 1) % every == 0;
		if (((flags & VMC_RUN_CHECK) || op.kind == VMC_OP_CHECK) &&
		    rr_check(eng, st, neng, i, &ops[i], full, run->msg,
			     sizeof(run->msg), rep)) {
			ret = 1;
			goto out;
		}
	}
	if (rr_check(eng, st, neng, n, NULL, true, run->msg, sizeof(run->msg),
		     rep))
		ret = 1;
out:
	for (e = 0; e < made; e++)
		eng[e].ops->destroy(st[e]);
	vmc_env_free(st);
	vmc_env_free(res);
	vmc_env_free(run);
	return ret;
}

/* ---------- what every engine shares ---------- */

void vmc_engine_data(const struct vmc_op *op, unsigned long base,
		     int (*access)(void *ctx, unsigned long va, void *buf,
				   size_t len, bool write),
		     void *ctx, struct vmc_result *res)
{
	enum { CHUNK = 4096 };
	unsigned char *buf, *want;
	uint64_t done = 0;

	/* Two chunks, allocated: 8 KiB is half a kernel stack. */
	buf = vmc_env_zalloc(2 * CHUNK);
	if (!buf) {
		res->err = -ENOMEM;
		return;
	}
	want = buf + CHUNK;
	while (done < op->len) {
		size_t n = op->len - done < CHUNK ?
			   (size_t)(op->len - done) : CHUNK;
		unsigned long at = base + (unsigned long)(op->off + done);
		bool wr = op->kind == VMC_OP_WRITE;
		size_t i;
		int err;

		vmc_pattern_fill(op->seed, op->off + done, want, n);
		err = access(ctx, at, wr ? want : buf, n, wr);
		if (!err && !wr && !memcmp(buf, want, n))
			goto next;
		for (i = 0; !err && !wr && i < n; i++) {
			if (buf[i] == want[i])
				continue;
			res->err = -EIO;
			snprintf(res->detail, sizeof(res->detail),
				 "+0x%llx: got 0x%02x want 0x%02x",
				 (unsigned long long)(op->off + done + i),
				 buf[i], want[i]);
			goto out;
		}
		if (err) {
			res->err = err;
			goto out;
		}
next:
		done += n;
	}
out:
	vmc_env_free(buf);
}

void vmc_engine_observe(const struct vmc_op *op, unsigned long addr,
			int (*translate)(void *ctx, unsigned long va,
					 unsigned long *pfn),
			void *ctx, struct vmc_result *res)
{
	unsigned long base = addr & ~(unsigned long)(P - 1), pfn, mapped = 0;
	uint64_t span, pg, align = 0;
	const char *guard, *al = "-";

	switch (op->kind) {
	case VMC_OP_VMAP:
	case VMC_OP_VM_MAP_RAM:
		span = (uint64_t)op->pages * P;
		break;
	case VMC_OP_IOREMAP:
		span = (op->phys & (P - 1)) + op->size;
		break;
	default:        /* vmalloc family, vrealloc */
		span = op->size;
		break;
	}
	/* PAGE_ALIGN; a span that wraps cannot have been mapped. */
	span = span > UINT64_MAX - (P - 1) ? UINT64_MAX & ~(P - 1) :
	       (span + P - 1) & ~(P - 1);
	if (span > (uint64_t)(0UL - 1) - base)
		span = ((uint64_t)(0UL - 1) - base) & ~(P - 1);
	for (pg = 0; pg < span; pg += P)
		if (!translate(ctx, base + (unsigned long)pg, &pfn))
			mapped++;
	if (op->kind == VMC_OP_VM_MAP_RAM)
		guard = "-";
	else
		guard = !translate(ctx, base + (unsigned long)span, &pfn) ?
			"mapped" : "unmapped";
	if (op->kind == VMC_OP_VMALLOC || op->kind == VMC_OP_VMALLOC_RANGE) {
		align = op->align > P ? op->align : P;
		/* An alignment that is not a power of two: plain modulo. */
		al = base % align ? "bad" : "ok";
	}
	snprintf(res->detail, sizeof(res->detail),
		 "pages=%lu guard=%s pgoff=0x%lx align=%s", mapped, guard,
		 addr & (unsigned long)(P - 1), al);
}
