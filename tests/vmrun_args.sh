#!/bin/sh
# SPDX-License-Identifier: MIT
# vmrun_args.sh - backends/kmod/vmrun.sh's kernel choice, without a VM:
# --kernel (and $VMC_KMOD_KERNEL) by release, by series and by image
# path picks the module built for that kernel, and a release nobody
# built for, an ambiguous series, a file that is no kernel image and a
# malformed argument are refused with exit 2 and the reason.  Every run
# names an input that does not exist, which vmrun.sh refuses only after
# it chose the kernel, so none of them boots.  TAP; skipped (tests/
# kmod_lib.sh) without a module build.
. "${srcdir:-.}/tests/kmod_lib.sh"
[ -f "$kmod_dir/vmrun.conf" ] ||
	kmod_skip "no kernel module build ($kmod_dir/vmrun.conf)"
vmrun=${VMC_VMRUN:-$srcdir/backends/kmod/vmrun.sh}
tmp=${TMPDIR:-/tmp}/vmrun_args.$$
mkdir "$tmp" || exit 99
trap 'rm -rf "$tmp"' EXIT INT TERM
none=$tmp/no-such-input.bin

# run WANT-REGEX ARGS...: vmrun.sh exits 2 with a line matching WANT
# (and, when $rel is set, after saying it chose kernel $rel).
run() {
	want=$1
	shift
	sh "$vmrun" -d "$kmod_dir" -o "$tmp/out" "$@" > "$tmp/log" 2>&1
	rc=$?
	[ $rc -eq 2 ] && grep -q -e "$want" "$tmp/log" &&
	{ [ -z "$rel" ] || grep -q "^vmrun: kernel $rel: .*, module .*/linux-$rel/vmcore.ko$" "$tmp/log"; }
	r=$?
	[ $r -eq 0 ] || sed 's/^/# /' "$tmp/log"
	return $r
}
chosen="input $none is not a readable file"

for d in $(kmod_dirs); do
	rel=$(kmod_release "$d")
	run "$chosen" --kernel "$rel" "$none"
	kmod_ok $? "--kernel $rel: the module built for it is chosen"
	run "$chosen" --kernel="$rel" "$none"
	kmod_ok $? "--kernel=$rel: the same"
	img=/boot/vmlinuz-$rel
	if [ -r "$img" ]; then
		run "$chosen" --kernel "$img" "$none"
		kmod_ok $? "--kernel $img: its release read from the image"
		ln -s "$img" "$tmp/bzimage"
		run "$chosen" --kernel "$tmp/bzimage" "$none"
		kmod_ok $? "--kernel IMAGE named otherwise: the release from its bzImage header"
		rm -f "$tmp/bzimage"
	fi
	series=$(printf '%s\n' "$rel" | sed -n 's/^\([0-9]*\.[0-9]*\)\..*/\1/p')
	n=$(grep -c "^$series\." "$kmod_dir/kernels.list" 2>/dev/null)
	if [ -n "$series" ] && [ "${n:-0}" -eq 1 ]; then
		run "$chosen" --kernel "$series" "$none"
		kmod_ok $? "--kernel $series: the one release of that series"
	fi
done
rel=
run "no module for 9.99 under" --kernel 9.99 "$none"
kmod_ok $? "--kernel 9.99: no module built for it, refused"
(VMC_KMOD_KERNEL=9.99; export VMC_KMOD_KERNEL
 run "no module for 9.99 under" "$none")
kmod_ok $? "VMC_KMOD_KERNEL=9.99: the same"
if [ "$(grep -c '^6\.' "$kmod_dir/kernels.list" 2>/dev/null)" -gt 1 ]; then
	run "ambiguous:" --kernel 6 "$none"
	kmod_ok $? "--kernel 6: ambiguous with two 6.x kernels, refused"
fi
echo "not a kernel" > "$tmp/vmlinuz"
run "cannot tell its release" --kernel "$tmp/vmlinuz" "$none"
kmod_ok $? "--kernel FILE that is no bzImage: refused"
run "no such file" --kernel "$tmp/missing/vmlinuz" "$none"
kmod_ok $? "--kernel of a missing file: refused"
run "not a release, series or path" --kernel '6.1;x' "$none"
kmod_ok $? "--kernel with a shell metacharacter: refused"
run "usage:" "$none" --kernel
kmod_ok $? "--kernel without its argument: usage"
kmod_done
