/* SPDX-License-Identifier: MIT OR GPL-2.0-only */
/*
 * kmod_main.c - module init and exit of vmcore.ko.
 *
 * Init claims the device region (kmod_pci.c) and then registers
 * /dev/vmcore (kmod_dev.c); exit undoes both in reverse.  Nothing else is
 * held between runs: every run frees its engine, frames and window before
 * its ioctl returns, which exit verifies.
 */
#include <linux/module.h>
#include <linux/bug.h>

#include "kmod.h"

static int __init vmcore_init(void)
{
	int err;

	err = kmod_devmem_init();
	if (err)
		return err;
	err = kmod_dev_init();
	if (err) {
		kmod_devmem_exit();
		return err;
	}
	pr_info("vmcore: loaded\n");
	return 0;
}

static void __exit vmcore_exit(void)
{
	kmod_dev_exit();
	WARN(kmod_backend_live(), "vmcore: %lu frames or windows still held\n",
	     kmod_backend_live());
	kmod_devmem_exit();
	pr_info("vmcore: unloaded\n");
}

module_init(vmcore_init);
module_exit(vmcore_exit);

MODULE_DESCRIPTION("vmcore: the vmalloc core on real kernel page tables, "
		   "and the kernel's own vmalloc as its reference");
MODULE_LICENSE("Dual MIT/GPL");
