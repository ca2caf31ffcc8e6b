/* SPDX-License-Identifier: MIT */
/*
 * fuzz_main.c - a main() for the fuzz targets when no libFuzzer is linked.
 *
 * Every fuzz target (fuzz_diff.c, fuzz_sim.c, fuzz_mmap.c) is one
 * LLVMFuzzerTestOneInput.  Linked with clang -fsanitize=fuzzer, libFuzzer
 * supplies main().  Linked with this file instead it becomes:
 *
 *   a replay driver (any compiler, what `make check` runs):
 *       fuzz_diff_replay FILE|DIR ...
 *     feeds every file, and every entry of every directory (sorted, not
 *     recursive, dot files skipped), to LLVMFuzzerTestOneInput once.
 *     Files named *.txt are op streams in text form: they are parsed and
 *     encoded to the binary form first, so hand-written seeds and the text
 *     regression files in corpus/regress/ replay without a conversion step.
 *     With no argument it replays the default corpus directories compiled
 *     in as VMC_FUZZ_CORPUS (colon-separated), or $VMC_FUZZ_CORPUS.
 *     Output is TAP, one line per input; a failing input aborts in the
 *     target with its op printed, which the TAP driver reports.
 *
 *   an AFL++ persistent-mode harness (built by afl-clang-fast, which
 *   defines __AFL_FUZZ_TESTCASE_LEN): with no argument the test cases come
 *   from AFL's shared memory, 10000 per fork; with arguments it replays
 *   them as above (for afl-tmin and reproducing crashes by hand).
 *
 * The targets create and destroy everything per input, so inputs never
 * influence each other and the persistent loop stays deterministic.
 */
#define _POSIX_C_SOURCE 200809L
#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vmc_op.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
/* Optional in a target; this driver calls it when present. */
int LLVMFuzzerInitialize(int *argc, char ***argv) __attribute__((weak));

#ifndef VMC_FUZZ_CORPUS
#define VMC_FUZZ_CORPUS ""
#endif

static unsigned long fm_count;  /* inputs run so far (TAP numbering) */
static int fm_failed;           /* inputs that could not be run */

static int fm_has_suffix(const char *s, const char *suffix)
{
	size_t ls = strlen(s), lx = strlen(suffix);

	return ls >= lx && strcmp(s + ls - lx, suffix) == 0;
}

/* Read a whole file; malloc'ed, *len bytes (plus a NUL not counted). */
static uint8_t *fm_read(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf = NULL, *nb;
	size_t cap = 0, n = 0, got;

	if (!f)
		return NULL;
	for (;;) {
		if (cap - n < 65536) {
			cap = cap ? cap * 2 : 65536;
			nb = realloc(buf, cap + 1);
			if (!nb) {
				free(buf);
				fclose(f);
				return NULL;
			}
			buf = nb;
		}
		got = fread(buf + n, 1, cap - n, f);
		n += got;
		if (got == 0)
			break;
	}
	if (ferror(f)) {
		free(buf);
		fclose(f);
		return NULL;
	}
	fclose(f);
	buf[n] = 0;
	*len = n;
	return buf;
}

/* Run one input file through the target; TAP line afterwards. */
static void fm_run_file(const char *path)
{
	uint8_t *data, *bin;
	struct vmc_op *ops;
	size_t len, n, blen;
	char err[256];

	data = fm_read(path, &len);
	fm_count++;
	if (!data) {
		printf("not ok %lu - %s: %s\n", fm_count, path, strerror(errno));
		fm_failed++;
		return;
	}
	if (fm_has_suffix(path, ".txt")) {
		if (vmc_op_parse((const char *)data, len, &ops, &n, err,
				 sizeof(err)) != 0) {
			printf("not ok %lu - %s:%s\n", fm_count, path, err);
			fm_failed++;
			free(data);
			return;
		}
		if (vmc_op_text_only(ops, n)) {
			/* vmcore-replay (tests/replay_corpus.sh) runs it. */
			printf("ok %lu - %s # SKIP config(): text only, the "
			       "fuzz targets read binary\n", fm_count, path);
			free(ops);
			free(data);
			return;
		}
		bin = vmc_op_encode(ops, n, &blen);
		free(ops);
		free(data);
		if (!bin) {
			printf("not ok %lu - %s: encode failed\n", fm_count, path);
			fm_failed++;
			return;
		}
		data = bin;
		len = blen;
	}
	/* Say what runs before it runs: an abort names the input. */
	fprintf(stderr, "# running %s (%zu bytes)\n", path, len);
	LLVMFuzzerTestOneInput(data, len);
	free(data);
	printf("ok %lu - %s\n", fm_count, path);
	fflush(stdout);
}

static int fm_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void fm_run_path(const char *path)
{
	struct stat st;
	struct dirent *de;
	char **names = NULL, **nn, *full;
	size_t n = 0, cap = 0, i;
	DIR *d;

	if (stat(path, &st) != 0 || !S_ISDIR(st.st_mode)) {
		fm_run_file(path);
		return;
	}
	d = opendir(path);
	if (!d) {
		printf("not ok %lu - %s: %s\n", ++fm_count, path,
		       strerror(errno));
		fm_failed++;
		return;
	}
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.' || strcmp(de->d_name, "README") == 0)
			continue;
		full = malloc(strlen(path) + strlen(de->d_name) + 2);
		if (!full)
			break;
		sprintf(full, "%s/%s", path, de->d_name);
		if (stat(full, &st) != 0 || !S_ISREG(st.st_mode)) {
			free(full);
			continue;
		}
		if (n == cap) {
			cap = cap ? cap * 2 : 64;
			nn = realloc(names, cap * sizeof(*names));
			if (!nn) {
				free(full);
				break;
			}
			names = nn;
		}
		names[n++] = full;
	}
	closedir(d);
	if (n)          /* qsort may not be given NULL, even for 0 items */
		qsort(names, n, sizeof(*names), fm_cmp);
	for (i = 0; i < n; i++) {
		fm_run_file(names[i]);
		free(names[i]);
	}
	free(names);
}

/* Replay the colon-separated list of files and directories in `list`. */
static void fm_run_list(const char *list)
{
	char *copy = strdup(list), *p, *save = NULL;

	if (!copy)
		return;
	for (p = strtok_r(copy, ":", &save); p; p = strtok_r(NULL, ":", &save))
		if (*p)
			fm_run_path(p);
	free(copy);
}

#ifdef __AFL_FUZZ_TESTCASE_LEN
__AFL_FUZZ_INIT();
#endif

int main(int argc, char **argv)
{
	const char *list;
	int i;

	if (LLVMFuzzerInitialize)
		LLVMFuzzerInitialize(&argc, &argv);
#ifdef __AFL_FUZZ_TESTCASE_LEN
	if (argc < 2) {
		/* AFL++ persistent mode, test cases in shared memory. */
		unsigned char *buf;

		__AFL_INIT();
		buf = __AFL_FUZZ_TESTCASE_BUF;
		while (__AFL_LOOP(10000))
			LLVMFuzzerTestOneInput(buf, __AFL_FUZZ_TESTCASE_LEN);
		return 0;
	}
#endif
	if (argc >= 2) {
		for (i = 1; i < argc; i++)
			fm_run_path(argv[i]);
	} else {
		list = getenv("VMC_FUZZ_CORPUS");
		if (!list || !*list)
			list = VMC_FUZZ_CORPUS;
		if (!*list) {
			fprintf(stderr, "usage: %s FILE|DIR ...\n", argv[0]);
			return 2;
		}
		fm_run_list(list);
	}
	printf("1..%lu\n", fm_count);
	return fm_failed ? 1 : 0;
}
