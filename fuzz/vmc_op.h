/* SPDX-License-Identifier: MIT */
/*
 * vmc_op.h - operation streams: one op set for tests, fuzzers, replay, the
 * kernel module and benchmarks (DESIGN.md section 5).
 *
 * A stream is an array of struct vmc_op.  It has two encodings, converted
 * losslessly both ways (text -> ops -> binary -> ops -> text gives the
 * same text, canonically printed):
 *
 *   text    one op per line, `#` comments, what people read and write:
 *             r0 = vmalloc(size=0x5000)
 *             r1 = vmalloc(size=0x400000, align=0x200000, huge=1)
 *             vfree(r1)
 *           Parse errors name the line and the column.
 *   binary  what fuzzers mutate: decoded forgivingly, so every byte string
 *           is a valid program; running out of bytes ends the stream.
 *
 * Registers r0..r(VMC_OP_REGS-1) name results.  Offsets (`start`, `end`
 * of vmalloc_range, `phys` of ioremap) are relative to the arena start or
 * the device region, so a stream means the same on every backend.
 */
#ifndef VMC_OP_H
#define VMC_OP_H

#ifdef __KERNEL__
#include "vmc_env.h"
#else
#include <stddef.h>
#include <stdint.h>
#endif

#define VMC_OP_REGS 64          /* registers r0 .. r63 */
/*
 * Ops in one stream at most, text or binary: the text parser refuses a
 * longer text, vmc_op_decode_max says when a binary input holds more
 * (vmcore-replay refuses it), and the fuzz targets run the first
 * VMC_OP_MAX ops of an input (so does the kernel module).  A libFuzzer
 * input of the shipped max_len (4096 bytes) holds about that many ops:
 * the corpus averages four bytes an op.
 */
#define VMC_OP_MAX  1024
/* The highest cpu= an op may name (Linux 6.12 has at most 128 vmap nodes;
 * CPUs beyond the arena's nr_cpus are refused by the engines). */
#define VMC_OP_CPU_MAX 1023

enum vmc_op_kind {
	VMC_OP_VMALLOC = 0,     /* rD = vmalloc(size, [align], [huge], [node], [zero]) */
	VMC_OP_VZALLOC,         /* rD = vzalloc(size, [node]) */
	VMC_OP_VMALLOC_NODE,    /* rD = vmalloc_node(size, node) */
	VMC_OP_VMALLOC_HUGE,    /* rD = vmalloc_huge(size) */
	VMC_OP_VMALLOC_RANGE,   /* rD = vmalloc_range(size, align, start, end, [node], [huge], [zero]) */
	VMC_OP_VFREE,           /* vfree(rS) */
	VMC_OP_VMAP,            /* rD = vmap(pages): the harness provides the frames */
	VMC_OP_VUNMAP,          /* vunmap(rS): the harness frees its frames */
	VMC_OP_IOREMAP,         /* rD = ioremap(phys, size) */
	VMC_OP_IOUNMAP,         /* iounmap(rS) */
	VMC_OP_VM_MAP_RAM,      /* rD = vm_map_ram(pages, [node]) */
	VMC_OP_VM_UNMAP_RAM,    /* vm_unmap_ram(rS, [pages]): default the mapped count */
	VMC_OP_VREALLOC,        /* rD = vrealloc(rS, size) */
	VMC_OP_WRITE,           /* write(rS, off, len, seed) */
	VMC_OP_VERIFY,          /* verify(rS, off, len, seed) */
	VMC_OP_PURGE,           /* purge() */
	VMC_OP_FAIL,            /* fail(frames=N | tables=N | meta=N) */
	VMC_OP_CHECK,           /* check() */
	VMC_OP_VMALLOCINFO,     /* vmallocinfo(): the /proc/vmallocinfo dump, as
				   trace comments (engines that have one) */
	VMC_OP_CONFIG,          /* config(placement=linux|exact, [profile=linux-6.1|linux-6.12]): the stream's
				   settings; text only, first op only (the
				   runner applies it when it creates engines) */
	VMC_OP_NR
};

/* The kinds the binary form has: every one before config(). */
#define VMC_OP_BIN_NR   (VMC_OP_VMALLOCINFO + 1)

/* What fail() arms (values of enum vmc_fault_kind). */
enum vmc_op_fail { VMC_OP_FAIL_FRAMES = 0, VMC_OP_FAIL_TABLES = 1,
		   VMC_OP_FAIL_META = 2 };

struct vmc_op {
	enum vmc_op_kind kind;
	int dst;                /* result register, -1 if none */
	int src;                /* operand register, -1 if none */
	uint64_t size;          /* bytes (vmalloc*, ioremap, vrealloc) */
	uint64_t align;         /* vmalloc/vmalloc_range; 0 = default */
	uint64_t start, end;    /* vmalloc_range: offsets from the arena start */
	uint64_t phys;          /* ioremap: offset into the device region */
	uint64_t off, len;      /* write/verify */
	uint64_t seed;          /* write/verify: data pattern */
	uint64_t nth;           /* fail: the nth next allocation */
	uint32_t pages;         /* vmap, vm_map_ram, vm_unmap_ram (0 = default) */
	int32_t node;           /* -1 = no node */
	uint8_t huge;           /* vmalloc/vmalloc_range: VM_ALLOW_HUGE_VMAP */
	uint8_t zero;           /* vmalloc/vmalloc_range: __GFP_ZERO */
	uint8_t fail;           /* enum vmc_op_fail */
	uint8_t placement;      /* config: VMC_PLACEMENT_LINUX (0) / _EXACT (1) */
	uint32_t line;          /* text: source line (1-based); binary: op index + 1 */
	/* Appended: the CPU the op runs on (`cpu=`, any op; default 0): under
	   the linux-6.12 profile it picks the vmap node and vmap-block queue
	   (vmc_set_cpu).  At most VMC_OP_CPU_MAX. */
	uint32_t cpu;
	/* Appended: config: 0 (not given: each engine keeps its own),
	   1 + VMC_PROFILE_LINUX_6_1 or 1 + VMC_PROFILE_LINUX_6_12. */
	uint8_t profile;
};

/* Name of an op kind as written in text ("vmalloc", ...). */
const char *vmc_op_name(enum vmc_op_kind kind);

#ifndef __KERNEL__
/*
 * Text (vmc_op_text.c, userspace only).  vmc_op_parse parses a whole
 * text; on success it returns 0 and a malloc'ed array in *ops (*n
 * entries).  On a parse error it returns -1 and writes "LINE:COL:
 * message" into err[errlen].
 */
int vmc_op_parse(const char *text, size_t len, struct vmc_op **ops,
		 size_t *n, char *err, size_t errlen);
#endif
/* Print one op in canonical text form (no newline); returns chars written
 * as snprintf does. */
int vmc_op_format(const struct vmc_op *op, char *buf, size_t len);

/*
 * Binary.  vmc_op_decode never fails: every byte string is a program.
 * It returns an array (possibly empty, never NULL unless out of memory)
 * of at most VMC_OP_MAX ops.  vmc_op_encode writes the binary form;
 * returns a buffer and its length in *len.  Both buffers come from
 * vmc_env_zalloc: free them with vmc_env_free (free() in userspace).
 */
struct vmc_op *vmc_op_decode(const uint8_t *data, size_t size, size_t *n);
/*
 * vmc_op_decode with at most `max` ops (capped at VMC_OP_MAX); *more is
 * set to 1 when the bytes after the last op returned hold at least one
 * more whole op (the input is over the limit), else 0.
 */
struct vmc_op *vmc_op_decode_max(const uint8_t *data, size_t size,
				 size_t max, size_t *n, int *more);
uint8_t *vmc_op_encode(const struct vmc_op *ops, size_t n, size_t *len);
/* Non-zero when the stream has a text-only op (config()): no binary form. */
int vmc_op_text_only(const struct vmc_op *ops, size_t n);

/* --- helpers (added with the codecs) --- */

/* An op of `kind` with every field at its default: no registers, node -1,
 * everything else 0. */
void vmc_op_init(struct vmc_op *op, enum vmc_op_kind kind);
/* 1 if ops of `kind` return an address into a result register. */
int vmc_op_has_dst(enum vmc_op_kind kind);
/* 1 if ops of `kind` take an operand register. */
int vmc_op_has_src(enum vmc_op_kind kind);
/* 1 if a and b are the same op (every field but `line`). */
int vmc_op_equal(const struct vmc_op *a, const struct vmc_op *b);
/*
 * Grow (or shrink) an array of `old_n` elements of `elem` bytes at `p`
 * (NULL when old_n is 0) to `new_n` elements, in both worlds (the kernel
 * has no realloc of kvzalloc'ed memory in every version): a new zeroed
 * array (vmc_env_zalloc) with the first min(old_n, new_n) elements
 * copied, `p` freed.  NULL when out of memory or when new_n * elem
 * overflows; `p` is then left as it was.
 */
void *vmc_op_grow(void *p, size_t old_n, size_t new_n, size_t elem);

#endif /* VMC_OP_H */
