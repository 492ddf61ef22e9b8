# entitle: every routine task. .ci/run installs what is missing, then runs `just ci` and `just fuzz-smoke`.

set shell := ["bash", "-euo", "pipefail", "-c"]

# List the recipes
default:
    @just --list

# Install the tools the recipes need (idempotent)
setup:
    rustup component add rustfmt clippy
    command -v just >/dev/null || cargo install just --locked
    command -v dot >/dev/null || (apt-get update -qq && apt-get install -y -qq graphviz)
    command -v perf >/dev/null || (apt-get update -qq && apt-get install -y -qq linux-perf)
    ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || (apt-get update -qq && apt-get install -y -qq postgresql)
    command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked
    command -v cargo-mutants >/dev/null || cargo install cargo-mutants --locked
    command -v cargo-nextest >/dev/null || cargo install cargo-nextest --locked
    command -v oha >/dev/null || cargo install oha --locked
    {{just_executable()}} sdk-env
    {{just_executable()}} bindings-env
    {{just_executable()}} peers-env

# A new environment touches crates/cli/build.rs: its build script reruns and stops ignoring the SDK test.
# Build the Python environment with the pinned Microsoft Graph SDKs (.venv-sdk) for the SDK test
sdk-env:
    test -x .venv-sdk/bin/python || { python3 -m venv .venv-sdk && touch crates/cli/build.rs; }
    .venv-sdk/bin/pip install --quiet --disable-pip-version-check -r sdk-tests/requirements.txt

# Install the peers `just bench-http` measures beside entitle (bench/peers: Prism and json-server, exact versions from its package-lock.json)
peers-env:
    #!/usr/bin/env bash
    set -euo pipefail
    command -v node >/dev/null || { echo "the peers need Node 18.20 or later" >&2; exit 1; }
    test -x bench/peers/node_modules/.bin/prism -a -x bench/peers/node_modules/.bin/json-server \
      || npm ci --prefix bench/peers --no-audit --no-fund

# Install what the bindings build with: the wasm32 target, wasm-bindgen-cli at Cargo.lock's version, maturin and pytest (.venv-bindings)
bindings-env:
    #!/usr/bin/env bash
    set -euo pipefail
    rustup target list --installed | grep -qx wasm32-unknown-unknown || rustup target add wasm32-unknown-unknown
    version="$(sed -n '/^name = "wasm-bindgen"$/{n;s/^version = "\(.*\)"$/\1/p;}' Cargo.lock)"
    test -n "$version" || { echo "no wasm-bindgen in Cargo.lock" >&2; exit 1; }
    if [ "$(wasm-bindgen --version 2>/dev/null || true)" != "wasm-bindgen $version" ]; then
      # --locked first; a registry mirror lacking one of its pinned dependencies falls back to a fresh resolution.
      cargo install wasm-bindgen-cli --locked --version "$version" || cargo install wasm-bindgen-cli --version "$version"
    fi
    test -x .venv-bindings/bin/python || python3 -m venv .venv-bindings
    .venv-bindings/bin/pip install --quiet --disable-pip-version-check maturin pytest
    command -v node >/dev/null || { echo "the JavaScript binding needs Node 18 or later" >&2; exit 1; }

# Build and install the Python binding (`pip install ./bindings/python`) into .venv-bindings, then run its tests
python: bindings-env
    .venv-bindings/bin/pip install --quiet --disable-pip-version-check --force-reinstall ./bindings/python
    .venv-bindings/bin/python -m pytest -q bindings/python/tests

# Build the JavaScript binding (bindings/js/pkg, printing the .wasm's size), then run its tests with node --test
js: bindings-env
    scripts/build-js.sh
    cd bindings/js && node --test test/

# Calls per second of can_cancel and apply from Python and from Node, beside a dict/object lookup table
bench-bindings: python js
    .venv-bindings/bin/python bindings/python/bench/bench.py
    cd bindings/js && node bench/bench.js

# Serve the Graph API with the built-in demo tenant (insecure demo tokens; see docs/demo.md)
serve *args:
    cargo run --quiet -p entitle-cli -- serve --demo {{args}}

# Run all tests (the README's test command)
test:
    cargo test --workspace

# Check formatting and lints, warnings as errors
lint:
    cargo fmt --all --check
    cargo clippy --workspace --all-targets -- -D warnings
    cargo clippy -p entitle-cli --features otlp --all-targets -- -D warnings
    cargo clippy --manifest-path fuzz/Cargo.toml --all-targets -- -D warnings
    cargo fmt --manifest-path bindings/python/Cargo.toml --check
    cargo clippy --manifest-path bindings/python/Cargo.toml --all-targets -- -D warnings

# Build the API docs, warnings as errors
doc-api:
    RUSTDOCFLAGS="-D warnings" cargo doc --workspace --no-deps

# Check that entitle-core is no_std and depends only on serde, strum and thiserror
core-purity:
    scripts/core-purity.sh

# Build entitle-core with the oldest Rust the manifests declare (`rust-version` in Cargo.toml)
msrv:
    #!/usr/bin/env bash
    set -euo pipefail
    version="$(sed -n 's/^rust-version = "\(.*\)"$/\1/p' Cargo.toml)"
    test -n "$version" || { echo "no rust-version in Cargo.toml" >&2; exit 1; }
    cargo "+$version" build -p entitle-core

# Regenerate the generated docs (transitions.md, authority.md, lifecycle.dot and .svg, errors.md)
docs:
    cargo run --quiet -p entitle-cli -- docs --dir docs
    dot -Tsvg docs/lifecycle.dot -o docs/lifecycle.svg

# Regenerate the conformance vectors (docs/vectors.json, described in docs/vectors.md)
vectors:
    cargo run --quiet -p entitle-cli -- vectors --output docs/vectors.json

# Fail when a generated doc or the vectors are stale, or the picture was not rendered from the current DOT
docs-check:
    cargo run --quiet -p entitle-cli -- docs --check --dir docs
    cargo run --quiet -p entitle-cli -- vectors --check docs/vectors.json
    dot -Tsvg docs/lifecycle.dot > /dev/null
    grep -q "$(grep -o 'table sha256: [0-9a-f]*' docs/lifecycle.dot)" docs/lifecycle.svg || (echo "docs/lifecycle.svg is stale: run 'just docs'" >&2; exit 1)

# Run the entitle CLI, e.g. `just entitle verify`
entitle *args:
    cargo run --quiet -p entitle-cli -- {{args}}

# Run the exhaustive enumeration and show its figures
exhaustive:
    cargo test -p entitle-core --test exhaustive -- --nocapture

# Run the decision benchmarks (the core against the naive, rust-fsm and statig peers) and print the ratios
bench:
    mkdir -p target
    cargo bench -p entitle-bench --bench decision 2>&1 | tee target/bench.txt
    python3 scripts/bench-ratios.py < target/bench.txt

# Profile one decision in a tight loop with perf and print its hottest functions: `just profile-decision apply approve`, `just profile-decision can_cancel pendingApproval`
profile-decision *args:
    cargo build --release -p entitle-bench --bin decision-loop
    perf record -q -o target/decision.perf target/release/decision-loop {{args}}
    perf report -i target/decision.perf --stdio --no-children 2>/dev/null | grep -v '^#' | grep -v '^$' | head -12

# Measure the pieces entitle writes by hand against the kept crates that do the same job (D34)
bench-kept:
    cargo bench -p entitle-bench --bench kept

# The OpenTelemetry export (the `otlp` feature) against a local collector stand-in
otlp:
    cargo test -p entitle-cli --features otlp --test otlp

# Review changed insta snapshots
snap:
    cargo insta review

# Everything .ci/run checks but the fuzz smoke run (the Graph SDK, PostgreSQL and database-fault tests are required to run)
ci: lint core-purity msrv doc-api sdk-env
    ENTITLE_REQUIRE_SDK=1 ENTITLE_REQUIRE_POSTGRES=1 ENTITLE_REQUIRE_MOUNTS=1 {{just_executable()}} test
    {{just_executable()}} otlp
    {{just_executable()}} docs-check
    {{just_executable()}} python
    {{just_executable()}} js
    {{just_executable()}} schemathesis

# Build every fuzz target, then run each for FUZZ_SECONDS (default 20) from its seeds; fails on any crash
fuzz-smoke:
    #!/usr/bin/env bash
    set -euo pipefail
    cargo +nightly fuzz build -s "${FUZZ_SANITIZER:-address}"
    for target in $(cargo +nightly fuzz list); do
      log="$(mktemp)"
      if {{just_executable()}} fuzz "$target" "${FUZZ_SECONDS:-20}" >"$log" 2>&1; then
        echo "fuzz $target: $(grep -E '^#[0-9]+[[:space:]]+DONE' "$log" | tail -n 1)"
        rm -f "$log"
      else
        grep -A3 'panicked at' "$log" || true
        tail -n 25 "$log"
        echo "fuzz $target: FAILED (full log: $log; crash input under fuzz/artifacts/$target/)" >&2
        exit 1
      fi
    done

# Fuzz one target (lifecycle, status_parse, table_json, cancel_body, graph_wire, jwt, filter) for SECONDS, from fuzz/seeds into fuzz/corpus
fuzz TARGET SECONDS="600":
    scripts/fuzz-run.sh "{{TARGET}}" -max_total_time={{SECONDS}} -print_final_stats=1

# Build every fuzz target without a sanitizer, then run each to 10 M executions (FUZZ_LONG_RUNS) within FUZZ_LONG_BUDGET s (3,300) in all; table in target/fuzz-long.md
fuzz-long:
    scripts/fuzz-long.sh

# Mutation testing of entitle-core and entitle-audit (config: .cargo/mutants.toml; extra args such as --iterate pass through)
mutants *args:
    cargo mutants -p entitle-core -p entitle-audit {{args}}

# Check `entitle serve --demo` against docs/openapi.yaml with schemathesis (pinned, in .venv-st); at least 1,000 requests
schemathesis:
    test -x .venv-st/bin/python || python3 -m venv .venv-st
    .venv-st/bin/pip install --quiet --disable-pip-version-check schemathesis==4.32.5
    python3 scripts/schemathesis.py

# Loopback HTTP figures: entitle serve (create, get, cancel) next to a bare axum handler and the peers (Prism, json-server; `just peers-env`), with oha
bench-http:
    python3 scripts/bench-http.py

# Record `entitle serve` on SQLite with perf under a get and a cancel load; print where its CPU time goes
profile-http:
    python3 scripts/profile-http.py
