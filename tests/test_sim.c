/* SPDX-License-Identifier: MIT */
/*
 * test_sim.c - the sim backend, driven directly through vmc_sim_ops.
 *
 * sim only: it tests the sim backend itself (tables, soft TLB, RAM).
 *
 * No core here: the test builds page tables by hand with the backend's own
 * entry slots, so it checks the simulated hardware in isolation -- RAM and
 * its buddy allocator, the three entry formats, the page walk, and the
 * soft TLB's one promise: a translation lives until flush_tlb().
 *
 * Every geometry runs the same mapping scenario at the bottom of its
 * vmalloc space:
 *
 *     vstart                      vstart + huge
 *     | P0 | P1 | ...             | H (one 2 MiB / 4 MiB leaf) ...|
 *     P0: 4K RW page   P1: 4K read-only page   H: huge RW leaf
 */
#define _POSIX_C_SOURCE 200809L
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "vmc_sim.h"
#include "tap.h"

static const struct vmc_backend_ops *ops = &vmc_sim_ops;

struct inst {
	void *bs;
	struct vmc_backend_info info;
};

static int open_inst(struct inst *in, const struct vmc_backend_config *cfg)
{
	int err;

	in->bs = calloc(1, ops->state_size);
	if (!in->bs)
		return -ENOMEM;
	err = ops->init(in->bs, cfg, &in->info);
	if (err) {
		free(in->bs);
		in->bs = NULL;
	}
	return err;
}

static void close_inst(struct inst *in)
{
	if (!in->bs)
		return;
	ops->fini(in->bs);
	free(in->bs);
	in->bs = NULL;
}

static unsigned int idx_of(const struct inst *in, unsigned long va,
			   unsigned int level)
{
	unsigned int shift = vmc_geom_shift(&in->info.geom, level);

	return (unsigned int)((va >> shift) &
			      ((1u << in->info.geom.bits[level]) - 1));
}

/*
 * arch_sync_kernel_mappings after writing levels `mask` around va, as the
 * core's walker does: without it the CPU (which walks from the other
 * roots' copy of the top level) would not see a new top-level entry.
 */
static void sync_va(struct inst *in, unsigned long va, unsigned int mask)
{
	if (mask & in->info.geom.sync_levels)
		ops->sync(in->bs, va, va + 1, mask);
}

/* Install a leaf for va at `level`, allocating tables on the way down. */
static int map_leaf_nosync(struct inst *in, unsigned long va,
			   unsigned int level, unsigned long pfn,
			   unsigned int prot, unsigned int *mask)
{
	unsigned long table = ops->root(in->bs);
	unsigned int l;
	int err;

	for (l = in->info.geom.levels - 1; l > level; l--) {
		unsigned int i = idx_of(in, va, l);
		vmc_pte_t e = ops->read(in->bs, table, l, i);

		if (!ops->present(in->bs, l, e)) {
			unsigned long t;

			err = ops->table_alloc(in->bs, l - 1, &t);
			if (err)
				return err;
			e = ops->mk_table(in->bs, l, t);
			err = ops->write(in->bs, table, l, i, e, va);
			if (err)
				return err;
			*mask |= 1u << l;
		}
		table = ops->entry_pfn(in->bs, l, e);
	}
	*mask |= 1u << level;
	return ops->write(in->bs, table, level, idx_of(in, va, level),
			  ops->mk_leaf(in->bs, level, pfn, prot), va);
}

static int map_leaf(struct inst *in, unsigned long va, unsigned int level,
		    unsigned long pfn, unsigned int prot)
{
	unsigned int mask = 0;
	int err = map_leaf_nosync(in, va, level, pfn, prot, &mask);

	sync_va(in, va, mask);
	return err;
}

/* Clear the leaf for va at `level` (no TLB flush). */
static void unmap_leaf(struct inst *in, unsigned long va, unsigned int level)
{
	unsigned long table = ops->root(in->bs);
	unsigned int l;

	for (l = in->info.geom.levels - 1; l > level; l--)
		table = ops->entry_pfn(in->bs, l,
				       ops->read(in->bs, table, l, idx_of(in, va, l)));
	ops->write(in->bs, table, level, idx_of(in, va, level), 0, va);
	sync_va(in, va, 1u << level);
}

/* Free every table below `table` (leaves must already be cleared). */
static void free_tables_nosync(struct inst *in, unsigned long table,
			       unsigned int level)
{
	unsigned int i;

	for (i = 0; i < 1u << in->info.geom.bits[level]; i++) {
		vmc_pte_t e = ops->read(in->bs, table, level, i);

		if (!ops->present(in->bs, level, e))
			continue;
		if (level > 0 && !ops->is_leaf(in->bs, level, e)) {
			unsigned long child = ops->entry_pfn(in->bs, level, e);

			free_tables_nosync(in, child, level - 1);
			ops->write(in->bs, table, level, i, 0, 0);
			ops->table_free(in->bs, level - 1, child);
		}
	}
}

/* The same from the root, then the sync that tells the other roots. */
static void free_tables(struct inst *in, unsigned long table,
			unsigned int level)
{
	free_tables_nosync(in, table, level);
	ops->sync(in->bs, 0, ~0UL, 1u << level);
}

static bool all_bytes(const void *p, int c, size_t n)
{
	const unsigned char *b = p;
	size_t i;

	for (i = 0; i < n; i++)
		if (b[i] != (unsigned char)c)
			return false;
	return true;
}

/* Run fn in a child; true when it died by SIGABRT (a VMC_VERIFY panic). */
static bool dies(void (*fn)(void))
{
	pid_t pid;
	int st;

	fflush(stdout);
	pid = fork();
	if (pid < 0)
		return false;
	if (pid == 0) {
		if (!freopen("/dev/null", "w", stderr) ||
		    !freopen("/dev/null", "w", stdout))
			_exit(3);
		fn();
		_exit(0);
	}
	if (waitpid(pid, &st, 0) != pid)
		return false;
	return WIFSIGNALED(st) && WTERMSIG(st) == SIGABRT;
}

/* --- defaults and configuration ---------------------------------------- */

static void test_defaults(void)
{
	struct vmc_backend_config cfg = { 0 };
	struct inst in;
	unsigned int want = VMC_BF_HUGE_PMD | VMC_BF_HUGE_PUD |
			    VMC_BF_SOFT_TLB | VMC_BF_NUMA | VMC_BF_CONCURRENT;
	int err;

	err = open_inst(&in, NULL);
	tap_ok(err == 0, "init with NULL config: %d", err);
	if (err)
		return;
	tap_ok(!strcmp(ops->name, "sim") && ops->state_size > 0,
	       "ops table: name sim, state_size %zu", ops->state_size);
	tap_ok(!strcmp(in.info.geom.name, "x86_64") && in.info.geom.levels == 4,
	       "default geometry x86_64, 4 levels");
	tap_ok(in.info.nr_frames == 65536 && in.info.nr_nodes == 2,
	       "default 65536 frames, 2 nodes (%lu, %u)",
	       in.info.nr_frames, in.info.nr_nodes);
	tap_ok(in.info.dev_phys == (uint64_t)0x80000 << 12 &&
	       in.info.dev_size == 1024 * 4096UL,
	       "device region at 2 GiB, 1024 frames (0x%llx, 0x%lx)",
	       (unsigned long long)in.info.dev_phys, in.info.dev_size);
	tap_ok(in.info.features == want, "all features offered (0x%x)",
	       in.info.features);
	tap_ok(vmc_sim_ram_base_pfn(in.bs) == 0x40000, "RAM starts at pfn 0x40000");
	tap_ok(ops->frames_used(in.bs) == 1 &&
	       vmc_sim_node_frames_free(in.bs, -1) == 65535,
	       "root table is the only frame used (%lu)", ops->frames_used(in.bs));
	close_inst(&in);

	err = open_inst(&in, &cfg);
	tap_ok(err == 0 && in.info.nr_frames == 65536 && in.info.geom.levels == 4,
	       "zeroed config means defaults");
	close_inst(&in);

	cfg.geometry = "sparc";
	tap_ok(open_inst(&in, &cfg) == -EINVAL, "unknown geometry: -EINVAL");
	close_inst(&in);

	cfg.geometry = "i386";
	cfg.nr_frames = 0xc0000;        /* RAM ends at 4 GiB: device above */
	tap_ok(open_inst(&in, &cfg) == -EINVAL,
	       "i386 with RAM+device beyond 32-bit pfns: -EINVAL");
	close_inst(&in);

	cfg.nr_frames = 0x40000;        /* RAM up to 2 GiB, device at 2 GiB */
	err = open_inst(&in, &cfg);
	tap_ok(err == 0, "i386 with 1 GiB of RAM fits: %d", err);
	close_inst(&in);

	memset(&cfg, 0, sizeof(cfg));
	cfg.features_off = VMC_BF_HUGE_PUD | VMC_BF_NUMA;
	err = open_inst(&in, &cfg);
	tap_ok(err == 0 && in.info.geom.leaf_levels == 0x3 &&
	       in.info.nr_nodes == 1 &&
	       in.info.features == (VMC_BF_HUGE_PMD | VMC_BF_SOFT_TLB |
				     VMC_BF_CONCURRENT),
	       "features_off: no PUD leaves, one node (leaf 0x%x, nodes %u, f 0x%x)",
	       in.info.geom.leaf_levels, in.info.nr_nodes, in.info.features);
	close_inst(&in);

	cfg.features_off = 0;
	cfg.nr_nodes = 1;
	err = open_inst(&in, &cfg);
	tap_ok(err == 0 && !(in.info.features & VMC_BF_NUMA),
	       "one node: no VMC_BF_NUMA (0x%x)", in.info.features);
	close_inst(&in);
}

/* --- physical memory --------------------------------------------------- */

static void test_frames(void)
{
	struct vmc_backend_config cfg = { .nr_frames = 2048, .nr_nodes = 2 };
	struct inst in;
	unsigned long pfn, pfn2, base, p[1024], used0;
	unsigned int i;
	bool ok;
	int err;

	if (!tap_ok(open_inst(&in, &cfg) == 0, "init 2048 frames, 2 nodes")) {
		tap_skip("frames");
		return;
	}
	base = vmc_sim_ram_base_pfn(in.bs);
	used0 = ops->frames_used(in.bs);

	err = ops->frame_alloc(in.bs, -1, 0, &pfn);
	tap_ok(err == 0 && pfn >= base && pfn < base + 1024 &&
	       ops->frame_node(in.bs, pfn) == 0,
	       "order 0, no preference: node 0 (pfn 0x%lx)", pfn);
	tap_ok(all_bytes(ops->kaddr(in.bs, pfn), 0xa5, VMC_PAGE_SIZE),
	       "frame_alloc poisons the frame with 0xa5");
	tap_ok(ops->frames_used(in.bs) == used0 + 1, "frames_used counts it");
	tap_ok(ops->kaddr(in.bs, pfn + 1) == NULL && ops->kaddr(in.bs, 0) == NULL &&
	       ops->kaddr(in.bs, base + 2048) == NULL &&
	       ops->kaddr(in.bs, (unsigned long)(in.info.dev_phys >> 12) + 1023) != NULL &&
	       ops->kaddr(in.bs, (unsigned long)(in.info.dev_phys >> 12) + 1024) == NULL,
	       "kaddr: NULL for free, absent and past-device pfns; last device frame ok");

	/* A freed, dirtied frame comes back as a zeroed table. */
	memset(ops->kaddr(in.bs, pfn), 0x5a, VMC_PAGE_SIZE);
	ops->frame_free(in.bs, pfn, 0);
	err = ops->table_alloc(in.bs, 0, &pfn2);
	tap_ok(err == 0 && pfn2 == pfn &&
	       all_bytes(ops->kaddr(in.bs, pfn2), 0, VMC_PAGE_SIZE),
	       "table_alloc reuses the frame and zeroes it");
	ops->table_free(in.bs, 0, pfn2);

	err = ops->frame_alloc(in.bs, 1, 9, &pfn);
	tap_ok(err == 0 && !(pfn & 511) && pfn >= base + 1024 &&
	       ops->frame_node(in.bs, pfn) == 1 &&
	       ops->frame_node(in.bs, pfn + 511) == 1,
	       "order 9 on node 1: aligned to 512, in node 1 (0x%lx)", pfn);
	tap_ok(all_bytes(ops->kaddr(in.bs, pfn + 511), 0xa5, VMC_PAGE_SIZE),
	       "poison covers the whole block");
	tap_ok(ops->frames_used(in.bs) == used0 + 512, "frames_used counts 512");
	ops->frame_free(in.bs, pfn, 9);
	tap_ok(ops->frames_used(in.bs) == used0 &&
	       vmc_sim_node_frames_free(in.bs, 1) == 1024,
	       "free of order 9 returns it all");

	/* Coalescing: 1024 single frames of node 1 merge back to order 10. */
	ok = true;
	for (i = 0; i < 1024; i++)
		ok = ok && ops->frame_alloc(in.bs, 1, 0, &p[i]) == 0 &&
		     ops->frame_node(in.bs, p[i]) == 1;
	tap_ok(ok && vmc_sim_node_frames_free(in.bs, 1) == 0,
	       "1024 order-0 frames exhaust node 1");
	err = ops->frame_alloc(in.bs, 1, 0, &pfn);
	tap_ok(err == 0 && ops->frame_node(in.bs, pfn) == 0,
	       "node 1 full: falls back to node 0");
	ops->frame_free(in.bs, pfn, 0);
	for (i = 0; i < 1024; i++)              /* so poison must be fresh */
		memset(ops->kaddr(in.bs, p[i]), 0, VMC_PAGE_SIZE);
	for (i = 0; i < 1024; i += 2)           /* evens, then odds */
		ops->frame_free(in.bs, p[i], 0);
	err = ops->frame_alloc(in.bs, 1, 1, &pfn);
	tap_ok(err != 0 || ops->frame_node(in.bs, pfn) != 1,
	       "half freed, no buddy pair on node 1 yet");
	if (!err)
		ops->frame_free(in.bs, pfn, 1);
	for (i = 1; i < 1024; i += 2)
		ops->frame_free(in.bs, p[i], 0);
	err = ops->frame_alloc(in.bs, 1, 10, &pfn);
	tap_ok(err == 0 && pfn == base + 1024,
	       "all freed: buddies coalesced into one order-10 block (0x%lx)", pfn);
	tap_ok(err == 0 && all_bytes(ops->kaddr(in.bs, pfn + 511), 0xa5, VMC_PAGE_SIZE) &&
	       all_bytes(ops->kaddr(in.bs, pfn + 512), 0xa5, VMC_PAGE_SIZE) &&
	       all_bytes(ops->kaddr(in.bs, pfn + 1023), 0xa5, VMC_PAGE_SIZE),
	       "order-10 block poisoned across its two 2 MiB host chunks");
	if (!err)
		ops->frame_free(in.bs, pfn, 10);

	/* Exhaustion. */
	tap_ok(ops->frame_alloc(in.bs, 0, 11, &pfn) == -ENOMEM,
	       "order 11 cannot fit a 1024-frame node: -ENOMEM");
	tap_ok(ops->frame_alloc(in.bs, 0, 19, &pfn) == -ENOMEM,
	       "order 19 (beyond max): -ENOMEM");
	/* Node 0 lost one frame to the root: no order 10 there any more. */
	err = ops->frame_alloc(in.bs, 0, 10, &p[0]);
	tap_ok(err == 0 && ops->frame_node(in.bs, p[0]) == 1,
	       "order 10 preferring node 0 falls back to node 1");
	err = ops->frame_alloc(in.bs, 0, 9, &pfn);
	tap_ok(err == 0 && ops->frame_node(in.bs, pfn) == 0 &&
	       ops->frame_alloc(in.bs, 0, 9, &pfn2) == -ENOMEM,
	       "then one order 9 fits node 0, a second fits nowhere");
	if (!err)
		ops->frame_free(in.bs, pfn, 9);
	ops->frame_free(in.bs, p[0], 10);
	tap_ok(ops->frames_used(in.bs) == used0,
	       "frames_used back to the baseline (%lu)", ops->frames_used(in.bs));
	close_inst(&in);
}

static void test_exhaust(void)
{
	struct vmc_backend_config cfg = { .nr_frames = 64, .nr_nodes = 1 };
	struct inst in;
	unsigned long pfn, n = 0;
	int err;

	if (!tap_ok(open_inst(&in, &cfg) == 0, "init 64 frames, 1 node")) {
		tap_skip("exhaust");
		return;
	}
	while ((err = ops->frame_alloc(in.bs, -1, 0, &pfn)) == 0)
		n++;
	tap_ok(err == -ENOMEM && n == 63,
	       "63 frames besides the root, then -ENOMEM (%lu, %d)", n, err);
	tap_ok(ops->table_alloc(in.bs, 0, &pfn) == -ENOMEM,
	       "table_alloc on empty RAM: -ENOMEM");
	tap_ok(ops->frames_used(in.bs) == 64, "frames_used == 64");
	close_inst(&in);            /* fini releases the leaked frames */
}

static void seq(struct inst *in, unsigned long *out)
{
	unsigned long a, b, c, d;

	ops->frame_alloc(in->bs, 1, 0, &a);
	ops->frame_alloc(in->bs, -1, 3, &b);
	ops->table_alloc(in->bs, 0, &c);
	ops->frame_free(in->bs, a, 0);
	ops->frame_alloc(in->bs, 0, 9, &d);
	ops->frame_alloc(in->bs, 1, 2, &a);
	out[0] = a;
	out[1] = b;
	out[2] = c;
	out[3] = d;
}

static void test_determinism(void)
{
	struct inst x, y;
	unsigned long px[4], py[4];
	bool ok;

	ok = open_inst(&x, NULL) == 0 && open_inst(&y, NULL) == 0;
	if (!tap_ok(ok, "two default instances")) {
		close_inst(&x);
		tap_skip("determinism");
		return;
	}
	seq(&x, px);
	seq(&y, py);
	tap_ok(!memcmp(px, py, sizeof(px)) &&
	       ops->root(x.bs) == ops->root(y.bs) &&
	       px[0] != px[1] && px[1] != px[3],
	       "same calls, same pfns (0x%lx 0x%lx 0x%lx 0x%lx)",
	       px[0], px[1], px[2], px[3]);
	close_inst(&x);
	close_inst(&y);
}

/* --- death tests: core bugs panic -------------------------------------- */

static void die_double_free(void)
{
	struct inst in;
	unsigned long pfn;

	open_inst(&in, NULL);
	ops->frame_alloc(in.bs, -1, 0, &pfn);
	ops->frame_free(in.bs, pfn, 0);
	ops->frame_free(in.bs, pfn, 0);
}

static void die_wrong_order(void)
{
	struct inst in;
	unsigned long pfn;

	open_inst(&in, NULL);
	ops->frame_alloc(in.bs, -1, 2, &pfn);
	ops->frame_free(in.bs, pfn, 1);
}

static void die_never_allocated(void)
{
	struct inst in;

	open_inst(&in, NULL);
	ops->frame_free(in.bs, vmc_sim_ram_base_pfn(in.bs) + 4000, 0);
}

static void die_table_as_frame(void)
{
	struct inst in;

	open_inst(&in, NULL);
	ops->frame_free(in.bs, ops->root(in.bs), 0);
}

static void die_read_non_table(void)
{
	struct inst in;
	unsigned long pfn;

	open_inst(&in, NULL);
	ops->frame_alloc(in.bs, -1, 0, &pfn);
	ops->read(in.bs, pfn, 0, 0);
}

static void die_read_outside_ram(void)
{
	struct inst in;

	open_inst(&in, NULL);
	ops->read(in.bs, vmc_sim_ram_base_pfn(in.bs) + (1UL << 30), 0, 0);
}

static void die_write_non_table(void)
{
	struct inst in;
	unsigned long pfn;

	open_inst(&in, NULL);
	ops->frame_alloc(in.bs, -1, 0, &pfn);
	ops->write(in.bs, pfn, 0, 0, 0, 0);
}

static void live_clean(void)
{
	struct inst in;
	unsigned long pfn;

	if (open_inst(&in, NULL))
		return;
	ops->frame_alloc(in.bs, -1, 2, &pfn);
	ops->frame_free(in.bs, pfn, 2);
	close_inst(&in);
}

static void test_deaths(void)
{
	/* Control: the harness does not report a clean child as dead. */
	tap_ok(!dies(live_clean), "death harness: a clean run survives");
	tap_ok(dies(die_double_free), "double free panics");
	tap_ok(dies(die_wrong_order), "free with the wrong order panics");
	tap_ok(dies(die_never_allocated), "free of a never-allocated pfn panics");
	tap_ok(dies(die_table_as_frame), "frame_free of a table panics");
	/* Reads pay only the bounds check in release builds (sim_geom.c slot()). */
#ifdef VMC_DEBUG
	tap_ok(dies(die_read_non_table), "read of a non-table frame panics");
#else
	tap_ok(!dies(die_read_non_table), "release: read of a non-table RAM frame "
	       "is not checked (debug builds panic)");
#endif
	tap_ok(dies(die_read_outside_ram), "read of a pfn outside RAM panics");
	tap_ok(dies(die_write_non_table), "write into a non-table frame panics");
}

/* --- entry formats ----------------------------------------------------- */

static void test_entries(const char *geom)
{
	struct vmc_backend_config cfg = { .geometry = geom };
	struct inst in;
	bool i386 = !strcmp(geom, "i386");
	unsigned long pfn = 0x41234, hpfn = i386 ? 0x41400 : 0x41200, t;
	unsigned char *p;
	vmc_pte_t e;
	uint32_t w32[3];
	unsigned int top;

	if (!tap_ok(open_inst(&in, &cfg) == 0, "%s: init", geom)) {
		tap_skip("%s: entries", geom);
		return;
	}
	top = in.info.geom.levels - 1;

	e = ops->mk_table(in.bs, 1, pfn);
	tap_ok(e == (((vmc_pte_t)pfn << 12) | 0x63),
	       "%s: table entry = addr|P|RW|A|D (0x%llx)", geom,
	       (unsigned long long)e);
	tap_ok(ops->present(in.bs, 1, e) && !ops->is_leaf(in.bs, 1, e) &&
	       ops->entry_pfn(in.bs, 1, e) == pfn,
	       "%s: table entry present, not a leaf, pfn round trip", geom);

	e = ops->mk_leaf(in.bs, 0, pfn, VMC_PROT_KERNEL);
	tap_ok(e == (((vmc_pte_t)pfn << 12) | 0x163 |
		     (i386 ? 0 : 1ULL << 63)),
	       "%s: PAGE_KERNEL pte = addr|P|RW|A|D|G%s (0x%llx)", geom,
	       i386 ? "" : "|NX", (unsigned long long)e);
	tap_ok(ops->leaf_prot(in.bs, 0, e) ==
	       (VMC_PROT_KERNEL | (i386 ? VMC_PROT_EXEC : 0)) &&
	       ops->entry_pfn(in.bs, 0, e) == pfn && ops->is_leaf(in.bs, 0, e),
	       "%s: PAGE_KERNEL decodes back (prot 0x%x)", geom,
	       ops->leaf_prot(in.bs, 0, e));

	e = ops->mk_leaf(in.bs, 0, pfn, VMC_PROT_READ);
	tap_ok(!(e & 2) && ops->leaf_prot(in.bs, 0, e) ==
	       (VMC_PROT_READ | (i386 ? VMC_PROT_EXEC : 0)),
	       "%s: read-only pte has no RW bit", geom);

	e = ops->mk_leaf(in.bs, 0, pfn, VMC_PROT_KERNEL | VMC_PROT_EXEC);
	tap_ok(!(e >> 63) &&
	       ops->leaf_prot(in.bs, 0, e) == (VMC_PROT_KERNEL | VMC_PROT_EXEC),
	       "%s: executable pte has no NX bit", geom);

	e = ops->mk_leaf(in.bs, 0, pfn, VMC_PROT_IO);
	tap_ok((e & 0x18) == 0x18 && (ops->leaf_prot(in.bs, 0, e) &
	       (VMC_PROT_KERNEL | VMC_PROT_NOCACHE)) == VMC_PROT_IO,
	       "%s: ioremap pte has PCD|PWT and decodes NOCACHE", geom);

	e = ops->mk_leaf(in.bs, 1, hpfn, VMC_PROT_KERNEL);
	tap_ok((e & 0x80) && ops->is_leaf(in.bs, 1, e) &&
	       ops->entry_pfn(in.bs, 1, e) == hpfn &&
	       (ops->leaf_prot(in.bs, 1, e) & VMC_PROT_KERNEL) == VMC_PROT_KERNEL,
	       "%s: level-1 leaf has PSE and round-trips (0x%llx)", geom,
	       (unsigned long long)e);
	tap_ok(!ops->mk_leaf(in.bs, 0, pfn, VMC_PROT_KERNEL) ||
	       !(ops->mk_leaf(in.bs, 0, pfn, VMC_PROT_KERNEL) & 0x80),
	       "%s: level-0 pte has no PSE (bit 7 is PAT there)", geom);
	tap_ok(!ops->present(in.bs, 0, 0) && !ops->present(in.bs, top, 0),
	       "%s: zero entry is not present", geom);
	if (!i386) {
		e = ops->mk_leaf(in.bs, 2, 0x80000, VMC_PROT_KERNEL);
		tap_ok((e & 0x80) && ops->entry_pfn(in.bs, 2, e) == 0x80000,
		       "%s: PUD leaf has PSE, pfn round trip", geom);
	} else {
		e = ops->mk_leaf(in.bs, 0, 0xfffff, VMC_PROT_KERNEL);
		tap_ok(e >> 32 == 0 && ops->entry_pfn(in.bs, 0, e) == 0xfffff,
		       "%s: highest pfn fits a 32-bit entry", geom);
	}

	/* Entries live in the frame at entry_size strides. */
	if (ops->table_alloc(in.bs, 0, &t) == 0) {
		unsigned long data;
		vmc_pte_t e2;

		ops->frame_alloc(in.bs, -1, 0, &data);
		e = ops->mk_leaf(in.bs, 0, data, VMC_PROT_KERNEL);
		e2 = ops->mk_leaf(in.bs, 0, data, VMC_PROT_READ);
		ops->write(in.bs, t, 0, 1, e, 0);
		ops->write(in.bs, t, 0, 2, e2, 0);
		p = ops->kaddr(in.bs, t);
		if (i386) {
			memcpy(w32, p, sizeof(w32));
			tap_ok(w32[0] == 0 && w32[1] == (uint32_t)e &&
			       w32[2] == (uint32_t)e2 && all_bytes(p + 12, 0, 4),
			       "%s: entries 1, 2 stored as uint32_t at bytes 4..11", geom);
		} else {
			uint64_t w64[3];

			memcpy(w64, p, sizeof(w64));
			tap_ok(w64[0] == 0 && w64[1] == e && w64[2] == e2 &&
			       all_bytes(p + 24, 0, 8),
			       "%s: entries 1, 2 stored as uint64_t at bytes 8..23", geom);
		}
		tap_ok(ops->read(in.bs, t, 0, 1) == e && ops->read(in.bs, t, 0, 2) == e2 &&
		       ops->read(in.bs, t, 0, 3) == 0,
		       "%s: read returns what write stored", geom);
		ops->write(in.bs, t, 0, 1, 0, 0);
		ops->write(in.bs, t, 0, 2, 0, 0);
		ops->table_free(in.bs, 0, t);
		ops->frame_free(in.bs, data, 0);
	} else {
		tap_ok(0, "%s: table_alloc", geom);
		tap_skip("%s: read", geom);
	}
	tap_ok(ops->frames_used(in.bs) == 1, "%s: back to the root only", geom);
	close_inst(&in);
}

/* --- mapping, access, TLB ---------------------------------------------- */

struct tlb_seen { unsigned long va, pfn; int n, hit; };

static int tlb_cb(void *arg, unsigned long va, unsigned long pfn)
{
	struct tlb_seen *s = arg;

	s->n++;
	if (va == s->va && pfn == s->pfn)
		s->hit++;
	return 0;
}

static int tlb_stop(void *arg, unsigned long va, unsigned long pfn)
{
	(void)arg;
	(void)va;
	(void)pfn;
	return 42;
}

static void test_mapping(const char *geom)
{
	struct vmc_backend_config cfg = { .geometry = geom };
	struct inst in;
	struct vmc_sim_stats st;
	struct tlb_seen seen;
	unsigned long v0, v1, vh, pfn, d0, d1, h, got, dev, hsz, used0;
	unsigned int hord, lvl;
	unsigned char buf[256], *k;
	char big[VMC_PAGE_SIZE + 64];
	int err;

	if (!tap_ok(open_inst(&in, &cfg) == 0, "%s: init", geom)) {
		tap_skip("%s: mapping", geom);
		return;
	}
	used0 = ops->frames_used(in.bs);
	hord = vmc_geom_shift(&in.info.geom, 1) - VMC_PAGE_SHIFT;  /* 9 or 10 */
	hsz = 1UL << (hord + VMC_PAGE_SHIFT);
	v0 = in.info.vstart;
	v1 = v0 + VMC_PAGE_SIZE;
	vh = (in.info.vstart + 2 * hsz - 1) & ~(hsz - 1);
	dev = (unsigned long)(in.info.dev_phys >> VMC_PAGE_SHIFT);

	tap_ok(ops->translate(in.bs, v0, &pfn) == -EFAULT &&
	       ops->access(in.bs, v0, buf, 1, false) == -EFAULT,
	       "%s: unmapped vstart faults", geom);

	err = ops->frame_alloc(in.bs, -1, 0, &d0);
	err = err ? err : ops->frame_alloc(in.bs, -1, 0, &d1);
	err = err ? err : map_leaf(&in, v0, 0, d0, VMC_PROT_KERNEL);
	err = err ? err : map_leaf(&in, v1, 0, d1, VMC_PROT_READ);
	if (!tap_ok(err == 0, "%s: hand-built mapping of two pages: %d", geom, err))
		goto out;

	memset(buf, 0x3c, sizeof(buf));
	err = ops->access(in.bs, v0 + 100, buf, sizeof(buf), true);
	k = ops->kaddr(in.bs, d0);
	tap_ok(err == 0 && all_bytes(k + 100, 0x3c, sizeof(buf)) &&
	       k[99] == 0xa5 && k[100 + sizeof(buf)] == 0xa5,
	       "%s: write through va lands in the frame's bytes", geom);
	memset(k + 2000, 0x77, 16);
	err = ops->access(in.bs, v0 + 2000, buf, 16, false);
	tap_ok(err == 0 && all_bytes(buf, 0x77, 16),
	       "%s: read through va sees the direct map", geom);

	err = ops->access(in.bs, v1, buf, 16, false);
	tap_ok(err == 0 && all_bytes(buf, 0xa5, 16),
	       "%s: read-only page reads", geom);
	tap_ok(ops->access(in.bs, v1 + 8, buf, 4, true) == -EFAULT,
	       "%s: write to read-only page: -EFAULT", geom);
	memset(big, 0x11, sizeof(big));
	err = ops->access(in.bs, v1 - VMC_PAGE_SIZE + 32, big, sizeof(big), false);
	tap_ok(err == 0 && all_bytes(big + 100 - 32, 0x3c, sizeof(buf)) &&
	       (unsigned char)big[sizeof(big) - 1] == 0xa5 &&
	       (unsigned char)big[2000 - 32] == 0x77,
	       "%s: read across the page boundary copies both pages", geom);

	err = ops->translate(in.bs, v0 + 5, &pfn);
	tap_ok(err == 0 && pfn == d0, "%s: translate v0 -> its frame", geom);
	seen = (struct tlb_seen){ .va = v0, .pfn = d0 };
	ops->tlb_for_each(in.bs, tlb_cb, &seen);
	tap_ok(seen.hit == 1 && seen.n == 2,
	       "%s: tlb_for_each lists v0 once among 2 entries (%d/%d)", geom,
	       seen.hit, seen.n);
	tap_ok(ops->tlb_for_each(in.bs, tlb_stop, NULL) == 42,
	       "%s: tlb_for_each stops on non-zero", geom);

	/* The point of the soft TLB: clearing the PTE is not enough. */
	vmc_sim_get_stats(in.bs, &st);
	unmap_leaf(&in, v0, 0);
	tap_ok(vmc_sim_walk(in.bs, v0, NULL, NULL, NULL) == -EFAULT,
	       "%s: PTE cleared: the walk faults", geom);
	err = ops->translate(in.bs, v0, &pfn);
	memset(buf, 0, 4);
	tap_ok(err == 0 && pfn == d0 &&
	       ops->access(in.bs, v0 + 100, buf, 4, false) == 0 &&
	       all_bytes(buf, 0x3c, 4),
	       "%s: ...but the stale TLB entry still translates", geom);
	ops->flush_tlb(in.bs, v1, v1 + VMC_PAGE_SIZE);
	tap_ok(ops->translate(in.bs, v0, &pfn) == 0,
	       "%s: flushing a neighbour range keeps it", geom);
	ops->flush_tlb(in.bs, v0, v0 + VMC_PAGE_SIZE);
	tap_ok(ops->translate(in.bs, v0, &pfn) == -EFAULT &&
	       ops->access(in.bs, v0, buf, 1, true) == -EFAULT,
	       "%s: after flush_tlb: -EFAULT", geom);
	{
		struct vmc_sim_stats st2;

		vmc_sim_get_stats(in.bs, &st2);
		tap_ok(st2.tlb_flushes == st.tlb_flushes + 2 &&
		       st2.tlb_flushed_entries == st.tlb_flushed_entries + 2 &&
		       st2.tlb_hits > st.tlb_hits &&
		       st2.pte_writes == st.pte_writes + 1,
		       "%s: stats: 2 flushes dropped 2 entries, 1 pte write", geom);
	}

	/* A huge leaf maps the right 4K frame inside it. */
	err = ops->frame_alloc(in.bs, -1, hord, &h);
	err = err ? err : map_leaf(&in, vh, 1, h, VMC_PROT_KERNEL);
	if (tap_ok(err == 0, "%s: huge leaf of order %u mapped", geom, hord)) {
		unsigned long off = 37 * VMC_PAGE_SIZE + 12;

		err = ops->translate(in.bs, vh + off, &pfn);
		tap_ok(err == 0 && pfn == h + 37,
		       "%s: huge leaf: page 37 -> frame h+37 (0x%lx)", geom, pfn);
		err = vmc_sim_walk(in.bs, vh + hsz - 1, &pfn, &lvl, NULL);
		tap_ok(err == 0 && lvl == 1 && pfn == h + (hsz >> 12) - 1,
		       "%s: walk: last page at level 1, last frame", geom);
		buf[0] = 0xee;
		err = ops->access(in.bs, vh + off, buf, 1, true);
		k = ops->kaddr(in.bs, h + 37);
		tap_ok(err == 0 && k[12] == 0xee,
		       "%s: write lands in frame h+37 at offset 12", geom);
		tap_ok(ops->translate(in.bs, vh + hsz, &pfn) == -EFAULT,
		       "%s: just past the huge leaf faults", geom);
		unmap_leaf(&in, vh, 1);
		ops->flush_tlb(in.bs, vh, vh + hsz);
		tap_ok(ops->translate(in.bs, vh + off, &pfn) == -EFAULT,
		       "%s: huge leaf gone after clear + flush", geom);
		ops->frame_free(in.bs, h, hord);
	} else {
		tap_skip("%s: huge", geom);
	}

	/* Device frames: mapped uncached, reached through kaddr. */
	err = map_leaf(&in, v0 + 4 * VMC_PAGE_SIZE, 0, dev + 3, VMC_PROT_IO);
	memcpy(buf, "ioremap", 8);
	err = err ? err : ops->access(in.bs, v0 + 4 * VMC_PAGE_SIZE + 64, buf,
				      8, true);
	k = ops->kaddr(in.bs, dev + 3);
	tap_ok(err == 0 && !memcmp(k + 64, "ioremap", 8),
	       "%s: write through an IO mapping reaches device frame 3", geom);
	unmap_leaf(&in, v0 + 4 * VMC_PAGE_SIZE, 0);

	tap_ok(ops->translate(in.bs, v1, &pfn) == 0 &&
	       ops->translate(in.bs, in.info.vend - VMC_PAGE_SIZE, &pfn) == -EFAULT,
	       "%s: v1 still mapped, last page of the space is not", geom);
	if (strcmp(geom, "i386")) {
		/* Same low 48/57 bits as the mapped v1, but not canonical. */
		got = v1 & ~(1UL << 62);
		tap_ok(ops->translate(in.bs, got, &pfn) == -EFAULT,
		       "%s: non-canonical address faults", geom);
	} else {
		got = v1 | (1UL << 40);    /* same low 32 bits as v1 */
		tap_ok(sizeof(unsigned long) < 8 ||
		       ops->translate(in.bs, got, &pfn) == -EFAULT,
		       "%s: address above 4 GiB faults", geom);
	}

	/* Teardown: clear, flush, free tables and frames. */
	unmap_leaf(&in, v1, 0);
	ops->flush_tlb(in.bs, in.info.vstart, in.info.vend);
	tap_ok(vmc_sim_tlb_count(in.bs) == 0, "%s: full flush empties the TLB",
	       geom);
	vmc_sim_get_stats(in.bs, &st);
	tap_ok(st.tables_used == in.info.geom.levels,
	       "%s: root + one table per lower level (%lu)", geom, st.tables_used);
	free_tables(&in, ops->root(in.bs), in.info.geom.levels - 1);
	ops->frame_free(in.bs, d0, 0);
	ops->frame_free(in.bs, d1, 0);
	vmc_sim_get_stats(in.bs, &st);
	tap_ok(ops->frames_used(in.bs) == used0 && st.tables_used == 1 &&
	       st.frames_used == used0,
	       "%s: frames_used back to the baseline (%lu)", geom,
	       ops->frames_used(in.bs));
out:
	close_inst(&in);
}

static void test_no_tlb(void)
{
	struct vmc_backend_config cfg = { .features_off = VMC_BF_SOFT_TLB };
	struct inst in;
	unsigned long d, pfn;
	int err;

	err = open_inst(&in, &cfg);
	if (!tap_ok(err == 0 && !(in.info.features & VMC_BF_SOFT_TLB),
		    "SOFT_TLB withheld: init without it")) {
		close_inst(&in);
		return;
	}
	ops->frame_alloc(in.bs, -1, 0, &d);
	map_leaf(&in, in.info.vstart, 0, d, VMC_PROT_KERNEL);
	err = ops->translate(in.bs, in.info.vstart, &pfn);
	unmap_leaf(&in, in.info.vstart, 0);
	tap_ok(err == 0 && pfn == d &&
	       ops->translate(in.bs, in.info.vstart, &pfn) == -EFAULT,
	       "no TLB: a cleared PTE faults at once");
	free_tables(&in, ops->root(in.bs), in.info.geom.levels - 1);
	ops->frame_free(in.bs, d, 0);
	close_inst(&in);
}

static void test_tlb_capacity(void)
{
	struct vmc_backend_config cfg = { .tlb_entries = 8 };
	struct inst in;
	unsigned long d, pfn, i;
	bool ok = true;

	if (!tap_ok(open_inst(&in, &cfg) == 0, "8-entry TLB")) {
		tap_skip("capacity");
		return;
	}
	ops->frame_alloc(in.bs, -1, 0, &d);
	for (i = 0; i < 64; i++)
		ok = ok && map_leaf(&in, in.info.vstart + i * VMC_PAGE_SIZE, 0,
				    d, VMC_PROT_KERNEL) == 0 &&
		     ops->translate(in.bs, in.info.vstart + i * VMC_PAGE_SIZE,
				    &pfn) == 0;
	tap_ok(ok && vmc_sim_tlb_count(in.bs) == 8,
	       "64 pages touched, TLB holds its 8 (%lu)", vmc_sim_tlb_count(in.bs));

	/*
	 * 8 entries = 2 sets x 4 ways, set = page number mod 2.  Pages 0..7
	 * fill both sets; 8 and 10 then replace the two oldest of set 0:
	 *   set 0: 0 2 4 6 -> 8 10 4 6      set 1: 1 3 5 7 untouched
	 */
	ops->flush_tlb(in.bs, in.info.vstart, in.info.vend);
	for (i = 0; i <= 10; i++)
		if (i < 8 || i % 2 == 0)
			ops->translate(in.bs, in.info.vstart + i * VMC_PAGE_SIZE, &pfn);
	{
		struct tlb_seen s0 = { .va = in.info.vstart, .pfn = d };
		struct tlb_seen s2 = { .va = in.info.vstart + 2 * VMC_PAGE_SIZE, .pfn = d };
		struct tlb_seen s8 = { .va = in.info.vstart + 8 * VMC_PAGE_SIZE, .pfn = d };
		struct tlb_seen s10 = { .va = in.info.vstart + 10 * VMC_PAGE_SIZE, .pfn = d };
		struct tlb_seen s7 = { .va = in.info.vstart + 7 * VMC_PAGE_SIZE, .pfn = d };

		ops->tlb_for_each(in.bs, tlb_cb, &s0);
		ops->tlb_for_each(in.bs, tlb_cb, &s2);
		ops->tlb_for_each(in.bs, tlb_cb, &s8);
		ops->tlb_for_each(in.bs, tlb_cb, &s10);
		ops->tlb_for_each(in.bs, tlb_cb, &s7);
		tap_ok(!s0.hit && !s2.hit && s8.hit && s10.hit && s7.hit &&
		       s0.n == 8,
		       "FIFO replacement: pages 0, 2 evicted; 8, 10, 7 cached");
	}
	for (i = 0; i < 64; i++)
		unmap_leaf(&in, in.info.vstart + i * VMC_PAGE_SIZE, 0);
	ops->flush_tlb(in.bs, in.info.vstart, in.info.vend);
	free_tables(&in, ops->root(in.bs), in.info.geom.levels - 1);
	ops->frame_free(in.bs, d, 0);
	tap_ok(ops->frames_used(in.bs) == 1, "capacity test leaves the root only");
	close_inst(&in);
}

/*
 * The other page-table roots (sim_sync.c): the CPU walks the top level
 * from a copy only sync() updates.  A new top-level entry without a sync
 * faults although the tables map the page; after the sync it translates.
 * A cleared one keeps translating (stale) until synced, and an unsynced
 * entry whose table was freed since faults.
 */
static void test_other_root(const char *geom)
{
	struct vmc_backend_config cfg = { .geometry = geom,
					  .features_off = VMC_BF_SOFT_TLB };
	unsigned int top, mask = 0;
	unsigned long d, pfn, va, span;
	const unsigned char *copy, *root;
	size_t esize;
	struct inst in;
	int err;

	if (!tap_ok(open_inst(&in, &cfg) == 0, "%s: other root: init", geom)) {
		tap_skip("%s: other root", geom);
		return;
	}
	top = in.info.geom.levels - 1;
	span = 1UL << vmc_geom_shift(&in.info.geom, top);
	esize = in.info.geom.entry_size;
	va = in.info.vstart;
	ops->frame_alloc(in.bs, -1, 0, &d);
	err = map_leaf_nosync(&in, va, 0, d, VMC_PROT_KERNEL, &mask);
	tap_ok(err == 0 && (mask & in.info.geom.sync_levels) &&
	       vmc_sim_walk(in.bs, va, &pfn, NULL, NULL) == 0 && pfn == d &&
	       ops->translate(in.bs, va, &pfn) == -EFAULT,
	       "%s: new top-level entry, no sync: the tables map it, the CPU "
	       "faults", geom);
	copy = ops->sync_copy(in.bs);
	root = ops->table_entries(in.bs, ops->root(in.bs), top);
	tap_ok(copy && root && memcmp(copy, root, esize << in.info.geom.bits[top]),
	       "%s: sync_copy differs from the root", geom);
	ops->sync(in.bs, va, va + VMC_PAGE_SIZE, mask);
	tap_ok(ops->translate(in.bs, va, &pfn) == 0 && pfn == d &&
	       !memcmp(copy, root, esize << in.info.geom.bits[top]),
	       "%s: after sync() it translates; the copy equals the root", geom);

	/* Tear the table down without a sync: the copy points at a freed table. */
	unmap_leaf(&in, va, 0);
	free_tables_nosync(&in, ops->root(in.bs), top);
	tap_ok(ops->translate(in.bs, va, &pfn) == -EFAULT &&
	       memcmp(copy, root, esize << in.info.geom.bits[top]),
	       "%s: top-level entry cleared, table freed, no sync: faults, "
	       "copy stale", geom);
	ops->sync(in.bs, va, va + span, 1u << top);
	tap_ok(!memcmp(copy, root, esize << in.info.geom.bits[top]),
	       "%s: sync() of the span clears the copy", geom);
	ops->frame_free(in.bs, d, 0);
	close_inst(&in);
}

int main(void)
{
	static const char *const geoms[] = { "x86_64", "la57", "i386" };
	unsigned int i;

	/* Keep in step with the checks below (tap_done flags a mismatch). */
	tap_plan(183 + 3 * 6);
	test_defaults();
	test_frames();
	test_exhaust();
	test_determinism();
	test_deaths();
	for (i = 0; i < 3; i++) {
		test_entries(geoms[i]);
		test_mapping(geoms[i]);
		test_other_root(geoms[i]);
	}
	test_no_tlb();
	test_tlb_capacity();
	return tap_done();
}
