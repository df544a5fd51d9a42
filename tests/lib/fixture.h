/*
 * fixture.h - the unit tests' model fixture: a config read from ini
 * text, through a temporary file, by cfg_load() as the daemon reads its
 * own, and a deployment of it as the daemon's model holds one. Test-only;
 * it owns nothing but the temporary file, removed at once.
 */
#ifndef BERTH_TESTS_FIXTURE_H
#define BERTH_TESTS_FIXTURE_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../config/config.h"
#include "../../orchestrator/model.h"

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

/* dep zeroed, then the deployment name of d (NULL: of none) running
 * spec at revision (its template hash hash), made at created_ms. */
static inline void fixture_deployment(struct deployment *dep, struct daemon *d,
				      const char *name,
				      const struct deployment_spec *spec,
				      int replicas, int revision,
				      const char *hash, int64_t created_ms)
{
	memset(dep, 0, sizeof(*dep));
	snprintf(dep->name, sizeof(dep->name), "%s", name);
	dep->daemon = d;
	dep->spec = spec;
	dep->replicas = replicas;
	dep->revision = revision;
	snprintf(dep->hash, sizeof(dep->hash), "%s", hash);
	dep->created_ms = created_ms;
}

#endif
