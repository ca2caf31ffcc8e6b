/* SPDX-License-Identifier: MIT */
/*
 * vmc_pcpu.c - per-CPU fast paths of a linux-6.12 arena, and the arena
 * lock that folds them back in.
 *
 * Theory
 * ------
 * 1. What runs beside what.  Under 6.12 a 1-page vmalloc on CPU c is,
 *    most of the time, served from node c's pool, and its vfree puts the
 *    area on node c's lazy set; Linux takes node c's locks only, so two
 *    CPUs' pairs do not meet.  Here each CPU has a struct vmc_pcpu whose
 *    lock guards node c's pools and the CPU's staging below.  Three calls
 *    run under it alone: vmalloc / vzalloc of the whole range with a hit
 *    in the pool (vmc_pcpu_vmalloc; on a miss it adds a->lock, theory
 *    6), the vfree of an area such a call returned on the same CPU
 *    (vmc_pcpu_vfree), and data accesses (vmc_pcpu_access).  Everything
 *    else takes the arena lock: every
 *    CPU's lock in order, then a->lock (vmc_arena_lock).  Without a node
 *    per CPU (6.1, one CPU, more CPUs than nodes, the kernel build)
 *    there is no vmc_pcpu and the arena lock is a->lock alone.
 *
 * 2. Staging.  A fast call changes no arena-wide structure.  The area it
 *    takes from the pool stays linked in the lazy set (vs.lazy), where
 *    pooled areas live (vmc_node.c theory 2); it goes on the CPU's staged
 *    list instead of into vs.busy.  Its vfree takes it off the staged
 *    list and marks it lazy again: it never left vs.lazy.  The counts it
 *    changes (lazy pages, pooled areas, data frames, metadata, fault
 *    attempts) and the range it touched are kept as deltas in vmc_pcpu.
 *    vmc_arena_lock folds every CPU's deltas in and moves its staged
 *    areas from vs.lazy to vs.busy: under the arena lock the arena is
 *    exactly what the same calls made under it would have left, so
 *    vmc_check, the oracles and every other call see no difference, only
 *    the busy tree's insertion order (not visible in any address) does.
 *
 * 3. The purge threshold stays exact.  Linux purges in the vfree that
 *    takes the lazy pages over lazy_max_pages, counted in one atomic
 *    (vmap_lazy_nr).  An atomic add per vfree on one line that both CPUs
 *    write was a tenth of a two-thread pair, so here a CPU reserves room
 *    in batches of PCPU_LAZY_BATCH pages: *a->lazy_fast counts what all
 *    CPUs reserved since the arena lock, and a reservation is refused if
 *    vs.lazy_pages (which only the arena lock changes) plus it would pass
 *    lazy_max_pages; near the limit a CPU reserves just what its vfree
 *    needs.  A fast vfree spends its CPU's room (lazy_room, lazy_used);
 *    with too little left and none to be had it goes the slow way,
 *    which folds every CPU's lazy_used in, counts exactly and purges
 *    where Linux does.  So the fast paths never add the page that should
 *    have purged.
 *    (Splitting the room into fixed per-CPU shares instead cost a dozen
 *    arena locks per purge, each a sleep for the other CPU.)
 *
 * 4. What stays shared.  The backend is called by one fast path at a
 *    time (a->bo_lock), as the contract asks; a fast path never
 *    allocates or frees a page table (vmc_pt_map_quick), so the arena
 *    lock's table walks never meet it.  A staged list is bounded
 *    (PCPU_STAGED_MAX): past it the next vmalloc folds.  A backend that
 *    offers VMC_BF_CONCURRENT (the sim) is called without bo_lock.
 *
 * 5. Frames kept per CPU.  With such a backend and its frame_reuse slot,
 *    a fast vfree keeps up to VMC_PCPU_FRAMES of its frames for the
 *    CPU's next fast vmalloc, as Linux's per-CPU page lists do; the
 *    frame allocator's lock is then not met twice a pair.  They stay
 *    allocated in the backend and count as nobody's; the arena lock
 *    gives them back before anyone looks, so invariant 6 holds as
 *    always under it.  Which frames a vmalloc gets changes only where a
 *    fast vfree ran on its CPU since the last arena lock.
 *
 * 6. A pool miss takes the free tree's lock only.  When node c's pool has
 *    no area of the size, 6.12 takes one from the free tree under
 *    free_vmap_area_lock, and the other CPUs go on.  Here that is
 *    a->lock beside c's lock: only holders of a->lock change the free
 *    tree and the sets' trees, and a fast path touches neither (it works
 *    on its own pool, staged list and counts), so c's lock plus a->lock
 *    exclude every other writer of what the miss changes.  The search and
 *    the cut are vmc_node_alloc's (vmc_va_fit, vmc_va_take: the same tree
 *    operations and event); the pages are mapped before the cut, so when
 *    the quick map cannot take the range nothing has changed and the
 *    call goes the slow way.  The area is staged and joins vs.lazy, as a
 *    pooled one is there, so its vfree is a fast one.  With two threads,
 *    the uneven one's misses each took the arena lock twice (74 to 250
 *    arena locks a purge, against one with one thread).
 *
 * 7. Spinning where the wait is short.  The arena lock waits for each
 *    other CPU to finish its current fast call, and a pool miss may wait
 *    for the other CPU's miss: both are held for well under a
 *    microsecond, so these waits try the lock PCPU_SPIN times first (a
 *    sleep costs a futex call, and the holder one more to wake it).  A
 *    fast path that finds its own CPU's lock taken is waiting behind an
 *    arena-lock holder, maybe a purge, and sleeps at once.  (Spinning in
 *    every vmc_lock was tried twice and lost: it spun through purges.)
 */
#include "vmc_internal.h"

#define PCPU_STAGED_MAX 64u
#define PCPU_LAZY_BATCH 64ul      /* pages a CPU reserves at a time */
#define PCPU_SPIN 128u            /* tries on a short-held lock (theory 7) */

/* ---------- set-up ---------- */

bool vmc_pcpu_wanted(const struct vmc_arena_config *cfg)
{
#ifdef VMC_ENV_THREAD_LOCAL
	return cfg->profile == VMC_PROFILE_LINUX_6_12 &&
	       cfg->placement == VMC_PLACEMENT_LINUX &&
	       cfg->nr_cpus >= 2 && cfg->nr_cpus <= VMC_NODE_MAX;
#else
	(void)cfg;
	return false;
#endif
}

int vmc_pcpu_init(struct vmc_arena *a)
{
#ifdef VMC_ENV_THREAD_LOCAL
	unsigned int i, n = a->nr_vnodes;
	size_t stride = sizeof(struct vmc_pcpu);   /* whole lines (_Alignas) */
	unsigned char *mem;
	int err;

	if (!vmc_pcpu_wanted(&a->cfg) || !a->vnodes || n != a->cfg.nr_cpus)
		return 0;
	/* One cache line (or more) per CPU, so the CPUs' locks don't share;
	   lazy_fast on the line after them. */
	mem = vmc_env_zalloc_lines(stride * n + VMC_ENV_LINE, &a->pcpu_mem);
	if (!mem)
		return -ENOMEM;
	err = vmc_lock_init(&a->bo_lock);
	if (err) {
		vmc_env_free(a->pcpu_mem);
		a->pcpu_mem = NULL;
		return err;
	}
	a->pcpu = (struct vmc_pcpu *)(void *)mem;
	a->lazy_fast = (unsigned long *)(void *)(mem + stride * n);
	for (i = 0; i < n; i++) {
		err = vmc_lock_init(&a->pcpu[i].lock);
		if (err) {
			while (i--)
				vmc_lock_destroy(&a->pcpu[i].lock);
			vmc_lock_destroy(&a->bo_lock);
			vmc_env_free(a->pcpu_mem);
			a->pcpu = NULL;
			a->pcpu_mem = NULL;
			a->lazy_fast = NULL;
			return err;
		}
	}
	a->nr_pcpu = n;
#else
	(void)a;
#endif
	return 0;
}

void vmc_pcpu_fini(struct vmc_arena *a)
{
	unsigned int i, k;

	if (!a->pcpu)
		return;
	for (i = 0; i < a->nr_pcpu; i++) {
		struct vmc_pcpu *pc = &a->pcpu[i];

		VMC_VERIFY(!pc->staged);
		for (k = 0; k < 2; k++)
			vmc_meta_cache_free(&pc->meta_cache[k],
					    &pc->meta_cached[k]);
		vmc_lock_destroy(&pc->lock);
	}
	vmc_lock_destroy(&a->bo_lock);
	vmc_env_free(a->pcpu_mem);
	a->pcpu = NULL;
	a->pcpu_mem = NULL;
	a->lazy_fast = NULL;
	a->nr_pcpu = 0;
}

/* ---------- the arena lock (theory 2, 3) ---------- */

static void pc_dirty(struct vmc_pcpu *pc, unsigned long lo, unsigned long hi)
{
	if (pc->dirty_lo == pc->dirty_hi) {
		pc->dirty_lo = lo;
		pc->dirty_hi = hi;
		return;
	}
	pc->dirty_lo = VMC_MIN(pc->dirty_lo, lo);
	pc->dirty_hi = VMC_MAX(pc->dirty_hi, hi);
}

static void pc_fold(struct vmc_arena *a, struct vmc_pcpu *pc)
{
	struct vmc_va *va;
	unsigned int k;

	while ((va = pc->staged)) {
		pc->staged = va->staged;
		va->staged = NULL;
		vmc_vaset_remove(a, &a->vs.lazy, va);
		vmc_vaset_insert(a, &a->vs.busy, va);
	}
	pc->nr_staged = 0;
	while (pc->nr_frames)
		vmc_bo_frame_free(a, pc->frames[--pc->nr_frames], 0);
	/* Deltas may be negative: unsigned wrap-around adds them right. */
	a->nr_pooled += (unsigned long)pc->nr_pooled;
	a->pool_pages += (unsigned long)pc->pool_pages;
	a->frames_data += (unsigned long)pc->frames_data;
	for (k = 0; k < VMC_META_KINDS; k++) {
		a->meta_live[k] += (unsigned long)pc->meta_live[k];
		a->meta_bytes[k] += (unsigned long)pc->meta_bytes[k];
		pc->meta_live[k] = pc->meta_bytes[k] = 0;
	}
	a->fault_count[VMC_FAULT_META] += pc->fault_meta;
	a->fault_count[VMC_FAULT_FRAME] += pc->fault_frame;
	if (pc->dirty_lo < pc->dirty_hi)
		vmc_dirty_add(a, pc->dirty_lo, pc->dirty_hi);
	pc->nr_pooled = pc->pool_pages = 0;
	pc->frames_data = 0;
	pc->fault_meta = pc->fault_frame = 0;
	pc->dirty_lo = pc->dirty_hi = 0;
	a->vs.lazy_pages += pc->lazy_used;
	pc->lazy_used = pc->lazy_room = 0;
}

/*
 * Take a lock that is held for one short call (a fast path's CPU lock, a
 * pool miss's a->lock: a few hundred ns to a microsecond): try it on the
 * line for a while before sleeping (theory 7).
 */
static void pc_lock_short(vmc_lock_t *l)
{
	unsigned int i;

	for (i = 0; i < PCPU_SPIN; i++) {
		if (vmc_trylock(l))
			return;
		vmc_cpu_relax();
	}
	vmc_lock(l);
}

void vmc_arena_lock_all(struct vmc_arena *a)
{
	unsigned int i;

	for (i = 0; i < a->nr_pcpu; i++)
		pc_lock_short(&a->pcpu[i].lock);
	pc_lock_short(&a->lock);
	for (i = 0; i < a->nr_pcpu; i++)
		pc_fold(a, &a->pcpu[i]);
	if (a->lazy_fast)
		__atomic_store_n(a->lazy_fast, 0, __ATOMIC_RELAXED);
}

void vmc_arena_unlock_all(struct vmc_arena *a)
{
	unsigned int i;

	vmc_unlock(&a->lock);
	for (i = a->nr_pcpu; i-- > 0;)
		vmc_unlock(&a->pcpu[i].lock);
}

/* ---------- the fast paths (theory 1) ---------- */

/* The calling CPU's vmc_pcpu (its CPU: pc - a->pcpu), locked, or NULL. */
static struct vmc_pcpu *pc_get(struct vmc_arena *a)
{
	unsigned int cpu = vmc_cur_cpu(a);
	struct vmc_pcpu *pc;

	if (cpu >= a->nr_pcpu)
		return NULL;
	pc = &a->pcpu[cpu];
	vmc_lock(&pc->lock);
	return pc;
}

/* Take turns at the backend unless it says it needs none (theory 4). */
static bool bo_concurrent(const struct vmc_arena *a)
{
	return a->info.features & VMC_BF_CONCURRENT;
}

static void bo_enter(struct vmc_arena *a)
{
	if (!bo_concurrent(a))
		vmc_lock(&a->bo_lock);
}

static void bo_leave(struct vmc_arena *a)
{
	if (!bo_concurrent(a))
		vmc_unlock(&a->bo_lock);
}

/* May this arena's CPUs keep freed frames (theory 5)? */
static bool pc_keeps_frames(const struct vmc_arena *a)
{
	return bo_concurrent(a) && a->ops->frame_reuse;
}

/* Give back the n frames pc_populate got; the slow path tries again and
   counts its own attempts, so the count goes back to `tries`. */
static void pc_unpopulate(struct vmc_arena *a, struct vmc_pcpu *pc,
			  const uint64_t *pages, unsigned long n,
			  unsigned long tries)
{
	while (n--)
		vmc_bo_frame_free(a, pages[n], 0);
	pc->fault_frame = tries;
}

/* Frames for pages[0, nr), zeroed if asked, mapped at addr. */
static bool pc_populate(struct vmc_arena *a, struct vmc_pcpu *pc,
			unsigned long addr, uint64_t *pages, unsigned long nr,
			unsigned int gfp)
{
	unsigned long i, tries = pc->fault_frame;

	for (i = 0; i < nr; i++) {
		unsigned long pfn;

		if (pc->nr_frames) {
			pfn = pc->frames[--pc->nr_frames];
			pc->fault_frame++;       /* an attempt, as the slow path */
			a->ops->frame_reuse(a->bs, pfn);
		} else if (vmc_bo_frame_alloc_pc(a, pc, &pfn)) {
			break;
		}
		pages[i] = pfn;
		if (gfp & VMC_GFP_ZERO)
			vmc_bo_frame_zero(a, pfn);
	}
	if (i == nr && !vmc_pt_map_quick(a, addr, nr, pages, VMC_PROT_KERNEL))
		return true;
	pc_unpopulate(a, pc, pages, i, tries);
	return false;
}

/*
 * A pool miss (theory 6): the area from the free tree under a->lock and
 * pc's lock only.  The pages are mapped where the search says before the
 * area is cut, so a range the quick map cannot take leaves the tree as it
 * was and the call goes the slow way.  The area joins vs.lazy, as a
 * pooled one is there; NULL when the slow way must do it.
 */
static struct vmc_va *pc_from_free(struct vmc_arena *a, struct vmc_pcpu *pc,
				   unsigned long total, uint64_t *pages,
				   unsigned long nr, unsigned int gfp)
{
	unsigned long addr, tries = pc->fault_frame;
	struct vmc_va *f, *va = NULL;

	pc_lock_short(&a->lock);
	f = vmc_va_fit(a, total, VMC_PAGE_SIZE, a->start, a->end, &addr);
	if (f) {
		bo_enter(a);
		if (pc_populate(a, pc, addr, pages, nr, gfp)) {
			va = vmc_va_take(a, f, addr, total, VMC_PAGE_SIZE,
					 a->start, a->end);
			if (!va) {
				/* No record for the cut: undo the pages. */
				int err = vmc_pt_unmap_quick(a, addr, addr +
						(nr << VMC_PAGE_SHIFT));

				VMC_VERIFY3U(err, ==, 0);
				pc_unpopulate(a, pc, pages, nr, tries);
			}
		}
		bo_leave(a);
	}
	if (va)
		vmc_vaset_insert(a, &a->vs.lazy, va);
	vmc_unlock(&a->lock);
	return va;
}

struct vmc_vm *vmc_pcpu_vmalloc(struct vmc_arena *a, unsigned long size,
				unsigned int gfp, const char *caller)
{
	unsigned long nr, total, tries;
	struct vmc_pcpu *pc;
	struct vmc_pool *p;
	struct vmc_vm *vm;
	struct vmc_va *va;
	uint64_t *pages;
	unsigned int cpu;
	bool ok;

	if (!a->pcpu || !size ||
	    size > (unsigned long)(VMC_POOL_SIZES - 1) << VMC_PAGE_SHIFT)
		return NULL;
	nr = (size + VMC_PAGE_SIZE - 1) >> VMC_PAGE_SHIFT;
	total = (nr + 1) << VMC_PAGE_SHIFT;      /* and the guard page */
	if (nr > a->info.nr_frames)
		return NULL;
	pc = pc_get(a);
	if (!pc)
		return NULL;
	cpu = (unsigned int)(pc - a->pcpu);
	p = &a->vnodes[cpu].pool[nr];            /* nr + 1 pages */
	va = p->head;
	if (pc->nr_staged >= PCPU_STAGED_MAX || a->in_teardown ||
	    a->fault_nth[VMC_FAULT_META] || a->fault_nth[VMC_FAULT_FRAME])
		goto out;
	if (va)
		VMC_VERIFY3U(vmc_va_size(va), ==, total);
	tries = pc->fault_meta;
	vm = vmc_meta_alloc_pc(pc, VMC_META_VM, sizeof(*vm));
	pages = vm ? vmc_meta_alloc_pc(pc, VMC_META_PAGES,
				       nr * sizeof(uint64_t)) : NULL;
	ok = false;
	if (pages && va) {
		bo_enter(a);
		ok = pc_populate(a, pc, va->va_start, pages, nr, gfp);
		bo_leave(a);
		if (ok) {
			/* node_pool_del_va: the head, as vmc_node.c's
			   pool_take. */
			vmc_pool_unlink(p);
			p->len--;
			pc->nr_pooled--;
			pc->pool_pages -= (long)(total >> VMC_PAGE_SHIFT);
			vmc_va_event(a, VMC_VA_EV_ALLOC, va->va_start, total,
				     VMC_PAGE_SIZE, a->start, a->end,
				     VMC_VA_EVF_POOL);
		}
	} else if (pages) {
		va = pc_from_free(a, pc, total, pages, nr, gfp);
		ok = va != NULL;
	}
	if (!ok) {
		if (pages)
			vmc_meta_free_pc(pc, pages);
		if (vm)
			vmc_meta_free_pc(pc, vm);
		pc->fault_meta = tries;
		goto out;
	}

	va->state = VMC_VA_BUSY;
	va->vn = (unsigned short)(cpu + 1);
	va->staged = pc->staged;
	pc->staged = va;
	pc->nr_staged++;

	vmc_area_attach(vm, va, VMC_VM_ALLOC, VMC_NUMA_NO_NODE, caller);
	vm->pub.prot = VMC_PROT_KERNEL;
	vm->pub.nr_pages = (unsigned int)nr;
	vm->pub.requested_size = size;
	vm->owns_frames = true;
	vm->pages = pages;
	vm->pages_cap = (unsigned int)nr;
	pc->frames_data += (long)nr;
	pc_dirty(pc, va->va_start, va->va_end);
	vmc_unlock(&pc->lock);
	return vm;
out:
	vmc_unlock(&pc->lock);
	return NULL;
}

/*
 * Is there room on pc for pages more lazy pages (theory 3)?  Reserves a
 * batch when pc's room runs short; false if that would pass the limit.
 */
static bool pc_lazy_reserve(struct vmc_arena *a, struct vmc_pcpu *pc,
			    unsigned long pages)
{
	unsigned long want;

	if (pc->lazy_room >= pages)
		return true;
	/* A batch, or near the limit just what this vfree needs. */
	want = VMC_MAX(PCPU_LAZY_BATCH, pages - pc->lazy_room);
	for (;;) {
		if (__atomic_add_fetch(a->lazy_fast, want, __ATOMIC_RELAXED) +
		    a->vs.lazy_pages <= a->vs.lazy_max_pages)
			break;
		__atomic_sub_fetch(a->lazy_fast, want, __ATOMIC_RELAXED);
		if (want == pages - pc->lazy_room)
			return false;
		want = pages - pc->lazy_room;
	}
	pc->lazy_room += want;
	return true;
}

int vmc_pcpu_vfree(struct vmc_arena *a, unsigned long addr)
{
	struct vmc_va *va, **link;
	unsigned long pages, i;
	struct vmc_pcpu *pc;
	struct vmc_vm *vm;
	int err = -EAGAIN;

	if (!a->pcpu)
		return -EAGAIN;
	pc = pc_get(a);
	if (!pc)
		return -EAGAIN;
	for (link = &pc->staged; (va = *link); link = &va->staged)
		if (va->va_start == addr)
			break;
	if (!va || a->in_teardown)
		goto out;
	pages = vmc_va_size(va) >> VMC_PAGE_SHIFT;
	if (!pc_lazy_reserve(a, pc, pages))
		goto out;                        /* theory 3 */
	vm = va->u.vm;
	bo_enter(a);
	err = vmc_pt_unmap_quick(a, addr, addr + vmc_area_size(vm));
	if (!err)
		for (i = 0; i < vm->pub.nr_pages; i++) {
			if (pc_keeps_frames(a) &&
			    pc->nr_frames < VMC_PCPU_FRAMES)
				pc->frames[pc->nr_frames++] = vm->pages[i];
			else
				vmc_bo_frame_free(a, vm->pages[i], 0);
		}
	bo_leave(a);
	if (err)
		goto out;                        /* the room stays reserved */
	pc->lazy_room -= pages;
	pc->lazy_used += pages;

	*link = va->staged;
	va->staged = NULL;
	pc->nr_staged--;
	pc->frames_data -= (long)vm->pub.nr_pages;
	vmc_meta_free_pc(pc, vm->pages);
	vmc_meta_free_pc(pc, vm);
	/* free_vmap_area_noflush: back to its node's lazy set, vs.lazy. */
	va->state = VMC_VA_LAZY;
	va->kind = VMC_VA_NONE;
	va->u.vm = NULL;
	pc_dirty(pc, va->va_start, va->va_end);
	vmc_va_event(a, VMC_VA_EV_LAZY, va->va_start, vmc_va_size(va), 0, 0,
		     0, 0);
out:
	vmc_unlock(&pc->lock);
	return err;
}

bool vmc_pcpu_access(struct vmc_arena *a, unsigned long va, void *buf,
		     size_t len, bool write, int *err)
{
	struct vmc_pcpu *pc = pc_get(a);

	if (!pc)
		return false;
	pc_dirty(pc, va & ~(VMC_PAGE_SIZE - 1), va + len);
	bo_enter(a);
	*err = vmc_bo_access(a, va, buf, len, write);
	bo_leave(a);
	vmc_unlock(&pc->lock);
	return true;
}
