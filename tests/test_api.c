/* SPDX-License-Identifier: MIT */
/*
 * test_api.c - the vmalloc family of the public API, on every backend.
 *
 * Theory: each scenario runs on a fresh arena in each geometry (x86_64,
 * la57, i386) of the backend chosen at run time (VMC_BACKEND; the suite
 * runs this once per userspace backend; a geometry the backend refuses is
 * skipped with the reason) and checks the Linux semantics the core promises: page
 * rounding and guard pages, lowest-fit placement, lazy freeing, bad calls
 * rejected with a warning and nothing changed, huge PMD leaves exactly
 * where Linux would use them, vzalloc zeroing (the sim poisons frames
 * with 0xa5, so stale bytes are visible), data reaching the right frames,
 * vmalloc'ed page arrays ("vpages"), vrealloc's three paths, vmap of the
 * caller's frames, get/find/remove_vm_area and the vmallocinfo format.
 * vmc_check() runs after every step.  A backend without PMD leaves (mmap)
 * skips the huge-leaf checks, saying so, and checks instead that
 * vmalloc_huge falls back to 4 KiB pages there.  Leaf levels come from the
 * backend's own walk on sim (vmc_sim_walk, independent of the core), from
 * the core's table walk elsewhere.
 *
 * Layouts are drawn in page units from the arena start: a letter per
 * mapped page of an area, '_' its guard page, '.' free, 'z' lazy.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vmc_internal.h"
#include "vmc_backends.h"
#include "vmc_sim.h"
#include "vmc_mmap.h"
#include "vmc_test.h"

#define PG VMC_PAGE_SIZE
#define MIB (1UL << 20)

static const char *geom;        /* geometry of the scenario running */
static unsigned long pmd;       /* its PMD leaf size */

/* ---------- helpers ---------- */

static void quiet_log(void *arg, int level, const char *line)
{
	(void)level;
	snprintf(arg, 256, "%s", line);
}

static char last_log[256];

static struct vmc_arena *mk_cfg(unsigned int flags, unsigned int features_off,
				unsigned long size, unsigned long nr_frames)
{
	struct vmc_arena_config cfg;

	memset(&cfg, 0, sizeof(cfg));
	cfg.geometry = geom;
	cfg.flags = flags;
	cfg.features_off = features_off;
	cfg.size = size;
	cfg.nr_frames = nr_frames;
	cfg.lazy_max_pages = 1UL << 20;  /* purges only when asked */
	cfg.log = quiet_log;
	cfg.log_arg = last_log;
	return vt_arena_cfg(&cfg);
}

#define RAM_FRAMES 16384UL    /* 64 MiB of simulated RAM per arena */

static struct vmc_arena *mk(void)
{
	return mk_cfg(0, 0, 0, RAM_FRAMES);
}

static unsigned long base(struct vmc_arena *a)
{
	unsigned long s, e;

	vmc_arena_range(a, &s, &e);
	return s;
}

/* Page offset of p from the arena start. */
static long pgoff(struct vmc_arena *a, const void *p)
{
	return p ? (long)(((unsigned long)p - base(a)) / PG) : -1;
}

static void *at(struct vmc_arena *a, unsigned long pages)
{
	return (void *)(base(a) + pages * PG);
}

static struct vmc_stats stats(struct vmc_arena *a)
{
	struct vmc_stats st;

	vmc_get_stats(a, &st);
	return st;
}

static int clean(struct vmc_arena *a, const char *when)
{
	struct vmc_violation v;
	int bad = vmc_check(a, &v);

	if (bad)
		printf("# %s: after %s: invariant %d: %s\n", geom, when, bad,
		       v.msg);
	return !bad;
}

#define CHECK(a, what) tap_ok(clean((a), (what)), "%s: check after %s", \
			      geom, (what))

/* vmallocinfo into one text buffer. */
struct dump {
	char text[1 << 16];
	size_t len;
	int lines;
};

static void dump_emit(void *arg, const char *line)
{
	struct dump *d = arg;
	int n = snprintf(d->text + d->len, sizeof(d->text) - d->len, "%s\n",
			 line);

	if (n > 0 && d->len + (size_t)n < sizeof(d->text))
		d->len += (size_t)n;
	d->lines++;
}

static struct dump *dump(struct vmc_arena *a, bool offsets)
{
	static struct dump d;   /* test-only scratch */

	memset(&d, 0, sizeof(d));
	vmc_vmallocinfo(a, offsets, dump_emit, &d);
	return &d;
}

/* The vmallocinfo line of the area starting at p (offsets form). */
static const char *info_line(struct vmc_arena *a, const void *p)
{
	static char line[512];
	char key[64];
	const char *s, *e;

	snprintf(key, sizeof(key), "+0x%016lx-",
		 (unsigned long)p - base(a));
	s = strstr(dump(a, true)->text, key);
	if (!s)
		return "";
	e = strchr(s, '\n');
	snprintf(line, sizeof(line), "%.*s", (int)(e - s), s);
	return line;
}

/* What must not change when a bad call is refused. */
struct snap {
	struct vmc_stats st;
	char text[1 << 16];
};

static void snap_take(struct vmc_arena *a, struct snap *s)
{
	s->st = stats(a);
	memcpy(s->text, dump(a, true)->text, sizeof(s->text));
}

/* Unchanged except for one more warning. */
static int snap_same_warned(struct vmc_arena *a, const struct snap *s)
{
	struct vmc_stats now = stats(a);

	return now.nr_busy == s->st.nr_busy && now.nr_free == s->st.nr_free &&
	       now.nr_lazy == s->st.nr_lazy &&
	       now.frames_data == s->st.frames_data &&
	       now.frames_arrays == s->st.frames_arrays &&
	       now.frames_harness == s->st.frames_harness &&
	       now.warnings == s->st.warnings + 1 &&
	       !strcmp(s->text, dump(a, true)->text);
}

static unsigned long leaf_level(struct vmc_arena *a, const void *p)
{
	unsigned int level = 99;

	if (vmc_arena_ops(a) != &vmc_sim_ops) {
		if (vmc_pt_lookup(a, (unsigned long)p, NULL, &level, NULL))
			return 99;
		return level;
	}
	if (vmc_sim_walk(vmc_arena_backend_state(a), (unsigned long)p, NULL,
			 &level, NULL))
		return 99;
	return level;
}

/* Does the backend of `a` hold PMD leaves at all? */
static bool has_huge_pmd(struct vmc_arena *a)
{
	return vmc_arena_ops(a)->features & VMC_BF_HUGE_PMD;
}

/* The backend's own count: does it hold page tables only (no data)? */
static bool backend_tables_only(struct vmc_arena *a)
{
	void *bs = vmc_arena_backend_state(a);

	if (vmc_arena_ops(a) == &vmc_sim_ops) {
		struct vmc_sim_stats ss;

		vmc_sim_get_stats(bs, &ss);
		return ss.frames_used == ss.tables_used;
	}
	if (vmc_arena_ops(a) == &vmc_mmap_ops) {
		struct vmc_mmap_stats ms;

		vmc_mmap_get_stats(bs, &ms);
		return ms.frames_used == ms.tables_used;
	}
	return vmc_bo_frames_used(a) ==
	       a->frames_baseline + stats(a).frames_tables;
}

static void fill(unsigned char *buf, size_t n, unsigned int seed)
{
	size_t i;

	for (i = 0; i < n; i++)
		buf[i] = (unsigned char)(seed + i * 7 + (i >> 8));
}

/* ---------- scenarios ---------- */

static void t_rounding_layout(void)
{
	struct vmc_arena *a = mk();
	const struct vmc_vm_struct *vm;
	void *p0, *p1, *p2, *p3, *p4, *p5;
	unsigned long pfn;

	/* A_ : vmalloc(1) takes one page and its guard. */
	p0 = vmc_vmalloc(a, 1);
	tap_ok(pgoff(a, p0) == 0, "%s: vmalloc(1) at the arena start", geom);
	vm = vmc_find_vm_area(a, p0);
	tap_ok(vm && vm->size == 2 * PG && vm->nr_pages == 1 &&
	       vm->requested_size == 1 && vm->flags == VMC_VM_ALLOC,
	       "%s: vmalloc(1): size 2 pages incl. guard, 1 page mapped", geom);
	/* A_B_ : the next area starts two pages later. */
	p1 = vmc_vmalloc(a, 1);
	tap_ok(pgoff(a, p1) == 2, "%s: second vmalloc(1) at page 2", geom);
	/* A_B_CC_ : PG + 1 bytes take two pages. */
	p2 = vmc_vmalloc(a, PG + 1);
	vm = vmc_find_vm_area(a, p2);
	tap_ok(pgoff(a, p2) == 4 && vm && vm->size == 3 * PG &&
	       vm->nr_pages == 2, "%s: vmalloc(PG+1) at page 4, 2 pages + guard",
	       geom);
	tap_ok(vmc_vmalloc_to_pfn(a, p0, &pfn) == 0 &&
	       vmc_vmalloc_to_pfn(a, at(a, 1), &pfn) == -EFAULT &&
	       vmc_vmalloc_to_pfn(a, at(a, 6), &pfn) == -EFAULT &&
	       vmc_vmalloc_to_pfn(a, at(a, 5), &pfn) == 0,
	       "%s: guard pages are not mapped", geom);
	CHECK(a, "three vmallocs");

	/* A_zzCC_D_ : a freed range is lazy and not reused before a purge. */
	tap_ok(vmc_vfree(a, p1) == 0, "%s: vfree", geom);
	tap_ok(stats(a).nr_lazy == 1, "%s: vfree leaves a lazy area", geom);
	p3 = vmc_vmalloc(a, 1);
	tap_ok(pgoff(a, p3) == 7, "%s: lazy hole not reused: page 7", geom);
	CHECK(a, "vfree + vmalloc");

	/* A_..CC_D_ after the purge; A_E_CC_D_ lowest fit takes the hole. */
	tap_ok(vmc_purge(a) == 1 && stats(a).nr_lazy == 0, "%s: purge", geom);
	p4 = vmc_vmalloc(a, 100);
	tap_ok(pgoff(a, p4) == 2, "%s: lowest fit reuses page 2", geom);
	/* A_E_CC_D_FF_ : two pages + guard fit in no hole. */
	p5 = vmc_vmalloc(a, 2 * PG);
	tap_ok(pgoff(a, p5) == 9, "%s: vmalloc(2 pages) at page 9", geom);
	CHECK(a, "lowest fit");

	tap_ok(vmc_is_vmalloc_addr(a, at(a, 0)) &&
	       !vmc_is_vmalloc_addr(a, (void *)(base(a) - 1)) &&
	       vmc_is_vmalloc_addr(a, p5), "%s: is_vmalloc_addr", geom);

	vmc_vfree(a, p0);
	vmc_vfree(a, p2);
	vmc_vfree(a, p3);
	vmc_vfree(a, p4);
	vmc_vfree(a, p5);
	vmc_purge(a);
	tap_ok(stats(a).nr_busy == 0 && stats(a).frames_data == 0 &&
	       stats(a).nr_free == 1, "%s: all freed, one free block", geom);
	CHECK(a, "teardown of layout");
	vmc_arena_destroy(a);
}

static void t_data(void)
{
	struct vmc_arena *a = mk();
	unsigned char in[3 * PG], out[3 * PG];
	unsigned long pfn, pfn2;
	unsigned char *k;
	void *p, *z;
	size_t i;
	int zero = 1;

	p = vmc_vmalloc(a, 3 * PG);
	tap_ok(vmc_read(a, p, out, 16) == 0 && out[0] == 0xa5 &&
	       out[15] == 0xa5, "%s: vmalloc does not zero (sim poison)", geom);
	fill(in, sizeof(in), 3);
	tap_ok(vmc_write(a, (char *)p + 100, in, sizeof(in) - 100) == 0 &&
	       vmc_read(a, (char *)p + 100, out, sizeof(in) - 100) == 0 &&
	       !memcmp(in, out, sizeof(in) - 100),
	       "%s: vmc_write reads back through vmc_read", geom);
	tap_ok(vmc_vm_page(a, p, 1, &pfn) == 0 &&
	       vmc_vmalloc_to_pfn(a, (char *)p + PG + 5, &pfn2) == 0 &&
	       pfn == pfn2, "%s: vm_page(1) == vmalloc_to_pfn(p + PG + 5)",
	       geom);
	k = vmc_kaddr(a, pfn);
	/* Byte 0 of page 1 is byte PG - 100 of `in`. */
	tap_ok(k && !memcmp(k, in + PG - 100, PG),
	       "%s: page 1's frame holds the data (direct map)", geom);
	tap_ok(vmc_vm_page(a, p, 3, &pfn) == -EINVAL &&
	       vmc_vm_page(a, (char *)p + PG, 0, &pfn) == -EINVAL,
	       "%s: vm_page beyond nr_pages / not a start: -EINVAL", geom);
	tap_ok(vmc_vfree(a, p) == 0, "%s: vfree", geom);

	z = vmc_vzalloc(a, 3 * PG - 7);
	tap_ok(z != NULL && vmc_read(a, z, out, 3 * PG) == 0,
	       "%s: vzalloc", geom);
	for (i = 0; i < 3 * PG; i++)
		zero &= out[i] == 0;
	tap_ok(zero, "%s: vzalloc'ed pages are zero", geom);
	z = vmc_vzalloc_node(a, PG, 1);
	tap_ok(z && vmc_read(a, z, out, PG) == 0 && !out[0] && !out[PG - 1],
	       "%s: vzalloc_node zeroes", geom);
	tap_ok(vmc_vm_page(a, z, 0, &pfn) == 0 &&
	       strstr(info_line(a, z), " N1=1") &&
	       !strstr(info_line(a, z), " N0="),
	       "%s: vzalloc_node(1): frame on node 1", geom);
	CHECK(a, "data");
	vmc_arena_destroy(a);
}

static void t_errors(void)
{
	struct vmc_arena *a = mk_cfg(0, 0, 32 * MIB, RAM_FRAMES);
	unsigned long f[2], ram = RAM_FRAMES;
	uint64_t dphys;
	unsigned long dsize;
	struct snap *s = malloc(sizeof(*s));
	void *p, *q, *v;

	p = vmc_vmalloc(a, 3 * PG);
	tap_ok(vmc_frame_alloc(a, -1, &f[0]) == 0 &&
	       vmc_frame_alloc(a, -1, &f[1]) == 0, "%s: harness frames", geom);
	v = vmc_vmap(a, f, 2, VMC_VM_MAP, VMC_PROT_KERNEL);
	tap_ok(p && v, "%s: one vmalloc, one vmap", geom);
	CHECK(a, "setup");

#define BAD_NULL(call, err, what)                                            \
	do {                                                                 \
		snap_take(a, s);                                             \
		q = (call);                                                  \
		tap_ok(!q && vmc_last_error(a) == (err) &&                   \
		       snap_same_warned(a, s),                               \
		       "%s: %s: NULL %d, warned, unchanged", geom, what, err); \
	} while (0)
#define BAD_INT(call, err, what)                                             \
	do {                                                                 \
		int r_;                                                      \
		snap_take(a, s);                                             \
		r_ = (call);                                                 \
		tap_ok(r_ == (err) && snap_same_warned(a, s),                \
		       "%s: %s: %d, warned, unchanged", geom, what, err);    \
	} while (0)

	BAD_NULL(vmc_vmalloc(a, 0), -EINVAL, "vmalloc(0)");
	BAD_NULL(vmc_vzalloc(a, 0), -EINVAL, "vzalloc(0)");
	BAD_NULL(vmc_vmalloc(a, (ram + 1) * PG), -ENOMEM,
		 "vmalloc beyond RAM");
	BAD_NULL(vmc_vmalloc(a, ~0UL), -ENOMEM, "vmalloc(~0) overflow");
	BAD_NULL(vmc_vmalloc_node_range(a, PG, 3 * PG, base(a),
					base(a) + 32 * MIB, 0,
					VMC_PROT_KERNEL, 0, -1, "t"),
		 -EINVAL, "align 3 pages");
	BAD_NULL(vmc_vmalloc_node_range(a, PG, 0, base(a),
					base(a) + 32 * MIB, 0,
					VMC_PROT_KERNEL, 0, -1, "t"),
		 -EINVAL, "align 0");
	BAD_NULL(vmc_vmalloc_node_range(a, PG, PG, base(a) - PG,
					base(a) + PG, 0, VMC_PROT_KERNEL, 0,
					-1, "t"),
		 -EINVAL, "range outside the arena");
	BAD_NULL(vmc_vmalloc_node(a, PG, 2), -EINVAL, "node 2 of 2");
	BAD_NULL(vmc_vmalloc_node(a, PG, -2), -EINVAL, "node -2");
	/* The 32 MiB arena is smaller than the 64 MiB of RAM: a 48 MiB
	 * vmalloc passes the RAM check but finds no room. */
	snap_take(a, s);
	q = vmc_vmalloc(a, 48 * MIB);
	tap_ok(!q && vmc_last_error(a) == -ENOMEM &&
	       stats(a).frames_data == s->st.frames_data &&
	       stats(a).nr_busy == s->st.nr_busy,
	       "%s: vmalloc beyond the arena: -ENOMEM, unchanged", geom);

	BAD_INT(vmc_vfree(a, (char *)p + PG), -EINVAL, "vfree interior page");
	BAD_INT(vmc_vfree(a, (char *)p + 1), -EINVAL, "vfree unaligned");
	BAD_INT(vmc_vfree(a, (void *)(base(a) - PG)), -EINVAL,
		"vfree outside the arena");
	BAD_INT(vmc_vfree(a, v), -EINVAL, "vfree of a vmap area");
	BAD_INT(vmc_vunmap(a, p), -EINVAL, "vunmap of a vmalloc area");
	BAD_INT(vmc_vunmap(a, (char *)v + PG), -EINVAL, "vunmap interior");
	BAD_NULL(vmc_vrealloc(a, (char *)p + PG, PG, 0), -EINVAL,
		 "vrealloc interior");
	BAD_INT(vmc_remove_vm_area(a, p, NULL), -EINVAL,
		"remove_vm_area of a vmalloc area");
	BAD_INT(vmc_remove_vm_area(a, (char *)v + PG, NULL), -EINVAL,
		"remove_vm_area interior");
	BAD_NULL(vmc_vmap(a, f, 0, VMC_VM_MAP, VMC_PROT_KERNEL), -EINVAL,
		 "vmap of 0 pages");
	BAD_NULL(vmc_vmap(a, f, 2, VMC_VM_ALLOC, VMC_PROT_KERNEL), -EINVAL,
		 "vmap with VM_ALLOC");
	vmc_arena_device(a, &dphys, &dsize);
	{
		unsigned long dev[2] = { f[0],
					 (unsigned long)(dphys / PG) };

		BAD_NULL(vmc_vmap(a, dev, 2, VMC_VM_MAP, VMC_PROT_KERNEL),
			 -EINVAL, "vmap of a device frame");
	}
	tap_ok(strstr(last_log, "vmap") != NULL,
	       "%s: the warning names the call", geom);
	/* Linux's get_vm_area(0) fails quietly. */
	snap_take(a, s);
	tap_ok(!vmc_get_vm_area(a, 0, 0) && vmc_last_error(a) == -EINVAL &&
	       stats(a).warnings == s->st.warnings &&
	       stats(a).nr_busy == s->st.nr_busy,
	       "%s: get_vm_area(0): NULL -EINVAL, unchanged", geom);
	CHECK(a, "bad calls");

	snap_take(a, s);
	tap_ok(vmc_vfree(a, NULL) == 0 && vmc_vunmap(a, NULL) == 0 &&
	       stats(a).warnings == s->st.warnings,
	       "%s: vfree(NULL), vunmap(NULL): no-ops", geom);
	tap_ok(vmc_vfree(a, p) == 0, "%s: vfree", geom);
	BAD_INT(vmc_vfree(a, p), -EINVAL, "double vfree");
	tap_ok(vmc_vunmap(a, v) == 0, "%s: vunmap", geom);
	BAD_INT(vmc_vunmap(a, v), -EINVAL, "double vunmap");
	tap_ok(stats(a).frames_harness == 2 && stats(a).frames_data == 0,
	       "%s: vunmap leaves the frames with the caller", geom);
	vmc_frame_free(a, f[0]);
	vmc_frame_free(a, f[1]);
	vmc_purge(a);
	BAD_NULL(vmc_vmap(a, f, 1, VMC_VM_MAP, VMC_PROT_KERNEL), -EINVAL,
		 "vmap of a freed frame");
	{
		unsigned long junk = 5;

		BAD_NULL(vmc_vmap(a, &junk, 1, VMC_VM_MAP, VMC_PROT_KERNEL),
			 -EINVAL, "vmap of a pfn outside RAM");
	}
	CHECK(a, "error teardown");
	free(s);
	vmc_arena_destroy(a);
}

#undef BAD_NULL
#undef BAD_INT

static void t_vpages(void)
{
	struct vmc_arena *a = mk();
	const struct vmc_vm_struct *vm, *arr;
	unsigned char in[64], *k;
	unsigned long i, pfn, pfn2;
	const char *line;
	void *big, *small;
	int ok = 1;

	/* BBB...B_PP_ : 600 pages need a 4800-byte array: vmalloc'ed, 2 pages. */
	big = vmc_vmalloc(a, 600 * PG);
	vm = vmc_find_vm_area(a, big);
	arr = vmc_find_vm_area(a, at(a, 601));
	tap_ok(pgoff(a, big) == 0 && vm && vm->nr_pages == 600,
	       "%s: vmalloc(600 pages)", geom);
	tap_ok(arr && arr->addr == base(a) + 601 * PG && arr->nr_pages == 2 &&
	       arr->size == 3 * PG && (arr->flags & VMC_VM_ALLOC),
	       "%s: its page array is a 2-page vmalloc area behind it", geom);
	line = info_line(a, big);
	tap_ok(strstr(line, " pages=600 vmalloc vpages") != NULL,
	       "%s: vmallocinfo shows vpages: %s", geom, line);
	line = info_line(a, at(a, 601));
	tap_ok(strstr(line, " pages=2 vmalloc N") && !strstr(line, "vpages"),
	       "%s: the array area's own line: %s", geom, line);
	tap_ok(stats(a).frames_data == 602 && stats(a).frames_arrays == 2,
	       "%s: frames: 602 data of which 2 arrays", geom);
	for (i = 0; i < 600; i++) {
		if (vmc_vm_page(a, big, (unsigned int)i, &pfn) ||
		    vmc_vmalloc_to_pfn(a, (char *)big + i * PG, &pfn2) ||
		    pfn != pfn2)
			ok = 0;
	}
	tap_ok(ok, "%s: every array entry is the mapped frame", geom);
	fill(in, sizeof(in), 9);
	vmc_write(a, (char *)big + 599 * PG + 8, in, sizeof(in));
	vmc_vm_page(a, big, 599, &pfn);
	k = vmc_kaddr(a, pfn);
	tap_ok(k && !memcmp(k + 8, in, sizeof(in)),
	       "%s: data in the last page's frame", geom);
	tap_ok(vmc_vfree(a, at(a, 601)) == -EINVAL,
	       "%s: vfree of a page array area refused", geom);
	small = vmc_vmalloc(a, 512 * PG);
	tap_ok(small && !strstr(info_line(a, small), "vpages") &&
	       stats(a).frames_arrays == 2,
	       "%s: 512 pages keep a metadata array", geom);
	CHECK(a, "vpages");
	/* The three lazy ranges touch: one, as in Linux's purge tree. */
	tap_ok(vmc_vfree(a, big) == 0 && vmc_vfree(a, small) == 0 &&
	       stats(a).frames_data == 0 && stats(a).frames_arrays == 0 &&
	       stats(a).nr_lazy == 1,
	       "%s: vfree gives back data and array frames", geom);
	CHECK(a, "vpages freed");
	vmc_arena_destroy(a);
}

/*
 * Checks of t_huge() that need PMD leaves: of its 15, 11 are skipped on a
 * backend without them, which runs 4 of its own instead.
 */
#define T_HUGE_CHECKS 12

static void t_huge(void)
{
	struct vmc_arena *a = mk();
	const struct vmc_vm_struct *vm;
	unsigned char in[256], out[256];
	unsigned long pfn, pfn2;
	void *h, *s;
	int i;

	if (!has_huge_pmd(a)) {
		const char *name = vmc_arena_ops(a)->name;

		/* The core must see no PMD leaves and use 4 KiB pages. */
		h = vmc_vmalloc_huge(a, 2 * pmd);
		vm = h ? vmc_find_vm_area(a, h) : NULL;
		tap_ok(vm && vm->page_order == 0 && leaf_level(a, h) == 0 &&
		       leaf_level(a, (char *)h + pmd) == 0 &&
		       vm->nr_pages == 2 * pmd / PG,
		       "%s: backend %s has no PMD leaves: vmalloc_huge(2 PMD) "
		       "maps 4 KiB pages", geom, vmc_arena_ops(a)->name);
		fill(in, sizeof(in), 5);
		tap_ok(h && vmc_write(a, (char *)h + pmd + 3, in,
				      sizeof(in)) == 0 &&
		       vmc_read(a, (char *)h + pmd + 3, out, sizeof(in)) == 0 &&
		       !memcmp(in, out, sizeof(in)),
		       "%s: its data reads back", geom);
		CHECK(a, "vmalloc_huge without PMD leaves");
		tap_ok(vmc_vfree(a, h) == 0 && stats(a).frames_data == 0,
		       "%s: vfree returns all frames", geom);
		vmc_arena_destroy(a);
		for (i = 0; i < T_HUGE_CHECKS; i++)
			tap_skip("%s: huge-leaf check %d of %d: backend %s "
				 "lacks VMC_BF_HUGE_PMD (4 KiB leaves only)",
				 geom, i + 1, T_HUGE_CHECKS, name);
		return;
	}

	/* Two nodes: size per node must reach one PMD, so 2 PMDs. */
	h = vmc_vmalloc_huge(a, 2 * pmd);
	vm = vmc_find_vm_area(a, h);
	tap_ok(h && vm && ((unsigned long)h & (pmd - 1)) == 0 &&
	       vm->page_order == (pmd == 4 * MIB ? 10u : 9u) &&
	       vm->size == 2 * pmd + PG && vm->nr_pages == 2 * pmd / PG,
	       "%s: vmalloc_huge(2 PMD): PMD-aligned, huge order", geom);
	tap_ok(leaf_level(a, h) == 1 && leaf_level(a, (char *)h + pmd) == 1,
	       "%s: mapped with level-1 leaves", geom);
	fill(in, sizeof(in), 5);
	vmc_write(a, (char *)h + pmd + 4 * PG + 3, in, sizeof(in));
	vmc_vm_page(a, h, (unsigned int)(pmd / PG + 4), &pfn);
	tap_ok(vmc_vmalloc_to_pfn(a, (char *)h + pmd + 4 * PG, &pfn2) == 0 &&
	       pfn == pfn2 && !memcmp((char *)vmc_kaddr(a, pfn) + 3, in,
				      sizeof(in)),
	       "%s: huge: data lands in the recorded 4 KiB frame", geom);
	{
		/* The last byte of each leaf (i386: of a 4 MiB PSE leaf). */
		unsigned long e1, e2, r1 = 0, r2 = 0;

		vmc_vm_page(a, h, (unsigned int)(pmd / PG - 1), &e1);
		vmc_vm_page(a, h, (unsigned int)(2 * pmd / PG - 1), &e2);
		tap_ok(vmc_vmalloc_to_pfn(a, (char *)h + pmd - 1, &r1) == 0 &&
		       vmc_vmalloc_to_pfn(a, (char *)h + 2 * pmd - 1, &r2) == 0 &&
		       r1 == e1 && r2 == e2 && e2 == e1 + pmd / PG,
		       "%s: vmalloc_to_pfn at the last byte of each huge leaf: "
		       "its last frame", geom);
	}
	CHECK(a, "vmalloc_huge");

	s = vmc_vmalloc_huge(a, pmd);
	vm = vmc_find_vm_area(a, s);
	tap_ok(s && vm->page_order == 0 && leaf_level(a, s) == 0,
	       "%s: vmalloc_huge(1 PMD) on 2 nodes: small pages", geom);
	vmc_vfree(a, s);
	s = vmc_vmalloc_node_range(a, pmd, PG, base(a), base(a) + 64 * MIB, 0,
				   VMC_PROT_KERNEL, VMC_VM_ALLOW_HUGE_VMAP, 0,
				   "t");
	tap_ok(s && leaf_level(a, s) == 1 &&
	       vmc_find_vm_area(a, s)->size == pmd + PG,
	       "%s: huge on one node: 1 PMD is enough", geom);
	vmc_vfree(a, s);
	s = vmc_vmalloc(a, 2 * pmd);
	tap_ok(s && leaf_level(a, s) == 0,
	       "%s: plain vmalloc never uses huge leaves", geom);
	vmc_vfree(a, s);
	CHECK(a, "huge variants");

	/* The first huge frame fails: retried with small pages. */
	vmc_fault_set(a, VMC_FAULT_FRAME, 1);
	s = vmc_vmalloc_huge(a, 2 * pmd);
	vm = s ? vmc_find_vm_area(a, s) : NULL;
	tap_ok(vm && vm->page_order == 0 && vm->size == 2 * pmd + PG &&
	       leaf_level(a, s) == 0,
	       "%s: huge frame failure falls back to small pages", geom);
	CHECK(a, "huge fallback");
	vmc_vfree(a, s);
	tap_ok(vmc_vfree(a, h) == 0 && stats(a).frames_data == 0,
	       "%s: huge vfree returns all frames", geom);
	vmc_purge(a);
	CHECK(a, "huge freed");
	vmc_arena_destroy(a);

	a = mk_cfg(VMC_ARENA_NOHUGEVMALLOC, 0, 0, RAM_FRAMES);
	h = vmc_vmalloc_huge(a, 2 * pmd);
	tap_ok(h && leaf_level(a, h) == 0 &&
	       vmc_find_vm_area(a, h)->page_order == 0,
	       "%s: nohugevmalloc: small pages", geom);
	vmc_arena_destroy(a);
	a = mk_cfg(0, VMC_BF_HUGE_PMD, 0, RAM_FRAMES);
	h = vmc_vmalloc_huge(a, 2 * pmd);
	tap_ok(h && leaf_level(a, h) == 0,
	       "%s: backend without PMD leaves: small pages", geom);
	vmc_read(a, (char *)h + pmd, out, 8);
	CHECK(a, "no PMD leaves");
	vmc_arena_destroy(a);
}

static void t_vrealloc(void)
{
	struct vmc_arena *a = mk();
	unsigned char in[4 * PG], out[10 * PG];
	const struct vmc_vm_struct *vm;
	unsigned long pfn, data;
	void *p, *q, *r;
	size_t i;
	int zero = 1;

	p = vmc_vmalloc(a, 4 * PG);
	fill(in, sizeof(in), 11);
	vmc_write(a, p, in, sizeof(in));
	data = stats(a).frames_data;
	/* PPzz_ : shrink to 2 pages: pages 2, 3 unmapped and freed. */
	q = vmc_vrealloc(a, p, 2 * PG - 5, 0);
	vm = vmc_find_vm_area(a, p);
	tap_ok(q == p && vm->nr_pages == 2 && vm->size == 5 * PG &&
	       vm->requested_size == 2 * PG - 5 &&
	       stats(a).frames_data == data - 2,
	       "%s: vrealloc shrink in place frees the tail", geom);
	tap_ok(vmc_vmalloc_to_pfn(a, (char *)p + 2 * PG, &pfn) == -EFAULT &&
	       vmc_read(a, (char *)p + 3 * PG, out, 1) == -EFAULT,
	       "%s: shrunk tail is unmapped (TLB flushed)", geom);
	tap_ok(vmc_read(a, p, out, 2 * PG) == 0 && !memcmp(in, out, 2 * PG),
	       "%s: shrink keeps the data", geom);
	CHECK(a, "vrealloc shrink");

	/* PPPP_ : grow back inside the area, zeroing the new bytes. */
	q = vmc_vrealloc(a, p, 4 * PG, VMC_GFP_ZERO);
	vm = vmc_find_vm_area(a, p);
	tap_ok(q == p && vm->nr_pages == 4 && stats(a).frames_data == data,
	       "%s: vrealloc grows in place", geom);
	vmc_read(a, p, out, 4 * PG);
	for (i = 2 * PG - 5; i < 4 * PG; i++)
		zero &= out[i] == 0;
	tap_ok(!memcmp(in, out, 2 * PG - 5) && zero,
	       "%s: grow keeps data, zeroes the rest (GFP_ZERO)", geom);
	CHECK(a, "vrealloc grow");

	vmc_write(a, p, in, sizeof(in));
	/* zzzz_RRRRRRRRRR_ : no room: move, copying 4 pages. */
	r = vmc_vrealloc(a, p, 10 * PG, 0);
	tap_ok(r && r != p && pgoff(a, r) == 5 &&
	       vmc_find_vm_area(a, p) == NULL && stats(a).nr_lazy == 1,
	       "%s: vrealloc moves when it must", geom);
	tap_ok(vmc_read(a, r, out, 4 * PG) == 0 && !memcmp(in, out, 4 * PG),
	       "%s: the move copies the data", geom);
	CHECK(a, "vrealloc move");

	q = vmc_vrealloc(a, NULL, 5, 0);
	tap_ok(q && vmc_find_vm_area(a, q)->nr_pages == 1,
	       "%s: vrealloc(NULL) allocates", geom);
	tap_ok(vmc_vrealloc(a, q, 0, 0) == NULL && vmc_last_error(a) == 0 &&
	       vmc_find_vm_area(a, q) == NULL,
	       "%s: vrealloc(p, 0) frees, no error", geom);
	tap_ok(vmc_vrealloc(a, r, 3 * PG, 0) == r &&
	       vmc_vrealloc(a, r, 10 * PG, VMC_GFP_ZERO) == r &&
	       vmc_read(a, r, out, 10 * PG) == 0 &&
	       !memcmp(in, out, 3 * PG) && !out[3 * PG] && !out[10 * PG - 1],
	       "%s: shrink then regrow of a moved area", geom);
	vmc_vfree(a, r);
	vmc_purge(a);
	tap_ok(stats(a).frames_data == 0 && stats(a).nr_busy == 0,
	       "%s: vrealloc leaves nothing behind", geom);
	CHECK(a, "vrealloc done");
	vmc_arena_destroy(a);
}

static void t_vmap(void)
{
	struct vmc_arena *a = mk();
	static unsigned long f[600];
	unsigned char in[64], out[64];
	unsigned long pfn, i;
	const char *line;
	void *v, *w;
	int ok = 1;

	for (i = 0; i < 600; i++)
		if (vmc_frame_alloc(a, -1, &f[i]))
			ok = 0;
	tap_ok(ok && stats(a).frames_harness == 600, "%s: 600 harness frames",
	       geom);
	fill(in, sizeof(in), 1);
	memcpy((char *)vmc_kaddr(a, f[2]) + 40, in, sizeof(in));
	/* Map f[3], f[0], f[2] in that order. */
	{
		unsigned long set[3] = { f[3], f[0], f[2] };

		v = vmc_vmap(a, set, 3, VMC_VM_MAP, VMC_PROT_KERNEL);
		tap_ok(v && vmc_vmalloc_to_pfn(a, v, &pfn) == 0 && pfn == f[3] &&
		       vmc_vmalloc_to_pfn(a, (char *)v + PG, &pfn) == 0 &&
		       pfn == f[0] &&
		       vmc_vmalloc_to_pfn(a, (char *)v + 2 * PG, &pfn) == 0 &&
		       pfn == f[2] &&
		       vmc_vmalloc_to_pfn(a, (char *)v + 3 * PG, &pfn) ==
		       -EFAULT, "%s: vmap maps exactly the given frames", geom);
	}
	tap_ok(vmc_read(a, (char *)v + 2 * PG + 40, out, sizeof(out)) == 0 &&
	       !memcmp(in, out, sizeof(in)),
	       "%s: vmap reads the frame's contents", geom);
	vmc_write(a, (char *)v + PG + 7, in, sizeof(in));
	tap_ok(!memcmp((char *)vmc_kaddr(a, f[0]) + 7, in, sizeof(in)),
	       "%s: writes through vmap reach the frame", geom);
	line = info_line(a, v);
	tap_ok(strstr(line, "   16384 vmap vmap") && !strstr(line, "vmalloc"),
	       "%s: vmallocinfo: %s", geom, line);
	tap_ok(vmc_find_vm_area(a, v)->nr_pages == 3 &&
	       vmc_vm_page(a, v, 1, &pfn) == 0 && pfn == f[0],
	       "%s: vmap records its pages", geom);
	CHECK(a, "vmap");

	w = vmc_vmap(a, f, 600, 0, VMC_PROT_KERNEL);
	tap_ok(w && strstr(info_line(a, w), " vmap vpages") &&
	       stats(a).frames_arrays == 2 && stats(a).frames_data == 2,
	       "%s: vmap of 600 pages: vmalloc'ed array", geom);
	tap_ok(vmc_vmalloc_to_pfn(a, (char *)w + 599 * PG, &pfn) == 0 &&
	       pfn == f[599], "%s: its last page", geom);
	CHECK(a, "big vmap");
	tap_ok(vmc_vunmap(a, w) == 0 && vmc_vunmap(a, v) == 0 &&
	       stats(a).frames_arrays == 0 && stats(a).frames_data == 0 &&
	       stats(a).frames_harness == 600,
	       "%s: vunmap frees arrays, not the caller's frames", geom);
	for (i = 0; i < 600; i++)
		vmc_frame_free(a, f[i]);
	vmc_purge(a);
	CHECK(a, "vmap done");
	vmc_arena_destroy(a);
}

static void t_areas(void)
{
	struct vmc_arena *a = mk();
	const struct vmc_vm_struct *vm, *io, *c;
	struct vmc_vm_struct out;
	void *p;

	/* GGGG_ : 3 pages + 1 byte round to 4, plus the guard. */
	vm = vmc_get_vm_area(a, 3 * PG + 1, 0);
	tap_ok(vm && vm->addr == base(a) && vm->size == 5 * PG &&
	       vm->nr_pages == 0 && !strcmp(vm->caller, "get_vm_area"),
	       "%s: get_vm_area rounds and adds a guard", geom);
	tap_ok(vmc_find_vm_area(a, at(a, 2)) == vm &&
	       vmc_find_vm_area(a, at(a, 4)) == vm &&
	       vmc_find_vm_area(a, at(a, 5)) == NULL,
	       "%s: find_vm_area covers the area and its guard", geom);
	/* GGGG_...IIIII___ : VM_IOREMAP aligns 5 pages to 8. */
	io = vmc_get_vm_area(a, 5 * PG, VMC_VM_IOREMAP);
	tap_ok(io && io->addr == base(a) + 8 * PG && io->size == 6 * PG,
	       "%s: VM_IOREMAP area aligned to its power of two", geom);
	/* GGGG_CC_IIIII_ : lowest fit puts the next one in the gap. */
	c = vmc_get_vm_area_caller(a, 2 * PG, VMC_VM_NO_GUARD, "mine");
	tap_ok(c && c->addr == base(a) + 5 * PG && c->size == 2 * PG &&
	       !strcmp(c->caller, "mine"),
	       "%s: get_vm_area_caller, VM_NO_GUARD", geom);
	tap_ok(strstr(info_line(a, at(a, 8)), " 24576 get_vm_area ioremap") &&
	       strstr(info_line(a, at(a, 5)), "  8192 mine"),
	       "%s: vmallocinfo lines of bare areas", geom);
	CHECK(a, "get_vm_area");

	p = (void *)vm->addr;
	tap_ok(vmc_remove_vm_area(a, p, &out) == 0 && out.size == 5 * PG &&
	       out.addr == (unsigned long)p && vmc_find_vm_area(a, p) == NULL,
	       "%s: remove_vm_area", geom);
	tap_ok(vmc_remove_vm_area(a, p, NULL) == -EINVAL,
	       "%s: remove_vm_area twice: -EINVAL", geom);
	tap_ok(vmc_remove_vm_area(a, (void *)io->addr, NULL) == 0 &&
	       vmc_remove_vm_area(a, (void *)c->addr, NULL) == 0,
	       "%s: remove the others", geom);
	CHECK(a, "remove_vm_area");

	/* Range [32, 42) pages, align 8: PP_ at 32; the next aligned slot,
	 * 40, has no room for 2 pages + guard before 42. */
	p = vmc_vmalloc_node_range(a, 2 * PG, 8 * PG, base(a) + 32 * PG,
				   base(a) + 42 * PG, 0, VMC_PROT_KERNEL, 0,
				   -1, "ranged");
	tap_ok(pgoff(a, p) == 32, "%s: node_range: at its range start", geom);
	tap_ok(vmc_vmalloc_node_range(a, 2 * PG, 8 * PG, base(a) + 32 * PG,
				      base(a) + 42 * PG, 0, VMC_PROT_KERNEL,
				      0, -1, "ranged") == NULL &&
	       vmc_last_error(a) == -ENOMEM,
	       "%s: node_range: no aligned room left: -ENOMEM", geom);
	CHECK(a, "node_range");
	vmc_vfree(a, p);
	vmc_arena_destroy(a);
}

static void t_vmallocinfo(void)
{
	struct vmc_arena *a = mk();
	char want[256];
	struct dump *d;
	void *p, *q;

	p = vmc_vmalloc_node(a, PG + 1, 0);
	q = vmc_vmalloc_node(a, 1, 1);
	d = dump(a, true);
	tap_ok(d->lines == 2 && !strcmp(d->text,
	       "+0x0000000000000000-+0x0000000000003000   12288 vmalloc_node"
	       " pages=2 vmalloc N0=2\n"
	       "+0x0000000000003000-+0x0000000000005000    8192 vmalloc_node"
	       " pages=1 vmalloc N1=1\n"),
	       "%s: vmallocinfo (offsets), exact text", geom);
	if (d->lines != 2)
		printf("%s", d->text);
	d = dump(a, false);
	snprintf(want, sizeof(want),
		 "0x%016lx-0x%016lx   12288 vmalloc_node pages=2 vmalloc N0=2\n",
		 base(a), base(a) + 3 * PG);
	tap_ok(!strncmp(d->text, want, strlen(want)),
	       "%s: vmallocinfo (addresses): %.60s", geom, d->text);
	vmc_vfree(a, p);
	d = dump(a, true);
	tap_ok(d->lines == 2 && strstr(d->text,
	       "+0x0000000000003000-+0x0000000000005000    8192 vmalloc_node"
	       " pages=1 vmalloc N1=1\n"
	       "+0x0000000000000000-+0x0000000000003000   12288 unpurged vm_area\n"),
	       "%s: lazy areas listed after busy ones", geom);
	vmc_vfree(a, q);
	vmc_purge(a);
	tap_ok(dump(a, true)->lines == 0, "%s: empty after purge", geom);
	vmc_arena_destroy(a);
}

/* ---------- fault injection: every allocation point of the calls above ---------- */

struct frun {
	struct vmc_arena *a;
	struct snap *s;
	int bad;
	int fails;
	char why[200];
};

static void fbad(struct frun *r, const char *what, const char *how)
{
	if (!r->bad++)
		snprintf(r->why, sizeof(r->why), "%s: %s", what, how);
}

/* Before a call: no lazy areas (a failing allocation would purge them). */
static void fbefore(struct frun *r)
{
	vmc_purge(r->a);
	snap_take(r->a, r->s);
}

/* After a call that returned NULL or an error: nothing may have changed. */
static void fafter(struct frun *r, bool failed, const char *what)
{
	struct vmc_stats now = stats(r->a);

	if (failed) {
		r->fails++;
		if (vmc_last_error(r->a) != -ENOMEM)
			fbad(r, what, "error is not -ENOMEM");
		if (now.nr_busy != r->s->st.nr_busy ||
		    now.nr_free != r->s->st.nr_free ||
		    now.nr_lazy != r->s->st.nr_lazy ||
		    now.frames_data != r->s->st.frames_data ||
		    now.frames_arrays != r->s->st.frames_arrays ||
		    now.frames_harness != r->s->st.frames_harness ||
		    strcmp(r->s->text, dump(r->a, true)->text))
			fbad(r, what, "failed call changed the arena");
	}
	if (!clean(r->a, what))
		fbad(r, what, "vmc_check");
}

#define FCALL(r, var, call, what)                                       \
	do {                                                            \
		fbefore(r);                                             \
		(var) = (call);                                         \
		fafter((r), !(var), (what));                            \
	} while (0)

static void fscenario(struct frun *r)
{
	struct vmc_arena *a = r->a;
	unsigned char in[64], out[64];
	unsigned long f[3];
	unsigned int nf = 0, i;
	const struct vmc_vm_struct *g;
	void *p1, *p2, *p3, *p4, *v = NULL, *q;

	fill(in, sizeof(in), 21);
	FCALL(r, p1, vmc_vmalloc(a, 3 * PG), "vmalloc");
	if (p1)
		vmc_write(a, p1, in, sizeof(in));
	FCALL(r, p2, vmc_vzalloc(a, 600 * PG), "vzalloc(vpages)");
	FCALL(r, p3, vmc_vmalloc_huge(a, 2 * pmd), "vmalloc_huge");
	FCALL(r, p4, vmc_vmalloc_node(a, 5 * PG, 1), "vmalloc_node");
	for (i = 0; i < 3; i++)
		if (!vmc_frame_alloc(a, -1, &f[nf]))
			nf++;
	if (nf == 3)
		FCALL(r, v, vmc_vmap(a, f, 3, 0, VMC_PROT_KERNEL), "vmap");
	FCALL(r, g, vmc_get_vm_area(a, 3 * PG, 0), "get_vm_area");
	if (p1) {
		FCALL(r, q, vmc_vrealloc(a, p1, 2 * PG, 0), "vrealloc(shrink)");
		FCALL(r, q, vmc_vrealloc(a, p1, 3 * PG, 0), "vrealloc(regrow)");
		FCALL(r, q, vmc_vrealloc(a, p1, 20 * PG, 0), "vrealloc(move)");
		if (q)
			p1 = q;
		if (vmc_read(a, p1, out, sizeof(out)) ||
		    memcmp(in, out, sizeof(in)))
			fbad(r, "vrealloc", "data lost");
	}
	if (g && vmc_remove_vm_area(a, (void *)g->addr, NULL))
		fbad(r, "remove_vm_area", "failed");
	if (vmc_vunmap(a, v) || vmc_vfree(a, p1) || vmc_vfree(a, p2) ||
	    vmc_vfree(a, p3) || vmc_vfree(a, p4))
		fbad(r, "free", "a free failed");
	for (i = 0; i < nf; i++)
		vmc_frame_free(a, f[i]);
	vmc_purge(a);
	if (!clean(a, "final purge"))
		fbad(r, "final purge", "vmc_check");
	/* Drained: no area, one free block, the backend holds only tables. */
	if (stats(a).nr_busy || stats(a).nr_lazy || stats(a).nr_free != 1 ||
	    stats(a).frames_data || stats(a).frames_arrays ||
	    !backend_tables_only(a))
		fbad(r, "end", "not drained");
}

/*
 * The next fault point to sweep.  The frame allocations of the 600-page
 * vzalloc are one long run of identical points: inside long runs, sample
 * every 29th (set VMC_TEST_FULL=1 in the environment to sweep them all).
 */
static unsigned long fnext(unsigned long n, unsigned long count)
{
	if (!getenv("VMC_TEST_FULL") && count > 100 && n >= 16 &&
	    n + 48 <= count)
		return n + 29;
	return n + 1;
}

static void t_faults(void)
{
	static const char *const names[VMC_FAULT_KINDS] = {
		"frame", "table", "meta"
	};
	unsigned long before[VMC_FAULT_KINDS], count[VMC_FAULT_KINDS], n;
	unsigned long points;
	struct frun r;
	int k, bad, fails;
	char why[300];

	memset(&r, 0, sizeof(r));
	r.s = malloc(sizeof(*r.s));
	r.a = mk_cfg(0, 0, 0, 4096);
	for (k = 0; k < VMC_FAULT_KINDS; k++)
		before[k] = vmc_fault_count(r.a, k);
	fscenario(&r);
	for (k = 0; k < VMC_FAULT_KINDS; k++)
		count[k] = vmc_fault_count(r.a, k) - before[k];
	tap_ok(!r.bad && !r.fails, "%s: fault scenario runs clean%s%s", geom,
	       r.bad ? ": " : "", r.bad ? r.why : "");
	vmc_arena_destroy(r.a);

	for (k = 0; k < VMC_FAULT_KINDS; k++) {
		bad = 0;
		fails = 0;
		why[0] = '\0';
		points = 0;
		for (n = 1; n <= count[k]; n = fnext(n, count[k])) {
			points++;
			r.bad = 0;
			r.fails = 0;
			r.a = mk_cfg(0, 0, 0, 4096);
			vmc_fault_set(r.a, k, n);
			fscenario(&r);
			if (r.bad && !bad++)
				snprintf(why, sizeof(why), "n=%lu: %s", n,
					 r.why);
			fails += r.fails;
			vmc_arena_destroy(r.a);
		}
		tap_ok(!bad && count[k] > 0,
		       "%s: %lu of %lu %s fault points, %d calls failed cleanly%s%s",
		       geom, points, count[k], names[k], fails,
		       bad ? ": " : "", why);
	}
	free(r.s);
}

/*
 * The arena's `start`: an arena cut out of the middle of the backend's
 * space gets exactly that range, places its first area at its start and
 * honours alignment against absolute addresses; a start that is not page
 * aligned, outside the space, or leaves no room for `size` is refused.
 */
static void t_arena_start(void)
{
	struct vmc_arena_config cfg;
	struct vmc_arena *a;
	unsigned long s0, e0, s, e, want;
	void *p, *q;

	a = mk_cfg(0, 0, 0, 4096);
	vmc_arena_range(a, &s0, &e0);
	vmc_arena_destroy(a);

	memset(&cfg, 0, sizeof(cfg));
	cfg.ops = vt_backend();
	cfg.geometry = geom;
	cfg.nr_frames = 4096;
	cfg.start = s0 + 0x1235000UL;
	cfg.size = 16 * MIB;
	a = vt_arena_cfg(&cfg);
	vmc_arena_range(a, &s, &e);
	tap_ok(s == cfg.start && e == cfg.start + cfg.size,
	       "%s: arena start: range [+0x%lx, +0x%lx) as asked", geom,
	       s - s0, e - s0);
	p = vmc_vmalloc(a, 4096);
	want = (cfg.start + 0xfffffUL) & ~0xfffffUL;
	q = vmc_vmalloc_node_range(a, 4096, 1UL << 20, s, e, 0,
				   VMC_PROT_KERNEL, 0, -1, "t_arena_start");
	tap_ok((unsigned long)p == s && (unsigned long)q == want,
	       "%s: arena start: first area at the start, a 1 MiB alignment "
	       "against the absolute address (+0x%lx, want +0x%lx)", geom,
	       (unsigned long)q - s, want - s);
	vmc_vfree(a, p);
	vmc_vfree(a, q);
	vmc_arena_destroy(a);

	cfg.start = s0 + 0x800;
	tap_ok(vmc_arena_create(&cfg, &a) == -EINVAL,
	       "%s: arena start: not page aligned is -EINVAL", geom);
	cfg.start = s0 - 4096;
	tap_ok(vmc_arena_create(&cfg, &a) == -EINVAL,
	       "%s: arena start: below the space is -EINVAL", geom);
	cfg.start = e0 - 4096;
	cfg.size = 2 * 4096;
	tap_ok(vmc_arena_create(&cfg, &a) == -EINVAL,
	       "%s: arena start: no room for size is refused", geom);
}

int main(void)
{
	static const char *geoms[] = { "x86_64", "la57", "i386" };
	unsigned int g;

	for (g = 0; g < sizeof(geoms) / sizeof(geoms[0]); g++) {
		const char *why;

		geom = geoms[g];
		why = vt_geom_refused(geom);
		if (why) {
			tap_skip("%s: %s", geom, why);
			continue;
		}
		pmd = strcmp(geom, "i386") ? 2 * MIB : 4 * MIB;
		t_rounding_layout();
		t_data();
		t_errors();
		t_vpages();
		t_huge();
		t_vrealloc();
		t_vmap();
		t_areas();
		t_vmallocinfo();
		t_faults();
		t_arena_start();
	}
	return tap_done();
}
