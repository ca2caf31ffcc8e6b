/* SPDX-License-Identifier: MIT */
/*
 * test_threads.c - every entry point of vmcore.h from several threads, on
 * one arena and on two.
 *
 * Theory:
 *  1. Every public call takes its arena's lock, so any interleaving of
 *     calls must equal some serial order.  Each worker owns its objects
 *     (slots): vmalloc / vzalloc / vmalloc_node / vmalloc_huge /
 *     __vmalloc_node_range areas, vmaps and vm_map_rams of frames it took
 *     with vmc_frame_alloc, ioremaps of its own stretch of the device
 *     region, get_vm_area areas.  It writes a tag into each (vmc_write)
 *     and checks it before freeing (vmc_read, and vmc_kaddr of the frame
 *     vmalloc_to_pfn names), so a lost update to the shared trees or page
 *     tables shows as a wrong byte, a failed read or a failed check.
 *  2. In between it calls the lookups on its own objects (find_vm_area,
 *     find_vm_area_info, vm_page, vmalloc_to_pfn, is_vmalloc_addr), grows
 *     and shrinks vmalloc areas with vrealloc, purges, and makes bad calls
 *     whose errno it reads back at once with vmc_last_error: the even
 *     workers' bad calls fail with -EINVAL, the odd ones' with -ENOMEM,
 *     so a last error shared between threads shows up as the wrong one.
 *  3. A checker thread runs vmc_check, vmc_vmallocinfo and the stats on
 *     every arena until told to stop (an atomic flag), and a fault thread
 *     arms one-shot fault injection now and then: a worker's allocation
 *     may then fail with -ENOMEM (counted, tolerated, and it must leave
 *     nothing behind, which the final drain checks).
 *  5. Phase 3 is phase 1 on a linux-6.12 arena of 4 CPUs, worker i on
 *     CPU i (vmc_set_cpu), so the calls go through the 4 vmap nodes and
 *     their pools; draining takes a few purges (each decays a quarter).
 *  4. Phase 1 puts every worker on one arena; phase 2 gives each slot one
 *     of two arenas, so calls on two arenas interleave in one thread and
 *     across threads.  At the end each arena must check clean and drain to
 *     nothing.  The schedule is seeded and printed; the interleaving is the
 *     OS's.
 *  6. Then a race aimed at one spot: on fresh linux-6.12 arenas, the four
 *     workers ioremap a page each of the untouched device region and, let
 *     go together, write and read it back at once (the fast data path);
 *     the sim used to make the device chunk on first touch unlocked, and
 *     one thread's writes went to a chunk the other thread replaced.
 * Runs on the backend chosen by VMC_BACKEND (once per userspace backend);
 * built with -fsanitize=thread (.ci/run) it is the TSan test.
 */
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>

#include "vmc_test.h"

#define PG       VMC_PAGE_SIZE
#define NTHREADS 4
#define SLOTS    12
#define ROUNDS   3000
#define DEV_PER  (SLOTS * 4)            /* device pages per worker */

enum kind { K_NONE, K_VMALLOC, K_VMAP, K_RAM, K_IO, K_AREA };

struct slot {
	enum kind kind;
	struct vmc_arena *a;
	char *addr;
	unsigned long size;             /* bytes written / checked */
	unsigned long pfn[4];           /* vmap / vm_map_ram frames */
	unsigned int nr;
	unsigned char tag;
};

struct worker {
	struct vmc_arena *ar[2];
	unsigned int nr_ar;
	unsigned int id;
	unsigned long long seed;
	uint64_t dphys[2];
	unsigned long ops, injected, errors, verify_fail, lasterr_bad;
	char first_err[160];
	struct slot s[SLOTS];
};

static atomic_int stop;
static atomic_ulong checks_run, checks_bad;
static char check_msg[300];
static pthread_mutex_t msg_lock = PTHREAD_MUTEX_INITIALIZER;

__attribute__((format(printf, 2, 3)))
static void fail(struct worker *w, const char *fmt, ...)
{
	va_list ap;

	if (!w->errors++) {
		va_start(ap, fmt);
		vsnprintf(w->first_err, sizeof(w->first_err), fmt, ap);
		va_end(ap);
	}
}

/* A failed call's errno: injected (-ENOMEM) is fine, else an error. */
static void failed_with(struct worker *w, int e, const char *what)
{
	if (e == -ENOMEM)
		w->injected++;
	else
		fail(w, "%s failed: %d", what, e);
}

/* An address call that failed: its errno is this thread's last error. */
static void alloc_failed(struct worker *w, struct vmc_arena *a,
			 const char *what)
{
	int e = vmc_last_error(a);

	if (e == -ENOMEM)
		w->injected++;
	else
		fail(w, "%s failed: %d", what, e);
}

static unsigned long rnd(struct worker *w, unsigned long n)
{
	return (unsigned long)(vt_rand(&w->seed) % n);
}

/* Write (or check) the tag at the start of every page of the slot. */
static int tag_io(struct slot *s, bool check)
{
	unsigned char buf[64], got[64];
	unsigned long off;

	memset(buf, s->tag, sizeof(buf));
	for (off = 0; off < s->size; off += PG) {
		size_t n = s->size - off < sizeof(buf) ? s->size - off :
			   sizeof(buf);

		if (!check) {
			if (vmc_write(s->a, s->addr + off, buf, n))
				return -1;
		} else if (vmc_read(s->a, s->addr + off, got, n) ||
			   memcmp(got, buf, n)) {
			return -1;
		}
	}
	return 0;
}

/* The lookups, on an object this worker owns. */
static void lookups(struct worker *w, struct slot *s)
{
	struct vmc_vm_struct info;
	const struct vmc_vm_struct *vm;
	unsigned long pfn, pfn2;
	const unsigned char *k;

	if (!vmc_is_vmalloc_addr(s->a, s->addr))
		fail(w, "is_vmalloc_addr(own %p) false", (void *)s->addr);
	if (vmc_vmalloc_to_pfn(s->a, s->addr, &pfn) && s->kind != K_AREA)
		fail(w, "vmalloc_to_pfn(own, kind %d) failed", s->kind);
	if (s->kind == K_RAM)
		return;                 /* no vm_struct */
	vm = vmc_find_vm_area(s->a, s->addr);
	if (!vm || vm->addr > (unsigned long)s->addr)
		fail(w, "find_vm_area(own) wrong");
	if (vmc_find_vm_area_info(s->a, s->addr, &info) ||
	    info.addr > (unsigned long)s->addr)
		fail(w, "find_vm_area_info(own) wrong");
	if (s->kind == K_VMALLOC) {
		if (vmc_vm_page(s->a, s->addr, 0, &pfn2) ||
		    vmc_vmalloc_to_pfn(s->a, s->addr, &pfn) || pfn != pfn2)
			fail(w, "vm_page / vmalloc_to_pfn disagree");
		k = vmc_kaddr(s->a, pfn);
		if (!k || k[0] != s->tag)
			w->verify_fail++;
	}
}

/* Bad calls, whose errno this thread must read back as its own. */
static void bad_call(struct worker *w, struct vmc_arena *a)
{
	int want = (w->id & 1) ? -ENOMEM : -EINVAL;
	void *p = (w->id & 1) ? vmc_vmalloc(a, SIZE_MAX) : vmc_vmalloc(a, 0);

	if (p || vmc_last_error(a) != want)
		w->lasterr_bad++;
	if (vmc_vfree(a, (char *)a + 1) != -EINVAL)   /* never an area */
		fail(w, "vfree(junk) did not fail");
	if (vmc_frame_free(a, 5) != -EINVAL)
		fail(w, "frame_free(5) did not fail");
}

static void put_frames(struct worker *w, struct slot *s)
{
	unsigned int i;

	for (i = 0; i < s->nr; i++)
		if (vmc_frame_free(s->a, s->pfn[i]))
			fail(w, "frame_free(own pfn) failed");
	s->nr = 0;
}

static void make(struct worker *w, struct slot *s, unsigned int i, int r)
{
	struct vmc_arena *a = s->a;
	unsigned long start, end, n;
	const struct vmc_vm_struct *vm;
	unsigned int j;
	int e;

	s->tag = (unsigned char)(w->id * 64 + i + (unsigned int)r);
	s->kind = K_NONE;
	switch (rnd(w, 9)) {
	case 0: case 1: case 2:
		s->size = (1 + rnd(w, 12)) * PG - rnd(w, 64);
		switch (rnd(w, 6)) {
		case 0: s->addr = vmc_vmalloc(a, s->size); break;
		case 1: s->addr = vmc_vzalloc(a, s->size); break;
		case 2: s->addr = vmc_vmalloc_node(a, s->size, (int)rnd(w, 2)); break;
		case 3: s->addr = vmc_vzalloc_node(a, s->size, -1); break;
		case 4:
			if (!rnd(w, 8))
				s->size = 4UL << 20;
			s->addr = vmc_vmalloc_huge(a, s->size);
			break;
		default:
			vmc_arena_range(a, &start, &end);
			s->addr = vmc_vmalloc_node_range(a, s->size, 4 * PG,
					start, end, 0, VMC_PROT_KERNEL, 0, -1,
					"threads");
		}
		if (!s->addr)
			return alloc_failed(w, a, "vmalloc");
		s->kind = K_VMALLOC;
		break;
	case 3: case 4:
		n = 1 + rnd(w, 4);
		for (s->nr = 0, e = 0; !e && s->nr < n; s->nr++)
			e = vmc_frame_alloc(a, -1, &s->pfn[s->nr]);
		if (e) {
			s->nr--;
			put_frames(w, s);
			return failed_with(w, e, "frame_alloc");
		}
		if (rnd(w, 2)) {
			s->addr = vmc_vmap(a, s->pfn, s->nr, VMC_VM_MAP,
					   VMC_PROT_KERNEL);
			s->kind = K_VMAP;
		} else {
			s->addr = vmc_vm_map_ram(a, s->pfn, s->nr, -1);
			s->kind = K_RAM;
		}
		if (!s->addr) {
			s->kind = K_NONE;
			put_frames(w, s);
			return alloc_failed(w, a, "vmap/vm_map_ram");
		}
		s->size = s->nr * PG;
		break;
	case 5: case 6:
		j = a == w->ar[0] ? 0 : 1;
		s->size = 2 * PG - 16;
		s->addr = rnd(w, 2) ?
			vmc_ioremap(a, w->dphys[j] + i * 4 * PG + 16, s->size) :
			vmc_ioremap_prot(a, w->dphys[j] + i * 4 * PG,
					 s->size, VMC_PROT_KERNEL);
		if (!s->addr)
			return alloc_failed(w, a, "ioremap");
		s->kind = K_IO;
		break;
	default:
		vm = rnd(w, 2) ? vmc_get_vm_area(a, 3 * PG, 0) :
			vmc_get_vm_area_caller(a, 2 * PG, VMC_VM_IOREMAP, "t");
		if (!vm)
			return alloc_failed(w, a, "get_vm_area");
		/* Read the pointer only while this thread owns the area. */
		s->addr = (char *)vm->addr;
		s->size = 0;
		s->kind = K_AREA;
		return;
	}
	if (tag_io(s, false))
		w->verify_fail++;
}

static void drop(struct worker *w, struct slot *s)
{
	int err = 0;

	if (tag_io(s, true))
		w->verify_fail++;
	switch (s->kind) {
	case K_VMALLOC: err = vmc_vfree(s->a, s->addr); break;
	case K_VMAP: err = vmc_vunmap(s->a, s->addr); put_frames(w, s); break;
	case K_RAM:
		err = vmc_vm_unmap_ram(s->a, s->addr, s->nr);
		put_frames(w, s);
		break;
	case K_IO: err = vmc_iounmap(s->a, s->addr); break;
	case K_AREA: err = vmc_remove_vm_area(s->a, s->addr, NULL); break;
	case K_NONE: break;
	}
	if (err)
		fail(w, "freeing kind %d failed: %d", s->kind, err);
	s->kind = K_NONE;
}

/* vrealloc a vmalloc slot; the tags of the pages kept must survive. */
static void resize(struct worker *w, struct slot *s)
{
	unsigned long nsize = (1 + rnd(w, 12)) * PG;
	char *q = vmc_vrealloc(s->a, s->addr, nsize, 0);

	if (!q)
		return alloc_failed(w, s->a, "vrealloc");
	s->addr = q;
	if (nsize < s->size)
		s->size = nsize;
	if (tag_io(s, true))
		w->verify_fail++;
	s->size = nsize;
	if (tag_io(s, false))
		w->verify_fail++;
}

static void *work(void *arg)
{
	struct worker *w = arg;
	int r;

	/* linux-6.12 arenas: worker i runs on CPU i, i.e. vmap node i. */
	for (r = 0; r < (int)w->nr_ar; r++)
		vmc_set_cpu(w->ar[r], w->id % NTHREADS);
	for (r = 0; r < ROUNDS; r++) {
		unsigned int i = (unsigned int)rnd(w, SLOTS);
		struct slot *s = &w->s[i];

		w->ops++;
		if (s->kind == K_NONE) {
			s->a = w->ar[(w->id + i) % w->nr_ar];
			make(w, s, i, r);
		} else if (s->kind == K_VMALLOC && !rnd(w, 3)) {
			resize(w, s);
		} else {
			lookups(w, s);
			drop(w, s);
		}
		if (r % 50 == 0)
			bad_call(w, w->ar[r % w->nr_ar]);
		if (r % 97 == 0)
			vmc_purge(w->ar[r % w->nr_ar]);
	}
	for (r = 0; r < SLOTS; r++)
		if (w->s[r].kind != K_NONE)
			drop(w, &w->s[r]);
	return NULL;
}

struct shared {
	struct vmc_arena *ar[2];
	unsigned int nr_ar;
};

static void count_line(void *arg, const char *line)
{
	(void)line;
	++*(unsigned long *)arg;
}

static void *checker(void *arg)
{
	struct shared *sh = arg;
	struct vmc_violation v;
	struct vmc_stats st;
	unsigned long lines;
	unsigned int i = 0;

	while (!atomic_load(&stop)) {
		struct vmc_arena *a = sh->ar[i++ % sh->nr_ar];
		int bad = vmc_check(a, &v);

		atomic_fetch_add(&checks_run, 1);
		if (bad && atomic_fetch_add(&checks_bad, 1) == 0) {
			pthread_mutex_lock(&msg_lock);
			snprintf(check_msg, sizeof(check_msg),
				 "invariant %d: %s", bad, v.msg);
			pthread_mutex_unlock(&msg_lock);
		}
		lines = 0;
		vmc_vmallocinfo(a, true, count_line, &lines);
		vmc_get_stats(a, &st);
	}
	return NULL;
}

/* Arm a one-shot failure now and then, of every kind, on every arena. */
static void *faulter(void *arg)
{
	struct shared *sh = arg;
	unsigned long long seed = 77;
	unsigned long armed = 0;

	while (!atomic_load(&stop)) {
		struct vmc_arena *a = sh->ar[vt_rand(&seed) % sh->nr_ar];
		enum vmc_fault_kind k = (enum vmc_fault_kind)
					(vt_rand(&seed) % VMC_FAULT_KINDS);

		if (vmc_fault_set(a, k, 1 + vt_rand(&seed) % 50) == 0)
			armed++;
		(void)vmc_fault_count(a, k);
		for (int i = 0; i < 200 && !atomic_load(&stop); i++)
			sched_yield();
	}
	return (void *)armed;
}

static unsigned int profile;           /* of the phase's arenas */

static struct vmc_arena *mk(void)
{
	struct vmc_arena_config cfg;

	memset(&cfg, 0, sizeof(cfg));
	cfg.profile = profile;
	cfg.nr_cpus = profile == VMC_PROFILE_LINUX_6_12 ? NTHREADS : 0;
	cfg.nr_frames = 32768;
	cfg.lazy_max_pages = 512;       /* purge often: exercise that path */
	cfg.flags = VMC_ARENA_QUIET;
	return vt_arena_cfg(&cfg);
}

static void phase(unsigned int nr_ar, unsigned long long seed)
{
	struct worker *w = calloc(NTHREADS, sizeof(*w));
	pthread_t t[NTHREADS], ct, ft;
	unsigned long ops = 0, inj = 0, errs = 0, vfail = 0, lbad = 0;
	struct shared sh;
	struct vmc_stats st;
	unsigned long dsize;
	void *armed;
	unsigned int i, j;
	const char *first = "";
	int drained = 1, clean = 1;

	sh.nr_ar = nr_ar;
	for (j = 0; j < nr_ar; j++)
		sh.ar[j] = mk();
	for (i = 0; i < NTHREADS; i++) {
		w[i].nr_ar = nr_ar;
		w[i].id = i;
		w[i].seed = seed + (unsigned long long)i * 7919;
		for (j = 0; j < nr_ar; j++) {
			w[i].ar[j] = sh.ar[j];
			vmc_arena_device(sh.ar[j], &w[i].dphys[j], &dsize);
			w[i].dphys[j] += (uint64_t)i * DEV_PER * PG;
		}
	}
	atomic_store(&stop, 0);
	atomic_store(&checks_run, 0);
	atomic_store(&checks_bad, 0);
	pthread_create(&ct, NULL, checker, &sh);
	pthread_create(&ft, NULL, faulter, &sh);
	for (i = 0; i < NTHREADS; i++)
		pthread_create(&t[i], NULL, work, &w[i]);
	for (i = 0; i < NTHREADS; i++)
		pthread_join(t[i], NULL);
	atomic_store(&stop, 1);
	pthread_join(ct, NULL);
	pthread_join(ft, &armed);

	for (i = 0; i < NTHREADS; i++) {
		ops += w[i].ops;
		inj += w[i].injected;
		errs += w[i].errors;
		vfail += w[i].verify_fail;
		lbad += w[i].lasterr_bad;
		if (w[i].errors && !*first)
			first = w[i].first_err;
	}
	tap_ok(ops == NTHREADS * ROUNDS, "%u arena(s): %d threads made %lu "
	       "calls; %lu injected failures tolerated (%lu armed)", nr_ar,
	       NTHREADS, ops, inj, (unsigned long)(uintptr_t)armed);
	tap_ok(!errs, "%u arena(s): no call failed otherwise (%lu)%s%s", nr_ar,
	       errs, errs ? ": " : "", first);
	tap_ok(!vfail, "%u arena(s): every object kept its own data (%lu "
	       "mismatches)", nr_ar, vfail);
	tap_ok(!lbad, "%u arena(s): every thread read its own last error "
	       "(%lu wrong)", nr_ar, lbad);
	tap_ok(atomic_load(&checks_run) > 0 && !atomic_load(&checks_bad),
	       "%u arena(s): %lu concurrent checks clean%s%s", nr_ar,
	       atomic_load(&checks_run), atomic_load(&checks_bad) ? ": " : "",
	       check_msg);
	for (j = 0; j < nr_ar; j++) {
		vmc_fault_set(sh.ar[j], VMC_FAULT_FRAME, 0);
		vmc_fault_set(sh.ar[j], VMC_FAULT_TABLE, 0);
		vmc_fault_set(sh.ar[j], VMC_FAULT_META, 0);
		vmc_purge(sh.ar[j]);
		/* linux-6.12: each purge decays a quarter of the pools. */
		for (i = 0; i < 64 && profile; i++)
			vmc_purge(sh.ar[j]);
		clean &= vt_clean(sh.ar[j], "all threads");
		vmc_get_stats(sh.ar[j], &st);
		/* linux-6.12 keeps vmap blocks with a quarter or more never
		   used (VMAP_PURGE_THRESHOLD): only they may stay. */
		drained &= !st.frames_data && !st.frames_harness &&
			   (profile ? st.nr_busy == st.nr_vmap_blocks &&
			    !st.nr_lazy && !st.nr_pooled :
			    !st.nr_busy && st.nr_free == 1);
		if (!drained)
			tap_diag("arena %u: busy %lu, data %lu, harness %lu, "
				 "free blocks %lu, pooled %lu", j, st.nr_busy,
				 st.frames_data, st.frames_harness, st.nr_free,
				 st.nr_pooled);
		vmc_arena_destroy(sh.ar[j]);
	}
	tap_ok(clean, "%u arena(s): clean check at the end", nr_ar);
	tap_ok(drained, "%u arena(s): drained to nothing", nr_ar);
	free(w);
}

/* Theory 6. */
#define FT_ROUNDS 200

struct first_touch {
	struct vmc_arena *a;
	char *addr;
	unsigned int id;
	atomic_uint *go;
	unsigned long bad;
};

static void *first_touch_work(void *arg)
{
	struct first_touch *f = arg;
	unsigned char tag = (unsigned char)(0x40 + f->id), got = 0;

	vmc_set_cpu(f->a, f->id);
	atomic_fetch_add(f->go, 1);
	while (atomic_load(f->go) < NTHREADS)
		;
	if (vmc_write(f->a, f->addr, &tag, 1) ||
	    vmc_read(f->a, f->addr, &got, 1) || got != tag)
		f->bad++;
	return NULL;
}

static void first_touch(void)
{
	struct first_touch f[NTHREADS];
	pthread_t t[NTHREADS];
	unsigned long bad = 0, made = 0;
	unsigned int r, i;

	for (r = 0; r < FT_ROUNDS; r++) {
		struct vmc_arena *a = mk();
		atomic_uint go = 0;
		uint64_t dphys;
		unsigned long dsize;

		vmc_arena_device(a, &dphys, &dsize);
		for (i = 0; i < NTHREADS; i++) {
			f[i] = (struct first_touch){ a, NULL, i, &go, 0 };
			f[i].addr = vmc_ioremap(a, dphys + i * PG, PG);
			made += f[i].addr != NULL;
		}
		for (i = 0; i < NTHREADS; i++)
			if (f[i].addr)
				pthread_create(&t[i], NULL, first_touch_work,
					       &f[i]);
		for (i = 0; i < NTHREADS; i++)
			if (f[i].addr) {
				pthread_join(t[i], NULL);
				bad += f[i].bad;
				vmc_iounmap(a, f[i].addr);
			}
		vmc_arena_destroy(a);
	}
	tap_ok(made == FT_ROUNDS * NTHREADS && !bad, "first touch of the "
	       "device region from %d threads at once, %d fresh arenas: %lu "
	       "ioremaps, %lu lost writes", NTHREADS, FT_ROUNDS, made, bad);
}

int main(void)
{
	unsigned long long seed = vt_seed(20261122);

	tap_plan(22);
	phase(1, seed);
	phase(2, seed + 1);
	/* linux-6.12: 4 CPUs, so 4 vmap nodes with their pools. */
	profile = VMC_PROFILE_LINUX_6_12;
	phase(1, seed + 2);
	first_touch();
	return tap_done();
}
