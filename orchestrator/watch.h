/*
 * watch.h - `-w` streams: connections that receive a fresh document each
 * time the objects they watch change. Changes are coalesced for a few
 * milliseconds so a burst becomes one line.
 */
#ifndef BERTH_ORCHESTRATOR_WATCH_H
#define BERTH_ORCHESTRATOR_WATCH_H

#include "model.h"

void watch_init(struct daemon *d);
void watch_add(struct daemon *d, struct ctl_conn *conn, enum watch_kind kind);
/* Something of this kind changed. */
void watch_mark(struct daemon *d, enum watch_kind kind);
/* Ends every stream (shutdown). */
void watch_close_all(struct daemon *d);

#endif
