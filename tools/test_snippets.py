"""The runner's reading of pages: fences (inside content tabs too), markers, and the rules it
enforces before running anything."""

from __future__ import annotations

import os
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from snippets import Block, Outcome, blocks_of, check_markers, check_quickstart, program, run

PAGE = """# A page

=== "Python"

    <!-- snippet: name=quickstart-x; serve -->
    ```python
    import os

    print(os.getcwd())
    ```

=== "Rust"

    <!-- snippet: skip: needs a database -->
    ```rust,ignore
    fn main() {}
    ```

```text
output
```

```js
console.log(1)
```
"""


def page(tmp_path: Path, text: str = PAGE) -> list[Block]:
    path = tmp_path / "page.md"
    path.write_text(text)
    return blocks_of(path)


def test_fences_inside_tabs_are_dedented_with_their_markers(tmp_path: Path) -> None:
    python, rust, text, js = page(tmp_path)
    assert (python.lang, python.line, python.name) == ("python", 6, "quickstart-x")
    assert python.code == "import os\n\nprint(os.getcwd())\n"
    assert "serve" in python.marks
    assert (rust.lang, rust.info, rust.marks) == (
        "rust",
        "rust,ignore",
        {"skip": "needs a database"},
    )
    assert (text.lang, js.lang, js.marks) == ("text", "js", {})


def test_the_rules_before_running(tmp_path: Path) -> None:
    python, rust, text, js = page(tmp_path)
    assert [check_markers(b) for b in (python, rust, text, js)] == [None] * 4
    rust.marks = {}
    assert "rust,ignore" in (check_markers(rust) or "")
    js.lang = "jsx"
    assert "does not know" in (check_markers(js) or "")
    python.marks = {"skip": ""}
    assert "reason" in (check_markers(python) or "")
    python.marks = {"sever": ""}
    assert "unknown snippet markers" in (check_markers(python) or "")


def test_a_served_rust_block_is_compiled_only(tmp_path: Path) -> None:
    (block,) = page(
        tmp_path, "<!-- snippet: name=quickstart-y; serve -->\n```rust\nfn main() {}\n```\n"
    )
    assert "no_run" in (check_markers(block) or "")


def test_a_python_block_that_is_not_served_has_no_main_part(tmp_path: Path) -> None:
    (block,) = page(tmp_path, '```python\nif __name__ == "__main__":\n    print(1)\n```\n')
    assert "__main__" in (check_markers(block) or "")
    block.marks = {"serve": ""}
    assert check_markers(block) is None


def test_a_failing_block_fails(tmp_path: Path) -> None:
    (block,) = page(tmp_path, "```python\nassert 1 + 1 == 3, 'wrong sum'\n```\n")
    made = program(block, tmp_path, tmp_path, tmp_path / "out")
    assert not isinstance(made, Outcome)
    outcome = run(made[0], tmp_path, dict(os.environ))
    assert not outcome.ok and "wrong sum" in outcome.output


def test_a_quickstart_that_answers_204_to_everything_fails_its_checks() -> None:
    class Always204(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("content-length") or 0))
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Always204)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        env = {**os.environ, "ONEINBOX_URL_TOKEN": "tok_" + "a" * 32}
        problems = check_quickstart(server.server_address[1], env)
    finally:
        server.shutdown()
        server.server_close()
    assert any("want 400" in p for p in problems), problems
    assert any("want 401" in p for p in problems), problems
