"""A newcomer's first hour, from the built artifacts (`just test-dist`, with no Rust on PATH).

Run by the Python of a venv that installed the wheel from target/dist:

    python tests/dist/newcomer.py MAIN_TGZ PLATFORM_TGZ

- Python: the venv installs the README's line (`oneinbox-webhooks[fastapi]` and uvicorn; the
  package itself is already there, from target/dist), copies the README's FastAPI quickstart
  as it is printed, serves it, and sends it a body without `call_id` (400 with the issues), a
  wrong token (401) and a good delivery (204); then `python -m oneinbox_webhooks send` plays a
  whole call (every answer 204).
- Node: an empty project installs the two tarballs and express, copies the README's Express
  quickstart, and gets the same requests, the call played by `npx oneinbox-webhooks send`.
- Both: the server's output names the forged delivery's reason (`token_mismatch`, logged at
  WARNING) and never shows the URL token.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "tools"))

import snippets  # noqa: E402  (tools/snippets.py: the README's blocks, serving, the checks)


def quickstart(name: str) -> snippets.Block:
    (block,) = [b for b in snippets.blocks_of(REPO / "README.md") if b.name == name]
    return block


def env_for(port: int) -> dict[str, str]:
    from oneinbox_webhooks import new_url_token

    env = {k: v for k, v in os.environ.items() if not k.startswith("ONEINBOX_")}
    env["ONEINBOX_URL_TOKEN"] = new_url_token()
    env["PORT"] = str(port)
    return env


def main() -> int:
    main_tgz, platform_tgz = (Path(a).resolve() for a in sys.argv[1:3])
    python = Path(sys.executable)
    # The quickstart's `send` and its checks run this venv's package, not the repository's.
    snippets.PYTHON = python
    failed: list[str] = []
    with tempfile.TemporaryDirectory(prefix="newcomer-") as tmp:
        # Python: the README's install line (the package itself already came from target/dist).
        subprocess.run(
            [
                str(python),
                "-m",
                "pip",
                "install",
                "--quiet",
                "oneinbox-webhooks[fastapi]",
                "uvicorn",
            ],
            check=True,
        )
        app = Path(tmp) / "python-app"
        app.mkdir()
        block = quickstart("quickstart-fastapi")
        (app / "app.py").write_text(block.code)
        port = snippets.free_port()
        outcome = snippets.serve([str(python), "app.py"], block, app, env_for(port), port)
        print(f"{'ok' if outcome.ok else 'FAILED'} the README's FastAPI quickstart, from the wheel")
        if not outcome.ok:
            failed.append(outcome.output)

        # Node: an empty project with the two tarballs and express.
        app = Path(tmp) / "node-app"
        app.mkdir()
        npm = ["npm", "--no-audit", "--no-fund", "--loglevel=error"]
        subprocess.run([*npm, "init", "-y"], cwd=app, check=True, stdout=subprocess.DEVNULL)
        subprocess.run(
            [*npm, "install", str(main_tgz), str(platform_tgz), "express"], cwd=app, check=True
        )
        block = quickstart("quickstart-express")
        (app / "app.mjs").write_text(block.code)
        port = snippets.free_port()
        send = ["npx", "--no-install", "oneinbox-webhooks", "send"]
        outcome = snippets.serve(["node", "app.mjs"], block, app, env_for(port), port, send)
        print(
            f"{'ok' if outcome.ok else 'FAILED'} the README's Express quickstart, from the tarballs"
        )
        if not outcome.ok:
            failed.append(outcome.output)
    for failure in failed:
        print(failure, file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
