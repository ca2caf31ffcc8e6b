/* SPDX-License-Identifier: MIT */
/*
 * vmb_core.c - the "core" benchmark engine: libvmcore through its public
 * API (vmcore.h), on whatever backend the arena configuration names.
 *
 * Theory
 * ------
 * Compiled in both worlds like vmb_wl.c: the userspace driver gives it a
 * sim or mmap configuration, the kernel module one on the kmod backend.
 * Each engine owns one arena, made from a copy of the configuration, so
 * sub_open() (purge workloads) can make a private arena of the same shape
 * with another lazy_max_pages.  Pages for vmap/vm_map_ram are frames the
 * harness holds (vmc_frame_alloc), their handles pfns.  The driver may
 * fill the slots only it can (meta_bytes, floor) in the engine copy each
 * vmb_core holds.
 */
#include "vmcore.h"
#include "vmb.h"
#include "vmb_core.h"

static struct vmc_arena *A(void *ctx)
{
	return ((struct vmb_core *)ctx)->a;
}

static void *c_vmalloc(void *ctx, unsigned long size, unsigned long align,
		       unsigned int flags)
{
	struct vmc_arena *a = A(ctx);
	unsigned long s, e;

	if (flags & VMB_HUGE)
		return vmc_vmalloc_huge(a, size);
	if (!align)
		return flags & VMB_ZERO ? vmc_vzalloc(a, size) :
			vmc_vmalloc(a, size);
	vmc_arena_range(a, &s, &e);
	/* __vmalloc_node(size, align, gfp, node 0, caller) */
	return vmc_vmalloc_node_range(a, size, align, s, e,
				      flags & VMB_ZERO ? VMC_GFP_ZERO : 0,
				      VMC_PROT_KERNEL, 0, 0, "__vmalloc_node");
}

static void c_vfree(void *ctx, void *p)
{
	vmc_vfree(A(ctx), p);
}

static void *c_vrealloc(void *ctx, void *p, unsigned long size)
{
	return vmc_vrealloc(A(ctx), p, size, 0);
}

static int c_poke(void *ctx, void *p, unsigned long off, const void *buf,
		  unsigned long len)
{
	return vmc_write(A(ctx), (char *)p + off, buf, len);
}

static int c_peek(void *ctx, void *p, unsigned long off, void *buf,
		  unsigned long len)
{
	return vmc_read(A(ctx), (char *)p + off, buf, len);
}

static void c_pages_put(void *ctx, unsigned int n, unsigned long *h)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		vmc_frame_free(A(ctx), h[i]);
}

static int c_pages_get(void *ctx, unsigned int n, unsigned long *h)
{
	unsigned int i;
	int err;

	for (i = 0; i < n; i++) {
		err = vmc_frame_alloc(A(ctx), VMC_NUMA_NO_NODE, &h[i]);
		if (err) {
			c_pages_put(ctx, i, h);
			return err;
		}
	}
	return 0;
}

static void *c_vmap(void *ctx, const unsigned long *h, unsigned int n)
{
	return vmc_vmap(A(ctx), h, n, VMC_VM_MAP, VMC_PROT_KERNEL);
}

static void c_vunmap(void *ctx, void *p)
{
	vmc_vunmap(A(ctx), p);
}

static void *c_vm_map_ram(void *ctx, const unsigned long *h, unsigned int n)
{
	return vmc_vm_map_ram(A(ctx), h, n, VMC_NUMA_NO_NODE);
}

static void c_vm_unmap_ram(void *ctx, void *p, unsigned int n)
{
	vmc_vm_unmap_ram(A(ctx), p, n);
}

static void *c_ioremap(void *ctx, unsigned long off, unsigned long size)
{
	uint64_t phys;
	unsigned long dsize;

	vmc_arena_device(A(ctx), &phys, &dsize);
	if (off + size > dsize)
		return NULL;
	return vmc_ioremap(A(ctx), phys + off, size);
}

static void c_iounmap(void *ctx, void *p)
{
	vmc_iounmap(A(ctx), p);
}

static void *c_reserve(void *ctx, unsigned long size)
{
	const struct vmc_vm_struct *vm =
		vmc_get_vm_area(A(ctx), size, VMC_VM_IOREMAP);

	return vm ? (void *)vm->addr : NULL;
}

static void c_unreserve(void *ctx, void *p)
{
	vmc_remove_vm_area(A(ctx), p, NULL);
}

static int c_sub_open(void *ctx, unsigned long lazy_max_pages, void **sub)
{
	struct vmb_core *c = ctx;
	struct vmb_core *s = vmc_env_zalloc(sizeof(*s));
	struct vmc_arena_config cfg = c->cfg;
	int err;

	if (!s)
		return -ENOMEM;
	cfg.lazy_max_pages = lazy_max_pages;
	err = vmb_core_init(s, &cfg);
	if (err) {
		vmc_env_free(s);
		return err;
	}
	s->e.meta_bytes = c->e.meta_bytes;
	*sub = s;
	return 0;
}

static void c_sub_close(void *sub)
{
	vmb_core_fini(sub);
	vmc_env_free(sub);
}

static unsigned long c_nr_purges(void *ctx)
{
	struct vmc_stats st;

	vmc_get_stats(A(ctx), &st);
	return st.nr_purges;
}

static unsigned int c_nr_cpus(void *ctx)
{
	unsigned int n = ((struct vmb_core *)ctx)->cfg.nr_cpus;

	return n ? n : 1;
}

static const struct vmb_engine vmb_core_template = {
	.name = "core",
	.vmalloc = c_vmalloc,
	.vmalloc_align = c_vmalloc,
	.vfree = c_vfree,
	.vrealloc = c_vrealloc,
	.poke = c_poke,
	.peek = c_peek,
	.pages_get = c_pages_get,
	.pages_put = c_pages_put,
	.vmap = c_vmap,
	.vunmap = c_vunmap,
	.vm_map_ram = c_vm_map_ram,
	.vm_unmap_ram = c_vm_unmap_ram,
	.ioremap = c_ioremap,
	.iounmap = c_iounmap,
	.reserve = c_reserve,
	.unreserve = c_unreserve,
	.sub_open = c_sub_open,
	.sub_close = c_sub_close,
	.nr_purges = c_nr_purges,
	.nr_cpus = c_nr_cpus,
};

int vmb_core_init(struct vmb_core *c, const struct vmc_arena_config *cfg)
{
	c->cfg = *cfg;
	c->e = vmb_core_template;
	return vmc_arena_create(&c->cfg, &c->a);
}

void vmb_core_fini(struct vmb_core *c)
{
	if (c->a)
		vmc_arena_destroy(c->a);
	c->a = NULL;
}
