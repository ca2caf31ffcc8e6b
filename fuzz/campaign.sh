#!/bin/sh
# SPDX-License-Identifier: MIT
# campaign.sh - run a fuzz campaign for a time budget, keep what it found.
#
#   fuzz/campaign.sh -e libfuzzer|afl -t SECONDS -j JOBS -o OUTDIR
#                    [-T diff|sim|mmap] [-w SECONDS] [-s SEEDDIR]
#                    [-r REGRESSDIR] [-k]
#
#   -e  engine: libfuzzer (clang -fsanitize=fuzzer,address,undefined, run
#       with -fork=JOBS) or afl (AFL++ persistent mode, one -M main and
#       JOBS-1 -S secondaries)
#   -t  time budget in seconds (default 600)
#   -j  parallel jobs (default 1)
#   -o  output directory (created; rerunning continues its corpus)
#   -T  target (default diff: model + every in-process backend)
#   -w  seconds one input may run before it counts as a timeout (default
#       25, the targets' .options)
#   -s  seed directory (default corpus/bin of this tree)
#   -r  where new regression inputs go (default OUTDIR/regress; copy them
#       to corpus/regress/ to keep them: the script writes nothing into
#       the source tree)
#   -k  at the end, replay the corpus on the kernel module in a VM
#       (vmcore-replay --backend kmod, with and without --observe: the
#       kmod core against sim, then against the kernel's own vmalloc; the
#       module of this tree's build or $VMC_KMOD_DIR; logs in
#       OUTDIR/kmod-core.log and OUTDIR/kmod-diff.log)
#
# It builds the target itself (OUTDIR/bin) unless $VMC_FUZZ_BIN names a
# libFuzzer binary already built (`make fuzz` passes the one configure
# built).  Every seed first runs once under the timeout (all in one
# process; if that fails, each alone, to name them); one that crashes or
# times out is a finding and is not given to the fuzzer.  It
# prints a progress line at least every 30 s (execs, execs/s, corpus size,
# coverage, crashes, timeouts), also while it minimises and merges.
#
# Findings, each saved, counted and printed at the end with its text form:
#   crashes   minimised (libFuzzer -minimize_crash / afl-tmin), deduplicated
#             by their key (the violated invariant or mismatching op
#             printed by the target, else the sanitizer's report kind and
#             top frames), printed as text with `vmcore-replay --print` and
#             stored as REGRESSDIR/KEY.txt (make check replays
#             corpus/regress/);
#   timeouts  every input that ran longer than -w: a seed (the check
#             above), an input of the fuzzers (libFuzzer timeout-*, AFL++
#             hangs/) or of the corpus merge; stored as
#             OUTDIR/timeouts/NAME and NAME.txt, never silently left out of
#             the merged corpus.
# The corpus is merged and minimised back into OUTDIR/corpus (libFuzzer
# -merge=1 / afl-cmin).  Exit status: 0 when there was no new crash and no
# timeout, 1 otherwise or on an error.
#
# Every fuzzer, minimiser and merge runs with OUTDIR as its working
# directory and an artifact prefix (or AFL++ -o) inside OUTDIR, so nothing
# lands in the directory it was started from.
#
# Needs: clang with libFuzzer (Debian: clang libclang-rt-14-dev) or afl++.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/fuzz/lib.sh"

usage() {
	sed -n '3,/^[^#]/s/^# \{0,1\}//p' "$0" >&2
	exit 2
}

engine=libfuzzer secs=600 jobs=1 out= target=diff kmod=0 tmo=25
regress= seeds=$top/corpus/bin
while getopts e:t:j:o:T:w:s:r:kh opt; do
	case $opt in
	e) engine=$OPTARG ;;
	t) secs=$OPTARG ;;
	j) jobs=$OPTARG ;;
	o) out=$OPTARG ;;
	T) target=$OPTARG ;;
	w) tmo=$OPTARG ;;
	s) seeds=$OPTARG ;;
	r) regress=$OPTARG ;;
	k) kmod=1 ;;
	*) usage ;;
	esac
done
[ -n "$out" ] || usage
case $engine in libfuzzer|afl) ;; *) usage ;; esac
case $target in diff|sim|mmap) ;; *) usage ;; esac
case $secs$jobs$tmo in *[!0-9]*) usage ;; esac
[ "$jobs" -ge 1 ] || jobs=1
[ "$tmo" -ge 1 ] || tmo=1

mkdir -p "$out/bin" "$out/corpus" "$out/crashes" "$out/min" \
    "$out/timeouts" "$out/merge-artifacts" "$out/seeds" ||
    vmc_fuzz_die "cannot create $out"
out=$(cd "$out" && pwd)
[ -n "$regress" ] || regress=$out/regress
mkdir -p "$regress" || vmc_fuzz_die "cannot create $regress"
regress=$(cd "$regress" && pwd)
dict=$top/fuzz/vmcore.dict
log=$out/fuzz.log

say() {
	printf '[campaign %s] %s\n' "$(date +%H:%M:%S)" "$*"
}

# in_out CMD...: run CMD with OUTDIR as its working directory, so a tool
# that writes into its current directory writes there.
in_out() {
	(cd "$out" && exec "$@")
}

# with_progress LABEL LOG CMD...: run CMD (a command or a function) with
# its output in LOG, saying it is still running every 30 s; returns its
# exit status.
with_progress() {
	_label=$1 _log=$2
	shift 2
	"$@" > "$_log" 2>&1 &
	_pid=$!
	_t0=$(date +%s) _last=$_t0
	while kill -0 "$_pid" 2>/dev/null; do
		sleep 1
		_now=$(date +%s)
		if [ $((_now - _last)) -ge 30 ]; then
			say "$_label: still running ($((_now - _t0))s)"
			_last=$_now
		fi
	done
	wait "$_pid"
}

# ---- build ----
if [ $engine = libfuzzer ]; then
	if [ -n "${VMC_FUZZ_BIN:-}" ]; then
		bin=$VMC_FUZZ_BIN
	else
		cc=${FUZZ_CC:-clang}
		printf 'int LLVMFuzzerTestOneInput(const unsigned char *d, unsigned long n);\nint LLVMFuzzerTestOneInput(const unsigned char *d, unsigned long n) { return d && n ? 0 : 0; }\n' \
		    > "$out/bin/probe.c"
		$cc -fsanitize=fuzzer "$out/bin/probe.c" -o "$out/bin/probe" \
		    >/dev/null 2>&1 ||
		    vmc_fuzz_die "$cc cannot link -fsanitize=fuzzer: install clang and libclang-rt-14-dev, or ./configure CC=clang --enable-fuzzing"
		say "building fuzz_$target (libFuzzer + ASan + UBSan) in $out/bin"
		vmc_fuzz_build "$top" "$out/bin" "" "$cc" \
		    "-O1 -g -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=undefined" \
		    "-fsanitize=fuzzer,address,undefined" "" "$target"
		bin=$out/bin/fuzz_$target
	fi
else
	command -v afl-fuzz >/dev/null 2>&1 ||
	    vmc_fuzz_die "afl-fuzz not found (Debian: apt-get install afl++)"
	say "building fuzz_${target}_afl in $out/bin"
	"$top/fuzz/afl-build.sh" -o "$out/bin" "$target" >/dev/null ||
	    vmc_fuzz_die "afl-build.sh failed"
	bin=$out/bin/fuzz_${target}_afl
fi
[ -x "$bin" ] || vmc_fuzz_die "no fuzz binary $bin"
case $bin in /*) ;; *) bin=$(pwd)/$bin ;; esac
replay=
if [ -f "$top/fuzz/vmcore-replay.c" ]; then
	(vmc_fuzz_build_replay "$top" "$out/bin" "${CC:-cc}" "-O1 -g") &&
	    replay=$out/bin/vmcore-replay
fi
[ -n "$replay" ] || say "warning: no vmcore-replay; findings stay binary"

count_files() {
	# shellcheck disable=SC2012
	ls "$@" 2>/dev/null | wc -l | tr -d ' '
}

# as_text FILE: its ops as canonical text (or why not).
as_text() {
	if [ -n "$replay" ]; then
		"$replay" --print --binary --truncate "$1" 2>&1
	else
		printf '(no vmcore-replay: %s stays binary)\n' "$1"
	fi
}

# run_one FILE LOG: run one input alone with the campaign's timeout; 0
# clean, 1 crash, 2 timeout.
run_one() {
	if [ $engine = libfuzzer ]; then
		in_out "$bin" -runs=1 -timeout="$tmo" -rss_limit_mb=2560 \
		    -artifact_prefix="$out/min/" "$1" > "$2" 2>&1
		_rc=$?
		[ $_rc -eq 0 ] && return 0
		grep -aq 'ERROR: libFuzzer: timeout' "$2" && return 2
		return 1
	fi
	in_out timeout -k 5 "$tmo" "$bin" "$1" > "$2" 2>&1
	_rc=$?
	[ $_rc -eq 0 ] && return 0
	[ $_rc -eq 124 ] || [ $_rc -eq 137 ] && return 2
	return 1
}

# run_all DIR LOG: every input of DIR once, in one process; 0 if none
# crashed or timed out (libFuzzer's -timeout holds for each input; the AFL
# harness gets one bound for all, the timeout plus a second per input).
# A failure names no input: the caller then runs them one by one.
run_all() {
	if [ $engine = libfuzzer ]; then
		in_out "$bin" -runs=0 -timeout="$tmo" -rss_limit_mb=2560 \
		    -artifact_prefix="$out/min/" "$1" > "$2" 2>&1
		return
	fi
	_n=$(ls "$1" | wc -l)
	in_out timeout -k 5 $((tmo + _n)) "$bin" "$1" > "$2" 2>&1
}

# timeout_found FILE WHERE: a timeout finding; saved as
# OUTDIR/timeouts/NAME (+ .txt), printed at the end.
ntmo=0
timeout_found() {
	_name=$2-$(cksum < "$1" | cut -d' ' -f1)
	[ -e "$out/timeouts/$_name" ] && return 0
	cp "$1" "$out/timeouts/$_name"
	{
		printf '# timeout (> %ss) of fuzz_%s: %s, from %s\n' "$tmo" \
		    "$target" "$2" "$1"
		as_text "$1"
	} > "$out/timeouts/$_name.txt"
	ntmo=$((ntmo + 1))
	say "timeout: $2 input $1 ran over ${tmo}s -> $out/timeouts/$_name"
}

# ---- seeds: each once first; a crash or a timeout is a finding ----
if ! ls "$seeds"/* >/dev/null 2>&1; then
	[ -n "$replay" ] || vmc_fuzz_die "$seeds is empty and no vmcore-replay to encode corpus/*.txt"
	seeds=$out/seeds.enc
	mkdir -p "$seeds"
	for f in "$top"/corpus/*.txt; do
		n=${f##*/}
		grep -q '^config(' "$f" && continue     # text only
		"$replay" --encode "$f" > "$seeds/${n%.txt}.bin" || rm -f "$seeds/${n%.txt}.bin"
	done
fi
rm -f "$out"/seeds/*
nseed=0 nseed_bad=0
# All seeds in one run first (one by one, each pays a process start and a
# poll of a second: a grown corpus of a thousand seeds took 17 minutes);
# only if that run fails are they taken one at a time to name the bad ones.
all_clean=
with_progress "seeds, all at once" /dev/null run_all "$seeds" \
    "$out/min/seeds.log" && all_clean=1
[ -n "$all_clean" ] ||
	say "a seed crashed or timed out: running them one by one"
for f in "$seeds"/*; do
	[ -f "$f" ] || continue
	nseed=$((nseed + 1))
	if [ -n "$all_clean" ]; then
		cp "$f" "$out/seeds/"
		continue
	fi
	with_progress "seed ${f##*/}" /dev/null run_one "$f" "$out/min/seed.log"
	case $? in
	0) cp "$f" "$out/seeds/" ;;
	2) timeout_found "$f" seed; nseed_bad=$((nseed_bad + 1)) ;;
	*) cp "$f" "$out/crashes/crash-seed-${f##*/}"
	   say "seed ${f##*/} crashes (see $out/crashes/crash-seed-${f##*/})"
	   nseed_bad=$((nseed_bad + 1)) ;;
	esac
done
say "$nseed seed(s) from $seeds: $((nseed - nseed_bad)) clean, $nseed_bad crashed or timed out (not fuzzed)"

# ---- run ----
# AFL++: sum a field over every instance's fuzzer_stats.
afl_stat() {
	cat "$out"/afl/*/fuzzer_stats 2>/dev/null |
	    awk -v k="$1" -v op="$2" '$1 == k { v = $3 + 0; if (op == "sum") s += v; else if (v > s) s = v } END { printf "%s", s + 0 }'
}

progress() {
	el=$(( $(date +%s) - start ))
	if [ $engine = libfuzzer ]; then
		# "#N: cov: C ft: F corp: K exec/s: E oom/timeout/crash: a/b/c time: Ts"
		l=$(grep -a '^#[0-9]*: cov:' "$log" 2>/dev/null | tail -n 1)
		set -- $l
		execs=${1:-0}; execs=${execs#\#}; execs=${execs%:}
		say "${el}s execs ${execs:-0} exec/s ${9:-0} corpus ${7:-0} cov ${3:-0} ft ${5:-0} crashes $(count_files "$out"/crashes/crash-* "$out"/crashes/leak-*) timeouts $(count_files "$out"/crashes/timeout-*)"
	else
		say "${el}s execs $(afl_stat execs_done sum) exec/s $(afl_stat execs_per_sec sum) corpus $(afl_stat corpus_count max) cov $(afl_stat bitmap_cvg max)% stability $(afl_stat stability max)% crashes $(afl_stat saved_crashes sum) timeouts $(afl_stat saved_hangs sum)"
	fi
}

start=$(date +%s)
pids=
if [ "$(count_files "$out"/seeds/* "$out"/corpus/*)" -eq 0 ]; then
	# Nothing to start from: the fuzzers get one empty input.
	: > "$out/seeds/empty"
fi
if [ $engine = libfuzzer ]; then
	say "libFuzzer: $bin, $jobs job(s), ${secs}s, timeout ${tmo}s, corpus $out/corpus"
	in_out "$bin" -fork="$jobs" -ignore_crashes=1 -ignore_timeouts=1 \
	    -ignore_ooms=1 -max_total_time="$secs" -dict="$dict" \
	    -max_len=4096 -timeout="$tmo" -rss_limit_mb=2560 \
	    -artifact_prefix="$out/crashes/" \
	    "$out/corpus" "$out/seeds" > "$log" 2>&1 &
	pids=$!
else
	AFL_NO_UI=1 AFL_SKIP_CPUFREQ=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1
	AFL_NO_AFFINITY=1 AFL_ALLOW_TMP=1
	export AFL_NO_UI AFL_SKIP_CPUFREQ AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES
	export AFL_NO_AFFINITY AFL_ALLOW_TMP
	in=$out/seeds
	# Rerun: continue from the merged corpus of the last run.
	ls "$out"/corpus/* >/dev/null 2>&1 && in=$out/corpus
	rm -rf "$out/afl"
	say "AFL++: $bin, $jobs instance(s), ${secs}s, timeout ${tmo}s, seeds $in"
	in_out afl-fuzz -M main -i "$in" -o "$out/afl" -x "$dict" -V "$secs" \
	    -m none -t "${tmo}000+" -- "$bin" > "$log" 2>&1 &
	pids=$!
	i=2
	while [ "$i" -le "$jobs" ]; do
		in_out afl-fuzz -S "s$i" -i "$in" -o "$out/afl" -x "$dict" \
		    -V "$secs" -m none -t "${tmo}000+" -- "$bin" \
		    > "$out/fuzz-s$i.log" 2>&1 &
		pids="$pids $!"
		i=$((i + 1))
	done
fi
trap 'kill $pids 2>/dev/null; exit 130' INT TERM
last=$start
while :; do
	alive=0
	for p in $pids; do
		kill -0 "$p" 2>/dev/null && alive=1
	done
	[ $alive = 1 ] || break
	sleep 2
	now=$(date +%s)
	if [ $((now - last)) -ge 30 ]; then
		progress
		last=$now
	fi
	# A fuzzer that ignores its budget is stopped 60 s after it.
	if [ $((now - start)) -gt $((secs + 60)) ]; then
		say "time budget exceeded; stopping"
		kill $pids 2>/dev/null
	fi
done
rc=0
for p in $pids; do
	wait "$p" || rc=$?
done
trap - INT TERM
progress
if [ $engine = afl ] && [ "$(afl_stat execs_done sum)" = 0 ]; then
	tail -n 20 "$log" >&2
	vmc_fuzz_die "afl-fuzz did not run (see $log)"
fi
if [ $engine = libfuzzer ] && ! grep -aq '^#[0-9]' "$log"; then
	tail -n 20 "$log" >&2
	vmc_fuzz_die "libFuzzer did not run (exit $rc, see $log)"
fi
# AFL++ skips a seed that times out in its first run (-t N+) with a
# warning; none should (the seed check above), but say so if one did.
if [ $engine = afl ]; then
	sed 's/\x1b\[[0-9;]*[A-Za-z]//g' "$log" "$out"/fuzz-s*.log 2>/dev/null |
	    awk "/Attempting dry run with '/ { f = \$0; sub(/.*with '/, \"\", f); sub(/'.*/, \"\", f) }
		 /results in a timeout/ { print f }" | sort -u > "$out/min/afl-dry-timeouts"
	while read -r q; do
		for f in "$out"/afl/*/queue/"$q"; do
			[ -f "$f" ] && timeout_found "$f" afl-seed && break
		done
	done < "$out/min/afl-dry-timeouts"
fi

# ---- merge the corpus (inputs that time out or crash are findings) ----
if [ $engine = libfuzzer ]; then
	rm -rf "$out/corpus.merged"
	mkdir -p "$out/corpus.merged"
	say "merging the corpus"
	if with_progress "merge" "$out/merge.log" in_out "$bin" -merge=1 \
	    -timeout="$tmo" -rss_limit_mb=2560 \
	    -artifact_prefix="$out/merge-artifacts/" \
	    "$out/corpus.merged" "$out/corpus" "$out/seeds"; then
		rm -rf "$out/corpus"
		mv "$out/corpus.merged" "$out/corpus"
	else
		say "warning: merge failed (see $out/merge.log); corpus kept"
	fi
	for f in "$out"/merge-artifacts/crash-* "$out"/merge-artifacts/leak-*; do
		[ -f "$f" ] && mv "$f" "$out/crashes/${f##*/}"
	done
else
	rm -rf "$out/queue.all" "$out/corpus.merged"
	mkdir -p "$out/queue.all"
	for q in "$out"/afl/*/queue/id:* "$out"/corpus/*; do
		[ -f "$q" ] || continue
		cp "$q" "$out/queue.all/$(cksum < "$q" | cut -d' ' -f1)"
	done
	say "merging the corpus ($(count_files "$out"/queue.all/*) inputs)"
	if ! with_progress "afl-cmin" "$out/merge.log" in_out afl-cmin \
	    -i "$out/queue.all" -o "$out/corpus.merged" -m none \
	    -t "${tmo}000" -- "$bin"; then
		# afl-cmin stops at an input that crashes or times out: find
		# them, take them out as findings, and merge the rest.
		say "afl-cmin refused the queue (a crash or a timeout in it): checking each input"
		for q in "$out"/queue.all/*; do
			run_one "$q" "$out/min/merge-one.log"
			case $? in
			0) continue ;;
			2) timeout_found "$q" merge ;;
			*) cp "$q" "$out/crashes/crash-merge-${q##*/}" ;;
			esac
			rm -f "$q"
		done
		rm -rf "$out/corpus.merged"
		with_progress "afl-cmin" "$out/merge.log" in_out afl-cmin \
		    -i "$out/queue.all" -o "$out/corpus.merged" -m none \
		    -t "${tmo}000" -- "$bin" ||
		    say "warning: afl-cmin failed again (see $out/merge.log)"
	fi
	if [ -d "$out/corpus.merged" ]; then
		rm -rf "$out/corpus"
		mv "$out/corpus.merged" "$out/corpus"
	else
		say "warning: no merged corpus (see $out/merge.log); corpus kept"
	fi
	rm -rf "$out/queue.all"
fi

# ---- timeouts of the fuzzers and of the merge ----
for f in "$out"/crashes/timeout-*; do
	[ -f "$f" ] && timeout_found "$f" fuzzing
done
for f in "$out"/afl/*/hangs/id:*; do
	[ -f "$f" ] && timeout_found "$f" fuzzing
done
for f in "$out"/merge-artifacts/timeout-*; do
	[ -f "$f" ] && timeout_found "$f" merge
done

# ---- crashes: minimise, key, print, dedupe ----
# crash_key FILE: the dedup key from a run's stderr.
crash_key() {
	k=$(sed -n 's/^vmcore-fuzz: \([a-z0-9]*-[A-Za-z0-9_]*\)$/\1/p' "$1" | head -n 1)
	if [ -z "$k" ]; then
		kind=$(sed -n 's/.*ERROR: [A-Za-z]*Sanitizer: \([a-z-]*\).*/\1/p; s/.*ERROR: libFuzzer: \([a-z-]*\).*/\1/p; s/.*runtime error: \([a-z]*\).*/ubsan-\1/p' "$1" | head -n 1)
		frames=$(grep -a '^ *#[0-9]* 0x[0-9a-f]* in ' "$1" |
		    awk '{ print $4 }' |
		    grep -v '^__\|^abort$\|^raise$\|^fuzzer::\|^LLVMFuzzer\|^main$\|^_start$' |
		    head -n 3 | tr '\n' ' ')
		k="${kind:-crash}-$(printf '%s' "$frames" | cksum | cut -d' ' -f1)"
	fi
	printf '%s' "$k"
}

# minimise FILE MIN: the smallest input that still crashes the same way.
minimise() {
	if [ $engine = libfuzzer ]; then
		# -max_total_time bounds each step, not the whole; each
		# smaller crash is in MIN as soon as it is found.
		in_out timeout -k 5 150 "$bin" -minimize_crash=1 \
		    -max_total_time=60 \
		    -timeout="$tmo" -artifact_prefix="$out/min/" \
		    -exact_artifact_path="$2" "$1"
	else
		# No @@: the target's persistent loop takes the input from
		# shared memory (with a file argument it replays it without a
		# fork server, which afl-tmin and afl-cmin cannot drive).
		in_out timeout 60 afl-tmin -i "$1" -o "$2" -m none \
		    -t "${tmo}000" -- "$bin"
	fi
}

crashes=$(ls "$out"/crashes/crash-* "$out"/crashes/leak-* \
    "$out"/afl/*/crashes/id:* 2>/dev/null)
ncrash=$(printf '%s\n' $crashes | grep -c .)
icrash=0 nnew=0 ndup=0 newfiles=
for f in $crashes; do
	icrash=$((icrash + 1))
	id=$(cksum < "$f" | cut -d' ' -f1)
	min=$out/min/$id
	if [ ! -s "$min" ]; then
		say "minimising crash $icrash/$ncrash: $f"
		with_progress "minimising crash $icrash/$ncrash" \
		    "$out/min/$id.tmin.log" minimise "$f" "$min"
		[ -s "$min" ] || cp "$f" "$min"
		say "minimised crash $icrash/$ncrash: $(wc -c < "$f" | tr -d ' ') -> $(wc -c < "$min" | tr -d ' ') bytes"
	fi
	run_one "$min" "$out/min/$id.log"
	key=$(crash_key "$out/min/$id.log")
	dest=$regress/$key.txt
	# Known already: in REGRESSDIR, in this run, or kept in the tree.
	if [ -e "$dest" ] || [ -e "$out/min/$key.key" ] ||
	    [ -e "$top/corpus/regress/$key.txt" ]; then
		ndup=$((ndup + 1))
		continue
	fi
	: > "$out/min/$key.key"
	if [ -n "$replay" ]; then
		{
			printf '# %s: found by fuzz/campaign.sh (%s, fuzz_%s) on %s\n' \
			    "$key" "$engine" "$target" "$(date +%Y-%m-%d)"
			sed -n 's/^vmcore-fuzz: /# /p' "$out/min/$id.log" | head -n 6
			as_text "$min"
		} > "$dest.tmp" && mv "$dest.tmp" "$dest"
	else
		cp "$min" "$regress/$key.bin"
		dest=$regress/$key.bin
	fi
	nnew=$((nnew + 1))
	newfiles="$newfiles $dest"
	say "new crash $key -> $dest"
done

# ---- kernel module replay ----
if [ $kmod = 1 ]; then
	# One VM boot for the whole corpus (vmcore-replay --backend kmod runs
	# backends/kmod/vmrun.sh); the module comes from this tree's build.
	if [ -z "$replay" ]; then
		say "kmod replay skipped: no vmcore-replay"
	elif [ "$(count_files "$out"/corpus/*)" -eq 0 ]; then
		say "kmod replay skipped: $out/corpus is empty"
	else
		say "replaying $out/corpus on the kernel module in a VM"
		# The core on kmod against a sim arena of the same shape, then
		# the core against the kernel's own vmalloc (diff engine).
		for mode in core diff; do
			case $mode in
			core) set -- ;;
			diff) set -- --observe ;;
			esac
			VMC_VMRUN=${VMC_VMRUN:-$top/backends/kmod/vmrun.sh}
			VMC_KMOD_DIR=${VMC_KMOD_DIR:-$top/backends/kmod}
			export VMC_VMRUN VMC_KMOD_DIR
			with_progress "kmod $mode replay" "$out/kmod-$mode.log" \
			    in_out "$replay" --backend kmod "$@" --binary \
			    --truncate "$out"/corpus/*
			case $? in
			0) say "kmod $mode replay clean ($(grep -c ': kmod .* ok' \
			       "$out/kmod-$mode.log") inputs; $out/kmod-$mode.log)" ;;
			1) say "kmod $mode replay reported failures (see" \
			       "$out/kmod-$mode.log)" ;;
			*) say "kmod $mode replay could not run:" \
			       "$(tail -n 1 "$out/kmod-$mode.log")" ;;
			esac
		done
	fi
fi

# ---- the findings, in full ----
# show FILE: at most 60 lines of it.
show() {
	sed -n '1,60s/^/    /p' "$1"
	_l=$(wc -l < "$1" | tr -d ' ')
	[ "$_l" -le 60 ] || printf '    ... (%s more lines in %s)\n' \
	    $((_l - 60)) "$1"
}
for d in $newfiles; do
	say "crash $d:"
	show "$d"
done
for t in "$out"/timeouts/*.txt; do
	[ -f "$t" ] || continue
	say "timeout ${t%.txt}:"
	show "$t"
done
say "done: $ncrash crash file(s), $nnew new regression input(s) in $regress, $ndup duplicate(s), $ntmo timeout(s) in $out/timeouts; corpus $(count_files "$out"/corpus/*) inputs in $out/corpus"
[ $nnew -eq 0 ] || say "to keep the new regression inputs: cp $regress/*.txt $top/corpus/regress/"
[ $nnew -eq 0 ] && [ $ntmo -eq 0 ]
