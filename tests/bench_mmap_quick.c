/* SPDX-License-Identifier: MIT */
/*
 * bench_mmap_quick.c - what one vmalloc + write + vfree costs on the mmap
 * backend, next to the sim backend and to the bare system calls the mmap
 * backend issues for the same work.
 *
 * Per size (1 and 16 pages), ITER iterations of:
 *   sim      vmc_vmalloc, vmc_write of every byte, vmc_vfree
 *   mmap     the same calls on an mmap arena
 *   mmap/st  vmc_vmalloc, memset through the returned pointer, vmc_vfree
 *   bare     what the backend does for it: mmap of the first page,
 *            mmap of the other pages (16 only), memset, one PROT_NONE
 *            mmap over the whole run; addresses advance like the
 *            arena's (area + guard page), wrapping every 8192 pages.
 *   bare/frames  the same for the frames the core really gets: the pfns
 *            of a vmalloc on the mmap arena after ITER pairs (the
 *            sim buddy allocator's steady state) are split into runs of
 *            consecutive pfns, and each run costs what the backend pays
 *            for one (its first page, then the rest): the floor for
 *            those very pages, where "bare" assumes one run.
 * Each figure is CPU time (CLOCK_PROCESS_CPUTIME_ID: user + system, so
 * the system calls count and other processes do not) per iteration, the
 * median and the minimum of ROUNDS rounds; the four runs alternate
 * within each round (A B C D A B C D ...) so a noisy neighbour hits them
 * alike.  Printed as TAP comments with mmap / bare beside them.  Not a
 * pass/fail test; the single check only says every iteration succeeded.
 *   bench_mmap_quick [ITER [ROUNDS]]     (default 5000 7)
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "vmcore.h"
#include "vmc_backends.h"
#include "tap.h"

#define PG    VMC_PAGE_SIZE
static unsigned int ITER = 5000;

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static unsigned char src[16 * PG];

/* The pfns of the mmap arena's last vmalloc (run_core), 0-based. */
static unsigned long layout[16];
static unsigned long layout_span;       /* max - min + 1 */

/* Record in layout[] the frames one more vmalloc of `pages` gets. */
static bool record_layout(struct vmc_arena *a, unsigned int pages)
{
	unsigned char *p = vmc_vmalloc(a, pages * PG);
	unsigned long lo = ~0UL, hi = 0;
	unsigned int i;

	if (!p)
		return false;
	for (i = 0; i < pages; i++) {
		if (vmc_vmalloc_to_pfn(a, p + i * PG, &layout[i]))
			return false;
		lo = layout[i] < lo ? layout[i] : lo;
		hi = layout[i] > hi ? layout[i] : hi;
	}
	for (i = 0; i < pages; i++)
		layout[i] -= lo;
	layout_span = hi - lo + 1;
	vmc_vfree(a, p);
	return true;
}

/* ns per iteration, or -1 on a failure. */
static double run_core(const char *backend, unsigned int pages, bool direct)
{
	struct vmc_arena_config cfg;
	struct vmc_arena *a;
	double t0, t;
	unsigned int i;

	memset(&cfg, 0, sizeof(cfg));
	cfg.ops = vmc_backend_find(backend);
	cfg.nr_frames = 8192;
	cfg.flags = VMC_ARENA_QUIET;
	if (!cfg.ops || vmc_arena_create(&cfg, &a))
		return -1;
	t0 = now();
	for (i = 0; i < ITER; i++) {
		unsigned char *p = vmc_vmalloc(a, pages * PG);

		if (!p)
			break;
		if (direct)
			memcpy(p, src, pages * PG);
		else if (vmc_write(a, p, src, pages * PG))
			break;
		vmc_vfree(a, p);
	}
	t = (now() - t0) / ITER;
	if (i == ITER && !strcmp(backend, "mmap") && !record_layout(a, pages))
		i = 0;
	vmc_arena_destroy(a);
	return i == ITER ? t : -1;
}

/* Runs of consecutive frames in layout[0 .. pages) (see bare/frames). */
static unsigned int layout_runs(unsigned int pages)
{
	unsigned int i, runs = 1;

	for (i = 1; i < pages; i++)
		runs += layout[i] != layout[i - 1] + 1;
	return runs;
}

/*
 * One iteration of the bare system calls at va: per run of frames, an
 * mmap of its first page and one of the rest; the stores; one PROT_NONE
 * mmap over the area.  With `frames` the runs are layout[]'s, else one
 * run of frames 0 .. pages - 1.
 */
static bool bare_once(int fd, unsigned long va, unsigned int pages,
		      bool frames)
{
	const int anon = MAP_FIXED | MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE;
	const int prot = PROT_READ | PROT_WRITE;
	unsigned int i = 0, n;

	while (i < pages) {
		unsigned long f = frames ? layout[i] : i;

		for (n = 1; i + n < pages &&
		     (frames ? layout[i + n] : i + n) == f + n; n++)
			;
		if (mmap((void *)(va + i * PG), PG, prot, MAP_FIXED | MAP_SHARED,
			 fd, (off_t)(f * PG)) == MAP_FAILED)
			return false;
		if (n > 1 && mmap((void *)(va + (i + 1) * PG), (n - 1) * PG,
				  prot, MAP_FIXED | MAP_SHARED, fd,
				  (off_t)((f + 1) * PG)) == MAP_FAILED)
			return false;
		i += n;
	}
	memcpy((void *)va, src, pages * PG);
	return mmap((void *)va, pages * PG, PROT_NONE, anon, -1, 0) !=
	       MAP_FAILED;
}

static double run_bare(unsigned int pages, bool frames)
{
	unsigned long win, va, span = 8192 * PG;
	int fd = memfd_create("bench", MFD_CLOEXEC);
	double t0, t;
	unsigned int i;
	void *w;

	if (fd < 0 || ftruncate(fd, (off_t)((frames ? layout_span : 16) * PG)))
		return -1;
	w = mmap(NULL, span + 16 * PG, PROT_NONE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (w == MAP_FAILED)
		return -1;
	win = (unsigned long)w;
	va = win;
	t0 = now();
	for (i = 0; i < ITER; i++) {
		if (!bare_once(fd, va, pages, frames))
			break;
		va += (pages + 1) * PG;
		if (va - win >= span)
			va = win;
	}
	t = (now() - t0) / ITER;
	munmap(w, span + 16 * PG);
	close(fd);
	return i == ITER ? t : -1;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
	static const unsigned int sizes[] = { 1, 16 };
	static const char *const name[5] = { "sim", "mmap", "mmap/store",
					     "bare syscalls", "bare/frames" };
	int rounds = argc > 2 ? atoi(argv[2]) : 7;
	double t[5][64], med[5];
	bool ok = true;
	unsigned int s;
	int r, k;

	if (argc > 1 && atoi(argv[1]) > 0)
		ITER = (unsigned int)atoi(argv[1]);
	if (rounds < 1 || rounds > 64)
		rounds = 7;
	memset(src, 0x3c, sizeof(src));
	tap_plan(1);
	tap_diag("%u iterations of vmalloc + write + vfree, CPU ns per "
		 "iteration, median (min) of %d alternating rounds", ITER,
		 rounds);
	for (s = 0; s < 2; s++) {
		unsigned int n = sizes[s];

		for (r = 0; r < rounds; r++) {
			t[0][r] = run_core("sim", n, false);
			t[1][r] = run_core("mmap", n, false);
			t[2][r] = run_core("mmap", n, true);
			t[3][r] = run_bare(n, false);
			t[4][r] = run_bare(n, true);
			for (k = 0; k < 5; k++)
				ok = ok && t[k][r] > 0;
		}
		for (k = 0; k < 5; k++) {
			qsort(t[k], (size_t)rounds, sizeof(t[k][0]), cmp);
			med[k] = t[k][rounds / 2];
		}
		for (k = 0; k < 5; k++)
			tap_diag("%2u page(s): %-13s %8.0f (min %.0f)", n,
				 name[k], med[k], t[k][0]);
		tap_diag("%2u page(s): mmap / bare %.2fx, mmap/store / bare "
			 "%.2fx (medians)", n, med[1] / med[3], med[2] / med[3]);
		tap_diag("%2u page(s): its frames make %u run(s): mmap / "
			 "bare/frames %.2fx (medians)", n, layout_runs(n),
			 med[1] / med[4]);
	}
	tap_ok(ok, "every iteration succeeded");
	return tap_done();
}
