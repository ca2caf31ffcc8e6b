/* SPDX-License-Identifier: MIT */
/*
 * engine_core.c - the "core" engine: libvmcore on a built-in backend,
 * driven through the public API (vmcore.h) only.
 *
 * Each engine instance owns one arena created from the run's
 * configuration: the backend (sim or mmap) comes from the engine's ops
 * table, the geometry, RAM, nodes, device region and lazy threshold from
 * struct vmc_engine_cfg; `nohuge` withholds the PMD and PUD leaf features
 * so the sim backend builds the same tables the mmap backend can.
 *
 * Registers.  The engine keeps, per register, the address it last
 * received (NULL if never set or if the op failed) and, for vmap and
 * vm_map_ram, the harness frames behind it.  Those frames come from
 * vmc_frame_alloc(node -1) one by one; when one cannot be had, the ones
 * taken are given back (in allocation order) and the op fails with that
 * error without calling the core (count 0 goes to the core, which
 * refuses it).  A count above the run's RAM frames (cfg->nr_frames, when
 * set) can never be had: it fails with -ENOMEM at once, no frame taken
 * and no frame-fault attempt counted (the model does the same), rather
 * than taking every free frame and giving them back.  A successful vunmap or vm_unmap_ram gives the
 * register's frames back; anything else leaves them held (a vfree of
 * a vmap area, a register overwritten while live), which the arena's
 * accounting counts as harness frames until teardown.
 *
 * Offsets in ops and results are relative to the arena start (addresses)
 * or to the device region (ioremap's phys), so results compare across
 * backends and with the model.  cfg->arena_start places the arena at an
 * absolute address (vmc_arena_config.start), so a sim arena can have the
 * very addresses, hence alignments, of a kmod run.  With cfg->observe
 * every address result also carries vmc_engine_observe's description,
 * seen through the core's own translation (vmc_vmalloc_to_pfn).
 *
 * Kernel-safe: the vmcore module compiles this file and runs it as
 * vmc_engine_core_kmod (the kmod backend); sim and mmap exist in
 * userspace only.
 */
#include "vmc_env.h"
#include "vmcore.h"
#include "vmc_backends.h"
#include "vmc_run.h"

struct ec_reg {
	unsigned long addr;             /* 0: NULL */
	unsigned long *frames;          /* harness frames (vmap, vm_map_ram) */
	unsigned int nframes;
};

struct ec_state {
	struct vmc_arena *a;
	unsigned long start, end;
	uint64_t dev_phys;
	unsigned long nr_frames;        /* cfg->nr_frames (0: not set) */
	bool observe;
	struct ec_reg reg[VMC_OP_REGS];
	struct vmc_result *res;         /* the op's result, for ec_va_event */
	unsigned int nr_cpus;           /* cfg.nr_cpus, at least 1 */
};

_Static_assert(VMC_PROFILE_LINUX_6_1 == VMC_ENGINE_PROFILE_LINUX_6_1 &&
	       VMC_PROFILE_LINUX_6_12 == VMC_ENGINE_PROFILE_LINUX_6_12,
	       "profiles differ between vmcore.h and vmc_engine.h");
_Static_assert(VMC_VA_EVF_POOL == VMC_ENGINE_EVF_POOL &&
	       VMC_VA_EVF_RETRY == VMC_ENGINE_EVF_RETRY &&
	       VMC_VA_EVF_NOMEM == VMC_ENGINE_EVF_NOMEM &&
	       VMC_VA_EVF_FULL == VMC_ENGINE_EVF_FULL,
	       "VA event flags differ between vmcore.h and vmc_engine.h");
_Static_assert(VMC_VA_EV_ALLOC == VMC_ENGINE_EV_ALLOC &&
	       VMC_VA_EV_NOFIT == VMC_ENGINE_EV_NOFIT &&
	       VMC_VA_EV_LAZY == VMC_ENGINE_EV_LAZY &&
	       VMC_VA_EV_FREE == VMC_ENGINE_EV_FREE &&
	       VMC_VA_EV_PURGE == VMC_ENGINE_EV_PURGE,
	       "VA event kinds differ between vmcore.h and vmc_engine.h");

/* VA events of the op in progress go into its result (vmc_engine.h). */
static void ec_va_event(void *arg, const struct vmc_va_event *e)
{
	struct ec_state *s = arg;
	struct vmc_result *res = s->res;

	if (!res)
		return;
	if (res->nva_ev < VMC_RESULT_VA_EV) {
		struct vmc_va_ev *ev = &res->va_ev[res->nva_ev];

		/* The kinds have the same values (vmc_engine.h). */
		ev->kind = (unsigned char)e->kind;
		ev->off = e->addr ? e->addr - s->start : 0;
		ev->size = e->size;
		ev->align = e->align;
		ev->vstart = e->vstart ? e->vstart - s->start : 0;
		ev->vend = e->vend ? e->vend - s->start : 0;
		ev->cpu = e->cpu;
		ev->flags = (uint8_t)e->flags;
	}
	res->nva_ev++;
}

static int ec_create(const char *backend, const struct vmc_engine_cfg *cfg,
		     void **state)
{
	struct vmc_arena_config ac;
	struct ec_state *s;
	unsigned long dev_size;
	int err;

	memset(&ac, 0, sizeof(ac));
	ac.ops = vmc_backend_find(backend);
	if (!ac.ops)
		return -ENODEV;
	ac.geometry = cfg->geometry;
	ac.nr_frames = cfg->nr_frames;
	ac.nr_nodes = cfg->nr_nodes;
	ac.dev_frames = cfg->dev_frames;
	ac.size = cfg->arena_size;
	ac.lazy_max_pages = cfg->lazy_max_pages;
	ac.start = (unsigned long)cfg->arena_start;
	ac.features_off = cfg->nohuge ? VMC_BF_HUGE_PMD | VMC_BF_HUGE_PUD : 0;
	ac.flags = VMC_ARENA_QUIET;
	ac.placement = cfg->placement;
	ac.profile = cfg->profile;
	ac.nr_cpus = cfg->nr_cpus;
	s = vmc_env_zalloc(sizeof(*s));
	if (!s)
		return -ENOMEM;
	ac.va_event = ec_va_event;
	ac.va_event_arg = s;
	err = vmc_arena_create(&ac, &s->a);
	if (err) {
		vmc_env_free(s);
		return err;
	}
	s->observe = cfg->observe;
	s->nr_cpus = cfg->nr_cpus ? cfg->nr_cpus : 1;
	s->nr_frames = cfg->nr_frames;
	vmc_arena_range(s->a, &s->start, &s->end);
	vmc_arena_device(s->a, &s->dev_phys, &dev_size);
	*state = s;
	return 0;
}

#ifndef __KERNEL__
static int ec_create_sim(const struct vmc_engine_cfg *cfg, void **state)
{
	return ec_create("sim", cfg, state);
}

static int ec_create_mmap(const struct vmc_engine_cfg *cfg, void **state)
{
	return ec_create("mmap", cfg, state);
}
#endif

static int ec_create_kmod(const struct vmc_engine_cfg *cfg, void **state)
{
	return ec_create("kmod", cfg, state);
}

static void ec_destroy(void *state)
{
	struct ec_state *s = state;
	int i;

	if (!s)
		return;
	for (i = 0; i < VMC_OP_REGS; i++)
		vmc_env_free(s->reg[i].frames);
	vmc_arena_destroy(s->a);
	vmc_env_free(s);
}

static void ec_drop_frames(struct ec_state *s, struct ec_reg *r, int give_back)
{
	unsigned int i;

	if (give_back)
		for (i = 0; i < r->nframes; i++)
			vmc_frame_free(s->a, r->frames[i]);
	vmc_env_free(r->frames);
	r->frames = NULL;
	r->nframes = 0;
}

/* Take `count` harness frames; 0 or the error (nothing kept: the frames
 * taken are given back in allocation order, as the model does). */
static int ec_take_frames(struct ec_state *s, uint32_t count,
			  unsigned long **out)
{
	unsigned long *f;
	uint32_t i, j, cap = count < 4096 ? count : 4096;
	int err = -ENOMEM;

	*out = NULL;
	if (!count)
		return 0;
	if (s->nr_frames && count > s->nr_frames)
		return -ENOMEM;         /* more than there is RAM (above) */
	/* The array grows as frames come: a huge count fails on frames
	   long before it would need a huge array. */
	f = vmc_op_grow(NULL, 0, cap, sizeof(*f));
	for (i = 0; f && i < count; i++) {
		if (i == cap) {
			uint32_t ncap = cap > count / 2 ? count : 2 * cap;
			unsigned long *nf = vmc_op_grow(f, cap, ncap,
							sizeof(*f));

			if (!nf)
				break;
			f = nf;
			cap = ncap;
		}
		err = vmc_frame_alloc(s->a, VMC_NUMA_NO_NODE, &f[i]);
		if (err)
			break;
	}
	if (!f || i < count) {
		for (j = 0; f && j < i; j++)
			vmc_frame_free(s->a, f[j]);
		vmc_env_free(f);
		return err ? err : -ENOMEM;
	}
	*out = f;
	return 0;
}

/* vmc_engine_observe's view: the core's own translation. */
static int ec_translate(void *ctx, unsigned long va, unsigned long *pfn)
{
	struct ec_state *s = ctx;

	return vmc_vmalloc_to_pfn(s->a, (const void *)va, pfn);
}

static void ec_result_addr(struct ec_state *s, const struct vmc_op *op,
			   void *p, unsigned long *frames, unsigned int nframes,
			   struct vmc_result *res)
{
	struct ec_reg *r = &s->reg[op->dst];

	ec_drop_frames(s, r, 0);
	r->addr = (unsigned long)p;
	if (p) {
		res->has_addr = true;
		res->off = (unsigned long)p - s->start;
		r->frames = frames;
		r->nframes = nframes;
		if (s->observe)
			vmc_engine_observe(op, (unsigned long)p, ec_translate,
					   s, res);
	} else {
		res->err = vmc_last_error(s->a);
		if (frames) {
			unsigned int i;

			for (i = 0; i < nframes; i++)
				vmc_frame_free(s->a, frames[i]);
			vmc_env_free(frames);
		}
	}
}

static void ec_vmalloc(struct ec_state *s, const struct vmc_op *op,
		       struct vmc_result *res)
{
	unsigned long align = op->align ? op->align : VMC_PAGE_SIZE;
	unsigned long start = s->start, end = s->end;
	const char *caller = "vmalloc";
	void *p;

	switch (op->kind) {
	case VMC_OP_VMALLOC:
		if (!op->align && !op->huge && op->node == -1 && !op->zero) {
			p = vmc_vmalloc(s->a, op->size);
			break;
		}
		goto range;
	case VMC_OP_VZALLOC:
		p = op->node == -1 ? vmc_vzalloc(s->a, op->size) :
		    vmc_vzalloc_node(s->a, op->size, op->node);
		break;
	case VMC_OP_VMALLOC_NODE:
		p = vmc_vmalloc_node(s->a, op->size, op->node);
		break;
	case VMC_OP_VMALLOC_HUGE:
		p = vmc_vmalloc_huge(s->a, op->size);
		break;
	default:        /* VMC_OP_VMALLOC_RANGE */
		start = s->start + op->start;
		end = s->start + op->end;
		caller = "vmalloc_range";
range:
		p = vmc_vmalloc_node_range(s->a, op->size, align, start, end,
					   op->zero ? VMC_GFP_ZERO : 0,
					   VMC_PROT_KERNEL,
					   op->huge ? VMC_VM_ALLOW_HUGE_VMAP : 0,
					   op->node, caller);
		break;
	}
	ec_result_addr(s, op, p, NULL, 0, res);
}

static void ec_map_frames(struct ec_state *s, const struct vmc_op *op,
			  struct vmc_result *res)
{
	unsigned long *f, dummy = 0;
	void *p;
	int err;

	err = ec_take_frames(s, op->pages, &f);
	if (err) {
		ec_drop_frames(s, &s->reg[op->dst], 0);
		s->reg[op->dst].addr = 0;
		res->err = err;
		return;
	}
	if (op->kind == VMC_OP_VMAP)
		p = vmc_vmap(s->a, f ? f : &dummy, op->pages, VMC_VM_MAP,
			     VMC_PROT_KERNEL);
	else
		p = vmc_vm_map_ram(s->a, f ? f : &dummy, op->pages, op->node);
	ec_result_addr(s, op, p, f, op->pages, res);
}

static int ec_access(void *ctx, unsigned long va, void *buf, size_t len,
		     bool write)
{
	struct ec_state *s = ctx;

	return write ? vmc_write(s->a, (const void *)va, buf, len) :
		       vmc_read(s->a, (const void *)va, buf, len);
}

/* write/verify: the runner checked the register and the bounds. */
static void ec_data(struct ec_state *s, const struct vmc_op *op,
		    struct vmc_result *res)
{
	vmc_engine_data(op, s->reg[op->src].addr, ec_access, s, res);
}

static void ec_exec_op(struct ec_state *s, const struct vmc_op *op,
		       struct vmc_result *res);

/* Every op: the VA events it causes are recorded in its result. */
static void ec_exec(void *state, const struct vmc_op *op,
		    struct vmc_result *res)
{
	struct ec_state *s = state;

	memset(res, 0, sizeof(*res));
	res->va_base = s->start;
	res->va_size = s->end - s->start;
	s->res = res;
	if (s->nr_cpus > 1)
		vmc_set_cpu(s->a, op->cpu % s->nr_cpus);
	ec_exec_op(s, op, res);
	s->res = NULL;
}

static void ec_exec_op(struct ec_state *s, const struct vmc_op *op,
		       struct vmc_result *res)
{
	struct ec_reg *src = op->src >= 0 ? &s->reg[op->src] : NULL;
	const void *sp = src ? (const void *)src->addr : NULL;
	void *p;

	switch (op->kind) {
	case VMC_OP_VMALLOC:
	case VMC_OP_VZALLOC:
	case VMC_OP_VMALLOC_NODE:
	case VMC_OP_VMALLOC_HUGE:
	case VMC_OP_VMALLOC_RANGE:
		ec_vmalloc(s, op, res);
		break;
	case VMC_OP_VFREE:
		res->err = vmc_vfree(s->a, sp);
		break;
	case VMC_OP_VMAP:
	case VMC_OP_VM_MAP_RAM:
		ec_map_frames(s, op, res);
		break;
	case VMC_OP_VUNMAP:
		res->err = vmc_vunmap(s->a, sp);
		if (!res->err && src)
			ec_drop_frames(s, src, 1);
		break;
	case VMC_OP_IOREMAP:
		p = vmc_ioremap(s->a, s->dev_phys + op->phys, op->size);
		ec_result_addr(s, op, p, NULL, 0, res);
		break;
	case VMC_OP_IOUNMAP:
		res->err = vmc_iounmap(s->a, sp);
		break;
	case VMC_OP_VM_UNMAP_RAM:
		res->err = vmc_vm_unmap_ram(s->a, sp, op->pages ? op->pages :
					    (src ? src->nframes : 0));
		if (!res->err && src)
			ec_drop_frames(s, src, 1);
		break;
	case VMC_OP_VREALLOC:
		p = vmc_vrealloc(s->a, sp, op->size, 0);
		ec_result_addr(s, op, p, NULL, 0, res);
		break;
	case VMC_OP_WRITE:
	case VMC_OP_VERIFY:
		ec_data(s, op, res);
		break;
	case VMC_OP_PURGE:
		vmc_purge(s->a);
		break;
	case VMC_OP_FAIL:
		vmc_fault_set(s->a, (enum vmc_fault_kind)(op->fail % 3),
			      op->nth);
		break;
	default:        /* VMC_OP_CHECK: the runner calls ->check;
			   VMC_OP_VMALLOCINFO: ->vmallocinfo */
		break;
	}
}

/* The arena's /proc/vmallocinfo, addresses as offsets. */
static void ec_vmallocinfo(void *state,
			   void (*emit)(void *arg, const char *line), void *arg)
{
	struct ec_state *s = state;

	vmc_vmallocinfo(s->a, true, emit, arg);
}

/* One of the core's checkers, its report copied into msg. */
static int ec_check_with(void *state, char *msg, size_t len,
			 int (*fn)(struct vmc_arena *, struct vmc_violation *))
{
	struct ec_state *s = state;
	struct vmc_violation v;
	int bad = fn(s->a, &v);

	if (bad && len)
		snprintf(msg, len, "%s", v.msg);
	return bad;
}

static int ec_check(void *state, char *msg, size_t len)
{
	return ec_check_with(state, msg, len, vmc_check);
}

static int ec_check_changed(void *state, char *msg, size_t len)
{
	return ec_check_with(state, msg, len, vmc_check_changed);
}

#ifndef __KERNEL__
const struct vmc_engine_ops vmc_engine_core_sim = {
	.name = "core:sim",
	.create = ec_create_sim,
	.destroy = ec_destroy,
	.exec = ec_exec,
	.check = ec_check,
	.check_changed = ec_check_changed,
	.vmallocinfo = ec_vmallocinfo,
};

const struct vmc_engine_ops vmc_engine_core_mmap = {
	.name = "core:mmap",
	.create = ec_create_mmap,
	.destroy = ec_destroy,
	.exec = ec_exec,
	.check = ec_check,
	.check_changed = ec_check_changed,
	.vmallocinfo = ec_vmallocinfo,
};
#endif /* !__KERNEL__ */

const struct vmc_engine_ops vmc_engine_core_kmod = {
	.name = "core:kmod",
	.create = ec_create_kmod,
	.destroy = ec_destroy,
	.exec = ec_exec,
	.check = ec_check,
	.check_changed = ec_check_changed,
	.vmallocinfo = ec_vmallocinfo,
};
