#!/bin/sh
# SPDX-License-Identifier: MIT
# kmod_linux.sh - the core against the kernel's own vmalloc, on every
# kernel the module is built for (tests/kmod_lib.sh): every corpus input,
# and a few generated streams of each generator profile, run in a VM (one
# boot per kernel) through the module's diff engine (libvmcore on the
# kmod backend and the kernel's vmalloc, vzalloc, vmalloc_node,
# vmalloc_huge, vfree, vmap, vunmap, ioremap on the ivshmem BAR, iounmap,
# vm_map_ram, vm_unmap_ram, and on 6.12 vrealloc, in lock step), compared
# op by op on what does not depend on placement: success or failure,
# pages mapped, the guard page, the in-page offset, alignment, data round
# trips.  A difference that is not a known divergence
# (backends/kmod/DIVERGENCES.md) fails the input.  TAP; exit 77 with the
# reason when no kernel module run can happen here.
. "${srcdir:-.}/tests/kmod_lib.sh"
kmod_require
tmp=${TMPDIR:-/tmp}/kmod_linux.$$
mkdir "$tmp" || exit 99
trap 'rm -rf "$tmp"' EXIT INT TERM
for p in default sane edges; do
	for s in 1 2; do
		"$replay" --seed "$s" --ops 1000 --profile "$p" --encode \
			> "$tmp/gen-$p-$s.bin" || exit 99
	done
done
set -- $(kmod_corpus) "$tmp"/gen-*.bin
# diff_kernel DIR RELEASE FILE...: the stream files on that kernel
diff_kernel() {
	d=$1 rel=$2
	shift 2
	VMC_KMOD_DIR=$d "$replay" --backend kmod --observe "$@" \
		> "$tmp/out" 2>&1
	kmod_tap "$tmp/out" $? diff "$rel" "$@"
}
kmod_each_kernel diff_kernel "$@"
kmod_done
