/*
 * test_threads.c - several threads allocating and freeing on one arena.
 *
 * Theory: every public call takes the arena lock, so any interleaving of
 * calls from several threads must be equivalent to some serial order.
 * Each thread keeps its own areas, fills each with a pattern derived from
 * its thread and slot, and verifies the pattern through the arena's MMU
 * before freeing: a lost update to the shared trees or page tables shows
 * up as an overlap (two areas handed out at once, so one pattern gets
 * overwritten), a failed read, or a failed check.  A checker thread runs
 * vmc_check() concurrently.  At the end the arena must be clean and drain
 * to nothing.  The schedule is seeded and the seed printed, but the
 * interleaving itself is up to the OS.
 * Runs on the backend chosen by VMC_BACKEND (the suite runs it once per
 * userspace backend; on mmap the concurrent checks probe the real MMU).
 */
#include <pthread.h>

#include "vmc_test.h"

#define NTHREADS 4
#define SLOTS    16
#define ROUNDS   3000

struct worker {
	struct vmc_arena *a;
	unsigned int id;
	unsigned long long seed;
	unsigned long allocs, verify_fail, errors;
	void *slot[SLOTS];
	unsigned long size[SLOTS];
	unsigned char tag[SLOTS];
};

static volatile int stop_checker;
static unsigned long checks_run, checks_bad;
static char check_msg[300];

static int fill(struct worker *w, int s, bool verify)
{
	unsigned char buf[256], got[256];
	unsigned long off;

	memset(buf, w->tag[s], sizeof(buf));
	/* The first and last bytes of every page carry the tag. */
	for (off = 0; off < w->size[s]; off += VMC_PAGE_SIZE) {
		unsigned long n = w->size[s] - off < sizeof(buf) ?
				  w->size[s] - off : sizeof(buf);
		char *p = (char *)w->slot[s] + off;

		if (!verify) {
			if (vmc_write(w->a, p, buf, n))
				return -1;
			continue;
		}
		if (vmc_read(w->a, p, got, n) || memcmp(got, buf, n))
			return -1;
	}
	return 0;
}

static void *work(void *arg)
{
	struct worker *w = arg;
	int r;

	for (r = 0; r < ROUNDS; r++) {
		int s = (int)(vt_rand(&w->seed) % SLOTS);

		if (w->slot[s]) {
			if (fill(w, s, true))
				w->verify_fail++;
			if (vmc_vfree(w->a, w->slot[s]))
				w->errors++;
			w->slot[s] = NULL;
			continue;
		}
		w->size[s] = (1 + vt_rand(&w->seed) % 24) * VMC_PAGE_SIZE -
			     vt_rand(&w->seed) % 64;
		w->tag[s] = (unsigned char)(w->id * 64 + s + r);
		w->slot[s] = (vt_rand(&w->seed) & 1) ?
			vmc_vmalloc(w->a, w->size[s]) :
			vmc_vzalloc(w->a, w->size[s]);
		if (!w->slot[s]) {
			w->errors++;
			continue;
		}
		w->allocs++;
		if (fill(w, s, false))
			w->verify_fail++;
		if (r % 97 == 0)
			vmc_purge(w->a);
	}
	for (r = 0; r < SLOTS; r++) {
		if (!w->slot[r])
			continue;
		if (fill(w, r, true))
			w->verify_fail++;
		vmc_vfree(w->a, w->slot[r]);
	}
	return NULL;
}

static void *checker(void *arg)
{
	struct vmc_arena *a = arg;
	struct vmc_violation v;

	while (!stop_checker) {
		int bad = vmc_check(a, &v);

		checks_run++;
		if (bad && !checks_bad++)
			snprintf(check_msg, sizeof(check_msg),
				 "invariant %d: %s", bad, v.msg);
	}
	return NULL;
}

int main(void)
{
	struct vmc_arena_config cfg;
	struct worker w[NTHREADS];
	pthread_t t[NTHREADS], ct;
	unsigned long long seed = vt_seed(20261122);
	unsigned long allocs = 0, vfail = 0, errs = 0;
	struct vmc_stats st;
	struct vmc_arena *a;
	int i;

	tap_plan(6);
	memset(&cfg, 0, sizeof(cfg));
	cfg.nr_frames = 32768;
	cfg.lazy_max_pages = 512;       /* purge often: exercise that path */
	cfg.flags = VMC_ARENA_QUIET;
	a = vt_arena_cfg(&cfg);

	memset(w, 0, sizeof(w));
	for (i = 0; i < NTHREADS; i++) {
		w[i].a = a;
		w[i].id = (unsigned int)i;
		w[i].seed = seed + (unsigned long long)i * 7919;
	}
	pthread_create(&ct, NULL, checker, a);
	for (i = 0; i < NTHREADS; i++)
		pthread_create(&t[i], NULL, work, &w[i]);
	for (i = 0; i < NTHREADS; i++)
		pthread_join(t[i], NULL);
	stop_checker = 1;
	pthread_join(ct, NULL);

	for (i = 0; i < NTHREADS; i++) {
		allocs += w[i].allocs;
		vfail += w[i].verify_fail;
		errs += w[i].errors;
	}
	tap_ok(allocs > NTHREADS * ROUNDS / 4, "%d threads made %lu allocations",
	       NTHREADS, allocs);
	tap_ok(!errs, "no call failed (%lu failures)", errs);
	tap_ok(!vfail, "every area kept its own data (%lu mismatches)", vfail);
	tap_ok(checks_run > 0 && !checks_bad,
	       "%lu concurrent checks clean%s%s", checks_run,
	       checks_bad ? ": " : "", check_msg);
	vmc_purge(a);
	tap_ok(vt_clean(a, "all threads"), "clean check at the end");
	vmc_get_stats(a, &st);
	tap_ok(!st.nr_busy && !st.frames_data && st.nr_free == 1,
	       "drained: busy %lu, data frames %lu, free blocks %lu",
	       st.nr_busy, st.frames_data, st.nr_free);
	vmc_arena_destroy(a);
	return tap_done();
}
