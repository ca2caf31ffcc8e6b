/* SPDX-License-Identifier: MIT */
/*
 * vmc_rbtree.c - intrusive red-black tree with optional augmentation.
 *
 * Theory
 * ------
 * 1. Why.  The VA allocator keeps three address-ordered sets (free, busy,
 *    lazy) and needs O(log n) lookup, insertion and removal in each, plus,
 *    for the free set, an O(log n) answer to "where is the lowest block of
 *    at least this size".  A red-black tree whose nodes cache a value
 *    computed from their subtree (an "augmented" tree) gives both.
 *
 * 2. Shape.  Nodes are embedded in the caller's objects (struct vmc_va)
 *    and carry parent, left, right and a colour.  The tree never compares
 *    keys: the caller walks down to an empty child slot, links the node
 *    there (vmc_rb_link) and asks the tree to restore balance
 *    (vmc_rb_insert).  Removal (vmc_rb_erase) needs no key either.
 *    The usual properties hold after every public call: the root is
 *    black, a red node has no red child, and every path from a node down
 *    to an empty slot crosses the same number of black nodes.  Hence the
 *    height is at most 2 log2(n + 1).
 *
 * 3. Augmentation.  The caller's update(n) recomputes n's cached value
 *    from n itself and its children's cached values.  A cached value is
 *    only wrong when some node in the subtree changed, so it is enough to
 *    (a) recompute every node on the path from a structural change up to
 *    the root, and (b) after each rotation recompute the two rotated
 *    nodes, the one that ended up lower first.  A rotation keeps the set
 *    of nodes below the rotated position, so nothing above it changes.
 *    Recolouring never touches cached values.  The walk up stops at the
 *    first node whose value did not change, as Linux's propagate does:
 *    the values above it were exact and still are.  When an erase moves
 *    the successor into the removed node's place, every node from the
 *    splice point up to the successor is recomputed regardless (the
 *    successor still holds the value of its old position), and only
 *    above it may the walk stop early.
 *
 * 4. Relation to Linux.  lib/rbtree.c and include/linux/rbtree_augmented.h
 *    implement the same idea with the colour packed into the parent
 *    pointer and callbacks for propagate/copy/rotate.  We keep a plain
 *    bool colour and a single update callback: simpler, a few bytes
 *    bigger, same complexity.  The code here is our own textbook-style
 *    formulation (CLRS insert/delete fix-ups with explicit parent links).
 *
 * 5. Validation.  vmc_rb_validate() walks the tree iteratively (no
 *    recursion, so a corrupted, very deep tree cannot blow the stack),
 *    checking parent links, colours and black heights.
 */
#include "vmc_rbtree.h"

static inline void rb_update(const struct vmc_rb_augment *aug,
			     struct vmc_rb_node *n)
{
	if (aug && n)
		(void)aug->update(n);
}

/* Make `repl` take `old`'s place under `parent` (or as the root). */
static void rb_replace_child(struct vmc_rb_root *root,
			     struct vmc_rb_node *parent,
			     struct vmc_rb_node *old, struct vmc_rb_node *repl)
{
	if (!parent)
		root->node = repl;
	else if (parent->left == old)
		parent->left = repl;
	else
		parent->right = repl;
}

/*
 *     x                y
 *    / \              / \
 *   a   y     ->     x   c
 *      / \          / \
 *     b   c        a   b
 */
static void rb_rotate_left(struct vmc_rb_root *root, struct vmc_rb_node *x,
			   const struct vmc_rb_augment *aug)
{
	struct vmc_rb_node *y = x->right;

	x->right = y->left;
	if (y->left)
		y->left->parent = x;
	y->parent = x->parent;
	rb_replace_child(root, x->parent, x, y);
	y->left = x;
	x->parent = y;
	rb_update(aug, x);
	rb_update(aug, y);
}

/* Mirror image of rb_rotate_left. */
static void rb_rotate_right(struct vmc_rb_root *root, struct vmc_rb_node *x,
			    const struct vmc_rb_augment *aug)
{
	struct vmc_rb_node *y = x->left;

	x->left = y->right;
	if (y->right)
		y->right->parent = x;
	y->parent = x->parent;
	rb_replace_child(root, x->parent, x, y);
	y->right = x;
	x->parent = y;
	rb_update(aug, x);
	rb_update(aug, y);
}

static inline bool rb_is_red(const struct vmc_rb_node *n)
{
	return n && n->red;
}

void vmc_rb_link(struct vmc_rb_node *node, struct vmc_rb_node *parent,
		 struct vmc_rb_node **link)
{
	node->parent = parent;
	node->left = NULL;
	node->right = NULL;
	node->red = true;
	*link = node;
}

/*
 * Recompute from node up, stopping at the first node whose value did
 * not change (then nothing above it changes either), as Linux's
 * RB_DECLARE_CALLBACKS_MAX propagate does; `stop` and the nodes below
 * it are recomputed whatever they say (an erase moved them).
 */
static void rb_propagate_from(struct vmc_rb_node *node,
			      struct vmc_rb_node *stop,
			      const struct vmc_rb_augment *aug)
{
	bool forced = stop != NULL;

	if (!aug)
		return;
	for (; node; node = node->parent) {
		bool changed = aug->update(node);

		if (node == stop)
			forced = false;
		else if (!changed && !forced)
			break;
	}
}

void vmc_rb_propagate(struct vmc_rb_node *node,
		      const struct vmc_rb_augment *aug)
{
	rb_propagate_from(node, NULL, aug);
}

void vmc_rb_insert(struct vmc_rb_root *root, struct vmc_rb_node *node,
		   const struct vmc_rb_augment *aug)
{
	struct vmc_rb_node *z = node;

	/*
	 * The new leaf and every ancestor gained a node below them; the
	 * leaf's own value may already be right, its parent's not.
	 */
	rb_propagate_from(node, node, aug);

	while (rb_is_red(z->parent)) {
		struct vmc_rb_node *p = z->parent;
		struct vmc_rb_node *g = p->parent; /* exists: a red p is no root */
		struct vmc_rb_node *u;

		if (p == g->left) {
			u = g->right;
			if (rb_is_red(u)) {
				p->red = false;
				u->red = false;
				g->red = true;
				z = g;
				continue;
			}
			if (z == p->right) {
				rb_rotate_left(root, p, aug);
				z = p;
				p = z->parent;
			}
			p->red = false;
			g->red = true;
			rb_rotate_right(root, g, aug);
		} else {
			u = g->left;
			if (rb_is_red(u)) {
				p->red = false;
				u->red = false;
				g->red = true;
				z = g;
				continue;
			}
			if (z == p->left) {
				rb_rotate_right(root, p, aug);
				z = p;
				p = z->parent;
			}
			p->red = false;
			g->red = true;
			rb_rotate_left(root, g, aug);
		}
	}
	root->node->red = false;
}

/*
 * A black node was removed above x (x may be an empty slot, then parent
 * tells where it is): x's side is one black short.  Push the deficit up
 * or repair it with rotations through x's sibling w.
 */
static void rb_erase_fixup(struct vmc_rb_root *root, struct vmc_rb_node *x,
			   struct vmc_rb_node *parent,
			   const struct vmc_rb_augment *aug)
{
	struct vmc_rb_node *w;

	while (x != root->node && !rb_is_red(x)) {
		if (x == parent->left) {
			w = parent->right;
			if (rb_is_red(w)) {
				w->red = false;
				parent->red = true;
				rb_rotate_left(root, parent, aug);
				w = parent->right;
			}
			if (!rb_is_red(w->left) && !rb_is_red(w->right)) {
				w->red = true;
				x = parent;
				parent = x->parent;
				continue;
			}
			if (!rb_is_red(w->right)) {
				w->left->red = false;
				w->red = true;
				rb_rotate_right(root, w, aug);
				w = parent->right;
			}
			w->red = parent->red;
			parent->red = false;
			w->right->red = false;
			rb_rotate_left(root, parent, aug);
		} else {
			w = parent->left;
			if (rb_is_red(w)) {
				w->red = false;
				parent->red = true;
				rb_rotate_right(root, parent, aug);
				w = parent->left;
			}
			if (!rb_is_red(w->left) && !rb_is_red(w->right)) {
				w->red = true;
				x = parent;
				parent = x->parent;
				continue;
			}
			if (!rb_is_red(w->left)) {
				w->right->red = false;
				w->red = true;
				rb_rotate_left(root, w, aug);
				w = parent->left;
			}
			w->red = parent->red;
			parent->red = false;
			w->left->red = false;
			rb_rotate_right(root, parent, aug);
		}
		x = root->node;
		break;
	}
	if (x)
		x->red = false;
}

void vmc_rb_erase(struct vmc_rb_root *root, struct vmc_rb_node *z,
		  const struct vmc_rb_augment *aug)
{
	struct vmc_rb_node *x, *xparent, *changed, *moved = NULL;
	bool removed_red;

	if (!z->left || !z->right) {
		/* At most one child: splice z out. */
		x = z->left ? z->left : z->right;
		xparent = z->parent;
		rb_replace_child(root, xparent, z, x);
		if (x)
			x->parent = xparent;
		removed_red = z->red;
		changed = xparent;
	} else {
		/* Two children: the successor y (no left child) takes z's place. */
		struct vmc_rb_node *y = z->right;

		while (y->left)
			y = y->left;
		removed_red = y->red;
		x = y->right;
		if (y->parent == z) {
			xparent = y;
		} else {
			xparent = y->parent;
			xparent->left = x;
			if (x)
				x->parent = xparent;
			y->right = z->right;
			y->right->parent = y;
		}
		y->left = z->left;
		y->left->parent = y;
		y->parent = z->parent;
		rb_replace_child(root, z->parent, z, y);
		y->red = z->red;
		changed = xparent;  /* y itself or below y: the walk passes y */
		moved = y;          /* y's value is its old one: recompute it */
	}
	rb_propagate_from(changed, moved, aug);

	if (!removed_red)
		rb_erase_fixup(root, x, xparent, aug);

	z->parent = z->left = z->right = NULL;
}

struct vmc_rb_node *vmc_rb_first(const struct vmc_rb_root *root)
{
	struct vmc_rb_node *n = root->node;

	if (!n)
		return NULL;
	while (n->left)
		n = n->left;
	return n;
}

struct vmc_rb_node *vmc_rb_last(const struct vmc_rb_root *root)
{
	struct vmc_rb_node *n = root->node;

	if (!n)
		return NULL;
	while (n->right)
		n = n->right;
	return n;
}

struct vmc_rb_node *vmc_rb_next(const struct vmc_rb_node *node)
{
	const struct vmc_rb_node *n = node;

	if (n->right) {
		n = n->right;
		while (n->left)
			n = n->left;
		return (struct vmc_rb_node *)n;
	}
	while (n->parent && n == n->parent->right)
		n = n->parent;
	return n->parent;
}

struct vmc_rb_node *vmc_rb_prev(const struct vmc_rb_node *node)
{
	const struct vmc_rb_node *n = node;

	if (n->left) {
		n = n->left;
		while (n->right)
			n = n->right;
		return (struct vmc_rb_node *)n;
	}
	while (n->parent && n == n->parent->left)
		n = n->parent;
	return n->parent;
}

__attribute__((format(printf, 3, 4)))
static int rb_report(char *msg, size_t len, const char *fmt, ...)
{
	va_list ap;

	if (msg && len) {
		va_start(ap, fmt);
		vmc_env_vsnprintf(msg, len, fmt, ap);
		va_end(ap);
	}
	return -EINVAL;
}

int vmc_rb_validate(const struct vmc_rb_root *root, char *msg, size_t len)
{
	const struct vmc_rb_node *n = root->node, *prev = NULL;
	long blacks = 0, height = -1;

	if (msg && len)
		msg[0] = '\0';
	if (!n)
		return 0;
	if (n->parent)
		return rb_report(msg, len, "root %p has parent %p",
				 (const void *)n, (const void *)n->parent);
	if (n->red)
		return rb_report(msg, len, "root %p is red", (const void *)n);

	/* Iterative depth-first walk using the parent links. */
	while (n) {
		if (prev == n->parent) {
			/* First visit, coming from above. */
			blacks += !n->red;
			if (n->left && n->left == n->right)
				return rb_report(msg, len,
						 "node %p: both children are %p",
						 (const void *)n,
						 (const void *)n->left);
			if (n->left && n->left->parent != n)
				return rb_report(msg, len,
						 "node %p: left child's parent is %p",
						 (const void *)n,
						 (const void *)n->left->parent);
			if (n->right && n->right->parent != n)
				return rb_report(msg, len,
						 "node %p: right child's parent is %p",
						 (const void *)n,
						 (const void *)n->right->parent);
			if (n->red && (rb_is_red(n->left) || rb_is_red(n->right)))
				return rb_report(msg, len,
						 "red node %p has a red child",
						 (const void *)n);
			if (!n->left || !n->right) {
				if (height < 0)
					height = blacks;
				else if (height != blacks)
					return rb_report(msg, len,
							 "black height %ld at node %p, %ld elsewhere",
							 blacks, (const void *)n,
							 height);
			}
			if (n->left) {
				prev = n;
				n = n->left;
				continue;
			}
			if (n->right) {
				prev = n;
				n = n->right;
				continue;
			}
		} else if (prev == n->left && n->right) {
			prev = n;
			n = n->right;
			continue;
		}
		/* Done with n's subtree: go up. */
		blacks -= !n->red;
		prev = n;
		n = n->parent;
	}
	return 0;
}
