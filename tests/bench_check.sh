#!/bin/sh
# SPDX-License-Identifier: MIT
# bench_check.sh - vmcore-bench works: every workload of its table runs a
# few loops on sim (x86_64 and la57; i386 for those that fit its 32-bit
# space) and on mmap and passes, with an arena that ends balanced
# (--check); every Summary line has the kernel's exact form; run_test_mask
# and --test select exactly the tests they name; --json is one valid JSON
# document with the same tests; several workers, the progress lines and
# bad parameters behave.  Never a timing: the numbers are not looked at.
#
#   VMC_BENCH   the driver (default: ./bench/vmcore-bench)
bench=${VMC_BENCH:-./bench/vmcore-bench}
if [ ! -x "$bench" ]; then
	echo "1..0 # SKIP vmcore-bench not built"
	[ -n "${VMC_TAP_HARNESS:-}" ] && exit 0   # the TAP driver: 77 = error
	exit 77
fi
tmp=${TMPDIR:-/tmp}/bench_check.$$
mkdir -p "$tmp" || exit 99
trap 'rm -rf "$tmp"' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

n=0
failed=0
ok() {          # ok COND-STATUS MESSAGE
	n=$((n + 1))
	if [ "$1" -eq 0 ]; then
		echo "ok $n - $2"
	else
		echo "not ok $n - $2"
		failed=$((failed + 1))
	fi
}

"$bench" --list > "$tmp/list" || { echo "Bail out! --list failed"; exit 99; }
names=$(awk '{print $3}' "$tmp/list")
nwl=$(wc -l < "$tmp/list")

sum_re='^Summary: [a-z0-9_^]* passed: [0-9][0-9]* failed: [0-9][0-9]* repeat: [0-9][0-9]* loops: [0-9][0-9]* avg: [0-9][0-9]* usec$'
skip_re='^Summary: [a-z0-9_^]* \(skipped\|unsupported\): ..*$'

# check_run TAG BACKEND EXCLUDE-REGEX ARGS...: every workload not excluded
# ran with two repeats and ended as expected.
check_run() {
	tag=$1 be=$2 excl=$3
	shift 3
	if [ -n "$excl" ]; then
		set -- "$@" --test="$(echo "$names" | grep -v -e "$excl" |
			tr '\n' ',' | sed 's/,$//')"
	fi
	"$bench" --backend="$be" --check test_repeat_count=2 "$@" \
		> "$tmp/out" 2> "$tmp/err"
	rc=$?
	ok $rc "$tag: exit 0 ($*)"
	grep -q '^vmcore-bench: check: ok' "$tmp/err"
	ok $? "$tag: the arena ends balanced, every invariant holds"
	bad=$(grep '^Summary: ' "$tmp/out" | grep -v -e "$sum_re" -e "$skip_re")
	[ -z "$bad" ]
	ok $? "$tag: every Summary line has the kernel's form${bad:+: $bad}"
	grep -q '^All test took worker0=[0-9][0-9]* cycles$' "$tmp/out"
	ok $? "$tag: the cycles line"
	for w in $names; do
		if [ -n "$excl" ] && echo "$w" | grep -q -e "$excl"; then
			continue
		fi
		line=$(grep "^Summary: $w " "$tmp/out")
		case $w:$be in
		align_shift_alloc_test:*) want="passed: 0 failed: 2 repeat: 2 " ;;
		pcpu_alloc_test:*) want="skipped: " ;;
		floor_pair_test:sim) want="unsupported: " ;;
		*) want="passed: 2 failed: 0 repeat: 2 " ;;
		esac
		case $line in
		"Summary: $w $want"*) r=0 ;;
		*) r=1 ;;
		esac
		ok $r "$tag: $w: ${line:-no Summary line}"
	done
}

# A debug build checks every invariant after every call (O(live areas)
# each): the workloads that build thousands of areas would take hours, so
# there they are left out and say so.
heavy=
loops=520
if "$bench" --build-info | grep -q 'debug=1'; then
	heavy='full_fit\|long_busy\|busy_15000\|live_1e[3456]\|scullv'
	loops=20
	echo "# debug build: leaving out $heavy, $loops loops"
fi

check_run sim sim "$heavy" --all test_loop_count=$loops
check_run la57 sim "$heavy" --all --geometry=la57 test_loop_count=$loops
# i386: 32-bit vmalloc space; the big live sets and alignments over
# 2^26 do not fit (they fail there, as they would in such a kernel)
check_run i386 sim 'full_fit\|long_busy\|busy_15000\|live_1e[456]\|align_2^2[7-9]\|align_2^30\|floor' \
	--geometry=i386 test_loop_count=40
check_run mmap mmap "$heavy" --all test_loop_count=$loops

# Page tables for the 2^30 sweep on two CPUs: its 8192 pairs between
# purges each leave two tables (the arena once got tables for 4096, and
# the pair failed at loop 6216).
if [ -z "$heavy" ]; then
	"$bench" --cpus=2 --test=align_2^30_pair_test test_loop_count=9000 \
		> "$tmp/out" 2>&1
	grep -q '^Summary: align_2^30_pair_test passed: 1 failed: 0 ' "$tmp/out"
	ok $? "align_2^30_pair_test on 2 CPUs, 9000 loops: $(grep '^Summary' "$tmp/out")"
else
	n=$((n + 1))
	echo "ok $n # SKIP 9000 aligned pairs with checks: minutes in a debug build"
fi

# run_test_mask and --test select exactly what they name (a debug build:
# masks without the tests of thousands of areas).
masks="0x1 0x2 0x40 0x80 0x400 0x800 0xa5 0x1000 0x100000000000 0x3ff
	0x7000000000"
[ -z "$heavy" ] || masks="0x1 0x40 0x80 0x400 0x800 0x1000 0x3f9
	0x100000000000 0x7000000000"
for m in $masks; do
	want=$(while read -r b _ w _; do
			[ $(( (m >> b) & 1 )) -eq 1 ] && echo "$w"
		done < "$tmp/list" | sort)
	got=$("$bench" run_test_mask="$m" test_loop_count=3 |
		sed -n 's/^Summary: \([^ ]*\) .*/\1/p' | sort)
	[ -n "$want" ] && [ "$want" = "$got" ]
	ok $? "run_test_mask=$m selects exactly: $(echo $want)"
done
got=$("$bench" --test=vrealloc_test,scullv_test test_loop_count=3 |
	sed -n 's/^Summary: \([^ ]*\) .*/\1/p' | sort | tr '\n' ' ')
[ "$got" = "scullv_test vrealloc_test " ]
ok $? "--test=vrealloc_test,scullv_test selects exactly those ($got)"
if [ -z "$heavy" ]; then
	got=$("$bench" test_loop_count=3 | grep -c '^Summary: ')
	[ "$got" -eq 12 ]
	ok $? "the default mask is the test_vmalloc family (12 tests: $got)"
else
	n=$((n + 1))
	echo "ok $n # SKIP the default mask runs full_fit: hours in a debug build"
fi

# The workloads of a list (one a line) without the heavy ones, as --test=.
sel() {
	echo "$1" | grep -v -e "${heavy:-^$}" | tr '\n' , | sed 's/,$//'
}
jnames=$(echo "$names" | grep -v -e "${heavy:-^$}")
jn=$(echo "$jnames" | grep -c -v -e '^pcpu_alloc_test$' \
	-e '^align_shift_alloc_test$' -e '^floor_pair_test$')
fam=$(echo "$names" | head -n 12 | grep -v -e "${heavy:-^$}")
nfam=$(echo "$fam" | wc -l)

# --json
if command -v jq >/dev/null 2>&1; then
	"$bench" --json --test="$(sel "$names")" test_loop_count=20 nr_threads=2 \
		> "$tmp/json"
	jq -e . "$tmp/json" > /dev/null 2>&1
	ok $? "--json is valid JSON"
	got=$(jq -r '.workers | length' "$tmp/json")
	[ "$got" = 2 ]
	ok $? "--json: one entry per worker ($got)"
	got=$(jq -r '.workers[1].tests[].name' "$tmp/json")
	[ "$got" = "$jnames" ]
	ok $? "--json: every workload, in table order"
	got=$(jq -r '[.workers[].tests[] | select(.status == "pass" and
		.passed == 1 and .ops > 0 and .ns_per_op > 0)] | length' \
		"$tmp/json")
	[ "$got" -eq $((2 * jn)) ]
	ok $? "--json: $got passes with ops and ns_per_op (want $((2 * jn)))"
	jq -e '.peak_rss_kb > 0 and .params.test_loop_count == 20' \
		"$tmp/json" > /dev/null
	ok $? "--json: peak RSS and the parameters"
else
	n=$((n + 1))
	echo "ok $n # SKIP --json not validated: jq is not installed"
fi

# Two workers on one arena, each with its Summary block and cycles line.
"$bench" --check nr_threads=2 --test="$(sel "$fam")" test_loop_count=200 \
	> "$tmp/out" 2> "$tmp/err"
ok $? "nr_threads=2: exit 0"
grep -q '^vmcore-bench: check: ok' "$tmp/err"
ok $? "nr_threads=2: the arena ends balanced"
got=$(grep -c '^All test took worker[01]=[0-9]* cycles$' "$tmp/out")
[ "$got" -eq 2 ] && [ "$(grep -c '^Summary: ' "$tmp/out")" -eq $((2 * nfam)) ]
ok $? "nr_threads=2: two Summary blocks and two cycles lines"

# Progress on stderr (every tick with --progress=0), not on stdout.
"$bench" --progress=0 --test=fix_size_alloc_test test_loop_count=300 \
	> "$tmp/out" 2> "$tmp/err"
grep -q '^vmcore-bench: [0-9]* s: worker0 fix_size_alloc_test [0-9]*/300 loops$' "$tmp/err" &&
	! grep -q ' loops$' "$tmp/out"
ok $? "progress lines go to stderr"

# Bad input: a clear message and exit 2.
for args in "nr_pages=x" "bogus=1" "--backend=nope" "--test=nope" \
	    "use_huge=2" "test_loop_count"; do
	"$bench" $args > /dev/null 2> "$tmp/err"
	rc=$?
	[ "$rc" -eq 2 ] && [ -s "$tmp/err" ]
	ok $? "'$args' is refused with exit 2 and a message"
done

echo "1..$n"
[ "$failed" -eq 0 ]
