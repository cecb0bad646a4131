"""The runner's reading of pages: fences (inside content tabs too), markers, and the rules it
enforces before running anything."""

from __future__ import annotations

from pathlib import Path

from snippets import Block, blocks_of, check_markers

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
