/* SPDX-License-Identifier: MIT */
/*
 * test_rbtree.c - the augmented red-black tree against brute force.
 *
 * Runs once: no arena and no backend.
 *
 * Theory: nodes carry a key and a "size"; the tree caches in every node
 * the maximum size over its subtree (like the free tree's
 * subtree_max_size).  A seeded random sequence of inserts and erases
 * (seed printed; pass a seed as argv[1] to replay) is applied both to the
 * tree and to a plain presence array indexed by key.  After every step we
 * check, by brute force:
 *   - vmc_rb_validate() accepts the tree;
 *   - the in-order traversal (first/next) lists exactly the present keys
 *     in increasing order, and last/prev gives the reverse;
 *   - every node's cached max equals the max recomputed over its subtree;
 *   - the height stays within 2 log2(n + 1).
 * Each property is reported once (with the first failing step) so the
 * TAP output stays short.  A few deliberate corruptions check that
 * vmc_rb_validate() can fail.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "vmc_rbtree.h"
#include "tap.h"

#define NKEYS 3000
#define NSTEPS 30000

struct tnode {
	struct vmc_rb_node rb;
	unsigned long key;
	unsigned long size;
	unsigned long max;      /* cached: max size over the subtree */
	bool present;
};

static struct tnode nodes[NKEYS];

static unsigned long long rng_state;

static unsigned long rnd(void)
{
	/* xorshift64* */
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return (unsigned long)((rng_state * 2685821657736338717ULL) >> 16);
}

static struct tnode *tn(struct vmc_rb_node *n)
{
	return n ? vmc_rb_entry(n, struct tnode, rb) : NULL;
}

static bool tn_update(struct vmc_rb_node *n)
{
	struct tnode *t = tn(n);
	unsigned long m = t->size;

	if (n->left && tn(n->left)->max > m)
		m = tn(n->left)->max;
	if (n->right && tn(n->right)->max > m)
		m = tn(n->right)->max;
	if (m == t->max)
		return false;
	t->max = m;
	return true;
}

static const struct vmc_rb_augment tn_aug = { tn_update };

static void tn_insert(struct vmc_rb_root *root, struct tnode *t,
		      const struct vmc_rb_augment *aug)
{
	struct vmc_rb_node **link = &root->node, *parent = NULL;

	while (*link) {
		parent = *link;
		link = t->key < tn(parent)->key ? &parent->left : &parent->right;
	}
	/* A stale cache on purpose: insert must recompute it. */
	t->max = 0;
	vmc_rb_link(&t->rb, parent, link);
	vmc_rb_insert(root, &t->rb, aug);
	t->present = true;
}

/* Brute force: true subtree max (recursive), count mismatches, height. */
static unsigned long brute(struct vmc_rb_node *n, unsigned long *bad,
			   unsigned int *height)
{
	unsigned int hl = 0, hr = 0;
	unsigned long m, l, r;

	if (!n) {
		*height = 0;
		return 0;
	}
	m = tn(n)->size;
	l = brute(n->left, bad, &hl);
	r = brute(n->right, bad, &hr);
	if (l > m)
		m = l;
	if (r > m)
		m = r;
	if (tn(n)->max != m)
		(*bad)++;
	*height = 1 + (hl > hr ? hl : hr);
	return m;
}

static int ilog2_ceil(unsigned long x)
{
	int r = 0;

	while ((1UL << r) < x)
		r++;
	return r;
}

struct failures {
	long validate, inorder, reverse, aug, height;
	char vmsg[200];
};

static void check_tree(struct vmc_rb_root *root, long step, bool augmented,
		       struct failures *f)
{
	char msg[200];
	struct vmc_rb_node *n;
	unsigned long k, cnt = 0, bad = 0;
	unsigned int h;
	bool ok;

	if (vmc_rb_validate(root, msg, sizeof(msg)) && f->validate < 0) {
		f->validate = step;
		snprintf(f->vmsg, sizeof(f->vmsg), "%s", msg);
	}

	/* In order: the present keys, ascending. */
	ok = true;
	n = vmc_rb_first(root);
	for (k = 0; k < NKEYS; k++) {
		if (!nodes[k].present)
			continue;
		cnt++;
		if (n != &nodes[k].rb) {
			ok = false;
			break;
		}
		n = vmc_rb_next(n);
	}
	if (n)
		ok = false;
	if (!ok && f->inorder < 0)
		f->inorder = step;

	/* Reverse order through last/prev. */
	ok = true;
	n = vmc_rb_last(root);
	for (k = NKEYS; k-- > 0;) {
		if (!nodes[k].present)
			continue;
		if (n != &nodes[k].rb) {
			ok = false;
			break;
		}
		n = vmc_rb_prev(n);
	}
	if (n)
		ok = false;
	if (!ok && f->reverse < 0)
		f->reverse = step;

	brute(root->node, &bad, &h);
	if (augmented && bad && f->aug < 0)
		f->aug = step;
	if ((int)h > 2 * ilog2_ceil(cnt + 1) && f->height < 0)
		f->height = step;
}

static void run(unsigned long long seed, const struct vmc_rb_augment *aug,
		const char *name)
{
	struct vmc_rb_root root = { NULL };
	struct failures f = { -1, -1, -1, -1, -1, "" };
	unsigned long inserts = 0, erases = 0, present = 0, maxpresent = 0;
	long step;

	rng_state = seed ? seed : 1;
	memset(nodes, 0, sizeof(nodes));
	for (step = 0; step < NSTEPS; step++) {
		unsigned long k = rnd() % NKEYS;
		/* Phases: grow, churn, shrink, so both fix-ups see all shapes. */
		bool grow = step < NSTEPS / 3 ? rnd() % 4 != 0 :
			    step < 2 * NSTEPS / 3 ? rnd() % 2 : rnd() % 4 == 0;

		if (!nodes[k].present && grow) {
			nodes[k].key = k;
			nodes[k].size = rnd() % 100000;
			tn_insert(&root, &nodes[k], aug);
			inserts++;
			present++;
		} else if (nodes[k].present && !grow) {
			vmc_rb_erase(&root, &nodes[k].rb, aug);
			nodes[k].present = false;
			erases++;
			present--;
		} else if (nodes[k].present && aug) {
			/* Change a size in place, then propagate. */
			nodes[k].size = rnd() % 100000;
			vmc_rb_propagate(&nodes[k].rb, aug);
		}
		if (present > maxpresent)
			maxpresent = present;
		check_tree(&root, step, aug != NULL, &f);
	}
	/* Drain: erase everything, checking along the way. */
	for (unsigned long k = 0; k < NKEYS; k++) {
		if (!nodes[k].present)
			continue;
		vmc_rb_erase(&root, &nodes[k].rb, aug);
		nodes[k].present = false;
		erases++;
		check_tree(&root, step++, aug != NULL, &f);
	}
	tap_diag("%s: %lu inserts, %lu erases, up to %lu nodes", name,
		 inserts, erases, maxpresent);
	tap_ok(inserts > 1000 && maxpresent > NKEYS / 2,
	       "%s: the run reached a big tree", name);
	if (!tap_ok(f.validate < 0, "%s: validate accepts the tree after every step", name))
		tap_diag("step %ld: %s", f.validate, f.vmsg);
	if (!tap_ok(f.inorder < 0, "%s: first/next traversal equals the sorted reference", name))
		tap_diag("first mismatch at step %ld", f.inorder);
	if (!tap_ok(f.reverse < 0, "%s: last/prev traversal equals the reversed reference", name))
		tap_diag("first mismatch at step %ld", f.reverse);
	if (aug && !tap_ok(f.aug < 0, "%s: every cached subtree max equals brute force", name))
		tap_diag("first mismatch at step %ld", f.aug);
	if (!tap_ok(f.height < 0, "%s: height <= 2 log2(n + 1)", name))
		tap_diag("first violation at step %ld", f.height);
	tap_ok(root.node == NULL, "%s: tree empty after draining", name);
}

/* Corruptions that vmc_rb_validate() must notice. */
static void corruptions(void)
{
	struct vmc_rb_root root = { NULL };
	char msg[200];
	struct tnode *t;
	unsigned long k;

	memset(nodes, 0, sizeof(nodes));
	for (k = 0; k < 64; k++) {
		nodes[k].key = k;
		nodes[k].size = k;
		tn_insert(&root, &nodes[k], &tn_aug);
	}
	tap_ok(vmc_rb_validate(&root, msg, sizeof(msg)) == 0,
	       "64 ascending inserts give a valid tree");

	root.node->red = true;
	tap_ok(vmc_rb_validate(&root, msg, sizeof(msg)) == -EINVAL,
	       "a red root is reported (%s)", msg);
	root.node->red = false;

	/* Flip the colour of a black non-root node: black heights differ. */
	t = tn(root.node->left);
	while (t->rb.red && t->rb.left)
		t = tn(t->rb.left);
	if (!t->rb.red) {
		t->rb.red = true;
		tap_ok(vmc_rb_validate(&root, msg, sizeof(msg)) == -EINVAL,
		       "a recoloured black node is reported (%s)", msg);
		t->rb.red = false;
	} else {
		tap_ok(0, "found a black node to recolour");
	}

	/* A broken parent link. */
	t = tn(vmc_rb_first(&root));
	{
		struct vmc_rb_node *saved = t->rb.parent;

		t->rb.parent = root.node->right;
		tap_ok(vmc_rb_validate(&root, msg, sizeof(msg)) == -EINVAL,
		       "a wrong parent link is reported (%s)", msg);
		t->rb.parent = saved;
	}
	tap_ok(vmc_rb_validate(&root, msg, sizeof(msg)) == 0,
	       "the repaired tree validates again");
}

int main(int argc, char **argv)
{
	unsigned long long seed;

	if (argc > 1)
		seed = strtoull(argv[1], NULL, 0);
	else
		seed = (unsigned long long)time(NULL);
	tap_diag("seed %llu (replay: %s %llu)", seed, argv[0], seed);

	run(seed, &tn_aug, "augmented");
	run(seed ^ 0x9e3779b97f4a7c15ULL, NULL, "plain");
	corruptions();
	return tap_done();
}
