/* SPDX-License-Identifier: MIT */
/*
 * vmc_backends.h - the backends built into this library, chosen by name.
 *
 * Like libevent's eventops[] table: an ordered list of the backends this
 * build has, looked up by name at run time.  VMC_BACKEND in the
 * environment overrides the default, so one set of test binaries runs
 * against every backend (`VMC_BACKEND=mmap make check`).
 */
#ifndef VMC_BACKENDS_H
#define VMC_BACKENDS_H

#include "vmc_backend.h"

/* The backend called `name`, or NULL if this build has none by that name. */
const struct vmc_backend_ops *vmc_backend_find(const char *name);

/* The i-th built-in backend (0 is the default), or NULL past the end. */
const struct vmc_backend_ops *vmc_backend_at(unsigned int i);

/*
 * The backend to use when the caller names none: $VMC_BACKEND if set
 * (NULL if it names no built-in backend), else the first of the table.
 */
const struct vmc_backend_ops *vmc_backend_default(void);

#endif /* VMC_BACKENDS_H */
