"""What every artifact in target/dist holds (`just test-dist`): the licenses, a README, metadata.

Usage: python tests/dist/check_artifacts.py DIST_DIR

- wheels and the sdist: LICENSE-MIT and LICENSE-APACHE (byte-identical to the repository's),
  and core metadata with a summary, keywords, the SPDX license expression, the license files,
  the README as description and links (Homepage, Documentation, Repository, Issues);
- npm tarballs (main and platform packages): package/LICENSE-MIT, package/LICENSE-APACHE,
  package/README.md, and a package.json with a description, keywords, the license, homepage,
  repository and bugs links;
- the .crate: both licenses and the README, and a Cargo.toml naming description, license and
  repository.
Prints one line per artifact; exits non-zero naming the first artifact that lacks something.
"""

from __future__ import annotations

import email.parser
import json
import pathlib
import posixpath
import re
import sys
import tarfile
import zipfile

import tomllib

ROOT = pathlib.Path(__file__).resolve().parents[2]
LICENSES = {name: (ROOT / name).read_bytes() for name in ("LICENSE-MIT", "LICENSE-APACHE")}
URLS = ("Homepage", "Documentation", "Repository", "Issues")


def fail(artifact: pathlib.Path, what: str) -> None:
    sys.exit(f"{artifact.name}: {what}")


def check_licenses(artifact: pathlib.Path, files: dict[str, bytes]) -> None:
    for name, text in LICENSES.items():
        if name not in files:
            fail(artifact, f"no {name}")
        if files[name] != text:
            fail(artifact, f"{name} differs from the repository's")


def check_core_metadata(artifact: pathlib.Path, raw: bytes) -> None:
    meta = email.parser.BytesParser().parsebytes(raw)
    if meta["License-Expression"] != "MIT OR Apache-2.0":
        fail(artifact, f"License-Expression is {meta['License-Expression']!r}")
    if sorted(meta.get_all("License-File") or []) != sorted(LICENSES):
        fail(artifact, f"License-File is {meta.get_all('License-File')!r}")
    for field in ("Summary", "Keywords"):
        if not meta[field]:
            fail(artifact, f"no {field}")
    if len(meta.get_payload()) < 200:
        fail(artifact, "no README as its long description")
    links = {
        u.split(",", 1)[0].strip(): u.split(",", 1)[1].strip()
        for u in meta.get_all("Project-URL") or []
    }
    for name in URLS:
        if not links.get(name, "").startswith("https://"):
            fail(artifact, f"no {name} link (has {sorted(links)})")


def check_wheel(whl: pathlib.Path) -> None:
    with zipfile.ZipFile(whl) as z:
        names = z.namelist()
        (dist_info,) = {
            n.split("/", 1)[0] for n in names if n.split("/", 1)[0].endswith(".dist-info")
        }
        prefix = f"{dist_info}/licenses/"
        check_licenses(whl, {n[len(prefix) :]: z.read(n) for n in names if n.startswith(prefix)})
        check_core_metadata(whl, z.read(f"{dist_info}/METADATA"))


def members(tgz: pathlib.Path, prefix: str) -> dict[str, bytes]:
    """The regular files directly under `prefix` (a folder inside the tarball), by name."""
    out = {}
    with tarfile.open(tgz) as t:
        for m in t.getmembers():
            if m.isfile() and m.name.startswith(prefix) and "/" not in m.name[len(prefix) :]:
                f = t.extractfile(m)
                if f is not None:
                    out[m.name[len(prefix) :]] = f.read()
    return out


def check_sdist(sdist: pathlib.Path) -> None:
    top = f"{sdist.name.removesuffix('.tar.gz')}/"
    files = members(sdist, top)
    if "PKG-INFO" not in files:
        fail(sdist, "no PKG-INFO")
    check_licenses(sdist, files)
    check_core_metadata(sdist, files["PKG-INFO"])


def check_npm(tgz: pathlib.Path) -> None:
    files = members(tgz, "package/")
    check_licenses(tgz, files)
    if len(files.get("README.md", b"").strip()) < 100:
        fail(tgz, "no README.md")
    pkg = json.loads(files["package.json"])
    if pkg.get("license") != "MIT OR Apache-2.0":
        fail(tgz, f"license is {pkg.get('license')!r}")
    if not pkg.get("description") or not pkg.get("keywords"):
        fail(tgz, "no description or keywords")
    for field, url in (
        ("homepage", pkg.get("homepage")),
        ("repository", (pkg.get("repository") or {}).get("url")),
        ("bugs", (pkg.get("bugs") or {}).get("url")),
    ):
        if not str(url).startswith("https://"):
            fail(tgz, f"no {field} link")
    check_requires(tgz)


REQUIRE = re.compile(r"""require\(\s*['"](\.{1,2}/[^'"]+)['"]\s*\)""")


def check_requires(tgz: pathlib.Path) -> None:
    """Every relative `require` of a packed JavaScript file names a file the tarball holds."""
    with tarfile.open(tgz) as t:
        names = {m.name for m in t.getmembers() if m.isfile()}
        # index.js is napi's loader: it tries each platform's addon and a WASI build in turn.
        for name in sorted(n for n in names if n.endswith(".js") and n != "package/index.js"):
            f = t.extractfile(name)
            text = f.read().decode() if f is not None else ""
            for target in REQUIRE.findall(text):
                path = posixpath.normpath(posixpath.join(posixpath.dirname(name), target))
                if path not in names and f"{path}.js" not in names:
                    fail(tgz, f"{name} requires {target}, which the package does not hold")


def check_crate(crate: pathlib.Path) -> None:
    files = members(crate, f"{crate.name.removesuffix('.crate')}/")
    check_licenses(crate, files)
    if "README.md" not in files:
        fail(crate, "no README.md")
    package = tomllib.loads(files["Cargo.toml"].decode())["package"]
    for field in ("description", "license", "repository"):
        if not package.get(field):
            fail(crate, f"Cargo.toml has no {field}")


def main() -> None:
    dist = pathlib.Path(sys.argv[1])
    kinds = {".whl": check_wheel, ".tar.gz": check_sdist, ".tgz": check_npm, ".crate": check_crate}
    seen = dict.fromkeys(kinds, 0)
    for artifact in sorted(dist.iterdir()):
        for suffix, check in kinds.items():
            if artifact.name.endswith(suffix):
                check(artifact)
                seen[suffix] += 1
                print(f"{artifact.name}: licenses, README and metadata")
    if 0 in seen.values():
        sys.exit(f"{dist} lacks an artifact kind: {seen}")


if __name__ == "__main__":
    main()
