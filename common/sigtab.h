/*
 * sigtab.h - signal names to numbers and back ("SIGTERM" <-> 15), for
 * lifecycle.stopSignal and anything that prints a signal. Leaf module:
 * libc only.
 */
#ifndef BERTH_COMMON_SIGTAB_H
#define BERTH_COMMON_SIGTAB_H

/*
 * Accepts "SIGTERM", "TERM" (case-insensitive), "SIGRTMIN+3", "RTMAX-1"
 * or a number "15" in 1..SIGRTMAX. Returns the signal number or -1.
 */
int sigtab_from_name(const char *name);

/* "SIGTERM" for 15, "SIGRTMIN+3" for real-time signals; NULL if unknown. */
const char *sigtab_name(int sig);

#endif
