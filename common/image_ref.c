/*
 * image_ref.c - parsing and normalising image references with the grammar
 * of the distribution project that containerd and the kubelet use
 * (reference.ParseNormalizedNamed). Owns only strings: it never touches the
 * store, a registry or a pod.
 */
#include "image_ref.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#define DEFAULT_DOMAIN "docker.io"
#define LEGACY_DOMAIN "index.docker.io"
#define OFFICIAL_PREFIX "library/"
#define DEFAULT_TAG "latest"

static bool is_lower_alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

static bool is_hex64(const char *s, size_t n)
{
	if (n != 64)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') ||
		      (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return true;
}

bool image_digest_valid(const char *d)
{
	return strncmp(d, "sha256:", 7) == 0 && is_hex64(d + 7, strlen(d + 7));
}

/* One path component: [a-z0-9]+ ((\.|_|__|-+) [a-z0-9]+)* */
static bool path_component_valid(const char *s, size_t n)
{
	size_t i = 0;

	if (n == 0 || !is_lower_alnum(s[0]) || !is_lower_alnum(s[n - 1]))
		return false;
	while (i < n) {
		if (is_lower_alnum(s[i])) {
			i++;
			continue;
		}
		if (s[i] == '.') {
			i++;
		} else if (s[i] == '_') {
			i += (i + 1 < n && s[i + 1] == '_') ? 2 : 1;
		} else if (s[i] == '-') {
			while (i < n && s[i] == '-')
				i++;
		} else {
			return false;
		}
		if (i >= n || !is_lower_alnum(s[i]))
			return false;
	}
	return true;
}

/* host ("a.b-c", "[::1]") with an optional ":port". */
static bool domain_valid(const char *s, size_t n)
{
	size_t i = 0, host_end;

	if (n == 0)
		return false;
	if (s[0] == '[') {
		const char *close = memchr(s, ']', n);

		if (close == NULL || close == s + 1)
			return false;
		for (const char *p = s + 1; p < close; p++)
			if (!isxdigit((unsigned char)*p) && *p != ':')
				return false;
		host_end = (size_t)(close - s) + 1;
	} else {
		/* components of [A-Za-z0-9] or
		 * [A-Za-z0-9][A-Za-z0-9-]*[A-Za-z0-9] separated by dots */
		size_t start = 0;

		while (i <= n) {
			if (i == n || s[i] == '.' || s[i] == ':') {
				size_t len = i - start;

				if (len == 0 ||
				    !isalnum((unsigned char)s[start]) ||
				    !isalnum((unsigned char)s[i - 1]))
					return false;
				for (size_t j = start; j < i; j++)
					if (!isalnum((unsigned char)s[j]) &&
					    s[j] != '-')
						return false;
				if (i == n || s[i] == ':')
					break;
				start = i + 1;
			}
			i++;
		}
		host_end = i;
	}
	if (host_end == n)
		return true;
	if (s[host_end] != ':' || host_end + 1 == n)
		return false;
	for (i = host_end + 1; i < n; i++)
		if (!isdigit((unsigned char)s[i]))
			return false;
	return true;
}

static bool tag_valid(const char *s, size_t n)
{
	if (n == 0 || n > IMAGE_REF_TAG_MAX)
		return false;
	if (!isalnum((unsigned char)s[0]) && s[0] != '_')
		return false;
	for (size_t i = 1; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && !strchr("_.-", s[i]))
			return false;
	return true;
}

static bool has_upper(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (isupper((unsigned char)s[i]))
			return true;
	return false;
}

int image_ref_parse(const char *s, struct image_ref *out, struct berr *err)
{
	const char *at, *name_end, *slash, *colon, *remote;
	size_t name_len, dom_len, remote_len;
	struct image_ref r;

	memset(&r, 0, sizeof(r));
	if (s == NULL || *s == '\0')
		return berr_set(err, "invalid reference format: empty image");
	if (is_hex64(s, strlen(s)))
		return berr_set(err,
				"invalid repository name `%s`: a 64-character "
				"hexadecimal string is an image ID, not a "
				"reference",
				s);
	for (const char *p = s; *p; p++)
		if (isspace((unsigned char)*p) || !isprint((unsigned char)*p))
			return berr_set(err,
					"invalid reference format `%s`: "
					"contains a space or control character",
					s);

	at = strchr(s, '@');
	name_end = at ? at : s + strlen(s);
	if (at) {
		const char *d = at + 1;

		if (strncmp(d, "sha256:", 7) != 0) {
			if (strchr(d, ':') == NULL)
				return berr_set(
				    err,
				    "invalid reference format `%s`: "
				    "digest `%s` has no algorithm",
				    s, d);
			return berr_set(err,
					"invalid reference format `%s`: "
					"unsupported digest algorithm (only "
					"sha256)",
					s);
		}
		if (!image_digest_valid(d))
			return berr_set(err,
					"invalid reference format `%s`: digest "
					"must be sha256: and 64 lowercase hex "
					"digits",
					s);
		snprintf(r.digest, sizeof(r.digest), "%s", d);
	}

	/* A tag is after the last ':' that follows the last '/'. */
	slash = memrchr(s, '/', (size_t)(name_end - s));
	colon = memrchr(slash ? slash : s, ':',
			(size_t)(name_end - (slash ? slash : s)));
	if (colon) {
		size_t tl = (size_t)(name_end - colon - 1);

		if (!tag_valid(colon + 1, tl))
			return berr_set(err,
					"invalid reference format `%s`: bad "
					"tag `%.*s`",
					s, (int)tl, colon + 1);
		memcpy(r.tag, colon + 1, tl);
		name_end = colon;
	}
	name_len = (size_t)(name_end - s);
	if (name_len == 0)
		return berr_set(err, "invalid reference format `%s`: no name",
				s);

	/* The first component is a registry when it has a dot or a colon, is
	 * "localhost", or has an upper-case letter (which a path cannot). */
	slash = memchr(s, '/', name_len);
	if (slash) {
		dom_len = (size_t)(slash - s);
		if (memchr(s, '.', dom_len) || memchr(s, ':', dom_len) ||
		    (dom_len == 9 && strncmp(s, "localhost", 9) == 0) ||
		    has_upper(s, dom_len)) {
			remote = slash + 1;
		} else {
			dom_len = 0;
			remote = s;
		}
	} else {
		dom_len = 0;
		remote = s;
	}
	remote_len = (size_t)(name_end - remote);
	if (remote_len == 0)
		return berr_set(err,
				"invalid reference format `%s`: no repository "
				"after the registry",
				s);
	if (dom_len) {
		if (!domain_valid(s, dom_len))
			return berr_set(err,
					"invalid reference format `%s`: bad "
					"registry `%.*s`",
					s, (int)dom_len, s);
		if (dom_len == strlen(LEGACY_DOMAIN) &&
		    strncmp(s, LEGACY_DOMAIN, dom_len) == 0)
			snprintf(r.domain, sizeof(r.domain), DEFAULT_DOMAIN);
		else
			snprintf(r.domain, sizeof(r.domain), "%.*s",
				 (int)dom_len, s);
	} else {
		snprintf(r.domain, sizeof(r.domain), DEFAULT_DOMAIN);
	}
	if (has_upper(remote, remote_len))
		return berr_set(err,
				"invalid reference format `%s`: repository "
				"name must be lowercase",
				s);
	for (const char *c = remote; c < name_end;) {
		const char *e = memchr(c, '/', (size_t)(name_end - c));
		size_t cl = e ? (size_t)(e - c) : (size_t)(name_end - c);

		if (!path_component_valid(c, cl))
			return berr_set(err,
					"invalid reference format `%s`: bad "
					"repository name component `%.*s`",
					s, (int)cl, c);
		c += cl + (e ? 1 : 0);
		if (e && c == name_end)
			return berr_set(err,
					"invalid reference format `%s`: "
					"trailing `/`",
					s);
	}
	if (strcmp(r.domain, DEFAULT_DOMAIN) == 0 &&
	    memchr(remote, '/', remote_len) == NULL) {
		if (strlen(OFFICIAL_PREFIX) + remote_len > IMAGE_REF_NAME_MAX)
			return berr_set(err, "repository name `%s` too long",
					s);
		snprintf(r.path, sizeof(r.path), OFFICIAL_PREFIX "%.*s",
			 (int)remote_len, remote);
	} else {
		if (remote_len > IMAGE_REF_NAME_MAX)
			return berr_set(err, "repository name `%s` too long",
					s);
		snprintf(r.path, sizeof(r.path), "%.*s", (int)remote_len,
			 remote);
	}
	if (strlen(r.domain) + 1 + strlen(r.path) > IMAGE_REF_NAME_MAX)
		return berr_set(err,
				"invalid reference format `%s`: repository "
				"name longer than %d characters",
				s, IMAGE_REF_NAME_MAX);
	if (r.tag[0] == '\0' && r.digest[0] == '\0')
		snprintf(r.tag, sizeof(r.tag), DEFAULT_TAG);
	*out = r;
	return 0;
}

void image_ref_name(const struct image_ref *r, char *buf, size_t len)
{
	snprintf(buf, len, "%s/%s", r->domain, r->path);
}

void image_ref_string(const struct image_ref *r, char *buf, size_t len)
{
	snprintf(buf, len, "%s/%s%s%s%s%s", r->domain, r->path,
		 r->tag[0] ? ":" : "", r->tag, r->digest[0] ? "@" : "",
		 r->digest);
}

void image_ref_pull_string(const struct image_ref *r, char *buf, size_t len)
{
	if (r->digest[0])
		snprintf(buf, len, "%s/%s@%s", r->domain, r->path, r->digest);
	else
		snprintf(buf, len, "%s/%s:%s", r->domain, r->path, r->tag);
}

bool image_ref_is_folder(const char *v)
{
	return v[0] == '/' || strncmp(v, "./", 2) == 0 ||
	       strncmp(v, "../", 3) == 0 || strcmp(v, ".") == 0 ||
	       strcmp(v, "..") == 0;
}

enum image_pull_policy image_ref_default_policy(const struct image_ref *r)
{
	return strcmp(r->tag, DEFAULT_TAG) == 0 ? IMAGE_PULL_ALWAYS
						: IMAGE_PULL_IF_NOT_PRESENT;
}

static const char *const policy_names[] = {"Always", "IfNotPresent", "Never"};

int image_pull_policy_parse(const char *s, enum image_pull_policy *out)
{
	for (int i = 0; i < 3; i++)
		if (strcmp(s, policy_names[i]) == 0) {
			*out = (enum image_pull_policy)i;
			return 0;
		}
	return -1;
}

const char *image_pull_policy_str(enum image_pull_policy p)
{
	return policy_names[p];
}
