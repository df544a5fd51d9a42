/*
 * describe.h - `berth describe KIND/NAME` text, laid out as kubectl's.
 */
#ifndef BERTH_ORCHESTRATOR_DESCRIBE_H
#define BERTH_ORCHESTRATOR_DESCRIBE_H

#include "model.h"

/* Returns a malloc'd text, or NULL when the object does not exist. */
char *describe_object(struct daemon *d, const char *kind, const char *name);

#endif
