/* SPDX-License-Identifier: MIT */
/*
 * vmc_env_kernel.h - the kernel half of vmc_env.h.
 *
 * Theory
 * ------
 * Included by vmc_env.h when __KERNEL__ is defined, i.e. when Kbuild
 * compiles the core into the vmcore module (backends/kmod/).  It provides
 * exactly what the userspace half provides, with the kernel's own
 * facilities, so that no core file knows which world it is in:
 *
 *   types, bool, errno values      <linux/types.h>, <linux/errno.h>
 *   vmc_env_zalloc / vmc_env_free  kvzalloc / kvfree: metadata arrays can
 *                                  be large (page arrays, op streams), and
 *                                  kvzalloc falls back to vmalloc only
 *                                  when kmalloc cannot serve the size
 *   vmc_lock_t                     struct mutex: the core calls the backend,
 *                                  which allocates with GFP_KERNEL, under it
 *   vmc_env_vsnprintf              vsnprintf (the kernel's %llx, %lu, %zu)
 *   log sink                       printk, one line per call
 *   memcpy, memset, memcmp,
 *   strcmp, strlen, snprintf       <linux/string.h>, <linux/kernel.h>
 *
 * Panics.  A VMC_VERIFY failure is a bug in vmcore.  In the kernel it must
 * not take the machine down with it: it prints the failed condition, a
 * WARN (so the runner's log check fails the run) and then BUG()s, which
 * kills the calling task (the guest driver) with an oops and leaves the
 * log to tell what happened.  The runner treats both as a failed run.
 *
 * Allocation flags.  Everything is GFP_KERNEL | __GFP_NOWARN: the core
 * reports allocation failure as -ENOMEM, which the harness provokes on
 * purpose; an allocation-failure splat in the log would fail the run.
 */
#ifndef VMC_ENV_KERNEL_H
#define VMC_ENV_KERNEL_H

#include <linux/types.h>
#include <linux/errno.h>
#include <linux/kernel.h>
#include <linux/limits.h>
#include <linux/stdarg.h>
#include <linux/string.h>
#include <linux/slab.h>
#include <linux/mm.h>
#include <linux/mutex.h>
#include <linux/printk.h>
#include <linux/bug.h>

#ifndef UINT32_MAX
#define UINT32_MAX U32_MAX
#endif
#ifndef UINT64_MAX
#define UINT64_MAX U64_MAX
#endif

/* Metadata allocation: zeroed memory or NULL. */
static inline void *vmc_env_zalloc(size_t size)
{
	return kvzalloc(size ? size : 1, GFP_KERNEL | __GFP_NOWARN);
}

static inline void vmc_env_free(void *p)
{
	kvfree(p);
}

/* The lock: a sleeping mutex, as in userspace. */
typedef struct mutex vmc_lock_t;

static inline int vmc_lock_init(vmc_lock_t *l)
{
	mutex_init(l);
	return 0;
}

static inline void vmc_lock_destroy(vmc_lock_t *l)
{
	mutex_destroy(l);
}

static inline void vmc_lock(vmc_lock_t *l)
{
	mutex_lock(l);
}

static inline void vmc_unlock(vmc_lock_t *l)
{
	mutex_unlock(l);
}

/* true if l was free and is now held */
static inline bool vmc_trylock(vmc_lock_t *l)
{
	return mutex_trylock(l);
}

static inline void vmc_cpu_relax(void)
{
	cpu_relax();
}

/* Formatting and the default log sink (the kernel log). */
#define vmc_env_vsnprintf(buf, len, fmt, ap) vsnprintf(buf, len, fmt, ap)

static inline void vmc_env_log_default(int level, const char *line)
{
	if (level <= 3)
		pr_err("vmcore: %s\n", line);
	else
		pr_info("vmcore: %s\n", line);
}

__attribute__((noreturn)) static inline void
vmc_env_panic(const char *file, int line, const char *what)
{
	WARN(1, "vmcore: %s:%d: %s\n", file, line, what);
	BUG();
}

__attribute__((noreturn)) static inline void
vmc_env_panic3(const char *file, int line, const char *expr,
	       unsigned long long a, unsigned long long b)
{
	WARN(1, "vmcore: %s:%d: %s (0x%llx vs 0x%llx)\n",
	     file, line, expr, a, b);
	BUG();
}

#endif /* VMC_ENV_KERNEL_H */
