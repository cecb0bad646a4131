# oneinbox-webhooks — every task. `just --list` shows this menu.

set shell := ["bash", "-euo", "pipefail", "-c"]

# list the recipes
default:
    @just --list

# the main job: parse every guide payload and show a strict-mode issue report
demo:
    cargo run --quiet --example demo

# everything CI runs
test: fmt-check clippy check-deps test-rust test-python test-node fuzz-smoke

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
    cd bindings/python && VIRTUAL_ENV="$PWD/../../.venv" ../../.venv/bin/maturin develop --quiet --features test-panic

# Python binding: pytest (every shared fixture, schemas, threads), stubtest, mypy --strict
test-python: build-python
    cd bindings/python && ../../.venv/bin/python -m pytest -q
    cd bindings/python && ../../.venv/bin/python -m mypy.stubtest oneinbox_webhooks
    cd bindings/python && ../../.venv/bin/python -m mypy --strict tests/test_typing.py python/oneinbox_webhooks

# Python benchmarks (release build): parse_event against msgspec, pydantic and json.loads; verify_signature against standardwebhooks
bench-python: venv
    .venv/bin/python -m pip install --quiet --disable-pip-version-check -r bindings/python/bench/requirements.txt
    cd bindings/python && VIRTUAL_ENV="$PWD/../../.venv" ../../.venv/bin/maturin develop --release --quiet
    .venv/bin/python bindings/python/bench/bench.py
    .venv/bin/python bindings/python/bench/bench_verify.py

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

# fuzz every target for SECONDS each (needs `cargo install cargo-fuzz`); seeds are scratch copies
fuzz SECONDS="600":
    #!/usr/bin/env bash
    set -euo pipefail
    rm -rf target/fuzz-seeds && python3 fuzz/scripts/seed.py target/fuzz-seeds >/dev/null
    for t in parse_event management_response verify; do
        mkdir -p target/fuzz-corpus/$t
        RUSTC_BOOTSTRAP=1 cargo fuzz run --sanitizer none -O $t target/fuzz-corpus/$t target/fuzz-seeds/$t -- -max_total_time={{SECONDS}} -rss_limit_mb=4096 -print_final_stats=1 2>&1 | grep -E "^(Done|stat::number_of_executed_units)|panicked|SUMMARY" || true
        test ! -d fuzz/artifacts/$t || test -z "$(ls -A fuzz/artifacts/$t)" || { echo "fuzz target $t found a crash: fuzz/artifacts/$t"; exit 1; }
    done

# a short fuzz run of every target (part of `just test`)
fuzz-smoke:
    just fuzz 30

# install the Node binding's dev tools from the committed lock file
setup-node:
    cd bindings/node && npm ci --no-audit --no-fund

# build the Node addon (release) and regenerate bindings/node/index.js and index.d.ts
build-node:
    test -d bindings/node/node_modules || just setup-node
    cd bindings/node && npx napi build --platform --release --features test-panic

# fail if the build changed the committed, generated index.js / index.d.ts
check-node-generated: build-node
    git diff --exit-code -- bindings/node/index.js bindings/node/index.d.ts

# Node: build, every fixture + ajv cross-check + API tests, tsc over the typed usage file, npm pack
test-node: build-node check-node-generated
    cd bindings/node && node --test __test__/
    cd bindings/node && npx tsc -p __test__/tsconfig.json
    bash bindings/node/__test__/pack-install.sh

# Node benchmark: parseEvent(Buffer) against JSON.parse + ajv and zod v4 safeParse
bench-node: build-node
    cd bindings/node && node bench/bench.mjs

# Node: verifySignature on a 40 KB body against the npm standardwebhooks package
bench-verify-node: build-node
    cd bindings/node && node bench/bench-verify.mjs
