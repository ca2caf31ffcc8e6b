/* SPDX-License-Identifier: MIT */
/*
 * fuzz_sim.c - the core on the simulated MMU alone, checked after every
 * op (vmc_check: invariants 1-7; the soft TLB makes a missed flush
 * visible).  No model and no comparison, so it runs faster than
 * fuzz_diff and finds crashes, sanitizer reports and invariant violations.
 *
 * The geometry is x86_64 unless $VMC_FUZZ_GEOMETRY names another
 * ("la57", "i386"); it is read once, so a campaign job fuzzes one.
 */
#include "fuzz_target.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct vmc_engine_spec spec;
	const char *g;

	if (!spec.ops) {
		g = getenv("VMC_FUZZ_GEOMETRY");
		spec = vmc_fuzz_spec(&vmc_engine_core_sim,
				     g && *g ? g : "x86_64", false);
	}
	return vmc_fuzz_one("fuzz_sim", data, size, &spec, 1);
}
