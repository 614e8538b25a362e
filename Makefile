# The two commands a newcomer needs: `make run` and `make test`. Each installs what is missing.
SWIFT ?= swift
BUILD_DEPS := libsystemd-dev pkg-config
TEST_DEPS := $(BUILD_DEPS) curl python3 python3-pip
PY_TEST_DEPS := standardwebhooks cryptography

.PHONY: deps build release run test fuzz fuzz-ci bench docs format lint clean

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

test: deps
	@scripts/deps.sh $(TEST_DEPS)
	@scripts/pydeps.sh $(PY_TEST_DEPS)
	$(SWIFT) test

# libFuzzer on the request parser until stopped (FUZZ_SECONDS to bound it).
fuzz: deps
	bash fuzz/run.sh $${FUZZ_SECONDS:-0}

# The short fuzz run CI does: fails on any crash.
fuzz-ci: deps
	bash fuzz/run.sh 60

# wrk against taskhookd and nginx in the same run (ratio), then durable ingest and replay.
bench: deps
	bash bench/run.sh
	BENCH_SKIP_BUILD=1 bash bench/journal.sh
	BENCH_SKIP_BUILD=1 bash bench/waiters.sh

# Man pages and shell completions, generated from the argument parsers, into .build/share.
docs: build
	$(SWIFT) package generate-manual
	mkdir -p .build/share/man/man1 .build/share/completions
	cp .build/plugins/GenerateManual/outputs/taskhook/taskhook.1 .build/plugins/GenerateManual/outputs/taskhookd/taskhookd.1 .build/share/man/man1/
	for shell in bash zsh fish; do \
	  .build/debug/taskhook --generate-completion-script $$shell > .build/share/completions/taskhook.$$shell; \
	  .build/debug/taskhookd --generate-completion-script $$shell > .build/share/completions/taskhookd.$$shell; \
	done

format:
	$(SWIFT) format --in-place --recursive Sources Tests Package.swift

lint:
	$(SWIFT) format lint --strict --recursive Sources Tests Package.swift

clean:
	rm -rf .build .build-fuzz
