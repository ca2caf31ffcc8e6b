#!/bin/sh
# SPDX-License-Identifier: MIT
# corpus-bin.sh - regenerate corpus/bin/NAME.bin from every corpus/NAME.txt
# with `vmcore-replay --encode` (the binary form the fuzzers mutate).
#
#   fuzz/corpus-bin.sh [VMCORE_REPLAY]     (`make corpus-bin` runs it)
#
# Binary files whose text seed is gone are left alone: they may be corpus
# inputs a campaign found.  Exit 1 if a seed does not encode.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
replay=${1:-${VMC_REPLAY:-$top/fuzz/vmcore-replay}}
[ -x "$replay" ] || {
	echo "corpus-bin.sh: no vmcore-replay at $replay (build it: make fuzz/vmcore-replay)" >&2
	exit 1
}
mkdir -p "$top/corpus/bin"
n=0
for f in "$top"/corpus/*.txt; do
	[ -f "$f" ] || continue
	# config() streams are text only (vmcore-replay(1)).
	grep -q '^config(' "$f" && continue
	b=$top/corpus/bin/$(basename "$f" .txt).bin
	"$replay" --encode "$f" > "$b.tmp"
	mv "$b.tmp" "$b"
	n=$((n + 1))
done
echo "corpus-bin.sh: $n seed(s) encoded into corpus/bin/"
