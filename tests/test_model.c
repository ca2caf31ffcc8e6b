/* SPDX-License-Identifier: MIT */
/*
 * test_model.c - the naive reference model: scenarios on the model
 * alone, then differential runs of random op streams on the model and
 * on libvmcore (core engine, sim backend) in every default geometry.
 *
 * Usage: test_model [streams [ops [seed]]]   (default 200 300 1)
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tap.h"
#include "model.h"
#include "vmc_op_gen.h"
#include "vmc_run.h"

#define K4 4096UL
#define M2 (2UL << 20)

static struct mdl *mk(const char *geom, unsigned long arena,
		      unsigned long lazy_max)
{
	struct mdl_cfg c;
	struct mdl *m;

	memset(&c, 0, sizeof(c));
	c.geometry = geom;
	c.arena_size = arena;
	c.nr_frames = 8192;
	c.nr_nodes = 2;
	c.dev_frames = 1024;
	c.lazy_max_pages = lazy_max;
	if (mdl_create(&c, &m))
		abort();
	return m;
}

/* vmalloc(size) -> offset from the arena start, or -1 with *err. */
static long va(struct mdl *m, unsigned long size, unsigned long align,
	       unsigned long flags, int *err)
{
	unsigned long a;
	int e = mdl_vmalloc(m, size, align ? align : K4, m->start, m->end,
			    false, flags, -1, &a);

	if (err)
		*err = e;
	return e ? -1 : (long)(a - m->start);
}

static void scenario_fit(void)
{
	struct mdl *m = mk("x86_64", 1UL << 30, 0);
	long a, b, c, d;
	int err;

	/* AA.BB.... : one page each, a guard page behind each */
	a = va(m, K4, 0, 0, NULL);
	b = va(m, 100, 0, 0, NULL);
	tap_ok(a == 0 && b == 2 * (long)K4, "lowest fit with guard: %ld %ld", a, b);
	/* aligned: the first 64 KiB boundary with room */
	c = va(m, K4, 0x10000, 0, NULL);
	tap_ok(c == 0x10000, "64 KiB alignment: 0x%lx", c);
	/* the gap below c is used by the next small request */
	d = va(m, 2 * K4, 0, 0, NULL);
	tap_ok(d == 4 * (long)K4, "gap before the aligned area: 0x%lx", d);
	/* lazy: a freed range is not reused before a purge */
	tap_ok(mdl_vfree(m, m->start) == 0, "vfree");
	a = va(m, K4, 0, 0, NULL);
	tap_ok(a != 0, "lazy range not reused: 0x%lx", a);
	tap_ok(mdl_purge(m) == 1, "purge frees one lazy area");
	a = va(m, K4, 0, 0, NULL);
	tap_ok(a == 0, "reused after purge: 0x%lx", a);
	tap_ok(mdl_vfree(m, m->start) == 0 && mdl_vfree(m, m->start) == -EINVAL,
	       "double vfree refused");
	tap_ok(mdl_vfree(m, m->start + (unsigned long)b + 8) == -EINVAL,
	       "vfree inside an area refused");
	tap_ok(va(m, 0, 0, 0, &err) < 0 && err == -EINVAL, "size 0: -EINVAL");
	tap_ok(va(m, 8193 * K4, 0, 0, &err) < 0 && err == -ENOMEM,
	       "more pages than RAM: -ENOMEM");
	tap_ok(va(m, K4, 3 * K4, 0, &err) < 0 && err == -EINVAL,
	       "alignment not a power of two: -EINVAL");
	tap_ok(mdl_vmalloc(m, K4, K4, m->start, m->end, false, 0, 2,
			   (unsigned long *)&a) == -EINVAL, "node 2 of 2: -EINVAL");
	tap_ok(mdl_vunmap(m, m->start + (unsigned long)b) == -EINVAL,
	       "vunmap of a vmalloc area refused");
	tap_ok(mdl_check(m, NULL, 0) == 0, "model consistent");
	mdl_destroy(m);
}

static void scenario_lazy_auto(void)
{
	struct mdl *m = mk("x86_64", 1UL << 30, 4);
	long a, b;

	/* AA..: 1 page + guard = 2 lazy pages each; the third free exceeds 4 */
	a = va(m, K4, 0, 0, NULL);
	mdl_vfree(m, m->start + (unsigned long)a);
	b = va(m, K4, 0, 0, NULL);
	mdl_vfree(m, m->start + (unsigned long)b);
	tap_ok(m->sp.lazy_pages == 4 && m->sp.nr_purges == 0, "4 lazy pages kept");
	a = va(m, K4, 0, 0, NULL);
	mdl_vfree(m, m->start + (unsigned long)a);
	tap_ok(m->sp.lazy_pages == 0 && m->sp.nr_purges == 1,
	       "exceeding lazy_max purges");
	/* no fit: a purge and one retry */
	mdl_destroy(m);
	m = mk("x86_64", 16 * K4, 0);
	a = va(m, 15 * K4, 0, 0, NULL);
	mdl_vfree(m, m->start);
	b = va(m, 15 * K4, 0, 0, NULL);
	tap_ok(a == 0 && b == 0 && m->sp.nr_purges == 1,
	       "no fit: purge and retry (%ld %ld)", a, b);
	mdl_destroy(m);
}

static void scenario_vpages(void)
{
	struct mdl *m = mk("x86_64", 1UL << 30, 0);
	unsigned long used = m->ram.used;
	long a, b;

	/* 513 pages: an array of 513 * 8 bytes (2 pages) is vmalloc'ed
	 * right after the area: |A...A g|PP g|                       */
	a = va(m, 513 * K4, 0, 0, NULL);
	tap_ok(a == 0, "vpages area at 0");
	tap_ok(m->sp.v[1].st == MDL_BUSY && m->sp.v[1].s == m->start + 514 * K4 &&
	       m->sp.v[1].e - m->sp.v[1].s == 3 * K4, "array area follows");
	tap_ok(m->ram.used - used == 513 + 2 + m->ntab, "frames: data + array + tables");
	b = va(m, K4, 0, 0, NULL);
	tap_ok(b == 517 * (long)K4, "next area after the array: 0x%lx", b);
	tap_ok(mdl_vfree(m, m->sp.v[1].s) == -EINVAL, "an array cannot be vfreed");
	mdl_vfree(m, m->start);
	tap_ok(m->sp.v[0].st == MDL_LAZY && m->sp.v[1].st == MDL_LAZY,
	       "vfree sends area and array lazy");
	tap_ok(mdl_check(m, NULL, 0) == 0, "model consistent");
	mdl_destroy(m);
}

static void scenario_huge(void)
{
	struct mdl *m = mk("x86_64", 1UL << 30, 0);
	unsigned long a;
	long x;
	size_t t;

	/* 4 MiB huge: size per node 2 MiB: PMD leaves, 2 MiB aligned */
	x = va(m, K4, 0, 0, NULL);
	tap_ok(mdl_vmalloc(m, 4UL << 20, K4, m->start, m->end, false,
			   MDL_VM_HUGE, -1, &a) == 0 && a - m->start == M2,
	       "huge at 2 MiB: 0x%lx", a - m->start);
	t = m->ntab;
	/* PMD and PUD tables, one PTE table for the small area only */
	tap_ok(x == 0 && t == 3, "huge leaves need no PTE table (%zu tables)", t);
	/*
	 * Fallback: the huge attempt's first frame (its vpages array's) fails;
	 * its ranges came back at once, so the small-page retry takes the
	 * lowest fit for 4 MiB + guard, right after the first huge area:
	 *   A.PPP...|HHHH...H.|SSSS...S.|       (P: the huge area's array)
	 */
	mdl_fault_set(m, MDL_F_FRAME, 1);
	tap_ok(mdl_vmalloc(m, 4UL << 20, K4, m->start, m->end, false,
			   MDL_VM_HUGE, -1, &a) == 0 &&
	       a - m->start == M2 + (4UL << 20) + K4,
	       "fallback to small pages at the lowest fit: 0x%lx", a - m->start);
	tap_ok(m->ntab > t, "small pages need PTE tables");
	tap_ok(m->sp.lazy_pages == 0, "the failed attempt left nothing lazy");
	tap_ok(mdl_check(m, NULL, 0) == 0, "model consistent");
	mdl_destroy(m);
}

static void scenario_blocks(void)
{
	struct mdl *m = mk("x86_64", 1UL << 30, 0);
	uint32_t f[70];
	unsigned long a, b, c;
	unsigned int i;

	for (i = 0; i < 70; i++)
		mdl_frame_alloc(m, -1, &f[i]);
	/* block of 1024 pages: chunks of 4 pages (3 -> order 2), then 1 */
	tap_ok(mdl_vm_map_ram(m, f, 3, &a) == 0 && a == m->start,
	       "first chunk at the block start");
	tap_ok(mdl_vm_map_ram(m, f, 1, &b) == 0 && b == m->start + 4 * K4,
	       "second chunk after the 4-page chunk");
	tap_ok(mdl_vm_map_ram(m, f, 65, &c) == 0 && c == m->start + 1024 * K4,
	       "65 pages: own range after the block, no guard");
	tap_ok(mdl_vm_unmap_ram(m, a, 1) == -EINVAL, "wrong count refused");
	tap_ok(mdl_vm_unmap_ram(m, a, 3) == 0 && mdl_vm_unmap_ram(m, a, 3) == -EINVAL,
	       "unmap, then double unmap refused");
	tap_ok(mdl_vm_unmap_ram(m, b, 1) == 0 && m->nvb == 1,
	       "block without live chunks stays");
	mdl_purge(m);
	tap_ok(m->nvb == 0 && m->sp.v[0].st == MDL_FREE,
	       "purge releases the fragmented block");
	tap_ok(mdl_check(m, NULL, 0) == 0, "model consistent");
	mdl_destroy(m);
}

static void scenario_data(void)
{
	struct mdl *m = mk("i386", 0, 0);
	unsigned long a, b;
	unsigned char x[8] = { 1, 2, 3, 4, 5, 6, 7, 8 }, y[8];

	mdl_vmalloc(m, 3 * K4, K4, m->start, m->end, false, 0, -1, &a);
	tap_ok(mdl_read(m, a, y, 8) == 0 && y[0] == MDL_POISON, "fresh frames poisoned");
	tap_ok(mdl_write(m, a + 2 * K4 + 100, x, 8) == 0, "write");
	tap_ok(mdl_vrealloc(m, a, K4, &b) == 0 && b == a, "shrink in place");
	tap_ok(mdl_write(m, a + 2 * K4 + 100, x, 8) == -EFAULT,
	       "write past a shrink faults");
	tap_ok(mdl_vrealloc(m, a, 3 * K4, &b) == 0 && b == a &&
	       mdl_read(m, a + 2 * K4 + 100, y, 8) == 0 && y[0] == MDL_POISON,
	       "grow in place maps fresh frames");
	tap_ok(mdl_write(m, a, x, 8) == 0 &&
	       mdl_vrealloc(m, a, 8 * K4, &b) == 0 && b != a &&
	       mdl_read(m, b, y, 8) == 0 && !memcmp(x, y, 8),
	       "move copies the data");
	tap_ok(mdl_ioremap(m, 0x1234, 0x2000, &a) == 0 && (a & 0xfff) == 0x234 &&
	       mdl_read(m, a, y, 8) == 0 && y[0] == 0, "ioremap: offset kept, zeroed device");
	tap_ok(mdl_iounmap(m, a) == 0, "iounmap of the unaligned address");
	tap_ok(mdl_ioremap(m, 1024 * K4, 1, &a) == -EINVAL, "ioremap past the region");
	tap_ok(mdl_check(m, NULL, 0) == 0, "model consistent");
	mdl_destroy(m);
}

/* Streams without fail(meta): the model does not follow those. */
static size_t strip_meta(struct vmc_op *ops, size_t n)
{
	size_t i, k = 0;

	for (i = 0; i < n; i++)
		if (!(ops[i].kind == VMC_OP_FAIL && ops[i].fail % 3 == VMC_OP_FAIL_META))
			ops[k++] = ops[i];
	return k;
}

/*
 * Tight groups: a small arena (small vmap blocks), little RAM and a low
 * lazy threshold, so streams reach exhaustion, purge-and-retry, automatic
 * purges, full blocks and huge fallbacks within a few hundred ops.
 */
#define NTIGHT 4
static struct vmc_run_group tight[NTIGHT];

static void tight_init(void)
{
	static const char *geo[NTIGHT] = { "x86_64", "la57", "i386", "x86_64" };
	static const char *name[NTIGHT] = { "tight-x86_64", "tight-la57",
		"tight-i386", "tight-x86_64-nohuge" };
	unsigned int i, k;

	for (i = 0; i < NTIGHT; i++) {
		tight[i].name = name[i];
		tight[i].n = 2;
		for (k = 0; k < 2; k++) {
			struct vmc_engine_spec *sp = &tight[i].spec[k];

			memset(sp, 0, sizeof(*sp));
			sp->ops = k ? &vmc_engine_core_sim : &vmc_engine_model;
			sp->label = k ? "core:sim" : "model";
			sp->cfg.geometry = geo[i];
			sp->cfg.nohuge = i == 3;
			sp->cfg.arena_size = i == 2 ? 24UL << 20 : 12UL << 20;
			sp->cfg.nr_frames = 2048;
			sp->cfg.nr_nodes = 2;
			sp->cfg.dev_frames = 2048;
			sp->cfg.lazy_max_pages = 48;
		}
	}
}

static void differential(unsigned long streams, size_t nops, uint64_t seed0)
{
	static const enum vmc_gen_profile prof[3] = { VMC_GEN_SANE,
		VMC_GEN_DEFAULT, VMC_GEN_EDGES };
	static const char *pname[3] = { "sane", "default", "edges" };
	size_t ng, g;
	const struct vmc_run_group *dg = vmc_run_default_groups(&ng);
	const struct vmc_run_group *groups[8];
	unsigned int p;

	tight_init();
	for (g = 0; g < ng && g < 4; g++)
		groups[g] = &dg[g];
	for (p = 0; p < NTIGHT; p++)
		groups[g + p] = &tight[p];
	ng = g + NTIGHT;
	for (g = 0; g < ng; g++) {
		for (p = 0; p < 3; p++) {
			unsigned long s, bad = 0, total = 0;
			char first[1400] = "";

			for (s = 0; s < streams; s++) {
				uint64_t seed = seed0 + s * 7919 + p;
				struct vmc_op *ops = vmc_op_gen(seed, nops, prof[p]);
				struct vmc_run_report rep;
				size_t n;
				int r;

				if (!ops)
					abort();
				n = strip_meta(ops, nops);
				r = vmc_run(ops, n, groups[g]->spec, groups[g]->n,
					    0, NULL, &rep);
				total += n;
				if (r) {
					if (!bad++)
						snprintf(first, sizeof(first),
							 "seed %llu op %zu: %s",
							 (unsigned long long)seed,
							 rep.index, rep.what);
				}
				free(ops);
			}
			tap_ok(bad == 0, "%s/%s: %lu streams, %lu ops, model == core "
			       "(%lu divergent)", groups[g]->name, pname[p], streams,
			       total, bad);
			if (bad)
				tap_diag("first: %s", first);
		}
	}
}

int main(int argc, char **argv)
{
	unsigned long streams = argc > 1 ? strtoul(argv[1], NULL, 0) : 20;
	size_t nops = argc > 2 ? strtoul(argv[2], NULL, 0) : 300;
	uint64_t seed = argc > 3 ? strtoull(argv[3], NULL, 0) : 1;
	size_t ng;

	vmc_run_default_groups(&ng);
	tap_plan(15 + 3 + 7 + 6 + 8 + 10 + (int)((ng < 4 ? ng : 4) + NTIGHT) * 3);
	tap_diag("seed %llu, %lu streams x %zu ops", (unsigned long long)seed,
		 streams, nops);
	scenario_fit();
	scenario_lazy_auto();
	scenario_vpages();
	scenario_huge();
	scenario_blocks();
	scenario_data();
	differential(streams, nops, seed);
	return tap_failed ? 1 : 0;
}
