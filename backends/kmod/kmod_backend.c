/* SPDX-License-Identifier: MIT OR GPL-2.0-only */
/*
 * kmod_backend.c - the kmod page-table backend (vmc_backend_kmod): the
 * core's page tables mirrored into the running kernel's own.
 *
 * Theory
 * ------
 * 1. The window.  The core needs a range of kernel virtual addresses it
 *    may map and unmap at will.  Only exported calls may reserve one, and
 *    get_vm_area() is not exported, so init() asks vmap() for a mapping of
 *    one zeroed scratch page repeated `space / PAGE_SIZE` times (1 GiB by
 *    default).  That gives a range the kernel's vmalloc allocator will hand
 *    to nobody else, with every level of the kernel's page tables present
 *    down to the PTE tables (vmap maps 4 KiB pages only).  init() then walks
 *    those tables from the live root (__va(read_cr3_pa()), through the
 *    pgd/p4d/pud/pmd/pte offset accessors, which follow the running
 *    kernel's 4 or 5 levels), keeps a pointer to each PTE table that covers
 *    the window, and clears every PTE in it: the window starts unmapped, as
 *    the core believes it is.  fini() writes the scratch page back into
 *    every PTE, flushes, and only then vunmap()s, so the kernel tears down
 *    exactly what it built.
 *
 * 2. Two sets of tables.  The core walks and edits tables of its own (the
 *    contract: table frames named by pfn, entries read and written one at a
 *    time).  Those are real frames from alloc_page(), holding entries in
 *    the kernel's own x86 format (pfn_pte() with PAGE_KERNEL and friends,
 *    _KERNPG_TABLE for table entries), laid out from a root of the running
 *    kernel's depth, exactly like the sim backend's x86_64 or la57 tables.
 *    They are the shadow the CPU never loads.  Every level-0 write is
 *    mirrored at once with set_pte() into the kernel's PTE of that address
 *    in the window, so the CPU sees what the core mapped; upper levels are
 *    the kernel's and never change (4 KiB leaves only: the core's huge
 *    leaves would need the kernel's PMDs, which stay the kernel's).
 *
 * 3. The TLB.  A PTE that goes from not present to present needs no
 *    flush on x86; one that is cleared or changed stays cached until
 *    flush_tlb(), which flushes every CPU (on_each_cpu with the exported
 *    __flush_tlb_all, which flushes only the CPU it runs on).  Between the
 *    clear and the flush the real MMU may still reach the old frame, as in
 *    Linux between vunmap and the lazy purge; the backend remembers the
 *    span of such PTEs and answers probe() there with -EAGAIN (it cannot
 *    tell), so the core's check draws no wrong conclusion.
 *
 * 4. Frames and the budget.  RAM frames come from alloc_pages(); the
 *    backend counts them against nr_frames (data, harness pages and table
 *    frames alike, the root included), so a run fails for want of frames
 *    exactly where a sim arena of the same budget does.  An xarray keyed
 *    by pfn records every frame it handed out: kaddr() answers for those
 *    (page_address()) and for the device region (kmod_pci.c's mapping of
 *    the BAR), and NULL for anything else, and fini() frees whatever is
 *    left.  A fresh frame is filled with 0xa5, the sim's and the model's
 *    poison, so a stream that reads memory it never wrote (a vmalloc
 *    without zeroing) sees the same bytes on every backend.  One node:
 *    the guest has one.
 *
 * 5. Access.  access() walks the shadow tables first (a page that is not
 *    present, or not writable for a write, is -EFAULT and never touched),
 *    then copies through the window's real address with
 *    copy_from_kernel_nofault() and a store that cannot oops
 *    (kb_store_nofault), so every byte goes through the CPU's MMU.
 *    probe() touches the real address only.
 *
 * Locking: the core calls every slot under its arena lock; the module
 * serialises runs (kmod_dev.c).  The counters of what all instances hold
 * (kmod_backend_live) are atomic.
 */
#include <linux/kernel.h>
#include <linux/gfp.h>
#include <linux/log2.h>
#include <linux/mm.h>
#include <linux/pgtable.h>
#include <linux/smp.h>
#include <linux/uaccess.h>
#include <linux/vmalloc.h>
#include <linux/xarray.h>
#include <asm/tlbflush.h>

#include "kmod.h"
#include "vmc_backends.h"       /* vmc_backend_find, defined here */
#include "vmc_kmod_uapi.h"

#define KB_GFP          (GFP_KERNEL | __GFP_NOWARN | __GFP_RETRY_MAYFAIL)
#define KB_ENTRIES      (PAGE_SIZE / sizeof(u64))
#define KB_POISON       0xa5    /* fill of a fresh frame, as sim's */
/*
 * The largest order alloc_pages() serves.  6.1 has MAX_ORDER = 11 as an
 * exclusive bound, 6.12 MAX_PAGE_ORDER = 10 as an inclusive one (and no
 * MAX_ORDER); MAX_ORDER_NR_PAGES, the pages of the largest block, means
 * the same in both.
 */
#define KB_MAX_ORDER    ((unsigned int)ilog2(MAX_ORDER_NR_PAGES))

struct kb_state {
	/* the window (theory 1) */
	struct page *scratch;
	void *win;
	unsigned long wstart, wend;
	pte_t **ptab;                   /* live PTE table per PMD span */
	unsigned long nptab;
	pte_t scratch_pte;
	unsigned long stale_lo, stale_hi;       /* cleared, not yet flushed */
	/* frames (theory 4) */
	struct xarray frames;           /* pfn -> xa_mk_value(order) */
	unsigned long nr_frames, used;
	unsigned long root;
	unsigned long dev_pfn, dev_frames;
	u8 __iomem *dev_kva;
	unsigned int levels;
	bool nx;                        /* PAGE_KERNEL carries NX here */
};

static atomic_long_t kb_live = ATOMIC_LONG_INIT(0);
static unsigned long kb_last_vstart, kb_last_vend;
static const char *kb_last_geometry = "";

static struct kb_state *KB(void *bs)
{
	return bs;
}

/* ---------- the live kernel page tables ---------- */

/* The kernel's PTE of va, walked from the live root; NULL if some level
 * above it is missing or a huge leaf (never the case in a vmap window). */
static pte_t *kb_walk_live(unsigned long va)
{
	pgd_t *pgd = pgd_offset_pgd((pgd_t *)__va(read_cr3_pa()), va);
	p4d_t *p4d;
	pud_t *pud;
	pmd_t *pmd;

	if (pgd_none(*pgd) || pgd_bad(*pgd))
		return NULL;
	p4d = p4d_offset(pgd, va);
	if (p4d_none(*p4d) || p4d_bad(*p4d))
		return NULL;
	pud = pud_offset(p4d, va);
	if (pud_none(*pud) || pud_bad(*pud) || pud_leaf(*pud))
		return NULL;
	pmd = pmd_offset(pud, va);
	if (pmd_none(*pmd) || pmd_bad(*pmd) || pmd_leaf(*pmd))
		return NULL;
	return pte_offset_kernel(pmd, va);
}

static pte_t *kb_live_pte(struct kb_state *k, unsigned long va)
{
	unsigned long i = (va >> PMD_SHIFT) - (k->wstart >> PMD_SHIFT);

	return k->ptab[i] + pte_index(va);
}

static void kb_flush_cpu(void *unused)
{
	__flush_tlb_all();
}

static void kb_flush_all(struct kb_state *k)
{
	on_each_cpu(kb_flush_cpu, NULL, 1);
	k->stale_lo = k->stale_hi = 0;
}

/* Set every PTE of the window to `v` (0: cleared; the scratch PTE). */
static void kb_fill_window(struct kb_state *k, pte_t v)
{
	unsigned long va;

	for (va = k->wstart; va < k->wend; va += PAGE_SIZE)
		set_pte(kb_live_pte(k, va), v);
	kb_flush_all(k);
}

/* Reserve the window (theory 1); 0 or a negative errno, nothing held. */
static int kb_window_init(struct kb_state *k, unsigned long space)
{
	unsigned long npages = space >> PAGE_SHIFT, i, va;
	struct page **pages;

	k->scratch = alloc_page(GFP_KERNEL | __GFP_ZERO | __GFP_NOWARN);
	if (!k->scratch)
		return -ENOMEM;
	pages = kvmalloc_array(npages, sizeof(*pages), GFP_KERNEL | __GFP_NOWARN);
	if (!pages)
		goto fail_scratch;
	for (i = 0; i < npages; i++)
		pages[i] = k->scratch;
	k->win = vmap(pages, npages, VM_MAP, PAGE_KERNEL);
	kvfree(pages);
	if (!k->win)
		goto fail_scratch;
	k->wstart = (unsigned long)k->win;
	k->wend = k->wstart + space;
	k->nptab = ((k->wend - 1) >> PMD_SHIFT) - (k->wstart >> PMD_SHIFT) + 1;
	k->ptab = kvcalloc(k->nptab, sizeof(*k->ptab), GFP_KERNEL | __GFP_NOWARN);
	if (!k->ptab)
		goto fail_vunmap;
	for (va = k->wstart; va < k->wend; va = (va | ~PMD_MASK) + 1) {
		pte_t *pte = kb_walk_live(va);

		if (!pte || pte_pfn(*pte) != page_to_pfn(k->scratch)) {
			pr_err("vmcore: window 0x%lx: the kernel's tables at 0x%lx are not a 4 KiB vmap mapping\n",
			       k->wstart, va);
			kvfree(k->ptab);
			k->ptab = NULL;
			goto fail_vunmap;
		}
		k->ptab[(va >> PMD_SHIFT) - (k->wstart >> PMD_SHIFT)] =
			pte - pte_index(va);
	}
	k->scratch_pte = *kb_live_pte(k, k->wstart);
	kb_fill_window(k, __pte(0));
	return 0;

fail_vunmap:
	vunmap(k->win);
	k->win = NULL;
fail_scratch:
	__free_page(k->scratch);
	k->scratch = NULL;
	return -ENOMEM;
}

static void kb_window_fini(struct kb_state *k)
{
	kb_fill_window(k, k->scratch_pte);
	vunmap(k->win);
	kvfree(k->ptab);
	__free_page(k->scratch);
}

/* ---------- frames ---------- */

static int kb_frame_alloc(void *bs, int node, unsigned int order,
			  unsigned long *pfn)
{
	struct kb_state *k = KB(bs);
	unsigned long n = 1UL << order, p, i;
	struct page *pg;

	(void)node;                     /* one node */
	if (order > KB_MAX_ORDER || n > k->nr_frames - k->used)
		return -ENOMEM;
	pg = alloc_pages(KB_GFP, order);
	if (!pg)
		return -ENOMEM;
	/* The sim's (and the model's) fill of a fresh frame, so reading
	   memory nobody wrote gives the same bytes on every backend. */
	memset(page_address(pg), KB_POISON, PAGE_SIZE << order);
	p = page_to_pfn(pg);
	for (i = 0; i < n; i++) {
		if (xa_err(xa_store(&k->frames, p + i,
				    xa_mk_value(i ? ~0UL >> 2 : order),
				    GFP_KERNEL | __GFP_NOWARN))) {
			while (i--)
				xa_erase(&k->frames, p + i);
			__free_pages(pg, order);
			return -ENOMEM;
		}
	}
	k->used += n;
	atomic_long_add(n, &kb_live);
	*pfn = p;
	return 0;
}

static void kb_frame_free(void *bs, unsigned long pfn, unsigned int order)
{
	struct kb_state *k = KB(bs);
	unsigned long n = 1UL << order, i;
	void *e = xa_load(&k->frames, pfn);

	VMC_VERIFY(e && xa_to_value(e) == order);
	for (i = 0; i < n; i++)
		xa_erase(&k->frames, pfn + i);
	__free_pages(pfn_to_page(pfn), order);
	k->used -= n;
	atomic_long_sub(n, &kb_live);
}

static int kb_frame_node(void *bs, unsigned long pfn)
{
	(void)bs;
	(void)pfn;
	return 0;
}

static void *kb_kaddr(void *bs, unsigned long pfn)
{
	struct kb_state *k = KB(bs);

	if (pfn - k->dev_pfn < k->dev_frames)
		return (void __force *)(k->dev_kva +
					((pfn - k->dev_pfn) << PAGE_SHIFT));
	if (!xa_load(&k->frames, pfn))
		return NULL;
	return page_address(pfn_to_page(pfn));
}

static unsigned long kb_frames_used(void *bs)
{
	return KB(bs)->used;
}

/* ---------- entries: the kernel's own x86 format ---------- */

static vmc_pte_t kb_mk_table(void *bs, unsigned int level, unsigned long pfn)
{
	VMC_VERIFY3U(level, >=, 1);
	return ((u64)pfn << PAGE_SHIFT) | _KERNPG_TABLE;
}

static vmc_pte_t kb_mk_leaf(void *bs, unsigned int level, unsigned long pfn,
			    unsigned int prot)
{
	bool w = prot & VMC_PROT_WRITE, x = prot & VMC_PROT_EXEC;
	pgprot_t p;

	VMC_VERIFY3U(level, ==, 0);     /* leaf_levels: PTEs only */
	if (w)
		p = x ? PAGE_KERNEL_EXEC : PAGE_KERNEL;
	else
		p = x ? PAGE_KERNEL_ROX : PAGE_KERNEL_RO;
	if (prot & VMC_PROT_NOCACHE)
		p = pgprot_noncached(p);
	return pte_val(pfn_pte(pfn, p));
}

static bool kb_present(void *bs, unsigned int level, vmc_pte_t e)
{
	return e & _PAGE_PRESENT;
}

static bool kb_is_leaf(void *bs, unsigned int level, vmc_pte_t e)
{
	return level == 0 || (e & _PAGE_PSE);
}

static unsigned long kb_entry_pfn(void *bs, unsigned int level, vmc_pte_t e)
{
	return (unsigned long)((e & PTE_PFN_MASK) >> PAGE_SHIFT);
}

static unsigned int kb_leaf_prot(void *bs, unsigned int level, vmc_pte_t e)
{
	unsigned int prot = VMC_PROT_READ;

	if (e & _PAGE_RW)
		prot |= VMC_PROT_WRITE;
	if (!KB(bs)->nx || !(e & _PAGE_NX))
		prot |= VMC_PROT_EXEC;
	if (e & _PAGE_CACHE_MASK)
		prot |= VMC_PROT_NOCACHE;
	return prot;
}

/* ---------- tables ---------- */

static unsigned long kb_root(void *bs)
{
	return KB(bs)->root;
}

static int kb_table_alloc(void *bs, unsigned int level, unsigned long *pfn)
{
	int err = kb_frame_alloc(bs, -1, 0, pfn);

	if (!err)
		clear_page(page_address(pfn_to_page(*pfn)));
	return err;
}

static void kb_table_free(void *bs, unsigned int level, unsigned long pfn)
{
	kb_frame_free(bs, pfn, 0);
}

static u64 *kb_table(unsigned long table, unsigned int idx)
{
	VMC_VERIFY3U(idx, <, KB_ENTRIES);
	return (u64 *)page_address(pfn_to_page(table)) + idx;
}

static vmc_pte_t kb_read(void *bs, unsigned long table, unsigned int level,
			 unsigned int idx)
{
	return READ_ONCE(*kb_table(table, idx));
}

static int kb_write(void *bs, unsigned long table, unsigned int level,
		    unsigned int idx, vmc_pte_t e, unsigned long va)
{
	struct kb_state *k = KB(bs);
	u64 *slot = kb_table(table, idx);

	if (level == 0) {
		/* Only the window is ever mapped: the arena is the window. */
		VMC_VERIFY(va >= k->wstart && va < k->wend);
		if (*slot & _PAGE_PRESENT) {
			if (!k->stale_hi) {
				k->stale_lo = va;
				k->stale_hi = va + PAGE_SIZE;
			}
			k->stale_lo = min(k->stale_lo, va);
			k->stale_hi = max(k->stale_hi, va + PAGE_SIZE);
		}
		set_pte(kb_live_pte(k, va),
			__pte((e & _PAGE_PRESENT) ? e : 0));
	}
	WRITE_ONCE(*slot, e);
	return 0;
}

static void kb_flush_tlb(void *bs, unsigned long start, unsigned long end)
{
	VMC_VERIFY3U(start, <=, end);
	kb_flush_all(KB(bs));
}

/* ---------- access ---------- */

/* The shadow tables' answer for va: 0 with the leaf, or -EFAULT. */
static int kb_walk(struct kb_state *k, unsigned long va, u64 *leaf)
{
	unsigned long t = k->root;
	int level;

	for (level = k->levels - 1; level >= 0; level--) {
		unsigned int shift = PAGE_SHIFT + 9 * level;
		u64 e = READ_ONCE(*kb_table(t, (va >> shift) & (KB_ENTRIES - 1)));

		if (!(e & _PAGE_PRESENT))
			return -EFAULT;
		if (level == 0) {
			*leaf = e;
			return 0;
		}
		t = (unsigned long)((e & PTE_PFN_MASK) >> PAGE_SHIFT);
	}
	return -EFAULT;
}

/*
 * Store n bytes at kernel address dst, -EFAULT if that faults.  The
 * kernel exports copy_from_kernel_nofault but not its store twin, so the
 * store is built on the same exception-table accessor it uses.
 */
static int kb_store_nofault(void *dst, const void *src, size_t n)
{
	u8 *d = dst;
	const u8 *s = src;

	pagefault_disable();
	for (; n >= sizeof(u64); n -= sizeof(u64), d += sizeof(u64),
	     s += sizeof(u64))
		__put_kernel_nofault(d, s, u64, fault);
	for (; n; n--, d++, s++)
		__put_kernel_nofault(d, s, u8, fault);
	pagefault_enable();
	return 0;
fault:
	pagefault_enable();
	return -EFAULT;
}

static int kb_access(void *bs, unsigned long va, void *buf, size_t len,
		     bool write)
{
	struct kb_state *k = KB(bs);
	u8 *b = buf;

	if (va + len < va)
		return -EFAULT;
	while (len) {
		size_t n = min_t(size_t, len, PAGE_SIZE - (va & ~PAGE_MASK));
		long err;
		u64 e;

		if (va < k->wstart || va >= k->wend || kb_walk(k, va, &e) ||
		    (write && !(e & _PAGE_RW)))
			return -EFAULT;
		if (write)
			err = kb_store_nofault((void *)va, b, n);
		else
			err = copy_from_kernel_nofault(b, (void *)va, n);
		if (err)
			return -EFAULT;
		va += n;
		b += n;
		len -= n;
	}
	return 0;
}

static int kb_translate(void *bs, unsigned long va, unsigned long *pfn)
{
	struct kb_state *k = KB(bs);
	u64 e;

	if (va < k->wstart || va >= k->wend || kb_walk(k, va, &e))
		return -EFAULT;
	*pfn = (unsigned long)((e & PTE_PFN_MASK) >> PAGE_SHIFT);
	return 0;
}

static int kb_probe(void *bs, unsigned long va, bool write)
{
	struct kb_state *k = KB(bs);
	u8 byte;

	va &= PAGE_MASK;
	if (va < k->wstart || va >= k->wend)
		return -EFAULT;         /* outside the window: never touched */
	if (va >= k->stale_lo && va < k->stale_hi)
		return -EAGAIN;         /* a stale TLB entry may still work */
	if (copy_from_kernel_nofault(&byte, (void *)va, 1))
		return -EFAULT;
	if (write && kb_store_nofault((void *)va, &byte, 1))
		return -EFAULT;
	return 0;
}

/* ---------- lifecycle ---------- */

static void kb_free_frames(struct kb_state *k)
{
	unsigned long pfn;
	void *e;

	xa_for_each(&k->frames, pfn, e) {
		unsigned long order = xa_to_value(e);

		if (order > KB_MAX_ORDER)
			continue;       /* a tail of a multi-frame block */
		kb_frame_free(k, pfn, (unsigned int)order);
	}
	xa_destroy(&k->frames);
}

static int kb_init(void *bs, const struct vmc_backend_config *cfg,
		   struct vmc_backend_info *info)
{
	static const struct vmc_backend_config defcfg;
	const struct kmod_devmem *dm = kmod_devmem();
	struct kb_state *k = KB(bs);
	bool la57 = pgtable_l5_enabled();
	unsigned long space;
	unsigned int l;
	int err;

	if (!cfg)
		cfg = &defcfg;
	space = cfg->space ? cfg->space : VMC_KMOD_DEF_ARENA;
	k->nr_frames = cfg->nr_frames ? cfg->nr_frames : VMC_KMOD_DEF_FRAMES;
	k->dev_frames = cfg->dev_frames ? cfg->dev_frames :
					   VMC_KMOD_DEF_DEV_FRAMES;
	if ((cfg->geometry && strcmp(cfg->geometry, la57 ? "la57" : "x86_64")) ||
	    cfg->nr_nodes > 1 || !PAGE_ALIGNED(space) ||
	    space < 4 * PAGE_SIZE || space > VMC_KMOD_ARENA_MAX ||
	    space >> PAGE_SHIFT > totalram_pages() ||
	    k->nr_frames < 1 || k->nr_frames > totalram_pages() / 2 ||
	    k->dev_frames > dm->size >> PAGE_SHIFT)
		return -EINVAL;
	k->levels = la57 ? 5 : 4;
	k->nx = pte_val(pfn_pte(0, PAGE_KERNEL)) & _PAGE_NX;
	k->dev_pfn = (unsigned long)(dm->phys >> PAGE_SHIFT);
	k->dev_kva = (u8 __iomem *)dm->kva;
	xa_init(&k->frames);

	err = kb_window_init(k, space);
	if (err)
		return err;
	err = kb_table_alloc(k, k->levels - 1, &k->root);
	if (err) {
		kb_window_fini(k);
		return err;
	}
	atomic_long_inc(&kb_live);      /* the window */

	memset(info, 0, sizeof(*info));
	info->geom.name = la57 ? "la57" : "x86_64";
	info->geom.levels = k->levels;
	for (l = 0; l < k->levels; l++)
		info->geom.bits[l] = 9;
	info->geom.leaf_levels = 1u;
	info->geom.sync_levels = 1u << (k->levels - 1);
	info->geom.entry_size = sizeof(u64);
	info->vstart = k->wstart;
	info->vend = k->wend;
	info->nr_frames = k->nr_frames;
	info->nr_nodes = 1;
	info->dev_phys = dm->phys;
	info->dev_size = k->dev_frames << PAGE_SHIFT;
	info->features = VMC_BF_REAL_MMU & ~cfg->features_off;
	kb_last_vstart = k->wstart;
	kb_last_vend = k->wend;
	kb_last_geometry = info->geom.name;
	return 0;
}

static void kb_fini(void *bs)
{
	struct kb_state *k = KB(bs);

	/* The kernel's PTEs back to the scratch page, every CPU flushed,
	 * before any frame goes back to the page allocator. */
	kb_window_fini(k);
	kb_free_frames(k);
	atomic_long_dec(&kb_live);
}

const struct vmc_backend_ops vmc_backend_kmod = {
	.name = "kmod",
	.features = VMC_BF_REAL_MMU,
	.state_size = sizeof(struct kb_state),
	.init = kb_init,
	.fini = kb_fini,
	.frame_alloc = kb_frame_alloc,
	.frame_free = kb_frame_free,
	.frame_node = kb_frame_node,
	.kaddr = kb_kaddr,
	.frames_used = kb_frames_used,
	.mk_table = kb_mk_table,
	.mk_leaf = kb_mk_leaf,
	.present = kb_present,
	.is_leaf = kb_is_leaf,
	.entry_pfn = kb_entry_pfn,
	.leaf_prot = kb_leaf_prot,
	.root = kb_root,
	.table_alloc = kb_table_alloc,
	.table_free = kb_table_free,
	.read = kb_read,
	.write = kb_write,
	.flush_tlb = kb_flush_tlb,
	.access = kb_access,
	.translate = kb_translate,
	.probe = kb_probe,
};

/* The module's whole backend registry (userspace: backends/vmc_backends.c). */
const struct vmc_backend_ops *vmc_backend_find(const char *name)
{
	return name && !strcmp(name, "kmod") ? &vmc_backend_kmod : NULL;
}

unsigned long kmod_backend_live(void)
{
	return (unsigned long)atomic_long_read(&kb_live);
}

void kmod_backend_window(unsigned long *vstart, unsigned long *vend,
			 const char **geometry)
{
	*vstart = kb_last_vstart;
	*vend = kb_last_vend;
	*geometry = kb_last_geometry;
}
