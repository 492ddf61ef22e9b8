# entitle: every routine task. `just ci` is exactly what .ci/run runs.

set shell := ["bash", "-euo", "pipefail", "-c"]

# List the recipes
default:
    @just --list

# Install the tools the recipes need (idempotent)
setup:
    rustup component add rustfmt clippy
    command -v just >/dev/null || cargo install just --locked

# Run all tests (the README's test command)
test:
    cargo test --workspace

# Check formatting and lints, warnings as errors
lint:
    cargo fmt --all --check
    cargo clippy --workspace --all-targets -- -D warnings

# Build the API docs, warnings as errors
doc-api:
    RUSTDOCFLAGS="-D warnings" cargo doc --workspace --no-deps

# Check that entitle-core is no_std and depends only on serde, strum and thiserror
core-purity:
    scripts/core-purity.sh

# Regenerate the generated docs from the core's table
docs:
    cargo run --quiet -p entitle-cli -- doc > docs/transitions.md

# Fail when a generated doc is stale
docs-check:
    cargo run --quiet -p entitle-cli -- doc | diff -u docs/transitions.md - || (echo "docs/transitions.md is stale: run 'just docs'" >&2; exit 1)

# Print the transition table (the main job until the server lands)
table *args:
    cargo run --quiet -p entitle-cli -- table {{args}}

# Run the exhaustive enumeration and show its figures
exhaustive:
    cargo test -p entitle-core --test exhaustive -- --nocapture

# Review changed insta snapshots
snap:
    cargo insta review

# Everything CI checks
ci: lint core-purity doc-api test docs-check
