/* SPDX-License-Identifier: MIT */
/*
 * vmb_core.h - the libvmcore benchmark engine (vmb_core.c), for the
 * userspace driver and the kernel module.
 */
#ifndef VMB_CORE_H
#define VMB_CORE_H

#include "vmcore.h"
#include "vmb.h"

struct vmb_core {
	struct vmb_engine e;            /* the slots; the driver may add some */
	struct vmc_arena_config cfg;    /* what the arena was made from */
	struct vmc_arena *a;
	void *host;                     /* the driver's own state */
};

/* Create the arena from cfg (copied) and fill the engine. 0 or -errno. */
int vmb_core_init(struct vmb_core *c, const struct vmc_arena_config *cfg);
void vmb_core_fini(struct vmb_core *c);

#endif /* VMB_CORE_H */
