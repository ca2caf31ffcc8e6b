#!/bin/sh
# SPDX-License-Identifier: MIT
# kmod_bench.sh - the benchmark workload table in kernel space, on every
# kernel the module is built for (tests/kmod_lib.sh): one VM boot per
# kernel runs vmc-bench (VMC_KMOD_IOC_BENCH) with a few loops and two
# repeats of every workload of the module's default set, on libvmcore
# over the kmod backend and on the kernel's own vmalloc, alternating.
# Checks that both engines print a well-formed Summary line for every
# test (numbers, or "unsupported: why" where the kernel cannot run it),
# that the core passes every test it should, that the kernel passes or
# says why not, that a ratio line comes for each test both ran, and that
# the VM run is clean (self-test, kernel log, unload, VmallocUsed).
# Never a timing.  TAP; skipped with the reason when no kernel module run
# can happen here.
. "${srcdir:-.}/tests/kmod_lib.sh"
kmod_require
grep -q '^VMRUN_BENCH=' "$kmod_dir/vmrun.conf" ||
	kmod_skip "$kmod_dir/vmrun.conf names no vmc-bench (rebuild the module)"
vmrun=${VMC_VMRUN:-$srcdir/backends/kmod/vmrun.sh}
tmp=${TMPDIR:-/tmp}/kmod_bench.$$
mkdir "$tmp" || exit 99
trap 'rm -rf "$tmp"' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

sum_re='^Summary: [a-z0-9_^]* passed: [0-9]* failed: [0-9]* repeat: 2 loops: 3 avg: [0-9]* usec$'
un_re='^Summary: [a-z0-9_^]* \(unsupported\|skipped\): ..*$'

# bench_kernel DIR REL: one boot of the module build DIR, its checks.
bench_kernel() {
	d=$1 rel=$2 o=$tmp/$2
	sh "$vmrun" -d "$d" -B "test_loop_count=3 test_repeat_count=2" \
		-o "$o" > "$tmp/log" 2>&1
	rc=$?
	b=$o/bench.txt
	kmod_ok $rc "[$rel] vmrun.sh -B exit 0 (VM run clean, vmc-bench exit 0)"
	[ $rc -eq 0 ] || sed 's/^/# /' "$tmp/log" | tail -n 20
	if [ ! -s "$b" ]; then
		kmod_ok 1 "[$rel] bench.txt came back"
		return
	fi
	grep -q '^# timings under TCG are emulated: only the ratios' "$b"
	kmod_ok $? "[$rel] the output says that only the ratios of one boot mean something"
	st=$o/bench-selftest.tap
	plan=$(sed -n 's/^1\.\.\([0-9]*\)$/\1/p' "$st" 2>/dev/null)
	[ -n "$plan" ] && [ "$(grep -c '^ok ' "$st")" = "$plan" ]
	kmod_ok $? "[$rel] vmc-bench -T: all ${plan:-?} boundary checks of the bench ioctl ok"
	grep -v '^ok ' "$st" 2>/dev/null | grep -v '^1\.\.' | sed 's/^/# /'
	for eng in kmod-core kernel; do
		# this engine's block: from its == line to its cycles line
		sed -n "/^== $eng:/,/^All test took/p" "$b" > "$tmp/$eng"
		grep -q '^All test took worker0=[0-9]* cycles$' "$tmp/$eng"
		kmod_ok $? "[$rel] $eng: the cycles line"
		bad=$(grep '^Summary: ' "$tmp/$eng" | grep -v -e "$sum_re" -e "$un_re")
		[ -z "$bad" ] && [ "$(grep -c '^Summary: ' "$tmp/$eng")" -ge 40 ]
		kmod_ok $? "[$rel] $eng: $(grep -c '^Summary: ' "$tmp/$eng") Summary lines, all well-formed${bad:+: $bad}"
	done
	# Per test: the core passes (align_shift fails by design, pcpu
	# skipped); the kernel passes or is unsupported with its reason; a
	# ratio where both ran.
	for t in $(sed -n 's/^Summary: \([^ ]*\) .*/\1/p' "$tmp/kmod-core"); do
		c=$(grep "^Summary: $t " "$tmp/kmod-core")
		k=$(grep "^Summary: $t " "$tmp/kernel")
		case $t in
		align_shift_alloc_test) cw="passed: 0 failed: 2 " ;;
		pcpu_alloc_test) cw="skipped: " ;;
		*) cw="passed: 2 failed: 0 " ;;
		esac
		case $c:$k in
		"Summary: $t $cw"*:"Summary: $t passed: 2 failed: 0 "*)
			grep -q "^ratio: $t core/kernel min=[0-9.]* median=[0-9.]* max=[0-9.]* (2 paired repeats)$" "$b"
			r=$? ;;
		"Summary: $t $cw"*:"Summary: $t unsupported: "?*|\
		"Summary: $t $cw"*:"Summary: $t skipped: "?*)
			grep -q "^ratio: $t core/kernel n/a (" "$b"
			r=$? ;;
		*) r=1 ;;
		esac
		kmod_ok $r "[$rel] $t: core '${c#Summary: $t }' / kernel '${k#Summary: $t }'"
	done
}

kmod_each_kernel bench_kernel
kmod_done
