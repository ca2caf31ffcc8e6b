/* SPDX-License-Identifier: MIT */
/*
 * vmc_bench_guest.c - vmc-bench, the static program a vmrun.sh bench VM
 * runs: one VMC_KMOD_IOC_BENCH (vmc_kmod_bench.h), printed the way
 * vmcore-bench and Linux's test_vmalloc print.
 *
 *   vmc-bench -T      the ioctl boundary as TAP (bad requests refused)
 *   vmc-bench [test_loop_count=N] [test_repeat_count=N] [nr_pages=N]
 *             [use_huge=0|1] [run_test_mask=M] [seed=N] [budget_ms=N]
 *             [nr_frames=N]
 *
 * Output, for each engine (core: libvmcore on the kmod backend; kernel:
 * the kernel's own vmalloc): the `Summary: ...` line of every selected
 * test (or `Summary: NAME unsupported: why`) and `All test took
 * worker0=N cycles`; then per test and engine a `vmcore-bench: NAME
 * backend=kmod-core|kernel ...` line (the keys of vmcore-bench's, so
 * bench/plot.sh draws them; cpu_ms is the wall time: the kernel clock
 * measures both) and a `ratio: NAME core/kernel min= median= max=` line
 * over the repeats, paired as they ran (core, kernel, core, kernel).
 * Timings in a TCG guest are emulated: the header says that only these
 * ratios, within this one boot, mean something.
 *
 * Exit: 0 the run completed (tests may be unsupported; align_shift's
 * failure is by design), 1 a test failed or the run was cut short, 2 bad
 * arguments or no /dev/vmcore.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "vmc_kmod_bench.h"

static const char *const engine_label[2] = { "kmod-core", "kernel" };
static const char *const engine_what[2] = {
	"libvmcore on the kmod backend",
	"the kernel's own vmalloc",
};

static const char *status_name(int s)
{
	switch (s) {
	case VMC_KMOD_BENCH_PASS: return "pass";
	case VMC_KMOD_BENCH_FAIL: return "fail";
	case VMC_KMOD_BENCH_UNSUPPORTED: return "unsupported";
	case VMC_KMOD_BENCH_SKIPPED: return "skipped";
	case VMC_KMOD_BENCH_CANCELLED: return "cancelled";
	default: return "not-run";
	}
}

/* The parameters: name, where, 64-bit or 32-bit. */
static const struct {
	const char *key;
	size_t off;
	int wide;
} keys[] = {
	{ "test_loop_count", offsetof(struct vmc_kmod_bench, test_loop_count), 0 },
	{ "test_repeat_count", offsetof(struct vmc_kmod_bench, test_repeat_count), 0 },
	{ "nr_pages", offsetof(struct vmc_kmod_bench, nr_pages), 0 },
	{ "use_huge", offsetof(struct vmc_kmod_bench, use_huge), 0 },
	{ "budget_ms", offsetof(struct vmc_kmod_bench, budget_ms), 0 },
	{ "run_test_mask", offsetof(struct vmc_kmod_bench, run_test_mask), 1 },
	{ "seed", offsetof(struct vmc_kmod_bench, seed), 1 },
	{ "nr_frames", offsetof(struct vmc_kmod_bench, nr_frames), 1 },
};

/* KEY=VALUE into b; -1 for an unknown key or a value its field cannot
   hold (the module checks the ranges). */
static int parse(const char *arg, struct vmc_kmod_bench *b)
{
	const char *eq = strchr(arg, '=');
	unsigned long long v;
	char *end;
	size_t i, kl;

	if (!eq || !eq[1])
		return -1;
	kl = (size_t)(eq - arg);
	errno = 0;
	v = strtoull(eq + 1, &end, 0);
	if (errno || *end || eq[1] == '-')
		return -1;
	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		char *f = (char *)b + keys[i].off;

		if (strlen(keys[i].key) != kl || strncmp(arg, keys[i].key, kl))
			continue;
		if (keys[i].wide) {
			uint64_t w = v;

			memcpy(f, &w, sizeof(w));
		} else {
			uint32_t n = (uint32_t)v;

			if (v > UINT32_MAX)
				return -1;
			memcpy(f, &n, sizeof(n));
		}
		return 0;
	}
	return -1;
}

static double per_op(const struct vmc_kmod_bench_result *r, unsigned int k)
{
	return r->ops[k] ? (double)r->loop_ns[k] / (double)r->ops[k] : 0;
}

static int cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* ---------- -T: the ioctl's boundary, as TAP ---------- */

static struct vmc_kmod_bench_results st_out;

static void st_good(struct vmc_kmod_bench *b)
{
	memset(b, 0, sizeof(*b));
	b->test_loop_count = 2;
	b->test_repeat_count = 1;
	b->run_test_mask = 1;           /* fix_size_alloc_test */
	b->results = (uintptr_t)&st_out;
	b->results_len = sizeof(st_out);
}

/* Break one field of a good request (case i of self_test's table). */
static void st_break(struct vmc_kmod_bench *b, unsigned int i)
{
	switch (i) {
	case 0: b->test_loop_count = 0; break;
	case 1: b->test_loop_count = VMC_KMOD_BENCH_LOOPS_MAX + 1; break;
	case 2: b->test_repeat_count = 0; break;
	case 3: b->test_repeat_count = VMC_KMOD_BENCH_REPEAT_MAX + 1; break;
	case 4: b->nr_pages = VMC_KMOD_BENCH_PAGES_MAX + 1; break;
	case 5: b->use_huge = 2; break;
	case 6: b->run_test_mask = 1ULL << 63; break;
	case 7: b->budget_ms = VMC_KMOD_BENCH_BUDGET_MAX_MS + 1; break;
	case 8: b->flags = 1; break;
	case 9: b->reserved[3] = 1; break;
	case 10: b->results_len--; break;
	case 11: b->nr_frames = 1ULL << 40; break;
	case 12: b->results = 8; break;
	}
}

/*
 * Every malformed request starts from a good one and breaks one field, so
 * a refusal can only be for that; then the good one must run, and a run
 * with a 1 ms budget must come back cancelled rather than minutes later.
 */
static int self_test(void)
{
	static const struct {
		const char *what;
		int err;
	} cases[] = {
		{ "test_loop_count 0", EINVAL },
		{ "test_loop_count over the limit", EINVAL },
		{ "test_repeat_count 0", EINVAL },
		{ "test_repeat_count over the limit", EINVAL },
		{ "nr_pages over the limit", EINVAL },
		{ "use_huge 2", EINVAL },
		{ "a mask bit past the table", EINVAL },
		{ "budget_ms over the limit", EINVAL },
		{ "unknown flags", EINVAL },
		{ "reserved[3] set", EINVAL },
		{ "results_len one short", EINVAL },
		{ "nr_frames more than a quarter of RAM", EINVAL },
		{ "results pointer unwritable", EFAULT },
	};
	const unsigned int n = sizeof(cases) / sizeof(cases[0]);
	struct vmc_kmod_bench b;
	unsigned int i, t = 0;
	int fd = open(VMC_KMOD_DEVICE, O_RDWR), bad = 0, rc;

	if (fd < 0) {
		printf("Bail out! %s: %s\n", VMC_KMOD_DEVICE, strerror(errno));
		return 2;
	}
	printf("1..%u\n", n + 2);
	for (i = 0; i < n; i++) {
		st_good(&b);
		st_break(&b, i);
		rc = ioctl(fd, VMC_KMOD_IOC_BENCH, &b) ? errno : 0;
		printf("%sok %u - %s is %s (got %s)\n",
		       rc == cases[i].err ? "" : "not ", ++t, cases[i].what,
		       strerror(cases[i].err), rc ? strerror(rc) : "success");
		bad |= rc != cases[i].err;
	}
	st_good(&b);
	rc = ioctl(fd, VMC_KMOD_IOC_BENCH, &b) ? errno : 0;
	if (!rc && (st_out.res[0][0].status || st_out.res[1][0].status ||
		    b.cancelled))
		rc = -1;
	printf("%sok %u - a good request runs fix_size_alloc_test on both "
	       "engines\n", rc ? "not " : "", ++t);
	bad |= rc != 0;
	st_good(&b);
	b.test_loop_count = VMC_KMOD_BENCH_LOOPS_MAX;
	b.test_repeat_count = VMC_KMOD_BENCH_REPEAT_MAX;
	b.run_test_mask = 0;            /* the default set: hours at this size */
	b.budget_ms = 1;
	rc = ioctl(fd, VMC_KMOD_IOC_BENCH, &b) ? errno : 0;
	printf("%sok %u - a 1 ms budget cuts a long run short (cancelled=%u, "
	       "%s)\n", !rc && b.cancelled ? "" : "not ", ++t, b.cancelled,
	       rc ? strerror(rc) : "ioctl ok");
	bad |= rc || !b.cancelled;
	close(fd);
	return bad;
}

int main(int argc, char **argv)
{
	static struct vmc_kmod_bench_results out;
	struct vmc_kmod_bench b;
	struct utsname u;
	unsigned int e, i, k;
	int fd, bad = 0;

	if (argc == 2 && !strcmp(argv[1], "-T"))
		return self_test();
	memset(&b, 0, sizeof(b));
	b.test_loop_count = 1000;
	b.test_repeat_count = 4;
	for (i = 1; i < (unsigned int)argc; i++)
		if (parse(argv[i], &b)) {
			fprintf(stderr, "vmc-bench: bad argument '%s'\n",
				argv[i]);
			return 2;
		}
	b.results = (uintptr_t)&out;
	b.results_len = sizeof(out);
	fd = open(VMC_KMOD_DEVICE, O_RDWR);
	if (fd < 0) {
		fprintf(stderr, "vmc-bench: %s: %s\n", VMC_KMOD_DEVICE,
			strerror(errno));
		return 2;
	}
	if (ioctl(fd, VMC_KMOD_IOC_BENCH, &b)) {
		fprintf(stderr, "vmc-bench: VMC_KMOD_IOC_BENCH: %s\n",
			strerror(errno));
		close(fd);
		return errno == EINVAL ? 2 : 1;
	}
	close(fd);
	uname(&u);
	printf("# vmcore kmod bench: Linux %s, %u CPUs, %" PRIu64 " core "
	       "frames; both engines in this one boot, every repeat run "
	       "core then kernel\n", u.release, b.nr_cpus,
	       (uint64_t)b.nr_frames_used);
	printf("# timings under TCG are emulated: only the ratios within "
	       "this boot mean something\n");
	if (b.cancelled) {
		printf("# the run was cut short (budget %u ms or a signal)\n",
		       b.budget_ms);
		bad = 1;
	}
	for (e = 0; e < 2; e++) {
		printf("== %s: %s\n", engine_label[e], engine_what[e]);
		for (i = 0; i < b.nr_tests && i < VMC_KMOD_BENCH_TESTS; i++) {
			const struct vmc_kmod_bench_result *r = &out.res[e][i];
			uint64_t us = 0;

			if (!(b.run_test_mask_used >> i & 1))
				continue;
			if (r->status == VMC_KMOD_BENCH_UNSUPPORTED ||
			    r->status == VMC_KMOD_BENCH_SKIPPED ||
			    r->status == VMC_KMOD_BENCH_NOT_RUN) {
				printf("Summary: %s %s: %s\n", r->name,
				       status_name(r->status), r->why);
				continue;
			}
			for (k = 0; k < r->repeats; k++)
				us += r->usec[k];
			printf("Summary: %s passed: %u failed: %u repeat: %u "
			       "loops: %u avg: %" PRIu64 " usec\n", r->name,
			       r->passed, r->failed, b.test_repeat_count,
			       b.test_loop_count,
			       r->repeats ? us / r->repeats : 0);
		}
		printf("All test took worker0=%" PRIu64 " cycles\n",
		       (uint64_t)b.cycles[e]);
	}
	for (i = 0; i < b.nr_tests && i < VMC_KMOD_BENCH_TESTS; i++) {
		double q[VMC_KMOD_BENCH_REPEAT_MAX];
		unsigned int n = 0;

		if (!(b.run_test_mask_used >> i & 1))
			continue;
		for (e = 0; e < 2; e++) {
			const struct vmc_kmod_bench_result *r = &out.res[e][i];
			uint64_t ns = 0, ops = 0, us = 0;
			double best = 0;

			for (k = 0; k < r->repeats; k++) {
				ns += r->loop_ns[k];
				ops += r->ops[k];
				us += r->usec[k];
				if (r->ops[k] && (!best || per_op(r, k) < best))
					best = per_op(r, k);
			}
			printf("vmcore-bench: %s backend=%s worker=0 status=%s "
			       "ops=%" PRIu64 " ns/op=%.1f best_ns/op=%.1f "
			       "cpu_ms=%.1f wall_ms=%.1f live=%" PRIu64
			       " meta_bytes/area=0 purges=0%s%s\n", r->name,
			       engine_label[e], status_name(r->status), ops,
			       ops ? (double)ns / (double)ops : 0, best,
			       us / 1e3, us / 1e3, (uint64_t)r->live,
			       r->why[0] ? " why=" : "", r->why);
			if (r->status == VMC_KMOD_BENCH_FAIL &&
			    strcmp(r->name, "align_shift_alloc_test"))
				bad = 1;
			if (r->status == VMC_KMOD_BENCH_CANCELLED)
				bad = 1;
		}
		for (k = 0; k < out.res[0][i].repeats &&
		     k < out.res[1][i].repeats; k++)
			if (per_op(&out.res[0][i], k) > 0 &&
			    per_op(&out.res[1][i], k) > 0)
				q[n++] = per_op(&out.res[0][i], k) /
					per_op(&out.res[1][i], k);
		if (!n) {
			const struct vmc_kmod_bench_result *r =
				&out.res[out.res[0][i].ops[0] ? 1 : 0][i];

			printf("ratio: %s core/kernel n/a (%s: %s%s%s)\n",
			       out.res[0][i].name,
			       engine_label[r == &out.res[1][i]],
			       status_name(r->status), r->why[0] ? ": " : "",
			       r->why);
			continue;
		}
		qsort(q, n, sizeof(q[0]), cmp_d);
		printf("ratio: %s core/kernel min=%.3f median=%.3f max=%.3f "
		       "(%u paired repeats)\n", out.res[0][i].name, q[0],
		       n % 2 ? q[n / 2] : (q[n / 2 - 1] + q[n / 2]) / 2,
		       q[n - 1], n);
	}
	return bad;
}
