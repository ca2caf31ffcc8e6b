#!/bin/sh
# SPDX-License-Identifier: MIT
# build.sh - OSS-Fuzz build of the vmcore fuzz targets.
#
# OSS-Fuzz conventions: $CC, $CFLAGS (sanitizer and coverage flags),
# $LIB_FUZZING_ENGINE (the engine's main: libFuzzer, AFL++, honggfuzz),
# $OUT (where binaries go), $SRC (sources; the tree is $SRC/vmcore, or
# the tree this script lives in).  For each target T in diff, sim, mmap it
# writes $OUT/fuzz_T, $OUT/fuzz_T_seed_corpus.zip (corpus/bin/*, the
# binary forms of the text seeds), $OUT/fuzz_T.options and $OUT/vmcore.dict.
#
# Try it outside OSS-Fuzz:
#   CC=clang CFLAGS="-fsanitize=fuzzer-no-link,address" \
#   LIB_FUZZING_ENGINE=-fsanitize=fuzzer OUT=/tmp/out SRC=/work \
#   sh fuzz/oss-fuzz/build.sh
set -eu
: "${CC:?}" "${OUT:?}" "${LIB_FUZZING_ENGINE:?}"
CFLAGS=${CFLAGS:-}
if [ -n "${SRC:-}" ] && [ -f "$SRC/vmcore/fuzz/lib.sh" ]; then
	top=$SRC/vmcore
else
	top=$(cd "$(dirname "$0")/../.." && pwd)
fi
. "$top/fuzz/lib.sh"
mkdir -p "$OUT"
work=${WORK:-${TMPDIR:-/tmp}}/vmcore-build
mkdir -p "$work"

targets="diff sim mmap"
# shellcheck disable=SC2086
vmc_fuzz_build "$top" "$work" "" "$CC" "$CFLAGS" "$LIB_FUZZING_ENGINE" "" \
    $targets
for t in $targets; do
	cp "$work/fuzz_$t" "$OUT/"
	cp "$top/fuzz/fuzz_$t.options" "$OUT/"
	rm -f "$OUT/fuzz_${t}_seed_corpus.zip"
	zip -q -j "$OUT/fuzz_${t}_seed_corpus.zip" "$top"/corpus/bin/*
done
cp "$top/fuzz/vmcore.dict" "$OUT/"
