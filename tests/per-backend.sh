#!/bin/sh
# SPDX-License-Identifier: MIT
# per-backend.sh - run one test program on the backend its test name ends in.
#
# make check lists each backend-neutral test once per userspace backend:
# tests/sim/test_api.sim and tests/mmap/test_api.mmap (tiny generated
# files, see tests/include.am) both run the program tests/test_api, with
# VMC_BACKEND set to sim or mmap; vmc_backend_default() reads it at run time.
# Usage: per-backend.sh DIR/BACKEND/NAME.BACKEND [ARGS...]
t=$1
shift
case $t in
*.sim)  VMC_BACKEND=sim ;;
*.mmap) VMC_BACKEND=mmap ;;
*)      echo "per-backend.sh: $t: name does not end in .sim or .mmap" >&2
	exit 99 ;;
esac
name=${t##*/}
dir=${t%/*}
dir=${dir%/*}
prog=$dir/${name%.*}
export VMC_BACKEND
exec "$prog${EXEEXT-}" "$@"
