"""The layers of docs/architecture.md hold: no module imports from a layer above its own."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "aswbridge"
ROW = re.compile(r"^\| (\d+) \| ((?:`[\w.]+`(?:, )?)+) \|")


def layers() -> dict[str, int]:
    table: dict[str, int] = {}
    for line in (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8").splitlines():
        if match := ROW.match(line):
            for name in re.findall(r"`([\w.]+)`", match[2]):
                table[name] = int(match[1])
    return table


def top(module: str) -> str:
    """``aswbridge.relay.bridge`` -> ``relay``; the package itself is ``__init__``."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def imports(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module == "aswbridge":
                found |= {f"aswbridge.{alias.name}" for alias in node.names}
            elif node.module.startswith("aswbridge."):
                found.add(node.module)
        elif isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.startswith("aswbridge.")}
    return found


def module_of(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" and len(parts) > 1 else parts)


def test_every_module_has_a_layer() -> None:
    table = layers()
    missing = {top(module_of(p)) for p in PACKAGE.rglob("*.py")} - set(table)
    assert not missing, f"place these in docs/architecture.md's layer table: {sorted(missing)}"


def test_no_module_imports_from_a_higher_layer() -> None:
    table = layers()
    wrong = []
    for path in sorted(PACKAGE.rglob("*.py")):
        module = module_of(path)
        own = top(module) if module != "aswbridge" else "__init__"
        for target in imports(path):
            name = top(target)
            if name in table and own in table and table[name] > table[own]:
                wrong.append(f"{module} ({table[own]}) imports {target} ({table[name]})")
    assert not wrong, "\n".join(wrong)


def test_the_table_is_read() -> None:
    table = layers()
    assert table["errors"] == 1
    assert table["relay"] > table["pipeline"] > table["security"] > table["profiles"]


def test_nothing_cites_a_document_outside_the_repository() -> None:
    """Every document the code, tests and docs cite is in the repository itself."""
    # the names of the design notes and catalogue the project began from, never cited here
    cited_names = (r"DESIGN\.md", "DESIGN" + " \u00a7", "security-" + "catalogue", r"\.\./shared/")
    outside = re.compile("|".join(cited_names))
    cited = [
        f"{path.relative_to(ROOT)}:{number}"
        for folder in ("aswbridge", "tests", "docs", "examples", "tools", "benchmarks")
        for path in sorted((ROOT / folder).rglob("*"))
        if path.suffix in {".py", ".md", ".toml", ".txt"} and path != Path(__file__)
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if outside.search(line)
    ]
    assert not cited, cited


def test_docs_import_only_public_paths() -> None:
    """A reader copies what the docs import: no private module (``aswbridge.x._y``)."""
    private = re.compile(r"(?:from|import) aswbridge(?:\.\w+)*\._\w+")
    pages = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]
    found = [
        f"{page.relative_to(ROOT)}: {match[0]}"
        for page in pages
        for match in private.finditer(page.read_text(encoding="utf-8"))
    ]
    assert not found, found
