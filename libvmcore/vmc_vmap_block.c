/* SPDX-License-Identifier: MIT */
/*
 * vmc_vmap_block.c - vm_map_ram, vm_unmap_ram and the vmap blocks.
 *
 * Theory
 * ------
 * 1. Why blocks.  vm_map_ram() serves short-lived mappings of a few pages
 *    (file systems mapping a buffer, for instance).  Allocating a vmap
 *    area, with its tree updates and a later TLB flush, per call is what
 *    it exists to avoid.  Instead one vmap area of a->vb_pages pages, a
 *    "vmap block", is reserved once and carved into chunks for many
 *    calls; its address range is freed (lazily, so one purge flushes it)
 *    only when every page of it has been handed out and given back.
 *
 * 2. Block size.  Linux's VMAP_BBMAP_BITS: the space's pages divided by
 *    the CPU count (rounded up to a power of two) and by 16, clamped to
 *    [2 * VMAP_MAX_ALLOC, 1024].  We also round it down to a power of two
 *    so that the block can be aligned to its own size, which lets an
 *    address find its block by plain arithmetic as in Linux.
 *
 * 3. Carving.  A request of count <= VMC_VMAP_MAX_ALLOC pages takes a
 *    chunk of 1 << get_order(count) pages.  The first block (in creation
 *    order) with at least that many never-used pages serves it, at page
 *    offset vb_pages - free: chunks are cut one after another from the
 *    front and a freed chunk is never handed out again (Linux 6.1 does the
 *    same; offsets are therefore not order aligned).  A freed chunk is
 *    unmapped without a TLB flush and counted as dirty.  Because nothing
 *    reuses it, a stale translation there harms no one; it is flushed when
 *    the block, once fully dirty (dirty == vb_pages, hence free == 0), is
 *    released and its vmap area purged from the lazy set.
 *
 * 4. Data structures.  Every block is on a->vb_list in creation order and
 *    owns a busy vmap area of kind VMC_VA_BLOCK (va->u.vb).  Per page it
 *    keeps the frame mapped there (pfns[]) and a byte of VMC_VB_* bits
 *    (used[]): in a live chunk, mapped, first page of a chunk with the
 *    chunk's order.  The count of pages mapped may be less than the chunk
 *    (3 pages take a 4-page chunk); the tail stays unmapped.
 *
 * 5. Invariants (vmc_vb_validate checks them): free + dirty + pages in
 *    live chunks == vb_pages; every page at or beyond vb_pages - free is
 *    untouched; live chunks lie in the carved part, each starting with a
 *    head page, its mapped pages a prefix; dirty < vb_pages; the block's
 *    vmap area is busy, of kind VMC_VA_BLOCK, vb_pages long and aligned
 *    to its size.
 *
 * 6. Large requests.  More than VMC_VMAP_MAX_ALLOC pages get a vmap area
 *    of their own, exactly count pages with no guard page (Linux calls
 *    alloc_vmap_area directly, with no vm_struct), of kind VMC_VA_RAM with
 *    a struct vmc_ram recording the frames.  vm_unmap_ram() unmaps it and
 *    sends the area to the lazy set.
 *
 * 6a. Fragmented blocks.  A block whose chunks were all freed before it
 *    was used up (free + dirty == vb_pages, dirty < vb_pages) would stay
 *    forever; vmc_vb_purge_fragmented() releases such blocks, as Linux's
 *    vm_unmap_aliases() does before it purges the lazy set.
 *
 * 7. Errors.  Everything is decided before anything is kept: a chunk is
 *    carved only after its pages are mapped, a block created for a call
 *    that then fails is given straight back (vmc_va_free_now), and bad
 *    unmaps (wrong count, not the start of a chunk, a chunk already freed)
 *    warn and change nothing.  Linux would BUG or corrupt there.
 */
#include "vmc_internal.h"

/* ---------- helpers ---------- */

struct vmc_vb_src {
	const unsigned long *pfns;
};

static unsigned long vmc_vb_src_get(void *arg, unsigned long i)
{
	const struct vmc_vb_src *src = arg;

	return src->pfns[i];
}

static unsigned long vmc_vb_bytes(const struct vmc_arena *a)
{
	return a->vb_pages << VMC_PAGE_SHIFT;
}

static void vmc_vb_meta_free(struct vmc_arena *a, struct vmc_vb *vb)
{
	vmc_meta_free(a, vb->pfns);
	vmc_meta_free(a, vb->used);
	vmc_meta_free(a, vb);
}

void vmc_vb_init(struct vmc_arena *a)
{
	unsigned long pages = (a->end - a->start) >> VMC_PAGE_SHIFT;
	unsigned long cpus = a->cfg.nr_cpus ? a->cfg.nr_cpus : 1;
	unsigned long n;

	cpus = 1UL << vmc_count_order(cpus);          /* roundup_pow_of_two */
	n = pages / cpus / 16;
	n = VMC_MAX(n, 2UL * VMC_VMAP_MAX_ALLOC);
	n = VMC_MIN(n, 1024UL);
	n = 1UL << (vmc_fls_long(n) - 1);             /* round down to pow2 */
	a->vb_pages = n;
	vmc_list_init(&a->vb_list);
	a->nr_vb = 0;
}

void vmc_vb_fini(struct vmc_arena *a)
{
	struct vmc_list *pos, *tmp;

	vmc_list_for_each_safe(pos, tmp, &a->vb_list) {
		struct vmc_vb *vb = vmc_list_entry(pos, struct vmc_vb, list);

		vmc_list_del(&vb->list);
		if (vb->va) {
			vb->va->u.vb = NULL;
			vb->va->kind = VMC_VA_NONE;
		}
		vmc_vb_meta_free(a, vb);
	}
	a->nr_vb = 0;
	vmc_list_for_each(pos, &a->vs.busy.head) {
		struct vmc_va *va = vmc_list_entry(pos, struct vmc_va, list);

		if (va->kind == VMC_VA_RAM) {
			vmc_meta_free(a, va->u.ram);
			va->u.ram = NULL;
			va->kind = VMC_VA_NONE;
		}
	}
}

/* Every frame must be allocated RAM the caller may map. */
static int vmc_vb_check_pfns(struct vmc_arena *a, const unsigned long *pfns,
			     unsigned int count)
{
	return vmc_bo_check_ram(a, "vm_map_ram", pfns, count);
}

/* ---------- blocks ---------- */

/* A fresh block at the tail of a->vb_list, nothing handed out yet. */
static int vmc_vb_new(struct vmc_arena *a, struct vmc_vb **out)
{
	struct vmc_vb *vb;
	struct vmc_va *va;
	int ret;

	vb = vmc_meta_alloc_kind(a, VMC_META_VB, sizeof(*vb));
	if (!vb)
		return -ENOMEM;
	vb->pfns = vmc_meta_alloc_kind(a, VMC_META_VB,
				       a->vb_pages * sizeof(*vb->pfns));
	vb->used = vmc_meta_alloc_kind(a, VMC_META_VB, a->vb_pages);
	if (!vb->pfns || !vb->used) {
		vmc_vb_meta_free(a, vb);
		return -ENOMEM;
	}
	ret = vmc_va_alloc(a, vmc_vb_bytes(a), vmc_vb_bytes(a), a->start,
			   a->end, &va);
	if (ret) {
		vmc_vb_meta_free(a, vb);
		return ret;
	}
	va->kind = VMC_VA_BLOCK;
	va->u.vb = vb;
	vb->va = va;
	vb->cpu = a->vnodes ? vmc_cur_cpu(a) : 0;
	vb->free = a->vb_pages;
	vb->dirty = 0;
	vmc_list_add_before(&vb->list, &a->vb_list);
	a->nr_vb++;
	*out = vb;
	return 0;
}

/*
 * Take a block off the list and free its metadata.  `now`: its area was
 * never mapped (error path) and goes straight back to the free set; else
 * its mappings are already cleared and it goes to the lazy set.
 */
static void vmc_vb_release(struct vmc_arena *a, struct vmc_vb *vb, bool now)
{
	struct vmc_va *va = vb->va;

	vmc_list_del(&vb->list);
	a->nr_vb--;
	va->kind = VMC_VA_NONE;
	va->u.vb = NULL;
	vmc_vb_meta_free(a, vb);
	if (now)
		vmc_va_free_now(a, va);
	else
		vmc_va_free(a, va);
}

static int vmc_vb_alloc(struct vmc_arena *a, const unsigned long *pfns,
			unsigned int count, unsigned long *out)
{
	unsigned int order = vmc_get_order((unsigned long)count << VMC_PAGE_SHIFT);
	unsigned long nr = 1UL << order, off, addr, i;
	struct vmc_vb_src src = { pfns };
	struct vmc_vb *vb = NULL;
	struct vmc_list *pos;
	bool fresh = false;
	int ret;

	vmc_list_for_each(pos, &a->vb_list) {
		struct vmc_vb *b = vmc_list_entry(pos, struct vmc_vb, list);

		/* linux-6.12: only the calling CPU's queue. */
		if (a->vnodes && b->cpu != vmc_cur_cpu(a))
			continue;
		if (b->free >= nr) {
			vb = b;
			break;
		}
	}
	if (!vb) {
		ret = vmc_vb_new(a, &vb);
		if (ret)
			return ret;
		fresh = true;
	}

	off = a->vb_pages - vb->free;
	addr = vb->va->va_start + (off << VMC_PAGE_SHIFT);
	ret = vmc_pt_map_pages(a, addr, count, vmc_vb_src_get, &src,
			       VMC_PROT_KERNEL, VMC_PAGE_SHIFT);
	if (ret) {
		if (fresh)
			vmc_vb_release(a, vb, true);
		return ret;
	}

	/* Mapped: now carve the chunk. */
	vb->free -= nr;
	for (i = 0; i < nr; i++) {
		vb->used[off + i] = VMC_VB_INUSE;
		if (i < count) {
			vb->used[off + i] |= VMC_VB_MAPPED;
			vb->pfns[off + i] = pfns[i];
		}
	}
	vb->used[off] |= VMC_VB_HEAD | (unsigned char)(order << 4);
	*out = addr;
	return 0;
}

static int vmc_vb_unmap(struct vmc_arena *a, unsigned long addr,
			unsigned int count)
{
	unsigned int order = vmc_get_order((unsigned long)count << VMC_PAGE_SHIFT);
	unsigned long nr = 1UL << order, off, i;
	struct vmc_va *va = vmc_va_find(a, addr);
	struct vmc_vb *vb;
	unsigned char u;

	if (!va || va->kind != VMC_VA_BLOCK) {
		vmc_warn(a, "vm_unmap_ram: 0x%lx is not in a vmap block", addr);
		return -EINVAL;
	}
	vb = va->u.vb;
	off = (addr - va->va_start) >> VMC_PAGE_SHIFT;
	u = vb->used[off];
	if (!(u & VMC_VB_HEAD) || VMC_VB_ORDER(u) != order) {
		vmc_warn(a, "vm_unmap_ram: 0x%lx is not a live chunk of %u pages",
			 addr, count);
		return -EINVAL;
	}

	/* The whole chunk: pages beyond count were never mapped. */
	vmc_pt_unmap(a, addr, addr + (nr << VMC_PAGE_SHIFT));
	vmc_hf_put(a, &vb->pfns[off], nr);
	for (i = 0; i < nr; i++) {
		vb->used[off + i] = 0;
		vb->pfns[off + i] = 0;
	}
	vb->dirty += nr;
	if (vb->dirty == a->vb_pages) {
		VMC_VERIFY3U(vb->free, ==, 0);
		vmc_vb_release(a, vb, false);
	}
	return 0;
}

/*
 * Linux's purge_fragmented_blocks(), the first half of vm_unmap_aliases():
 * a block with no live chunk left (free + dirty == vb_pages) but not
 * fully dirty will never be freed by vm_unmap_ram(); release it now.
 */
unsigned long vmc_vb_purge_fragmented(struct vmc_arena *a)
{
	return vmc_vb_purge_fragmented_force(a, true);
}

unsigned long vmc_vb_purge_fragmented_force(struct vmc_arena *a, bool force)
{
	struct vmc_list *pos, *tmp;
	unsigned long n = 0;

	vmc_list_for_each_safe(pos, tmp, &a->vb_list) {
		struct vmc_vb *vb = vmc_list_entry(pos, struct vmc_vb, list);

		if (vb->free + vb->dirty != a->vb_pages ||
		    vb->dirty == a->vb_pages)
			continue;
		if (!force && vb->free >= a->vb_pages / 4)
			continue;       /* 6.12's VMAP_PURGE_THRESHOLD */
		/* Its chunks are unmapped already; nothing live to clear. */
		vmc_vb_release(a, vb, false);
		n++;
	}
	return n;
}

/* ---------- more than VMC_VMAP_MAX_ALLOC pages ---------- */

static int vmc_ram_alloc(struct vmc_arena *a, const unsigned long *pfns,
			 unsigned int count, unsigned long *out)
{
	unsigned long size = (unsigned long)count << VMC_PAGE_SHIFT;
	struct vmc_vb_src src = { pfns };
	struct vmc_ram *ram;
	struct vmc_va *va;
	int ret;

	if (size > a->end - a->start)
		return -ENOMEM;
	ram = vmc_meta_alloc_kind(a, VMC_META_RAM,
				  sizeof(*ram) + count * sizeof(ram->pfns[0]));
	if (!ram)
		return -ENOMEM;
	ret = vmc_va_alloc(a, size, VMC_PAGE_SIZE, a->start, a->end, &va);
	if (ret) {
		vmc_meta_free(a, ram);
		return ret;
	}
	ret = vmc_pt_map_pages(a, va->va_start, count, vmc_vb_src_get, &src,
			       VMC_PROT_KERNEL, VMC_PAGE_SHIFT);
	if (ret) {
		vmc_va_free_now(a, va);
		vmc_meta_free(a, ram);
		return ret;
	}
	ram->count = count;
	memcpy(ram->pfns, pfns, count * sizeof(ram->pfns[0]));
	va->kind = VMC_VA_RAM;
	va->u.ram = ram;
	*out = va->va_start;
	return 0;
}

static int vmc_ram_unmap(struct vmc_arena *a, unsigned long addr,
			 unsigned int count)
{
	struct vmc_va *va = vmc_va_find(a, addr);
	struct vmc_ram *ram;

	if (!va || va->kind != VMC_VA_RAM || va->va_start != addr ||
	    va->u.ram->count != count) {
		vmc_warn(a, "vm_unmap_ram: 0x%lx is not a mapping of %u pages",
			 addr, count);
		return -EINVAL;
	}
	ram = va->u.ram;
	vmc_hf_put(a, ram->pfns, ram->count);
	vmc_pt_unmap(a, va->va_start, va->va_end);
	va->kind = VMC_VA_NONE;
	va->u.ram = NULL;
	vmc_va_free(a, va);
	vmc_meta_free(a, ram);
	return 0;
}

/* ---------- entry points ---------- */

static void *vmc__vm_map_ram(struct vmc_arena *a, const unsigned long *pfns,
			     unsigned int count, int *err)
{
	unsigned long addr = 0;
	int ret;

	if (!count || !pfns) {
		vmc_warn(a, "vm_map_ram: %s", count ? "no frames" : "count 0");
		*err = -EINVAL;
		return NULL;
	}
	ret = vmc_vb_check_pfns(a, pfns, count);
	if (!ret) {
		if (count <= VMC_VMAP_MAX_ALLOC)
			ret = vmc_vb_alloc(a, pfns, count, &addr);
		else
			ret = vmc_ram_alloc(a, pfns, count, &addr);
	}
	if (ret) {
		*err = ret;
		return NULL;
	}
	vmc_hf_get(a, pfns, count);
	return (void *)addr;
}

void *vmc_vm_map_ram(struct vmc_arena *a, const unsigned long *pfns,
		     unsigned int count, int node)
{
	void *p;
	int err = 0;

	/*
	 * node is only a hint, as in Linux (blocks are per CPU, not per
	 * node; the frames are the caller's): any value is accepted, and the
	 * reference model and the kernel engine agree.
	 */
	(void)node;
	vmc_arena_lock(a);
	p = vmc__vm_map_ram(a, pfns, count, &err);
	if (!p)
		vmc_fail(a, err ? err : -ENOMEM);
	vmc_arena_unlock(a);
	vmc_debug_check(a, "vm_map_ram");
	return p;
}

static int vmc__vm_unmap_ram(struct vmc_arena *a, unsigned long addr,
			     unsigned int count)
{
	if (!count || !vmc_page_aligned(addr) || addr < a->start ||
	    addr >= a->end) {
		vmc_warn(a, "vm_unmap_ram: bad call (0x%lx, %u)", addr, count);
		return -EINVAL;
	}
	if (count <= VMC_VMAP_MAX_ALLOC)
		return vmc_vb_unmap(a, addr, count);
	return vmc_ram_unmap(a, addr, count);
}

int vmc_vm_unmap_ram(struct vmc_arena *a, const void *mem, unsigned int count)
{
	int ret;

	vmc_arena_lock(a);
	ret = vmc__vm_unmap_ram(a, (unsigned long)mem, count);
	vmc_arena_unlock(a);
	vmc_debug_check(a, "vm_unmap_ram");
	return ret;
}

/* ---------- checker helpers ---------- */

__attribute__((format(printf, 3, 4)))
static int vmc_vb_msg(char *msg, size_t len, const char *fmt, ...)
{
	va_list ap;

	if (msg && len) {
		va_start(ap, fmt);
		vmc_env_vsnprintf(msg, len, fmt, ap);
		va_end(ap);
	}
	return 1;
}

/* Live chunks of one block: heads, extents, mapped prefix. */
static int vmc_vb_validate_chunks(struct vmc_arena *a, const struct vmc_vb *vb,
				  unsigned long *inuse, char *msg, size_t len)
{
	unsigned long carved = a->vb_pages - vb->free, off = 0, i;
	unsigned long base = vb->va->va_start;

	*inuse = 0;
	while (off < a->vb_pages) {
		unsigned char u = vb->used[off];
		unsigned long nr;
		bool mapped = true;

		if (!u) {
			if (vb->pfns[off])
				return vmc_vb_msg(msg, len,
					"vmap block 0x%lx: free page %lu has pfn 0x%lx",
					base, off, vb->pfns[off]);
			off++;
			continue;
		}
		if (!(u & VMC_VB_HEAD) || !(u & VMC_VB_INUSE))
			return vmc_vb_msg(msg, len,
				"vmap block 0x%lx: page %lu (0x%x) outside a chunk",
				base, off, u);
		nr = 1UL << VMC_VB_ORDER(u);
		if (VMC_VB_ORDER(u) > vmc_get_order(VMC_VMAP_MAX_ALLOC << VMC_PAGE_SHIFT) ||
		    off + nr > carved)
			return vmc_vb_msg(msg, len,
				"vmap block 0x%lx: chunk at page %lu (order %u) beyond carved %lu",
				base, off, VMC_VB_ORDER(u), carved);
		for (i = 0; i < nr; i++) {
			unsigned char p = vb->used[off + i];

			if (!(p & VMC_VB_INUSE) || (i && (p & VMC_VB_HEAD)) ||
			    (p & ~(VMC_VB_INUSE | VMC_VB_MAPPED | VMC_VB_HEAD |
				   (i ? 0u : 0xf0u))))
				return vmc_vb_msg(msg, len,
					"vmap block 0x%lx: page %lu of chunk at %lu bad (0x%x)",
					base, off + i, off, p);
			if (p & VMC_VB_MAPPED) {
				if (!mapped)
					return vmc_vb_msg(msg, len,
						"vmap block 0x%lx: chunk at %lu: mapped pages not a prefix",
						base, off);
			} else {
				mapped = false;
				if (vb->pfns[off + i])
					return vmc_vb_msg(msg, len,
						"vmap block 0x%lx: unmapped page %lu has pfn",
						base, off + i);
			}
		}
		if (!(u & VMC_VB_MAPPED))
			return vmc_vb_msg(msg, len,
				"vmap block 0x%lx: chunk at %lu maps nothing", base, off);
		*inuse += nr;
		off += nr;
	}
	return 0;
}

static int vmc_vb_validate_one(struct vmc_arena *a, const struct vmc_vb *vb,
			       char *msg, size_t len)
{
	const struct vmc_va *va = vb->va;
	unsigned long inuse;
	int ret;

	if (!va || va->state != VMC_VA_BUSY || va->kind != VMC_VA_BLOCK ||
	    va->u.vb != vb)
		return vmc_vb_msg(msg, len, "vmap block %p: bad vmap area", (const void *)vb);
	if (vmc_va_size(va) != vmc_vb_bytes(a) ||
	    (va->va_start & (vmc_vb_bytes(a) - 1)) ||
	    va->va_start < a->start || va->va_end > a->end)
		return vmc_vb_msg(msg, len,
			"vmap block 0x%lx-0x%lx: wrong size, alignment or place",
			va->va_start, va->va_end);
	if (vb->free > a->vb_pages || vb->dirty >= a->vb_pages)
		return vmc_vb_msg(msg, len,
			"vmap block 0x%lx: free %lu dirty %lu of %lu",
			va->va_start, vb->free, vb->dirty, a->vb_pages);
	ret = vmc_vb_validate_chunks(a, vb, &inuse, msg, len);
	if (ret)
		return ret;
	if (vb->free + vb->dirty + inuse != a->vb_pages)
		return vmc_vb_msg(msg, len,
			"vmap block 0x%lx: free %lu + dirty %lu + used %lu != %lu",
			va->va_start, vb->free, vb->dirty, inuse, a->vb_pages);
	return 0;
}

int vmc_vb_validate(struct vmc_arena *a, char *msg, size_t len)
{
	struct vmc_list *pos;
	unsigned long n = 0, busy_blocks = 0;
	int ret;

	vmc_list_for_each(pos, &a->vb_list) {
		ret = vmc_vb_validate_one(a,
			vmc_list_entry(pos, struct vmc_vb, list), msg, len);
		if (ret)
			return ret;
		n++;
	}
	if (n != a->nr_vb)
		return vmc_vb_msg(msg, len, "vmap blocks: %lu listed, nr_vb %lu",
				  n, a->nr_vb);
	vmc_list_for_each(pos, &a->vs.busy.head) {
		const struct vmc_va *va = vmc_list_entry(pos, struct vmc_va, list);

		if (va->kind == VMC_VA_BLOCK) {
			busy_blocks++;
		} else if (va->kind == VMC_VA_RAM) {
			const struct vmc_ram *ram = va->u.ram;

			if (!ram || ram->count <= VMC_VMAP_MAX_ALLOC ||
			    vmc_va_size(va) !=
			    (unsigned long)ram->count << VMC_PAGE_SHIFT)
				return vmc_vb_msg(msg, len,
					"vm_map_ram area 0x%lx-0x%lx: bad record",
					va->va_start, va->va_end);
		}
	}
	if (busy_blocks != n)
		return vmc_vb_msg(msg, len,
			"vmap blocks: %lu busy areas of kind block, %lu blocks",
			busy_blocks, n);
	return 0;
}

unsigned long vmc_vb_mapped_pages(struct vmc_arena *a,
				  const struct vmc_va *va)
{
	const struct vmc_vb *vb = va->u.vb;
	unsigned long i, n = 0;

	if (va->kind != VMC_VA_BLOCK || !vb || !vb->used)
		return 0;
	for (i = 0; i < a->vb_pages; i++)
		n += (vb->used[i] & VMC_VB_MAPPED) != 0;
	return n;
}

int vmc_vb_expected_pfn(struct vmc_arena *a, const struct vmc_va *va,
			unsigned long addr, unsigned long *pfn)
{
	unsigned long off;

	if (!va || addr < va->va_start || addr >= va->va_end)
		return -EINVAL;
	off = (addr - va->va_start) >> VMC_PAGE_SHIFT;
	if (va->kind == VMC_VA_BLOCK && va->u.vb) {
		const struct vmc_vb *vb = va->u.vb;

		if (off >= a->vb_pages || !(vb->used[off] & VMC_VB_MAPPED))
			return 1;
		*pfn = vb->pfns[off];
		return 0;
	}
	if (va->kind == VMC_VA_RAM && va->u.ram) {
		if (off >= va->u.ram->count)
			return 1;
		*pfn = va->u.ram->pfns[off];
		return 0;
	}
	return -EINVAL;
}
