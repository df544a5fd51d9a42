# tests/lib/echo_ini.bash - the config of the strategy tests (canary,
# blue-green, analysis, mirroring, dashboard): one deployment `echo` of
# echo-version behind http services. Loaded by the .bats files that use
# it (`load ../lib/echo_ini`), after helpers.bash (berth_header, $IMAGES).

# echo_ini [-a ADDR] [-r N] [-e K=V]... [-s NAME=PORT]... [LINE]...
# prints a config: the [berth] header (berth_header; its admin listener
# on ADDR with -a), then [deployment echo] (image echo-0.1.0,
# /bin/echo-version --listen :8080, env K=V for each -e, N replicas
# (default 4), labels app=echo, port 8080, terminationGracePeriodSeconds
# 5, readiness probe on /healthz every second) with each LINE added to
# it, then an http [service NAME] on 127.0.0.1:PORT selecting app=echo
# for each -s (default: web on $PORT). More sections may follow on the
# caller's side (cat <<INI).
echo_ini() {
	local admin="" replicas=4 opt OPTIND=1 line svc
	local -a envs=() services=()
	while getopts "a:r:e:s:" opt; do
		case $opt in
		a) admin=$OPTARG ;;
		r) replicas=$OPTARG ;;
		e) envs+=("$OPTARG") ;;
		s) services+=("$OPTARG") ;;
		*) echo "echo_ini: bad option" >&2; return 2 ;;
		esac
	done
	shift $((OPTIND - 1))
	[ ${#services[@]} -gt 0 ] || services=("web=$PORT")
	if [ -n "$admin" ]; then
		berth_header | sed "s/^admin = off$/admin = $admin/"
	else
		berth_header
	fi
	cat <<INI

[deployment echo]
image = $IMAGES/echo-0.1.0
command = /bin/echo-version
args = --listen :8080
INI
	for line in "${envs[@]}"; do
		echo "env = $line"
	done
	cat <<INI
replicas = $replicas
labels = app=echo
port = 8080
terminationGracePeriodSeconds = 5
readinessProbe.httpGet.path = /healthz
readinessProbe.httpGet.port = 8080
readinessProbe.periodSeconds = 1
INI
	for line in "$@"; do
		echo "$line"
	done
	for svc in "${services[@]}"; do
		cat <<INI

[service ${svc%%=*}]
listen = 127.0.0.1:${svc#*=}
selector = app=echo
targetPort = 8080
mode = http
INI
	done
}
