/* SPDX-License-Identifier: MIT */
/*
 * vmc_rbtree.h - intrusive red-black tree with optional augmentation.
 *
 * The tree only balances; callers search and link.  To insert, a caller
 * walks from the root to the empty child slot where the node belongs,
 * calls vmc_rb_link() there, then vmc_rb_insert() to recolour and rotate.
 *
 * Augmentation: a tree may cache in every node a value computed from the
 * node and its two children (the free tree caches subtree_max_size).  The
 * caller supplies `update`, which recomputes one node's value from its
 * children and returns true if the value changed.  The tree calls it on
 * every node whose children change (both nodes of each rotation, bottom
 * first) and on the path up from any node it links or unlinks, so cached
 * values are exact after every vmc_rb_insert() and vmc_rb_erase().  A
 * caller that changes a node's own key range in place (a free block that
 * shrinks or grows) calls vmc_rb_propagate() from that node.
 */
#ifndef VMC_RBTREE_H
#define VMC_RBTREE_H

#include "vmc_env.h"
#include "vmc_list.h"

struct vmc_rb_node {
	struct vmc_rb_node *parent, *left, *right;
	bool red;
};

struct vmc_rb_root {
	struct vmc_rb_node *node;
};

struct vmc_rb_augment {
	/* Recompute n's cached value from n, n->left, n->right; changed? */
	bool (*update)(struct vmc_rb_node *n);
};

#define vmc_rb_entry(ptr, type, member) vmc_container_of(ptr, type, member)

/* Put node into the empty slot *link below parent (NULL for the root). */
void vmc_rb_link(struct vmc_rb_node *node, struct vmc_rb_node *parent,
		 struct vmc_rb_node **link);
/* Rebalance after vmc_rb_link(); aug may be NULL. */
void vmc_rb_insert(struct vmc_rb_root *root, struct vmc_rb_node *node,
		   const struct vmc_rb_augment *aug);
/* Unlink node and rebalance; aug may be NULL. */
void vmc_rb_erase(struct vmc_rb_root *root, struct vmc_rb_node *node,
		  const struct vmc_rb_augment *aug);
/* Recompute cached values from node up to the root. */
void vmc_rb_propagate(struct vmc_rb_node *node,
		      const struct vmc_rb_augment *aug);

struct vmc_rb_node *vmc_rb_first(const struct vmc_rb_root *root);
struct vmc_rb_node *vmc_rb_last(const struct vmc_rb_root *root);
struct vmc_rb_node *vmc_rb_next(const struct vmc_rb_node *node);
struct vmc_rb_node *vmc_rb_prev(const struct vmc_rb_node *node);

/*
 * Verify the red-black properties (root black, no red node with a red
 * child, equal black height on every path, parent links consistent).
 * Returns 0 or -EINVAL with a description in msg[len].
 */
int vmc_rb_validate(const struct vmc_rb_root *root, char *msg, size_t len);

#endif /* VMC_RBTREE_H */
