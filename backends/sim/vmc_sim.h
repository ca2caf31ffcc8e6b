/* SPDX-License-Identifier: MIT */
/*
 * vmc_sim.h - the simulated-MMU backend ("sim"): public interface.
 *
 * The backend itself is reached through the ops table like any other
 * backend.  The functions below are test hooks: they look inside one sim
 * instance (`bs`, the state block the core allocated for vmc_sim_ops) so
 * tests and the checker can see what the simulated hardware did.
 */
#ifndef VMC_SIM_H
#define VMC_SIM_H

#include "vmc_backend.h"

extern const struct vmc_backend_ops vmc_sim_ops;

/* Counters since init().  frames_used and tables_used are current values. */
struct vmc_sim_stats {
	unsigned long tlb_hits;            /* translations served by the soft TLB */
	unsigned long tlb_misses;          /* translations that walked the tables */
	unsigned long tlb_flushes;         /* flush_tlb() calls */
	unsigned long tlb_flushed_entries; /* TLB entries those calls dropped */
	unsigned long frames_used;         /* RAM frames allocated (data + tables) */
	unsigned long tables_used;         /* of which page-table frames */
	unsigned long syncs;               /* sync() calls */
	unsigned long pte_writes;          /* write() calls */
};

void vmc_sim_get_stats(void *bs, struct vmc_sim_stats *st);

/* First pfn of simulated RAM (0x40000: physical 1 GiB). */
unsigned long vmc_sim_ram_base_pfn(void *bs);

/* Free RAM frames of one node (-1: all nodes together). */
unsigned long vmc_sim_node_frames_free(void *bs, int node);

/*
 * Walk the page tables for va from the root, bypassing (and not filling)
 * the soft TLB: what the hardware would find after a full TLB flush.
 * Returns 0 with the 4 KiB pfn va lands in, the level of the leaf and
 * whether every level allows writes; or -EFAULT.  Any out-pointer may be
 * NULL.
 */
int vmc_sim_walk(void *bs, unsigned long va, unsigned long *pfn,
		 unsigned int *level, bool *writable);

/* Number of valid soft-TLB entries now. */
unsigned long vmc_sim_tlb_count(void *bs);

#endif /* VMC_SIM_H */
