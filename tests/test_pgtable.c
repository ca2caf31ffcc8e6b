/* SPDX-License-Identifier: MIT */
/*
 * test_pgtable.c - white-box tests of the generic page-table walker
 * (libvmcore/vmc_pgtable.c) on the sim backend, in every geometry.
 *
 * sim only: it reads the tables with vmc_sim_walk and counts with the sim's
 * statistics, and needs the huge leaves and geometries mmap lacks.
 *
 * The tests drive vmc_pt_* directly with frames taken from
 * vmc_bo_frame_alloc and look at the result three ways: the core's own
 * software walk (vmc_pt_lookup, vmc_pt_for_each_leaf), the simulated
 * hardware (vmc_sim_walk, vmc_bo_access through the soft TLB) and the
 * direct map of the frames (vmc_bo_kaddr).  Every scenario ends by
 * unmapping everything, freeing all tables with vmc_pt_fini and checking
 * that the backend's frame count is back to its value right after init.
 *
 * Address pictures: one character per page, or per entry span where said;
 * 'A' a mapped page, 'H' a huge leaf, '.' unmapped, '|' an entry boundary.
 */
#include "tap.h"
#include "vmc_internal.h"
#include "vmc_sim.h"

#define P VMC_PAGE_SIZE

static const char *const geoms[] = { "x86_64", "la57", "i386" };

/* ---------- helpers ---------- */

struct t {
	struct vmc_arena *a;
	const char *g;
	unsigned long base;             /* frames_used right after init */
	unsigned long pfn[16];
	unsigned int order[16];
	int n;
};

static int t_new(struct t *t, const char *g, unsigned int features_off,
		 unsigned long nr_frames, unsigned long dev_frames)
{
	struct vmc_arena_config cfg;
	int err;

	memset(t, 0, sizeof(*t));
	memset(&cfg, 0, sizeof(cfg));
	cfg.ops = &vmc_sim_ops;
	cfg.geometry = g;
	cfg.features_off = features_off;
	cfg.nr_frames = nr_frames;
	cfg.dev_frames = dev_frames;
	cfg.flags = VMC_ARENA_QUIET;
	t->g = g;
	err = vmc_arena_create(&cfg, &t->a);
	if (err)
		return err;
	t->base = vmc_bo_frames_used(t->a);
	return 0;
}

static unsigned long t_frames(struct t *t, unsigned int order)
{
	unsigned long pfn;

	if (t->n == 16 || vmc_bo_frame_alloc(t->a, -1, order, &pfn)) {
		tap_diag("frame allocation of order %u failed", order);
		exit(1);
	}
	t->pfn[t->n] = pfn;
	t->order[t->n++] = order;
	return pfn;
}

static unsigned int shift_of(struct vmc_arena *a, unsigned int level)
{
	return vmc_geom_shift(&a->info.geom, level);
}

static unsigned long span_of(struct vmc_arena *a, unsigned int level)
{
	return 1UL << shift_of(a, level);
}

static unsigned long align_up(unsigned long x, unsigned long al)
{
	return (x + al - 1) & ~(al - 1);
}

static int nop_leaf(void *arg, unsigned long va, unsigned int level,
		    unsigned long pfn, unsigned int prot)
{
	(void)va; (void)level; (void)pfn; (void)prot;
	(*(unsigned long *)arg)++;
	return 0;
}

static unsigned long leaves(struct vmc_arena *a)
{
	unsigned long n = 0;

	vmc_pt_for_each_leaf(a, nop_leaf, &n);
	return n;
}

/* Level of the leaf at va, or -1 when unmapped (and the pfn). */
static int level_at(struct vmc_arena *a, unsigned long va, unsigned long *pfn)
{
	unsigned int level;
	unsigned long p;

	if (vmc_pt_lookup(a, va, &p, &level, NULL))
		return -1;
	if (pfn)
		*pfn = p;
	return (int)level;
}

/* Do all pages of [va, end) map at level `level`?  -1: all unmapped. */
static bool all_level(struct vmc_arena *a, unsigned long va,
		      unsigned long end, int level)
{
	for (; va < end; va += P)
		if (level_at(a, va, NULL) != level)
			return false;
	return true;
}

static unsigned long tables(struct vmc_arena *a)
{
	return a->frames_tables;
}

/* Unmap all, free all tables and frames: the backend is back at init. */
static void t_finish(struct t *t)
{
	struct vmc_arena *a = t->a;
	char msg[256] = "";
	unsigned long n;
	int i, rc;

	rc = vmc_pt_validate(a, msg, sizeof(msg));
	tap_ok(rc == 0, "%s: validate before teardown (%d %s)", t->g, rc, msg);
	tap_ok(vmc_pt_count_tables(a) == a->frames_tables,
	       "%s: count_tables %lu == frames_tables %lu", t->g,
	       vmc_pt_count_tables(a), a->frames_tables);
	vmc_pt_unmap(a, a->start, a->end);
	tap_ok(leaves(a) == 0, "%s: nothing mapped after unmapping the arena",
	       t->g);
	n = a->frames_tables;
	vmc_pt_fini(a);
	tap_ok(vmc_pt_count_tables(a) == 0 && a->frames_tables == 0,
	       "%s: fini freed all %lu tables", t->g, n);
	for (i = 0; i < t->n; i++)
		vmc_bo_frame_free(a, t->pfn[i], t->order[i]);
	tap_ok(vmc_bo_frames_used(a) == t->base,
	       "%s: frames_used %lu back to %lu after fini", t->g,
	       vmc_bo_frames_used(a), t->base);
	vmc_arena_destroy(a);
}

static unsigned long get_pfn(void *arg, unsigned long i)
{
	return ((unsigned long *)arg)[i];
}

static unsigned long get_linear(void *arg, unsigned long i)
{
	return *(unsigned long *)arg + i;
}

/* ---------- small mappings ---------- */

static void test_small(const char *g)
{
	struct t t;
	struct vmc_arena *a;
	unsigned long va, va2, p[3], q[4], pfn;
	unsigned int level, prot;
	char buf[32], back[32];
	int i;

	if (!tap_ok(t_new(&t, g, 0, 4096, 0) == 0, "%s: arena", g))
		return;
	a = t.a;
	va = a->start + 16 * P;
	for (i = 0; i < 3; i++)
		p[i] = t_frames(&t, 0);

	/* A.B.C : three pages with holes */
	for (i = 0; i < 3; i++)
		tap_ok(vmc_pt_map(a, va + 2 * i * P, va + (2 * i + 1) * P, p[i],
				  VMC_PROT_KERNEL, VMC_PAGE_SHIFT) == 0,
		       "%s: map page %d", g, i);
	for (i = 0; i < 3; i++) {
		int rc = vmc_pt_lookup(a, va + 2 * i * P + 123, &pfn, &level,
				       &prot);

		tap_ok(rc == 0 && pfn == p[i] && level == 0 &&
		       (prot & VMC_PROT_WRITE) && (prot & VMC_PROT_READ),
		       "%s: lookup page %d -> pfn 0x%lx level %u prot %x",
		       g, i, pfn, level, prot);
	}
	tap_ok(vmc_pt_lookup(a, va + P, &pfn, NULL, NULL) == -EFAULT &&
	       vmc_pt_lookup(a, va + 3 * P, &pfn, NULL, NULL) == -EFAULT &&
	       vmc_pt_lookup(a, va - P, &pfn, NULL, NULL) == -EFAULT,
	       "%s: holes are not mapped", g);
	tap_ok(vmc_pt_lookup(a, a->start - P, &pfn, NULL, NULL) == -EFAULT,
	       "%s: lookup outside the arena fails", g);

	/* Data written through the VA lands in the frame's direct map. */
	for (i = 0; i < 3; i++) {
		snprintf(buf, sizeof(buf), "page %d of %s", i, g);
		tap_ok(vmc_bo_access(a, va + 2 * i * P + 100, buf, sizeof(buf),
				     true) == 0 &&
		       !memcmp((char *)vmc_bo_kaddr(a, p[i]) + 100, buf,
			       sizeof(buf)),
		       "%s: write through VA lands in frame %d", g, i);
	}

	/* vmap_pages: four scattered frames in one walk. */
	va2 = va + 40 * P;
	for (i = 0; i < 4; i++)
		q[i] = t_frames(&t, 0);
	tap_ok(vmc_pt_map_pages(a, va2, 4, get_pfn, q, VMC_PROT_KERNEL,
				VMC_PAGE_SHIFT) == 0, "%s: map_pages", g);
	for (i = 0; i < 4; i++)
		tap_ok(level_at(a, va2 + i * P, &pfn) == 0 && pfn == q[i],
		       "%s: map_pages page %d -> 0x%lx", g, i, pfn);
	memset(vmc_bo_kaddr(a, q[2]), 0x5c, P);
	memset(back, 0, sizeof(back));
	memset(buf, 0x5c, sizeof(buf));
	tap_ok(vmc_bo_access(a, va2 + 2 * P + 7, back, sizeof(back), false) == 0
	       && !memcmp(back, buf, sizeof(buf)),
	       "%s: direct-map data reads back through the VA", g);
	tap_ok(leaves(a) == 7, "%s: 7 leaves mapped (%lu)", g, leaves(a));

	/* A read-only page refuses writes. */
	tap_ok(vmc_pt_map(a, va + 60 * P, va + 61 * P, q[0], VMC_PROT_READ,
			  VMC_PAGE_SHIFT) == 0 &&
	       vmc_pt_lookup(a, va + 60 * P, &pfn, NULL, &prot) == 0 &&
	       !(prot & VMC_PROT_WRITE) &&
	       vmc_bo_access(a, va + 60 * P, buf, 1, true) == -EFAULT,
	       "%s: read-only page: prot %x, write faults", g, prot);
	t_finish(&t);
}

/* ---------- huge PMD leaves ---------- */

static void test_huge(const char *g)
{
	struct t t, t2;
	struct vmc_arena *a;
	unsigned long span, pages, va, pfn, x, blk, t1, used, w;
	unsigned int s1, order;
	int rc;

	if (!tap_ok(t_new(&t, g, 0, 8192, 0) == 0, "%s: arena", g))
		return;
	a = t.a;
	s1 = shift_of(a, 1);
	span = 1UL << s1;
	pages = span / P;
	order = s1 - VMC_PAGE_SHIFT;
	tap_ok(a->info.geom.leaf_levels & 2u, "%s: level 1 may hold leaves", g);
	if (!strcmp(g, "i386"))
		tap_ok(span == 4UL << 20, "i386: level 1 leaves are 4 MiB");
	blk = t_frames(&t, order + 1);          /* two spans, aligned */
	x = t_frames(&t, 0);
	va = align_up(a->start, span) + 4 * span;

	/* |HHHH| aligned VA and PA, range = one whole entry */
	tap_ok(vmc_pt_map(a, va, va + span, blk, VMC_PROT_KERNEL, s1) == 0 &&
	       level_at(a, va + 5 * P, &pfn) == 1 && pfn == blk + 5 &&
	       leaves(a) == 1, "%s: aligned span maps one level-1 leaf", g);
	w = 0x1122334455667788UL;
	tap_ok(vmc_bo_access(a, va + span - 8, &w, 8, true) == 0 &&
	       !memcmp((char *)vmc_bo_kaddr(a, blk + pages - 1) + P - 8, &w, 8),
	       "%s: data through the huge leaf lands in its last frame", g);
	vmc_pt_unmap(a, va, va + span);
	tap_ok(leaves(a) == 0 && level_at(a, va, NULL) == -1,
	       "%s: huge leaf unmapped", g);

	/* |.AAA|A...| VA misaligned by a page */
	tap_ok(vmc_pt_map(a, va + P, va + P + span, blk, VMC_PROT_KERNEL, s1)
	       == 0 && all_level(a, va + P, va + P + span, 0) &&
	       leaves(a) == pages, "%s: misaligned VA: small pages only", g);
	vmc_pt_unmap(a, va + P, va + P + span);

	/* PA misaligned: frame blk + 1 at an aligned VA */
	tap_ok(vmc_pt_map(a, va, va + span, blk + 1, VMC_PROT_KERNEL, s1) == 0
	       && all_level(a, va, va + span, 0) &&
	       level_at(a, va, &pfn) == 0 && pfn == blk + 1,
	       "%s: misaligned PA: small pages only", g);
	vmc_pt_unmap(a, va, va + span);

	/* |AAA.| range one page short of the entry */
	tap_ok(vmc_pt_map(a, va, va + span - P, blk, VMC_PROT_KERNEL, s1) == 0
	       && all_level(a, va, va + span - P, 0) &&
	       leaves(a) == pages - 1, "%s: short range: small pages only", g);
	vmc_pt_unmap(a, va, va + span - P);

	/* max_shift below the entry's shift */
	tap_ok(vmc_pt_map(a, va, va + span, blk, VMC_PROT_KERNEL, s1 - 1) == 0
	       && all_level(a, va, va + span, 0),
	       "%s: max_shift %u < %u: small pages only", g, s1 - 1, s1);
	vmc_pt_unmap(a, va, va + span);

	/* |HHHH|AA..| one leaf, then two small pages */
	tap_ok(vmc_pt_map(a, va, va + span + 2 * P, blk, VMC_PROT_KERNEL, s1)
	       == 0 && level_at(a, va, NULL) == 1 &&
	       level_at(a, va + span + P, &pfn) == 0 && pfn == blk + pages + 1
	       && leaves(a) == 3, "%s: leaf + 2 pages", g);
	vmc_pt_unmap(a, va, va + span + 2 * P);

	/* vmap_pages with page_shift = s1: two runs, two leaves */
	tap_ok(vmc_pt_map_pages(a, va, 2 * pages, get_linear, &blk,
				VMC_PROT_KERNEL, s1) == 0 &&
	       leaves(a) == 2 && level_at(a, va + span, &pfn) == 1 &&
	       pfn == blk + pages, "%s: map_pages in huge runs", g);
	vmc_pt_unmap(a, va, va + 2 * span);

	/*
	 * |A...| then unmap: the PTE table stays.  |HHHH| over it: the empty
	 * table is freed and the leaf takes the entry.
	 */
	vmc_pt_map(a, va, va + P, x, VMC_PROT_KERNEL, VMC_PAGE_SHIFT);
	t1 = tables(a);
	vmc_pt_unmap(a, va, va + P);
	tap_ok(tables(a) == t1, "%s: unmap keeps tables (%lu)", g, t1);
	used = vmc_bo_frames_used(a);
	rc = vmc_pt_map(a, va, va + span, blk, VMC_PROT_KERNEL, s1);
	tap_ok(rc == 0 && level_at(a, va, NULL) == 1 && tables(a) == t1 - 1 &&
	       vmc_bo_frames_used(a) == used - 1,
	       "%s: empty PTE table replaced by a leaf: tables %lu -> %lu, "
	       "frames %lu -> %lu", g, t1, tables(a), used,
	       vmc_bo_frames_used(a));

	/* |HHHH| + |...A|: mapping a page inside the leaf is refused */
	w = a->warnings;
	tap_ok(vmc_pt_map(a, va + 5 * P, va + 6 * P, x, VMC_PROT_KERNEL,
			  VMC_PAGE_SHIFT) == -EBUSY &&
	       level_at(a, va + 5 * P, &pfn) == 1 && pfn == blk + 5 &&
	       a->warnings == w + 1, "%s: -EBUSY inside a huge leaf, warned",
	       g);
	vmc_pt_unmap(a, va, va + span);

	/*
	 * |....|...X| then map |HHHH|HHHH|: the first entry gets a leaf, the
	 * second holds a table that still maps X, so the walk descends and
	 * hits X: -EBUSY, and the leaf made before is undone.
	 */
	vmc_pt_map(a, va + span + 3 * P, va + span + 4 * P, x, VMC_PROT_KERNEL,
		   VMC_PAGE_SHIFT);
	rc = vmc_pt_map(a, va, va + 2 * span, blk, VMC_PROT_KERNEL, s1);
	tap_ok(rc == -EBUSY && leaves(a) == 1 && level_at(a, va, NULL) == -1 &&
	       all_level(a, va + span, va + span + 3 * P, -1) &&
	       level_at(a, va + span + 3 * P, &pfn) == 0 && pfn == x,
	       "%s: -EBUSY under a busy table: only the old page is left (%d)",
	       g, rc);
	t_finish(&t);

	/* The backend withholds PMD leaves. */
	if (!tap_ok(t_new(&t2, g, VMC_BF_HUGE_PMD, 4096, 0) == 0,
		    "%s: arena without PMD leaves", g))
		return;
	a = t2.a;
	blk = t_frames(&t2, order);
	tap_ok(!(a->info.geom.leaf_levels & 2u), "%s: level 1 withheld", g);
	tap_ok(vmc_pt_map(a, va, va + span, blk, VMC_PROT_KERNEL, s1) == 0 &&
	       all_level(a, va, va + span, 0) && leaves(a) == pages,
	       "%s: withheld PMD leaves: small pages only", g);
	t_finish(&t2);
}

/* ---------- PUD leaves (1 GiB), from the device region ---------- */

static void test_pud(const char *g)
{
	struct t t;
	struct vmc_arena *a;
	unsigned long gb, va, dev, t0, w, pfn;
	unsigned int s2;

	if (t_new(&t, g, 0, 4096, 1UL << 18)) {
		tap_skip("%s: no sim instance with a 1 GiB device region", g);
		return;
	}
	a = t.a;
	if (!(a->info.geom.leaf_levels & 4u)) {
		tap_ok(vmc_pt_map(a, a->start, a->start + P, (unsigned long)
				  (a->info.dev_phys >> VMC_PAGE_SHIFT),
				  VMC_PROT_IO, 30) == 0,
		       "%s: no PUD leaves in this geometry (page still maps)", g);
		t_finish(&t);
		return;
	}
	s2 = shift_of(a, 2);
	gb = 1UL << s2;
	if (a->info.dev_phys & (gb - 1) || a->info.dev_size < gb) {
		tap_skip("%s: device region not 1 GiB aligned", g);
		t_finish(&t);
		return;
	}
	dev = (unsigned long)(a->info.dev_phys >> VMC_PAGE_SHIFT);
	va = align_up(a->start, gb) + gb;

	/* A page first leaves a PMD table and a PTE table behind. */
	vmc_pt_map(a, va, va + P, dev, VMC_PROT_IO, VMC_PAGE_SHIFT);
	vmc_pt_unmap(a, va, va + P);
	t0 = tables(a);
	tap_ok(vmc_pt_map(a, va, va + gb, dev, VMC_PROT_IO, s2) == 0 &&
	       level_at(a, va + gb - P, &pfn) == 2 && pfn == dev + gb / P - 1 &&
	       leaves(a) == 1, "%s: 1 GiB leaf at level 2", g);
	tap_ok(tables(a) == t0 - 2, "%s: empty PMD+PTE tables freed (%lu -> "
	       "%lu)", g, t0, tables(a));
	w = 0xfeedfacecafebeefUL;
	tap_ok(vmc_bo_access(a, va + gb - 16, &w, 8, true) == 0 &&
	       !memcmp((char *)vmc_bo_kaddr(a, dev + gb / P - 1) + P - 16, &w,
		       8), "%s: data through the PUD leaf", g);
	vmc_pt_unmap(a, va, va + gb);

	/* max_shift of a PMD: the same range as 512 PMD leaves */
	tap_ok(vmc_pt_map(a, va, va + gb, dev, VMC_PROT_IO, shift_of(a, 1)) == 0
	       && leaves(a) == gb / span_of(a, 1) &&
	       level_at(a, va + gb / 2, &pfn) == 1 && pfn == dev + gb / P / 2,
	       "%s: max_shift %u: %lu level-1 leaves", g, shift_of(a, 1),
	       leaves(a));
	t_finish(&t);
}

/* ---------- -EBUSY on small pages ---------- */

static void test_busy(const char *g)
{
	struct t t;
	struct vmc_arena *a;
	unsigned long va, old, blk, pfn, w;

	if (!tap_ok(t_new(&t, g, 0, 4096, 0) == 0, "%s: arena", g))
		return;
	a = t.a;
	va = a->start + 64 * P;
	old = t_frames(&t, 0);
	blk = t_frames(&t, 3);
	/* ...O.... then map AAAAAAAA over it */
	vmc_pt_map(a, va + 3 * P, va + 4 * P, old, VMC_PROT_KERNEL,
		   VMC_PAGE_SHIFT);
	w = a->warnings;
	tap_ok(vmc_pt_map(a, va, va + 8 * P, blk, VMC_PROT_KERNEL,
			  VMC_PAGE_SHIFT) == -EBUSY, "%s: overlap -> -EBUSY", g);
	tap_ok(a->warnings == w + 1, "%s: overlap logged", g);
	tap_ok(level_at(a, va + 3 * P, &pfn) == 0 && pfn == old,
	       "%s: earlier mapping intact", g);
	tap_ok(all_level(a, va, va + 3 * P, -1) &&
	       all_level(a, va + 4 * P, va + 8 * P, -1) && leaves(a) == 1,
	       "%s: nothing new mapped", g);
	t_finish(&t);
}

/* ---------- -ENOMEM at every table allocation ---------- */

static void test_nomem(const char *g)
{
	unsigned long n, first_ok = 0, levels = 0;

	for (n = 1; n <= 8 && !first_ok; n++) {
		struct t t;
		struct vmc_arena *a;
		unsigned long va, blk, pmd;
		int rc;

		if (t_new(&t, g, 0, 4096, 0))
			break;
		a = t.a;
		levels = a->info.geom.levels;
		pmd = span_of(a, 1);
		blk = t_frames(&t, 4);
		/* ........|........ 16 pages across a PMD boundary: 2 PTE tables */
		va = a->start + pmd - 8 * P;
		vmc_fault_set(a, VMC_FAULT_TABLE, n);
		rc = vmc_pt_map(a, va, va + 16 * P, blk, VMC_PROT_KERNEL,
				VMC_PAGE_SHIFT);
		vmc_fault_set(a, VMC_FAULT_TABLE, 0);
		if (rc == 0) {
			first_ok = n;
			tap_ok(all_level(a, va, va + 16 * P, 0),
			       "%s: fault at table %lu not reached: all mapped",
			       g, n);
		} else {
			unsigned long i, bad = 0;

			for (i = 0; i < 16; i++)
				if (!vmc_sim_walk(a->bs, va + i * P, NULL, NULL,
						  NULL))
					bad++;
			tap_ok(rc == -ENOMEM && leaves(a) == 0 && bad == 0,
			       "%s: table alloc %lu fails: -ENOMEM (%d), "
			       "nothing mapped", g, n, rc);
		}
		t_finish(&t);
	}
	/* levels - 1 tables down one path, plus the second PTE table */
	tap_ok(first_ok == levels + 1, "%s: %lu table allocations to sweep",
	       g, first_ok - 1);

	/*
	 * map_pages in PMD runs, the second run in a new PUD entry:
	 * |..H|H..| (one char per PMD).  Failing the table of the second run
	 * must undo the first run's leaf.
	 */
	if (levels > 2) {
		struct t t;
		struct vmc_arena *a;
		unsigned long va, blk, pud, pmd;
		unsigned int s1;
		int rc;

		if (t_new(&t, g, 0, 4096, 0))
			return;
		a = t.a;
		s1 = shift_of(a, 1);
		pmd = 1UL << s1;
		pud = span_of(a, 2);
		blk = t_frames(&t, s1 - VMC_PAGE_SHIFT + 1);
		va = align_up(a->start, pud) + pud - pmd;
		/* tables: PUD-level chain down to the PMD table, then one more */
		vmc_fault_set(a, VMC_FAULT_TABLE, levels - 1);
		rc = vmc_pt_map_pages(a, va, 2 * pmd / P, get_linear, &blk,
				      VMC_PROT_KERNEL, s1);
		vmc_fault_set(a, VMC_FAULT_TABLE, 0);
		tap_ok(rc == -ENOMEM && leaves(a) == 0,
		       "%s: map_pages: second run fails, first undone (%d, %lu)",
		       g, rc, leaves(a));
		tap_ok(vmc_pt_map_pages(a, va, 2 * pmd / P, get_linear, &blk,
					VMC_PROT_KERNEL, s1) == 0 &&
		       leaves(a) == 2 && level_at(a, va + pmd, NULL) == 1,
		       "%s: map_pages retried: two leaves", g);
		t_finish(&t);
	}
}

/* ---------- sync of the top level ---------- */

static unsigned long syncs(struct vmc_arena *a)
{
	struct vmc_sim_stats st;

	vmc_sim_get_stats(a->bs, &st);
	return st.syncs;
}

static void test_sync(const char *g)
{
	struct t t;
	struct vmc_arena *a;
	unsigned long top, va, p, s;
	unsigned int lv;

	if (!tap_ok(t_new(&t, g, 0, 4096, 0) == 0, "%s: arena", g))
		return;
	a = t.a;
	lv = a->info.geom.levels - 1;
	top = span_of(a, lv);
	va = align_up(a->start, top);
	p = t_frames(&t, 0);

	s = syncs(a);
	vmc_pt_map(a, va, va + P, p, VMC_PROT_KERNEL, VMC_PAGE_SHIFT);
	tap_ok(syncs(a) == s + 1, "%s: new top-level entry: one sync", g);
	vmc_pt_map(a, va + P, va + 2 * P, p, VMC_PROT_KERNEL, VMC_PAGE_SHIFT);
	tap_ok(syncs(a) == s + 1, "%s: same top-level entry: no sync", g);
	vmc_pt_unmap(a, va, va + 2 * P);
	tap_ok(syncs(a) == s + 1, "%s: unmapping pages: no sync", g);
	vmc_pt_map(a, va + top, va + top + P, p, VMC_PROT_KERNEL,
		   VMC_PAGE_SHIFT);
	tap_ok(syncs(a) == s + 2, "%s: next top-level entry: one sync", g);
	if (a->info.geom.leaf_levels & (1u << lv)) {
		unsigned long blk = t_frames(&t, shift_of(a, lv) -
					     VMC_PAGE_SHIFT);

		/* a leaf in the root itself */
		vmc_pt_map(a, va + 2 * top, va + 3 * top, blk, VMC_PROT_KERNEL,
			   shift_of(a, lv));
		tap_ok(level_at(a, va + 2 * top, NULL) == (int)lv &&
		       syncs(a) == s + 3, "%s: top-level leaf: one sync", g);
		vmc_pt_unmap(a, va + 2 * top, va + 3 * top);
		tap_ok(syncs(a) == s + 4, "%s: top-level leaf unmap: one sync",
		       g);
	}
	t_finish(&t);
}

/* ---------- unmap and the TLB ---------- */

static void test_tlb(const char *g)
{
	struct t t;
	struct vmc_arena *a;
	unsigned long va, p, t0, pfn;
	char buf[8] = "stale!!", back[8];

	if (!tap_ok(t_new(&t, g, 0, 4096, 0) == 0, "%s: arena", g))
		return;
	a = t.a;
	va = a->start + 7 * P;
	p = t_frames(&t, 0);
	vmc_pt_map(a, va, va + P, p, VMC_PROT_KERNEL, VMC_PAGE_SHIFT);
	tap_ok(vmc_bo_access(a, va, buf, sizeof(buf), true) == 0,
	       "%s: write fills the TLB", g);
	t0 = tables(a);
	vmc_pt_unmap(a, va, va + P);
	tap_ok(vmc_pt_lookup(a, va, &pfn, NULL, NULL) == -EFAULT &&
	       vmc_sim_walk(a->bs, va, NULL, NULL, NULL) == -EFAULT &&
	       tables(a) == t0, "%s: unmapped in the tables, tables kept", g);
	memset(back, 0, sizeof(back));
	tap_ok(vmc_bo_access(a, va, back, sizeof(back), false) == 0 &&
	       !memcmp(back, buf, sizeof(buf)),
	       "%s: stale TLB entry survives the unmap (no flush)", g);
	vmc_bo_flush_tlb(a, va, va + P);
	tap_ok(vmc_bo_access(a, va, back, sizeof(back), false) == -EFAULT,
	       "%s: gone after flush_tlb", g);
	t_finish(&t);
}

/* ---------- for_each_leaf ---------- */

struct seen {
	unsigned long va[16], pfn[16];
	unsigned int level[16], prot[16];
	int n, stop_at;
};

static int record(void *arg, unsigned long va, unsigned int level,
		  unsigned long pfn, unsigned int prot)
{
	struct seen *s = arg;

	if (s->n < 16) {
		s->va[s->n] = va;
		s->level[s->n] = level;
		s->pfn[s->n] = pfn;
		s->prot[s->n] = prot;
	}
	s->n++;
	return s->n == s->stop_at ? 7 : 0;
}

static void test_walk(const char *g)
{
	struct t t;
	struct vmc_arena *a;
	struct seen want, got;
	unsigned long pmd, top, hva;
	unsigned int s1;
	int i, j, ok;

	if (!tap_ok(t_new(&t, g, 0, 4096, 0) == 0, "%s: arena", g))
		return;
	a = t.a;
	s1 = shift_of(a, 1);
	pmd = 1UL << s1;
	top = span_of(a, a->info.geom.levels - 1);
	hva = align_up(a->start, pmd) + 2 * pmd;
	memset(&want, 0, sizeof(want));
	/* mapped out of address order: the last page, a leaf, the first... */
	want.va[0] = a->end - P;
	want.va[1] = hva;
	want.va[2] = a->start;
	want.va[3] = a->start + top;
	want.va[4] = a->start + top + P;
	want.n = 5;
	for (i = 0; i < want.n; i++) {
		unsigned int lv = want.va[i] == hva ? 1 : 0;
		unsigned int prot = i == 4 ? VMC_PROT_READ : VMC_PROT_KERNEL;

		want.level[i] = lv;
		want.prot[i] = prot;
		want.pfn[i] = t_frames(&t, lv ? s1 - VMC_PAGE_SHIFT : 0);
		tap_ok(vmc_pt_map(a, want.va[i], want.va[i] + (lv ? pmd : P),
				  want.pfn[i], prot, s1) == 0,
		       "%s: map leaf %d at 0x%lx", g, i, want.va[i]);
	}
	/* sort the expectation by address */
	for (i = 1; i < want.n; i++)
		for (j = i; j > 0 && want.va[j - 1] > want.va[j]; j--) {
			struct seen tmp = want;

			want.va[j] = tmp.va[j - 1]; want.va[j - 1] = tmp.va[j];
			want.pfn[j] = tmp.pfn[j - 1]; want.pfn[j - 1] = tmp.pfn[j];
			want.level[j] = tmp.level[j - 1];
			want.level[j - 1] = tmp.level[j];
			want.prot[j] = tmp.prot[j - 1];
			want.prot[j - 1] = tmp.prot[j];
		}
	memset(&got, 0, sizeof(got));
	tap_ok(vmc_pt_for_each_leaf(a, record, &got) == 0 && got.n == want.n,
	       "%s: for_each_leaf visits %d leaves (want %d)", g, got.n,
	       want.n);
	ok = got.n == want.n;
	for (i = 0; ok && i < want.n; i++)
		ok = got.va[i] == want.va[i] && got.pfn[i] == want.pfn[i] &&
		     got.level[i] == want.level[i] &&
		     (got.prot[i] & VMC_PROT_WRITE) ==
		     (want.prot[i] & VMC_PROT_WRITE);
	tap_ok(ok, "%s: leaves in address order with va, level, pfn, prot", g);
	memset(&got, 0, sizeof(got));
	got.stop_at = 2;
	tap_ok(vmc_pt_for_each_leaf(a, record, &got) == 7 && got.n == 2,
	       "%s: fn's non-zero return stops the walk", g);
	t_finish(&t);
}

/* ---------- the checker ---------- */

static void test_validate(const char *g)
{
	struct t t;
	struct vmc_arena *a;
	unsigned long va, p, table, t1;
	unsigned int lv, idx;
	char msg[256];
	vmc_pte_t e;

	if (!tap_ok(t_new(&t, g, 0, 4096, 0) == 0, "%s: arena", g))
		return;
	a = t.a;
	va = a->start;
	p = t_frames(&t, 0);
	vmc_pt_map(a, va, va + P, p, VMC_PROT_KERNEL, VMC_PAGE_SHIFT);
	msg[0] = 0;
	tap_ok(vmc_pt_validate(a, msg, sizeof(msg)) == 0, "%s: valid (%s)", g,
	       msg);
	a->frames_tables++;
	msg[0] = 0;
	tap_ok(vmc_pt_validate(a, msg, sizeof(msg)) == 6 && msg[0],
	       "%s: accounting mismatch -> 6 (%s)", g, msg);
	a->frames_tables--;

	/* Link the PTE table of va a second time, one level-1 entry on. */
	table = vmc_bo_root(a);
	for (lv = a->info.geom.levels - 1; lv > 1; lv--) {
		idx = (unsigned int)((va >> shift_of(a, lv)) &
				     ((1UL << a->info.geom.bits[lv]) - 1));
		table = vmc_bo_entry_pfn(a, lv, vmc_bo_read(a, table, lv, idx));
	}
	idx = (unsigned int)((va >> shift_of(a, 1)) &
			     ((1UL << a->info.geom.bits[1]) - 1));
	e = vmc_bo_read(a, table, 1, idx);
	t1 = vmc_bo_entry_pfn(a, 1, e);
	vmc_bo_write(a, table, 1, idx + 1, vmc_bo_mk_table(a, 1, t1),
		     va + span_of(a, 1));
	msg[0] = 0;
	tap_ok(vmc_pt_validate(a, msg, sizeof(msg)) == 4 && msg[0],
	       "%s: table reachable twice -> 4 (%s)", g, msg);
	vmc_bo_write(a, table, 1, idx + 1, 0, va + span_of(a, 1));
	tap_ok(vmc_pt_validate(a, msg, sizeof(msg)) == 0, "%s: valid again",
	       g);
	t_finish(&t);
}

int main(void)
{
	size_t i;

	for (i = 0; i < sizeof(geoms) / sizeof(geoms[0]); i++) {
		tap_diag("geometry %s", geoms[i]);
		test_small(geoms[i]);
		test_huge(geoms[i]);
		test_pud(geoms[i]);
		test_busy(geoms[i]);
		test_nomem(geoms[i]);
		test_sync(geoms[i]);
		test_tlb(geoms[i]);
		test_walk(geoms[i]);
		test_validate(geoms[i]);
	}
	return tap_done();
}
