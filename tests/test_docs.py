"""The documentation runs: every ```python block of README.md and docs/**/*.md.

The blocks of one file run in order in one fresh interpreter (they share names, as a
reader following the page would), in an empty temporary working folder, with the
example profile ``examples/profile_cn`` installed so the page on profiles can use it.
A block preceded by ``<!-- not-run: REASON -->`` is not run; there are few, each says
why. ``docs/api.md`` must match what ``tools/gen_api_docs.py`` generates.
"""

from __future__ import annotations

import importlib.util
import json
import re
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

from tests.test_profile_cn import env_with, install_profile_cn

ROOT = Path(__file__).resolve().parents[1]
DOCS = sorted([ROOT / "README.md", *(ROOT / "docs").rglob("*.md")])

#: Pages whose python blocks do not run yet, with the reason; each is expected to
#: fail (strict), so a page that starts passing must be removed from this list.
NOT_YET_RUNNABLE: dict[str, str] = {}

#: Pages this suite also checks for broken relative links.
LINK_CHECKED = (
    "docs/index.md",
    "docs/quickstart.md",
    "docs/concepts.md",
    "docs/profiles/README.md",
    "docs/changelog.md",
    "examples/profile_cn/README.md",
    "examples/profile_asw_official/README.md",
    "docs/profiles/joining-with-ubl.md",
)

_FENCE = re.compile(r"^(\s*)```(\S*)\s*$")
_NOT_RUN = re.compile(r"^<!--\s*not-run:\s*(.*?)\s*-->$")

_RUNNER = """
import json, sys, traceback
blocks = json.load(open(sys.argv[1], encoding="utf-8"))
namespace = {"__name__": "__docs__"}
for line, code in blocks:
    try:
        exec(compile("\\n" * line + code, sys.argv[2], "exec"), namespace)
    except BaseException:
        traceback.print_exc()
        sys.exit(f"the python block at {sys.argv[2]} line {line} failed")
"""


def blocks(path: Path) -> tuple[list[tuple[int, str]], list[tuple[int, str]]]:
    """The ```python blocks of a Markdown file: (to run, not run), each (line, code).

    ``line`` is the 0-based line number of the block's first code line; the reason of a
    not-run block replaces its code in the second list.
    """
    run: list[tuple[int, str]] = []
    skipped: list[tuple[int, str]] = []
    lines = path.read_text(encoding="utf-8").splitlines()
    i = 0
    while i < len(lines):
        fence = _FENCE.match(lines[i])
        if fence is None:
            i += 1
            continue
        indent, lang = fence.groups()
        end = i + 1
        while end < len(lines) and lines[end].strip() != "```":
            end += 1
        if lang == "python":
            code = "\n".join(line.removeprefix(indent) for line in lines[i + 1 : end])
            previous = next(
                (lines[j].strip() for j in range(i - 1, -1, -1) if lines[j].strip()), ""
            )
            marker = _NOT_RUN.match(previous)
            if marker:
                skipped.append((i + 1, marker.group(1)))
            else:
                run.append((i + 1, code + "\n"))
        i = end + 1
    return run, skipped


def _id(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


@pytest.fixture(scope="module")
def profile_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return install_profile_cn(tmp_path_factory.mktemp("docs_profile_cn"))


def _params() -> list[object]:
    out: list[object] = []
    for path in DOCS:
        name = _id(path)
        if not blocks(path)[0]:
            continue  # nothing to run on this page
        marks = []
        if name in NOT_YET_RUNNABLE:
            marks.append(pytest.mark.xfail(reason=NOT_YET_RUNNABLE[name], strict=True))
        out.append(pytest.param(path, id=name, marks=marks))
    return out


@pytest.mark.parametrize("path", _params())
def test_python_blocks_run(path: Path, tmp_path: Path, profile_site: Path) -> None:
    to_run, _ = blocks(path)
    (tmp_path / "blocks.json").write_text(json.dumps(to_run), encoding="utf-8")
    work = tmp_path / "work"
    work.mkdir()
    done = subprocess.run(
        [sys.executable, "-c", _RUNNER, str(tmp_path / "blocks.json"), str(path)],
        cwd=work,
        env=env_with(profile_site),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, f"{_id(path)}:\n{done.stderr[-4000:]}"


def test_every_page_is_checked_and_not_run_blocks_say_why() -> None:
    every = {_id(p) for p in DOCS}
    assert set(NOT_YET_RUNNABLE) <= every, "NOT_YET_RUNNABLE names a page that is gone"
    runnable = sum(len(blocks(p)[0]) for p in DOCS)
    skipped = [(p, line, why) for p in DOCS for line, why in blocks(p)[1]]
    assert runnable >= 10, "the docs should show working code"
    for path, line, why in skipped:
        assert len(why) >= 10, f"{_id(path)}:{line}: say why the block is not run"
    assert len(skipped) <= runnable // 4, "keep the blocks that do not run few"


def test_the_block_parser_honours_the_not_run_marker(tmp_path: Path) -> None:
    page = tmp_path / "page.md"
    page.write_text(
        "# t\n\n```python\nx = 1\n```\n\n<!-- not-run: needs a partner's live gateway -->\n"
        "```python\nraise SystemExit(1)\n```\n\n- item\n\n  ```python\n  y = x + 1\n  ```\n"
        "```sh\nexit 1\n```\n",
        encoding="utf-8",
    )
    run, skipped = blocks(page)
    assert run == [(3, "x = 1\n"), (14, "y = x + 1\n")]
    assert skipped == [(8, "needs a partner's live gateway")]


def _generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "gen_api_docs", ROOT / "tools" / "gen_api_docs.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_api_reference_is_current() -> None:
    committed = (ROOT / "docs" / "api.md").read_text(encoding="utf-8")
    assert committed == _generator().generate(), (
        "docs/api.md is out of date: run python tools/gen_api_docs.py"
    )


def _anchors(page: Path) -> set[str]:
    """The heading anchors of a Markdown page, as GitHub makes them."""
    text = re.sub(r"```.*?```", "", page.read_text(encoding="utf-8"), flags=re.S)
    seen: dict[str, int] = {}
    out = set()
    for heading in re.findall(r"^#{1,6} +(.+?) *$", text, flags=re.M):
        slug = re.sub(r"[^\w\- ]", "", heading.lower()).replace(" ", "-")
        n = seen.get(slug, 0)
        seen[slug] = n + 1
        out.add(slug if n == 0 else f"{slug}-{n}")
    return out


@pytest.mark.parametrize("name", LINK_CHECKED)
def test_relative_links_resolve(name: str) -> None:
    page = ROOT / name
    text = re.sub(r"```.*?```", "", page.read_text(encoding="utf-8"), flags=re.S)
    broken = []
    for target in re.findall(r"\]\(([^)\s]+)\)", text):
        if "://" in target or target.startswith("mailto:"):
            continue
        file, _, anchor = target.partition("#")
        path = (page.parent / file).resolve() if file else page
        missing_anchor = (
            bool(anchor)
            and path.suffix == ".md"
            and (not path.exists() or anchor not in _anchors(path))
        )
        if not path.exists() or missing_anchor:
            broken.append(target)
    assert broken == [], f"{name}: broken links {broken}"


def _table_paths(page: Path, heading: str) -> list[str]:
    """The backticked paths of the first column of the table under ``heading``."""
    text = page.read_text(encoding="utf-8").split(heading, 1)[1]
    rows = [line for line in text.split("\n\n", 2)[1].splitlines() if line.startswith("| `")]
    paths: list[str] = []
    for row in rows:
        for cell in re.findall(r"`([^`]+)`", row.split("|")[1]):
            head, _, braces = cell.partition("{")
            names = braces.rstrip("}").split(",") if braces else [""]
            paths += [head + name for name in names]
    return paths


def test_the_canonical_paths_in_concepts_match_the_model() -> None:
    import attrs

    from aswbridge.model import Certificate
    from aswbridge.profiles.tables import field_info

    paths = _table_paths(ROOT / "docs" / "concepts.md", "### Certificate paths")
    assert len(paths) > 40
    for path in paths:
        cls: type = Certificate
        for name in path.replace("[]", "").split("."):
            info = field_info(cls)
            assert name in info, f"concepts.md names {path}, the model has no {name}"
            cls = info[name].base
        if "." in path:  # a {a,b,c} group names every field of its class
            parent = path.rsplit(".", 1)[0]
            group = {
                p[len(parent) + 1 :].split(".")[0].removesuffix("[]")
                for p in paths
                if p.startswith(parent + ".")
            }
            owner: type = Certificate
            for name in parent.replace("[]", "").split("."):
                owner = field_info(owner)[name].base
            assert group == set(attrs.fields_dict(owner)), f"{parent}: {sorted(group)}"
    top = {p.split(".")[0].removesuffix("[]") for p in paths}
    assert top == set(attrs.fields_dict(Certificate))
