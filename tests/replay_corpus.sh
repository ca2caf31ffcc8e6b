#!/bin/sh
# SPDX-License-Identifier: MIT
# replay_corpus.sh - every corpus input through vmcore-replay --backend all
# (the model and every core engine, per geometry, compared op by op, with
# the full invariant check after every op; --no-kmod: one VM boot per file
# would be far too slow, the kmod corpus run boots once).  TAP: one line per file.
# Exit 77 (skip) when there is no corpus or no replay tool.
#
#   VMC_REPLAY   the tool (default: ./fuzz/vmcore-replay, then the one in
#                $PATH)
#   srcdir       the source tree (automake sets it; default .)
srcdir=${srcdir:-.}
replay=${VMC_REPLAY:-./fuzz/vmcore-replay}
if [ ! -x "$replay" ]; then
	replay=$(command -v vmcore-replay 2>/dev/null) || replay=
fi
if [ -z "$replay" ]; then
	echo "1..0 # SKIP vmcore-replay not built"
	[ -n "${VMC_TAP_HARNESS:-}" ] && exit 0   # the TAP driver: 77 = error
	exit 77
fi

n=0
for f in "$srcdir"/corpus/* "$srcdir"/corpus/bin/* "$srcdir"/corpus/regress/*; do
	[ -f "$f" ] || continue
	case ${f##*/} in
	.*|README*|*.md) continue ;;
	esac
	n=$((n + 1))
done
if [ "$n" -eq 0 ]; then
	echo "1..0 # SKIP corpus/ is empty"
	[ -n "${VMC_TAP_HARNESS:-}" ] && exit 0
	exit 77
fi

echo "1..$n"
i=0
failed=0
err=${TMPDIR:-/tmp}/replay_corpus.$$
trap 'rm -f "$err"' EXIT INT TERM
for f in "$srcdir"/corpus/* "$srcdir"/corpus/bin/* "$srcdir"/corpus/regress/*; do
	[ -f "$f" ] || continue
	case ${f##*/} in
	.*|README*|*.md) continue ;;
	esac
	i=$((i + 1))
	if "$replay" --backend all --no-kmod --check-every 1 "$f" >/dev/null 2>"$err"; then
		echo "ok $i - $f"
	else
		rc=$?
		failed=$((failed + 1))
		echo "not ok $i - $f (exit $rc)"
		sed 's/^/# /' "$err"
	fi
done
[ "$failed" -eq 0 ]
