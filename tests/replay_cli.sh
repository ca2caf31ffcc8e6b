#!/bin/sh
# SPDX-License-Identifier: MIT
# replay_cli.sh - what vmcore-replay says for each kind of input and
# option that is not a plain clean run (fuzz/vmcore-replay.1 documents
# them): --version, --help, standard input, a directory, empty inputs, the
# op limit (a binary input over it refused, --truncate), an engine that
# refuses its shape, --check-every N, --vmallocinfo, that --backend all
# boots no VM unless --with-kmod, and that corpus/bin/*.bin decodes to the
# ops of corpus/*.txt.  Each check runs the tool and matches its exit
# status and a piece of its message.  TAP; exit 77 (skip) without the tool.
srcdir=${srcdir:-.}
replay=${VMC_REPLAY:-./fuzz/vmcore-replay}
if [ ! -x "$replay" ]; then
	echo "1..0 # SKIP vmcore-replay not built"
	[ -n "${VMC_TAP_HARNESS:-}" ] && exit 0
	exit 77
fi
tmp=${TMPDIR:-/tmp}/replay_cli.$$
mkdir "$tmp" || exit 99
trap 'rm -rf "$tmp"' EXIT INT TERM

n=0 failed=0
# expect DESC RC PATTERN CMD...: CMD exits RC and its stdout+stderr holds
# PATTERN (a fixed string; "" matches anything).
expect() {
	desc=$1 want=$2 pat=$3
	shift 3
	"$@" > "$tmp/out" 2>&1
	rc=$?
	n=$((n + 1))
	if [ "$rc" = "$want" ] && { [ -z "$pat" ] || grep -qF -e "$pat" "$tmp/out"; }; then
		echo "ok $n - $desc"
	else
		echo "not ok $n - $desc (exit $rc, want $want; want '$pat')"
		sed 's/^/# /' "$tmp/out" | head -n 20
		failed=$((failed + 1))
	fi
}
# refute DESC PATTERN: the last output does not hold PATTERN.
refute() {
	n=$((n + 1))
	if grep -qF -e "$2" "$tmp/out"; then
		echo "not ok $n - $1"
		sed 's/^/# /' "$tmp/out" | head -n 20
		failed=$((failed + 1))
	else
		echo "ok $n - $1"
	fi
}

echo "1..27"
expect "--version names the package" 0 "vmcore-replay (vmcore) " \
	"$replay" --version
expect "--help points to the manual" 0 "vmcore-replay(1)" "$replay" --help
expect "--help states the op limit" 0 "at most 1024 ops" "$replay" --help

printf 'r0 = vmalloc(size=0x5000)\nvmallocinfo()\n' > "$tmp/info.txt"
expect "- reads standard input (and vmallocinfo() prints the dump)" 0 \
	"# vmallocinfo [sim] +0x0000000000000000-+0x0000000000006000   24576 vmalloc pages=5" \
	sh -c '"$1" --backend sim - < "$2"' sh "$replay" "$tmp/info.txt"
expect "- twice is refused" 2 "can be given once" "$replay" - -
expect "a directory is refused and says so" 2 \
	"is a directory; give the files in it" "$replay" "$tmp"

: > "$tmp/empty"
expect "an empty file says so" 2 "empty input (0 bytes)" \
	"$replay" "$tmp/empty"
printf '# nothing\n\n' > "$tmp/comments.txt"
expect "a text of comments only says so" 2 \
	"only blank lines and comments" "$replay" "$tmp/comments.txt"
printf '\000\003' > "$tmp/short.bin"     # vmalloc, cut short
expect "binary bytes that hold no whole op say so" 2 \
	"holding no whole op" "$replay" "$tmp/short.bin"

"$replay" --seed 1 --ops 1024 --encode > "$tmp/at.bin" || exit 99
{ cat "$tmp/at.bin"; printf '\017'; } > "$tmp/over.bin"    # + purge()
{ cat "$tmp/at.bin"; printf '\000'; } > "$tmp/atcut.bin"   # + a cut op
expect "a binary input of 1024 ops runs" 0 "" \
	"$replay" --backend sim "$tmp/at.bin"
expect "1024 ops and a partial op are not over the limit" 0 "" \
	"$replay" --backend sim "$tmp/atcut.bin"
expect "a binary input over the limit is refused with a message" 2 \
	"binary input of more than 1024 ops (the limit of a stream); refused" \
	"$replay" --backend sim "$tmp/over.bin"
expect "--truncate runs its first 1024 ops and says so" 0 \
	"--truncate: only the first 1024 ops" \
	"$replay" --backend sim --truncate "$tmp/over.bin"
awk 'BEGIN { for (i = 0; i < 1025; i++) print "purge()" }' > "$tmp/over.txt"
expect "a text over the limit is refused" 2 \
	"1025:1: more than 1024 ops" "$replay" "$tmp/over.txt"
expect "--ops over the limit is refused" 2 "at most 1024" \
	"$replay" --seed 1 --ops 1025

expect "an engine refusing its shape names the setting and the rule" 2 \
	"the sim engine refused --nodes 100 (x86_64 geometry; with the default it is accepted): 1 to 16 nodes" \
	"$replay" --backend sim --nodes 100 "$tmp/info.txt"
expect "an unaligned arena size is named" 2 \
	"refused --arena-size 0x1001" \
	"$replay" --backend sim --arena-size 0x1001 "$tmp/info.txt"
expect "mmap with another geometry is refused up front" 2 \
	"the mmap backend has the host's geometry only" \
	"$replay" --backend mmap --geometry la57 "$tmp/info.txt"

basic=$srcdir/corpus/basic.txt
expect "--check-every takes a number" 2 \
	"--check-every takes a number of ops, 1 to 65535" \
	"$replay" --check-every "$basic"
expect "--check-every 0 is refused" 2 "not '0'" \
	"$replay" --check-every 0 "$basic"
expect "--check-every 3 runs" 0 "" "$replay" --check-every 3 "$basic"

printf 'r0 = vmalloc(size=0x3000)\nr1 = vmap(pages=2)\n' > "$tmp/live.txt"
expect "--vmallocinfo prints the dump at the end of the stream" 0 \
	"# vmallocinfo [core:mmap] +0x0000000000004000-+0x0000000000007000   12288 vmap vmap" \
	"$replay" --vmallocinfo "$tmp/live.txt"

# A kmod build that looks complete, and a runner that only leaves a mark:
# --backend all must not start it unless asked.
mkdir "$tmp/kmod" "$tmp/bin"
: > "$tmp/kmod/vmrun.conf"
printf '#!/bin/sh\nexit 0\n' > "$tmp/bin/qemu-system-x86_64"
printf '#!/bin/sh\n: > "%s/booted"\nexit 2\n' "$tmp" > "$tmp/vmrun.sh"
chmod +x "$tmp/bin/qemu-system-x86_64"
expect "--backend all runs without booting a VM" 0 "" \
	env VMC_KMOD_DIR="$tmp/kmod" VMC_VMRUN="$tmp/vmrun.sh" \
	PATH="$tmp/bin:$PATH" "$replay" "$basic"
n=$((n + 1))
if [ -e "$tmp/booted" ]; then
	echo "not ok $n - ... and the VM runner was not started"
	failed=$((failed + 1))
else
	echo "ok $n - ... and the VM runner was not started"
fi
expect "--with-kmod says before booting that it will and how to skip it" 2 \
	"one VM boot (qemu) runs every input on the kmod core; leave out --with-kmod to skip it" \
	env VMC_KMOD_DIR="$tmp/kmod" VMC_VMRUN="$tmp/vmrun.sh" \
	PATH="$tmp/bin:$PATH" "$replay" --with-kmod "$basic"
n=$((n + 1))
if [ -e "$tmp/booted" ]; then
	echo "ok $n - ... and then starts the VM runner"
else
	echo "not ok $n - ... and then starts the VM runner"
	failed=$((failed + 1))
fi

# The shipped binary seeds decode to the ops of their text versions.
: > "$tmp/diffs"
for b in "$srcdir"/corpus/bin/*.bin; do
	[ -f "$b" ] || continue
	t=$srcdir/corpus/${b##*/}
	t=${t%.bin}.txt
	[ -f "$t" ] || continue
	"$replay" --print --binary "$b" > "$tmp/b.txt" 2>&1
	"$replay" --print --text "$t" > "$tmp/t.txt" 2>&1
	cmp -s "$tmp/b.txt" "$tmp/t.txt" || echo "$b" >> "$tmp/diffs"
done
cp "$tmp/diffs" "$tmp/out"
refute "corpus/bin/*.bin decode to the ops of corpus/*.txt" ".bin"

[ "$failed" -eq 0 ]
