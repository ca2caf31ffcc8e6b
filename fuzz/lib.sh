# SPDX-License-Identifier: MIT
# fuzz/lib.sh - shell functions shared by the fuzz scripts (POSIX sh; sourced,
# not run).  They build the fuzz targets straight from the sources, without
# configure, so every script works from a plain checkout:
#
#   vmc_fuzz_sources SRCDIR   the library and harness .c files (no targets,
#                             no main())
#   vmc_fuzz_cppflags SRCDIR  the include flags
#   vmc_fuzz_build SRCDIR OUTDIR SUFFIX CC CFLAGS LINKFLAGS MAIN TARGET...
#       compiles the sources once into OUTDIR/obj-SUFFIX and links
#       OUTDIR/fuzz_TARGET[SUFFIX] for each TARGET (diff, sim, mmap);
#       MAIN is "main" to link fuzz/fuzz_main.c (replay driver or AFL++
#       persistent loop), or "" when LINKFLAGS bring a main (libFuzzer).
#   vmc_fuzz_build_replay SRCDIR OUTDIR CC CFLAGS
#       builds OUTDIR/vmcore-replay (for --print and --encode).

vmc_fuzz_die() {
	printf '%s: %s\n' "${0##*/}" "$*" >&2
	exit 1
}

vmc_fuzz_sources() {
	for f in "$1"/libvmcore/*.c "$1"/backends/vmc_backends.c \
	    "$1"/backends/sim/*.c "$1"/backends/mmap/*.c \
	    "$1"/fuzz/*.c "$1"/fuzz/model/*.c; do
		[ -f "$f" ] || continue
		case ${f##*/} in
		fuzz_*.c|vmcore-replay.c) continue ;;
		esac
		printf '%s\n' "$f"
	done
}

vmc_fuzz_cppflags() {
	printf '%s' "-I$1/libvmcore -I$1/backends -I$1/backends/sim -I$1/backends/mmap -I$1/fuzz -I$1/fuzz/model"
}

# vmc_fuzz_objects SRCDIR OBJDIR CC CFLAGS: compile, print nothing; sets
# VMC_FUZZ_OBJS to the object list.
vmc_fuzz_objects() {
	_src=$1 _obj=$2 _cc=$3 _cflags=$4
	mkdir -p "$_obj" || vmc_fuzz_die "cannot create $_obj"
	VMC_FUZZ_OBJS=
	_pids=
	for _f in $(vmc_fuzz_sources "$_src"); do
		_o=$(printf '%s' "${_f#"$_src"/}" | tr '/' '_')
		_o="$_obj/${_o%.c}.o"
		VMC_FUZZ_OBJS="$VMC_FUZZ_OBJS $_o"
		# shellcheck disable=SC2086
		$_cc -std=gnu11 $_cflags $(vmc_fuzz_cppflags "$_src") \
		    -c "$_f" -o "$_o" &
		_pids="$_pids $!"
	done
	_rc=0
	for _p in $_pids; do
		wait "$_p" || _rc=1
	done
	[ -n "$VMC_FUZZ_OBJS" ] || vmc_fuzz_die "no sources under $_src"
	[ $_rc -eq 0 ] || vmc_fuzz_die "compilation failed ($_cc $_cflags)"
}

vmc_fuzz_build() {
	_bsrc=$1 _bout=$2 _suffix=$3 _bcc=$4 _bcflags=$5 _blink=$6 _bmain=$7
	shift 7
	vmc_fuzz_objects "$_bsrc" "$_bout/obj$_suffix" "$_bcc" "$_bcflags"
	_mainsrc=
	[ "$_bmain" = main ] && _mainsrc=$_bsrc/fuzz/fuzz_main.c
	for _t in "$@"; do
		# shellcheck disable=SC2086
		$_bcc -std=gnu11 $_bcflags $(vmc_fuzz_cppflags "$_bsrc") \
		    "$_bsrc/fuzz/fuzz_$_t.c" $_mainsrc $VMC_FUZZ_OBJS \
		    $_blink -lpthread -o "$_bout/fuzz_$_t$_suffix" ||
		    vmc_fuzz_die "linking fuzz_$_t$_suffix failed"
	done
}

vmc_fuzz_build_replay() {
	vmc_fuzz_objects "$1" "$2/obj-replay" "$3" "$4"
	[ -f "$1/fuzz/vmcore-replay.c" ] ||
	    vmc_fuzz_die "$1/fuzz/vmcore-replay.c is missing"
	# shellcheck disable=SC2086
	$3 -std=gnu11 $4 $(vmc_fuzz_cppflags "$1") "$1/fuzz/vmcore-replay.c" \
	    $VMC_FUZZ_OBJS -lpthread -o "$2/vmcore-replay" ||
	    vmc_fuzz_die "linking vmcore-replay failed"
}
