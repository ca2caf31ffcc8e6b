/* SPDX-License-Identifier: MIT */
/*
 * test_op.c - op streams: text and binary codecs, the generator and the
 * runner (fuzz/vmc_op*.c, fuzz/vmc_run.c, fuzz/engine_core.c).
 *
 *   1. every op kind prints back exactly as its canonical text;
 *      loose spellings (decimal, spaces, the __vmalloc_node_range alias)
 *      print canonically;
 *   2. text -> binary -> ops is lossless; generated streams too;
 *   3. random byte strings decode, re-encode to a fixed point, and print
 *      as text that parses back to the same ops;
 *   4. parse errors name the right LINE:COL;
 *   5. the runner stops at an injected mismatch and at a lying check,
 *      and answers write/verify out of bounds itself;
 *   6. generated streams run clean on core:sim vs core:sim and on the
 *      default differential groups;
 *   7. observe mode: what each address op's detail says (pages mapped,
 *      guard, in-page offset, alignment) on core:sim, through a trace
 *      sink; details compared instead of offsets; cfg.arena_start places
 *      the arena at an absolute address (absolute alignment).
 *   8. the write/verify pattern: the fill equals its byte definition.
 */
#define _POSIX_C_SOURCE 200809L  /* open_memstream */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tap.h"
#include "vmc_op.h"
#include "vmc_op_gen.h"
#include "vmc_run.h"
#include "vmcore.h"
#include "vmc_backends.h"

/* Canonical lines: one or more per op kind, every optional field seen. */
static const char *const canon[] = {
	"r0 = vmalloc(size=0x5000)",
	"r1 = vmalloc(size=0x400000, align=0x200000, huge=1)",
	"r63 = vmalloc(size=0x1, align=0x8000000000000000, huge=1, node=1, zero=1)",
	"r2 = vzalloc(size=0x3000, node=1)",
	"r2 = vzalloc(size=0x0)",
	"r7 = vmalloc_node(size=0x2000, node=-1)",
	"r7 = vmalloc_node(size=0x2000, node=2147483647)",
	"r8 = vmalloc_huge(size=0xffffffffffffffff)",
	"r9 = vmalloc_range(size=0x1000, align=0x0, start=0x0, end=0x40000000)",
	"r9 = vmalloc_range(size=0x1000, align=0x1000, start=0x10, end=0x5, node=0, huge=1, zero=1)",
	"vfree(r1)",
	"r3 = vmap(pages=4)",
	"r3 = vmap(pages=4294967295)",
	"vunmap(r3)",
	"r4 = ioremap(phys=0x1234, size=0x2000)",
	"iounmap(r4)",
	"r5 = vm_map_ram(pages=3)",
	"r5 = vm_map_ram(pages=0, node=1)",
	"vm_unmap_ram(r5)",
	"vm_unmap_ram(r5, pages=3)",
	"r6 = vrealloc(r0, size=0x9000)",
	"r6 = vrealloc(r6, size=0x0)",
	"write(r2, off=0x10, len=0x100, seed=0x7)",
	"verify(r2, off=0x10, len=0x100, seed=0x0)",
	"purge()",
	"fail(frames=2)",
	"fail(tables=0)",
	"fail(meta=18446744073709551615)",
	"check()",
	"vmallocinfo()",
};
#define NCANON (sizeof(canon) / sizeof(canon[0]))

static const struct { const char *in, *out; } loose[] = {
	{ "  r0=vmalloc( size = 20480 )  # five pages",
	  "r0 = vmalloc(size=0x5000)" },
	{ "r9 = __vmalloc_node_range(end=0X10, start=1, align=4096, size=1)",
	  "r9 = vmalloc_range(size=0x1, align=0x1000, start=0x1, end=0x10)" },
	{ "r1 = vmalloc(size=0x1000, node=-1, huge=0, zero=0, align=0)",
	  "r1 = vmalloc(size=0x1000)" },
	{ "write(r2,off=16,len=0x100,seed=7)",
	  "write(r2, off=0x10, len=0x100, seed=0x7)" },
	{ "\tvm_unmap_ram( r5 , pages = 0 )", "vm_unmap_ram(r5)" },
};
#define NLOOSE (sizeof(loose) / sizeof(loose[0]))

static const struct { const char *text, *err; } bad[] = {
	{ "r0 = vmallok(size=1)", "1:6: unknown op 'vmallok'" },
	{ "\n# c\nr0 = vmalloc(sise=1)", "3:14: unknown key 'sise' for vmalloc" },
	{ "r0 = vmalloc(align=0x1000)", "1:6: missing required key 'size'" },
	{ "r0 = vmalloc(size=0x1g)", "1:19: bad number" },
	{ "r0 = vmalloc(size=)", "1:19: bad number" },
	{ "r64 = vmalloc(size=1)", "1:1: register out of range" },
	{ "vfree(r99)", "1:7: register out of range" },
	{ "vfree(r1) x", "1:11: trailing junk" },
	{ "check()\n  purge() junk", "2:11: trailing junk" },
	{ "vmalloc(size=1)", "1:1: vmalloc needs a result register" },
	{ "r1 = vfree(r2)", "1:1: vfree returns no address" },
	{ "vfree(size=1)", "1:7: vfree needs a register first" },
	{ "r0 = vmalloc(size=1, size=2)", "1:22: duplicate key 'size'" },
	{ "r0 = vmalloc(size=1, huge=2)", "1:27: value out of range for 'huge'" },
	{ "r0 = vmalloc(size=0x10000000000000000)", "1:19: number too large" },
	{ "fail(frames=1, meta=2)", "1:16: fail takes one of" },
	{ "fail()", "1:6: fail needs frames, tables or meta" },
	{ "r0 = vmalloc(size=1", "1:20: expected ')'" },
	{ "r0 = vmalloc size=1", "1:14: expected '('" },
	{ "r0 = vmap(pages=4294967296)", "1:17: value out of range for 'pages'" },
	{ "r0 = vmalloc(size=1, node=-2)", "1:27: value out of range for 'node'" },
};
#define NBAD (sizeof(bad) / sizeof(bad[0]))

static unsigned long long rnd(unsigned long long *s)
{
	unsigned long long x = *s;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*s = x;
	return x * 0x2545f4914f6cdd1dULL;
}

static int same_ops(const struct vmc_op *a, size_t na, const struct vmc_op *b,
		    size_t nb)
{
	size_t i;

	if (na != nb)
		return 0;
	for (i = 0; i < na; i++)
		if (!vmc_op_equal(&a[i], &b[i]))
			return 0;
	return 1;
}

/* Binary round trip of ops: decode(encode(ops)) == ops. */
static int bin_roundtrip(const struct vmc_op *ops, size_t n)
{
	size_t len, m;
	uint8_t *bin = vmc_op_encode(ops, n, &len);
	struct vmc_op *back = bin ? vmc_op_decode(bin, len, &m) : NULL;
	int ok = back && same_ops(ops, n, back, m);

	free(bin);
	free(back);
	return ok;
}

/* Text round trip: format every op, parse the lot, compare. */
static int text_roundtrip(const struct vmc_op *ops, size_t n)
{
	size_t cap = n * 160 + 1, pos = 0, i, m;
	char *text = malloc(cap), err[128];
	struct vmc_op *back = NULL;
	int ok;

	for (i = 0; text && i < n; i++) {
		int w = vmc_op_format(&ops[i], text + pos, cap - pos);

		pos += (size_t)w;
		text[pos++] = '\n';
	}
	ok = text && !vmc_op_parse(text, pos, &back, &m, err, sizeof(err)) &&
	     same_ops(ops, n, back, m);
	if (!ok && text)
		tap_diag("text round trip: %s", err);
	free(text);
	free(back);
	return ok;
}

static void test_text(void)
{
	struct vmc_op *ops;
	char err[128], buf[256];
	size_t i, n;
	int ok = 1;

	for (i = 0; i < NCANON; i++) {
		int r = vmc_op_parse(canon[i], strlen(canon[i]), &ops, &n, err,
				     sizeof(err));

		buf[0] = '\0';
		if (!r && n == 1)
			vmc_op_format(&ops[0], buf, sizeof(buf));
		if (r || n != 1 || strcmp(buf, canon[i])) {
			tap_diag("'%s' -> '%s' (%s)", canon[i], buf,
				 r ? err : "");
			ok = 0;
		}
		if (!r)
			free(ops);
	}
	tap_ok(ok, "text: %zu canonical lines print back unchanged", NCANON);

	ok = 1;
	for (i = 0; i < NLOOSE; i++) {
		int r = vmc_op_parse(loose[i].in, strlen(loose[i].in), &ops,
				     &n, err, sizeof(err));

		buf[0] = '\0';
		if (!r && n == 1)
			vmc_op_format(&ops[0], buf, sizeof(buf));
		if (r || n != 1 || strcmp(buf, loose[i].out)) {
			tap_diag("'%s' -> '%s' (%s)", loose[i].in, buf,
				 r ? err : "");
			ok = 0;
		}
		if (!r)
			free(ops);
	}
	tap_ok(ok, "text: loose spellings print canonically");

	{
		const char *t = "# only comments\n\n   \n\t# more\n";

		ok = !vmc_op_parse(t, strlen(t), &ops, &n, err, sizeof(err)) &&
		     n == 0;
		if (ok)
			free(ops);
		tap_ok(ok, "text: comments and blank lines make no ops");
	}
	{
		const char *t = "purge()\n# x\n\ncheck()\n";

		int r = vmc_op_parse(t, strlen(t), &ops, &n, err, sizeof(err));

		tap_ok(!r && n == 2 && ops[0].line == 1 && ops[1].line == 4,
		       "text: ops remember their source lines");
		if (!r)
			free(ops);
	}
}

static void test_errors(void)
{
	struct vmc_op *ops;
	char err[128];
	size_t i, n;
	int ok = 1;

	for (i = 0; i < NBAD; i++) {
		err[0] = '\0';
		if (!vmc_op_parse(bad[i].text, strlen(bad[i].text), &ops, &n,
				  err, sizeof(err))) {
			free(ops);
			tap_diag("'%s' parsed", bad[i].text);
			ok = 0;
		} else if (strncmp(err, bad[i].err, strlen(bad[i].err))) {
			tap_diag("'%s': got '%s', want '%s'", bad[i].text, err,
				 bad[i].err);
			ok = 0;
		}
	}
	tap_ok(ok, "parse errors: %zu bad texts give the right LINE:COL: message",
	       NBAD);
}

static void test_binary(void)
{
	struct vmc_op *ops, *gen;
	char err[128];
	size_t i, n;
	int ok;
	char all[8192] = "";

	for (i = 0; i < NCANON; i++) {
		strcat(all, canon[i]);
		strcat(all, "\n");
	}
	ok = !vmc_op_parse(all, strlen(all), &ops, &n, err, sizeof(err));
	tap_ok(ok && n == NCANON && bin_roundtrip(ops, n),
	       "binary: every canonical op survives text -> binary -> ops");
	if (ok)
		free(ops);

	/* values of every NUM class, and beyond */
	{
		static const uint64_t v[] = {
			0, 15, 16, 4096, 65536, 4095, 4097, 4096 * 4096,
			4096 * 4097, 1ULL << 63, (2ULL << 20) - 4096,
			(1ULL << 30) + 1, 0x6ffe000 - 8192, 12800ULL << 40,
			0xfffff, 0x100000, 0x123456789abcdefULL, UINT64_MAX,
			UINT64_MAX - 15, UINT64_MAX - 16, 257 * (2ULL << 20),
		};
		struct vmc_op w[sizeof(v) / sizeof(v[0])];

		for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
			vmc_op_init(&w[i], VMC_OP_WRITE);
			w[i].src = (int)(i * 7 % VMC_OP_REGS);
			w[i].off = v[i];
			w[i].len = v[(i + 5) % (sizeof(v) / sizeof(v[0]))];
			w[i].seed = ~v[i];
		}
		tap_ok(bin_roundtrip(w, i),
		       "binary: numbers of every encoding class round trip");
	}

	ok = 1;
	for (i = 0; i < 12; i++) {
		gen = vmc_op_gen(100 + i, VMC_OP_MAX,
				 (enum vmc_gen_profile)(i % 3));
		if (!gen || !bin_roundtrip(gen, VMC_OP_MAX) ||
		    !text_roundtrip(gen, VMC_OP_MAX))
			ok = 0;
		free(gen);
	}
	tap_ok(ok, "binary and text: 12 generated streams round trip losslessly");

	{
		uint8_t one[] = { VMC_OP_VMALLOC, 0x03, 0x00 };  /* cut short */

		ops = vmc_op_decode(one, sizeof(one), &n);
		tap_ok(ops && n == 0, "binary: an op cut short ends the stream");
		free(ops);
	}
}

static void test_random_bytes(void)
{
	unsigned long long s = 0x5eed;
	int i, ok = 1, dec = 0;

	for (i = 0; i < 3000 && ok; i++) {
		size_t len = (size_t)(rnd(&s) % 300), j, n, m, l1, l2;
		uint8_t *b = malloc(len + 1), *e1, *e2;
		struct vmc_op *o1, *o2;

		for (j = 0; j < len; j++)
			b[j] = (uint8_t)rnd(&s);
		o1 = vmc_op_decode(b, len, &n);
		e1 = o1 ? vmc_op_encode(o1, n, &l1) : NULL;
		o2 = e1 ? vmc_op_decode(e1, l1, &m) : NULL;
		e2 = o2 ? vmc_op_encode(o2, m, &l2) : NULL;
		if (!e2 || !same_ops(o1, n, o2, m) || l1 != l2 ||
		    memcmp(e1, e2, l1) || !text_roundtrip(o1, n))
			ok = 0;
		dec += (int)n;
		free(b);
		free(o1);
		free(o2);
		free(e1);
		free(e2);
	}
	tap_ok(ok && dec > 3000,
	       "binary: 3000 random byte strings decode (%d ops), re-encode "
	       "to a fixed point, print as text that parses back",
	       dec);
}

/* ---------- runner ---------- */

/* An engine that wraps core:sim and lies or fails as told. */
static int liar_addr_at = -1;   /* add a page to the n-th address answer */
static int liar_check_after = -1;  /* check fails after this many ops */
static int liar_execs;
static int liar_detail_at = -1; /* spoil the n-th address answer's detail */

static int liar_create(const struct vmc_engine_cfg *cfg, void **st)
{
	liar_execs = 0;
	return vmc_engine_core_sim.create(cfg, st);
}

static void liar_exec(void *st, const struct vmc_op *op,
		      struct vmc_result *res)
{
	vmc_engine_core_sim.exec(st, op, res);
	if (res->has_addr && liar_addr_at-- == 0)
		res->off += 4096;
	if (res->has_addr && liar_detail_at-- == 0)
		res->detail[0] = 'X';
	liar_execs++;
}

static int liar_check(void *st, char *msg, size_t len)
{
	if (liar_check_after >= 0 && liar_execs > liar_check_after) {
		snprintf(msg, len, "made up");
		return 6;
	}
	return vmc_engine_core_sim.check(st, msg, len);
}

static const struct vmc_engine_ops liar = {
	.name = "liar", .create = liar_create,
	.destroy = NULL, .exec = liar_exec, .check = liar_check,
	.check_changed = liar_check,
};

/* core:sim counting its full and incremental checks. */
static int counted_full, counted_changed;

static int counted_check(void *st, char *msg, size_t len)
{
	counted_full++;
	return vmc_engine_core_sim.check(st, msg, len);
}

static int counted_check_changed(void *st, char *msg, size_t len)
{
	counted_changed++;
	return vmc_engine_core_sim.check_changed(st, msg, len);
}

static struct vmc_engine_spec spec(const struct vmc_engine_ops *ops,
				   const char *label)
{
	struct vmc_engine_spec s;

	memset(&s, 0, sizeof(s));
	s.ops = ops;
	s.label = label;
	s.cfg.geometry = "x86_64";
	s.cfg.arena_size = 1UL << 30;
	s.cfg.nr_frames = 8192;
	s.cfg.nr_nodes = 2;
	s.cfg.dev_frames = 1024;
	return s;
}

static void test_runner(void)
{
	static const char text[] =
		"r0 = vmalloc(size=0x5000)\n"           /* line 1 */
		"# the second answer will be a lie\n"
		"r1 = vmap(pages=2)\n"                  /* line 3 */
		"write(r1, off=0x0, len=0x2000, seed=0x3)\n"
		"verify(r1, off=0x0, len=0x2000, seed=0x3)\n"
		"vunmap(r1)\n"
		"write(r1, off=0x0, len=0x10, seed=0x3)\n"      /* dead */
		"write(r0, off=0x4ff0, len=0x11, seed=0x3)\n"   /* past end */
		"vfree(r0)\n";
	struct vmc_engine_ops lying = liar;
	struct vmc_engine_spec e[2];
	struct vmc_run_report rep;
	struct vmc_op *ops;
	char err[128];
	size_t n;
	int r;
	FILE *tr;
	char *tbuf = NULL;
	size_t tlen = 0;

	lying.destroy = vmc_engine_core_sim.destroy;
	if (!tap_ok(!vmc_op_parse(text, strlen(text), &ops, &n, err,
				  sizeof(err)), "runner: scenario parses")) {
		tap_diag("%s", err);
		return;
	}
	e[0] = spec(&vmc_engine_core_sim, "core:sim");
	e[1] = spec(&lying, "liar");

	liar_addr_at = -1;
	liar_check_after = -1;
	tr = open_memstream(&tbuf, &tlen);
	r = vmc_run(ops, n, e, 2, VMC_RUN_TRACE | VMC_RUN_CHECK, tr, &rep);
	fclose(tr);
	tap_ok(r == 0, "runner: honest engines agree (%s)", rep.what);
	/* 8 ops; the runner answers the two bad writes, 6 reach engines */
	tap_ok(liar_execs == 6, "runner: dead and out-of-bounds writes do not "
	       "reach the engines (%d execs)", liar_execs);
	tap_ok(tbuf && strstr(tbuf, "write(r1, off=0x0, len=0x10, seed=0x3) = -EINVAL\n") &&
	       strstr(tbuf, "verify(r1, off=0x0, len=0x2000, seed=0x3) = ok\n") &&
	       strstr(tbuf, "r0 = vmalloc(size=0x5000) = +0x0\n"),
	       "runner: the trace prints ops with their results");
	free(tbuf);

	liar_addr_at = 1;
	r = vmc_run(ops, n, e, 2, 0, NULL, &rep);
	tap_ok(r == 1 && rep.index == 1 && rep.line == 3 && !rep.invariant &&
	       !strcmp(rep.engine_b, "liar") &&
	       !strcmp(rep.trace_a, "r1 = vmap(pages=2) = +0x6000") &&
	       !strcmp(rep.trace_b, "r1 = vmap(pages=2) = +0x7000"),
	       "runner: a lying address stops the run at line 3 (%s)",
	       rep.what);

	liar_addr_at = -1;
	liar_check_after = 2;
	r = vmc_run(ops, n, e, 2, VMC_RUN_CHECK, NULL, &rep);
	tap_ok(r == 1 && rep.invariant == 6 && rep.index == 2 &&
	       strstr(rep.what, "invariant 6") && strstr(rep.what, "liar"),
	       "runner: a failing check stops the run after the op (%s)",
	       rep.what);
	r = vmc_run(ops, n, e, 2, 0, NULL, &rep);
	tap_ok(r == 1 && rep.invariant == 6 && rep.index == n && !rep.line,
	       "runner: without --check-every the final check still runs");
	lying.check_changed = NULL;     /* full checks only, as the oracles */
	r = vmc_run(ops, n, e, 2, VMC_RUN_CHECK, NULL, &rep);
	tap_ok(r == 1 && rep.invariant == 6 && rep.index == n,
	       "runner: an engine without an incremental check is checked at "
	       "the full checks (here the final one) only (%s)", rep.what);
	lying.check_changed = liar.check_changed;
	liar_check_after = -1;

	/* 8 ops, the full check after every 4th (ops 4 and 8) and at the end. */
	{
		struct vmc_engine_ops counted = vmc_engine_core_sim;

		counted.check = counted_check;
		counted.check_changed = counted_check_changed;
		e[1] = spec(&counted, "counted");
		counted_full = counted_changed = 0;
		r = vmc_run(ops, n, e, 2, VMC_RUN_CHECK | VMC_RUN_EVERY(4), NULL,
			    &rep);
		tap_ok(r == 0 && n == 8 && counted_full == 3 &&
		       counted_changed == 6,
		       "runner: VMC_RUN_EVERY(4) over %zu ops: %d full checks, "
		       "%d incremental (want 3, 6)", n, counted_full,
		       counted_changed);
	}
	free(ops);
}

static void test_generated(void)
{
	struct vmc_engine_spec e[2];
	struct vmc_run_report rep;
	const struct vmc_run_group *g;
	size_t ng, i;
	int ok = 1, r;

	e[0] = spec(&vmc_engine_core_sim, "core:sim:a");
	e[1] = spec(&vmc_engine_core_sim, "core:sim:b");
	for (i = 0; i < 6 && ok; i++) {
		struct vmc_op *ops = vmc_op_gen(i + 1, 600,
						(enum vmc_gen_profile)(i % 3));

		r = vmc_run(ops, 600, e, 2, VMC_RUN_CHECK, NULL, &rep);
		if (r) {
			tap_diag("seed %zu: %s", i + 1, rep.what);
			ok = 0;
		}
		free(ops);
	}
	tap_ok(ok, "generator: 6 streams run clean on core:sim vs core:sim");

	{
		struct vmc_op *a = vmc_op_gen(42, 300, VMC_GEN_DEFAULT);
		struct vmc_op *b = vmc_op_gen(42, 300, VMC_GEN_DEFAULT);
		struct vmc_op *c = vmc_op_gen(43, 300, VMC_GEN_DEFAULT);

		tap_ok(a && b && c && same_ops(a, 300, b, 300) &&
		       !same_ops(a, 300, c, 300),
		       "generator: same seed same stream, other seed other stream");
		free(a);
		free(b);
		free(c);
	}

	g = vmc_run_default_groups(&ng);
#ifdef VMC_HAVE_LINUX61
	/* linux61 ends every group (it follows core:sim). */
	tap_ok(ng == 4 && g[0].n == 3 && g[1].n == 3 && g[2].n == 3 &&
	       g[3].n == 4 && g[0].spec[0].ops == &vmc_engine_model &&
	       g[1].spec[0].ops == &vmc_engine_model &&
	       g[2].spec[0].ops == &vmc_engine_model &&
	       g[3].spec[0].ops == &vmc_engine_model &&
	       !strcmp(g[3].spec[2].label, "core:mmap") &&
	       g[0].spec[2].ops == &vmc_engine_linux61 &&
	       g[3].spec[3].ops == &vmc_engine_linux61,
	       "default groups: four, each led by the model and ended by "
	       "linux61, the nohuge one with core:mmap before it");
#else
	tap_ok(ng == 4 && g[0].n == 2 && g[1].n == 2 && g[2].n == 2 &&
	       g[3].n == 3 && g[0].spec[0].ops == &vmc_engine_model &&
	       g[1].spec[0].ops == &vmc_engine_model &&
	       g[2].spec[0].ops == &vmc_engine_model &&
	       g[3].spec[0].ops == &vmc_engine_model &&
	       !strcmp(g[3].spec[2].label, "core:mmap"),
	       "default groups: four, each led by the model, the nohuge one "
	       "ends with core:mmap");
#endif
	ok = 1;
	for (i = 0; i < 3 && ok; i++) {
		struct vmc_op *ops = vmc_op_gen(7 + i, 400,
						(enum vmc_gen_profile)i);

		r = vmc_run_groups(ops, 400, VMC_RUN_CHECK, NULL, &rep);
		if (r) {
			tap_diag("seed %zu: %s", 7 + i, rep.what);
			ok = 0;
		}
		free(ops);
	}
	tap_ok(ok, "default groups: 3 generated streams run clean");
}

/* A sink that collects the trace in one buffer, one '\n' per line. */
struct sbuf {
	char text[4096];
	size_t len;
	int lines;
};

static void sbuf_line(void *arg, const char *line)
{
	struct sbuf *s = arg;
	int n = snprintf(s->text + s->len, sizeof(s->text) - s->len, "%s\n",
			 line);

	if (n > 0 && (size_t)n < sizeof(s->text) - s->len)
		s->len += (size_t)n;
	s->lines++;
}

static void test_observe(void)
{
	static const char text[] =
		"r0 = vmalloc(size=0x5000)\n"
		"r1 = vm_map_ram(pages=3)\n"
		"r2 = ioremap(phys=0x1234, size=0x2000)\n"
		"r3 = vmalloc(size=0x1000, align=0x200000)\n"
		"r4 = vmap(pages=2)\n"
		"vfree(r0)\n"
		"r5 = vmalloc(size=0x1000000000000)\n";
	static const char *const want[] = {
		"r0 = vmalloc(size=0x5000) = addr (pages=5 guard=unmapped pgoff=0x0 align=ok)\n",
		"r1 = vm_map_ram(pages=3) = addr (pages=3 guard=- pgoff=0x0 align=-)\n",
		"r2 = ioremap(phys=0x1234, size=0x2000) = addr (pages=3 guard=unmapped pgoff=0x234 align=-)\n",
		"r3 = vmalloc(size=0x1000, align=0x200000) = addr (pages=1 guard=unmapped pgoff=0x0 align=ok)\n",
		"r4 = vmap(pages=2) = addr (pages=2 guard=unmapped pgoff=0x0 align=-)\n",
		"vfree(r0) = 0\n",
		"r5 = vmalloc(size=0x1000000000000) = NULL -ENOMEM\n",
	};
	static const char t2[] = "r0 = vmalloc(size=0x1000, align=0x200000)\n";
	struct vmc_engine_ops lying = liar;
	struct vmc_engine_spec e[2];
	struct vmc_trace_sink sink = { NULL, NULL, NULL };
	struct vmc_run_report rep;
	struct vmc_arena_config ac;
	struct vmc_arena *a;
	unsigned long start = 0, end = 0;
	static struct sbuf sb;
	struct vmc_op *ops;
	char err[128];
	size_t n, i;
	int r, ok;

	lying.destroy = vmc_engine_core_sim.destroy;
	if (!tap_ok(!vmc_op_parse(text, strlen(text), &ops, &n, err,
				  sizeof(err)), "observe: scenario parses")) {
		tap_diag("%s", err);
		return;
	}
	e[0] = spec(&vmc_engine_core_sim, "core:sim");
	e[1] = spec(&lying, "liar");
	sink.line = sbuf_line;
	sink.arg = &sb;
	memset(&sb, 0, sizeof(sb));
	r = vmc_run_sink(ops, n, e, 1, VMC_RUN_OBSERVE | VMC_RUN_CHECK, &sink,
			 &rep);
	ok = r == 0 && sb.lines == (int)n;
	for (i = 0; ok && i < sizeof(want) / sizeof(want[0]); i++)
		ok = strstr(sb.text, want[i]) != NULL;
	if (!tap_ok(ok, "observe: pages, guard, in-page offset and alignment "
		    "of each address op on core:sim, through a sink (%d lines)",
		    sb.lines))
		tap_diag("%s%s", rep.what, sb.text);

	/* Offsets differ, details agree: observe mode runs clean. */
	liar_addr_at = 0;
	liar_detail_at = -1;
	r = vmc_run_sink(ops, n, e, 2, VMC_RUN_OBSERVE, NULL, &rep);
	tap_ok(r == 0, "observe: offsets are not compared (%s)", rep.what);
	liar_addr_at = 0;
	r = vmc_run_sink(ops, n, e, 2, 0, NULL, &rep);
	tap_ok(r == 1 && rep.index == 0,
	       "observe: ... but they are without it (%s)", rep.what);
	liar_addr_at = -1;
	liar_detail_at = 2;
	memset(&sb, 0, sizeof(sb));
	r = vmc_run_sink(ops, n, e, 2, VMC_RUN_OBSERVE, &sink, &rep);
	tap_ok(r == 1 && rep.index == 2 && rep.trace_b[0] &&
	       strstr(rep.trace_b, "= addr (Xages=3") &&
	       strstr(sb.text, "  [liar]\n"),
	       "observe: a differing detail stops the run at its op (%s)",
	       rep.what);
	liar_detail_at = -1;
	free(ops);

	/* arena_start: the arena 4 KiB past a 2 MiB boundary; a 2 MiB
	   aligned request lands 2 MiB - 4 KiB into it. */
	memset(&ac, 0, sizeof(ac));
	ac.ops = vmc_backend_find("sim");
	ac.flags = VMC_ARENA_QUIET;
	if (ac.ops && !vmc_arena_create(&ac, &a)) {
		vmc_arena_range(a, &start, &end);
		vmc_arena_destroy(a);
	}
	if (vmc_op_parse(t2, strlen(t2), &ops, &n, err, sizeof(err)))
		return;
	e[0] = spec(&vmc_engine_core_sim, "core:sim");
	e[0].cfg.arena_start = ((start + (1UL << 21) - 1) & ~((1UL << 21) - 1))
			       + 4096;
	memset(&sb, 0, sizeof(sb));
	r = vmc_run_sink(ops, n, e, 1, 0, &sink, &rep);
	tap_ok(start && r == 0 && !strcmp(sb.text,
	       "r0 = vmalloc(size=0x1000, align=0x200000) = +0x1ff000\n"),
	       "arena_start: alignment is absolute (start 0x%lx): %s%s",
	       (unsigned long)e[0].cfg.arena_start, sb.text, rep.what);
	e[0].cfg.arena_start = end;
	r = vmc_run_sink(ops, n, e, 1, 0, NULL, &rep);
	tap_ok(r == -1 && strstr(rep.what, "cannot create"),
	       "arena_start: a start outside the space is refused (%s)",
	       rep.what);
	free(ops);
}

/* 8. vmc_pattern_fill writes exactly the bytes vmc_pattern_byte names. */
static void test_pattern(void)
{
	static const uint64_t seeds[] = { 0, 1, 7, 0xdeadbeefULL, ~0ULL };
	uint8_t buf[37];
	size_t s, o, i, diff = 0;

	for (s = 0; s < sizeof(seeds) / sizeof(seeds[0]); s++)
		for (o = 0; o < 19; o++) {
			vmc_pattern_fill(seeds[s], o * 5 + 0xff9, buf, sizeof(buf));
			for (i = 0; i < sizeof(buf); i++)
				diff += buf[i] != vmc_pattern_byte(seeds[s],
							o * 5 + 0xff9 + i);
		}
	tap_ok(diff == 0, "pattern: the word-at-a-time fill equals the byte "
	       "definition (%zu bytes differ)", diff);
}

/*
 * The op limit (VMC_OP_MAX, the same for text and binary), the opcode
 * bytes (18 is vmallocinfo, the rest keep their first-format meaning),
 * and vmallocinfo() in the runner: "ok" on every engine, the core's dump
 * as comments, none from the model.
 */
static void test_limit_and_vmallocinfo(void)
{
	uint8_t bytes[VMC_OP_MAX + 2], op20[21], *enc;
	struct vmc_op *ops, info;
	struct vmc_engine_spec e[2];
	struct vmc_run_report rep;
	struct vmc_trace_sink sink = { NULL, NULL, NULL };
	struct sbuf sb;
	char err[128], *text;
	size_t n, i, len;
	int more, ok, r;

	memset(bytes, VMC_OP_PURGE, sizeof(bytes));     /* one byte an op */
	ops = vmc_op_decode_max(bytes, VMC_OP_MAX, VMC_OP_MAX, &n, &more);
	tap_ok(ops && n == VMC_OP_MAX && !more,
	       "limit: %d one-byte ops decode whole, not over the limit",
	       VMC_OP_MAX);
	free(ops);
	ops = vmc_op_decode_max(bytes, VMC_OP_MAX + 1, VMC_OP_MAX, &n, &more);
	tap_ok(ops && n == VMC_OP_MAX && more,
	       "limit: one more whole op is reported as over the limit");
	free(ops);
	bytes[VMC_OP_MAX] = VMC_OP_VMALLOC;                 /* cut short */
	ops = vmc_op_decode_max(bytes, VMC_OP_MAX + 1, VMC_OP_MAX, &n, &more);
	tap_ok(ops && n == VMC_OP_MAX && !more,
	       "limit: a partial op after the last is not over the limit");
	free(ops);
	memset(bytes, VMC_OP_PURGE, sizeof(bytes));
	ops = vmc_op_decode(bytes, VMC_OP_MAX + 2, &n);
	tap_ok(ops && n == VMC_OP_MAX,
	       "limit: vmc_op_decode cuts at the limit (the fuzz targets)");
	free(ops);

	text = malloc((VMC_OP_MAX + 1) * 8 + 1);
	for (i = 0, len = 0; i <= VMC_OP_MAX; i++, len += 8)
		memcpy(text + len, "purge()\n", 8);
	r = vmc_op_parse(text, len - 8, &ops, &n, err, sizeof(err));
	ok = !r && n == VMC_OP_MAX;
	if (!r)
		free(ops);
	r = vmc_op_parse(text, len, &ops, &n, err, sizeof(err));
	tap_ok(ok && r && !strcmp(err, "1025:1: more than 1024 ops (the limit "
				  "of one stream)"),
	       "limit: text takes %d ops and refuses one more (%s)",
	       VMC_OP_MAX, r ? err : "parsed");
	if (!r)
		free(ops);
	free(text);

	/* opcodes: b < VMC_OP_BIN_NR (19) is kind b, above that b % 18; 0xfe
	   is the cpu= prefix (here cpu 0 before a vmalloc) */
	ok = 1;
	memset(op20, 0, sizeof(op20));
	for (i = 0; i < 256; i++) {
		op20[0] = (uint8_t)i;
		ops = vmc_op_decode(op20, sizeof(op20), &n);
		if (!ops || !n || (unsigned int)ops[0].kind !=
		    (i == 0xfe ? VMC_OP_VMALLOC :
		     i < VMC_OP_BIN_NR ? i : i % 18)) {
			tap_diag("opcode %zu -> %d", i, n ? (int)ops[0].kind : -1);
			ok = 0;
		}
		free(ops);
	}
	tap_ok(ok && VMC_OP_VMALLOCINFO == 18 && VMC_OP_BIN_NR == 19,
	       "binary: opcode 18 is vmallocinfo, 0xfe the cpu= prefix, every "
	       "other byte decodes as before they were added (and none decodes "
	       "as config)");
	vmc_op_init(&info, VMC_OP_VMALLOCINFO);
	enc = vmc_op_encode(&info, 1, &len);
	ops = enc ? vmc_op_decode(enc, len, &n) : NULL;
	tap_ok(enc && len == 1 && enc[0] == 18 && ops && n == 1 &&
	       vmc_op_equal(&ops[0], &info),
	       "binary: vmallocinfo() encodes as the one byte 18 and back");
	free(enc);
	free(ops);

	{
		static const char t[] =
			"r0 = vmalloc(size=0x5000)\n"
			"vmallocinfo()\n"
			"vfree(r0)\n"
			"purge()\n"
			"vmallocinfo()\n";

		r = vmc_op_parse(t, strlen(t), &ops, &n, err, sizeof(err));
		e[0] = spec(&vmc_engine_model, "model");
		e[1] = spec(&vmc_engine_core_sim, "core:sim");
		memset(&sb, 0, sizeof(sb));
		sink.line = sbuf_line;
		sink.arg = &sb;
		r = r ? -2 : vmc_run_sink(ops, n, e, 2, VMC_RUN_CHECK, &sink,
					  &rep);
		ok = r == 0 &&
		       strstr(sb.text, "vmallocinfo() = ok\n# vmallocinfo "
			      "[core:sim] +0x0000000000000000-"
			      "+0x0000000000006000   24576 vmalloc pages=5 "
			      "vmalloc N0=5\nvfree(r0) = 0\n") &&
		       strstr(sb.text, "purge() = 0\nvmallocinfo() = ok\n"
			      "# vmallocinfo [core:sim] (no areas)\n") &&
		       !strstr(sb.text, "[model]");
		if (!ok)
			tap_diag("trace:\n%s%s", sb.text, r ? rep.what : "");
		tap_ok(ok, "vmallocinfo(): ok on model and core, the core's "
		       "dump as comments, none from the model");
		r = vmc_run_sink(ops, n, e, 2, VMC_RUN_CHECK, NULL, &rep);
		tap_ok(r == 0, "vmallocinfo(): runs clean without a sink too "
		       "(the fuzz targets)");
		free(ops);
	}
	{
		struct vmc_op *g = vmc_op_gen(1, 1000, VMC_GEN_DEFAULT);
		size_t cnt = 0;

		for (i = 0; g && i < 1000; i++)
			cnt += g[i].kind == VMC_OP_VMALLOCINFO;
		tap_ok(cnt > 0 && cnt < 30,
		       "generator: vmallocinfo() at a low weight (%zu of 1000)",
		       cnt);
		free(g);
	}
}



/* config(placement=...): the stream's own setting, text only. */
static void test_config(void)
{
	static const char body[] =
		"r0 = vmalloc(size=0xb000)\n"
		"r1 = vmalloc(size=0x1000)\n" "r2 = vmalloc(size=0x1000)\n"
		"r3 = vmalloc(size=0x1000)\n" "r4 = vmalloc(size=0x1000)\n"
		"r5 = vmalloc(size=0x1000)\n" "r6 = vmalloc(size=0x1000)\n"
		"vfree(r1)\n" "vfree(r3)\n" "vfree(r5)\n" "purge()\n"
		"r7 = vmalloc(size=0x1000, align=0x8000)\n";
	static const char *const place[2] = { "linux", "exact" };
	static const char *const want[2] = {
		"r7 = vmalloc(size=0x1000, align=0x8000) = +0x18000\n",
		"r7 = vmalloc(size=0x1000, align=0x8000) = +0x10000\n" };
	struct vmc_engine_spec e[2];
	struct vmc_run_report rep;
	struct vmc_op *ops;
	char text[1024], line[64], err[128];
	size_t n, len;
	int k, r;

	for (k = 0; k < 2; k++) {
		char *tbuf = NULL;
		size_t tlen = 0;
		FILE *tr;

		snprintf(text, sizeof(text), "config(placement=%s)\n%s",
			 place[k], body);
		if (vmc_op_parse(text, strlen(text), &ops, &n, err,
				 sizeof(err))) {
			tap_ok(0, "config: placement=%s parses (%s)", place[k],
			       err);
			continue;
		}
		vmc_op_format(&ops[0], line, sizeof(line));
		tr = open_memstream(&tbuf, &tlen);
		r = vmc_run_groups(ops, n, VMC_RUN_TRACE | VMC_RUN_CHECK, tr,
				   &rep);
		fclose(tr);
		tap_ok(r == 0 && ops[0].kind == VMC_OP_CONFIG &&
		       ops[0].placement == k && vmc_op_text_only(ops, n) &&
		       strstr(line, place[k]) && tbuf &&
		       strstr(tbuf, want[k]) && strstr(tbuf, line),
		       "config(placement=%s): every group places the aligned "
		       "area as %s does (%s)", place[k], place[k], rep.what);
		free(tbuf);
		free(ops);
	}
	/* Refusals: a bad value, not first, the engine without it. */
	r = vmc_op_parse("config(placement=lowest)\n", 25, &ops, &n, err,
			 sizeof(err));
	k = r && strstr(err, "placement is linux or exact") != NULL;
	if (!r)
		free(ops);
	snprintf(text, sizeof(text), "purge()\nconfig(placement=exact)\n");
	r = vmc_op_parse(text, strlen(text), &ops, &n, err, sizeof(err));
	k = k && r && !strncmp(err, "2:1: config() must be the first op", 34);
	if (!r)
		free(ops);
	tap_ok(k, "config: a bad placement and a late config() are parse "
	       "errors (%s)", err);
#ifdef VMC_HAVE_LINUX61
	snprintf(text, sizeof(text), "config(placement=exact)\n%s", body);
	if (!vmc_op_parse(text, strlen(text), &ops, &n, err, sizeof(err))) {
		e[0] = spec(&vmc_engine_core_sim, "core:sim");
		e[1] = spec(&vmc_engine_linux61, "linux61");
		r = vmc_run(ops, n, e, 2, 0, NULL, &rep);
		tap_ok(r < 0 && strstr(rep.what, "cannot create engine "
				       "linux61: -EINVAL (with placement=exact"),
		       "config: linux61 refuses placement=exact and says so "
		       "(%s)", rep.what);
		(void)len;
		free(ops);
	}
#else
	(void)e;
	(void)len;
	tap_skip("config: linux61 refuses placement=exact (linux61 not built)");
#endif
}

/* config(profile=) and cpu=: canonical text, refusals, the binary prefix. */
static void test_profile_cpu(void)
{
	static const char t[] =
		"config(placement=linux, profile=linux-6.12)\n"
		"r0 = vmalloc(size=0x1000, cpu=3)\n"
		"vfree(r0, cpu=1)\n"
		"purge(cpu=2)\n";
	struct vmc_op *ops = NULL, one;
	char line[128], err[128];
	uint8_t *enc;
	size_t n = 0, len = 0;
	int ok;

	ok = !vmc_op_parse(t, sizeof(t) - 1, &ops, &n, err, sizeof(err)) &&
	     n == 4 && ops[0].profile == 2 && ops[1].cpu == 3 &&
	     ops[3].cpu == 2;
	if (ok) {
		vmc_op_format(&ops[0], line, sizeof(line));
		ok = !strcmp(line, "config(placement=linux, profile=linux-6.12)");
		vmc_op_format(&ops[2], line, sizeof(line));
		ok = ok && !strcmp(line, "vfree(r0, cpu=1)");
	}
	tap_ok(ok, "config(profile=linux-6.12) and cpu= parse and print "
	       "canonically (%s)", ok ? "" : err);
	free(ops);
	ok = vmc_op_parse("config(placement=linux, profile=linux-7)\n", 41,
			  &ops, &n, err, sizeof(err)) &&
	     strstr(err, "profile is linux-6.1 or linux-6.12") &&
	     vmc_op_parse("r0 = vmalloc(size=0x1000, cpu=1024)\n", 36, &ops,
			  &n, err, sizeof(err)) &&
	     strstr(err, "out of range for 'cpu'");
	tap_ok(ok, "a bad profile and a cpu over 1023 are parse errors (%s)",
	       err);
	vmc_op_init(&one, VMC_OP_PURGE);
	one.cpu = 300;
	enc = vmc_op_encode(&one, 1, &len);
	ops = enc ? vmc_op_decode(enc, len, &n) : NULL;
	tap_ok(enc && len >= 3 && enc[0] == 0xfe && ops && n == 1 &&
	       vmc_op_equal(&ops[0], &one),
	       "binary: cpu= is the 0xfe prefix before its op, and back");
	free(enc);
	free(ops);
}

int main(void)
{
	tap_plan(48);
	test_text();
	test_errors();
	test_binary();
	test_random_bytes();
	test_runner();
	test_generated();
	test_observe();
	test_pattern();
	test_limit_and_vmallocinfo();
	test_config();
	test_profile_cpu();
	return tap_done();
}
