/* SPDX-License-Identifier: MIT */
/*
 * sim_geom.c - geometries and entry formats of the simulated MMU.
 *
 * Theory
 * ------
 * 1. Why real formats.  The sim backend stores entries in the exact bit
 *    layout of the architecture it imitates, so a table dumped from a
 *    simulated frame reads like one from a kernel, and the core cannot
 *    accidentally rely on a toy format (every entry is opaque to it; it
 *    only builds and queries entries through the ops table).
 *
 * 2. Three geometries.
 *      x86_64  4 levels of 9 bits, 8-byte entries, 48-bit canonical VAs,
 *              leaves at levels 0, 1 (2 MiB PMD), 2 (1 GiB PUD).
 *      la57    5 levels of 9 bits, otherwise as x86_64, 57-bit VAs.
 *      i386    2 levels of 10 bits, 4-byte entries (uint32_t in the
 *              frame), 32-bit VAs, leaves at 0 and 1 (4 MiB PSE).
 *    Every geometry syncs on its top level only: like x86, whose kernel
 *    page tables are copied into every process's top level, so only a new
 *    top-level entry needs arch_sync_kernel_mappings().  The vmalloc
 *    spaces are Linux's (VMALLOC_START/END of each configuration).
 *
 * 3. Entry bits are x86's: P0 RW1 US2 PWT3 PCD4 A5 D6 PSE7 G8, NX63
 *    (64-bit only), physical address bits 12..51 (12..31 on i386).  A
 *    table entry is P|RW|A|D (kernel tables: no US, no G).  A leaf is
 *    P|A|D|G, RW for VMC_PROT_WRITE, PCD|PWT for VMC_PROT_NOCACHE, NX unless
 *    VMC_PROT_EXEC, and PSE above level 0.  A and D are set up front so
 *    the walker never writes entries back (the kernel does the same for
 *    its own mappings).  i386 has no NX bit: its leaves always decode as
 *    executable, which is the truth about that format.
 *
 * 4. Offered features shape the geometry: a huge-leaf feature withheld by
 *    features_off removes its level from leaf_levels, so the geometry the
 *    core sees never promises what mk_leaf would refuse.
 *
 * 5. read/write/walk name a table by pfn and verify that the pfn is a live
 *    table frame of that level: reaching anything else through a table
 *    entry is a vmcore bug (a use-after-free of a table, a wrong level)
 *    and panics right where it happens instead of corrupting data later.
 */
#include "sim_internal.h"

#define E_P    (1ULL << 0)
#define E_RW   (1ULL << 1)
#define E_PWT  (1ULL << 3)
#define E_PCD  (1ULL << 4)
#define E_A    (1ULL << 5)
#define E_D    (1ULL << 6)
#define E_PSE  (1ULL << 7)
#define E_G    (1ULL << 8)
#define E_NX   (1ULL << 63)

int sim_geo_init(struct sim_geo *geo, const char *name, unsigned int features)
{
	unsigned int l;

	memset(geo, 0, sizeof(*geo));
	if (!name || !strcmp(name, "x86_64") || !strcmp(name, "la57")) {
		bool la57 = name && !strcmp(name, "la57");

		if (sizeof(unsigned long) < 8)
			return -EINVAL;
		geo->g.name = la57 ? "la57" : "x86_64";
		geo->g.levels = la57 ? 5 : 4;
		for (l = 0; l < geo->g.levels; l++)
			geo->g.bits[l] = 9;
		geo->g.entry_size = 8;
		geo->va_bits = la57 ? 57 : 48;
		geo->sign_extend = true;
		geo->has_nx = true;
		geo->addr_mask = ((1ULL << 52) - 1) & ~0xfffULL;
		geo->pfn_limit = (unsigned long)(1ULL << 40);
		if (la57) {
			geo->vstart = (unsigned long)0xffa0000000000000ULL;
			geo->vend = geo->vstart + (unsigned long)(12800ULL << 40);
		} else {
			geo->vstart = (unsigned long)0xffffc90000000000ULL;
			geo->vend = (unsigned long)0xffffe90000000000ULL;
		}
		geo->g.leaf_levels = 1u;
		if (features & VMC_BF_HUGE_PMD)
			geo->g.leaf_levels |= 1u << 1;
		if (features & VMC_BF_HUGE_PUD)
			geo->g.leaf_levels |= 1u << 2;
	} else if (!strcmp(name, "i386")) {
		geo->g.name = "i386";
		geo->g.levels = 2;
		geo->g.bits[0] = geo->g.bits[1] = 10;
		geo->g.entry_size = 4;
		geo->va_bits = 32;
		geo->sign_extend = false;
		geo->has_nx = false;
		geo->addr_mask = 0xfffff000ULL;
		geo->pfn_limit = 1UL << 20;
		geo->vstart = 0xf8800000UL;
		geo->vend = 0xff7fe000UL;
		geo->g.leaf_levels = 1u;
		if (features & VMC_BF_HUGE_PMD)
			geo->g.leaf_levels |= 1u << 1;
	} else {
		return -EINVAL;
	}
	geo->g.sync_levels = 1u << (geo->g.levels - 1);
	return 0;
}

vmc_pte_t sim_mk_table(const struct sim_geo *geo, unsigned int level,
		       unsigned long pfn)
{
	VMC_VERIFY3U(level, >=, 1);
	VMC_VERIFY3U(level, <, geo->g.levels);
	VMC_VERIFY3U(pfn, <, geo->pfn_limit);
	return ((uint64_t)pfn << VMC_PAGE_SHIFT) | E_P | E_RW | E_A | E_D;
}

vmc_pte_t sim_mk_leaf(const struct sim_geo *geo, unsigned int level,
		      unsigned long pfn, unsigned int prot)
{
	unsigned long span;
	vmc_pte_t e;

	VMC_VERIFY3U(level, <, geo->g.levels);
	VMC_VERIFY(geo->g.leaf_levels & (1u << level));
	span = 1UL << (vmc_geom_shift(&geo->g, level) - VMC_PAGE_SHIFT);
	VMC_VERIFY3U(pfn & (span - 1), ==, 0);
	VMC_VERIFY3U(pfn, <, geo->pfn_limit);

	e = ((uint64_t)pfn << VMC_PAGE_SHIFT) | E_P | E_A | E_D | E_G;
	if (prot & VMC_PROT_WRITE)
		e |= E_RW;
	if (prot & VMC_PROT_NOCACHE)
		e |= E_PCD | E_PWT;
	if (geo->has_nx && !(prot & VMC_PROT_EXEC))
		e |= E_NX;
	if (level)
		e |= E_PSE;
	return e;
}

bool sim_present(vmc_pte_t e)
{
	return e & E_P;
}

bool sim_is_leaf(unsigned int level, vmc_pte_t e)
{
	return level == 0 || (e & E_PSE);
}

bool sim_entry_writable(vmc_pte_t e)
{
	return e & E_RW;
}

unsigned long sim_entry_pfn(const struct sim_geo *geo, vmc_pte_t e)
{
	return (unsigned long)((e & geo->addr_mask) >> VMC_PAGE_SHIFT);
}

unsigned int sim_leaf_prot(const struct sim_geo *geo, vmc_pte_t e)
{
	unsigned int prot;

	if (!(e & E_P))
		return 0;
	prot = VMC_PROT_READ;
	if (e & E_RW)
		prot |= VMC_PROT_WRITE;
	if (e & E_PCD)
		prot |= VMC_PROT_NOCACHE;
	if (!geo->has_nx || !(e & E_NX))
		prot |= VMC_PROT_EXEC;
	return prot;
}

/* --- tables ------------------------------------------------------------ */

/*
 * The entry idx of a table.  A bad level or index would address memory
 * outside the table: that stays a cheap VERIFY in every build.  That the
 * frame really is a table of this level costs a metadata load per entry
 * read, on the hottest path of every walk, so only debug builds ask it
 * here; release builds still catch a non-table frame where it matters:
 * verify_entry() checks every table entry written, so a walk can only
 * reach frames that were tables when they were linked, and the core's
 * checker accounts every table (invariants 4 and 6).
 */
static unsigned char *slot(struct sim_state *s, unsigned long table,
			   unsigned int level, unsigned int idx)
{
	const struct sim_geo *geo = &s->geo;

	VMC_VERIFY(level < geo->g.levels && idx < 1u << geo->g.bits[level] &&
		   sim_ram_is_ram(&s->ram, table));
	VMC_ASSERT(sim_ram_is_table(&s->ram, table, level));
	return sim_ram_ptr(&s->ram, table) + (size_t)idx * geo->g.entry_size;
}

/* The whole table, read-only (the table_entries slot): checked once. */
const void *sim_table_entries(struct sim_state *s, unsigned long table,
			      unsigned int level)
{
	VMC_VERIFY(level < s->geo.g.levels &&
		   sim_ram_is_table(&s->ram, table, level));
	return sim_ram_ptr(&s->ram, table);
}

vmc_pte_t sim_table_read(struct sim_state *s, unsigned long table,
			 unsigned int level, unsigned int idx)
{
	return sim_entry_load(&s->geo, slot(s, table, level, idx));
}

/*
 * A present entry must make sense where it is written: a table entry
 * points at a live table one level down, a leaf sits at a leaf level and
 * maps frames that exist (RAM or device).  Whether those RAM frames are
 * allocated is the core's checker's business, not a format rule.
 */
static void verify_entry(struct sim_state *s, unsigned int level, vmc_pte_t e)
{
	const struct sim_geo *geo = &s->geo;
	unsigned long pfn, span;

	if (geo->g.entry_size == 4)
		VMC_VERIFY3U(e >> 32, ==, 0);
	if (!sim_present(e))
		return;
	pfn = sim_entry_pfn(geo, e);
	if (!sim_is_leaf(level, e)) {
		VMC_VERIFY(sim_ram_is_table(&s->ram, pfn, level - 1));
		return;
	}
	VMC_VERIFY(geo->g.leaf_levels & (1u << level));
	span = 1UL << (vmc_geom_shift(&geo->g, level) - VMC_PAGE_SHIFT);
	VMC_VERIFY3U(pfn & (span - 1), ==, 0);
	VMC_VERIFY((sim_ram_is_ram(&s->ram, pfn) &&
		    sim_ram_is_ram(&s->ram, pfn + span - 1)) ||
		   (sim_ram_is_dev(&s->ram, pfn) &&
		    sim_ram_is_dev(&s->ram, pfn + span - 1)));
}

void sim_table_write(struct sim_state *s, unsigned long table,
		     unsigned int level, unsigned int idx, vmc_pte_t e)
{
	unsigned char *p;

	/* Writes are rarer than reads: they always check the table. */
	VMC_VERIFY(sim_ram_is_table(&s->ram, table, level));
	p = slot(s, table, level, idx);
	verify_entry(s, level, e);
	if (s->geo.g.entry_size == 4) {
		uint32_t v = (uint32_t)e;

		memcpy(p, &v, sizeof(v));
	} else {
		uint64_t v = e;

		memcpy(p, &v, sizeof(v));
	}
	if (s->locked)
		__atomic_fetch_add(&sim_shard(s)->pte_writes, 1,
				   __ATOMIC_RELAXED);
	else
		s->pte_writes++;
}

/* --- the hardware page walk -------------------------------------------- */

bool sim_canonical(const struct sim_geo *geo, unsigned long va)
{
	uint64_t v = va;

	if (!geo->sign_extend)
		return (v >> geo->va_bits) == 0;
	v >>= geo->va_bits - 1;         /* the sign bit and everything above */
	return v == 0 || v == (UINT64_MAX >> (geo->va_bits - 1));
}

/* The walk from the table at `level` down; w: writable so far. */
static int walk_from(struct sim_state *s, unsigned long va,
		     unsigned long table, unsigned int level, bool w,
		     unsigned long *pfn, unsigned int *levelp, bool *writable)
{
	const struct sim_geo *geo = &s->geo;

	for (;;) {
		unsigned int shift = vmc_geom_shift(&geo->g, level);
		unsigned int idx = (unsigned int)(((uint64_t)va >> shift) &
				   ((1u << geo->g.bits[level]) - 1));
		vmc_pte_t e = sim_table_read(s, table, level, idx);

		if (!sim_present(e))
			return -EFAULT;
		w = w && sim_entry_writable(e);
		if (sim_is_leaf(level, e)) {
			unsigned long in = (unsigned long)(((uint64_t)va >> VMC_PAGE_SHIFT) &
				((1ULL << (shift - VMC_PAGE_SHIFT)) - 1));

			if (pfn)
				*pfn = sim_entry_pfn(geo, e) + in;
			if (levelp)
				*levelp = level;
			if (writable)
				*writable = w;
			return 0;
		}
		table = sim_entry_pfn(geo, e);
		level--;
	}
}

int sim_walk(struct sim_state *s, unsigned long va, unsigned long *pfn,
	     unsigned int *levelp, bool *writable)
{
	if (!sim_canonical(&s->geo, va))
		return -EFAULT;
	return walk_from(s, va, s->root, s->geo.g.levels - 1, true, pfn,
			 levelp, writable);
}

int sim_walk_below(struct sim_state *s, unsigned long va, unsigned long table,
		   unsigned int level, bool w, unsigned long *pfn,
		   bool *writable)
{
	return walk_from(s, va, table, level, w, pfn, NULL, writable);
}
