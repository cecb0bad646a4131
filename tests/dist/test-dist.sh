#!/usr/bin/env bash
# `just test-dist`: installs what `just dist` put in target/dist as a user would and runs the
# smoke test (tests/dist) on it.
#
# With no cargo or rustc on PATH:
#   - Python: for each interpreter named in $1 (default python3), a fresh venv gets
#     `pip install --no-index --find-links target/dist oneinbox-webhooks`; pip must pick the
#     manylinux cp310-abi3 wheel on CPython 3.10 and later (cp39-abi3 on 3.9).
#   - npm (tests/dist/npm-smoke.sh): an empty project installs the main tarball and this
#     platform's tarball, offline, once as usual and once with --ignore-scripts; require and
#     import both pass the smoke test, and tsc --noEmit (TypeScript 5.9, 6 and 7, strict, no
#     `types` in tsconfig) checks a typed file against the package's types. The main tarball alone installs too, and loading it names the missing
#     platform package.
#   - The tarballs hold what they should: no addon and no install script in the main one,
#     optionalDependencies on every platform package at its version; os, cpu and libc on the
#     platform one, whose addon needs no glibc newer than 2.17 (as manylinux2014).
#   - Every artifact holds LICENSE-MIT, LICENSE-APACHE and its metadata; the npm ones a README
#     (tests/dist/check_artifacts.py); every published crate's `cargo package --list` names
#     both licenses and the README.
# A newcomer's path from the artifacts (tests/dist/newcomer.py): the README's FastAPI and Express
# quickstarts, served from the wheel and the tarballs, answer 400/401/204 and log token_mismatch.
# With Rust: the sdist builds and installs in another fresh venv (maturin from PyPI, no
# build isolation, no other index), and passes the smoke test.
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$PWD
dist=$root/target/dist
pythons=${1:-python3}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

version=$(node -p "require('./bindings/node/package.json').version")
main_tgz=$dist/oneinbox-webhooks-$version.tgz
arch=$(uname -m)
case "$arch" in x86_64) node_arch=x64 ;; aarch64) node_arch=arm64 ;; *) node_arch=$arch ;; esac
platform_pkg=oneinbox-webhooks-linux-$node_arch-gnu
platform_tgz=$dist/$platform_pkg-$version.tgz
ls "$main_tgz" "$platform_tgz" "$dist"/oneinbox_webhooks-"$version".tar.gz >/dev/null

export PIP_DISABLE_PIP_VERSION_CHECK=1
# Only target/dist may supply the package: no pip configuration adds other sources.
pip_from_dist() {
    env -u PIP_FIND_LINKS -u PIP_INDEX_URL -u PIP_EXTRA_INDEX_URL PIP_CONFIG_FILE=/dev/null \
        "$1" -m pip install --quiet --no-index --find-links "$dist" "${@:2}"
}

# ---- the tarballs' contents -------------------------------------------------------------------
tar -tzf "$main_tgz" | sort >"$tmp/main.txt"
if grep -E '\.node$|(^|/)scripts/' "$tmp/main.txt"; then
    echo "the main npm package must hold no addon and no scripts" >&2
    exit 1
fi
grep -qx package/index.js "$tmp/main.txt"
grep -qx package/oneinbox.d.ts "$tmp/main.txt"
tar -xzOf "$main_tgz" package/package.json >"$tmp/main.json"
tar -xzOf "$platform_tgz" package/package.json >"$tmp/platform.json"
node - "$tmp/main.json" "$tmp/platform.json" "$root/bindings/node/package.json" "$platform_pkg" <<'EOF'
const assert = require('node:assert/strict')
const fs = require('node:fs')
const [main, platform, source] = process.argv.slice(2, 5).map((f) => JSON.parse(fs.readFileSync(f, 'utf8')))
const platformName = process.argv[5]
const lifecycle = Object.keys(main.scripts ?? {}).filter((s) => /^(pre|post)?install$|^prepare$/.test(s))
assert.deepEqual(lifecycle, [], 'the main package runs no install script')
const names = Object.keys(main.optionalDependencies ?? {})
assert.equal(names.length, source.napi.targets.length, 'one optional dependency per napi target')
assert.ok(names.includes(platformName), `${platformName} is an optional dependency`)
for (const n of names) assert.equal(main.optionalDependencies[n], main.version, n)
assert.equal(platform.name, platformName)
assert.equal(platform.version, main.version)
assert.deepEqual([platform.os, platform.cpu, platform.libc], [['linux'], [process.arch], ['glibc']])
assert.equal(platform.main, `oneinbox-webhooks.${platformName.slice('oneinbox-webhooks-'.length)}.node`)
EOF
mkdir "$tmp/addon"
tar -xzf "$platform_tgz" -C "$tmp/addon"
"$root/.venv/bin/python" - "$tmp/addon/package" <<'EOF'
import pathlib, re, sys
from elftools.elf.elffile import ELFFile
from elftools.elf.gnuversions import GNUVerNeedSection
(addon,) = pathlib.Path(sys.argv[1]).glob("*.node")
with addon.open("rb") as f:
    needed = {aux.name for s in ELFFile(f).iter_sections() if isinstance(s, GNUVerNeedSection)
              for _, auxs in s.iter_versions() for aux in auxs}
glibc = max((tuple(map(int, m.group(1).split("."))) for v in needed if (m := re.fullmatch(r"GLIBC_([\d.]+)", v))))
assert glibc <= (2, 17), f"{addon.name} needs glibc {glibc}"
print(f"{addon.name}: needs glibc {'.'.join(map(str, glibc))} or later (manylinux2014: 2.17)")
EOF
echo "npm tarballs: main $(wc -l <"$tmp/main.txt") files, no addon, no install script; $(basename "$platform_tgz"): os/cpu/libc set"

# ---- licenses, READMEs and metadata in every artifact -------------------------------------------
"$root/.venv/bin/python" tests/dist/check_artifacts.py "$dist"

# ---- no Rust toolchain from here on -------------------------------------------------------
norust_path=
IFS=: read -ra dirs <<<"$PATH"
for d in "${dirs[@]}"; do
    if [ -z "$d" ] || [ -e "$d/cargo" ] || [ -e "$d/rustc" ] || [ -e "$d/rustup" ]; then continue; fi
    norust_path=${norust_path:+$norust_path:}$d
done
# Tools that lived in a folder beside cargo or rustc come back alone, as links.
mkdir "$tmp/bin"
for tool in node npm npx $pythons; do
    if ! PATH=$norust_path command -v "$tool" >/dev/null; then
        ln -s "$(command -v "$tool")" "$tmp/bin/$tool"
    fi
done
norust_path=$tmp/bin:$norust_path
if PATH=$norust_path command -v cargo || PATH=$norust_path command -v rustc; then
    echo "cargo or rustc is still on PATH" >&2
    exit 1
fi

(
    export PATH=$norust_path
    unset CARGO RUSTC RUSTUP_TOOLCHAIN

    # Python: the wheel pip picks from target/dist.
    for py in $pythons; do
        venv=$tmp/venv-$py
        "$py" -m venv "$venv"
        pip_from_dist "$venv/bin/python" oneinbox-webhooks
        "$venv/bin/python" -c 'import sys; print("CPython", sys.version.split()[0])'
        "$venv/bin/python" tests/dist/smoke.py --wheel-tag "$("$venv/bin/python" -c 'import sys; print("cp310-abi3" if sys.version_info >= (3, 10) else "cp39-abi3")')-manylinux"
    done

    # npm: empty projects, offline (tests/dist/npm-smoke.sh).
    bash tests/dist/npm-smoke.sh "$main_tgz" "$platform_tgz" "$root/bindings/node/node_modules"

    # A newcomer's first hour: the README's FastAPI and Express quickstarts, copied as printed,
    # served from the wheel and the tarballs, answer 400/401/204, log the forged delivery's
    # reason and never the URL token, and take a whole call from `send` (tests/dist/newcomer.py).
    first_python=${pythons%% *}
    "$tmp/venv-$first_python/bin/python" tests/dist/newcomer.py "$main_tgz" "$platform_tgz"
)

# ---- with Rust: every published crate packs its licenses and README ----------------------------
for crate in $(cargo metadata --no-deps --format-version 1 | node -p 'JSON.parse(require("fs").readFileSync(0, "utf8")).packages.filter((p) => p.publish === null).map((p) => p.name).join(" ")'); do
    listed=$(cargo package -p "$crate" --list --allow-dirty --quiet)
    for f in LICENSE-MIT LICENSE-APACHE README.md; do
        grep -qx "$f" <<<"$listed" || { echo "cargo package -p $crate does not ship $f" >&2; exit 1; }
    done
    echo "$crate: cargo package ships LICENSE-MIT, LICENSE-APACHE and README.md"
done

# ---- with Rust: the sdist builds and installs --------------------------------------------------
maturin=$(sed -n 's/^maturin==//p' bindings/python/requirements-dev.txt)
venv=$tmp/venv-sdist
python3 -m venv "$venv"
"$venv/bin/python" -m pip install --quiet "maturin==$maturin"
# The venv's bin first on PATH, as activating it would: the build hook runs `maturin` from there.
PATH=$venv/bin:$PATH CARGO_TARGET_DIR=$root/target/sdist-build pip_from_dist "$venv/bin/python" \
    --no-build-isolation "$dist/oneinbox_webhooks-$version.tar.gz"
"$venv/bin/python" tests/dist/smoke.py --built-from-sdist
echo "sdist: builds with maturin $maturin, installs, passes the smoke test"
