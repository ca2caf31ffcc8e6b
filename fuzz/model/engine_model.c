/* SPDX-License-Identifier: MIT */
/*
 * engine_model.c - the naive reference model as an engine ("model:GEOM").
 *
 * It follows the result conventions of vmc_engine.h and does what the
 * core engine (fuzz/engine_core.c) does around the API calls, because
 * those steps allocate frames too:
 *   - align 0 means PAGE_SIZE; vmalloc_range's start/end and ioremap's
 *     phys are offsets (arena start / device region), added with wrap;
 *   - vmap and vm_map_ram: `pages` harness frames are taken one by one
 *     (node -1, through the frame fault counter); if one cannot be had,
 *     the ones taken are given back in reverse order and the op fails
 *     with -ENOMEM.  A count above cfg->nr_frames (when set) fails with
 *     -ENOMEM at once, no frame taken, no fault attempt counted.
 *     A failed vmap/vm_map_ram gives them back in order.
 *     A successful vunmap / vm_unmap_ram gives back the frames of the
 *     register it names (once);
 *   - vm_unmap_ram without pages uses the register's frame count;
 *   - write/verify go in 4 KiB chunks: verify reads a chunk, compares,
 *     then the next, so a mismatch wins over a later fault;
 *   - a failed op sets its destination register to NULL.
 * After fail(meta=N) the model cannot follow the core (it does not model
 * metadata allocations): it stops executing and flags every result
 * `ignore`.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vmc_engine.h"
#include "model.h"

struct mreg {
	unsigned long addr;
	uint32_t *frames;               /* harness frames, if it owns any */
	unsigned int nframes;
};

struct meng {
	struct mdl *m;
	bool desync;
	unsigned long nr_frames;        /* cfg->nr_frames (0: not set) */
	struct mreg r[VMC_OP_REGS];
};

static int meng_create(const struct vmc_engine_cfg *cfg, void **state)
{
	struct mdl_cfg mc;
	struct meng *e = calloc(1, sizeof(*e));
	int err;

	if (!e)
		return -ENOMEM;
	memset(&mc, 0, sizeof(mc));
	mc.geometry = cfg->geometry;
	mc.nohuge = cfg->nohuge;
	mc.arena_size = cfg->arena_size;
	mc.nr_frames = cfg->nr_frames;
	e->nr_frames = cfg->nr_frames;
	mc.nr_nodes = cfg->nr_nodes;
	mc.dev_frames = cfg->dev_frames;
	mc.lazy_max_pages = cfg->lazy_max_pages;
	mc.placement = cfg->placement;
	err = mdl_create(&mc, &e->m);
	if (err) {
		free(e);
		return err;
	}
	*state = e;
	return 0;
}

static void meng_destroy(void *state)
{
	struct meng *e = state;
	int i;

	if (!e)
		return;
	for (i = 0; i < VMC_OP_REGS; i++)
		free(e->r[i].frames);
	mdl_destroy(e->m);
	free(e);
}

static struct mreg *reg(struct meng *e, int i)
{
	return i >= 0 && i < VMC_OP_REGS ? &e->r[i] : NULL;
}

static unsigned long src_addr(struct meng *e, const struct vmc_op *op)
{
	struct mreg *r = reg(e, op->src);

	return r ? r->addr : 0;
}

static void drop_frames(struct meng *e, uint32_t *fr, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		mdl_frame_free(e->m, fr[i]);
	free(fr);
}

/* Harness frames for vmap / vm_map_ram: 0, or the error (none kept). */
static int take_frames(struct meng *e, unsigned int n, uint32_t **out)
{
	uint32_t *fr = NULL;
	unsigned int i, cap = 0;
	int err;

	*out = NULL;
	if (e->nr_frames && n > e->nr_frames)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		if (i == cap) {
			uint32_t *v;

			cap = cap ? cap * 2 : 16;
			v = realloc(fr, cap * sizeof(*fr));
			if (!v)
				abort();
			fr = v;
		}
		err = mdl_frame_alloc(e->m, -1, &fr[i]);
		if (err) {
			while (i--)
				mdl_frame_free(e->m, fr[i]);
			free(fr);
			return -ENOMEM;
		}
	}
	*out = fr;
	return 0;
}

static void set_dst(struct meng *e, const struct vmc_op *op,
		    unsigned long addr, uint32_t *fr, unsigned int n)
{
	struct mreg *d = reg(e, op->dst);

	if (!d) {
		free(fr);       /* leaked frames stay allocated in the model */
		return;
	}
	free(d->frames);        /* the old owner's frames leak (by design) */
	d->addr = addr;
	d->frames = fr;
	d->nframes = n;
}

static void put_addr(struct meng *e, struct vmc_result *res, int err,
		     unsigned long addr)
{
	res->err = err;
	res->has_addr = !err && addr;
	res->off = res->has_addr ? (uint64_t)(addr - e->m->start) : 0;
}

static void release_src_frames(struct meng *e, const struct vmc_op *op)
{
	struct mreg *s = reg(e, op->src);

	if (s && s->frames) {
		drop_frames(e, s->frames, s->nframes);
		s->frames = NULL;
		s->nframes = 0;
	}
}

static int data_access(void *ctx, unsigned long va, void *buf, size_t len,
		       bool write)
{
	struct meng *e = ctx;

	return write ? mdl_write(e->m, va, buf, len) :
		       mdl_read(e->m, va, buf, len);
}

/* write / verify: the same chunks and reports as every engine. */
static void data_op(struct meng *e, const struct vmc_op *op,
		    struct vmc_result *res)
{
	vmc_engine_data(op, src_addr(e, op), data_access, e, res);
}

static void meng_exec(void *state, const struct vmc_op *op,
		      struct vmc_result *res)
{
	struct meng *e = state;
	struct mdl *m = e->m;
	unsigned long addr = 0, start = m->start, end = m->end;
	unsigned long align = op->align ? op->align : MDL_PAGE_SIZE;
	uint32_t *fr = NULL;
	int err = 0;

	memset(res, 0, sizeof(*res));
	if (op->kind == VMC_OP_FAIL && op->fail % 3 == VMC_OP_FAIL_META)
		e->desync = true;
	if (e->desync) {
		res->ignore = true;
		return;
	}
	switch (op->kind) {
	case VMC_OP_VMALLOC:
	case VMC_OP_VZALLOC:
	case VMC_OP_VMALLOC_NODE:
	case VMC_OP_VMALLOC_HUGE:
	case VMC_OP_VMALLOC_RANGE: {
		bool any = op->kind == VMC_OP_VMALLOC ||
			   op->kind == VMC_OP_VMALLOC_RANGE;
		bool zero = (any && op->zero) || op->kind == VMC_OP_VZALLOC;
		bool huge = (any && op->huge) ||
			    op->kind == VMC_OP_VMALLOC_HUGE;
		int node = op->kind == VMC_OP_VMALLOC_HUGE ? -1 : op->node;

		if (!any)
			align = MDL_PAGE_SIZE;
		if (op->kind == VMC_OP_VMALLOC_RANGE) {
			start = m->start + (unsigned long)op->start;
			end = m->start + (unsigned long)op->end;
		}
		err = mdl_vmalloc(m, (unsigned long)op->size, align, start, end,
				  zero, huge ? MDL_VM_HUGE : 0, node, &addr);
		put_addr(e, res, err, addr);
		set_dst(e, op, addr, NULL, 0);
		break;
	}
	case VMC_OP_VFREE:
		res->err = mdl_vfree(m, src_addr(e, op));
		break;
	case VMC_OP_VMAP:
	case VMC_OP_VM_MAP_RAM:
		err = take_frames(e, op->pages, &fr);
		if (!err) {
			if (op->kind == VMC_OP_VMAP)
				err = mdl_vmap(m, op->pages ? fr : NULL,
					       op->pages, &addr);
			else
				err = mdl_vm_map_ram(m, op->pages ? fr : NULL,
						     op->pages, &addr);
			if (err) {
				drop_frames(e, fr, op->pages);
				fr = NULL;
			}
		}
		put_addr(e, res, err, addr);
		set_dst(e, op, addr, fr, err ? 0 : op->pages);
		break;
	case VMC_OP_VUNMAP:
		res->err = mdl_vunmap(m, src_addr(e, op));
		if (!res->err && src_addr(e, op))
			release_src_frames(e, op);
		break;
	case VMC_OP_IOREMAP:
		err = mdl_ioremap(m, op->phys, (unsigned long)op->size, &addr);
		put_addr(e, res, err, addr);
		set_dst(e, op, addr, NULL, 0);
		break;
	case VMC_OP_IOUNMAP:
		res->err = mdl_iounmap(m, src_addr(e, op));
		break;
	case VMC_OP_VM_UNMAP_RAM: {
		struct mreg *s = reg(e, op->src);
		unsigned int count = op->pages ? op->pages : (s ? s->nframes : 0);

		res->err = mdl_vm_unmap_ram(m, src_addr(e, op), count);
		if (!res->err)
			release_src_frames(e, op);
		break;
	}
	case VMC_OP_VREALLOC:
		err = mdl_vrealloc(m, src_addr(e, op), (unsigned long)op->size,
				   &addr);
		put_addr(e, res, err, addr);
		set_dst(e, op, addr, NULL, 0);
		break;
	case VMC_OP_WRITE:
	case VMC_OP_VERIFY:
		data_op(e, op, res);
		break;
	case VMC_OP_PURGE:
		mdl_purge(m);
		break;
	case VMC_OP_FAIL:
		mdl_fault_set(m, op->fail % 3 == VMC_OP_FAIL_TABLES ?
			      MDL_F_TABLE : MDL_F_FRAME, (unsigned long)op->nth);
		break;
	case VMC_OP_CHECK:      /* the runner calls ->check itself */
	case VMC_OP_VMALLOCINFO: /* ok: the model has no dump to print */
		break;
	default:
		res->err = -EINVAL;
		break;
	}
}

/*
 * Linux placement: take the core's choices (its VA events for this op)
 * after checking each against Linux's rule (mdl_va.c).  A choice the
 * rule refuses, or events that do not match the model's allocations,
 * make the op's result -EPROTO with the reason, which the runner reports
 * as a difference.  Exact placement ignores the lead.
 */
static void meng_exec_follow(void *state, const struct vmc_op *op,
			     const struct vmc_result *lead,
			     struct vmc_result *res)
{
	struct meng *e = state;
	struct mdl_space *sp = &e->m->sp;
	struct mdl_va_ev ev[VMC_RESULT_VA_EV] = { { false, 0, 0, 0 } };
	unsigned int i, n;

	if (!sp->linux_mode || e->desync) {
		meng_exec(state, op, res);
		return;
	}
	if (lead->nva_ev > VMC_RESULT_VA_EV) {
		/* Events were lost: the model cannot follow any more. */
		e->desync = true;
		meng_exec(state, op, res);
		res->why = "more VA events in one op than a result holds";
		return;
	}
	/* Only the searches matter here; frees and purges the model does. */
	for (i = n = 0; i < lead->nva_ev; i++) {
		const struct vmc_va_ev *le = &lead->va_ev[i];

		if (le->kind != VMC_ENGINE_EV_ALLOC &&
		    le->kind != VMC_ENGINE_EV_NOFIT)
			continue;
		ev[n].found = le->kind == VMC_ENGINE_EV_ALLOC;
		ev[n].addr = e->m->start + (unsigned long)le->off;
		ev[n].size = (unsigned long)le->size;
		ev[n].align = (unsigned long)le->align;
		n++;
	}
	mdl_space_follow(sp, ev, n);
	meng_exec(state, op, res);
	if (!sp->bad && sp->iev < n) {
		snprintf(sp->why, sizeof(sp->why), "the core searched for 0x%lx "
			 "bytes at align 0x%lx, the model did not",
			 ev[sp->iev].size, ev[sp->iev].align);
		sp->bad = true;
	}
	if (sp->bad && !res->ignore) {
		res->err = -EPROTO;
		res->has_addr = false;
		res->off = 0;
		snprintf(res->detail, sizeof(res->detail), "%.159s", sp->why);
	}
	mdl_space_follow(sp, NULL, 0);
}

static int meng_check(void *state, char *msg, size_t len)
{
	struct meng *e = state;

	if (msg && len)
		msg[0] = '\0';
	return mdl_check(e->m, msg, len);
}

/* Between full checks: the model's own frame balance only (O(1)). */
static int meng_check_changed(void *state, char *msg, size_t len)
{
	struct meng *e = state;

	if (msg && len)
		msg[0] = '\0';
	return mdl_check_balance(e->m, msg, len);
}

const struct vmc_engine_ops vmc_engine_model = {
	.name = "model",
	.create = meng_create,
	.destroy = meng_destroy,
	.exec = meng_exec,
	.check = meng_check,
	.check_changed = meng_check_changed,
	.exec_follow = meng_exec_follow,
};
