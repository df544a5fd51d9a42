/*
 * cri_log.h - the kubelet's CRI container log format, both ways, and
 * nothing else: each record is one line
 *   2016-10-06T00:17:09.669794202Z stdout F text
 * (RFC 3339 UTC time with nine fraction digits, the stream, F for a record
 * that ends a line or P for a partial one, then the text without its
 * newline). The writer side is used by the log collector (logd.c), the
 * reader side by `berth logs` and the Kubernetes API (logs.c). Pure: no
 * file, no clock, no allocation except the caller's buffer.
 */
#ifndef BERTH_RUNTIME_CRI_LOG_H
#define BERTH_RUNTIME_CRI_LOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define CRI_TIME_LEN 30 /* "2016-10-06T00:17:09.669794202Z" */
/* the longest header, time and " stderr P ", with its NUL */
#define CRI_HEADER_MAX (CRI_TIME_LEN + 11)
/* A longer line is cut into records of this much text (P ... P F), as
 * containerd does. */
#define CRI_MAX_TEXT 16384

enum cri_stream { CRI_STDOUT = 0, CRI_STDERR = 1 };

/* ns: nanoseconds since the epoch; out gets CRI_TIME_LEN chars and a NUL. */
void cri_format_time(int64_t ns, char out[CRI_TIME_LEN + 1]);
/* RFC 3339: YYYY-MM-DDTHH:MM:SS[.fraction](Z|+HH:MM|-HH:MM), the whole of
 * s[0..len). -1 when it is not one. */
int cri_parse_time(const char *s, size_t len, int64_t *ns);

/* Writes a record's header ("TIME STREAM F|P ") to out (CRI_HEADER_MAX
 * bytes at least); returns its length. */
size_t cri_header(char *out, int64_t ns, enum cri_stream stream, bool partial);

/*
 * The next record of data[0..len) (len > 0) as a writer cuts it: the text
 * up to a newline (F, the newline consumed and not part of the text), or
 * max_text bytes of a longer line, or the rest when no newline follows
 * (both P). Returns the bytes of data consumed; *text_len is the record's
 * text length.
 */
size_t cri_next_record(const char *data, size_t len, size_t max_text,
		       size_t *text_len, bool *partial);

/* Strict rotation: true when a record of rec_len bytes must go to a new
 * file because the current one (size bytes, not empty) would pass max. */
bool cri_must_rotate(off_t size, size_t rec_len, off_t max);

struct cri_record {
	int64_t ns;
	enum cri_stream stream;
	bool partial;
	const char *text;
	size_t len;
};

/* One line of a log file (without its newline). -1: not a CRI record. */
int cri_parse_line(const char *line, size_t len, struct cri_record *r);

#endif
