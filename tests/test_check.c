/* SPDX-License-Identifier: MIT */
/*
 * test_check.c - white-box tests of vmc_check(), the invariant checker.
 *
 * sim only: several corruptions go through the soft TLB and sim internals
 * (vmc_sim_tlb_count, a wrapped access slot); the real-MMU side of
 * invariant 5 is test_realmmu's.
 *
 * First a scenario built with the public API (vmalloc, vmalloc_huge,
 * vmap, ioremap, vm_map_ram in blocks and as a large record, vfree,
 * vm_unmap_ram, purge) must check clean after every step, on each sim
 * geometry.  Then, each on a fresh arena, one invariant is broken by hand
 * through the internal structures and the checker must name exactly that
 * invariant.  Every corruption is undone before the arena is destroyed
 * (and the arena must check clean again), so the sanitizers see a clean
 * teardown and each test also proves the check passes without the fault.
 *
 * Runs on the sim backend only: it reaches into the page tables and the
 * soft TLB.
 */
#include <stdio.h>
#include <string.h>

#include "vmc_internal.h"
#include "vmc_sim.h"
#include "tap.h"

#define PG VMC_PAGE_SIZE

static struct vmc_arena *mk_geo(const struct vmc_backend_ops *ops,
				const char *geometry)
{
	struct vmc_arena_config cfg;
	struct vmc_arena *a = NULL;
	int err;

	memset(&cfg, 0, sizeof(cfg));
	cfg.ops = ops;
	cfg.geometry = geometry;
	cfg.nr_frames = 16384;            /* 64 MiB of simulated RAM */
	cfg.size = 64UL << 20;            /* a 64 MiB arena */
	cfg.flags = VMC_ARENA_QUIET;
	err = vmc_arena_create(&cfg, &a);
	if (err) {
		printf("# arena_create(%s): %d\n", geometry ? geometry : "x86_64",
		       err);
		return NULL;
	}
	return a;
}

static struct vmc_arena *mk(void)
{
	return mk_geo(&vmc_sim_ops, NULL);
}

/*
 * vmc_check, with the violation printed as a TAP comment.  Every call also
 * runs the incremental vmc_check_changed() first, as if the last call had
 * changed the whole arena (the corruptions here are made by hand, so no
 * call recorded where): it must name the same invariant, which shows that
 * every check the full walk makes on these corruptions the per-range
 * checks make too.  That they look only where a call changed something is
 * test_incremental()'s business below.
 */
static int check(struct vmc_arena *a)
{
	struct vmc_violation v, vi;
	int inc, r;

	vmc_lock(&a->lock);
	vmc_dirty_add(a, a->start, a->end);
	vmc_unlock(&a->lock);
	inc = vmc_check_changed(a, &vi);
	r = vmc_check(a, &v);
	if (r)
		tap_diag("invariant %d: %s", v.invariant, v.msg);
	if (!tap_ok(inc == r, "  the incremental check agrees (%d)", inc))
		tap_diag("incremental: invariant %d: %s", vi.invariant, vi.msg);
	return r;
}

static void fill(struct vmc_arena *a, void *p, unsigned long len, int seed)
{
	unsigned char buf[256];
	unsigned long off, i;

	for (off = 0; off < len; off += sizeof(buf)) {
		unsigned long n = len - off < sizeof(buf) ? len - off
							   : sizeof(buf);

		for (i = 0; i < n; i++)
			buf[i] = (unsigned char)(seed + off + i * 7);
		vmc_write(a, (char *)p + off, buf, n);
	}
}

/* The table and index of the entry for va at `level`, walking from the root. */
static int slot(struct vmc_arena *a, unsigned long va, unsigned int level,
		unsigned long *table, unsigned int *idx)
{
	const struct vmc_geometry *g = &a->info.geom;
	unsigned long t = vmc_bo_root(a);
	unsigned int l = g->levels - 1;

	for (;;) {
		unsigned int i = (unsigned int)((va >> vmc_geom_shift(g, l)) &
						((1UL << g->bits[l]) - 1));
		vmc_pte_t e;

		if (l == level) {
			*table = t;
			*idx = i;
			return 0;
		}
		e = vmc_bo_read(a, t, l, i);
		if (!vmc_bo_present(a, l, e) || vmc_bo_is_leaf(a, l, e))
			return -1;
		t = vmc_bo_entry_pfn(a, l, e);
		l--;
	}
}

static struct vmc_vm *vm_at(struct vmc_arena *a, const void *p)
{
	struct vmc_va *va = vmc_va_find(a, (unsigned long)p);

	return va && va->kind == VMC_VA_VM ? va->u.vm : NULL;
}

/* ---------- the clean scenario ---------- */

static void scenario(const char *geometry)
{
	const char *g = geometry ? geometry : "x86_64";
	struct vmc_arena *a = mk_geo(&vmc_sim_ops, geometry);
	unsigned long pfns[70], big = 600 * PG;
	void *p1, *p2, *p3, *pv, *io, *r1, *r2, *r3, *pz;
	const struct vmc_vm_struct *ga, *gb;
	uint64_t dev;
	unsigned long devsz;
	unsigned int i, lvl;
	int ok = 1;

	if (!tap_ok(a != NULL, "%s: arena", g))
		return;
	tap_ok(check(a) == 0, "%s: empty arena checks clean", g);

	p1 = vmc_vmalloc(a, 5 * PG);
	p2 = vmc_vmalloc_huge(a, 4UL << 20);
	p3 = vmc_vmalloc(a, big);        /* 600 pfns: a vmalloc'ed array */
	for (i = 0; i < 70; i++)
		ok &= vmc_frame_alloc(a, VMC_NUMA_NO_NODE, &pfns[i]) == 0;
	pv = vmc_vmap(a, pfns, 3, VMC_VM_MAP, VMC_PROT_KERNEL);
	vmc_arena_device(a, &dev, &devsz);
	io = vmc_ioremap(a, dev + 0x1234, 0x2000);
	r1 = vmc_vm_map_ram(a, pfns + 3, 3, VMC_NUMA_NO_NODE);
	r2 = vmc_vm_map_ram(a, pfns + 6, 2, VMC_NUMA_NO_NODE);
	r3 = vmc_vm_map_ram(a, pfns, 70, VMC_NUMA_NO_NODE);
	tap_ok(ok && p1 && p2 && p3 && pv && io && r1 && r2 && r3,
	       "%s: vmalloc, vmalloc_huge, vmap, ioremap, vm_map_ram x3", g);
	fill(a, p1, 5 * PG, 1);
	fill(a, p2, 4UL << 20, 2);
	fill(a, p3, big, 3);
	fill(a, pv, 3 * PG, 4);
	fill(a, io, 0x2000, 5);
	fill(a, r1, 3 * PG, 6);
	lvl = 0;
	vmc_lock(&a->lock);
	vmc_pt_lookup(a, (unsigned long)p2, NULL, &lvl, NULL);
	vmc_unlock(&a->lock);
	tap_diag("%s: vmalloc_huge mapped with level-%u leaves", g, lvl);
	if (!geometry)
		tap_ok(lvl == 1, "%s: vmalloc_huge got PMD leaves", g);
	tap_ok(check(a) == 0, "%s: all kinds of areas check clean", g);

	/* Freed but not purged: unmapped, stale TLB entries still allowed. */
	tap_ok(vmc_vfree(a, p1) == 0 && vmc_vm_unmap_ram(a, r1, 3) == 0 &&
	       vmc_iounmap(a, io) == 0, "%s: vfree, vm_unmap_ram, iounmap", g);
	tap_ok(check(a) == 0, "%s: lazy areas and a dirty block check clean",
	       g);
	tap_ok(vmc_purge(a) >= 0 && check(a) == 0,
	       "%s: purged arena checks clean", g);

	/* vzalloc; vrealloc shrinking in place, then growing in place */
	pz = vmc_vzalloc(a, 9 * PG);
	tap_ok(pz && vmc_vrealloc(a, pz, 2 * PG, 0) == pz && check(a) == 0,
	       "%s: vzalloc + vrealloc shrink check clean", g);
	tap_ok(vmc_vrealloc(a, pz, 7 * PG, VMC_GFP_ZERO) == pz &&
	       check(a) == 0, "%s: vrealloc grow in place checks clean", g);

	/* areas without pages: nothing of them may be mapped */
	ga = vmc_get_vm_area(a, 3 * PG, VMC_VM_IOREMAP);
	gb = vmc_get_vm_area(a, 2 * PG, VMC_VM_NO_GUARD);
	tap_ok(ga && gb && check(a) == 0, "%s: get_vm_area (ioremap, no "
	       "guard) checks clean", g);
	tap_ok(vmc_remove_vm_area(a, (void *)ga->addr, NULL) == 0 &&
	       vmc_remove_vm_area(a, (void *)gb->addr, NULL) == 0 &&
	       check(a) == 0, "%s: remove_vm_area checks clean", g);

	vmc_vfree(a, pz);
	vmc_vfree(a, p2);
	vmc_vfree(a, p3);
	vmc_vunmap(a, pv);
	vmc_vm_unmap_ram(a, r2, 2);
	vmc_vm_unmap_ram(a, r3, 70);
	for (i = 0; i < 70; i++)
		vmc_frame_free(a, pfns[i]);
	tap_ok(check(a) == 0, "%s: everything freed checks clean", g);
	vmc_purge(a);
	tap_ok(check(a) == 0, "%s: and purged again", g);
	vmc_arena_destroy(a);
}

/* ---------- invariant 1 ---------- */

static void break_1(void)
{
	struct vmc_arena *a = mk();
	struct vmc_va *va, *vb;
	void *p, *q;

	/* AAAAAg|BBg|....free....   A: 5 pages + guard, B: 1 page + guard */
	p = vmc_vmalloc(a, 5 * PG);
	q = vmc_vmalloc(a, PG);
	vmc_lock(&a->lock);
	va = vmc_va_find(a, (unsigned long)p);
	vb = vmc_va_find(a, (unsigned long)q);
	vmc_unlock(&a->lock);
	if (!tap_ok(va && vb && va->va_end == vb->va_start,
		    "1: two adjacent busy areas"))
		return;

	/* AAAAA.|BBg|  A's range loses its guard page: a gap in no set */
	va->va_end -= PG;
	tap_ok(check(a) == 1, "1: a gap after a shrunk busy range is reported");
	va->va_end += PG;

	/* AAAAA[A|B]Bg  B's range starts one page early: overlap */
	vb->va_start -= PG;
	tap_ok(check(a) == 1, "1: overlapping busy ranges are reported");
	vb->va_start += PG;

	tap_ok(check(a) == 0, "1: repaired arena checks clean");
	vmc_vfree(a, p);
	vmc_vfree(a, q);
	vmc_arena_destroy(a);
}

/* ---------- invariant 2 ---------- */

static void break_2(void)
{
	struct vmc_arena *a = mk();
	unsigned long guard, pfn;
	struct vmc_vm *vm;
	void *p, *q;
	int r;

	/* AAAg...  map the guard page g to A's first frame */
	p = vmc_vmalloc(a, 3 * PG);
	vmc_lock(&a->lock);
	vm = vm_at(a, p);
	vmc_unlock(&a->lock);
	if (!tap_ok(vm != NULL, "2: area"))
		return;
	guard = (unsigned long)p + 3 * PG;
	pfn = vmc_pages_get(a, vm, 0);
	vmc_lock(&a->lock);
	r = vmc_pt_map(a, guard, guard + PG, pfn, VMC_PROT_KERNEL,
		       VMC_PAGE_SHIFT);
	vmc_unlock(&a->lock);
	tap_ok(r == 0 && check(a) == 2, "2: a mapped guard page is reported");
	vmc_lock(&a->lock);
	vmc_pt_unmap(a, guard, guard + PG);
	vmc_unlock(&a->lock);
	tap_ok(check(a) == 0, "2: guard unmapped again checks clean");

	/* vm_struct and vmap area disagree on the size */
	vm->pub.size += PG;
	tap_ok(check(a) == 2, "2: vm size differing from its range is "
	       "reported");
	vm->pub.size -= PG;

	/* A page order of 9 on an area of 3 pages: not whole huge frames */
	vm->pub.page_order = 9;
	tap_ok(check(a) == 2, "2: a page order the area cannot have is "
	       "reported");
	vm->pub.page_order = 0;

	tap_ok(check(a) == 0, "2: repaired arena checks clean");

	/*
	 * AAAgBBBBBg  B (5 pages) sits at +0x4000.  Flagged VM_IOREMAP it
	 * would need 32 KiB alignment (5 pages round up to 8).
	 */
	q = vmc_vmalloc(a, 5 * PG);
	vmc_lock(&a->lock);
	vm = vm_at(a, q);
	vmc_unlock(&a->lock);
	if (tap_ok(vm && ((unsigned long)q & 0x7fff),
		   "2: a 5-page area off 32 KiB alignment")) {
		vm->pub.flags |= VMC_VM_IOREMAP;
		tap_ok(check(a) == 2, "2: an ioremap area off its alignment "
		       "is reported");
		vm->pub.flags &= ~VMC_VM_IOREMAP;
	}
	tap_ok(check(a) == 0, "2: repaired arena checks clean");
	vmc_vfree(a, q);
	vmc_vfree(a, p);
	vmc_arena_destroy(a);
}

/* ---------- invariant 3 ---------- */

static unsigned long sms_of(struct vmc_rb_node *n)
{
	return n ? vmc_rb_entry(n, struct vmc_va, rb)->subtree_max_size : 0;
}

/* The free tree's augmentation, restated here (not borrowed from vmc_va.c). */
static bool upd(struct vmc_rb_node *n)
{
	struct vmc_va *va = vmc_rb_entry(n, struct vmc_va, rb);
	unsigned long m = vmc_va_size(va);

	m = VMC_MAX(m, sms_of(n->left));
	m = VMC_MAX(m, sms_of(n->right));
	if (va->subtree_max_size == m)
		return false;
	va->subtree_max_size = m;
	return true;
}

static const struct vmc_rb_augment aug = { upd };

static void free_insert(struct vmc_arena *a, struct vmc_va *nv)
{
	struct vmc_rb_node **link = &a->vs.free.root.node, *parent = NULL;

	while (*link) {
		struct vmc_va *t = vmc_rb_entry(*link, struct vmc_va, rb);

		parent = *link;
		link = nv->va_start < t->va_start ? &(*link)->left
						  : &(*link)->right;
	}
	nv->subtree_max_size = vmc_va_size(nv);
	vmc_rb_link(&nv->rb, parent, link);
	vmc_rb_insert(&a->vs.free.root, &nv->rb, &aug);
}

static void break_3(void)
{
	struct vmc_arena *a = mk();
	struct vmc_va *last, *nv;
	struct vmc_rb_node *n;
	void *p[8];
	unsigned long mid, end;
	int i, ok = 1;

	for (i = 0; i < 8; i++)
		ok &= (p[i] = vmc_vmalloc(a, (unsigned long)(i + 1) * PG)) != NULL;
	vmc_vfree(a, p[2]);
	vmc_vfree(a, p[5]);
	vmc_purge(a);
	/*
	 * (free below the arena)|00g11g..(free)..33333g444444g..(free)..
	 * 777g....(free up to ULONG_MAX)
	 */
	if (!tap_ok(ok && check(a) == 0 && a->vs.free.nr == 4,
		    "3: eight areas, two holes, four free blocks"))
		return;

	/* A wrong subtree_max_size in the free tree's root */
	n = a->vs.free.root.node;
	vmc_rb_entry(n, struct vmc_va, rb)->subtree_max_size += PG;
	tap_ok(check(a) == 3, "3: a wrong subtree_max_size is reported");
	vmc_rb_entry(n, struct vmc_va, rb)->subtree_max_size -= PG;

	/* ...777g|FFFF|FFFF  the last free block split in two, unmerged */
	last = vmc_list_entry(a->vs.free.head.prev, struct vmc_va, list);
	end = last->va_end;
	mid = last->va_start + ((end - last->va_start) / 2 & ~(PG - 1));
	nv = vmc_meta_alloc(a, sizeof(*nv));
	if (!tap_ok(nv != NULL, "3: metadata for a split"))
		return;
	nv->va_start = mid;
	nv->va_end = end;
	nv->state = VMC_VA_FREE;
	last->va_end = mid;
	vmc_rb_propagate(&last->rb, &aug);
	free_insert(a, nv);
	vmc_list_add(&nv->list, &last->list);
	a->vs.free.nr++;
	tap_ok(check(a) == 3, "3: two touching free blocks are reported");
	vmc_rb_erase(&a->vs.free.root, &nv->rb, &aug);
	vmc_list_del(&nv->list);
	a->vs.free.nr--;
	last->va_end = end;
	vmc_rb_propagate(&last->rb, &aug);
	vmc_meta_free(a, nv);
	tap_ok(check(a) == 0, "3: merged again checks clean");

	/* Recolour the lowest node of the busy tree (6 nodes, not the root). */
	n = vmc_rb_first(&a->vs.busy.root);
	if (tap_ok(n && n != a->vs.busy.root.node, "3: a non-root busy node")) {
		n->red = !n->red;
		tap_ok(check(a) == 3, "3: a recoloured node is reported");
		n->red = !n->red;
	}
	tap_ok(check(a) == 0, "3: repaired arena checks clean");
	for (i = 0; i < 8; i++)
		if (i != 2 && i != 5)
			vmc_vfree(a, p[i]);
	vmc_arena_destroy(a);
}

/* ---------- invariant 4 ---------- */

static void break_4(void)
{
	struct vmc_arena *a = mk();
	struct vmc_vm *vm;
	unsigned long addr, table, spare, pfn0, lazy_addr, free_addr;
	unsigned int idx;
	vmc_pte_t old;
	void *p, *q, *h;
	int r;

	p = vmc_vmalloc(a, 4 * PG);
	q = vmc_vmalloc(a, 2 * PG);
	vmc_frame_alloc(a, VMC_NUMA_NO_NODE, &spare);
	fill(a, p, 4 * PG, 9);
	vmc_lock(&a->lock);
	vm = vm_at(a, p);
	vmc_unlock(&a->lock);
	addr = (unsigned long)p + PG;
	if (!tap_ok(vm && q && slot(a, addr, 0, &table, &idx) == 0,
		    "4: area and the PTE of its second page"))
		return;
	old = vmc_bo_read(a, table, 0, idx);

	/* PPPPg  ->  P.PPg  page 1 of the area cleared by hand */
	vmc_bo_write(a, table, 0, idx, 0, addr);
	tap_ok(check(a) == 4, "4: an unmapped page of a busy area is reported");
	vmc_bo_write(a, table, 0, idx, old, addr);

	/* page 1 pointed at another frame */
	vmc_bo_write(a, table, 0, idx,
		     vmc_bo_mk_leaf(a, 0, spare, VMC_PROT_KERNEL), addr);
	tap_ok(check(a) == 4, "4: a leaf mapping a foreign frame is reported");
	vmc_bo_write(a, table, 0, idx, old, addr);

	/*
	 * The page array records another frame while the PTE still maps the
	 * old one.  This is the "data lands in a frame other than the
	 * recorded one" fault of invariant 7, but on sim the direct map and
	 * the mapping are the same memory, so it is seen first (and only) as
	 * a leaf that disagrees with its area's record: invariant 4.
	 */
	pfn0 = vmc_pages_get(a, vm, 0);
	vmc_pages_set(a, vm, 0, spare);
	tap_ok(check(a) == 4, "4: a page array that disagrees with the PTE "
	       "is reported");
	vmc_pages_set(a, vm, 0, pfn0);
	tap_ok(check(a) == 0, "4: repaired arena checks clean");

	/* PPPPgQQg.F..  a page of the free range mapped */
	free_addr = (unsigned long)q + 4 * PG;
	vmc_lock(&a->lock);
	r = vmc_pt_map(a, free_addr, free_addr + PG, spare, VMC_PROT_KERNEL,
		       VMC_PAGE_SHIFT);
	vmc_unlock(&a->lock);
	tap_ok(r == 0 && check(a) == 4, "4: a mapped page in a free range is "
	       "reported");
	vmc_lock(&a->lock);
	vmc_pt_unmap(a, free_addr, free_addr + PG);
	vmc_unlock(&a->lock);

	/* LLLLgQQg  after vfree(P): a page of the lazy range mapped again */
	vmc_vfree(a, p);
	lazy_addr = (unsigned long)p;
	tap_ok(check(a) == 0, "4: lazy area checks clean");
	vmc_lock(&a->lock);
	r = vmc_pt_map(a, lazy_addr, lazy_addr + PG, spare, VMC_PROT_KERNEL,
		       VMC_PAGE_SHIFT);
	vmc_unlock(&a->lock);
	tap_ok(r == 0 && check(a) == 4, "4: a mapped page in a lazy range is "
	       "reported");
	vmc_lock(&a->lock);
	vmc_pt_unmap(a, lazy_addr, lazy_addr + PG);
	vmc_unlock(&a->lock);
	tap_ok(check(a) == 0, "4: repaired arena checks clean");

	/* IIIg  an ioremap area with its last page cleared by hand */
	{
		uint64_t dev;
		unsigned long devsz, last;
		void *io;

		vmc_arena_device(a, &dev, &devsz);
		io = vmc_ioremap(a, dev + 0x10, 3 * PG);
		last = (unsigned long)io - 0x10 + 3 * PG;  /* 4th page mapped */
		if (tap_ok(io && slot(a, last, 0, &table, &idx) == 0,
			   "4: ioremap of 3 pages + 0x10 maps 4 pages")) {
			old = vmc_bo_read(a, table, 0, idx);
			vmc_bo_write(a, table, 0, idx, 0, last);
			tap_ok(check(a) == 4, "4: an unmapped ioremap page is "
			       "reported");
			vmc_bo_write(a, table, 0, idx, old, last);
		}
		tap_ok(check(a) == 0 && vmc_iounmap(a, io) == 0,
		       "4: repaired ioremap checks clean, unmaps");
	}

	/* A huge leaf in an area that says it has small pages */
	/* 4 MiB: Linux wants a PMD's worth per node, and sim has 2 nodes */
	h = vmc_vmalloc_huge(a, 4UL << 20);
	vmc_lock(&a->lock);
	vm = vm_at(a, h);
	vmc_unlock(&a->lock);
	if (vm && vm->pub.page_order) {
		unsigned int lvl = 0;

		vmc_pt_lookup(a, (unsigned long)h, NULL, &lvl, NULL);
		vm->pub.page_order = 0;
		tap_ok(lvl == 1 && check(a) == 4,
		       "4: a huge leaf where the area has order 0 is reported");
		vm->pub.page_order = 9;
	} else {
		tap_skip("4: vmalloc_huge got no huge pages here");
	}
	tap_ok(check(a) == 0, "4: repaired arena checks clean");
	vmc_vfree(a, h);
	vmc_vfree(a, q);
	vmc_frame_free(a, spare);
	vmc_arena_destroy(a);
}

/* ---------- invariant 5 ---------- */

static void no_flush(void *bs, unsigned long start, unsigned long end)
{
	(void)bs;
	(void)start;
	(void)end;
}

static void break_5(void)
{
	struct vmc_arena *a = mk();
	const struct vmc_backend_ops *real;
	struct vmc_backend_ops noflush;
	unsigned long t0, t1, f0, f1, start;
	unsigned int i0, i1;
	struct vmc_vm *vm;
	vmc_pte_t e0, e1;
	unsigned char b;
	void *p;

	/* PP g: write both pages, so the TLB holds both translations */
	p = vmc_vmalloc(a, 2 * PG);
	fill(a, p, 2 * PG, 3);
	vmc_lock(&a->lock);
	vm = vm_at(a, p);
	vmc_unlock(&a->lock);
	start = (unsigned long)p;
	if (!tap_ok(vm && slot(a, start, 0, &t0, &i0) == 0 &&
		    slot(a, start + PG, 0, &t1, &i1) == 0 &&
		    vmc_sim_tlb_count(vmc_arena_backend_state(a)) >= 2,
		    "5: area with both pages in the TLB"))
		return;

	/*
	 * Remap without a flush: swap the two frames in the page array and in
	 * the PTEs.  Tables and array agree (4 holds), the TLB is stale.
	 */
	f0 = vmc_pages_get(a, vm, 0);
	f1 = vmc_pages_get(a, vm, 1);
	e0 = vmc_bo_read(a, t0, 0, i0);
	e1 = vmc_bo_read(a, t1, 0, i1);
	vmc_pages_set(a, vm, 0, f1);
	vmc_pages_set(a, vm, 1, f0);
	vmc_bo_write(a, t0, 0, i0, e1, start);
	vmc_bo_write(a, t1, 0, i1, e0, start + PG);
	tap_ok(check(a) == 5, "5: a stale translation after a remap is "
	       "reported");
	vmc_lock(&a->lock);
	vmc_bo_flush_tlb(a, start, start + 2 * PG);
	vmc_unlock(&a->lock);
	tap_ok(check(a) == 0, "5: after the flush it checks clean");

	/* LLg: freed, stale entries allowed while the range is lazy */
	vmc_read(a, p, &b, 1);
	vmc_vfree(a, p);
	tap_ok(check(a) == 0, "5: stale TLB entries in a lazy range are fine");

	/* ..free..: purged with the flush swallowed: stale entries in free */
	real = a->ops;
	noflush = *real;
	noflush.flush_tlb = no_flush;
	vmc_lock(&a->lock);
	a->ops = &noflush;
	vmc_va_purge(a);
	a->ops = real;
	vmc_unlock(&a->lock);
	tap_ok(check(a) == 5, "5: a TLB entry in a free range is reported");
	vmc_lock(&a->lock);
	vmc_bo_flush_tlb(a, start, start + 3 * PG);
	vmc_unlock(&a->lock);
	tap_ok(check(a) == 0, "5: after the flush it checks clean");
	vmc_arena_destroy(a);
}

/* ---------- invariant 6 ---------- */

static void break_6(void)
{
	struct vmc_arena *a = mk();
	unsigned long pfn;
	void *p;
	int r;

	p = vmc_vmalloc(a, 3 * PG);
	if (!tap_ok(p && check(a) == 0, "6: area"))
		return;

	/* a frame taken from the backend and recorded nowhere */
	vmc_lock(&a->lock);
	r = vmc_bo_frame_alloc(a, VMC_NUMA_NO_NODE, 0, &pfn);
	vmc_unlock(&a->lock);
	tap_ok(r == 0 && check(a) == 6, "6: a leaked frame is reported");
	vmc_lock(&a->lock);
	vmc_bo_frame_free(a, pfn, 0);
	vmc_unlock(&a->lock);

	a->frames_data++;
	tap_ok(check(a) == 6, "6: frames_data off by one is reported");
	a->frames_data--;

	a->frames_tables++;
	tap_ok(check(a) == 6, "6: frames_tables off by one is reported");
	a->frames_tables--;

	a->frames_harness++;
	tap_ok(check(a) == 6, "6: frames_harness off by one is reported");
	a->frames_harness--;

	tap_ok(check(a) == 0, "6: repaired arena checks clean");
	vmc_vfree(a, p);
	vmc_arena_destroy(a);
}

/* ---------- invariant 7 ---------- */

/*
 * On sim a mapping and the direct map are the same bytes, so data can only
 * disagree if the path through the virtual address is broken.  This
 * backend's access() flips the bytes it reads while `garble` is set: the
 * tables, the TLB and the accounting are all right, only the data seen
 * through the area differs from the recorded frame.
 */
static int garble;

static int garbled_access(void *bs, unsigned long va, void *buf, size_t len,
			  bool write)
{
	int r = vmc_sim_ops.access(bs, va, buf, len, write);
	size_t i;

	if (!r && !write && garble)
		for (i = 0; i < len; i++)
			((unsigned char *)buf)[i] ^= 0x5a;
	return r;
}

static void break_7(void)
{
	struct vmc_backend_ops ops = vmc_sim_ops;
	struct vmc_arena *a;
	void *p;

	ops.access = garbled_access;
	a = mk_geo(&ops, NULL);
	p = a ? vmc_vmalloc(a, 6 * PG) : NULL;
	if (!tap_ok(p != NULL, "7: area on a garbling backend"))
		return;
	fill(a, p, 6 * PG, 11);
	tap_ok(check(a) == 0, "7: checks clean while reads are honest");
	garble = 1;
	tap_ok(check(a) == 7, "7: data differing from the recorded frame is "
	       "reported");
	garble = 0;
	tap_ok(check(a) == 0, "7: honest again, checks clean");
	vmc_vfree(a, p);
	vmc_arena_destroy(a);
}

/* ---------- the incremental check looks where calls changed things ---------- */

static void test_incremental(void)
{
	struct vmc_arena *a = mk();
	struct vmc_violation v;
	struct vmc_vm *vm;
	void *p, *gap, *q;

	/* PPPg|.....64 pages.....g|Qg   P corrupted by hand, Q touched */
	p = vmc_vmalloc(a, 3 * PG);
	gap = vmc_vmalloc(a, 64 * PG);
	q = vmc_vmalloc(a, PG);
	vmc_lock(&a->lock);
	vm = vm_at(a, p);
	vmc_unlock(&a->lock);
	if (!tap_ok(vm && gap && q && vmc_check(a, &v) == 0,
		    "incremental: three areas, checked clean"))
		return;
	vm->pub.size += PG;             /* P's vm_struct disagrees (2) */
	vmc_write(a, q, "x", 1);
	tap_ok(vmc_check_changed(a, &v) == 0,
	       "incremental: a corruption far from what calls changed is "
	       "not looked at");
	tap_ok(vmc_check(a, &v) == 2, "incremental: the full check finds it");
	vmc_write(a, (char *)p + PG, "x", 1);
	tap_ok(vmc_check_changed(a, &v) == 2,
	       "incremental: once a call touches P, the incremental check "
	       "alone finds it");
	vm->pub.size -= PG;
	tap_ok(vmc_check_changed(a, &v) == 0 && vmc_check(a, &v) == 0,
	       "incremental: repaired, both check clean");
	vmc_vfree(a, gap);
	/* Freed: P's neighbour changed, so P is in the widened range. */
	vm->pub.page_order = 9;
	tap_ok(vmc_check_changed(a, &v) == 2,
	       "incremental: a neighbour of a freed range is looked at too");
	vm->pub.page_order = 0;
	vmc_vfree(a, p);
	vmc_vfree(a, q);
	tap_ok(vmc_check(a, &v) == 0, "incremental: all freed checks clean");
	vmc_arena_destroy(a);
}

int main(void)
{
	scenario(NULL);
	scenario("la57");
	scenario("i386");
	break_1();
	break_2();
	break_3();
	break_4();
	break_5();
	break_6();
	break_7();
	test_incremental();
	return tap_done();
}
