/* SPDX-License-Identifier: MIT */
/*
 * sim_internal.h - shared state of the sim backend's files.
 *
 * One sim instance is one struct sim_state, the `bs` block the core
 * allocates (zeroed) from vmc_sim_ops.state_size.  Everything large (the
 * RAM itself, per-frame metadata, the TLB array) hangs off it in host
 * allocations made by init() and released by fini().
 *
 * Module split: sim_ram.c (frames, buddy allocator, nodes, device region),
 * sim_geom.c (the three geometries and their entry formats, table
 * read/write, the page walk), sim_tlb.c (the soft TLB), sim_sync.c (the
 * other page-table roots that sync() updates), sim_backend.c (the ops
 * table that glues them together).
 */
#ifndef SIM_INTERNAL_H
#define SIM_INTERNAL_H

#include "vmc_env.h"
#include "vmc_backend.h"
#include "vmc_sim.h"

#define SIM_MAX_ORDER     18            /* 1 GiB blocks: a PUD leaf */
#define SIM_MAX_NODES     16
#define SIM_RAM_BASE_PFN  0x40000UL     /* physical 1 GiB, order-18 aligned */
#define SIM_POISON        0xa5          /* fill of frame_alloc()ed frames */
#define SIM_NONE          UINT32_MAX    /* end of a free list */

#define SIM_DEF_FRAMES    65536UL
#define SIM_DEF_NODES     2u
#define SIM_DEF_DEV       1024UL
#define SIM_DEF_TLB       512UL

/* --- sim_ram.c --------------------------------------------------------- */

enum sim_frame_state {
	SIM_F_FREE = 0,     /* inside a free block, not its head */
	SIM_F_FREE_HEAD,    /* first frame of a free block of `order` */
	SIM_F_ALLOC_HEAD,   /* first frame of an allocated block of `order` */
	SIM_F_ALLOC,        /* inside an allocated block */
	SIM_F_TABLE,        /* a page-table frame (its level: table_level[]) */
};

struct sim_frame {
	uint32_t next, prev;    /* free list links (frame indexes), heads only */
	uint8_t state;          /* enum sim_frame_state */
	uint8_t order;          /* heads: block order */
	uint8_t node;
	uint8_t poison;         /* allocated, its 0xa5 fill still owed (sim_ram_data) */
};

struct sim_node {
	unsigned long start, end;               /* frame indexes [start, end) */
	unsigned long nr_free;
	uint32_t free_head[SIM_MAX_ORDER + 1];
};

#define SIM_CHUNK_ORDER   9             /* host memory comes in 2 MiB chunks */
#define SIM_CHUNK_FRAMES  (1UL << SIM_CHUNK_ORDER)

struct sim_ram {
	unsigned char **chunk;          /* RAM: chunk i holds frames i*512.. */
	unsigned char **dchunk;         /* the same for the device region */
	struct sim_frame *meta;         /* one per RAM frame */
	uint8_t *table_level;           /* per RAM frame: level + 1 if a table,
					   else 0; apart from meta, whose lines
					   data frames' allocs write (6b) */
	unsigned long nr_frames;
	unsigned long base_pfn;
	unsigned int nr_nodes;
	struct sim_node node[SIM_MAX_NODES];
	unsigned long dev_pfn, dev_frames;
	unsigned long used, tables;     /* frames allocated; of which tables */
	bool external;                  /* storage supplied by the caller */
};

int sim_ram_init(struct sim_ram *r, unsigned long nr_frames,
		 unsigned int nr_nodes, unsigned long dev_frames);
/*
 * The same over caller-supplied storage: `ram` holds nr_frames frames and
 * `dev` dev_frames frames, both contiguous and zeroed (the mmap backend
 * passes its memfd direct maps).  sim_ram_fini() then frees only the
 * metadata; the storage stays the caller's.
 */
int sim_ram_init_mem(struct sim_ram *r, unsigned long nr_frames,
		     unsigned int nr_nodes, unsigned long dev_frames,
		     unsigned char *ram, unsigned char *dev);
void sim_ram_fini(struct sim_ram *r);
int sim_ram_alloc(struct sim_ram *r, int node, unsigned int order,
		  unsigned long *pfn);
void sim_ram_free(struct sim_ram *r, unsigned long pfn, unsigned int order);
int sim_ram_table_alloc(struct sim_ram *r, unsigned int level,
			unsigned long *pfn);
void sim_ram_table_free(struct sim_ram *r, unsigned long pfn,
			unsigned int level);
unsigned char *sim_ram_ptr_slow(struct sim_ram *r, unsigned long pfn);
bool sim_ram_is_dev(const struct sim_ram *r, unsigned long pfn);

/* The page walk and every read() pass through these: keep them inline. */
static inline bool sim_ram_is_ram(const struct sim_ram *r, unsigned long pfn)
{
	return pfn >= r->base_pfn && pfn - r->base_pfn < r->nr_frames;
}

static inline bool sim_ram_is_table(const struct sim_ram *r, unsigned long pfn,
				    unsigned int level)
{
	return sim_ram_is_ram(r, pfn) &&
	       r->table_level[pfn - r->base_pfn] == level + 1;
}

/* Host pointer to a RAM (any state) or device frame; NULL if neither. */
static inline unsigned char *sim_ram_ptr(struct sim_ram *r, unsigned long pfn)
{
	if (sim_ram_is_ram(r, pfn)) {
		unsigned long idx = pfn - r->base_pfn;
		unsigned char *c = r->chunk[idx >> SIM_CHUNK_ORDER];

		if (c)
			return c + ((idx & (SIM_CHUNK_FRAMES - 1)) << VMC_PAGE_SHIFT);
	}
	return sim_ram_ptr_slow(r, pfn);
}

/*
 * sim_ram_ptr() for a frame's data: pays the 0xa5 fill frame_alloc owes
 * (sim_ram.c theory 5) first.  Every read or write of a data frame's
 * bytes goes through here; page tables use sim_ram_ptr() (never owed).
 */
static inline unsigned char *sim_ram_data(struct sim_ram *r, unsigned long pfn)
{
	unsigned char *p = sim_ram_ptr(r, pfn);

	if (p && sim_ram_is_ram(r, pfn) && r->meta[pfn - r->base_pfn].poison) {
		memset(p, SIM_POISON, VMC_PAGE_SIZE);
		r->meta[pfn - r->base_pfn].poison = 0;
	}
	return p;
}
bool sim_ram_is_allocated(const struct sim_ram *r, unsigned long pfn);
int sim_ram_node_of(const struct sim_ram *r, unsigned long pfn);
unsigned long sim_ram_free_frames(const struct sim_ram *r, int node);

/* --- sim_geom.c -------------------------------------------------------- */

struct sim_geo {
	struct vmc_geometry g;
	unsigned int va_bits;           /* canonical width: 32, 48, 57 */
	bool sign_extend;               /* x86-64: upper half sign-extends */
	bool has_nx;
	uint64_t addr_mask;             /* physical address bits of an entry */
	unsigned long pfn_limit;        /* pfns must be below this */
	unsigned long vstart, vend;
};

int sim_geo_init(struct sim_geo *geo, const char *name, unsigned int features);
vmc_pte_t sim_mk_table(const struct sim_geo *geo, unsigned int level,
		       unsigned long pfn);
vmc_pte_t sim_mk_leaf(const struct sim_geo *geo, unsigned int level,
		      unsigned long pfn, unsigned int prot);
bool sim_present(vmc_pte_t e);
bool sim_is_leaf(unsigned int level, vmc_pte_t e);
unsigned long sim_entry_pfn(const struct sim_geo *geo, vmc_pte_t e);
unsigned int sim_leaf_prot(const struct sim_geo *geo, vmc_pte_t e);
bool sim_entry_writable(vmc_pte_t e);

/* The entry stored at p, in the geometry's entry width (4 or 8 bytes). */
static inline vmc_pte_t sim_entry_load(const struct sim_geo *geo,
				       const unsigned char *p)
{
	if (geo->g.entry_size == 4) {
		uint32_t v;

		memcpy(&v, p, sizeof(v));
		return v;
	} else {
		uint64_t v;

		memcpy(&v, p, sizeof(v));
		return v;
	}
}

/* --- sim_tlb.c --------------------------------------------------------- */

struct sim_tlb_entry {
	unsigned long va;               /* page-aligned virtual address */
	unsigned long pfn;
	bool valid, writable;
};

struct sim_tlb {
	struct sim_tlb_entry *e;        /* sets * ways, set-major */
	uint32_t *victim;               /* per set: next way to replace (FIFO) */
	unsigned long n, sets, ways;
	unsigned long hits, misses, flushes, flushed;
	bool used;                      /* ever filled (sim_backend.c theory 5) */
};

int sim_tlb_init(struct sim_tlb *t, unsigned long entries);
void sim_tlb_fini(struct sim_tlb *t);
bool sim_tlb_lookup(struct sim_tlb *t, unsigned long va, unsigned long *pfn,
		    bool *writable);
void sim_tlb_fill(struct sim_tlb *t, unsigned long va, unsigned long pfn,
		  bool writable);
void sim_tlb_flush(struct sim_tlb *t, unsigned long start, unsigned long end);
int sim_tlb_for_each(const struct sim_tlb *t,
		     int (*fn)(void *arg, unsigned long va, unsigned long pfn),
		     void *arg);
int sim_tlb_for_each_range(const struct sim_tlb *t, unsigned long lo,
			   unsigned long hi,
			   int (*fn)(void *arg, unsigned long va,
				     unsigned long pfn),
			   void *arg);
unsigned long sim_tlb_count(const struct sim_tlb *t);

/* --- sim_backend.c ----------------------------------------------------- */

struct sim_state {
	struct sim_ram ram;
	struct sim_geo geo;
	struct sim_tlb tlb;
	unsigned int features;          /* VMC_BF_* offered by this instance */
	unsigned long root;             /* pfn of the root table */
	unsigned long syncs, pte_writes, batches;
	unsigned int batch_depth;
	/* Appended: the other page-table roots' copy of the root (sim_sync.c). */
	unsigned char *other_root;
	/* Appended: with VMC_BF_CONCURRENT (sim_backend.c theory 5), the
	   frame allocator's and the TLB's locks, and the counters above kept
	   per thread in shards of a cache line each. */
	bool locked;
	vmc_lock_t ram_lock;
	struct sim_shard *shards;
	void *shards_mem;
};

#define SIM_SHARDS 8u

/* A thread's share: its CPU's TLB (and its lock) and its counters. */
struct sim_shard {
	_Alignas(64) vmc_lock_t lock;   /* cache lines of its own */
	struct sim_tlb tlb;
	unsigned long pte_writes;
};

/* The calling thread's shard (sim_backend.c). */
struct sim_shard *sim_shard(struct sim_state *s);

const void *sim_table_entries(struct sim_state *s, unsigned long table,
			      unsigned int level);
vmc_pte_t sim_table_read(struct sim_state *s, unsigned long table,
			 unsigned int level, unsigned int idx);
void sim_table_write(struct sim_state *s, unsigned long table,
		     unsigned int level, unsigned int idx, vmc_pte_t e);
int sim_walk(struct sim_state *s, unsigned long va, unsigned long *pfn,
	     unsigned int *level, bool *writable);
bool sim_canonical(const struct sim_geo *geo, unsigned long va);
int sim_walk_below(struct sim_state *s, unsigned long va, unsigned long table,
		   unsigned int level, bool w, unsigned long *pfn,
		   bool *writable);

/* --- sim_sync.c -------------------------------------------------------- */

int sim_sync_init(struct sim_state *s);
void sim_sync_fini(struct sim_state *s);
void sim_sync_range(struct sim_state *s, unsigned long start,
		    unsigned long end);
int sim_walk_cpu(struct sim_state *s, unsigned long va, unsigned long *pfn,
		 bool *writable);
const void *sim_sync_copy(struct sim_state *s);

/*
 * Sizing shared by the backends built on sim's RAM and tables (sim, mmap):
 * defaults applied, NUMA folded into the feature bits, then -- once the
 * geometry is known -- the check that RAM and the device region fit the
 * entry format, and the info block init() reports.
 */
struct sim_sizing {
	unsigned long nr_frames, dev_frames;
	unsigned int nr_nodes, features;
};

void sim_sizing_init(struct sim_sizing *z, const struct vmc_backend_config *cfg,
		     unsigned int offered);
int sim_sizing_fits(const struct sim_sizing *z, const struct sim_geo *geo);
void sim_fill_info(const struct sim_state *s, const struct sim_sizing *z,
		   struct vmc_backend_info *info);

/*
 * The ops of vmc_sim_ops that only read or allocate through the sim's RAM
 * and entry format.  A backend whose state begins with a struct sim_state
 * (mmap) puts these straight into its own ops table: `bs` is then both.
 */
int sim_frame_alloc(void *bs, int node, unsigned int order,
		    unsigned long *pfn);
void sim_frame_free(void *bs, unsigned long pfn, unsigned int order);
int sim_frame_node(void *bs, unsigned long pfn);
void *sim_kaddr(void *bs, unsigned long pfn);
void sim_frame_zero(void *bs, unsigned long pfn);
unsigned long sim_frames_used(void *bs);
vmc_pte_t sim_op_mk_table(void *bs, unsigned int level, unsigned long pfn);
vmc_pte_t sim_op_mk_leaf(void *bs, unsigned int level, unsigned long pfn,
			 unsigned int prot);
bool sim_op_present(void *bs, unsigned int level, vmc_pte_t e);
bool sim_op_is_leaf(void *bs, unsigned int level, vmc_pte_t e);
unsigned long sim_op_entry_pfn(void *bs, unsigned int level, vmc_pte_t e);
unsigned int sim_op_leaf_prot(void *bs, unsigned int level, vmc_pte_t e);
unsigned long sim_root(void *bs);
int sim_table_alloc(void *bs, unsigned int level, unsigned long *pfn);
void sim_table_free(void *bs, unsigned int level, unsigned long pfn);
const void *sim_op_sync_copy(void *bs);

#endif /* SIM_INTERNAL_H */
