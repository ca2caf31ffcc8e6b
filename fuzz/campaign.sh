#!/bin/sh
# campaign.sh - run a fuzz campaign for a time budget, keep what it found.
#
#   fuzz/campaign.sh -e libfuzzer|afl -t SECONDS -j JOBS -o OUTDIR
#                    [-T diff|sim|mmap] [-r REGRESSDIR] [-k]
#
#   -e  engine: libfuzzer (clang -fsanitize=fuzzer,address,undefined, run
#       with -fork=JOBS) or afl (AFL++ persistent mode, one -M main and
#       JOBS-1 -S secondaries)
#   -t  time budget in seconds (default 600)
#   -j  parallel jobs (default 1)
#   -o  output directory (created; rerunning continues its corpus)
#   -T  target (default diff: model + every in-process backend)
#   -r  where new regression inputs go (default corpus/regress of this tree)
#   -k  at the end, replay the corpus on the kernel module in a VM
#       (vmcore-replay --backend kmod, with and without --observe: the
#       kmod core against sim, then against the kernel's own vmalloc; the
#       module of this tree's build or $VMC_KMOD_DIR; logs in
#       OUTDIR/kmod-core.log and OUTDIR/kmod-diff.log)
#
# It builds the target itself (OUTDIR/bin) unless $VMC_FUZZ_BIN names a
# libFuzzer binary already built (`make fuzz` passes the one configure
# built); seeds from corpus/bin; prints a progress line at least every 30 s
# (execs, execs/s, corpus size, coverage, crashes).  At the end every crash
# is minimised (libFuzzer -minimize_crash / afl-tmin), deduplicated by its
# key (the violated invariant or mismatching op printed by the target,
# else the sanitizer's report kind and top frames), printed as text with
# `vmcore-replay --print` and stored as REGRESSDIR/KEY.txt, which
# `make check` replays from then on; the corpus is merged and minimised
# back into OUTDIR/corpus (libFuzzer -merge=1 / afl-cmin).
#
# Needs: clang with libFuzzer (Debian: clang libclang-rt-14-dev) or afl++.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/fuzz/lib.sh"

usage() {
	sed -n '2,19s/^# \{0,1\}//p' "$0" >&2
	exit 2
}

engine=libfuzzer secs=600 jobs=1 out= target=diff kmod=0
regress=$top/corpus/regress
while getopts e:t:j:o:T:r:kh opt; do
	case $opt in
	e) engine=$OPTARG ;;
	t) secs=$OPTARG ;;
	j) jobs=$OPTARG ;;
	o) out=$OPTARG ;;
	T) target=$OPTARG ;;
	r) regress=$OPTARG ;;
	k) kmod=1 ;;
	*) usage ;;
	esac
done
[ -n "$out" ] || usage
case $engine in libfuzzer|afl) ;; *) usage ;; esac
case $target in diff|sim|mmap) ;; *) usage ;; esac
case $secs$jobs in *[!0-9]*) usage ;; esac
[ "$jobs" -ge 1 ] || jobs=1

mkdir -p "$out/bin" "$out/corpus" "$out/crashes" "$out/min" "$regress" ||
    vmc_fuzz_die "cannot create $out"
out=$(cd "$out" && pwd)
dict=$top/fuzz/vmcore.dict
log=$out/fuzz.log

say() {
	printf '[campaign %s] %s\n' "$(date +%H:%M:%S)" "$*"
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
replay=
if [ -f "$top/fuzz/vmcore-replay.c" ]; then
	(vmc_fuzz_build_replay "$top" "$out/bin" "${CC:-cc}" "-O1 -g") &&
	    replay=$out/bin/vmcore-replay
fi
[ -n "$replay" ] || say "warning: no vmcore-replay; crashes stay binary"

# ---- seeds ----
seeds=$top/corpus/bin
if ! ls "$seeds"/* >/dev/null 2>&1; then
	seeds=$out/seeds
	mkdir -p "$seeds"
	[ -n "$replay" ] || vmc_fuzz_die "corpus/bin is empty and no vmcore-replay to encode corpus/*.txt"
	for f in "$top"/corpus/*.txt; do
		n=${f##*/}
		"$replay" --encode "$f" > "$seeds/${n%.txt}.bin" || rm -f "$seeds/${n%.txt}.bin"
	done
fi

# ---- run ----
count_files() {
	# shellcheck disable=SC2012
	ls "$@" 2>/dev/null | wc -l | tr -d ' '
}

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
		say "${el}s execs ${execs:-0} exec/s ${9:-0} corpus ${7:-0} cov ${3:-0} ft ${5:-0} crashes $(count_files "$out"/crashes/crash-* "$out"/crashes/leak-*)"
	else
		say "${el}s execs $(afl_stat execs_done sum) exec/s $(afl_stat execs_per_sec sum) corpus $(afl_stat corpus_count max) cov $(afl_stat bitmap_cvg max)% stability $(afl_stat stability max)% crashes $(afl_stat saved_crashes sum)"
	fi
}

start=$(date +%s)
pids=
if [ $engine = libfuzzer ]; then
	say "libFuzzer: $bin, $jobs job(s), ${secs}s, corpus $out/corpus"
	"$bin" -fork="$jobs" -ignore_crashes=1 -ignore_timeouts=1 \
	    -ignore_ooms=1 -max_total_time="$secs" -dict="$dict" \
	    -max_len=4096 -timeout=25 -rss_limit_mb=2560 \
	    -artifact_prefix="$out/crashes/" \
	    "$out/corpus" "$seeds" > "$log" 2>&1 &
	pids=$!
else
	AFL_NO_UI=1 AFL_SKIP_CPUFREQ=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1
	AFL_NO_AFFINITY=1 AFL_ALLOW_TMP=1
	export AFL_NO_UI AFL_SKIP_CPUFREQ AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES
	export AFL_NO_AFFINITY AFL_ALLOW_TMP
	in=$seeds
	# Rerun: continue from the merged corpus of the last run.
	ls "$out"/corpus/* >/dev/null 2>&1 && in=$out/corpus
	rm -rf "$out/afl"
	say "AFL++: $bin, $jobs instance(s), ${secs}s, seeds $in"
	afl-fuzz -M main -i "$in" -o "$out/afl" -x "$dict" -V "$secs" \
	    -m none -t 2000+ -- "$bin" > "$log" 2>&1 &
	pids=$!
	i=2
	while [ "$i" -le "$jobs" ]; do
		afl-fuzz -S "s$i" -i "$in" -o "$out/afl" -x "$dict" -V "$secs" \
		    -m none -t 2000+ -- "$bin" > "$out/fuzz-s$i.log" 2>&1 &
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

# reproduce FILE LOG: run one input alone.
reproduce() {
	if [ $engine = libfuzzer ]; then
		"$bin" -runs=1 "$1" > "$2" 2>&1
	else
		"$bin" "$1" > "$2" 2>&1
	fi
}

crashes=$(ls "$out"/crashes/crash-* "$out"/crashes/leak-* \
    "$out"/afl/*/crashes/id:* 2>/dev/null)
ncrash=0 nnew=0 ndup=0
for f in $crashes; do
	ncrash=$((ncrash + 1))
	id=$(cksum < "$f" | cut -d' ' -f1)
	min=$out/min/$id
	if [ ! -s "$min" ]; then
		if [ $engine = libfuzzer ]; then
			"$bin" -minimize_crash=1 -max_total_time=60 \
			    -exact_artifact_path="$min" "$f" \
			    > "$out/min/$id.tmin.log" 2>&1
		else
			afl-tmin -i "$f" -o "$min" -m none -t 5000 -- "$bin" @@ \
			    > "$out/min/$id.tmin.log" 2>&1
		fi
		[ -s "$min" ] || cp "$f" "$min"
	fi
	reproduce "$min" "$out/min/$id.log"
	key=$(crash_key "$out/min/$id.log")
	dest=$regress/$key.txt
	if [ -e "$dest" ] || [ -e "$out/min/$key.key" ]; then
		ndup=$((ndup + 1))
		continue
	fi
	: > "$out/min/$key.key"
	if [ -n "$replay" ]; then
		{
			printf '# %s: found by fuzz/campaign.sh (%s, fuzz_%s) on %s\n' \
			    "$key" "$engine" "$target" "$(date +%Y-%m-%d)"
			sed -n 's/^vmcore-fuzz: /# /p' "$out/min/$id.log" | head -n 6
			"$replay" --print "$min"
		} > "$dest.tmp" && mv "$dest.tmp" "$dest"
	else
		cp "$min" "$regress/$key.bin"
		dest=$regress/$key.bin
	fi
	nnew=$((nnew + 1))
	say "new crash $key -> $dest"
done

# ---- merge the corpus ----
if [ $engine = libfuzzer ]; then
	rm -rf "$out/corpus.merged"
	mkdir -p "$out/corpus.merged"
	if "$bin" -merge=1 -timeout=25 -rss_limit_mb=2560 \
	    "$out/corpus.merged" "$out/corpus" "$seeds" > "$out/merge.log" 2>&1; then
		rm -rf "$out/corpus"
		mv "$out/corpus.merged" "$out/corpus"
	else
		say "warning: merge failed (see $out/merge.log); corpus kept"
	fi
else
	rm -rf "$out/queue.all" "$out/corpus.merged"
	mkdir -p "$out/queue.all"
	for q in "$out"/afl/*/queue/id:* "$out"/corpus/*; do
		[ -f "$q" ] || continue
		cp "$q" "$out/queue.all/$(cksum < "$q" | cut -d' ' -f1)"
	done
	if afl-cmin -i "$out/queue.all" -o "$out/corpus.merged" -m none \
	    -t 5000 -- "$bin" @@ > "$out/merge.log" 2>&1; then
		rm -rf "$out/corpus"
		mv "$out/corpus.merged" "$out/corpus"
	else
		say "warning: afl-cmin failed (see $out/merge.log); corpus kept"
	fi
	rm -rf "$out/queue.all"
fi

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
			VMC_VMRUN=${VMC_VMRUN:-$top/backends/kmod/vmrun.sh} \
			VMC_KMOD_DIR=${VMC_KMOD_DIR:-$top/backends/kmod} \
			    "$replay" --backend kmod "$@" --binary \
			    "$out"/corpus/* > "$out/kmod-$mode.log" 2>&1
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

say "done: $ncrash crash file(s), $nnew new regression input(s), $ndup duplicate(s); corpus $(count_files "$out"/corpus/*) inputs in $out/corpus"
[ $nnew -eq 0 ]
