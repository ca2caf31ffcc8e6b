#!/bin/sh
# SPDX-License-Identifier: MIT
# kmod_sim.sh - the core on real kernel page tables against the core on
# sim, on every kernel the module is built for (tests/kmod_lib.sh): every
# corpus input, and a generated stream of each generator profile, runs
# through libvmcore on the kmod backend in a VM (one boot per kernel;
# full invariant check after every op, including real-MMU probes of the
# window), and each trace must be line for line the trace of a sim arena
# of the same shape (geometry, window, frames, nodes, device frames, no
# huge leaves).  The VM run also checks the module's ioctl boundary
# (vmc-guest -T), that rmmod works and that the kernel log shows no
# warning, BUG or oops.  TAP; exit 77 with the reason when no kernel
# module run can happen here.
. "${srcdir:-.}/tests/kmod_lib.sh"
kmod_require
tmp=${TMPDIR:-/tmp}/kmod_sim.$$
mkdir "$tmp" || exit 99
trap 'rm -rf "$tmp"' EXIT INT TERM
# Generated streams too: they free twice, run near exhaustion and read
# memory nobody wrote, which the corpus does little of (these seeds do
# read it: a kmod backend that does not fill fresh frames as sim does
# fails on each of them).
for ps in default:1028 sane:1070 edges:1070; do
	"$replay" --seed "${ps#*:}" --ops 1000 --profile "${ps%:*}" --encode \
		> "$tmp/gen-${ps%:*}-${ps#*:}.bin" || exit 99
done
set -- $(kmod_corpus) "$tmp"/gen-*.bin
# core_kernel DIR RELEASE FILE...: the stream files on that kernel
core_kernel() {
	d=$1 rel=$2
	shift 2
	VMC_KMOD_DIR=$d "$replay" --backend kmod --check-every 1 "$@" \
		> "$tmp/out" 2>&1
	kmod_tap "$tmp/out" $? core "$rel" "$@"
}
kmod_each_kernel core_kernel "$@"
kmod_done
