/* SPDX-License-Identifier: MIT */
/*
 * vmc_backends.c - the registry of built-in backends (userspace only).
 *
 * The order of the table is the order of preference: the first entry is
 * the default.  The kernel module does not use this file; it binds its
 * own backend directly.
 */
#include <stdlib.h>
#include <string.h>

#include "vmc_backends.h"
#include "vmc_sim.h"
#include "vmc_mmap.h"

static const struct vmc_backend_ops *const vmc_backend_table[] = {
	&vmc_sim_ops,
	&vmc_mmap_ops,
};

#define VMC_NR_BACKENDS \
	(sizeof(vmc_backend_table) / sizeof(vmc_backend_table[0]))

const struct vmc_backend_ops *vmc_backend_at(unsigned int i)
{
	return i < VMC_NR_BACKENDS ? vmc_backend_table[i] : NULL;
}

const struct vmc_backend_ops *vmc_backend_find(const char *name)
{
	unsigned int i;

	if (!name)
		return NULL;
	for (i = 0; i < VMC_NR_BACKENDS; i++)
		if (!strcmp(vmc_backend_table[i]->name, name))
			return vmc_backend_table[i];
	return NULL;
}

const struct vmc_backend_ops *vmc_backend_default(void)
{
	const char *env = getenv("VMC_BACKEND");

	if (env && *env)
		return vmc_backend_find(env);
	return vmc_backend_table[0];
}
