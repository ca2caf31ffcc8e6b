/* SPDX-License-Identifier: MIT */
/*
 * mmap_internal.h - shared state of the mmap backend's files.
 *
 * One instance is one struct mm_state, the `bs` block of vmc_mmap_ops.  It
 * embeds a struct sim_state for the parts it shares with the sim backend
 * (sim_ram.c: frames and buddy allocator over the memfd direct map;
 * sim_geom.c: the x86-64 entry format, table read/write, the page walk);
 * the sim soft TLB in it stays unused (zeroed).
 *
 * Module split: mmap_host.c (memfds, the window, host mmap calls, the
 * pending batch and its commit, dirty ranges, the probe), mmap_backend.c
 * (the ops table and the test hooks).
 */
#ifndef MMAP_INTERNAL_H
#define MMAP_INTERNAL_H

#include "sim_internal.h"
#include "vmc_mmap.h"

#define MM_WINDOW     (32UL << 40)      /* x86-64 4-level vmalloc size */
#define MM_WIN_ALIGN  (1UL << 30)       /* fallback window alignment: 1 GiB */
#define MM_HOME_MASK  ((1UL << 47) - 1) /* x86-64 user half */
#define MM_MAX_DIRTY  32

enum mm_pend_kind { MM_PEND_NONE = 0, MM_PEND_MAP, MM_PEND_CLEAR };

/*
 * The one pending host operation.  MAP: pages [va, va + n pages) map pfns
 * [pfn, pfn + n) with `prot`; the first page is already mapped (write()
 * maps it at once so a refusal surfaces there), the rest is not yet.
 * CLEAR: pages [va, va + n pages) are to return to PROT_NONE.
 */
struct mm_pending {
	enum mm_pend_kind kind;
	unsigned long va, pfn, n;
	unsigned int prot;
};

/* A range whose host mapping may disagree with the tables. */
struct mm_range {
	unsigned long start, end;
};

/* What an instance holds of the host (mmap_host.c; kept as the spare, 6.) */
struct mm_host {
	int ram_fd, dev_fd;
	int probe_pipe[2];               /* mm_probe_kernel: [0] read, [1] write */
	unsigned char *ram_map, *dev_map;
	size_t ram_len, dev_len;
	unsigned char *win;             /* win_len bytes, MM_WIN_ALIGN aligned */
	unsigned long win_len;          /* MM_WINDOW, or less (mmap_host.c 4.) */
	unsigned long nr_frames, dev_frames, home; /* what mm_host_init was asked */
};

struct mm_state {
	struct sim_state s;             /* RAM, geometry, root (no TLB) */
	struct mm_host h;               /* memfds, window, probe pipe */
	unsigned long probe_queued;      /* bytes load probes left in the pipe */
	unsigned int features;
	unsigned int batch_depth;
	struct mm_pending pend;
	struct mm_range dirty[MM_MAX_DIRTY];
	unsigned int nr_dirty;
	unsigned long fail_nth;         /* injection: 0 off, else countdown */
	struct vmc_mmap_stats st;
};

/* mmap_host.c */
int mm_host_init(struct mm_state *m, unsigned long nr_frames,
		 unsigned long dev_frames, unsigned long home);
void mm_host_fini(struct mm_state *m);
int mm_write_leaf(struct mm_state *m, unsigned long table, unsigned int idx,
		  vmc_pte_t e, unsigned long va);
/* Commit the pending operation; with `retry`, resync dirty ranges too. */
void mm_commit(struct mm_state *m, bool retry);
bool mm_is_dirty(const struct mm_state *m, unsigned long va);
int mm_probe(struct mm_state *m, unsigned long va, bool write);
int mm_probe_kernel(struct mm_state *m, unsigned long va, bool store);

#endif /* MMAP_INTERNAL_H */
