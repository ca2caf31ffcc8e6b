# SPDX-License-Identifier: MIT
# kmod_lib.sh - what tests/kmod_sim.sh and tests/kmod_linux.sh share
# (sourced, not run): whether a kernel module run can happen here, the
# corpus file list, and turning one vmcore-replay run over many inputs
# into TAP.
#
# A kmod test needs what vmrun.sh needs: the module built (configure found
# kernel headers, so the build tree has backends/kmod/vmrun.conf), the
# kernel image it names, qemu-system-x86_64, busybox-static and cpio.
# Without any of them the test is skipped and says which.

srcdir=${srcdir:-.}
replay=${VMC_REPLAY:-./fuzz/vmcore-replay}
kmod_dir=${VMC_KMOD_DIR:-./backends/kmod}

# Skip: TAP says why; exit 77 (automake's skip) when run by hand, 0 under
# make check's TAP driver, which would count 77 as an error.
kmod_skip() {
	echo "1..0 # SKIP $*"
	[ -n "${VMC_TAP_HARNESS:-}" ] && exit 0
	exit 77
}

# Skip unless a VM run of the module can happen here.
kmod_require() {
	[ -x "$replay" ] || kmod_skip "vmcore-replay not built"
	[ -f "$kmod_dir/vmrun.conf" ] ||
		kmod_skip "no kernel module build ($kmod_dir/vmrun.conf):" \
			"configure found no kernel headers (--with-linux)"
	kernel=$(sed -n 's/^VMRUN_KERNEL=//p' "$kmod_dir/vmrun.conf")
	kernel=${VMRUN_KERNEL:-$kernel}
	[ -e "$kernel" ] || kmod_skip "no kernel image $kernel" \
		"(Debian: apt-get install linux-image-amd64)"
	[ -r "$kernel" ] || kmod_skip "kernel image $kernel is not readable" \
		"(Debian installs it mode 0600: run as root)"
	command -v qemu-system-x86_64 >/dev/null 2>&1 ||
		kmod_skip "no qemu-system-x86_64 (apt-get install qemu-system-x86)"
	[ -x /bin/busybox ] ||
		kmod_skip "no /bin/busybox (apt-get install busybox-static)"
	command -v cpio >/dev/null 2>&1 ||
		kmod_skip "no cpio (apt-get install cpio)"
	export VMC_KMOD_DIR="$kmod_dir"
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

# kmod_tap OUT RC WHAT FILE...: one TAP line per FILE from vmcore-replay's
# output OUT (a FILE passed when OUT has "FILE: kmod WHAT ok"), then one
# for vmcore-replay's exit RC (0: every input passed, and the runner found
# the self-test, the kernel log, the unload and VmallocUsed clean).  Exits
# with the verdict.
kmod_tap() {
	out=$1 rc=$2 what=$3
	shift 3
	echo "1..$(($# + 1))"
	i=0 failed=0
	for f in "$@"; do
		i=$((i + 1))
		line=$(grep -F "$f: kmod $what ok" "$out" | head -n 1)
		if [ -n "$line" ]; then
			echo "ok $i - ${line#"$f: "}: $f"
		else
			echo "not ok $i - $f"
			grep -F "$f" "$out" | sed 's/^/# /' | head -n 6
			failed=$((failed + 1))
		fi
	done
	i=$((i + 1))
	if [ "$rc" -eq 0 ]; then
		echo "ok $i - vmcore-replay exit 0: every input, and the VM" \
			"run's self-test, kernel log, unload and VmallocUsed"
	else
		echo "not ok $i - vmcore-replay exit $rc"
		grep '^vmrun\|^vmcore-replay' "$out" | sed 's/^/# /' | tail -n 30
		failed=$((failed + 1))
	fi
	sed -n 's/^vmrun: \(VM run took.*\)/# \1/p' "$out"
	[ "$failed" -eq 0 ]
	exit $?
}
