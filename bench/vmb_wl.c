/* SPDX-License-Identifier: MIT */
/*
 * vmb_wl.c - the named table of benchmark workloads.
 *
 * Theory
 * ------
 * 1. What is here.  Entries 0..9 are the test cases of Linux 6.1's
 *    lib/test_vmalloc.c, in its order and so with its run_test_mask bits;
 *    10 and 11 are the later kernels' vm_map_ram_test (6.2+, bit 1024 as
 *    there) and a vrealloc_test modelled on the one of later kernels
 *    (vrealloc exists from 6.12).  From 12 on are our own: the scullv
 *    pattern, the one-page pair beside 15,000 busy areas, the scaling
 *    sweep (1e2..1e6 live areas), the aligned sweep (2^12..2^30), vmap and
 *    ioremap pairs, purge cost against lazy_max_pages, and the system-call
 *    floor of the mmap backend.  run_test_mask is 64 bits wide here; its
 *    default selects the test_vmalloc family (bits 0..11).
 *
 * 2. Faithful to the kernel's, where it can be.  Sizes, alignments,
 *    counts and the one-byte stores match test_vmalloc.c (read from the 6.1
 *    source).  Differences, all forced by the engines:
 *    - the pointer arrays the kernel vmallocs (15,000 and junk_length
 *      entries) are host metadata here (vmc_env_zalloc): a libvmcore
 *      address is not host memory on the sim backend;
 *    - stores go through the engine's poke (vmc_write on libvmcore);
 *    - random numbers are our xorshift64* seeded by --seed (the kernel's
 *      get_random_u8 / prandom_u32_max), so a run replays;
 *    - VMB_THREAD_ALIGN is x86-64's 16 KiB (THREAD_SIZE without KASAN);
 *    - kvfree_rcu has no RCU here: freed objects wait in a batch that is
 *      drained as a grace period would drain it.  1-arg: a page of
 *      pointers (510 of them, a kvfree_rcu_bulk_data's worth) filled and
 *      then all vfree'd; 2-arg: each object's embedded rcu_head (offset 0
 *      of its test_kvfree_rcu) links it into a chain, which the drain
 *      walks by reading the links back through the mapping, 510 a batch.
 *    - pcpu_alloc_test is listed for its bit and skipped: the per-CPU
 *      allocator is not part of vmcore.
 *
 * 3. Cleanup.  Every workload frees what it made on every path (failure,
 *    cancellation), so an arena is balanced after any run; the driver's
 *    tests check that with vmc_check().
 */
#include "vmb.h"

#define VMB_PG              4096UL
#define VMB_THREAD_ALIGN    (16UL << 10)    /* x86-64 THREAD_SIZE */
#define KVFREE_BATCH    510             /* pointers per bulk page */
#define SCULLV_ORDER    4               /* quantum 16 pages */
#define SCULLV_QSET     500

static uint64_t rnd64(struct vmb_run *r)
{
	uint64_t x = r->rng;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	r->rng = x;
	return x * 0x2545f4914f6cdd1dULL;
}

/* prandom_u32_max(n): 0..n-1 */
static unsigned int rnd_below(struct vmb_run *r, unsigned int n)
{
	return (unsigned int)(((rnd64(r) >> 32) * n) >> 32);
}

/* Nonzero when the host says stop; asks it every 256 calls. */
static int vmb_tick(struct vmb_run *r, long done, long total)
{
	if (++r->ticks & 255)
		return 0;
	return r->host->tick && r->host->tick(r->host->arg, r->test, done, total);
}

static uint64_t cpu_now(struct vmb_run *r)
{
	return r->host->cpu_ns ? r->host->cpu_ns(r->host->arg) : 0;
}

static void loop_begin(struct vmb_run *r)
{
	r->loop_c0 = cpu_now(r);
	r->loop_t0 = r->host->now_ns(r->host->arg);
}

static void loop_end(struct vmb_run *r, unsigned long ops)
{
	r->loop_ns = r->host->now_ns(r->host->arg) - r->loop_t0;
	r->loop_cpu_ns = cpu_now(r) - r->loop_c0;
	r->ops = ops;
}

static int need(struct vmb_run *r, const void *slot, const char *what)
{
	if (slot)
		return 0;
	snprintf(r->why, sizeof(r->why), "%s: %s", what,
		 r->e->why_not ? r->e->why_not(what) :
		 "not available on this engine");
	return 1;
}
#define NEED(r, slot) do { if (need(r, (r)->e->slot, #slot)) \
	return VMB_UNSUPPORTED; } while (0)

static int fail(struct vmb_run *r, const char *what, long i)
{
	snprintf(r->why, sizeof(r->why), "%s failed at loop %ld", what, i);
	return VMB_FAIL;
}

static int poke1(struct vmb_run *r, void *p, unsigned long off,
		 unsigned char v)
{
	return r->e->poke(r->ctx, p, off, &v, 1);
}

static long loops(const struct vmb_run *r)
{
	return r->p->test_loop_count;
}

static unsigned int npages(const struct vmb_params *p)
{
	return p->nr_pages > 0 ? (unsigned int)p->nr_pages : 1;
}

/* fls(): the position of the highest set bit, 1-based; 0 for 0. */
static unsigned int fls_u(unsigned int x)
{
	unsigned int n = 0;

	while (x) {
		n++;
		x >>= 1;
	}
	return n;
}

static unsigned long junk_length(unsigned int ncpus)
{
	return fls_u(ncpus ? ncpus : 1) * (32UL * 1024 * 1024 / VMB_PG);
}

/*
 * A timed loop: `n` calls of step(r, i, arg), each one iteration that
 * returns VMB_PASS to go on or another VMB_* having freed what it made;
 * the host is asked every 256 iterations whether to stop.
 */
typedef int (*vmb_step)(struct vmb_run *r, long i, void *arg);

static int steps(struct vmb_run *r, long n, vmb_step step, void *arg)
{
	long i;
	int rv;

	loop_begin(r);
	for (i = 0; i < n; i++) {
		rv = step(r, i, arg);
		if (rv != VMB_PASS)
			return rv;
		if (vmb_tick(r, i, n))
			return VMB_CANCELLED;
	}
	loop_end(r, (unsigned long)n);
	return VMB_PASS;
}

/* The end of most iterations: one store into p (the kernel's
   `*((__u8 *)p) = 1`), then vfree. */
static int store_free(struct vmb_run *r, void *p, const char *what, long i)
{
	int err;

	if (!p)
		return fail(r, what, i);
	err = poke1(r, p, 0, 1);
	r->e->vfree(r->ctx, p);
	return err ? fail(r, "store", i) : VMB_PASS;
}

/* __vmalloc_node(size, align, ...) for align > PAGE_SIZE, else vmalloc */
static void *vmb_valloc(struct vmb_run *r, unsigned long size,
		    unsigned long align, unsigned int flags)
{
	if (align > VMB_PG)
		return r->e->vmalloc_align(r->ctx, size, align, flags);
	return r->e->vmalloc(r->ctx, size, align, flags);
}

struct pair_arg {
	unsigned long size, align;
	unsigned int flags;
};

static int pair_step(struct vmb_run *r, long i, void *arg)
{
	const struct pair_arg *a = arg;

	return store_free(r, vmb_valloc(r, a->size, a->align, a->flags),
			  "vmalloc", i);
}

/*
 * The one-page pair, the unit of most sweeps: vmalloc (aligned when
 * align > 0), one store, vfree; `n` times, timed as the loop.
 */
static int pair_loop(struct vmb_run *r, unsigned long size,
		     unsigned long align, unsigned int flags, long n)
{
	struct pair_arg a = { size, align, flags };

	return steps(r, n, pair_step, &a);
}

/* --- the test_vmalloc.c cases --- */

static int wl_fix_size(struct vmb_run *r, long arg)
{
	(void)arg;
	return pair_loop(r, npages(r->p) * VMB_PG, 0,
			 r->p->use_huge ? VMB_HUGE : 0, loops(r));
}

static unsigned long fr_fix_size(const struct vmb_params *p, long arg)
{
	(void)arg;
	return npages(p) + (p->use_huge ? 1024 : 0);
}

static int wl_full_fit(struct vmb_run *r, long arg)
{
	const struct vmb_engine *e = r->e;
	unsigned long n = junk_length(e->nr_cpus ? e->nr_cpus(r->ctx) : 1);
	void **ptr = vmc_env_zalloc(n * sizeof(*ptr));
	void **junk = vmc_env_zalloc(n * sizeof(*junk));
	unsigned long i, made = 0;
	int rv = VMB_FAIL;

	(void)arg;
	if (!ptr || !junk) {
		snprintf(r->why, sizeof(r->why), "no memory for %lu pointers",
			 n);
		goto out;
	}
	for (i = 0; i < n; i++, made++) {
		ptr[i] = e->vmalloc(r->ctx, VMB_PG, 0, 0);
		junk[i] = e->vmalloc(r->ctx, VMB_PG, 0, 0);
		if (!ptr[i] || !junk[i]) {
			rv = fail(r, "set-up vmalloc", (long)i);
			made++;
			goto free_junk;
		}
		if (vmb_tick(r, 0, loops(r))) {
			made++;
			rv = VMB_CANCELLED;
			goto free_junk;
		}
	}
	for (i = 0; i < n; i++) {
		e->vfree(r->ctx, junk[i]);
		junk[i] = NULL;
	}
	r->live = n;
	rv = pair_loop(r, VMB_PG, 0, 0, loops(r));
free_junk:
	for (i = 0; i < made; i++)
		if (junk[i])
			e->vfree(r->ctx, junk[i]);
	for (i = 0; i < made; i++)
		if (ptr[i])
			e->vfree(r->ctx, ptr[i]);
out:
	vmc_env_free(ptr);
	vmc_env_free(junk);
	return rv;
}

static unsigned long fr_full_fit(const struct vmb_params *p, long arg)
{
	(void)p;
	(void)arg;
	/* one CPU; vmb_frames_needed() scales it with the CPUs */
	return 2 * junk_length(1) + 64;
}

/*
 * `n` live one-page vmalloc areas (or, with `bare`, address space only),
 * then the loop `body` beside them.  Both the long busy list and the
 * scaling sweep are this.
 */
static int with_live(struct vmb_run *r, unsigned long n, bool bare,
		     int (*body)(struct vmb_run *r))
{
	const struct vmb_engine *e = r->e;
	void **ptr = vmc_env_zalloc((n ? n : 1) * sizeof(*ptr));
	unsigned long i, made, m0 = 0;
	int rv = VMB_FAIL;

	if (!ptr) {
		snprintf(r->why, sizeof(r->why), "no memory for %lu pointers",
			 n);
		return VMB_FAIL;
	}
	if (bare && need(r, e->reserve, "reserve")) {
		vmc_env_free(ptr);
		return VMB_UNSUPPORTED;
	}
	if (e->meta_bytes)
		m0 = e->meta_bytes(r->ctx);
	for (made = 0; made < n; made++) {
		ptr[made] = bare ? e->reserve(r->ctx, VMB_PG) :
			e->vmalloc(r->ctx, VMB_PG, 0, 0);
		if (!ptr[made]) {
			rv = fail(r, bare ? "reserve" : "set-up vmalloc",
				  (long)made);
			goto out;
		}
		if (vmb_tick(r, 0, loops(r))) {
			made++;
			rv = VMB_CANCELLED;
			goto out;
		}
	}
	if (e->meta_bytes && n)
		r->meta_bytes = (e->meta_bytes(r->ctx) - m0) / n;
	r->live = n;
	rv = body(r);
out:
	for (i = 0; i < made; i++) {
		if (!ptr[i])
			continue;
		if (bare)
			e->unreserve(r->ctx, ptr[i]);
		else
			e->vfree(r->ctx, ptr[i]);
	}
	vmc_env_free(ptr);
	return rv;
}

static int busy_step(struct vmb_run *r, long i, void *arg)
{
	const struct vmb_engine *e = r->e;
	void *p1 = e->vmalloc(r->ctx, 100 * VMB_PG, 0, 0);
	void *p2;
	int err;

	(void)arg;
	if (!p1)
		return fail(r, "vmalloc(100 pages)", i);
	p2 = e->vmalloc(r->ctx, VMB_PG, 0, 0);
	if (!p2) {
		e->vfree(r->ctx, p1);
		return fail(r, "vmalloc(1 page)", i);
	}
	err = poke1(r, p1, 0, 0);
	e->vfree(r->ctx, p1);
	if (err) {
		e->vfree(r->ctx, p2);
		return fail(r, "store", i);
	}
	return store_free(r, p2, "vmalloc(1 page)", i);
}

static int body_busy_pair(struct vmb_run *r)
{
	return steps(r, loops(r), busy_step, NULL);
}

static int body_pair(struct vmb_run *r)
{
	return pair_loop(r, VMB_PG, 0, 0, loops(r));
}

static int wl_long_busy_list(struct vmb_run *r, long arg)
{
	(void)arg;
	return with_live(r, 15000, false, body_busy_pair);
}

static unsigned long fr_long_busy_list(const struct vmb_params *p, long arg)
{
	(void)p;
	(void)arg;
	return 15000 + 101;
}

static int random_size_step(struct vmb_run *r, long i, void *arg)
{
	unsigned int k = rnd_below(r, 100) + 1;

	(void)arg;
	return store_free(r, r->e->vmalloc(r->ctx, k * VMB_PG, 0, 0),
			  "vmalloc", i);
}

static int wl_random_size(struct vmb_run *r, long arg)
{
	(void)arg;
	return steps(r, loops(r), random_size_step, NULL);
}

static unsigned long fr_small(const struct vmb_params *p, long arg)
{
	(void)p;
	(void)arg;
	return 128;
}

static int wl_fix_align(struct vmb_run *r, long arg)
{
	(void)arg;
	NEED(r, vmalloc_align);
	return pair_loop(r, 5 * VMB_PG, VMB_THREAD_ALIGN << 1, VMB_ZERO,
			 loops(r));
}

/* __vmalloc_node(1..10 pages, 2^0..2^22, __GFP_ZERO) and vfree: no store,
   as in the kernel's */
static int random_size_align_step(struct vmb_run *r, long i, void *arg)
{
	unsigned int rnd = (unsigned int)(rnd64(r) >> 56);
	unsigned long align = 1UL << (rnd % 23);
	unsigned long size = ((rnd % 10) + 1) * VMB_PG;
	void *p = vmb_valloc(r, size, align, VMB_ZERO);

	(void)arg;
	if (!p)
		return fail(r, "__vmalloc_node", i);
	r->e->vfree(r->ctx, p);
	return VMB_PASS;
}

static int wl_random_size_align(struct vmb_run *r, long arg)
{
	(void)arg;
	NEED(r, vmalloc_align);
	return steps(r, loops(r), random_size_align_step, NULL);
}

static unsigned long fr_random_size_align(const struct vmb_params *p,
					  long arg)
{
	(void)p;
	(void)arg;
	return 16;
}

/* "This test case is supposed to be failed": it fails where align runs
   out of address space, as the kernel's does. */
static int wl_align_shift(struct vmb_run *r, long arg)
{
	int i;

	(void)arg;
	NEED(r, vmalloc_align);
	loop_begin(r);
	for (i = 0; i < 64; i++) {
		void *p = vmb_valloc(r, VMB_PG, 1UL << i, VMB_ZERO);

		if (!p) {
			loop_end(r, (unsigned long)i);
			snprintf(r->why, sizeof(r->why),
				 "no area at align 2^%d (expected)", i);
			return VMB_FAIL;
		}
		r->e->vfree(r->ctx, p);
	}
	loop_end(r, 64);
	return VMB_PASS;
}

static int wl_pcpu(struct vmb_run *r, long arg)
{
	(void)arg;
	snprintf(r->why, sizeof(r->why),
		 "the per-CPU allocator is not part of vmcore");
	return VMB_SKIPPED;
}

static int wl_kvfree_rcu_1(struct vmb_run *r, long arg)
{
	const struct vmb_engine *e = r->e;
	void **batch = vmc_env_zalloc(KVFREE_BATCH * sizeof(*batch));
	long i, n = loops(r);
	unsigned int k = 0, j;
	int rv = VMB_PASS;

	(void)arg;
	if (!batch)
		return fail(r, "bulk page", 0);
	loop_begin(r);
	for (i = 0; i < n; i++) {
		void *p = e->vmalloc(r->ctx, VMB_PG, 0, 0);

		if (!p) {
			rv = fail(r, "vmalloc", i);
			break;
		}
		batch[k++] = p;
		/* p->array[0] = 'a': after the 16-byte rcu_head */
		if (poke1(r, p, 16, 'a')) {
			rv = fail(r, "store", i);
			break;
		}
		if (k == KVFREE_BATCH) {        /* a grace period ended */
			for (j = 0; j < k; j++)
				e->vfree(r->ctx, batch[j]);
			k = 0;
		}
		if (vmb_tick(r, i, n)) {
			rv = VMB_CANCELLED;
			break;
		}
	}
	for (j = 0; j < k; j++)
		e->vfree(r->ctx, batch[j]);
	vmc_env_free(batch);
	if (rv == VMB_PASS)
		loop_end(r, (unsigned long)n);
	return rv;
}

/* Walk the chain through the objects' rcu_head and free it. */
static int drain_chain(struct vmb_run *r, void *head)
{
	int rv = 0;

	while (head) {
		void *next = NULL;

		if (r->e->peek(r->ctx, head, 0, &next, sizeof(next)))
			rv = -1, next = NULL;
		r->e->vfree(r->ctx, head);
		head = next;
	}
	return rv;
}

static int wl_kvfree_rcu_2(struct vmb_run *r, long arg)
{
	const struct vmb_engine *e = r->e;
	long i, n = loops(r);
	void *head = NULL;
	unsigned int k = 0;
	int rv = VMB_PASS;

	(void)arg;
	NEED(r, peek);
	loop_begin(r);
	for (i = 0; i < n; i++) {
		void *p = e->vmalloc(r->ctx, VMB_PG, 0, 0);

		if (!p) {
			rv = fail(r, "vmalloc", i);
			break;
		}
		if (poke1(r, p, 16, 'a') ||
		    e->poke(r->ctx, p, 0, &head, sizeof(head))) {
			e->vfree(r->ctx, p);
			rv = fail(r, "store", i);
			break;
		}
		head = p;
		if (++k == KVFREE_BATCH) {
			if (drain_chain(r, head))
				rv = fail(r, "rcu_head read", i);
			head = NULL;
			k = 0;
			if (rv)
				break;
		}
		if (vmb_tick(r, i, n)) {
			rv = VMB_CANCELLED;
			break;
		}
	}
	if (drain_chain(r, head) && rv == VMB_PASS)
		rv = fail(r, "rcu_head read", i);
	if (rv == VMB_PASS)
		loop_end(r, (unsigned long)n);
	return rv;
}

static unsigned long fr_kvfree(const struct vmb_params *p, long arg)
{
	(void)p;
	(void)arg;
	return KVFREE_BATCH + 16;
}

struct map_arg {
	unsigned long *h;
	unsigned int n;
	bool ram;
};

static int map_step(struct vmb_run *r, long i, void *arg)
{
	const struct map_arg *a = arg;
	const struct vmb_engine *e = r->e;
	void *v = a->ram ? e->vm_map_ram(r->ctx, a->h, a->n) :
		e->vmap(r->ctx, a->h, a->n);
	int err;

	if (!v)
		return fail(r, a->ram ? "vm_map_ram" : "vmap", i);
	err = poke1(r, v, 0, 'a');
	if (a->ram)
		e->vm_unmap_ram(r->ctx, v, a->n);
	else
		e->vunmap(r->ctx, v);
	return err ? fail(r, "store", i) : VMB_PASS;
}

/* map `n` held pages `loops` times through map/unmap */
static int map_loop(struct vmb_run *r, unsigned int n, bool ram)
{
	struct map_arg a = { vmc_env_zalloc(n * sizeof(*a.h)), n, ram };
	int rv;

	if (!a.h || r->e->pages_get(r->ctx, n, a.h)) {
		vmc_env_free(a.h);
		snprintf(r->why, sizeof(r->why), "no %u pages to map", n);
		return VMB_FAIL;
	}
	rv = steps(r, loops(r), map_step, &a);
	r->e->pages_put(r->ctx, n, a.h);
	vmc_env_free(a.h);
	return rv;
}

static int wl_vm_map_ram(struct vmb_run *r, long arg)
{
	(void)arg;
	NEED(r, pages_get);
	NEED(r, vm_map_ram);
	return map_loop(r, npages(r->p), true);
}

static unsigned long fr_map(const struct vmb_params *p, long arg)
{
	(void)arg;
	return npages(p) + 64;
}

static int vrealloc_step(struct vmb_run *r, long i, void *arg)
{
	static const unsigned long sizes[] = { 4, 1, 2 };
	const struct vmb_engine *e = r->e;
	void *p = e->vrealloc(r->ctx, NULL, VMB_PG);
	unsigned char c = 0;
	unsigned int s;

	(void)arg;
	if (!p)
		return fail(r, "vrealloc(NULL, 1 page)", i);
	if (poke1(r, p, 0, 'a')) {
		e->vfree(r->ctx, p);
		return fail(r, "store", i);
	}
	/* grow past the page, shrink back, grow inside the area; the byte
	   must survive every move */
	for (s = 0; s < 3; s++) {
		void *q = e->vrealloc(r->ctx, p, sizes[s] * VMB_PG);

		if (!q || e->peek(r->ctx, q, 0, &c, 1) || c != 'a') {
			e->vfree(r->ctx, q ? q : p);
			return fail(r, "vrealloc", i);
		}
		p = q;
	}
	e->vfree(r->ctx, p);
	return VMB_PASS;
}

static int wl_vrealloc(struct vmb_run *r, long arg)
{
	(void)arg;
	NEED(r, vrealloc);
	NEED(r, peek);
	return steps(r, loops(r), vrealloc_step, NULL);
}

/* --- our own --- */

/* scullv: quanta of 16 pages in qsets of 500, filled (one store per page,
   as `cat bigfile > /dev/scullv0` writes them) and trimmed per qset. */
static int wl_scullv(struct vmb_run *r, long arg)
{
	const struct vmb_engine *e = r->e;
	const unsigned long qbytes = VMB_PG << SCULLV_ORDER;
	void **q = vmc_env_zalloc(SCULLV_QSET * sizeof(*q));
	long i, n = loops(r);
	unsigned int k = 0, j;
	unsigned long pg;
	int rv = VMB_PASS;

	(void)arg;
	if (!q)
		return fail(r, "qset", 0);
	loop_begin(r);
	for (i = 0; i < n && rv == VMB_PASS; i++) {
		q[k] = e->vmalloc(r->ctx, qbytes, 0, 0);
		if (!q[k]) {
			rv = fail(r, "vmalloc(quantum)", i);
			break;
		}
		for (pg = 0; pg < qbytes; pg += VMB_PG)
			if (poke1(r, q[k], pg, (unsigned char)i))
				rv = fail(r, "store", i);
		k++;
		if (k == SCULLV_QSET) {         /* scull_trim */
			for (j = 0; j < k; j++)
				e->vfree(r->ctx, q[j]);
			k = 0;
		}
		if (rv == VMB_PASS && vmb_tick(r, i, n))
			rv = VMB_CANCELLED;
	}
	for (j = 0; j < k; j++)
		e->vfree(r->ctx, q[j]);
	vmc_env_free(q);
	if (rv == VMB_PASS)
		loop_end(r, (unsigned long)n);
	return rv;
}

static unsigned long fr_scullv(const struct vmb_params *p, long arg)
{
	(void)p;
	(void)arg;
	return SCULLV_QSET * (1UL << SCULLV_ORDER) + SCULLV_QSET;
}

/* the one-page pair beside 15,000 busy one-page vmalloc areas */
static int wl_busy_pair(struct vmb_run *r, long arg)
{
	return with_live(r, (unsigned long)arg, false, body_pair);
}

static unsigned long fr_busy(const struct vmb_params *p, long arg)
{
	(void)p;
	return (unsigned long)arg + 64;
}

/* the scaling sweep: the pair beside `arg` live areas (address space
   only, get_vm_area: a million areas need no frames) */
static int wl_live_pair(struct vmb_run *r, long arg)
{
	return with_live(r, (unsigned long)arg, true, body_pair);
}

/* the aligned sweep: one page at align 2^arg */
static int wl_align_pair(struct vmb_run *r, long arg)
{
	NEED(r, vmalloc_align);
	return pair_loop(r, VMB_PG, 1UL << arg, 0, loops(r));
}

static int wl_vmap_pair(struct vmb_run *r, long arg)
{
	(void)arg;
	NEED(r, pages_get);
	NEED(r, vmap);
	return map_loop(r, npages(r->p), false);
}

/* an unaligned physical start (drivers pass BAR offsets), one page */
static int ioremap_step(struct vmb_run *r, long i, void *arg)
{
	unsigned long off = (unsigned long)(i & 15) * VMB_PG + 0x10;
	void *v = r->e->ioremap(r->ctx, off, VMB_PG);

	(void)arg;
	if (!v)
		return fail(r, "ioremap", i);
	r->e->iounmap(r->ctx, v);
	return VMB_PASS;
}

static int wl_ioremap_pair(struct vmb_run *r, long arg)
{
	(void)arg;
	NEED(r, ioremap);
	return steps(r, loops(r), ioremap_step, NULL);
}

/* purge cost against lazy_max_pages: the pair on an arena with that limit */
static int wl_purge(struct vmb_run *r, long arg)
{
	struct vmb_run s = *r;
	unsigned long p0;
	int rv;

	NEED(r, sub_open);
	if (r->e->sub_open(r->ctx, (unsigned long)arg, &s.ctx))
		return fail(r, "arena with lazy_max_pages", arg);
	p0 = r->e->nr_purges(s.ctx);
	rv = pair_loop(&s, VMB_PG, 0, 0, loops(r));
	s.purges = r->e->nr_purges(s.ctx) - p0;
	r->e->sub_close(s.ctx);
	s.ctx = r->ctx;
	*r = s;
	return rv;
}

static int wl_floor(struct vmb_run *r, long arg)
{
	(void)arg;
	NEED(r, floor);
	loop_begin(r);
	if (r->e->floor(r->ctx, (unsigned long)loops(r)))
		return fail(r, "floor system call", 0);
	loop_end(r, (unsigned long)loops(r));
	return VMB_PASS;
}

#define TV(n, f, fr, w)     { #n, f, 0, fr, w, 0 }
#define OWN(n, f, a, fr, w) { n, f, a, fr, w, 0 }
#define WL_ALIGN(k)  { "align_2^" #k "_pair_test", wl_align_pair, k, fr_small, \
	"1-page vmalloc + store + vfree at align 2^" #k, 0 }
#define LIVE(n, s) OWN("live_" s "_pair_test", wl_live_pair, n, fr_small, \
	"1-page pair beside " s " live areas (get_vm_area, no pages)")
#define PURGE(n) OWN("purge_" #n "_pair_test", wl_purge, n, fr_small, \
	"1-page pair on an arena with lazy_max_pages=" #n)

const struct vmb_workload vmb_workloads[] = {
	/* 0..9: Linux 6.1 lib/test_vmalloc.c, its order and bits */
	TV(fix_size_alloc_test, wl_fix_size, fr_fix_size,
	   "vmalloc(nr_pages) + store + vfree (vmalloc_huge with use_huge)"),
	TV(full_fit_alloc_test, wl_full_fit, fr_full_fit,
	   "1-page pair in the holes of fls(cpus)*8192 freed 1-page areas"),
	TV(long_busy_list_alloc_test, wl_long_busy_list, fr_long_busy_list,
	   "100-page + 1-page pair beside 15000 busy 1-page areas"),
	TV(random_size_alloc_test, wl_random_size, fr_small,
	   "vmalloc of 1..100 random pages + store + vfree"),
	TV(fix_align_alloc_test, wl_fix_align, fr_small,
	   "__vmalloc_node(5 pages, VMB_THREAD_ALIGN << 1, zeroed) + vfree"),
	TV(random_size_align_alloc_test, wl_random_size_align,
	   fr_random_size_align,
	   "__vmalloc_node(1..10 pages, align 2^0..2^22, zeroed) + vfree"),
	{ "align_shift_alloc_test", wl_align_shift, 0, fr_small,
	  "one page at align 2^0..2^63; fails where the space ends", 1 },
	TV(pcpu_alloc_test, wl_pcpu, fr_small,
	   "skipped: the per-CPU allocator is not part of vmcore"),
	TV(kvfree_rcu_1_arg_vmalloc_test, wl_kvfree_rcu_1, fr_kvfree,
	   "vmalloc 1 page + store, freed in batches of 510 (bulk page)"),
	TV(kvfree_rcu_2_arg_vmalloc_test, wl_kvfree_rcu_2, fr_kvfree,
	   "vmalloc 1 page, chained through its rcu_head, drained per 510"),
	/* 10, 11: later kernels */
	TV(vm_map_ram_test, wl_vm_map_ram, fr_map,
	   "vm_map_ram(nr_pages held pages) + store + vm_unmap_ram"),
	TV(vrealloc_test, wl_vrealloc, fr_small,
	   "vrealloc(NULL, 1 page), grow to 4, shrink to 1, grow to 2, vfree"),
	/* 12..: our own */
	OWN("scullv_test", wl_scullv, 0, fr_scullv,
	    "scullv: 16-page quanta filled page by page, trimmed per 500"),
	OWN("busy_15000_pair_test", wl_busy_pair, 15000, fr_busy,
	    "1-page pair beside 15000 busy 1-page vmalloc areas"),
	LIVE(100L, "1e2"), LIVE(1000L, "1e3"), LIVE(10000L, "1e4"),
	LIVE(100000L, "1e5"), LIVE(1000000L, "1e6"),
	WL_ALIGN(12), WL_ALIGN(13), WL_ALIGN(14), WL_ALIGN(15), WL_ALIGN(16),
	WL_ALIGN(17), WL_ALIGN(18), WL_ALIGN(19), WL_ALIGN(20), WL_ALIGN(21),
	WL_ALIGN(22), WL_ALIGN(23), WL_ALIGN(24), WL_ALIGN(25), WL_ALIGN(26),
	WL_ALIGN(27), WL_ALIGN(28), WL_ALIGN(29), WL_ALIGN(30),
	OWN("vmap_pair_test", wl_vmap_pair, 0, fr_map,
	    "vmap(nr_pages held pages) + store + vunmap"),
	OWN("ioremap_pair_test", wl_ioremap_pair, 0, fr_small,
	    "ioremap(1 page at an unaligned device offset) + iounmap"),
	PURGE(32), PURGE(1024), PURGE(8192), PURGE(131072),
	OWN("floor_pair_test", wl_floor, 0, fr_small,
	    "the mmap backend's system calls for a 1-page pair, nothing else"),
};

const unsigned int vmb_nr_workloads =
	sizeof(vmb_workloads) / sizeof(vmb_workloads[0]);

int vmb_find(const char *name)
{
	unsigned int i;

	for (i = 0; i < vmb_nr_workloads; i++)
		if (!strcmp(vmb_workloads[i].name, name))
			return (int)i;
	return -1;
}

int vmb_run_one(struct vmb_run *r, unsigned int i)
{
	r->loop_ns = 0;
	r->loop_cpu_ns = 0;
	r->ops = 0;
	r->live = 0;
	r->meta_bytes = 0;
	r->purges = 0;
	r->why[0] = 0;
	r->test = vmb_workloads[i].name;
	if (!r->rng)
		r->rng = 0x9e3779b97f4a7c15ULL;
	return vmb_workloads[i].fn(r, vmb_workloads[i].arg);
}

void vmb_order(const struct vmb_params *p, uint64_t *rng, int *order)
{
	struct vmb_run r;
	unsigned int i, j;

	for (i = 0; i < vmb_nr_workloads; i++)
		order[i] = (int)i;
	if (p->sequential_test_order)
		return;
	r.rng = *rng ? *rng : 1;
	for (i = vmb_nr_workloads - 1; i > 0; i--) {
		int t;

		j = rnd_below(&r, i);   /* as the kernel's shuffle_array */
		t = order[i];
		order[i] = order[j];
		order[j] = t;
	}
	*rng = r.rng;
}

void vmb_params_fix(struct vmb_params *p)
{
	if (p->nr_threads < 1)
		p->nr_threads = 1;
	if (p->nr_threads > 65535)
		p->nr_threads = 65535;
	if (p->test_repeat_count <= 0)
		p->test_repeat_count = 1;
	if (p->test_loop_count <= 0)
		p->test_loop_count = 1;
}

/*
 * Page tables the aligned sweep leaves behind (never freed, as in Linux).
 * Between two purges (lazy_max_pages, junk_length(cpus) pages: two a pair
 * with the guard) a test at 2^k >= 2^21 puts each of its P areas at
 * base + i * 2^k, in a PTE table of its own, and purges let addresses
 * repeat.  The selected tests share tables: the first P >> (k - j) areas
 * of 2^k sit where the previous selected test 2^j put some, so each adds
 * only the rest.  The areas also spread over P >> (30 - k) 1 GiB ranges,
 * a PMD table each, the most for the largest k.
 */
static unsigned long align_tables(const struct vmb_params *p,
				  unsigned int cpus)
{
	unsigned long n = (unsigned long)p->test_loop_count *
		(unsigned long)p->test_repeat_count;
	unsigned long pairs = junk_length(cpus) / 2, pte = 0, pmd = 0;
	long prev = -1, k;
	unsigned int j;

	if (n < pairs)
		pairs = n;
	for (j = 0; j < vmb_nr_workloads; j++) {
		const struct vmb_workload *w = &vmb_workloads[j];

		if (!(p->run_test_mask >> j & 1) || w->fn != wl_align_pair ||
		    w->arg < 21)
			continue;
		k = w->arg;
		pte += prev < 0 ? pairs :
		       pairs - (k - prev < 64 ? pairs >> (k - prev) : 0);
		pmd = k >= 30 ? pairs : (pairs >> (30 - k)) + 1;
		prev = k;
	}
	return pte + pmd + 16;
}

unsigned long vmb_frames_needed(const struct vmb_params *p, unsigned int cpus)
{
	unsigned long need = 0, tables, n;
	unsigned int j;

	for (j = 0; j < vmb_nr_workloads; j++) {
		const struct vmb_workload *w = &vmb_workloads[j];

		if (!(p->run_test_mask >> j & 1))
			continue;
		n = w->frames(p, w->arg);
		if (w->fn == wl_full_fit)       /* junk_length follows the CPUs */
			n = 2 * junk_length(cpus) + 64;
		if (n > need)
			need = n;
	}
	tables = align_tables(p, cpus);
	need *= (unsigned long)p->nr_threads;
	tables *= (unsigned long)p->nr_threads;
	return need + need / 8 + tables + 4096;
}
