# Two commands on a fresh Debian machine: `make demo` and `make test`.
# Both install the Debian packages they need when missing (as root, or through sudo).

DEB_PACKAGES := librrd-dev libclang-dev rrdtool pkg-config
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
BIN := target/release/pinger-smokeping
DEMO := demo-out
# The bundled fixture archive covers 2007-02-16 .. 2007-02-18.
FIXTURE_WINDOW := --end 2007-02-19 --days 3

.PHONY: deps demo test bench lint

deps:
	@missing=""; for p in $(DEB_PACKAGES); do \
	  dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing Debian packages:$$missing"; \
	  $(SUDO) apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	fi
	@command -v cargo >/dev/null || { echo "cargo not found: install Rust (https://rustup.rs)"; exit 2; }

demo: deps
	cargo build --release --quiet
	@rm -rf $(DEMO) && mkdir -p $(DEMO)
	$(BIN) scan --data fixtures/archive $(FIXTURE_WINDOW) -o $(DEMO)/srcdest.txt
	@echo; echo "== $(DEMO)/srcdest.txt"; cat $(DEMO)/srcdest.txt
	@echo; echo "Output: $(CURDIR)/$(DEMO)/srcdest.txt"

test: deps
	cargo test --quiet

bench: deps
	cargo bench

lint:
	cargo fmt --all -- --check
	cargo clippy --all-targets -- -D warnings
