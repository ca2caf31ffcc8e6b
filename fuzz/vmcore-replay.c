/*
 * vmcore-replay - run op streams (text or binary) through the engines,
 * print them, convert them, or generate them.
 *
 * Input format: a file is read as text when every byte is printable ASCII
 * or white space and its first non-blank character is '#' or a letter
 * (an empty file is text: no ops); anything else is binary.  --text and
 * --binary force one.  A text file that does not parse is an error
 * (exit 2, "FILE:LINE:COL: message").
 *
 * Exit status: 0 all streams ran clean; 1 a mismatch or a broken
 * invariant (the message names the file, the op's line and the first
 * differing trace lines or the invariant); 2 usage, I/O or parse errors,
 * or an engine that cannot be set up.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vmc_backends.h"
#include "vmc_op.h"
#include "vmc_op_gen.h"
#include "vmc_run.h"

static const char usage[] =
"usage: vmcore-replay [options] FILE...\n"
"       vmcore-replay [options] --seed N --ops N\n"
"Run op streams (DESIGN.md section 5) and compare the engines' traces.\n"
"  --backend B     sim | mmap | model | all (default all: every default\n"
"                  differential group, model + core engines per geometry)\n"
"  --geometry G    x86_64 (default) | la57 | i386 (sim and model)\n"
"  --nohuge        no huge leaves (sim and model)\n"
"  --trace         print every op with its result\n"
"  --check-every   full invariant check after every op (always at the end)\n"
"  --print         print the streams as canonical text; run nothing\n"
"  --encode        write the streams in binary to stdout; run nothing\n"
"  --text          read every FILE as text\n"
"  --binary        read every FILE as binary\n"
"  --seed N        generate a random stream from seed N (with --ops)\n"
"  --ops N         length of the generated stream (default 1000)\n"
"  --profile P     generator mix: default | sane | edges\n"
"  --help          this text\n"
"Exit: 0 clean, 1 mismatch or broken invariant, 2 usage or parse error.\n";

struct opts {
	const char *backend, *geometry;
	int nohuge, trace, check, print, encode, force; /* force: 't' / 'b' */
	int have_seed;
	unsigned long long seed, nops;
	enum vmc_gen_profile profile;
};

static int read_file(const char *path, char **buf, size_t *len)
{
	FILE *f = fopen(path, "rb");
	size_t cap = 4096, n = 0;
	char *b;

	if (!f)
		return -errno;
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
	if (!b || ferror(f)) {
		free(b);
		fclose(f);
		return -EIO;
	}
	fclose(f);
	*buf = b;
	*len = n;
	return 0;
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

/* The ops of one file; 0, or 2 after printing the error. */
static int load(const char *path, const struct opts *o, struct vmc_op **ops,
		size_t *n)
{
	char *buf = NULL, err[256];
	size_t len = 0;
	int ret = read_file(path, &buf, &len);

	if (ret) {
		fprintf(stderr, "vmcore-replay: %s: %s\n", path, strerror(-ret));
		return 2;
	}
	if (o->force == 't' || (o->force != 'b' && looks_like_text(buf, len))) {
		if (vmc_op_parse(buf, len, ops, n, err, sizeof(err))) {
			fprintf(stderr, "%s:%s\n", path, err);
			free(buf);
			return 2;
		}
	} else {
		*ops = vmc_op_decode((const uint8_t *)buf, len, n);
		if (!*ops) {
			fprintf(stderr, "vmcore-replay: out of memory\n");
			free(buf);
			return 2;
		}
	}
	free(buf);
	return 0;
}

static int emit(const struct vmc_op *ops, size_t n, const struct opts *o)
{
	char line[512];
	size_t i, len;
	uint8_t *bin;

	if (o->encode) {
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

static int run(const char *name, const struct vmc_op *ops, size_t n,
	       const struct opts *o)
{
	unsigned int flags = (o->trace ? VMC_RUN_TRACE : 0) |
			     (o->check ? VMC_RUN_CHECK : 0);
	struct vmc_run_report rep;
	struct vmc_engine_spec spec;
	int ret;

	if (!strcmp(o->backend, "all")) {
		ret = vmc_run_groups(ops, n, flags, stdout, &rep);
	} else {
		memset(&spec, 0, sizeof(spec));
		spec.cfg.geometry = o->geometry;
		spec.cfg.nohuge = o->nohuge;
		spec.cfg.arena_size = strcmp(o->geometry, "i386") ?
				      1ULL << 30 : 0;
		spec.cfg.nr_frames = 8192;
		spec.cfg.nr_nodes = 2;
		spec.cfg.dev_frames = 1024;
		spec.label = o->backend;
		if (!strcmp(o->backend, "sim")) {
			spec.ops = &vmc_engine_core_sim;
		} else if (!strcmp(o->backend, "mmap")) {
			spec.ops = &vmc_engine_core_mmap;
			spec.cfg.nohuge = true;
		} else {
			spec.ops = &vmc_engine_model;
		}
		ret = vmc_run(ops, n, &spec, 1, flags, stdout, &rep);
	}
	fflush(stdout);
	if (ret < 0) {
		fprintf(stderr, "vmcore-replay: %s: %s\n", name, rep.what);
		return 2;
	}
	if (ret) {
		fprintf(stderr, "vmcore-replay: %s: %s\n", name, rep.what);
		return 1;
	}
	return 0;
}

static int parse_ull(const char *s, unsigned long long *v)
{
	char *end;

	errno = 0;
	*v = strtoull(s, &end, 0);
	return errno || !*s || *end || *s == '-' ? -1 : 0;
}

/* Load one file and print, encode or run it; 0, 1 or 2 as main returns. */
static int replay_file(const char *path, const struct opts *o)
{
	struct vmc_op *ops;
	size_t n;
	int ret;

	ret = load(path, o, &ops, &n);
	if (ret)
		return ret;
	ret = o->print || o->encode ? emit(ops, n, o) : run(path, ops, n, o);
	free(ops);
	return ret;
}

int main(int argc, char **argv)
{
	struct opts o;
	int i, nfiles = 0, worst = 0;

	memset(&o, 0, sizeof(o));
	o.backend = "all";
	o.geometry = "x86_64";
	o.nops = 1000;
	for (i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char *val = i + 1 < argc ? argv[i + 1] : NULL;
		int takes = !strcmp(a, "--backend") || !strcmp(a, "--geometry") ||
			    !strcmp(a, "--seed") || !strcmp(a, "--ops") ||
			    !strcmp(a, "--profile");

		if (takes && !val) {
			fprintf(stderr, "vmcore-replay: %s needs a value\n%s",
				a, usage);
			return 2;
		}
		if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			fputs(usage, stdout);
			return 0;
		} else if (!strcmp(a, "--backend")) {
			o.backend = val;
			if (strcmp(val, "sim") && strcmp(val, "mmap") &&
			    strcmp(val, "model") && strcmp(val, "all")) {
				fprintf(stderr, "vmcore-replay: unknown backend "
					"'%s'\n%s", val, usage);
				return 2;
			}
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
			if (parse_ull(val, &o.nops) || o.nops > VMC_OP_MAX)
				goto badnum;
		} else if (!strcmp(a, "--profile")) {
			if (!strcmp(val, "default"))
				o.profile = VMC_GEN_DEFAULT;
			else if (!strcmp(val, "sane"))
				o.profile = VMC_GEN_SANE;
			else if (!strcmp(val, "edges"))
				o.profile = VMC_GEN_EDGES;
			else
				goto badnum;
		} else if (!strcmp(a, "--nohuge")) {
			o.nohuge = 1;
		} else if (!strcmp(a, "--trace")) {
			o.trace = 1;
		} else if (!strcmp(a, "--check-every")) {
			o.check = 1;
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
			nfiles++;
			continue;
		}
		if (takes)
			i++;
	}
	if (!nfiles && !o.have_seed) {
		fprintf(stderr, "vmcore-replay: no input\n%s", usage);
		return 2;
	}
	if (!strcmp(o.backend, "mmap") && !vmc_backend_find("mmap")) {
		fprintf(stderr, "vmcore-replay: this build has no mmap backend\n");
		return 2;
	}
	if (o.have_seed) {
		struct vmc_op *ops = vmc_op_gen(o.seed, (size_t)o.nops, o.profile);
		char name[64];

		if (!ops) {
			fprintf(stderr, "vmcore-replay: out of memory\n");
			return 2;
		}
		snprintf(name, sizeof(name), "seed %llu", o.seed);
		worst = o.print || o.encode ? emit(ops, (size_t)o.nops, &o) :
			run(name, ops, (size_t)o.nops, &o);
		free(ops);
	}
	for (i = 1; i < argc; i++) {
		int ret;

		if (argv[i][0] == '-' && argv[i][1]) {
			if (!strcmp(argv[i], "--"))
				break;
			if (!strcmp(argv[i], "--backend") ||
			    !strcmp(argv[i], "--geometry") ||
			    !strcmp(argv[i], "--seed") ||
			    !strcmp(argv[i], "--ops") ||
			    !strcmp(argv[i], "--profile"))
				i++;
			continue;
		}
		ret = replay_file(argv[i], &o);
		if (ret > worst)
			worst = ret;
	}
	for (i++; i < argc; i++) {      /* after "--": all files */
		int ret = replay_file(argv[i], &o);

		if (ret > worst)
			worst = ret;
	}
	return worst;
badnum:
	fprintf(stderr, "vmcore-replay: bad value for %s\n%s", argv[i], usage);
	return 2;
}
