# verified-https: build, test, demo and lint. `make demo` and `make test` work on a fresh
# Debian machine with Rust from rustup: they add the wasm32-wasip2 target and install clang
# (ring's C code for wasm32) when missing.

CARGO  ?= cargo
TARGET := wasm32-wasip2
CARGO_WASM := target/$(TARGET)/component/verified_https.wasm
WASM   := target/verified-https.wasm
OPTIMIZE := python3 host-test/tools/optimize-component.py
GUESTS := host-test/guests/Cargo.toml

.PHONY: all setup component host guests compose node python demo test unit lint conformance fuzz bench bench-quick clean

all: component host

## setup: install what a fresh machine lacks (the wasm32-wasip2 target, clang, binaryen)
setup:
	@command -v $(CARGO) >/dev/null || { echo "error: cargo not found; install Rust with rustup (https://rustup.rs)"; exit 1; }
	@rustup target list --installed | grep -qx $(TARGET) || rustup target add $(TARGET)
	@command -v clang >/dev/null || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "installing clang (ring's C code for $(TARGET))"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq clang >/dev/null; \
	  else \
	    echo "error: clang is required to build ring for $(TARGET); install it (Debian: sudo apt-get install clang)"; exit 1; \
	  fi; }
	@command -v python3 >/dev/null || { echo "error: python3 is required (host-test/tools/optimize-component.py)"; exit 1; }
	@command -v wasm-opt >/dev/null || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "installing binaryen (wasm-opt, which shrinks the component)"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq binaryen >/dev/null; \
	  else \
	    echo "error: wasm-opt is required; install binaryen (Debian: sudo apt-get install binaryen)"; exit 1; \
	  fi; }

## component: the https-client component (cdylib for wasm32-wasip2), then binaryen's wasm-opt
## over its core module (13% smaller and no slower: docs/BENCHMARKS.md)
component: setup
	$(CARGO) build --profile component --target $(TARGET) --lib
	$(OPTIMIZE) $(CARGO_WASM) $(WASM)

## host: the wasmtime host, https-get and the demo
host: setup
	$(CARGO) build --release --workspace --bins

## guests: wasm32-wasip2 programs the benchmarks run beside the component (a wasi:http client,
## ring's AEADs alone)
guests: setup
	$(CARGO) build --release --target $(TARGET) --manifest-path $(GUESTS) --target-dir target
	@mkdir -p target/guests
	$(OPTIMIZE) target/$(TARGET)/release/ring-raw.wasm target/guests/ring-raw.wasm
	$(OPTIMIZE) target/$(TARGET)/release/wasi-http-get.wasm target/guests/wasi-http-get.wasm

## compose: the client composed with each trust provider (wac plug), into target/composed/:
## self-contained components that import only wasi:*; and the edge function composed with the
## client and trust-files. wac-cli is installed if missing.
COMPOSED := target/composed
compose: component guests
	@command -v wac >/dev/null || $(CARGO) install --locked wac-cli
	@mkdir -p $(COMPOSED)
	wac plug $(WASM) --plug target/$(TARGET)/release/trust_mozilla.wasm -o $(COMPOSED)/https-client-mozilla.wasm
	wac plug $(WASM) --plug target/$(TARGET)/release/trust_files.wasm -o $(COMPOSED)/https-client-files.wasm
	wac plug target/$(TARGET)/release/edge_function.wasm --plug $(COMPOSED)/https-client-files.wasm -o $(COMPOSED)/edge-function.wasm

## node: the Node.js host (host-test/node): jco transpiles the component, preview2-shim runs it
NODE_DIR := host-test/node
node: component
	@command -v npm >/dev/null || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "installing Node.js and npm (the Node.js host)"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm >/dev/null; \
	  else \
	    echo "error: Node.js and npm are needed for the Node.js host (Debian: sudo apt-get install nodejs npm)"; exit 1; \
	  fi; }
	cd $(NODE_DIR) && npm install --no-audit --no-fund --loglevel=error && npm run --silent build

## python: the Python host's environment (target/python-venv: wasmtime-py, pytest)
VENV := target/python-venv
python: component
	@test -x $(VENV)/bin/pytest || { python3 -m venv $(VENV) && $(VENV)/bin/pip install --quiet -r host-test/python/requirements.txt; }

## demo: a loopback HTTPS server with a fresh CA; verified, refused and unverified fetches
demo: component host
	./target/release/demo

## test: unit tests (natively) and the end-to-end suites (the component in wasmtime)
test: component host compose node python
	$(CARGO) test --release --workspace
	cd $(NODE_DIR) && npm test
	$(VENV)/bin/pytest -q host-test/python

## unit: only the pure modules, natively
unit:
	$(CARGO) test --release --lib

## lint: rustfmt and clippy on both targets, rustdoc without warnings
lint: setup
	$(CARGO) fmt --all -- --check
	$(CARGO) fmt --all --manifest-path $(GUESTS) -- --check
	$(CARGO) clippy --release --workspace --all-targets -- -D warnings
	$(CARGO) clippy --release --target $(TARGET) --lib -- -D warnings
	$(CARGO) clippy --release --target $(TARGET) --manifest-path $(GUESTS) --target-dir target -- -D warnings
	RUSTDOCFLAGS="-D warnings" $(CARGO) doc --release --workspace --no-deps

clean:
	$(CARGO) clean

## bench: the benchmarks of docs/BENCHMARKS.md (about 5 minutes), written into that file;
## bench-quick: the same workloads, smaller (about a minute), printed only
bench: component host guests curl
	./target/release/bench --write docs/BENCHMARKS.md
bench-quick: component host guests curl
	./target/release/bench --quick

.PHONY: curl
curl:
	@command -v curl >/dev/null || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "installing curl (a benchmark contender)"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq curl >/dev/null; \
	  else \
	    echo "error: the benchmarks compare with curl; install it (Debian: sudo apt-get install curl)"; exit 1; \
	  fi; }

## conformance: x509-limbo (../shared/testdata) through the component's verify-chain
conformance: component host
	./target/release/limbo-conformance

## fuzz: each libFuzzer target for FUZZ_SECONDS (default 600); cargo-fuzz is installed if missing.
## The toolchain is stable, so RUSTC_BOOTSTRAP=1 lets cargo-fuzz pass its -Z sanitizer flags.
FUZZ_SECONDS  ?= 600
FUZZ_TARGETS  := response chunked request pem
fuzz:
	@command -v cargo-fuzz >/dev/null || $(CARGO) install cargo-fuzz
	@for target in $(FUZZ_TARGETS); do \
	  echo "== fuzzing $$target for $(FUZZ_SECONDS) s"; \
	  RUSTC_BOOTSTRAP=1 $(CARGO) fuzz run --fuzz-dir tests/fuzz -O $$target -- \
	    -max_total_time=$(FUZZ_SECONDS) -rss_limit_mb=2048 || exit 1; \
	done
