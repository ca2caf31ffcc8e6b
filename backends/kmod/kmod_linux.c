/* SPDX-License-Identifier: MIT OR GPL-2.0-only */
/*
 * kmod_linux.c - the "linux" reference engine: the op stream through the
 * running kernel's own vmalloc family (vmc_engine_linux).
 *
 * Theory
 * ------
 * 1. What it is for.  The core claims to be Linux 6.x vmalloc.  This
 *    engine runs the very op streams the core runs, through the kernel's
 *    exported calls, so the two can be compared on what does not depend
 *    on where each puts things (the runner's observe mode, VMC_RUN_OBSERVE:
 *    success or failure, pages mapped, the guard page, the in-page offset,
 *    the alignment, data round trips).  Addresses are the kernel's own:
 *    res->off is the address itself (unique per page, which is all the
 *    runner's register file needs).
 *
 * 2. The kernel must never see a bad call.  vfree of something that is
 *    not a vmalloc area WARNs, vm_unmap_ram of a wrong address BUG()s,
 *    iounmap of the wrong thing corrupts the memtype tree, vmalloc(0)
 *    WARNs, vm_map_ram(0) WARNs, and a stale address may by now belong to
 *    some other kernel user entirely.  So the engine keeps its own table
 *    of the areas it holds (an rbtree by start address: kind, span, guard,
 *    the pages it gave vmap and vm_map_ram, the physical base of an
 *    ioremap) and passes the kernel only addresses of live areas of the
 *    right kind, with the right count.  Everything else is answered the
 *    way the core answers it (libvmcore: -EINVAL for a bad free, -EINVAL
 *    for size 0, a bad alignment or node, -ENOMEM for more pages than
 *    RAM) without calling the kernel.  Where Linux 6.1 accepts a call the
 *    core refuses and doing so is harmless, the engine does what Linux
 *    does, and DIVERGENCES.md lists it:
 *      - vfree / vunmap / iounmap of a page-aligned address inside (or in
 *        the guard page of) a live area of the right kind frees the whole
 *        area (6.1's find_vm_area() finds the area containing an address;
 *        the core wants the start).  The engine calls the kernel with the
 *        area's start, which has the same effect.
 *      - vm_unmap_ram with a count of the same order as the mapped one
 *        (both at most VMAP_MAX_ALLOC) is accepted by both; the engine
 *        passes the mapped count, since the kernel unmaps exactly `count`
 *        pages and a smaller count would leave a page mapped in a vmap
 *        block (a later vmap over it WARNs); the core unmaps the chunk.
 *
 * 3. What the kernel does not export.  There is no exported vmalloc with an
 *    alignment (__vmalloc_node and __vmalloc_node_range are not exported),
 *    no vmalloc_huge on a node, and no vrealloc (it appeared in 6.12).
 *    Those ops, once their arguments passed the core's validation, are
 *    answered -EOPNOTSUPP (printed -E95).  One exception: huge=1 with an
 *    alignment up to PMD_SIZE and a size that gets PMD leaves is
 *    vmalloc_huge(), whose 6.1 contract aligns to PMD_SIZE; whether the
 *    address came out aligned is what observe mode reports.  6.12 exports
 *    the same, renamed *_noprof under macros of the old names, plus a
 *    way to vrealloc (kvrealloc of a vmalloc address): where kfeatures.sh
 *    found it (KMOD_HAVE_VREALLOC), vrealloc is compared (kl_vrealloc).
 *
 * 4. Budgets.  The core runs on a backend of cfg->nr_frames frames in a
 *    window of cfg->arena_size bytes; the kernel has the guest's RAM and
 *    tens of TiB of vmalloc space.  So that success and failure stay
 *    comparable near exhaustion, and so that no stream can exhaust the
 *    guest (OOM kills, allocation splats), the engine enforces
 *      - a page budget: pages it holds (vmalloc'ed pages, counted from
 *        what got mapped, and the pages it gives vmap and vm_map_ram)
 *        never exceed cfg->nr_frames (default 8192), capped at a quarter of the
 *        guest's RAM.  A request of more pages than the budget in total
 *        is -ENOMEM exactly as in the core ("exceeds total pages"); one
 *        that does not fit what is left is -ENOMEM too.  The core also
 *        spends frames on page tables and page arrays, so it fails a
 *        little earlier: within a margin of the limit (kl_margin) results
 *        are marked as the known divergence "near the budget".
 *      - a space budget: the bytes of its live areas, guard pages
 *        included, never exceed cfg->arena_size (default 1 GiB, at most
 *        4 GiB).  The core's window also holds lazily freed ranges and
 *        fragments, so again it may fail earlier.  This bounds the page
 *        tables an ioremap loop can make the kernel build.
 *    Allocations are the plain calls (vmalloc, vzalloc, vmalloc_node,
 *    vzalloc_node) and vmalloc_huge(size, KL_GFP): GFP_KERNEL with
 *    __GFP_NOWARN and __GFP_RETRY_MAYFAIL, the only one that takes a gfp.
 *    The budget (at most a quarter of the guest's RAM; the runner's guest has
 *    2 GiB for budgets of 32 or 256 MiB) keeps them all far from the
 *    page allocator's exhaustion, where a failure would splat a warning
 *    into the log the runner checks.
 *
 * 5. Known divergences (DIVERGENCES.md) are marked where they arise, by
 *    kl_known(): the result is flagged `ignore` with the reason (res->why),
 *    which the runner prints as a "# ignored" comment instead of failing.
 *    An op 6.1 does not export, a huge vmalloc that 6.1 maps with whole
 *    PMDs, a result near the budget; and every later op on a register one
 *    of those set (lost[]: the core holds an area there and this engine
 *    does not, or the other way round).  fail() cannot be injected into
 *    the kernel: it is a no-op, and from a fail() with nth != 0 on every
 *    result is flagged (this engine lost sync, like the model after
 *    fail(meta)); diff runs drop fail() before they start (kmod_dev.c).
 *
 * 6. Data.  Memory nobody wrote holds what the core's backends put in a
 *    fresh frame, 0xa5: areas not asked to be zeroed, and the pages given
 *    to vmap and vm_map_ram, are filled with it, so a stream that reads
 *    such memory reads the same bytes on both engines.
 *    write and verify go through the returned address (memcpy, or
 *    the io accessors for ioremap) and are checked against the frame
 *    behind it: vmalloc_to_page() must give the frame the engine expects
 *    (the page it passed to vmap / vm_map_ram, the BAR frame
 *    phys + index for ioremap, any RAM page for vmalloc), and the bytes
 *    must read the same through the direct map of that frame
 *    (page_address(), or the module's own mapping of the BAR,
 *    kmod_devmem()->kva).  A difference is -EIO with the offset in the
 *    detail.  An access outside a live area of the engine's table is
 *    -EFAULT and never touches memory.
 *
 * 7. Observe mode: translation is vmalloc_to_page() (non-NULL: mapped)
 *    and vmalloc_to_pfn().  For BAR frames there is no memmap, but with
 *    SPARSEMEM_VMEMMAP both are address arithmetic that never dereference
 *    the struct page, so vmalloc_to_pfn works for ioremap areas; the
 *    engine never dereferences such a page.
 *
 * check() walks every live area: each page translates to the expected
 * frame (invariant 4) and the guard page after it does not translate
 * (invariant 2).  destroy() frees every live area and every page.
 */
#include <linux/kernel.h>
#include <linux/gfp.h>
#include <linux/io.h>
#include <linux/mm.h>
#include <linux/nodemask.h>
#include <linux/rbtree.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uaccess.h>
#include <linux/vmalloc.h>

#include "kmod.h"
#include "vmc_kmod_uapi.h"

#define KL_GFP          (GFP_KERNEL | __GFP_NOWARN | __GFP_RETRY_MAYFAIL)
#define KL_MAX_ALLOC    BITS_PER_LONG           /* 6.1's VMAP_MAX_ALLOC */
#define KL_POISON       0xa5    /* the core's backends fill fresh frames so */

enum kl_kind { KL_VMALLOC, KL_VMAP, KL_IOREMAP, KL_RAM };

struct kl_area {
	struct rb_node node;
	enum kl_kind kind;
	unsigned long start;            /* page aligned: the area's start */
	unsigned long addr;             /* what the call returned */
	unsigned long span;             /* bytes mapped from start */
	unsigned long guard;            /* PAGE_SIZE, or 0 (vm_map_ram) */
	unsigned long held;             /* budget pages it holds */
	unsigned long req;              /* vmalloc: the size asked for (6.12's
					   vm->requested_size) */
	unsigned int count;             /* vmap, vm_map_ram: pages[] */
	struct page **pages;
	phys_addr_t phys;               /* ioremap: frame of start */
};

struct kl_state {
	struct rb_root areas;
	unsigned long reg[VMC_OP_REGS]; /* last address per register */
	unsigned long frames_max, frames;       /* page budget, in use */
	unsigned long space_max, space;         /* space budget, in use */
	unsigned long arena;                    /* cfg->arena_size (ranges) */
	bool observe;
	bool core612;                   /* the core runs its linux-6.12 profile */
	bool desync;                    /* after fail(): results `ignore` */
	const char *why;                /* this op differs for a known reason */
	bool lost[VMC_OP_REGS];         /* set by an op 6.1 cannot do: the
					   core's register holds an area,
					   this one does not */
	unsigned long lost_pages[VMC_OP_REGS];  /* pages one engine holds
						   there and the other not */
	unsigned long lost_leaked;      /* such pages leaked by overwrites */
	unsigned long nareas;           /* live areas */
	unsigned long data_base;        /* write/verify: the register */
	char detail[160];               /* -EIO from the access callback */
	u8 *tmp;                        /* one page: direct-map reads */
};

/* ---------- the table of live areas ---------- */

/* The live area whose [start, start + span + guard) holds va, or NULL. */
static struct kl_area *kl_find(struct kl_state *s, unsigned long va)
{
	struct rb_node *n = s->areas.rb_node;

	while (n) {
		struct kl_area *a = rb_entry(n, struct kl_area, node);

		if (va < a->start)
			n = n->rb_left;
		else if (va - a->start >= a->span + a->guard)
			n = n->rb_right;
		else
			return a;
	}
	return NULL;
}

static void kl_insert(struct kl_state *s, struct kl_area *a)
{
	struct rb_node **p = &s->areas.rb_node, *parent = NULL;

	while (*p) {
		struct kl_area *o = rb_entry(*p, struct kl_area, node);

		parent = *p;
		p = a->start < o->start ? &(*p)->rb_left : &(*p)->rb_right;
	}
	rb_link_node(&a->node, parent, p);
	rb_insert_color(&a->node, &s->areas);
	s->nareas++;
	s->frames += a->held;
	s->space += a->span + a->guard;
}

static void kl_free_pages(struct page **pages, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		if (pages[i])
			__free_page(pages[i]);
	kvfree(pages);
}

/* Drop area a from the table (the kernel no longer has it), give back
 * what it held. */
static void kl_forget(struct kl_state *s, struct kl_area *a)
{
	if (a->pages)
		kl_free_pages(a->pages, a->count);
	rb_erase(&a->node, &s->areas);
	s->nareas--;
	s->frames -= a->held;
	s->space -= a->span + a->guard;
	kfree(a);
}

/* Unmap or free area a through the kernel, give back what it held. */
static void kl_release(struct kl_state *s, struct kl_area *a)
{
	switch (a->kind) {
	case KL_VMALLOC:
		vfree((void *)a->start);
		break;
	case KL_VMAP:
		vunmap((void *)a->start);
		break;
	case KL_IOREMAP:
		iounmap((void __iomem *)a->addr);
		break;
	case KL_RAM:
		vm_unmap_ram((void *)a->start, a->count);
		break;
	}
	kl_forget(s, a);
}

/* ---------- translation ---------- */

static int kl_translate(void *ctx, unsigned long va, unsigned long *pfn)
{
	struct page *pg;

	(void)ctx;
	if (!is_vmalloc_addr((void *)va))
		return -EFAULT;
	/* vmalloc_to_pfn() itself cannot say "not mapped": ask the page. */
	pg = vmalloc_to_page((void *)va);
	if (!pg)
		return -EFAULT;
	*pfn = vmalloc_to_pfn((void *)va);
	return 0;
}

/*
 * The frame behind page va of area a, and whether it is the one the
 * engine expects there: 0 and *pfn; -EFAULT when va does not translate;
 * -EIO (s->detail says why) when it maps another frame.
 */
static int kl_frame(struct kl_state *s, const struct kl_area *a,
		    unsigned long va, unsigned long *pfn)
{
	unsigned long i = (va - a->start) >> PAGE_SHIFT, want;

	if (kl_translate(s, va, pfn))
		return -EFAULT;
	switch (a->kind) {
	case KL_VMAP:
	case KL_RAM:
		want = page_to_pfn(a->pages[i]);
		break;
	case KL_IOREMAP:
		want = (unsigned long)(a->phys >> PAGE_SHIFT) + i;
		break;
	default:                /* vmalloc: any RAM frame */
		want = pfn_valid(*pfn) ? *pfn : ~0UL;
		break;
	}
	if (*pfn == want)
		return 0;
	snprintf(s->detail, sizeof(s->detail),
		 "+0x%lx: maps pfn 0x%lx, want 0x%lx",
		 va - s->data_base, *pfn, want);
	return -EIO;
}

/* The direct map of frame pfn (RAM: page_address; BAR: the module's
 * mapping).  kl_frame() vouched for pfn. */
static void kl_direct_read(const struct kl_area *a, unsigned long pfn,
			   unsigned long in_page, void *buf, size_t n)
{
	if (a->kind == KL_IOREMAP) {
		const struct kmod_devmem *dm = kmod_devmem();
		unsigned long off = (unsigned long)(((phys_addr_t)pfn <<
						     PAGE_SHIFT) - dm->phys);

		memcpy_fromio(buf, dm->kva + off + in_page, n);
	} else {
		memcpy(buf, (u8 *)page_address(pfn_to_page(pfn)) + in_page, n);
	}
}

/* ---------- data: the access callback of vmc_engine_data ---------- */

static int kl_access(void *ctx, unsigned long va, void *buf, size_t len,
		     bool write)
{
	struct kl_state *s = ctx;
	struct kl_area *a = kl_find(s, va);
	u8 *b = buf;

	/* Only inside what the area maps (not its guard page). */
	if (!a || va < a->addr || va - a->start >= a->span ||
	    len > a->start + a->span - va)
		return -EFAULT;
	while (len) {
		unsigned long in_page = va & (PAGE_SIZE - 1), pfn;
		size_t n = min_t(size_t, len, PAGE_SIZE - in_page), i;
		int err = kl_frame(s, a, va & PAGE_MASK, &pfn);

		if (err)
			return err;
		if (write && a->kind == KL_IOREMAP)
			memcpy_toio((void __iomem *)va, b, n);
		else if (write)
			memcpy((void *)va, b, n);
		else if (a->kind == KL_IOREMAP)
			memcpy_fromio(b, (void __iomem *)va, n);
		else if (copy_from_kernel_nofault(b, (void *)va, n))
			return -EFAULT;
		kl_direct_read(a, pfn, in_page, s->tmp, n);
		for (i = 0; i < n; i++) {
			if (s->tmp[i] == b[i])
				continue;
			snprintf(s->detail, sizeof(s->detail),
				 "+0x%lx: %s 0x%02x, direct map has 0x%02x",
				 va + i - s->data_base,
				 write ? "wrote" : "address reads", b[i],
				 s->tmp[i]);
			return -EIO;
		}
		va += n;
		b += n;
		len -= n;
	}
	return 0;
}

static void kl_data(struct kl_state *s, const struct vmc_op *op,
		    struct vmc_result *res)
{
	s->data_base = s->reg[op->src];
	s->detail[0] = '\0';
	vmc_engine_data(op, s->data_base, kl_access, s, res);
	if (res->err == -EIO && !res->detail[0])
		snprintf(res->detail, sizeof(res->detail), "%s", s->detail);
}

/* ---------- results ---------- */

/* A new live area from a successful call: record it, fill res. */
static void kl_result(struct kl_state *s, const struct vmc_op *op,
		      struct kl_area *a, struct vmc_result *res)
{
	kl_insert(s, a);
	s->reg[op->dst] = a->addr;
	res->has_addr = true;
	res->off = a->addr;
	if (s->observe)
		vmc_engine_observe(op, a->addr, kl_translate, s, res);
}

static void kl_null(struct kl_state *s, const struct vmc_op *op, int err,
		    struct vmc_result *res)
{
	if (op->dst >= 0)
		s->reg[op->dst] = 0;
	res->err = err;
}

/*
 * Frames the core may hold beyond what this engine holds, or hold less
 * of: its page tables (at most one PTE table per 2 MiB of live space, two
 * partial ones per area, a few upper tables) and the areas of registers
 * the two engines disagree on (lost[]), and an eighth of the budget for
 * what this engine cannot follow (a vrealloc the core shrank in place
 * keeps its frames).  Within this margin of the budget
 * the two may fail on different ops: a known divergence (theory 4).
 */
static unsigned long kl_margin(const struct kl_state *s)
{
	unsigned long m = (s->space >> PMD_SHIFT) + 2 * s->nareas + 16 +
			  s->lost_leaked + s->frames_max / 8;
	int r;

	for (r = 0; r < VMC_OP_REGS; r++)
		m += s->lost_pages[r];
	return m;
}

#define KL_SPACE_SLACK  (64UL << 20)    /* lazily freed, not yet purged */

/*
 * Room for `pages` more budget pages and `bytes` more space?  Near the
 * limit (within the margin) the answer is right for this engine but may
 * not be the core's: the result is marked as such.
 */
static bool kl_fits(struct kl_state *s, unsigned long pages,
		    unsigned long bytes)
{
	unsigned long fr = s->frames_max - s->frames;
	unsigned long sp = s->space_max - s->space;

	if (pages + kl_margin(s) > fr || bytes + KL_SPACE_SLACK > sp)
		s->why = "near the budget: the core also spends frames on page "
			 "tables and keeps lazily freed space, so near the "
			 "limit the two fail on different ops";
	return pages <= fr && bytes <= sp;
}

static bool kl_node_ok(int node)
{
	return node == NUMA_NO_NODE ||
	       (node >= 0 && node < nr_node_ids && node_online(node));
}

/* ---------- the vmalloc family ---------- */

/*
 * Fill len bytes at p with what the core's fresh frames hold.  len may
 * run past the size the allocation was asked for (to the end of its
 * pages, or its PMD leaves): 6.12's FORTIFY_SOURCE knows that size
 * (vmalloc is __alloc_size) and would call that an overflow, so the
 * pointer is hidden from the compiler first.
 */
static void kl_poison(void *p, unsigned long len)
{
	OPTIMIZER_HIDE_VAR(p);
	memset(p, KL_POISON, len);
}

/*
 * The core's argument checks, in the core's order
 * (vmc__vmalloc_node_range): 0, or the error it answers.  *pages is
 * PAGE_ALIGN(size) in pages.
 */
static int kl_vmalloc_args(const struct kl_state *s, const struct vmc_op *op,
			   unsigned long *pages)
{
	u64 align = op->align ? op->align : PAGE_SIZE;

	if (!op->size)
		return -EINVAL;
	if (op->size > ULONG_MAX - (PAGE_SIZE - 1) ||
	    PAGE_ALIGN(op->size) >> PAGE_SHIFT > s->frames_max)
		return -ENOMEM;
	*pages = PAGE_ALIGN(op->size) >> PAGE_SHIFT;
	if (op->kind != VMC_OP_VMALLOC && op->kind != VMC_OP_VMALLOC_RANGE)
		align = PAGE_SIZE;
	if (align & (align - 1))
		return -EINVAL;
	if (op->kind != VMC_OP_VMALLOC_HUGE && !kl_node_ok(op->node))
		return -EINVAL;
	if (op->kind == VMC_OP_VMALLOC_RANGE &&
	    (op->start >= op->end || op->end > s->arena))
		return -EINVAL;
	return 0;
}

static void kl_vmalloc(struct kl_state *s, const struct vmc_op *op,
		       struct vmc_result *res)
{
	bool any = op->kind == VMC_OP_VMALLOC;
	bool zero = (any && op->zero) || op->kind == VMC_OP_VZALLOC;
	bool huge = (any && op->huge) || op->kind == VMC_OP_VMALLOC_HUGE;
	int node = op->kind == VMC_OP_VMALLOC_HUGE ? NUMA_NO_NODE : op->node;
	u64 align = any && op->align > PAGE_SIZE ? op->align : PAGE_SIZE;
	unsigned long pages, need, bytes, size;
	bool pmd = false;
	struct kl_area *a;
	void *p;
	int err;

	err = kl_vmalloc_args(s, op, &pages);
	if (err)
		goto fail;
	size = (unsigned long)op->size;
	bytes = pages << PAGE_SHIFT;
	/* Would 6.1 use PMD leaves?  (size per online node >= PMD_SIZE) */
	if (huge && node == NUMA_NO_NODE &&
	    bytes / num_online_nodes() >= PMD_SIZE &&
	    bytes <= ULONG_MAX - PMD_SIZE)
		pmd = true;
	err = -EOPNOTSUPP;
	if (op->kind == VMC_OP_VMALLOC_RANGE ||
	    (huge && node != NUMA_NO_NODE) ||
	    align > (pmd ? PMD_SIZE : PAGE_SIZE))
		goto fail;
	need = pmd ? ALIGN(bytes, PMD_SIZE) : bytes;
	err = -ENOMEM;
	if (!kl_fits(s, need >> PAGE_SHIFT, need + PAGE_SIZE))
		goto fail;
	a = kzalloc(sizeof(*a), GFP_KERNEL | __GFP_NOWARN);
	if (!a)
		goto fail;

	if (op->kind == VMC_OP_VREALLOC)   /* 6.12's vrealloc(NULL, size) */
		p = __vmalloc(size, KL_GFP);
	else if (huge)
		p = vmalloc_huge(size, KL_GFP | (zero ? __GFP_ZERO : 0));
	else if (node == NUMA_NO_NODE)
		p = zero ? vzalloc(size) : vmalloc(size);
	else
		p = zero ? vzalloc_node(size, node) : vmalloc_node(size, node);
	if (!p) {
		kfree(a);
		goto fail;
	}
	a->kind = KL_VMALLOC;
	a->start = a->addr = (unsigned long)p;
	a->guard = PAGE_SIZE;
	a->span = bytes;
	a->req = size;
	/* PMD leaves cover the rounded-up size: the area is that long. */
	if (pmd && need > bytes && vmalloc_to_page((u8 *)p + bytes)) {
		a->span = need;
		s->why = "Linux " KMOD_KERNEL " maps a huge vmalloc with "
			 "whole PMD leaves, so the page after the size is "
			 "mapped; the core on kmod has 4 KiB leaves only";
	}
	a->held = a->span >> PAGE_SHIFT;
	if (!zero)                      /* what the core's fresh frames hold */
		kl_poison(p, a->span);
	kl_result(s, op, a, res);
	return;
fail:
	kl_null(s, op, err, res);
}

/*
 * vfree, vunmap: the live area of `kind` containing addr (its start, or
 * in 6.1 also any page-aligned address inside it or its guard page);
 * NULL is a no-op.
 */
static int kl_free(struct kl_state *s, unsigned long addr, enum kl_kind kind)
{
	struct kl_area *a;

	if (!addr)
		return 0;
	a = PAGE_ALIGNED(addr) ? kl_find(s, addr) : NULL;
	if (!a || a->kind != kind)
		return -EINVAL;
	kl_release(s, a);
	return 0;
}

/* ---------- vmap, vm_map_ram ---------- */

static void kl_map_pages(struct kl_state *s, const struct vmc_op *op,
			 struct vmc_result *res)
{
	bool ram = op->kind == VMC_OP_VM_MAP_RAM;
	unsigned int count = op->pages, i;
	unsigned long span, guard;
	struct page **pages;
	struct kl_area *a;
	void *p;
	int err = -EINVAL;

	if (!count)
		goto fail;
	span = (unsigned long)count << PAGE_SHIFT;
	guard = PAGE_SIZE;
	if (ram) {
		guard = 0;
		if (count <= KL_MAX_ALLOC)      /* a chunk of a vmap block */
			span = PAGE_SIZE << get_order(span);
	}
	err = -ENOMEM;
	if (!kl_fits(s, count, span + guard))
		goto fail;
	a = kzalloc(sizeof(*a), GFP_KERNEL | __GFP_NOWARN);
	pages = kvcalloc(count, sizeof(*pages), GFP_KERNEL | __GFP_NOWARN);
	if (!a || !pages)
		goto fail_free;
	for (i = 0; i < count; i++) {
		pages[i] = alloc_page(KL_GFP);
		if (!pages[i])
			goto fail_free;
		memset(page_address(pages[i]), KL_POISON, PAGE_SIZE);
	}
	if (ram)
		p = vm_map_ram(pages, count,
			       kl_node_ok(op->node) ? op->node : NUMA_NO_NODE);
	else
		p = vmap(pages, count, VM_MAP, PAGE_KERNEL);
	if (!p)
		goto fail_free;
	a->kind = ram ? KL_RAM : KL_VMAP;
	a->start = a->addr = (unsigned long)p;
	a->span = span;
	a->guard = guard;
	a->held = count;
	a->count = count;
	a->pages = pages;
	kl_result(s, op, a, res);
	return;
fail_free:
	if (pages)
		kl_free_pages(pages, count);
	kfree(a);
fail:
	kl_null(s, op, err, res);
}

/*
 * vm_unmap_ram(addr, count): only the start of a live vm_map_ram
 * mapping.  6.1 unmaps `count` pages of a vmap-block chunk of order
 * get_order(count), or the whole vmap area above VMAP_MAX_ALLOC; the
 * core wants the chunk's order, or the exact count.  A count the core
 * accepts gets the mapped count here (see the theory, 2).
 */
static int kl_vm_unmap_ram(struct kl_state *s, unsigned long addr,
			   unsigned int count)
{
	struct kl_area *a = addr ? kl_find(s, addr) : NULL;
	unsigned int n;

	if (!count || !a || a->kind != KL_RAM || a->start != addr)
		return -EINVAL;
	n = a->count;
	if (count != n &&
	    (n > KL_MAX_ALLOC || count > KL_MAX_ALLOC ||
	     get_order((unsigned long)count << PAGE_SHIFT) !=
	     get_order((unsigned long)n << PAGE_SHIFT)))
		return -EINVAL;
	kl_release(s, a);
	return 0;
}

/* ---------- ioremap ---------- */

static void kl_ioremap(struct kl_state *s, const struct vmc_op *op,
		       struct vmc_result *res)
{
	const struct kmod_devmem *dm = kmod_devmem();
	u64 dev = dm->phys, phys = dev + op->phys, last = phys + op->size - 1;
	unsigned long pgoff, span;
	struct kl_area *a;
	void __iomem *p;
	int err = -EINVAL;

	/* The core's checks (vmc__ioremap), in its order. */
	if (!op->size || last < phys)
		goto fail;
	if (!(phys >= dev && phys - dev < dm->size &&
	      op->size <= dm->size - (phys - dev)))
		goto fail;
	err = -EOPNOTSUPP;      /* RAM stand-in: ioremap of RAM WARNs */
	if (!dm->is_bar)
		goto fail;
	pgoff = (unsigned long)(phys & (PAGE_SIZE - 1));
	span = PAGE_ALIGN(pgoff + (unsigned long)op->size);
	err = -ENOMEM;
	if (!kl_fits(s, 0, span + PAGE_SIZE))
		goto fail;
	a = kzalloc(sizeof(*a), GFP_KERNEL | __GFP_NOWARN);
	if (!a)
		goto fail;
	p = ioremap((resource_size_t)phys, (unsigned long)op->size);
	if (!p) {
		kfree(a);
		goto fail;
	}
	a->kind = KL_IOREMAP;
	a->addr = (unsigned long)p;
	a->start = a->addr & PAGE_MASK;
	a->span = span;
	a->guard = PAGE_SIZE;
	a->phys = phys - pgoff;
	kl_result(s, op, a, res);
	return;
fail:
	kl_null(s, op, err, res);
}

/* iounmap: the ioremap area containing addr's page (x86 rounds down and
 * finds the containing area, so an interior page frees it too). */
static int kl_iounmap(struct kl_state *s, unsigned long addr)
{
	struct kl_area *a;

	if (!addr)
		return 0;
	a = kl_find(s, addr & PAGE_MASK);
	if (!a || a->kind != KL_IOREMAP)
		return -EINVAL;
	kl_release(s, a);
	return 0;
}

/* ---------- vrealloc (6.12) ---------- */

#if KMOD_HAVE_VREALLOC
/*
 * vrealloc(src, size) through the kernel's own vrealloc.  6.12 does not
 * export vrealloc, but its kvrealloc(p, size, gfp) hands a vmalloc
 * address straight to it, so the engine calls that with the start of a
 * live vmalloc area.  6.12's vrealloc (mm/vmalloc.c): size 0 is vfree;
 * NULL is __vmalloc(size, gfp), which the engine calls itself
 * (kvrealloc(NULL) would kmalloc); a size up to the requested size only
 * lowers requested_size and zeroes the bytes past it under
 * init_on_alloc (Debian's default), keeping every page; a size up to the
 * area's mapped pages keeps the pointer too; anything bigger is a new
 * __vmalloc, the old requested_size bytes copied, the old area freed.
 * The core gives a shrunk area's tail pages back and keeps the bytes
 * past the new size, so a shrink (size below the requested size) is a
 * known divergence; growing, in place or by moving, is compared.
 */
static void kl_vrealloc(struct kl_state *s, const struct vmc_op *op,
			unsigned long src, struct vmc_result *res)
{
	unsigned long size = (unsigned long)op->size, pages, span, old;
	struct kl_area *a, *n;
	bool in_place, moved;
	void *p;
	int err;

	if (!src) {
		if (!op->size)          /* vrealloc(NULL, 0): vfree(NULL) */
			kl_null(s, op, 0, res);
		else
			kl_vmalloc(s, op, res);
		return;
	}
	a = kl_find(s, src);
	err = -EINVAL;                  /* the core wants a vmalloc start */
	if (!a || a->kind != KL_VMALLOC || a->start != src)
		goto fail;
	if (!op->size) {
		p = kvrealloc((void *)a->start, 0, KL_GFP);     /* vfree */
		kl_forget(s, a);
		kl_null(s, op, p ? -EIO : 0, res);
		return;
	}
	err = -ENOMEM;
	if (op->size > ULONG_MAX - (PAGE_SIZE - 1) ||
	    PAGE_ALIGN(op->size) >> PAGE_SHIFT > s->frames_max)
		goto fail;
	span = PAGE_ALIGN(size);
	pages = span >> PAGE_SHIFT;
	old = a->req;
	in_place = span <= a->span;     /* 6.12: size <= get_vm_area_size() */
	if (in_place)
		(void)kl_fits(s, pages, 0);     /* the core may map fresh pages:
					   only marks a result near the
					   budget */
	else if (!kl_fits(s, pages, span + PAGE_SIZE))
		goto fail;              /* a new area: both held at once */
	/* The record of a new area, before the kernel frees the old one. */
	n = kzalloc(sizeof(*n), GFP_KERNEL | __GFP_NOWARN);
	if (!n)
		goto fail;
	p = kvrealloc((void *)a->start, size, KL_GFP);
	if (!p) {
		kfree(n);
		goto fail;              /* the old area is untouched */
	}
	moved = (unsigned long)p != a->start;
	WARN_ONCE(moved == in_place,
		  "vmcore: vrealloc(%lu) of a %lu-byte area %s it", size,
		  a->span, moved ? "moved" : "kept");
	if (moved) {                    /* the kernel freed the old area */
		kl_forget(s, a);
		n->kind = KL_VMALLOC;
		n->start = n->addr = (unsigned long)p;
		n->guard = PAGE_SIZE;
		n->span = span;
		n->held = pages;
		n->req = size;
		/* past the copied bytes: what fresh core frames hold */
		kl_poison((u8 *)p + old, span - old);
		kl_result(s, op, n, res);
		return;
	}
	kfree(n);
	if (size < old)
		s->why = s->core612 ?
			 "vrealloc shrink: Linux zeroes the bytes past the new "
			 "size (init_on_alloc); the core keeps them" :
			 "vrealloc shrink: Linux 6.12 keeps every page mapped "
			 "and zeroes the bytes past the new size; the core "
			 "gives the tail pages back and keeps the bytes";
	a->req = size;
	s->reg[op->dst] = a->addr;
	res->has_addr = true;
	res->off = a->addr;
	if (s->observe)
		vmc_engine_observe(op, a->addr, kl_translate, s, res);
	return;
fail:
	kl_null(s, op, err, res);
}
#endif

/* ---------- the engine ---------- */

static int kl_create(const struct vmc_engine_cfg *cfg, void **state)
{
	struct kl_state *s;

	s = kzalloc(sizeof(*s), GFP_KERNEL | __GFP_NOWARN);
	if (!s)
		return -ENOMEM;
	s->tmp = kmalloc(PAGE_SIZE, GFP_KERNEL | __GFP_NOWARN);
	if (!s->tmp) {
		kfree(s);
		return -ENOMEM;
	}
	s->areas = RB_ROOT;
	s->frames_max = cfg->nr_frames ? cfg->nr_frames : VMC_KMOD_DEF_FRAMES;
	s->frames_max = min(s->frames_max, totalram_pages() / 4);
	s->arena = cfg->arena_size && cfg->arena_size < ULONG_MAX ?
		   (unsigned long)cfg->arena_size : VMC_KMOD_DEF_ARENA;
	s->space_max = min_t(unsigned long, s->arena, VMC_KMOD_ARENA_MAX);
	s->observe = cfg->observe;
	s->core612 = cfg->profile == VMC_ENGINE_PROFILE_LINUX_6_12;
	*state = s;
	return 0;
}

static void kl_destroy(void *state)
{
	struct kl_state *s = state;
	struct rb_node *n;

	if (!s)
		return;
	while ((n = rb_first(&s->areas)))
		kl_release(s, rb_entry(n, struct kl_area, node));
	kfree(s->tmp);
	kfree(s);
}

/*
 * Mark the results that differ from the core's for a known reason
 * (DIVERGENCES.md) as `ignore`, with the reason: an op 6.1 does not
 * export (and everything later done with its register), and everything
 * after a fault injection the kernel cannot see.
 */
/* RAM pages an address op asks for (ioremap: none), at most the budget. */
static unsigned long kl_req_pages(const struct kl_state *s,
				  const struct vmc_op *op)
{
	u64 p;

	if (op->kind == VMC_OP_VMAP || op->kind == VMC_OP_VM_MAP_RAM)
		p = op->pages;
	else if (op->kind == VMC_OP_IOREMAP)
		p = 0;
	else
		p = PAGE_ALIGN(min_t(u64, op->size, 1ULL << 40)) >> PAGE_SHIFT;
	return min_t(u64, p, s->frames_max);
}

static void kl_known(struct kl_state *s, const struct vmc_op *op,
		     struct vmc_result *res)
{
	bool reads = vmc_op_has_src(op->kind) && op->src >= 0 &&
		     op->src < VMC_OP_REGS;
	bool writes = vmc_op_has_dst(op->kind) && op->dst >= 0 &&
		      op->dst < VMC_OP_REGS;
	bool data = op->kind == VMC_OP_WRITE || op->kind == VMC_OP_VERIFY;

	if (s->desync) {
		res->ignore = true;
		res->why = "after fail(): fault injection cannot reach the kernel";
	} else if (s->why) {
		res->ignore = true;
		res->why = s->why;
	} else if (res->err == -EOPNOTSUPP) {
		res->ignore = true;
		res->why = "not exported by Linux " KMOD_KERNEL;
	} else if (reads && s->lost[op->src]) {
		res->ignore = true;
		res->why = "register set by an op that differed for a known reason";
	}
	if (reads && writes && res->ignore) {
		/* vrealloc: the core may have moved the area; this engine
		   keeps it */
		struct kl_area *a = s->reg[op->src] ?
				    kl_find(s, s->reg[op->src]) : NULL;

		s->lost[op->src] = true;
		s->lost_pages[op->src] = a ? a->held : 0;
	} else if (reads && !writes && !data) {
		s->lost_pages[op->src] = 0;     /* a free: neither holds it */
	}
	if (writes) {
		/* Whatever the overwritten register held is leaked by both. */
		s->lost_leaked += s->lost_pages[op->dst];
		s->lost[op->dst] = res->ignore;
		s->lost_pages[op->dst] = res->ignore ? kl_req_pages(s, op) : 0;
	}
	s->why = NULL;
}

static void kl_exec(void *state, const struct vmc_op *op,
		    struct vmc_result *res)
{
	struct kl_state *s = state;
	unsigned long src = op->src >= 0 && op->src < VMC_OP_REGS ?
			    s->reg[op->src] : 0;

	memset(res, 0, sizeof(*res));
	switch (op->kind) {
	case VMC_OP_VMALLOC:
	case VMC_OP_VZALLOC:
	case VMC_OP_VMALLOC_NODE:
	case VMC_OP_VMALLOC_HUGE:
	case VMC_OP_VMALLOC_RANGE:
		kl_vmalloc(s, op, res);
		break;
	case VMC_OP_VFREE:
		res->err = kl_free(s, src, KL_VMALLOC);
		break;
	case VMC_OP_VMAP:
	case VMC_OP_VM_MAP_RAM:
		kl_map_pages(s, op, res);
		break;
	case VMC_OP_VUNMAP:
		res->err = kl_free(s, src, KL_VMAP);
		break;
	case VMC_OP_IOREMAP:
		kl_ioremap(s, op, res);
		break;
	case VMC_OP_IOUNMAP:
		res->err = kl_iounmap(s, src);
		break;
	case VMC_OP_VM_UNMAP_RAM:
		res->err = kl_vm_unmap_ram(s, src, op->pages);
		break;
	case VMC_OP_VREALLOC:
#if KMOD_HAVE_VREALLOC
		kl_vrealloc(s, op, src, res);
#else                           /* no vrealloc before 6.12 */
		kl_null(s, op, -EOPNOTSUPP, res);
#endif
		break;
	case VMC_OP_WRITE:
	case VMC_OP_VERIFY:
		kl_data(s, op, res);
		break;
	case VMC_OP_PURGE:
		vm_unmap_aliases();
		break;
	case VMC_OP_FAIL:       /* cannot be injected into the kernel */
		if (op->nth)
			s->desync = true;
		break;
	default:                /* VMC_OP_CHECK: the runner calls ->check;
				   VMC_OP_VMALLOCINFO: ok, nothing to print
				   (the kernel's dump is not the arena's) */
		break;
	}
	kl_known(s, op, res);
}

static int kl_check(void *state, char *msg, size_t len)
{
	struct kl_state *s = state;
	unsigned long frames = 0, space = 0, va, pfn;
	struct rb_node *n;
	int err;

	for (n = rb_first(&s->areas); n; n = rb_next(n)) {
		struct kl_area *a = rb_entry(n, struct kl_area, node);

		s->data_base = a->start;
		for (va = a->start; va < a->start + a->span; va += PAGE_SIZE) {
			/* vm_map_ram: only the first count pages of a chunk */
			if (a->kind == KL_RAM &&
			    va - a->start >= (unsigned long)a->count << PAGE_SHIFT)
				break;
			err = kl_frame(s, a, va, &pfn);
			if (!err)
				continue;
			if (err == -EFAULT)
				snprintf(s->detail, sizeof(s->detail),
					 "+0x%lx: not mapped", va - a->start);
			snprintf(msg, len, "linux: area 0x%lx (%lu bytes): %s",
				 a->start, a->span, s->detail);
			return 4;
		}
		if (a->guard && !kl_translate(s, a->start + a->span, &pfn)) {
			snprintf(msg, len,
				 "linux: area 0x%lx (%lu bytes): guard page mapped (pfn 0x%lx)",
				 a->start, a->span, pfn);
			return 2;
		}
		frames += a->held;
		space += a->span + a->guard;
	}
	if (frames != s->frames || space != s->space) {
		snprintf(msg, len,
			 "linux: budget drift: %lu pages / %lu bytes held, %lu / %lu counted",
			 frames, space, s->frames, s->space);
		return 6;
	}
	return 0;
}

const struct vmc_engine_ops vmc_engine_linux = {
	.name = "linux",
	.create = kl_create,
	.destroy = kl_destroy,
	.exec = kl_exec,
	.check = kl_check,
};
