# tests/lib/kube.bash - helpers for the Kubernetes API tests: the real
# kubectl 1.32 through the kubeconfig berth writes, and curl over TLS.
# Load after helpers.bash.

KUBECTL=${KUBECTL:-/usr/lib/google-cloud-sdk/bin/kubectl.1.32}

# need_kubectl: skips the test, visibly, without kubectl 1.32.
need_kubectl() {
	[ -x "$KUBECTL" ] || skip "kubectl 1.32 not installed"
}

# kctl ARGS...: kubectl with berth's admin kubeconfig and a private cache.
kctl() {
	"$KUBECTL" --kubeconfig "$T/state/kubeconfig" --cache-dir "$T/kcache" \
		--request-timeout 20s "$@"
}

# kube_ini ADDR: the echo app (2 replicas, app=echo; a 1 s preStop sleep,
# so a deleted pod is seen Terminating), a service `web` on
# 127.0.0.1:26480, and the Kubernetes API on ADDR.
kube_ini() {
	BERTH_KUBE_API=$1 berth_header
	cat <<INI

[deployment echo]
image = $IMAGES/echo-0.1.0
command = /bin/echo-version
args = --listen :8080
replicas = 2
labels = app=echo
port = 8080
terminationGracePeriodSeconds = 5
lifecycle.preStop.sleep.seconds = 1
readinessProbe.httpGet.path = /healthz
readinessProbe.httpGet.port = 8080
readinessProbe.periodSeconds = 1

[service web]
listen = 127.0.0.1:26480
selector = app=echo
targetPort = 8080
INI
}

# kcurl URL [ARGS...]: curl with the admin client certificate, trusting
# berth's CA.
kcurl() {
	local url=$1
	shift
	curl -sS -m 10 --cacert "$T/state/pki/ca.crt" \
		--cert "$T/state/pki/admin.crt" --key "$T/state/pki/admin.key" \
		"$@" "$url"
}

# jqt FILTER [ARGS...] [FILE]: true when the input is exactly one JSON
# document and FILTER holds for it (plain `jq -e` succeeds on no input).
jqt() {
	local f=$1
	shift
	jq -s -e "length == 1 and (.[0] | $f)" "$@" >/dev/null
}
