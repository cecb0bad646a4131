# oneinbox-webhooks — every task. `just --list` shows this menu.

set shell := ["bash", "-euo", "pipefail", "-c"]

# list the recipes
default:
    @just --list

# the main job: parse every guide payload and show a strict-mode issue report
demo:
    cargo run --quiet --example demo

# everything CI runs
test: fmt-check clippy check-deps test-rust test-python

# run the Rust tests (unit, fixtures, integration, doc tests)
test-rust:
    cargo test --workspace --all-targets
    cargo test --workspace --doc

# create .venv (once) and install the Python dev tools from bindings/python/requirements-dev.txt
venv:
    #!/usr/bin/env bash
    set -euo pipefail
    if [ ! -x .venv/bin/python ]; then python3 -m venv .venv; fi
    .venv/bin/python -m pip install --quiet --disable-pip-version-check -r bindings/python/requirements-dev.txt

# build the Python package (debug) and install it into .venv, editable
build-python: venv
    cd bindings/python && VIRTUAL_ENV="$PWD/../../.venv" ../../.venv/bin/maturin develop --quiet

# Python binding: pytest (every shared fixture, schemas, threads), stubtest, mypy --strict
test-python: build-python
    cd bindings/python && ../../.venv/bin/python -m pytest -q
    cd bindings/python && ../../.venv/bin/python -m mypy.stubtest oneinbox_webhooks
    cd bindings/python && ../../.venv/bin/python -m mypy --strict tests/test_typing.py python/oneinbox_webhooks

# Python benchmark (release build): parse_event against msgspec, pydantic and json.loads
bench-python: venv
    .venv/bin/python -m pip install --quiet --disable-pip-version-check -r bindings/python/bench/requirements.txt
    cd bindings/python && VIRTUAL_ENV="$PWD/../../.venv" ../../.venv/bin/maturin develop --release --quiet
    .venv/bin/python bindings/python/bench/bench.py

# check formatting without changing files
fmt-check:
    cargo fmt --all -- --check

# format every Rust file
fmt:
    cargo fmt --all

# lint with clippy, warnings denied
clippy:
    cargo clippy --workspace --all-targets -- -D warnings

# fail if the core's dependency tree gains a binding library, an HTTP client or an async runtime
check-deps:
    #!/usr/bin/env bash
    set -euo pipefail
    tree=$(cargo tree -p oneinbox-webhooks -e normal --prefix none --format '{p}')
    bad=$(grep -E '^(pyo3|napi|napi-derive|reqwest|hyper|ureq|isahc|curl|surf|attohttpc|tokio|async-std|smol|mio|async-io) ' <<<"$tree" || true)
    if [ -n "$bad" ]; then echo "the core must stay sans-I/O; it depends on:"; echo "$bad"; exit 1; fi
    echo "core dependency tree is sans-I/O ($(wc -l <<<"$tree") crates)"

# benchmarks: parse_event against serde_json on the guide payloads and a 40 KB transcript
bench:
    cargo bench -p oneinbox-webhooks --bench parse

# accept changed insta snapshots after reviewing them (needs no extra tool)
snapshots:
    INSTA_UPDATE=always cargo test -p oneinbox-webhooks --test event_fixtures
