/* SPDX-License-Identifier: MIT */
/*
 * vmc_engine.h - engines that execute op streams, and the runner that
 * drives several of them in lock step and compares their traces.
 *
 * An engine executes one op at a time against one implementation:
 *   "core"   libvmcore on a backend (sim in any geometry, mmap), through
 *            the public API only (vmcore.h);
 *   "model"  the naive reference model (fuzz/model/): an independent,
 *            deliberately simple implementation of the same semantics;
 *   "linux"  in the kernel module only (backends/kmod/kmod_linux.c): the
 *            kernel's own vmalloc family, whose addresses are not
 *            comparable with the core's: it runs in observe mode (below).
 * The core engine also runs on the kmod backend inside the module
 * (vmc_engine_core_kmod); this header and vmc_run.h compile in both worlds.
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

#ifdef __KERNEL__
#include "vmc_env.h"
#else
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#endif

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
	/* Appended for the kmod backend: */
	uint64_t arena_start;           /* absolute arena start, page aligned,
					   inside the backend's space
					   (vmc_arena_config.start);
					   0: backend default */
	bool observe;                   /* observe mode (VMC_RUN_OBSERVE):
					   address results carry
					   vmc_engine_observe's detail */
	/* Appended: */
	unsigned int placement;         /* VMC_PLACEMENT_LINUX (0) / _EXACT */
	/* Appended: VMC_PROFILE_LINUX_6_1 (0) / _6_12 (vmcore.h), and the
	   arena's CPU count (0: 1; an op's cpu= is taken modulo it). */
	unsigned int profile;
	unsigned int nr_cpus;
};
/* vmc_engine_cfg.profile values (vmcore.h's VMC_PROFILE_*). */
#define VMC_ENGINE_PROFILE_LINUX_6_1  0u
#define VMC_ENGINE_PROFILE_LINUX_6_12 1u

/*
 * The vmap-area allocator's calls during one op (vmcore.h's
 * vmc_va_event, same kinds and meaning), addresses as offsets.
 */
#define VMC_RESULT_VA_EV 32
#define VMC_ENGINE_EV_ALLOC 1   /* found [off, off + size) */
#define VMC_ENGINE_EV_NOFIT 2   /* searched, no room */
#define VMC_ENGINE_EV_LAZY  3   /* [off, off + size) busy -> lazy */
#define VMC_ENGINE_EV_FREE  4   /* [off, off + size) busy -> free */
#define VMC_ENGINE_EV_PURGE 5   /* lazy -> free */
/* vmc_va_ev.flags: vmcore.h's VMC_VA_EVF_* (linux-6.12 profile). */
#define VMC_ENGINE_EVF_POOL  0x1        /* ALLOC served from a node pool */
#define VMC_ENGINE_EVF_RETRY 0x2        /* the search after the purge */
#define VMC_ENGINE_EVF_FULL  0x4        /* PURGE with full pool decay */
#define VMC_ENGINE_EVF_NOMEM 0x8        /* NOFIT: metadata failed after the pool */
struct vmc_va_ev {
	unsigned char kind;             /* VMC_ENGINE_EV_* */
	uint64_t off, size;
	uint64_t align, vstart, vend;   /* ALLOC, NOFIT: the request */
	/* Appended: the calling CPU and VMC_VA_EVF_* (vmcore.h). */
	uint32_t cpu;
	uint8_t flags;
};

struct vmc_result {
	int err;                        /* 0 or negative errno */
	bool has_addr;                  /* the op returns an address */
	uint64_t off;                   /* that address - arena start */
	char detail[160];               /* verify mismatch, check violation, ... */
	bool ignore;                    /* engine lost sync (model after fail(meta)): do not compare */
	const char *why;                /* with ignore: why (static text), for the
					   "# ignored" trace comment */
	/* Appended: the core engine's VA events during the op, which a
	   following engine (the model in Linux placement) checks and takes
	   over; nva_ev > VMC_RESULT_VA_EV: too many, the rest lost. */
	unsigned int nva_ev;
	struct vmc_va_ev va_ev[VMC_RESULT_VA_EV];
	uint64_t va_base;               /* the arena start the offsets are from */
	/* Appended: the arena's size (the vmalloc range [va_base, +va_size)). */
	uint64_t va_size;
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
	/*
	 * Incremental check of what the ops since the previous check changed
	 * (core: vmc_check_changed); 0 or invariant number.  NULL: the
	 * engine has nothing cheaper than ->check, which then runs at the
	 * full checks only (the oracles: their tiling walk is O(areas)).
	 */
	int  (*check_changed)(void *state, char *msg, size_t len);
	/*
	 * Appended for the vmallocinfo() op: the implementation's
	 * /proc/vmallocinfo dump, one emit() call per line (addresses as
	 * offsets from the arena start, so dumps of two backends compare).
	 * Called by the runner after the op's own ->exec, only when there
	 * is a trace sink.  NULL: the engine has no such dump (the model, the
	 * kernel's own vmalloc); nothing is printed for it.
	 */
	void (*vmallocinfo)(void *state,
			    void (*emit)(void *arg, const char *line),
			    void *arg);
	/*
	 * Appended, optional: execute one op following `lead`, the result
	 * of the run's first engine without exec_follow (a core engine) for
	 * the same op, which the runner has already executed.  NULL: the
	 * engine never follows; with no lead in the run, exec is used.
	 */
	void (*exec_follow)(void *state, const struct vmc_op *op,
			    const struct vmc_result *lead,
			    struct vmc_result *res);
};

/*
 * The data pattern of write/verify: byte `off` (from the register's
 * address) of pattern `seed`.  Seed 0 is all zero bytes, so
 * verify(rS, ..., seed=0) checks zero-filled memory.  Every engine writes
 * and checks exactly these bytes: vmc_pattern_word(seed, off / 8), byte
 * off % 8 of it (bits 8k to 8k + 7 are byte k).
 */
static inline uint64_t vmc_pattern_word(uint64_t seed, uint64_t w)
{
	uint64_t x;

	if (!seed)
		return 0;
	x = seed * 0x9e3779b97f4a7c15ULL + w;
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ULL;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebULL;
	x ^= x >> 31;
	return x;
}

static inline uint8_t vmc_pattern_byte(uint64_t seed, uint64_t off)
{
	return (uint8_t)(vmc_pattern_word(seed, off >> 3) >> ((off & 7) * 8));
}

/*
 * buf[0..n) = the pattern bytes at off, off + 1, ...: the same bytes as
 * vmc_pattern_byte(), one hash per 8-byte word instead of one per byte.
 */
static inline void vmc_pattern_fill(uint64_t seed, uint64_t off, uint8_t *buf,
				    size_t n)
{
	size_t i = 0;

	while (i < n) {
		uint64_t x = vmc_pattern_word(seed, (off + i) >> 3);
		unsigned int b = (unsigned int)((off + i) & 7);

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
		/* A whole word: byte b of the word is byte b in memory. */
		if (!b && n - i >= 8) {
			memcpy(buf + i, &x, 8);
			i += 8;
			continue;
		}
#endif
		for (; b < 8 && i < n; b++, i++)
			buf[i] = (uint8_t)(x >> (b * 8));
	}
}

/*
 * write/verify of `op` on the area at `base`, the same for every engine:
 * the pattern goes through `access` (0 or a negative errno, like
 * vmc_write/vmc_read) in 4 KiB chunks, so a mismatch is reported before a
 * later fault; a mismatch is -EIO with the offset and both bytes in
 * res->detail.  Defined in vmc_run.c.
 */
void vmc_engine_data(const struct vmc_op *op, unsigned long base,
		     int (*access)(void *ctx, unsigned long va, void *buf,
				   size_t len, bool write),
		     void *ctx, struct vmc_result *res);

/*
 * Observe mode, for engines whose addresses do not compare (the kernel's
 * own vmalloc against the core): after a successful address op an engine
 * with cfg->observe calls this with the address it got and its own
 * translation (`translate`: 0 and *pfn when va is mapped, nonzero when
 * not).  It fills res->detail with
 *     "pages=N guard=G pgoff=0xP align=A"
 * where, with span = PAGE_ALIGN(size) (vmalloc family, vrealloc),
 * pages * 4096 (vmap, vm_map_ram) or PAGE_ALIGN((phys & 0xfff) + size)
 * (ioremap), and base = addr & ~0xfff:
 *   N  pages of [base, base + span) that translate;
 *   G  "mapped" or "unmapped": the page at base + span ("-" for
 *      vm_map_ram: areas carved from vmap blocks have no guard page);
 *   P  addr & 0xfff;
 *   A  "ok" or "bad": base aligned to max(op->align, 4096) (vmalloc and
 *      vmalloc_range only; "-" for every other op).
 * The runner then prints "= addr (DETAIL)" and compares the detail
 * instead of the offset.  res->off must still be set (to anything that is
 * unique per page, e.g. the address itself): the runner's register file
 * uses it to know which registers a free kills.  Defined in vmc_run.c.
 */
void vmc_engine_observe(const struct vmc_op *op, unsigned long addr,
			int (*translate)(void *ctx, unsigned long va,
					 unsigned long *pfn),
			void *ctx, struct vmc_result *res);

/*
 * Result conventions (what every engine fills in, what the runner
 * compares; see vmc_run.c):
 *   address ops (vmalloc family, vmap, ioremap, vm_map_ram, vrealloc):
 *     success: has_addr = true, err = 0, off = address - arena start;
 *     NULL:    has_addr = false, err = vmc_last_error() (vrealloc(p, 0)
 *              returns NULL with err 0 or vfree's error);
 *   vfree, vunmap, iounmap, vm_unmap_ram: err = the call's return;
 *   write: err = 0 or the access error; verify: err = 0, or -EIO with
 *     detail "+0xOFF: got 0xGG want 0xWW" (first differing byte, OFF from
 *     the register's address), or the access error;
 *   purge, fail, check: err = 0 (the runner calls check() itself);
 *   vmallocinfo: err = 0 for every engine (printed "ok"); the dump goes
 *     to the trace as comment lines through ->vmallocinfo;
 *   vm_unmap_ram(rS) without pages: the runner fills in the page count
 *     of the vm_map_ram that set the register (0 if it did not), so
 *     engines see the same count;
 *   ignore: an engine that lost sync (the model after fail(meta)) sets
 *     it; the runner then compares the others only.
 */

/* An engine bound to a configuration, by name. */
struct vmc_engine_spec {
	const struct vmc_engine_ops *ops;
	struct vmc_engine_cfg cfg;
	const char *label;              /* printed in mismatch reports */
};

#endif /* VMC_ENGINE_H */
