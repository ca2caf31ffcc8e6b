/* SPDX-License-Identifier: MIT */
/*
 * vmc_guest.c - the static program the test VM runs: it feeds op streams
 * to the vmcore module through /dev/vmcore and writes the traces back out.
 *
 * Theory
 * ------
 * vmrun.sh boots a kernel with an initramfs holding busybox, vmcore.ko,
 * this program and the input files.  The VM has no libc of its own, so this
 * is linked statically and uses nothing but open/read/write/ioctl.
 *
 *   vmc-guest [-c] -e RUNS -o OUTDIR FILE...
 *
 * runs every FILE (a binary op stream, DESIGN.md section 5) once per run in
 * RUNS and writes OUTDIR/<basename>.<run>.trace: one `# kmod ...` header
 * line that says what the trace was made on (the window, geometry and frame
 * budget the host needs to set up a sim arena of the same shape), a
 * `# what:` line when the run did not come back clean, then the trace text
 * exactly as the module returned it.  The module reports a trace that did
 * not fit (truncated=1); the buffer then doubles, up to
 * VMC_KMOD_TRACE_MAX, and the run is repeated: a run is deterministic, so
 * the repeat gives the same trace, whole.
 *
 *   vmc-guest -T
 *
 * is the self-test of the module's ioctl boundary, as TAP: every malformed
 * request must be refused with its exact errno before anything runs, and
 * a few well-formed ones (an empty stream, INFO, a pseudo-random 4 KiB
 * stream on each engine) must be accepted.  Each bad request starts from a
 * well-formed one and breaks exactly one thing, so a refusal can only be
 * for that reason; buffers are really as long as the lengths claimed
 * unless the pointer itself is what is under test.
 *
 * Exit status: 0 every run clean (or every test ok), 1 a run failed, an
 * ioctl failed or a test is not ok, 2 a usage error or no /dev/vmcore.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <time.h>
#include <sys/mman.h>
#include <sys/ioctl.h>
#include <sys/sysinfo.h>
#include <sys/wait.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vmc_kmod_uapi.h"
#include "vmc_op.h"               /* opcodes and VMC_OP_MAX */

#define ARRAY_SIZE(a)           (sizeof(a) / sizeof((a)[0]))
#define TRACE_START             (1u << 20)


/* A run kind: a name on the command line and what it asks the module. */
struct run_kind {
	const char *name;
	uint32_t engine;
	uint32_t flags;
};

static const struct run_kind run_kinds[] = {
	{ "core",      VMC_KMOD_ENGINE_CORE,  0 },
	{ "core-obs",  VMC_KMOD_ENGINE_CORE,  VMC_KMOD_OBSERVE },
	{ "linux-obs", VMC_KMOD_ENGINE_LINUX, VMC_KMOD_OBSERVE },
	{ "diff",      VMC_KMOD_ENGINE_DIFF,  0 },
};

#define MAX_RUNS                16

/* What one run of one stream came back with. */
struct result {
	struct vmc_kmod_run run;
	int err;                        /* errno: no run (why says why) */
	char why[320];                  /* "ioctl: ...", or the input's fault */
	char *trace;                    /* run.trace_used bytes of it valid */
};

/* The module's view, asked once at start, for the trace headers. */
static struct vmc_kmod_info info;
static int have_info;

static void usage(void)
{
	fprintf(stderr,
		"usage: vmc-guest [-c] -e RUNS -o OUTDIR FILE...\n"
		"       vmc-guest -T\n"
		"RUNS: comma list of core, core-obs, linux-obs, diff\n");
}

/* ------------------------------------------------------------------ */
/* Runs                                                                */
/* ------------------------------------------------------------------ */

static const struct run_kind *find_kind(const char *name, size_t len)
{
	for (size_t i = 0; i < ARRAY_SIZE(run_kinds); i++)
		if (strlen(run_kinds[i].name) == len &&
		    !strncmp(run_kinds[i].name, name, len))
			return &run_kinds[i];
	return NULL;
}

/* Parse "core,linux-obs" into kinds[]; the count, or -1 (said why). */
static int parse_runs(const char *list, const struct run_kind **kinds)
{
	int n = 0;
	const char *p = list;

	for (;;) {
		size_t len = strcspn(p, ",");
		const struct run_kind *k = find_kind(p, len);

		if (!k) {
			fprintf(stderr, "vmc-guest: unknown run '%.*s'\n",
				(int)len, p);
			return -1;
		}
		if (n == MAX_RUNS) {
			fprintf(stderr, "vmc-guest: more than %d runs\n",
				MAX_RUNS);
			return -1;
		}
		kinds[n++] = k;
		if (!p[len])
			return n;
		p += len + 1;
	}
}

static const char *base_name(const char *path)
{
	const char *slash = strrchr(path, '/');

	return slash ? slash + 1 : path;
}

/*
 * Read FILE whole into a fresh buffer: 0, *buf and *len; or an errno and
 * the reason in why.  More than VMC_KMOD_STREAM_MAX bytes is EFBIG: the
 * module would refuse it.
 */
static int read_stream(const char *path, char **buf, size_t *len,
		       char *why, size_t whylen)
{
	size_t cap = VMC_KMOD_STREAM_MAX + 1, n = 0;
	char *b = malloc(cap);
	int fd = b ? open(path, O_RDONLY) : -1;
	int err = !b ? ENOMEM : fd < 0 ? errno : 0;

	while (fd >= 0 && n < cap) {
		ssize_t r = read(fd, b + n, cap - n);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			err = r ? errno : 0;
			break;
		}
		n += (size_t)r;
	}
	if (fd >= 0)
		close(fd);
	if (fd >= 0 && !err && n > VMC_KMOD_STREAM_MAX) {
		err = EFBIG;
		snprintf(why, whylen, "%s: longer than %u bytes, the module's "
			 "stream limit", path, VMC_KMOD_STREAM_MAX);
	} else if (err) {
		snprintf(why, whylen, "%s: %s", path, strerror(err));
	}
	if (err) {
		free(b);
		return err;
	}
	*buf = b;
	*len = n;
	return 0;
}

/* One ioctl of the stream with a trace buffer of cap bytes. */
static int run_once(const struct run_kind *k, uint32_t extra,
		    const char *stream, size_t len, struct result *res,
		    size_t cap)
{
	int fd;

	free(res->trace);
	memset(res, 0, sizeof(*res));
	res->trace = malloc(cap);
	if (!res->trace) {
		res->err = ENOMEM;
		snprintf(res->why, sizeof(res->why), "no memory for a %zu byte "
			 "trace buffer", cap);
		return -1;
	}
	res->run.engine = k->engine;
	res->run.flags = k->flags | extra;
	res->run.stream = (uintptr_t)stream;
	res->run.stream_len = len;
	res->run.trace = (uintptr_t)res->trace;
	res->run.trace_len = cap;
	fd = open(VMC_KMOD_DEVICE, O_RDWR);
	if (fd < 0 || ioctl(fd, VMC_KMOD_IOC_RUN, &res->run) < 0) {
		res->err = errno;
		snprintf(res->why, sizeof(res->why), "%s: %s",
			 fd < 0 ? "open " VMC_KMOD_DEVICE : "ioctl",
			 strerror(res->err));
	}
	if (fd >= 0)
		close(fd);
	if (!res->err && res->run.trace_used > cap)
		res->run.trace_used = cap;     /* never trust past the buffer */
	return res->err ? -1 : 0;
}

/* Run until the trace fits (or the buffer is at the module's limit). */
static void run_stream(const struct run_kind *k, uint32_t extra,
		       const char *stream, size_t len, struct result *res)
{
	size_t cap = TRACE_START;

	while (run_once(k, extra, stream, len, res, cap) == 0 &&
	       res->run.truncated && cap < VMC_KMOD_TRACE_MAX) {
		cap *= 2;
		if (cap > VMC_KMOD_TRACE_MAX)
			cap = VMC_KMOD_TRACE_MAX;
	}
}

static uint64_t header_nodes(void)
{
	return have_info && info.nr_nodes ? info.nr_nodes : 1;
}

static void write_header(FILE *f, const char *kind, const char *base,
			 const struct result *res)
{
	const struct vmc_kmod_run *r = &res->run;
	int status = res->err ? -res->err : r->status;

	fprintf(f, "# kmod run=%s file=%s geometry=%.*s vstart=0x%" PRIx64
		" vend=0x%" PRIx64 " frames=%" PRIu64 " nodes=%" PRIu64
		" dev_frames=%" PRIu64 " ops=%" PRIu64 " status=%d truncated=%u"
		" dev_is_bar=%d\n",
		kind, base,
		r->geometry[0] ? (int)sizeof(r->geometry) : 1,
		r->geometry[0] ? r->geometry : "-",
		(uint64_t)r->vstart, (uint64_t)r->vend,
		(uint64_t)(r->shape.nr_frames ? r->shape.nr_frames :
			   VMC_KMOD_DEF_FRAMES),
		header_nodes(),
		(uint64_t)(r->shape.dev_frames ? r->shape.dev_frames :
			   VMC_KMOD_DEF_DEV_FRAMES), (uint64_t)r->ops,
		status, r->truncated, have_info ? (int)info.dev_is_bar : -1);
	if (res->err)
		fprintf(f, "# what: %s\n", res->why);
	else if (r->status)
		fprintf(f, "# what: %.*s\n", (int)sizeof(r->what), r->what);
}

/* OUTDIR/BASE.KIND.trace: header, then the trace bytes. 0 or -1. */
static int write_trace(const char *outdir, const char *kind,
		       const char *base, const struct result *res)
{
	char path[4096];
	FILE *f;
	int bad;

	snprintf(path, sizeof(path), "%s/%s.%s.trace", outdir, base, kind);
	f = fopen(path, "w");
	if (!f) {
		fprintf(stderr, "vmc-guest: %s: %s\n", path, strerror(errno));
		return -1;
	}
	write_header(f, kind, base, res);
	if (!res->err && res->run.trace_used)
		fwrite(res->trace, 1, res->run.trace_used, f);
	bad = ferror(f);
	if (fclose(f) || bad) {
		fprintf(stderr, "vmc-guest: %s: write failed\n", path);
		return -1;
	}
	return 0;
}

/* Report one run: its trace file and a line on stdout. 0 or -1. */
static int report_run(const char *path, const char *outdir,
		      const char *kind, const struct result *res)
{
	const char *base = base_name(path);
	int failed = write_trace(outdir, kind, base, res) != 0;

	if (res->err)
		fprintf(stderr, "vmc-guest: %s %s: %s\n", path, kind, res->why);
	else if (res->run.truncated)
		fprintf(stderr, "vmc-guest: %s %s: trace still truncated at "
			"%u bytes\n", path, kind, VMC_KMOD_TRACE_MAX);
	if (res->err || res->run.status || res->run.truncated)
		failed = 1;
	printf("vmc-guest: %s %s status=%d ops=%" PRIu64 " trace=%" PRIu64
	       "\n", base, kind, res->err ? -res->err : res->run.status,
	       (uint64_t)res->run.ops, (uint64_t)res->run.trace_used);
	fflush(stdout);
	return failed ? -1 : 0;
}

/*
 * Every run of one file; 0 all clean, 1 something failed.  An input that
 * cannot be run still gets its trace files, saying why, so that no run
 * goes missing without a word.
 */
static int run_file(const char *path, const char *outdir,
		    const struct run_kind **kinds, int nkinds, uint32_t extra)
{
	struct result res = { .trace = NULL };
	char *stream = NULL;
	size_t len = 0;
	int failed = 0;
	int err = read_stream(path, &stream, &len, res.why, sizeof(res.why));

	for (int i = 0; i < nkinds; i++) {
		if (err)
			res.err = err;
		else
			run_stream(kinds[i], extra, stream, len, &res);
		if (report_run(path, outdir, kinds[i]->name, &res))
			failed = 1;
	}
	free(res.trace);
	free(stream);
	return failed;
}

static void ask_info(int fd)
{
	memset(&info, 0, sizeof(info));
	if (ioctl(fd, VMC_KMOD_IOC_INFO, &info) == 0) {
		have_info = 1;
		return;
	}
	fprintf(stderr, "vmc-guest: %s: INFO: %s (headers say "
		"dev_is_bar=-1)\n", VMC_KMOD_DEVICE, strerror(errno));
}

/* ------------------------------------------------------------------ */
/* Self-test (-T)                                                      */
/* ------------------------------------------------------------------ */

static int tap_n, tap_failed;

static void tap(int ok, const char *fmt, ...)
{
	va_list ap;

	printf("%sok %d - ", ok ? "" : "not ", ++tap_n);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
	if (!ok)
		tap_failed = 1;
}

/* Buffers a well-formed request points at (sized for every bad case). */
static char small_stream[16];
static char *big_stream;                /* VMC_KMOD_STREAM_MAX + 1 bytes */
static char *big_trace;                 /* VMC_KMOD_TRACE_MAX + 1 bytes */

static void good_run(struct vmc_kmod_run *r)
{
	memset(r, 0, sizeof(*r));
	r->engine = VMC_KMOD_ENGINE_CORE;
	r->stream = (uintptr_t)small_stream;
	r->stream_len = sizeof(small_stream);
	r->trace = (uintptr_t)big_trace;
	r->trace_len = 1u << 20;
}

/* One malformed request: the good one with one thing broken. */
struct bad_case {
	const char *name;
	int expect;                     /* errno */
	int which;                      /* the switch in break_one() */
};

enum {
	BAD_ENGINE, BAD_FLAG, BAD_RESERVED, BAD_STREAM_LEN, BAD_TRACE_LEN,
	BAD_TRACE_ZERO, BAD_STREAM_PTR, BAD_TRACE_PTR, BAD_ARENA_ALIGN,
	BAD_ARENA_HUGE, BAD_FRAMES, BAD_DEV_FRAMES, BAD_IOCTL, BAD_INFO_RES,
	BAD_TRACE_KERNEL,
};

static const struct bad_case bad_cases[] = {
	{ "unknown engine (ENGINE_NR) is EINVAL",     EINVAL, BAD_ENGINE },
	{ "unknown flag bit 0x100 is EINVAL",         EINVAL, BAD_FLAG },
	{ "reserved[0]=1 is EINVAL",                  EINVAL, BAD_RESERVED },
	{ "stream_len STREAM_MAX+1 is EINVAL",        EINVAL, BAD_STREAM_LEN },
	{ "trace_len TRACE_MAX+1 is EINVAL",          EINVAL, BAD_TRACE_LEN },
	{ "trace_len 0 is EINVAL",                    EINVAL, BAD_TRACE_ZERO },
	{ "stream NULL with stream_len 16 is EFAULT", EFAULT, BAD_STREAM_PTR },
	{ "trace NULL with trace_len 4096 is EFAULT", EFAULT, BAD_TRACE_PTR },
	{ "trace in kernel space (access_ok) is EFAULT", EFAULT, BAD_TRACE_KERNEL },
	{ "shape.arena_size 4097 is EINVAL",          EINVAL, BAD_ARENA_ALIGN },
	{ "shape.arena_size 1<<60 is EINVAL",         EINVAL, BAD_ARENA_HUGE },
	{ "shape.nr_frames 1<<40 is EINVAL",          EINVAL, BAD_FRAMES },
	{ "shape.dev_frames 1<<40 is EINVAL",         EINVAL, BAD_DEV_FRAMES },
	{ "unknown ioctl _IO('v', 99) is ENOTTY",     ENOTTY, BAD_IOCTL },
	{ "INFO with reserved[0]=1 is EINVAL",        EINVAL, BAD_INFO_RES },
};

/* Set up the request of case `which`; the ioctl number, arg in *arg. */
static unsigned long break_one(int which, struct vmc_kmod_run *r,
			       struct vmc_kmod_info *in, void **arg)
{
	good_run(r);
	memset(in, 0, sizeof(*in));
	*arg = r;
	switch (which) {
	case BAD_ENGINE:      r->engine = VMC_KMOD_ENGINE_NR; break;
	case BAD_FLAG:        r->flags = 0x100; break;
	case BAD_RESERVED:    r->reserved[0] = 1; break;
	case BAD_STREAM_LEN:
		r->stream = (uintptr_t)big_stream;
		r->stream_len = VMC_KMOD_STREAM_MAX + 1ull;
		break;
	case BAD_TRACE_LEN:   r->trace_len = VMC_KMOD_TRACE_MAX + 1ull; break;
	case BAD_TRACE_ZERO:  r->trace_len = 0; break;
	case BAD_STREAM_PTR:  r->stream = 0; r->stream_len = 16; break;
	case BAD_TRACE_PTR:   r->trace = 0; r->trace_len = 4096; break;
	case BAD_TRACE_KERNEL: r->trace = 0xffff888000000000ull; break;
	case BAD_ARENA_ALIGN: r->shape.arena_size = 4097; break;
	case BAD_ARENA_HUGE:  r->shape.arena_size = 1ull << 60; break;
	case BAD_FRAMES:      r->shape.nr_frames = 1ull << 40; break;
	case BAD_DEV_FRAMES:  r->shape.dev_frames = 1ull << 40; break;
	case BAD_IOCTL:       return _IO(VMC_KMOD_IOC_MAGIC, 99);
	case BAD_INFO_RES:
		in->reserved[0] = 1;
		*arg = in;
		return VMC_KMOD_IOC_INFO;
	}
	return VMC_KMOD_IOC_RUN;
}

static void test_bad(int fd, const struct bad_case *c)
{
	struct vmc_kmod_run r;
	struct vmc_kmod_info in;
	void *arg;
	unsigned long cmd = break_one(c->which, &r, &in, &arg);
	int rc = ioctl(fd, cmd, arg);
	int err = rc < 0 ? errno : 0;

	tap(rc < 0 && err == c->expect, "%s", c->name);
	if (rc == 0)
		printf("# accepted (status %d, ops %" PRIu64 ")\n",
		       cmd == VMC_KMOD_IOC_RUN ? r.status : 0,
		       cmd == VMC_KMOD_IOC_RUN ? (uint64_t)r.ops : 0);
	else if (err != c->expect)
		printf("# got %s, want %s\n", strerror(err),
		       strerror(c->expect));
}

static void test_empty(int fd)
{
	struct vmc_kmod_run r;
	int rc;

	good_run(&r);
	r.stream_len = 0;
	rc = ioctl(fd, VMC_KMOD_IOC_RUN, &r);
	tap(rc == 0 && r.status == 0 && r.ops == 0,
	    "empty stream on core: ioctl 0, status 0, ops 0");
	if (rc < 0)
		printf("# ioctl: %s\n", strerror(errno));
	else if (r.status || r.ops)
		printf("# status %d ops %" PRIu64 " what: %.*s\n", r.status,
		       (uint64_t)r.ops, (int)sizeof(r.what), r.what);
}

static int is_geometry(const char *g, size_t size)
{
	return !strncmp(g, "x86_64", size) || !strncmp(g, "la57", size);
}

static void test_info(int fd)
{
	struct vmc_kmod_info in;
	int rc;

	memset(&in, 0, sizeof(in));
	rc = ioctl(fd, VMC_KMOD_IOC_INFO, &in);
	if (rc < 0) {
		tap(0, "INFO with a zero shape");
		printf("# ioctl: %s\n", strerror(errno));
		return;
	}
	tap((in.levels == 4 || in.levels == 5) && in.vend > in.vstart &&
	    is_geometry(in.geometry, sizeof(in.geometry)),
	    "INFO with a zero shape: levels 4 or 5, vend > vstart, "
	    "geometry x86_64 or la57");
	printf("# info: vstart=0x%" PRIx64 " vend=0x%" PRIx64
	       " dev_phys=0x%" PRIx64 " dev_size=0x%" PRIx64
	       " levels=%u features=0x%x nr_nodes=%u dev_is_bar=%u"
	       " geometry=%.*s\n",
	       (uint64_t)in.vstart, (uint64_t)in.vend, (uint64_t)in.dev_phys,
	       (uint64_t)in.dev_size, in.levels, in.features, in.nr_nodes,
	       in.dev_is_bar, (int)sizeof(in.geometry), in.geometry);
}

/* splitmix64: a fixed, portable byte source for the random stream. */
static uint64_t splitmix64(uint64_t *state)
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static void fill_random(char *buf, size_t len, uint64_t seed)
{
	for (size_t i = 0; i < len; i += 8) {
		uint64_t v = splitmix64(&seed);

		for (size_t j = 0; j < 8 && i + j < len; j++)
			buf[i + j] = (char)(v >> (8 * j));
	}
}

static void test_random(int fd, const struct run_kind *k)
{
	static char stream[4 << 10];
	struct vmc_kmod_run r;
	int rc;

	fill_random(stream, sizeof(stream), 0x766d636f7265ull);
	good_run(&r);
	r.engine = k->engine;
	r.flags = k->flags;
	r.stream = (uintptr_t)stream;
	r.stream_len = sizeof(stream);
	r.trace_len = 4u << 20;
	/* The core engine's default budget on every engine: a diff run's own
	   (65536 frames) lets the random stream's big areas succeed, which
	   costs seconds under TCG and tests nothing more here. */
	r.shape.nr_frames = VMC_KMOD_DEF_FRAMES;
	rc = ioctl(fd, VMC_KMOD_IOC_RUN, &r);
	tap(rc == 0 && (r.status == 0 || r.status == 1),
	    "4 KiB random stream on %s: ioctl 0, status 0 or 1", k->name);
	if (rc < 0)
		printf("# ioctl: %s\n", strerror(errno));
	else
		printf("# status %d ops %" PRIu64 " trace %" PRIu64
		       " truncated %u%s%.*s\n", r.status, (uint64_t)r.ops,
		       (uint64_t)r.trace_used, r.truncated,
		       r.status ? " what: " : "",
		       r.status ? (int)sizeof(r.what) : 0, r.what);
}

/* ---- the run's bounds (vmc_kmod_uapi.h, Bounds) ---- */

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static size_t count_lines(const char *buf, uint64_t len)
{
	size_t n = 0;

	for (uint64_t i = 0; i < len; i++)
		n += buf[i] == '\n';
	return n;
}

/* A trace buffer whose second page is not mapped: EFAULT before the run. */
static void test_short_trace(int fd)
{
	long pg = sysconf(_SC_PAGESIZE);
	struct vmc_kmod_run r;
	char *m = mmap(NULL, 2 * (size_t)pg, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	int rc, err;

	if (m == MAP_FAILED || munmap(m + pg, (size_t)pg)) {
		tap(0, "trace buffer mapped for one page of two is EFAULT "
		    "(no mapping: %s)", strerror(errno));
		return;
	}
	good_run(&r);
	r.trace = (uintptr_t)m;
	r.trace_len = 2 * (uint64_t)pg;
	rc = ioctl(fd, VMC_KMOD_IOC_RUN, &r);
	err = rc < 0 ? errno : 0;
	tap(rc < 0 && err == EFAULT && r.ops == 0,
	    "trace buffer mapped for one page of two is EFAULT before the run");
	if (rc == 0 || err != EFAULT)
		printf("# rc %d errno %s ops %" PRIu64 "\n", rc, strerror(err),
		       (uint64_t)r.ops);
	munmap(m, (size_t)pg);
}

/* 4 GiB of window in a guest with less RAM cannot be vmap()ed. */
static void test_arena_ram(int fd)
{
	struct vmc_kmod_run r;
	struct sysinfo si;
	int rc, err;

	if (sysinfo(&si) || (uint64_t)si.totalram * si.mem_unit >= (4ull << 30)) {
		printf("ok %d - # SKIP arena_size 4 GiB: the guest has 4 GiB "
		       "of RAM or more\n", ++tap_n);
		return;
	}
	good_run(&r);
	r.shape.arena_size = 4ull << 30;
	rc = ioctl(fd, VMC_KMOD_IOC_RUN, &r);
	err = rc < 0 ? errno : 0;
	tap(rc < 0 && err == EINVAL, "shape.arena_size 4 GiB (more than the "
	    "guest's RAM) is EINVAL at validation");
	if (rc == 0)
		printf("# accepted: status %d what %.*s\n", r.status,
		       (int)sizeof(r.what), r.what);
}

/* max_ops: the run stops after that many ops, status 2, trace so far. */
static void test_op_budget(int fd)
{
	static char stream[4 << 10];
	struct vmc_kmod_run r;
	int rc;

	fill_random(stream, sizeof(stream), 0x766d636f7265ull);
	good_run(&r);
	r.stream = (uintptr_t)stream;
	r.stream_len = sizeof(stream);
	r.max_ops = 3;
	rc = ioctl(fd, VMC_KMOD_IOC_RUN, &r);
	tap(rc == 0 && r.status == 2 && r.ops > 3 &&
	    count_lines(big_trace, r.trace_used) == 3 &&
	    strstr(r.what, "op budget"),
	    "max_ops 3: status 2, three trace lines, what names the op budget");
	printf("# rc %d status %d ops %" PRIu64 " lines %zu what: %.*s\n", rc,
	       r.status, (uint64_t)r.ops, count_lines(big_trace, r.trace_used),
	       (int)sizeof(r.what), r.what);
}

/* A stream that runs for hours with the check flag (the case). */
static void long_run(struct vmc_kmod_run *r)
{
	fill_random(big_stream, VMC_KMOD_STREAM_MAX, 0x6c6f6e67ull);
	good_run(r);
	r->flags = VMC_KMOD_CHECK;
	r->stream = (uintptr_t)big_stream;
	r->stream_len = VMC_KMOD_STREAM_MAX;
	r->trace_len = VMC_KMOD_TRACE_MAX;
}

static void test_time_budget(int fd)
{
	/* Budgets from long to short: the first that the stream outlasts
	   (status 2, "time budget", the trace so far) passes.  How fast the
	   1024 ops run depends on the core and the machine, so no single
	   budget is sure to be spent (500 ms stopped being once the core got
	   faster), and a budget shorter than the engines' setup would stop
	   the run before its first op. */
	static const unsigned int ms[] = { 500, 200, 100, 50, 20, 10, 5, 2, 1 };
	struct vmc_kmod_run r;
	double t0, dt = 0;
	unsigned int i, used = 0;
	int rc = -1, ok = 0;

	for (i = 0; i < sizeof(ms) / sizeof(ms[0]) && !ok; i++) {
		long_run(&r);
		r.max_ms = ms[i];
		t0 = now_s();
		rc = ioctl(fd, VMC_KMOD_IOC_RUN, &r);
		dt = now_s() - t0;
		ok = rc == 0 && r.status == 2 && strstr(r.what, "time budget") &&
		     r.trace_used > 0 && dt < 30;
		used = ms[i];
		printf("# max_ms %u: rc %d status %d ops %" PRIu64 " lines %zu "
		       "what: %.*s\n", ms[i], rc, r.status, (uint64_t)r.ops,
		       count_lines(big_trace, r.trace_used),
		       (int)sizeof(r.what), r.what);
	}
	tap(ok, "max_ms %u on a 4 MiB stream with checks: status 2 with the "
	    "trace so far, back in %.1f s", used, dt);
	good_run(&r);
	r.max_ms = VMC_KMOD_MAX_MS + 1;
	rc = ioctl(fd, VMC_KMOD_IOC_RUN, &r);
	tap(rc < 0 && errno == EINVAL, "max_ms MAX_MS+1 is EINVAL");
}

/*
 * A run that takes minutes whatever the core's speed: r0 = vmalloc of
 * 4 MiB, then write(r0, off=0, len=4 MiB) until the op limit, with checks.
 * (The random 4 MiB stream of long_run is cut at VMC_OP_MAX ops, and the
 * core runs those in half a second now: too short to be killed in.)
 * Binary form (fuzz/vmc_op_bin.c): NUM 0x23 0xff is (3 << 8 | 255) + 1 =
 * 1024 pages, NUM 0x00 is 0, NUM 0x01 is 1.
 */
static void slow_run(struct vmc_kmod_run *r)
{
	static const char alloc[] = { VMC_OP_VMALLOC, 0, 0, 0x23, (char)0xff };
	static const char write[] = { VMC_OP_WRITE, 0, 0x00, 0x23, (char)0xff,
				      0x01 };
	size_t n = sizeof(alloc), k;

	_Static_assert(sizeof(alloc) + (VMC_OP_MAX - 1) * sizeof(write) <=
		       VMC_KMOD_STREAM_MAX, "the slow stream fits big_stream");
	memcpy(big_stream, alloc, sizeof(alloc));
	for (k = 1; k < VMC_OP_MAX; k++, n += sizeof(write))
		memcpy(big_stream + n, write, sizeof(write));
	good_run(r);
	r->flags = VMC_KMOD_CHECK;
	r->stream = (uintptr_t)big_stream;
	r->stream_len = n;
}

/*
 * SIGKILL a caller in the middle of a run that would take minutes: it
 * must be reaped within seconds (fatal_signal_pending between ops), and
 * the device must be free again right after.
 */
static void test_kill(int fd)
{
	struct vmc_kmod_run r;
	int go[2], status = 0, rc;
	double t0, dt;
	char c;
	pid_t pid;

	if (pipe(go)) {
		tap(0, "SIGKILL during a run (no pipe)");
		return;
	}
	/* The kill below comes 1 s into the run: the run must outlast 2 s. */
	slow_run(&r);
	r.max_ms = 2000;
	rc = ioctl(fd, VMC_KMOD_IOC_RUN, &r);
	tap(rc == 0 && r.status == 2 && strstr(r.what, "time budget"),
	    "the slow stream outlasts a 2 s budget (status %d, %" PRIu64
	    " ops)", r.status, (uint64_t)r.ops);
	slow_run(&r);
	r.max_ms = VMC_KMOD_MAX_MS;
	pid = fork();
	if (pid == 0) {
		close(go[0]);
		if (write(go[1], "x", 1) != 1)
			_exit(3);
		ioctl(fd, VMC_KMOD_IOC_RUN, &r);
		_exit(4);               /* the run ended: it was not killed */
	}
	close(go[1]);
	if (pid < 0 || read(go[0], &c, 1) != 1) {
		tap(0, "SIGKILL during a run (fork failed)");
		return;
	}
	close(go[0]);
	usleep(1000 * 1000);            /* well inside the ioctl by now */
	t0 = now_s();
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	dt = now_s() - t0;
	if (!WIFSIGNALED(status))
		printf("# the child was not killed: it exited %d (4: its run "
		       "had ended)\n", WIFEXITED(status) ? WEXITSTATUS(status) :
		       -1);
	tap(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL && dt < 10,
	    "SIGKILL in the middle of a minutes-long run: reaped in %.2f s",
	    dt);
	good_run(&r);
	r.stream_len = 0;
	t0 = now_s();
	rc = ioctl(fd, VMC_KMOD_IOC_RUN, &r);
	tap(rc == 0 && r.status == 0 && now_s() - t0 < 10,
	    "the device is free right after (empty run: ioctl %d)", rc);
}

static int self_test(void)
{
	int fd = open(VMC_KMOD_DEVICE, O_RDWR);

	if (fd < 0) {
		printf("Bail out! %s: %s\n", VMC_KMOD_DEVICE, strerror(errno));
		return 2;
	}
	big_stream = calloc(1, VMC_KMOD_STREAM_MAX + 1ull);
	big_trace = malloc(VMC_KMOD_TRACE_MAX + 1ull);
	if (!big_stream || !big_trace) {
		printf("Bail out! out of memory\n");
		return 2;
	}
	printf("1..%zu\n", ARRAY_SIZE(bad_cases) + 13);
	for (size_t i = 0; i < ARRAY_SIZE(bad_cases); i++)
		test_bad(fd, &bad_cases[i]);
	test_empty(fd);
	test_info(fd);
	test_random(fd, &run_kinds[1]);         /* core-obs */
	test_random(fd, &run_kinds[2]);         /* linux-obs */
	test_random(fd, &run_kinds[3]);         /* diff */
	test_short_trace(fd);
	test_arena_ram(fd);
	test_op_budget(fd);
	test_time_budget(fd);
	test_kill(fd);
	close(fd);
	free(big_stream);
	free(big_trace);
	return tap_failed;
}

/* ------------------------------------------------------------------ */

int main(int argc, char **argv)
{
	const struct run_kind *kinds[MAX_RUNS];
	const char *runs = "core,core-obs,linux-obs", *outdir = NULL;
	uint32_t extra = 0;
	int opt, nkinds, self = 0, failed = 0, fd;

	while ((opt = getopt(argc, argv, "ce:o:T")) != -1) {
		switch (opt) {
		case 'c': extra |= VMC_KMOD_CHECK; break;
		case 'e': runs = optarg; break;
		case 'o': outdir = optarg; break;
		case 'T': self = 1; break;
		default: usage(); return 2;
		}
	}
	if (self) {
		if (optind != argc) {
			usage();
			return 2;
		}
		return self_test();
	}
	nkinds = parse_runs(runs, kinds);
	if (nkinds < 0 || !outdir || optind == argc) {
		usage();
		return 2;
	}
	fd = open(VMC_KMOD_DEVICE, O_RDWR);
	if (fd < 0) {
		fprintf(stderr, "vmc-guest: %s: %s\n", VMC_KMOD_DEVICE,
			strerror(errno));
		return 2;
	}
	ask_info(fd);
	close(fd);
	for (int i = optind; i < argc; i++)
		failed |= run_file(argv[i], outdir, kinds, nkinds, extra);
	return failed ? 1 : 0;
}
