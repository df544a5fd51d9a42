/*
 * bluegreen_phase.h - the BlueGreen strategy's state machine as pure
 * functions (Argo Rollouts' blueGreen semantics): which revision the
 * active and the preview services select, how many pods each revision
 * needs, when promotion happens (by hand, at once or after
 * autoPromotionSeconds, after prePromotionAnalysis), the old revision's
 * scale-down delay, abort, retry and the instant rollback within the
 * delay. No I/O and no clock of its own (the caller passes the monotonic
 * time and the pod counts): bluegreen.c counts pods and applies it.
 */
#ifndef BERTH_ORCHESTRATOR_BLUEGREEN_PHASE_H
#define BERTH_ORCHESTRATOR_BLUEGREEN_PHASE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../config/config.h"

enum bg_phase {
	BG_IDLE,	  /* one revision: both services select `active` */
	BG_PREVIEW,	  /* the new revision comes up beside the active one */
	BG_PRE_ANALYSIS,  /* available; prePromotionAnalysis runs */
	BG_PAUSED,	  /* available; waiting for promote or the timer */
	BG_PROMOTING,	  /* scaled to replicas before the switch */
	BG_POST_ANALYSIS, /* switched; postPromotionAnalysis runs */
	BG_SCALE_DOWN,	  /* switched; the old revision goes at a deadline */
	BG_ABORTED	  /* active back on stable; the new one goes later */
};

/* What an analysis run says (the analysis engine's verdict). */
enum bg_verdict {
	BG_VERDICT_RUNNING,
	BG_VERDICT_SUCCESSFUL,
	BG_VERDICT_FAILED,
	BG_VERDICT_INCONCLUSIVE /* waits for `berth rollout promote` */
};

/* scale_down_mono after an abort with abortScaleDownDelaySeconds 0: as
 * in Argo Rollouts the new revision's pods stay until retry, undo or a
 * new template. */
#define BG_KEEP_TARGET INT64_C(-1)

struct bluegreen_state {
	char active[16]; /* the revision the active service selects */
	char target[16]; /* the revision being rolled out; "" none */
	char old[16];	 /* the previous active one, kept for a while */
	enum bg_phase phase;
	int64_t ready_mono;	 /* preview available since (auto timer) */
	int64_t scale_down_mono; /* old (or aborted) revision goes then;
				    BG_KEEP_TARGET: aborted, kept */
	bool promote;		 /* `rollout promote` asked */
	bool promote_full;	 /* promote --full: analysis skipped too */
};

struct bluegreen_input {
	const struct bluegreen_spec *spec;
	const char *hash; /* the deployment's current template */
	int replicas;
	bool paused; /* `rollout pause`: no promotion */
	int active_available, target_available, old_available;
	enum bg_verdict pre, post; /* the analysis runs' verdicts */
	int64_t now_mono;
	/* revision number of a hash, for the notes */
	int (*number)(const char *hash, void *arg);
	void *arg;
};

#define BG_NOTES 6
struct bluegreen_output {
	/* pods each revision should have; -1: leave as it is */
	int want_active, want_target, want_old;
	int64_t wake_mono; /* a timer ends then; 0 none */
	bool switched;	   /* the active service moved */
	size_t n_notes;
	char notes[BG_NOTES][240];
	bool warn[BG_NOTES]; /* note is a Warning */
};

const char *bg_phase_name(enum bg_phase p);
/* Pods of the new revision before promotion. */
int bluegreen_preview_count(const struct bluegreen_spec *spec, int replicas);
/* The revision the preview service selects ("" none). */
const char *bluegreen_preview_hash(const struct bluegreen_state *s);
/* Advances as far as it can go now. */
void bluegreen_advance(struct bluegreen_state *s,
		       const struct bluegreen_input *in,
		       struct bluegreen_output *out);
/* The next moment the clock alone moves s (auto-promotion, a
 * scale-down deadline); 0 none. */
int64_t bluegreen_wake(const struct bluegreen_state *s,
		       const struct bluegreen_spec *spec);
/* promote: 0, or -1 with why when there is nothing to promote. */
int bluegreen_promote(struct bluegreen_state *s, bool full, char *why,
		      size_t len);
/* abort: the active service back on the stable revision; the new one
 * goes abort_delay seconds later (0: kept until retry, undo or a new
 * template). -1 with why when nothing to abort. */
int bluegreen_abort(struct bluegreen_state *s, int abort_delay_s,
		    int64_t now_mono, char *why, size_t len);
/* "goes in N s" or "stays until ..." for an abort's events, in buf. */
const char *bluegreen_abort_when(int abort_delay_s, char *buf, size_t len);
/* retry after an abort: the rollout starts again from the preview. */
int bluegreen_retry(struct bluegreen_state *s, char *why, size_t len);

#endif
