/* SPDX-License-Identifier: MIT */
/*
 * vmc_op.c - op names, the op table and the canonical text form of
 * op streams (DESIGN.md 5).  Kernel-safe: compiled into the vmcore module
 * too, so it includes only vmc_env.h; the parser of the text form is in
 * vmc_op_text.c (userspace only).
 *
 * Grammar, one op per line (blank lines and `#` comments ignored):
 *
 *   line  := [ REG "=" ] NAME "(" [ args ] ")" [ "#" comment ]
 *   args  := REG { "," key "=" num }  |  key "=" num { "," key "=" num }
 *   REG   := "r" decimal              (r0 .. r63)
 *   num   := "0x" hex | decimal       (node also "-1")
 *
 * A result register (`rN =`) is required exactly for the ops that return
 * an address; an operand register comes first and is required exactly
 * for vfree, vunmap, iounmap, vm_unmap_ram, vrealloc, write and verify.
 * Spaces may appear between any two tokens.
 *
 * Canonical form (what vmc_op_format prints, so text -> ops -> text is a
 * fixed point): one space around `=` of a result, none inside `key=value`,
 * ", " between arguments, keys in the order of the table below, required
 * keys always, optional keys only when not at their default (align 0,
 * node -1, huge 0, zero 0, pages 0).  Numbers that are bytes or patterns
 * (size, align, start, end, phys, off, len, seed) print in lower-case hex
 * with 0x; numbers that count or choose (pages, node, huge, zero and the
 * nth of fail) print in decimal.  The parser accepts either base anywhere.
 *
 * Parse errors are "LINE:COL: message", both 1-based, COL the byte where
 * the offending token starts.
 */
#include "vmc_env.h"
#include "vmc_op.h"
#include "vmc_op_spec.h"

const char *const vmc_op_key_name[K_NR] = {
	"size", "align", "start", "end", "phys", "off", "len", "seed",
	"pages", "node", "huge", "zero", "frames", "tables", "meta",
	"placement", "cpu", "profile",
};

const char *const vmc_op_placement_name[VMC_OP_PLACEMENTS] = {
	"linux", "exact",
};
const char *const vmc_op_profile_name[VMC_OP_PROFILES] = {
	"linux-6.1", "linux-6.12",
};

const struct op_spec vmc_op_specs[VMC_OP_NR] = {
	[VMC_OP_VMALLOC] = { "vmalloc", 1, 0,
		{ K_SIZE, K_ALIGN, K_HUGE, K_NODE, K_ZERO, -1 }, KB(K_SIZE) },
	[VMC_OP_VZALLOC] = { "vzalloc", 1, 0,
		{ K_SIZE, K_NODE, -1 }, KB(K_SIZE) },
	[VMC_OP_VMALLOC_NODE] = { "vmalloc_node", 1, 0,
		{ K_SIZE, K_NODE, -1 }, KB(K_SIZE) | KB(K_NODE) },
	[VMC_OP_VMALLOC_HUGE] = { "vmalloc_huge", 1, 0,
		{ K_SIZE, -1 }, KB(K_SIZE) },
	[VMC_OP_VMALLOC_RANGE] = { "vmalloc_range", 1, 0,
		{ K_SIZE, K_ALIGN, K_START, K_END, K_NODE, K_HUGE, K_ZERO, -1 },
		KB(K_SIZE) | KB(K_ALIGN) | KB(K_START) | KB(K_END) },
	[VMC_OP_VFREE] = { "vfree", 0, 1, { -1 }, 0 },
	[VMC_OP_VMAP] = { "vmap", 1, 0, { K_PAGES, -1 }, KB(K_PAGES) },
	[VMC_OP_VUNMAP] = { "vunmap", 0, 1, { -1 }, 0 },
	[VMC_OP_IOREMAP] = { "ioremap", 1, 0,
		{ K_PHYS, K_SIZE, -1 }, KB(K_PHYS) | KB(K_SIZE) },
	[VMC_OP_IOUNMAP] = { "iounmap", 0, 1, { -1 }, 0 },
	[VMC_OP_VM_MAP_RAM] = { "vm_map_ram", 1, 0,
		{ K_PAGES, K_NODE, -1 }, KB(K_PAGES) },
	[VMC_OP_VM_UNMAP_RAM] = { "vm_unmap_ram", 0, 1, { K_PAGES, -1 }, 0 },
	[VMC_OP_VREALLOC] = { "vrealloc", 1, 1, { K_SIZE, -1 }, KB(K_SIZE) },
	[VMC_OP_WRITE] = { "write", 0, 1, { K_OFF, K_LEN, K_SEED, -1 },
		KB(K_OFF) | KB(K_LEN) | KB(K_SEED) },
	[VMC_OP_VERIFY] = { "verify", 0, 1, { K_OFF, K_LEN, K_SEED, -1 },
		KB(K_OFF) | KB(K_LEN) | KB(K_SEED) },
	[VMC_OP_PURGE] = { "purge", 0, 0, { -1 }, 0 },
	[VMC_OP_FAIL] = { "fail", 0, 0, { K_FRAMES, K_TABLES, K_META, -1 }, 0 },
	[VMC_OP_CHECK] = { "check", 0, 0, { -1 }, 0 },
	[VMC_OP_VMALLOCINFO] = { "vmallocinfo", 0, 0, { -1 }, 0 },
	[VMC_OP_CONFIG] = { "config", 0, 0, { K_PLACEMENT, K_PROFILE, -1 },
		KB(K_PLACEMENT) },
};

const char *vmc_op_name(enum vmc_op_kind kind)
{
	if ((unsigned int)kind >= VMC_OP_NR)
		return "?";
	return vmc_op_specs[kind].name;
}

int vmc_op_has_dst(enum vmc_op_kind kind)
{
	return (unsigned int)kind < VMC_OP_NR && vmc_op_specs[kind].dst;
}

int vmc_op_has_src(enum vmc_op_kind kind)
{
	return (unsigned int)kind < VMC_OP_NR && vmc_op_specs[kind].src;
}

void vmc_op_init(struct vmc_op *op, enum vmc_op_kind kind)
{
	memset(op, 0, sizeof(*op));
	op->kind = kind;
	op->dst = -1;
	op->src = -1;
	op->node = -1;
}

void *vmc_op_grow(void *p, size_t old_n, size_t new_n, size_t elem)
{
	void *np;

	if (!elem || new_n > (size_t)-1 / elem)
		return NULL;
	np = vmc_env_zalloc(new_n * elem);
	if (!np)
		return NULL;
	if (p && old_n)
		memcpy(np, p, (old_n < new_n ? old_n : new_n) * elem);
	vmc_env_free(p);
	return np;
}

int vmc_op_equal(const struct vmc_op *a, const struct vmc_op *b)
{
	return a->kind == b->kind && a->dst == b->dst && a->src == b->src &&
	       a->size == b->size && a->align == b->align &&
	       a->start == b->start && a->end == b->end &&
	       a->phys == b->phys && a->off == b->off && a->len == b->len &&
	       a->seed == b->seed && a->nth == b->nth &&
	       a->pages == b->pages && a->node == b->node &&
	       a->huge == b->huge && a->zero == b->zero && a->fail == b->fail &&
	       a->placement == b->placement && a->cpu == b->cpu &&
	       a->profile == b->profile;
}

/* ---------- formatting ---------- */

static uint64_t op_key_get(const struct vmc_op *op, int k)
{
	switch (k) {
	case K_SIZE:   return op->size;
	case K_ALIGN:  return op->align;
	case K_START:  return op->start;
	case K_END:    return op->end;
	case K_PHYS:   return op->phys;
	case K_OFF:    return op->off;
	case K_LEN:    return op->len;
	case K_SEED:   return op->seed;
	case K_PAGES:  return op->pages;
	case K_NODE:   return (uint64_t)(int64_t)op->node;
	case K_HUGE:   return op->huge;
	case K_ZERO:   return op->zero;
	case K_PLACEMENT: return op->placement;
	case K_PROFILE:   return op->profile;
	default:       return op->nth;
	}
}

static int op_key_is_default(const struct vmc_op *op, int k)
{
	switch (k) {
	case K_ALIGN:  return op->align == 0;
	case K_NODE:   return op->node == -1;
	case K_HUGE:   return op->huge == 0;
	case K_ZERO:   return op->zero == 0;
	case K_PROFILE: return op->profile == 0;
	case K_PAGES:  return op->pages == 0;
	case K_FRAMES: return op->fail != VMC_OP_FAIL_FRAMES;
	case K_TABLES: return op->fail != VMC_OP_FAIL_TABLES;
	case K_META:   return op->fail != VMC_OP_FAIL_META;
	default:       return 0;
	}
}

/* snprintf into buf at *pos, keeping the would-be length like snprintf. */
static void op_put(char *buf, size_t len, size_t *pos, const char *fmt,
		   unsigned long long v, const char *s)
{
	size_t room = *pos < len ? len - *pos : 0;
	int n;

	if (s)
		n = snprintf(room ? buf + *pos : NULL, room, fmt, s);
	else
		n = snprintf(room ? buf + *pos : NULL, room, fmt, v);
	if (n > 0)
		*pos += (size_t)n;
}

int vmc_op_format(const struct vmc_op *op, char *buf, size_t len)
{
	const struct op_spec *sp;
	size_t pos = 0;
	int i, first = 1;

	if (len)
		buf[0] = '\0';
	if ((unsigned int)op->kind >= VMC_OP_NR)
		return snprintf(buf, len, "?(%d)", (int)op->kind);
	sp = &vmc_op_specs[op->kind];
	if (sp->dst)
		op_put(buf, len, &pos, "r%llu = ", (unsigned long long)op->dst,
		       NULL);
	op_put(buf, len, &pos, "%s(", 0, sp->name);
	if (sp->src) {
		op_put(buf, len, &pos, "r%llu", (unsigned long long)op->src,
		       NULL);
		first = 0;
	}
	for (i = 0; i < KEYS_MAX && sp->keys[i] >= 0; i++) {
		int k = sp->keys[i];
		uint64_t v = op_key_get(op, k);

		if (!(sp->required & KB(k)) && op_key_is_default(op, k))
			continue;
		op_put(buf, len, &pos, first ? "%s=" : ", %s=", 0,
		       vmc_op_key_name[k]);
		first = 0;
		if (k == K_PLACEMENT)
			op_put(buf, len, &pos, "%s", 0,
			       vmc_op_placement_name[v ? 1 : 0]);
		else if (k == K_PROFILE)
			op_put(buf, len, &pos, "%s", 0,
			       vmc_op_profile_name[v == 2 ? 1 : 0]);
		else if (k == K_NODE)
			op_put(buf, len, &pos, "%lld", (unsigned long long)v,
			       NULL);
		else if (k >= K_PAGES)
			op_put(buf, len, &pos, "%llu", v, NULL);
		else
			op_put(buf, len, &pos, "0x%llx", v, NULL);
	}
	if (op->cpu)
		op_put(buf, len, &pos, first ? "cpu=%llu" : ", cpu=%llu",
		       (unsigned long long)op->cpu, NULL);
	op_put(buf, len, &pos, ")", 0, "");
	return (int)pos;
}

