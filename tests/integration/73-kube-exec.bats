#!/usr/bin/env bats
# pods/exec over a WebSocket with the real kubectl 1.32 (v5.channel.k8s.io)
# and Debian's python3-kubernetes (v4.channel.k8s.io): output, exit codes,
# stdin to its end, a TTY, errors, and a session that outlives kubectl's
# ping deadline. Addresses: 127.0.0.1, ports 26600-26699 (API 26600,
# service 26680).

load ../lib/helpers
load ../lib/kube

setup() {
	new_env
	kube_ini 127.0.0.1:26600 | sed 's/26480/26680/' >"$T/berth.ini"
	start_daemon
	wait_for 60 ready_pods 2
	POD=$("$BERTH" get pods -o json | jq -r '.pods[0].name')
}

teardown() {
	teardown_env
}

@test "kubectl exec: stdout, stderr and the exit code" {
	need_kubectl
	run kctl exec "$POD" -- /bin/echo hello berth
	[ "$status" -eq 0 ]
	[ "$output" = "hello berth" ]
	run kctl exec "$POD" -- sh -c 'echo out; echo err >&2; exit 7'
	[ "$status" -eq 7 ]
	[[ "$output" == *out* ]]
	[[ "$output" == *err* ]]
	[[ "$output" == *"command terminated with exit code 7"* ]]
}

@test "kubectl exec -i: stdin reaches the command, to its end" {
	need_kubectl
	seq 1 20000 >"$T/in"
	run kctl exec -i "$POD" -- sh -c 'wc -l; echo done' <"$T/in"
	[ "$status" -eq 0 ]
	[[ "$output" == *20000*done* ]]
}

@test "kubectl exec -t: a terminal in the container" {
	need_kubectl
	# kubectl asks for a TTY only with -i and a terminal of its own:
	# script(1) makes one for it.
	run script -qec "\"$KUBECTL\" --kubeconfig \"$T/state/kubeconfig\" --cache-dir \"$T/kcache\" exec -it $POD -- sh -c 'test -t 0 && test -t 1 && echo is-a-tty'" /dev/null </dev/null
	[ "$status" -eq 0 ]
	[[ "$output" == *is-a-tty* ]]
}

@test "exec errors: unknown pod, wrong container, no WebSocket" {
	need_kubectl
	run kctl exec nope -- true
	[ "$status" -ne 0 ]
	[[ "$output" == *'pods "nope" not found'* ]]
	run kctl exec "$POD" -c other -- true
	[ "$status" -ne 0 ]
	[[ "$output" == *"container other is not valid for pod $POD"* ]]
	# A plain request (kubectl's SPDY fallback is one) gets 400.
	run kcurl "https://127.0.0.1:26600/api/v1/namespaces/default/pods/$POD/exec?command=true" -o /dev/null -w '%{http_code}'
	[ "$output" = 400 ]
}

@test "a session longer than kubectl's 61 s ping deadline" {
	need_kubectl
	run timeout 120 "$KUBECTL" --kubeconfig "$T/state/kubeconfig" --cache-dir "$T/kcache" exec "$POD" -- sh -c 'sleep 65; echo still-here'
	[ "$status" -eq 0 ]
	[[ "$output" == *still-here* ]]
}

@test "python3-kubernetes exec over v4.channel.k8s.io" {
	# Debian's package, for Debian's python3 (not another on the PATH).
	/usr/bin/python3 -c 'import kubernetes' 2>/dev/null || skip "python3-kubernetes not installed"
	run /usr/bin/python3 "$BATS_TEST_DIRNAME/kube_client.py" "$T/state/kubeconfig" exec "$POD"
	[ "$status" -eq 0 ]
	[[ "$output" == *from-python* ]]
	[[ "$output" == *"exit 3"* ]]
}
