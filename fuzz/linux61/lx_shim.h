/* SPDX-License-Identifier: MIT */
/*
 * lx_shim.h - the userland Linux 6.1 that the extracted vmap-area
 * allocator (mm/vmalloc.c functions, lib/rbtree.c; see extract.sh)
 * compiles against, in the manner of tools/testing/vma's vma_internal.h.
 * Only what those functions use, each with why the stub is safe:
 *
 * - Locks, RCU, preemption, lockdep: the engine runs one op at a time
 *   on one thread, so every lock is uncontended and every RCU reader
 *   sees a quiescent tree: no-ops.
 * - Per-CPU data: a per-CPU variable is a plain variable: the engine
 *   replays one call at a time, each on the CPU the core named (linux612;
 *   linux61 has one CPU).  num_online_cpus() is LX_NR_CPUS.
 * - kmem_cache: malloc/free through the engine (lx_alloc/lx_free), which
 *   counts objects so the engine can report a leak; a NULL from it takes
 *   Linux's own failure paths.
 * - KASAN, kmemleak, debug_pagealloc: off, as in a default build.
 * - TLB flush: recorded (lx_flush), checked by nothing here: the
 *   engine compares addresses only.
 * - WARN and BUG: a message on stderr and a flag the engine turns into
 *   a failed op (a BUG does not stop the process: the engine reports).
 * - schedule_work(drain): a no-op; the core purges at once and says so
 *   (VMC_VA_EV_PURGE), and the engine then calls __purge_vmap_area_lazy
 *   itself, in the same place of the sequence.
 */
#ifndef LX_SHIM_H
#define LX_SHIM_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#ifndef LX_NAME
#define LX_NAME "linux61"      /* the engine, in messages */
#endif

/* ---- compiler.h, container_of.h, stddef.h, export.h ---- */
#undef __always_inline          /* glibc's cdefs.h has one */
#define __always_inline inline __attribute__((always_inline))
#define likely(x) __builtin_expect(!!(x), 1)
#define unlikely(x) __builtin_expect(!!(x), 0)
#define READ_ONCE(x) (x)
#define WRITE_ONCE(x, v) ((x) = (v))
#define container_of(ptr, type, member) \
	((type *)((char *)(ptr) - offsetof(type, member)))
#define EXPORT_SYMBOL(sym) extern int lx_exported_##sym
#define EXPORT_SYMBOL_GPL(sym) extern int lx_exported_##sym

/* ---- rcupdate.h: single-threaded, see above ---- */
#define rcu_assign_pointer(p, v) ((p) = (v))
#define rcu_dereference_raw(p) (p)

/* ---- the rest of what the functions use ---- */
typedef unsigned int gfp_t;
#define GFP_NOWAIT 0u
#define PAGE_SHIFT 12
#define PAGE_SIZE (1UL << PAGE_SHIFT)
#define ALIGN(x, a) (((x) + ((typeof(x))(a) - 1)) & ~((typeof(x))(a) - 1))
#define min(a, b) ((a) < (b) ? (a) : (b))
#define max(a, b) ((a) > (b) ? (a) : (b))
#define DEBUG_AUGMENT_PROPAGATE_CHECK 0
#define DEBUG_AUGMENT_LOWEST_MATCH_CHECK 0

struct list_head {
	struct list_head *next, *prev;
};
#define LIST_HEAD_INIT(name) { &(name), &(name) }
#define LIST_HEAD(name) struct list_head name = LIST_HEAD_INIT(name)
static inline void INIT_LIST_HEAD(struct list_head *l)
{
	l->next = l->prev = l;
}
static inline void lx_list_insert(struct list_head *n, struct list_head *p,
				  struct list_head *q)
{
	q->prev = n;
	n->next = q;
	n->prev = p;
	p->next = n;
}
static inline void list_add(struct list_head *n, struct list_head *h)
{
	lx_list_insert(n, h, h->next);
}
static inline void list_del_init(struct list_head *e)
{
	e->prev->next = e->next;
	e->next->prev = e->prev;
	INIT_LIST_HEAD(e);
}
static inline bool list_empty(const struct list_head *h)
{
	return h->next == h;
}
static inline void list_replace_init(struct list_head *old,
				     struct list_head *new)
{
	if (list_empty(old)) {
		INIT_LIST_HEAD(new);
		return;
	}
	new->next = old->next;
	new->next->prev = new;
	new->prev = old->prev;
	new->prev->next = new;
	INIT_LIST_HEAD(old);
}
#define list_entry(ptr, type, member) container_of(ptr, type, member)
#define list_first_entry(h, type, member) list_entry((h)->next, type, member)
#define list_last_entry(h, type, member) list_entry((h)->prev, type, member)
#define list_for_each_entry(pos, head, member)				\
	for (pos = list_entry((head)->next, typeof(*pos), member);	\
	     &pos->member != (head);					\
	     pos = list_entry(pos->member.next, typeof(*pos), member))
#define list_for_each_entry_safe(pos, n, head, member)			\
	for (pos = list_entry((head)->next, typeof(*pos), member),	\
	     n = list_entry(pos->member.next, typeof(*pos), member);	\
	     &pos->member != (head);					\
	     pos = n, n = list_entry(n->member.next, typeof(*n), member))

typedef int spinlock_t;
#define spin_lock(l) ((void)(l))
#define spin_unlock(l) ((void)(l))
#define cond_resched_lock(l) ((void)(l))
#define lockdep_assert_held(l) ((void)(l))

typedef struct { long counter; } atomic_long_t;
#define ATOMIC_LONG_INIT(v) { (v) }
static inline long atomic_long_read(const atomic_long_t *v) { return v->counter; }
static inline void atomic_long_sub(long i, atomic_long_t *v) { v->counter -= i; }
static inline long atomic_long_add_return(long i, atomic_long_t *v)
{
	return v->counter += i;
}

struct work_struct { void (*func)(struct work_struct *w); };
static inline bool schedule_work(struct work_struct *w)
{
	(void)w;
	return true;
}

#define DEFINE_PER_CPU(type, name) type name
#define __this_cpu_xchg(var, val) \
	({ typeof(var) lx_old_ = (var); (var) = (val); lx_old_; })

/* The CPUs: 1, or what the engine defines LX_NR_CPUS as (linux612). */
#ifndef LX_NR_CPUS
#define LX_NR_CPUS 1u
#endif
static inline unsigned int num_online_cpus(void) { return LX_NR_CPUS; }
static inline int fls(unsigned int x)
{
	return x ? 32 - __builtin_clz(x) : 0;
}

/* kmem_cache: the engine's counted allocator. */
struct kmem_cache { int unused; };
static void *lx_alloc(size_t size);
static void lx_free(void *p);
#define kmem_cache_alloc(c, gfp) ((void)(c), (void)(gfp), lx_alloc(sizeof(struct vmap_area)))
#define kmem_cache_zalloc(c, gfp) kmem_cache_alloc(c, gfp)
#define kmem_cache_free(c, p) ((void)(c), lx_free(p))

/* WARN / BUG: reported, see above. */
static void lx_warn(const char *what);
#define WARN(cond, ...) ({ bool lx_c_ = !!(cond); if (lx_c_) { fprintf(stderr, LX_NAME ": WARN: " __VA_ARGS__); lx_warn("WARN"); } lx_c_; })
#define WARN_ON(cond) ({ bool lx_c_ = !!(cond); if (lx_c_) lx_warn("WARN_ON(" #cond ")"); lx_c_; })
#define WARN_ON_ONCE(cond) WARN_ON(cond)
#define BUG_ON(cond) do { if (cond) lx_warn("BUG_ON(" #cond ")"); } while (0)
#define pr_emerg(...) fprintf(stderr, LX_NAME ": " __VA_ARGS__)

/* TLB flush: recorded by the engine. */
static void lx_flush(unsigned long start, unsigned long end);
#define flush_tlb_kernel_range(s, e) lx_flush(s, e)

/* KASAN and kmemleak off. */
#define kasan_reset_tag(p) (p)
static inline void kasan_release_vmalloc(unsigned long start,
					 unsigned long end,
					 unsigned long free_start,
					 unsigned long free_end)
{
	(void)start; (void)end; (void)free_start; (void)free_end;
}
static inline int is_vmalloc_or_module_addr(const void *x)
{
	(void)x;
	return 0;
}

#endif /* LX_SHIM_H */
