/*
 * security.h - the security half of a pod's OCI spec: the capability sets
 * (libcap names, Kubernetes drop/add semantics) and the seccomp profile
 * (RuntimeDefault allow-list, or a profile file filtered through libseccomp).
 * Produces jansson objects only; must not write files, mount or exec.
 */
#ifndef BERTH_RUNTIME_SECURITY_H
#define BERTH_RUNTIME_SECURITY_H

#include <jansson.h>
#include <stddef.h>

#include "../common/err.h"
#include "../config/config.h"

/*
 * The RuntimeDefault allow-list as written (runtime/seccomp_default.c). It
 * lists names for every architecture berth supports; use
 * security_seccomp_allowlist() for the names this host resolves.
 */
extern const char *const security_default_syscalls[];
extern const size_t security_n_default_syscalls;

/*
 * Canonical "CAP_XXX" spelling of a capability name. Accepts "NET_RAW",
 * "net_raw" or "CAP_NET_RAW"; rejects numbers, "ALL" and unknown names.
 */
int security_cap_canonical(const char *name, char **out, struct berr *err);

/*
 * The OCI process.capabilities object for d: Docker's default set, minus
 * caps_drop ("ALL" drops everything), plus caps_add ("ALL" adds every
 * capability the kernel knows). bounding = effective = permitted = result;
 * for runAsUser > 0 the added caps are also inheritable and ambient, so a
 * non-root process keeps them across execve.
 */
int security_caps_build(const struct deployment_spec *d, json_t **out,
			struct berr *err);

/* The seccomp architectures of this host: ["SCMP_ARCH_X86_64", ...]. */
json_t *security_seccomp_architectures(void);

/* The allow-list names that resolve on this architecture, no duplicates. */
json_t *security_seccomp_allowlist(void);

/* The RuntimeDefault profile as an OCI linux.seccomp object. */
json_t *security_seccomp_default(void);

/*
 * Reads a seccomp profile file (OCI or Docker format) into an OCI
 * linux.seccomp object: defaultAction, defaultErrnoRet, architectures (or
 * the host's entry of archMap) and syscalls[] (names/action/errnoRet/args).
 * Names this architecture does not resolve are dropped, and so are entries
 * left without names and entries with Docker's conditional "includes".
 */
int security_seccomp_from_file(const char *path, json_t **out,
			       struct berr *err);

#endif
