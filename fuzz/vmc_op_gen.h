/* SPDX-License-Identifier: MIT */
/*
 * vmc_op_gen.h - random op streams for tests, stress runs and seeds.
 */
#ifndef VMC_OP_GEN_H
#define VMC_OP_GEN_H

#include <stddef.h>
#include <stdint.h>

#include "vmc_op.h"

enum vmc_gen_profile {
	VMC_GEN_DEFAULT = 0,    /* sensible mostly, edges sometimes, fail() rarely */
	VMC_GEN_SANE = 1,       /* sensible sizes only, no fail(), no misuse */
	VMC_GEN_EDGES = 2,      /* edges and misuse often */
};

/*
 * A malloc'ed stream of `nops` ops (at most VMC_OP_MAX) drawn from `seed`:
 * the same seed and profile give the same stream.  NULL when out of
 * memory.  line = index + 1.
 */
struct vmc_op *vmc_op_gen(uint64_t seed, size_t nops,
			  enum vmc_gen_profile profile);

/*
 * Spread a stream over CPUs: every op gets cpu= drawn from `seed` in
 * [0, nr_cpus) (linux-6.12 runs: the vmap node of each call).  Separate
 * from vmc_op_gen so that the streams of a seed stay what they were.
 */
void vmc_op_gen_cpus(struct vmc_op *ops, size_t n, uint64_t seed,
		     unsigned int nr_cpus);

#endif /* VMC_OP_GEN_H */
