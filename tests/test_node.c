/* SPDX-License-Identifier: MIT */
/*
 * test_node.c - the linux-6.12 profile through the public API
 * (libvmcore/vmc_node.c), on the backend VMC_BACKEND names.
 *
 *  1. Configuration: an unknown profile and linux-6.12 with exact
 *     placement are refused; vmc_set_cpu refuses a CPU beyond nr_cpus and
 *     is per thread.
 *  2. Pools: 1-page areas freed on CPU 1 and purged wait in node 1's pool
 *     (nr_pooled, not nr_lazy); CPU 1 gets them back, the highest address
 *     first, CPU 2 does not; purges decay the pools until nothing is left.
 *  3. vrealloc keeps a shrunk area's pages (6.12), where linux-6.1 gives
 *     them back.
 *  4. vm_map_ram: each CPU carves its own vmap block.
 *  5. Every metadata failure of a vmalloc beside full pools leaves the
 *     arena as it was.
 *  6. The per-CPU fast paths (libvmcore/vmc_pcpu.c) change nothing
 *     visible: the same calls give the same addresses, purges and counts
 *     whether each vfree takes the fast path (nothing between a vmalloc
 *     and its vfree but a store) or the slow one (a vmc_get_stats between
 *     them folds the area into the busy tree first), with a purge
 *     threshold small enough to cross it hundreds of times.
 * Every arena checks clean after each step.
 */
#include <pthread.h>

#include "vmc_test.h"

#define PG VMC_PAGE_SIZE

static struct vmc_arena *mk(unsigned int profile, unsigned int cpus,
			    unsigned int placement, int *err)
{
	struct vmc_arena_config cfg;
	struct vmc_arena *a = NULL;

	memset(&cfg, 0, sizeof(cfg));
	cfg.ops = vt_backend();
	cfg.nr_frames = 4096;
	cfg.nr_cpus = cpus;
	cfg.profile = profile;
	cfg.placement = placement;
	cfg.flags = VMC_ARENA_QUIET;
	*err = vmc_arena_create(&cfg, &a);
	return *err ? NULL : a;
}

static struct vmc_stats stats(struct vmc_arena *a)
{
	struct vmc_stats st;

	vmc_get_stats(a, &st);
	return st;
}

static void *other_cpu(void *arg)
{
	return (void *)(uintptr_t)vmc_get_cpu(arg);
}

static void t_config(void)
{
	struct vmc_arena *a;
	pthread_t t;
	void *seen = NULL;
	int err;

	a = mk(2, 4, VMC_PLACEMENT_LINUX, &err);
	tap_ok(!a && err == -EINVAL, "profile 2 is refused (%d)", err);
	a = mk(VMC_PROFILE_LINUX_6_12, 4, VMC_PLACEMENT_EXACT, &err);
	tap_ok(!a && err == -EINVAL, "linux-6.12 with exact placement is "
	       "refused (%d)", err);
	a = mk(VMC_PROFILE_LINUX_6_12, 4, VMC_PLACEMENT_LINUX, &err);
	if (!a) {
		printf("Bail out! linux-6.12 arena: %d\n", err);
		exit(99);
	}
	tap_ok(vmc_set_cpu(a, 4) == -EINVAL && vmc_set_cpu(a, 3) == 0 &&
	       vmc_get_cpu(a) == 3 &&
	       !pthread_create(&t, NULL, other_cpu, a) &&
	       !pthread_join(t, &seen) && seen == NULL,
	       "vmc_set_cpu: CPU 4 of 4 refused, CPU 3 taken, another thread "
	       "still on CPU 0");
	vmc_arena_destroy(a);
}

static void t_pools(void)
{
	struct vmc_arena *a;
	struct vmc_stats st;
	void *p[3], *q, *r;
	int err, i, ok;

	a = mk(VMC_PROFILE_LINUX_6_12, 4, VMC_PLACEMENT_LINUX, &err);
	vmc_set_cpu(a, 1);
	for (i = 0; i < 3; i++)
		p[i] = vmc_vmalloc(a, PG);
	for (i = 0; i < 3; i++)
		vmc_vfree(a, p[i]);
	ok = stats(a).nr_lazy == 3 && vmc_purge(a) == 3;
	st = stats(a);
	tap_ok(ok && st.nr_pooled == 3 && !st.nr_lazy && vt_clean(a, "purge"),
	       "three areas freed on CPU 1 wait in its node's pool after a "
	       "purge (pooled %lu, lazy %lu)", st.nr_pooled, st.nr_lazy);
	vmc_set_cpu(a, 2);
	q = vmc_vmalloc(a, PG);
	vmc_set_cpu(a, 1);
	r = vmc_vmalloc(a, PG);
	ok = q && q != p[0] && q != p[1] && q != p[2] && r == p[2] &&
	     stats(a).nr_pooled == 2;
	tap_ok(ok && vt_clean(a, "pool hit"), "CPU 2 searches the tree, CPU 1 "
	       "gets its highest pooled area back (%p, want %p)", r, p[2]);
	vmc_vfree(a, q);
	vmc_vfree(a, r);
	for (i = 0; i < 16 && (stats(a).nr_pooled || stats(a).nr_lazy); i++)
		vmc_purge(a);
	tap_ok(!stats(a).nr_pooled && !stats(a).nr_lazy &&
	       stats(a).nr_free == 1 && vt_clean(a, "decay"),
	       "purges decay the pools to nothing (%d purges, %lu free blocks)",
	       i, stats(a).nr_free);
	vmc_arena_destroy(a);
}

static void t_vrealloc(void)
{
	unsigned long frames[2];
	unsigned int prof;
	int err;

	for (prof = 0; prof < 2; prof++) {
		struct vmc_arena *a = mk(prof, 4, VMC_PLACEMENT_LINUX, &err);
		void *p = vmc_vmalloc(a, 4 * PG);

		p = vmc_vrealloc(a, p, PG, 0);
		frames[prof] = stats(a).frames_data;
		if (!p || !vt_clean(a, "vrealloc"))
			frames[prof] = 0;
		vmc_vfree(a, p);
		vmc_arena_destroy(a);
	}
	tap_ok(frames[0] == 1 && frames[1] == 4, "vrealloc shrinking 4 pages "
	       "to 1: linux-6.1 keeps %lu frames, linux-6.12 %lu (6.12 keeps "
	       "them all)", frames[0], frames[1]);
}

static void t_vm_map_ram(void)
{
	unsigned long blocks[2], pfn[2];
	unsigned int prof;
	int err, i;

	for (prof = 0; prof < 2; prof++) {
		struct vmc_arena *a = mk(prof, 4, VMC_PLACEMENT_LINUX, &err);
		void *m[2];

		for (i = 0; i < 2; i++) {
			vmc_frame_alloc(a, VMC_NUMA_NO_NODE, &pfn[i]);
			vmc_set_cpu(a, (unsigned int)i);
			m[i] = vmc_vm_map_ram(a, &pfn[i], 1, VMC_NUMA_NO_NODE);
		}
		blocks[prof] = m[0] && m[1] && vt_clean(a, "vm_map_ram") ?
			       stats(a).nr_vmap_blocks : 0;
		for (i = 0; i < 2; i++) {
			vmc_vm_unmap_ram(a, m[i], 1);
			vmc_frame_free(a, pfn[i]);
		}
		vmc_arena_destroy(a);
	}
	tap_ok(blocks[0] == 1 && blocks[1] == 2, "vm_map_ram on CPUs 0 and 1: "
	       "linux-6.1 shares %lu block, linux-6.12 has %lu (one queue per "
	       "CPU)", blocks[0], blocks[1]);
}

static void t_faults(void)
{
	struct vmc_arena *a;
	unsigned long nth, failed = 0, bad = 0;
	unsigned long as, ae;
	void *p[4];
	int err, i;

	a = mk(VMC_PROFILE_LINUX_6_12, 4, VMC_PLACEMENT_LINUX, &err);
	vmc_set_cpu(a, 1);
	for (i = 0; i < 4; i++)
		p[i] = vmc_vmalloc(a, PG);
	for (i = 0; i < 4; i++)
		vmc_vfree(a, p[i]);
	vmc_arena_range(a, &as, &ae);
	vmc_purge(a);
	for (nth = 1; nth <= 8; nth++) {
		struct vmc_stats s0 = stats(a), s1;
		void *q;

		vmc_fault_set(a, VMC_FAULT_META, nth);
		/* aligned to 64 KiB: no pooled area fits, the tree serves */
		q = vmc_vmalloc_node_range(a, PG, 16 * PG, as, ae, 0,
					   VMC_PROT_READ | VMC_PROT_WRITE, 0,
					   VMC_NUMA_NO_NODE, "t_faults");
		vmc_fault_set(a, VMC_FAULT_META, 0);
		if (q) {
			vmc_vfree(a, q);
			continue;
		}
		failed++;
		s1 = stats(a);
		if (s1.nr_busy != s0.nr_busy || s1.frames_data != s0.frames_data ||
		    s1.nr_lazy != s0.nr_lazy || s1.nr_pooled != s0.nr_pooled ||
		    !vt_clean(a, "a failed vmalloc"))
			bad++;
	}
	tap_ok(failed > 0 && !bad, "%lu metadata failures beside full pools "
	       "leave the arena as it was (%lu did not)", failed, bad);
	vmc_arena_destroy(a);
}

#define FAST_STEPS 6000u
#define FAST_RING 8u

/* Run 6's call sequence; addrs[] gets every vmalloc's address. */
static int fast_run(bool fold, unsigned long *addrs, struct vmc_stats *end)
{
	unsigned long long seed = 20261202;
	struct vmc_arena_config cfg;
	struct vmc_arena *a = NULL;
	void *ring[FAST_RING] = { NULL };
	unsigned int i;
	int bad = 0;

	memset(&cfg, 0, sizeof(cfg));
	cfg.ops = vt_backend();
	cfg.nr_frames = 4096;
	cfg.nr_cpus = 2;
	cfg.profile = VMC_PROFILE_LINUX_6_12;
	cfg.placement = VMC_PLACEMENT_LINUX;
	cfg.lazy_max_pages = 48;
	cfg.flags = VMC_ARENA_QUIET;
	if (vmc_arena_create(&cfg, &a))
		return 1;
	for (i = 0; i < FAST_STEPS; i++) {
		unsigned long r = (unsigned long)vt_rand(&seed);
		unsigned char b = (unsigned char)i;
		void *p;

		vmc_set_cpu(a, (unsigned int)(r & 1));
		p = (r >> 1) % 5 ? vmc_vmalloc(a, (1 + (r >> 4) % 3) * PG) :
				   vmc_vzalloc(a, PG);
		addrs[i] = (unsigned long)p;
		if (!p || vmc_write(a, p, &b, 1)) {
			bad++;
			continue;
		}
		if (fold)
			(void)stats(a);
		if ((r >> 8) % 4) {
			bad += vmc_vfree(a, p) != 0;
		} else {
			/* keep it a while; free what was kept there before */
			unsigned int k = (unsigned int)(r >> 12) % FAST_RING;

			bad += vmc_vfree(a, ring[k]) != 0;
			ring[k] = p;
		}
		if (i % 1000 == 999 && !vt_clean(a, "fast paths"))
			bad++;
	}
	for (i = 0; i < FAST_RING; i++)
		bad += vmc_vfree(a, ring[i]) != 0;
	*end = stats(a);
	if (!vt_clean(a, "fast paths, the end"))
		bad++;
	vmc_arena_destroy(a);
	return bad;
}

static void t_fast(void)
{
	static unsigned long fast[FAST_STEPS], slow[FAST_STEPS];
	struct vmc_stats sf, ss;
	unsigned long differ = 0, i;
	int bad_f = fast_run(false, fast, &sf);
	int bad_s = fast_run(true, slow, &ss);

	for (i = 0; i < FAST_STEPS; i++)
		differ += fast[i] != slow[i];
	tap_ok(!bad_f && !bad_s && !differ && sf.nr_purges == ss.nr_purges &&
	       sf.nr_purges > 100 && sf.nr_lazy == ss.nr_lazy &&
	       sf.nr_pooled == ss.nr_pooled && sf.lazy_pages == ss.lazy_pages,
	       "fast and slow vfree: %u steps, %lu addresses differ, purges "
	       "%lu / %lu, pooled %lu / %lu, lazy pages %lu / %lu (bad %d/%d)",
	       FAST_STEPS, differ, sf.nr_purges, ss.nr_purges, sf.nr_pooled,
	       ss.nr_pooled, sf.lazy_pages, ss.lazy_pages, bad_f, bad_s);
}

int main(void)
{
	tap_plan(10);
	t_config();
	t_pools();
	t_vrealloc();
	t_vm_map_ram();
	t_faults();
	t_fast();
	return tap_done();
}
