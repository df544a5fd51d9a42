/*
 * convert_in.h - Kubernetes objects in: an apps/v1 Deployment or a v1
 * Service as berth's model, through the config file's own parser (the
 * object is written as the INI section it stands for, so every value is
 * checked exactly as in a config file). A field berth cannot honour is
 * an error naming the field, never dropped. Usable outside kube/ (it
 * needs only jansson and config/).
 */
#ifndef BERTH_KUBE_CONVERT_IN_H
#define BERTH_KUBE_CONVERT_IN_H

#include <jansson.h>
#include <stdbool.h>

#include "../config/config.h"

/*
 * obj as a config holding one deployment (*out, free with cfg_free);
 * *paused is spec.paused. base, when the deployment exists already,
 * gives what a Deployment cannot say (progressDeadlineAbort). -1 with
 * err "spec.template.spec.containers[0].ports[0].name: ..." otherwise.
 * A field outside the mapping is refused unless it holds its Go zero
 * value ("", 0, false, null, {}, []); strict (fieldValidation=Strict)
 * refuses it whatever it holds.
 */
int kube_in_deployment(const json_t *obj, const struct deployment_spec *base,
		       bool strict, struct berth_config **out, bool *paused,
		       struct berr *err);

/* The same for a Service: listen address = spec.clusterIP (else
 * 127.0.0.1) and the one port; mode = appProtocol (http|tcp); balance =
 * annotation berth.io/balance; timeouts and maxConnections from base. */
int kube_in_service(const json_t *obj, const struct service_spec *base,
		    bool strict, struct berth_config **out, struct berr *err);

/* The INI text of obj (for messages and tests); NULL with err. */
char *kube_in_ini(const json_t *obj, const struct deployment_spec *dbase,
		  const struct service_spec *sbase, struct berr *err);

#endif
