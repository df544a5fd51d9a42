# tests/lib/kube_env.bash - the set-up every Kubernetes API test file
# shares: helpers.bash and kube.bash loaded, a new environment for each
# test and its removal after it, and kube_start. Each file keeps its own
# ports. Load it (`load ../lib/kube_env`) instead of helpers and kube.

load ../lib/helpers
load ../lib/kube

setup() {
	new_env
}

teardown() {
	teardown_env
}

# kube_start API_PORT [SERVICE_PORT]: the daemon with kube_ini's config,
# the Kubernetes API on 127.0.0.1:API_PORT and the service `web` on
# SERVICE_PORT (default 26480), its 2 pods ready.
kube_start() {
	kube_ini "127.0.0.1:$1" | sed "s/26480/${2:-26480}/" >"$T/berth.ini"
	start_daemon
	wait_for 60 ready_pods 2
}
