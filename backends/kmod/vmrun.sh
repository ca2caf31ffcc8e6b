#!/bin/sh
# SPDX-License-Identifier: MIT
# vmrun.sh - run op streams through the vmcore kernel module in a VM and
# bring the traces back.
#
# usage: vmrun.sh [--kernel K] [-d KMOD_DIR] [-e RUNS] [-c] [-o OUTDIR]
#                 [-t SECONDS] [-k] FILE...
#        vmrun.sh -B PARAMS [--kernel K] [-d KMOD_DIR] [-o OUTDIR]
#                 [-t SECONDS] [-k]
#
# --kernel K: boot kernel K with the module built for it: K is a release
# (6.12.117+deb12-amd64), a series that names one of the built releases
# (6.12, 6.1), or the path of a kernel image, whose release is read from
# its bzImage header.  The module comes from KMOD_DIR/linux-RELEASE/
# (the build makes one per kernel tree, backends/kmod/kernels.list);
# without --kernel, $VMC_KMOD_KERNEL if set (so that vmcore-replay
# --backend kmod and the campaign script can pick a kernel too), else
# KMOD_DIR/vmrun.conf: the default (first) kernel.
#
# FILEs are binary op streams.  RUNS (default core,diff) names what each
# goes through: core (libvmcore on the kmod backend, the trace a sim arena
# of the same shape must reproduce), diff (the core and the kernel's own
# vmalloc in lock step, compared in the module on placement-independent
# observables), core-obs and linux-obs (each alone, in observe mode).  -c:
# full invariant check after every op.  Each run of FILE leaves
# OUTDIR/BASENAME.RUN.trace: a "# kmod key=value ..." header, then the trace.
#
# -B: bench mode.  No inputs; the guest checks the bench ioctl's boundary
# (vmc-bench -T, OUTDIR/bench-selftest.tap) and runs vmc-bench PARAMS
# (test_loop_count=N test_repeat_count=N ..., see vmc_bench_guest.c): the
# workloads of bench/vmb_wl.c on the core and on the kernel's own vmalloc
# in this one boot, alternating.  Its output comes back as OUTDIR/bench.txt
# and is printed; timings under TCG are emulated, so only the ratios of one
# boot mean anything, which the output says.
#
# Theory
# ------
# The module writes real page-table entries in the kernel it is loaded
# into, so it is never loaded on the host: it runs in a throwaway
# qemu-system-x86_64 guest booting the Debian kernel it was built for.
# The guest's root is an initramfs made here, in a scratch directory:
# busybox-static (with a symlink per applet), the module as /vmcore.ko,
# the static guest driver as /vmc-guest (vmc_guest.c), the inputs under
# /in/ and a shell script /init.  /init loads the module, runs the
# driver's ioctl self-test (-T) and then every input through every run,
# unloads the module, and sends each file of /out over the second serial
# port, which qemu writes to a plain file on the host:
#
#   === vmrun-file NAME eol=1|0     a file follows, each line prefixed "|"
#   |line ...                       (eol=0: the file had no final newline)
#   === vmrun-end guest=RC rmmod=RC insmod=RC selftest=RC
#
# The "|" prefix keeps file contents and framing apart whatever the files
# hold; the end marker is the guest's last word, so a run without it did
# not finish (timeout, panic).  Then /init powers the VM off, qemu exits
# (-no-reboot, and panic=-1 turns a panic into an exit as well), and the
# host splits the data file into OUTDIR and judges the run: the self-test
# all ok, the driver and rmmod exit 0, VmallocUsed after rmmod within
# 64 kB of what it was before insmod (what the runs vmalloc'ed is gone;
# kernel stacks make the noise), and no
# kernel warning or crash in the guest's kernel log.
#
# KMOD_DIR (default $VMC_KMOD_DIR, else ./backends/kmod) holds vmrun.conf,
# which the build writes: VMRUN_MODULE, VMRUN_GUEST, VMRUN_RELEASE and
# VMRUN_KERNEL (the last overridable from the environment).
#
# One VM at a time: the boot holds an flock(1) on $VMRUN_LOCK (default
# /tmp/vmcore-vm.lock), waiting for it if another VM holds it.  When
# the caller already holds it (flock /tmp/vmcore-vm.lock make check: the
# lock's descriptor is inherited), that descriptor is used, so wrapping
# a run in the same lock does not deadlock (do not use flock -o there);
# runs that share such a descriptor (make -j2 check under one flock) take
# turns on $VMRUN_LOCK.nested.
#
# Accelerator: TCG.  Nested KVM, as on our CI machines, can take minutes
# just to reach the kernel; TCG boots the Debian kernels in seconds.  With
# -k or VMRUN_KVM=yes, KVM is tried first when /dev/kvm is usable, under its own
# timeout (VMRUN_KVM_TIMEOUT, 30 s); a KVM run that does not finish in
# time falls back to TCG and leaves KMOD_DIR/.vmrun-kvm-slow, so later
# runs of the same build go straight to TCG under VMRUN_KVM=yes; -k
# tries KVM even with that marker.
#
# Exit: 0 all clean, 1 the VM run failed or found a problem, 2 cannot run
# (something missing, a bad argument or input).  OUTDIR is always printed
# at the end once the run started.

usage() {
	echo "usage: vmrun.sh [--kernel K] [-d KMOD_DIR] [-e RUNS] [-c]" \
		"[-o OUTDIR] [-t SECONDS] [-k] FILE..." >&2
	echo "       vmrun.sh -B PARAMS [--kernel K] [-d KMOD_DIR]" \
		"[-o OUTDIR] [-t SECONDS] [-k]" >&2
	exit 2
}

cannot() {
	echo "vmrun: cannot run: $*" >&2
	exit 2
}

say() {
	echo "vmrun: $*"
}

kmod_dir=${VMC_KMOD_DIR:-backends/kmod}
runs=core,diff
check=
outdir=
vm_timeout=900
want_kvm=
force_kvm=
bench=
kernel_sel=${VMC_KMOD_KERNEL:-}
[ "${VMRUN_KVM:-}" = yes ] && want_kvm=1

# --kernel, the one long option, may come anywhere before the inputs (or
# a --): take it out, keep the rest in order for getopts.
n=$#
while [ $n -gt 0 ]; do
	a=$1
	shift
	n=$((n - 1))
	case $a in
	--kernel=*) kernel_sel=${a#--kernel=} ;;
	--kernel)
		[ $n -gt 0 ] || usage
		kernel_sel=$1
		shift
		n=$((n - 1)) ;;
	--)
		set -- "$@" "$a"
		while [ $n -gt 0 ]; do
			set -- "$@" "$1"
			shift
			n=$((n - 1))
		done ;;
	*) set -- "$@" "$a" ;;
	esac
done
[ -z "$kernel_sel" ] || case $kernel_sel in
	*[!A-Za-z0-9._,+/-]*) cannot "--kernel '$kernel_sel': not a release, series or path" ;;
	esac

while getopts B:d:e:co:t:k opt; do
	case $opt in
	B) bench=$OPTARG ;;
	d) kmod_dir=$OPTARG ;;
	e) runs=$OPTARG ;;
	c) check=-c ;;
	o) outdir=$OPTARG ;;
	t) vm_timeout=$OPTARG ;;
	k) want_kvm=1 force_kvm=1 ;;
	*) usage ;;
	esac
done
shift $((OPTIND - 1))
if [ -n "$bench" ]; then
	[ $# -eq 0 ] || cannot "-B takes no input files"
	case $bench in
	*[!A-Za-z0-9_=\ x]*) cannot "-B '$bench': only name=value words" ;;
	esac
else
	[ $# -gt 0 ] || usage
fi

# ---------------------------------------------------------------- checks

case $vm_timeout in
''|*[!0-9]*|0) cannot "-t wants a positive number of seconds, not '$vm_timeout'" ;;
esac
kvm_timeout=${VMRUN_KVM_TIMEOUT:-30}
case $kvm_timeout in
''|*[!0-9]*|0) cannot "VMRUN_KVM_TIMEOUT wants a positive number, not '$kvm_timeout'" ;;
esac

old_ifs=$IFS
IFS=,
for r in $runs; do
	case $r in
	core|core-obs|linux-obs|diff) ;;
	*) IFS=$old_ifs; cannot "unknown run '$r' in -e (core, core-obs, linux-obs, diff)" ;;
	esac
done
IFS=$old_ifs
case $runs in
''|,*|*,|*,,*) cannot "empty run name in -e '$runs'" ;;
esac

# The release a kernel image says it is: the bzImage header's
# kernel_version string (pointer at 0x20e, relative to 0x200, behind the
# "HdrS" magic at 0x202), else the name's vmlinuz-RELEASE.
image_release() {
	r=
	if [ "$(dd if="$1" bs=1 skip=514 count=4 2>/dev/null)" = HdrS ]; then
		p=$(od -An -tu2 -j526 -N2 "$1" | tr -d ' ')
		[ -n "$p" ] && r=$(dd if="$1" bs=1 skip=$((p + 512)) count=256 \
			2>/dev/null | tr '\0' '\n' | head -n 1 | sed 's/ .*//')
	fi
	[ -n "$r" ] || case ${1##*/} in
		vmlinuz-?*) r=${1##*/vmlinuz-} ;;
	esac
	[ -n "$r" ] && printf '%s\n' "$r"
}

# The vmrun.conf files of KMOD_DIR: its own, one per linux-*/ below it,
# and, when KMOD_DIR is itself a linux-RELEASE/, its siblings'.
kernel_confs() {
	for c in "$kmod_dir/vmrun.conf" "$kmod_dir"/linux-*/vmrun.conf \
		 "$kmod_dir"/../linux-*/vmrun.conf; do
		[ -f "$c" ] && printf '%s\n' "$c"
	done
}

conf_release() {
	sed -n 's/^VMRUN_RELEASE=//p' "$1" | tail -n 1
}

# The vmrun.conf of the module built for release or series $1.
find_conf() {
	exact= series= rels=
	for c in $(kernel_confs); do
		r=$(conf_release "$c")
		rels="$rels $r"
		if [ "$r" = "$1" ]; then
			[ -n "$exact" ] || exact=$c
		else
			case $r in
			"$1".*|"$1"-*|"$1"+*)
				case " $series " in
				*" $r="*) ;;
				*) series="$series $r=$c" ;;
				esac ;;
			esac
		fi
	done
	if [ -n "$exact" ]; then
		printf '%s\n' "$exact"
		return 0
	fi
	set -- $series
	if [ $# -eq 1 ]; then
		printf '%s\n' "${1#*=}"
		return 0
	fi
	if [ $# -gt 1 ]; then
		echo "ambiguous:$(printf " %s" "$@" | sed "s/=[^ ]*//g")"
	else
		echo "modules built for:$(printf " %s" $(printf "%s\n" $rels | sort -u))"
	fi
	return 1
}

conf=$kmod_dir/vmrun.conf
env_kernel=${VMRUN_KERNEL:-}
if [ -n "$kernel_sel" ]; then
	case $kernel_sel in
	*/*)
		[ -f "$kernel_sel" ] || cannot "--kernel $kernel_sel: no such file"
		[ -r "$kernel_sel" ] || cannot "--kernel $kernel_sel is not readable"
		sel_rel=$(image_release "$kernel_sel") ||
			cannot "--kernel $kernel_sel: cannot tell its release" \
				"(not a bzImage, nor named vmlinuz-RELEASE)"
		env_kernel=$kernel_sel ;;
	*) sel_rel=$kernel_sel ;;
	esac
	conf=$(find_conf "$sel_rel") ||
		cannot "--kernel $kernel_sel: no module for $sel_rel under" \
			"$kmod_dir ($conf; configure --with-linux=DIR,... names" \
			"the kernel trees)"
fi
[ -f "$conf" ] || cannot "no $conf (build backends/kmod first, or give -d)"
VMRUN_MODULE="" VMRUN_GUEST="" VMRUN_RELEASE="" VMRUN_KERNEL="" VMRUN_BENCH=""
case $conf in
/*|./*|../*) . "$conf" ;;
*) . "./$conf" ;;
esac
[ -n "$env_kernel" ] && VMRUN_KERNEL=$env_kernel
say "kernel ${VMRUN_RELEASE:-?}: ${VMRUN_KERNEL:-?}, module ${VMRUN_MODULE:-?}"

[ -n "$VMRUN_MODULE" ] || cannot "$conf sets no VMRUN_MODULE"
[ -f "$VMRUN_MODULE" ] || cannot "module $VMRUN_MODULE is missing"
[ -n "$VMRUN_GUEST" ] || cannot "$conf sets no VMRUN_GUEST"
[ -f "$VMRUN_GUEST" ] && [ -x "$VMRUN_GUEST" ] ||
	cannot "guest driver $VMRUN_GUEST is missing or not executable"
if [ -n "$bench" ]; then
	[ -n "$VMRUN_BENCH" ] && [ -x "$VMRUN_BENCH" ] ||
		cannot "no bench driver (VMRUN_BENCH in $conf: rebuild backends/kmod)"
fi
[ -n "$VMRUN_KERNEL" ] || cannot "$conf sets no VMRUN_KERNEL"
[ -f "$VMRUN_KERNEL" ] || cannot "kernel image $VMRUN_KERNEL is missing"
[ -r "$VMRUN_KERNEL" ] || cannot "kernel image $VMRUN_KERNEL is not readable"
command -v qemu-system-x86_64 >/dev/null 2>&1 ||
	cannot "qemu-system-x86_64 not found"
busybox=${VMRUN_BUSYBOX:-/bin/busybox}
[ -x "$busybox" ] || cannot "$busybox not found (install busybox-static)"
# A dynamic binary names its loader (PT_INTERP); the initramfs has no libc.
if command -v readelf >/dev/null 2>&1; then
	readelf -l "$busybox" | grep -q INTERP
else
	grep -q /lib64/ld-linux "$busybox"
fi && cannot "$busybox is not static (install busybox-static)"
command -v cpio >/dev/null 2>&1 || cannot "cpio not found"
command -v timeout >/dev/null 2>&1 || cannot "timeout (coreutils) not found"
case $VMRUN_KERNEL in
*"$VMRUN_RELEASE"*) ;;
*) say "note: kernel $VMRUN_KERNEL may not be release $VMRUN_RELEASE" \
	"the module was built for" ;;
esac

for f in "$@"; do
	[ -f "$f" ] && [ -r "$f" ] || cannot "input $f is not a readable file"
	b=${f##*/}
	case $b in
	''|.*|-*|*[!A-Za-z0-9._,+-]*)
		cannot "input $f: its name '$b' must be letters, digits and" \
			"._,+- and not start with . or -" ;;
	esac
done

# ---------------------------------------------------------------- scratch

scratch=$(mktemp -d "${TMPDIR:-/tmp}/vmrun.XXXXXX") ||
	cannot "mktemp -d failed"
qpid=
cleanup() {
	[ -z "$qpid" ] || kill "$qpid" 2>/dev/null
	rm -rf "$scratch"
}
trap cleanup EXIT
trap 'echo "vmrun: interrupted" >&2; exit 130' INT
trap 'echo "vmrun: terminated" >&2; exit 143' TERM

root=$scratch/root
mkdir -p "$root/bin" "$root/proc" "$root/sys" "$root/dev" "$root/out" \
	"$root/in" "$root/tmp" || cannot "cannot fill $root"
for f in "$@"; do
	b=${f##*/}
	[ ! -e "$root/in/$b" ] ||
		cannot "two inputs are named $b; the guest keeps basenames"
	cp "$f" "$root/in/$b" || cannot "cannot copy $f"
done

if [ -z "$outdir" ]; then
	outdir=$(mktemp -d "${TMPDIR:-/tmp}/vmrun-out.XXXXXX") ||
		cannot "mktemp -d for OUTDIR failed"
else
	mkdir -p "$outdir" || cannot "cannot make $outdir"
fi

# ---------------------------------------------------------------- initramfs

cp "$busybox" "$root/bin/busybox" || cannot "cannot copy $busybox"
for a in $("$busybox" --list); do
	[ "$a" = busybox ] || ln -s busybox "$root/bin/$a"
done
cp "$VMRUN_MODULE" "$root/vmcore.ko" || cannot "cannot copy the module"
cp "$VMRUN_GUEST" "$root/vmc-guest" || cannot "cannot copy the guest"
chmod 755 "$root/vmc-guest"
if [ -n "$bench" ]; then
	cp "$VMRUN_BENCH" "$root/vmc-bench" || cannot "cannot copy vmc-bench"
	chmod 755 "$root/vmc-bench"
fi
printf "RUNS='%s'\nCHECK='%s'\nBENCH='%s'\n" "$runs" "$check" \
	"$bench" > "$root/vmrun.args"

cat > "$root/init" <<'EOF'
#!/bin/sh
# /init of a vmrun.sh guest (written by vmrun.sh; see its theory comment).
export PATH=/bin
mount -t devtmpfs devtmpfs /dev
# The archive has no /dev/console, so the kernel gave init no stdio.
exec </dev/console >/dev/console 2>&1
mount -t proc proc /proc
mount -t sysfs sysfs /sys
. /vmrun.args

say() { echo "vmrun-init: $*"; }

# One file of /out, framed; see vmrun.sh.
send() {
	eol=1
	[ -s "$1" ] && [ -n "$(tail -c 1 "$1")" ] && eol=0
	echo "=== vmrun-file ${1##*/} eol=$eol"
	sed 's/^/|/' "$1"
	[ $eol = 1 ] || echo
}

finish() {
	dmesg > /out/dmesg.txt
	stty -F /dev/ttyS1 raw -echo clocal 2>/dev/null ||
		say "stty on /dev/ttyS1 failed"
	{
		for f in /out/*; do
			[ -f "$f" ] && send "$f"
		done
		echo "=== vmrun-end guest=$grc rmmod=$rrc insmod=$irc selftest=$src"
	} > /dev/ttyS1
	say "done, powering off"
	poweroff -f
	echo o > /proc/sysrq-trigger
	sleep 60
}

grc=- rrc=- src=-
# kB the kernel has vmalloc'ed: after rmmod at most 64 kB more than
# before insmod (process kernel stacks are vmalloc'ed and cached per CPU,
# which moves the figure by 16 kB steps), or the module leaked.
vmalloc_used() { sed -n 's/^VmallocUsed: *\([0-9]*\).*/\1/p' /proc/meminfo; }
vmalloc_used > /out/vmalloc-before.txt
insmod /vmcore.ko
irc=$?
if [ $irc != 0 ]; then
	say "insmod /vmcore.ko failed ($irc)"
	finish
fi
if [ ! -c /dev/vmcore ] && [ -r /sys/class/misc/vmcore/dev ]; then
	IFS=: read maj min < /sys/class/misc/vmcore/dev
	mknod /dev/vmcore c "$maj" "$min"
fi
[ -c /dev/vmcore ] || say "no /dev/vmcore after insmod"

/vmc-guest -T > /out/selftest.tap 2>&1
src=$?
say "self-test exit $src"
if [ -n "$BENCH" ]; then
	/vmc-bench -T > /out/bench-selftest.tap 2>&1
	trc=$?
	/vmc-bench $BENCH > /out/bench.txt 2> /out/guest.log
	grc=$?
	[ $trc = 0 ] || grc=1
else
	/vmc-guest $CHECK -e "$RUNS" -o /out /in/* > /out/guest.log 2>&1
	grc=$?
fi
say "vmc-guest exit $grc"
rmmod vmcore
rrc=$?
say "rmmod exit $rrc"
vmalloc_used > /out/vmalloc-after.txt
finish
EOF
chmod 755 "$root/init"

initrd=$scratch/initrd.cpio
(cd "$root" && find . | cpio -o -H newc) > "$initrd" 2> "$scratch/cpio.err" ||
	{ cat "$scratch/cpio.err" >&2; cannot "cpio failed"; }

# ---------------------------------------------------------------- the VM

data=$scratch/data.txt

# run_vm ACCEL SECONDS CONSOLE: boot; sets qrc (qemu's exit, 124 or 137
# on timeout), elapsed (seconds from start to the end marker, or to the
# end of qemu when there is none) and finished (1 if the marker came).
run_vm() {
	case $1 in
	kvm) accel_args="-accel kvm -cpu host" ;;
	*) accel_args="-accel tcg -cpu max" ;;
	esac
	: > "$data"
	: > "$3"
	say "booting $VMRUN_KERNEL with accel $1 (timeout $2 s)"
	t0=$(date +%s)
	# $accel_args is split on purpose.
	# shellcheck disable=SC2086
	timeout -k 5 "$2" qemu-system-x86_64 -m 2G -smp 2 $accel_args \
		-kernel "$VMRUN_KERNEL" -initrd "$initrd" \
		-append "console=ttyS0 nokaslr panic=-1 loglevel=4" \
		-display none -no-reboot -monitor none \
		-serial "file:$3" -serial "file:$data" \
		-object memory-backend-ram,id=vmcdev,size=4M \
		-device ivshmem-plain,memdev=vmcdev \
		< /dev/null > "$scratch/qemu.err" 2>&1 &
	qpid=$!
	t_end=
	while kill -0 "$qpid" 2>/dev/null; do
		if [ -z "$t_end" ] && grep -q '^=== vmrun-end' "$data"; then
			t_end=$(date +%s)
		fi
		sleep 1
	done
	wait "$qpid"
	qrc=$?
	qpid=
	[ -n "$t_end" ] || t_end=$(date +%s)
	elapsed=$((t_end - t0))
	finished=0
	grep -q '^=== vmrun-end' "$data" && finished=1
	if [ -s "$scratch/qemu.err" ]; then
		sed 's/^/vmrun: qemu: /' "$scratch/qemu.err" >&2
	fi
}

# One VM at a time (see the theory): hold $VMRUN_LOCK from here to the end.
# A descriptor of the lock file we inherited is the caller's lock: flock
# on it returns at once if the caller holds it (and waits like any other
# if not).  Otherwise fd 9 opens it.
command -v flock >/dev/null 2>&1 || cannot "flock (util-linux) not found"
lock=${VMRUN_LOCK:-/tmp/vmcore-vm.lock}
lock_abs=$(readlink -f "$lock" 2>/dev/null) || lock_abs=$lock
lockfd=
for f in /proc/$$/fd/*; do
	[ "$(readlink "$f" 2>/dev/null)" = "$lock_abs" ] || continue
	lockfd=${f##*/}
	break
done
if [ -z "$lockfd" ]; then
	exec 9>>"$lock" || cannot "cannot open the VM lock $lock"
	lockfd=9
else
	# Runs under one caller's lock (make -j2 check) share its
	# descriptor, so they take turns on a lock of their own.
	exec 8>>"$lock.nested" || cannot "cannot open $lock.nested"
	if ! flock -n 8; then
		say "waiting for $lock.nested: another VM of this run is running"
		flock 8 || cannot "flock $lock.nested failed"
	fi
fi
if ! flock -n "$lockfd"; then
	say "waiting for $lock: another VM is running"
	flock "$lockfd" || cannot "flock $lock failed"
fi

kvm_slow=$kmod_dir/.vmrun-kvm-slow
accel=tcg
if [ -n "$want_kvm" ]; then
	if [ -f "$kvm_slow" ] && [ -z "$force_kvm" ]; then
		say "skipping KVM: $(cat "$kvm_slow") (remove $kvm_slow to" \
			"try it again)"
	elif [ -r /dev/kvm ] && [ -w /dev/kvm ]; then
		accel=kvm
	else
		say "/dev/kvm is not usable here, using TCG"
	fi
fi

if [ "$accel" = kvm ]; then
	run_vm kvm "$kvm_timeout" "$outdir/console-kvm.log"
	if [ "$finished" = 0 ]; then
		case $qrc in
		124|137)
			say "KVM run did not finish in $kvm_timeout s," \
				"falling back to TCG"
			echo "a KVM run did not finish in $kvm_timeout s" \
				"($(date))" > "$kvm_slow" ||
				say "cannot write $kvm_slow"
			;;
		*)
			say "KVM run ended without a result (qemu exit $qrc)," \
				"falling back to TCG"
			;;
		esac
		accel=tcg
	fi
fi
[ "$accel" = tcg ] && run_vm tcg "$vm_timeout" "$outdir/console.log"
console=$outdir/console.log
[ "$accel" = kvm ] && console=$outdir/console-kvm.log

# ---------------------------------------------------------------- results

# Split the data file into OUTDIR; exit 3 if a name was refused.
split_data() {
	tr -d '\r' < "$data" | awk -v dir="$outdir" '
	function flush() {
		if (out != "" && have)
			printf "%s%s", prev, (eol ? "\n" : "") > out
		if (out != "")
			close(out)
		out = ""; have = 0
	}
	/^=== vmrun-file / {
		flush()
		name = $3
		if (name == "" || name ~ /\// || name ~ /\.\./) {
			print "vmrun: refusing guest file name \"" name "\"" \
				> "/dev/stderr"
			bad = 1
			next
		}
		eol = ($4 != "eol=0")
		out = dir "/" name
		printf "" > out
		next
	}
	/^=== vmrun-end/ { flush(); next }
	/^\|/ {
		if (out == "")
			next
		if (have)
			printf "%s\n", prev > out
		prev = substr($0, 2); have = 1
		next
	}
	END { flush(); exit bad ? 3 : 0 }'
}

end_field() {
	printf '%s\n' "$endline" | sed -n "s/.* $1=\([^ ]*\).*/\1/p"
}

# Kernel warnings and crashes in the guest's kernel log: the core's own
# messages ("vmcore WARNING ...") are not among these patterns.
check_logs() {
	pattern='WARNING: CPU|BUG:|Oops|general protection|Kernel panic|Call Trace'
	pattern="$pattern|UBSAN:|KASAN:|refcount_t:|list_add corruption"
	pattern="$pattern|list_del corruption|kernel BUG"
	for log in "$outdir/dmesg.txt" "$console"; do
		[ -f "$log" ] || continue
		hits=$(tr -d '\r' < "$log" | grep -E "$pattern")
		if [ -n "$hits" ]; then
			fail "kernel warning or crash in ${log##*/}:"
			printf '%s\n' "$hits" >&2
		fi
	done
}

failed=0
fail() {
	echo "vmrun: FAIL: $*" >&2
	failed=1
}

if [ "$finished" = 0 ]; then
	case $qrc in
	124|137) fail "the VM did not finish in $vm_timeout s" \
		"(accel $accel); last 30 lines of $console:" ;;
	*) fail "the VM stopped without a result after $elapsed s" \
		"(qemu exit $qrc, accel $accel); last 30 lines of $console:" ;;
	esac
	tail -n 30 "$console" | tr -d '\r' >&2
	split_data
	check_logs
	say "output in $outdir"
	exit 1
fi
say "VM run took $elapsed s (accel $accel)"

split_data || fail "the guest sent a file name that was refused"
endline=$(tr -d '\r' < "$data" | grep '^=== vmrun-end' | tail -n 1)
irc=$(end_field insmod)
grc=$(end_field guest)
rrc=$(end_field rmmod)
src=$(end_field selftest)

[ -f "$outdir/guest.log" ] && cat "$outdir/guest.log"
if [ -n "$bench" ]; then
	if [ -f "$outdir/bench.txt" ]; then
		grep -q "^not ok" "$outdir/bench-selftest.tap" 2>/dev/null &&
			fail "the bench ioctl self-test failed:" \
				"$(grep "^not ok" "$outdir/bench-selftest.tap")"
		cat "$outdir/bench.txt"
		[ "$accel" = tcg ] && say "accel tcg: the times above are emulated;" \
			"only the core/kernel ratios of this one boot mean something"
	else
		fail "no bench.txt came back"
	fi
fi

if [ "$irc" != 0 ]; then
	fail "insmod of the module failed in the guest (exit $irc);" \
		"the end of its kernel log:"
	[ -f "$outdir/dmesg.txt" ] && tail -n 5 "$outdir/dmesg.txt" >&2
else
	tap=$outdir/selftest.tap
	if [ ! -f "$tap" ]; then
		fail "no selftest.tap came back"
	else
		plan=$(sed -n 's/^1\.\.\([0-9][0-9]*\).*/\1/p' "$tap" | head -n 1)
		oks=$(grep -c '^ok ' "$tap")
		if grep -q '^not ok' "$tap"; then
			fail "the ioctl self-test has failures:"
			grep '^not ok' "$tap" >&2
		elif [ -z "$plan" ] || [ "$plan" != "$oks" ]; then
			fail "the ioctl self-test did not complete" \
				"(plan '${plan:-none}', $oks ok; exit $src):"
			grep -v '^ok ' "$tap" | head -n 10 >&2
		elif [ "$src" != 0 ]; then
			fail "the ioctl self-test exited $src"
		else
			say "self-test: $oks/$plan ok"
		fi
	fi
	[ "$grc" = 0 ] || fail "vmc-guest exited $grc (see $outdir/guest.log)"
	[ "$rrc" = 0 ] || fail "rmmod vmcore exited $rrc"
	vb=$(cat "$outdir/vmalloc-before.txt" 2>/dev/null)
	va=$(cat "$outdir/vmalloc-after.txt" 2>/dev/null)
	if [ -z "$vb" ] || [ -z "$va" ]; then
		fail "no VmallocUsed figures came back"
	elif [ $((va - vb)) -gt 64 ]; then
		fail "VmallocUsed was $vb kB before insmod and $va kB after" \
			"rmmod: the module leaked vmalloc'ed memory"
	else
		say "VmallocUsed $vb kB before insmod, $va kB after rmmod"
	fi
fi

check_logs
[ -f "$outdir/dmesg.txt" ] || fail "no dmesg.txt came back"

if [ $failed = 0 ]; then
	say "ok"
fi
say "output in $outdir"
exit $failed
