/* SPDX-License-Identifier: MIT */
/*
 * mmap_host.c - the host side of the mmap backend: memfds, the window,
 * mirroring page-table writes into the host MMU, the probe.
 *
 * Theory
 * ------
 * 1. Two truths, one oracle.  The core walks bookkeeping tables (the sim
 *    backend's x86-64 format in frames of the RAM memfd); the host kernel's
 *    page tables are what a load or store really goes through.  Every leaf
 *    write to the bookkeeping is mirrored: a present leaf becomes an
 *    mmap(MAP_FIXED|MAP_SHARED) of the frame's memfd offset at its virtual
 *    address in the window, a cleared leaf becomes an anonymous
 *    PROT_NONE|MAP_NORESERVE mapping over the page again.  So data written
 *    through a vmalloc address lands in the memfd page the tables name,
 *    and the direct map (a second, linear view of the same memfd) shows it:
 *    the host's page tables check ours.
 *
 * 2. Batching.  One mmap per page would make a 16-page vmalloc cost 16
 *    system calls and 16 VMAs.  Writes therefore build one pending
 *    operation: a MAP run (consecutive addresses, consecutive pfns of one
 *    memfd, one protection) or a CLEAR run (consecutive addresses).  A
 *    write that extends it costs no system call; any other write, and
 *    batch_end, flush_tlb, access, translate and the probe, commit it with
 *    one mmap.  The host merges the pieces of a run into one VMA.
 *
 * 3. Refusals.  The host may refuse an mmap (ENOMEM: vm.max_map_count is
 *    reached, or the test hook says so).  The contract wants that to come
 *    back from write() with the entry unchanged, but a deferred call fails
 *    after write() returned.  So the first page of every MAP run is mapped
 *    at once, inside write(): that call is the one that adds VMAs (it
 *    splits a PROT_NONE stretch in three) and its refusal is reported
 *    cleanly.  Extending the run later only replaces PROT_NONE pages next
 *    to it and merges with it, so it adds no VMA; should the host still
 *    refuse it (or a CLEAR), the range is remembered as dirty and
 *    re-synchronised from the tables at the next flush_tlb, access,
 *    translate or probe (not at every write: a full host would make each
 *    retry fail again; retrying stops at the first refusal).  While a page
 *    is dirty, access() copies through the direct map of the frame the
 *    tables name instead of the window, so the core's view never depends
 *    on a refused call; only vmc_mmap_probe can see the lag.
 *
 * 4. The window.  A PROT_NONE, MAP_NORESERVE reservation of 32 TiB (the
 *    x86-64 4-level vmalloc size, so arena offsets equal the sim
 *    backend's).  Alignment is absolute, so for every alignment to give
 *    the same offsets the window must start where the sim space starts
 *    modulo every alignment that can still fit.  The sim space starts at
 *    0xffffc90000000000: 0x90000000000 (9 TiB) modulo 2^46, and no
 *    alignment of 2^47 or more fits inside 32 TiB from there, nor from
 *    9 TiB or 73 TiB (9 TiB + 2^46) on the host.  So the window goes at
 *    9 TiB, or at 73 TiB if 9 TiB is taken, and then every alignment
 *    places areas at the same offsets as on sim.  Both can be taken: a
 *    PIE binary and its heap usually sit near 86 TiB, and AddressSanitizer
 *    keeps its shadow up to 16 TiB.  Then 41 TiB, which agrees with sim
 *    modulo 2^45: every alignment up to 2^45 matches, and 2^46 differs
 *    only where its first aligned address, 23 TiB in, lies inside the
 *    arena (never in the fuzzers' 1 GiB arenas).  Failing all three (a
 *    second window in the same process), the window goes anywhere
 *    aligned to 1 GiB, and only alignments up to 1 GiB match.  Where 32
 *    TiB fit nowhere (under ThreadSanitizer, or a small address-space
 *    limit), the window shrinks (1 TiB, 64 GiB, 4 GiB, 1 GiB, kernel
 *    placed): the arena is smaller and offsets match sim only up to the
 *    window's alignment, which the threaded tests do not depend on.
 *
 * 5. The probe touches an address for real under a SIGSEGV/SIGBUS
 *    handler that siglongjmps back.  The handler is installed once per
 *    process (never swapped per probe: sigaction is process wide, and a
 *    probe in one thread must not undo another's), the jump buffer is per
 *    thread, and a fault that is no probe's goes to the handler that was
 *    there before (or, for SIG_DFL / SIG_IGN, that disposition is put
 *    back and the faulting access re-runs under it).
 *
 * 6. The spare.  Creating an instance costs two memfds, a pipe and a 32
 *    TiB reservation, and every RAM page it touches is a shmem fault the
 *    first time; a fuzzer that builds a backend per input paid more for
 *    that than for its ops.  So mm_host_fini keeps one instance's host
 *    resources as the process's spare, reset to what mm_host_init makes
 *    (the window one PROT_NONE reservation, the device memfd zeroed by
 *    punching out its pages, the probe pipe drained), and the next
 *    mm_host_init with the same frame counts and home takes it.  RAM
 *    keeps its old bytes, which nobody can see: every data frame is
 *    filled with 0xa5 before its bytes are first looked at and every table
 *    frame is zeroed when allocated (sim_ram.c 5), so a new instance reads
 *    what a fresh memfd would give it.  A spare that does not fit the next
 *    request is released before the fresh reservation, so the new window
 *    lands where it would have without the spare.  Any refusal while
 *    resetting and the resources go back to the host as before.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <sys/mman.h>
#include <unistd.h>

#include "mmap_internal.h"

#define PS VMC_PAGE_SIZE

/*
 * ThreadSanitizer keeps application memory in three ranges of 512 GiB to
 * 1.5 TiB and kills the process when a mapping lands outside them; a
 * placement hint outside them is dropped, so even the homes would end up
 * kernel-placed, and 32 TiB fit nowhere.  Under TSan (and as the fallback
 * elsewhere) the window is the largest of these the kernel can place.
 */
#if defined(__SANITIZE_THREAD__)
#define MM_UNDER_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define MM_UNDER_TSAN 1
#endif
#endif

static const unsigned long mm_small[] = {
#ifndef MM_UNDER_TSAN
	MM_WINDOW, 1UL << 40,
#endif
	64UL << 30, 4UL << 30, 1UL << 30,
};

static unsigned long mm_reserve_home(unsigned long home);

/* --- host calls -------------------------------------------------------- */

/* One mmap into the window; fd < 0 means PROT_NONE reservation. */
static int host_mmap(struct mm_state *m, unsigned long va, unsigned long len,
		     int prot, int fd, off_t off)
{
	int flags = MAP_FIXED;
	void *p;

	m->st.host_mmaps++;
	if (m->fail_nth && --m->fail_nth == 0) {
		m->st.host_failures++;
		return -ENOMEM;
	}
	if (fd >= 0)
		flags |= MAP_SHARED;
	else
		flags |= MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE;
	p = mmap((void *)va, len, prot, flags, fd, off);
	if (p == MAP_FAILED) {
		m->st.host_failures++;
		return -ENOMEM;
	}
	VMC_VERIFY(p == (void *)va);
	return 0;
}

static int map_pages(struct mm_state *m, unsigned long va, unsigned long pfn,
		     unsigned long n, unsigned int prot)
{
	struct sim_ram *r = &m->s.ram;
	int hprot = PROT_READ, fd, err;
	off_t off;

	if (prot & VMC_PROT_WRITE)
		hprot |= PROT_WRITE;
	if (prot & VMC_PROT_EXEC)
		hprot |= PROT_EXEC;
	if (sim_ram_is_ram(r, pfn)) {
		fd = m->h.ram_fd;
		off = (off_t)((pfn - r->base_pfn) << VMC_PAGE_SHIFT);
	} else {
		VMC_VERIFY(sim_ram_is_dev(r, pfn));
		fd = m->h.dev_fd;
		off = (off_t)((pfn - r->dev_pfn) << VMC_PAGE_SHIFT);
	}
	err = host_mmap(m, va, n * PS, hprot, fd, off);
	if (!err)
		m->st.pages_mapped += n;
	return err;
}

/*
 * Back to PROT_NONE.  At vm.max_map_count the host refuses even an mmap
 * that would lower the count (seen on 6.x), but it still lets a whole
 * mapping be unmapped; the hole is then refilled with PROT_NONE (it
 * merges with its neighbours).  NOREPLACE: if another thread's mmap took
 * the hole meanwhile, it is left alone (the page faults for us either
 * way).  Last resort: mprotect, which needs no new mapping either.
 */
static int clear_pages(struct mm_state *m, unsigned long va, unsigned long n)
{
	int err = host_mmap(m, va, n * PS, PROT_NONE, -1, 0);

	if (err && !munmap((void *)va, n * PS)) {
		void *p = mmap((void *)va, n * PS, PROT_NONE,
			       MAP_FIXED_NOREPLACE | MAP_PRIVATE |
			       MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

		if (p == MAP_FAILED || p != (void *)va) {
			if (p != MAP_FAILED)
				munmap(p, n * PS);
			m->st.holes++;
		}
		err = 0;
	} else if (err && !mprotect((void *)va, n * PS, PROT_NONE)) {
		err = 0;
	}
	if (!err)
		m->st.pages_cleared += n;
	return err;
}

/* --- dirty ranges ------------------------------------------------------ */

static void dirty_add(struct mm_state *m, unsigned long start,
		      unsigned long end)
{
	struct mm_range *d;

	if (m->nr_dirty == MM_MAX_DIRTY) {
		/* Full: widen the last one; resync reads the tables anyway. */
		d = &m->dirty[MM_MAX_DIRTY - 1];
		if (start < d->start)
			d->start = start;
		if (end > d->end)
			d->end = end;
		return;
	}
	m->dirty[m->nr_dirty].start = start;
	m->dirty[m->nr_dirty].end = end;
	m->nr_dirty++;
}

bool mm_is_dirty(const struct mm_state *m, unsigned long va)
{
	unsigned int i;

	for (i = 0; i < m->nr_dirty; i++)
		if (va >= m->dirty[i].start && va < m->dirty[i].end)
			return true;
	return false;
}

/* The level-0 entry for va, or 0 when some level is not present. */
static vmc_pte_t leaf_at(struct mm_state *m, unsigned long va)
{
	const struct vmc_geometry *g = &m->s.geo.g;
	unsigned long table = m->s.root;
	unsigned int level;

	for (level = g->levels - 1;; level--) {
		unsigned int idx = (unsigned int)((va >> vmc_geom_shift(g, level)) &
						  ((1u << g->bits[level]) - 1));
		vmc_pte_t e = sim_table_read(&m->s, table, level, idx);

		if (!sim_present(e) || level == 0)
			return sim_present(e) ? e : 0;
		table = sim_entry_pfn(&m->s.geo, e);
	}
}

/* Make the host mapping of [start, end) what the tables say, in runs. */
static int resync(struct mm_state *m, unsigned long start, unsigned long end)
{
	struct sim_ram *r = &m->s.ram;
	unsigned long va = start;

	while (va < end) {
		vmc_pte_t e = leaf_at(m, va);
		unsigned long n = 1, pfn = 0;
		unsigned int prot = 0;
		int err;

		if (e) {
			pfn = sim_entry_pfn(&m->s.geo, e);
			prot = sim_leaf_prot(&m->s.geo, e);
		}
		while (va + n * PS < end) {
			vmc_pte_t f = leaf_at(m, va + n * PS);

			if (!e != !f)
				break;
			if (e && (sim_entry_pfn(&m->s.geo, f) != pfn + n ||
				  sim_leaf_prot(&m->s.geo, f) != prot ||
				  sim_ram_is_ram(r, pfn + n) != sim_ram_is_ram(r, pfn)))
				break;
			n++;
		}
		err = e ? map_pages(m, va, pfn, n, prot) : clear_pages(m, va, n);
		if (err)
			return err;
		va += n * PS;
	}
	return 0;
}

/* Retry the dirty ranges; stop at the first refusal (the host is full). */
static void retry_dirty(struct mm_state *m)
{
	while (m->nr_dirty) {
		struct mm_range *d = &m->dirty[m->nr_dirty - 1];

		m->st.retries++;
		if (resync(m, d->start, d->end))
			return;
		m->nr_dirty--;
	}
}

/* --- the pending operation --------------------------------------------- */

void mm_commit(struct mm_state *m, bool retry)
{
	struct mm_pending *p = &m->pend;

	if (p->kind == MM_PEND_MAP && p->n > 1) {
		if (map_pages(m, p->va + PS, p->pfn + 1, p->n - 1, p->prot))
			dirty_add(m, p->va + PS, p->va + p->n * PS);
	} else if (p->kind == MM_PEND_CLEAR) {
		if (clear_pages(m, p->va, p->n))
			dirty_add(m, p->va, p->va + p->n * PS);
	}
	if (p->kind != MM_PEND_NONE)
		m->st.commits++;
	p->kind = MM_PEND_NONE;
	if (retry && m->nr_dirty)
		retry_dirty(m);
}

int mm_write_leaf(struct mm_state *m, unsigned long table, unsigned int idx,
		  vmc_pte_t e, unsigned long va)
{
	struct mm_pending *p = &m->pend;
	struct sim_ram *r = &m->s.ram;

	if (sim_present(e)) {
		unsigned long pfn = sim_entry_pfn(&m->s.geo, e);
		unsigned int prot = sim_leaf_prot(&m->s.geo, e);
		int err;

		/* The real MMU will read the memfd: pay the owed 0xa5 fill now. */
		if (sim_ram_is_ram(r, pfn))
			(void)sim_ram_data(r, pfn);
		if (p->kind == MM_PEND_MAP && va == p->va + p->n * PS &&
		    pfn == p->pfn + p->n && prot == p->prot &&
		    sim_ram_is_ram(r, pfn) == sim_ram_is_ram(r, p->pfn)) {
			sim_table_write(&m->s, table, 0, idx, e);
			p->n++;
			return 0;
		}
		mm_commit(m, false);
		err = map_pages(m, va, pfn, 1, prot);   /* refusals surface here */
		if (err)
			return err;
		sim_table_write(&m->s, table, 0, idx, e);
		p->kind = MM_PEND_MAP;
		p->va = va;
		p->pfn = pfn;
		p->n = 1;
		p->prot = prot;
		return 0;
	}
	if (sim_present(sim_table_read(&m->s, table, 0, idx))) {
		if (!(p->kind == MM_PEND_CLEAR && va == p->va + p->n * PS)) {
			mm_commit(m, false);
			p->kind = MM_PEND_CLEAR;
			p->va = va;
			p->n = 0;
		}
		p->n++;
	}
	sim_table_write(&m->s, table, 0, idx, e);
	return 0;
}

/* --- memfds and the window --------------------------------------------- */

static int memfd_region(const char *name, unsigned long frames, int *fd,
			unsigned char **map, size_t *len)
{
	void *p;

	*len = (size_t)frames << VMC_PAGE_SHIFT;
	*fd = memfd_create(name, MFD_CLOEXEC);
	if (*fd < 0)
		return -ENOMEM;
	if (ftruncate(*fd, (off_t)*len)) {
		close(*fd);
		*fd = -1;
		return -ENOMEM;
	}
	p = mmap(NULL, *len, PROT_READ | PROT_WRITE, MAP_SHARED, *fd, 0);
	if (p == MAP_FAILED) {
		close(*fd);
		*fd = -1;
		return -ENOMEM;
	}
	*map = p;
	return 0;
}

/* A kernel-placed reservation of len bytes aligned to MM_WIN_ALIGN, or 0. */
static unsigned long mm_reserve_anywhere(unsigned long len)
{
	unsigned long raw, win, total = len + MM_WIN_ALIGN;
	void *p;

	p = mmap(NULL, total, PROT_NONE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (p == MAP_FAILED)
		return 0;
	raw = (unsigned long)p;
	win = (raw + MM_WIN_ALIGN - 1) & ~(MM_WIN_ALIGN - 1);
	if (win > raw)
		munmap(p, win - raw);
	if (raw + total > win + len)
		munmap((void *)(win + len), raw + total - (win + len));
	return win;
}

/*
 * Reserve the window at `home` if that range is free (MAP_FIXED_NOREPLACE;
 * an older kernel treats the flag as a hint, so the address is checked),
 * else anywhere, aligned to MM_WIN_ALIGN; if 32 TiB do not fit anywhere,
 * a smaller kernel-placed window (section 4).  Returns the window and
 * its length in *len, or 0.
 */
static unsigned long mm_reserve_window(unsigned long home, unsigned long *len)
{
	unsigned int k;
	unsigned long win;

#ifdef MM_UNDER_TSAN
	(void)home;
#else
	*len = MM_WINDOW;
	win = mm_reserve_home(home);
	if (win)
		return win;
#endif
	for (k = 0; k < sizeof(mm_small) / sizeof(mm_small[0]); k++) {
		win = mm_reserve_anywhere(mm_small[k]);
		if (win) {
			*len = mm_small[k];
			return win;
		}
	}
	return 0;
}

/* One of the three homes of section 4, or 0. */
static unsigned long mm_reserve_home(unsigned long home)
{
	/* See 4. above: home mod 2^46, home, then home mod 2^45 + 2^45. */
	const unsigned long at_of[3] = {
		home & ((1UL << 46) - 1),
		home,
		(home & ((1UL << 45) - 1)) + (1UL << 45),
	};
	unsigned int i;
	void *p;

	for (i = 0; i < 3; i++) {
		unsigned long at = at_of[i];

		p = mmap((void *)at, MM_WINDOW, PROT_NONE, MAP_PRIVATE |
			 MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED_NOREPLACE,
			 -1, 0);
		if (p == MAP_FAILED)
			continue;
		if ((unsigned long)p == at)
			return at;
		munmap(p, MM_WINDOW);
	}
	return 0;
}

/* --- the spare (section 6) --------------------------------------------- */

struct mm_spare {
	bool full;
	struct mm_host h;
};

static pthread_mutex_t mm_spare_lock = PTHREAD_MUTEX_INITIALIZER;
static struct mm_spare mm_spare;

static void mm_host_none(struct mm_host *h)
{
	h->win = NULL;
	h->ram_fd = h->dev_fd = -1;
	h->probe_pipe[0] = h->probe_pipe[1] = -1;
}

/* Give back to the host everything h holds; h then holds nothing. */
static void mm_host_release(struct mm_host *h)
{
	if (h->win)
		munmap(h->win, h->win_len);
	if (h->ram_fd >= 0) {
		munmap(h->ram_map, h->ram_len);
		close(h->ram_fd);
	}
	if (h->dev_fd >= 0) {
		munmap(h->dev_map, h->dev_len);
		close(h->dev_fd);
	}
	if (h->probe_pipe[0] >= 0) {
		close(h->probe_pipe[0]);
		close(h->probe_pipe[1]);
	}
	mm_host_none(h);
}

/*
 * Bring m's host resources back to what a fresh mm_host_init gives: the
 * whole window one PROT_NONE reservation again, the device memfd all
 * zeroes (its pages dropped), the probe pipe empty.  RAM keeps its pages
 * and bytes (section 6).  false if the host refused a step.
 */
static bool mm_host_reset(struct mm_state *m)
{
	unsigned char buf[4096];
	void *p;

	p = mmap(m->h.win, m->h.win_len, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS |
		 MAP_NORESERVE | MAP_FIXED, -1, 0);
	if (p != (void *)m->h.win)
		return false;
	if (fallocate(m->h.dev_fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
		      0, (off_t)m->h.dev_len))
		return false;
	while (read(m->h.probe_pipe[0], buf, sizeof(buf)) > 0)
		;
	m->probe_queued = 0;
	return true;
}

/* Empty the spare into *sp under its lock; false if it held nothing. */
static bool mm_spare_pop(struct mm_spare *sp)
{
	pthread_mutex_lock(&mm_spare_lock);
	*sp = mm_spare;
	mm_spare.full = false;
	pthread_mutex_unlock(&mm_spare_lock);
	return sp->full;
}

/*
 * Take the spare into *h if it was made for the same sizes and home; a
 * spare that does not fit is released first, so a fresh window finds the
 * place the spare's window held.  true if *h now holds the spare.
 */
static bool mm_spare_take(struct mm_host *h, unsigned long nr_frames,
			  unsigned long dev_frames, unsigned long home)
{
	struct mm_spare sp;

	if (!mm_spare_pop(&sp))
		return false;
	if (sp.h.nr_frames == nr_frames && sp.h.dev_frames == dev_frames &&
	    sp.h.home == home) {
		*h = sp.h;
		return true;
	}
	mm_host_release(&sp.h);
	return false;
}

void vmc_mmap_release_spare(void)
{
	struct mm_spare sp;

	if (mm_spare_pop(&sp))
		mm_host_release(&sp.h);
}

int mm_host_init(struct mm_state *m, unsigned long nr_frames,
		 unsigned long dev_frames, unsigned long home)
{
	unsigned long win;
	int err;

	m->probe_queued = 0;
	if (mm_spare_take(&m->h, nr_frames, dev_frames, home))
		return 0;
	mm_host_none(&m->h);
	m->h.nr_frames = nr_frames;
	m->h.dev_frames = dev_frames;
	m->h.home = home;
	if (pipe2(m->h.probe_pipe, O_CLOEXEC | O_NONBLOCK)) {
		m->h.probe_pipe[0] = m->h.probe_pipe[1] = -1;
		return -ENOMEM;
	}
	err = memfd_region("vmcore-ram", nr_frames, &m->h.ram_fd, &m->h.ram_map,
			   &m->h.ram_len);
	if (!err)
		err = memfd_region("vmcore-dev", dev_frames, &m->h.dev_fd,
				   &m->h.dev_map, &m->h.dev_len);
	if (err)
		goto fail;
	win = mm_reserve_window(home, &m->h.win_len);
	if (!win) {
		err = -ENOMEM;
		goto fail;
	}
	m->h.win = (unsigned char *)win;
	return 0;
fail:
	mm_host_release(&m->h);
	return err;
}

void mm_host_fini(struct mm_state *m)
{
	if (m->h.win && m->h.ram_fd >= 0 && m->h.dev_fd >= 0 &&
	    m->h.probe_pipe[0] >= 0 && mm_host_reset(m)) {
		pthread_mutex_lock(&mm_spare_lock);
		if (!mm_spare.full) {
			mm_spare.h = m->h;
			mm_spare.full = true;
			mm_host_none(&m->h);
		}
		pthread_mutex_unlock(&mm_spare_lock);
	}
	mm_host_release(&m->h);         /* what the spare did not take */
}

/* --- the probe --------------------------------------------------------- */

/* volatile: the stores must really happen around the probing access. */
static _Thread_local sigjmp_buf *volatile mm_probe_jb;
static struct sigaction mm_old_segv, mm_old_bus;
static pthread_once_t mm_probe_once = PTHREAD_ONCE_INIT;

static void mm_probe_handler(int sig, siginfo_t *si, void *uc)
{
	struct sigaction *old = sig == SIGBUS ? &mm_old_bus : &mm_old_segv;

	if (mm_probe_jb)
		siglongjmp(*mm_probe_jb, 1);
	/* Not a probe of this thread: what was there before handles it. */
	if (old->sa_flags & SA_SIGINFO) {
		old->sa_sigaction(sig, si, uc);
	} else if (old->sa_handler != SIG_DFL && old->sa_handler != SIG_IGN) {
		old->sa_handler(sig);
	} else {
		sigaction(sig, old, NULL);      /* re-runs the access */
	}
}

static void mm_probe_install(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = mm_probe_handler;
	sa.sa_flags = SA_SIGINFO;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGSEGV, &sa, &mm_old_segv);
	sigaction(SIGBUS, &sa, &mm_old_bus);
}

int mm_probe(struct mm_state *m, unsigned long va, bool write)
{
	sigjmp_buf jb;
	volatile int rc = 0;

	mm_commit(m, true);
	pthread_once(&mm_probe_once, mm_probe_install);
	if (sigsetjmp(jb, 1) == 0) {
		volatile unsigned char *b = (volatile unsigned char *)va;
		unsigned char c;

		mm_probe_jb = &jb;
		c = *b;
		if (write)
			*b = c;
	} else {
		rc = -EFAULT;
	}
	mm_probe_jb = NULL;
	return rc;
}

/*
 * The same verdict without a signal: write(2) of one byte from va into a
 * pipe makes the host kernel read va through the MMU (copy_from_user),
 * which fails with EFAULT where a CPU load would fault; read(2) back into
 * va does the same for a store.  The checker calls the probe slot for
 * every guard page and free-range edge after every operation, and a
 * signal per probe (sigaction twice, the fault, the handler) cost more
 * than everything else the checker does; this costs two system calls.
 * vmc_mmap_probe() keeps the real CPU touch for the tests that prove
 * faults happen.  A load probe is one system call: the byte stays in the
 * pipe (probe_queued counts them) and the pipe is drained in bulk when it
 * is full or before a store probe, which needs it empty (its read(2)
 * must return the byte it just put in); both ends are non-blocking.
 */
static int mm_probe_drain(struct mm_state *m)
{
	unsigned char buf[4096];
	ssize_t n;

	while (m->probe_queued) {
		n = read(m->h.probe_pipe[0], buf, m->probe_queued < sizeof(buf) ?
			 m->probe_queued : sizeof(buf));
		if (n <= 0)
			return -EIO;
		m->probe_queued -= (unsigned long)n;
	}
	return 0;
}

int mm_probe_kernel(struct mm_state *m, unsigned long va, bool store)
{
	unsigned char c;
	ssize_t n;

	mm_commit(m, true);
	if (store && mm_probe_drain(m))
		return -EIO;
	n = write(m->h.probe_pipe[1], (const void *)va, 1);
	if (n < 0 && errno == EAGAIN) {         /* full: empty it, once */
		if (mm_probe_drain(m))
			return -EIO;
		n = write(m->h.probe_pipe[1], (const void *)va, 1);
	}
	if (n != 1)
		return -EFAULT;
	m->probe_queued++;
	if (!store)
		return 0;
	if (read(m->h.probe_pipe[0], &c, 1) != 1)
		return -EIO;
	m->probe_queued--;
	if (write(m->h.probe_pipe[1], &c, 1) != 1)
		return -EIO;
	if (read(m->h.probe_pipe[0], (void *)va, 1) != 1) {
		/* Not writable: take the byte back out of the pipe. */
		if (read(m->h.probe_pipe[0], &c, 1) != 1)
			return -EIO;
		return -EFAULT;
	}
	return 0;
}
