/*
 * vmc_engine.h - engines that execute op streams, and the runner that
 * drives several of them in lock step and compares their traces.
 *
 * An engine executes one op at a time against one implementation:
 *   "core"   libvmcore on a backend (sim in any geometry, mmap), through
 *            the public API only (vmcore.h);
 *   "model"  the naive reference model (fuzz/model/): an independent,
 *            deliberately simple implementation of the same semantics;
 *   "kmod"   later: the kernel module, through its character device.
 *
 * Every engine turns an op into a struct vmc_result; the runner prints it
 * as one trace line, e.g.
 *     r0 = vmalloc(size=0x5000) = +0x0
 *     r1 = vmalloc(size=0x1000000000000) = NULL -ENOMEM
 *     vfree(r7) = -EINVAL
 *     verify(r2, off=0x10, len=0x100, seed=0x7) = ok
 * Addresses are offsets from the arena start, so traces of two engines
 * compare line by line.
 *
 * Registers.  The runner keeps one engine-independent register file: for
 * each register whether it holds a live result, of which op kind, its size
 * and page count.  Engines keep their own addresses (and harness frames)
 * per register.  Rules every engine follows identically:
 *   - an op whose source register was never set uses a NULL address
 *     (vfree(NULL) is a no-op returning 0);
 *   - a register keeps its address after it is freed, so double frees and
 *     wrong-kind frees reach the implementation and must be refused;
 *   - write/verify touch only live registers and only [off, off+len)
 *     inside the register's size; otherwise the runner reports -EINVAL
 *     without calling the engine (use-after-free is undefined behaviour,
 *     not a comparable result);
 *   - a result register is overwritten by the next op that names it; the
 *     old area is then unreachable (a leak the stream chose; teardown
 *     reclaims it).
 */
#ifndef VMC_ENGINE_H
#define VMC_ENGINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vmc_op.h"

/* Configuration shared by every engine of one run. */
struct vmc_engine_cfg {
	const char *geometry;           /* "x86_64" (default), "la57", "i386" */
	bool nohuge;                    /* no huge leaves (what mmap can do) */
	uint64_t arena_size;            /* 0: engine default (see vmc_run.c) */
	unsigned long nr_frames;        /* RAM frames */
	unsigned int nr_nodes;
	unsigned long dev_frames;
	unsigned long lazy_max_pages;   /* 0: Linux default for 1 CPU */
};

struct vmc_result {
	int err;                        /* 0 or negative errno */
	bool has_addr;                  /* the op returns an address */
	uint64_t off;                   /* that address - arena start */
	char detail[160];               /* verify mismatch, check violation, ... */
};

struct vmc_engine_ops {
	const char *name;               /* "core:sim:x86_64", "model:x86_64", ... */
	/* Set up; 0 or negative errno. */
	int  (*create)(const struct vmc_engine_cfg *cfg, void **state);
	/* Free everything, including what the stream leaked. */
	void (*destroy)(void *state);
	/*
	 * Execute one op.  `regs` is the runner's register file as it stands
	 * before the op (read-only); the engine keeps its own addresses.
	 */
	void (*exec)(void *state, const struct vmc_op *op,
		     struct vmc_result *res);
	/* Full invariant check (core: vmc_check); 0 or invariant number. */
	int  (*check)(void *state, char *msg, size_t len);
};

/* An engine bound to a configuration, by name. */
struct vmc_engine_spec {
	const struct vmc_engine_ops *ops;
	struct vmc_engine_cfg cfg;
	const char *label;              /* printed in mismatch reports */
};

#endif /* VMC_ENGINE_H */
