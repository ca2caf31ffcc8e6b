#!/bin/sh
# SPDX-License-Identifier: MIT
# coverage.sh - source coverage of libvmcore/ reached by a corpus.
#
#   fuzz/coverage.sh [-o OUTDIR] [-T diff|sim|mmap] [CORPUS ...]
#
# Builds fuzz_TARGET (default diff) with the replay driver and clang
# -fprofile-instr-generate -fcoverage-mapping into OUTDIR (default
# ./coverage), runs every input of the CORPUS files and directories
# (default: corpus/, corpus/bin/, corpus/regress/ of this tree; a campaign's
# OUTDIR/corpus works too), merges the profiles with llvm-profdata and
# writes, restricted to libvmcore/:
#   OUTDIR/html/index.html   llvm-cov show -format=html
#   OUTDIR/report.txt        llvm-cov report (per file)
# and prints one line:
#   coverage libvmcore/: lines L% (hit/total), branches B% (hit/total), functions F%
# Needs clang and llvm (llvm-profdata, llvm-cov; Debian: llvm-14).
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/fuzz/lib.sh"

out=coverage target=diff
while getopts o:T:h opt; do
	case $opt in
	o) out=$OPTARG ;;
	T) target=$OPTARG ;;
	*) sed -n '3,18s/^# \{0,1\}//p' "$0" >&2; exit 2 ;;
	esac
done
shift $((OPTIND - 1))
[ $# -gt 0 ] || set -- "$top/corpus" "$top/corpus/bin" "$top/corpus/regress"

# Tools: plain names, else the versioned Debian ones.
tool() {
	for t in "$1" "$1-14" "$1-15" "$1-16" "$1-13"; do
		command -v "$t" >/dev/null 2>&1 && { printf '%s' "$t"; return 0; }
	done
	vmc_fuzz_die "$1 not found (Debian: apt-get install llvm-14)"
}
cc=${CC:-clang}
case $cc in *clang*) ;; *) cc=clang ;; esac
profdata=$(tool llvm-profdata)
cov=$(tool llvm-cov)

mkdir -p "$out"
out=$(cd "$out" && pwd)
rm -rf "$out/prof" "$out/html"
mkdir -p "$out/prof"
vmc_fuzz_build "$top" "$out" _cov "$cc" \
    "-O0 -g -fprofile-instr-generate -fcoverage-mapping" \
    "-fprofile-instr-generate" main "$target"
bin=$out/fuzz_${target}_cov

# One profile per process; the driver runs every input in one process.
LLVM_PROFILE_FILE="$out/prof/%p.profraw" "$bin" "$@" > "$out/run.tap" \
    2> "$out/run.log" ||
    vmc_fuzz_die "an input failed (see $out/run.tap, run.log); coverage not written"
"$profdata" merge -sparse "$out"/prof/*.profraw -o "$out/vmcore.profdata"

# Restrict to the core: every libvmcore/ source file.
srcs=$(ls "$top"/libvmcore/*.c "$top"/libvmcore/*.h)
# shellcheck disable=SC2086
"$cov" show "$bin" -instr-profile="$out/vmcore.profdata" -format=html \
    -show-branches=count -output-dir="$out/html" $srcs
# shellcheck disable=SC2086
"$cov" report "$bin" -instr-profile="$out/vmcore.profdata" $srcs \
    > "$out/report.txt"

# TOTAL line: Regions Missed Cover Functions Missed Executed Lines Missed
# Cover Branches Missed Cover.
awk -v n="$(grep -c '^ok' "$out/run.tap")" '$1 == "TOTAL" {
	lt = $8; lm = $9; bt = $11; bm = $12
	printf "coverage libvmcore/: lines %s (%d/%d), branches %s (%d/%d), functions %s; %d inputs\n",
	    $10, lt - lm, lt, $13, bt - bm, bt, $7, n
}' "$out/report.txt"
echo "html: $out/html/index.html"
