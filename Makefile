# berth - single-node container orchestrator.
#
#   make            build/berth (optimized)
#   make test       deps + build + images + every test suite; last line "N passed, N failed"
#   make demo       deps + build + images + the demo
#   make images     example root filesystems under build/images/
#   make install    PREFIX=/usr/local DESTDIR= (binary, man pages, bash
#                   completion, systemd unit in SYSTEMD_UNIT_DIR)
#   make fmt        clang-format every source file in place
#   make lint       format, layering and include-style checks (tests/lint/)
#
# CFLAGS, CPPFLAGS and LDFLAGS given by the user are added to every compile
# and link (after ours, so e.g. CFLAGS=-O0 wins).

PREFIX ?= /usr/local
DESTDIR ?=
SYSTEMD_UNIT_DIR ?= $(if $(filter /usr,$(PREFIX)),/usr/lib,$(PREFIX)/lib)/systemd/system
CC ?= cc

PKGS := libuv liburing jansson inih libseccomp libcap libarchive libssl libcrypto yaml-0.1
LLHTTP_DIR := /usr/share/llhttp
LLHTTP_INC := /usr/share/include/llhttp

# Debian packages the build, the images and the tests need.
DEB_PACKAGES := build-essential pkg-config clang libclang-rt-14-dev \
	libuv1-dev liburing-dev libjansson-dev libinih-dev libseccomp-dev libcap-dev \
	node-llhttp runc crun busybox-static bats curl jq wrk iproute2 \
	nginx-light haproxy procps python3 \
	libarchive-dev libssl-dev libyaml-dev zstd skopeo docker-registry umoci attr groff-base
DEB_PACKAGES += clang-format
# The dashboard's assets are embedded with xxd; its browser tests drive
# Debian's chromium with puppeteer-core (npm, test-only).
DEB_PACKAGES += xxd chromium nodejs npm
# A second Kubernetes client for the API tests (exec over v4).
DEB_PACKAGES += python3-kubernetes

WARN := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes \
	-Wmissing-prototypes -Wpointer-arith -Wno-unused-parameter
BASE_CFLAGS := -std=gnu11 -D_GNU_SOURCE $(WARN) -I. -I$(LLHTTP_INC)
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS = $(shell pkg-config --libs $(PKGS) 2>/dev/null) -lm

OPT_CFLAGS := -O2 -g
SAN_CFLAGS := -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined \
	-fno-sanitize-recover=undefined

# Hardening of the daemon (it runs as root): fortified libc calls (unless
# the user's CPPFLAGS choose a level, or CFLAGS has -O0, where glibc
# refuses it), stack protector, PIE, read-only relocations bound at start.
# The sanitizer builds keep their own checks.
HARDEN_CPPFLAGS := $(if $(findstring _FORTIFY_SOURCE,$(CPPFLAGS))$(filter -O0,$(CFLAGS)),,-D_FORTIFY_SOURCE=2)
HARDEN_CFLAGS := -fstack-protector-strong -fPIE
HARDEN_LDFLAGS := -pie -Wl,-z,relro,-z,now
OPT_ALL_CFLAGS = $(HARDEN_CPPFLAGS) $(CPPFLAGS) $(OPT_CFLAGS) $(HARDEN_CFLAGS) $(CFLAGS)
SAN_ALL_CFLAGS = $(CPPFLAGS) $(SAN_CFLAGS) $(CFLAGS)

SRC_DIRS := common config images runtime probes signals proxy analysis orchestrator kube dashboard cli
SRCS := $(wildcard $(addsuffix /*.c,$(SRC_DIRS)))
MAIN_SRC := orchestrator/main.c
LIB_SRCS := $(filter-out $(MAIN_SRC),$(SRCS))
LLHTTP_SRCS := $(wildcard $(LLHTTP_DIR)/*.c)

OBJS := $(SRCS:%.c=build/obj/%.o) $(LLHTTP_SRCS:$(LLHTTP_DIR)/%.c=build/obj/llhttp/%.o)
SAN_LIB_OBJS := $(LIB_SRCS:%.c=build/san/%.o) $(LLHTTP_SRCS:$(LLHTTP_DIR)/%.c=build/san/llhttp/%.o)
# The dashboard's page, embedded at build time (dashboard/embed.sh, xxd).
DASH_ASSETS := $(sort $(wildcard dashboard/assets/*))
OBJS += build/obj/gen/dashboard_assets.o
SAN_LIB_OBJS += build/san/gen/dashboard_assets.o
SAN_OBJS := $(SAN_LIB_OBJS) build/san/$(MAIN_SRC:.c=.o)

UNIT_SRCS := $(wildcard tests/unit/test_*.c)
UNIT_BINS := $(UNIT_SRCS:tests/unit/%.c=build/tests/%)
MAN_PAGES := build/man/berth.1 build/man/berth.ini.5

.PHONY: all deps test unit integration demo images install clean fmt asan tsan fuzz lint man

all: build/berth $(MAN_PAGES)

# V=1 shows full command lines.
Q := $(if $(V),,@)

build/berth: $(OBJS)
	@echo "  LD      $@"
	$(Q)$(CC) $(OPT_ALL_CFLAGS) $(HARDEN_LDFLAGS) $(LDFLAGS) -o $@ $^ $(PKG_LIBS)

build/asan/berth: $(SAN_OBJS)
	@mkdir -p $(dir $@)
	@echo "  LD      $@"
	$(Q)$(CC) $(SAN_ALL_CFLAGS) $(LDFLAGS) -o $@ $^ $(PKG_LIBS)

asan: build/asan/berth

# ThreadSanitizer build of the daemon, for races between the loop thread,
# the proxy thread and libuv's pool: `make tsan`, then run integration
# files with BERTH=$PWD/build/tsan/berth (a report fails the test).
TSAN_CFLAGS := -O1 -g -fno-omit-frame-pointer -fsanitize=thread
TSAN_OBJS := $(SRCS:%.c=build/tsan/%.o) $(LLHTTP_SRCS:$(LLHTTP_DIR)/%.c=build/tsan/llhttp/%.o) \
	build/obj/gen/dashboard_assets.o

build/tsan/berth: $(TSAN_OBJS)
	@echo "  LD      $@"
	$(Q)$(CC) $(CPPFLAGS) $(TSAN_CFLAGS) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(PKG_LIBS)

build/tsan/llhttp/%.o: $(LLHTTP_DIR)/%.c
	@mkdir -p $(dir $@)
	@echo "  CC tsan $<"
	$(Q)$(CC) -std=gnu11 -I$(LLHTTP_INC) $(TSAN_CFLAGS) -c -o $@ $<

build/tsan/%.o: %.c
	@mkdir -p $(dir $@)
	@echo "  CC tsan $<"
	$(Q)$(CC) $(BASE_CFLAGS) $(CPPFLAGS) $(TSAN_CFLAGS) $(CFLAGS) $(PKG_CFLAGS) -MMD -MP -c -o $@ $<

tsan: build/tsan/berth

build/obj/%.o: %.c
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	$(Q)$(CC) $(BASE_CFLAGS) $(OPT_ALL_CFLAGS) $(PKG_CFLAGS) -MMD -MP -c -o $@ $<

build/san/%.o: %.c
	@mkdir -p $(dir $@)
	@echo "  CC san  $<"
	$(Q)$(CC) $(BASE_CFLAGS) $(SAN_ALL_CFLAGS) $(PKG_CFLAGS) -MMD -MP -c -o $@ $<

build/gen/dashboard_assets.c: $(DASH_ASSETS) dashboard/embed.sh
	@mkdir -p $(dir $@)
	@echo "  EMBED   $@"
	$(Q)sh dashboard/embed.sh $@ $(DASH_ASSETS)

build/obj/gen/%.o: build/gen/%.c
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	$(Q)$(CC) $(BASE_CFLAGS) $(OPT_ALL_CFLAGS) -c -o $@ $<

build/san/gen/%.o: build/gen/%.c
	@mkdir -p $(dir $@)
	@echo "  CC san  $<"
	$(Q)$(CC) $(BASE_CFLAGS) $(SAN_ALL_CFLAGS) -c -o $@ $<

# llhttp is compiled into the build from Debian's node-llhttp sources.
build/obj/llhttp/%.o: $(LLHTTP_DIR)/%.c
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	$(Q)$(CC) -std=gnu11 -I$(LLHTTP_INC) $(OPT_ALL_CFLAGS) -c -o $@ $<

build/san/llhttp/%.o: $(LLHTTP_DIR)/%.c
	@mkdir -p $(dir $@)
	@echo "  CC san  $<"
	$(Q)$(CC) -std=gnu11 -I$(LLHTTP_INC) $(SAN_ALL_CFLAGS) -c -o $@ $<

build/tests/%: tests/unit/%.c $(SAN_LIB_OBJS)
	@mkdir -p $(dir $@)
	@echo "  TEST    $@"
	$(Q)$(CC) $(BASE_CFLAGS) $(SAN_ALL_CFLAGS) $(PKG_CFLAGS) -MMD -MP -MF $@.d \
		$(LDFLAGS) -o $@ $< $(SAN_LIB_OBJS) $(PKG_LIBS)

# libFuzzer harnesses (clang); tests/run.sh runs each for a bounded time.
# Each source is its own object (with its header dependencies).
FUZZ_SRCS := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_BINS := $(FUZZ_SRCS:tests/fuzz/%.c=build/fuzz/%)
# Each harness links its own sources (FUZZ_DEPS_name, compiled once each
# under build/fuzz/obj/) and libraries (FUZZ_LIBS_name).
FUZZ_DEPS_fuzz_http_request := proxy/http_msg.c proxy/buf.c common/xalloc.c common/log.c
FUZZ_DEPS_fuzz_config := $(wildcard config/*.c common/*.c) analysis/expr.c
FUZZ_LIBS_fuzz_config = $(PKG_LIBS)
# The control API harness drives a real ctl_server over a socketpair.
FUZZ_DEPS_fuzz_ctl_request := orchestrator/ctl_server.c common/fdlimit.c common/strutil.c \
	common/err.c common/xalloc.c common/log.c
FUZZ_LIBS_fuzz_ctl_request = $(PKG_LIBS)
FUZZ_DEPS_fuzz_image_ref := common/image_ref.c common/err.c
FUZZ_DEPS_fuzz_kube_protobuf := kube/protobuf.c
FUZZ_LIBS_fuzz_kube_protobuf = $(PKG_LIBS)
FUZZ_LLHTTP_OBJS := $(LLHTTP_SRCS:$(LLHTTP_DIR)/%.c=build/fuzz/obj/llhttp/%.o)
FUZZ_CFLAGS = -std=gnu11 -D_GNU_SOURCE -g -O1 -I. -I$(LLHTTP_INC) $(PKG_CFLAGS) \
	$(CPPFLAGS) $(CFLAGS)
$(foreach b,$(FUZZ_BINS),$(eval $(b): $(patsubst %.c,build/fuzz/obj/%.o,$(FUZZ_DEPS_$(notdir $(b))))))

build/fuzz/obj/llhttp/%.o: $(LLHTTP_DIR)/%.c
	@mkdir -p $(dir $@)
	@echo "  CC fuzz $<"
	$(Q)clang $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link,address,undefined -c -o $@ $<

build/fuzz/obj/%.o: %.c
	@mkdir -p $(dir $@)
	@echo "  CC fuzz $<"
	$(Q)clang $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link,address,undefined \
		-MMD -MP -c -o $@ $<

build/fuzz/%: build/fuzz/obj/tests/fuzz/%.o $(FUZZ_LLHTTP_OBJS)
	@echo "  FUZZ    $@"
	$(Q)clang $(FUZZ_CFLAGS) -fsanitize=fuzzer,address,undefined $(LDFLAGS) \
		$^ $(FUZZ_LIBS_$*) -o $@

fuzz: $(FUZZ_BINS)
.PRECIOUS: build/fuzz/obj/%.o build/fuzz/obj/llhttp/%.o

# Header dependencies of every object, unit test and fuzz object.
-include $(OBJS:.o=.d) $(SAN_OBJS:.o=.d) $(TSAN_OBJS:.o=.d) $(UNIT_BINS:=.d) \
	$(wildcard build/fuzz/obj/*/*.d build/fuzz/obj/*/*/*.d)

# Installs whatever Debian packages are missing (root only), after one
# apt-get update. Does nothing when everything is present. node and npm
# count as present when their commands are (a Node.js from another
# package, which bundles npm, conflicts with Debian's npm).
deps:
	@missing=""; for p in $(DEB_PACKAGES); do \
		case $$p in \
		npm) command -v npm >/dev/null 2>&1 && continue ;; \
		nodejs) command -v node >/dev/null 2>&1 && continue ;; \
		esac; \
		dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
		if [ "$$(id -u)" != 0 ]; then echo "berth: missing Debian packages:$$missing (run as root to install)" >&2; exit 1; fi; \
		echo "berth: installing$$missing"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	fi

images: build/berth
	@sh examples/images/build.sh build/images
	@sh examples/images/oci.sh build/images

# Parallel builds inside test and demo: one job per core.
JOBS ?= $(shell nproc 2>/dev/null || echo 2)

test: deps
	@$(MAKE) --no-print-directory -j$(JOBS) all asan $(UNIT_BINS) $(FUZZ_BINS)
	@$(MAKE) --no-print-directory images
	@sh tests/run.sh

demo: deps
	@$(MAKE) --no-print-directory -j$(JOBS) all
	@$(MAKE) --no-print-directory images
	@sh examples/demo.sh

# The man pages come from the binary's own tables (the verb table, the
# config key table): `berth __manpage 1|5`.
man: $(MAN_PAGES)

build/man/berth.1: build/berth
	@mkdir -p $(dir $@)
	$(Q)build/berth __manpage 1 >$@.tmp && mv $@.tmp $@

build/man/berth.ini.5: build/berth
	@mkdir -p $(dir $@)
	$(Q)build/berth __manpage 5 >$@.tmp && mv $@.tmp $@

install: build/berth $(MAN_PAGES)
	install -D -m 0755 build/berth $(DESTDIR)$(PREFIX)/bin/berth
	install -D -m 0644 build/man/berth.1 $(DESTDIR)$(PREFIX)/share/man/man1/berth.1
	install -D -m 0644 build/man/berth.ini.5 $(DESTDIR)$(PREFIX)/share/man/man5/berth.ini.5
	install -D -m 0644 dist/berth.bash-completion \
		$(DESTDIR)$(PREFIX)/share/bash-completion/completions/berth
	@mkdir -p $(DESTDIR)$(SYSTEMD_UNIT_DIR)
	sed 's|@BINDIR@|$(PREFIX)/bin|g' dist/berth.service.in \
		>$(DESTDIR)$(SYSTEMD_UNIT_DIR)/berth.service
	chmod 0644 $(DESTDIR)$(SYSTEMD_UNIT_DIR)/berth.service

fmt:
	clang-format -i $(SRCS) $(wildcard */*.h) $(UNIT_SRCS) $(wildcard examples/images/src/*.c) \
		$(wildcard tests/lib/*.h tests/fuzz/*.c)

# Every executable tests/lint/*.sh (TAP; failures shown); tests/run.sh
# runs them too.
lint:
	@rc=0; for l in tests/lint/*.sh; do \
		[ -x "$$l" ] || continue; \
		out=$$("$$l" 2>&1) || rc=1; \
		printf '%s\n' "$$out" | grep -v '^ok ' | sed "s|^|$$l: |"; \
	done; \
	[ $$rc -eq 0 ] && echo "lint: ok"; exit $$rc

clean:
	rm -rf build
