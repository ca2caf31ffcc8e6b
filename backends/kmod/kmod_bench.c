/* SPDX-License-Identifier: MIT */
/*
 * kmod_bench.c - VMC_KMOD_IOC_BENCH: the benchmark workloads in kernel
 * space, on libvmcore over the kmod backend and on the kernel's own
 * vmalloc, side by side in one boot (vmc_kmod_bench.h).
 *
 * Theory
 * ------
 * 1. The same workloads.  bench/vmb_wl.c is compiled into the module as it
 *    is into vmcore-bench; what differs is only the engine under it.  The
 *    core engine is bench/vmb_core.c on an arena of the kmod backend (a
 *    1.5 GiB window, the frames the tests need, one node, this machine's
 *    CPU count, so lazy_max_pages and full_fit's junk_length are the
 *    kernel's, and on a kernel with vrealloc, 6.12, the core's linux-6.12
 *    profile).  The kernel engine is here: the exported calls of the
 *    kernel it is built for (6.1 or 6.12), GFP_KERNEL | __GFP_NOWARN
 *    where a gfp can be passed, so a test near exhaustion fails quietly
 *    instead of splatting into the log.
 *
 * 2. What the kernel cannot run, it says: __vmalloc_node (an alignment)
 *    is exported only with CONFIG_TEST_VMALLOC_MODULE, which Debian's
 *    kernels lack; get_vm_area (address space without pages: the scaling
 *    sweep) is not exported; vrealloc appeared in 6.12 (where 6.12 has it,
 *    kfeatures.sh's KMOD_HAVE_VREALLOC, it is reached through kvrealloc,
 *    which hands a vmalloc address to the unexported vrealloc, and NULL
 *    is __vmalloc, as in vrealloc itself); lazy_max_pages is fixed;
 *    ioremap needs the ivshmem BAR (ioremap of RAM WARNs).  Those slots
 *    are NULL and the workload reports "unsupported: <slot>: <why>".
 *    An alignment up to PAGE_SIZE needs no __vmalloc_node: vmalloc is
 *    page aligned already.
 *
 * 3. Alternation.  Per test and repeat: core, then kernel, both from the
 *    same seed.  The two share the machine in the same state, so their
 *    ratio is meaningful even under TCG, where absolute times are not.
 *
 * 4. Bounds.  The request is checked before anything runs (see the uapi
 *    header).  Every 256 loop iterations the workloads ask the host hook
 *    here, which yields the CPU (cond_resched), and stops the run when
 *    the time budget is spent or a fatal signal is pending; the workloads
 *    free what they hold before they return.  The frame budget is the
 *    tests' own estimate (vmb_frames_needed) or the caller's, at most a
 *    quarter of RAM, as for a RUN.
 */
#include <linux/kernel.h>
#include <linux/cpumask.h>
#include <linux/gfp.h>
#include <linux/io.h>
#include <linux/ktime.h>
#include <linux/mm.h>
#include <linux/sched.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/timex.h>
#include <linux/uaccess.h>
#include <linux/vmalloc.h>

#include "kmod.h"
#include "vmc_kmod_bench.h"
#include "vmb.h"
#include "vmb_core.h"

#define KBN_GFP (GFP_KERNEL | __GFP_NOWARN)

/* ---------- the kernel engine ---------- */

static void *kn_vmalloc(void *ctx, unsigned long size, unsigned long align,
			unsigned int flags)
{
	(void)ctx;
	(void)align;            /* <= PAGE_SIZE: vmalloc is page aligned */
	if (flags & VMB_HUGE)
		return vmalloc_huge(size, KBN_GFP);
	return __vmalloc(size, KBN_GFP | (flags & VMB_ZERO ? __GFP_ZERO : 0));
}

static void kn_vfree(void *ctx, void *p)
{
	vfree(p);
}

#if KMOD_HAVE_VREALLOC
/* 6.12: vrealloc is not exported; kvrealloc gives it a vmalloc address,
 * and vrealloc(NULL) is __vmalloc (kvrealloc(NULL) would kmalloc). */
static void *kn_vrealloc(void *ctx, void *p, unsigned long size)
{
	if (!p)
		return __vmalloc(size, KBN_GFP);
	return kvrealloc(p, size, KBN_GFP);
}
#endif

static int kn_poke(void *ctx, void *p, unsigned long off, const void *buf,
		   unsigned long len)
{
	memcpy((char *)p + off, buf, len);
	return 0;
}

static int kn_peek(void *ctx, void *p, unsigned long off, void *buf,
		   unsigned long len)
{
	memcpy(buf, (char *)p + off, len);
	return 0;
}

static void kn_pages_put(void *ctx, unsigned int n, unsigned long *h)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		__free_page((struct page *)h[i]);
}

static int kn_pages_get(void *ctx, unsigned int n, unsigned long *h)
{
	unsigned int i;

	for (i = 0; i < n; i++) {
		struct page *pg = alloc_page(KBN_GFP);

		if (!pg) {
			kn_pages_put(ctx, i, h);
			return -ENOMEM;
		}
		h[i] = (unsigned long)pg;
	}
	return 0;
}

/* The handles are struct page pointers, one unsigned long each. */
static struct page **kn_pages(const unsigned long *h)
{
	BUILD_BUG_ON(sizeof(unsigned long) != sizeof(struct page *));
	return (struct page **)h;
}

static void *kn_vmap(void *ctx, const unsigned long *h, unsigned int n)
{
	return vmap(kn_pages(h), n, VM_MAP, PAGE_KERNEL);
}

static void kn_vunmap(void *ctx, void *p)
{
	vunmap(p);
}

static void *kn_vm_map_ram(void *ctx, const unsigned long *h, unsigned int n)
{
	return vm_map_ram(kn_pages(h), n, NUMA_NO_NODE);
}

static void kn_vm_unmap_ram(void *ctx, void *p, unsigned int n)
{
	vm_unmap_ram(p, n);
}

static void *kn_ioremap(void *ctx, unsigned long off, unsigned long size)
{
	const struct kmod_devmem *dm = kmod_devmem();

	if (off > dm->size || size > dm->size - off)
		return NULL;
	return (void __force *)ioremap(dm->phys + off, size);
}

static void kn_iounmap(void *ctx, void *p)
{
	iounmap((void __iomem __force *)p);
}

static unsigned int kn_nr_cpus(void *ctx)
{
	return num_online_cpus();
}

static const char *kn_why_not(const char *slot)
{
	if (!strcmp(slot, "vmalloc_align"))
		return "__vmalloc_node: exported only with "
			"CONFIG_TEST_VMALLOC_MODULE, not in Linux " KMOD_KERNEL;
	if (!strcmp(slot, "vrealloc"))
		return "vrealloc appeared in Linux 6.12";
	if (!strcmp(slot, "reserve"))
		return "get_vm_area is not exported by Linux " KMOD_KERNEL;
	if (!strcmp(slot, "sub_open"))
		return "the kernel's lazy_max_pages is fixed";
	if (!strcmp(slot, "ioremap"))
		return "no ivshmem BAR in this VM (ioremap of RAM WARNs)";
	if (!strcmp(slot, "floor"))
		return "the system-call floor is the mmap backend's";
	return "not on this engine";
}

static const struct vmb_engine kn_engine = {
	.name = "kernel",
	.why_not = kn_why_not,
	.vmalloc = kn_vmalloc,
	.vfree = kn_vfree,
#if KMOD_HAVE_VREALLOC
	.vrealloc = kn_vrealloc,
#endif
	.poke = kn_poke,
	.peek = kn_peek,
	.pages_get = kn_pages_get,
	.pages_put = kn_pages_put,
	.vmap = kn_vmap,
	.vunmap = kn_vunmap,
	.vm_map_ram = kn_vm_map_ram,
	.vm_unmap_ram = kn_vm_unmap_ram,
	.ioremap = kn_ioremap,
	.iounmap = kn_iounmap,
	.nr_cpus = kn_nr_cpus,
};

static const char *kc_why_not(const char *slot)
{
	if (!strcmp(slot, "floor"))
		return "the system-call floor is the mmap backend's";
	return "not on the kmod backend";
}

/* ---------- the host hooks ---------- */

struct kbn_host {
	u64 deadline;
	bool stopped;
};

static uint64_t kbn_now(void *arg)
{
	return ktime_get_ns();
}

static uint64_t kbn_cycles(void *arg)
{
	return (uint64_t)get_cycles();
}

static int kbn_tick(void *arg, const char *test, long done, long total)
{
	struct kbn_host *h = arg;

	cond_resched();
	if (fatal_signal_pending(current) || ktime_get_ns() > h->deadline)
		h->stopped = true;
	return h->stopped;
}

/* ---------- the ioctl ---------- */

/* The default selection: everything that fits a 1.5 GiB window and a
   2 GiB guest (not the million live areas) and is not userspace-only. */
static u64 kbn_default_mask(void)
{
	u64 m = 0;
	unsigned int i;

	for (i = 0; i < vmb_nr_workloads; i++) {
		const char *n = vmb_workloads[i].name;

		if (strcmp(n, "live_1e6_pair_test") &&
		    strcmp(n, "floor_pair_test"))
			m |= 1ULL << i;
	}
	return m;
}

static int kbn_args(struct vmc_kmod_bench *b, struct vmb_params *p)
{
	u64 all = vmb_nr_workloads >= 64 ? ~0ULL :
		(1ULL << vmb_nr_workloads) - 1;
	unsigned int i;

	BUILD_BUG_ON(VMC_KMOD_BENCH_PASS != VMB_PASS ||
		     VMC_KMOD_BENCH_FAIL != VMB_FAIL ||
		     VMC_KMOD_BENCH_UNSUPPORTED != VMB_UNSUPPORTED ||
		     VMC_KMOD_BENCH_SKIPPED != VMB_SKIPPED ||
		     VMC_KMOD_BENCH_CANCELLED != VMB_CANCELLED);
	if (vmb_nr_workloads > VMC_KMOD_BENCH_TESTS)
		return -EINVAL;
	if (!b->test_loop_count ||
	    b->test_loop_count > VMC_KMOD_BENCH_LOOPS_MAX ||
	    !b->test_repeat_count ||
	    b->test_repeat_count > VMC_KMOD_BENCH_REPEAT_MAX ||
	    b->nr_pages > VMC_KMOD_BENCH_PAGES_MAX || b->use_huge > 1 ||
	    b->run_test_mask & ~all ||
	    b->budget_ms > VMC_KMOD_BENCH_BUDGET_MAX_MS || b->flags ||
	    b->results_len != sizeof(struct vmc_kmod_bench_results) ||
	    b->nr_frames > totalram_pages() / 4)
		return -EINVAL;
	for (i = 0; i < ARRAY_SIZE(b->reserved); i++)
		if (b->reserved[i])
			return -EINVAL;
	memset(p, 0, sizeof(*p));
	p->test_loop_count = b->test_loop_count;
	p->test_repeat_count = (int)b->test_repeat_count;
	p->nr_threads = 1;
	p->nr_pages = (int)b->nr_pages;
	p->use_huge = (int)b->use_huge;
	p->sequential_test_order = 1;
	p->run_test_mask = b->run_test_mask ? b->run_test_mask :
		kbn_default_mask();
	p->seed = b->seed;
	if (!b->budget_ms)
		b->budget_ms = VMC_KMOD_BENCH_BUDGET_DEF_MS;
	if (!b->nr_frames)
		b->nr_frames = vmb_frames_needed(p, num_online_cpus());
	if (b->nr_frames > totalram_pages() / 4)
		return -EINVAL;
	return 0;
}

/* One repeat of test i on one engine into its result slot. */
static void kbn_once(struct vmb_run *r, unsigned int i, unsigned int rep,
		     uint64_t seed, struct vmc_kmod_bench_result *res)
{
	u64 t0 = ktime_get_ns();
	int rv;

	r->rng = seed;
	rv = vmb_run_one(r, i);
	res->usec[rep] = (ktime_get_ns() - t0) / 1000;
	res->loop_ns[rep] = r->loop_ns;
	res->ops[rep] = r->ops;
	res->live = r->live;
	res->repeats = rep + 1;
	if (rv == VMB_PASS)
		res->passed++;
	else if (rv == VMB_FAIL)
		res->failed++;
	if (rv != VMB_PASS) {
		res->status = rv;
		strscpy(res->why, r->why, sizeof(res->why));
	}
}

long kmod_bench_ioctl(void __user *uarg)
{
	struct vmc_kmod_bench b;
	struct vmc_kmod_bench_results *out = NULL;
	struct vmb_core *core = NULL;
	struct vmb_engine kn = kn_engine;
	struct kbn_host host = { 0 };
	struct vmb_host vh = { kbn_now, kbn_cycles, kbn_tick, &host, NULL };
	struct vmb_params p;
	struct vmc_arena_config cfg;
	const struct kmod_devmem *dm = kmod_devmem();
	unsigned int i, rep, e;
	long err;

	if (copy_from_user(&b, uarg, sizeof(b)))
		return -EFAULT;
	err = kbn_args(&b, &p);
	if (err)
		return err;
	out = kvzalloc(sizeof(*out), KBN_GFP);
	core = kzalloc(sizeof(*core), KBN_GFP);
	err = -ENOMEM;
	if (!out || !core)
		goto free;

	memset(&cfg, 0, sizeof(cfg));
	cfg.ops = &vmc_backend_kmod;
	/* 1.5 GiB: holds a 1 GiB aligned page (the aligned sweep's last
	   point) wherever it lands, and 1e5 live areas; the window is a vmap,
	   which refuses more pages than RAM (the guest has 2 GiB) */
	cfg.size = 1536UL << 20;
	cfg.nr_frames = (unsigned long)b.nr_frames;
	cfg.nr_nodes = 1;
	cfg.dev_frames = min_t(unsigned long, VMC_KMOD_DEF_DEV_FRAMES,
			       dm->size >> PAGE_SHIFT);
	/* the core as the kernel it runs in (as diff runs, kmod_dev.c): on a
	   kernel with vrealloc (6.12) its linux-6.12 profile */
	cfg.profile = KMOD_HAVE_VREALLOC ? VMC_PROFILE_LINUX_6_12 :
					   VMC_PROFILE_LINUX_6_1;
	cfg.nr_cpus = num_online_cpus();
	cfg.flags = VMC_ARENA_QUIET;
	err = vmb_core_init(core, &cfg);
	if (err)
		goto free;
	core->e.why_not = kc_why_not;
	if (!dm->is_bar) {
		kn.ioremap = NULL;
		kn.iounmap = NULL;
	}

	host.deadline = ktime_get_ns() + (u64)b.budget_ms * NSEC_PER_MSEC;
	for (e = 0; e < 2; e++)
		for (i = 0; i < vmb_nr_workloads; i++) {
			out->res[e][i].status = VMC_KMOD_BENCH_NOT_RUN;
			strscpy(out->res[e][i].name, vmb_workloads[i].name,
				sizeof(out->res[e][i].name));
		}
	b.cycles[0] = b.cycles[1] = 0;
	for (i = 0; i < vmb_nr_workloads && !host.stopped; i++) {
		struct vmb_run r[2];
		uint64_t seed = (p.seed + 1) * 0x9e3779b97f4a7c15ULL + i;

		if (!(p.run_test_mask >> i & 1))
			continue;
		memset(r, 0, sizeof(r));
		r[0].e = &core->e;
		r[0].ctx = core;
		r[1].e = &kn;
		r[1].ctx = NULL;
		for (e = 0; e < 2; e++) {
			r[e].host = &vh;
			r[e].p = &p;
			out->res[e][i].status = VMB_PASS;
		}
		for (rep = 0; rep < b.test_repeat_count && !host.stopped;
		     rep++) {
			for (e = 0; e < 2 && !host.stopped; e++) {
				struct vmc_kmod_bench_result *res =
					&out->res[e][i];
				u64 c0;

				if (res->status == VMB_UNSUPPORTED ||
				    res->status == VMB_SKIPPED)
					continue;
				c0 = get_cycles();
				kbn_once(&r[e], i, rep, seed ^ rep, res);
				b.cycles[e] += get_cycles() - c0;
			}
		}
	}
	b.cancelled = host.stopped;
	b.run_test_mask_used = p.run_test_mask;
	b.nr_frames_used = b.nr_frames;
	b.nr_tests = vmb_nr_workloads;
	b.nr_cpus = num_online_cpus();
	vmb_core_fini(core);
	err = -EFAULT;
	if (copy_to_user(u64_to_user_ptr(b.results), out, sizeof(*out)) ||
	    copy_to_user(uarg, &b, sizeof(b)))
		goto free;
	err = 0;
free:
	kfree(core);
	kvfree(out);
	return err;
}
