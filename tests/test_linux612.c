/* SPDX-License-Identifier: MIT */
/*
 * test_linux612.c - the core's linux-6.12 profile (vmap nodes, pools,
 * 6.12's purge order) against Linux 6.12's own allocator code (the
 * linux612 engine, fuzz/linux612/), 4 CPUs, so 4 vmap nodes.
 *
 * 1. The oracle can fail: a core on the linux-6.1 profile, replayed by
 *    linux612, differs at the first allocation Linux serves from a pool.
 * 2. The pool example: core (linux-6.12) and linux612 agree, and a
 *    1-page vmalloc on CPU 2 after a purge gets back the area CPU 2 freed.
 * 3. The corpus: every .txt file of corpus/ through core:sim and linux612,
 *    as written (linux612_pools.txt names its CPUs) and with each op on a
 *    CPU drawn from the file's index.
 * 4. Generated streams (lx_gen.h), cpu= spread over the 4 CPUs: count
 *    argv[1] (default 2000), seed of stream i base + i (argv[2], default
 *    1).  The op mix, the pool hits and the address results are printed.
 * Skipped, with the reason, when configure found no Linux 6.12 tarball.
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tap.h"
#include "vmcore.h"
#include "vmc_engine.h"
#include "vmc_op_gen.h"
#include "vmc_run.h"
#include "lx_gen.h"

#ifndef VMC_HAVE_LINUX612
int main(void)
{
	printf("1..0 # SKIP linux612 not built: configure found no Linux 6.12 "
	       "source tarball (--with-linux612-source=, Debian: apt-get "
	       "install linux-source-6.12)\n");
	return getenv("VMC_TAP_HARNESS") ? 0 : 77;
}
#else

#define NCPUS 4u

static const char pool_example[] =
	"r0 = vmalloc(size=0x1000, cpu=1)\n"
	"r1 = vmalloc(size=0x1000, cpu=2)\n"
	"r2 = vmalloc(size=0x3000, cpu=3)\n"
	"r3 = vmalloc(size=0x1000)\n"
	"vfree(r0)\nvfree(r1)\nvfree(r2, cpu=1)\npurge()\n"
	"r4 = vmalloc(size=0x1000, cpu=2)\n"
	"r5 = vmalloc(size=0x1000, cpu=1)\n"
	"r6 = vmalloc(size=0x3000, cpu=3)\n"
	"check()\n";

/* The lead: core:sim, counting the allocations it served from pools. */
static unsigned long pool_hits, tree_allocs;

static void cnt_exec(void *state, const struct vmc_op *op,
		     struct vmc_result *res)
{
	unsigned int i;

	vmc_engine_core_sim.exec(state, op, res);
	for (i = 0; i < res->nva_ev && i < VMC_RESULT_VA_EV; i++) {
		if (res->va_ev[i].kind != VMC_ENGINE_EV_ALLOC)
			continue;
		if (res->va_ev[i].flags & VMC_ENGINE_EVF_POOL)
			pool_hits++;
		else
			tree_allocs++;
	}
}

static struct vmc_engine_ops counting;

static void spec(struct vmc_engine_spec *s, const struct vmc_engine_ops *ops,
		 const char *label, unsigned int profile, uint64_t arena)
{
	lx_spec(s, ops, label, arena);
	s->cfg.profile = profile;
	s->cfg.nr_cpus = NCPUS;
}

static void engines(struct vmc_engine_spec *e, unsigned int core_profile,
		    uint64_t arena)
{
	counting = vmc_engine_core_sim;
	counting.exec = cnt_exec;
	spec(&e[0], &counting, "core:sim", core_profile, arena);
	spec(&e[1], &vmc_engine_linux612, "linux612", VMC_PROFILE_LINUX_6_12,
	     arena);
}

static void t_example(void)
{
	struct vmc_engine_spec e[2];
	struct vmc_run_report rep;
	struct vmc_op *ops = NULL;
	char err[128], *buf = NULL;
	size_t n = 0, len = 0;
	FILE *tr;
	int ret;

	if (!tap_ok(vmc_op_parse(pool_example, sizeof(pool_example) - 1, &ops,
				 &n, err, sizeof(err)) == 0,
		    "the pool example parses"))
		return;
	engines(e, VMC_PROFILE_LINUX_6_1, 1ULL << 30);
	memset(&rep, 0, sizeof(rep));
	ret = vmc_run(ops, n, e, 2, 0, NULL, &rep);
	tap_ok(ret == 1 && strstr(rep.what, "linux612 +0x2000"),
	       "a linux-6.1 core against linux612: the pool hit is a "
	       "difference (%s)", rep.what);

	engines(e, VMC_PROFILE_LINUX_6_12, 1ULL << 30);
	pool_hits = 0;
	tr = open_memstream(&buf, &len);
	memset(&rep, 0, sizeof(rep));
	ret = tr ? vmc_run(ops, n, e, 2, VMC_RUN_TRACE | VMC_RUN_CHECK, tr,
			   &rep) : -1;
	if (tr)
		fclose(tr);
	tap_ok(ret == 0 && buf &&
	       strstr(buf, "r4 = vmalloc(size=0x1000, cpu=2) = +0x2000") &&
	       strstr(buf, "r5 = vmalloc(size=0x1000, cpu=1) = +0x0") &&
	       strstr(buf, "r6 = vmalloc(size=0x3000, cpu=3) = +0x4000") &&
	       pool_hits == 3,
	       "linux-6.12: core and linux612 agree, each CPU gets its own "
	       "area back from its node's pool (%lu pool hits)%s%s", pool_hits,
	       ret ? ": " : "", ret ? rep.what : "");
	free(buf);
	free(ops);
}

/* ---------- the corpus ---------- */

static int load(const char *path, struct vmc_op **ops, size_t *n)
{
	char err[160], *text;
	long len;
	FILE *f = fopen(path, "rb");
	int ret;

	if (!f)
		return -1;
	fseek(f, 0, SEEK_END);
	len = ftell(f);
	fseek(f, 0, SEEK_SET);
	text = malloc((size_t)len + 1);
	if (!text || fread(text, 1, (size_t)len, f) != (size_t)len) {
		free(text);
		fclose(f);
		return -1;
	}
	fclose(f);
	ret = vmc_op_parse(text, (size_t)len, ops, n, err, sizeof(err));
	if (ret)
		tap_diag("%s: %s", path, err);
	free(text);
	return ret;
}

static void t_corpus(void)
{
	const char *src = getenv("srcdir");
	struct vmc_engine_spec e[2];
	char dir[4096], path[4400], first[1200] = "";
	unsigned long files = 0, bad = 0, ops_run = 0, skipped = 0;
	struct dirent *d;
	DIR *dp;
	int pass;

	snprintf(dir, sizeof(dir), "%s/corpus", src ? src : ".");
	dp = opendir(dir);
	if (!dp) {
		tap_skip("no corpus directory at %s", dir);
		return;
	}
	engines(e, VMC_PROFILE_LINUX_6_12, 1ULL << 30);
	while ((d = readdir(dp))) {
		struct vmc_run_report rep;
		struct vmc_op *ops = NULL;
		size_t n = 0, l = strlen(d->d_name);

		if (l < 5 || strcmp(d->d_name + l - 4, ".txt"))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, d->d_name);
		if (load(path, &ops, &n)) {
			if (!bad++)
				snprintf(first, sizeof(first), "%s does not "
					 "parse", d->d_name);
			continue;
		}
		if (n && ops[0].kind == VMC_OP_CONFIG && ops[0].placement) {
			skipped++;      /* exact placement: 6.1 only */
			free(ops);
			continue;
		}
		/* As written (its own cpu=, if any), then spread over the CPUs. */
		for (pass = 0; pass < 2; pass++) {
			if (pass)
				vmc_op_gen_cpus(ops, n, files + 1, NCPUS);
			memset(&rep, 0, sizeof(rep));
			if (vmc_run(ops, n, e, 2, VMC_RUN_CHECK, NULL, &rep) &&
			    !bad++)
				snprintf(first, sizeof(first), "%s (%s): %s",
					 d->d_name, pass ? "spread" : "as is",
					 rep.what);
			ops_run += n;
		}
		files++;
		free(ops);
	}
	closedir(dp);
	tap_ok(files > 0 && !bad, "corpus: %lu files (%lu with placement=exact left "
	       "out), %lu ops, as written and with cpu= spread over %u CPUs: "
	       "core and linux612 agree (%lu differ)%s%s", files, skipped,
	       ops_run, NCPUS, bad, bad ? ": " : "", first);
}

/* ---------- generated streams ---------- */


static void t_streams(unsigned long count, unsigned long long base)
{
	struct vmc_engine_spec e[2];
	unsigned long bad, nops;
	char first[1200] = "";

	engines(e, VMC_PROFILE_LINUX_6_12, GARENA);
	pool_hits = tree_allocs = 0;
	bad = lx_run_streams(e, 2, count, base, NCPUS, &nops, first,
			     sizeof(first));
	tap_diag("VA allocations: %lu from node pools, %lu from the free tree",
		 pool_hits, tree_allocs);
	tap_ok(bad == 0 && pool_hits > 0,
	       "%lu generated streams, %lu ops on %u CPUs: core (linux-6.12) "
	       "and linux612 agree (%lu differ), %lu pool hits", count, nops,
	       NCPUS, bad, pool_hits);
	if (bad)
		tap_diag("first: %s", first);
}

int main(int argc, char **argv)
{
	unsigned long count = argc > 1 ? strtoul(argv[1], NULL, 0) : 2000;
	unsigned long long base = argc > 2 ? strtoull(argv[2], NULL, 0) : 1;

	t_example();
	t_corpus();
	t_streams(count, base);
	return tap_done();
}
#endif
