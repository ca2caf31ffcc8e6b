/*
 * vmc_op.c - op names and the text form of op streams (DESIGN.md 5).
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
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vmc_op.h"

enum op_key {
	K_SIZE, K_ALIGN, K_START, K_END, K_PHYS, K_OFF, K_LEN, K_SEED,
	K_PAGES, K_NODE, K_HUGE, K_ZERO, K_FRAMES, K_TABLES, K_META, K_NR
};

static const char *const op_key_name[K_NR] = {
	"size", "align", "start", "end", "phys", "off", "len", "seed",
	"pages", "node", "huge", "zero", "frames", "tables", "meta",
};

#define KB(k) (1u << (k))
#define KEYS_MAX 8

struct op_spec {
	const char *name;
	unsigned char dst, src;
	signed char keys[KEYS_MAX];     /* allowed keys, canonical order, -1 ends */
	unsigned int required;          /* KB() mask */
};

static const struct op_spec op_specs[VMC_OP_NR] = {
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
};

const char *vmc_op_name(enum vmc_op_kind kind)
{
	if ((unsigned int)kind >= VMC_OP_NR)
		return "?";
	return op_specs[kind].name;
}

int vmc_op_has_dst(enum vmc_op_kind kind)
{
	return (unsigned int)kind < VMC_OP_NR && op_specs[kind].dst;
}

int vmc_op_has_src(enum vmc_op_kind kind)
{
	return (unsigned int)kind < VMC_OP_NR && op_specs[kind].src;
}

void vmc_op_init(struct vmc_op *op, enum vmc_op_kind kind)
{
	memset(op, 0, sizeof(*op));
	op->kind = kind;
	op->dst = -1;
	op->src = -1;
	op->node = -1;
}

int vmc_op_equal(const struct vmc_op *a, const struct vmc_op *b)
{
	return a->kind == b->kind && a->dst == b->dst && a->src == b->src &&
	       a->size == b->size && a->align == b->align &&
	       a->start == b->start && a->end == b->end &&
	       a->phys == b->phys && a->off == b->off && a->len == b->len &&
	       a->seed == b->seed && a->nth == b->nth &&
	       a->pages == b->pages && a->node == b->node &&
	       a->huge == b->huge && a->zero == b->zero && a->fail == b->fail;
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
	sp = &op_specs[op->kind];
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
		       op_key_name[k]);
		first = 0;
		if (k == K_NODE)
			op_put(buf, len, &pos, "%lld", (unsigned long long)v,
			       NULL);
		else if (k >= K_PAGES)
			op_put(buf, len, &pos, "%llu", v, NULL);
		else
			op_put(buf, len, &pos, "0x%llx", v, NULL);
	}
	op_put(buf, len, &pos, ")", 0, "");
	return (int)pos;
}

/* ---------- parsing ---------- */

struct op_parser {
	const char *p, *end;            /* current line */
	const char *line_start;
	unsigned int line;
	char *err;
	size_t errlen;
};

static int op_error(struct op_parser *ps, const char *at, const char *fmt,
		    const char *s)
{
	int n = snprintf(ps->err, ps->errlen, "%u:%u: ", ps->line,
			 (unsigned int)(at - ps->line_start) + 1);

	if (n > 0 && (size_t)n < ps->errlen)
		snprintf(ps->err + n, ps->errlen - (size_t)n, fmt, s ? s : "");
	return -1;
}

static void op_skip_ws(struct op_parser *ps)
{
	while (ps->p < ps->end && (*ps->p == ' ' || *ps->p == '\t' ||
				   *ps->p == '\r'))
		ps->p++;
}

static int op_is_ident(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '_';
}

/* An identifier at p: its length (0 if none). */
static size_t op_ident(struct op_parser *ps)
{
	const char *q = ps->p;

	while (q < ps->end && op_is_ident(*q))
		q++;
	return (size_t)(q - ps->p);
}

static int op_is_reg(const char *s, size_t n)
{
	size_t i;

	if (n < 2 || s[0] != 'r')
		return 0;
	for (i = 1; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return 0;
	return 1;
}

/* Register token at ps->p (already checked by op_is_ident/op_is_reg). */
static int op_reg(struct op_parser *ps, size_t n, int *reg)
{
	unsigned long v = 0;
	size_t i;

	for (i = 1; i < n; i++) {
		v = v * 10 + (unsigned long)(ps->p[i] - '0');
		if (v >= VMC_OP_REGS || (i == 1 && n > 2 && ps->p[1] == '0'))
			return op_error(ps, ps->p, "register out of range "
					"(r0..r63)%s", NULL);
	}
	*reg = (int)v;
	ps->p += n;
	return 0;
}

static int op_number(struct op_parser *ps, int allow_neg, uint64_t *out,
		     int *neg)
{
	const char *s = ps->p, *q = ps->p;
	uint64_t v = 0;
	int base = 10, digits = 0;

	*neg = 0;
	if (allow_neg && q < ps->end && *q == '-') {
		*neg = 1;
		q++;
	}
	if (q + 1 < ps->end && q[0] == '0' && (q[1] == 'x' || q[1] == 'X')) {
		base = 16;
		q += 2;
	}
	for (; q < ps->end; q++) {
		int d;

		if (*q >= '0' && *q <= '9')
			d = *q - '0';
		else if (base == 16 && *q >= 'a' && *q <= 'f')
			d = *q - 'a' + 10;
		else if (base == 16 && *q >= 'A' && *q <= 'F')
			d = *q - 'A' + 10;
		else if (op_is_ident(*q))
			return op_error(ps, s, "bad number%s", NULL);
		else
			break;
		if (v > (UINT64_MAX - (uint64_t)d) / (uint64_t)base)
			return op_error(ps, s, "number too large%s", NULL);
		v = v * (uint64_t)base + (uint64_t)d;
		digits++;
	}
	if (!digits)
		return op_error(ps, s, "bad number%s", NULL);
	ps->p = q;
	*out = v;
	return 0;
}

static int op_expect(struct op_parser *ps, char c, const char *what)
{
	op_skip_ws(ps);
	if (ps->p >= ps->end || *ps->p != c)
		return op_error(ps, ps->p, "expected %s", what);
	ps->p++;
	return 0;
}

static int op_set_key(struct op_parser *ps, struct vmc_op *op, int k,
		      const char *at, uint64_t v, int neg)
{
	if (neg && (k != K_NODE || v != 1))
		return op_error(ps, at, "value out of range for '%s'",
				op_key_name[k]);
	switch (k) {
	case K_SIZE:  op->size = v; break;
	case K_ALIGN: op->align = v; break;
	case K_START: op->start = v; break;
	case K_END:   op->end = v; break;
	case K_PHYS:  op->phys = v; break;
	case K_OFF:   op->off = v; break;
	case K_LEN:   op->len = v; break;
	case K_SEED:  op->seed = v; break;
	case K_PAGES:
		if (v > UINT32_MAX)
			return op_error(ps, at, "value out of range for '%s'",
					"pages");
		op->pages = (uint32_t)v;
		break;
	case K_NODE:
		if (v > INT32_MAX)
			return op_error(ps, at, "value out of range for '%s'",
					"node");
		op->node = neg ? -1 : (int32_t)v;
		break;
	case K_HUGE:
	case K_ZERO:
		if (v > 1)
			return op_error(ps, at, "value out of range for '%s' "
					"(0 or 1)", op_key_name[k]);
		if (k == K_HUGE)
			op->huge = (uint8_t)v;
		else
			op->zero = (uint8_t)v;
		break;
	default:
		op->fail = (uint8_t)(k - K_FRAMES);
		op->nth = v;
		break;
	}
	return 0;
}

static int op_lookup(const char *s, size_t n)
{
	int i;

	if (n == strlen("__vmalloc_node_range") &&
	    !memcmp(s, "__vmalloc_node_range", n))
		return VMC_OP_VMALLOC_RANGE;
	for (i = 0; i < VMC_OP_NR; i++)
		if (strlen(op_specs[i].name) == n &&
		    !memcmp(op_specs[i].name, s, n))
			return i;
	return -1;
}

/* The arguments after "(", up to and including ")". */
static int op_parse_args(struct op_parser *ps, struct vmc_op *op,
			 const char *name_at)
{
	const struct op_spec *sp = &op_specs[op->kind];
	unsigned int seen = 0;
	size_t n;
	int i, nargs = 0;

	op_skip_ws(ps);
	if (sp->src) {
		n = op_ident(ps);
		if (!op_is_reg(ps->p, n))
			return op_error(ps, ps->p, "%s needs a register first",
					sp->name);
		if (op_reg(ps, n, &op->src))
			return -1;
		nargs++;
		op_skip_ws(ps);
	}
	while (ps->p < ps->end && *ps->p != ')') {
		const char *kat;
		uint64_t v = 0;
		int k = -1, neg = 0;
		char key[32];

		if (nargs && op_expect(ps, ',', "',' or ')'"))
			return -1;
		op_skip_ws(ps);
		kat = ps->p;
		n = op_ident(ps);
		if (!n)
			return op_error(ps, kat, "expected a key%s", NULL);
		snprintf(key, sizeof(key), "%.*s", (int)(n < 31 ? n : 31), kat);
		if (op_is_reg(kat, n))
			return op_error(ps, kat, "unexpected register '%s'", key);
		for (i = 0; i < KEYS_MAX && sp->keys[i] >= 0; i++)
			if (!strcmp(op_key_name[sp->keys[i]], key))
				k = sp->keys[i];
		if (k < 0) {
			char msg[96];

			snprintf(msg, sizeof(msg), "unknown key '%s' for %s",
				 key, sp->name);
			return op_error(ps, kat, "%s", msg);
		}
		if (seen & KB(k))
			return op_error(ps, kat, "duplicate key '%s'", key);
		if (op->kind == VMC_OP_FAIL && seen)
			return op_error(ps, kat, "fail takes one of frames, "
					"tables, meta%s", NULL);
		seen |= KB(k);
		ps->p += n;
		if (op_expect(ps, '=', "'='"))
			return -1;
		op_skip_ws(ps);
		kat = ps->p;
		if (op_number(ps, k == K_NODE, &v, &neg) ||
		    op_set_key(ps, op, k, kat, v, neg))
			return -1;
		nargs++;
		op_skip_ws(ps);
	}
	if (ps->p >= ps->end)
		return op_error(ps, ps->p, "expected ')'%s", NULL);
	ps->p++;
	if (op->kind == VMC_OP_FAIL && !seen)
		return op_error(ps, ps->p - 1, "fail needs frames, tables or "
				"meta%s", NULL);
	for (i = 0; i < KEYS_MAX && sp->keys[i] >= 0; i++)
		if ((sp->required & KB(sp->keys[i])) &&
		    !(seen & KB(sp->keys[i])))
			return op_error(ps, name_at, "missing required key '%s'",
					op_key_name[sp->keys[i]]);
	return 0;
}

/* One non-blank line; 0 on success. */
static int op_parse_line(struct op_parser *ps, struct vmc_op *op)
{
	const char *at, *name_at;
	int dst = -1, kind;
	size_t n;
	char name[40];

	op_skip_ws(ps);
	at = ps->p;
	n = op_ident(ps);
	if (n && op_is_reg(at, n)) {
		if (op_reg(ps, n, &dst))
			return -1;
		if (op_expect(ps, '=', "'=' after the result register"))
			return -1;
		op_skip_ws(ps);
		n = op_ident(ps);
	}
	name_at = ps->p;
	if (!n)
		return op_error(ps, name_at, "expected an op name%s", NULL);
	snprintf(name, sizeof(name), "%.*s", (int)(n < 39 ? n : 39), name_at);
	kind = op_lookup(name_at, n);
	if (kind < 0)
		return op_error(ps, name_at, "unknown op '%s'", name);
	vmc_op_init(op, (enum vmc_op_kind)kind);
	if (op_specs[kind].dst && dst < 0)
		return op_error(ps, name_at, "%s needs a result register "
				"(rN = ...)", op_specs[kind].name);
	if (!op_specs[kind].dst && dst >= 0)
		return op_error(ps, at, "%s returns no address",
				op_specs[kind].name);
	op->dst = dst;
	op->line = ps->line;
	ps->p += n;
	if (op_expect(ps, '(', "'('"))
		return -1;
	if (op_parse_args(ps, op, name_at))
		return -1;
	op_skip_ws(ps);
	if (ps->p < ps->end && *ps->p != '#')
		return op_error(ps, ps->p, "trailing junk after ')'%s", NULL);
	return 0;
}

int vmc_op_parse(const char *text, size_t len, struct vmc_op **ops,
		 size_t *n, char *err, size_t errlen)
{
	struct op_parser ps;
	const char *s = text, *end = text + len;
	struct vmc_op *v = NULL;
	size_t cnt = 0, cap = 0;

	memset(&ps, 0, sizeof(ps));
	ps.err = err;
	ps.errlen = errlen;
	*ops = NULL;
	*n = 0;
	while (s < end) {
		const char *nl = memchr(s, '\n', (size_t)(end - s));

		ps.line++;
		ps.line_start = ps.p = s;
		ps.end = nl ? nl : end;
		s = nl ? nl + 1 : end;
		op_skip_ws(&ps);
		if (ps.p < ps.end && memchr(ps.p, '\0', (size_t)(ps.end - ps.p))) {
			op_error(&ps, memchr(ps.p, '\0',
				 (size_t)(ps.end - ps.p)), "NUL byte%s", NULL);
			goto fail;
		}
		if (ps.p == ps.end || *ps.p == '#')
			continue;
		if (cnt == VMC_OP_MAX) {
			op_error(&ps, ps.p, "more than %s ops", "100000");
			goto fail;
		}
		if (cnt == cap) {
			struct vmc_op *nv;

			cap = cap ? cap * 2 : 64;
			nv = realloc(v, cap * sizeof(*v));
			if (!nv) {
				op_error(&ps, ps.p, "out of memory%s", NULL);
				goto fail;
			}
			v = nv;
		}
		if (op_parse_line(&ps, &v[cnt]))
			goto fail;
		cnt++;
	}
	if (!v)
		v = malloc(sizeof(*v));
	if (!v) {
		snprintf(err, errlen, "0:0: out of memory");
		return -1;
	}
	*ops = v;
	*n = cnt;
	return 0;
fail:
	free(v);
	return -1;
}
