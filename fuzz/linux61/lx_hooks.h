/* SPDX-License-Identifier: MIT */
/*
 * lx_hooks.h - what the linux61 and linux612 oracle engines share: the
 * shim's hooks (lx_shim.h: the counted vmap_area allocator, WARN/BUG
 * reporting, the recorded TLB flush) and the message of an address
 * difference.  Included once by each engine, after lx_shim.h; all static,
 * so the two engines link into one library.
 */
#ifndef LX_HOOKS_H
#define LX_HOOKS_H

#include <stdlib.h>
#include <string.h>

#include "vmc_engine.h"

static long lx_objects;                 /* vmap_area objects alive */
static bool lx_warned;
static const char *lx_warning;
static bool lx_in_use;                  /* one live instance (globals) */

static void *lx_alloc(size_t size)
{
	void *p = calloc(1, size);

	if (p)
		lx_objects++;
	return p;
}

static void lx_free(void *p)
{
	if (p)
		lx_objects--;
	free(p);
}

static void lx_warn(const char *what)
{
	fprintf(stderr, LX_NAME ": %s\n", what);
	if (!lx_warned)
		lx_warning = what;
	lx_warned = true;
}

static void lx_flush(unsigned long start, unsigned long end)
{
	(void)start;
	(void)end;
}

/* "VA search N (...): core X, ENGINE Y" into res->detail; got == vend:
 * the engine found nothing. */
static void lx_differ(struct vmc_result *res, unsigned long n,
		      const struct vmc_va_ev *ev, unsigned long base,
		      unsigned long got, unsigned long vend)
{
	char mine[32], theirs[32];

	if (ev->kind == VMC_ENGINE_EV_NOFIT)
		snprintf(theirs, sizeof(theirs), "none");
	else
		snprintf(theirs, sizeof(theirs), "+0x%llx%s",
			 (unsigned long long)ev->off,
			 ev->flags & VMC_ENGINE_EVF_POOL ? " (pool)" : "");
	if (got == vend)
		snprintf(mine, sizeof(mine), "none");
	else
		snprintf(mine, sizeof(mine), "+0x%lx", got - base);
	snprintf(res->detail, sizeof(res->detail),
		 "VA search %lu (0x%llx bytes, align 0x%llx, [+0x%llx, "
		 "+0x%llx), cpu %u): core %s, " LX_NAME " %s", n,
		 (unsigned long long)ev->size, (unsigned long long)ev->align,
		 (unsigned long long)ev->vstart, (unsigned long long)ev->vend,
		 (unsigned)ev->cpu, theirs, mine);
}

/*
 * exec_follow of both engines: replay every VA event of `lead` with
 * replay(state, event, base, res); on a difference (or a WARN) the result
 * is -EPROTO with the reason and *desync stays set, after which results
 * are ignored.  Otherwise the result is the lead's.  true when followed.
 */
static bool lx_follow(void *state, bool *desync,
		      bool (*replay)(void *state, const struct vmc_va_ev *ev,
				     unsigned long base,
				     struct vmc_result *res),
		      const struct vmc_result *lead, struct vmc_result *res)
{
	unsigned int i;

	memset(res, 0, sizeof(*res));
	if (!*desync && lead->nva_ev > VMC_RESULT_VA_EV)
		*desync = true;         /* events lost: cannot replay */
	if (*desync) {
		res->ignore = true;
		res->why = LX_NAME " lost the core's VA calls";
		return false;
	}
	for (i = 0; i < lead->nva_ev; i++) {
		if (!replay(state, &lead->va_ev[i],
			    (unsigned long)lead->va_base, res) || lx_warned) {
			if (lx_warned && !res->detail[0])
				snprintf(res->detail, sizeof(res->detail),
					 LX_NAME ": %s", lx_warning);
			res->err = -EPROTO;
			*desync = true;
			return false;
		}
	}
	*res = *lead;
	res->nva_ev = 0;
	return true;
}

/* Without a lead there is nothing to answer: every result is ignored. */
static void lx_exec(void *state, const struct vmc_op *op,
		    struct vmc_result *res)
{
	(void)state;
	(void)op;
	memset(res, 0, sizeof(*res));
	res->ignore = true;
	res->why = LX_NAME " replays a core engine's calls; there is none";
}

#endif /* LX_HOOKS_H */
