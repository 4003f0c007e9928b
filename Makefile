# verified-https: build, test, demo and lint. `make demo` and `make test` work on a fresh
# Debian machine with Rust from rustup: they add the wasm32-wasip2 target and install clang
# (ring's C code for wasm32) when missing.

CARGO  ?= cargo
TARGET := wasm32-wasip2
CARGO_WASM := target/$(TARGET)/component/verified_https.wasm
WASM   := target/verified-https.wasm
# The same client for the world https-client-host-keys (it also imports `identity`, for client
# keys the host keeps), built with the feature host-keys in a target directory of its own so
# that neither build undoes the other.
HOST_KEYS_DIR := target/host-keys
WASM_HOST_KEYS := target/verified-https-host-keys.wasm
# The same client for the world https-client-host-crypto (it also imports `crypto`: the host
# computes AEADs, key exchange and signature verification), built with the feature host-crypto
# in a target directory of its own; `https-get` runs it by default.
HOST_CRYPTO_DIR := target/host-crypto
WASM_HOST_CRYPTO := target/verified-https-host-crypto.wasm
# The same client for the world https-client-host-network (its TCP through the `transport`
# import, which the host implements: the Python host does), with the feature host-network.
HOST_NETWORK_DIR := target/host-network
WASM_HOST_NETWORK := target/verified-https-host-network.wasm
# The host-network build that imports `crypto` too (world https-client-host-network-crypto:
# the Python host lends its sockets and `cryptography`), in the same target directory: its
# dependencies are shared, and only the client crate is built again (about 10 s each time the
# two builds take turns) instead of every dependency once more in a directory of its own.
WASM_HOST_NETWORK_CRYPTO := target/verified-https-host-network-crypto.wasm
# The same client for the world https-client-async (WASI 0.3: the async `client` beside the
# synchronous one, over wasi:sockets@0.3), with the feature async-client.
ASYNC_DIR := target/async-client
WASM_ASYNC := target/verified-https-async.wasm
# The async client exporting wasi:http/client@0.3.0 too (world https-client-wasi-http in
# wit/wasi-http/), with the feature wasi-http: what a wasi:http guest is composed with. In the
# async build's target directory: the same dependencies, only the client crate built again.
WASM_WASI_HTTP := target/verified-https-wasi-http.wasm
OPTIMIZE := python3 host-test/tools/optimize-component.py
# Every wasm32 build names the crates' sources by their registry-relative paths
# (ring-0.17.14/src/...) in the panic locations it embeds, rather than by this machine's
# $(CARGO_HOME)/registry/src/index.crates.io-<hash>/ path: 5.5 KB less of the self-contained
# component, and no path of the build machine in it. Cargo adds these flags to the target's
# rustflags in .cargo/config.toml (+simd128). (The second prefix is the crates.io index's
# directory, the same on every machine since cargo 1.85; the first covers any other.)
CARGO_REGISTRY_SRC := $(or $(CARGO_HOME),$(HOME)/.cargo)/registry/src
export CARGO_TARGET_WASM32_WASIP2_RUSTFLAGS := --remap-path-prefix=$(CARGO_REGISTRY_SRC)/= \
  --remap-path-prefix=$(CARGO_REGISTRY_SRC)/index.crates.io-1949cf8c6b5b557f/=
COMPONENTS := host-test/components/Cargo.toml

.PHONY: all setup component host guests compose node python wit-docs demo test unit lint conformance fuzz bench bench-quick clean

all: component host

# $(call need,COMMAND,DEBIAN-PACKAGES,WHY): installs the packages as root when COMMAND is
# missing, and otherwise says what to install and why.
need = @command -v $(1) >/dev/null || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "installing $(2) ($(3))"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(2) >/dev/null; \
	  else \
	    echo "error: $(1) is needed ($(3)); install it (Debian: sudo apt-get install $(2))"; exit 1; \
	  fi; }

## setup: install what a fresh machine lacks (the wasm32-wasip2 target, clang, binaryen)
setup:
	@command -v $(CARGO) >/dev/null || { echo "error: cargo not found; install Rust with rustup (https://rustup.rs)"; exit 1; }
	@rustup target list --installed | grep -qx $(TARGET) || rustup target add $(TARGET)
	$(call need,clang,clang,ring's C code for $(TARGET))
	@command -v python3 >/dev/null || { echo "error: python3 is required (host-test/tools/optimize-component.py)"; exit 1; }
	$(call need,wasm-opt,binaryen,binaryen's wasm-opt shrinks the component)

## component: the https-client component (cdylib for wasm32-wasip2), then binaryen's wasm-opt
## over its core module (-Oz, and the component-name section dropped: 971 KB, from 1,069 KB at
## opt-level "s" and -O2, with bulk speed unchanged); and the host-keys, host-crypto,
## host-network and host-network-crypto builds, the async-client build (WASI 0.3:
## target/verified-https-async.wasm) and the wasi-http build (wasi:http/client@0.3.0
## exported too). HTTP/2 (the feature http2, +222 KB) is in the host-crypto and async-client builds:
## it would take the self-contained one over its 1.0 MB budget
component: setup
	$(CARGO) build --profile component --target $(TARGET) --lib
	$(OPTIMIZE) $(CARGO_WASM) $(WASM)
	$(CARGO) build --profile component --target $(TARGET) --lib --features host-keys --target-dir $(HOST_KEYS_DIR)
	$(OPTIMIZE) $(HOST_KEYS_DIR)/$(TARGET)/component/verified_https.wasm $(WASM_HOST_KEYS)
	$(CARGO) build --profile component --target $(TARGET) --lib --features host-crypto,http2 --target-dir $(HOST_CRYPTO_DIR)
	$(OPTIMIZE) $(HOST_CRYPTO_DIR)/$(TARGET)/component/verified_https.wasm $(WASM_HOST_CRYPTO)
	$(CARGO) build --profile component --target $(TARGET) --lib --features host-network --target-dir $(HOST_NETWORK_DIR)
	$(OPTIMIZE) $(HOST_NETWORK_DIR)/$(TARGET)/component/verified_https.wasm $(WASM_HOST_NETWORK)
	$(CARGO) build --profile component --target $(TARGET) --lib --features host-network,host-crypto --target-dir $(HOST_NETWORK_DIR)
	$(OPTIMIZE) $(HOST_NETWORK_DIR)/$(TARGET)/component/verified_https.wasm $(WASM_HOST_NETWORK_CRYPTO)
	$(CARGO) build --profile component --target $(TARGET) --lib --features async-client,http2 --target-dir $(ASYNC_DIR)
	$(OPTIMIZE) $(ASYNC_DIR)/$(TARGET)/component/verified_https.wasm $(WASM_ASYNC)
	$(CARGO) build --profile component --target $(TARGET) --lib --features wasi-http --target-dir $(ASYNC_DIR)
	$(OPTIMIZE) $(ASYNC_DIR)/$(TARGET)/component/verified_https.wasm $(WASM_WASI_HTTP)

## host: the native crates of host-test/ (the wasmtime host, testkit, bench, conformance, edge)
## and their bins: https-get, demo, bench, limbo-conformance, edge-host
host: setup
	$(CARGO) build --release --workspace --bins

## guests: the wasm32-wasip2 crates of host-test/components (the trust providers, the edge
## function, and the benchmarks' guests: a wasi:http client, ring's AEADs alone); the
## benchmark guests optimized into target/guests
## (and the test guest runaway, copied there for the edge host's limit tests)
guests: setup
	$(CARGO) build --release --target $(TARGET) --manifest-path $(COMPONENTS) --target-dir target
	@mkdir -p target/guests
	$(OPTIMIZE) target/$(TARGET)/release/ring-raw.wasm target/guests/ring-raw.wasm
	$(OPTIMIZE) target/$(TARGET)/release/wasi-http-get.wasm target/guests/wasi-http-get.wasm
	cp target/$(TARGET)/release/runaway.wasm target/guests/runaway.wasm
	cp target/$(TARGET)/release/edge_function_wasi_http.wasm target/guests/edge-function-wasi-http.wasm

## compose: the client composed with each trust provider (wac plug), into target/composed/:
## self-contained components that import only wasi:*; and the edge function and the get-rs,
## get-py and get-js commands composed with the client and trust-files; and the wasi:http
## guest wasi-http-fetch composed with the wasi-http build and trust-files (its HTTPS verified
## inside, with trust-files' anchors). wac-cli is installed if missing.
COMPOSED := target/composed
compose: component guests get-py get-js
	@command -v wac >/dev/null || $(CARGO) install --locked wac-cli
	@mkdir -p $(COMPOSED)
	wac plug $(WASM) --plug target/$(TARGET)/release/trust_mozilla.wasm -o $(COMPOSED)/https-client-mozilla.wasm
	wac plug $(WASM) --plug target/$(TARGET)/release/trust_files.wasm -o $(COMPOSED)/https-client-files.wasm
	wac plug target/$(TARGET)/release/edge_function.wasm --plug $(COMPOSED)/https-client-files.wasm -o $(COMPOSED)/edge-function.wasm
	wac plug target/$(TARGET)/release/get-rs.wasm --plug $(COMPOSED)/https-client-files.wasm -o $(COMPOSED)/get-rs.wasm
	wac plug target/get-py/get-py.wasm --plug $(COMPOSED)/https-client-files.wasm -o $(COMPOSED)/get-py.wasm
	wac plug target/get-js/get-js.wasm --plug $(COMPOSED)/https-client-files.wasm -o $(COMPOSED)/get-js.wasm
	wac plug $(WASM_WASI_HTTP) --plug target/$(TARGET)/release/trust_files.wasm -o $(COMPOSED)/https-client-wasi-http-files.wasm
	wac plug target/$(TARGET)/release/wasi-http-fetch.wasm --plug $(COMPOSED)/https-client-wasi-http-files.wasm -o $(COMPOSED)/wasi-http-fetch.wasm

## get-py: the Python command (host-test/components/commands/get-py, over the guest library
## host-test/components/libraries/python) built by componentize-py 0.25 (from PyPI, into
## target/componentize-venv) for the world https-command, into target/get-py/get-py.wasm (from
## a copy of the sources: componentize-py writes __pycache__ beside them).
COMPONENTIZE_VENV := target/componentize-venv
COMMANDS_DIR := host-test/components/commands
.PHONY: get-py
get-py: setup
	@test -x $(COMPONENTIZE_VENV)/bin/componentize-py || { python3 -m venv $(COMPONENTIZE_VENV) && $(COMPONENTIZE_VENV)/bin/pip install --quiet componentize-py==0.25.1; }
	@rm -rf target/get-py/src && mkdir -p target/get-py/src
	cp $(COMMANDS_DIR)/get-py/app.py host-test/components/libraries/python/verified_https_guest.py target/get-py/src/
	cd target/get-py && ../../$(COMPONENTIZE_VENV)/bin/componentize-py -q -d ../../$(COMMANDS_DIR)/wit -w https-command \
	  componentize app -p src -o get-py.wasm

## get-js: the JavaScript command (host-test/components/commands/get-js, over the guest library
## host-test/components/libraries/js) built by componentize-js 0.23 (from npm: `npm ci` of its
## package-lock.json, once) for the world https-command, into target/get-js/get-js.wasm.
GET_JS_DIR := $(COMMANDS_DIR)/get-js
.PHONY: get-js
get-js:
	$(call need,npm,nodejs npm,componentize-js builds the JavaScript command)
	@test -d $(GET_JS_DIR)/node_modules/@bytecodealliance/componentize-js || { cd $(GET_JS_DIR) && npm ci --no-audit --no-fund --loglevel=error; }
	cd $(GET_JS_DIR) && nice node build.mjs ../../../../target/get-js

## wasmtime: the stock wasmtime CLI (wasmtime-cli from crates.io, the host's wasmtime version),
## which tests/e2e/stock_cli.rs runs the composed commands and the edge function with. Built
## once (about 7 minutes on 2 cores) into WASMTIME_ROOT: outside target/, so `make clean` keeps
## it, and one directory for a CI machine to cache; the tests find it through WASMTIME_CLI.
WASMTIME_VERSION := 48.0.8
WASMTIME_ROOT ?= $(HOME)/.cache/verified-https/wasmtime-cli-$(WASMTIME_VERSION)
WASMTIME_CLI := $(WASMTIME_ROOT)/bin/wasmtime
.PHONY: wasmtime
wasmtime: setup
	@test -x $(WASMTIME_CLI) || nice $(CARGO) install --locked wasmtime-cli --version $(WASMTIME_VERSION) --root $(WASMTIME_ROOT)

## node: the Node.js host (host-test/node): jco transpiles the component, preview2-shim runs it.
## `npm ci` installs exactly package-lock.json and never rewrites it (`npm install` with a
## node_modules present drops other platforms' optional packages from the lock: npm/cli#7961).
NODE_DIR := host-test/node
node: component
	$(call need,npm,nodejs npm,the Node.js host)
	$(call need,openssl,openssl,the Node.js and Python tests make their certificates with it)
	cd $(NODE_DIR) && npm ci --no-audit --no-fund --loglevel=error && npm run --silent build

## python: the Python host's environment (target/python-venv: wasmtime-py, cryptography,
## pytest), installed again whenever requirements.txt differs from the copy kept in it
VENV := target/python-venv
python: component
	$(call need,openssl,openssl,the Node.js and Python tests make their certificates with it)
	@cmp -s host-test/python/requirements.txt $(VENV)/requirements.txt || { \
	  { test -x $(VENV)/bin/pip || python3 -m venv $(VENV); } && \
	  $(VENV)/bin/pip install --quiet -r host-test/python/requirements.txt && \
	  cp host-test/python/requirements.txt $(VENV)/requirements.txt; }

## demo: a loopback HTTPS server with a fresh CA; verified, refused and unverified fetches
demo: component host
	./target/release/demo

## test: unit tests (natively) and the end-to-end suites (the component in wasmtime); the SIMD
## ChaCha20-Poly1305's tests and vectors once more inside wasm (the wasmtime CLI runs them)
test: component host compose wasmtime node python nginx
	WASMTIME_CLI=$(WASMTIME_CLI) $(CARGO) test --release --workspace --features verified-https/http2
	CARGO_TARGET_WASM32_WASIP2_RUNNER=$(WASMTIME_CLI) $(CARGO) test --release --target $(TARGET) -p chacha20-poly1305-simd -p aes-gcm-simd -p p256-verify
	cd $(NODE_DIR) && npm test
	$(VENV)/bin/pytest -q host-test/python

## nginx: Debian's nginx, which the mutual-TLS, content-decoding and HTTP/2 tests start on
## loopback (tests/e2e/tls_contract.rs, decoding.rs, http2.rs: nginx-light has http_v2);
## tinyproxy, which the proxy tests start (tests/e2e/proxies.rs). Neither runs as a service:
## each test starts its own from a temp dir.
.PHONY: nginx
nginx:
	$(call need,nginx,nginx-light,the mutual-TLS and decoding tests run Debian's nginx on loopback)
	$(call need,tinyproxy,tinyproxy,the proxy tests run Debian's tinyproxy on loopback)

## unit: only the pure modules, natively
unit:
	$(CARGO) test --release --lib --features http2

## lint: rustfmt and clippy on both targets (the lint wall of Cargo.toml), rustdoc without
## warnings, and no import cycle between files
lint: setup
	$(CARGO) fmt --all -- --check
	$(CARGO) fmt --all --manifest-path $(COMPONENTS) -- --check
	$(CARGO) clippy --release --workspace --all-targets --features verified-https/http2 -- -D warnings
	$(CARGO) clippy --release --target $(TARGET) --lib -- -D warnings
	$(CARGO) clippy --release --target $(TARGET) --lib --features host-crypto,http2 --target-dir $(HOST_CRYPTO_DIR) -- -D warnings
	$(CARGO) clippy --release --target $(TARGET) --lib --features host-network --target-dir $(HOST_NETWORK_DIR) -- -D warnings
	$(CARGO) clippy --release --target $(TARGET) --lib --features host-network,host-crypto --target-dir $(HOST_NETWORK_DIR) -- -D warnings
	$(CARGO) clippy --release --target $(TARGET) --lib --features async-client,http2 --target-dir $(ASYNC_DIR) -- -D warnings
	$(CARGO) clippy --release --target $(TARGET) --lib --features wasi-http --target-dir $(ASYNC_DIR) -- -D warnings
	$(CARGO) clippy --release --target $(TARGET) --manifest-path $(COMPONENTS) --target-dir target -- -D warnings
	RUSTDOCFLAGS="-D warnings" $(CARGO) doc --release --workspace --no-deps --features verified-https/http2
	python3 host-test/tools/module-cycles.py src host-test/*/src

clean:
	$(CARGO) clean

## wit-docs: regenerate docs/WIT.md from wit/ (wit-bindgen-cli is installed if missing): the
## world https-client whole, the import each other client world adds, the async world's own
## interface (wit/async/) and the wasi:http world's summary (wit/wasi-http/; wit-bindgen reads
## one directory, so its WIT and both deps/ folders are gathered into target/wit-docs first)
## $(call wit_import,WORLD,INTERFACE,TITLE): INTERFACE's section of WORLD's rendering
wit_import = echo; echo '\# The world $(1): https-client and the `$(2)` import'; echo; \
	  sed -n '/^\#\# <a id="verified_https_$(2)_0_1_0">/,/^\#\# <a id="verified_https_client_0_1_0">/p' target/wit-docs/$(1).md | sed '$$d'
wit-docs:
	@command -v wit-bindgen >/dev/null || $(CARGO) install --locked wit-bindgen-cli --version 0.57.0
	@mkdir -p target/wit-docs
	@for world in https-client https-client-host-keys https-client-host-crypto https-client-host-network; do \
	  wit-bindgen markdown wit --world $$world --out-dir target/wit-docs >/dev/null; done
	@wit-bindgen markdown wit/async --world https-client-async --out-dir target/wit-docs >/dev/null
	@rm -rf target/wit-docs/wasi-http && mkdir -p target/wit-docs/wasi-http/deps/https-async && \
	  cp -L wit/wasi-http/world.wit target/wit-docs/wasi-http/ && \
	  cp -rL wit/wasi-http/deps/* wit/async/deps/* target/wit-docs/wasi-http/deps/ && \
	  cp -L wit/async/client.wit target/wit-docs/wasi-http/deps/https-async/ && \
	  wit-bindgen markdown target/wit-docs/wasi-http --world https-client-wasi-http --out-dir target/wit-docs >/dev/null
	{ echo '<!-- Generated from wit/ by `wit-bindgen markdown` for the worlds https-client, https-client-host-keys, https-client-host-crypto, https-client-host-network, https-client-async and https-client-wasi-http (wit-bindgen-cli 0.57); do not edit. -->'; echo; \
	  cat target/wit-docs/https-client.md; \
	  $(call wit_import,https-client-host-keys,identity); \
	  $(call wit_import,https-client-host-crypto,crypto); \
	  $(call wit_import,https-client-host-network,transport); \
	  echo; echo '# The world https-client-async (wit/async/): WASI 0.3, the async `client` beside the synchronous one'; echo; \
	  sed '/^## /,$$d' target/wit-docs/https-client-async.md | sed 's/^# /## /'; \
	  sed -n '/^## <a id="verified_https_async_client_0_1_0">/,$$p' target/wit-docs/https-client-async.md; \
	  echo; echo '# The world https-client-wasi-http (wit/wasi-http/): the client behind wasi:http/client@0.3.0'; echo; \
	  sed '/^## /,$$d' target/wit-docs/https-client-wasi-http.md | sed 's/^# /## /'; \
	  echo 'The `wasi:http` interfaces are the published WIT of wasi:http@0.3.0, vendored unchanged in `wit/wasi-http/deps/`.'; } > docs/WIT.md

## bench: the benchmarks of docs/BENCHMARKS.md (about 5 minutes), written into that file;
## bench-quick: the same workloads, smaller (about a minute), printed only; W7 adds a
## `wasmtime serve` row when the stock CLI is installed (make wasmtime), and runs without it
bench: component host guests compose curl node nginx
	WASMTIME_CLI=$(WASMTIME_CLI) ./target/release/bench --write docs/BENCHMARKS.md
bench-quick: component host guests compose curl node nginx
	WASMTIME_CLI=$(WASMTIME_CLI) ./target/release/bench --quick

.PHONY: curl
curl:
	$(call need,curl,curl,a benchmark contender)

## conformance: x509-limbo (../shared/testdata) through the component's verify-chain
conformance: component host
	./target/release/limbo-conformance

## fuzz: each libFuzzer target for FUZZ_SECONDS (default 600); cargo-fuzz is installed if missing.
## The toolchain is stable, so RUSTC_BOOTSTRAP=1 lets cargo-fuzz pass its -Z sanitizer flags.
FUZZ_SECONDS  ?= 600
FUZZ_TARGETS  ?= response chunked request pem content proxy upload http2 chacha20_poly1305 aes_gcm
fuzz:
	@command -v cargo-fuzz >/dev/null || $(CARGO) install cargo-fuzz
	@for target in $(FUZZ_TARGETS); do \
	  echo "== fuzzing $$target for $(FUZZ_SECONDS) s"; \
	  RUSTC_BOOTSTRAP=1 $(CARGO) fuzz run --fuzz-dir tests/fuzz -O $$target -- \
	    -max_total_time=$(FUZZ_SECONDS) -rss_limit_mb=2048 || exit 1; \
	done
