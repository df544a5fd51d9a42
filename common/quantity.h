/*
 * quantity.h - Kubernetes quantities and IntOrString percentages: memory
 * ("128Mi", "1.5Gi", "1G", "1000") to bytes, CPU ("500m", "0.5", "2") to
 * millicores, "25%" / "3" for maxSurge-style fields, and the rollout
 * rounding Kubernetes applies to them. Leaf module: libc only, pure.
 */
#ifndef BERTH_COMMON_QUANTITY_H
#define BERTH_COMMON_QUANTITY_H

#include <stdbool.h>
#include <stdint.h>

/* An IntOrString as Kubernetes has it: "25%" or "3". */
struct int_or_percent {
	int value;
	bool percent;
};

/*
 * Memory quantity to bytes. Accepts a non-negative decimal number (with an
 * optional fraction) followed by nothing, a binary suffix Ki Mi Gi Ti Pi Ei
 * or a decimal suffix k M G T P E. Fractions round up to whole bytes.
 * Returns 0, or -1 with errno EINVAL (syntax) or ERANGE (over INT64_MAX).
 */
int quantity_parse_bytes(const char *s, int64_t *out);

/*
 * CPU quantity to millicores: "500m", "1", "0.5", "1.25". Sub-millicore
 * fractions round up to 1m, as Kubernetes does. Returns 0, or -1 with errno
 * EINVAL or ERANGE.
 */
int quantity_parse_millicpu(const char *s, int64_t *out);

/*
 * "N" or "N%" with N a non-negative integer that fits an int. Returns 0 or
 * -1 with errno EINVAL / ERANGE.
 */
int quantity_parse_int_or_percent(const char *s, struct int_or_percent *out);

/*
 * Kubernetes' GetScaledValueFromIntOrPercent: a plain value is returned as
 * is; a percentage of total rounds up (round_up, as maxSurge) or down (as
 * maxUnavailable).
 */
int quantity_scaled(struct int_or_percent v, int total, bool round_up);

#endif
