/* SPDX-License-Identifier: MIT OR GPL-2.0-only */
/*
 * kmod_pci.c - the device region both engines ioremap: BAR 2 of qemu's
 * ivshmem-plain device, or a RAM stand-in when there is none.
 *
 * Theory
 * ------
 * 1. Why a real BAR.  ioremap exists for physical memory that is not RAM:
 *    it has no struct page in use, no direct-map alias, and x86 refuses
 *    (with a WARN) to ioremap RAM.  The linux engine must call the
 *    kernel's real ioremap(), so it needs real device memory.  qemu's
 *    ivshmem-plain (PCI 1af4:1110) exposes its memory backend as BAR 2, a
 *    plain prefetchable memory BAR: the runner starts qemu with
 *        -object memory-backend-ram,id=vmcdev,size=4M
 *        -device ivshmem-plain,memdev=vmcdev
 *    and BAR 2 is then 4 MiB of device memory with nothing else using it.
 *
 * 2. How it is claimed.  Through the PCI core, as any driver would claim
 *    a device it does not bind: pci_get_device() finds it (and takes a
 *    reference), pci_enable_device() turns on memory decoding,
 *    pci_request_region() marks BAR 2 busy in the resource tree under the
 *    name "vmcore".  One ioremap() of the whole BAR is the module's own
 *    view of those frames, the "direct map" of device memory: the core's
 *    kmod backend reads device frames through it (vmc_kaddr), and the
 *    linux engine checks through it that bytes written through an
 *    ioremap'ed address landed in the right frame.  It is mapped with
 *    plain ioremap() (UC-), the cache type every ioremap() of the engines
 *    asks for as well, so x86's memtype tracking never sees a conflict.
 *
 * 3. Without the device (a VM started by hand, or a host load for a
 *    quick try) the module still loads: one order-10 block of RAM
 *    (4 MiB, zeroed) stands in, is_bar = false.  The core engine may map
 *    it (it writes its own PTEs); the linux engine must not ioremap it
 *    and refuses (kmod_linux.c).  A clear line in the log says which of
 *    the two the module got.
 *
 * 4. Exit gives back everything init took, in reverse order: iounmap,
 *    release the region, disable the device, drop the reference; or free
 *    the pages.
 */
#include <linux/kernel.h>
#include <linux/pci.h>
#include <linux/io.h>
#include <linux/gfp.h>
#include <linux/mm.h>

#include "kmod.h"

#define KMOD_IVSHMEM_VENDOR     0x1af4
#define KMOD_IVSHMEM_DEVICE     0x1110
#define KMOD_IVSHMEM_BAR        2
#define KMOD_RAM_ORDER          10      /* 4 MiB stand-in */

static struct kmod_devmem kmod_dm;
static struct pci_dev *kmod_pdev;       /* NULL: the RAM stand-in */
static struct page *kmod_ram;

/* Claim BAR 2 of an ivshmem-plain device; 0 or a negative errno (nothing
 * is held then). */
static int kmod_devmem_bar(struct pci_dev *pdev)
{
	resource_size_t start, len;
	void __iomem *kva;
	int err;

	err = pci_enable_device(pdev);
	if (err)
		return err;
	if (!(pci_resource_flags(pdev, KMOD_IVSHMEM_BAR) & IORESOURCE_MEM)) {
		err = -ENODEV;
		goto out_disable;
	}
	start = pci_resource_start(pdev, KMOD_IVSHMEM_BAR);
	len = pci_resource_len(pdev, KMOD_IVSHMEM_BAR);
	if (!start || len < PAGE_SIZE || !PAGE_ALIGNED(start) ||
	    !PAGE_ALIGNED(len)) {
		err = -ENODEV;
		goto out_disable;
	}
	err = pci_request_region(pdev, KMOD_IVSHMEM_BAR, "vmcore");
	if (err)
		goto out_disable;
	kva = ioremap(start, len);
	if (!kva) {
		err = -ENOMEM;
		goto out_release;
	}
	kmod_dm.phys = start;
	kmod_dm.size = (unsigned long)len;
	kmod_dm.kva = kva;
	kmod_dm.is_bar = true;
	return 0;

out_release:
	pci_release_region(pdev, KMOD_IVSHMEM_BAR);
out_disable:
	pci_disable_device(pdev);
	return err;
}

static int kmod_devmem_ram(void)
{
	kmod_ram = alloc_pages(GFP_KERNEL | __GFP_ZERO | __GFP_NOWARN,
			       KMOD_RAM_ORDER);
	if (!kmod_ram)
		return -ENOMEM;
	kmod_dm.phys = page_to_phys(kmod_ram);
	kmod_dm.size = PAGE_SIZE << KMOD_RAM_ORDER;
	kmod_dm.kva = (void __iomem *)page_address(kmod_ram);
	kmod_dm.is_bar = false;
	return 0;
}

int kmod_devmem_init(void)
{
	struct pci_dev *pdev;
	int err;

	memset(&kmod_dm, 0, sizeof(kmod_dm));
	pdev = pci_get_device(KMOD_IVSHMEM_VENDOR, KMOD_IVSHMEM_DEVICE, NULL);
	if (pdev) {
		err = kmod_devmem_bar(pdev);
		if (!err) {
			kmod_pdev = pdev;
			pr_info("vmcore: device region: ivshmem %s BAR %d, phys %pa, %lu KiB\n",
				pci_name(pdev), KMOD_IVSHMEM_BAR, &kmod_dm.phys,
				kmod_dm.size >> 10);
			return 0;
		}
		pr_info("vmcore: ivshmem %s BAR %d unusable (%d): falling back to RAM\n",
			pci_name(pdev), KMOD_IVSHMEM_BAR, err);
		pci_dev_put(pdev);
	} else {
		pr_info("vmcore: no ivshmem-plain device (PCI %04x:%04x): device region is RAM, the linux engine refuses ioremap\n",
			KMOD_IVSHMEM_VENDOR, KMOD_IVSHMEM_DEVICE);
	}
	err = kmod_devmem_ram();
	if (err)
		return err;
	pr_info("vmcore: device region: RAM stand-in, phys %pa, %lu KiB\n",
		&kmod_dm.phys, kmod_dm.size >> 10);
	return 0;
}

void kmod_devmem_exit(void)
{
	if (kmod_pdev) {
		iounmap(kmod_dm.kva);
		pci_release_region(kmod_pdev, KMOD_IVSHMEM_BAR);
		pci_disable_device(kmod_pdev);
		pci_dev_put(kmod_pdev);
		kmod_pdev = NULL;
	} else if (kmod_ram) {
		__free_pages(kmod_ram, KMOD_RAM_ORDER);
		kmod_ram = NULL;
	}
	memset(&kmod_dm, 0, sizeof(kmod_dm));
}

const struct kmod_devmem *kmod_devmem(void)
{
	return &kmod_dm;
}
