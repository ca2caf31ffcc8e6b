/* SPDX-License-Identifier: MIT */
/*
 * sim_tlb.c - the software TLB of the simulated MMU.
 *
 * Theory
 * ------
 * 1. Why a TLB in a simulator.  vmalloc's hardest rule is about time, not
 *    space: after unmapping, a range may still be translated by stale TLB
 *    entries until it is flushed, and Linux defers that flush (lazy
 *    purge) to batch it.  A simulator that always walks the tables would
 *    hide every missing or late flush.  This TLB caches translations and
 *    forgets them ONLY on flush_tlb() (and fini), so a cleared PTE keeps
 *    translating until the core flushes it, and invariant 5 ("after a
 *    purge, no TLB entry translates outside a busy area") can be checked
 *    by enumerating it.
 *
 * 2. Shape.  Entries cache one 4 KiB page each (va page -> pfn, writable),
 *    also inside huge leaves: the TLB is about pages, the walk about
 *    leaves.  It is set-associative: 4 ways when the capacity is a
 *    multiple of 4, else direct-mapped; the set is the virtual page
 *    number modulo the number of sets.  A miss fills the first invalid
 *    way, else the way the set's FIFO pointer names.  Replacement depends
 *    only on the access sequence, so runs are reproducible.  Eviction by
 *    capacity is fine: a real TLB forgets too; what it must never do is
 *    forget because a PTE changed.
 *
 * 3. Flushing is a linear scan of all entries with a range test: O(capacity)
 *    whatever the range, the right trade for a few hundred entries and
 *    flush ranges that can span the whole vmalloc space.
 */
#include "sim_internal.h"

#define SIM_TLB_WAYS 4

int sim_tlb_init(struct sim_tlb *t, unsigned long entries)
{
	memset(t, 0, sizeof(*t));
	if (!entries || entries >= SIM_NONE)
		return -EINVAL;
	t->ways = entries % SIM_TLB_WAYS == 0 ? SIM_TLB_WAYS : 1;
	t->sets = entries / t->ways;
	t->n = entries;
	t->e = calloc(entries, sizeof(*t->e));
	t->victim = calloc(t->sets, sizeof(*t->victim));
	if (!t->e || !t->victim) {
		sim_tlb_fini(t);
		return -ENOMEM;
	}
	return 0;
}

void sim_tlb_fini(struct sim_tlb *t)
{
	free(t->e);
	free(t->victim);
	t->e = NULL;
	t->victim = NULL;
	t->n = 0;
}

static struct sim_tlb_entry *set_of(const struct sim_tlb *t, unsigned long va,
				    unsigned long *set)
{
	*set = (va >> VMC_PAGE_SHIFT) % t->sets;
	return &t->e[*set * t->ways];
}

bool sim_tlb_lookup(struct sim_tlb *t, unsigned long va, unsigned long *pfn,
		    bool *writable)
{
	struct sim_tlb_entry *e;
	unsigned long set, w;

	va &= ~(VMC_PAGE_SIZE - 1);
	e = set_of(t, va, &set);
	for (w = 0; w < t->ways; w++) {
		if (e[w].valid && e[w].va == va) {
			*pfn = e[w].pfn;
			*writable = e[w].writable;
			t->hits++;
			return true;
		}
	}
	t->misses++;
	return false;
}

void sim_tlb_fill(struct sim_tlb *t, unsigned long va, unsigned long pfn,
		  bool writable)
{
	struct sim_tlb_entry *e;
	unsigned long set, w;

	va &= ~(VMC_PAGE_SIZE - 1);
	e = set_of(t, va, &set);
	for (w = 0; w < t->ways; w++)
		if (!e[w].valid || e[w].va == va)
			break;
	if (w == t->ways) {
		w = t->victim[set];
		t->victim[set] = (uint32_t)((w + 1) % t->ways);
	}
	e[w].va = va;
	e[w].pfn = pfn;
	e[w].writable = writable;
	e[w].valid = true;
	t->used = true;
}

void sim_tlb_flush(struct sim_tlb *t, unsigned long start, unsigned long end)
{
	unsigned long i;

	t->flushes++;
	for (i = 0; i < t->n; i++) {
		struct sim_tlb_entry *e = &t->e[i];

		/* The page [va, va + 4K) overlaps [start, end)? */
		if (e->valid && e->va < end && e->va + (VMC_PAGE_SIZE - 1) >= start) {
			e->valid = false;
			t->flushed++;
		}
	}
}

int sim_tlb_for_each(const struct sim_tlb *t,
		     int (*fn)(void *arg, unsigned long va, unsigned long pfn),
		     void *arg)
{
	unsigned long i;
	int ret;

	for (i = 0; i < t->n; i++) {
		if (!t->e[i].valid)
			continue;
		ret = fn(arg, t->e[i].va, t->e[i].pfn);
		if (ret)
			return ret;
	}
	return 0;
}

unsigned long sim_tlb_count(const struct sim_tlb *t)
{
	unsigned long i, n = 0;

	for (i = 0; i < t->n; i++)
		n += t->e[i].valid;
	return n;
}

/*
 * The valid entries for pages in [lo, hi).  A range of fewer pages than
 * there are sets is looked up page by page, each in its own set (a few
 * ways); a larger one is a scan of every entry with a range test.
 */
int sim_tlb_for_each_range(const struct sim_tlb *t, unsigned long lo,
			   unsigned long hi,
			   int (*fn)(void *arg, unsigned long va,
				     unsigned long pfn),
			   void *arg)
{
	unsigned long i, va, w;
	int ret;

	lo &= ~(VMC_PAGE_SIZE - 1);
	if (lo >= hi || !t->n)
		return 0;
	if ((hi - lo) >> VMC_PAGE_SHIFT < t->sets) {
		for (va = lo; va < hi; va += VMC_PAGE_SIZE) {
			const struct sim_tlb_entry *e;

			unsigned long set;

			e = set_of(t, va, &set);
			for (w = 0; w < t->ways; w++) {
				if (!e[w].valid || e[w].va != va)
					continue;
				ret = fn(arg, e[w].va, e[w].pfn);
				if (ret)
					return ret;
			}
		}
		return 0;
	}
	for (i = 0; i < t->n; i++) {
		if (!t->e[i].valid || t->e[i].va < lo || t->e[i].va >= hi)
			continue;
		ret = fn(arg, t->e[i].va, t->e[i].pfn);
		if (ret)
			return ret;
	}
	return 0;
}
