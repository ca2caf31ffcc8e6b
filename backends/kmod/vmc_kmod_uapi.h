/* SPDX-License-Identifier: MIT OR GPL-2.0-only */
/*
 * vmc_kmod_uapi.h - what crosses between the vmcore module's character
 * device (/dev/vmcore) and userspace (the static guest driver, vmc-guest).
 *
 * Theory
 * ------
 * One ioctl does one whole run: userspace hands over a binary op stream
 * (DESIGN.md section 5, the fuzzers' encoding), an engine choice and a
 * buffer; the module decodes the stream with the same decoder the host
 * uses, runs it through the same runner (fuzz/vmc_run.c) on the chosen
 * engine, and copies the trace back, one line per op, exactly as
 * `vmcore-replay --trace` prints it on the host:
 *
 *   VMC_KMOD_ENGINE_CORE   libvmcore on the kmod page-table backend (real
 *                          kernel PTEs in a window of the kernel's vmalloc
 *                          space);
 *   VMC_KMOD_ENGINE_LINUX  the kernel's own vmalloc, vmap, ioremap,
 *                          vm_map_ram, through their exported calls;
 *   VMC_KMOD_ENGINE_DIFF   both, in lock step in observe mode (the flag is
 *                          implied): the runner compares them op by op and
 *                          stops at the first difference that is not a
 *                          known divergence (backends/kmod/DIVERGENCES.md);
 *                          known ones appear as "# ignored" comment lines.
 *                          fail() ops are dropped (fault injection reaches
 *                          the core only) and frees through a register
 *                          whose area was freed are skipped (the answer
 *                          depends on address reuse, and the kernel must
 *                          not be asked); `ops` counts what ran; the
 *                          default frame budget is 65536, not 8192.
 *
 * A second ioctl reports what the core engine would run on (the window,
 * the geometry, the frame budget), so the host can set up a sim arena the
 * same shape and compare traces line by line.
 *
 * Everything here is checked by the module: unknown engines, flags or
 * reserved bits, lengths over the limits below, shapes it cannot honour,
 * unreadable or unwritable buffers all give -EINVAL (or -EFAULT for a bad
 * pointer: the whole trace buffer is checked and faulted in) before
 * anything runs.  Every byte string is a valid op stream, so the stream
 * itself cannot be malformed beyond its length.
 *
 * Bounds.  A run holds the device's one mutex, so it is bounded: before
 * every op the module stops if the caller has a fatal signal pending
 * (the ioctl returns -EINTR, after copying out the trace so far and the
 * run with status 2), if `max_ops` ops have run (0: no op limit beyond
 * the stream's), or if `max_ms` milliseconds have passed (0: the default
 * VMC_KMOD_DEF_MAX_MS, 10 min; at most VMC_KMOD_MAX_MS, 1 h); the last
 * two return 0 with status 2, the trace so far and `what` saying which
 * budget ran out.  One op is not interrupted, and the final check of a
 * run that stopped is skipped.
 *
 * All fields are fixed-width; the layout is the same for 32- and 64-bit
 * userspace (pointers travel as __u64).
 */
#ifndef VMC_KMOD_UAPI_H
#define VMC_KMOD_UAPI_H

#ifdef __KERNEL__
#include <linux/types.h>
#include <linux/ioctl.h>
#else
#include <linux/types.h>
#include <sys/ioctl.h>
#endif

#define VMC_KMOD_DEVICE         "/dev/vmcore"

#define VMC_KMOD_ENGINE_CORE    0u
#define VMC_KMOD_ENGINE_LINUX   1u
#define VMC_KMOD_ENGINE_DIFF    2u      /* both in lock step, observe mode */
#define VMC_KMOD_ENGINE_NR      3u

/* run.flags */
#define VMC_KMOD_CHECK          0x1u    /* full invariant check after every op */
#define VMC_KMOD_OBSERVE        0x2u    /* address results print placement-
					   independent observables, not offsets */
#define VMC_KMOD_FLAGS          0x3u    /* every known flag */

#define VMC_KMOD_STREAM_MAX     (4u << 20)      /* bytes of op stream */
#define VMC_KMOD_TRACE_MAX      (64u << 20)     /* bytes of trace buffer */

/* Run budgets (vmc_kmod_run.max_ms, see Bounds above). */
#define VMC_KMOD_DEF_MAX_MS     600000ULL       /* 10 min: more than any
						   corpus run takes under TCG (60 s
						   cut corpus/sizes.txt short) */
#define VMC_KMOD_MAX_MS         3600000ULL      /* 1 h */

/* The defaults a zero field of a shape stands for. */
#define VMC_KMOD_DEF_ARENA      (1ULL << 30)    /* 1 GiB window */
#define VMC_KMOD_DEF_FRAMES     8192ULL
#define VMC_KMOD_DEF_FRAMES_DIFF 65536ULL       /* VMC_KMOD_ENGINE_DIFF */
#define VMC_KMOD_DEF_DEV_FRAMES 1024ULL         /* 4 MiB: the whole BAR */
#define VMC_KMOD_ARENA_MAX      (4ULL << 30)    /* largest arena_size; it must
						   also be at most the guest's RAM
						   (vmap() maps no more pages than
						   totalram_pages(), even of one
						   repeated page) */

/* The shape of the arena the core engine gets (0 in a run: the default). */
struct vmc_kmod_shape {
	__u64 arena_size;       /* bytes of the window; default 1 GiB */
	__u64 nr_frames;        /* frame budget of the backend; default 8192
				   (65536 for VMC_KMOD_ENGINE_DIFF) */
	__u64 dev_frames;       /* device region frames; default 1024 (4 MiB BAR) */
};

struct vmc_kmod_run {
	__u32 engine;           /* VMC_KMOD_ENGINE_* */
	__u32 flags;            /* VMC_KMOD_* */
	__u64 stream;           /* user pointer to the binary op stream */
	__u64 stream_len;       /* its bytes, <= VMC_KMOD_STREAM_MAX */
	__u64 trace;            /* user pointer to the trace buffer */
	__u64 trace_len;        /* its bytes, <= VMC_KMOD_TRACE_MAX */
	struct vmc_kmod_shape shape;    /* in; out: with the defaults used */
	__u64 max_ops;          /* op budget; 0: none (Bounds above) */
	__u64 max_ms;           /* time budget; 0: VMC_KMOD_DEF_MAX_MS */
	__u64 reserved[2];      /* must be zero */
	/* out */
	__u64 trace_used;       /* bytes of trace written (text, no NUL) */
	__u64 ops;              /* ops the stream decoded to */
	__s32 status;           /* 0 clean, 1 check failed (what says why),
				   2 stopped by a budget or a fatal signal
				   (what says which; the trace so far),
				   -errno: the engine could not be set up */
	__u32 truncated;        /* 1 if the trace did not fit */
	__u64 vstart, vend;     /* core engine: the arena (window) it ran in */
	char geometry[16];      /* core engine: "x86_64" or "la57" */
	char what[256];         /* NUL-terminated summary when status != 0 */
};

/* What the core engine runs on, for the host's matching sim arena. */
struct vmc_kmod_info {
	struct vmc_kmod_shape shape;    /* in: as in a run (0: default) */
	__u64 reserved[4];              /* in: must be zero */
	/* out */
	__u64 vstart, vend;             /* the arena [vstart, vend) */
	__u64 dev_phys, dev_size;       /* the device region (the BAR) */
	__u32 levels;                   /* 4 or 5 */
	__u32 features;                 /* VMC_BF_* offered */
	__u32 nr_nodes;
	__u32 dev_is_bar;               /* 1: ivshmem BAR; 0: RAM stand-in */
	char geometry[16];              /* "x86_64" or "la57" */
};

#define VMC_KMOD_IOC_MAGIC      'v'
#define VMC_KMOD_IOC_RUN        _IOWR(VMC_KMOD_IOC_MAGIC, 1, struct vmc_kmod_run)
#define VMC_KMOD_IOC_INFO       _IOWR(VMC_KMOD_IOC_MAGIC, 2, struct vmc_kmod_info)

#endif /* VMC_KMOD_UAPI_H */
