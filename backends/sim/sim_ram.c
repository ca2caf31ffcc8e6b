/* SPDX-License-Identifier: MIT */
/*
 * sim_ram.c - simulated physical memory for the sim backend.
 *
 * Theory
 * ------
 * 1. Why simulate RAM at all.  The core's page tables must live in real
 *    frames of a real format so that a walker bug (wrong index, wrong
 *    level, a table freed while still linked) corrupts something a check
 *    can see, exactly as it would in a kernel.  So every frame, data or
 *    table, is 4 KiB of host memory named by an absolute pfn, and the
 *    tables the core builds are bytes in those frames.
 *
 * 2. Physical layout.  RAM starts at pfn 0x40000 (physical 1 GiB), which
 *    is aligned to the largest order (18), so a buddy block's alignment in
 *    absolute pfns equals its alignment inside RAM, and huge leaves (PMD:
 *    order 9, PUD: order 18) can be backed by naturally aligned blocks.
 *    pfn 0 is never RAM, so a zero pfn in an entry is always a bug.  The
 *    device region (ioremap targets) starts at the first 1 GiB boundary at
 *    or after the end of RAM, in its own host memory: it has a direct map
 *    (kaddr) but frame_alloc never hands it out, as in a real machine.
 *
 * 3. NUMA.  Node i owns a contiguous equal share of RAM (the last node
 *    also takes the remainder), with its own buddy free lists: a block
 *    never spans two nodes and buddies never merge across a node
 *    boundary.  An allocation tries the preferred node first (-1, or a
 *    node that does not exist: node 0), then the others in ascending order
 *    -- Linux's zonelist fallback in its simplest deterministic form.
 *
 * 4. The buddy allocator.  Orders 0..18.  Free lists are doubly linked
 *    through per-frame metadata (indexes, not pointers), LIFO, so every
 *    operation is O(max order) and the result depends only on the call
 *    sequence: two instances fed the same calls return the same pfns.
 *    Splitting keeps the lower half, so fresh memory is used bottom-up.
 *
 * 5. Catching the caller.  Each frame has a state (free, free head,
 *    allocated head, allocated tail, table).  Freeing anything but the
 *    head of a live block of exactly that order -- a double free, a wrong
 *    order, a table freed as data -- is a vmcore bug and panics
 *    (VMC_VERIFY).  frame_alloc fills the block with 0xa5 so a caller that
 *    assumed zeroed memory reads garbage; table frames are zeroed, as the
 *    contract promises.  On our own storage the fill is lazy: frame_alloc
 *    only marks the frames (sim_frame.poison) and sim_ram_data() fills a
 *    marked frame the first time anyone looks at its bytes (kaddr, an
 *    access through the MMU), so a vmalloc that takes 8192 frames and
 *    then fails costs 8192 marks, not 32 MiB of memset.  Nobody can see
 *    the difference: every path to a data frame's bytes goes through
 *    sim_ram_data(), also on caller-supplied storage: the mmap backend,
 *    whose real MMU reads the memfd behind our back, calls it for every
 *    frame before it mirrors a leaf to it.
 *
 * 6. Host memory.  Frames live in 2 MiB host chunks (512 frames, order
 *    9), calloc'ed the first time a frame in them is allocated or reached
 *    and kept until fini.  One 256 MiB calloc would be simpler, but under
 *    AddressSanitizer every allocation and free of it poisons 32 MiB of
 *    shadow -- half a second per arena, which fault-injection sweeps that
 *    build hundreds of arenas cannot afford.  Only the pages of one frame
 *    are promised contiguous by the contract; here blocks up to order 9
 *    are, larger blocks are contiguous per chunk.  A caller may instead
 *    supply the storage (sim_ram_init_mem: the mmap backend's memfd direct
 *    maps); then every chunk pointer is set up front into it and only
 *    the metadata is ours to free.
 *
 * 6a. The chunk pool.  An arena's RAM chunks go, when it is destroyed, to
 *    a small process-wide pool (SIM_POOL_MAX full chunks) that the next
 *    arena's chunk_frame() takes from before asking malloc.  A fuzzer
 *    builds several arenas per input; under AddressSanitizer every fresh
 *    2 MiB chunk is an mmap whose pages fault in again on their first
 *    touch, which was a fifth of an input's time.  A pooled chunk keeps
 *    the old arena's bytes, which is what malloc's are promised to be
 *    anyway: garbage nobody reads before writing it (theory 5).  Device
 *    chunks must start zeroed and are never pooled; neither is storage a
 *    caller supplied.
 *
 * 6b. Which frames are tables, on lines of their own.  A page walk asks,
 *    for every table it enters, whether that frame is still a table of
 *    that level.  The answer lives in table_level[], a byte per frame
 *    written only when a table is allocated or freed, not in the frame's
 *    metadata: four frames share a line of that, and data frames' states
 *    and poison flags there change at every vmalloc and vfree.  With
 *    threads, each walk of one CPU missed on the line the other CPU's
 *    pairs kept writing (a sixth of sim_walk_cpu's time, two threads).
 *
 * 7. Accounting.  `used` counts RAM frames allocated (data and tables),
 *    `tables` the table frames among them; the core's invariant 6 compares
 *    its own bookkeeping with `used`.
 */
#include "sim_internal.h"

static struct sim_frame *meta_of(const struct sim_ram *r, unsigned long pfn)
{
	return &r->meta[pfn - r->base_pfn];
}

bool sim_ram_is_dev(const struct sim_ram *r, unsigned long pfn)
{
	return pfn >= r->dev_pfn && pfn - r->dev_pfn < r->dev_frames;
}

#define SIM_POOL_MAX 32u

static pthread_mutex_t pool_lock = PTHREAD_MUTEX_INITIALIZER;
static unsigned char *pool[SIM_POOL_MAX];
static unsigned int pool_n;

/* A full RAM chunk from the pool (theory 6a), or NULL. */
static unsigned char *pool_get(void)
{
	unsigned char *p = NULL;

	pthread_mutex_lock(&pool_lock);
	if (pool_n)
		p = pool[--pool_n];
	pthread_mutex_unlock(&pool_lock);
	return p;
}

/* Keep a full RAM chunk in the pool, or free it when the pool is full. */
static void pool_put(unsigned char *p)
{
	if (!p)
		return;                 /* a chunk never materialised */
	pthread_mutex_lock(&pool_lock);
	if (pool_n < SIM_POOL_MAX) {
		pool[pool_n++] = p;
		p = NULL;
	}
	pthread_mutex_unlock(&pool_lock);
	free(p);
}

/*
 * Frame `idx` of a region of `total` frames held in chunk table `tab`:
 * materialise its chunk on first use, zeroed for the device region (it
 * starts zeroed), left as the host gives it for RAM: no byte of a RAM
 * frame is read before it is written (tables are zeroed when allocated,
 * data frames get their 0xa5 first, theory 5), and not clearing 2 MiB
 * per chunk is most of what creating a short-lived arena costs.  NULL
 * only if the host is out of memory.
 */
static unsigned char *chunk_frame(unsigned char **tab, unsigned long idx,
				  unsigned long total, bool zero)
{
	unsigned long c = idx >> SIM_CHUNK_ORDER;
	unsigned char *cur = __atomic_load_n(&tab[c], __ATOMIC_ACQUIRE), *p;

	if (!cur) {
		unsigned long first = c << SIM_CHUNK_ORDER;
		unsigned long n = total - first;
		bool pooled;

		if (n > SIM_CHUNK_FRAMES)
			n = SIM_CHUNK_FRAMES;
		pooled = !zero && n == SIM_CHUNK_FRAMES;   /* theory 6a */
		p = pooled ? pool_get() : NULL;
		if (!p)
			p = zero ? calloc(n, VMC_PAGE_SIZE) :
				   malloc(n * VMC_PAGE_SIZE);
		if (!p)
			return NULL;
		/*
		 * Device frames are touched by data accesses, which threads
		 * make at once (sim_backend.c theory 5): the first chunk put
		 * in wins, and a loser's writes would have gone to a chunk
		 * nobody reads again.
		 */
		if (__atomic_compare_exchange_n(&tab[c], &cur, p, false,
						__ATOMIC_ACQ_REL,
						__ATOMIC_ACQUIRE))
			cur = p;
		else if (pooled)
			pool_put(p);
		else
			free(p);
	}
	return cur + ((idx & (SIM_CHUNK_FRAMES - 1)) << VMC_PAGE_SHIFT);
}

/* sim_ram_ptr() when the chunk may not exist yet (or for device frames). */
unsigned char *sim_ram_ptr_slow(struct sim_ram *r, unsigned long pfn)
{
	if (sim_ram_is_ram(r, pfn))
		return chunk_frame(r->chunk, pfn - r->base_pfn, r->nr_frames, false);
	if (sim_ram_is_dev(r, pfn))
		return chunk_frame(r->dchunk, pfn - r->dev_pfn, r->dev_frames, true);
	return NULL;
}

/* Fill n frames of RAM from idx with byte c; false if host memory ran out. */
static bool fill(struct sim_ram *r, unsigned long idx, unsigned long n, int c)
{
	while (n) {
		unsigned long k = SIM_CHUNK_FRAMES - (idx & (SIM_CHUNK_FRAMES - 1));
		unsigned char *p = chunk_frame(r->chunk, idx, r->nr_frames, false);

		if (!p)
			return false;
		if (k > n)
			k = n;
		memset(p, c, k << VMC_PAGE_SHIFT);
		idx += k;
		n -= k;
	}
	return true;
}

bool sim_ram_is_allocated(const struct sim_ram *r, unsigned long pfn)
{
	uint8_t st;

	if (!sim_ram_is_ram(r, pfn))
		return false;
	st = meta_of(r, pfn)->state;
	return st == SIM_F_ALLOC_HEAD || st == SIM_F_ALLOC || st == SIM_F_TABLE;
}

int sim_ram_node_of(const struct sim_ram *r, unsigned long pfn)
{
	VMC_VERIFY(sim_ram_is_ram(r, pfn));
	return meta_of(r, pfn)->node;
}

unsigned long sim_ram_free_frames(const struct sim_ram *r, int node)
{
	unsigned long n = 0;
	unsigned int i;

	if (node >= 0)
		return (unsigned int)node < r->nr_nodes ? r->node[node].nr_free : 0;
	for (i = 0; i < r->nr_nodes; i++)
		n += r->node[i].nr_free;
	return n;
}

/* --- free lists -------------------------------------------------------- */

static void list_push(struct sim_ram *r, struct sim_node *nd,
		      unsigned long idx, unsigned int order)
{
	struct sim_frame *f = &r->meta[idx];
	uint32_t head = nd->free_head[order];

	f->state = SIM_F_FREE_HEAD;
	f->order = (uint8_t)order;
	f->prev = SIM_NONE;
	f->next = head;
	if (head != SIM_NONE)
		r->meta[head].prev = (uint32_t)idx;
	nd->free_head[order] = (uint32_t)idx;
}

static void list_del(struct sim_ram *r, struct sim_node *nd,
		     unsigned long idx, unsigned int order)
{
	struct sim_frame *f = &r->meta[idx];

	if (f->prev != SIM_NONE)
		r->meta[f->prev].next = f->next;
	else
		nd->free_head[order] = f->next;
	if (f->next != SIM_NONE)
		r->meta[f->next].prev = f->prev;
	f->next = f->prev = SIM_NONE;
	f->state = SIM_F_FREE;
}

/* --- init / fini ------------------------------------------------------- */

/* Point every chunk of a region of `total` frames into `mem`. */
static void chunks_from(unsigned char **tab, unsigned long total,
			unsigned char *mem)
{
	unsigned long c;

	for (c = 0; c < (total + SIM_CHUNK_FRAMES - 1) >> SIM_CHUNK_ORDER; c++)
		tab[c] = mem + ((c << SIM_CHUNK_ORDER) << VMC_PAGE_SHIFT);
}

int sim_ram_init(struct sim_ram *r, unsigned long nr_frames,
		 unsigned int nr_nodes, unsigned long dev_frames)
{
	return sim_ram_init_mem(r, nr_frames, nr_nodes, dev_frames, NULL, NULL);
}

int sim_ram_init_mem(struct sim_ram *r, unsigned long nr_frames,
		     unsigned int nr_nodes, unsigned long dev_frames,
		     unsigned char *ram, unsigned char *dev)
{
	unsigned long share, i, gb = 1UL << SIM_MAX_ORDER;
	unsigned int n, o;

	if (!nr_frames || !nr_nodes || nr_nodes > SIM_MAX_NODES ||
	    nr_frames / nr_nodes == 0 || nr_frames >= SIM_NONE ||
	    !dev_frames || dev_frames >= SIM_NONE)
		return -EINVAL;
	if (nr_frames > SIZE_MAX >> VMC_PAGE_SHIFT ||
	    dev_frames > SIZE_MAX >> VMC_PAGE_SHIFT)
		return -EINVAL;

	memset(r, 0, sizeof(*r));
	r->nr_frames = nr_frames;
	r->base_pfn = SIM_RAM_BASE_PFN;
	r->nr_nodes = nr_nodes;
	r->dev_frames = dev_frames;
	r->dev_pfn = (r->base_pfn + nr_frames + gb - 1) & ~(gb - 1);

	r->chunk = calloc((nr_frames + SIM_CHUNK_FRAMES - 1) >> SIM_CHUNK_ORDER,
			  sizeof(*r->chunk));
	r->dchunk = calloc((dev_frames + SIM_CHUNK_FRAMES - 1) >> SIM_CHUNK_ORDER,
			   sizeof(*r->dchunk));
	r->meta = calloc(nr_frames, sizeof(*r->meta));
	r->table_level = calloc(nr_frames, 1);
	if (!r->chunk || !r->dchunk || !r->meta || !r->table_level) {
		sim_ram_fini(r);
		return -ENOMEM;
	}
	if (ram && dev) {
		r->external = true;
		chunks_from(r->chunk, nr_frames, ram);
		chunks_from(r->dchunk, dev_frames, dev);
	}

	share = nr_frames / nr_nodes;
	for (n = 0; n < nr_nodes; n++) {
		struct sim_node *nd = &r->node[n];

		nd->start = n * share;
		nd->end = n + 1 == nr_nodes ? nr_frames : (n + 1) * share;
		for (o = 0; o <= SIM_MAX_ORDER; o++)
			nd->free_head[o] = SIM_NONE;
		for (i = nd->start; i < nd->end; i++) {
			r->meta[i].node = (uint8_t)n;
			r->meta[i].next = r->meta[i].prev = SIM_NONE;
		}
		/*
		 * Carve [start, end) into maximal naturally aligned blocks
		 * (alignment in absolute pfns), pushed high to low so the
		 * lowest block is at the head of its list.
		 */
		i = nd->end;
		while (i > nd->start) {
			unsigned long pfn;

			/* The largest block ending at i, aligned, not below start. */
			for (o = SIM_MAX_ORDER;; o--) {
				unsigned long sz = 1UL << o;

				pfn = r->base_pfn + i - sz;
				if (i >= nd->start + sz && !(pfn & (sz - 1)))
					break;
			}
			i -= 1UL << o;
			list_push(r, nd, i, o);
		}
		nd->nr_free = nd->end - nd->start;
	}
	return 0;
}

static void free_chunks(unsigned char **tab, unsigned long total,
			bool external, bool pooled)
{
	unsigned long c, n = (total + SIM_CHUNK_FRAMES - 1) >> SIM_CHUNK_ORDER;

	if (!tab)
		return;
	for (c = 0; !external && c < n; c++) {
		if (pooled && total - (c << SIM_CHUNK_ORDER) >= SIM_CHUNK_FRAMES)
			pool_put(tab[c]);
		else
			free(tab[c]);
	}
	free(tab);
}

void sim_ram_fini(struct sim_ram *r)
{
	free_chunks(r->chunk, r->nr_frames, r->external, true);
	free_chunks(r->dchunk, r->dev_frames, r->external, false);
	free(r->meta);
	free(r->table_level);
	r->chunk = NULL;
	r->dchunk = NULL;
	r->meta = NULL;
	r->table_level = NULL;
}

/* --- allocate / free --------------------------------------------------- */

static void ram_free(struct sim_ram *r, unsigned long idx, unsigned int order);

static bool node_alloc(struct sim_ram *r, unsigned int n, unsigned int order,
		       unsigned long *idxp)
{
	struct sim_node *nd = &r->node[n];
	unsigned long idx, i;
	unsigned int o;

	for (o = order; o <= SIM_MAX_ORDER; o++)
		if (nd->free_head[o] != SIM_NONE)
			break;
	if (o > SIM_MAX_ORDER)
		return false;
	idx = nd->free_head[o];
	list_del(r, nd, idx, o);
	while (o > order) {                     /* split: keep the lower half */
		o--;
		list_push(r, nd, idx + (1UL << o), o);
	}
	r->meta[idx].state = SIM_F_ALLOC_HEAD;
	r->meta[idx].order = (uint8_t)order;
	for (i = 1; i < 1UL << order; i++)
		r->meta[idx + i].state = SIM_F_ALLOC;
	nd->nr_free -= 1UL << order;
	r->used += 1UL << order;
	*idxp = idx;
	return true;
}

static int ram_alloc(struct sim_ram *r, int node, unsigned int order,
		     unsigned long *idx)
{
	unsigned int first, n;

	if (order > SIM_MAX_ORDER)
		return -ENOMEM;
	first = node >= 0 && (unsigned int)node < r->nr_nodes ? (unsigned int)node : 0;
	if (node_alloc(r, first, order, idx))
		return 0;
	for (n = 0; n < r->nr_nodes; n++)
		if (n != first && node_alloc(r, n, order, idx))
			return 0;
	return -ENOMEM;
}

int sim_ram_alloc(struct sim_ram *r, int node, unsigned int order,
		  unsigned long *pfn)
{
	unsigned long idx;
	unsigned long i, n = 1UL << order;
	int err = ram_alloc(r, node, order, &idx);

	if (err)
		return err;
	/* The chunks must exist now: host memory runs out here. */
	for (i = 0; i < n; i += SIM_CHUNK_FRAMES)
		if (!chunk_frame(r->chunk, idx + i, r->nr_frames, false)) {
			ram_free(r, idx, order);
			return -ENOMEM;
		}
	/* The 0xa5 fill is owed, paid by sim_ram_data() (theory 5). */
	for (i = 0; i < n; i++)
		r->meta[idx + i].poison = 1;
	*pfn = r->base_pfn + idx;
	return 0;
}

static void ram_free(struct sim_ram *r, unsigned long idx, unsigned int order)
{
	struct sim_node *nd = &r->node[r->meta[idx].node];
	unsigned long i;

	for (i = 0; i < 1UL << order; i++)
		r->meta[idx + i].state = SIM_F_FREE;
	nd->nr_free += 1UL << order;
	r->used -= 1UL << order;
	/* Coalesce with free buddies of the same node, as high as possible. */
	while (order < SIM_MAX_ORDER) {
		unsigned long pfn = r->base_pfn + idx;
		unsigned long bidx = (pfn ^ (1UL << order)) - r->base_pfn;
		struct sim_frame *b;

		if (bidx < nd->start || bidx >= nd->end)
			break;
		b = &r->meta[bidx];
		if (b->state != SIM_F_FREE_HEAD || b->order != order)
			break;
		list_del(r, nd, bidx, order);
		if (bidx < idx)
			idx = bidx;
		order++;
	}
	list_push(r, nd, idx, order);
}

void sim_ram_free(struct sim_ram *r, unsigned long pfn, unsigned int order)
{
	struct sim_frame *f;
	unsigned long i;

	VMC_VERIFY3U(order, <=, SIM_MAX_ORDER);
	VMC_VERIFY(sim_ram_is_ram(r, pfn));
	VMC_VERIFY3U(pfn & ((1UL << order) - 1), ==, 0);
	f = meta_of(r, pfn);
	VMC_VERIFY3U(f->state, ==, SIM_F_ALLOC_HEAD);   /* double/bad free */
	VMC_VERIFY3U(f->order, ==, order);
	for (i = 1; i < 1UL << order; i++)
		VMC_VERIFY3U(f[i].state, ==, SIM_F_ALLOC);
	ram_free(r, pfn - r->base_pfn, order);
}

int sim_ram_table_alloc(struct sim_ram *r, unsigned int level,
			unsigned long *pfn)
{
	unsigned long idx;
	int err = ram_alloc(r, -1, 0, &idx);

	if (err)
		return err;
	if (!fill(r, idx, 1, 0)) {
		ram_free(r, idx, 0);
		return -ENOMEM;
	}
	r->meta[idx].poison = 0;
	r->meta[idx].state = SIM_F_TABLE;
	r->table_level[idx] = (uint8_t)(level + 1);
	r->tables++;
	*pfn = r->base_pfn + idx;
	return 0;
}

void sim_ram_table_free(struct sim_ram *r, unsigned long pfn,
			unsigned int level)
{
	VMC_VERIFY(sim_ram_is_table(r, pfn, level));
	r->table_level[pfn - r->base_pfn] = 0;
	r->tables--;
	ram_free(r, pfn - r->base_pfn, 0);
}
