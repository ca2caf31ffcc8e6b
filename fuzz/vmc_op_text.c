/* SPDX-License-Identifier: MIT */
/*
 * vmc_op_text.c - the parser of the text form of op streams (DESIGN.md 5);
 * the grammar and the canonical form are described in vmc_op.c, whose op
 * table (vmc_op_spec.h) this file reads.  Userspace only: the kernel
 * module receives binary streams (vmc_op_bin.c), never text.
 *
 * Parse errors are "LINE:COL: message", both 1-based, COL the byte where
 * the offending token starts.  The array returned comes from
 * vmc_env_zalloc (calloc here): callers free() it.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vmc_env.h"
#include "vmc_op.h"
#include "vmc_op_spec.h"

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

/*
 * A word value at p (letters, digits, '_', '-', '.'), one of names[0..n):
 * its index, past it; else -1 and the parse error `what`.
 */
static int op_word(struct op_parser *ps, const char *const *names, int n,
		   const char *what)
{
	const char *q = ps->p;
	size_t len;
	int i;

	while (q < ps->end && (op_is_ident(*q) || *q == '-' || *q == '.'))
		q++;
	len = (size_t)(q - ps->p);
	for (i = 0; i < n; i++)
		if (strlen(names[i]) == len && !memcmp(ps->p, names[i], len)) {
			ps->p = q;
			return i;
		}
	return op_error(ps, ps->p, "%s", what);
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
				vmc_op_key_name[k]);
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
	case K_CPU:
		if (v > VMC_OP_CPU_MAX)
			return op_error(ps, at, "value out of range for '%s' "
					"(at most 1023)", "cpu");
		op->cpu = (uint32_t)v;
		break;
	case K_HUGE:
	case K_ZERO:
		if (v > 1)
			return op_error(ps, at, "value out of range for '%s' "
					"(0 or 1)", vmc_op_key_name[k]);
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
		if (strlen(vmc_op_specs[i].name) == n &&
		    !memcmp(vmc_op_specs[i].name, s, n))
			return i;
	return -1;
}

/* The arguments after "(", up to and including ")". */
static int op_parse_args(struct op_parser *ps, struct vmc_op *op,
			 const char *name_at)
{
	const struct op_spec *sp = &vmc_op_specs[op->kind];
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
			if (!strcmp(vmc_op_key_name[sp->keys[i]], key))
				k = sp->keys[i];
		if (!strcmp(key, "cpu"))
			k = K_CPU;      /* every op */
		if (k < 0) {
			char msg[96];

			snprintf(msg, sizeof(msg), "unknown key '%s' for %s",
				 key, sp->name);
			return op_error(ps, kat, "%s", msg);
		}
		if (seen & KB(k))
			return op_error(ps, kat, "duplicate key '%s'", key);
		if (op->kind == VMC_OP_FAIL && k != K_CPU &&
		    (seen & ~KB(K_CPU)))
			return op_error(ps, kat, "fail takes one of frames, "
					"tables, meta%s", NULL);
		seen |= KB(k);
		ps->p += n;
		if (op_expect(ps, '=', "'='"))
			return -1;
		op_skip_ws(ps);
		kat = ps->p;
		if (k == K_PLACEMENT) {
			i = op_word(ps, vmc_op_placement_name,
				    VMC_OP_PLACEMENTS,
				    "placement is linux or exact");
			if (i < 0)
				return -1;
			op->placement = (uint8_t)i;
		} else if (k == K_PROFILE) {
			i = op_word(ps, vmc_op_profile_name, VMC_OP_PROFILES,
				    "profile is linux-6.1 or linux-6.12");
			if (i < 0)
				return -1;
			op->profile = (uint8_t)(i + 1);
		} else if (op_number(ps, k == K_NODE, &v, &neg) ||
			   op_set_key(ps, op, k, kat, v, neg)) {
			return -1;
		}
		nargs++;
		op_skip_ws(ps);
	}
	if (ps->p >= ps->end)
		return op_error(ps, ps->p, "expected ')'%s", NULL);
	ps->p++;
	if (op->kind == VMC_OP_FAIL && !(seen & ~KB(K_CPU)))
		return op_error(ps, ps->p - 1, "fail needs frames, tables or "
				"meta%s", NULL);
	for (i = 0; i < KEYS_MAX && sp->keys[i] >= 0; i++)
		if ((sp->required & KB(sp->keys[i])) &&
		    !(seen & KB(sp->keys[i])))
			return op_error(ps, name_at, "missing required key '%s'",
					vmc_op_key_name[sp->keys[i]]);
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
	if (vmc_op_specs[kind].dst && dst < 0)
		return op_error(ps, name_at, "%s needs a result register "
				"(rN = ...)", vmc_op_specs[kind].name);
	if (!vmc_op_specs[kind].dst && dst >= 0)
		return op_error(ps, at, "%s returns no address",
				vmc_op_specs[kind].name);
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
			char lim[24];

			snprintf(lim, sizeof(lim), "%d", VMC_OP_MAX);
			op_error(&ps, ps.p, "more than %s ops (the limit of "
				 "one stream)", lim);
			goto fail;
		}
		if (cnt == cap) {
			struct vmc_op *nv;

			nv = vmc_op_grow(v, cap, cap ? cap * 2 : 64,
					 sizeof(*v));
			if (!nv) {
				op_error(&ps, ps.p, "out of memory%s", NULL);
				goto fail;
			}
			v = nv;
			cap = cap ? cap * 2 : 64;
		}
		if (op_parse_line(&ps, &v[cnt]))
			goto fail;
		if (v[cnt].kind == VMC_OP_CONFIG && cnt) {
			op_error(&ps, ps.line_start, "config() must be the "
				 "first op of a stream%s", NULL);
			goto fail;
		}
		cnt++;
	}
	if (!v)
		v = vmc_env_zalloc(sizeof(*v));
	if (!v) {
		snprintf(err, errlen, "0:0: out of memory");
		return -1;
	}
	*ops = v;
	*n = cnt;
	return 0;
fail:
	vmc_env_free(v);
	return -1;
}
