/* SPDX-License-Identifier: MIT */
/*
 * fuzz_mmap.c - the core on the mmap backend alone (real MMU: memfd RAM
 * mapped into a PROT_NONE window page by page), checked after every op.
 * The backend maps no huge leaves, so the engine runs with nohuge; data
 * written through an area is read back through the real mapping, so a
 * stale or missing mapping faults or reads wrong bytes.
 */
#include "fuzz_target.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct vmc_engine_spec spec;

	if (!spec.ops) {
		spec = vmc_fuzz_spec(&vmc_engine_core_mmap, "x86_64", true);
	}
	return vmc_fuzz_one("fuzz_mmap", data, size, &spec, 1);
}
