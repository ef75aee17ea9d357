# Tollgate build entry points. Every target installs the Debian packages it
# needs first (as root, with apt-get) when they are missing.
SWIFT ?= swift
# C libraries wrapped as system-library targets, plus the tools the build uses.
APT_PACKAGES := pkg-config libxxhash-dev libsqlite3-dev libpq-dev zlib1g-dev libhiredis-dev libmicrohttpd-dev libssl-dev libgeoip-dev geoip-database
# Servers the test suite starts on 127.0.0.1 in a temporary folder (scripts/with-test-servers).
TEST_APT_PACKAGES := postgresql redis-server python3

.PHONY: deps build run test check-rules bench-rules clean

deps:
	@missing=""; for p in $(APT_PACKAGES) $(EXTRA_APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
	fi

build: deps
	$(SWIFT) build -c release --product tollgate

# The main job: the gateway on the embedded SQLite store under ./data
# (checks the shipped rule files first). Stop it with Ctrl-C or SIGTERM.
run: build
	.build/release/tollgate rules check rules/*.rules
	.build/release/tollgate rules test rules/*.rules
	.build/release/tollgate serve --data data --host 127.0.0.1 --port $${PORT:-8080} --rules rules/default.rules

# The whole test suite, with real PostgreSQL (and Redis) servers started for it.
test:
	$(MAKE) deps EXTRA_APT_PACKAGES="$(TEST_APT_PACKAGES)"
	$(SWIFT) build --build-tests
	scripts/with-test-servers $(SWIFT) test --skip-build

check-rules: build
	.build/release/tollgate rules check rules/*.rules
	.build/release/tollgate rules test rules/*.rules

bench-rules:
	benchmarks/run rules

clean:
	rm -rf .build
