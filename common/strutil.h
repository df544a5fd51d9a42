/*
 * strutil.h - string helpers for configuration values: trimming, strict
 * integers, shell-like word splitting, Kubernetes $(VAR) expansion,
 * "k=v,k2=v2" label lists and ADDR:PORT. Leaf module: libc and xalloc only;
 * knows nothing about berth's config structs.
 */
#ifndef BERTH_COMMON_STRUTIL_H
#define BERTH_COMMON_STRUTIL_H

#include <stdbool.h>
#include <stddef.h>

/* Strips leading and trailing white space in place; returns the new start. */
char *str_trim(char *s);

/*
 * Strict decimal integer: optional '-', digits only, no white space, no
 * '+', no leading zeros problem (they are accepted). Returns 0, or -1 with
 * errno EINVAL (not a number) or ERANGE (does not fit a long long).
 */
int str_parse_ll(const char *s, long long *out);

/* RFC 1123 label: [a-z0-9]([-a-z0-9]*[a-z0-9])?, 1..max characters. */
bool str_is_dns_label(const char *s, size_t max);
/* RFC 1123 subdomain: dot-separated labels, at most 253 characters. */
bool str_is_dns_subdomain(const char *s);
/* Environment variable name: [-._a-zA-Z][-._a-zA-Z0-9]* */
bool str_is_env_name(const char *s);
/* Kubernetes label key: [prefix/]name, name 1..63 [A-Za-z0-9._-]. */
bool str_is_label_key(const char *s);
/* Kubernetes label value: empty, or a 1..63 character label name. */
bool str_is_label_value(const char *s);

/*
 * Shell-like word splitting: blanks separate words; '...' is literal;
 * "..." allows \" and \\ (any other backslash stays); outside quotes a
 * backslash escapes the next character. No globbing, no $ expansion.
 * On success *out is a NULL-terminated xmalloc'd vector of *n words (free
 * with str_free_words). On failure returns -1 and *why says what is wrong.
 */
int str_split_words(const char *s, char ***out, size_t *n, const char **why);
void str_free_words(char **v);

/*
 * Looks up a variable for str_expand_vars(); name is not NUL-terminated.
 * Returns NULL when the variable is not defined.
 */
typedef const char *(*str_lookup_fn)(void *arg, const char *name, size_t len);

/*
 * Kubernetes' $(VAR) expansion: $(NAME) becomes the looked-up value, an
 * unknown $(NAME) stays as written, "$$" becomes "$" (so "$$(NAME)" is the
 * literal "$(NAME)"), any other '$' is kept. Returns an xmalloc'd string.
 */
char *str_expand_vars(const char *s, str_lookup_fn lookup, void *arg);

/*
 * Parses "k=v,k2=v2" (blanks around items are ignored) with Kubernetes
 * label syntax. On success *out is an xmalloc'd NULL-terminated vector
 * key0, value0, key1, value1, ... and *n the number of pairs (free with
 * str_free_words). An empty string is an empty list. On failure returns -1
 * and writes the reason into why.
 */
int str_parse_labels(const char *s, char ***out, size_t *n, char *why,
		     size_t why_len);

/*
 * Splits "A.B.C.D:PORT" or "[V6]:PORT" (numeric addresses only) into the
 * address (without brackets) and port 1..65535. Returns -1 with *why set
 * on failure.
 */
int str_split_hostport(const char *s, char *host, size_t host_len, int *port,
		       const char **why);

#endif
