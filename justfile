# oneinbox-webhooks — every task. `just --list` shows this menu.

set shell := ["bash", "-euo", "pipefail", "-c"]

# list the recipes
default:
    @just --list

# the main job: play one simulated OneInbox call into a FastAPI, an Express and an axum receiver (examples/) and check that the three keep the same call record
demo: build-python build-node build-rust-receiver
    .venv/bin/python examples/demo.py

# build the demo's axum receiver (crates/oneinbox-webhooks-axum/examples/receiver.rs)
build-rust-receiver:
    cargo build -p oneinbox-webhooks-axum --example receiver

# everything CI runs
test: fmt-check check-generated clippy doc-check check-deps lint-python lint-js lint-workflows docs-check test-rust test-python test-node test-snippets fuzz-smoke test-dist demo

# run the Rust tests (unit, fixtures, integration, doc tests)
test-rust:
    cargo test --workspace --all-targets
    cargo test --workspace --doc
    cargo test -p oneinbox-webhooks-stores --all-features --all-targets
    cargo test -p oneinbox-webhooks-stores --all-features --doc
    cargo test -p oneinbox-webhooks-client --features testing

# build the documentation site (mkdocs.yml, pages in docs/) into target/site
docs: venv
    NO_MKDOCS_2_WARNING=1 .venv/bin/mkdocs build

# build the documentation site strictly: a broken link or anchor, or a page missing from the nav, fails
docs-check: venv
    NO_MKDOCS_2_WARNING=1 .venv/bin/mkdocs build --strict --quiet

# run every code block of README.md and docs/ (tools/snippets.py): Python under pytest, JS with node, TS with tsc --strict then node, Rust as doc tests of crates/oneinbox-webhooks-docs, the quickstarts served and sent 400/401/204 cases
test-snippets: build-python build-node
    .venv/bin/python -m pytest -q -p no:cacheprovider tools/test_snippets.py
    .venv/bin/python tools/snippets.py

# build the Rust worker binary (Redis and Postgres stores) that the three-language store test launches
build-rust-worker:
    cargo build -p oneinbox-webhooks-stores --features redis,postgres,sqlite,worker --bin oneinbox-webhooks-worker

# create .venv (once) and install the Python dev tools from bindings/python/requirements-dev.txt
venv:
    #!/usr/bin/env bash
    set -euo pipefail
    if [ ! -x .venv/bin/python ]; then python3 -m venv .venv; fi
    .venv/bin/python -m pip install --quiet --disable-pip-version-check -r bindings/python/requirements-dev.txt

# build the Python package (debug) into .venv, editable; ABI: abi3-py39 (the cp39-abi3 wheel) or abi3-py310 (cp310-abi3)
build-python ABI="abi3-py39": venv
    cd bindings/python && VIRTUAL_ENV="$PWD/../../.venv" ../../.venv/bin/maturin develop --quiet --no-default-features --features "{{ABI}} test-panic"

# Python binding: pytest (every shared fixture, schemas, threads) and stubtest on each wheel's build, mypy --strict (the wheels themselves: test-dist)
test-python: venv build-rust-worker
    #!/usr/bin/env bash
    set -euo pipefail
    for abi in $(just python-abis); do
        echo "Python binding built as $abi"
        just build-python "$abi"
        (cd bindings/python && ../../.venv/bin/python -m pytest -q)
        (cd bindings/python && ../../.venv/bin/python -m mypy.stubtest oneinbox_webhooks --allowlist stubtest-allowlist.txt)
    done
    (cd bindings/python && ../../.venv/bin/python -m mypy --strict tests/test_typing.py python/oneinbox_webhooks)

# the ABI features of the wheels .venv's Python can load: abi3-py39, and abi3-py310 on CPython 3.10 or later
python-abis: venv
    @.venv/bin/python -c 'import sys; print("abi3-py39 abi3-py310" if sys.version_info >= (3, 10) else "abi3-py39")'

# the release artifacts this Linux machine can build, into target/dist: manylinux2014 wheels cp39-abi3 and cp310-abi3 (maturin --zig), the sdist, the npm packages (main + this platform's, napi layout) and the core crate's .crate
dist: venv
    #!/usr/bin/env bash
    set -euo pipefail
    out=target/dist
    rm -rf "$out" target/dist-node
    mkdir -p "$out" target/dist-node
    # .venv holds maturin, ziglang (zig links against an old glibc), cargo-zigbuild, auditwheel.
    export PATH="$PWD/.venv/bin:$PATH"
    arch=$(uname -m)
    # Python: cp39-abi3 (CPython 3.9 on) and cp310-abi3 (3.10 on; pip prefers it), then the sdist.
    for features in abi3-py39 abi3-py310; do
        (cd bindings/python && maturin build --release --quiet --zig --compatibility manylinux2014 \
            --no-default-features --features "$features" -o "../../$out")
    done
    (cd bindings/python && maturin sdist -o "../../$out")
    for abi in cp39-abi3 cp310-abi3; do
        report=$(auditwheel show "$(ls "$out"/oneinbox_webhooks-*-"$abi"-manylinux*.whl)" | tr -s ' \n' ' ')
        echo "auditwheel:$report"
        [[ "$report" == *"consistent with the following platform tag: \"manylinux_2_17_$arch\""* ]] || { echo "the $abi wheel is not manylinux2014"; exit 1; }
    done
    # The sdist carries the core crate: the binding depends on it by path (test-dist builds it).
    tar -tzf "$out"/oneinbox_webhooks-*.tar.gz >target/dist-node/sdist.txt
    grep '/crates/oneinbox-webhooks/src/lib.rs$' target/dist-node/sdist.txt
    rm target/dist-node/sdist.txt
    # Node: the addon for glibc 2.17 (cargo-zigbuild), the loader it generates must be the committed one.
    test -d bindings/node/node_modules || just setup-node
    (cd bindings/node && npx napi build --platform --release --target "$arch-unknown-linux-gnu.2.17" --cross-compile \
        --output-dir ../../target/dist-node)
    for f in index.js index.d.ts; do
        cmp "target/dist-node/$f" "bindings/node/$f" || { echo "bindings/node/$f is stale: run just build-node and commit it"; exit 1; }
        rm "target/dist-node/$f"
    done
    node bindings/node/scripts/pack.mjs target/dist-node "$out"
    # Rust: the core crate as crates.io gets it. --allow-dirty: `just test` runs this on trees
    # with uncommitted work; the release publishes from a clean checkout.
    cargo package -p oneinbox-webhooks --allow-dirty --quiet
    version=$(cargo metadata --no-deps --format-version 1 | python3 -c 'import json, sys; print(next(p["version"] for p in json.load(sys.stdin)["packages"] if p["name"] == "oneinbox-webhooks"))')
    cp "target/package/oneinbox-webhooks-$version.crate" "$out/"
    for tgz in "$out"/*.tgz; do echo "$(basename "$tgz"):"; tar -tzf "$tgz" | sed 's/^/    /'; done
    ls -l "$out"

# install target/dist as a user would (no cargo or rustc on PATH): pip in a fresh venv for each of PYTHONS, npm in an empty project (with and without install scripts), require/import/tsc, then the sdist where Rust is
test-dist PYTHONS="python3": dist
    bash tests/dist/test-dist.sh "{{PYTHONS}}"

# lint the GitHub workflows with actionlint (and shellcheck over their scripts), both from .venv
lint-workflows: venv
    .venv/bin/actionlint -no-color -shellcheck .venv/bin/shellcheck .github/workflows/ci.yml .github/workflows/release.yml

# Python benchmarks (release build of the wheel pip installs here, or ABI): parse_event against msgspec, pydantic and json.loads; verify_signature against standardwebhooks
bench-python ABI="": venv
    #!/usr/bin/env bash
    set -euo pipefail
    .venv/bin/python -m pip install --quiet --disable-pip-version-check -r bindings/python/bench/requirements.txt
    abi="{{ABI}}"
    if [ -z "$abi" ]; then abi=$(just python-abis | awk '{print $NF}'); fi
    echo "benchmarking the $abi build (release)"
    (cd bindings/python && VIRTUAL_ENV="$PWD/../../.venv" ../../.venv/bin/maturin develop --release --quiet --no-default-features --features "$abi")
    .venv/bin/python bindings/python/bench/bench.py
    .venv/bin/python bindings/python/bench/bench_verify.py

# Python style: ruff's lint rules and formatting over the package, its tests, benchmarks and examples (ruff.toml)
lint-python: venv
    .venv/bin/ruff check bindings/python examples tools tests/dist
    .venv/bin/ruff format --check bindings/python examples tools tests/dist

# JavaScript and TypeScript style: biome's recommended lint rules and formatting over the hand-written JS/TS and examples (bindings/node/biome.json)
lint-js:
    test -d bindings/node/node_modules || just setup-node
    cd bindings/node && npx biome check . ../../examples

# check formatting without changing files
fmt-check:
    cargo fmt --all -- --check

# write every file made from the event contract (crates/oneinbox-webhooks/src/contract.rs): schemas/events, the Python stub classes, _events.py and __init__ re-exports, the Node events.generated.d.ts/.js; and from the management contract (src/management/contract.rs): the request schemas, the Python Api stubs and Client methods, management.generated.d.ts
generate:
    cargo run -q -p oneinbox-webhooks-generate

# fail if a file made from the event or management contract is stale or missing (`just generate` rewrites them)
check-generated:
    cargo run -q -p oneinbox-webhooks-generate -- --check

# format every Rust file
fmt:
    cargo fmt --all

# lint with clippy, warnings denied
clippy:
    cargo clippy --workspace --all-targets -- -D warnings
    cargo clippy -p oneinbox-webhooks-client --all-targets --features testing -- -D warnings
    cargo clippy -p oneinbox-webhooks-stores --all-features --all-targets -- -D warnings

# build the API docs of the four Rust crates with every feature, warnings denied (broken or private links, missing docs)
doc-check:
    RUSTDOCFLAGS="-D warnings" cargo doc --no-deps --all-features -p oneinbox-webhooks -p oneinbox-webhooks-client -p oneinbox-webhooks-axum -p oneinbox-webhooks-stores

# fail if the core's dependency tree gains a binding library, an HTTP client or an async runtime, or the reqwest client's default tree gains OpenSSL
check-deps:
    #!/usr/bin/env bash
    set -euo pipefail
    tree=$(cargo tree -p oneinbox-webhooks -e normal --prefix none --format '{p}')
    bad=$(grep -E '^(pyo3|napi|napi-derive|reqwest|hyper|ureq|isahc|curl|surf|attohttpc|tokio|async-std|smol|mio|async-io) ' <<<"$tree" || true)
    if [ -n "$bad" ]; then echo "the core must stay sans-I/O; it depends on:"; echo "$bad"; exit 1; fi
    echo "core dependency tree is sans-I/O ($(wc -l <<<"$tree") crates)"
    client=$(cargo tree -p oneinbox-webhooks-client -e normal --prefix none --format '{p}')
    if grep -E '^(openssl-sys|openssl|native-tls) ' <<<"$client"; then echo "oneinbox-webhooks-client must use rustls by default, not OpenSSL"; exit 1; fi
    echo "client dependency tree has no OpenSSL with default features ($(wc -l <<<"$client") crates)"

# benchmarks: parse_event against serde_json on the guide payloads and a 40 KB transcript; then bench-inbox (how recording grows with a long call, per store, Python and Node)
bench:
    cargo bench -p oneinbox-webhooks --bench parse
    just bench-inbox

# accept changed insta snapshots after reviewing them (needs no extra tool)
snapshots:
    INSTA_UPDATE=always cargo test -p oneinbox-webhooks --test event_fixtures

# fuzz every target for SECONDS each (needs `cargo install cargo-fuzz`); seeds are scratch copies
fuzz SECONDS="600":
    #!/usr/bin/env bash
    set -euo pipefail
    rm -rf target/fuzz-seeds && python3 fuzz/scripts/seed.py target/fuzz-seeds >/dev/null
    for t in parse_event management_response verify call_record; do
        mkdir -p target/fuzz-corpus/$t
        log=target/fuzz-$t.log
        # A target that fails to build, a crash or a timeout makes cargo fuzz exit non-zero.
        if ! RUSTC_BOOTSTRAP=1 cargo fuzz run --sanitizer none -O $t target/fuzz-corpus/$t target/fuzz-seeds/$t -- -max_total_time={{SECONDS}} -rss_limit_mb=4096 -print_final_stats=1 >"$log" 2>&1; then
            tail -n 40 "$log"; echo "fuzz target $t failed (build error or finding; full log: $log)"; exit 1
        fi
        grep -E "^(Done|stat::number_of_executed_units)" "$log"
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

# Node: build, every fixture + ajv cross-check + API tests, tsc over the typed usage file and (checkJs, strict) over the hand-written JS (the packed tarballs: test-dist)
test-node: build-node check-node-generated
    cd bindings/node && node --test __test__/
    just tsc-node
    cd bindings/node && npx tsc -p tsconfig.checkjs.json

# type-check the typed usage file (every entry point) and a consumer of the main entry alone with TypeScript 5.9, the newest 6 and 7 (devDependencies typescript, typescript-6, typescript-7), strict, resolving the package by its name and with no `types` in tsconfig
tsc-node:
    test -d bindings/node/node_modules || just setup-node
    cd bindings/node && for ts in typescript typescript-6 typescript-7; do node node_modules/$ts/bin/tsc --version; for p in __test__/tsconfig.json __test__/consumer/tsconfig.json; do node node_modules/$ts/bin/tsc -p $p; done; done

# Node benchmark: parseEvent(Buffer) against JSON.parse + ajv and zod v4 safeParse
bench-node: build-node
    cd bindings/node && node bench/bench.mjs

# Node: requests/s of an Express receiver with webhookMiddleware + MemoryStore against a hand-written one (raw body, token, JSON.parse + ajv, a Map), same run
bench-express: build-node
    cd bindings/node && node bench/bench-express.mjs

# Python and Node: parse_event, dedupe_key of a parsed event, parse_event + MemoryStore.record (release builds)
bench-record: venv build-node
    cd bindings/python && VIRTUAL_ENV="$PWD/../../.venv" ../../.venv/bin/maturin develop --release --quiet --no-default-features --features abi3-py39
    .venv/bin/python bindings/python/bench/bench_record.py
    cd bindings/node && node bench/bench-record.mjs

# Python and Node: how recording a delivery grows with a long call (the k-th of 1,000 cumulative transcript.partial events), per store, per byte (release builds; throwaway Redis and PostgreSQL servers)
bench-inbox: venv build-node
    cd bindings/python && VIRTUAL_ENV="$PWD/../../.venv" ../../.venv/bin/maturin develop --release --quiet --no-default-features --features abi3-py39
    .venv/bin/python bindings/python/bench/bench_inbox.py
    cd bindings/node && node bench/bench-inbox.mjs

# Node: verifySignature on a 40 KB body against the npm standardwebhooks package
bench-verify-node: build-node
    cd bindings/node && node bench/bench-verify.mjs
