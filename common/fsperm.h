/*
 * fsperm.h - checks that a directory berth keeps state or sockets in
 * belongs to the daemon's user alone. Leaf module: libc only.
 */
#ifndef BERTH_COMMON_FSPERM_H
#define BERTH_COMMON_FSPERM_H

#include "err.h"

/*
 * 0 when path (absolute, existing) is a directory owned by the effective
 * uid and writable by neither group nor others, and every folder above it
 * is owned by root or that uid and writable by nobody else unless sticky
 * (like /tmp); a symlink on the way must be owned by root or that uid.
 * Otherwise -1 with a message naming `what` (e.g. "run_dir") and the cause.
 */
int dir_check_private(const char *what, const char *path, struct berr *err);

#endif
