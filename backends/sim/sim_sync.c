/* SPDX-License-Identifier: MIT */
/*
 * sim_sync.c - the other page-table roots, which only sync() updates.
 *
 * Theory
 * ------
 * 1. Why.  On a real machine the kernel's page tables are not the only
 *    ones the CPU walks: i386 without PAE gives every process its own top
 *    level holding a copy of the kernel's entries, and x86-64 (4- and
 *    5-level) copies the top-level kernel entries into every pgd the same
 *    way.  A new or changed entry at a level in geom.sync_levels reaches
 *    those copies only through arch_sync_kernel_mappings(), the backend's
 *    sync() slot.  A sync hook that only counts calls would let a core
 *    that forgets one pass every check; here forgetting it bites as it
 *    does on hardware.
 *
 * 2. What is kept.  Every sim geometry syncs on its top level only (see
 *    sim_geom.c), so the "other roots" are one host copy of the root
 *    table: as many entries as the root has, in the root's own format.
 *    sync(start, end) copies the root entries whose span meets
 *    [start, end) into it, set or cleared alike (a simplification of
 *    Linux, whose copies are only ever filled, because its vmalloc never
 *    clears a top-level entry; vmcore's can, by replacing a table with an
 *    i386 4 MiB leaf, unmapping such a leaf, or tearing the tables down).
 *
 * 3. Who sees it.  The CPU: access() and translate() walk from the copy at
 *    the top level and from the shared tables below it (sim_walk_cpu), so
 *    an unsynced new entry faults, an unsynced changed one translates
 *    stale, and an unsynced entry still pointing at a table freed since
 *    faults (the sim refuses to walk a frame that is no longer a table,
 *    where hardware would walk garbage).  And the checker: the sync_copy
 *    slot hands it the copy, and vmc_check() reports any root entry of
 *    the arena that differs from it as "not synced" (invariant 4).  And
 *    the teardown: fini() panics if the copy still differs from the root
 *    then (the core tore its tables down without the sync that tells the
 *    other roots).  vmc_sim_walk() and the core's own walks read the
 *    kernel's tables.
 */
#include "sim_internal.h"

static size_t sim_sync_bytes(const struct sim_state *s)
{
	const struct vmc_geometry *g = &s->geo.g;

	return (size_t)g->entry_size << g->bits[g->levels - 1];
}

int sim_sync_init(struct sim_state *s)
{
	/* The root is empty at init: so is every copy of it. */
	s->other_root = calloc(1, sim_sync_bytes(s));
	return s->other_root ? 0 : -ENOMEM;
}

/* Does every other root hold what the root holds? */
static bool sim_sync_caught_up(struct sim_state *s)
{
	return !memcmp(s->other_root,
		       sim_table_entries(s, s->root, s->geo.g.levels - 1),
		       sim_sync_bytes(s));
}

/*
 * At teardown the core has cleared and freed its tables and synced: a
 * copy that still differs names tables freed under the other roots' feet
 * (a use-after-free on hardware), which only a missed sync explains.
 */
void sim_sync_fini(struct sim_state *s)
{
	if (!s->other_root)
		return;
	VMC_VERIFY(sim_sync_caught_up(s));
	free(s->other_root);
	s->other_root = NULL;
}

/* arch_sync_kernel_mappings(start, end): the root entries meeting it. */
void sim_sync_range(struct sim_state *s, unsigned long start,
		    unsigned long end)
{
	const struct vmc_geometry *g = &s->geo.g;
	unsigned int top = g->levels - 1, shift = vmc_geom_shift(g, top);
	unsigned int mask = (1u << g->bits[top]) - 1, i, last;
	const unsigned char *root;

	s->syncs++;
	if (!s->other_root || start >= end)
		return;
	root = sim_table_entries(s, s->root, top);
	i = (unsigned int)((uint64_t)start >> shift) & mask;
	last = (unsigned int)((uint64_t)(end - 1) >> shift) & mask;
	for (;;) {
		memcpy(s->other_root + (size_t)i * g->entry_size,
		       root + (size_t)i * g->entry_size, g->entry_size);
		if (i == last)
			break;
		i = (i + 1) & mask;
	}
}

/* Entry idx of the copy (the root's own format and width). */
static vmc_pte_t sim_sync_read(const struct sim_state *s, unsigned int idx)
{
	return sim_entry_load(&s->geo, s->other_root +
			      (size_t)idx * s->geo.g.entry_size);
}

/*
 * The walk a CPU does: the top-level entry from the other root (the
 * kernel's own root when there is no copy), the levels below from the
 * shared tables.
 */
int sim_walk_cpu(struct sim_state *s, unsigned long va, unsigned long *pfn,
		 bool *writable)
{
	const struct sim_geo *geo = &s->geo;
	unsigned int top = geo->g.levels - 1, shift, idx;
	unsigned long table;
	vmc_pte_t e;

	if (!s->other_root)
		return sim_walk(s, va, pfn, NULL, writable);
	if (!sim_canonical(geo, va))
		return -EFAULT;
	shift = vmc_geom_shift(&geo->g, top);
	idx = (unsigned int)(((uint64_t)va >> shift) &
			     ((1u << geo->g.bits[top]) - 1));
	e = sim_sync_read(s, idx);
	if (!sim_present(e))
		return -EFAULT;
	if (sim_is_leaf(top, e)) {
		unsigned long in = (unsigned long)(((uint64_t)va >> VMC_PAGE_SHIFT) &
			((1ULL << (shift - VMC_PAGE_SHIFT)) - 1));

		*pfn = sim_entry_pfn(geo, e) + in;
		*writable = sim_entry_writable(e);
		return 0;
	}
	table = sim_entry_pfn(geo, e);
	if (!sim_ram_is_table(&s->ram, table, top - 1))
		return -EFAULT;         /* stale: that table was freed */
	return sim_walk_below(s, va, table, top - 1, sim_entry_writable(e),
			      pfn, writable);
}

const void *sim_sync_copy(struct sim_state *s)
{
	return s->other_root;
}
