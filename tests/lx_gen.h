/* SPDX-License-Identifier: MIT */
/*
 * lx_gen.h - the generated streams of the oracle tests (test_linux61,
 * test_linux612): random sizes, alignments from 4 KiB to 1 GiB,
 * vmalloc_range ranges, frees, purges, vmap, ioremap, vm_map_ram and
 * vm_unmap_ram, vrealloc, drawn from `rs`; the op mix is counted in
 * mix[]; and the engine settings both tests share (lx_spec).  Static:
 * included once by each test.
 */
#ifndef LX_GEN_H
#define LX_GEN_H

#include <stdint.h>

#include "vmc_op.h"


static uint64_t rs;

static uint64_t rnd(void)
{
	rs ^= rs << 13;
	rs ^= rs >> 7;
	rs ^= rs << 17;
	return rs;
}

static uint64_t below(uint64_t n)
{
	return n ? rnd() % n : 0;
}

enum { M_VMALLOC, M_ALIGNED, M_RANGE, M_VFREE, M_PURGE, M_VMAP, M_IOREMAP,
       M_MAPRAM, M_UNMAPRAM, M_VREALLOC, M_NR };
static const char *const mix_name[M_NR] = {
	"vmalloc", "vmalloc(align>4K)", "vmalloc_range", "free", "purge",
	"vmap", "ioremap", "vm_map_ram", "vm_unmap_ram", "vrealloc" };
static unsigned long mix[M_NR];

#define PGSZ 4096ULL
#define GARENA (64ULL << 30)            /* 64 GiB: room for 1 GiB aligns */

static uint64_t gen_size(void)
{
	uint64_t k = below(100);

	if (k < 70)
		return (1 + below(8)) * PGSZ;
	if (k < 95)
		return (1 + below(256)) * PGSZ;
	return (1 + below(2048)) * PGSZ - below(2) * 0x800;
}

static size_t gen_stream(struct vmc_op *ops, size_t nops)
{
	int kind[VMC_OP_REGS];
	size_t i;

	for (i = 0; i < VMC_OP_REGS; i++)
		kind[i] = -1;
	for (i = 0; i < nops; i++) {
		struct vmc_op *op = &ops[i];
		int r = (int)below(VMC_OP_REGS);
		uint64_t k = below(100);

		if (k < 45 && kind[r] >= 0)
			k = 46;         /* free what r holds first */
		if (k < 45) {
			uint64_t j = below(100);

			if (j < 50) {
				vmc_op_init(op, VMC_OP_VMALLOC);
				op->size = gen_size();
				mix[M_VMALLOC]++;
			} else if (j < 80) {
				vmc_op_init(op, VMC_OP_VMALLOC);
				op->size = gen_size();
				op->align = PGSZ << (1 + below(18));
				mix[M_ALIGNED]++;
			} else {
				uint64_t s = below(GARENA / PGSZ) * PGSZ;
				uint64_t l = (1 + below(1 + below(4) ?
					      4096 : GARENA / PGSZ)) * PGSZ;

				vmc_op_init(op, VMC_OP_VMALLOC_RANGE);
				op->size = gen_size();
				op->align = PGSZ << below(19);
				op->start = s;
				op->end = s + l > GARENA ? GARENA : s + l;
				mix[M_RANGE]++;
			}
			op->dst = r;
			kind[r] = VMC_OP_VMALLOC;
		} else if (k < 75) {
			if (kind[r] < 0) {     /* nothing there: allocate */
				vmc_op_init(op, VMC_OP_VMALLOC);
				op->size = gen_size();
				op->dst = r;
				kind[r] = VMC_OP_VMALLOC;
				mix[M_VMALLOC]++;
				continue;
			}
			vmc_op_init(op, kind[r] == VMC_OP_VMAP ? VMC_OP_VUNMAP :
				    kind[r] == VMC_OP_IOREMAP ? VMC_OP_IOUNMAP :
				    kind[r] == VMC_OP_VM_MAP_RAM ?
				    VMC_OP_VM_UNMAP_RAM : VMC_OP_VFREE);
			mix[kind[r] == VMC_OP_VM_MAP_RAM ? M_UNMAPRAM : M_VFREE]++;
			op->src = r;
			kind[r] = -1;
		} else if (k < 79) {
			vmc_op_init(op, VMC_OP_PURGE);
			mix[M_PURGE]++;
		} else if (k < 85) {
			vmc_op_init(op, VMC_OP_VMAP);
			op->dst = r;
			op->pages = (uint32_t)(1 + below(16));
			kind[r] = VMC_OP_VMAP;
			mix[M_VMAP]++;
		} else if (k < 89) {
			vmc_op_init(op, VMC_OP_IOREMAP);
			op->dst = r;
			op->phys = below(512) * PGSZ + below(2) * below(PGSZ);
			op->size = (1 + below(64)) * PGSZ - below(2) * 0x100;
			kind[r] = VMC_OP_IOREMAP;
			mix[M_IOREMAP]++;
		} else if (k < 97) {
			vmc_op_init(op, VMC_OP_VM_MAP_RAM);
			op->dst = r;
			op->pages = (uint32_t)(below(10) ? 1 + below(64) :
					       65 + below(64));
			kind[r] = VMC_OP_VM_MAP_RAM;
			mix[M_MAPRAM]++;
		} else {
			vmc_op_init(op, VMC_OP_VREALLOC);
			op->src = r;
			op->dst = r;
			op->size = gen_size();
			kind[r] = VMC_OP_VMALLOC;
			mix[M_VREALLOC]++;
		}
	}
	return nops;
}

/*
 * Run `count` generated streams of 300 ops (stream i from seed base + i,
 * each op on a CPU drawn from that seed when ncpus > 1) through e[0..neng)
 * and print the op mix and the address results.  Returns how many
 * streams differed; the first difference goes to first[firstlen], the
 * ops run to *nops.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tap.h"
#include "vmc_op_gen.h"
#include "vmc_run.h"

/* An engine of the oracle tests: x86_64, 16384 frames, 2 nodes, 1024
 * device frames, an arena of `arena` bytes; the caller sets placement or
 * profile. */
static void lx_spec(struct vmc_engine_spec *s, const struct vmc_engine_ops *ops,
		    const char *label, uint64_t arena)
{
	memset(s, 0, sizeof(*s));
	s->ops = ops;
	s->label = label;
	s->cfg.geometry = "x86_64";
	s->cfg.arena_size = arena;
	s->cfg.nr_frames = 16384;
	s->cfg.nr_nodes = 2;
	s->cfg.dev_frames = 1024;
}

static unsigned long lx_run_streams(const struct vmc_engine_spec *e,
				    size_t neng, unsigned long count,
				    unsigned long long base, unsigned int ncpus,
				    unsigned long *nops, char *first,
				    size_t firstlen)
{
	enum { NOPS = 300 };
	struct vmc_op *ops = calloc(NOPS, sizeof(*ops));
	unsigned long i, bad = 0, got = 0, null = 0;
	char *buf = NULL;
	size_t len = 0;
	int m;

	*nops = 0;
	if (!ops)
		return 1;
	for (i = 0; i < count; i++) {
		struct vmc_run_report rep;
		FILE *tr;
		size_t n;
		int ret;

		rs = (base + i) * 0x9e3779b97f4a7c15ULL + 1;
		n = gen_stream(ops, NOPS);
		vmc_op_gen_cpus(ops, n, base + i, ncpus);
		*nops += n;
		memset(&rep, 0, sizeof(rep));
		tr = open_memstream(&buf, &len);
		ret = vmc_run(ops, n, e, neng, VMC_RUN_TRACE, tr, &rep);
		if (tr) {
			const char *p;

			fclose(tr);
			for (p = buf; p && (p = strstr(p, " = +0x")); p++)
				got++;
			for (p = buf; p && (p = strstr(p, " = NULL")); p++)
				null++;
			free(buf);
			buf = NULL;
		}
		if (ret && !bad++)
			snprintf(first, firstlen, "seed %llu: %s", base + i,
				 rep.what);
	}
	for (m = 0; m < M_NR; m++)
		tap_diag("op mix: %-18s %lu", mix_name[m], mix[m]);
	tap_diag("address results: %lu addresses, %lu NULL", got, null);
	free(ops);
	return bad;
}

#endif /* LX_GEN_H */
