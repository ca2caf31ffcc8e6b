/* SPDX-License-Identifier: MIT */
/*
 * vmc_op_spec.h - the op table shared by the formatter (vmc_op.c, both
 * worlds) and the text parser (vmc_op_text.c, userspace only): for each op
 * kind its name, whether it has a result and an operand register, its
 * keys in canonical order and which of them are required.  Private to
 * fuzz/.
 */
#ifndef VMC_OP_SPEC_H
#define VMC_OP_SPEC_H

#include "vmc_op.h"

enum op_key {
	K_SIZE, K_ALIGN, K_START, K_END, K_PHYS, K_OFF, K_LEN, K_SEED,
	K_PAGES, K_NODE, K_HUGE, K_ZERO, K_FRAMES, K_TABLES, K_META,
	K_PLACEMENT,
	K_CPU,          /* any op (not in the table): the calling CPU */
	K_PROFILE,      /* config: the kernel profile */
	K_NR
};

#define KB(k) (1u << (k))
#define KEYS_MAX 8

struct op_spec {
	const char *name;
	unsigned char dst, src;
	signed char keys[KEYS_MAX];     /* allowed keys, canonical order, -1 ends */
	unsigned int required;          /* KB() mask */
};

/* Indexed by enum vmc_op_kind and enum op_key (vmc_op.c). */
extern const struct op_spec vmc_op_specs[VMC_OP_NR];
extern const char *const vmc_op_key_name[K_NR];
/*
 * The word values of config(): placement=NAME is the index of NAME in
 * vmc_op_placement_name (op->placement), profile=NAME one more than its
 * index in vmc_op_profile_name (op->profile; 0: not set).
 */
#define VMC_OP_PLACEMENTS 2
#define VMC_OP_PROFILES 2
extern const char *const vmc_op_placement_name[VMC_OP_PLACEMENTS];
extern const char *const vmc_op_profile_name[VMC_OP_PROFILES];

#endif /* VMC_OP_SPEC_H */
