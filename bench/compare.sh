#!/bin/sh
# SPDX-License-Identifier: MIT
# bench/compare.sh - "did my change to the core make it faster?"
#
#   bench/compare.sh [-b BACKEND] [-t TEST,...] [-n LOOPS] [-r REPEATS]
#                    [-w WORKDIR] [-m cpu|wall] A B
#
# A and B are each a build directory (one holding bench/vmcore-bench) or a
# git revision of the tree this script is in.  A revision is exported
# (git archive, no worktree), its libvmcore built (--without-linux,
# static), and THIS tree's bench/ driver compiled against it: the driver
# uses only the public API, so revisions older than bench/ compare too,
# and both sides run the very same workload code.  Builds are kept in
# WORKDIR (default ${TMPDIR:-/tmp}/vmcore-compare) by commit.
#
# The runs interleave, A B B A A B ..., so drift in the machine's load
# falls on both sides alike; each run does every chosen workload once
# (sequential order) on one backend (default sim).  Per workload it prints
# the median ns per op of each side (the workload's own timed loop) and
# the ratio B/A of the runs paired by repeat: min, median, max.  The
# measure is the thread's CPU time per op of that loop (-m cpu, the
# default: a loaded machine inflates it far less than the clock) or the
# clock (-m wall).  Verdict:
# "faster" when every paired ratio is below 1 and the median below 0.97,
# "slower" when every one is above 1 and the median above 1.03, else
# "~ noise".  Default: the test_vmalloc family that runs everywhere
# (pcpu and align_shift left out), 20000 loops, 5 repeats.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
backend=sim
metric=cpu_ns/op
tests=
loops=20000
reps=5
work=${TMPDIR:-/tmp}/vmcore-compare
while [ $# -gt 2 ]; do
	case $1 in
	-b) backend=$2; shift ;;
	-t) tests=$2; shift ;;
	-n) loops=$2; shift ;;
	-r) reps=$2; shift ;;
	-w) work=$2; shift ;;
	-m) case $2 in cpu) metric=cpu_ns/op ;; wall) metric=ns/op ;;
	    *) echo "compare.sh: -m cpu or -m wall" >&2; exit 2 ;; esac; shift ;;
	*) echo "compare.sh: unknown argument '$1'" >&2; exit 2 ;;
	esac
	shift
done
[ $# -eq 2 ] || { sed -n '3,/^set -eu/p' "$0" | sed '$d' >&2; exit 2; }
mkdir -p "$work"

# side SPEC -> prints the path of a vmcore-bench for it
side() {
	spec=$1
	if [ -x "$spec/bench/vmcore-bench" ]; then
		echo "$(cd "$spec" && pwd)/bench/vmcore-bench"
		return
	fi
	sha=$(git -C "$top" rev-parse --verify -q "$spec^{commit}") || {
		echo "compare.sh: '$spec' is neither a build directory nor a revision" >&2
		return 1
	}
	d=$work/$sha
	# the driver depends on this tree's bench/ sources too
	stamp=$(cat "$here"/vmcore-bench.c "$here"/vmb*.c "$here"/vmb*.h | cksum | cut -d' ' -f1)
	if [ -x "$d/vmcore-bench" ] && [ "$(cat "$d/stamp" 2>/dev/null)" = "$stamp" ]; then
		echo "$d/vmcore-bench"
		return
	fi
	echo "compare.sh: building $spec ($sha) in $d" >&2
	rm -rf "$d"
	mkdir -p "$d/src"
	git -C "$top" archive "$sha" | tar -x -C "$d/src"
	(cd "$d/src" && autoreconf -fi >/dev/null 2>&1 &&
		./configure -q --without-linux --disable-shared >/dev/null &&
		nice -n 10 make -j2 libvmcore.la >/dev/null) >&2 || {
		echo "compare.sh: the build of $spec failed" >&2
		return 1
	}
	${CC:-cc} -O2 -g -std=gnu11 -pthread \
		-I"$d/src/libvmcore" -I"$d/src/backends" \
		-I"$d/src/backends/sim" -I"$d/src/backends/mmap" -I"$here" \
		"$here/vmcore-bench.c" "$here/vmb_wl.c" "$here/vmb_core.c" \
		"$d/src/.libs/libvmcore.a" -o "$d/vmcore-bench" >&2 || return 1
	echo "$stamp" > "$d/stamp"
	echo "$d/vmcore-bench"
}

a=$(side "$1")
b=$(side "$2")
if [ -z "$tests" ]; then
	tests=$("$a" --list | awk '$1 <= 11 && $3 != "pcpu_alloc_test" &&
		$3 != "align_shift_alloc_test" { print $3 }' | tr '\n' , |
		sed 's/,$//')
fi
res=$work/compare.$$
trap 'rm -f "$res"' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
: > "$res"

# one SIDE-LETTER BINARY REPEAT: append "test side repeat ns" lines
one() {
	"$2" --backend="$backend" --test="$tests" sequential_test_order=1 \
		test_loop_count="$loops" |
		awk -v s="$1" -v r="$3" '$1 == "vmcore-bench:" && $3 ~ /^backend=/ {
			for (i = 4; i <= NF; i++) if (index($i, key) == 1)
				print $2, s, r, substr($i, length(key) + 1) }' \
			key="$metric=" >> "$res"
}

echo "compare.sh: A = $1, B = $2; backend $backend, $loops loops," \
	"$reps repeats interleaved (A B B A ...)" >&2
r=1
while [ "$r" -le "$reps" ]; do
	echo "compare.sh: repeat $r/$reps" >&2
	if [ $((r % 2)) -eq 1 ]; then
		one A "$a" "$r"; one B "$b" "$r"
	else
		one B "$b" "$r"; one A "$a" "$r"
	fi
	r=$((r + 1))
done

echo "A = $1, B = $2 (backend $backend, $loops loops, $reps interleaved repeats; $metric of each workload's loop)"
awk -v order="$tests" -v metric="$metric" '
function median(v, n,    i, j, t) {
	for (i = 2; i <= n; i++)
		for (j = i; j > 1 && v[j - 1] > v[j]; j--) {
			t = v[j]; v[j] = v[j - 1]; v[j - 1] = t
		}
	return n % 2 ? v[(n + 1) / 2] : (v[n / 2] + v[n / 2 + 1]) / 2
}
{ ns[$1, $2, $3] = $4; if ($3 > R) R = $3 }
END {
	printf "%-30s %10s %10s %7s %7s %7s  %s\n", "workload", "A " metric,
	       "B " metric, "B/A min", "median", "max", "verdict"
	nt = split(order, T, ",")
	for (k = 1; k <= nt; k++) {
		t = T[k]; n = 0
		for (r = 1; r <= R; r++) {
			if (!((t, "A", r) in ns) || !((t, "B", r) in ns) ||
			    ns[t, "A", r] <= 0)
				continue
			n++
			va[n] = ns[t, "A", r]; vb[n] = ns[t, "B", r]
			q[n] = vb[n] / va[n]
		}
		if (!n) { printf "%-30s (no result)\n", t; continue }
		lo = hi = q[1]
		for (i = 2; i <= n; i++) { if (q[i] < lo) lo = q[i]; if (q[i] > hi) hi = q[i] }
		ma = median(va, n); mb = median(vb, n); mq = median(q, n)
		v = "~ noise"
		if (hi < 1 && mq < 0.97) v = "faster"
		if (lo > 1 && mq > 1.03) v = "slower"
		printf "%-30s %10.1f %10.1f %7.3f %7.3f %7.3f  %s\n", t, ma, mb,
		       lo, mq, hi, v
	}
}' "$res"
