/* SPDX-License-Identifier: MIT OR GPL-2.0-only */
/*
 * kmod.h - the pieces of the vmcore kernel module and how they meet.
 *
 * Theory
 * ------
 * The module is the core (every libvmcore .c file, compiled against
 * vmc_env_kernel.h), the op-stream decoder, runner and core engine of
 * fuzz/ (the same files the host tools use), and five files of its own:
 *
 *   kmod_main.c     module init and exit: device region, then the device;
 *                   torn down in reverse
 *   kmod_pci.c      the device region: BAR 2 of qemu's ivshmem-plain
 *                   (PCI 1af4:1110), claimed and ioremapped once; without
 *                   that device, a RAM stand-in that ioremap must not touch
 *   kmod_backend.c  the kmod page-table backend (vmc_backend_kmod): a window
 *                   of the kernel's vmalloc space reserved with vmap() of
 *                   one scratch page, real PTEs written there from the live
 *                   root, frames from alloc_pages, TLB flushed on every CPU
 *   kmod_linux.c    the linux reference engine (vmc_engine_linux): the op
 *                   stream through the kernel's own vmalloc family
 *   kmod_dev.c      /dev/vmcore: validates what userspace sends
 *                   (vmc_kmod_uapi.h), runs it, returns the trace
 *
 * Lifetime: every run creates its engine, and with it (core engine) an
 * arena whose backend instance reserves its own window, and destroys all of
 * it before the ioctl returns.  So between runs the module holds only the
 * device region; kmod_backend_live() counts what backend instances still
 * hold, and module exit refuses nothing but reports (WARN) if it is not 0.
 */
#ifndef VMC_KMOD_H
#define VMC_KMOD_H

#include <linux/types.h>

#include "kmod_config.h"            /* kfeatures.sh: what this kernel has */
#include "vmc_backend.h"
#include "vmc_engine.h"

/* The device region: what ioremap maps, on both engines. */
struct kmod_devmem {
	phys_addr_t phys;               /* physical base, page aligned */
	unsigned long size;             /* bytes, a multiple of PAGE_SIZE */
	void __iomem *kva;              /* the module's own mapping of it all */
	bool is_bar;                    /* false: RAM stand-in (no ivshmem) */
};

/* kmod_pci.c */
int kmod_devmem_init(void);
void kmod_devmem_exit(void);
const struct kmod_devmem *kmod_devmem(void);

/* kmod_backend.c */
extern const struct vmc_backend_ops vmc_backend_kmod;
/* Frames and windows all live backend instances hold (0 between runs). */
unsigned long kmod_backend_live(void);
/*
 * The window (and geometry name) of the most recently created instance:
 * after a core run, the arena it ran in.  Runs are serialised by
 * kmod_dev.c, so this is well defined there.
 */
void kmod_backend_window(unsigned long *vstart, unsigned long *vend,
			 const char **geometry);

/* kmod_linux.c */
extern const struct vmc_engine_ops vmc_engine_linux;

/* fuzz/engine_core.c: the core engine on the kmod backend. */
extern const struct vmc_engine_ops vmc_engine_core_kmod;

/* kmod_dev.c */
int kmod_dev_init(void);
void kmod_dev_exit(void);

/* kmod_bench.c: VMC_KMOD_IOC_BENCH (vmc_kmod_bench.h); called with the
   device's lock held */
long kmod_bench_ioctl(void __user *arg);

#endif /* VMC_KMOD_H */
