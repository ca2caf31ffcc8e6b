/* SPDX-License-Identifier: MIT */
/*
 * test_meta.c - core metadata is accounted, matched to owners, never lost.
 *
 * Runs per backend (VMC_BACKEND).  Three parts:
 *
 *   1. The stats count each kind as the calls make and free it:
 *        p = vmalloc(3 pages)       +1 vm struct, +1 page array, +2 vmap areas
 *                                   (the free space splits around it)
 *        q = vm_map_ram(3 pages)    +3 vmap-block records (block, pfns, bits)
 *        r = vm_map_ram(70 pages)   +1 vm_map_ram record (more than 64 pages)
 *      and everything returns to the figures before once freed and purged.
 *   2. vmc_check() matches the counts to the live objects: a record of a
 *      kind with no owner (what an error path that forgets a free leaves)
 *      is invariant 6, naming the kind and both figures.
 *   3. vmc_arena_destroy() with such a record left panics with "metadata
 *      leak" and the kind, in every build (a child process shows it).
 */
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "vmc_test.h"
#include "vmc_internal.h"

#define PG VMC_PAGE_SIZE
#define NF 80

static struct vmc_arena *new_arena(void)
{
	struct vmc_arena_config cfg;

	memset(&cfg, 0, sizeof(cfg));
	cfg.nr_frames = 4096;
	cfg.size = 64UL << 20;
	cfg.flags = VMC_ARENA_QUIET;
	return vt_arena_cfg(&cfg);
}

static void stats(struct vmc_arena *a, struct vmc_stats *st)
{
	vmc_get_stats(a, st);
}

static void test_counts(void)
{
	struct vmc_arena *a = new_arena();
	struct vmc_stats s0, s1, s2, s3, s4;
	unsigned long f[NF];
	unsigned int i, k;
	void *p, *q, *r;
	bool same = true;

	for (i = 0; i < NF; i++)
		if (vmc_frame_alloc(a, VMC_NUMA_NO_NODE, &f[i]))
			tap_diag("frame %u not allocated", i);
	stats(a, &s0);
	tap_ok(s0.meta_live[VMC_META_VA] >= 1 && s0.meta_live[VMC_META_VM] == 0 &&
	       s0.meta_bytes[VMC_META_VA] ==
	       s0.meta_live[VMC_META_VA] * sizeof(struct vmc_va),
	       "fresh arena: %lu vmap areas of %zu bytes, no vm struct",
	       s0.meta_live[VMC_META_VA], sizeof(struct vmc_va));

	p = vmc_vmalloc(a, 3 * PG);
	stats(a, &s1);
	tap_ok(p && s1.meta_live[VMC_META_VM] == 1 &&
	       s1.meta_bytes[VMC_META_VM] == sizeof(struct vmc_vm) &&
	       s1.meta_live[VMC_META_PAGES] == 1 &&
	       s1.meta_bytes[VMC_META_PAGES] == 3 * sizeof(uint64_t) &&
	       s1.meta_live[VMC_META_VA] == s0.meta_live[VMC_META_VA] + 2,
	       "vmalloc(3 pages): one vm struct, one 3-entry page array, two "
	       "more vmap areas (the busy one, the free one its split leaves)");
	q = vmc_vm_map_ram(a, f, 3, VMC_NUMA_NO_NODE);
	stats(a, &s2);
	tap_ok(q && s2.meta_live[VMC_META_VB] == 3 &&
	       s2.meta_live[VMC_META_RAM] == 0,
	       "vm_map_ram(3 pages): a vmap block, 3 records (%lu bytes)",
	       s2.meta_bytes[VMC_META_VB]);
	r = vmc_vm_map_ram(a, f + 3, 70, VMC_NUMA_NO_NODE);
	stats(a, &s3);
	tap_ok(r && s3.meta_live[VMC_META_RAM] == 1 &&
	       s3.meta_bytes[VMC_META_RAM] ==
	       sizeof(struct vmc_ram) + 70 * sizeof(unsigned long),
	       "vm_map_ram(70 pages): one record with its 70 pfns");
	tap_ok(vmc_check(a, NULL) == 0, "the counts match the live objects");

	vmc_vfree(a, p);
	vmc_vm_unmap_ram(a, q, 3);
	vmc_vm_unmap_ram(a, r, 70);
	vmc_purge(a);
	stats(a, &s4);
	for (k = 0; k < VMC_META_KINDS; k++)
		if (k != VMC_META_VA && (s4.meta_live[k] || s4.meta_bytes[k]))
			same = false;
	tap_ok(same && s4.meta_live[VMC_META_VA] == s0.meta_live[VMC_META_VA] &&
	       vmc_check(a, NULL) == 0,
	       "all freed and purged: back to the fresh figures");
	for (i = 0; i < NF; i++)
		vmc_frame_free(a, f[i]);
	vmc_arena_destroy(a);
}

/* A record nobody owns, as an error path that forgot its free leaves it. */
static void *orphan(struct vmc_arena *a, enum vmc_meta_kind kind, size_t n)
{
	void *p;

	vmc_lock(&a->lock);
	p = vmc_meta_alloc_kind(a, kind, n);
	vmc_unlock(&a->lock);
	return p;
}

static void unorphan(struct vmc_arena *a, void *p)
{
	vmc_lock(&a->lock);
	vmc_meta_free(a, p);
	vmc_unlock(&a->lock);
}

static void test_check(void)
{
	static const enum vmc_meta_kind kinds[] = {
		VMC_META_VA, VMC_META_VM, VMC_META_PAGES, VMC_META_VB,
		VMC_META_RAM,
	};
	static const char *const names[] = {
		"vmap areas", "vm structs", "page arrays", "vmap-block records",
		"vm_map_ram records",
	};
	struct vmc_arena *a = new_arena();
	struct vmc_violation v;
	unsigned int i;
	void *p = vmc_vmalloc(a, 2 * PG);

	for (i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		void *o = orphan(a, kinds[i], 24);
		int r = vmc_check(a, &v);

		tap_ok(o && r == 6 && strstr(v.msg, names[i]),
		       "one unowned record among the %s: invariant 6 (%s)", names[i],
		       v.msg);
		unorphan(a, o);
		tap_ok(vmc_check(a, NULL) == 0, "freed again: clean");
	}
	vmc_vfree(a, p);
	vmc_arena_destroy(a);
}

/* The destroy of an arena with an unowned record left, in a child. */
static void test_destroy_leak(void)
{
	int fds[2], status = 0;
	char buf[1024];
	ssize_t n = 0, got;
	pid_t pid;

	if (pipe(fds)) {
		tap_skip("destroy leak: no pipe");
		return;
	}
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		struct vmc_arena *a;

		close(fds[0]);
		dup2(fds[1], 2);
		a = new_arena();
		orphan(a, VMC_META_VM, sizeof(struct vmc_vm));
		vmc_arena_destroy(a);
		_exit(0);
	}
	close(fds[1]);
	while (n < (ssize_t)sizeof(buf) - 1 &&
	       (got = read(fds[0], buf + n, sizeof(buf) - 1 - (size_t)n)) > 0)
		n += got;
	buf[n] = 0;
	close(fds[0]);
	waitpid(pid, &status, 0);
	tap_ok(WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT &&
	       strstr(buf, "metadata leak at arena destroy: 1 vm structs"),
	       "destroy with an unowned vm struct left: panics naming it");
}

int main(void)
{
	vt_backend();
	test_counts();
	test_check();
	test_destroy_leak();
	return tap_done();
}
