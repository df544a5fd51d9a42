/*
 * pod_image.h - a pod's OCI image on the pod side: resolving `image =`
 * references on the thread pool (one pull for every pod waiting on the
 * same reference), the kubelet's pull events and waiting reasons, pull
 * back-off, leases, and the import folder. The store itself is images/'s;
 * the container's set-up is pod.c's and the runtime's.
 */
#ifndef BERTH_ORCHESTRATOR_POD_IMAGE_H
#define BERTH_ORCHESTRATOR_POD_IMAGE_H

#include <stdbool.h>

#include "../runtime/bundle.h"
#include "model.h"

/* A folder image (an absolute path) rather than a reference. */
bool pod_image_is_folder(const char *image);

/* What pod_image_resolve hands over: the overlay option and the image's
 * process settings, valid during the callback only. */
struct pod_image_ready {
	const char *lowerdir;
	const struct bundle_image *image;
};

/*
 * Resolves p's image reference under its pull policy off the loop, then
 * calls ready(p, &what) on the loop. On a failure the pod waits with the
 * kubelet's reason (ErrImagePull, then ImagePullBackOff, ...) and tries
 * again after the pull back-off, calling pod_start; ready is not called.
 * A pod being terminated meanwhile gets failed(p, reason) instead.
 */
void pod_image_resolve(struct pod *p,
		       void (*ready)(struct pod *,
				     const struct pod_image_ready *),
		       void (*failed)(struct pod *, const char *why));
/* The pod is removed: its lease goes (on the thread pool). */
void pod_image_release(struct pod *p);

/* `[berth] imageImportDir`: scanned at start-up and every housekeeping
 * period; registered from main.c. */
extern const struct daemon_plugin pod_image_plugin;

#endif
