/*
 * mdl_va.c - the model's address space: one sorted array of segments.
 *
 * Theory
 * ------
 * The arena [start, end) is tiled by segments in address order, each
 * free, busy or lazy.  Adjacent free segments are always merged; busy
 * and lazy ones never are (each is one vmap area).  Allocation scans the
 * free segments from the lowest and takes the first where an aligned
 * address A >= vstart with A + size <= vend fits: the exact lowest fit
 * the core promises.  Freeing makes a busy segment lazy (purging all
 * lazy segments when their pages exceed lazy_max) or, on error paths,
 * free at once.  A failed fit purges the lazy segments (if any) and
 * tries once more.  Everything is a linear scan and a memmove: slow and
 * obviously right, which is the point.
 */
#include <errno.h>
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
	*addr = a;
	return 0;
}

int mdl_space_alloc(struct mdl_space *sp, unsigned long size,
		    unsigned long align, unsigned long vstart,
		    unsigned long vend, struct mdl_area *own,
		    unsigned long *addr)
{
	int err;
	size_t i;
	bool lazy = false;

	if (!size || (size & (MDL_PAGE_SIZE - 1)) || !align ||
	    (align & (align - 1)) || align < MDL_PAGE_SIZE ||
	    vstart < sp->start || vend > sp->end || vstart >= vend)
		return -EINVAL;
	err = alloc_once(sp, size, align, vstart, vend, own, addr);
	for (i = 0; i < sp->n; i++)
		lazy |= sp->v[i].st == MDL_LAZY;
	if (err == -ENOENT && lazy) {
		mdl_space_purge(sp);
		err = alloc_once(sp, size, align, vstart, vend, own, addr);
	}
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
