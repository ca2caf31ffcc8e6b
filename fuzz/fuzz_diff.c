/* SPDX-License-Identifier: MIT */
/*
 * fuzz_diff.c - the differential fuzz target (DESIGN.md 6).
 *
 * One stream runs on every default group of vmc_run_default_groups(): the
 * naive model beside the core on the sim backend in each geometry and on
 * the mmap backend, in lock step.  After every op the runner compares the
 * engines' trace lines and runs each engine's full invariant check; the
 * first difference or violation aborts with the op's text (fuzz_target.h).
 * This is the target `make fuzz` and the campaigns run by default.
 * With $VMC_FUZZ_PROFILE=linux-6.12 the groups run the core on the
 * linux-6.12 profile against Linux 6.12's own allocator (linux612), no model.
 */
#include "fuzz_target.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	return vmc_fuzz_one("fuzz_diff", data, size, NULL, 0);
}
