/* SPDX-License-Identifier: MIT */
/*
 * test_tlbskip.c - a missed TLB flush must be caught by vmc_check (5).
 *
 * sim only: a soft TLB is needed to keep the stale translation a skipped
 * flush leaves (a real MMU's is invisible; see test_realmmu for mmap).
 *
 * The backend is the sim backend with one change: its flush_tlb skips the
 * first call it gets and passes every later one to the real sim flush.
 * The scenario
 *
 *     p = vmalloc(3 pages)     AAAg.....
 *     write(p)                 the soft TLB now holds A's three pages
 *     vfree(p)                 LLLg.....  unmapped, lazy: stale is legal
 *     purge                    ........   the one flush: skipped
 *
 * leaves TLB entries translating into a free range: invariant 5.  The
 * same scenario on the unmodified sim backend checks clean, which shows
 * the report comes from the skipped flush and nothing else.
 *
 * The purge is the internal vmc_va_purge() (under the arena lock), not
 * vmc_purge(): in a --enable-debug build the public call would run the
 * checker itself and panic on the very violation this test wants to see.
 */
#include <stdio.h>
#include <string.h>

#include "vmc_internal.h"
#include "vmc_sim.h"
#include "tap.h"

#define PG VMC_PAGE_SIZE

static unsigned long flushes_seen, flushes_skipped;

static void skip_first_flush(void *bs, unsigned long start, unsigned long end)
{
	if (flushes_seen++ == 0) {
		flushes_skipped++;
		return;
	}
	vmc_sim_ops.flush_tlb(bs, start, end);
}

/* Runs the scenario; returns vmc_check's answer after the purge. */
static int run(const struct vmc_backend_ops *ops, const char *name)
{
	struct vmc_arena_config cfg;
	struct vmc_violation v;
	struct vmc_stats st;
	struct vmc_arena *a;
	unsigned char buf[3 * PG];
	unsigned long purged;
	int r;
	void *p;

	memset(&cfg, 0, sizeof(cfg));
	cfg.ops = ops;
	cfg.nr_frames = 4096;
	cfg.size = 16UL << 20;
	cfg.flags = VMC_ARENA_QUIET;
	if (vmc_arena_create(&cfg, &a)) {
		tap_ok(0, "%s: arena", name);
		return -1;
	}
	memset(buf, 0x3c, sizeof(buf));
	p = vmc_vmalloc(a, sizeof(buf));
	tap_ok(p && vmc_write(a, p, buf, sizeof(buf)) == 0 &&
	       vmc_sim_tlb_count(vmc_arena_backend_state(a)) >= 3,
	       "%s: vmalloc + write fill the TLB", name);
	vmc_get_stats(a, &st);
	tap_ok(st.nr_tlb_flushes == 0, "%s: no flush before the purge", name);
	tap_ok(vmc_vfree(a, p) == 0 && vmc_check(a, &v) == 0,
	       "%s: vfree leaves a lazy area that checks clean", name);

	vmc_lock(&a->lock);
	purged = vmc_va_purge(a);
	vmc_unlock(&a->lock);
	tap_ok(purged == 1, "%s: the purge frees the lazy area", name);

	r = vmc_check(a, &v);
	if (r)
		tap_diag("%s: invariant %d: %s", name, v.invariant, v.msg);

	/* Leave the arena clean for its teardown either way. */
	vmc_lock(&a->lock);
	vmc_bo_flush_tlb(a, a->start, a->end);
	vmc_unlock(&a->lock);
	tap_ok(vmc_check(a, NULL) == 0, "%s: a full flush repairs it", name);
	vmc_arena_destroy(a);
	return r;
}

int main(void)
{
	struct vmc_backend_ops skipping = vmc_sim_ops;

	skipping.flush_tlb = skip_first_flush;

	tap_ok(run(&skipping, "skip") == 5,
	       "skip: a skipped purge flush is invariant 5");
	tap_ok(flushes_skipped == 1, "skip: exactly the purge's flush was "
	       "skipped");
	tap_ok(run(&vmc_sim_ops, "sim") == 0,
	       "sim: the same scenario with real flushes checks clean");
	return tap_done();
}
