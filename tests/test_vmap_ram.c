/* SPDX-License-Identifier: MIT */
/*
 * test_vmap_ram.c - vm_map_ram / vm_unmap_ram and the vmap blocks, on
 * every backend (VMC_BACKEND; the suite runs it once per userspace
 * backend) in every geometry it takes (the others are skipped, saying why).
 *
 * What it shows:
 *   1. small requests share one block, carved one after another from its
 *      start (Linux 6.1: offset = vb_pages - free, chunks of
 *      1 << get_order(count) pages, never reused inside the block);
 *   2. data round-trips between the mapping and the frames' direct map;
 *   3. unmapping a chunk leaves the others mapped;
 *   4. bad unmaps (wrong count, interior address, unaligned, twice, count
 *      0, outside the arena) and bad maps warn, fail with -EINVAL and
 *      change nothing;
 *   5. a block is released when fully dirty: its range goes lazy, a stale
 *      TLB entry from a chunk unmapped long before survives until the
 *      purge and not after it (without a soft TLB, e.g. on mmap's real
 *      MMU: the chunk faults at once), and the range is reused after the
 *      purge;
 *   6. more than 64 pages get an area of their own with no guard page;
 *   7. failures injected at every allocation point leave nothing behind;
 *   8. the checker helper vmc_vb_validate() notices a corrupted block.
 *
 * White box: includes vmc_internal.h for a->vb_pages and the helpers.
 * Mappings are read with the sim backend's own walk on sim, with the
 * core's table walk elsewhere.
 */
#include "vmc_test.h"
#include "vmc_internal.h"
#include "vmc_sim.h"

#define NFR 256

static const char *const geoms[] = { "x86_64", "la57", "i386" };

static struct vmc_arena *mk(const char *geom)
{
	struct vmc_arena_config cfg;

	memset(&cfg, 0, sizeof(cfg));
	cfg.geometry = geom;
	cfg.flags = VMC_ARENA_QUIET;
	return vt_arena_cfg(&cfg);
}

static void stats(struct vmc_arena *a, struct vmc_stats *st)
{
	vmc_get_stats(a, st);
}

static unsigned long warnings(struct vmc_arena *a)
{
	struct vmc_stats st;

	stats(a, &st);
	return st.warnings;
}

static unsigned long blocks(struct vmc_arena *a)
{
	struct vmc_stats st;

	stats(a, &st);
	return st.nr_vmap_blocks;
}

static int validate(struct vmc_arena *a)
{
	char msg[256];
	int r;

	vmc_lock(&a->lock);
	r = vmc_vb_validate(a, msg, sizeof(msg));
	vmc_unlock(&a->lock);
	if (r)
		tap_diag("vmc_vb_validate: %s", msg);
	return r == 0;
}

/* The frame the tables map at va: 0, or -EFAULT. */
static int walk(struct vmc_arena *a, unsigned long va, unsigned long *pfn)
{
	if (vmc_arena_ops(a) == &vmc_sim_ops)
		return vmc_sim_walk(vmc_arena_backend_state(a), va, pfn, NULL,
				    NULL);
	return vmc_pt_lookup(a, va, pfn, NULL, NULL);
}

/* Does every page of [p, p + n pages) map frames f[0..n-1]? */
static int maps(struct vmc_arena *a, const void *p, const unsigned long *f,
		unsigned int n)
{
	unsigned long pfn, i;

	for (i = 0; i < n; i++)
		if (walk(a, (unsigned long)p + i * VMC_PAGE_SIZE, &pfn) ||
		    pfn != f[i])
			return 0;
	return 1;
}

/* Is no page of [p, p + n pages) in the page tables? */
static int unmapped(struct vmc_arena *a, const void *p, unsigned int n)
{
	unsigned long pfn, i;

	for (i = 0; i < n; i++)
		if (!walk(a, (unsigned long)p + i * VMC_PAGE_SIZE, &pfn))
			return 0;
	return 1;
}

/* Fill frame pfn with a pattern; check it reads back through va. */
static int roundtrip(struct vmc_arena *a, const void *va, unsigned long pfn,
		     unsigned char seed)
{
	unsigned char buf[VMC_PAGE_SIZE], back[VMC_PAGE_SIZE];
	unsigned long i;

	for (i = 0; i < sizeof(buf); i++)
		buf[i] = (unsigned char)(seed + i * 13);
	if (vmc_write(a, va, buf, sizeof(buf)))
		return 0;
	if (memcmp(vmc_kaddr(a, pfn), buf, sizeof(buf)))
		return 0;
	memset(vmc_kaddr(a, pfn), seed ^ 0xff, VMC_PAGE_SIZE);
	if (vmc_read(a, va, back, sizeof(back)))
		return 0;
	for (i = 0; i < sizeof(back); i++)
		if (back[i] != (unsigned char)(seed ^ 0xff))
			return 0;
	return 1;
}

static void frames(struct vmc_arena *a, unsigned long *f, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		if (vmc_frame_alloc(a, -1, &f[i])) {
			printf("Bail out! vmc_frame_alloc failed\n");
			exit(99);
		}
}

static void frames_free(struct vmc_arena *a, unsigned long *f, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		vmc_frame_free(a, f[i]);
}

#define PG(p, n) ((char *)(p) + (unsigned long)(n) * VMC_PAGE_SIZE)

/* 1-5, 8: one block from birth to reuse. */
static void t_block(const char *g)
{
	static unsigned long f[NFR];
	struct vmc_arena *a = mk(g);
	unsigned long vb = a->vb_pages, bsz = vb * VMC_PAGE_SIZE, w, pfn;
	bool soft_tlb = vmc_arena_ops(a)->features & VMC_BF_SOFT_TLB;
	char *p1, *p2, *p3, *p4, *c, *chunks[64];
	unsigned int counts[64], nchunks = 0, i;
	unsigned long carved, dev_size;
	struct vmc_stats st;
	unsigned char byte;
	uint64_t dev;
	int ok;

	frames(a, f, NFR);
	tap_ok(vmc_is_pow2(vb) && vb >= 2 * VMC_VMAP_MAX_ALLOC && vb <= 1024,
	       "%s: vb_pages %lu is a power of two in [128, 1024]", g, vb);

	/*
	 * block: |1|22|333.|4|........
	 *         0 1  3    7 8
	 */
	p1 = vmc_vm_map_ram(a, f + 0, 1, -1);
	p2 = vmc_vm_map_ram(a, f + 1, 2, -1);
	p3 = vmc_vm_map_ram(a, f + 3, 3, -1);
	p4 = vmc_vm_map_ram(a, f + 6, 1, -1);
	if (!tap_ok(p1 && p2 && p3 && p4, "%s: four small vm_map_ram calls", g)) {
		vmc_arena_destroy(a);
		return;
	}
	tap_ok(((unsigned long)p1 & (bsz - 1)) == 0,
	       "%s: the block is aligned to its size (0x%lx)", g, bsz);
	tap_ok(p2 == PG(p1, 1) && p3 == PG(p1, 3) && p4 == PG(p1, 7),
	       "%s: chunks carved one after another: +1, +3, +7 pages", g);
	stats(a, &st);
	tap_ok(st.nr_vmap_blocks == 1 && st.nr_busy == 1,
	       "%s: one block, one busy vmap area", g);
	tap_ok(maps(a, p1, f, 1) && maps(a, p2, f + 1, 2) && maps(a, p3, f + 3, 3) &&
	       maps(a, p4, f + 6, 1), "%s: every chunk maps its frames", g);
	tap_ok(unmapped(a, PG(p3, 3), 1) && unmapped(a, PG(p4, 1), vb - 8),
	       "%s: the tail of the 4-page chunk and the uncarved rest are unmapped", g);
	ok = 1;
	for (i = 0; i < 3; i++)
		ok &= roundtrip(a, PG(p3, i), f[3 + i], (unsigned char)i);
	ok &= roundtrip(a, p1, f[0], 0x40);
	tap_ok(ok, "%s: data round-trips between the mapping and the frames", g);
	tap_ok(validate(a) && vt_clean(a, "vm_map_ram"), "%s: check after mapping", g);

	/* |1|..|333.|4|  (p1 was read above, so the TLB holds it) */
	tap_ok(vmc_vm_unmap_ram(a, p2, 2) == 0, "%s: unmap the 2-page chunk", g);
	tap_ok(unmapped(a, p2, 2) && maps(a, p1, f, 1) && maps(a, p3, f + 3, 3) &&
	       maps(a, p4, f + 6, 1), "%s: only that chunk went", g);
	tap_ok(blocks(a) == 1 && validate(a) && vt_clean(a, "vm_unmap_ram"),
	       "%s: block stays; check", g);

	/* 4. bad calls */
#define BAD_UNMAP(addr, cnt, what)                                          \
	do {                                                                \
		w = warnings(a);                                            \
		tap_ok(vmc_vm_unmap_ram(a, (addr), (cnt)) == -EINVAL &&     \
		       warnings(a) == w + 1 && maps(a, p3, f + 3, 3) &&     \
		       maps(a, p1, f, 1) && validate(a),                    \
		       "%s: vm_unmap_ram %s: -EINVAL, warned, no change",   \
		       g, what);                                            \
	} while (0)
	BAD_UNMAP(p3, 1, "with a smaller order");
	BAD_UNMAP(p3, 8, "with a bigger order");
	BAD_UNMAP(PG(p3, 1), 1, "of an interior page");
	BAD_UNMAP(p2, 2, "twice");
	BAD_UNMAP(p3 + 0x10, 3, "unaligned");
	BAD_UNMAP(p3, 0, "of count 0");
	BAD_UNMAP(PG(p1, vb - 1), 1, "of an uncarved page");
	BAD_UNMAP((void *)(a->end + VMC_PAGE_SIZE), 1, "outside the arena");
	BAD_UNMAP(p3, 65, "of a block chunk as a large mapping");
#undef BAD_UNMAP
	stats(a, &st);
	w = st.warnings;
	vmc_arena_device(a, &dev, &dev_size);
	pfn = (unsigned long)(dev >> VMC_PAGE_SHIFT);
	c = vmc_vm_map_ram(a, f, 0, -1);
	tap_ok(!c && vmc_last_error(a) == -EINVAL && warnings(a) == w + 1,
	       "%s: vm_map_ram of 0 pages: NULL -EINVAL, warned", g);
	c = vmc_vm_map_ram(a, &pfn, 1, -1);
	tap_ok(!c && vmc_last_error(a) == -EINVAL && warnings(a) == w + 2,
	       "%s: vm_map_ram of a device frame: NULL -EINVAL, warned", g);
	{
		struct vmc_stats st2;

		stats(a, &st2);
		tap_ok(st2.nr_busy == st.nr_busy && st2.nr_vmap_blocks == 1 &&
		       validate(a) && vt_clean(a, "bad calls"),
		       "%s: bad calls changed nothing", g);
	}

	/* 5. fill the block up with chunks of up to 64 pages */
	carved = 8;
	while (carved < vb) {
		unsigned int n = 64;

		while (n > vb - carved)
			n >>= 1;
		chunks[nchunks] = vmc_vm_map_ram(a, f + 8, n, -1);
		counts[nchunks] = n;
		if (!chunks[nchunks] || chunks[nchunks] != PG(p1, carved))
			break;
		nchunks++;
		carved += n;
	}
	tap_ok(carved == vb && blocks(a) == 1,
	       "%s: %u more chunks fill the block exactly", g, nchunks);
	c = vmc_vm_map_ram(a, f + 8, 1, -1);
	tap_ok(c && ((unsigned long)c & (bsz - 1)) == 0 && c != p1 && blocks(a) == 2,
	       "%s: a full block makes the next call open a second block", g);
	p2 = vmc_vm_map_ram(a, f + 9, 1, -1);
	tap_ok(vmc_vm_unmap_ram(a, c, 1) == 0 && p2 == PG(c, 1) && blocks(a) == 2,
	       "%s: a second chunk there; unmapping the first keeps the block", g);
	tap_ok(validate(a) && vt_clean(a, "full block"), "%s: check with a full block", g);

	/* stale translation: touch p1, then unmap it without a flush */
	vmc_read(a, p1, &byte, 1);
	ok = vmc_vm_unmap_ram(a, p1, 1) == 0 && unmapped(a, p1, 1);
	if (soft_tlb)
		tap_ok(ok && vmc_read(a, p1, &byte, 1) == 0,
		       "%s: after vm_unmap_ram the soft TLB still translates the chunk (no flush)", g);
	else
		tap_ok(ok && vmc_read(a, p1, &byte, 1) == -EFAULT,
		       "%s: no soft TLB (%s): the unmapped chunk faults at once",
		       g, vmc_arena_ops(a)->name);
	ok = vmc_vm_unmap_ram(a, p3, 3) == 0;
	for (i = 0; i < nchunks; i++)
		ok &= vmc_vm_unmap_ram(a, chunks[i], counts[i]) == 0;
	tap_ok(ok && blocks(a) == 2, "%s: all but one chunk unmapped; block still there", g);
	stats(a, &st);
	tap_ok(vmc_vm_unmap_ram(a, p4, 1) == 0 && blocks(a) == 1,
	       "%s: the last unmap releases the fully dirty block", g);
	{
		struct vmc_stats st2;

		stats(a, &st2);
		tap_ok(st2.nr_lazy == st.nr_lazy + 1 &&
		       st2.lazy_pages == st.lazy_pages + vb &&
		       st2.nr_busy == st.nr_busy - 1,
		       "%s: its %lu pages went to the lazy set", g, vb);
	}
	if (soft_tlb)
		tap_ok(vmc_read(a, p1, &byte, 1) == 0,
		       "%s: the stale translation survives until the purge", g);
	else
		tap_ok(vmc_read(a, p1, &byte, 1) == -EFAULT,
		       "%s: no soft TLB: the chunk still faults", g);
	tap_ok(validate(a) && vt_clean(a, "block released"), "%s: check after release", g);
	vmc_purge(a);
	tap_ok(vmc_read(a, p1, &byte, 1) == -EFAULT,
	       "%s: after the purge the stale translation is gone", g);
	tap_ok(vt_clean(a, "purge"), "%s: check after purge", g);

	/* The second block (opened above) is first on the list now. */
	p3 = vmc_vm_map_ram(a, f + 10, 2, -1);
	tap_ok(p3 == PG(c, 2), "%s: the next chunk goes to the surviving block", g);
	tap_ok(vmc_vm_unmap_ram(a, p3, 2) == 0 && vmc_vm_unmap_ram(a, p2, 1) == 0,
	       "%s: unmap the rest", g);
	frames_free(a, f, NFR);
	vmc_arena_destroy(a);       /* a block still live: teardown frees it */
}

/* 5 (reuse): a released block's range is reusable only after a purge. */
static void t_reuse(const char *g)
{
	static unsigned long f[4], big[65];
	struct vmc_arena *a = mk(g);
	unsigned long vb = a->vb_pages, carved = 0;
	char *first = NULL, *p, *q;
	unsigned int i;
	int ok = 1;

	frames(a, f, 4);
	for (i = 0; i < 65; i++)
		big[i] = f[i % 4];
	/* one block of 64-page chunks, each unmapped at once */
	while (carved < vb && ok) {
		p = vmc_vm_map_ram(a, big, 64, -1);
		if (!first)
			first = p;
		ok = p && p == PG(first, carved) && vmc_vm_unmap_ram(a, p, 64) == 0;
		carved += 64;
	}
	tap_ok(ok && blocks(a) == 0, "%s: a block of 64-page chunks, all freed: released", g);
	/* |lazy block|q*65| */
	q = vmc_vm_map_ram(a, big, 65, -1);
	tap_ok(q && q == PG(first, vb),
	       "%s: before the purge a new area goes past the lazy block", g);
	tap_ok(vmc_vm_unmap_ram(a, q, 65) == 0, "%s: unmap", g);
	vmc_purge(a);
	/* |p*65........| */
	p = vmc_vm_map_ram(a, big, 65, -1);
	tap_ok(p == first, "%s: after the purge the first block's range is reused", g);
	tap_ok(validate(a) && vt_clean(a, "reuse"), "%s: check", g);
	vmc_vm_unmap_ram(a, p, 65);
	frames_free(a, f, 4);
	vmc_arena_destroy(a);
}

/* 6: more than VMC_VMAP_MAX_ALLOC pages. */
static void t_large(const char *g)
{
	static unsigned long f[NFR];
	struct vmc_arena *a = mk(g);
	unsigned long w;
	char *s, *q, *r, *t;
	struct vmc_stats st;
	int ok;

	frames(a, f, NFR);
	s = vmc_vm_map_ram(a, f, 1, -1);     /* a block at the arena start */
	q = vmc_vm_map_ram(a, f, 65, -1);
	r = vmc_vm_map_ram(a, f + 65, 100, -1);
	/* |block....|q*65|r*100|  no guard pages */
	tap_ok(s && q && r && r == PG(q, 65),
	       "%s: two large mappings back to back, no guard page", g);
	tap_ok(q == PG(s, a->vb_pages), "%s: the first right after the block", g);
	stats(a, &st);
	tap_ok(st.nr_vmap_blocks == 1 && st.nr_busy == 3,
	       "%s: no new block; one busy area each", g);
	tap_ok(maps(a, q, f, 65) && maps(a, r, f + 65, 100) && unmapped(a, PG(r, 100), 1),
	       "%s: every page mapped, nothing after", g);
	tap_ok(roundtrip(a, PG(r, 99), f[164], 9) && roundtrip(a, q, f[0], 3),
	       "%s: data round-trips", g);
	tap_ok(validate(a) && vt_clean(a, "large"), "%s: check", g);

#define BAD_UNMAP(addr, cnt, what)                                          \
	do {                                                                \
		w = warnings(a);                                            \
		tap_ok(vmc_vm_unmap_ram(a, (addr), (cnt)) == -EINVAL &&     \
		       warnings(a) == w + 1 && maps(a, q, f, 65),           \
		       "%s: large vm_unmap_ram %s: -EINVAL, warned, no change", \
		       g, what);                                            \
	} while (0)
	BAD_UNMAP(q, 64, "with count 64 (block path)");
	BAD_UNMAP(q, 66, "with a larger count");
	BAD_UNMAP(PG(q, 1), 65, "of an interior page");
	BAD_UNMAP(s, 65, "of a block chunk");
#undef BAD_UNMAP

	tap_ok(vmc_vm_unmap_ram(a, q, 65) == 0 && unmapped(a, q, 65) &&
	       maps(a, r, f + 65, 100), "%s: unmap the first; the second stays", g);
	stats(a, &st);
	tap_ok(st.nr_lazy == 1 && st.lazy_pages == 65, "%s: 65 lazy pages", g);
	t = vmc_vm_map_ram(a, f, 65, -1);
	tap_ok(t == PG(r, 100), "%s: before the purge the hole is not reused", g);
	tap_ok(vmc_vm_unmap_ram(a, t, 65) == 0, "%s: unmap it", g);
	vmc_purge(a);
	t = vmc_vm_map_ram(a, f, 65, -1);
	tap_ok(t == q, "%s: after the purge the hole is reused", g);
	w = warnings(a);
	tap_ok(vmc_vm_unmap_ram(a, t, 65) == 0 && vmc_vm_unmap_ram(a, t, 65) == -EINVAL &&
	       warnings(a) == w + 1, "%s: a double large unmap is refused", g);
	ok = vmc_vm_unmap_ram(a, r, 100) == 0;
	vmc_purge(a);
	stats(a, &st);
	tap_ok(ok && st.nr_busy == 1 && st.nr_lazy == 0 && vt_clean(a, "large done"),
	       "%s: all large ones unmapped (the block with s stays busy)", g);
	/* leave one large mapping alive for teardown */
	tap_ok(vmc_vm_map_ram(a, f, 70, -1) != NULL, "%s: one left for teardown", g);
	vmc_arena_destroy(a);
}

/* 7: failures injected at every allocation point. */
static void t_faults(const char *g)
{
	static const enum vmc_fault_kind kinds[] = { VMC_FAULT_META, VMC_FAULT_TABLE };
	static const unsigned int counts[] = { 3, 80 };
	unsigned long failed = 0, n, k, c;
	int ok = 1;

	for (c = 0; c < 2; c++) {
		for (k = 0; k < 2; k++) {
			for (n = 1; n < 32; n++) {
				static unsigned long f[80];
				struct vmc_arena *a = mk(g);
				struct vmc_stats st0, st1;
				unsigned long before;
				bool done;
				void *p;

				frames(a, f, 80);
				before = vmc_fault_count(a, kinds[k]);
				stats(a, &st0);
				vmc_fault_set(a, kinds[k], n);
				p = vmc_vm_map_ram(a, f, counts[c], -1);
				vmc_fault_set(a, kinds[k], 0);
				done = p && vmc_fault_count(a, kinds[k]) - before < n;
				if (!p) {
					failed++;
					stats(a, &st1);
					if (vmc_last_error(a) != -ENOMEM ||
					    st1.nr_busy != st0.nr_busy ||
					    st1.nr_lazy != st0.nr_lazy ||
					    st1.nr_free != st0.nr_free ||
					    st1.nr_vmap_blocks != st0.nr_vmap_blocks ||
					    !validate(a) || !vt_clean(a, "injected")) {
						tap_diag("%s: count %u kind %lu nth %lu: err %d",
							 g, counts[c], k, n,
							 vmc_last_error(a));
						ok = 0;
					}
				} else {
					vmc_vm_unmap_ram(a, p, counts[c]);
				}
				frames_free(a, f, 80);
				vmc_arena_destroy(a);
				if (done)
					break;
			}
		}
	}
	tap_ok(ok && failed >= 4,
	       "%s: %lu injected vm_map_ram failures left the arena unchanged", g, failed);
}

/* 5a: vm_unmap_aliases-style release of blocks with no live chunk. */
static void t_fragmented(const char *g)
{
	static unsigned long f[4];
	struct vmc_arena *a = mk(g);
	unsigned long vb = a->vb_pages, n, carved = 0;
	char *b1[64], *b2 = NULL, *keep = NULL, *p;
	struct vmc_stats st0, st1;
	unsigned int i = 0;

	frames(a, f, 4);
	/* fill block 1 with 64-page chunks, then block 2 gets one live chunk */
	while (carved < vb) {
		static unsigned long big[64];
		unsigned int j;

		for (j = 0; j < 64; j++)
			big[j] = f[j % 4];
		b1[i++] = vmc_vm_map_ram(a, big, 64, -1);
		carved += 64;
	}
	keep = vmc_vm_map_ram(a, f, 1, -1);     /* block 2, stays live */
	b2 = vmc_vm_map_ram(a, f, 1, -1);
	/* block 1: |XXXX...XXXX|  block 2: |k|b|....| */
	tap_ok(keep && b2 == PG(keep, 1) && blocks(a) == 2,
	       "%s: block 1 full, block 2 with two chunks", g);
	/* block 1 loses all but its first chunk: free 0, dirty vb-64 */
	while (i > 1)
		vmc_vm_unmap_ram(a, b1[--i], 64);
	vmc_get_stats(a, &st0);
	vmc_lock(&a->lock);
	n = vmc_vb_purge_fragmented(a);
	vmc_unlock(&a->lock);
	vmc_get_stats(a, &st1);
	tap_ok(n == 0 && st1.nr_vmap_blocks == 2 && st1.nr_lazy == st0.nr_lazy,
	       "%s: blocks with live chunks are not purged", g);

	/* block 2 keeps nothing live: fragmented (free + dirty == vb) */
	vmc_vm_unmap_ram(a, keep, 1);
	vmc_vm_unmap_ram(a, b2, 1);
	vmc_get_stats(a, &st0);
	vmc_lock(&a->lock);
	n = vmc_vb_purge_fragmented(a);
	vmc_unlock(&a->lock);
	vmc_get_stats(a, &st1);
	tap_ok(n == 1 && st1.nr_vmap_blocks == 1 && st1.nr_lazy == st0.nr_lazy + 1 &&
	       st1.lazy_pages == st0.lazy_pages + vb,
	       "%s: the fragmented block is released to the lazy set", g);
	tap_ok(validate(a) && vt_clean(a, "purge_fragmented"), "%s: check", g);
	vmc_purge(a);
	p = vmc_vm_map_ram(a, f, 1, -1);
	tap_ok(p == keep && blocks(a) == 2,
	       "%s: after the purge a new block takes its range", g);
	tap_ok(vmc_vm_unmap_ram(a, p, 1) == 0 && vmc_vm_unmap_ram(a, b1[0], 64) == 0 &&
	       blocks(a) == 1, "%s: unmap the rest: block 1, now fully dirty, goes", g);
	frames_free(a, f, 4);
	vmc_arena_destroy(a);
}

/* 8: the checker helpers see a corrupted block. */
static void t_validate(const char *g)
{
	static unsigned long f[4];
	struct vmc_arena *a = mk(g);
	struct vmc_va *va;
	struct vmc_vb *vb;
	unsigned long pfn;
	char *p;
	int r;

	frames(a, f, 4);
	p = vmc_vm_map_ram(a, f, 3, -1);
	vmc_lock(&a->lock);
	va = vmc_va_find(a, (unsigned long)p);
	vb = va ? va->u.vb : NULL;
	r = va ? vmc_vb_expected_pfn(a, va, (unsigned long)PG(p, 2), &pfn) : -1;
	tap_ok(r == 0 && pfn == f[2], "%s: expected_pfn of a mapped page", g);
	r = va ? vmc_vb_expected_pfn(a, va, (unsigned long)PG(p, 3), &pfn) : -1;
	tap_ok(r == 1, "%s: the chunk's unmapped tail must not be mapped", g);
	r = va ? vmc_vb_expected_pfn(a, va, (unsigned long)PG(p, 100), &pfn) : -1;
	tap_ok(r == 1, "%s: an uncarved page must not be mapped", g);
	if (vb) {
		char msg[256];

		vb->free++;
		r = vmc_vb_validate(a, msg, sizeof(msg));
		vb->free--;
		tap_ok(r != 0, "%s: validate catches a wrong free count (%s)", g, msg);
		vb->used[1] |= VMC_VB_HEAD;
		r = vmc_vb_validate(a, msg, sizeof(msg));
		vb->used[1] &= (unsigned char)~VMC_VB_HEAD;
		tap_ok(r != 0, "%s: validate catches a head inside a chunk (%s)", g, msg);
		r = vmc_vb_validate(a, msg, sizeof(msg));
		tap_ok(r == 0, "%s: and passes once repaired", g);
	} else {
		tap_ok(0, "%s: no block found", g);
	}
	vmc_unlock(&a->lock);
	vmc_vm_unmap_ram(a, p, 3);
	frames_free(a, f, 4);
	vmc_arena_destroy(a);
}

int main(void)
{
	unsigned int i;

	for (i = 0; i < sizeof(geoms) / sizeof(geoms[0]); i++) {
		const char *why = vt_geom_refused(geoms[i]);

		if (why) {
			tap_skip("%s", why);
			continue;
		}
		tap_diag("geometry %s", geoms[i]);
		t_block(geoms[i]);
		t_reuse(geoms[i]);
		t_large(geoms[i]);
		t_fragmented(geoms[i]);
		t_faults(geoms[i]);
		t_validate(geoms[i]);
	}
	return tap_done();
}
