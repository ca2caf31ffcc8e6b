/* SPDX-License-Identifier: MIT */
/*
 * test_linux61.c - the core's VA placement against Linux 6.1's own
 * allocator code (the linux61 engine, fuzz/linux61/).
 *
 * 1. The oracle can fail: the example with the core in exact
 *    placement (+0x10000) differs from Linux (+0x18000), and the runner
 *    says so.
 * 2. The example in Linux placement: core, model and linux61 agree, and
 *    the answer is +0x18000.
 * 3. Generated streams: random sizes, alignments from 4 KiB to 1 GiB,
 *    vmalloc_range ranges, frees, purges, vmap, ioremap, vm_map_ram and
 *    vm_unmap_ram, vrealloc; every one run through core:sim, the model
 *    (Linux rule) and linux61, which must agree call by call.  The count
 *    (argv[1], default 2000) and the op mix are printed.  The seed of
 *    stream i is base + i (argv[2], default 1): a failure names it, and
 *    `test_linux61 1 SEED` replays it.
 * Skipped, with the reason, when configure found no Linux 6.1 tarball.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tap.h"
#include "vmcore.h"
#include "vmc_engine.h"
#include "vmc_run.h"
#include "lx_gen.h"

#ifndef VMC_HAVE_LINUX61
int main(void)
{
	printf("1..0 # SKIP linux61 not built: configure found no Linux 6.1 "
	       "source tarball (--with-linux-source=, Debian: apt-get install "
	       "linux-source-6.1)\n");
	return getenv("VMC_TAP_HARNESS") ? 0 : 77;
}
#else

static const char example[] =
	"r0 = vmalloc(size=0xb000)\n"
	"r1 = vmalloc(size=0x1000)\n"
	"r2 = vmalloc(size=0x1000)\n"
	"r3 = vmalloc(size=0x1000)\n"
	"r4 = vmalloc(size=0x1000)\n"
	"r5 = vmalloc(size=0x1000)\n"
	"r6 = vmalloc(size=0x1000)\n"
	"vfree(r1)\nvfree(r3)\nvfree(r5)\npurge()\n"
	"r7 = vmalloc(size=0x1000, align=0x8000)\n";

static void spec(struct vmc_engine_spec *s, const struct vmc_engine_ops *ops,
		 const char *label, unsigned int placement, uint64_t arena)
{
	lx_spec(s, ops, label, arena);
	s->cfg.placement = placement;
}

/* The three engines of a Linux-placement run: core first (the lead). */
static size_t engines(struct vmc_engine_spec *e, unsigned int core_placement,
		      uint64_t arena)
{
	spec(&e[0], &vmc_engine_core_sim, "core:sim", core_placement, arena);
	spec(&e[1], &vmc_engine_model, "model", VMC_PLACEMENT_LINUX, arena);
	spec(&e[2], &vmc_engine_linux61, "linux61", VMC_PLACEMENT_LINUX,
	     arena);
	return core_placement == VMC_PLACEMENT_EXACT ? 1 : 3;
}

static void t_example(void)
{
	struct vmc_engine_spec e[3];
	struct vmc_run_report rep;
	struct vmc_op *ops = NULL;
	char err[128], *buf = NULL;
	size_t n = 0, len = 0;
	FILE *tr;
	int ret;

	if (!tap_ok(vmc_op_parse(example, sizeof(example) - 1, &ops, &n, err,
				 sizeof(err)) == 0, "the example parses"))
		return;
	/* Exact core, Linux's code replaying its calls: must differ. */
	engines(e, VMC_PLACEMENT_EXACT, 1ULL << 30);
	e[1] = e[2];
	memset(&rep, 0, sizeof(rep));
	ret = vmc_run(ops, n, e, 2, 0, NULL, &rep);
	tap_ok(ret == 1 && strstr(rep.what, "core +0x10000, linux61 +0x18000"),
	       "exact core against linux61: the difference is reported (%s)",
	       rep.what);

	engines(e, VMC_PLACEMENT_LINUX, 1ULL << 30);
	tr = open_memstream(&buf, &len);
	memset(&rep, 0, sizeof(rep));
	ret = tr ? vmc_run(ops, n, e, 3, VMC_RUN_TRACE, tr, &rep) : -1;
	if (tr)
		fclose(tr);
	tap_ok(ret == 0 && buf &&
	       strstr(buf, "r7 = vmalloc(size=0x1000, align=0x8000) = +0x18000"),
	       "linux placement: core, model and linux61 agree on +0x18000%s%s",
	       ret ? ": " : "", ret ? rep.what : "");
	free(buf);
	free(ops);
}


static void t_streams(unsigned long count, unsigned long long base)
{
	struct vmc_engine_spec e[3];
	unsigned long bad, nops;
	char first[1200] = "";

	engines(e, VMC_PLACEMENT_LINUX, GARENA);
	bad = lx_run_streams(e, 3, count, base, 1, &nops, first, sizeof(first));
	tap_ok(bad == 0, "%lu generated streams, %lu ops: core, model and "
	       "linux61 agree (%lu differ)", count, nops, bad);
	if (bad)
		tap_diag("first: %s", first);
}

int main(int argc, char **argv)
{
	unsigned long count = argc > 1 ? strtoul(argv[1], NULL, 0) : 2000;
	unsigned long long base = argc > 2 ? strtoull(argv[2], NULL, 0) : 1;

	t_example();
	t_streams(count, base);
	return tap_done();
}
#endif
