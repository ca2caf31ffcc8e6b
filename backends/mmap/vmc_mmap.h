/* SPDX-License-Identifier: MIT */
/*
 * vmc_mmap.h - the real-MMU backend in userspace ("mmap"): public interface.
 *
 * The backend itself is reached through its ops table (vmc_mmap_ops, also
 * registered as "mmap" in vmc_backends.c).  The functions below are test
 * hooks on one instance (`bs`, the state block the core allocated for
 * vmc_mmap_ops: vmc_arena_backend_state()).  They take no lock: call them
 * from the thread that owns the arena, or with the arena otherwise quiet.
 */
#ifndef VMC_MMAP_H
#define VMC_MMAP_H

#include "vmc_backend.h"

extern const struct vmc_backend_ops vmc_mmap_ops;

/* Counters since init(); frames_used, tables_used, dirty_ranges are current. */
struct vmc_mmap_stats {
	unsigned long host_mmaps;          /* mmap() calls into the window */
	unsigned long host_failures;       /* of which refused (real or injected) */
	unsigned long pages_mapped;        /* pages mapped by those calls */
	unsigned long pages_cleared;       /* pages returned to PROT_NONE */
	unsigned long commits;             /* pending batches committed */
	unsigned long retries;             /* resyncs of ranges a refusal left dirty */
	unsigned long holes;               /* cleared pages left as bare holes */
	unsigned long dirty_ranges;        /* ranges whose mirror is behind now */
	unsigned long frames_used;         /* RAM frames allocated (data + tables) */
	unsigned long tables_used;         /* of which page-table frames */
	unsigned long pte_writes;          /* write() calls that stored an entry */
};

void vmc_mmap_get_stats(void *bs, struct vmc_mmap_stats *st);

/*
 * Make the nth host mmap() into the window from now fail with ENOMEM, once
 * (as when vm.max_map_count is exhausted); 0 disarms.
 */
void vmc_mmap_fail_nth(void *bs, unsigned long nth);

/*
 * Really touch the byte at host address va (read it; with `write`, read it
 * and store the same value back) under a SIGSEGV/SIGBUS guard.  Pending
 * batches are committed first.  Returns 0 if the access worked, -EFAULT if
 * the host MMU refused it.  The previous signal handlers are restored
 * before returning.
 */
int vmc_mmap_probe(void *bs, unsigned long va, bool write);

/* The memfds behind RAM and the device region (for tests). */
int vmc_mmap_ram_fd(void *bs);
int vmc_mmap_dev_fd(void *bs);

/*
 * A destroyed instance's memfds, probe pipe and window are kept, reset,
 * as the process's one spare for the next instance of the same size
 * (mmap_host.c 6).  This gives them back to the host now: for a caller
 * that counts its file descriptors or mappings.
 */
void vmc_mmap_release_spare(void);

#endif /* VMC_MMAP_H */
