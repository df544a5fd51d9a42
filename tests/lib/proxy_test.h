/*
 * proxy_test.h - what C tests of the proxy share: a service spec with
 * short timeouts and reading one metric back. Test code only.
 */
#ifndef BERTH_TESTS_PROXY_TEST_H
#define BERTH_TESTS_PROXY_TEST_H

#include <stdlib.h>
#include <string.h>

#include "../../proxy/proxy.h"

/* The proxy under test: BERTH_PROXY_THREADS threads (default 1), so
 * every proxy test runs with several too. */
static inline int test_proxy_threads(void)
{
	const char *n = getenv("BERTH_PROXY_THREADS");

	return n && atoi(n) > 1 ? atoi(n) : 1;
}

static inline struct proxy *test_proxy_start(struct berr *err)
{
	return proxy_start_threads(test_proxy_threads(), err);
}

/* A service on listen; backends are published with target ports of
 * their own, so targetPort stays 0. Response timeout 700 ms. */
static inline struct service_spec spec(const char *name, const char *listen,
				       enum service_mode mode)
{
	struct service_spec s = {0};

	s.name = (char *)name;
	s.listen = (char *)listen;
	s.mode = mode;
	s.target_port = 0;
	s.timeout_connect_ms = 1000;
	s.timeout_client_ms = 5000;
	s.timeout_server_ms = 5000;
	s.timeout_response_ms = 700;
	return s;
}

/* The value of metric line key (name and labels), -1 when absent. */
static inline long metric_of(struct proxy *px, const char *key)
{
	char *text, *p;
	size_t len;
	long v = -1;

	proxy_metrics(px, &text, &len);
	p = strstr(text, key);
	if (p)
		v = atol(p + strlen(key) + 1);
	free(text);
	return v;
}

#endif
