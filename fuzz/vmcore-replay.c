/* SPDX-License-Identifier: MIT */
/*
 * vmcore-replay - run op streams (text or binary) through the engines,
 * print them, convert them, or generate them.  The op language, every
 * option and the exit status are documented in vmcore-replay(1)
 * (fuzz/vmcore-replay.1); keep the two in step.
 *
 * Input format: a file is read as text when every byte is printable ASCII
 * or white space and its first non-blank character is '#' or a letter;
 * anything else is binary.  --text and --binary force one.  "-" is
 * standard input (once).  A text file that does not parse is an error
 * (exit 2, "FILE:LINE:COL: message"); so are a directory, an input with
 * no ops (empty, only comments, or bytes that hold no whole op) and a
 * binary input with more than VMC_OP_MAX ops, the limit of every stream
 * (--truncate runs its first VMC_OP_MAX ops, as the fuzz targets do).
 *
 * Exit status: 0 all streams ran clean; 1 a mismatch or a broken
 * invariant (the message names the file, the op's line and the first
 * differing trace lines or the invariant); 2 usage, I/O or parse errors,
 * or an engine that cannot be set up (the message names the setting it
 * refused and the rule).
 *
 * The kernel module (--backend kmod).  The streams run in a VM through
 * the runner backends/kmod/vmrun.sh ($VMC_VMRUN, default the source
 * tree's) with the module built in $VMC_KMOD_DIR (default the build
 * tree's backends/kmod, which has vmrun.conf only when configure found
 * kernel headers).  Every input is written in binary to a scratch
 * directory under $TMPDIR (text never reaches the guest), all of them go
 * to one VM boot:
 *     sh vmrun.sh -d KMOD_DIR -e core -o OUTDIR IN/0000-name ...
 * and each OUTDIR/0000-name.core.trace is read back: "# kmod ..." header
 * lines (geometry, window, frames, nodes, device frames, status), then
 * the trace, which must be line for line the trace of a sim run shaped
 * like the kmod arena (same geometry, window, frames, nodes, device
 * frames; no huge leaves).  --observe runs "diff" instead: the core and
 * the kernel's own vmalloc in lock step in the module, compared on what
 * does not depend on placement; known divergences (DIVERGENCES.md) are
 * counted, any other difference fails.  --backend all boots no VM unless
 * asked: with --with-kmod it does the kmod core run too (and says so
 * before booting), which then needs vmrun.conf and qemu-system-x86_64.
 * The runner exits 0 clean, 1 a run failed or the guest log had a
 * WARN/BUG/oops, 2 it could not set up (and says why); so does this.
 * When a run failed or traces differ the scratch directory is kept and
 * named.
 */
#define _XOPEN_SOURCE 700       /* mkdtemp, nftw */
#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "vmcore.h"
#include "vmc_backends.h"
#include "vmc_op.h"
#include "vmc_op_gen.h"
#include "vmc_run.h"

#ifndef VMC_VMRUN_DEFAULT
#define VMC_VMRUN_DEFAULT "backends/kmod/vmrun.sh"
#endif
#ifndef VMC_KMOD_DIR_DEFAULT
#define VMC_KMOD_DIR_DEFAULT "backends/kmod"
#endif

#ifndef PACKAGE_VERSION
#define PACKAGE_VERSION "unknown"
#endif

/* The usage text names the op limit: keep it VMC_OP_MAX. */
#define VMC_STR2(x) #x
#define VMC_STR(x) VMC_STR2(x)

static const char usage[] =
"usage: vmcore-replay [options] FILE...\n"
"       vmcore-replay [options] --seed N --ops N\n"
"Run op streams (text or binary; FILE - is standard input) and compare\n"
"the engines' traces.  The op language, its binary form and every option\n"
"are documented in vmcore-replay(1): man vmcore-replay (in the source\n"
"tree: man fuzz/vmcore-replay.1).  A stream has at most " VMC_STR(VMC_OP_MAX) " ops, text\n"
"or binary; a longer input is refused.\n"
"  --backend B     sim | mmap | model | kmod | linux61 | linux612 | all\n"
"                  (default all:\n"
"                  every default differential group, model + core engines\n"
"                  (+ linux61 when built) per geometry; boots no VM);\n"
"                  kmod: the kernel module in a VM; linux61: core:sim\n"
"                  checked call by call against Linux 6.1's own VA allocator\n"
"                  linux612: core:sim on linux-6.12 checked the same way\n"
"                  against Linux 6.12's allocator, vmap nodes and pools\n"
"  --placement P   linux (default: Linux 6.1's search) | exact (the lowest\n"
"                  aligned fit; not with linux61 or kmod)\n"
"  --with-kmod     with all: also run the kmod core against sim, booting\n"
"                  a VM (needs the module built and qemu-system-x86_64)\n"
"  --no-kmod       with all: no VM (the default; accepted for old scripts)\n"
"  --geometry G    x86_64 (default) | la57 | i386 (sim and model)\n"
"  --nohuge        no huge leaves (sim and model)\n"
"  --arena-start A the arena starts at absolute address A (sim, mmap)\n"
"  --arena-size S  arena bytes (sim, mmap, model; default 1 GiB)\n"
"  --frames N      RAM frames (default 2048)\n"
"  --nodes N       NUMA nodes (default 2)\n"
"  --dev-frames N  device region frames (default 1024)\n"
"  --observe       observe mode (sim, mmap): address results described by\n"
"                  pages mapped, guard, in-page offset and alignment; kmod:\n"
"                  the core and the kernel's vmalloc compared that way\n"
"  --trace         print every op with its result\n"
"  --check-every N full invariant check every N ops (1: after every op;\n"
"                  1..65535), incremental checks between; without it the\n"
"                  full check runs at check() ops and at the end only\n"
"  --vmallocinfo   print each core engine's /proc/vmallocinfo dump at the\n"
"                  end of each stream (as the op vmallocinfo() does)\n"
"  --truncate      run the first " VMC_STR(VMC_OP_MAX) " ops of a longer binary input (as the\n"
"                  fuzz targets do) instead of refusing it\n"
"  --print         print the streams as canonical text; run nothing\n"
"  --encode        write the streams in binary to stdout; run nothing\n"
"  --text          read every FILE as text\n"
"  --binary        read every FILE as binary\n"
"  --seed N        generate a random stream from seed N (with --ops)\n"
"  --ops N         length of the generated stream (default 1000, at most\n"
"                  " VMC_STR(VMC_OP_MAX) ")\n"
"  --profile K     kernel profile of the core: linux-6.1 (default) |\n"
"                  linux-6.12 (vmap nodes, pools; all: core engines and\n"
"                  linux612, no model; generated streams get cpu=)\n"
"  --cpus N        CPUs of the arena (default 1; 4 with linux-6.12)\n"
"  --mix M         generator mix: default | sane | edges (the old\n"
"                  --profile default|sane|edges still works)\n"
"  --help          this text\n"
"  --version       the version of vmcore\n"
"Environment: VMC_VMRUN (the VM runner), VMC_KMOD_DIR (the module's\n"
"build directory), TMPDIR.\n"
"Exit: 0 clean, 1 mismatch or broken invariant, 2 usage, input or parse\n"
"error, or an engine that cannot be set up.\n";

struct opts {
	const char *backend, *geometry;
	int nohuge, trace, print, encode, force; /* force: 't' / 'b' */
	unsigned int check;             /* --check-every N: N, 0 without */
	int have_seed;
	unsigned long long seed, nops;
	enum vmc_gen_profile profile;
	/* arena shape; 0 (unset): the defaults of run() */
	unsigned long long arena_start, arena_size, frames, nodes, dev_frames;
	int shaped;                     /* any of them given */
	int observe, with_kmod, vmallocinfo, truncate;
	int exact;                      /* --placement exact */
	unsigned int kprofile;          /* --profile linux-6.x */
	unsigned long long cpus;        /* --cpus, 0 unset */
};

/* One input, loaded (kmod runs need them all at once). */
struct input {
	const char *name;               /* as given (or "seed N") */
	struct vmc_op *ops;
	size_t n;
	char tag[80];                   /* its name in the scratch dir */
};

/* All of f; 0 or a negative errno. */
static int read_stream(FILE *f, char **buf, size_t *len)
{
	size_t cap = 4096, n = 0;
	char *b;

	b = malloc(cap);
	while (b) {
		size_t got = fread(b + n, 1, cap - n, f);

		n += got;
		if (n < cap)
			break;
		cap *= 2;
		{
			char *nb = realloc(b, cap);

			if (!nb)
				free(b);
			b = nb;
		}
	}
	if (!b)
		return -ENOMEM;
	if (ferror(f)) {
		int err = errno ? -errno : -EIO;

		free(b);
		return err;
	}
	*buf = b;
	*len = n;
	return 0;
}

static int read_file(const char *path, char **buf, size_t *len)
{
	FILE *f = fopen(path, "rb");
	int ret;

	if (!f)
		return -errno;
	ret = read_stream(f, buf, len);
	fclose(f);
	return ret;
}

static int looks_like_text(const char *b, size_t len)
{
	size_t i;
	int first = 0;

	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)b[i];

		if (c == ' ' || c == '\t' || c == '\n' || c == '\r')
			continue;
		if (c < 0x20 || c > 0x7e)
			return 0;
		if (!first) {
			first = c;
			if (c != '#' && !((c >= 'a' && c <= 'z') ||
					  (c >= 'A' && c <= 'Z')))
				return 0;
		}
	}
	return 1;
}

/* The ops of one file ("-": standard input); 0, or 2 after printing the
 * error. */
static int load(const char *path, const struct opts *o, struct vmc_op **ops,
		size_t *n)
{
	const char *name = strcmp(path, "-") ? path : "(standard input)";
	char *buf = NULL, err[256];
	struct stat st;
	size_t len = 0;
	int ret, more = 0, text;

	if (strcmp(path, "-") && !stat(path, &st) && S_ISDIR(st.st_mode)) {
		fprintf(stderr, "vmcore-replay: %s: is a directory; give the "
			"files in it (%s/*)\n", path, path);
		return 2;
	}
	ret = strcmp(path, "-") ? read_file(path, &buf, &len) :
				  read_stream(stdin, &buf, &len);
	if (ret) {
		fprintf(stderr, "vmcore-replay: %s: %s\n", name, strerror(-ret));
		return 2;
	}
	text = o->force == 't' || (o->force != 'b' && looks_like_text(buf, len));
	if (text) {
		if (vmc_op_parse(buf, len, ops, n, err, sizeof(err))) {
			fprintf(stderr, "%s:%s\n", name, err);
			free(buf);
			return 2;
		}
	} else {
		*ops = vmc_op_decode_max((const uint8_t *)buf, len, VMC_OP_MAX,
					 n, &more);
		if (!*ops) {
			fprintf(stderr, "vmcore-replay: out of memory\n");
			free(buf);
			return 2;
		}
	}
	free(buf);
	if (more && !o->truncate) {
		fprintf(stderr, "vmcore-replay: %s: binary input of more than %d "
			"ops (the limit of a stream); refused (--truncate runs "
			"its first %d ops, as the fuzz targets do)\n", name,
			VMC_OP_MAX, VMC_OP_MAX);
		free(*ops);
		return 2;
	}
	if (more)
		fprintf(stderr, "vmcore-replay: %s: --truncate: only the first "
			"%d ops of a longer binary input\n", name, VMC_OP_MAX);
	if (!*n) {
		if (!len)
			fprintf(stderr, "vmcore-replay: %s: empty input (0 bytes): "
				"no ops to run\n", name);
		else if (text)
			fprintf(stderr, "vmcore-replay: %s: no ops: %zu bytes of "
				"text, only blank lines and comments\n", name,
				len);
		else
			fprintf(stderr, "vmcore-replay: %s: no ops: %zu byte%s of "
				"binary, holding no whole op (an op cut short "
				"is dropped)\n", name, len, len == 1 ? "" : "s");
		free(*ops);
		return 2;
	}
	return 0;
}

static int emit(const struct vmc_op *ops, size_t n, const struct opts *o)
{
	char line[512];
	size_t i, len;
	uint8_t *bin;

	if (o->encode) {
		if (vmc_op_text_only(ops, n)) {
			fprintf(stderr, "vmcore-replay: config() has no binary "
				"form: --encode refuses this stream\n");
			return 2;
		}
		bin = vmc_op_encode(ops, n, &len);
		if (!bin || fwrite(bin, 1, len, stdout) != len) {
			free(bin);
			fprintf(stderr, "vmcore-replay: cannot write\n");
			return 2;
		}
		free(bin);
		return 0;
	}
	for (i = 0; i < n; i++) {
		vmc_op_format(&ops[i], line, sizeof(line));
		printf("%s\n", line);
	}
	return 0;
}

/* Runner flags of the options. */
static unsigned int run_flags(const struct opts *o)
{
	return (o->trace ? VMC_RUN_TRACE : 0) |
	       (o->exact ? VMC_RUN_EXACT : 0) |
	       (o->check ? VMC_RUN_CHECK | VMC_RUN_EVERY(o->check) : 0) |
	       (o->observe ? VMC_RUN_OBSERVE : 0) |
	       (o->kprofile == VMC_PROFILE_LINUX_6_12 ? VMC_RUN_LINUX612 : 0);
}

/* The one engine of --backend sim, mmap or model, shaped by the options
 * (unset ones at their defaults). */
static void make_spec(const struct opts *o, struct vmc_engine_spec *spec)
{
	memset(spec, 0, sizeof(*spec));
	spec->cfg.placement = o->exact ? VMC_PLACEMENT_EXACT :
					   VMC_PLACEMENT_LINUX;
	spec->cfg.geometry = o->geometry;
	spec->cfg.nohuge = o->nohuge;
	spec->cfg.arena_size = strcmp(o->geometry, "i386") ? 1ULL << 30 : 0;
	spec->cfg.nr_frames = VMC_RUN_FRAMES;
	spec->cfg.nr_nodes = 2;
	spec->cfg.dev_frames = 1024;
	if (o->arena_size)
		spec->cfg.arena_size = o->arena_size;
	if (o->frames)
		spec->cfg.nr_frames = (unsigned long)o->frames;
	if (o->nodes)
		spec->cfg.nr_nodes = (unsigned int)o->nodes;
	if (o->dev_frames)
		spec->cfg.dev_frames = (unsigned long)o->dev_frames;
	spec->cfg.arena_start = o->arena_start;
	spec->cfg.profile = o->kprofile;
	spec->cfg.nr_cpus = o->cpus ? (unsigned int)o->cpus :
			    o->kprofile == VMC_PROFILE_LINUX_6_12 ?
			    VMC_RUN_CPUS612 : 1;
	spec->label = o->backend;
	if (!strcmp(o->backend, "sim") || !strcmp(o->backend, "linux61") ||
	    !strcmp(o->backend, "linux612")) {
		spec->ops = &vmc_engine_core_sim;
	} else if (!strcmp(o->backend, "mmap")) {
		spec->ops = &vmc_engine_core_mmap;
		spec->cfg.nohuge = true;
	} else {
		spec->ops = &vmc_engine_model;
	}
}

/*
 * The engine refused its configuration: find the setting to blame by
 * creating it again with each given setting back at its default, and say
 * what that setting must be.
 */
static void explain_create(const struct opts *o)
{
	static const struct {
		const char *opt, *rule;
	} rules[] = {
		{ "--arena-start", "the start must be page aligned (4 KiB) and "
		  "inside the geometry's vmalloc space (x86_64 "
		  "0xffffc90000000000-0xffffe90000000000, la57 "
		  "0xffa0000000000000 + 12800 TiB, i386 "
		  "0xf8800000-0xff7fe000)" },
		{ "--arena-size", "the size must be a multiple of 4 KiB and "
		  "fit in the vmalloc space from the arena's start (x86_64 "
		  "32 TiB, la57 12800 TiB, i386 0x6ffe000 bytes in all)" },
		{ "--frames", "every node needs a frame, and RAM (which starts "
		  "at 1 GiB) and the device region after it must fit the "
		  "geometry's physical addresses (x86_64 and la57 2^40 frames, "
		  "i386 2^20)" },
		{ "--nodes", "1 to 16 nodes, and no more nodes than frames" },
		{ "--dev-frames", "the device region must fit the geometry's "
		  "physical addresses after RAM (i386: 2^20 frames in all)" },
	};
	struct vmc_engine_spec spec;
	struct opts t;
	void *st;
	unsigned long long *v[5], val;
	char num[32];
	size_t i;
	int err;

	for (i = 0; i < sizeof(rules) / sizeof(rules[0]); i++) {
		t = *o;
		v[0] = &t.arena_start;
		v[1] = &t.arena_size;
		v[2] = &t.frames;
		v[3] = &t.nodes;
		v[4] = &t.dev_frames;
		if (!*v[i])
			continue;
		val = *v[i];
		*v[i] = 0;
		make_spec(&t, &spec);
		st = NULL;
		err = spec.ops->create(&spec.cfg, &st);
		if (err)
			continue;
		spec.ops->destroy(st);
		snprintf(num, sizeof(num), i < 2 ? "%#llx" : "%llu", val);
		fprintf(stderr, "vmcore-replay: the %s engine refused %s %s "
			"(%s geometry; with the default it is accepted): %s\n",
			o->backend, rules[i].opt, num, o->geometry,
			rules[i].rule);
		return;
	}
	fprintf(stderr, "vmcore-replay: the %s engine (%s geometry) refused "
		"the arena shape as a whole: no single one of --arena-start, "
		"--arena-size, --frames, --nodes, --dev-frames set back to its "
		"default makes it acceptable\n", o->backend, o->geometry);
}

/* Trace lines to stdout: all of them (--trace), or only the vmallocinfo
 * dumps. */
static void out_line(void *arg, const char *line)
{
	const int *all = arg;

	if (*all || !strncmp(line, "# vmallocinfo ", 14)) {
		fputs(line, stdout);
		fputc('\n', stdout);
	}
}

static int has_vmallocinfo(const struct vmc_op *ops, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (ops[i].kind == VMC_OP_VMALLOCINFO)
			return 1;
	return 0;
}

/* The oracle engine --backend names (linux61, linux612), or NULL. */
static const struct vmc_engine_ops *oracle(const char *backend)
{
#ifdef VMC_HAVE_LINUX61
	if (!strcmp(backend, "linux61"))
		return &vmc_engine_linux61;
#endif
#ifdef VMC_HAVE_LINUX612
	if (!strcmp(backend, "linux612"))
		return &vmc_engine_linux612;
#endif
	(void)backend;
	return NULL;
}

static int run(const char *name, const struct vmc_op *ops, size_t n,
	       const struct opts *o)
{
	int all = o->trace;
	struct vmc_trace_sink out = { out_line, &all, NULL };
	const struct vmc_trace_sink *sink = NULL;
	struct vmc_run_report rep;
	struct vmc_engine_spec spec;
	int ret;

	/* No sink, no trace formatting: only when something is printed. */
	if (o->trace || has_vmallocinfo(ops, n))
		sink = &out;
	if (!strcmp(o->backend, "all")) {
		ret = vmc_run_groups_sink(ops, n, run_flags(o), sink, &rep);
	} else {
		struct vmc_engine_spec two[2];
		size_t nspec = 1;

		make_spec(o, &spec);
		two[0] = spec;
		/* linux61, linux612: core:sim, checked call by call by Linux's
		   code */
		if (oracle(o->backend)) {
			two[0].label = "core:sim";
			two[1] = spec;
			two[1].ops = oracle(o->backend);
			two[1].label = o->backend;
			nspec = 2;
		}
		ret = vmc_run_sink(ops, n, two, nspec, run_flags(o), sink, &rep);
	}
	fflush(stdout);
	if (ret < 0) {
		fprintf(stderr, "vmcore-replay: %s: %s\n", name, rep.what);
		if (strcmp(o->backend, "all") &&
		    !strncmp(rep.what, "cannot create engine", 20) &&
		    !strstr(rep.what, "(with "))
			explain_create(o);
		return 2;
	}
	if (ret) {
		fprintf(stderr, "vmcore-replay: %s: %s\n", name, rep.what);
		return 1;
	}
	return 0;
}

/* ---------- the kernel module, through the VM runner ---------- */

static const char *env_or(const char *name, const char *def)
{
	const char *v = getenv(name);

	return v && *v ? v : def;
}

static int file_exists(const char *path)
{
	struct stat st;

	return !stat(path, &st) && S_ISREG(st.st_mode);
}

/* vmrun.conf in the module's build dir: configure found kernel headers. */
static int kmod_built(char *conf, size_t len)
{
	snprintf(conf, len, "%s/vmrun.conf",
		 env_or("VMC_KMOD_DIR", VMC_KMOD_DIR_DEFAULT));
	return file_exists(conf);
}

static int in_path(const char *prog)
{
	const char *path = getenv("PATH"), *p, *e;
	char f[4096];

	for (p = path; p && *p; p = *e ? e + 1 : e) {
		e = strchr(p, ':');
		if (!e)
			e = p + strlen(p);
		snprintf(f, sizeof(f), "%.*s/%s", (int)(e - p),
			 e > p ? p : ".", prog);
		if (e == p)
			snprintf(f, sizeof(f), "./%s", prog);
		if (!access(f, X_OK))
			return 1;
	}
	return 0;
}

static int rm_one(const char *path, const struct stat *st, int flag,
		  struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	return flag == FTW_DP ? rmdir(path) : unlink(path);
}

static int write_file(const char *path, const void *buf, size_t len)
{
	FILE *f = fopen(path, "wb");
	int ok;

	if (!f)
		return -1;
	ok = fwrite(buf, 1, len, f) == len;
	ok = !fclose(f) && ok;
	return ok ? 0 : -1;
}

/* The next line of a trace text at *p (NUL-terminated in place), or NULL;
 * header and comment lines ('#') are skipped when `skip_comments`. */
static char *next_line(char **p, int skip_comments)
{
	while (*p && **p) {
		char *l = *p, *nl = strchr(l, '\n');

		if (nl) {
			*nl = '\0';
			*p = nl + 1;
		} else {
			*p = l + strlen(l);
		}
		if (skip_comments && l[0] == '#')
			continue;
		return l;
	}
	return NULL;
}

/* What the "# kmod key=value ..." header lines of a trace say. */
struct kmod_hdr {
	char geometry[16];
	unsigned long long vstart, vend, frames, nodes, dev_frames;
	long status;
	int have_status;
};

static void parse_hdr(const char *text, struct kmod_hdr *h)
{
	const char *l;

	memset(h, 0, sizeof(*h));
	for (l = text; l && *l; l = strchr(l, '\n'), l = l ? l + 1 : NULL) {
		const char *t = l + 7;
		const char *end = strchr(l, '\n');

		if (strncmp(l, "# kmod ", 7))
			continue;
		if (!end)
			end = l + strlen(l);
		while (t < end) {
			const char *sp = memchr(t, ' ', (size_t)(end - t));
			const char *eq;
			char key[32], val[64];
			size_t kl, vl;

			if (!sp)
				sp = end;
			eq = memchr(t, '=', (size_t)(sp - t));
			if (eq) {
				kl = (size_t)(eq - t);
				vl = (size_t)(sp - eq - 1);
				snprintf(key, sizeof(key), "%.*s",
					 (int)(kl < 31 ? kl : 31), t);
				snprintf(val, sizeof(val), "%.*s",
					 (int)(vl < 63 ? vl : 63), eq + 1);
				if (!strcmp(key, "geometry"))
					snprintf(h->geometry,
						 sizeof(h->geometry), "%.15s",
						 val);
				else if (!strcmp(key, "vstart"))
					h->vstart = strtoull(val, NULL, 0);
				else if (!strcmp(key, "vend"))
					h->vend = strtoull(val, NULL, 0);
				else if (!strcmp(key, "frames"))
					h->frames = strtoull(val, NULL, 0);
				else if (!strcmp(key, "nodes"))
					h->nodes = strtoull(val, NULL, 0);
				else if (!strcmp(key, "dev_frames"))
					h->dev_frames = strtoull(val, NULL, 0);
				else if (!strcmp(key, "status")) {
					h->status = strtol(val, NULL, 0);
					h->have_status = 1;
				}
			}
			t = sp + 1;
		}
	}
}

/* Compare the trace lines (not '#') of a and b (both modified); 0 or 1
 * after naming the first difference. */
static int compare_traces(const char *name, const char *la, char *a,
			  const char *lb, char *b)
{
	size_t line = 0;

	for (;;) {
		char *x = next_line(&a, 1), *y = next_line(&b, 1);

		line++;
		if (!x && !y)
			return 0;
		if (x && y && !strcmp(x, y))
			continue;
		fprintf(stderr, "vmcore-replay: %s: %s and %s differ at trace "
			"line %zu:\n  %s: %s\n  %s: %s\n", name, la, lb, line,
			la, x ? x : "(end of trace)", lb,
			y ? y : "(end of trace)");
		return 1;
	}
}

/* A trace collected in memory (the sim side of a comparison). */
struct membuf {
	char *buf;
	size_t len, cap;
	int oom;
};

static void membuf_line(void *arg, const char *line)
{
	struct membuf *m = arg;
	size_t l = strlen(line);

	if (m->oom)
		return;
	if (m->len + l + 2 > m->cap) {
		size_t cap = (m->cap ? m->cap : 4096);
		char *nb;

		while (cap < m->len + l + 2)
			cap *= 2;
		nb = realloc(m->buf, cap);
		if (!nb) {
			m->oom = 1;
			return;
		}
		m->buf = nb;
		m->cap = cap;
	}
	memcpy(m->buf + m->len, line, l);
	m->len += l;
	m->buf[m->len++] = '\n';
	m->buf[m->len] = '\0';
}

/* The kmod core trace of `in` against core:sim shaped like its arena. */
static int kmod_vs_sim(const struct input *in, const struct kmod_hdr *h,
		       char *ktrace, const struct opts *o)
{
	struct membuf m = { NULL, 0, 0, 0 };
	struct vmc_trace_sink sink = { membuf_line, &m, NULL };
	struct vmc_engine_spec spec;
	struct vmc_run_report rep;
	int ret;

	if (!h->geometry[0] || !h->vstart || h->vend <= h->vstart) {
		fprintf(stderr, "vmcore-replay: %s: kmod trace has no arena "
			"header (geometry, vstart, vend)\n", in->name);
		return 1;
	}
	memset(&spec, 0, sizeof(spec));
	spec.ops = &vmc_engine_core_sim;
	spec.label = "core:sim (kmod-shaped)";
	spec.cfg.geometry = h->geometry;
	spec.cfg.nohuge = true;
	spec.cfg.arena_start = h->vstart;
	spec.cfg.arena_size = h->vend - h->vstart;
	spec.cfg.nr_frames = (unsigned long)h->frames;
	spec.cfg.nr_nodes = (unsigned int)(h->nodes ? h->nodes : 1);
	spec.cfg.dev_frames = (unsigned long)h->dev_frames;
	ret = vmc_run_sink(in->ops, in->n, &spec, 1,
			   run_flags(o) & ~(VMC_RUN_TRACE | VMC_RUN_OBSERVE),
			   &sink, &rep);
	if (ret < 0 || m.oom) {
		fprintf(stderr, "vmcore-replay: %s: sim shaped like kmod "
			"(%s, 0x%llx-0x%llx): %s\n", in->name, h->geometry,
			h->vstart, h->vend, m.oom ? "out of memory" : rep.what);
		free(m.buf);
		return 2;
	}
	if (ret) {
		fprintf(stderr, "vmcore-replay: %s: sim shaped like kmod: "
			"%s\n", in->name, rep.what);
		free(m.buf);
		return 1;
	}
	ret = compare_traces(in->name, "kmod core", ktrace, "sim",
			     m.buf ? m.buf : (char *)"");
	free(m.buf);
	return ret;
}

/* Read OUT/TAG.RUN.trace; NULL (and a message) when it is missing. */
static char *read_trace(const char *out, const struct input *in,
			const char *run_name)
{
	char path[4096], *buf;
	size_t len;

	snprintf(path, sizeof(path), "%s/%s.%s.trace", out, in->tag, run_name);
	if (read_file(path, &buf, &len)) {
		fprintf(stderr, "vmcore-replay: %s: kmod: no %s trace (%s)\n",
			in->name, run_name, path);
		return NULL;
	}
	if (memchr(buf, '\0', len))
		len = strlen(buf);
	{
		char *nb = realloc(buf, len + 1);

		if (!nb) {
			free(buf);
			return NULL;
		}
		buf = nb;
	}
	buf[len] = '\0';
	return buf;
}

/* Lines of trace text t that begin with `prefix` ("": trace lines, not
 * comments). */
static size_t count_lines(const char *t, const char *prefix)
{
	size_t n = 0;

	while (t && *t) {
		const char *nl = strchr(t, '\n');

		if (*prefix ? !strncmp(t, prefix, strlen(prefix)) :
			      (*t != '#' && *t != '\n'))
			n++;
		t = nl ? nl + 1 : NULL;
	}
	return n;
}

/* One run's trace of one input: print it (--trace) or its status; 0 or
 * 1.  On 0, *keep is the trace text (the caller frees it). */
static int kmod_report(const char *out, const struct input *in,
		       const char *run_name, const struct opts *o,
		       struct kmod_hdr *h, char **keep)
{
	char *t = read_trace(out, in, run_name);
	int ret = 0;

	*keep = NULL;
	if (!t)
		return 1;
	parse_hdr(t, h);
	if (o->trace) {
		printf("# file %s (kmod %s)\n%s", in->name, run_name, t);
		if (*t && t[strlen(t) - 1] != '\n')
			putchar('\n');
	} else {
		const char *l;

		/* the vmallocinfo dumps are printed all the same */
		for (l = t; l && *l; l = strchr(l, '\n'), l = l ? l + 1 : NULL)
			if (!strncmp(l, "# vmallocinfo ", 14))
				printf("%.*s\n", (int)strcspn(l, "\n"), l);
	}
	if (!h->have_status || h->status) {
		char *p = t, *l, *last = NULL;

		while ((l = next_line(&p, 0)))
			if (*l)
				last = l;
		fprintf(stderr, "vmcore-replay: %s: kmod %s: status %ld%s%s\n",
			in->name, run_name, h->have_status ? h->status : -1L,
			last ? ": " : "", last ? last : "");
		ret = 1;
		free(t);
		return ret;
	}

	*keep = t;
	return 0;
}

/*
 * Run every input on the module in one VM boot: each core trace against
 * a kmod-shaped sim run, or (--observe) each diff run's verdict.  0, 1
 * or 2.
 */
static int kmod_replay(struct input *in, size_t nin, const struct opts *o)
{
	const char *vmrun = env_or("VMC_VMRUN", VMC_VMRUN_DEFAULT);
	const char *kdir = env_or("VMC_KMOD_DIR", VMC_KMOD_DIR_DEFAULT);
	const char *runs = o->observe ? "diff" : "core";
	char dir[4096], out[4200], path[4400];
	const char **argv = NULL;
	int worst = 0, rc, status;
	size_t i, k, first_in = 0;
	pid_t pid;

	snprintf(dir, sizeof(dir), "%s/vmcore-replay.XXXXXX",
		 env_or("TMPDIR", "/tmp"));
	if (!mkdtemp(dir)) {
		fprintf(stderr, "vmcore-replay: kmod: cannot create %s: %s\n",
			dir, strerror(errno));
		return 2;
	}
	snprintf(out, sizeof(out), "%s/out", dir);
	snprintf(path, sizeof(path), "%s/in", dir);
	if (mkdir(out, 0700) || mkdir(path, 0700)) {
		fprintf(stderr, "vmcore-replay: kmod: cannot create %s: %s\n",
			path, strerror(errno));
		worst = 2;
		goto done;
	}
	argv = calloc(nin + 10, sizeof(*argv));
	if (!argv) {
		worst = 2;
		goto done;
	}
	k = 0;
	argv[k++] = "sh";
	argv[k++] = vmrun;
	argv[k++] = "-d";
	argv[k++] = kdir;
	argv[k++] = "-e";
	argv[k++] = runs;
	argv[k++] = "-o";
	argv[k++] = out;
	if (o->check)
		argv[k++] = "-c";
	first_in = k;
	for (i = 0; i < nin; i++) {
		const char *base = strrchr(in[i].name, '/');
		uint8_t *bin;
		size_t len;
		char *p;

		base = base ? base + 1 : in[i].name;
		snprintf(in[i].tag, sizeof(in[i].tag), "%04zu-%.60s", i, base);
		for (p = in[i].tag; *p; p++)
			if (*p == ' ' || *p == '/')
				*p = '_';
		snprintf(path, sizeof(path), "%s/in/%s", dir, in[i].tag);
		if (vmc_op_text_only(in[i].ops, in[i].n)) {
			fprintf(stderr, "vmcore-replay: kmod: %s: config() "
				"streams do not go to the VM (text only; the "
				"module places as Linux)\n", in[i].name);
			worst = 2;
			goto done;
		}
		bin = vmc_op_encode(in[i].ops, in[i].n, &len);
		if (!bin || write_file(path, bin, len)) {
			fprintf(stderr, "vmcore-replay: kmod: cannot write "
				"%s\n", path);
			free(bin);
			worst = 2;
			goto done;
		}
		free(bin);
		argv[k] = strdup(path);
		if (!argv[k++]) {
			worst = 2;
			goto done;
		}
	}
	argv[k] = NULL;
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid < 0) {
		fprintf(stderr, "vmcore-replay: kmod: fork: %s\n",
			strerror(errno));
		worst = 2;
		goto done;
	}
	if (!pid) {
		/* The runner's chatter goes to stderr: stdout is traces. */
		dup2(2, 1);
		execvp("sh", (char *const *)argv);
		fprintf(stderr, "vmcore-replay: cannot run sh: %s\n",
			strerror(errno));
		_exit(2);
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR) {
			status = 2 << 8;
			break;
		}
	rc = WIFEXITED(status) ? WEXITSTATUS(status) : 2;
	if (rc != 0 && rc != 1) {
		fprintf(stderr, "vmcore-replay: kmod: %s could not run the "
			"module (exit %d; its reason is above)\n", vmrun, rc);
		worst = 2;
		goto done;
	}
	for (i = 0; i < nin; i++) {
		struct kmod_hdr h;
		char *t = NULL;
		size_t lines;
		int r;

		if (o->observe) {
			r = kmod_report(out, &in[i], "diff", o, &h, &t);
			if (!r && !o->trace)
				printf("%s: kmod diff ok: %zu ops run, "
				       "%zu known divergences, "
				       "%zu stale frees skipped\n", in[i].name,
				       count_lines(t, ""),
				       count_lines(t, "# ignored "),
				       count_lines(t, "# skipped "));
		} else {
			r = kmod_report(out, &in[i], "core", o, &h, &t);
			lines = count_lines(t, "");     /* before the compare
							   cuts t into lines */
			if (!r)
				r = kmod_vs_sim(&in[i], &h, t, o);
			if (!r && !o->trace)
				printf("%s: kmod core ok: %zu trace lines, the "
				       "same as sim's (%s, 0x%llx-0x%llx, %llu "
				       "frames)\n", in[i].name, lines,
				       h.geometry, h.vstart, h.vend, h.frames);
		}
		free(t);
		if (r > worst)
			worst = r;
	}
	if (rc == 1 && !worst) {
		fprintf(stderr, "vmcore-replay: kmod: the runner reported a "
			"failure (see above)\n");
		worst = 1;
	}
done:
	fflush(stdout);
	if (argv)
		for (k = first_in; argv[k]; k++)
			free((char *)argv[k]);
	free(argv);
	if (worst == 1)
		fprintf(stderr, "vmcore-replay: kmod: inputs and traces kept "
			"in %s\n", dir);
	else
		nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	return worst;
}

static int parse_ull(const char *s, unsigned long long *v)
{
	char *end;

	errno = 0;
	*v = strtoull(s, &end, 0);
	return errno || !*s || *end || *s == '-' ? -1 : 0;
}

static const char *const takes_value[] = {
	"--backend", "--geometry", "--placement", "--seed", "--ops", "--profile",
	"--arena-start", "--arena-size", "--frames", "--nodes", "--dev-frames",
	"--check-every", "--mix", "--cpus",
	NULL,
};

static int takes(const char *a)
{
	int i;

	for (i = 0; takes_value[i]; i++)
		if (!strcmp(a, takes_value[i]))
			return 1;
	return 0;
}

/* --vmallocinfo: one vmallocinfo() op after the stream's last; 0 or 2. */
static int add_vmallocinfo(struct input *in)
{
	struct vmc_op *v = realloc(in->ops, (in->n + 1) * sizeof(*v));

	if (!v) {
		fprintf(stderr, "vmcore-replay: out of memory\n");
		return 2;
	}
	in->ops = v;
	vmc_op_init(&v[in->n], VMC_OP_VMALLOCINFO);
	v[in->n].line = in->n ? v[in->n - 1].line + 1 : 1;
	in->n++;
	return 0;
}

/* Inputs in order: the generated stream, then every FILE; one that does
 * not load is reported and left out.  0, or the worst load error (2). */
static int load_all(int argc, char **argv, const struct opts *o,
		    struct input *in, size_t *nin, char *seedname)
{
	int i, after = 0, ret, worst = 0;
	int info = o->vmallocinfo && !o->print && !o->encode;

	*nin = 0;
	if (o->have_seed) {
		in[0].name = seedname;
		in[0].n = (size_t)o->nops;
		in[0].ops = vmc_op_gen(o->seed, (size_t)o->nops, o->profile);
		if (!in[0].ops) {
			fprintf(stderr, "vmcore-replay: out of memory\n");
			return 2;
		}
		if (o->kprofile == VMC_PROFILE_LINUX_6_12)
			vmc_op_gen_cpus(in[0].ops, in[0].n, o->seed,
					o->cpus ? (unsigned int)o->cpus :
					VMC_RUN_CPUS612);
		if (info && add_vmallocinfo(&in[0]))
			return 2;
		(*nin)++;
	}
	for (i = 1; i < argc; i++) {
		if (!after && argv[i][0] == '-' && argv[i][1]) {
			if (!strcmp(argv[i], "--"))
				after = 1;
			else if (takes(argv[i]))
				i++;
			continue;
		}
		in[*nin].name = strcmp(argv[i], "-") ? argv[i] :
				"(standard input)";
		ret = load(argv[i], o, &in[*nin].ops, &in[*nin].n);
		if (!ret && info)
			ret = add_vmallocinfo(&in[*nin]);
		if (ret) {
			worst = ret;
			continue;
		}
		(*nin)++;
	}
	return worst;
}

int main(int argc, char **argv)
{
	struct input *in = NULL;
	struct opts o;
	int i, nfiles = 0, worst = 0, kmod = 0, ret;
	int nstdin = 0;
	size_t nin = 0, j;
	char seedname[64], conf[4200];

	memset(&o, 0, sizeof(o));
	o.backend = "all";
	o.geometry = "x86_64";
	o.nops = 1000;
	for (i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char *val = i + 1 < argc ? argv[i + 1] : NULL;
		unsigned long long *shape = NULL;

		if (takes(a) && !val) {
			fprintf(stderr, "vmcore-replay: %s needs a value\n%s",
				a, usage);
			return 2;
		}
		if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			fputs(usage, stdout);
			return 0;
		} else if (!strcmp(a, "--version")) {
			printf("vmcore-replay (vmcore) %s\n", PACKAGE_VERSION);
			return 0;
		} else if (!strcmp(a, "--backend")) {
			o.backend = val;
			if (!strcmp(val, "linux61")) {
#ifndef VMC_HAVE_LINUX61
				fprintf(stderr, "vmcore-replay: linux61 is not "
					"built (configure found no Linux 6.1 "
					"source tarball: --with-linux-source)\n");
				return 77;
#endif
			} else if (!strcmp(val, "linux612")) {
#ifndef VMC_HAVE_LINUX612
				fprintf(stderr, "vmcore-replay: linux612 is not "
					"built (configure found no Linux 6.12 "
					"source tarball: --with-linux612-source)\n");
				return 77;
#endif
				o.kprofile = VMC_PROFILE_LINUX_6_12;
			} else if (strcmp(val, "sim") && strcmp(val, "mmap") &&
			    strcmp(val, "model") && strcmp(val, "kmod") &&
			    strcmp(val, "all")) {
				fprintf(stderr, "vmcore-replay: unknown backend "
					"'%s'\n%s", val, usage);
				return 2;
			}
		} else if (!strcmp(a, "--placement")) {
			if (strcmp(val, "linux") && strcmp(val, "exact")) {
				fprintf(stderr, "vmcore-replay: unknown placement "
					"'%s'\n%s", val, usage);
				return 2;
			}
			o.exact = !strcmp(val, "exact");
		} else if (!strcmp(a, "--geometry")) {
			o.geometry = val;
			if (strcmp(val, "x86_64") && strcmp(val, "la57") &&
			    strcmp(val, "i386")) {
				fprintf(stderr, "vmcore-replay: unknown geometry "
					"'%s'\n%s", val, usage);
				return 2;
			}
		} else if (!strcmp(a, "--seed")) {
			if (parse_ull(val, &o.seed))
				goto badnum;
			o.have_seed = 1;
		} else if (!strcmp(a, "--ops")) {
			if (parse_ull(val, &o.nops))
				goto badnum;
			if (o.nops > VMC_OP_MAX) {
				fprintf(stderr, "vmcore-replay: --ops %s: at "
					"most %d (the op limit of a stream)\n",
					val, VMC_OP_MAX);
				return 2;
			}
		} else if (!strcmp(a, "--profile") &&
			   !strncmp(val, "linux-", 6)) {
			if (!strcmp(val, "linux-6.1"))
				o.kprofile = VMC_PROFILE_LINUX_6_1;
			else if (!strcmp(val, "linux-6.12"))
				o.kprofile = VMC_PROFILE_LINUX_6_12;
			else {
				fprintf(stderr, "vmcore-replay: unknown kernel "
					"profile '%s' (linux-6.1, linux-6.12)\n",
					val);
				return 2;
			}
		} else if (!strcmp(a, "--cpus")) {
			if (parse_ull(val, &o.cpus) || !o.cpus || o.cpus > 1024)
				goto badnum;
		} else if (!strcmp(a, "--profile") || !strcmp(a, "--mix")) {
			if (!strcmp(val, "default"))
				o.profile = VMC_GEN_DEFAULT;
			else if (!strcmp(val, "sane"))
				o.profile = VMC_GEN_SANE;
			else if (!strcmp(val, "edges"))
				o.profile = VMC_GEN_EDGES;
			else
				goto badnum;
		} else if (!strcmp(a, "--arena-start")) {
			shape = &o.arena_start;
		} else if (!strcmp(a, "--arena-size")) {
			shape = &o.arena_size;
		} else if (!strcmp(a, "--frames")) {
			shape = &o.frames;
		} else if (!strcmp(a, "--nodes")) {
			shape = &o.nodes;
		} else if (!strcmp(a, "--dev-frames")) {
			shape = &o.dev_frames;
		} else if (!strcmp(a, "--nohuge")) {
			o.nohuge = 1;
		} else if (!strcmp(a, "--observe")) {
			o.observe = 1;
		} else if (!strcmp(a, "--no-kmod")) {
			o.with_kmod = 0;        /* the default */
		} else if (!strcmp(a, "--with-kmod")) {
			o.with_kmod = 1;
		} else if (!strcmp(a, "--vmallocinfo")) {
			o.vmallocinfo = 1;
		} else if (!strcmp(a, "--truncate")) {
			o.truncate = 1;
		} else if (!strcmp(a, "--trace")) {
			o.trace = 1;
		} else if (!strcmp(a, "--check-every")) {
			unsigned long long every;

			if (parse_ull(val, &every) || !every ||
			    every > VMC_RUN_EVERY_MAX) {
				fprintf(stderr, "vmcore-replay: --check-every "
					"takes a number of ops, 1 to %u (1: a "
					"full check after every op), not '%s'\n",
					VMC_RUN_EVERY_MAX, val);
				return 2;
			}
			o.check = (unsigned int)every;
		} else if (!strcmp(a, "--print")) {
			o.print = 1;
		} else if (!strcmp(a, "--encode")) {
			o.encode = 1;
		} else if (!strcmp(a, "--text")) {
			o.force = 't';
		} else if (!strcmp(a, "--binary")) {
			o.force = 'b';
		} else if (!strcmp(a, "--")) {
			nfiles += argc - i - 1;
			break;
		} else if (a[0] == '-' && a[1]) {
			fprintf(stderr, "vmcore-replay: unknown option '%s'\n%s",
				a, usage);
			return 2;
		} else {
			if (!strcmp(a, "-") && nstdin++) {
				fprintf(stderr, "vmcore-replay: - (standard "
					"input) can be given once\n");
				return 2;
			}
			nfiles++;
			continue;
		}
		if (shape) {
			if (parse_ull(val, shape) || !*shape ||
			    (shape != &o.arena_start && shape != &o.arena_size &&
			     *shape > 0xffffffffULL))
				goto badnum;
			o.shaped = 1;
		}
		if (takes(a))
			i++;
	}
	if (!nfiles && !o.have_seed) {
		fprintf(stderr, "vmcore-replay: no input\n%s", usage);
		return 2;
	}
	if (o.exact && o.kprofile == VMC_PROFILE_LINUX_6_12) {
		fprintf(stderr, "vmcore-replay: --placement exact does not go "
			"with --profile linux-6.12 (its pools are Linux's)\n");
		return 2;
	}
	if (o.exact && (!strcmp(o.backend, "linux61") ||
			!strcmp(o.backend, "kmod"))) {
		fprintf(stderr, "vmcore-replay: --placement exact does not go "
			"with --backend %s (Linux places as Linux does)\n",
			o.backend);
		return 2;
	}
	if (!strcmp(o.backend, "mmap") && !vmc_backend_find("mmap")) {
		fprintf(stderr, "vmcore-replay: this build has no mmap backend\n");
		return 2;
	}
	if (!strcmp(o.backend, "mmap") && strcmp(o.geometry, "x86_64")) {
		fprintf(stderr, "vmcore-replay: --geometry %s: the mmap backend "
			"has the host's geometry only (x86_64)\n", o.geometry);
		return 2;
	}
	if (o.with_kmod && strcmp(o.backend, "all")) {
		fprintf(stderr, "vmcore-replay: --with-kmod goes with --backend "
			"all (--backend kmod runs the module alone)\n");
		return 2;
	}
	if (o.print || o.encode) {
		/* nothing runs: the shape and engine options do not matter */
	} else if ((o.shaped || o.observe) && !strcmp(o.backend, "all")) {
		fprintf(stderr, "vmcore-replay: --arena-start, --arena-size, "
			"--frames, --nodes, --dev-frames and --observe need "
			"--backend sim, mmap, model or kmod (all runs fixed "
			"groups)\n");
		return 2;
	} else if (o.shaped && !strcmp(o.backend, "kmod")) {
		fprintf(stderr, "vmcore-replay: the kmod arena is the module's "
			"own: no --arena-start, --arena-size, --frames, "
			"--nodes, --dev-frames\n");
		return 2;
	} else if (o.observe && !strcmp(o.backend, "model")) {
		fprintf(stderr, "vmcore-replay: --observe: the model has no "
			"page tables to observe\n");
		return 2;
	} else if (o.arena_start && !strcmp(o.backend, "model")) {
		fprintf(stderr, "vmcore-replay: --arena-start: the model "
			"knows offsets only\n");
		return 2;
	}
	if (!o.print && !o.encode && !strcmp(o.backend, "kmod")) {
		if (!kmod_built(conf, sizeof(conf))) {
			fprintf(stderr, "vmcore-replay: kmod: no %s: configure "
				"found no kernel headers (--with-linux), or "
				"the module is not built (make)\n", conf);
			return 2;
		}
		kmod = 1;
	} else if (!o.print && !o.encode && o.with_kmod) {
		if (!kmod_built(conf, sizeof(conf))) {
			fprintf(stderr, "vmcore-replay: --with-kmod: no %s "
				"(configure found no kernel headers, or the "
				"module is not built)\n", conf);
			return 2;
		}
		if (!in_path("qemu-system-x86_64")) {
			fprintf(stderr, "vmcore-replay: --with-kmod: no "
				"qemu-system-x86_64 in PATH\n");
			return 2;
		}
		fprintf(stderr, "vmcore-replay: --with-kmod: after the "
			"in-process runs, one VM boot (qemu) runs every input "
			"on the kmod core; leave out --with-kmod to skip it\n");
		kmod = 1;
	}
	in = calloc((size_t)nfiles + 1, sizeof(*in));
	if (!in) {
		fprintf(stderr, "vmcore-replay: out of memory\n");
		return 2;
	}
	snprintf(seedname, sizeof(seedname), "seed %llu", o.seed);
	worst = load_all(argc, argv, &o, in, &nin, seedname);
	for (j = 0; j < nin; j++) {
		if (o.print || o.encode)
			ret = emit(in[j].ops, in[j].n, &o);
		else if (strcmp(o.backend, "kmod"))
			ret = run(in[j].name, in[j].ops, in[j].n, &o);
		else
			ret = 0;
		if (ret > worst)
			worst = ret;
	}
	if (kmod && nin) {
		ret = kmod_replay(in, nin, &o);
		if (ret > worst)
			worst = ret;
	}
	for (j = 0; j < nin; j++)
		free(in[j].ops);
	free(in);
	return worst;
badnum:
	fprintf(stderr, "vmcore-replay: bad value for %s\n%s", argv[i], usage);
	return 2;
}
