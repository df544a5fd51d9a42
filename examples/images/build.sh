#!/bin/sh
# Builds berth's example root filesystems (directories, not tarballs) under
# OUTDIR from Debian packages only: busybox-static, nginx-light, gcc.
# Owns OUTDIR/<image> and OUTDIR/.<image>.*; touches nothing else.
#
#   sh examples/images/build.sh OUTDIR
#
# Images: echo-0.1.0, echo-0.2.0 (/bin/echo-version), slow-stop
# (/bin/slow-stop), nginx (/usr/sbin/nginx). Each carries a .berth-image
# stamp holding a hash of its inputs; an image whose stamp matches is kept
# as is, any other is rebuilt in OUTDIR/.NAME.tmp and renamed into place.
set -eu

usage() {
	echo "usage: sh $0 OUTDIR" >&2
	exit 2
}

[ $# -eq 1 ] || usage
OUT=$1
HERE=$(cd "$(dirname "$0")" && pwd)
SCRIPT=$HERE/$(basename "$0")
SRC=$HERE/src/echo-version.c
CC=${CC:-gcc}
BUSYBOX=${BUSYBOX:-/bin/busybox}
NGINX=${NGINX:-/usr/sbin/nginx}

die() {
	echo "build.sh: $*" >&2
	exit 1
}

log() {
	echo "images: $*"
}

# Hash of everything an image is made from: this script, the extra inputs
# named as arguments, and the image name.
input_hash() {
	name=$1
	shift
	{
		cat "$SCRIPT" "$@"
		echo "$name"
	} | sha256sum | cut -d' ' -f1
}

up_to_date() {
	[ -f "$OUT/$1/.berth-image" ] &&
		[ "$(cat "$OUT/$1/.berth-image")" = "$2" ]
}

# busybox_base DIR: /bin/busybox with its applets, users, and the empty
# mount points a runtime expects.
busybox_base() {
	root=$1
	mkdir -p "$root/bin" "$root/sbin" "$root/usr/bin" "$root/usr/sbin" \
		"$root/etc" "$root/proc" "$root/dev" "$root/sys" "$root/root" \
		"$root/run" "$root/var" "$root/home/app"
	mkdir -p "$root/tmp"
	chmod 1777 "$root/tmp"
	cp "$BUSYBOX" "$root/bin/busybox"
	"$BUSYBOX" --list-full | while read -r applet; do
		case $applet in
		*/busybox | linuxrc | "") continue ;;
		esac
		[ -e "$root/$applet" ] || ln -s /bin/busybox "$root/$applet"
	done
	cat >"$root/etc/passwd" <<-'EOF'
		root:x:0:0:root:/root:/bin/sh
		app:x:1000:1000:app:/home/app:/bin/sh
		nobody:x:65534:65534:nobody:/nonexistent:/bin/false
	EOF
	cat >"$root/etc/group" <<-'EOF'
		root:x:0:
		app:x:1000:
		nogroup:x:65534:
	EOF
	cat >"$root/etc/hosts" <<-'EOF'
		127.0.0.1	localhost
		::1	localhost
	EOF
	chown 1000:1000 "$root/home/app" 2>/dev/null || true
}

# finish NAME HASH: stamp the tmp tree and swap it into place.
finish() {
	name=$1
	tmp=$OUT/.$name.tmp
	old=$OUT/.$name.old
	echo "$2" >"$tmp/.berth-image"
	rm -rf "$old"
	if [ -e "$OUT/$name" ]; then
		mv "$OUT/$name" "$old"
	fi
	mv "$tmp" "$OUT/$name"
	rm -rf "$old"
	log "built $OUT/$name"
}

# start NAME: a fresh tmp tree for NAME, printed.
start() {
	rm -rf "$OUT/.$1.tmp"
	mkdir -p "$OUT/.$1.tmp"
	echo "$OUT/.$1.tmp"
}

build_echo() {
	version=$1
	name=echo-$version
	hash=$(input_hash "$name" "$SRC")
	if up_to_date "$name" "$hash"; then
		log "$name up to date"
		return
	fi
	root=$(start "$name")
	busybox_base "$root"
	"$CC" -std=gnu11 -O2 -static -Wall -Wextra -Werror \
		-o "$root/bin/echo-version" "$SRC"
	echo "$version" >"$root/etc/echo-version"
	finish "$name" "$hash"
}

build_slow_stop() {
	name=slow-stop
	hash=$(input_hash "$name" "$SRC")
	if up_to_date "$name" "$hash"; then
		log "$name up to date"
		return
	fi
	root=$(start "$name")
	busybox_base "$root"
	"$CC" -std=gnu11 -O2 -static -Wall -Wextra -Werror -DSLOW_STOP \
		-o "$root/bin/slow-stop" "$SRC"
	finish "$name" "$hash"
}

# copy_libs ROOT BINARY: every shared library ldd lists, and the loader,
# at the same paths inside ROOT.
copy_libs() {
	ldd "$2" | while read -r first second third _; do
		case $second in
		"=>") lib=$third ;;
		*) lib=$first ;;
		esac
		case $lib in
		/*) ;;
		*) continue ;; # linux-vdso.so.1 lives in the kernel
		esac
		mkdir -p "$1$(dirname "$lib")"
		cp -L "$lib" "$1$lib"
	done
}

build_nginx() {
	name=nginx
	[ -x "$NGINX" ] || die "$NGINX missing (apt-get install nginx-light)"
	hash=$(input_hash "$name" "$NGINX")
	if up_to_date "$name" "$hash"; then
		log "$name up to date"
		return
	fi
	root=$(start "$name")
	busybox_base "$root"
	cp "$NGINX" "$root/usr/sbin/nginx"
	copy_libs "$root" "$NGINX"
	mkdir -p "$root/etc/nginx" "$root/var/log/nginx" "$root/var/lib/nginx"
	echo "www-data:x:33:33:www-data:/var/www:/bin/false" >>"$root/etc/passwd"
	echo "www-data:x:33:" >>"$root/etc/group"
	# Workers run as root so that nginx needs no chown of its temp
	# directories and works with a read-only root and /tmp as a tmpfs.
	cat >"$root/etc/nginx/nginx.conf" <<-'EOF'
		user root;
		daemon off;
		master_process on;
		worker_processes 1;
		error_log stderr;
		pid /tmp/nginx.pid;

		events {
			worker_connections 1024;
		}

		http {
			access_log off;
			default_type text/plain;
			client_body_temp_path /tmp/nginx-client-body;
			proxy_temp_path /tmp/nginx-proxy;
			fastcgi_temp_path /tmp/nginx-fastcgi;
			uwsgi_temp_path /tmp/nginx-uwsgi;
			scgi_temp_path /tmp/nginx-scgi;

			server {
				listen 8080;
				location / {
					return 200 "nginx\n";
				}
				location /healthz {
					return 200 "ok\n";
				}
			}
		}
	EOF
	finish "$name" "$hash"
}

mkdir -p "$OUT"
# Two concurrent builds (make test and make demo) must not interleave.
if command -v flock >/dev/null 2>&1; then
	exec 9>"$OUT/.lock"
	flock 9
fi
build_echo 0.1.0
build_echo 0.2.0
build_slow_stop
build_nginx
