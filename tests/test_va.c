/* SPDX-License-Identifier: MIT */
/*
 * test_va.c - white-box tests of the VA allocator (vmc_va.c).
 *
 * Theory: a small arena is created with vmc_arena_create() on the backend
 * chosen at run time (VMC_BACKEND: the suite runs this once per userspace
 * backend) and the vmc_va_* functions are driven directly (single thread,
 * no lock).  The backend's ops table is copied with flush_tlb wrapped, so
 * every TLB flush the allocator issues is counted and its range recorded.
 *
 * Layouts are written one token per area in address order, in pages from
 * the arena start: "B0-4 L4-6 F6-64" is busy [0,4), lazy [4,6), free
 * [6,64).  Because free blocks are listed as the allocator holds them,
 * an unmerged pair would show up as "F4-6 F6-8".  Drawings in comments use
 * one character per page: B busy, L lazy, . free, | a free-block edge.
 *
 * Part 2 is a long seeded random run (seed printed; argv[1] replays it)
 * compared after every step with a naive reference model: a sorted array
 * of busy/lazy intervals and a linear lowest fit.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "vmc_internal.h"
#include "vmc_backends.h"
#include "tap.h"

#define PG VMC_PAGE_SIZE

/* ---------- flush recording ---------- */

static struct vmc_backend_ops rec_ops;
static const struct vmc_backend_ops *base_ops;
static unsigned long flush_count, flush_lo, flush_hi;

static void rec_flush_tlb(void *bs, unsigned long start, unsigned long end)
{
	flush_count++;
	flush_lo = start;
	flush_hi = end;
	base_ops->flush_tlb(bs, start, end);
}

/* The mechanics tests below draw exact placement; t_linux_* set LINUX. */
static unsigned int placement = VMC_PLACEMENT_EXACT;

static struct vmc_arena *mk_arena(unsigned long pages, unsigned long lazy_max)
{
	struct vmc_arena_config cfg;
	struct vmc_arena *a = NULL;
	int err;

	base_ops = vmc_backend_default();
	if (!base_ops) {
		printf("Bail out! no backend named by VMC_BACKEND\n");
		exit(99);
	}
	rec_ops = *base_ops;
	rec_ops.flush_tlb = rec_flush_tlb;
	memset(&cfg, 0, sizeof(cfg));
	cfg.ops = &rec_ops;
	cfg.size = pages * PG;
	cfg.nr_frames = 1024;
	cfg.lazy_max_pages = lazy_max;
	cfg.placement = placement;
	cfg.flags = VMC_ARENA_QUIET;
	err = vmc_arena_create(&cfg, &a);
	if (err) {
		printf("Bail out! vmc_arena_create: %d\n", err);
		exit(1);
	}
	return a;
}

/* ---------- helpers ---------- */

static unsigned long pg(struct vmc_arena *a, unsigned long addr)
{
	return (addr - a->start) / PG;
}

/* Layout string of the three sets, merged in address order. */
static const char *layout(struct vmc_arena *a)
{
	static char buf[65536];
	struct vmc_vaset *sets[3] = { &a->vs.free, &a->vs.busy, &a->vs.lazy };
	const char tag[3] = { 'F', 'B', 'L' };
	struct vmc_list *cur[3];
	unsigned long s, e;
	size_t n = 0;
	int i;

	buf[0] = '\0';
	for (i = 0; i < 3; i++)
		cur[i] = sets[i]->head.next;
	for (;;) {
		struct vmc_va *low = NULL;
		int w = -1;

		for (i = 0; i < 3; i++) {
			struct vmc_va *va;

			if (cur[i] == &sets[i]->head)
				continue;
			va = vmc_list_entry(cur[i], struct vmc_va, list);
			if (!low || va->va_start < low->va_start) {
				low = va;
				w = i;
			}
		}
		if (!low)
			break;
		cur[w] = cur[w]->next;
		/* Free blocks reach beyond the arena: draw its part only. */
		if (!vmc_va_clip(a->start, a->end, low, &s, &e))
			continue;
		n += (size_t)snprintf(buf + n, sizeof(buf) - n, "%s%c%lu-%lu",
				      n ? " " : "", tag[w], pg(a, s), pg(a, e));
		if (n >= sizeof(buf))
			break;
	}
	return buf;
}

/* Free blocks with a part inside the arena. */
static unsigned long nfree(struct vmc_arena *a)
{
	struct vmc_list *pos;
	unsigned long n = 0, s, e;

	vmc_list_for_each(pos, &a->vs.free.head)
		n += vmc_va_clip(a->start, a->end,
				 vmc_list_entry(pos, struct vmc_va, list), &s, &e);
	return n;
}

static int check_layout(struct vmc_arena *a, const char *want,
			const char *what)
{
	const char *got = layout(a);
	int ok = tap_ok(strcmp(got, want) == 0, "%s: %s", what, want);

	if (!ok)
		tap_diag("got      %s", got);
	return ok;
}

static int check_valid(struct vmc_arena *a, const char *what)
{
	char msg[256];
	int r = vmc_va_validate(a, msg, sizeof(msg));

	if (!tap_ok(r == 0, "%s: vmc_va_validate() == 0", what))
		tap_diag("invariant %d: %s", r, msg);
	return r == 0;
}

/* Allocate `pages` at page-align `alp` (in pages) in the whole arena. */
static struct vmc_va *al(struct vmc_arena *a, unsigned long pages,
			 unsigned long alp)
{
	struct vmc_va *va = NULL;
	int err = vmc_va_alloc(a, pages * PG, alp * PG, a->start, a->end, &va);

	if (err) {
		tap_diag("alloc of %lu pages failed: %d", pages, err);
		return NULL;
	}
	return va;
}

static unsigned long metas(struct vmc_arena *a)
{
	return vmc_fault_count(a, VMC_FAULT_META);
}

/* ---------- part 1: scenarios ---------- */

static void t_init_and_lowest(void)
{
	struct vmc_arena *a = mk_arena(64, 1000);
	struct vmc_va *x, *y, *z;

	check_layout(a, "F0-64", "a new arena is one free block");
	check_valid(a, "new arena");

	/* BBBB.... -> BBBBBB.. : each allocation takes the lowest address */
	x = al(a, 4, 1);
	y = al(a, 2, 1);
	tap_ok(x && pg(a, x->va_start) == 0 && y && pg(a, y->va_start) == 4,
	       "lowest fit: 4 pages at 0, then 2 pages at 4");
	tap_ok(x && x->state == VMC_VA_BUSY && x->kind == VMC_VA_NONE,
	       "a new area is busy with kind NONE");
	check_layout(a, "B0-4 B4-6 F6-64", "two allocations");

	/* A hole below is preferred over the big block above. */
	vmc_va_free_now(a, x);
	z = al(a, 1, 1);
	tap_ok(z && pg(a, z->va_start) == 0, "a 1-page request goes to the hole at 0");
	check_layout(a, "B0-1 F1-4 B4-6 F6-64", "hole reused from its start");
	z = al(a, 4, 1);
	tap_ok(z && pg(a, z->va_start) == 6, "a 4-page request skips the 3-page hole");

	/* vmc_va_find: any address inside a busy area finds it. */
	tap_ok(vmc_va_find(a, y->va_start) == y &&
	       vmc_va_find(a, y->va_end - 1) == y &&
	       vmc_va_find(a, y->va_start + 123) == y,
	       "vmc_va_find finds an area by its first, last and a middle byte");
	tap_ok(vmc_va_find(a, a->start + 2 * PG) == NULL &&
	       vmc_va_find(a, a->end - 1) == NULL,
	       "vmc_va_find returns NULL in free space");
	check_valid(a, "after lowest-fit scenario");
	vmc_arena_destroy(a);
}

static void t_fit_types(void)
{
	struct vmc_arena *a = mk_arena(64, 1000);
	struct vmc_va *b[3], *v = NULL;
	unsigned long m;
	int err;

	b[0] = al(a, 4, 1);
	b[1] = al(a, 4, 1);
	b[2] = al(a, 4, 1);
	vmc_va_free_now(a, b[1]);
	/* BBBB|....|BBBB|....................  */
	check_layout(a, "B0-4 F4-8 B8-12 F12-64", "setup: a 4-page hole");

	/* Full fit: the hole is used up, the free block count drops. */
	m = metas(a);
	b[1] = al(a, 4, 1);
	/* BBBBBBBBBBBB|....................  */
	check_layout(a, "B0-4 B4-8 B8-12 F12-64", "full fit consumes the block");
	tap_ok(metas(a) == m, "full fit needs no metadata allocation");
	tap_ok(nfree(a) == 1, "one free block left after the full fit");

	/* Left edge: the block shrinks from its start. */
	m = metas(a);
	v = al(a, 2, 1);
	/* BBBBBBBBBBBBBB|..................  */
	check_layout(a, "B0-4 B4-8 B8-12 B12-14 F14-64", "left-edge fit");
	tap_ok(metas(a) == m + 1, "left edge needs one metadata allocation");

	/*
	 * At the arena's end: the free block goes on beyond it (the whole
	 * space is in the free tree), so this is a split, not a right edge.
	 */
	m = metas(a);
	err = vmc_va_alloc(a, 2 * PG, PG, a->start + 62 * PG, a->end, &v);
	/* BBBBBBBBBBBBBB|................|BB  */
	tap_ok(err == 0 && v && pg(a, v->va_start) == 62, "area at the arena's end, 62");
	check_layout(a, "B0-4 B4-8 B8-12 B12-14 F14-62 B62-64", "right end of the arena");
	tap_ok(metas(a) == m + 2, "the block beyond the arena stays: two metadata allocations");

	/* Right edge: [vstart, vend) puts the area at the block's end. */
	m = metas(a);
	err = vmc_va_alloc(a, 2 * PG, PG, a->start + 60 * PG, a->end, &v);
	/* BBBBBBBBBBBBBB|..............|BBBB  */
	tap_ok(err == 0 && v && pg(a, v->va_start) == 60, "right edge at 60");
	check_layout(a, "B0-4 B4-8 B8-12 B12-14 F14-60 B60-62 B62-64", "right-edge fit");
	tap_ok(metas(a) == m + 1, "right edge needs one metadata allocation");

	/* Split: the block keeps its right part, a new node takes the left. */
	m = metas(a);
	err = vmc_va_alloc(a, PG, PG, a->start + 20 * PG, a->end, &v);
	/* BBBBBBBBBBBBBB|......|B|.........|BB  */
	tap_ok(err == 0 && v && pg(a, v->va_start) == 20, "split at 20");
	check_layout(a, "B0-4 B4-8 B8-12 B12-14 F14-20 B20-21 F21-60 B60-62 B62-64",
		     "split fit");
	tap_ok(metas(a) == m + 2, "split needs two metadata allocations");
	tap_ok(nfree(a) == 2, "two free blocks after the split");
	check_valid(a, "after the four fit types");
	vmc_arena_destroy(a);
}

static void t_alignment(void)
{
	struct vmc_arena *a = mk_arena(64, 1000);
	struct vmc_va *v = NULL;
	unsigned long base_al;
	int err;

	/* The tests below assume the arena start is aligned to 1 GiB. */
	base_al = a->start & -a->start;
	if (!tap_ok(base_al >= (1UL << 30) || a->start == 0,
		    "arena start is 1 GiB aligned (0x%lx)", a->start)) {
		vmc_arena_destroy(a);
		return;
	}
	v = al(a, 1, 1);
	/* B.......|........ : 8-page aligned request lands at 8 */
	v = al(a, 1, 8);
	tap_ok(v && pg(a, v->va_start) == 8, "8-page alignment skips to page 8");
	check_layout(a, "B0-1 F1-8 B8-9 F9-64", "aligned allocation splits");
	v = al(a, 2, 4);
	tap_ok(v && pg(a, v->va_start) == 4, "4-page alignment uses the hole below");
	check_layout(a, "B0-1 F1-4 B4-6 F6-8 B8-9 F9-64", "second aligned split");

	/*
	 * A block big enough whose aligned range does not fit is skipped:
	 * B...|BB|..|B|.......|.....   F9-64: 16-aligned 8 pages -> 16.
	 * First make a free block of exactly 8 pages at 9..17 is not aligned,
	 * so request 8 pages aligned to 8 with vstart at 9: lowest is 16.
	 */
	err = vmc_va_alloc(a, 8 * PG, 8 * PG, a->start + 9 * PG, a->end, &v);
	tap_ok(err == 0 && pg(a, v->va_start) == 16,
	       "8-page aligned request from 9 lands at 16");

	/* Huge alignment: 1 GiB and above the arena size. */
	err = vmc_va_alloc(a, PG, 1UL << 30, a->start, a->end, &v);
	tap_ok(err == -ENOMEM, "1 GiB alignment with page 0 busy: -ENOMEM (%d)", err);
	err = vmc_va_alloc(a, PG, 1UL << 62, a->start, a->end, &v);
	tap_ok(err == -ENOMEM, "2^62 alignment: -ENOMEM, no overflow (%d)", err);
	err = vmc_va_alloc(a, PG, 1UL << 63, a->start, a->end, &v);
	tap_ok(err == -ENOMEM, "2^63 alignment: -ENOMEM, no overflow (%d)", err);
	check_layout(a, "B0-1 F1-4 B4-6 F6-8 B8-9 F9-16 B16-24 F24-64",
		     "failed huge-aligned requests change nothing");
	vmc_arena_destroy(a);

	a = mk_arena(64, 1000);
	err = vmc_va_alloc(a, 4 * PG, 1UL << 30, a->start, a->end, &v);
	tap_ok(err == 0 && v->va_start == a->start,
	       "1 GiB alignment at an aligned free arena start succeeds");
	err = vmc_va_alloc(a, 4 * PG, 128 * PG, a->start, a->end, &v);
	tap_ok(err == -ENOMEM, "alignment above the arena size with start busy: -ENOMEM");
	check_valid(a, "alignment");
	vmc_arena_destroy(a);
}

static void t_range(void)
{
	struct vmc_arena *a = mk_arena(64, 1000);
	struct vmc_va *v = NULL;
	int err;

	/* ..........BB......  */
	err = vmc_va_alloc(a, 2 * PG, PG, a->start + 10 * PG,
			   a->start + 20 * PG, &v);
	tap_ok(err == 0 && pg(a, v->va_start) == 10, "range [10,20): lands at 10");
	/* ..........BB...|.  [10,15) holds only 3 free pages */
	err = vmc_va_alloc(a, 4 * PG, PG, a->start + 10 * PG,
			   a->start + 15 * PG, &v);
	tap_ok(err == -ENOMEM, "range [10,15), 4 pages: only 3 free, -ENOMEM");
	err = vmc_va_alloc(a, 4 * PG, PG, a->start + 10 * PG,
			   a->start + 19 * PG, &v);
	tap_ok(err == 0 && pg(a, v->va_start) == 12, "range [10,19), 4 pages: at 12");
	err = vmc_va_alloc(a, 4 * PG, PG, a->start + 16 * PG,
			   a->start + 20 * PG, &v);
	tap_ok(err == 0 && pg(a, v->va_start) == 16, "exact range [16,20) fits");
	err = vmc_va_alloc(a, 8 * PG, PG, a->start + 60 * PG, a->end, &v);
	tap_ok(err == -ENOMEM, "range larger than the request window: -ENOMEM");
	err = vmc_va_alloc(a, 2 * PG, 4 * PG, a->start + PG, a->start + 9 * PG, &v);
	tap_ok(err == 0 && pg(a, v->va_start) == 4, "range [1,9) aligned to 4: at 4");
	/* ....BB....BBBBBBBBBB.... */
	check_layout(a, "F0-4 B4-6 F6-10 B10-12 B12-16 B16-20 F20-64",
		     "range-restricted layout");
	check_valid(a, "range");
	vmc_arena_destroy(a);
}

static void t_einval(void)
{
	struct vmc_arena *a = mk_arena(64, 1000);
	struct vmc_va *v = (struct vmc_va *)&v;
	unsigned long s = a->start, e = a->end;
	char before[65536];

	al(a, 3, 1);
	snprintf(before, sizeof(before), "%s", layout(a));
	tap_ok(vmc_va_alloc(a, 0, PG, s, e, &v) == -EINVAL && v == NULL,
	       "size 0: -EINVAL and *out cleared");
	tap_ok(vmc_va_alloc(a, PG + 1, PG, s, e, &v) == -EINVAL,
	       "size not page aligned: -EINVAL");
	tap_ok(vmc_va_alloc(a, PG, 0, s, e, &v) == -EINVAL, "align 0: -EINVAL");
	tap_ok(vmc_va_alloc(a, PG, 3 * PG, s, e, &v) == -EINVAL,
	       "align not a power of two: -EINVAL");
	tap_ok(vmc_va_alloc(a, PG, PG / 2, s, e, &v) == -EINVAL,
	       "align below PAGE_SIZE: -EINVAL");
	tap_ok(vmc_va_alloc(a, PG, PG, s - PG, e, &v) == -EINVAL,
	       "vstart below the arena: -EINVAL");
	tap_ok(vmc_va_alloc(a, PG, PG, s, e + PG, &v) == -EINVAL,
	       "vend above the arena: -EINVAL");
	tap_ok(vmc_va_alloc(a, PG, PG, s + 8 * PG, s + 8 * PG, &v) == -EINVAL,
	       "vstart == vend: -EINVAL");
	tap_ok(vmc_va_alloc(a, PG, PG, s + 9 * PG, s + 8 * PG, &v) == -EINVAL,
	       "vstart > vend: -EINVAL");
	tap_ok(vmc_va_alloc(a, 65 * PG, PG, s, e, &v) == -ENOMEM,
	       "bigger than the arena: -ENOMEM");
	tap_ok(strcmp(layout(a), before) == 0, "rejected calls change nothing");
	vmc_arena_destroy(a);
}

static void t_merge(void)
{
	struct vmc_arena *a = mk_arena(64, 1000);
	struct vmc_va *b[4];
	unsigned long n;
	int i;

	for (i = 0; i < 4; i++)
		b[i] = al(a, 4, 1);
	/* BBBB|BBBB|BBBB|BBBB|.......  */
	check_layout(a, "B0-4 B4-8 B8-12 B12-16 F16-64", "merge setup");

	/* No neighbour: BBBB|LLLL|BBBB -> BBBB|....|BBBB */
	vmc_va_free(a, b[1]);
	check_layout(a, "B0-4 L4-8 B8-12 B12-16 F16-64", "free goes to the lazy set");
	n = vmc_va_purge(a);
	tap_ok(n == 1, "purge returns 1 area");
	check_layout(a, "B0-4 F4-8 B8-12 B12-16 F16-64", "purge without free neighbours");

	/* Right neighbour: BBBB|LLLL|.... -> BBBB|........ */
	vmc_va_free(a, b[3]);
	vmc_va_purge(a);
	check_layout(a, "B0-4 F4-8 B8-12 F12-64", "purge merges with the right neighbour");
	tap_ok(nfree(a) == 2, "two free blocks after the right merge");

	/* Left neighbour: ....|LLLL|BBBB -> ........|BBBB */
	vmc_va_free(a, b[0]);
	vmc_va_purge(a);
	check_layout(a, "F0-8 B8-12 F12-64", "purge merges with the left neighbour");

	/* Both: ........|LLLL|....... -> ................ */
	vmc_va_free(a, b[2]);
	vmc_va_purge(a);
	check_layout(a, "F0-64", "purge merges with both neighbours");
	tap_ok(a->vs.free.nr == 1 && a->vs.busy.nr == 0 && a->vs.lazy.nr == 0,
	       "counts: one free block, nothing busy or lazy");
	tap_ok(a->vs.free.root.node &&
	       vmc_rb_entry(a->vs.free.root.node, struct vmc_va, rb)->va_start == 1 &&
	       vmc_rb_entry(a->vs.free.root.node, struct vmc_va, rb)->subtree_max_size ==
	       ~0UL - 1,
	       "the free tree is the whole space again: [1, ULONG_MAX)");
	check_valid(a, "after merges");

	/* Several lazy areas merging with each other in one purge. */
	for (i = 0; i < 4; i++)
		b[i] = al(a, 4, 1);
	vmc_va_free(a, b[1]);
	vmc_va_free(a, b[2]);
	vmc_va_free(a, b[0]);
	/* Linux's purge tree merges them: one lazy area. */
	check_layout(a, "L0-12 B12-16 F16-64", "three adjacent lazy areas are one");
	check_valid(a, "lazy areas merged with each other");
	n = vmc_va_purge(a);
	tap_ok(n == 1, "purge returns 1");
	check_layout(a, "F0-12 B12-16 F16-64", "adjacent lazy areas merge into one block");
	vmc_va_free_now(a, b[3]);
	check_layout(a, "F0-64", "free_now merges at once, no purge");
	tap_ok(a->vs.nr_purges == 5, "nr_purges counts 5 purges (%lu)",
	       a->vs.nr_purges);
	vmc_arena_destroy(a);
}

static void t_lazy_reuse_and_flush(void)
{
	struct vmc_arena *a = mk_arena(64, 1000);
	struct vmc_va *x, *y, *z, *w;
	unsigned long f0;

	x = al(a, 4, 1);
	vmc_va_free(a, x);
	/* LLLL|......  the lazy area is not handed out again */
	y = al(a, 4, 1);
	tap_ok(y && pg(a, y->va_start) == 4, "lazy range not reused before a purge");
	tap_ok(a->vs.lazy_pages == 4, "lazy_pages is 4");
	f0 = flush_count;
	tap_ok(vmc_va_purge(a) == 1 && flush_count == f0 + 1,
	       "purge of one lazy area: one flush");
	tap_ok(flush_lo == a->start && flush_hi == a->start + 4 * PG,
	       "the flush covers exactly [0,4)");
	z = al(a, 4, 1);
	tap_ok(z && pg(a, z->va_start) == 0, "after the purge the range is reused");

	/* Three scattered lazy areas: ONE flush over their whole span. */
	w = al(a, 2, 1);     /* 8-10 */
	x = al(a, 6, 1);     /* 10-16 */
	y = al(a, 1, 1);     /* 16-17 */
	al(a, 3, 1);         /* 17-20 */
	vmc_va_free(a, x);
	vmc_va_free(a, w);
	z = al(a, 1, 1);     /* 20 */
	vmc_va_free(a, z);
	/* BBBB|BBBB|LL|LLLLLL|B|BBB|L|.... */
	check_layout(a, "B0-4 B4-8 L8-16 B16-17 B17-20 L20-21 F21-64",
		     "three lazy areas, two of them merged");
	f0 = flush_count;
	tap_ok(vmc_va_purge(a) == 2, "purge returns 2");
	tap_ok(flush_count == f0 + 1, "exactly one flush for three areas (%lu)",
	       flush_count - f0);
	tap_ok(flush_lo == a->start + 8 * PG && flush_hi == a->start + 21 * PG,
	       "the flush spans [8,21) (got [%lu,%lu))", pg(a, flush_lo),
	       pg(a, flush_hi));
	f0 = flush_count;
	tap_ok(vmc_va_purge(a) == 0 && flush_count == f0,
	       "purging an empty lazy set flushes nothing");
	check_valid(a, "lazy reuse");
	vmc_arena_destroy(a);
}

static void t_auto_purge(void)
{
	struct vmc_arena *a = mk_arena(64, 8);
	struct vmc_va *b[6];
	unsigned long f0;
	int i;

	tap_ok(a->vs.lazy_max_pages == 8, "lazy_max_pages comes from the config");
	for (i = 0; i < 6; i++)
		b[i] = al(a, 4, 1);
	f0 = flush_count;
	vmc_va_free(a, b[0]);
	vmc_va_free(a, b[2]);
	/* LLLL|BBBB|LLLL|BBBB|BBBB|BBBB : 8 lazy pages, not above the limit */
	tap_ok(a->vs.lazy_pages == 8 && a->vs.nr_purges == 0 &&
	       flush_count == f0, "8 lazy pages == lazy_max_pages: no purge yet");
	vmc_va_free(a, b[4]);
	/* 12 > 8: the free itself purges everything */
	tap_ok(a->vs.lazy_pages == 0 && a->vs.lazy.nr == 0 &&
	       a->vs.nr_purges == 1 && flush_count == f0 + 1,
	       "12 lazy pages > 8: automatic purge with one flush");
	tap_ok(flush_lo == a->start && flush_hi == a->start + 20 * PG,
	       "the automatic flush spans [0,20)");
	check_layout(a, "F0-4 B4-8 F8-12 B12-16 F16-20 B20-24 F24-64",
		     "after the automatic purge");
	check_valid(a, "auto purge");
	vmc_arena_destroy(a);
}

static void t_purge_retry(void)
{
	struct vmc_arena *a = mk_arena(16, 1000);
	struct vmc_va *b[4], *v = NULL;
	unsigned long p0;
	int i, err;

	for (i = 0; i < 4; i++)
		b[i] = al(a, 4, 1);
	/* BBBB|BBBB|BBBB|BBBB : full */
	p0 = a->vs.nr_purges;
	err = vmc_va_alloc(a, PG, PG, a->start, a->end, &v);
	tap_ok(err == -ENOMEM && a->vs.nr_purges == p0,
	       "full arena, nothing lazy: -ENOMEM without a purge");
	vmc_va_free(a, b[1]);
	vmc_va_free(a, b[2]);
	/* BBBB|LLLL|LLLL|BBBB : no free space, 8 lazy pages */
	err = vmc_va_alloc(a, 6 * PG, PG, a->start, a->end, &v);
	tap_ok(err == 0 && pg(a, v->va_start) == 4 && a->vs.nr_purges == p0 + 1,
	       "no fit: purge, then the retry takes the purged range at 4");
	/* BBBB|BBBBBB|..|BBBB */
	check_layout(a, "B0-4 B4-10 F10-12 B12-16", "after purge and retry");
	vmc_va_free(a, v);
	err = vmc_va_alloc(a, 16 * PG, PG, a->start, a->end, &v);
	tap_ok(err == -ENOMEM && a->vs.nr_purges == p0 + 2 &&
	       a->vs.lazy.nr == 0,
	       "still no fit after the purge: -ENOMEM, lazy set purged once");
	check_layout(a, "B0-4 F4-12 B12-16", "the failed retry left the purge done");
	check_valid(a, "purge retry");
	vmc_arena_destroy(a);
}

static void t_meta_fault(void)
{
	struct vmc_arena *a = mk_arena(64, 1000);
	struct vmc_va *v = NULL, *x;
	char before[65536];
	unsigned long nth;
	int err;

	x = al(a, 4, 1);
	al(a, 4, 1);
	vmc_va_free_now(a, x);
	/* ....|BBBB|.......... */
	snprintf(before, sizeof(before), "%s", layout(a));

	/* Split needs two allocations; fail each one in turn. */
	for (nth = 1; nth <= 2; nth++) {
		vmc_fault_set(a, VMC_FAULT_META, nth);
		err = vmc_va_alloc(a, PG, PG, a->start + 1 * PG, a->end, &v);
		tap_ok(err == -ENOMEM && v == NULL,
		       "split with metadata allocation %lu failing: -ENOMEM", nth);
		tap_ok(strcmp(layout(a), before) == 0,
		       "the failed split left every set unchanged");
		vmc_fault_set(a, VMC_FAULT_META, 0);
	}
	/* Left edge needs one allocation. */
	vmc_fault_set(a, VMC_FAULT_META, 1);
	err = vmc_va_alloc(a, PG, PG, a->start, a->end, &v);
	tap_ok(err == -ENOMEM && strcmp(layout(a), before) == 0,
	       "left edge with metadata failing: -ENOMEM, unchanged");
	/* A full fit needs none: it succeeds even with a fault armed. */
	err = vmc_va_alloc(a, 4 * PG, PG, a->start, a->end, &v);
	tap_ok(err == 0 && pg(a, v->va_start) == 0,
	       "full fit succeeds with a metadata fault armed");
	vmc_fault_set(a, VMC_FAULT_META, 0);
	check_valid(a, "metadata faults");
	vmc_arena_destroy(a);
}

/* ---------- part 2: random run against a naive model ---------- */

#define RPAGES 2048UL
#define RLAZYMAX 48UL
#define RSTEPS 20000L
#define RMAX 1024

struct miv {
	unsigned long s, e;   /* absolute addresses */
	int lazy;
	struct vmc_va *va;    /* the core's area (busy only) */
};

static struct miv model[RMAX];
static int nmodel;
static unsigned long long rs;

static unsigned long rnd(void)
{
	rs ^= rs >> 12;
	rs ^= rs << 25;
	rs ^= rs >> 27;
	return (unsigned long)((rs * 2685821657736338717ULL) >> 16);
}

static bool m_align(unsigned long x, unsigned long al_, unsigned long *out)
{
	unsigned long r = (x + al_ - 1) & ~(al_ - 1);

	if (r < x)
		return false;
	*out = r;
	return true;
}

/* Linear lowest fit over the sorted intervals; false if none. */
static bool m_fit(unsigned long size, unsigned long al_, unsigned long vs,
		  unsigned long ve, unsigned long *out)
{
	unsigned long A;
	int i;

	if (!m_align(vs, al_, &A))
		return false;
	for (i = 0; i < nmodel; i++) {
		if (A > ve || ve - A < size)
			return false;
		if (model[i].e <= A)
			continue;
		if (model[i].s >= A + size)
			break;
		if (!m_align(model[i].e, al_, &A))
			return false;
	}
	if (A > ve || ve - A < size)
		return false;
	*out = A;
	return true;
}

static void m_insert(unsigned long s, unsigned long e, struct vmc_va *va)
{
	int i = nmodel;

	while (i > 0 && model[i - 1].s > s) {
		model[i] = model[i - 1];
		i--;
	}
	model[i].s = s;
	model[i].e = e;
	model[i].lazy = 0;
	model[i].va = va;
	nmodel++;
}

static void m_remove(int i)
{
	memmove(&model[i], &model[i + 1], (size_t)(nmodel - i - 1) * sizeof(model[0]));
	nmodel--;
}

static unsigned long m_purges, m_flushes, m_lazy_pages;

static void m_purge(void)
{
	int i, j = 0;

	if (!m_lazy_pages && !nmodel)
		return;
	for (i = 0; i < nmodel; i++)
		if (!model[i].lazy)
			model[j++] = model[i];
	if (j != nmodel) {
		m_flushes++;
		m_purges++;
	}
	nmodel = j;
	m_lazy_pages = 0;
}

static bool m_has_lazy(void)
{
	int i;

	for (i = 0; i < nmodel; i++)
		if (model[i].lazy)
			return true;
	return false;
}

static const char *m_layout(struct vmc_arena *a)
{
	static char buf[65536];
	unsigned long at = a->start;
	size_t n = 0;
	int i;

	buf[0] = '\0';
	for (i = 0; i <= nmodel; i++) {
		unsigned long s = i < nmodel ? model[i].s : a->end;

		if (s > at)
			n += (size_t)snprintf(buf + n, sizeof(buf) - n, "%sF%lu-%lu",
					      n ? " " : "", pg(a, at), pg(a, s));
		if (i == nmodel)
			break;
		at = model[i].e;
		/* Touching lazy areas are one (the core merges them). */
		while (model[i].lazy && i + 1 < nmodel && model[i + 1].lazy &&
		       model[i + 1].s == at)
			at = model[++i].e;
		n += (size_t)snprintf(buf + n, sizeof(buf) - n, "%s%c%lu-%lu",
				      n ? " " : "", model[i].lazy ? 'L' : 'B',
				      pg(a, s), pg(a, at));
	}
	return buf;
}

/*
 * Is [A, A+size) exactly a whole hole of the model?  The holes at the
 * arena's ends never are: the core's free blocks there reach beyond it.
 */
static bool m_full_fit(struct vmc_arena *a, unsigned long A, unsigned long size)
{
	unsigned long hs = 0, he = 0;
	int i;

	for (i = 0; i < nmodel; i++) {
		if (model[i].e <= A)
			hs = model[i].e;
		else {
			he = model[i].s;
			break;
		}
	}
	return hs == A && he == A + size;
}

static void t_random(unsigned long long seed)
{
	struct vmc_arena *a = mk_arena(RPAGES, RLAZYMAX);
	long step, bad_step = -1;
	unsigned long f0 = flush_count, allocs = 0, fails = 0, faults = 0;
	unsigned long frees = 0, maxlive = 0;
	char why[512] = "";

	rs = seed ? seed : 1;
	nmodel = 0;
	m_purges = m_flushes = m_lazy_pages = 0;
	for (step = 0; step < RSTEPS && bad_step < 0; step++) {
		/* Phases of 2000 steps: grow (70% allocs), then shrink (40%). */
		unsigned long op = rnd() % 100;
		unsigned long alloc_pct = step % 4000 < 2000 ? 70 : 40;
		char msg[256];
		int r;

		if (op < alloc_pct && nmodel < RMAX - 2) {
			unsigned long size = (rnd() % 100 < 90 ? 1 + rnd() % 8 :
					      1 + rnd() % 256) * PG;
			unsigned long al_ = PG, vs = a->start, ve = a->end, A = 0;
			unsigned long k = rnd() % 100;
			bool fault = rnd() % 10 == 0, ok;
			struct vmc_va *v = NULL;
			int err, want;

			if (k < 20)
				al_ = PG << (rnd() % 9);
			else if (k < 22)
				al_ = 1UL << (30 + rnd() % 33);
			if (rnd() % 100 < 30) {
				unsigned long p1 = rnd() % RPAGES;
				unsigned long p2 = p1 + 1 + rnd() % (RPAGES - p1);

				vs = a->start + p1 * PG;
				ve = a->start + p2 * PG;
			}
			/* The model's answer. */
			ok = m_fit(size, al_, vs, ve, &A);
			if (!ok && m_has_lazy()) {
				m_purge();
				ok = m_fit(size, al_, vs, ve, &A);
			}
			want = !ok ? -ENOMEM :
			       (fault && !m_full_fit(a, A, size)) ? -ENOMEM : 0;

			if (fault) {
				vmc_fault_set(a, VMC_FAULT_META, 1);
				faults++;
			}
			err = vmc_va_alloc(a, size, al_, vs, ve, &v);
			vmc_fault_set(a, VMC_FAULT_META, 0);
			allocs++;
			if (err)
				fails++;
			if (err != want || (!err && v->va_start != A)) {
				snprintf(why, sizeof(why),
					 "alloc(%lu pages, align 0x%lx, [%lu,%lu)%s): "
					 "core %d at %lu, model %d at %lu",
					 size / PG, al_, pg(a, vs), pg(a, ve),
					 fault ? ", fault" : "", err,
					 err ? 0 : pg(a, v->va_start), want,
					 want ? 0 : pg(a, A));
				bad_step = step;
				break;
			}
			if (!err)
				m_insert(A, A + size, v);
		} else if (op < 85 && nmodel) {
			/* Free a random busy area: lazily (3/4) or at once. */
			int i = (int)(rnd() % (unsigned long)nmodel), tries = 0;

			while (model[i].lazy && tries++ < nmodel)
				i = (i + 1) % nmodel;
			if (!model[i].lazy) {
				frees++;
				if (rnd() % 4) {
					model[i].lazy = 1;
					m_lazy_pages += (model[i].e - model[i].s) / PG;
					vmc_va_free(a, model[i].va);
					model[i].va = NULL;
					if (m_lazy_pages > RLAZYMAX)
						m_purge();
				} else {
					vmc_va_free_now(a, model[i].va);
					m_remove(i);
				}
			}
		} else if (op >= 95) {
			unsigned long n = vmc_va_purge(a);
			unsigned long want = 0;
			int i;

			/* Runs of touching lazy areas count once: merged. */
			for (i = 0; i < nmodel; i++)
				want += model[i].lazy &&
					!(i && model[i - 1].lazy &&
					  model[i - 1].e == model[i].s);
			m_purge();
			if (n != want) {
				snprintf(why, sizeof(why), "purge returned %lu, "
					 "model purged %lu", n, want);
				bad_step = step;
				break;
			}
		}
		if ((unsigned long)nmodel > maxlive)
			maxlive = (unsigned long)nmodel;

		/* Compare everything. */
		if (strcmp(layout(a), m_layout(a)) != 0) {
			snprintf(why, sizeof(why), "layouts differ");
			tap_diag("core:  %s", layout(a));
			tap_diag("model: %s", m_layout(a));
			bad_step = step;
			break;
		}
		r = vmc_va_validate(a, msg, sizeof(msg));
		if (r) {
			snprintf(why, sizeof(why), "validate: invariant %d: %s", r, msg);
			bad_step = step;
			break;
		}
		if (a->vs.lazy_pages != m_lazy_pages ||
		    a->vs.nr_purges != m_purges ||
		    flush_count - f0 != m_flushes) {
			snprintf(why, sizeof(why), "lazy_pages %lu/%lu, purges "
				 "%lu/%lu, flushes %lu/%lu (core/model)",
				 a->vs.lazy_pages, m_lazy_pages,
				 a->vs.nr_purges, m_purges,
				 flush_count - f0, m_flushes);
			bad_step = step;
			break;
		}
		/* vmc_va_find at a few random addresses. */
		for (int t = 0; t < 4; t++) {
			unsigned long addr = a->start + rnd() % (RPAGES * PG);
			struct vmc_va *want = NULL, *got;
			int i;

			for (i = 0; i < nmodel; i++)
				if (!model[i].lazy && addr >= model[i].s &&
				    addr < model[i].e)
					want = model[i].va;
			got = vmc_va_find(a, addr);
			if (got != want) {
				snprintf(why, sizeof(why), "vmc_va_find(page %lu) "
					 "wrong", pg(a, addr));
				bad_step = step;
				break;
			}
		}
	}
	tap_diag("random: %ld steps, %lu allocs (%lu failed, %lu with a "
		 "metadata fault), %lu frees, %lu purges, up to %lu areas",
		 step, allocs, fails, faults, frees, m_purges, maxlive);
	if (!tap_ok(bad_step < 0, "random run: core equals the model and "
		    "validates after every step"))
		tap_diag("step %ld: %s (replay with seed %llu)", bad_step, why,
			 seed);
	tap_ok(allocs > RSTEPS / 3 && fails > 0 && m_purges > 10 &&
	       maxlive > 100, "random run exercised allocs, failures and purges");
	vmc_arena_destroy(a);
}

/* Validation must notice broken sets (checks that it can fail). */
/*
 * The example, at both placements.  Offsets in pages:
 *
 *   BBBBBBBBBBBB|..|BB|..|BB|..|BB|.........   after the purge
 *   0           12 14 16 18 20 22 24
 *
 * A 2-page request aligned to 8 pages fits exactly at 16.  Linux searches
 * for a 2 + 8 - 1 page block: from the root it goes left to [1, start)
 * (the block below the arena), finds nothing there, rolls back to the
 * root, moves vstart past it and goes right: 24.  Exact placement: 16.
 */
static void t_linux_example(void)
{
	static const unsigned int modes[2] = { VMC_PLACEMENT_LINUX,
					       VMC_PLACEMENT_EXACT };
	static const unsigned long want[2] = { 24, 16 };
	int i, k;

	for (k = 0; k < 2; k++) {
		struct vmc_arena *a;
		struct vmc_va *six[6], *v = NULL;
		int err;

		placement = modes[k];
		a = mk_arena(64, 1000);
		al(a, 12, 1);
		for (i = 0; i < 6; i++)
			six[i] = al(a, 2, 1);
		for (i = 0; i < 6; i += 2)
			vmc_va_free(a, six[i]);
		vmc_va_purge(a);
		check_layout(a, "B0-12 F12-14 B14-16 F16-18 B18-20 F20-22 B22-24 F24-64",
			     k ? "exact: the example's holes" : "linux: the example's holes");
		err = vmc_va_alloc(a, 2 * PG, 8 * PG, a->start, a->end, &v);
		tap_ok(err == 0 && v && pg(a, v->va_start) == want[k],
		       "%s placement: 2 pages aligned to 8 at %lu (got %lu)",
		       k ? "exact" : "linux", want[k],
		       v ? pg(a, v->va_start) : 0);
		check_valid(a, k ? "exact example" : "linux example");
		vmc_arena_destroy(a);
	}
	placement = VMC_PLACEMENT_EXACT;
}

static void t_validate_detects(void)
{
	struct vmc_arena *a = mk_arena(64, 1000);
	struct vmc_va *x, *f;
	char msg[256];
	unsigned long saved;

	x = al(a, 4, 1);
	al(a, 4, 1);
	f = vmc_list_entry(a->vs.free.head.next, struct vmc_va, list);

	saved = f->subtree_max_size;
	f->subtree_max_size = 1;
	tap_ok(vmc_va_validate(a, msg, sizeof(msg)) == 3,
	       "wrong subtree_max_size reported as 3 (%s)", msg);
	f->subtree_max_size = saved;

	x->va_end -= PG;
	tap_ok(vmc_va_validate(a, msg, sizeof(msg)) == 1,
	       "a gap is reported as invariant 1 (%s)", msg);
	x->va_end += 2 * PG;
	tap_ok(vmc_va_validate(a, msg, sizeof(msg)) == 1,
	       "an overlap is reported as invariant 1 (%s)", msg);
	x->va_end -= PG;

	x->state = VMC_VA_LAZY;
	tap_ok(vmc_va_validate(a, msg, sizeof(msg)) == 3,
	       "a wrong state is reported as 3 (%s)", msg);
	x->state = VMC_VA_BUSY;

	a->vs.lazy_pages = 7;
	tap_ok(vmc_va_validate(a, msg, sizeof(msg)) == 3,
	       "a wrong lazy_pages is reported as 3 (%s)", msg);
	a->vs.lazy_pages = 0;
	tap_ok(vmc_va_validate(a, msg, sizeof(msg)) == 0,
	       "the repaired sets validate again");
	vmc_arena_destroy(a);
}

int main(int argc, char **argv)
{
	unsigned long long seed;

	if (argc > 1)
		seed = strtoull(argv[1], NULL, 0);
	else
		seed = (unsigned long long)time(NULL);
	tap_diag("seed %llu (replay: %s %llu)", seed, argv[0], seed);

	t_init_and_lowest();
	t_fit_types();
	t_alignment();
	t_range();
	t_einval();
	t_merge();
	t_lazy_reuse_and_flush();
	t_auto_purge();
	t_purge_retry();
	t_meta_fault();
	t_validate_detects();
	t_linux_example();
	t_random(seed);
	return tap_done();
}
