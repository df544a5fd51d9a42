/*
 * write_common.h - the steps every write of the Kubernetes API takes
 * whatever the kind (write_common.c): Status answers, the object as GET
 * shows it, resourceVersion checks, patches per Content-Type, the record's
 * common part, and POST/PUT/PATCH dispatch. What a kind's object means
 * (reading it, making it real) stays in its own file (write.c,
 * rollout_write.c), reached through the hooks of struct kwrite.
 */
#ifndef BERTH_KUBE_WRITE_COMMON_H
#define BERTH_KUBE_WRITE_COMMON_H

#include <jansson.h>
#include <stdbool.h>

struct kube_server;
struct kube_conn;
struct kube_request;
struct kres;
struct kwrite;

struct kwrite_ops {
	/* Makes obj the object name: 0, or -1 once answered. */
	int (*put)(struct kwrite *w, const char *name, json_t *obj,
		   const json_t *applied, bool create);
	/* A create of name would collide. */
	bool (*exists)(struct kwrite *w, const char *name);
};

/* The first member of each kind's context. */
struct kwrite {
	struct kube_server *ks;
	struct kube_conn *c;
	const struct kube_request *req;
	const struct kres *r;
	const struct kwrite_ops *ops;
	const char *kind;	 /* Deployment, Rollout... */
	const char *what;	 /* deployments.apps, rollouts.argoproj.io... */
	const char *kind_suffix; /* after kind in "is invalid": .apps... */
	const char *api_version; /* of an object made and gone at once */
	bool strategic;		 /* takes a strategic merge patch */
	char manager[128];	 /* fieldManager */
	bool dry_run;
};

/* fieldManager and dryRun of the request. */
void kwrite_init(struct kwrite *w, struct kube_server *ks, struct kube_conn *c,
		 const struct kube_request *req, const struct kres *r);

void kwrite_fail(struct kwrite *w, int code, const char *reason,
		 const char *name, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
/* 422 Invalid with the cause kubectl prints: "FIELD: message" in why. */
void kwrite_invalid(struct kwrite *w, const char *name, const char *why);
void kwrite_not_found(struct kwrite *w, const char *name);
/* The Status of a DELETE done. */
void kwrite_reply_deleted(struct kwrite *w, const char *name);

/* The object as GET shows it now (a new reference), or NULL. */
json_t *kwrite_current(struct kwrite *w, const char *name);
void kwrite_reply_current(struct kwrite *w, int code, const char *name);

/* The record of name with obj's labels and annotations (ann, taken:
 * already rid of berth's own). */
json_t *kwrite_record_meta(struct kwrite *w, const char *name, json_t *obj,
			   json_t *ann);
/* The last apply of w's field manager, when applied. */
void kwrite_record_applied(struct kwrite *w, json_t *rec,
			   const json_t *applied);
/* A copy of obj without its status and the server's metadata. */
json_t *kwrite_clean_object(const json_t *obj);
/* 0, or -1 once answered. */
int kwrite_record_save(struct kwrite *w, const char *name, json_t *rec);

/* POST (name NULL), PUT or PATCH of body. An object without apiVersion or
 * kind (the body of a POST, a PUT or a server-side apply, the object a
 * patch made) takes w's, the URL's, before anything reads it. */
void kwrite_dispatch(struct kwrite *w, const char *name, json_t *body);

#endif
