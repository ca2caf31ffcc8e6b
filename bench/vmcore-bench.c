/* SPDX-License-Identifier: MIT */
/*
 * vmcore-bench - the benchmark driver: the workloads of bench/vmb_wl.c
 * (Linux's lib/test_vmalloc.c and our own) on libvmcore over a userspace
 * backend.
 *
 * Theory
 * ------
 * 1. It reads like the kernel module.  Parameters have test_vmalloc.c's
 *    names and defaults and may be given as the module takes them
 *    (`test_loop_count=1000`) or as options (`--test_loop_count=1000`);
 *    nr_threads workers each run the selected tests, in shuffled order
 *    unless sequential_test_order, test_repeat_count times each, all on
 *    one arena (one lock, as the kernel's workers share one vmalloc
 *    space).  The output is the module's: per worker one `Summary: ...`
 *    line per selected test in table order and `All test took
 *    workerN=C cycles` (the TSC on x86, else nanoseconds), so it sits
 *    beside dmesg.  A test that cannot run says so on its Summary line
 *    (`Summary: NAME skipped: why` / `unsupported: why`).
 *
 * 2. Then our own line per test (`vmcore-bench: NAME key=value ...`): ns
 *    per op of the workload's steady-state loop (the mean over the
 *    repeats, and the fastest repeat; cpu_ns/op: the thread's CPU time
 *    in that loop, which a loaded machine inflates far less than the
 *    clock), thread CPU and wall time of the
 *    whole test, the live areas the loop ran beside, metadata heap bytes
 *    per live area (glibc's mallinfo2 before and after building them),
 *    purges; and peak RSS at the end.  --json prints all of it as one JSON
 *    document instead.
 *
 * 3. Sizing.  The arena gets the frames the selected workloads say they
 *    need times nr_threads, plus a margin for page tables (--frames
 *    overrides); one CPU unless --cpus (full_fit's junk_length and the
 *    default lazy_max_pages follow it, as num_online_cpus() does there).
 *
 * 4. Progress: at least every 10 s (--progress=S) a line on stderr says
 *    which test each worker is in and how far.  Exit status: 0 when every
 *    test passed or was skipped or unsupported (align_shift_alloc_test's
 *    expected failure counts as passing the run), 1 when a test failed,
 *    2 for usage errors.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <malloc.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "vmcore.h"
#include "vmc_backends.h"
#include "vmb.h"
#include "vmb_core.h"

#define PG VMC_PAGE_SIZE

/* --enable-debug: a full vmc_check() after every call; timings mean little */
#ifdef VMC_DEBUG
#define VMB_DEBUG_BUILD 1
#else
#define VMB_DEBUG_BUILD 0
#endif

struct tres {                           /* one test of one worker */
	int status;                     /* VMB_* of the last repeat that
					   did not pass, else VMB_PASS */
	int passed, failed;
	uint64_t time_us;               /* avg per repeat, whole test */
	uint64_t loop_ns, loop_cpu_ns, ops; /* summed over repeats */
	double best_ns;                 /* fastest repeat's ns per op */
	double cpu_ms, wall_ms;
	unsigned long live, meta, purges;
	char why[96];
};

struct worker {
	int id;
	pthread_t th;
	struct bench *b;
	uint64_t cycles;
	uint64_t rng;
	const char *cur;                /* test now running (progress) */
	long done, total;
	struct tres *res;
};

struct bench {
	struct vmb_params p;
	const char *backend;
	const char *geometry;
	unsigned long frames;
	unsigned int cpus;
	unsigned int profile;           /* --profile: VMC_PROFILE_* */
	double progress_s;
	int json;
	int check;                      /* --check: vmc_check and balance at the end */
	struct vmb_core core;
	struct worker *w;
	pthread_mutex_t plock;
	uint64_t last_progress;
	uint64_t t_start;
};

static uint64_t clock_ns(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static uint64_t h_now(void *arg)
{
	(void)arg;
	return clock_ns(CLOCK_MONOTONIC);
}

static uint64_t h_cpu(void *arg)
{
	(void)arg;
	return clock_ns(CLOCK_THREAD_CPUTIME_ID);
}

static uint64_t h_cycles(void *arg)
{
	(void)arg;
#if defined(__x86_64__) || defined(__i386__)
	return __builtin_ia32_rdtsc();
#else
	return clock_ns(CLOCK_MONOTONIC);
#endif
}

/* Progress: the first worker whose tick finds the interval over prints
   every worker's position. */
static int h_tick(void *arg, const char *test, long done, long total)
{
	struct worker *w = arg;
	struct bench *b = w->b;
	uint64_t now = clock_ns(CLOCK_MONOTONIC);
	int i;

	w->cur = test;
	w->done = done;
	w->total = total;
	if ((double)(now - b->last_progress) < b->progress_s * 1e9)
		return 0;
	pthread_mutex_lock(&b->plock);
	if ((double)(now - b->last_progress) >= b->progress_s * 1e9) {
		b->last_progress = now;
		for (i = 0; i < b->p.nr_threads; i++) {
			struct worker *x = &b->w[i];

			fprintf(stderr, "vmcore-bench: %.0f s: worker%d %s "
				"%ld/%ld loops\n",
				(double)(now - b->t_start) / 1e9, i,
				x->cur ? x->cur : "(starting)", x->done,
				x->total);
		}
	}
	pthread_mutex_unlock(&b->plock);
	return 0;
}

/* --- engine slots only userspace has --- */

static unsigned long u_meta_bytes(void *ctx)
{
	(void)ctx;
	return mallinfo2().uordblks;
}

/*
 * The floor: what the mmap backend asks of the host for one vmalloc of a
 * page, a store and its vfree - an mmap(MAP_FIXED|MAP_SHARED) of a memfd
 * page at the area, the store, and the PROT_NONE mapping put back over it
 * when the free is committed - and nothing else: no tree, no tables, no
 * bookkeeping.  Addresses advance by two pages (area + guard) as lazily
 * freed areas make the arena's do, wrapping where a purge would
 * (lazy_max_pages of the arena).
 */
static int u_floor(void *ctx, unsigned long loops)
{
	struct vmb_core *c = ctx;
	unsigned long lmp = c->cfg.lazy_max_pages ? c->cfg.lazy_max_pages :
		32768 / 4;
	unsigned long span = lmp * PG, win, va, i;
	const int anon = MAP_FIXED | MAP_PRIVATE | MAP_ANONYMOUS |
		MAP_NORESERVE;
	int fd = memfd_create("vmcore-floor", MFD_CLOEXEC);
	void *w;
	int rv = 0;

	if (fd < 0)
		return -errno;
	if (ftruncate(fd, (off_t)(lmp / 2 + 1) * PG)) {
		close(fd);
		return -errno;
	}
	w = mmap(NULL, span + 2 * PG, PROT_NONE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (w == MAP_FAILED) {
		close(fd);
		return -errno;
	}
	win = va = (unsigned long)w;
	for (i = 0; i < loops; i++) {
		unsigned long frame = ((va - win) / (2 * PG)) * PG;

		if (mmap((void *)va, PG, PROT_READ | PROT_WRITE,
			 MAP_FIXED | MAP_SHARED, fd, (off_t)frame) ==
		    MAP_FAILED) {
			rv = -errno;
			break;
		}
		*(volatile unsigned char *)va = 1;
		if (mmap((void *)va, PG, PROT_NONE, anon, -1, 0) ==
		    MAP_FAILED) {
			rv = -errno;
			break;
		}
		va += 2 * PG;
		if (va - win >= span)
			va = win;
	}
	munmap(w, span + 2 * PG);
	close(fd);
	return rv;
}

static const char *u_why_not(const char *slot)
{
	if (!strcmp(slot, "floor"))
		return "only the mmap backend has a system-call floor";
	return "not on this backend";
}

/* --- running --- */

static void run_test(struct worker *w, struct vmb_run *r, unsigned int i)
{
	struct bench *b = w->b;
	struct tres *t = &w->res[i];
	uint64_t t0 = clock_ns(CLOCK_MONOTONIC);
	uint64_t c0 = clock_ns(CLOCK_THREAD_CPUTIME_ID);
	int j;

	t->status = VMB_PASS;
	t->best_ns = 0;
	for (j = 0; j < b->p.test_repeat_count; j++) {
		int rv = vmb_run_one(r, i);

		if (rv == VMB_PASS)
			t->passed++;
		else if (rv == VMB_FAIL)
			t->failed++;
		if (rv != VMB_PASS) {
			t->status = rv;
			snprintf(t->why, sizeof(t->why), "%s", r->why);
		}
		if (rv == VMB_SKIPPED || rv == VMB_UNSUPPORTED)
			break;
		t->loop_ns += r->loop_ns;
		t->loop_cpu_ns += r->loop_cpu_ns;
		t->ops += r->ops;
		if (r->ops) {
			double ns = (double)r->loop_ns / (double)r->ops;

			if (!t->best_ns || ns < t->best_ns)
				t->best_ns = ns;
		}
		t->live = r->live;
		t->meta = r->meta_bytes;
		t->purges += r->purges;
	}
	t->wall_ms = (double)(clock_ns(CLOCK_MONOTONIC) - t0) / 1e6;
	t->cpu_ms = (double)(clock_ns(CLOCK_THREAD_CPUTIME_ID) - c0) / 1e6;
	t->time_us = (clock_ns(CLOCK_MONOTONIC) - t0) / 1000 /
		(uint64_t)b->p.test_repeat_count;
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	struct bench *b = w->b;
	struct vmb_host host = { h_now, h_cycles, h_tick, w, h_cpu };
	int order[64];
	struct vmb_run r;
	unsigned int k;
	uint64_t c0;

	/* Worker i runs on CPU i % cpus (linux-6.12: its vmap node). */
	vmc_set_cpu(b->core.a, (unsigned int)w->id % b->cpus);
	memset(&r, 0, sizeof(r));
	r.e = &b->core.e;
	r.ctx = &b->core;
	r.host = &host;
	r.p = &b->p;
	vmb_order(&b->p, &w->rng, order);
	r.rng = w->rng;
	c0 = h_cycles(NULL);
	for (k = 0; k < vmb_nr_workloads; k++) {
		unsigned int i = (unsigned int)order[k];

		if (!(b->p.run_test_mask >> i & 1))
			continue;
		run_test(w, &r, i);
	}
	w->cycles = h_cycles(NULL) - c0;
	return NULL;
}

/* --- output --- */

static const char *status_name(int s)
{
	switch (s) {
	case VMB_PASS: return "pass";
	case VMB_FAIL: return "fail";
	case VMB_UNSUPPORTED: return "unsupported";
	case VMB_SKIPPED: return "skipped";
	default: return "cancelled";
	}
}

static long peak_rss_kb(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_maxrss;
}

static double ns_per_op(const struct tres *t)
{
	return t->ops ? (double)t->loop_ns / (double)t->ops : 0;
}

static double cpu_ns_per_op(const struct tres *t)
{
	return t->ops ? (double)t->loop_cpu_ns / (double)t->ops : 0;
}

static void print_text(struct bench *b)
{
	int i;
	unsigned int j;

	for (i = 0; i < b->p.nr_threads; i++) {
		struct worker *w = &b->w[i];

		for (j = 0; j < vmb_nr_workloads; j++) {
			struct tres *t = &w->res[j];

			if (!(b->p.run_test_mask >> j & 1))
				continue;
			if (t->status == VMB_SKIPPED ||
			    t->status == VMB_UNSUPPORTED)
				printf("Summary: %s %s: %s\n",
				       vmb_workloads[j].name,
				       status_name(t->status), t->why);
			else
				printf(VMB_SUMMARY_FMT "\n",
				       vmb_workloads[j].name, t->passed,
				       t->failed, b->p.test_repeat_count,
				       (int)b->p.test_loop_count,
				       (unsigned long long)t->time_us);
		}
		printf(VMB_CYCLES_FMT "\n", i, (unsigned long long)w->cycles);
	}
	for (i = 0; i < b->p.nr_threads; i++) {
		for (j = 0; j < vmb_nr_workloads; j++) {
			struct tres *t = &b->w[i].res[j];

			if (!(b->p.run_test_mask >> j & 1))
				continue;
			printf("vmcore-bench: %s backend=%s worker=%d "
			       "status=%s ops=%" PRIu64 " ns/op=%.1f "
			       "cpu_ns/op=%.1f best_ns/op=%.1f cpu_ms=%.1f "
			       "wall_ms=%.1f live=%lu meta_bytes/area=%lu "
			       "purges=%lu%s%s\n",
			       vmb_workloads[j].name, b->backend, i,
			       status_name(t->status), t->ops, ns_per_op(t),
			       cpu_ns_per_op(t), t->best_ns, t->cpu_ms,
			       t->wall_ms, t->live, t->meta, t->purges, t->why[0] ? " why=" : "",
			       t->why[0] ? t->why : "");
		}
	}
	printf("vmcore-bench: backend=%s geometry=%s frames=%lu cpus=%u "
	       "peak_rss_kb=%ld debug=%d\n", b->backend,
	       b->geometry ? b->geometry : "x86_64", b->frames, b->cpus,
	       peak_rss_kb(), VMB_DEBUG_BUILD);
}

static void json_str(const char *s)
{
	putchar('"');
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			printf("\\%c", *s);
		else if ((unsigned char)*s < 0x20)
			printf("\\u%04x", (unsigned char)*s);
		else
			putchar(*s);
	}
	putchar('"');
}

static void print_json(struct bench *b)
{
	int i;
	unsigned int j;
	const char *sep = "";

	printf("{\"tool\": \"vmcore-bench\", \"backend\": ");
	json_str(b->backend);
	printf(", \"geometry\": ");
	json_str(b->geometry ? b->geometry : "x86_64");
	printf(", \"frames\": %lu, \"cpus\": %u,\n \"params\": "
	       "{\"test_loop_count\": %ld, \"test_repeat_count\": %d, "
	       "\"nr_threads\": %d, \"nr_pages\": %d, \"use_huge\": %d, "
	       "\"sequential_test_order\": %d, \"run_test_mask\": %" PRIu64
	       ", \"seed\": %" PRIu64 "},\n \"workers\": [",
	       b->frames, b->cpus, b->p.test_loop_count,
	       b->p.test_repeat_count, b->p.nr_threads, b->p.nr_pages,
	       b->p.use_huge, b->p.sequential_test_order, b->p.run_test_mask,
	       b->p.seed);
	for (i = 0; i < b->p.nr_threads; i++) {
		const char *tsep = "";

		printf("%s\n  {\"worker\": %d, \"cycles\": %llu, \"tests\": [",
		       sep, i, (unsigned long long)b->w[i].cycles);
		sep = ",";
		for (j = 0; j < vmb_nr_workloads; j++) {
			struct tres *t = &b->w[i].res[j];

			if (!(b->p.run_test_mask >> j & 1))
				continue;
			printf("%s\n   {\"name\": \"%s\", \"bit\": %u, "
			       "\"status\": \"%s\", \"passed\": %d, "
			       "\"failed\": %d, \"avg_usec\": %llu, "
			       "\"ops\": %" PRIu64 ", \"ns_per_op\": %.1f, "
			       "\"cpu_ns_per_op\": %.1f, "
			       "\"best_ns_per_op\": %.1f, \"cpu_ms\": %.3f, "
			       "\"wall_ms\": %.3f, \"live\": %lu, "
			       "\"meta_bytes_per_area\": %lu, \"purges\": %lu, "
			       "\"why\": ", tsep, vmb_workloads[j].name, j,
			       status_name(t->status), t->passed, t->failed,
			       (unsigned long long)t->time_us, t->ops,
			       ns_per_op(t), cpu_ns_per_op(t), t->best_ns,
			       t->cpu_ms, t->wall_ms, t->live, t->meta,
			       t->purges);
			json_str(t->why);
			putchar('}');
			tsep = ",";
		}
		printf("]}");
	}
	printf("],\n \"peak_rss_kb\": %ld}\n", peak_rss_kb());
}

/* --- arguments --- */

static void usage(FILE *f)
{
	fprintf(f,
"usage: vmcore-bench [options] [param=value ...]\n"
"  test_vmalloc.c's parameters (as param=value or --param=value):\n"
"    test_loop_count=N (1000000)  test_repeat_count=N (1)  nr_threads=N (1)\n"
"    nr_pages=N (1)  use_huge=0|1  sequential_test_order=0|1\n"
"    run_test_mask=M (0xfff: the test_vmalloc family; bit i = entry i)\n"
"  --test=NAME[,NAME...]  select by name (adds to the mask; no default)\n"
"  --all                  every workload (run_test_mask=-1)\n"
"  --backend=sim|mmap     (default: $VMC_BACKEND or sim)\n"
"  --geometry=x86_64|la57|i386   --frames=N   --cpus=N   --seed=N\n"
"  --profile=linux-6.1|linux-6.12 (linux-6.1: the kernel profile of the\n"
"    arena; worker i runs on CPU i %% cpus)\n"
"  --json                 one JSON document instead of the text lines\n"
"  --check                at the end: every invariant holds and nothing is\n"
"                         left mapped or held (exit 1 if not)\n"
"  --progress=SECONDS     progress interval on stderr (10)\n"
"  --list                 the workloads, their bits and what they do\n"
"  --build-info           debug=1 if built with --enable-debug\n");
}

static int parse_num(const char *s, uint64_t *v)
{
	char *end;

	if (!*s)
		return -1;
	errno = 0;
	if (*s == '-')
		*v = (uint64_t)strtoll(s, &end, 0);
	else
		*v = strtoull(s, &end, 0);
	return errno || *end ? -1 : 0;
}

static int add_tests(struct bench *b, const char *list, int *named)
{
	char buf[4096], *tok, *save;

	snprintf(buf, sizeof(buf), "%s", list);
	if (!*named)
		b->p.run_test_mask = 0;
	*named = 1;
	for (tok = strtok_r(buf, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		int i = vmb_find(tok);

		if (i < 0) {
			fprintf(stderr, "vmcore-bench: no workload called "
				"'%s' (--list shows them)\n", tok);
			return -1;
		}
		b->p.run_test_mask |= 1ULL << i;
	}
	return 0;
}

static int parse_args(struct bench *b, int argc, char **argv)
{
	int named = 0, i;

	for (i = 1; i < argc; i++) {
		const char *a = argv[i], *eq;
		char key[64];
		uint64_t v = 0;
		size_t kl;

		if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			usage(stdout);
			exit(0);
		}
		if (!strcmp(a, "--list")) {
			unsigned int j;

			for (j = 0; j < vmb_nr_workloads; j++)
				printf("%2u 0x%012llx %-32s %s\n", j,
				       1ULL << j, vmb_workloads[j].name,
				       vmb_workloads[j].what);
			exit(0);
		}
		if (!strcmp(a, "--build-info")) {
			printf("vmcore-bench: build debug=%d\n", VMB_DEBUG_BUILD);
			exit(0);
		}
		if (!strcmp(a, "--json")) {
			b->json = 1;
			continue;
		}
		if (!strcmp(a, "--check")) {
			b->check = 1;
			continue;
		}
		if (!strcmp(a, "--all")) {
			b->p.run_test_mask = ~0ULL;
			continue;
		}
		if (a[0] == '-' && a[1] == '-')
			a += 2;
		eq = strchr(a, '=');
		if (!eq && i + 1 < argc && argv[i][0] == '-') {
			/* --key value */
			kl = strlen(a);
			eq = argv[++i] - 1;
		} else if (!eq) {
			fprintf(stderr, "vmcore-bench: '%s': expected "
				"param=value\n", argv[i]);
			return -1;
		} else {
			kl = (size_t)(eq - a);
		}
		if (kl >= sizeof(key))
			kl = sizeof(key) - 1;
		memcpy(key, a, kl);
		key[kl] = 0;
		eq++;
		if (!strcmp(key, "backend")) {
			b->backend = eq;
			continue;
		}
		if (!strcmp(key, "geometry")) {
			b->geometry = eq;
			continue;
		}
		if (!strcmp(key, "profile")) {
			if (!strcmp(eq, "linux-6.1")) {
				b->profile = VMC_PROFILE_LINUX_6_1;
			} else if (!strcmp(eq, "linux-6.12")) {
				b->profile = VMC_PROFILE_LINUX_6_12;
			} else {
				fprintf(stderr, "vmcore-bench: profile: "
					"linux-6.1 or linux-6.12, not "
					"'%s'\n", eq);
				return -1;
			}
			continue;
		}
		if (!strcmp(key, "test")) {
			if (add_tests(b, eq, &named))
				return -1;
			continue;
		}
		if (!strcmp(key, "progress")) {
			b->progress_s = atof(eq);
			continue;
		}
		if (parse_num(eq, &v)) {
			fprintf(stderr, "vmcore-bench: %s: '%s' is not a "
				"number\n", key, eq);
			return -1;
		}
		if (!strcmp(key, "test_loop_count") && (int64_t)v <= INT32_MAX)
			b->p.test_loop_count = (long)v;
		else if (!strcmp(key, "test_repeat_count") &&
			 (int64_t)v <= INT32_MAX)
			b->p.test_repeat_count = (int)v;
		else if (!strcmp(key, "nr_threads") && (int64_t)v <= 1024)
			b->p.nr_threads = (int)v;
		else if (!strcmp(key, "nr_pages") && (int64_t)v <= 65536)
			b->p.nr_pages = (int)v;
		else if (!strcmp(key, "use_huge") && v <= 1)
			b->p.use_huge = (int)v;
		else if (!strcmp(key, "sequential_test_order") && v <= 1)
			b->p.sequential_test_order = (int)v;
		else if (!strcmp(key, "run_test_mask"))
			b->p.run_test_mask = v;
		else if (!strcmp(key, "seed"))
			b->p.seed = v;
		else if (!strcmp(key, "frames") && v > 0)
			b->frames = (unsigned long)v;
		else if (!strcmp(key, "cpus") && v > 0 && v <= 4096)
			b->cpus = (unsigned int)v;
		else {
			fprintf(stderr, "vmcore-bench: unknown parameter or "
				"value out of range: %s=%s\n", key, eq);
			return -1;
		}
	}
	return 0;
}

/*
 * --check: after a run the arena must be as it began: every invariant
 * holds (a purge first, so lazily freed areas go), no busy area, no data
 * frame, no frame held for vmap.  On stderr, so --json stays one document.
 */
static int check_end(struct bench *b)
{
	struct vmc_violation v;
	struct vmc_stats st;
	int inv;

	vmc_purge(b->core.a);
	inv = vmc_check(b->core.a, &v);
	vmc_get_stats(b->core.a, &st);
	if (inv || st.nr_busy || st.frames_data || st.frames_harness) {
		fprintf(stderr, "vmcore-bench: check: FAILED: invariant %d%s%s, "
			"%lu busy areas, %lu data frames, %lu held frames\n",
			inv, inv ? ": " : "", inv ? v.msg : "", st.nr_busy,
			st.frames_data, st.frames_harness);
		return 1;
	}
	fprintf(stderr, "vmcore-bench: check: ok (invariants hold, nothing "
		"left busy or held; %lu purges, %lu TLB flushes)\n",
		st.nr_purges, st.nr_tlb_flushes);
	return 0;
}

/* Frames for the selected workloads (vmb_frames_needed). */
static unsigned long frames_needed(const struct bench *b)
{
	return vmb_frames_needed(&b->p, b->cpus);
}

int main(int argc, char **argv)
{
	static struct bench bench;
	struct bench *b = &bench;
	struct vmc_arena_config cfg;
	int i, err, bad = 0;
	unsigned int j;

	b->p.test_loop_count = VMB_DEF_LOOPS;
	b->p.test_repeat_count = 1;
	b->p.run_test_mask = VMB_MASK_TEST_VMALLOC;
	b->p.seed = 1;
	b->progress_s = 10;
	b->cpus = 1;
	if (parse_args(b, argc, argv)) {
		usage(stderr);
		return 2;
	}
	vmb_params_fix(&b->p);
	if (vmb_nr_workloads < 64)
		b->p.run_test_mask &= (1ULL << vmb_nr_workloads) - 1;
	memset(&cfg, 0, sizeof(cfg));
	cfg.ops = b->backend ? vmc_backend_find(b->backend) :
		vmc_backend_default();
	if (!cfg.ops) {
		fprintf(stderr, "vmcore-bench: no backend called '%s'\n",
			b->backend ? b->backend : getenv("VMC_BACKEND"));
		return 2;
	}
	b->backend = cfg.ops->name;
	if (!b->frames)
		b->frames = frames_needed(b);
	cfg.geometry = b->geometry;
	cfg.nr_frames = b->frames;
	cfg.nr_cpus = b->cpus;
	cfg.profile = b->profile;
	cfg.flags = VMC_ARENA_QUIET;
	err = vmb_core_init(&b->core, &cfg);
	if (err) {
		fprintf(stderr, "vmcore-bench: cannot create a %s arena "
			"(geometry %s, %lu frames): %s\n", b->backend,
			b->geometry ? b->geometry : "default", b->frames,
			strerror(-err));
		return 2;
	}
	b->core.e.meta_bytes = u_meta_bytes;
	if (!strcmp(b->backend, "mmap"))
		b->core.e.floor = u_floor;
	b->core.e.why_not = u_why_not;
	pthread_mutex_init(&b->plock, NULL);
	b->w = calloc((size_t)b->p.nr_threads, sizeof(*b->w));
	if (!b->w)
		return 2;
	if (VMB_DEBUG_BUILD)
		fprintf(stderr, "vmcore-bench: a debug build (--enable-debug: a "
			"full vmc_check after every call): timings mean "
			"little\n");
	b->t_start = b->last_progress = clock_ns(CLOCK_MONOTONIC);
	for (i = 0; i < b->p.nr_threads; i++) {
		struct worker *w = &b->w[i];

		w->id = i;
		w->b = b;
		w->rng = b->p.seed * 0x9e3779b97f4a7c15ULL + (uint64_t)i + 1;
		w->res = calloc(vmb_nr_workloads, sizeof(*w->res));
		if (!w->res ||
		    pthread_create(&w->th, NULL, worker_main, w)) {
			fprintf(stderr, "vmcore-bench: cannot start worker "
				"%d\n", i);
			return 2;
		}
	}
	for (i = 0; i < b->p.nr_threads; i++)
		pthread_join(b->w[i].th, NULL);
	if (b->json)
		print_json(b);
	else
		print_text(b);
	for (i = 0; i < b->p.nr_threads; i++)
		for (j = 0; j < vmb_nr_workloads; j++)
			if ((b->p.run_test_mask >> j & 1) &&
			    b->w[i].res[j].status != VMB_PASS &&
			    b->w[i].res[j].status != VMB_SKIPPED &&
			    b->w[i].res[j].status != VMB_UNSUPPORTED &&
			    !(vmb_workloads[j].expect_fail &&
			      b->w[i].res[j].status == VMB_FAIL))
				bad = 1;
	if (b->check && check_end(b))
		bad = 1;
	vmb_core_fini(&b->core);
	for (i = 0; i < b->p.nr_threads; i++)
		free(b->w[i].res);
	free(b->w);
	return bad;
}
