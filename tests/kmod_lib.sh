# SPDX-License-Identifier: MIT
# kmod_lib.sh - what tests/kmod_sim.sh, kmod_linux.sh and kmod_bench.sh
# share (sourced, not run): whether a kernel module run can happen here,
# the kernels to run on, the corpus file list, and TAP over several
# kernels.
#
# The build makes one module per kernel tree configure found
# (backends/kmod/linux-RELEASE/, listed in backends/kmod/kernels.list);
# each test runs once per kernel, one VM boot each, and its TAP lines say
# which kernel.  A kernel whose image is missing is a skip line with the
# reason, and so is every kernel of a supported series installed in
# /boot (the newest per series, backends/kmod/series.list) that has no
# module build (its headers are missing): make check finds every kernel
# installed, and .ci/run fails on any skip.  The whole test is skipped
# (exit 77 by hand, "1..0 # SKIP" under make check) only when no VM run
# can happen at all: no module build, no qemu-system-x86_64,
# busybox-static or cpio.

srcdir=${srcdir:-.}
replay=${VMC_REPLAY:-./fuzz/vmcore-replay}
kmod_dir=${VMC_KMOD_DIR:-./backends/kmod}

# Skip the whole test: TAP says why; exit 77 (automake's skip) when run
# by hand, 0 under make check's TAP driver, which would count 77 as an
# error.
kmod_skip() {
	echo "1..0 # SKIP $*"
	[ -n "${VMC_TAP_HARNESS:-}" ] && exit 0
	exit 77
}

# Skip unless some VM run of the module can happen here.
kmod_require() {
	[ -x "$replay" ] || kmod_skip "vmcore-replay not built"
	[ -f "$kmod_dir/vmrun.conf" ] ||
		kmod_skip "no kernel module build ($kmod_dir/vmrun.conf):" \
			"configure found no kernel headers (--with-linux)"
	command -v qemu-system-x86_64 >/dev/null 2>&1 ||
		kmod_skip "no qemu-system-x86_64 (apt-get install qemu-system-x86)"
	[ -x /bin/busybox ] ||
		kmod_skip "no /bin/busybox (apt-get install busybox-static)"
	command -v cpio >/dev/null 2>&1 ||
		kmod_skip "no cpio (apt-get install cpio)"
	# Each kernel's own image (vmrun.conf), not one from the environment.
	unset VMRUN_KERNEL
}

# The module builds, one directory a line: linux-RELEASE/ per line of
# kernels.list (the default kernel first), or KMOD_DIR itself when it is
# one kernel's (no kernels.list).
kmod_dirs() {
	if [ -f "$kmod_dir/kernels.list" ]; then
		while read -r r; do
			[ -n "$r" ] && printf '%s\n' "$kmod_dir/linux-$r"
		done < "$kmod_dir/kernels.list"
	else
		printf '%s\n' "$kmod_dir"
	fi
}

kmod_release() {
	sed -n 's/^VMRUN_RELEASE=//p' "$1/vmrun.conf"
}

# Why the kernel of module build DIR cannot boot here, or nothing.
kmod_image_why() {
	[ -f "$1/vmrun.conf" ] || { echo "no $1/vmrun.conf (rebuild)"; return; }
	k=$(sed -n 's/^VMRUN_KERNEL=//p' "$1/vmrun.conf")
	if [ ! -e "$k" ]; then
		echo "no kernel image $k (Debian: apt-get install" \
			"linux-image-$(kmod_release "$1"))"
	elif [ ! -r "$k" ]; then
		echo "kernel image $k is not readable (Debian installs it" \
			"mode 0600: run as root)"
	fi
}

# Releases installed in /boot, the newest of each supported series, that
# have no module build.
kmod_unbuilt() {
	[ -f "$kmod_dir/series.list" ] || return 0
	while read -r s; do
		[ -n "$s" ] || continue
		r=$(ls -1 /boot 2>/dev/null |
		    sed -n "s/^vmlinuz-\($s\..*\)/\1/p" | sort -V | tail -n 1)
		[ -z "$r" ] || [ -d "$kmod_dir/linux-$r" ] || printf '%s\n' "$r"
	done < "$kmod_dir/series.list"
}

# The corpus: text inputs, binary inputs, regressions (not READMEs).
kmod_corpus() {
	for f in "$srcdir"/corpus/* "$srcdir"/corpus/bin/* \
		 "$srcdir"/corpus/regress/*; do
		[ -f "$f" ] || continue
		case ${f##*/} in
		.*|README*|*.md) continue ;;
		esac
		# config(placement=exact) studies: the kernel places as Linux.
		grep -q '^config(' "$f" 2>/dev/null && continue
		printf '%s\n' "$f"
	done
}

# TAP over several kernels: results are numbered as they come, the plan
# comes last (kmod_done).
kmod_n=0
kmod_failed=0
kmod_ok() {
	kmod_n=$((kmod_n + 1))
	if [ "$1" -eq 0 ]; then
		echo "ok $kmod_n - $2"
	else
		echo "not ok $kmod_n - $2"
		kmod_failed=$((kmod_failed + 1))
	fi
}

kmod_skip_one() {
	kmod_n=$((kmod_n + 1))
	echo "ok $kmod_n # SKIP $*"
}

# kmod_each_kernel FUNC ARG...: FUNC DIR RELEASE ARG... for every module
# build whose kernel can boot here, a skip line for each other one, then
# the skips of kmod_skip_unbuilt.
kmod_each_kernel() {
	fn=$1
	shift
	for d in $(kmod_dirs); do
		rel=$(kmod_release "$d")
		why=$(kmod_image_why "$d")
		if [ -n "$why" ]; then
			kmod_skip_one "kernel ${rel:-$d}: $why"
			continue
		fi
		"$fn" "$d" "$rel" "$@"
	done
	kmod_skip_unbuilt
}

# The kernels that cannot run here, as skips: call once, after the runs.
kmod_skip_unbuilt() {
	for r in $(kmod_unbuilt); do
		kmod_skip_one "kernel $r is installed but has no module build" \
			"(apt-get install linux-headers-$r, then configure again)"
	done
}

kmod_done() {
	echo "1..$kmod_n"
	[ "$kmod_failed" -eq 0 ]
	exit $?
}

# kmod_tap OUT RC WHAT REL FILE...: one TAP line per FILE from
# vmcore-replay's output OUT (a FILE passed when OUT has "FILE: kmod WHAT
# ok"), then one for vmcore-replay's exit RC (0: every input passed, and
# the runner found the self-test, the kernel log, the unload and
# VmallocUsed clean), each naming kernel REL.
kmod_tap() {
	out=$1 rc=$2 what=$3 rel=$4
	shift 4
	for f in "$@"; do
		line=$(grep -F "$f: kmod $what ok" "$out" | head -n 1)
		if [ -n "$line" ]; then
			kmod_ok 0 "[$rel] ${line#"$f: "}: $f"
		else
			kmod_ok 1 "[$rel] $f"
			grep -F "$f" "$out" | sed 's/^/# /' | head -n 6
		fi
	done
	kmod_ok "$rc" "[$rel] vmcore-replay exit $rc: every input, and the VM run's self-test, kernel log, unload and VmallocUsed"
	[ "$rc" -eq 0 ] ||
		grep '^vmrun\|^vmcore-replay' "$out" | sed 's/^/# /' | tail -n 30
	sed -n "s/^vmrun: \(VM run took.*\)/# [$rel] \1/p" "$out"
}
