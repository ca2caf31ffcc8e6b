/* SPDX-License-Identifier: MIT */
/*
 * vmc_op_bin.c - the binary form of op streams, for fuzzers.
 *
 * Format
 * ------
 * A stream is a sequence of ops, each an opcode byte followed by the
 * op's fields in a fixed order.  There is no header and no length: the
 * decoder reads ops until the bytes run out; an op cut short is dropped.
 * Every byte string is therefore a valid program, and a mutation of one
 * byte changes one field or re-reads the ops after it.
 *
 *   opcode   one byte b: kind = b when b < 19, else b % 18.  The
 *            18 ops of the first format (vmalloc .. check) kept their
 *            bytes 0..17 and their meaning for every b != 18; byte 18,
 *            once a second spelling of vmalloc, is now vmallocinfo, so
 *            existing inputs decode as before unless they hold a byte 18
 *            where an opcode is read.
 *   REG      one byte b: b < 128 -> r(b % 8), else r((b - 128) % 64).
 *            Half the byte space lands on r0..r7, so random inputs reuse
 *            (and free, and double free) the same few registers.
 *   NUM      a 64-bit value: a tag byte t, class c = t >> 4, k = t & 15,
 *            then 0 to 8 more bytes.  P is the page size (4 KiB).
 *              c 0   k                          small values 0..15
 *              c 1   (k + 1) * P                1..16 pages
 *              c 2   ((k << 8 | b) + 1) * P     1..4096 pages      (+1 byte)
 *              c 3   1 << k                     powers of two 2^0..2^15
 *              c 4   1 << (16 + k)              2^16..2^31
 *              c 5   1 << (32 + k)              2^32..2^47
 *              c 6   1 << (48 + k)              2^48..2^63
 *              c 7   (b + 1) * H + D            near huge sizes    (+1 byte)
 *                    H = {2 MiB, 4 MiB, 1 GiB, 512 GiB}[k >> 2],
 *                    D = {-P, 0, +P, +1}[k & 3]
 *              c 8   A + D                      near whole spaces
 *                    A = {1 GiB (the default arenas), 0x6ffe000 (the
 *                    i386 space), 32 TiB, 12800 TiB}[k >> 2],
 *                    D = {-2P, -P, 0, +P}[k & 3]
 *              c 9   k << 16 | b1 << 8 | b2     any 20-bit value: unaligned
 *                                               offsets and phys   (+2 bytes)
 *              c 10  (k + 1) * 2 MiB            PMD multiples
 *              c 11  (k + 1) * P - 1            just under a page multiple
 *              c 12  2^64 - 1 - k               overflow edges
 *              c 13  (k + 1) * P + 1            just over a page multiple
 *              c 14  k << 8 | b                 counts 0..4095     (+1 byte)
 *              c 15  little-endian, (k & 7) + 1 bytes: any value (k > 7
 *                    reads the same as k & 7)
 *   NODE     a NUM n: node = n - 1 (n = 0 is "no node", -1); values
 *            beyond INT32_MAX + 1 read as -1.
 *   PAGES    a NUM, truncated to 32 bits.
 *   CPU      opcode byte 0xfe (BIN_CPU), then a NUM: the next op's cpu=
 *            (modulo VMC_OP_CPU_MAX + 1); a prefix, not an op.  Before the
 *            linux-6.12 profile 0xfe folded to vmalloc_node.
 *   FLAGS    one byte: bit 0 huge, bit 1 zero, bit 2 align follows,
 *            bit 3 node follows (vmalloc only); other bits ignored.
 *
 * Fields by op (registers first):
 *   vmalloc        dst FLAGS size [align] [node]
 *   vzalloc        dst size node          vmalloc_node  dst size node
 *   vmalloc_huge   dst size
 *   vmalloc_range  dst size align start end FLAGS(huge, zero) node
 *   vfree, vunmap, iounmap                src
 *   vmap           dst pages              ioremap       dst phys size
 *   vm_map_ram     dst pages node         vm_unmap_ram  src pages
 *   vrealloc       dst src size
 *   write, verify  src off len seed
 *   purge, check, vmallocinfo   (nothing)  fail          kind(byte % 3) nth
 *
 * The encoder picks the shortest NUM form of each value, so
 * decode(encode(ops)) == ops for every op text can express, and
 * encode(decode(bytes)) is a fixed point after one round.
 *
 * Kernel-safe: the vmcore module decodes what userspace sends with this
 * file, so it includes only vmc_env.h and allocates with vmc_env_zalloc
 * (vmc_op_grow); sizes are bounded by VMC_OP_MAX and checked for
 * overflow there.
 */
#include "vmc_env.h"
#include "vmc_op.h"

#ifndef INT32_MAX                /* the kernel has S32_MAX only */
#define INT32_MAX 0x7fffffff
#endif

#define P 4096ULL
#define MIB (1ULL << 20)
#define GIB (1ULL << 30)

static const uint64_t bin_huge[4] = { 2 * MIB, 4 * MIB, GIB, 512 * GIB };
static const int64_t bin_huge_d[4] = { -(int64_t)P, 0, (int64_t)P, 1 };
static const uint64_t bin_space[4] = { GIB, 0x6ffe000ULL, 32ULL << 40,
				       12800ULL << 40 };
static const int64_t bin_space_d[4] = { -2 * (int64_t)P, -(int64_t)P, 0,
					(int64_t)P };

/* ---------- decoding ---------- */

struct bin_in {
	const uint8_t *p, *end;
	int short_;                     /* ran out of bytes */
};

static uint8_t bin_byte(struct bin_in *in)
{
	if (in->p >= in->end) {
		in->short_ = 1;
		return 0;
	}
	return *in->p++;
}

static int bin_reg(struct bin_in *in)
{
	uint8_t b = bin_byte(in);

	return b < 128 ? b % 8 : (b - 128) % VMC_OP_REGS;
}

static uint64_t bin_num(struct bin_in *in)
{
	uint8_t t = bin_byte(in), b, b2;
	unsigned int c = t >> 4, k = t & 15, i;
	uint64_t v;

	switch (c) {
	case 0:  return k;
	case 1:  return (k + 1) * P;
	case 2:  b = bin_byte(in); return (((uint64_t)k << 8 | b) + 1) * P;
	case 3:  return 1ULL << k;
	case 4:  return 1ULL << (16 + k);
	case 5:  return 1ULL << (32 + k);
	case 6:  return 1ULL << (48 + k);
	case 7:
		b = bin_byte(in);
		return (b + 1ULL) * bin_huge[k >> 2] +
		       (uint64_t)bin_huge_d[k & 3];
	case 8:  return bin_space[k >> 2] + (uint64_t)bin_space_d[k & 3];
	case 9:
		b = bin_byte(in);
		b2 = bin_byte(in);
		return (uint64_t)k << 16 | (uint64_t)b << 8 | b2;
	case 10: return (k + 1) * 2 * MIB;
	case 11: return (k + 1) * P - 1;
	case 12: return UINT64_MAX - k;
	case 13: return (k + 1) * P + 1;
	case 14: b = bin_byte(in); return (uint64_t)k << 8 | b;
	default:
		v = 0;
		for (i = 0; i <= (k & 7); i++)
			v |= (uint64_t)bin_byte(in) << (8 * i);
		return v;
	}
}

static int32_t bin_node(struct bin_in *in)
{
	uint64_t n = bin_num(in);

	if (n == 0 || n > (uint64_t)INT32_MAX + 1)
		return -1;
	return (int32_t)(n - 1);
}

/* Opcodes above the op kinds fold onto the first format's 18 ops. */
#define BIN_OP_FOLD 18

/* The cpu= prefix (format above). */
#define BIN_CPU 0xfe

static enum vmc_op_kind bin_kind(uint8_t b)
{
	return (enum vmc_op_kind)(b < VMC_OP_BIN_NR ? b : b % BIN_OP_FOLD);
}

static void bin_decode_op(struct bin_in *in, struct vmc_op *op)
{
	uint32_t cpu = 0;
	uint8_t b = bin_byte(in), fl;
	enum vmc_op_kind kind;

	while (b == BIN_CPU) {
		cpu = (uint32_t)(bin_num(in) % (VMC_OP_CPU_MAX + 1));
		b = bin_byte(in);
	}
	kind = bin_kind(b);
	vmc_op_init(op, kind);
	op->cpu = cpu;
	if (vmc_op_has_dst(kind))
		op->dst = bin_reg(in);
	if (vmc_op_has_src(kind))
		op->src = bin_reg(in);
	switch (kind) {
	case VMC_OP_VMALLOC:
		fl = bin_byte(in);
		op->size = bin_num(in);
		op->huge = fl & 1;
		op->zero = (fl >> 1) & 1;
		if (fl & 4)
			op->align = bin_num(in);
		if (fl & 8)
			op->node = bin_node(in);
		break;
	case VMC_OP_VZALLOC:
	case VMC_OP_VMALLOC_NODE:
		op->size = bin_num(in);
		op->node = bin_node(in);
		break;
	case VMC_OP_VMALLOC_HUGE:
	case VMC_OP_VREALLOC:
		op->size = bin_num(in);
		break;
	case VMC_OP_VMALLOC_RANGE:
		op->size = bin_num(in);
		op->align = bin_num(in);
		op->start = bin_num(in);
		op->end = bin_num(in);
		fl = bin_byte(in);
		op->huge = fl & 1;
		op->zero = (fl >> 1) & 1;
		op->node = bin_node(in);
		break;
	case VMC_OP_VMAP:
	case VMC_OP_VM_UNMAP_RAM:
		op->pages = (uint32_t)bin_num(in);
		break;
	case VMC_OP_VM_MAP_RAM:
		op->pages = (uint32_t)bin_num(in);
		op->node = bin_node(in);
		break;
	case VMC_OP_IOREMAP:
		op->phys = bin_num(in);
		op->size = bin_num(in);
		break;
	case VMC_OP_WRITE:
	case VMC_OP_VERIFY:
		op->off = bin_num(in);
		op->len = bin_num(in);
		op->seed = bin_num(in);
		break;
	case VMC_OP_FAIL:
		op->fail = bin_byte(in) % 3;
		op->nth = bin_num(in);
		break;
	default:
		break;
	}
}

struct vmc_op *vmc_op_decode_max(const uint8_t *data, size_t size,
				 size_t max, size_t *n, int *more)
{
	struct bin_in in = { data, data + size, 0 };
	struct vmc_op *v = NULL, op;
	size_t cnt = 0, cap = 0;

	if (max > VMC_OP_MAX)
		max = VMC_OP_MAX;
	while (in.p < in.end && cnt < max) {
		bin_decode_op(&in, &op);
		if (in.short_)
			break;
		if (cnt == cap) {
			struct vmc_op *nv;

			size_t ncap = cap ? cap * 2 : 64;

			nv = vmc_op_grow(v, cap, ncap, sizeof(*v));
			if (!nv) {
				vmc_env_free(v);
				return NULL;
			}
			v = nv;
			cap = ncap;
		}
		op.line = (uint32_t)cnt + 1;
		v[cnt++] = op;
	}
	*more = 0;
	if (cnt == max && in.p < in.end) {
		bin_decode_op(&in, &op);     /* a whole op past the limit? */
		*more = !in.short_;
	}
	if (!v)
		v = vmc_env_zalloc(sizeof(*v));
	*n = v ? cnt : 0;
	return v;
}

struct vmc_op *vmc_op_decode(const uint8_t *data, size_t size, size_t *n)
{
	int more;

	return vmc_op_decode_max(data, size, VMC_OP_MAX, n, &more);
}

/* ---------- encoding ---------- */

struct bin_out {
	uint8_t *buf;
	size_t len, cap;
	int oom;
};

static void bin_put(struct bin_out *o, uint8_t b)
{
	if (o->len == o->cap) {
		size_t cap = o->cap ? o->cap * 2 : 256;
		uint8_t *nb = o->oom ? NULL :
			      vmc_op_grow(o->buf, o->cap, cap, 1);

		if (!nb) {
			o->oom = 1;
			return;
		}
		o->buf = nb;
		o->cap = cap;
	}
	o->buf[o->len++] = b;
}

static void bin_put_reg(struct bin_out *o, int r)
{
	bin_put(o, r < 8 ? (uint8_t)r : (uint8_t)(128 + r));
}

static void bin_put_num(struct bin_out *o, uint64_t v)
{
	unsigned int c, k, nb;

	if (v < 16) {
		bin_put(o, (uint8_t)v);
		return;
	}
	if (v % P == 0 && v / P >= 1 && v / P <= 16) {
		bin_put(o, (uint8_t)(0x10 | (v / P - 1)));
		return;
	}
	if (v && !(v & (v - 1))) {
		unsigned int s = (unsigned int)__builtin_ctzll(v);

		bin_put(o, (uint8_t)((3 + s / 16) << 4 | (s % 16)));
		return;
	}
	for (k = 0; k < 16; k++) {
		if (bin_space[k >> 2] + (uint64_t)bin_space_d[k & 3] == v) {
			bin_put(o, (uint8_t)(0x80 | k));
			return;
		}
	}
	for (c = 10; c <= 13; c++) {
		for (k = 0; k < 16; k++) {
			uint64_t w = c == 10 ? (k + 1) * 2 * MIB :
				     c == 11 ? (k + 1) * P - 1 :
				     c == 12 ? UINT64_MAX - k : (k + 1) * P + 1;

			if (w == v) {
				bin_put(o, (uint8_t)(c << 4 | k));
				return;
			}
		}
	}
	if (v < 4096) {
		bin_put(o, (uint8_t)(0xe0 | (v >> 8)));
		bin_put(o, (uint8_t)v);
		return;
	}
	if (v % P == 0 && v / P >= 1 && v / P <= 4096) {
		bin_put(o, (uint8_t)(0x20 | ((v / P - 1) >> 8)));
		bin_put(o, (uint8_t)(v / P - 1));
		return;
	}
	for (k = 0; k < 16; k++) {
		uint64_t h = bin_huge[k >> 2], base = v - (uint64_t)bin_huge_d[k & 3];

		if (base % h == 0 && base / h >= 1 && base / h <= 256) {
			bin_put(o, (uint8_t)(0x70 | k));
			bin_put(o, (uint8_t)(base / h - 1));
			return;
		}
	}
	if (v < (1ULL << 20)) {
		bin_put(o, (uint8_t)(0x90 | (v >> 16)));
		bin_put(o, (uint8_t)(v >> 8));
		bin_put(o, (uint8_t)v);
		return;
	}
	for (nb = 1; nb < 8 && (v >> (8 * nb)); nb++)
		;
	bin_put(o, (uint8_t)(0xf0 | (nb - 1)));
	for (k = 0; k < nb; k++)
		bin_put(o, (uint8_t)(v >> (8 * k)));
}

static void bin_put_node(struct bin_out *o, int32_t node)
{
	bin_put_num(o, node < 0 ? 0 : (uint64_t)node + 1);
}

static void bin_encode_op(struct bin_out *o, const struct vmc_op *op)
{
	if (op->cpu) {
		bin_put(o, BIN_CPU);
		bin_put_num(o, op->cpu);
	}
	bin_put(o, (uint8_t)op->kind);
	if (vmc_op_has_dst(op->kind))
		bin_put_reg(o, op->dst);
	if (vmc_op_has_src(op->kind))
		bin_put_reg(o, op->src);
	switch (op->kind) {
	case VMC_OP_VMALLOC:
		bin_put(o, (uint8_t)((op->huge & 1) | (op->zero & 1) << 1 |
				     (op->align ? 4 : 0) |
				     (op->node != -1 ? 8 : 0)));
		bin_put_num(o, op->size);
		if (op->align)
			bin_put_num(o, op->align);
		if (op->node != -1)
			bin_put_node(o, op->node);
		break;
	case VMC_OP_VZALLOC:
	case VMC_OP_VMALLOC_NODE:
		bin_put_num(o, op->size);
		bin_put_node(o, op->node);
		break;
	case VMC_OP_VMALLOC_HUGE:
	case VMC_OP_VREALLOC:
		bin_put_num(o, op->size);
		break;
	case VMC_OP_VMALLOC_RANGE:
		bin_put_num(o, op->size);
		bin_put_num(o, op->align);
		bin_put_num(o, op->start);
		bin_put_num(o, op->end);
		bin_put(o, (uint8_t)((op->huge & 1) | (op->zero & 1) << 1));
		bin_put_node(o, op->node);
		break;
	case VMC_OP_VMAP:
	case VMC_OP_VM_UNMAP_RAM:
		bin_put_num(o, op->pages);
		break;
	case VMC_OP_VM_MAP_RAM:
		bin_put_num(o, op->pages);
		bin_put_node(o, op->node);
		break;
	case VMC_OP_IOREMAP:
		bin_put_num(o, op->phys);
		bin_put_num(o, op->size);
		break;
	case VMC_OP_WRITE:
	case VMC_OP_VERIFY:
		bin_put_num(o, op->off);
		bin_put_num(o, op->len);
		bin_put_num(o, op->seed);
		break;
	case VMC_OP_FAIL:
		bin_put(o, op->fail);
		bin_put_num(o, op->nth);
		break;
	default:
		break;
	}
}

int vmc_op_text_only(const struct vmc_op *ops, size_t n)
{
	return n && ops[0].kind == VMC_OP_CONFIG;
}

uint8_t *vmc_op_encode(const struct vmc_op *ops, size_t n, size_t *len)
{
	struct bin_out o = { NULL, 0, 0, 0 };
	size_t i;

	for (i = 0; i < n; i++)
		bin_encode_op(&o, &ops[i]);
	if (!o.buf && !o.oom)
		o.buf = vmc_env_zalloc(1);
	if (o.oom || !o.buf) {
		vmc_env_free(o.buf);
		*len = 0;
		return NULL;
	}
	*len = o.len;
	return o.buf;
}
