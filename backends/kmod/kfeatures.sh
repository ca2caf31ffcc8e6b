#!/bin/sh
# SPDX-License-Identifier: MIT
# kfeatures.sh - what a kernel build tree offers the module, found by
# compile probes against it, written as a config header.
#
# usage: kfeatures.sh LINUX_DIR WORKDIR OUT.h
#
# The module is built against more than one kernel (6.1 and 6.12 today),
# and what it may call differs between them.  Rather than guessing from
# LINUX_VERSION_CODE, each difference is a probe: a few lines of C that
# use the call the way the module would.  All probes are compiled in one
# Kbuild run in WORKDIR (single-object targets, -Werror, make -k), and a
# probe counts as present when its object was built AND every symbol it
# leaves undefined is exported by the kernel (LINUX_DIR/Module.symvers):
# a call that is declared but not exported (6.12's vrealloc) must not
# link.  OUT.h gets one KMOD_HAVE_<NAME> per probe (1 or 0) and
# KMOD_KERNEL, the tree's "VERSION.PATCHLEVEL", a label for messages
# (never used to decide a feature).
#
# Exit: 0 with OUT.h written, 1 when the tree cannot build even the
# trivial probe (then no OUT.h: the module build fails with the reason).

set -u
if [ $# -ne 3 ]; then
	echo "usage: kfeatures.sh LINUX_DIR WORKDIR OUT.h" >&2
	exit 2
fi
kdir=$1 work=$2 out=$3
symvers=$kdir/Module.symvers
[ -f "$symvers" ] || { echo "kfeatures: no $symvers" >&2; exit 1; }

rm -rf "$work"
mkdir -p "$work" || exit 1
work=$(cd "$work" && pwd -P)

# probe NAME 'what it means' <<EOF C body EOF: one probe source.
names=""
probe() {
	names="$names $1"
	printf '%s\n' "$2" > "$work/$1.what"
	{
		echo "// $2"
		echo "#include <linux/module.h>"
		echo "#include <linux/mm.h>"
		echo "#include <linux/slab.h>"
		echo "#include <linux/vmalloc.h>"
		cat
	} > "$work/p_$1.c"
}

probe BASE "the tree builds a module object at all" <<'EOF'
int kp_probe(int x);
int kp_probe(int x) { return x + 1; }
EOF

# 6.12: vrealloc(p, size, gfp).  It is not exported; kvrealloc(p, size,
# gfp) is, and hands a vmalloc address to vrealloc (6.1's kvrealloc takes
# the old size too and knows no vrealloc).
probe VREALLOC "vrealloc declared, reached through the exported \
3-argument kvrealloc" <<'EOF'
void *kp_probe(void *p, size_t n);
void *kp_probe(void *p, size_t n)
{
	if (0)
		return vrealloc(p, n, GFP_KERNEL);
	return kvrealloc(p, n, GFP_KERNEL);
}
EOF

# 6.10's memory-allocation profiling: vmalloc() and friends are macros over
# exported *_noprof functions (whether or not profiling is configured).
probe NOPROF "vmalloc and friends are macros over exported \
*_noprof calls" <<'EOF'
void *kp_probe(unsigned long n);
void *kp_probe(unsigned long n) { return vmalloc_noprof(n); }
EOF

objs=""
for n in $names; do objs="$objs p_$n.o"; done
{
	echo "obj-m := $objs"
	echo "ccflags-y := -Werror"
} > "$work/Kbuild"
# shellcheck disable=SC2086
make -k -C "$kdir" M="$work" $objs > "$work/build.log" 2>&1

# present NAME: the object was built and all it imports is exported.
present() {
	[ -f "$work/p_$1.o" ] || return 1
	for s in $(nm -u "$work/p_$1.o" | awk '{ print $2 }'); do
		awk -v s="$s" '$2 == s { f = 1 } END { exit !f }' "$symvers" ||
			{ echo "kfeatures: $1: $s is not exported" >> "$work/build.log"; return 1; }
	done
	return 0
}

if ! present BASE; then
	echo "kfeatures: the tree $kdir cannot build a trivial module object:" >&2
	tail -n 20 "$work/build.log" >&2
	exit 1
fi

rel=$(sed -n 's/^#define UTS_RELEASE "\(.*\)"$/\1/p' \
	"$kdir/include/generated/utsrelease.h")
series=$(printf '%s\n' "$rel" | sed -n 's/^\([0-9]*\.[0-9]*\).*/\1/p')
{
	echo "/* kmod_config.h - written by kfeatures.sh for $rel ($kdir): */"
	echo "/* what this kernel offers the module, by compile probes. */"
	echo "#ifndef KMOD_CONFIG_H"
	echo "#define KMOD_CONFIG_H"
	echo "#define KMOD_RELEASE \"$rel\""
	echo "#define KMOD_KERNEL \"$series\""
	for n in $names; do
		[ "$n" = BASE ] && continue
		v=0
		present "$n" && v=1
		echo "/* $(cat "$work/$n.what") */"
		echo "#define KMOD_HAVE_$n $v"
	done
	echo "#endif"
} > "$out.tmp" && mv "$out.tmp" "$out"
