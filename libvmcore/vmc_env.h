/* SPDX-License-Identifier: MIT */
/*
 * vmc_env.h - the one environment header of libvmcore.
 *
 * Theory
 * ------
 * The core (every .c file of libvmcore/) is compiled in two worlds: a userspace
 * library and a Linux kernel module.  No core file includes an OS header;
 * everything the core takes from its surroundings comes through here:
 *
 *   1. fixed-width types, bool, NULL, size_t, errno values (ENOMEM, ...);
 *   2. metadata allocation (vmc_env_zalloc / vmc_env_free), the analogue
 *      of kzalloc/kfree: always zeroed, NULL on failure;
 *   3. one lock type (a sleeping mutex in both worlds: the core calls the
 *      backend, which may allocate, while holding it);
 *   4. formatting (vmc_env_vsnprintf) and one log sink for text lines;
 *   5. memory primitives (memcpy, memset, memcmp);
 *   6. assertions in graded cost, with the same names in both worlds:
 *        VMC_VERIFY*   always on; a failure is a bug in vmcore: panic.
 *        VMC_ASSERT*   on only when VMC_DEBUG is defined (--enable-debug).
 *      The typed forms VMC_VERIFY3U(a, op, b) print both operands.
 *
 * Errors are negative errno values returned to the caller; the core never
 * reads or writes the global errno.
 */
#ifndef VMC_ENV_H
#define VMC_ENV_H

#ifdef __KERNEL__
#include "vmc_env_kernel.h"
#else /* userspace */

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Metadata allocation: zeroed memory or NULL. */
static inline void *vmc_env_zalloc(size_t size)
{
	return calloc(1, size ? size : 1);
}

static inline void vmc_env_free(void *p)
{
	free(p);
}

/* The lock: a mutex.  Initialisation cannot fail in practice; it is checked. */
typedef pthread_mutex_t vmc_lock_t;

static inline int vmc_lock_init(vmc_lock_t *l)
{
	return pthread_mutex_init(l, NULL) ? -ENOMEM : 0;
}

static inline void vmc_lock_destroy(vmc_lock_t *l)
{
	pthread_mutex_destroy(l);
}

static inline void vmc_lock(vmc_lock_t *l)
{
	pthread_mutex_lock(l);
}

static inline void vmc_unlock(vmc_lock_t *l)
{
	pthread_mutex_unlock(l);
}

/* true if l was free and is now held */
static inline bool vmc_trylock(vmc_lock_t *l)
{
	return pthread_mutex_trylock(l) == 0;
}

/* A spin-wait hint to the CPU (nothing where there is none). */
static inline void vmc_cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#elif defined(__aarch64__)
	__asm__ __volatile__("yield");
#endif
}

/*
 * Per-thread storage, for vmc_last_error(): each thread sees the error of
 * its own last failed call.  (The kernel half has none; there the error is
 * kept per arena, and the module serialises its callers.)  Initial-exec:
 * the library is linked, not dlopen()ed, and a general-dynamic access
 * (a __tls_get_addr call) was a few percent of a fast-path pair.
 */
#define VMC_ENV_THREAD_LOCAL \
	_Thread_local __attribute__((tls_model("initial-exec")))

/* Formatting and the default log sink (standard error). */
#define vmc_env_vsnprintf(buf, len, fmt, ap) vsnprintf(buf, len, fmt, ap)

static inline void vmc_env_log_default(int level, const char *line)
{
	(void)level;
	fputs(line, stderr);
	fputc('\n', stderr);
}

__attribute__((noreturn)) static inline void
vmc_env_panic(const char *file, int line, const char *what)
{
	fprintf(stderr, "vmcore: %s:%d: %s\n", file, line, what);
	fflush(stderr);
	abort();
}

__attribute__((noreturn)) static inline void
vmc_env_panic3(const char *file, int line, const char *expr,
	       unsigned long long a, unsigned long long b)
{
	fprintf(stderr, "vmcore: %s:%d: %s (0x%llx vs 0x%llx)\n",
		file, line, expr, a, b);
	fflush(stderr);
	abort();
}

#endif /* __KERNEL__ */

/* Assertions: identical in both worlds once the panics exist. */
#define VMC_VERIFY(cond)                                                    \
	do {                                                                \
		if (__builtin_expect(!(cond), 0))                           \
			vmc_env_panic(__FILE__, __LINE__, #cond);           \
	} while (0)

#define VMC_VERIFY3U(a, op, b)                                              \
	do {                                                                \
		unsigned long long vmc_a_ = (unsigned long long)(a);       \
		unsigned long long vmc_b_ = (unsigned long long)(b);       \
		if (__builtin_expect(!(vmc_a_ op vmc_b_), 0))               \
			vmc_env_panic3(__FILE__, __LINE__,                  \
				       #a " " #op " " #b, vmc_a_, vmc_b_);  \
	} while (0)

#ifdef VMC_DEBUG
#define VMC_ASSERT(cond)        VMC_VERIFY(cond)
#define VMC_ASSERT3U(a, op, b)  VMC_VERIFY3U(a, op, b)
#else
#define VMC_ASSERT(cond)        ((void)0)
#define VMC_ASSERT3U(a, op, b)  ((void)0)
#endif

/*
 * Zeroed memory for size bytes starting on a cache line of its own (for
 * per-CPU or per-thread records that must not share lines): the aligned
 * start, or NULL; *base is what vmc_env_free takes back.
 */
#define VMC_ENV_LINE 64u

static inline void *vmc_env_zalloc_lines(size_t size, void **base)
{
	unsigned char *mem = (unsigned char *)vmc_env_zalloc(size + VMC_ENV_LINE);

	*base = mem;
	if (!mem)
		return NULL;
	return mem + (VMC_ENV_LINE - (uintptr_t)mem % VMC_ENV_LINE);
}

#endif /* VMC_ENV_H */
