SHELL := /bin/bash
# Two commands on a fresh Debian machine: `make demo` and `make test`.
# Both install the Debian packages they need when missing (as root, or through sudo).

DEB_PACKAGES := librrd-dev libclang-dev rrdtool pkg-config
# smokeping: its CGI checks that SmokePing itself draws our files; chromium and its driver
# run the web app's end-to-end test; lighttpd and rsync the deployment test; rrdcached the
# daemon test; logrotate, man-db and apache2 the package test (it enables both web servers'
# snippets, then removes and purges the package).
TEST_PACKAGES := smokeping chromium chromium-driver lighttpd apache2 rsync rrdcached logrotate man-db
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
BIN := target/release/pinger-smokeping
DEMO := demo-out
# The bundled fixture archive covers 2007-02-16 .. 2007-02-18.
FIXTURE_WINDOW := --end 2007-02-19 --days 3

# Fuzz targets (cargo-fuzz on stable Rust, no sanitizer: see docs/architecture.md, Fuzzing).
FUZZ_TARGETS := parse_line read_archive serve_params
FUZZ_SECONDS ?= 20
FUZZ_RUNS ?= 10000000
FUZZ_FLAGS := -max_len=200000 -rss_limit_mb=512 -timeout=10 -print_final_stats=1

# Building the Debian package: cargo-deb, and lintian to check it.
DEB_TOOLS := lintian dpkg-dev
CARGO_DEB_VERSION := 3.8.0

# perfSONAR's esmond clients (PyPI esmond-client 4.2.1, Python 2 only), unmodified, for the
# esmond API tests: installed with pyenv's Python 2.7 into a directory of their own, with the
# last requests and python-dateutil versions that support it.
PYTHON27 := $(shell pyenv root 2>/dev/null || echo $$HOME/.pyenv)/versions/2.7.18/bin/python2.7
ESMOND_CLIENT := target/esmond-client
ESMOND_PACKAGES := esmond-client==4.2.1 requests==2.27.1 urllib3==1.26.18 chardet==4.0.0 \
	idna==2.10 certifi==2020.4.5.1 python-dateutil==2.8.2 six==1.16.0

.PHONY: deps test-deps esmond-client fuzz-deps deb-deps install demo test bench lint fuzz fuzz-smoke deb

deps:
	@$(MAKE) --no-print-directory install PACKAGES="$(DEB_PACKAGES)"
	@command -v cargo >/dev/null || { echo "cargo not found: install Rust (https://rustup.rs)"; exit 2; }

test-deps: deps
	@$(MAKE) --no-print-directory install PACKAGES="$(TEST_PACKAGES)"
	@$(MAKE) --no-print-directory esmond-client

# A missing Python 2.7 is said here; the tests then fail under CI=true (they never skip there).
esmond-client:
	@if [ -x $(ESMOND_CLIENT)/bin/esmond-ps-get ]; then :; \
	elif [ -x $(PYTHON27) ]; then \
	  echo "installing esmond-client 4.2.1 into $(ESMOND_CLIENT)"; \
	  $(PYTHON27) -m pip install -q --disable-pip-version-check --no-warn-script-location \
	    --prefix $(CURDIR)/$(ESMOND_CLIENT) $(ESMOND_PACKAGES) 2>&1 | grep -v DEPRECATION || true; \
	else echo "warning: $(PYTHON27) not found: the esmond client tests cannot run"; fi

install:
	@missing=""; for p in $(PACKAGES); do \
	  dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing Debian packages:$$missing"; \
	  $(SUDO) apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	fi

# One key of the fixtures to show in detail: a lossy path with a 100 % loss row.
DEMO_RRD := $(DEMO)/rrd/monitor_niit_edu_pk/www_niit_edu_pk_1000_10.rrd
# A generated lossy path for the graphs: smoke, loss colours and a 100 % loss row.
DEMO_KEY := pinger.mon00.example.edu_www.site003.example.org_1000_10

demo: deps
	cargo build --release --quiet
	@rm -rf $(DEMO) && mkdir -p $(DEMO)
	$(BIN) backfill --data fixtures/archive --rrd $(DEMO)/rrd $(FIXTURE_WINDOW)
	@echo; echo "== $(DEMO)/rrd/srcdest.txt"; cat $(DEMO)/rrd/srcdest.txt
	@echo; echo "== rrdtool info $(DEMO_RRD) (highlights)"
	@rrdtool info $(DEMO_RRD) | grep -E '^(step|last_update|ds\[(loss|median|ping1)\]\.(type|minimal_heartbeat|max)|rra\[0\]\.(cf|rows|pdp_per_row))'
	@echo; echo "== rrdtool fetch $(DEMO_RRD) (loss, median and ping1..10 in seconds)"
	@rrdtool fetch $(DEMO_RRD) AVERAGE -s 1171754999 -e 1171760400
	@echo; echo "== graphs of $(DEMO_KEY) (2, 10, 30 and 120 days)"
	@for r in 2d 10d 30d 120d; do $(BIN) graph --rrd $(DEMO)/rrd --range $$r -o $(DEMO)/graphs/$(DEMO_KEY)_$$r.png $(DEMO_KEY); done
	@echo; echo "Output: $(CURDIR)/$(DEMO)/rrd (one RRD per key, srcdest.txt)"
	@echo "        $(CURDIR)/$(DEMO)/graphs"
	@echo "Browse: $(BIN) serve --rrd $(DEMO)/rrd   (then open http://127.0.0.1:8080/)"
	@echo "        the whole network: http://127.0.0.1:8080/matrix (loss or RTT per monitor and remote),"
	@echo "        http://127.0.0.1:8080/worst (worst paths), http://127.0.0.1:8080/monitor/pinger.mon00.example.edu"
	@echo "Figures: $(BIN) summary --rrd $(DEMO)/rrd --period 2d"

# The package test (tests/package.rs) installs the .deb that `make deb` just built.
test: test-deps deb
	cargo test --quiet
	@$(MAKE) --no-print-directory fuzz-smoke

fuzz-deps:
	@command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked --version 0.13.2

# Each target for a short, fixed time on the committed corpus (new finds go to a temp dir).
fuzz-smoke: fuzz-deps
	@for t in $(FUZZ_TARGETS); do \
	  new=$$(mktemp -d); \
	  cargo fuzz run --fuzz-dir tests/fuzz -O -s none $$t $$new tests/fuzz/corpus/$$t -- \
	    -max_total_time=$(FUZZ_SECONDS) $(FUZZ_FLAGS) 2>&1 | grep -E '^(Done|stat::|==|SUMMARY)' ; \
	  status=$${PIPESTATUS[0]}; rm -rf $$new; \
	  [ $$status = 0 ] || { echo "fuzz target $$t failed (exit $$status)"; exit 1; }; \
	done

# The long run: FUZZ_RUNS executions per target, growing the committed corpus.
fuzz: fuzz-deps
	@for t in $(FUZZ_TARGETS); do \
	  cargo fuzz run --fuzz-dir tests/fuzz -O -s none $$t tests/fuzz/corpus/$$t -- \
	    -runs=$(FUZZ_RUNS) $(FUZZ_FLAGS) || exit 1; \
	done

deb-deps: deps
	@$(MAKE) --no-print-directory install PACKAGES="$(DEB_TOOLS)"
	@cargo deb --version 2>/dev/null | grep -q "$(CARGO_DEB_VERSION)" || \
	  cargo install cargo-deb --locked --version $(CARGO_DEB_VERSION)

# target/debian/pinger-smokeping_<version>_<arch>.deb, checked by lintian (errors fail).
deb: deb-deps
	cargo build --release --locked
	@rm -rf target/assets && mkdir -p target/assets/man target/assets/completions
	$(BIN) man --out-dir target/assets/man
	$(BIN) completions bash > target/assets/completions/pinger-smokeping
	$(BIN) completions zsh > target/assets/completions/_pinger-smokeping
	$(BIN) completions fish > target/assets/completions/pinger-smokeping.fish
	@rm -f target/debian/*.deb
	cargo deb --no-build --locked --strip
	lintian --fail-on error --info target/debian/*.deb

bench: deps
	cargo bench

lint:
	cargo fmt --all -- --check
	cargo clippy --all-targets -- -D warnings
