/*
 * cfg_text.h - the unit tests' config fixture: a config read from ini
 * text, through a temporary file, by cfg_load() as the daemon reads its
 * own. Test-only; it owns nothing but the temporary file, removed at once.
 */
#ifndef BERTH_TESTS_CFG_TEXT_H
#define BERTH_TESTS_CFG_TEXT_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../config/config.h"

/* The config ini reads as, or NULL (cfg_load's error printed as a TAP
 * comment). tmpl: mkstemp's template, e.g. "/tmp/berth-test-x-XXXXXX". */
static inline struct berth_config *cfg_from_text(const char *ini,
						 const char *tmpl)
{
	char path[128];
	int fd;
	struct berth_config *cfg = NULL;
	struct berr err = BERR_INIT;

	snprintf(path, sizeof(path), "%s", tmpl);
	fd = mkstemp(path);
	if (fd == -1 || write(fd, ini, strlen(ini)) < 0)
		return NULL;
	close(fd);
	if (cfg_load(path, &cfg, &err) == -1)
		printf("# %s\n", err.msg);
	unlink(path);
	return cfg;
}

#endif
