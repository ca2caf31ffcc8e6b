/* SPDX-License-Identifier: MIT */
/*
 * test_sync.c - a missed sync (arch_sync_kernel_mappings) must be caught.
 *
 * sim in every geometry, and mmap (x86_64): both keep the other
 * page-table roots' copy of the root that only sync() updates
 * (backends/sim/sim_sync.c).  On sim the CPU walks the top level from that
 * copy, so an unsynced entry also faults or translates stale; on mmap the
 * host MMU needs no sync and only vmc_check() sees it.
 *
 * Each way the core changes a root entry runs twice: on the backend as it
 * is, where it must check clean (the core synced), and on the backend with
 * its sync hook cut for that one call ("lost"), where vmc_check() must
 * report invariant 4, "not synced".  The second run shows the check sees
 * the class of bug; the first that the core has none.  The ways:
 *
 *   map      a vmalloc that links a new root entry
 *              root: [ . . . ]  ->  [ T . . ]
 *   failmap  a vmalloc straddling two root entries whose second table
 *            allocation fails: the first entry's tables stay linked
 *              root: [ . . . ]  ->  [ T . . ]   (and vmalloc fails)
 *   unmap    a vfree of top-level leaves (where the root holds leaves:
 *            i386 4 MiB pages)
 *              root: [ L L . ]  ->  [ . . . ]
 *   replace  a huge vmalloc over an emptied table: the table is freed and
 *            a top-level leaf takes its entry (i386)
 *              root: [ T . . ]  ->  [ L L . ]
 *   fini     the teardown that frees every table (checked by the backend's
 *            fini, which panics when the copy differs from the root then;
 *            here a wrapper looks first and repairs, to report it)
 *
 * The calls go through the core's internal entry points under the arena
 * lock, not the public ones: in a --enable-debug build the public calls
 * check after themselves and would panic on the very violation the lost
 * runs want to see.
 */
#include <stdio.h>
#include <string.h>

#include "vmc_internal.h"
#include "vmc_backends.h"
#include "vmc_sim.h"
#include "tap.h"

#define PG VMC_PAGE_SIZE

static const struct vmc_backend_ops *base;
static struct vmc_backend_ops wrapped;
static bool drop;                       /* cut the sync hook while set */
static unsigned long dropped;
static int fini_synced;                 /* -1 unknown, 0 no, 1 yes */

static void w_sync(void *bs, unsigned long start, unsigned long end,
		   unsigned int mask)
{
	if (drop) {
		dropped++;
		return;
	}
	base->sync(bs, start, end, mask);
}

/* After the core's teardown: has the copy caught up with the root? */
static unsigned int w_levels, w_bits_top, w_esize;

static void w_fini(void *bs)
{
	const void *copy = base->sync_copy(bs);
	const void *root = base->table_entries(bs, base->root(bs),
					       w_levels - 1);

	fini_synced = copy && root &&
		      !memcmp(copy, root, (size_t)w_esize << w_bits_top);
	/* The backend's fini panics on a lagging copy: repair it first. */
	base->sync(bs, 0, ~0UL, 1u << (w_levels - 1));
	base->fini(bs);
}

static void use(const struct vmc_backend_ops *ops)
{
	base = ops;
	wrapped = *ops;
	wrapped.sync = w_sync;
	wrapped.fini = w_fini;
}

static struct vmc_arena *arena(const char *geom)
{
	struct vmc_arena_config cfg;
	struct vmc_arena *a;

	memset(&cfg, 0, sizeof(cfg));
	cfg.ops = &wrapped;
	cfg.geometry = geom;
	cfg.nr_frames = 8192;
	cfg.flags = VMC_ARENA_QUIET;
	if (vmc_arena_create(&cfg, &a))
		return NULL;
	w_levels = a->info.geom.levels;
	w_bits_top = a->info.geom.bits[w_levels - 1];
	w_esize = a->info.geom.entry_size;
	return a;
}

static unsigned long top_span(struct vmc_arena *a)
{
	return 1UL << vmc_geom_shift(&a->info.geom, a->info.geom.levels - 1);
}

static bool top_leaves(struct vmc_arena *a)
{
	return a->info.geom.leaf_levels & (1u << (a->info.geom.levels - 1));
}

static struct vmc_vm *alloc(struct vmc_arena *a, unsigned long size,
			    unsigned long start, unsigned long flags)
{
	struct vmc_vm *vm;
	int err = 0;

	vmc_lock(&a->lock);
	vm = vmc__vmalloc_node_range(a, size, PG, start, a->end, 0,
				     VMC_PROT_KERNEL, flags, VMC_NUMA_NO_NODE,
				     "test_sync", &err);
	vmc_unlock(&a->lock);
	return vm;
}

static void vfree_vm(struct vmc_arena *a, struct vmc_vm *vm)
{
	vmc_lock(&a->lock);
	vmc__vfree(a, vm);
	vmc_unlock(&a->lock);
}

static void purge(struct vmc_arena *a)
{
	vmc_lock(&a->lock);
	vmc_va_purge(a);
	vmc_unlock(&a->lock);
}

/* vmc_check's verdict: 0, or 4 with "not synced" (anything else: -1). */
static int verdict(struct vmc_arena *a, const char *what)
{
	struct vmc_violation v;
	int r = vmc_check(a, &v);

	if (!r)
		return 0;
	tap_diag("%s: invariant %d: %s", what, v.invariant, v.msg);
	return r == 4 && strstr(v.msg, "not synced") ? 4 : -1;
}

/* The CPU's view of one byte: 0 if it reads, else the error. */
static int cpu_read(struct vmc_arena *a, unsigned long va)
{
	unsigned char b;

	return vmc_read(a, (const void *)va, &b, 1);
}

static bool on_sim(void)
{
	return base == &vmc_sim_ops;
}

/*
 * One way, in both runs.  `step` does the change with drop set as `lost`
 * says; it returns the address whose CPU view a missed sync breaks (0:
 * none to look at) and whether the CPU should then reach it.
 */
typedef unsigned long (*step_fn)(struct vmc_arena *a, bool lost,
				 bool *reach);

static void way(const char *geom, const char *name, step_fn step)
{
	int lost;

	for (lost = 0; lost < 2; lost++) {
		const char *run = lost ? "lost" : "synced";
		struct vmc_arena *a = arena(geom);
		unsigned long va, before;
		bool reach = false;
		char what[96];
		int v;

		snprintf(what, sizeof(what), "%s %s: %s %s", base->name, geom,
			 name, run);
		if (!a) {
			tap_ok(0, "%s: arena", what);
			continue;
		}
		before = dropped;
		va = step(a, lost, &reach);
		drop = false;
		v = verdict(a, what);
		if (lost)
			tap_ok(v == 4 && dropped > before,
			       "%s: the check reports the root entry not synced",
			       what);
		else
			tap_ok(v == 0, "%s: checks clean", what);
		if (va && on_sim()) {
			bool ok = lost ? (cpu_read(a, va) == 0) != reach :
					 (cpu_read(a, va) == 0) == reach;

			tap_ok(ok, "%s: the CPU %s 0x%lx", what,
			       lost ? (reach ? "faults at" : "still reaches") :
			       (reach ? "reaches" : "faults at"),
			       va - a->start);
		}
		if (lost) {
			/* Repair, so the teardown starts from a synced root. */
			vmc_lock(&a->lock);
			vmc_bo_sync(a, a->start, a->end, a->info.geom.sync_levels);
			vmc_unlock(&a->lock);
		}
		vmc_arena_destroy(a);
	}
}

static unsigned long step_map(struct vmc_arena *a, bool lost, bool *reach)
{
	struct vmc_vm *vm;

	drop = lost;
	vm = alloc(a, 2 * PG, a->start, 0);
	*reach = vm != NULL;
	return vm ? vm->pub.addr : 0;
}

/*
 * The failed map's entry links tables that map nothing, so the CPU cannot
 * tell yet; it can once a later vmalloc maps a page below that entry, which
 * writes no root entry and so calls no sync: on hardware that page would
 * fault for ever in every other address space.
 */
static unsigned long step_failmap(struct vmc_arena *a, bool lost, bool *reach)
{
	unsigned long span = top_span(a);
	unsigned long at = ((a->start + span - 1) & ~(span - 1)) + span - PG;
	struct vmc_vm *vm;

	/* The tables of the first root entry, then the second's first one. */
	vmc_fault_set(a, VMC_FAULT_TABLE, a->info.geom.levels);
	drop = lost;
	vm = alloc(a, 2 * PG, at, 0);
	drop = false;
	tap_ok(!vm && a->frames_tables == a->info.geom.levels - 1,
	       "%s %s: the straddling vmalloc fails with the first entry's "
	       "%u tables linked (%lu)", base->name, a->info.geom.name,
	       a->info.geom.levels - 1, a->frames_tables);
	vm = alloc(a, PG, at, 0);
	*reach = vm && vm->pub.addr == at;
	return *reach ? at : 0;
}

static unsigned long step_unmap(struct vmc_arena *a, bool lost, bool *reach)
{
	/* Twice the span: vmalloc goes huge when each node's share is. */
	struct vmc_vm *vm = alloc(a, 2 * top_span(a), a->start,
				  VMC_VM_ALLOW_HUGE_VMAP);
	unsigned int level = 0;

	if (vm)
		vmc_pt_lookup(a, vm->pub.addr, NULL, &level, NULL);
	tap_ok(vm && level == a->info.geom.levels - 1,
	       "%s %s: a huge vmalloc maps top-level leaves", base->name,
	       a->info.geom.name);
	if (!vm)
		return 0;
	drop = lost;
	vfree_vm(a, vm);
	drop = false;
	purge(a);               /* the TLB forgets it: only the copy remains */
	*reach = false;
	return a->start;
}

static unsigned long step_replace(struct vmc_arena *a, bool lost, bool *reach)
{
	struct vmc_vm *vm = alloc(a, 2 * PG, a->start, 0);
	unsigned int level = 0;
	unsigned long table = 0;

	if (vm) {
		unsigned int top = a->info.geom.levels - 1;
		unsigned int idx = (unsigned int)(a->start / top_span(a)) &
				   ((1u << a->info.geom.bits[top]) - 1);
		vmc_pte_t e = vmc_bo_read(a, vmc_bo_root(a), top, idx);

		if (vmc_bo_present(a, top, e) && !vmc_bo_is_leaf(a, top, e))
			table = vmc_bo_entry_pfn(a, top, e);
		vfree_vm(a, vm);
	}
	purge(a);
	drop = lost;
	vm = alloc(a, 2 * top_span(a), a->start, VMC_VM_ALLOW_HUGE_VMAP);
	drop = false;
	if (vm)
		vmc_pt_lookup(a, vm->pub.addr, NULL, &level, NULL);
	tap_ok(vm && vm->pub.addr == a->start && table &&
	       level == a->info.geom.levels - 1,
	       "%s %s: the huge vmalloc frees the emptied table for its leaf",
	       base->name, a->info.geom.name);
	*reach = vm != NULL;
	return vm ? vm->pub.addr : 0;
}

/* The teardown: its verdict comes from the backend's fini. */
static void way_fini(const char *geom)
{
	int lost;

	for (lost = 0; lost < 2; lost++) {
		struct vmc_arena *a = arena(geom);

		if (!tap_ok(a && alloc(a, 2 * PG, a->start, 0),
			    "%s %s: fini: arena and a vmalloc", base->name,
			    geom)) {
			if (a)
				vmc_arena_destroy(a);
			continue;
		}
		fini_synced = -1;
		drop = lost;
		vmc_arena_destroy(a);   /* quiet arena: the leak is not logged */
		drop = false;
		tap_ok(fini_synced == !lost, "%s %s: fini %s: the copy %s the "
		       "root at the backend's fini", base->name, geom,
		       lost ? "lost" : "synced",
		       lost ? "lags behind" : "equals");
	}
}

static void geometry(const char *geom)
{
	way(geom, "map", step_map);
	way(geom, "failmap", step_failmap);
	{
		struct vmc_arena *a = arena(geom);
		bool leaves = a && top_leaves(a);

		if (a)
			vmc_arena_destroy(a);
		if (leaves) {
			way(geom, "unmap", step_unmap);
			way(geom, "replace", step_replace);
		} else {
			tap_skip("%s %s: unmap, replace: no leaves at the top "
				 "level, so unmapping never changes a root "
				 "entry", base->name, geom);
		}
	}
	way_fini(geom);
}

int main(void)
{
	static const char *const geoms[] = { "x86_64", "la57", "i386" };
	const struct vmc_backend_ops *mm = vmc_backend_find("mmap");
	unsigned int i;

	use(&vmc_sim_ops);
	for (i = 0; i < 3; i++)
		geometry(geoms[i]);
	if (mm && mm->sync_copy) {
		use(mm);
		geometry("x86_64");
	} else {
		tap_skip("mmap: not built");
	}
	return tap_done();
}
