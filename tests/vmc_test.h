/* SPDX-License-Identifier: MIT */
/*
 * vmc_test.h - what the test programs share: arena set-up on the backend
 * chosen at run time (VMC_BACKEND), a checked vmc_check(), and a small
 * deterministic random generator whose seed every randomised test prints.
 */
#ifndef VMC_TEST_H
#define VMC_TEST_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vmcore.h"
#include "vmc_backends.h"
#include "tap.h"

/* The run-time backend ($VMC_BACKEND), or end with a hard error (exit 99). */
static inline const struct vmc_backend_ops *vt_backend(void)
{
	const struct vmc_backend_ops *ops = vmc_backend_default();

	if (!ops) {
		printf("Bail out! no backend named by VMC_BACKEND\n");
		exit(99);
	}
	return ops;
}

/* Create an arena or end the program with a hard error (exit 99). */
static inline struct vmc_arena *vt_arena_cfg(struct vmc_arena_config *cfg)
{
	struct vmc_arena *a;
	int err;

	if (!cfg->ops)
		cfg->ops = vt_backend();
	err = vmc_arena_create(cfg, &a);
	if (err) {
		printf("Bail out! vmc_arena_create(%s, %s): %d\n",
		       cfg->ops->name, cfg->geometry ? cfg->geometry : "default",
		       err);
		exit(99);
	}
	return a;
}

static inline struct vmc_arena *vt_arena(const char *geometry,
					 unsigned long size,
					 unsigned int flags)
{
	struct vmc_arena_config cfg;

	memset(&cfg, 0, sizeof(cfg));
	cfg.geometry = geometry;
	cfg.size = size;
	cfg.flags = flags | VMC_ARENA_QUIET;
	return vt_arena_cfg(&cfg);
}

/*
 * NULL if the default backend takes `geometry`, else why not (a static
 * string), so a test can tap_skip the geometry with the reason (mmap
 * offers x86_64 only: the host MMU has one shape).
 */
static inline const char *vt_geom_refused(const char *geometry)
{
	static char why[160];
	struct vmc_arena_config cfg;
	struct vmc_arena *a;
	int err;

	memset(&cfg, 0, sizeof(cfg));
	cfg.ops = vt_backend();
	cfg.geometry = geometry;
	cfg.nr_frames = 1024;
	cfg.flags = VMC_ARENA_QUIET;
	err = vmc_arena_create(&cfg, &a);
	if (err == -EINVAL) {
		snprintf(why, sizeof(why), "backend %s refuses geometry %s "
			 "(%d)%s", cfg.ops->name, geometry, err,
			 cfg.ops->features & VMC_BF_REAL_MMU ?
			 ": the host MMU has one shape (x86_64)" : "");
		return why;
	}
	if (err) {
		printf("Bail out! vmc_arena_create(%s, %s): %d\n",
		       cfg.ops->name, geometry, err);
		exit(99);
	}
	vmc_arena_destroy(a);
	return NULL;
}

/* Does the default backend offer all of the VMC_BF_* bits in `bits`? */
static inline int vt_backend_has(unsigned int bits)
{
	const struct vmc_backend_ops *ops = vmc_backend_default();

	return ops && (ops->features & bits) == bits;
}

/* vmc_check() that explains a violation in a TAP comment; 1 if clean. */
static inline int vt_clean(struct vmc_arena *a, const char *when)
{
	struct vmc_violation v;
	int bad = vmc_check(a, &v);

	if (bad)
		printf("# after %s: invariant %d: %s\n", when, bad, v.msg);
	return !bad;
}

/* xorshift64*: deterministic, seedable, good enough for test schedules. */
static inline unsigned long long vt_rand(unsigned long long *s)
{
	unsigned long long x = *s ? *s : 0x9e3779b97f4a7c15ULL;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*s = x;
	return x * 0x2545f4914f6cdd1dULL;
}

/* Seed from $VMC_SEED if set, else `dflt`; printed so a run can be replayed. */
static inline unsigned long long vt_seed(unsigned long long dflt)
{
	const char *env = getenv("VMC_SEED");
	unsigned long long s = env ? strtoull(env, NULL, 0) : dflt;

	printf("# seed %llu (set VMC_SEED to replay)\n", s);
	return s;
}

#endif /* VMC_TEST_H */
