"""Write ``docs/api.md`` from the docstrings of the public API.

    python tools/gen_api_docs.py            # rewrite docs/api.md
    python tools/gen_api_docs.py --check    # exit 1 if docs/api.md is out of date

For every public name of the modules below (their ``__all__``, or the classes and
functions a module defines when it has none) the page shows the signature and the
first paragraph of the docstring, in a stable order. A name re-exported from a module
documented further down points there instead of repeating it. Public methods and
properties a class defines itself are listed under it.
"""

from __future__ import annotations

import importlib
import inspect
import re
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
OUTPUT = ROOT / "docs" / "api.md"

MODULES = (
    "aswbridge",
    "aswbridge.model",
    "aswbridge.canonical",
    "aswbridge.profiles",
    "aswbridge.rules",
    "aswbridge.codes",
    "aswbridge.security",
    "aswbridge.security.pkcs11",
    "aswbridge.relay",
    "aswbridge.store",
    "aswbridge.monitor",
    "aswbridge.transport",
    "aswbridge.testing",
)

_ADDRESS = re.compile(r" at 0x[0-9a-fA-F]+")


def public_names(module: ModuleType) -> list[str]:
    """The public names of ``module``: ``__all__``, else what it defines itself."""
    listed = getattr(module, "__all__", None)
    if listed is not None:
        return sorted(n for n in listed if not n.startswith("__"))
    return sorted(
        name
        for name, obj in vars(module).items()
        if not name.startswith("_")
        and (inspect.isclass(obj) or inspect.isfunction(obj))
        and getattr(obj, "__module__", None) == module.__name__
    )


def first_paragraph(obj: Any) -> str:
    """The first paragraph of ``obj``'s own docstring, on one line."""
    doc = obj.__doc__ if isinstance(obj.__doc__, str) else None
    if inspect.isclass(obj) or inspect.isfunction(obj) or isinstance(obj, property):
        doc = inspect.getdoc(obj)
    if not doc:
        return "*(no docstring)*"
    paragraph = inspect.cleandoc(doc).split("\n\n", 1)[0]
    return " ".join(line.strip() for line in paragraph.splitlines())


class _Text(str):
    """An annotation kept as written (``inspect`` would quote a string annotation)."""

    def __repr__(self) -> str:
        return str(self)


def _plain(annotation: Any) -> Any:
    return _Text(annotation) if isinstance(annotation, str) else annotation


def _default(value: Any) -> Any:
    """A default value written the same way on every run, and short."""
    if value is inspect.Parameter.empty:
        return value
    if isinstance(value, set | frozenset):
        text = f"{type(value).__name__}({{{', '.join(sorted(map(repr, value)))}}})"
    else:
        text = _ADDRESS.sub("", repr(value))
    if len(text) > 60:
        text = (
            f"<{type(value).__name__} of {len(value)}>"
            if hasattr(value, "__len__")
            else f"<{type(value).__name__}>"
        )
    return _Text(text)


def signature(obj: Any, *, returns: bool = True) -> str:
    """The call signature of a function or class, without memory addresses."""
    try:
        sig = inspect.signature(obj)
    except (TypeError, ValueError):
        return "(...)"
    params = [
        p.replace(annotation=_plain(p.annotation), default=_default(p.default))
        for p in sig.parameters.values()
    ]
    back = _plain(sig.return_annotation) if returns else inspect.Signature.empty
    sig = sig.replace(parameters=params, return_annotation=back)
    return _ADDRESS.sub("", str(sig))


def home(name: str, obj: Any, current: str) -> str:
    """The documented module that owns ``obj``: the most specific one exporting it."""
    owner = getattr(obj, "__module__", None) or ""
    candidates = [current] + [
        m
        for m in MODULES
        if m != current
        and (owner == m or owner.startswith(m + "."))
        and name in public_names(importlib.import_module(m))
    ]
    here = owner == current or owner.startswith(current + ".")
    return max(candidates, key=lambda m: (len(m), m == current and here))


def members(cls: type) -> list[tuple[str, Any]]:
    """Public methods and properties ``cls`` defines itself, with a docstring."""
    out = []
    for name, value in sorted(vars(cls).items()):
        if name.startswith("_"):
            continue
        if isinstance(value, staticmethod | classmethod):
            value = getattr(cls, name)  # bound: no ``cls`` in the signature
        if (isinstance(value, property) or inspect.isroutine(value)) and value.__doc__:
            out.append((name, value))
    return out


def describe(module_name: str, name: str, obj: Any) -> list[str]:
    """The Markdown lines for one public name."""
    qualified = f"{module_name}.{name}"
    if inspect.isclass(obj):
        kind = "exception" if issubclass(obj, BaseException) else "class"
        head = f"{kind} {qualified}{signature(obj, returns=False)}"
        lines = [f"### `{name}`", "", "```text", head, "```", "", first_paragraph(obj), ""]
        for member, value in members(obj):
            if isinstance(value, property):
                lines.append(f"- `{member}` (property): {first_paragraph(value)}")
            else:
                lines.append(f"- `{member}{signature(value)}`: {first_paragraph(value)}")
        if lines[-1] != "":
            lines.append("")
        return lines
    if inspect.isfunction(obj) or inspect.isbuiltin(obj):
        return [
            f"### `{name}()`",
            "",
            "```text",
            f"{qualified}{signature(obj)}",
            "```",
            "",
            first_paragraph(obj),
            "",
        ]
    if isinstance(obj, ModuleType):
        return [f"### `{name}`", "", f"Module `{obj.__name__}`: {first_paragraph(obj)}", ""]
    return [f"### `{name}`", "", *_constant(module_name, name, obj), ""]


def _constant(module_name: str, name: str, obj: Any) -> list[str]:
    """A constant: its value when short, and its ``#:`` comment when it has one."""
    text = _ADDRESS.sub("", repr(obj))
    if isinstance(obj, set | frozenset) or len(text) > 70 or "\n" in text or text[:1] == "<":
        kind = type(obj).__name__.lstrip("_")
        size = f" of {len(obj)}" if hasattr(obj, "__len__") else ""
        lines = [f"A `{kind}`{size}."]
    else:
        lines = [f"`{name} = {text}`"]
    comment = _doc_comment(module_name, name)
    return [*lines, "", comment] if comment else lines


def _doc_comment(module_name: str, name: str) -> str:
    """The ``#:`` comment above ``name``'s assignment in the module or its package."""
    module = importlib.import_module(module_name)
    origin = Path(module.__file__ or "")
    files = sorted(origin.parent.rglob("*.py")) if origin.name == "__init__.py" else [origin]
    assignment = re.compile(rf"^{re.escape(name)}\s*(:[^=]*)?=")
    for file in files:
        lines = file.read_text(encoding="utf-8").splitlines()
        for i, line in enumerate(lines):
            if assignment.match(line):
                above = []
                j = i - 1
                while j >= 0 and lines[j].lstrip().startswith("#:"):
                    above.insert(0, lines[j].lstrip()[2:].strip())
                    j -= 1
                if above:
                    return " ".join(above)
    return ""


def generate() -> str:
    """The text of ``docs/api.md``."""
    out = [
        "# API reference",
        "",
        "<!-- Generated by `python tools/gen_api_docs.py` from the docstrings; "
        "do not edit by hand. -->",
        "",
        "The public API: for each module, every public name with its signature and the",
        "first paragraph of its docstring. The concepts behind them are in",
        "[concepts.md](concepts.md); the canonical paths in the model are listed there too.",
        "",
        "Modules: " + ", ".join(f"`{m}`" for m in MODULES) + ".",
        "",
    ]
    for module_name in MODULES:
        module = importlib.import_module(module_name)
        out += [f"## `{module_name}`", "", first_paragraph(module), ""]
        pointers = []
        for name in public_names(module):
            obj = getattr(module, name)
            owner = home(name, obj, module_name)
            if owner != module_name:
                pointers.append(f"`{name}` ({owner})")
                continue
            out += describe(module_name, name, obj)
        if pointers:
            out += [
                "Also exported here, documented with their module: " + ", ".join(pointers) + ".",
                "",
            ]
    return "\n".join(out).rstrip("\n") + "\n"


def main(argv: list[str]) -> int:
    """Write the page, or with ``--check`` report whether it is current."""
    text = generate()
    if argv[:1] == ["--check"]:
        current = OUTPUT.read_text(encoding="utf-8") if OUTPUT.exists() else ""
        if current != text:
            print(f"{OUTPUT.relative_to(ROOT)} is out of date: run python tools/gen_api_docs.py")
            return 1
        return 0
    OUTPUT.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
