/* SPDX-License-Identifier: MIT */
/*
 * mdl_va.c - the model's address space: one sorted array of segments.
 *
 * Theory
 * ------
 * The arena [start, end) is tiled by segments in address order, each
 * free, busy or lazy.  Adjacent free segments are always merged; busy
 * and lazy ones never are (each is one vmap area).  Freeing makes a busy
 * segment lazy (purging all lazy segments when their pages exceed
 * lazy_max) or, on error paths, free at once.  A failed fit releases
 * fragmented vmap blocks and purges the lazy segments (if either did
 * anything) and tries once more.  Everything is a linear scan and a
 * memmove: slow and obviously right, which is the point.
 *
 * Placement.  Exact: scan the free segments from the lowest and take the
 * first where an aligned A >= vstart with A + size <= vend fits.  Linux:
 * its choice depends on the shape of its free tree, which the model does
 * not have; so it checks the core's choice (an event of the op,
 * mdl_space_follow) against the rule every Linux answer obeys and then
 * takes it.  With L = size + align - 1 when align > PAGE_SIZE (unless
 * the range is exactly size long), else L = size: the answer is an
 * aligned fit in range inside one free segment, at that segment's first
 * aligned address at or above vstart, and no lower free segment holds L
 * bytes in range (with L = size: fits at all), since Linux's search
 * would have found that one first; a failure is allowed only when no
 * free segment holds L bytes in range.  A choice outside the rule is
 * reported (mdl_space.bad), not followed.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model.h"

static int grow(struct mdl_space *sp, size_t more)
{
	if (sp->n + more > sp->cap) {
		size_t cap = (sp->n + more) * 2;
		struct mdl_seg *v = realloc(sp->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		sp->v = v;
		sp->cap = cap;
	}
	return 0;
}

static void insert_at(struct mdl_space *sp, size_t i, struct mdl_seg s)
{
	if (grow(sp, 1))
		abort();
	memmove(&sp->v[i + 1], &sp->v[i], (sp->n - i) * sizeof(sp->v[0]));
	sp->v[i] = s;
	sp->n++;
}

static void remove_at(struct mdl_space *sp, size_t i)
{
	memmove(&sp->v[i], &sp->v[i + 1], (sp->n - i - 1) * sizeof(sp->v[0]));
	sp->n--;
}

int mdl_space_init(struct mdl_space *sp, unsigned long start,
		   unsigned long end, unsigned long lazy_max)
{
	struct mdl_seg s = { start, end, MDL_FREE, NULL };

	memset(sp, 0, sizeof(*sp));
	sp->start = start;
	sp->end = end;
	sp->lazy_max = lazy_max;
	if (grow(sp, 4))
		return -ENOMEM;
	insert_at(sp, 0, s);
	return 0;
}

void mdl_space_fini(struct mdl_space *sp)
{
	free(sp->v);
	memset(sp, 0, sizeof(*sp));
}

/* Make segment i free and merge it with free neighbours. */
static void make_free(struct mdl_space *sp, size_t i)
{
	sp->v[i].st = MDL_FREE;
	sp->v[i].own = NULL;
	if (i + 1 < sp->n && sp->v[i + 1].st == MDL_FREE) {
		sp->v[i].e = sp->v[i + 1].e;
		remove_at(sp, i + 1);
	}
	if (i > 0 && sp->v[i - 1].st == MDL_FREE) {
		sp->v[i - 1].e = sp->v[i].e;
		remove_at(sp, i);
	}
}

unsigned long mdl_space_purge(struct mdl_space *sp)
{
	unsigned long n = 0;
	size_t i = 0;

	while (i < sp->n) {
		if (sp->v[i].st == MDL_LAZY) {
			n++;
			make_free(sp, i);
			/* The merged segment now starts at or before i. */
			i = i > 0 ? i - 1 : 0;
			continue;
		}
		i++;
	}
	if (n) {
		sp->lazy_pages = 0;
		sp->nr_purges++;
	}
	return n;
}

static bool fit(const struct mdl_seg *s, unsigned long size,
		unsigned long align, unsigned long vstart, unsigned long vend,
		unsigned long *addr)
{
	unsigned long lo = s->s > vstart ? s->s : vstart;
	unsigned long hi = s->e < vend ? s->e : vend;
	unsigned long a;

	if (s->st != MDL_FREE || lo >= hi)
		return false;
	a = (lo + align - 1) & ~(align - 1);
	if (a < lo || a > hi || hi - a < size)
		return false;
	*addr = a;
	return true;
}

/* Cut [a, a + size) out of free segment i. */
static void carve(struct mdl_space *sp, size_t i, unsigned long a,
		  unsigned long size, struct mdl_area *own)
{
	struct mdl_seg f = sp->v[i];
	struct mdl_seg b = { a, a + size, MDL_BUSY, own };
	struct mdl_seg l = { f.s, a, MDL_FREE, NULL };
	struct mdl_seg r = { a + size, f.e, MDL_FREE, NULL };

	remove_at(sp, i);
	if (r.s < r.e)
		insert_at(sp, i, r);
	insert_at(sp, i, b);
	if (l.s < l.e)
		insert_at(sp, i, l);
}

static int alloc_once(struct mdl_space *sp, unsigned long size,
		      unsigned long align, unsigned long vstart,
		      unsigned long vend, struct mdl_area *own,
		      unsigned long *addr)
{
	size_t i;
	unsigned long a = 0;

	for (i = 0; i < sp->n; i++)
		if (fit(&sp->v[i], size, align, vstart, vend, &a))
			break;
	if (i == sp->n)
		return -ENOENT;
	carve(sp, i, a, size, own);
	*addr = a;
	return 0;
}

/* ---- Linux placement: is the core's choice allowed? ---- */

/*
 * What Linux's search may skip: with align > PAGE_SIZE it looks for a
 * free block of size + align - 1 bytes (unless the range is exactly
 * size long), so only such a block, or with the plain length an exact
 * fit, is certain to be found.
 */
static unsigned long linux_length(unsigned long size, unsigned long align,
				  unsigned long vstart, unsigned long vend)
{
	if (align > MDL_PAGE_SIZE && vend - vstart != size)
		return size + align - 1;
	return size;
}

/* Must Linux's search find something in free segment s? */
static bool linux_must_find(const struct mdl_seg *s, unsigned long size,
			    unsigned long align, unsigned long vstart,
			    unsigned long vend)
{
	unsigned long len = linux_length(size, align, vstart, vend), a;
	unsigned long lo = s->s > vstart ? s->s : vstart;
	unsigned long hi = s->e < vend ? s->e : vend;

	if (s->st != MDL_FREE || lo >= hi)
		return false;
	if (len == size)
		return fit(s, size, align, vstart, vend, &a);
	return hi - lo >= len;
}

__attribute__((format(printf, 2, 3)))
static void follow_bad(struct mdl_space *sp, const char *fmt, ...)
{
	va_list ap;

	if (sp->bad)
		return;
	sp->bad = true;
	va_start(ap, fmt);
	vsnprintf(sp->why, sizeof(sp->why), fmt, ap);
	va_end(ap);
}

/* Linux may fail: no segment in range it would certainly find. */
static void check_may_fail(struct mdl_space *sp, unsigned long size,
			   unsigned long align, unsigned long vstart,
			   unsigned long vend)
{
	size_t i;

	for (i = 0; i < sp->n; i++)
		if (linux_must_find(&sp->v[i], size, align, vstart, vend)) {
			follow_bad(sp, "linux rule: the core found no room for "
				   "0x%lx bytes, but the free block at +0x%lx "
				   "fits them at any alignment", size,
				   sp->v[i].s - sp->start);
			return;
		}
}

/*
 * Is a the place Linux's rule allows: [a, a + size) fits in range inside
 * one free segment, at that segment's first aligned address, and no
 * lower segment is one Linux's search must find?  Index of the segment.
 */
static bool linux_allows(struct mdl_space *sp, unsigned long a,
			 unsigned long size, unsigned long align,
			 unsigned long vstart, unsigned long vend, size_t *idx)
{
	unsigned long first;
	size_t i;

	for (i = 0; i < sp->n && sp->v[i].e <= a; i++) {
		if (linux_must_find(&sp->v[i], size, align, vstart, vend)) {
			follow_bad(sp, "linux rule: the core chose +0x%lx, but "
				   "the lower free block at +0x%lx fits 0x%lx "
				   "bytes at any alignment", a - sp->start,
				   sp->v[i].s - sp->start, size);
			return false;
		}
	}
	if (i == sp->n || (a & (align - 1)) || a < vstart || a + size < a ||
	    a + size > vend || sp->v[i].st != MDL_FREE || sp->v[i].s > a ||
	    a + size > sp->v[i].e) {
		follow_bad(sp, "linux rule: the core chose +0x%lx for 0x%lx "
			   "bytes at align 0x%lx: not an aligned free fit in "
			   "range", a - sp->start, size, align);
		return false;
	}
	first = sp->v[i].s > vstart ? sp->v[i].s : vstart;
	first = (first + align - 1) & ~(align - 1);
	if (a != first) {
		follow_bad(sp, "linux rule: the core chose +0x%lx, not the "
			   "block's first aligned address +0x%lx",
			   a - sp->start, first - sp->start);
		return false;
	}
	*idx = i;
	return true;
}

void mdl_space_follow(struct mdl_space *sp, const struct mdl_va_ev *ev,
		      size_t n)
{
	sp->following = ev != NULL;
	sp->ev = ev;
	sp->nev = n;
	sp->iev = 0;
	sp->bad = false;
	sp->why[0] = '\0';
}

static bool any_lazy(const struct mdl_space *sp)
{
	size_t i;

	for (i = 0; i < sp->n; i++)
		if (sp->v[i].st == MDL_LAZY)
			return true;
	return false;
}

/* purge_vmap_area_lazy() of the failure path; true if anything may have
 * changed (then the allocation is tried once more). */
static bool retry_purge(struct mdl_space *sp)
{
	unsigned long blocks = sp->purge_blocks ?
			       sp->purge_blocks(sp->purge_arg) : 0;

	if (!blocks && !any_lazy(sp))
		return false;
	mdl_space_purge(sp);
	return true;
}

/* Linux placement, following the core's events (mdl_space_follow). */
static int alloc_follow(struct mdl_space *sp, unsigned long size,
			unsigned long align, unsigned long vstart,
			unsigned long vend, struct mdl_area *own,
			unsigned long *addr)
{
	const struct mdl_va_ev *ev;
	size_t i;

	/* The core's searches of this op, in order: the next is ours. */
	ev = sp->iev < sp->nev ? &sp->ev[sp->iev] : NULL;
	if (ev && !ev->found && ev->size == size && ev->align == align) {
		/* It failed: then purged and searched once more, or gave up. */
		sp->iev++;
		check_may_fail(sp, size, align, vstart, vend);
		if (!retry_purge(sp))
			return -ENOMEM;
		ev = sp->iev < sp->nev ? &sp->ev[sp->iev] : NULL;
		if (ev && !ev->found && ev->size == size && ev->align == align) {
			sp->iev++;
			check_may_fail(sp, size, align, vstart, vend);
			return -ENOMEM;
		}
	}
	if (!ev || !ev->found || ev->size != size || ev->align != align) {
		follow_bad(sp, "the core made no search for 0x%lx bytes at "
			   "align 0x%lx", size, align);
		return -ENOMEM;
	}
	if (!linux_allows(sp, ev->addr, size, align, vstart, vend, &i))
		return -ENOMEM;
	sp->iev++;
	carve(sp, i, ev->addr, size, own);
	*addr = ev->addr;
	return 0;
}

int mdl_space_alloc(struct mdl_space *sp, unsigned long size,
		    unsigned long align, unsigned long vstart,
		    unsigned long vend, struct mdl_area *own,
		    unsigned long *addr)
{
	int err;

	if (!size || (size & (MDL_PAGE_SIZE - 1)) || !align ||
	    (align & (align - 1)) || align < MDL_PAGE_SIZE ||
	    vstart < sp->start || vend > sp->end || vstart >= vend)
		return -EINVAL;
	if (sp->linux_mode && sp->following)
		return alloc_follow(sp, size, align, vstart, vend, own, addr);
	err = alloc_once(sp, size, align, vstart, vend, own, addr);
	if (err == -ENOENT && retry_purge(sp))
		err = alloc_once(sp, size, align, vstart, vend, own, addr);
	return err == -ENOENT ? -ENOMEM : err;
}

static long find_index(struct mdl_space *sp, unsigned long addr)
{
	size_t i;

	for (i = 0; i < sp->n; i++)
		if (addr >= sp->v[i].s && addr < sp->v[i].e)
			return (long)i;
	return -1;
}

struct mdl_seg *mdl_space_find(struct mdl_space *sp, unsigned long addr)
{
	long i = find_index(sp, addr);

	if (i < 0 || sp->v[i].st != MDL_BUSY)
		return NULL;
	return &sp->v[i];
}

void mdl_space_free_lazy(struct mdl_space *sp, unsigned long addr)
{
	long i = find_index(sp, addr);

	if (i < 0 || sp->v[i].st != MDL_BUSY || sp->v[i].s != addr)
		abort();
	sp->v[i].st = MDL_LAZY;
	sp->v[i].own = NULL;
	sp->lazy_pages += (sp->v[i].e - sp->v[i].s) >> MDL_PAGE_SHIFT;
	if (sp->lazy_pages > sp->lazy_max)
		mdl_space_purge(sp);
}

void mdl_space_free_now(struct mdl_space *sp, unsigned long addr)
{
	long i = find_index(sp, addr);

	if (i < 0 || sp->v[i].st != MDL_BUSY || sp->v[i].s != addr)
		abort();
	make_free(sp, (size_t)i);
}

int mdl_space_check(const struct mdl_space *sp, char *msg, size_t len)
{
	unsigned long at = sp->start, lazy = 0;
	size_t i;

	for (i = 0; i < sp->n; i++) {
		const struct mdl_seg *s = &sp->v[i];

		if (s->s != at || s->e <= s->s) {
			snprintf(msg, len, "model: segment %zu [0x%lx, 0x%lx) "
				 "does not continue at 0x%lx", i, s->s, s->e, at);
			return 1;
		}
		if ((s->s | s->e) & (MDL_PAGE_SIZE - 1)) {
			snprintf(msg, len, "model: segment [0x%lx, 0x%lx) not "
				 "page aligned", s->s, s->e);
			return 1;
		}
		if (s->st == MDL_FREE && i && sp->v[i - 1].st == MDL_FREE) {
			snprintf(msg, len, "model: free segments at 0x%lx not "
				 "merged", s->s);
			return 3;
		}
		if (s->st == MDL_LAZY)
			lazy += (s->e - s->s) >> MDL_PAGE_SHIFT;
		at = s->e;
	}
	if (at != sp->end) {
		snprintf(msg, len, "model: segments end at 0x%lx, not 0x%lx",
			 at, sp->end);
		return 1;
	}
	if (lazy != sp->lazy_pages) {
		snprintf(msg, len, "model: lazy_pages %lu, segments hold %lu",
			 sp->lazy_pages, lazy);
		return 3;
	}
	return 0;
}
