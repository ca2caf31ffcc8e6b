#!/bin/sh
# kmod_sim.sh - the core on real kernel page tables against the core on
# sim: every corpus input runs through libvmcore on the kmod backend in a
# VM (one boot for all; full invariant check after every op, including
# real-MMU probes of the window), and each trace must be line for line the
# trace of a sim arena of the same shape (geometry, window, frames, nodes,
# device frames, no huge leaves).  The VM run also checks the module's
# ioctl boundary (vmc-guest -T), that rmmod works and that the kernel log
# shows no warning, BUG or oops.  TAP; exit 77 with the reason when no
# kernel module run can happen here.
. "${srcdir:-.}/tests/kmod_lib.sh"
kmod_require
set -- $(kmod_corpus)
[ $# -gt 0 ] || kmod_skip "corpus/ is empty"
out=${TMPDIR:-/tmp}/kmod_sim.$$
trap 'rm -f "$out"' EXIT INT TERM
"$replay" --backend kmod --check-every "$@" > "$out" 2>&1
kmod_tap "$out" $? core "$@"
