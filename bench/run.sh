#!/bin/sh
# SPDX-License-Identifier: MIT
# bench/run.sh - the benchmark run: chosen workloads across backends,
# timed per process by hyperfine, measured per op by vmcore-bench itself,
# and the kmod pair (libvmcore on the kmod backend against the kernel's
# own vmalloc, one VM boot) when the module is built.
#
#   bench/run.sh [--quick] [-o DIR] [-b sim,mmap] [-t TEST,...] [-n LOOPS]
#                [-r RUNS] [-p PROFILE] [--no-kmod | --kmod] [--no-hyperfine]
#
# Writes into DIR (default bench-out):
#   hyperfine.json, hyperfine.md   hyperfine --export-json/--export-markdown:
#                                  one command per backend and workload
#   BACKEND.txt, BACKEND.json      one vmcore-bench run of every chosen
#                                  workload (Summary lines and our own
#                                  ns/op lines; the same as JSON)
#   sweep-BACKEND.txt              the scaling and aligned sweeps (for
#                                  bench/plot.sh)
#   threads-BACKEND.txt            1-page vmalloc/vfree pairs (fix_size_alloc_test)
#                                  on 1, 2 and 4 threads of one arena (cpus=4,
#                                  worker i on CPU i): per-worker lines and
#                                  "threads=N pairs/us=X speedup=Y" (from the
#                                  slowest worker's wall time)
#   kmod.txt                       the kmod pair: both engines' Summary
#                                  lines and their ratio (if run), on
#                                  the default kernel
#   kmod-RELEASE/bench.txt         the same on each kernel
#   summary.md                     every workload's CPU ns per op per backend
#
# -p PROFILE: the arena's kernel profile, linux-6.1 (default) or
# linux-6.12 (vmcore-bench --profile=PROFILE cpus=4, on every run).
# --quick: the test_vmalloc family at 5000 loops, the sweeps at 1000,
# hyperfine with 2 runs and no warm-up: under two minutes on this 2-core
# machine.  Without it: 200000 loops, 5 runs, 1 warm-up.
# The kmod pair (when ./backends/kmod/vmcore.ko exists; not with --quick
# unless --kmod): the module's default set at KMOD_LOOPS (200) loops and 4
# repeats, one VM boot under flock /tmp/vmcore-vm.lock per kernel the
# module is built for (6.1 and 6.12): kmod.txt is the default kernel's,
# kmod-RELEASE/bench.txt each kernel's.
#
#   VMCORE_BENCH   the driver (default: ./bench/vmcore-bench, then $PATH)
#   VMRUN          backends/kmod/vmrun.sh for the kmod pair
set -eu

here=$(cd "$(dirname "$0")" && pwd)
out=bench-out
backends=sim,mmap
tests=
loops=
runs=
quick=0
kmod=1
hf=1
prof=
while [ $# -gt 0 ]; do
	case $1 in
	--quick) quick=1 ;;
	-o) out=$2; shift ;;
	-b) backends=$2; shift ;;
	-t) tests=$2; shift ;;
	-n) loops=$2; shift ;;
	-r) runs=$2; shift ;;
	--no-kmod) kmod=0 ;;
	--kmod) kmod=2 ;;
	--no-hyperfine) hf=0 ;;
	-p) prof="--profile=$2 cpus=4"; shift ;;
	-h|--help) sed -n '3,41p' "$0"; exit 0 ;;
	*) echo "run.sh: unknown argument '$1' (--help)" >&2; exit 2 ;;
	esac
	shift
done

bench=${VMCORE_BENCH:-./bench/vmcore-bench}
[ -x "$bench" ] || bench=$(command -v vmcore-bench 2>/dev/null) || {
	echo "run.sh: no vmcore-bench (build it, or set VMCORE_BENCH)" >&2
	exit 2
}
case $bench in /*) ;; *) bench=$(pwd)/$bench ;; esac

family=$("$bench" --list | awk '$1 <= 11 { print $3 }' | tr '\n' , | sed 's/,$//')
sweeps=$("$bench" --list | awk '$3 ~ /^(live_|align_2)/ { print $3 }' | tr '\n' , | sed 's/,$//')
if [ "$quick" = 1 ]; then
	: "${loops:=5000}" "${runs:=2}"
	sloops=1000
	warm=0
else
	: "${loops:=200000}" "${runs:=5}"
	sloops=20000
	warm=1
fi
[ -n "$tests" ] || tests=$family
mkdir -p "$out"

echo "run.sh: $bench, backends $backends, loops $loops, into $out/" >&2
if [ "$hf" = 1 ]; then
	command -v hyperfine >/dev/null 2>&1 || {
		echo "run.sh: hyperfine is not installed (--no-hyperfine)" >&2
		exit 2
	}
	hyperfine -N --style basic --runs "$runs" --warmup "$warm" \
		-L backend "$backends" -L test "$tests" \
		--export-json "$out/hyperfine.json" \
		--export-markdown "$out/hyperfine.md" \
		"$bench --backend={backend} --test={test} test_loop_count=$loops $prof" \
		>&2
fi

for be in $(echo "$backends" | tr , ' '); do
	echo "run.sh: $be: the chosen workloads" >&2
	"$bench" --backend="$be" --test="$tests" sequential_test_order=1 \
		test_loop_count="$loops" $prof > "$out/$be.txt"
	"$bench" --backend="$be" --test="$tests" sequential_test_order=1 \
		test_loop_count="$loops" $prof --json > "$out/$be.json"
	echo "run.sh: $be: the scaling and aligned sweeps" >&2
	"$bench" --backend="$be" --test="$sweeps" sequential_test_order=1 \
		test_loop_count="$sloops" $prof > "$out/sweep-$be.txt"
	# at least 50000 pairs a worker: shorter runs time the start-up
	tloops=$loops
	[ "$tloops" -ge 50000 ] || tloops=50000
	echo "run.sh: $be: 1, 2 and 4 threads of 1-page pairs" >&2
	base=
	for t in 1 2 4; do
		"$bench" --backend="$be" --test=fix_size_alloc_test nr_pages=1 \
			test_loop_count="$tloops" nr_threads=$t cpus=4 $prof |
			grep ' status=' > "$out/threads.tmp"
		cat "$out/threads.tmp"
		awk -v t=$t -v n="$tloops" -v base="$base" '
		    { for (i = 1; i <= NF; i++) if ($i ~ /^wall_ms=/) {
			w = substr($i, 9) + 0; if (w > max) max = w } }
		    END { r = t * n / max / 1000
			printf "threads=%d pairs/us=%.3f speedup=%.2f\n", t, r,
			    base == "" ? 1 : r / base }' "$out/threads.tmp"
		[ -n "$base" ] || base=$(awk '{ for (i = 1; i <= NF; i++)
		    if ($i ~ /^wall_ms=/) { w = substr($i, 9) + 0;
		    if (w > m) m = w } } END { print n / m / 1000 }' \
		    n="$tloops" "$out/threads.tmp")
	done > "$out/threads-$be.txt"
	rm -f "$out/threads.tmp"
done

# The kmod pair: one VM boot per kernel the module is built for
# (backends/kmod/kernels.list; serialised with every other VM user).
# DIR/kmod.txt is the default (first) kernel's, the one bench/plot.sh
# plots; every kernel's is in DIR/kmod-RELEASE/bench.txt.
if [ "$kmod" = 1 ] && [ "$quick" = 1 ]; then
	echo "run.sh: --quick: no kmod pair (one VM boot takes minutes; --kmod)" >&2
elif [ "$kmod" != 0 ]; then
	vmrun=${VMRUN:-$here/../backends/kmod/vmrun.sh}
	if [ -f ./backends/kmod/vmcore.ko ] && [ -x "$vmrun" ]; then
		# emulated (TCG): a few hundred loops already take minutes
		kloops=${KMOD_LOOPS:-200}
		krels=$(cat ./backends/kmod/kernels.list 2>/dev/null) ||
			krels=$(sed -n 's/^VMRUN_RELEASE=//p' ./backends/kmod/vmrun.conf)
		kfirst=1
		for krel in $krels; do
			echo "run.sh: kmod pair on $krel ($kloops loops), one VM boot" >&2
			if flock /tmp/vmcore-vm.lock sh "$vmrun" --kernel "$krel" \
				-d ./backends/kmod \
				-B "test_loop_count=$kloops test_repeat_count=4" \
				-o "$out/kmod-$krel" > "$out/kmod-$krel.log" 2>&1; then
				sed "s/^ratio: /ratio [$krel]: /" \
					"$out/kmod-$krel/bench.txt" | grep "^ratio " >&2 || true
				[ "$kfirst" = 0 ] ||
					cp "$out/kmod-$krel/bench.txt" "$out/kmod.txt"
			else
				echo "run.sh: the kmod pair failed on $krel (see $out/kmod-$krel.log)" >&2
			fi
			kfirst=0
		done
	else
		echo "run.sh: no kmod pair: the module is not built here" >&2
	fi
fi

# summary.md: ns per op per workload and backend.
{
	echo "| workload |$(for f in "$out"/*.txt; do
		b=${f##*/}; b=${b%.txt}
		case $b in sweep-*|threads-*|kmod) continue ;; esac
		printf ' %s cpu ns/op |' "$b"; done)"
	echo "|---|$(for f in "$out"/*.txt; do
		b=${f##*/}; b=${b%.txt}
		case $b in sweep-*|threads-*|kmod) continue ;; esac
		printf -- '---:|'; done)"
	for t in $(echo "$tests" | tr , ' '); do
		printf '| %s |' "$t"
		for f in "$out"/*.txt; do
			b=${f##*/}; b=${b%.txt}
			case $b in sweep-*|threads-*|kmod) continue ;; esac
			v=$(awk -v t="$t" '$1 == "vmcore-bench:" && $2 == t {
				for (i = 3; i <= NF; i++)
					if ($i ~ /^status=/) s = substr($i, 8)
					else if ($i ~ /^cpu_ns\/op=/) n = substr($i, 11)
				print (s == "pass" || s == "fail") ? n : s; exit }' "$f")
			printf ' %s |' "${v:--}"
		done
		echo
	done
} > "$out/summary.md"
cat "$out/summary.md"
