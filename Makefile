# Throughline: two commands on a fresh machine.
#   make run    installs what is missing, builds, and serves the demo on 127.0.0.1:8080
#   make test   installs what is missing (ClickHouse server, chDB library) and runs every test
# Both are idempotent.

SHELL       := /bin/bash
GO          ?= $(shell command -v go 2>/dev/null || echo /usr/local/go/bin/go)
CHDB_VER    := 26.7.3-stable.1
CHDB_DIR    := .cache/chdb
CHDB_LIB    := $(CHDB_DIR)/libchdb.so
VERSION     ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
TEST_FLAGS  ?= -count=1 -timeout 40m

.PHONY: all run build test bench chdb clickhouse-server modules clean help

all: build

help:
	@echo "make run    build and serve the demo (embedded ClickHouse) on 127.0.0.1:8080"
	@echo "make test   every test, on a real ClickHouse server and on embedded chDB"
	@echo "make build  bin/throughline"
	@echo "make bench  end-to-end benchmarks (ingest ratio, measures latency at 1M/10M events)"

# The embedded engine: libchdb.so from npm, into a git-ignored cache.
$(CHDB_LIB):
	@command -v npm >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq npm; }
	@mkdir -p $(CHDB_DIR)/npm
	@echo "fetching @chdb/lib-linux-x64-gnu@$(CHDB_VER) (about 180 MB download)..."
	cd $(CHDB_DIR)/npm && npm pack --silent @chdb/lib-linux-x64-gnu@$(CHDB_VER) >/dev/null
	tar -xzf $(CHDB_DIR)/npm/chdb-lib-linux-x64-gnu-$(CHDB_VER).tgz -C $(CHDB_DIR) --strip-components=1 package/libchdb.so
	@rm -rf $(CHDB_DIR)/npm
	@test -s $(CHDB_LIB)

chdb: $(CHDB_LIB)

# Debian's clickhouse-server (18.16), for the tests against a real server.
clickhouse-server:
	@test -x /usr/sbin/clickhouse-server || command -v clickhouse-server >/dev/null || { \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq clickhouse-server; }

modules:
	$(GO) mod download

build: modules
	$(GO) build -ldflags "-X main.version=$(VERSION)" -o bin/throughline ./cmd/throughline

run: chdb build
	./bin/throughline serve --demo

test: chdb clickhouse-server modules
	$(GO) vet ./...
	@mkdir -p .cache
	@echo "go test $(TEST_FLAGS) ./... (full log in .cache/test.log)"
	@$(GO) test $(TEST_FLAGS) -v ./... > .cache/test.log 2>&1; status=$$?; \
		grep -E '^(ok|FAIL|--- FAIL|--- SKIP|panic:)' .cache/test.log; \
		if [ $$status -ne 0 ]; then echo "== failures:"; grep -E -B2 -A25 -- '--- FAIL|^panic:' .cache/test.log | head -400; fi; \
		echo "$$(grep -c -- '--- PASS' .cache/test.log) passed, $$(grep -c -- '--- FAIL' .cache/test.log) failed, $$(grep -c -- '--- SKIP' .cache/test.log) skipped"; \
		exit $$status
	@! grep -q -- '--- SKIP' .cache/test.log || { echo "tests were skipped: every engine must be available"; exit 1; }

bench: chdb clickhouse-server build
	$(GO) test -run '^$$' -bench . -benchtime 1x -timeout 60m ./bench/

clean:
	rm -rf bin .cache/test.log
