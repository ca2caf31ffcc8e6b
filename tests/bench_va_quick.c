/* SPDX-License-Identifier: MIT */
/*
 * bench_va_quick.c - what a 1-page vmalloc + vfree pair costs on the sim
 * backend, as a function of the areas already live and of the alignment
 * (issue 11's speed figures).  Not a test: run it by hand, release build.
 *
 * Live areas are get_vm_area()s of one page (+ guard): VA only, no frames,
 * so a million fit.  Each figure is the median over ROUNDS rounds of the
 * CPU time (CLOCK_PROCESS_CPUTIME_ID) of ITER pairs, in ns per pair, with
 * the minimum beside it:
 *   busy N             vmalloc(4 KiB) + vfree with N live areas
 *   align A            vmalloc_node_range(4 KiB, align A) + vfree, 15000 live
 * Lazy frees purge every lazy_max_pages (Linux's default for one CPU) as
 * in the kernel; that cost is part of every pair.
 *   bench_va_quick [ITER [ROUNDS]]     (default 20000 7)
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "vmcore.h"
#include "vmc_backends.h"

#define PG VMC_PAGE_SIZE

static double cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static struct vmc_arena *mk(void)
{
	struct vmc_arena_config c = { 0 };
	struct vmc_arena *a;

	c.ops = vmc_backend_find("sim");
	c.nr_frames = 65536;
	c.nr_nodes = 1;
	c.flags = VMC_ARENA_QUIET;
	if (!c.ops || vmc_arena_create(&c, &a)) {
		fprintf(stderr, "bench_va_quick: no sim arena\n");
		exit(1);
	}
	return a;
}

/* ns per pair: median and minimum of `rounds` rounds of `iter` pairs. */
static void pairs(struct vmc_arena *a, unsigned long align, long iter,
		  int rounds, double *med, double *min)
{
	double t[64];
	unsigned long s, e;
	int r;

	vmc_arena_range(a, &s, &e);
	for (r = 0; r < rounds && r < 64; r++) {
		double t0 = cpu_ns();
		long i;

		for (i = 0; i < iter; i++) {
			void *p = align > PG ?
				vmc_vmalloc_node_range(a, PG, align, s, e, 0,
						       VMC_PROT_KERNEL, 0,
						       VMC_NUMA_NO_NODE, "bench") :
				vmc_vmalloc(a, PG);

			if (!p || vmc_vfree(a, p)) {
				fprintf(stderr, "bench_va_quick: pair failed\n");
				exit(1);
			}
		}
		t[r] = (cpu_ns() - t0) / (double)iter;
	}
	qsort(t, (size_t)r, sizeof(t[0]), cmp);
	*med = t[r / 2];
	*min = t[0];
}

static void live(struct vmc_arena *a, long n)
{
	long i;

	for (i = 0; i < n; i++)
		if (!vmc_get_vm_area(a, PG, 0)) {
			fprintf(stderr, "bench_va_quick: get_vm_area %ld failed\n", i);
			exit(1);
		}
}

int main(int argc, char **argv)
{
	long iter = argc > 1 ? atol(argv[1]) : 20000;
	int rounds = argc > 2 ? atoi(argv[2]) : 7;
	static const long busy[] = { 100, 15000, 1000000 };
	double med, min, base = 0;
	unsigned int k;

	for (k = 0; k < 3; k++) {
		struct vmc_arena *a = mk();

		live(a, busy[k]);
		pairs(a, PG, iter, rounds, &med, &min);
		printf("busy %-7ld        %8.1f ns (min %.1f)%s", busy[k], med,
		       min, k ? "" : "\n");
		if (!k)
			base = med;
		else
			printf("  %.2fx busy 100\n", med / base);
		vmc_arena_destroy(a);
	}
	{
		struct vmc_arena *a = mk();
		unsigned long al;
		double un;

		live(a, 15000);
		pairs(a, PG, iter, rounds, &un, &min);
		printf("align 4K  (15000)   %8.1f ns (min %.1f)\n", un, min);
		for (al = 16 << 10; al <= 1UL << 30; al <<= 2) {
			pairs(a, al, iter, rounds, &med, &min);
			printf("align %-4lu%s (15000) %8.1f ns (min %.1f)  %.2fx unaligned\n",
			       al >= 1UL << 20 ? al >> 20 : al >> 10,
			       al >= 1UL << 20 ? "M" : "K", med, min, med / un);
		}
		vmc_arena_destroy(a);
	}
	return 0;
}
