# The two commands a newcomer needs: `make run` and `make test`. Each installs what is missing.
SWIFT ?= swift
BUILD_DEPS := libsystemd-dev libyaml-dev pkg-config
# nginx-light and openssl: the TLS end-to-end test runs a real nginx in front of taskhookd.
TEST_DEPS := $(BUILD_DEPS) systemd curl python3 python3-pip slowhttptest nginx-light openssl
# make deb: dpkg-deb, dpkg-shlibdeps and lintian.
# libcurl4-openssl-dev: the static Swift runtime links FoundationNetworking with -lcurl.
DEB_DEPS := $(BUILD_DEPS) dpkg-dev binutils lintian libcurl4-openssl-dev
PY_TEST_DEPS := standardwebhooks cryptography

.PHONY: deps build release run test fuzz fuzz-ci bench docs install deb systemd-check systemd-e2e format lint clean

PREFIX ?= /usr/local
DESTDIR ?=
UNITDIR ?= /etc/systemd/system

deps:
	@scripts/deps.sh $(BUILD_DEPS)

build: deps
	$(SWIFT) build

release: deps
	$(SWIFT) build -c release

# The daemon on its embedded defaults (127.0.0.1:8080, GET /healthz, journal under
# ./taskhook-state) plus one Freepik route with a public development secret (config/dev.yaml).
run: build
	.build/debug/taskhookd --config config/dev.yaml

# Run as a subreaper: a process any test leaves behind is named, killed, and fails the run.
test: deps
	@scripts/deps.sh $(TEST_DEPS)
	@scripts/pydeps.sh $(PY_TEST_DEPS)
	python3 scripts/run-reaping.py $(SWIFT) test

# libFuzzer on every harness in turn (fuzz/run.sh lists them: the request parser, the journal's
# frame decoder and recovery, JSON and the provider normalizers, signature headers, the
# configuration loader), FUZZ_SECONDS each (default 300; 0 = until stopped); FUZZ_HARNESS
# names some ("journal config"), FUZZ_RUNS=N stops each after N executions. What each finds is
# kept in fuzz/out/corpus for the next run.
fuzz: deps
	bash fuzz/run.sh $${FUZZ_SECONDS:-300} $${FUZZ_HARNESS:-}

# The short fuzz run CI does, 20 s of each harness (1 min 40 s, about what three harnesses at
# 30 s took before the signature and configuration ones ran clean): fails on any crash. A kept
# corpus in fuzz/out/corpus lets repeated runs go further.
fuzz-ci: deps
	bash fuzz/run.sh 20 parser journal normalizer signature config

# wrk against taskhookd and nginx in the same run (ratio), then the journal (durable ingest,
# replay), signed ingest against nginx and adnanh/webhook, 10,000 long-poll waiters, and the loop's
# longest iteration while a 1 GiB history is streamed and 1,000,000 tasks are paged.
bench: deps
	bash bench/run.sh
	BENCH_SKIP_BUILD=1 bash bench/journal.sh
	BENCH_SKIP_BUILD=1 bash bench/ingest.sh
	BENCH_SKIP_BUILD=1 bash bench/waiters.sh
	BENCH_SKIP_BUILD=1 bash bench/hostile.sh

# Man pages and shell completions, generated from the argument parsers, into .build/share.
docs: build
	$(SWIFT) package generate-manual --configuration debug
	mkdir -p .build/share/man/man1 .build/share/completions
	cp .build/plugins/GenerateManual/outputs/taskhook/taskhook.1 .build/plugins/GenerateManual/outputs/taskhookd/taskhookd.1 .build/share/man/man1/
	for shell in bash zsh fish; do \
	  .build/debug/taskhook --generate-completion-script $$shell > .build/share/completions/taskhook.$$shell; \
	  .build/debug/taskhookd --generate-completion-script $$shell > .build/share/completions/taskhookd.$$shell; \
	done

# Binaries, units, sysusers file, the installed configuration (no routes; not overwritten), the
# documented examples, man pages and completions. Then (README "Under systemd"): systemd-sysusers;
# systemctl daemon-reload; systemctl enable --now taskhookd.socket taskhookd-control.socket
# (and taskhook-actions.service once the configuration has actions: README "Actions").
install: release docs
	install -D -m 0755 .build/release/taskhookd $(DESTDIR)$(PREFIX)/bin/taskhookd
	install -D -m 0755 .build/release/taskhook $(DESTDIR)$(PREFIX)/bin/taskhook
	for unit in taskhookd.service taskhookd.socket taskhookd-control.socket taskhookd-admin.socket taskhook-jwks.service taskhook-jwks.timer taskhook-reconcile.service taskhook-actions.service; do \
	  sed 's|/usr/local/bin/|$(PREFIX)/bin/|' systemd/$$unit > $(DESTDIR)$(UNITDIR)/$$unit.tmp 2>/dev/null \
	    || { install -d $(DESTDIR)$(UNITDIR) && sed 's|/usr/local/bin/|$(PREFIX)/bin/|' systemd/$$unit > $(DESTDIR)$(UNITDIR)/$$unit.tmp; }; \
	  mv $(DESTDIR)$(UNITDIR)/$$unit.tmp $(DESTDIR)$(UNITDIR)/$$unit; \
	done
	install -D -m 0644 systemd/taskhook.sysusers $(DESTDIR)/usr/lib/sysusers.d/taskhook.conf
	install -d -m 0755 $(DESTDIR)/etc/taskhook
	[ -e $(DESTDIR)/etc/taskhook/taskhook.yaml ] || install -m 0644 config/installed.yaml $(DESTDIR)/etc/taskhook/taskhook.yaml
	install -D -m 0644 config/taskhook.yaml $(DESTDIR)$(PREFIX)/share/doc/taskhook/examples/taskhook.yaml
	install -D -m 0644 config/nginx/taskhook.conf $(DESTDIR)$(PREFIX)/share/doc/taskhook/examples/nginx-taskhook.conf
	install -D -m 0644 config/caddy/Caddyfile $(DESTDIR)$(PREFIX)/share/doc/taskhook/examples/Caddyfile
	install -D -m 0644 .build/share/man/man1/taskhook.1 $(DESTDIR)$(PREFIX)/share/man/man1/taskhook.1
	install -D -m 0644 .build/share/man/man1/taskhookd.1 $(DESTDIR)$(PREFIX)/share/man/man1/taskhookd.1
	for tool in taskhook taskhookd; do \
	  install -D -m 0644 .build/share/completions/$$tool.bash $(DESTDIR)$(PREFIX)/share/bash-completion/completions/$$tool; \
	  install -D -m 0644 .build/share/completions/$$tool.zsh $(DESTDIR)$(PREFIX)/share/zsh/site-functions/_$$tool; \
	  install -D -m 0644 .build/share/completions/$$tool.fish $(DESTDIR)$(PREFIX)/share/fish/vendor_completions.d/$$tool.fish; \
	done

# taskhook_VERSION_ARCH.deb (packaging/deb/build.sh: dpkg-deb, and why), then lintian on it.
# VERSION=0.1.0-1 and BUILD=release (static Swift runtime) by default.
deb: deps
	@scripts/deps.sh $(DEB_DEPS)
	@deb=$$(SWIFT=$(SWIFT) bash packaging/deb/build.sh) && echo "built $$deb" && lintian --info "$$deb"

# The units as systemd sees them: verify prints nothing, and the service's exposure.
systemd-check: deps
	bash systemd/check.sh

# The units under a real systemd as PID 1 in systemd-nspawn (root; builds a cached rootfs once).
systemd-e2e: deps
	bash systemd/e2e.sh

format:
	$(SWIFT) format --in-place --recursive Sources Tests Package.swift

lint:
	$(SWIFT) format lint --strict --recursive Sources Tests Package.swift

clean:
	rm -rf .build .build-fuzz
