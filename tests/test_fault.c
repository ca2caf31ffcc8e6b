/* SPDX-License-Identifier: MIT */
/*
 * test_fault.c - inject a failure at every allocation point in turn.
 *
 * Theory: the scenario below uses every API call.  Run once cleanly, it
 * tells how many frame, table and metadata allocations it makes.  Then,
 * for each kind and each n up to that count, a fresh arena runs the same
 * scenario with the n-th allocation of that kind failing.  Whatever call
 * meets the failure must return an error and leave the arena as it was;
 * the scenario carries on with what it has.  Every run must end with a
 * clean vmc_check() after every step and, once everything is freed and
 * purged, with no frame held beyond the page tables and the baseline:
 * nothing leaks on any error path (metadata included: the arena counts it,
 * and its destroy panics on a leak).  Geometries: x86_64 (default) and
 * i386 (2 levels).
 *
 * The suite runs this once per userspace backend (VMC_BACKEND).  A
 * geometry the backend refuses is skipped with the reason (mmap: x86_64
 * only, so i386 is skipped there).  After every run and its
 * vmc_arena_destroy() the process must hold as many open descriptors
 * (/proc/self/fd) as after the first clean run, and no mapping of the
 * arena's own (/proc/self/maps: a memfd named vmcore-*, or anything over
 * the address range the destroyed arena had): the mmap backend's memfds,
 * pipe and window must go on every error path.  Only vmcore's mappings
 * are counted, not every line: the total depends on the allocator (ASan's
 * maps size classes and fills its quarantine lazily) and on the layout
 * (neighbouring anonymous mappings merge or not where ASLR puts them), so
 * it drifted from run to run (ASan: 2 runs in 3 failed).  An mmap arena
 * costs a memfd, a window and many system calls,
 * so on a REAL_MMU backend a sweep longer than VT_MAX_RUNS injections is
 * sampled at an even stride (always the first and last point), and the
 * test says which points it ran.
 */
#include <dirent.h>

#include "vmc_test.h"
#include "vmc_internal.h"
#include "vmc_mmap.h"


#define VT_MAX_RUNS 256UL       /* injections per kind on a REAL_MMU backend */

#define NHF 72          /* harness frames: enough for a >64-page vm_map_ram */

struct run {
	struct vmc_arena *a;
	bool every_step;        /* check after every step, not only after failures */
	int checked_fails;      /* failures already followed by a check */
	int bad_steps;          /* steps after which vmc_check failed */
	int bad_errs;           /* failures that did not report -ENOMEM */
	int fails;              /* calls that failed */
	char first_bad[400];
};

static void step(struct run *r, const char *what)
{
	struct vmc_violation v;
	int bad;

	/*
	 * The full check walks every table: after every step on the clean
	 * run, but on injected runs only after a step that met the failure
	 * (and at the end), which keeps the sweep fast under sanitizers.
	 */
	if (!r->every_step && r->fails == r->checked_fails)
		return;
	r->checked_fails = r->fails;
	bad = vmc_check(r->a, &v);

	if (bad && !r->bad_steps++)
		snprintf(r->first_bad, sizeof(r->first_bad),
			 "after %s: invariant %d: %s", what, bad, v.msg);
}

/* A call that returned NULL must say -ENOMEM (the only injected error). */
static void failed(struct run *r, const char *what)
{
	r->fails++;
	if (vmc_last_error(r->a) != -ENOMEM && !r->bad_errs++)
		snprintf(r->first_bad, sizeof(r->first_bad),
			 "%s failed with %d, not -ENOMEM", what,
			 vmc_last_error(r->a));
}

#define TRY(r, var, call, what)                                         \
	do {                                                            \
		(var) = (call);                                         \
		if (!(var))                                             \
			failed((r), (what));                            \
		step((r), (what));                                      \
	} while (0)

static void scenario(struct run *r)
{
	struct vmc_arena *a = r->a;
	unsigned long f[NHF], pg = VMC_PAGE_SIZE;
	unsigned int nf = 0, i;
	uint64_t dev;
	unsigned long devsz, s, e;
	unsigned char buf[64];
	void *p1, *p2, *p3, *p4, *p5, *p6, *v, *io, *r1, *r2;
	const struct vmc_vm_struct *area;

	memset(buf, 0x5a, sizeof(buf));
	for (i = 0; i < NHF; i++)
		if (!vmc_frame_alloc(a, VMC_NUMA_NO_NODE, &f[nf]))
			nf++;
	step(r, "frame_alloc");

	TRY(r, p1, vmc_vmalloc(a, 3 * pg), "vmalloc");
	if (p1)
		vmc_write(a, p1, buf, sizeof(buf));
	TRY(r, p2, vmc_vzalloc(a, 520 * pg), "vzalloc(vpages)");
	TRY(r, p3, vmc_vmalloc_huge(a, 4UL << 20), "vmalloc_huge");
	TRY(r, p4, vmc_vmalloc_node(a, 5 * pg, 1), "vmalloc_node");
	vmc_arena_range(a, &s, &e);
	TRY(r, p5, vmc_vmalloc_node_range(a, 7 * pg, 16 * pg, s + 64 * pg, e, 0,
					  VMC_PROT_KERNEL, 0,
					  VMC_NUMA_NO_NODE, "range"),
	    "vmalloc_node_range");
	v = NULL;
	if (nf >= 4)
		TRY(r, v, vmc_vmap(a, f, 4, 0, VMC_PROT_KERNEL), "vmap");
	vmc_arena_device(a, &dev, &devsz);
	TRY(r, io, vmc_ioremap(a, dev + 0x1234, 0x2000), "ioremap");
	r1 = r2 = NULL;
	if (nf >= 3)
		TRY(r, r1, vmc_vm_map_ram(a, f, 3, VMC_NUMA_NO_NODE),
		    "vm_map_ram(small)");
	if (nf >= 70)
		TRY(r, r2, vmc_vm_map_ram(a, f, 70, VMC_NUMA_NO_NODE),
		    "vm_map_ram(large)");
	TRY(r, p6, vmc_vrealloc(a, p1, 9 * pg, 0), "vrealloc(grow)");
	if (p6)
		p1 = NULL;      /* moved or grown: the old pointer is gone */
	TRY(r, area, vmc_get_vm_area(a, 6 * pg, VMC_VM_IOREMAP),
	    "get_vm_area");
	if (area) {
		vmc_remove_vm_area(a, (void *)area->addr, NULL);
		step(r, "remove_vm_area");
	}

	vmc_vfree(a, p2);
	step(r, "vfree(vpages)");
	if (v)
		vmc_vunmap(a, v);
	step(r, "vunmap");
	if (io)
		vmc_iounmap(a, io);
	step(r, "iounmap");
	if (r1)
		vmc_vm_unmap_ram(a, r1, 3);
	if (r2)
		vmc_vm_unmap_ram(a, r2, 70);
	step(r, "vm_unmap_ram");
	vmc_purge(a);
	step(r, "purge");
	if (p6) {
		void *p7;

		TRY(r, p7, vmc_vrealloc(a, p6, 2 * pg, 0), "vrealloc(shrink)");
		if (p7)
			p6 = p7;
	}
	vmc_vfree(a, p1);
	vmc_vfree(a, p3);
	vmc_vfree(a, p4);
	vmc_vfree(a, p5);
	vmc_vfree(a, p6);
	step(r, "vfree(all)");
	for (i = 0; i < nf; i++)
		vmc_frame_free(a, f[i]);
	vmc_purge(a);
	r->every_step = true;
	step(r, "final purge");
}

/* Nothing held but tables: the arena is back to empty. */
static int drained(struct vmc_arena *a, char *why, size_t len)
{
	struct vmc_stats st;
	unsigned long s, e;

	vmc_get_stats(a, &st);
	vmc_arena_range(a, &s, &e);
	if (st.frames_data || st.frames_harness || st.frames_arrays) {
		snprintf(why, len, "frames left: data %lu harness %lu arrays %lu",
			 st.frames_data, st.frames_harness, st.frames_arrays);
		return 0;
	}
	if (st.nr_busy || st.nr_lazy || st.nr_free != 1) {
		snprintf(why, len, "vmap areas left: busy %lu lazy %lu free %lu",
			 st.nr_busy, st.nr_lazy, st.nr_free);
		return 0;
	}
	if (vmc_bo_frames_used(a) != a->frames_baseline + st.frames_tables) {
		snprintf(why, len, "backend holds %lu frames, expected %lu",
			 vmc_bo_frames_used(a),
			 a->frames_baseline + st.frames_tables);
		return 0;
	}
	return 1;
}

static void arena_cfg(struct vmc_arena_config *cfg, const char *geom)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->geometry = geom;
	cfg->nr_frames = 16384;         /* 64 MiB: room for a 4 MiB huge area */
	cfg->dev_frames = 64;
	cfg->flags = VMC_ARENA_QUIET;
}

static struct vmc_arena *new_arena(const char *geom)
{
	struct vmc_arena_config cfg;

	arena_cfg(&cfg, geom);
	return vt_arena_cfg(&cfg);
}

/* Host resources of the process: open descriptors and mappings (-1: unknown). */
struct host_res {
	long fds, maps;
};

/*
 * The host address range of the arena destroyed last (destroy()): a real
 * MMU backend's window; a simulated one's addresses are not the host's.
 */
static unsigned long gone_lo, gone_hi;

static void destroy(struct vmc_arena *a)
{
	gone_lo = gone_hi = 0;
	if (vmc_arena_ops(a)->features & VMC_BF_REAL_MMU)
		vmc_arena_range(a, &gone_lo, &gone_hi);
	vmc_arena_destroy(a);
	/* What the mmap backend keeps as its spare is not a leak. */
	vmc_mmap_release_spare();
}

/* Is this /proc/self/maps line one of vmcore's mappings? */
static int vmcore_mapping(const char *line)
{
	unsigned long lo, hi;

	if (strstr(line, "memfd:vmcore"))
		return 1;
	return sscanf(line, "%lx-%lx", &lo, &hi) == 2 && lo < gone_hi &&
	       gone_lo < hi;
}

static void host_res(struct host_res *h)
{
	DIR *d = opendir("/proc/self/fd");
	FILE *f;
	struct dirent *e;
	char line[512];

	h->fds = h->maps = -1;
	if (d) {
		h->fds = 0;
		while ((e = readdir(d)))
			if (e->d_name[0] != '.')
				h->fds++;
		h->fds--;       /* the descriptor of d itself */
		closedir(d);
	}
	f = fopen("/proc/self/maps", "r");
	if (f) {
		h->maps = 0;
		while (fgets(line, sizeof(line), f))
			h->maps += vmcore_mapping(line);
		fclose(f);
	}
}

/* Same descriptors and mappings as `base`?  Explains the first difference. */
static int host_same(const struct host_res *base, char *why, size_t len)
{
	struct host_res now;

	host_res(&now);
	if (now.fds != base->fds) {
		snprintf(why, len, "open fds %ld, baseline %ld", now.fds,
			 base->fds);
		return 0;
	}
	if (now.maps != base->maps) {
		snprintf(why, len, "%ld of vmcore's mappings left, baseline %ld",
			 now.maps, base->maps);
		return 0;
	}
	return 1;
}

static const char *const kind_name[VMC_FAULT_KINDS] = {
	"frame", "table", "meta"
};

#define CHECKS_PER_SWEEP (3 + 4 * VMC_FAULT_KINDS)

static void sweep(const char *geom)
{
	unsigned long count[VMC_FAULT_KINDS];
	struct vmc_arena_config cfg;
	struct host_res base;
	struct run r;
	char why[160];
	bool real_mmu;
	int k, err, i;

	/* Does the backend take this geometry at all? */
	arena_cfg(&cfg, geom);
	cfg.ops = vmc_backend_default();
	if (!cfg.ops) {
		printf("Bail out! no backend named by VMC_BACKEND\n");
		exit(99);
	}
	err = vmc_arena_create(&cfg, &r.a);
	if (err == -EINVAL) {
		for (i = 0; i < CHECKS_PER_SWEEP; i++)
			tap_skip("%s: backend %s refuses this geometry (%d)%s",
				 geom, cfg.ops->name, err,
				 strcmp(cfg.ops->name, "mmap") ? "" :
				 ": the host MMU is x86-64, mmap offers x86_64 only");
		return;
	}
	if (!err)
		destroy(r.a);
	real_mmu = cfg.ops->features & VMC_BF_REAL_MMU;

	memset(&r, 0, sizeof(r));
	r.a = new_arena(geom);
	r.every_step = true;
	scenario(&r);
	tap_ok(!r.bad_steps && !r.fails, "%s: clean scenario %s", geom,
	       r.bad_steps ? r.first_bad : "passes every check");
	tap_ok(drained(r.a, why, sizeof(why)), "%s: clean scenario drains%s%s",
	       geom, r.bad_steps ? ": " : "", r.bad_steps ? why : "");
	for (k = 0; k < VMC_FAULT_KINDS; k++)
		count[k] = vmc_fault_count(r.a, k);
	destroy(r.a);
	/*
	 * The baseline is taken after one whole arena life, so that what the
	 * C library sets up once (stdio buffers, malloc arenas) is in it.
	 */
	host_res(&base);
	tap_ok(base.fds > 0 && base.maps == 0,
	       "%s: baseline %ld open fds, %ld of vmcore's mappings", geom,
	       base.fds, base.maps);

	for (k = 0; k < VMC_FAULT_KINDS; k++) {
		unsigned long n, bad = 0, hit = 0, runs = 0, leaks = 0;
		unsigned long stride = 1;
		char first[600] = "", leak[200] = "";

		if (real_mmu && count[k] > VT_MAX_RUNS)
			stride = (count[k] + VT_MAX_RUNS - 1) / VT_MAX_RUNS;
		for (n = 1; n <= count[k]; n++) {
			if (n != count[k] && (n - 1) % stride)
				continue;
			runs++;
			memset(&r, 0, sizeof(r));
			r.a = new_arena(geom);
			vmc_fault_set(r.a, k, n);
			scenario(&r);
			if (r.fails)
				hit++;
			if (r.bad_steps || r.bad_errs ||
			    !drained(r.a, why, sizeof(why))) {
				if (!bad++)
					snprintf(first, sizeof(first),
						 "n=%lu: %s", n,
						 r.bad_steps || r.bad_errs ?
						 r.first_bad : why);
			}
			destroy(r.a);
			if (!host_same(&base, why, sizeof(why)) && !leaks++)
				snprintf(leak, sizeof(leak), ": first n=%lu: %s",
					 n, why);
		}
		if (stride > 1)
			tap_diag("%s: %s backend: sampled %lu of %lu %s fault "
				 "points (n = 1, 1 + %lu, 1 + 2*%lu, ..., and "
				 "%lu)", geom, cfg.ops->name, runs, count[k],
				 kind_name[k], stride, stride, count[k]);
		tap_ok(count[k] > 0, "%s: scenario makes %lu %s allocations",
		       geom, count[k], kind_name[k]);
		tap_ok(!bad, "%s: %lu of %lu %s failures injected, all clean%s%s",
		       geom, runs, count[k], kind_name[k], bad ? ": first " : "",
		       first);
		/*
		 * Most injected failures must surface as a failed call; a
		 * few may be absorbed (a huge vmalloc falls back to small
		 * pages), but an injection that never fails anything would
		 * mean the sweep does not reach the allocation points.
		 */
		tap_ok(hit * 2 >= runs, "%s: %lu of %lu %s injections "
		       "made a call fail", geom, hit, runs, kind_name[k]);
		tap_ok(!leaks, "%s: %lu %s runs: fds and mappings back to the "
		       "baseline after each destroy%s", geom, runs,
		       kind_name[k], leak);
	}
}

int main(void)
{
	tap_plan(2 * CHECKS_PER_SWEEP);
	sweep("x86_64");
	sweep("i386");
	return tap_done();
}
