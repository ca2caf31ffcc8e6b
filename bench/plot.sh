#!/bin/sh
# SPDX-License-Identifier: MIT
# bench/plot.sh - draw what bench/run.sh measured, with gnuplot, as PNG and
# SVG:
#
#   bench/plot.sh [DIR]          (default bench-out)
#
#   DIR/scaling.{png,svg}    ns per one-page pair against live areas
#                            (1e2..1e6), one line per backend
#   DIR/align.{png,svg}      ns per one-page pair against its alignment
#                            (2^12..2^30), one line per backend
#   DIR/workloads.{png,svg}  ns per op of every workload, one bar per
#                            backend (sim, mmap, kmod core, the kernel)
#
# The numbers come from the `vmcore-bench: NAME backend=B ...` lines of
# DIR/*.txt: cpu_ns/op (the thread's CPU time per op) where the line has
# it, else ns/op (the guest's kmod.txt prints the same lines with
# backend=kmod-core and backend=kernel), so any run that left them there
# can be drawn.  Needs gnuplot (Debian: gnuplot-nox).
set -eu

dir=${1:-bench-out}
command -v gnuplot >/dev/null 2>&1 || {
	echo "plot.sh: gnuplot is not installed (apt-get install gnuplot-nox)" >&2
	exit 2
}
ls "$dir"/*.txt >/dev/null 2>&1 || {
	echo "plot.sh: no results in $dir/ (run bench/run.sh -o $dir first)" >&2
	exit 2
}
dat=$dir/plot-data
mkdir -p "$dat"
rm -f "$dat"/*.dat

# NAME BACKEND NS for every passing line of every result file.
cat "$dir"/*.txt | awk '$1 == "vmcore-bench:" && $3 ~ /^backend=/ {
	b = substr($3, 9); s = ""; n = ""; c = ""
	for (i = 4; i <= NF; i++)
		if ($i ~ /^status=/) s = substr($i, 8)
		else if ($i ~ /^ns\/op=/) n = substr($i, 7)
		else if ($i ~ /^cpu_ns\/op=/) c = substr($i, 11)
	if (c + 0 > 0) n = c
	if (s == "pass" && n + 0 > 0) print $2, b, n
}' > "$dat/all"
[ -s "$dat/all" ] || { echo "plot.sh: no passing results in $dir/" >&2; exit 2; }
backends=$(awk '{ print $2 }' "$dat/all" | awk '!seen[$0]++')

# One file per backend and sweep: x ns
for b in $backends; do
	awk -v b="$b" '$2 == b && $1 ~ /^live_1e[0-9]_pair_test$/ {
		e = substr($1, 8, 1); print 10 ^ e, $3 }' "$dat/all" |
		sort -g > "$dat/scaling-$b.dat"
	awk -v b="$b" '$2 == b && $1 ~ /^align_2\^[0-9]+_pair_test$/ {
		k = $1; sub(/^align_2\^/, "", k); sub(/_pair_test$/, "", k)
		print k, $3 }' "$dat/all" | sort -g > "$dat/align-$b.dat"
done

# The workloads (not the sweeps) as a table: name ns(b1) ns(b2) ...
awk -v list="$backends" 'BEGIN { nb = split(list, B, /[ \n]+/) }
$1 !~ /^(live_1e|align_2\^|purge_)/ {
	if (!($1 in seen)) { seen[$1] = 1; order[++n] = $1 }
	v[$1, $2] = $3
}
END {
	for (i = 1; i <= n; i++) {
		line = order[i]; sub(/_test$/, "", line)
		for (j = 1; j <= nb; j++) {
			x = v[order[i], B[j]]
			line = line " " (x == "" ? "NaN" : x)
		}
		print line
	}
}' "$dat/all" > "$dat/workloads.dat"

# series NAME: the gnuplot plot list of $dat/NAME-BACKEND.dat, one line
# per backend that has data (empty when none has)
series() {
	list=""
	for b in $backends; do
		[ -s "$dat/$1-$b.dat" ] || continue
		list="$list${list:+, }'$dat/$1-$b.dat' using 1:2 with linespoints lw 2 title '$b'"
	done
	printf '%s' "$list"
}

# plot ONE-TERMINAL-LINE OUTPUT-BASE: the three charts
draw() {
	term=$1 ext=$2
	{
		echo "set terminal $term"
		echo "set grid; set key top left; set logscale y"
		echo "set ylabel 'ns per op (CPU time; kmod: kernel clock)'"
		plots=$(series scaling)
		if [ -n "$plots" ]; then
			echo "set output '$dir/scaling.$ext'"
			echo "set title 'vmalloc + store + vfree of one page beside N live areas'"
			echo "set logscale x; set xlabel 'live areas'"
			echo "plot $plots"
			echo "unset logscale x"
		fi
		plots=$(series align)
		if [ -n "$plots" ]; then
			echo "set output '$dir/align.$ext'"
			echo "set title 'one-page pair at alignment 2^k'"
			echo "set xlabel 'log2(alignment)'; set xtics 1"
			echo "plot $plots"
			echo "set xtics autofreq"
		fi
		if [ -s "$dat/workloads.dat" ]; then
			echo "set output '$dir/workloads.$ext'"
			echo "set title 'ns per op, per workload and backend'"
			echo "set style data histograms; set style histogram clustered gap 1"
			echo "set style fill solid 0.8 border -1; set boxwidth 0.9"
			echo "set xtics rotate by -40 left font ',8'; set xlabel ''"
			echo "set key top right; set bmargin 9"
			i=2
			plots=""
			for b in $backends; do
				plots="$plots${plots:+, }'$dat/workloads.dat' using $i:xtic(1) title '$b'"
				i=$((i + 1))
			done
			echo "plot $plots"
		fi
	} > "$dat/plot-$ext.gp"
	gnuplot "$dat/plot-$ext.gp"
}

draw "pngcairo size 1000,600 noenhanced" png 2>/dev/null ||
	draw "png size 1000,600 noenhanced" png
draw "svg size 1000,600 noenhanced" svg
for f in scaling align workloads; do
	for e in png svg; do
		[ -s "$dir/$f.$e" ] && echo "$dir/$f.$e"
	done
done
