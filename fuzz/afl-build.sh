#!/bin/sh
# SPDX-License-Identifier: MIT
# afl-build.sh - build the fuzz targets for AFL++ in persistent mode.
#
#   fuzz/afl-build.sh [-o OUTDIR] [-a] [-c] [TARGET ...]
#
# One command, from a plain checkout (no configure needed): compiles the
# library, the harness and fuzz/fuzz_main.c with afl-clang-fast, which
# defines __AFL_FUZZ_TESTCASE_LEN, so fuzz_main.c runs the shared-memory
# persistent loop (__AFL_FUZZ_INIT / __AFL_LOOP(10000)).  The binaries are
# OUTDIR/fuzz_TARGET_afl (TARGET: diff, sim, mmap; default all three;
# OUTDIR default $TMPDIR/vmcore-afl-build, outside the source tree; the
# objects go under OUTDIR too), and their paths are printed.  Run one with
# AFL's output outside the tree as well:
#
#   afl-fuzz -i corpus/bin -o /tmp/afl-out -x fuzz/vmcore.dict -- \
#       /tmp/vmcore-afl-build/fuzz_diff_afl
#
# -a  AddressSanitizer + UBSan (AFL_USE_ASAN=1 AFL_USE_UBSAN=1): slower,
#     finds more; afl-fuzz then needs -m none.
# -c  also build OUTDIR/fuzz_TARGET_cmplog (AFL_LLVM_CMPLOG=1) for afl-fuzz -c.
# Needs: afl++ (Debian: apt-get install afl++), clang.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/fuzz/lib.sh"

out=${TMPDIR:-/tmp}/vmcore-afl-build asan=0 cmplog=0
while getopts o:ac opt; do
	case $opt in
	o) out=$OPTARG ;;
	a) asan=1 ;;
	c) cmplog=1 ;;
	*) sed -n '3,/^[^#]/s/^# \{0,1\}//p' "$0" >&2; exit 2 ;;
	esac
done
shift $((OPTIND - 1))
[ $# -gt 0 ] || set -- diff sim mmap
command -v afl-clang-fast >/dev/null 2>&1 ||
    vmc_fuzz_die "afl-clang-fast not found (Debian: apt-get install afl++)"
mkdir -p "$out"
out=$(cd "$out" && pwd)

cflags="-O2 -g"
if [ $asan = 1 ]; then
	AFL_USE_ASAN=1 AFL_USE_UBSAN=1
	export AFL_USE_ASAN AFL_USE_UBSAN
fi
AFL_QUIET=1
export AFL_QUIET
vmc_fuzz_build "$top" "$out" _afl afl-clang-fast "$cflags" "" main "$@"
if [ $cmplog = 1 ]; then
	AFL_LLVM_CMPLOG=1
	export AFL_LLVM_CMPLOG
	vmc_fuzz_build "$top" "$out" _cmplog afl-clang-fast "$cflags" "" main "$@"
	unset AFL_LLVM_CMPLOG
fi
for t in "$@"; do
	printf '%s\n' "$out/fuzz_${t}_afl"
done
