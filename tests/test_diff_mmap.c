/* SPDX-License-Identifier: MIT */
/*
 * test_diff_mmap.c - sim and mmap in lock step: the same random scenario.
 *
 * Runs once (not per backend): it drives both backends on purpose.
 *
 * Theory: the core must not care which MMU it runs on.  A sim arena
 * configured with mmap's capabilities (no huge leaves: features_off =
 * VMC_BF_HUGE_PMD | VMC_BF_HUGE_PUD; same RAM, nodes and device region)
 * and an mmap arena receive the same seeded stream of public calls:
 * vmalloc, vzalloc, vfree, vmap/vunmap of harness frames, ioremap/iounmap,
 * vm_map_ram/vm_unmap_ram, vrealloc, writes, verifying reads, purges and
 * a few bad calls.  After every step both must have answered alike (NULL
 * or not, the same vmc_last_error or return value), at the same offset
 * from their arena's start, with the same frames (both allocate through
 * the same buddy allocator, so the pfns agree too), hold the same bytes
 * wherever a verify reads, and pass vmc_check() -- on mmap that includes
 * the real accesses of invariant 5.  The first divergence stops the run
 * and is reported with its step and the seed (VMC_SEED replays it;
 * VMC_DIFF_OPS sets the length, default 5000).
 */
#include "vmc_test.h"
#include "vmc_sim.h"
#include "vmc_mmap.h"

#define PG      VMC_PAGE_SIZE
#define NSLOT   48
#define MAXPG   80              /* pages of the largest area */
#define NBACK   2               /* 0: sim, 1: mmap */

enum kind { K_NONE, K_VMALLOC, K_VMAP, K_IO, K_RAM };

struct slot {
	enum kind kind;
	unsigned long off;              /* offset of the mapping from start */
	unsigned long len;              /* bytes usable from off */
	unsigned int count;             /* vmap / vm_map_ram: pages */
	unsigned long pfn[NBACK][MAXPG];/* their harness frames */
};

static struct vmc_arena *ar[NBACK];
static unsigned long base[NBACK];
static uint64_t dev_phys[NBACK];
static unsigned long dev_size;
static struct slot slots[NSLOT];
static unsigned long long rng;
static unsigned long step_no;
static char diverged[600];
static unsigned long checks[NBACK], ops_done, verifies, bytes_compared;
static unsigned long op_hits[16];

static const char *const bname[NBACK] = { "sim", "mmap" };

__attribute__((format(printf, 1, 2)))
static void diverge(const char *fmt, ...)
{
	va_list ap;
	int n;

	if (diverged[0])
		return;
	n = snprintf(diverged, sizeof(diverged), "step %lu: ", step_no);
	va_start(ap, fmt);
	vsnprintf(diverged + n, sizeof(diverged) - (size_t)n, fmt, ap);
	va_end(ap);
}

static unsigned long rnd(unsigned long n)
{
	return n ? (unsigned long)(vt_rand(&rng) % n) : 0;
}

static void *addr_of(int b, unsigned long off)
{
	return (void *)(base[b] + off);
}

/* Compare what a pointer-returning call gave on both arenas. */
static int same_ptr(void *const p[NBACK], const char *what,
		    unsigned long *off)
{
	int e0 = vmc_last_error(ar[0]), e1 = vmc_last_error(ar[1]);

	if (!p[0] != !p[1]) {
		diverge("%s: sim %s (%d), mmap %s (%d)", what,
			p[0] ? "succeeded" : "failed", e0,
			p[1] ? "succeeded" : "failed", e1);
		return -1;
	}
	if (!p[0]) {
		if (e0 != e1) {
			diverge("%s: both failed, sim %d, mmap %d", what, e0,
				e1);
			return -1;
		}
		return 0;
	}
	if ((unsigned long)p[0] - base[0] != (unsigned long)p[1] - base[1]) {
		diverge("%s: sim at +0x%lx, mmap at +0x%lx", what,
			(unsigned long)p[0] - base[0],
			(unsigned long)p[1] - base[1]);
		return -1;
	}
	*off = (unsigned long)p[0] - base[0];
	return 1;
}

static int same_ret(const int r[NBACK], const char *what)
{
	if (r[0] != r[1]) {
		diverge("%s: sim returned %d, mmap %d", what, r[0], r[1]);
		return 0;
	}
	return 1;
}

/* Frames of the first page of a mapping: the same pfn on both? */
static void same_frame(unsigned long off, const char *what)
{
	unsigned long pfn[NBACK];
	int r[NBACK], b;

	for (b = 0; b < NBACK; b++)
		r[b] = vmc_vmalloc_to_pfn(ar[b], addr_of(b, off), &pfn[b]);
	if (same_ret(r, what) && !r[0] && pfn[0] != pfn[1])
		diverge("%s: +0x%lx maps pfn 0x%lx on sim, 0x%lx on mmap",
			what, off, pfn[0], pfn[1]);
}

static int free_slot(void)
{
	int i, s = (int)rnd(NSLOT);

	for (i = 0; i < NSLOT; i++, s = (s + 1) % NSLOT)
		if (slots[s].kind == K_NONE)
			return s;
	return -1;
}

static int used_slot(enum kind k)
{
	int i, s = (int)rnd(NSLOT);

	for (i = 0; i < NSLOT; i++, s = (s + 1) % NSLOT)
		if (slots[s].kind != K_NONE &&
		    (k == K_NONE || slots[s].kind == k))
			return s;
	return -1;
}

/* Harness frames for a vmap / vm_map_ram; the same pfns on both. */
static int take_frames(struct slot *sl, unsigned int n)
{
	unsigned int i;
	int b, r[NBACK];

	for (i = 0; i < n; i++) {
		for (b = 0; b < NBACK; b++)
			r[b] = vmc_frame_alloc(ar[b], VMC_NUMA_NO_NODE,
					       &sl->pfn[b][i]);
		if (!same_ret(r, "frame_alloc"))
			return -1;
		if (r[0])
			break;
		if (sl->pfn[0][i] != sl->pfn[1][i]) {
			diverge("frame_alloc: pfn 0x%lx on sim, 0x%lx on mmap",
				sl->pfn[0][i], sl->pfn[1][i]);
			return -1;
		}
	}
	if (i < n) {
		while (i--)
			for (b = 0; b < NBACK; b++)
				vmc_frame_free(ar[b], sl->pfn[b][i]);
		return 0;
	}
	return 1;
}

static void drop_frames(struct slot *sl)
{
	unsigned int i;
	int b;

	for (i = 0; i < sl->count; i++)
		for (b = 0; b < NBACK; b++)
			vmc_frame_free(ar[b], sl->pfn[b][i]);
}

static void op_alloc(int zero)
{
	int s = free_slot(), b;
	unsigned long size, off;
	void *p[NBACK];

	if (s < 0)
		return;
	size = 1 + rnd(rnd(4) ? 8 * PG : MAXPG * PG);
	for (b = 0; b < NBACK; b++)
		p[b] = zero ? vmc_vzalloc(ar[b], size) :
			      vmc_vmalloc(ar[b], size);
	if (same_ptr(p, zero ? "vzalloc" : "vmalloc", &off) == 1) {
		slots[s].kind = K_VMALLOC;
		slots[s].off = off;
		slots[s].len = size;
		same_frame(off, "vmalloc");
	}
}

static void op_vmap(int ram)
{
	int s = free_slot(), b, t;
	unsigned int n;
	unsigned long off;
	struct slot *sl;
	void *p[NBACK];

	if (s < 0)
		return;
	sl = &slots[s];
	n = 1 + (unsigned int)rnd(rnd(3) ? 8 : MAXPG);
	t = take_frames(sl, n);
	if (t <= 0)
		return;
	sl->count = n;
	for (b = 0; b < NBACK; b++)
		p[b] = ram ? vmc_vm_map_ram(ar[b], sl->pfn[b], n,
					    VMC_NUMA_NO_NODE) :
			     vmc_vmap(ar[b], sl->pfn[b], n, 0,
				      VMC_PROT_KERNEL);
	t = same_ptr(p, ram ? "vm_map_ram" : "vmap", &off);
	if (t == 1) {
		sl->kind = ram ? K_RAM : K_VMAP;
		sl->off = off;
		sl->len = n * PG;
		same_frame(off, ram ? "vm_map_ram" : "vmap");
	} else if (t == 0) {
		drop_frames(sl);
		sl->count = 0;
	}
}

static void op_ioremap(void)
{
	int s = free_slot(), b;
	unsigned long off, at, size;
	void *p[NBACK];

	if (s < 0)
		return;
	at = rnd(dev_size);
	size = 1 + rnd(rnd(3) ? 3 * PG : 40 * PG);
	if (rnd(8) == 0)
		size = dev_size;                /* sometimes too big: -EINVAL */
	for (b = 0; b < NBACK; b++)
		p[b] = vmc_ioremap(ar[b], dev_phys[b] + at, size);
	if (same_ptr(p, "ioremap", &off) == 1) {
		slots[s].kind = K_IO;
		slots[s].off = off;
		slots[s].len = size;
	}
}

static void op_free(void)
{
	int s = used_slot(K_NONE), b, r[NBACK];
	struct slot *sl;
	const char *what;

	if (s < 0)
		return;
	sl = &slots[s];
	for (b = 0; b < NBACK; b++) {
		void *p = addr_of(b, sl->off);

		switch (sl->kind) {
		case K_VMALLOC:
			r[b] = vmc_vfree(ar[b], p);
			break;
		case K_VMAP:
			r[b] = vmc_vunmap(ar[b], p);
			break;
		case K_IO:
			r[b] = vmc_iounmap(ar[b], p);
			break;
		default:
			r[b] = vmc_vm_unmap_ram(ar[b], p, sl->count);
			break;
		}
	}
	what = sl->kind == K_VMALLOC ? "vfree" : sl->kind == K_VMAP ?
	       "vunmap" : sl->kind == K_IO ? "iounmap" : "vm_unmap_ram";
	if (!same_ret(r, what))
		return;
	if (r[0]) {
		diverge("%s of a live area failed (%d)", what, r[0]);
		return;
	}
	if (sl->kind == K_VMAP || sl->kind == K_RAM)
		drop_frames(sl);
	memset(sl, 0, sizeof(*sl));
}

static void op_vrealloc(void)
{
	int s = used_slot(K_VMALLOC), b;
	unsigned long size, off;
	void *p[NBACK];

	if (s < 0)
		return;
	size = 1 + rnd(rnd(2) ? 12 * PG : MAXPG * PG);
	for (b = 0; b < NBACK; b++)
		p[b] = vmc_vrealloc(ar[b], addr_of(b, slots[s].off), size, 0);
	if (same_ptr(p, "vrealloc", &off) == 1) {
		slots[s].off = off;
		slots[s].len = size;
	}
}

static void op_write(void)
{
	unsigned char buf[3 * PG];
	unsigned long at, len, i;
	int s = used_slot(K_NONE), b, r[NBACK];

	if (s < 0)
		return;
	at = rnd(slots[s].len);
	len = 1 + rnd(sizeof(buf));
	if (len > slots[s].len - at)
		len = slots[s].len - at;
	for (i = 0; i < len; i++)
		buf[i] = (unsigned char)vt_rand(&rng);
	for (b = 0; b < NBACK; b++)
		r[b] = vmc_write(ar[b], (char *)addr_of(b, slots[s].off) + at,
				 buf, len);
	if (same_ret(r, "write") && r[0])
		diverge("write of %lu bytes at +0x%lx failed (%d)", len,
			slots[s].off + at, r[0]);
}

static void op_verify(void)
{
	static unsigned char buf[NBACK][MAXPG * PG];
	unsigned long len, i;
	int s = used_slot(K_NONE), b, r[NBACK];

	if (s < 0)
		return;
	len = slots[s].len;
	for (b = 0; b < NBACK; b++)
		r[b] = vmc_read(ar[b], addr_of(b, slots[s].off), buf[b], len);
	if (!same_ret(r, "read"))
		return;
	if (r[0]) {
		diverge("read of %lu bytes at +0x%lx failed (%d)", len,
			slots[s].off, r[0]);
		return;
	}
	verifies++;
	bytes_compared += len;
	if (memcmp(buf[0], buf[1], len)) {
		for (i = 0; buf[0][i] == buf[1][i]; i++)
			;
		diverge("data: byte +0x%lx of the area at +0x%lx: sim 0x%02x, "
			"mmap 0x%02x", i, slots[s].off, buf[0][i], buf[1][i]);
	}
}

/* A bad call both must refuse alike: vfree of an interior page. */
static void op_bad(void)
{
	int s = used_slot(K_VMALLOC), b, r[NBACK];

	if (s < 0 || slots[s].len <= PG)
		return;
	for (b = 0; b < NBACK; b++)
		r[b] = vmc_vfree(ar[b], (char *)addr_of(b, slots[s].off) + PG);
	if (same_ret(r, "vfree(interior)") && r[0] != -EINVAL)
		diverge("vfree of an interior page returned %d", r[0]);
}

static void op_purge(void)
{
	int r[NBACK], b;

	for (b = 0; b < NBACK; b++)
		r[b] = vmc_purge(ar[b]);
	same_ret(r, "purge");
}

static void check_both(const char *what)
{
	struct vmc_violation v;
	int b, bad;

	for (b = 0; b < NBACK && !diverged[0]; b++) {
		bad = vmc_check(ar[b], &v);
		checks[b]++;
		if (bad)
			diverge("after %s: vmc_check on %s: invariant %d: %s",
				what, bname[b], bad, v.msg);
	}
}

static const char *const op_name[] = {
	"vmalloc", "vzalloc", "vfree/unmap", "vmap", "vm_map_ram", "ioremap",
	"vrealloc", "write", "verify", "purge", "bad call"
};

static void one_step(void)
{
	unsigned long r = rnd(100);
	int op;

	if (r < 14)
		op = 0;
	else if (r < 20)
		op = 1;
	else if (r < 42)
		op = 2;
	else if (r < 49)
		op = 3;
	else if (r < 57)
		op = 4;
	else if (r < 62)
		op = 5;
	else if (r < 68)
		op = 6;
	else if (r < 82)
		op = 7;
	else if (r < 96)
		op = 8;
	else if (r < 98)
		op = 9;
	else
		op = 10;
	op_hits[op]++;
	switch (op) {
	case 0: op_alloc(0); break;
	case 1: op_alloc(1); break;
	case 2: op_free(); break;
	case 3: op_vmap(0); break;
	case 4: op_vmap(1); break;
	case 5: op_ioremap(); break;
	case 6: op_vrealloc(); break;
	case 7: op_write(); break;
	case 8: op_verify(); break;
	case 9: op_purge(); break;
	default: op_bad(); break;
	}
	if (!diverged[0])
		check_both(op_name[op]);
}

int main(void)
{
	const char *env = getenv("VMC_DIFF_OPS");
	unsigned long nops = env ? strtoul(env, NULL, 0) : 5000, e;
	struct vmc_arena_config cfg;
	struct vmc_stats st[NBACK];
	unsigned long dsz[NBACK];
	int b, i;

	if (!vmc_backend_find("mmap"))
		tap_skip_all("no mmap backend in this build");
	tap_plan(6);
	rng = vt_seed(0x5eed0d1ffULL);
	tap_diag("%lu steps (set VMC_DIFF_OPS to change)", nops);
	for (b = 0; b < NBACK; b++) {
		memset(&cfg, 0, sizeof(cfg));
		cfg.ops = b ? &vmc_mmap_ops : &vmc_sim_ops;
		cfg.geometry = "x86_64";
		cfg.nr_frames = 8192;
		cfg.nr_nodes = 2;
		cfg.dev_frames = 256;
		cfg.lazy_max_pages = 512;
		cfg.features_off = VMC_BF_HUGE_PMD | VMC_BF_HUGE_PUD;
		cfg.flags = VMC_ARENA_QUIET;
		ar[b] = vt_arena_cfg(&cfg);
		vmc_arena_range(ar[b], &base[b], &e);
		dsz[b] = e - base[b];
		vmc_arena_device(ar[b], &dev_phys[b], &dev_size);
	}
	tap_ok(dsz[0] == dsz[1] && !(vmc_arena_ops(ar[0])->features &
				     vmc_arena_ops(ar[1])->features &
				     (VMC_BF_HUGE_PMD | VMC_BF_HUGE_PUD)),
	       "both arenas span 0x%lx bytes, huge leaves off on sim",
	       dsz[0]);

	for (step_no = 1; step_no <= nops && !diverged[0]; step_no++) {
		one_step();
		ops_done++;
	}
	/* Tear down in lock step too, then compare the drained arenas. */
	while (!diverged[0] && used_slot(K_NONE) >= 0)
		op_free();              /* a random live slot each time */
	if (!diverged[0]) {
		op_purge();
		check_both("teardown");
	}
	for (i = 0; i < (int)(sizeof(op_name) / sizeof(op_name[0])); i++)
		tap_diag("%-12s %lu", op_name[i], op_hits[i]);
	tap_ok(!diverged[0], "%lu steps: same answers, offsets, frames and "
	       "data on sim and mmap%s%s", ops_done, diverged[0] ? ": " : "",
	       diverged);
	tap_ok(checks[0] >= ops_done && checks[1] >= ops_done,
	       "vmc_check clean after every step (%lu on sim, %lu on mmap)",
	       checks[0], checks[1]);
	tap_ok(verifies > nops / 20,
	       "%lu verifies compared %lu bytes", verifies, bytes_compared);
	for (b = 0; b < NBACK; b++)
		vmc_get_stats(ar[b], &st[b]);
	tap_ok(!diverged[0] && st[0].nr_busy == 0 && st[1].nr_busy == 0 &&
	       st[0].nr_free == 1 && st[1].nr_free == 1 &&
	       st[0].frames_data == 0 && st[1].frames_data == 0 &&
	       st[0].frames_harness == 0 && st[1].frames_harness == 0,
	       "both drain to one free block, no frames");
	tap_ok(st[0].frames_tables == st[1].frames_tables,
	       "same page-table frames left (%lu, %lu)",
	       st[0].frames_tables, st[1].frames_tables);
	for (b = 0; b < NBACK; b++)
		vmc_arena_destroy(ar[b]);
	return tap_done();
}
