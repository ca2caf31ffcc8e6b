/* SPDX-License-Identifier: MIT */
/*
 * vmc_arena.c - arenas: creation, teardown, locking, logging, statistics.
 *
 * Theory
 * ------
 * An arena is one vmalloc space [start, end) bound to one backend
 * instance.  It owns everything: the backend's private state (allocated
 * here, ops->state_size bytes), the three vmap-area sets, the vmap
 * blocks, the page tables below the root, the frames of its areas.  There
 * is no global state anywhere in the core, so any number of arenas on any
 * backends coexist in one process; the differential fuzzer relies on it.
 *
 * Sizing follows Linux where Linux has a rule:
 *   - lazy_max_pages = fls(nr_cpus) * 32 MiB / PAGE_SIZE (mm/vmalloc.c
 *     lazy_max_pages()), so a one-CPU arena purges after 8192 lazy pages;
 *   - the VM_IOREMAP alignment cap is x86's IOREMAP_MAX_ORDER: the PUD
 *     shift on 64-bit, the PMD shift on 32-bit, i.e. the shift of level 2,
 *     or of the top level when there are only two;
 *   - huge vmalloc mappings need a backend offering level-1 leaves and the
 *     absence of "nohugevmalloc"; huge ioremap the absence of "nohugeiomap".
 *
 * Locking: one mutex per arena.  Each public call takes it, does its work
 * through internal functions that expect it held, and drops it.  With
 * VMC_ARENA_DEBUG (or a --enable-debug build) every mutating call ends
 * with a full vmc_check(), which panics naming the call on a violation.
 *
 * Teardown releases everything still allocated, in an order that keeps
 * page arrays readable while the frames they list are freed: data frames
 * first, then the frames of vmalloc'ed page arrays, then mappings, tables
 * and metadata, and last the backend.  Areas still live at destroy are
 * reported once (a leak in the caller, not an error of the arena).  A
 * metadata record still counted after all that is the core's own leak:
 * the destroy panics, naming each kind and its bytes (vmc_meta.c).
 */
#include "vmc_internal.h"

#define VMC_LOG_LINE 512

static void vmc_vlog(struct vmc_arena *a, int level, const char *fmt,
		     va_list ap)
{
	char line[VMC_LOG_LINE];
	int n;

	n = snprintf(line, sizeof(line), "vmcore: %s: ",
		     level <= VMC_LOG_WARN ? "WARNING" : "info");
	if (n < 0 || (size_t)n >= sizeof(line))
		n = 0;
	vmc_env_vsnprintf(line + n, sizeof(line) - (size_t)n, fmt, ap);
	if (a->cfg.log)
		a->cfg.log(a->cfg.log_arg, level, line);
	else if (!(a->cfg.flags & VMC_ARENA_QUIET))
		vmc_env_log_default(level, line);
}

void vmc_warn(struct vmc_arena *a, const char *fmt, ...)
{
	va_list ap;

	a->warnings++;
	va_start(ap, fmt);
	vmc_vlog(a, VMC_LOG_WARN, fmt, ap);
	va_end(ap);
}

void vmc_info(struct vmc_arena *a, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmc_vlog(a, VMC_LOG_INFO, fmt, ap);
	va_end(ap);
}

void vmc_msg(char *msg, size_t len, const char *fmt, ...)
{
	va_list ap;

	if (!msg || !len)
		return;
	va_start(ap, fmt);
	vmc_env_vsnprintf(msg, len, fmt, ap);
	va_end(ap);
}

/*
 * The last error.  Userspace keeps it per thread (a few slots, one per
 * arena the thread used last), so one thread never reads another's
 * error and no lock is needed to read it; the kernel build keeps it in
 * the arena (its callers are serialised by the module).
 */
#ifdef VMC_ENV_THREAD_LOCAL
#define VMC_ERR_SLOTS 8
struct vmc_err_slot {
	const struct vmc_arena *a;
	int err;
	unsigned int cpu;               /* vmc_set_cpu */
};
static VMC_ENV_THREAD_LOCAL struct vmc_err_slot vmc_err_tls[VMC_ERR_SLOTS];
static VMC_ENV_THREAD_LOCAL unsigned int vmc_err_next;

static struct vmc_err_slot *vmc_err_slot(const struct vmc_arena *a)
{
	unsigned int i;

	for (i = 0; i < VMC_ERR_SLOTS; i++)
		if (vmc_err_tls[i].a == a)
			return &vmc_err_tls[i];
	return NULL;
}
#endif

void vmc_set_error(struct vmc_arena *a, int err)
{
#ifdef VMC_ENV_THREAD_LOCAL
	struct vmc_err_slot *s = vmc_err_slot(a);

	if (!s) {
		s = &vmc_err_tls[vmc_err_next++ % VMC_ERR_SLOTS];
		s->a = a;
		s->cpu = 0;
	}
	s->err = err;
#else
	a->last_error = err;
#endif
}

int vmc_last_error(const struct vmc_arena *a)
{
#ifdef VMC_ENV_THREAD_LOCAL
	const struct vmc_err_slot *s = vmc_err_slot(a);

	return s ? s->err : 0;
#else
	return a ? a->last_error : -EINVAL;
#endif
}

/* The calling thread's CPU: kept in the same slot as its last error. */
int vmc_set_cpu(struct vmc_arena *a, unsigned int cpu)
{
#ifdef VMC_ENV_THREAD_LOCAL
	struct vmc_err_slot *s;
#endif

	if (!a || cpu >= a->cfg.nr_cpus)
		return -EINVAL;
#ifdef VMC_ENV_THREAD_LOCAL
	s = vmc_err_slot(a);
	if (!s) {
		s = &vmc_err_tls[vmc_err_next++ % VMC_ERR_SLOTS];
		s->a = a;
		s->err = 0;
	}
	s->cpu = cpu;
#else
	a->cur_cpu = cpu;
#endif
	return 0;
}

unsigned int vmc_cur_cpu(const struct vmc_arena *a)
{
#ifdef VMC_ENV_THREAD_LOCAL
	const struct vmc_err_slot *s = vmc_err_slot(a);

	return s ? s->cpu : 0;
#else
	return a->cur_cpu;
#endif
}

unsigned int vmc_get_cpu(const struct vmc_arena *a)
{
	return a ? vmc_cur_cpu(a) : 0;
}

/* Forget this thread's error slot of an arena that goes away. */
static void vmc_err_forget(const struct vmc_arena *a)
{
#ifdef VMC_ENV_THREAD_LOCAL
	struct vmc_err_slot *s = vmc_err_slot(a);

	if (s)
		s->a = NULL;
#else
	(void)a;
#endif
}

void *vmc_fail(struct vmc_arena *a, int err)
{
	vmc_set_error(a, err);
	return NULL;
}

void vmc_debug_check(struct vmc_arena *a, const char *op)
{
	struct vmc_violation v;
	int bad;

#ifndef VMC_DEBUG
	if (!(a->cfg.flags & VMC_ARENA_DEBUG))
		return;
#endif
	bad = vmc_check_keep(a, &v);
	if (bad) {
		char what[VMC_LOG_LINE];

		snprintf(what, sizeof(what), "invariant %d broken after %s: %s",
			 bad, op, v.msg);
		vmc_env_panic(__FILE__, __LINE__, what);
	}
}

/* Linux lazy_max_pages(): fls(num_online_cpus()) * 32 MiB worth of pages. */
static unsigned long vmc_default_lazy_max(unsigned int nr_cpus)
{
	return vmc_fls_long(nr_cpus) * ((32UL << 20) >> VMC_PAGE_SHIFT);
}

static int vmc_arena_setup(struct vmc_arena *a)
{
	const struct vmc_arena_config *cfg = &a->cfg;
	struct vmc_backend_config bc;
	int err;

	memset(&bc, 0, sizeof(bc));
	bc.geometry = cfg->geometry;
	bc.nr_frames = cfg->nr_frames;
	bc.nr_nodes = cfg->nr_nodes;
	bc.dev_frames = cfg->dev_frames;
	bc.features_off = cfg->features_off;
	/* No fast paths: the backend need not pay for concurrency. */
	if (!vmc_pcpu_wanted(cfg))
		bc.features_off |= VMC_BF_CONCURRENT;
	bc.tlb_entries = cfg->tlb_entries;
	if (cfg->size)
		bc.space = cfg->size;

	err = vmc_bo_init(a, &bc);
	if (err)
		return err;

	a->start = a->info.vstart;
	a->end = a->info.vend;
	if (cfg->start)
		a->start = cfg->start;
	if (!vmc_page_aligned(cfg->start) || !vmc_page_aligned(cfg->size) ||
	    a->start < a->info.vstart || a->start >= a->end ||
	    cfg->size > a->end - a->start) {
		vmc_bo_fini(a);
		return -EINVAL;
	}
	if (cfg->size)
		a->end = a->start + cfg->size;

	a->vs.lazy_max_pages = cfg->lazy_max_pages ? cfg->lazy_max_pages :
			       vmc_default_lazy_max(cfg->nr_cpus);
	a->huge_vmalloc = !(cfg->flags & VMC_ARENA_NOHUGEVMALLOC) &&
			  (a->info.geom.leaf_levels & 2u);
	a->huge_iomap = !(cfg->flags & VMC_ARENA_NOHUGEIOMAP);
	a->ioremap_max_order = vmc_geom_shift(&a->info.geom,
					      VMC_MIN(2u, a->info.geom.levels - 1));

	err = vmc_va_init(a);
	if (err) {
		vmc_bo_fini(a);
		return err;
	}
	vmc_vb_init(a);
	err = vmc_pcpu_init(a);
	if (err) {
		vmc_vb_fini(a);
		vmc_va_fini(a);
		vmc_bo_fini(a);
	}
	return err;
}

#define VMC_ARENA_FLAGS (VMC_ARENA_NOHUGEVMALLOC | VMC_ARENA_NOHUGEIOMAP | \
			 VMC_ARENA_DEBUG | VMC_ARENA_QUIET)
#define VMC_BF_ALL (VMC_BF_HUGE_PMD | VMC_BF_HUGE_PUD | VMC_BF_SOFT_TLB | \
		    VMC_BF_REAL_MMU | VMC_BF_NUMA | VMC_BF_CONCURRENT)

/* Does the ops table fill every slot the contract does not call optional? */
static bool vmc_ops_complete(const struct vmc_backend_ops *o)
{
	return o->state_size && o->init && o->fini && o->frame_alloc &&
	       o->frame_free && o->kaddr && o->frames_used && o->mk_table &&
	       o->mk_leaf && o->present && o->is_leaf && o->entry_pfn &&
	       o->leaf_prot && o->root && o->table_alloc && o->table_free &&
	       o->read && o->write && o->flush_tlb && o->access;
}

/*
 * What can be judged before the backend exists: the caller's fields in
 * themselves.  Where start and size fall in the backend's space is known
 * only after init (vmc_arena_setup).
 */
static int vmc_config_valid(const struct vmc_arena_config *cfg)
{
	if (!cfg->ops || !vmc_ops_complete(cfg->ops))
		return -EINVAL;
	if (cfg->flags & ~VMC_ARENA_FLAGS || cfg->features_off & ~VMC_BF_ALL)
		return -EINVAL;
	if (!vmc_page_aligned(cfg->start) || !vmc_page_aligned(cfg->size) ||
	    cfg->start + cfg->size < cfg->start)
		return -EINVAL;
	return 0;
}

int vmc_arena_create(const struct vmc_arena_config *cfg,
		     struct vmc_arena **out)
{
	struct vmc_arena *a;
	int err;

	if (!out)
		return -EINVAL;
	*out = NULL;
	if (!cfg)
		return -EINVAL;
	err = vmc_config_valid(cfg);
	if (err)
		return err;

	a = vmc_env_zalloc(sizeof(*a));
	if (!a)
		return -ENOMEM;
	a->cfg = *cfg;
	if (!a->cfg.nr_cpus)
		a->cfg.nr_cpus = 1;
	a->ops = cfg->ops;
	a->bs = vmc_env_zalloc(a->ops->state_size);
	if (!a->bs) {
		vmc_env_free(a);
		return -ENOMEM;
	}
	err = vmc_lock_init(&a->lock);
	if (err)
		goto out_free;
	err = vmc_arena_setup(a);
	if (err) {
		vmc_lock_destroy(&a->lock);
		goto out_free;
	}
	*out = a;
	return 0;

out_free:
	vmc_env_free(a->bs);
	vmc_env_free(a);
	return err;
}

static void vmc_free_vm_frames(struct vmc_arena *a, struct vmc_vm *vm)
{
	unsigned long i, step = 1UL << vm->pub.page_order;

	for (i = 0; i < vm->pub.nr_pages; i += step)
		vmc_bo_frame_free(a, vmc_pages_get(a, vm, i),
				  vm->pub.page_order);
	vm->pub.nr_pages = 0;
}

/*
 * Free the frames of every busy area that owns them.  Pass 0 frees data
 * frames (whose page arrays must still be readable), pass 1 the frames
 * of vmalloc'ed page arrays themselves.
 */
static unsigned long vmc_release_frames(struct vmc_arena *a, int pass)
{
	struct vmc_list *pos;
	unsigned long areas = 0;

	vmc_list_for_each(pos, &a->vs.busy.head) {
		struct vmc_va *va = vmc_list_entry(pos, struct vmc_va, list);
		struct vmc_vm *vm;

		if (va->kind != VMC_VA_VM)
			continue;
		vm = va->u.vm;
		if (vm->is_pages_array != (pass == 1))
			continue;
		if (!vm->is_pages_array)
			areas++;
		if (vm->owns_frames)
			vmc_free_vm_frames(a, vm);
	}
	return areas;
}

static void vmc_release_metadata(struct vmc_arena *a)
{
	struct vmc_list *pos;

	vmc_list_for_each(pos, &a->vs.busy.head) {
		struct vmc_va *va = vmc_list_entry(pos, struct vmc_va, list);

		if (va->kind == VMC_VA_VM) {
			vmc_meta_free(a, va->u.vm->pages);
			vmc_meta_free(a, va->u.vm);
		} else if (va->kind == VMC_VA_RAM) {
			vmc_meta_free(a, va->u.ram);
		}
		va->kind = VMC_VA_NONE;
	}
}

void vmc_arena_destroy(struct vmc_arena *a)
{
	unsigned long live;

	if (!a)
		return;
	vmc_arena_lock(a);
	a->in_teardown = true;
	live = vmc_release_frames(a, 0);
	vmc_release_frames(a, 1);
	if (live)
		vmc_info(a, "arena destroyed with %lu areas still allocated",
			 live);
	vmc_pt_unmap(a, a->start, a->end);
	vmc_pt_fini(a);
	vmc_vb_fini(a);
	vmc_release_metadata(a);
	vmc_va_fini(a);
	vmc_hf_fini(a);
	/* A record still counted now was lost by the core (vmc_meta.c). */
	if (!vmc_meta_none_left(a))
		vmc_env_panic(__FILE__, __LINE__,
			      "metadata leaked (see the lines above)");
	vmc_meta_cache_drain(a);
	vmc_bo_fini(a);
	vmc_arena_unlock(a);
	vmc_pcpu_fini(a);
	vmc_lock_destroy(&a->lock);
	vmc_err_forget(a);
	vmc_env_free(a->bs);
	vmc_env_free(a);
}

int vmc_arena_range(const struct vmc_arena *a, unsigned long *start,
		    unsigned long *end)
{
	if (!start || !end)
		return -EINVAL;
	*start = a->start;
	*end = a->end;
	return 0;
}

void *vmc_arena_backend_state(struct vmc_arena *a)
{
	return a->bs;
}

const struct vmc_backend_ops *vmc_arena_ops(const struct vmc_arena *a)
{
	return a->ops;
}

int vmc_arena_device(const struct vmc_arena *a, uint64_t *phys,
		     unsigned long *size)
{
	if (!phys || !size)
		return -EINVAL;
	*phys = a->info.dev_phys;
	*size = a->info.dev_size;
	return 0;
}

int vmc_get_stats(struct vmc_arena *a, struct vmc_stats *st)
{
	if (!st)
		return -EINVAL;
	vmc_arena_lock(a);
	memset(st, 0, sizeof(*st));
	st->nr_busy = a->vs.busy.nr;
	st->nr_free = a->vs.free.nr;
	st->nr_lazy = a->vs.lazy.nr - a->nr_pooled;
	st->nr_pooled = a->nr_pooled;
	st->lazy_pages = a->vs.lazy_pages;
	st->nr_purges = a->vs.nr_purges;
	st->nr_tlb_flushes = a->nr_tlb_flushes;
	st->frames_data = a->frames_data;
	st->frames_arrays = a->frames_arrays;
	st->frames_tables = a->frames_tables;
	st->frames_harness = a->frames_harness;
	st->nr_vmap_blocks = a->nr_vb;
	st->warnings = a->warnings;
	memcpy(st->meta_live, a->meta_live, sizeof(st->meta_live));
	memcpy(st->meta_bytes, a->meta_bytes, sizeof(st->meta_bytes));
	vmc_arena_unlock(a);
	return 0;
}

int vmc_purge(struct vmc_arena *a)
{
	unsigned long n;

	vmc_arena_lock(a);
	/* vm_unmap_aliases(): fragmented vmap blocks go too, one flush. */
	if (a->vnodes)
		vmc_vb_purge_fragmented_force(a, false);
	else
		vmc_vb_purge_fragmented(a);
	n = vmc_va_purge(a);
	vmc_arena_unlock(a);
	vmc_debug_check(a, "purge");
	return n > (unsigned long)INT_MAX ? INT_MAX : (int)n;
}

/* Data access through the arena's MMU: the range must lie in the arena. */
static int vmc_access(struct vmc_arena *a, const void *addr, void *buf,
		      size_t len, bool write)
{
	unsigned long va = (unsigned long)addr;
	int err;

	if (!buf && len)
		return -EINVAL;
	if (va < a->start || va >= a->end || len > a->end - va)
		return -EFAULT;
	if (a->pcpu && vmc_pcpu_access(a, va, buf, len, write, &err))
		return err;
	vmc_arena_lock(a);
	/* Accesses fill the TLB: the next vmc_check_changed() looks here. */
	vmc_dirty_add(a, va & ~(VMC_PAGE_SIZE - 1), va + len);
	err = vmc_bo_access(a, va, buf, len, write);
	vmc_arena_unlock(a);
	return err;
}

int vmc_write(struct vmc_arena *a, const void *addr, const void *buf,
	      size_t len)
{
	return vmc_access(a, addr, (void *)buf, len, true);
}

int vmc_read(struct vmc_arena *a, const void *addr, void *buf, size_t len)
{
	return vmc_access(a, addr, buf, len, false);
}

void *vmc_kaddr(struct vmc_arena *a, unsigned long pfn)
{
	void *p;

	vmc_arena_lock(a);
	p = a->ops->kaddr(a->bs, pfn);
	vmc_arena_unlock(a);
	return p;
}

int vmc_frame_alloc(struct vmc_arena *a, int node, unsigned long *pfn)
{
	int err;

	if (!pfn || (node != VMC_NUMA_NO_NODE &&
	    (node < 0 || (unsigned int)node >= a->info.nr_nodes)))
		return -EINVAL;
	vmc_arena_lock(a);
	err = vmc_hf_reserve(a);
	if (!err)
		err = vmc_bo_frame_alloc(a, node, 0, pfn);
	if (!err) {
		vmc_hf_add(a, *pfn);
		a->frames_harness++;
	}
	vmc_arena_unlock(a);
	return err;
}

int vmc_frame_free(struct vmc_arena *a, unsigned long pfn)
{
	int err;

	vmc_arena_lock(a);
	err = vmc_hf_remove(a, pfn);
	if (!err) {
		vmc_bo_frame_free(a, pfn, 0);
		a->frames_harness--;
	}
	vmc_arena_unlock(a);
	return err;
}

int vmc_fault_set(struct vmc_arena *a, enum vmc_fault_kind kind,
		  unsigned long nth)
{
	if ((unsigned int)kind >= VMC_FAULT_KINDS)
		return -EINVAL;
	vmc_arena_lock(a);
	vmc_fault_arm(a, kind, nth);
	vmc_arena_unlock(a);
	return 0;
}

unsigned long vmc_fault_count(struct vmc_arena *a, enum vmc_fault_kind kind)
{
	unsigned long n;

	if ((unsigned int)kind >= VMC_FAULT_KINDS)
		return 0;
	vmc_arena_lock(a);
	n = a->fault_count[kind];
	vmc_arena_unlock(a);
	return n;
}
