/* SPDX-License-Identifier: MIT */
/*
 * vmc_op_gen.c - random op streams that mostly make sense.
 *
 * The generator mirrors what it expects the register file to hold (it
 * assumes allocations succeed; when one fails the runner's rules turn the
 * ops that depend on it into harmless -EINVAL), and draws:
 *   - allocations into free registers (seldom over a live one: a leak),
 *     sizes of 1..16 pages mostly, up to 256 pages sometimes, unaligned
 *     byte counts, and in the edge mix 0, huge-page sizes +-1 page, the
 *     whole arena, 2^64 - 1;
 *   - frees of live registers with the matching call, and (not in the
 *     sane profile) double frees, frees of never-set registers and
 *     wrong-kind frees;
 *   - write then verify on live registers: a verify repeats the
 *     register's last write (still intact: it is the latest), or checks
 *     zeros in a zeroed allocation never written;
 *   - purge, check, vmallocinfo (1 %), and (default and edges) fail() of
 *     a near allocation.
 * Everything comes from one xorshift64* state seeded by `seed`.
 */
#include <stdlib.h>
#include <string.h>

#include "vmc_op_gen.h"

#define P 4096ULL

struct gen_reg {
	int live;
	enum vmc_op_kind kind;
	uint64_t size;
	uint32_t pages;
	int zero, written;
	uint64_t w_off, w_len, w_seed;
};

struct gen {
	uint64_t s;
	enum vmc_gen_profile prof;
	struct gen_reg reg[VMC_OP_REGS];
};

static uint64_t gen_rand(struct gen *g)
{
	uint64_t x = g->s;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	g->s = x;
	return x * 0x2545f4914f6cdd1dULL;
}

static uint64_t gen_below(struct gen *g, uint64_t n)
{
	return n ? gen_rand(g) % n : 0;
}

/* 1 with probability pct/100. */
static int gen_pct(struct gen *g, unsigned int pct)
{
	return gen_below(g, 100) < pct;
}

static unsigned int gen_edge_pct(struct gen *g)
{
	return g->prof == VMC_GEN_SANE ? 0 : g->prof == VMC_GEN_EDGES ? 30 : 4;
}

static uint64_t gen_size(struct gen *g)
{
	static const uint64_t edges[] = {
		0, 1, P - 1, P + 1, (2ULL << 20) - P, 2ULL << 20,
		(2ULL << 20) + P, 4ULL << 20, (1ULL << 30) - P, 1ULL << 30,
		(1ULL << 30) - 2 * P, UINT64_MAX, UINT64_MAX - P + 2,
		1ULL << 40,
	};
	unsigned int r = (unsigned int)gen_below(g, 100);

	if (gen_pct(g, gen_edge_pct(g)))
		return edges[gen_below(g, sizeof(edges) / sizeof(edges[0]))];
	if (r < 70)
		return (gen_below(g, 16) + 1) * P;
	if (r < 85)
		return gen_below(g, 16 * P) + 1;
	return (gen_below(g, 256) + 1) * P;
}

static uint32_t gen_pages(struct gen *g)
{
	if (gen_pct(g, gen_edge_pct(g)))
		return (uint32_t)(gen_pct(g, 50) ? 0 : 64 + gen_below(g, 2048));
	return (uint32_t)(gen_below(g, gen_pct(g, 80) ? 8 : 64) + 1);
}

static int gen_node(struct gen *g)
{
	unsigned int r = (unsigned int)gen_below(g, 10);

	if (r < 6)
		return -1;
	if (r < 9 || g->prof == VMC_GEN_SANE)
		return (int)gen_below(g, 2);
	return (int)gen_below(g, 8);
}

/* A register to hold a result: a free one mostly. */
static int gen_dst(struct gen *g)
{
	int i, start = (int)gen_below(g, VMC_OP_REGS);

	if (g->prof != VMC_GEN_SANE && gen_pct(g, 3))
		return start;
	for (i = 0; i < VMC_OP_REGS; i++) {
		int r = (start + i) % 16;       /* keep to r0..r15 */

		if (!g->reg[r].live)
			return r;
	}
	return start % 16;
}

/* A live register, or -1. */
static int gen_live(struct gen *g)
{
	int i, start = (int)gen_below(g, VMC_OP_REGS);

	for (i = 0; i < VMC_OP_REGS; i++) {
		int r = (start + i) % VMC_OP_REGS;

		if (g->reg[r].live)
			return r;
	}
	return -1;
}

static void gen_set(struct gen *g, int r, enum vmc_op_kind kind,
		    uint64_t size, uint32_t pages, int zero)
{
	struct gen_reg *x = &g->reg[r];

	memset(x, 0, sizeof(*x));
	x->live = 1;
	x->kind = kind;
	x->size = size;
	x->pages = pages;
	x->zero = zero;
}

static void gen_alloc(struct gen *g, struct vmc_op *op)
{
	unsigned int r = (unsigned int)gen_below(g, 100);
	int d = gen_dst(g), zero = 0;

	if (r < 40) {
		vmc_op_init(op, VMC_OP_VMALLOC);
		op->size = gen_size(g);
		if (gen_pct(g, 25)) {
			op->align = 1ULL << (12 + gen_below(g, 10));
			if (gen_pct(g, gen_edge_pct(g)))
				op->align = 1ULL << gen_below(g, 64);
		}
		if (gen_pct(g, 10)) {
			op->huge = 1;
			if (gen_pct(g, 50))
				op->size = (gen_below(g, 3) + 1) << 21;
		}
		if (gen_pct(g, 15))
			op->node = gen_node(g);
		if (gen_pct(g, 15))
			op->zero = 1;
		zero = op->zero;
	} else if (r < 50) {
		vmc_op_init(op, VMC_OP_VZALLOC);
		op->size = gen_size(g);
		op->node = gen_pct(g, 30) ? gen_node(g) : -1;
		zero = 1;
	} else if (r < 55) {
		vmc_op_init(op, VMC_OP_VMALLOC_NODE);
		op->size = gen_size(g);
		op->node = gen_node(g);
	} else if (r < 58) {
		vmc_op_init(op, VMC_OP_VMALLOC_HUGE);
		op->size = gen_pct(g, 50) ? gen_size(g) :
			   (gen_below(g, 4) + 1) << 21;
	} else if (r < 63) {
		uint64_t span = 1ULL << 30;

		vmc_op_init(op, VMC_OP_VMALLOC_RANGE);
		op->size = gen_size(g);
		op->align = 1ULL << (12 + gen_below(g, 10));
		op->start = gen_below(g, span / P) * P;
		op->end = op->start + (gen_below(g, 1024) + 1) * P * 16;
		if (gen_pct(g, gen_edge_pct(g)))
			op->end = gen_below(g, span);
		op->huge = (uint8_t)gen_pct(g, 10);
		op->zero = (uint8_t)gen_pct(g, 10);
		zero = op->zero;
	} else if (r < 75) {
		vmc_op_init(op, VMC_OP_VMAP);
		op->pages = gen_pages(g);
	} else if (r < 82) {
		vmc_op_init(op, VMC_OP_IOREMAP);
		op->phys = gen_pct(g, 60) ? gen_below(g, 512) * P :
			   gen_below(g, 512 * P);
		op->size = gen_pct(g, 70) ? (gen_below(g, 8) + 1) * P :
			   gen_below(g, 8 * P) + 1;
		if (gen_pct(g, gen_edge_pct(g)))
			op->phys = gen_pct(g, 50) ? 1024 * P - P : UINT64_MAX - P;
	} else if (r < 92) {
		vmc_op_init(op, VMC_OP_VM_MAP_RAM);
		op->pages = gen_pages(g);
		if (gen_pct(g, 20))
			op->node = gen_node(g);
	} else {
		int s = gen_live(g);

		vmc_op_init(op, VMC_OP_VREALLOC);
		op->src = s >= 0 ? s : (int)gen_below(g, 16);
		op->size = gen_pct(g, 5) ? 0 : gen_size(g);
		op->dst = gen_pct(g, 50) ? op->src : d;
		if (s >= 0 && g->reg[s].kind != VMC_OP_VMAP &&
		    g->reg[s].kind != VMC_OP_IOREMAP &&
		    g->reg[s].kind != VMC_OP_VM_MAP_RAM) {
			struct gen_reg old = g->reg[s];

			g->reg[s].live = 0;
			if (!op->size)
				return;
			gen_set(g, op->dst, VMC_OP_VREALLOC, op->size,
				(uint32_t)((op->size + P - 1) / P), 0);
			if (old.written && old.w_off + old.w_len <= op->size) {
				g->reg[op->dst].written = 1;
				g->reg[op->dst].w_off = old.w_off;
				g->reg[op->dst].w_len = old.w_len;
				g->reg[op->dst].w_seed = old.w_seed;
			}
		}
		return;
	}
	op->dst = d;
	if (op->kind == VMC_OP_VMAP || op->kind == VMC_OP_VM_MAP_RAM)
		gen_set(g, d, op->kind, (uint64_t)op->pages * P, op->pages, 0);
	else
		gen_set(g, d, op->kind, op->size,
			(uint32_t)((op->size + P - 1) / P), zero);
}

static enum vmc_op_kind gen_free_kind(enum vmc_op_kind k)
{
	switch (k) {
	case VMC_OP_VMAP:       return VMC_OP_VUNMAP;
	case VMC_OP_IOREMAP:    return VMC_OP_IOUNMAP;
	case VMC_OP_VM_MAP_RAM: return VMC_OP_VM_UNMAP_RAM;
	default:                return VMC_OP_VFREE;
	}
}

static void gen_free(struct gen *g, struct vmc_op *op)
{
	static const enum vmc_op_kind frees[] = {
		VMC_OP_VFREE, VMC_OP_VUNMAP, VMC_OP_IOUNMAP,
		VMC_OP_VM_UNMAP_RAM,
	};
	int s = gen_live(g);

	if (s < 0 || (g->prof != VMC_GEN_SANE &&
		      gen_pct(g, g->prof == VMC_GEN_EDGES ? 40 : 10))) {
		/* misuse: stale, never set, wrong kind */
		vmc_op_init(op, frees[gen_below(g, 4)]);
		op->src = (int)gen_below(g, 20);
		if (g->prof == VMC_GEN_SANE) {
			vmc_op_init(op, VMC_OP_PURGE);
			return;
		}
		if (g->reg[op->src].live)
			g->reg[op->src].live = 0;       /* may succeed */
		if (op->kind == VMC_OP_VM_UNMAP_RAM && gen_pct(g, 30))
			op->pages = (uint32_t)gen_below(g, 8) + 1;
		return;
	}
	vmc_op_init(op, gen_free_kind(g->reg[s].kind));
	op->src = s;
	if (op->kind == VMC_OP_VM_UNMAP_RAM && gen_pct(g, 30))
		op->pages = g->reg[s].pages;
	g->reg[s].live = 0;
}

static void gen_data(struct gen *g, struct vmc_op *op)
{
	int s = gen_live(g);
	struct gen_reg *x;

	if (s < 0) {
		vmc_op_init(op, VMC_OP_CHECK);
		return;
	}
	x = &g->reg[s];
	if (gen_pct(g, 50) && (x->written || x->zero)) {
		vmc_op_init(op, VMC_OP_VERIFY);
		op->src = s;
		if (x->written) {
			op->off = x->w_off;
			op->len = x->w_len;
			op->seed = x->w_seed;
		} else {
			op->off = gen_below(g, x->size);
			op->len = gen_below(g, x->size - op->off + 1);
			if (op->len > 16 * P)
				op->len = 16 * P;
		}
		return;
	}
	vmc_op_init(op, VMC_OP_WRITE);
	op->src = s;
	op->off = gen_pct(g, 50) ? 0 : gen_below(g, x->size);
	op->len = gen_below(g, x->size - op->off + 1);
	if (op->len > 16 * P)
		op->len = 16 * P;
	op->seed = gen_below(g, 1000) + 1;
	if (g->prof != VMC_GEN_SANE && gen_pct(g, gen_edge_pct(g)))
		op->len = x->size - op->off + 1;        /* out of bounds */
	else {
		x->written = 1;
		x->w_off = op->off;
		x->w_len = op->len;
		x->w_seed = op->seed;
	}
}

struct vmc_op *vmc_op_gen(uint64_t seed, size_t nops,
			  enum vmc_gen_profile profile)
{
	struct vmc_op *ops;
	struct gen g;
	size_t i;

	if (nops > VMC_OP_MAX)
		nops = VMC_OP_MAX;
	ops = malloc((nops ? nops : 1) * sizeof(*ops));
	if (!ops)
		return NULL;
	memset(&g, 0, sizeof(g));
	g.s = seed ^ 0x9e3779b97f4a7c15ULL;
	if (!g.s)
		g.s = 1;
	g.prof = profile;
	for (i = 0; i < nops; i++) {
		struct vmc_op *op = &ops[i];
		unsigned int r = (unsigned int)gen_below(&g, 100);

		if (r < 35)
			gen_alloc(&g, op);
		else if (r < 60)
			gen_free(&g, op);
		else if (r < 90)
			gen_data(&g, op);
		else if (r < 94) {
			vmc_op_init(op, VMC_OP_PURGE);
		} else if (r == 96) {
			/* 1 %, in a slot that was check(): the same draws,
			 * so a seed's stream is otherwise unchanged */
			vmc_op_init(op, VMC_OP_VMALLOCINFO);
		} else if (r < 97 || profile == VMC_GEN_SANE) {
			vmc_op_init(op, VMC_OP_CHECK);
		} else {
			vmc_op_init(op, VMC_OP_FAIL);
			op->fail = (uint8_t)gen_below(&g, 3);
			op->nth = gen_below(&g, 20) + 1;
		}
		op->line = (uint32_t)i + 1;
	}
	return ops;
}

void vmc_op_gen_cpus(struct vmc_op *ops, size_t n, uint64_t seed,
		     unsigned int nr_cpus)
{
	uint64_t s = seed ^ 0x9e3779b97f4a7c15ULL;
	size_t i;

	for (i = 0; i < n && nr_cpus > 1; i++) {
		/* splitmix64: independent of the stream's own draws */
		uint64_t z = (s += 0x9e3779b97f4a7c15ULL);

		z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
		z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
		z ^= z >> 31;
		ops[i].cpu = (uint32_t)(z % nr_cpus);
	}
}
