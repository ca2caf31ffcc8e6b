/* SPDX-License-Identifier: MIT */
/*
 * test_mmap.c - the mmap backend: a real MMU under the core.
 *
 * mmap only: it tests that backend (its host mappings and test hooks).
 *
 * The host's page tables are the oracle: data stored through a vmalloc
 * address must be in the memfd page the bookkeeping tables name (seen
 * through the direct map, vmc_kaddr), and addresses the core considers
 * unmapped (guard pages, freed areas, never-allocated space) must really
 * fault (vmc_mmap_probe).  Also checked: runs of frames cost fewer host
 * mmap calls than pages, a host refusal comes back as -ENOMEM with the
 * arena unchanged, a destroyed arena's memfds and window serve the next
 * arena of its size as the spare and come back clean, and once the spare
 * is released every fd and mapping is given back.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include "vmcore.h"
#include "vmc_backends.h"
#include "vmc_mmap.h"
#include "tap.h"

#define PG VMC_PAGE_SIZE

#if defined(__SANITIZE_ADDRESS__)
#define MM_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define MM_ASAN 1
#endif
#endif

static int count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int n = 0;

	if (!d)
		return -1;
	while ((e = readdir(d)))
		n += e->d_name[0] != '.';
	closedir(d);
	return n;
}

/* Lines of /proc/self/maps; with lo < hi, only those meeting [lo, hi). */
static int count_maps(unsigned long lo, unsigned long hi, const char *name)
{
	FILE *f = fopen("/proc/self/maps", "r");
	char line[512];
	int n = 0;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		unsigned long s, e;

		if (sscanf(line, "%lx-%lx", &s, &e) != 2)
			continue;
		if (lo < hi && (e <= lo || s >= hi))
			continue;
		if (name && !strstr(line, name))
			continue;
		n++;
	}
	fclose(f);
	return n;
}

static struct vmc_arena *arena(unsigned long frames)
{
	struct vmc_arena_config cfg;
	struct vmc_arena *a = NULL;
	int err;

	memset(&cfg, 0, sizeof(cfg));
	cfg.ops = vmc_backend_find("mmap");
	cfg.nr_frames = frames;
	cfg.dev_frames = 64;
	cfg.flags = VMC_ARENA_QUIET;
	if (!cfg.ops) {
		printf("Bail out! no mmap backend registered\n");
		exit(99);
	}
	err = vmc_arena_create(&cfg, &a);
	if (err) {
		printf("Bail out! vmc_arena_create(mmap): %d\n", err);
		exit(99);
	}
	return a;
}

static int check(struct vmc_arena *a)
{
	struct vmc_violation v;
	int r = vmc_check(a, &v);

	if (r)
		tap_diag("vmc_check: invariant %d: %s", v.invariant, v.msg);
	return r;
}

static struct vmc_mmap_stats mstats(struct vmc_arena *a)
{
	struct vmc_mmap_stats st;

	vmc_mmap_get_stats(vmc_arena_backend_state(a), &st);
	return st;
}

/* --- 1. the ops table alone ------------------------------------------- */

static void test_ops(void)
{
	const struct vmc_backend_ops *ops = vmc_backend_find("mmap");
	struct vmc_backend_config cfg;
	struct vmc_backend_info info;
	unsigned long t2, t1, t0, pfn, pfn2, root, va;
	unsigned int i2, i1, i0;
	void *bs = calloc(1, ops->state_size);
	char buf[16];

	tap_ok(ops && ops == vmc_backend_at(1), "mmap is registered after sim");
	memset(&cfg, 0, sizeof(cfg));
	cfg.geometry = "la57";
	tap_ok(ops->init(bs, &cfg, &info) == -EINVAL, "la57 refused (-EINVAL)");
	memset(bs, 0, ops->state_size);
	cfg.geometry = "i386";
	tap_ok(ops->init(bs, &cfg, &info) == -EINVAL, "i386 refused (-EINVAL)");

	memset(bs, 0, ops->state_size);
	cfg.geometry = NULL;
	cfg.nr_frames = 2048;
	cfg.dev_frames = 16;
	tap_ok(ops->init(bs, &cfg, &info) == 0, "init x86_64, 2048 frames");
	tap_ok(info.features == (VMC_BF_REAL_MMU | VMC_BF_NUMA) &&
	       info.nr_nodes == 2, "features: REAL_MMU | NUMA (2 nodes), %#x",
	       info.features);
	tap_ok(info.geom.levels == 4 && info.geom.leaf_levels == 1 &&
	       !strcmp(info.geom.name, "x86_64"),
	       "4 levels, 4 KiB leaves only");
	tap_ok(info.vend - info.vstart == 32UL << 40 &&
	       !(info.vstart & ((1UL << 30) - 1)),
	       "window: 32 TiB at a 1 GiB boundary (%#lx)", info.vstart);
	tap_ok(ops->tlb_for_each == NULL, "no soft TLB");

	/* Map one page by hand at vstart + 5 pages: tables 3 -> 2 -> 1 -> 0. */
	va = info.vstart + 5 * PG;
	root = ops->root(bs);
	i2 = (unsigned int)(va >> 39) & 511;
	i1 = (unsigned int)(va >> 30) & 511;
	i0 = (unsigned int)(va >> 21) & 511;
	ops->table_alloc(bs, 2, &t2);
	ops->table_alloc(bs, 1, &t1);
	ops->table_alloc(bs, 0, &t0);
	ops->write(bs, root, 3, i2, ops->mk_table(bs, 3, t2), va);
	ops->write(bs, t2, 2, i1, ops->mk_table(bs, 2, t1), va);
	ops->write(bs, t1, 1, i0, ops->mk_table(bs, 1, t0), va);
	ops->frame_alloc(bs, -1, 0, &pfn);
	tap_ok(vmc_mmap_probe(bs, va, false) == -EFAULT,
	       "before the leaf: the page faults");
	ops->batch_begin(bs);
	tap_ok(ops->write(bs, t0, 0, 5, ops->mk_leaf(bs, 0, pfn, VMC_PROT_KERNEL),
			  va) == 0, "leaf written");
	ops->batch_end(bs);
	tap_ok(ops->access(bs, va + 3, "hello", 6, true) == 0 &&
	       !memcmp((char *)ops->kaddr(bs, pfn) + 3, "hello", 6),
	       "access() writes land in the frame's direct map");
	tap_ok(!strcmp((char *)va + 3, "hello"),
	       "and are visible through the real address");
	tap_ok(ops->translate(bs, va, &pfn2) == 0 && pfn2 == pfn,
	       "translate: the recorded pfn");
	tap_ok(vmc_mmap_probe(bs, va, true) == 0, "the live page does not fault");
	tap_ok(vmc_mmap_probe(bs, va + PG, false) == -EFAULT,
	       "its neighbour does");
	ops->batch_begin(bs);
	ops->write(bs, t0, 0, 5, 0, va);
	ops->batch_end(bs);
	tap_ok(vmc_mmap_probe(bs, va, false) == -EFAULT &&
	       ops->access(bs, va, buf, 1, false) == -EFAULT,
	       "cleared: probe and access() fault");
	ops->write(bs, t1, 1, i0, 0, va);
	ops->table_free(bs, 0, t0);
	ops->write(bs, t2, 2, i1, 0, va);
	ops->table_free(bs, 1, t1);
	ops->write(bs, root, 3, i2, 0, va);
	ops->table_free(bs, 2, t2);
	ops->frame_free(bs, pfn, 0);
	tap_ok(ops->frames_used(bs) == 1, "only the root is left");
	ops->fini(bs);

	memset(bs, 0, ops->state_size);
	cfg.features_off = VMC_BF_NUMA;
	tap_ok(ops->init(bs, &cfg, &info) == 0 && info.nr_nodes == 1 &&
	       info.features == VMC_BF_REAL_MMU,
	       "features_off NUMA: one node, REAL_MMU only");
	ops->fini(bs);
	free(bs);
}

/* --- 2. through the public API ---------------------------------------- */

static void test_data(struct vmc_arena *a)
{
	unsigned long pfn, start, end;
	unsigned char *p = vmc_vmalloc(a, 3 * PG), *k;
	void *bs = vmc_arena_backend_state(a);
	char buf[8];
	unsigned int i;
	bool ok = true;

	vmc_arena_range(a, &start, &end);
	if (!tap_ok(p != NULL, "vmalloc(3 pages)"))
		return;
	/* pp.pp.pp.G : three live pages then the guard */
	for (i = 0; i < 3; i++) {
		memset(p + i * PG, 0x30 + (int)i, PG);  /* a real pointer */
		k = vmc_vm_page(a, p, i, &pfn) ? NULL : vmc_kaddr(a, pfn);
		ok = ok && k && k[0] == 0x30 + i && k[PG - 1] == 0x30 + i;
	}
	tap_ok(ok, "stores through the vmalloc address land in the recorded frames");
	vmc_vm_page(a, p, 1, &pfn);
	k = vmc_kaddr(a, pfn);
	memcpy(k + 100, "direct", 7);
	tap_ok(!memcmp(p + PG + 100, "direct", 7) &&
	       vmc_read(a, p + PG + 100, buf, 7) == 0 && !memcmp(buf, "direct", 7),
	       "stores through the direct map appear at the vmalloc address");
	tap_ok(vmc_mmap_probe(bs, (unsigned long)p, true) == 0 &&
	       vmc_mmap_probe(bs, (unsigned long)p + 2 * PG + 5, true) == 0,
	       "live pages do not fault");
	tap_ok(vmc_mmap_probe(bs, (unsigned long)p + 3 * PG, false) == -EFAULT,
	       "the guard page faults");
	tap_ok(vmc_mmap_probe(bs, start + (1UL << 30), false) == -EFAULT &&
	       vmc_mmap_probe(bs, end - PG, false) == -EFAULT,
	       "never-allocated space faults");
	tap_ok(check(a) == 0, "vmc_check after vmalloc");

	tap_ok(vmc_vfree(a, p) == 0, "vfree");
	tap_ok(vmc_mmap_probe(bs, (unsigned long)p, false) == -EFAULT,
	       "a freed (lazy) area faults at once: the host unmapped it");
	tap_ok(vmc_read(a, p, buf, 1) == -EFAULT, "and vmc_read says -EFAULT");
	vmc_purge(a);
	tap_ok(vmc_mmap_probe(bs, (unsigned long)p + PG, false) == -EFAULT,
	       "a purged area faults");
	tap_ok(check(a) == 0, "vmc_check after vfree + purge");
}

static void test_runs(struct vmc_arena *a)
{
	struct vmc_mmap_stats s0 = mstats(a), s1;
	unsigned long start, end, pfn0, pfn;
	unsigned char *p;
	unsigned int i;
	bool consecutive = true;

	vmc_arena_range(a, &start, &end);
	p = vmc_vmalloc(a, 16 * PG);
	s1 = mstats(a);
	if (!tap_ok(p != NULL, "vmalloc(16 pages)"))
		return;
	vmc_vm_page(a, p, 0, &pfn0);
	for (i = 1; i < 16; i++)
		consecutive = consecutive && !vmc_vm_page(a, p, i, &pfn) &&
			      pfn == pfn0 + i;
	tap_diag("16 pages: %lu host mmap calls, frames %sconsecutive",
		 s1.host_mmaps - s0.host_mmaps, consecutive ? "" : "not ");
	tap_ok(s1.pages_mapped - s0.pages_mapped == 16, "16 pages mapped");
	tap_ok(!consecutive || s1.host_mmaps - s0.host_mmaps <= 2,
	       "one run of frames: at most 2 host mmap calls (%lu)",
	       s1.host_mmaps - s0.host_mmaps);
	tap_ok(count_maps((unsigned long)p, (unsigned long)p + 16 * PG, NULL) ==
	       (consecutive ? 1 : count_maps((unsigned long)p,
					    (unsigned long)p + 16 * PG, NULL)) &&
	       count_maps((unsigned long)p, (unsigned long)p + 16 * PG,
			  "memfd:vmcore-ram") >= 1,
	       "the host merged the run into %d mapping(s) of the RAM memfd",
	       count_maps((unsigned long)p, (unsigned long)p + 16 * PG, NULL));
	memset(p, 0x77, 16 * PG);
	vmc_vm_page(a, p, 15, &pfn);
	tap_ok(((unsigned char *)vmc_kaddr(a, pfn))[PG - 1] == 0x77,
	       "last byte of the run is in its frame");
	s0 = mstats(a);
	vmc_vfree(a, p);
	s1 = mstats(a);
	tap_ok(s1.host_mmaps - s0.host_mmaps == 1 &&
	       s1.pages_cleared - s0.pages_cleared == 16,
	       "vfree clears the run with one host call (%lu)",
	       s1.host_mmaps - s0.host_mmaps);
	tap_ok(check(a) == 0, "vmc_check after the run");
}

static void test_ioremap(struct vmc_arena *a)
{
	void *bs = vmc_arena_backend_state(a);
	uint64_t phys;
	unsigned long size;
	unsigned char *io, *k;

	vmc_arena_device(a, &phys, &size);
	io = vmc_ioremap(a, phys + 2 * PG, 2 * PG);
	if (!tap_ok(io != NULL, "ioremap 2 device pages"))
		return;
	io[PG + 7] = 0x5a;
	k = vmc_kaddr(a, (unsigned long)(phys >> VMC_PAGE_SHIFT) + 3);
	tap_ok(k && k[7] == 0x5a, "device store seen in the device memfd's direct map");
	k[8] = 0x6b;
	tap_ok(io[PG + 8] == 0x6b, "and the other way round");
	tap_ok(count_maps((unsigned long)io, (unsigned long)io + 2 * PG,
			  "memfd:vmcore-dev") == 1, "mapped from the device memfd");
	vmc_iounmap(a, io);
	vmc_purge(a);
	tap_ok(vmc_mmap_probe(bs, (unsigned long)io, false) == -EFAULT,
	       "iounmap'ed device pages fault");
	tap_ok(check(a) == 0, "vmc_check after ioremap");
}

/* The inode behind fd (a memfd's identity), 0 if fstat fails. */
static unsigned long fd_ino(int fd)
{
	struct stat st;

	return fstat(fd, &st) ? 0 : (unsigned long)st.st_ino;
}

/*
 * The spare (mmap_host.c 6): a destroyed arena's memfds and window serve
 * the next arena of the same size, which must not see what the first left:
 * device pages read zero again, the window holds no mapping, RAM given to
 * a vmalloc reads the 0xa5 poison.  Another size gets fresh resources.
 */
static void test_spare(int fds0)
{
	struct vmc_arena *a = arena(4096);
	uint64_t phys;
	unsigned long size, start, end;
	unsigned char *io, *p, *win;
	void *stray;
	unsigned long ino = fd_ino(vmc_mmap_dev_fd(vmc_arena_backend_state(a)));
	unsigned int i;
	bool poison = true;

	vmc_arena_range(a, &start, &end);
	win = (unsigned char *)start;
	vmc_arena_device(a, &phys, &size);
	io = vmc_ioremap(a, phys, PG);
	p = vmc_vmalloc(a, 8 * PG);
	if (io && p) {
		io[5] = 0x77;
		memset(p, 0x11, 8 * PG);
	}
	/* A stray host mapping left in the window, past the areas. */
	stray = mmap(win + (1UL << 30), PG, PROT_READ, MAP_SHARED | MAP_FIXED,
		     vmc_mmap_ram_fd(vmc_arena_backend_state(a)), 0);
	vmc_arena_destroy(a);
	tap_ok(io && p && stray != MAP_FAILED && count_fds() == fds0 + 4,
	       "a destroyed arena's memfds and pipe stay as the spare");

	a = arena(4096);
	vmc_arena_range(a, &start, &end);
	tap_ok(fd_ino(vmc_mmap_dev_fd(vmc_arena_backend_state(a))) == ino &&
	       count_fds() == fds0 + 4 && (unsigned char *)start == win,
	       "the next arena of that size takes them (same window)");
	tap_ok(count_maps(start, end, NULL) == 1 &&
	       count_maps(start, end, "memfd:") == 0,
	       "its window is one reservation again, nothing mapped in it");
	vmc_arena_device(a, &phys, &size);
	io = vmc_ioremap(a, phys, PG);
	tap_ok(io && io[5] == 0, "device memory reads zero again");
	p = vmc_vmalloc(a, 8 * PG);
	for (i = 0; p && i < 8 * PG; i++)
		poison &= p[i] == 0xa5;
	tap_ok(p && poison, "a vmalloc reads the poison, not the old bytes");
	vmc_vfree(a, p);
	vmc_iounmap(a, io);
	tap_ok(check(a) == 0, "vmc_check on the arena that took the spare");
	vmc_arena_destroy(a);

	a = arena(2048);
	tap_ok(fd_ino(vmc_mmap_dev_fd(vmc_arena_backend_state(a))) != ino &&
	       count_fds() == fds0 + 4,
	       "another size: the spare goes back, fresh memfds");
	vmc_arena_destroy(a);
}

/* Host refusals, injected: the Nth host mmap fails with ENOMEM. */
static void test_refusal(struct vmc_arena *a)
{
	void *bs = vmc_arena_backend_state(a);
	struct vmc_stats g0, g1;
	struct vmc_mmap_stats m0, m1;
	unsigned char *p, buf[4];
	unsigned int n, nulls = 0, oks = 0;
	bool good = true;

	/*
	 * On a fresh arena the 16 frames are consecutive: call 1 maps the
	 * first page, call 2 (at batch_end) the other 15.  Refuse call 2:
	 * the mirror is late, never wrong.
	 */
	vmc_mmap_fail_nth(bs, 2);
	p = vmc_vmalloc(a, 16 * PG);
	m1 = mstats(a);
	/* (a debug build's checker may already have reached a commit point) */
	tap_ok(p != NULL && m1.host_failures == 1 &&
	       (m1.dirty_ranges == 1 || m1.retries >= 1),
	       "refused extension: vmalloc succeeds, range left dirty "
	       "(%lu calls, %lu refused, %lu dirty, %lu retries)",
	       m1.host_mmaps, m1.host_failures, m1.dirty_ranges, m1.retries);
	tap_ok(p && vmc_write(a, p + 9 * PG, "abc", 4) == 0 &&
	       mstats(a).dirty_ranges == 0 && !memcmp(p + 9 * PG, "abc", 4),
	       "the next commit point resyncs it; data reaches the real address");
	tap_ok(check(a) == 0, "vmc_check == 0");
	if (p)
		vmc_vfree(a, p);
	vmc_purge(a);

	vmc_get_stats(a, &g0);
	m0 = mstats(a);
	vmc_mmap_fail_nth(bs, 1);
	p = vmc_vmalloc(a, 4 * PG);
	vmc_get_stats(a, &g1);
	m1 = mstats(a);
	tap_ok(p == NULL && vmc_last_error(a) == -ENOMEM,
	       "first host mmap refused: vmalloc returns NULL, -ENOMEM");
	tap_ok(m1.host_failures - m0.host_failures == 1, "one refusal counted");
	tap_ok(g1.nr_busy == g0.nr_busy && g1.frames_data == g0.frames_data &&
	       m1.frames_used - m1.tables_used == m0.frames_used - m0.tables_used,
	       "nothing kept: busy %lu, data frames %lu", g1.nr_busy,
	       g1.frames_data);
	tap_ok(check(a) == 0, "vmc_check == 0 after the refusal");

	/* Sweep: every call of a 16-page vmalloc + vfree refused in turn. */
	for (n = 1; n <= 24; n++) {
		vmc_mmap_fail_nth(bs, n);
		p = vmc_vmalloc(a, 16 * PG);
		if (!p) {
			nulls++;
			good = good && vmc_last_error(a) == -ENOMEM;
		} else {
			oks++;
			good = good && vmc_write(a, p + 15 * PG, "xy", 3) == 0 &&
			       vmc_read(a, p + 15 * PG, buf, 3) == 0 &&
			       !memcmp(buf, "xy", 3) &&
			       vmc_mmap_probe(bs, (unsigned long)p, true) == 0;
			vmc_vfree(a, p);
			vmc_purge(a);
			good = good && vmc_mmap_probe(bs, (unsigned long)p,
						      false) == -EFAULT;
		}
		good = good && check(a) == 0;
	}
	vmc_mmap_fail_nth(bs, 0);
	tap_ok(good && nulls >= 1 && oks >= 1,
	       "sweep: %u refused cleanly, %u succeeded, all consistent",
	       nulls, oks);
	vmc_get_stats(a, &g1);
	tap_ok(g1.nr_busy == g0.nr_busy && g1.frames_data == g0.frames_data,
	       "after the sweep nothing is left over");
}

/*
 * The real thing: fill the process up to vm.max_map_count with one-page
 * vmaps of a single frame (each mapping splits the PROT_NONE window, +2
 * VMAs).  The host's refusal must come back as NULL/-ENOMEM and leave a
 * consistent arena, and unmapping everything must still work while the
 * host is full.
 */
static void test_map_count(void)
{
	static void *v[70000];
	struct vmc_arena *a;
	struct vmc_mmap_stats st;
	unsigned long pfn, lim = 0;
	unsigned int n = 0, i;
	FILE *f = fopen("/proc/sys/vm/max_map_count", "r");
	const char *why = "vm.max_map_count unreadable or above 65530";
	bool good = true;
	void *bs;

	if (f) {
		if (fscanf(f, "%lu", &lim) != 1)
			lim = 0;
		fclose(f);
	}
#ifdef MM_ASAN
	lim = 0;        /* ASan's own allocator dies when the host is full */
	why = "ASan build: its allocator dies when the host is full";
#endif
#ifdef VMC_DEBUG
	lim = 0;        /* a full check after each of ~32K vmaps: quadratic */
	why = "debug build: a full check after each of ~32K vmaps";
#endif
	if (!lim || lim > 65530) {
		for (i = 0; i < 4; i++)
			tap_skip("map count not filled: %s", why);
		return;
	}
	a = arena(256);
	bs = vmc_arena_backend_state(a);
	vmc_frame_alloc(a, -1, &pfn);
	while (n < 70000 && (v[n] = vmc_vmap(a, &pfn, 1, VMC_VM_MAP,
					      VMC_PROT_KERNEL)))
		n++;
	tap_ok(n < 70000 && n > 1000 && vmc_last_error(a) == -ENOMEM,
	       "host full after %u vmaps: NULL, -ENOMEM", n);
	tap_ok(check(a) == 0 && vmc_write(a, v[n - 1], "z", 2) == 0 &&
	       !strcmp((char *)v[0], "z"),
	       "arena consistent, the last mapping works");
	for (i = 0; i < n; i++)
		good = good && vmc_vunmap(a, v[i]) == 0;
	vmc_purge(a);
	st = mstats(a);
	tap_ok(good && st.dirty_ranges == 0 &&
	       vmc_mmap_probe(bs, (unsigned long)v[0], false) == -EFAULT &&
	       vmc_mmap_probe(bs, (unsigned long)v[n - 1], false) == -EFAULT,
	       "all unmapped while full (%lu refusals, %lu holes)",
	       st.host_failures, st.holes);
	tap_ok(check(a) == 0, "vmc_check == 0 after the flood");
	vmc_frame_free(a, pfn);
	vmc_arena_destroy(a);
}

int main(void)
{
	struct vmc_arena *a;
	unsigned long start, end;
	int fds0, maps0 __attribute__((unused));

	tap_plan(69);
	test_ops();

	/* Warm-up so that libc/sanitizer allocations settle first. */
	a = arena(4096);
	vmc_arena_destroy(a);
	vmc_mmap_release_spare();
	fds0 = count_fds();
	maps0 = count_maps(0, 0, NULL);

	/* Each group on a fresh arena, so frames come out in pfn order. */
	a = arena(4096);
	vmc_arena_range(a, &start, &end);
	tap_ok(vmc_arena_ops(a) == vmc_backend_find("mmap") &&
	       end - start == 32UL << 40, "arena on mmap, 32 TiB");
	tap_ok(count_fds() == fds0 + 4, "two memfds and the probe pipe open");
	test_runs(a);
	vmc_arena_destroy(a);
	a = arena(4096);
	test_data(a);
	test_ioremap(a);
	vmc_arena_destroy(a);
	a = arena(4096);
	test_refusal(a);
	tap_ok(check(a) == 0, "final vmc_check");
	vmc_arena_destroy(a);
	test_map_count();
	test_spare(fds0);
	vmc_mmap_release_spare();
	tap_ok(count_fds() == fds0, "fds back to baseline (%d)", fds0);
	tap_ok(count_maps(start, end, NULL) == 0 &&
	       count_maps(0, 0, "memfd:vmcore") == 0,
	       "no mapping left in the window, no memfd mapped");
#ifdef MM_ASAN
	tap_skip("total /proc/self/maps lines: ASan's allocator maps more");
#else
	tap_ok(count_maps(0, 0, NULL) == maps0,
	       "/proc/self/maps back to %d lines (%d)", maps0,
	       count_maps(0, 0, NULL));
#endif
	return tap_done();
}
