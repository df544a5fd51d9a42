/*
 * assets.h - the page's files, embedded in the binary at build time
 * (embed.sh writes build/gen/dashboard_assets.c from assets/).
 */
#ifndef BERTH_DASHBOARD_ASSETS_H
#define BERTH_DASHBOARD_ASSETS_H

#include <stddef.h>

struct dash_asset {
	const char *name; /* "index.html" */
	const char *type; /* Content-Type */
	const unsigned char *data;
	size_t len;
};

extern const struct dash_asset dash_assets[];
extern const size_t dash_n_assets;

#endif
