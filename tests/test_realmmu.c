/* SPDX-License-Identifier: MIT */
/*
 * test_realmmu.c - invariant 5 through real accesses (mmap backend only).
 *
 * mmap only: it corrupts the host's mappings of the mmap backend's window
 * behind the core's back; the sim backend has no host mappings (its
 * invariant 5 is the soft TLB's, tested in test_check).
 *
 * Theory: on a backend with a probe slot, vmc_check() really touches a few
 * pages per range: guard pages, the first and last page of free and lazy
 * ranges must fault; the first page of a busy mapped area must not.  The
 * bookkeeping tables stay consistent throughout (invariants 1-4 hold), so
 * only the real MMU can tell, and the check must say 5.  Each corruption
 * is made with a raw mmap of the RAM memfd (vmc_mmap_ram_fd) into the
 * window, or a PROT_NONE mapping over a mapped page, and undone again
 * after the check, which must then be clean.  No arena call runs while a
 * corruption is in place (a VMC_DEBUG build checks after each one).
 *
 * Layouts in pages from the arena start: letters are mapped pages of an
 * area, '_' its guard, '.' free, 'z' lazy, '!' the corrupted page.
 */
#define _GNU_SOURCE
#include <sys/mman.h>

#include "vmc_test.h"
#include "vmc_internal.h"
#include "vmc_mmap.h"
#include "mmap_internal.h"

#define PG VMC_PAGE_SIZE

static struct vmc_arena *a;
static struct mm_state *mm;
static unsigned long scratch;   /* a harness frame to map where it must not be */

/* Map frame pfn (RAM) at window address va behind the core's back. */
static int raw_map(unsigned long va, unsigned long pfn)
{
	off_t off = (off_t)((unsigned char *)vmc_kaddr(a, pfn) - mm->h.ram_map);
	void *p = mmap((void *)va, PG, PROT_READ | PROT_WRITE,
		       MAP_FIXED | MAP_SHARED, vmc_mmap_ram_fd(mm), off);

	return p == (void *)va ? 0 : -1;
}

/* Make va inaccessible again, as the backend leaves unmapped pages. */
static int raw_none(unsigned long va)
{
	void *p = mmap((void *)va, PG, PROT_NONE,
		       MAP_FIXED | MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
		       -1, 0);

	return p == (void *)va ? 0 : -1;
}

/* vmc_check()'s answer, with its message in a TAP comment. */
static int check(const char *when)
{
	struct vmc_violation v;
	int bad = vmc_check(a, &v);

	if (bad)
		tap_diag("%s: invariant %d: %s", when, bad, v.msg);
	return bad;
}

int main(void)
{
	struct vmc_arena_config cfg;
	unsigned long s, e, pfn;
	void *p, *q;
	int i;

	if (!vmc_backend_find("mmap"))
		tap_skip_all("no mmap backend in this build");
	memset(&cfg, 0, sizeof(cfg));
	cfg.ops = vmc_backend_find("mmap");
	cfg.nr_frames = 1024;
	cfg.lazy_max_pages = 1UL << 20;         /* purge only when asked */
	cfg.flags = VMC_ARENA_QUIET;
	if (vmc_arena_create(&cfg, &a))
		tap_skip_all("the host refuses an mmap arena");
	tap_plan(14);
	mm = vmc_arena_backend_state(a);
	vmc_arena_range(a, &s, &e);
	tap_ok(vmc_arena_ops(a)->probe != NULL &&
	       (vmc_arena_ops(a)->features & VMC_BF_REAL_MMU),
	       "mmap offers the probe slot");
	tap_ok(!vmc_frame_alloc(a, VMC_NUMA_NO_NODE, &scratch),
	       "a scratch frame");

	/* AA_.....  */
	p = vmc_vmalloc(a, 2 * PG);
	tap_ok(p == (void *)s && check("vmalloc") == 0,
	       "vmalloc(2 pages) at the start, check clean (probes pass)");

	/* AA_!....  the first page of the free range maps a frame */
	tap_ok(!raw_map(s + 3 * PG, scratch) && check("free page mapped") == 5,
	       "a real mapping at the first page of a free range: 5");
	tap_ok(!raw_none(s + 3 * PG) && check("undone") == 0,
	       "undone: clean");

	/* AA!.....  the guard page maps a frame */
	tap_ok(!raw_map(s + 2 * PG, scratch) && check("guard mapped") == 5,
	       "a real mapping at the guard page: 5");
	tap_ok(!raw_none(s + 2 * PG) && check("undone") == 0,
	       "undone: clean");

	/* !A_.....  the first page of the area is gone from the host */
	vmc_vmalloc_to_pfn(a, p, &pfn);
	tap_ok(!raw_none(s) && check("first page unmapped") == 5,
	       "the first page of a busy area faults for real: 5");
	tap_ok(!raw_map(s, pfn) && check("undone") == 0,
	       "remapped to its frame: clean");

	/* AA_BBB_....  then vfree A: zzzBBB_...  with its first page mapped */
	q = vmc_vmalloc(a, 3 * PG);
	vmc_vfree(a, p);
	tap_ok(q == (void *)(s + 3 * PG) && !raw_map(s, scratch) &&
	       check("lazy page mapped") == 5,
	       "the tables cleared a freed area, its real mapping stays: 5");
	/*
	 * purged: ...BBB_...  the stale page now lies in a free range.  The
	 * purge runs with the page undone (a VMC_DEBUG build checks after
	 * every call and would stop at the corruption), then it is redone.
	 */
	i = raw_none(s);
	vmc_purge(a);
	tap_ok(!i && !raw_map(s, scratch) && check("purged page mapped") == 5,
	       "after the purge the stale page lies in a free range: 5");
	tap_ok(!raw_none(s) && check("undone") == 0, "undone: clean");

	/* The last page of the arena's trailing free range. */
	tap_ok(!raw_map(e - PG, scratch) && check("last free page") == 5,
	       "a real mapping at the last page of the arena: 5");
	i = raw_none(e - PG);
	vmc_vfree(a, q);
	vmc_frame_free(a, scratch);
	vmc_purge(a);
	tap_ok(!i && check("end") == 0, "undone, all freed: clean");
	vmc_arena_destroy(a);
	return tap_done();
}
