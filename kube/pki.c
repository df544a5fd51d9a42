/*
 * pki.c - creates and loads the Kubernetes API's CA, server and admin
 * certificates (ECDSA P-256, as kubeadm can) and writes the admin
 * kubeconfig. Private keys and the kubeconfig are written mode 0600 with
 * file_write_atomic(). Must not touch sockets or berth's objects.
 */
#include "pki.h"

#include <errno.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "../common/cleanup.h"
#include "../common/fdio.h"
#include "../common/strutil.h"
#include "../common/xalloc.h"

#define CA_DAYS 3650
#define CERT_DAYS 365
#define RENEW_BEFORE_SECONDS (30L * 24 * 3600)

void kube_pki_paths_init(struct kube_pki_paths *p, const char *state_dir)
{
	p->dir = xasprintf("%s/pki", state_dir);
	p->ca_crt = xasprintf("%s/ca.crt", p->dir);
	p->ca_key = xasprintf("%s/ca.key", p->dir);
	p->server_crt = xasprintf("%s/apiserver.crt", p->dir);
	p->server_key = xasprintf("%s/apiserver.key", p->dir);
	p->admin_crt = xasprintf("%s/admin.crt", p->dir);
	p->admin_key = xasprintf("%s/admin.key", p->dir);
	p->kubeconfig = xasprintf("%s/kubeconfig", state_dir);
}

void kube_pki_paths_free(struct kube_pki_paths *p)
{
	free(p->dir);
	free(p->ca_crt);
	free(p->ca_key);
	free(p->server_crt);
	free(p->server_key);
	free(p->admin_crt);
	free(p->admin_key);
	free(p->kubeconfig);
	memset(p, 0, sizeof(*p));
}

/* Appends OpenSSL's first queued error to err's message. */
static int ssl_err(struct berr *err, const char *what)
{
	char buf[256] = "unknown error";
	unsigned long e = ERR_get_error();

	if (e)
		ERR_error_string_n(e, buf, sizeof(buf));
	ERR_clear_error();
	return berr_set(err, "%s: %s", what, buf);
}

static EVP_PKEY *new_key(struct berr *err)
{
	EVP_PKEY *k = EVP_EC_gen("P-256");

	if (k == NULL)
		ssl_err(err, "generate an EC key");
	return k;
}

static int add_ext(X509 *cert, X509 *issuer, int nid, const char *value,
		   struct berr *err)
{
	X509V3_CTX ctx;
	X509_EXTENSION *ext;

	X509V3_set_ctx_nodb(&ctx);
	X509V3_set_ctx(&ctx, issuer, cert, NULL, NULL, 0);
	ext = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
	if (ext == NULL)
		return ssl_err(err, "certificate extension");
	X509_add_ext(cert, ext, -1);
	X509_EXTENSION_free(ext);
	return 0;
}

struct cert_req {
	const char *cn;
	const char *org; /* NULL: none */
	bool ca;	 /* a CA certificate (self-signed) */
	const char *eku; /* "serverAuth" / "clientAuth" */
	const char *san; /* subjectAltName value or NULL */
	int days;
	X509 *issuer; /* NULL for the self-signed CA */
	EVP_PKEY *issuer_key;
};

static X509 *make_cert(EVP_PKEY *key, const struct cert_req *r,
		       struct berr *err)
{
	X509 *c = X509_new();
	X509_NAME *name = X509_NAME_new();
	unsigned char serial[16];
	BIGNUM *bn;
	X509 *issuer;

	if (RAND_bytes(serial, sizeof(serial)) != 1)
		goto fail;
	serial[0] &= 0x7f; /* positive */
	bn = BN_bin2bn(serial, sizeof(serial), NULL);
	if (bn == NULL ||
	    BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(c)) == NULL) {
		BN_free(bn);
		goto fail;
	}
	BN_free(bn);
	X509_set_version(c, 2);
	if (r->org)
		X509_NAME_add_entry_by_txt(name, "O", MBSTRING_UTF8,
					   (const unsigned char *)r->org, -1,
					   -1, 0);
	X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
				   (const unsigned char *)r->cn, -1, -1, 0);
	X509_set_subject_name(c, name);
	issuer = r->issuer ? r->issuer : c;
	X509_set_issuer_name(c, r->issuer ? X509_get_subject_name(r->issuer)
					  : name);
	/* A minute of slack for clocks that disagree a little. */
	X509_gmtime_adj(X509_getm_notBefore(c), -60);
	X509_time_adj_ex(X509_getm_notAfter(c), r->days, 0, NULL);
	X509_set_pubkey(c, key);
	if (r->ca) {
		if (add_ext(c, issuer, NID_basic_constraints,
			    "critical,CA:TRUE", err) ||
		    add_ext(c, issuer, NID_key_usage,
			    "critical,digitalSignature,keyCertSign,cRLSign",
			    err) ||
		    add_ext(c, issuer, NID_subject_key_identifier, "hash", err))
			goto out;
	} else {
		if (add_ext(c, issuer, NID_basic_constraints,
			    "critical,CA:FALSE", err) ||
		    add_ext(c, issuer, NID_key_usage,
			    "critical,digitalSignature,keyEncipherment", err) ||
		    add_ext(c, issuer, NID_ext_key_usage, r->eku, err) ||
		    add_ext(c, issuer, NID_authority_key_identifier,
			    "keyid:always", err))
			goto out;
		if (r->san &&
		    add_ext(c, issuer, NID_subject_alt_name, r->san, err))
			goto out;
	}
	if (X509_sign(c, r->issuer_key ? r->issuer_key : key, EVP_sha256()) <=
	    0)
		goto fail;
	X509_NAME_free(name);
	return c;
fail:
	ssl_err(err, "make a certificate");
out:
	X509_NAME_free(name);
	X509_free(c);
	return NULL;
}

/* PEM text of a key or certificate, xmalloc'd. */
static char *pem_of(EVP_PKEY *key, X509 *cert, size_t *len)
{
	BIO *b = BIO_new(BIO_s_mem());
	char *data;
	long n;
	char *out;

	if (key)
		PEM_write_bio_PrivateKey(b, key, NULL, NULL, 0, NULL, NULL);
	else
		PEM_write_bio_X509(b, cert);
	n = BIO_get_mem_data(b, &data);
	out = xmalloc((size_t)n + 1);
	memcpy(out, data, (size_t)n);
	out[n] = '\0';
	*len = (size_t)n;
	BIO_free(b);
	return out;
}

static int save_key(const char *path, EVP_PKEY *key, struct berr *err)
{
	size_t len;
	cleanup_free char *pem = pem_of(key, NULL, &len);
	int rc = file_write_atomic(path, pem, len, 0600, err);

	OPENSSL_cleanse(pem, len);
	return rc;
}

static int save_cert(const char *path, X509 *cert, struct berr *err)
{
	size_t len;
	cleanup_free char *pem = pem_of(NULL, cert, &len);

	return file_write_atomic(path, pem, len, 0644, err);
}

static EVP_PKEY *load_key(const char *path, struct berr *err)
{
	BIO *b = BIO_new_file(path, "r");
	EVP_PKEY *k = NULL;

	if (b)
		k = PEM_read_bio_PrivateKey(b, NULL, NULL, NULL);
	BIO_free(b);
	if (k == NULL) {
		char what[600];

		snprintf(what, sizeof(what), "read key `%s`", path);
		ssl_err(err, what);
	}
	return k;
}

static X509 *load_cert(const char *path, struct berr *err)
{
	BIO *b = BIO_new_file(path, "r");
	X509 *c = NULL;

	if (b)
		c = PEM_read_bio_X509(b, NULL, NULL, NULL);
	BIO_free(b);
	if (c == NULL) {
		char what[600];

		snprintf(what, sizeof(what), "read certificate `%s`", path);
		ssl_err(err, what);
	}
	return c;
}

static bool exists(const char *path)
{
	return access(path, F_OK) == 0;
}

/* The admin certificate is usable: signed by ca, not expiring soon. */
static bool admin_usable(const struct kube_pki_paths *p, X509 *ca)
{
	struct berr e = BERR_INIT;
	X509 *c;
	EVP_PKEY *k, *ca_pub;
	time_t soon = time(NULL) + RENEW_BEFORE_SECONDS;
	bool ok;

	if (!exists(p->admin_crt) || !exists(p->admin_key))
		return false;
	c = load_cert(p->admin_crt, &e);
	k = load_key(p->admin_key, &e);
	ca_pub = X509_get0_pubkey(ca);
	ok = c && k && ca_pub && X509_verify(c, ca_pub) == 1 &&
	     X509_check_private_key(c, k) == 1 &&
	     X509_cmp_time(X509_get0_notAfter(c), &soon) > 0;
	X509_free(c);
	EVP_PKEY_free(k);
	ERR_clear_error();
	return ok;
}

static char *b64(const char *data, size_t len)
{
	char *out = xmalloc(4 * ((len + 2) / 3) + 1);

	EVP_EncodeBlock((unsigned char *)out, (const unsigned char *)data,
			(int)len);
	return out;
}

char *kube_server_url(const char *listen)
{
	char host[64];
	int port = 6443;
	const char *why;

	if (str_split_hostport(listen, host, sizeof(host), &port, &why) == -1)
		return xasprintf("https://127.0.0.1:6443");
	if (!strcmp(host, "0.0.0.0"))
		snprintf(host, sizeof(host), "127.0.0.1");
	else if (!strcmp(host, "::"))
		snprintf(host, sizeof(host), "::1");
	if (strchr(host, ':'))
		return xasprintf("https://[%s]:%d", host, port);
	return xasprintf("https://%s:%d", host, port);
}

static int write_kubeconfig(const struct kube_pki_paths *p, const char *listen,
			    struct berr *err)
{
	cleanup_free char *ca = NULL, *crt = NULL, *key = NULL;
	cleanup_free char *ca64 = NULL, *crt64 = NULL, *key64 = NULL;
	cleanup_free char *url = kube_server_url(listen);
	cleanup_free char *doc = NULL;
	size_t ca_len, crt_len, key_len;
	int rc;

	if (file_read_all(p->ca_crt, &ca, &ca_len, err) == -1 ||
	    file_read_all(p->admin_crt, &crt, &crt_len, err) == -1 ||
	    file_read_all(p->admin_key, &key, &key_len, err) == -1)
		return -1;
	ca64 = b64(ca, ca_len);
	crt64 = b64(crt, crt_len);
	key64 = b64(key, key_len);
	OPENSSL_cleanse(key, key_len);
	doc = xasprintf("apiVersion: v1\n"
			"kind: Config\n"
			"clusters:\n"
			"- name: berth\n"
			"  cluster:\n"
			"    server: %s\n"
			"    certificate-authority-data: %s\n"
			"users:\n"
			"- name: " KUBE_ADMIN_CN "\n"
			"  user:\n"
			"    client-certificate-data: %s\n"
			"    client-key-data: %s\n"
			"contexts:\n"
			"- name: berth\n"
			"  context:\n"
			"    cluster: berth\n"
			"    user: " KUBE_ADMIN_CN "\n"
			"    namespace: default\n"
			"current-context: berth\n"
			"preferences: {}\n",
			url, ca64, crt64, key64);
	rc = file_write_atomic(p->kubeconfig, doc, strlen(doc), 0600, err);
	OPENSSL_cleanse(doc, strlen(doc));
	OPENSSL_cleanse(key64, strlen(key64));
	return rc;
}

/* "DNS:localhost,IP:127.0.0.1,IP:::1[,IP:ADDR]" for listen's address. */
static char *server_sans(const char *listen)
{
	char host[64] = "";
	int port;
	const char *why;

	if (str_split_hostport(listen, host, sizeof(host), &port, &why) == 0 &&
	    strcmp(host, "127.0.0.1") && strcmp(host, "::1") &&
	    strcmp(host, "0.0.0.0") && strcmp(host, "::"))
		return xasprintf("DNS:localhost,IP:127.0.0.1,IP:::1,IP:%s",
				 host);
	return xstrdup("DNS:localhost,IP:127.0.0.1,IP:::1");
}

int kube_pki_ensure(const struct kube_pki_paths *p, const char *listen,
		    struct berr *err)
{
	EVP_PKEY *ca_key = NULL, *key = NULL;
	X509 *ca = NULL, *cert = NULL;
	cleanup_free char *sans = server_sans(listen);
	int rc = -1;

	if (mkdir_p(p->dir, 0700, err) == -1)
		return -1;
	chmod(p->dir, 0700);
	if (exists(p->ca_crt) || exists(p->ca_key)) {
		/* Never replaced silently: every kubeconfig trusts it. */
		if ((ca = load_cert(p->ca_crt, err)) == NULL ||
		    (ca_key = load_key(p->ca_key, err)) == NULL)
			goto out;
		if (X509_check_private_key(ca, ca_key) != 1) {
			berr_set(err, "`%s` does not belong to `%s`", p->ca_key,
				 p->ca_crt);
			goto out;
		}
	} else {
		struct cert_req r = {
		    .cn = "berth-ca", .ca = true, .days = CA_DAYS};

		if ((ca_key = new_key(err)) == NULL ||
		    (ca = make_cert(ca_key, &r, err)) == NULL ||
		    save_key(p->ca_key, ca_key, err) == -1 ||
		    save_cert(p->ca_crt, ca, err) == -1)
			goto out;
	}
	{
		struct cert_req r = {.cn = "berth-apiserver",
				     .eku = "serverAuth",
				     .san = sans,
				     .days = CERT_DAYS,
				     .issuer = ca,
				     .issuer_key = ca_key};

		if ((key = new_key(err)) == NULL ||
		    (cert = make_cert(key, &r, err)) == NULL ||
		    save_key(p->server_key, key, err) == -1 ||
		    save_cert(p->server_crt, cert, err) == -1)
			goto out;
	}
	if (!admin_usable(p, ca)) {
		struct cert_req r = {.cn = KUBE_ADMIN_CN,
				     .org = KUBE_ADMIN_O,
				     .eku = "clientAuth",
				     .days = CERT_DAYS,
				     .issuer = ca,
				     .issuer_key = ca_key};

		EVP_PKEY_free(key);
		X509_free(cert);
		cert = NULL;
		if ((key = new_key(err)) == NULL ||
		    (cert = make_cert(key, &r, err)) == NULL ||
		    save_key(p->admin_key, key, err) == -1 ||
		    save_cert(p->admin_crt, cert, err) == -1)
			goto out;
	}
	rc = write_kubeconfig(p, listen, err);
out:
	EVP_PKEY_free(ca_key);
	EVP_PKEY_free(key);
	X509_free(ca);
	X509_free(cert);
	return rc;
}
