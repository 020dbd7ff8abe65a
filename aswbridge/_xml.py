"""The one hardened XML intake, and schema loading from package files only.

Every byte that enters aswbridge as XML goes through :func:`parse`:

* a byte cap is checked before any parsing;
* the parser never loads a DTD, never resolves entities, never touches the network,
  never recovers from errors and never enables ``huge_tree`` (libxml2 then caps
  nesting at 256 levels and a text node at 10 MB);
* any DOCTYPE or entity declaration is refused outright, even a harmless one, since
  a DTD can change attribute defaults and ID types under a signature;
* XInclude is never processed.

Schemas are compiled from files shipped in the package, through a resolver that
refuses anything that is not a package file, so an ``xs:import`` of a URL cannot be
fetched nor silently dropped.
"""

from __future__ import annotations

import threading
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any

from lxml import etree

from aswbridge.errors import ConfigurationError, DtdForbidden, InputTooLarge, MalformedXml

__all__ = [
    "DEFAULT_MAX_BYTES",
    "load_schema",
    "package_file",
    "parse",
    "schema_path",
    "wsdl_dir",
]

#: Default byte cap: a 200-item certificate is about 150 kB; 8 MiB leaves ample room.
DEFAULT_MAX_BYTES = 8 * 1024 * 1024

_local = threading.local()


def _parser() -> etree.XMLParser:
    # lxml parsers are not thread-safe: one per thread.
    parser: etree.XMLParser | None = getattr(_local, "parser", None)
    if parser is None:
        parser = etree.XMLParser(
            resolve_entities=False,
            no_network=True,
            load_dtd=False,
            dtd_validation=False,
            huge_tree=False,
            recover=False,
            remove_blank_text=False,
            collect_ids=False,
        )
        parser.resolvers.add(_RefuseAll())
        _local.parser = parser
    return parser


class _RefuseAll(etree.Resolver):
    """Refuse every external resource a document might ask for."""

    def resolve(self, system_url: str, public_id: str, context: Any = None) -> Any:
        raise DtdForbidden(f"external resource refused: {system_url!r}")


_DTD_MARKERS = (b"<!DOCTYPE", b"<!ENTITY", b"<!doctype")


def parse(data: bytes, *, max_bytes: int = DEFAULT_MAX_BYTES) -> etree._Element:
    """Parse untrusted bytes into an element tree, refusing anything hostile.

    Args:
        data: the raw message, exactly as received.
        max_bytes: the cap checked before parsing.

    Returns:
        The root element.

    Raises:
        InputTooLarge: over ``max_bytes``.
        DtdForbidden: a DOCTYPE or entity declaration is present.
        MalformedXml: not well-formed, too deep, or a bad encoding.
    """
    if not isinstance(data, bytes | bytearray | memoryview):
        raise MalformedXml(f"expected bytes, got {type(data).__name__}")
    if len(data) > max_bytes:
        raise InputTooLarge(f"input is {len(data)} bytes, over the cap of {max_bytes}")
    head = bytes(data[:4096]).replace(b"\x00", b"")
    if any(marker in head for marker in _DTD_MARKERS):
        raise DtdForbidden("a DOCTYPE or entity declaration is not allowed")
    try:
        root = etree.fromstring(bytes(data), _parser())
    except DtdForbidden:
        raise
    except etree.XMLSyntaxError as exc:
        text = str(exc)
        if "ntity" in text or "DOCTYPE" in text or "DTD" in text:
            raise DtdForbidden(f"entities are not allowed: {text}") from None
        raise MalformedXml(f"not well-formed XML: {text}") from None
    except ValueError as exc:  # e.g. a unicode string with an encoding declaration
        raise MalformedXml(f"not XML: {exc}") from None
    docinfo = root.getroottree().docinfo
    has_dtd = docinfo.internalDTD is not None or docinfo.externalDTD is not None
    if has_dtd or getattr(docinfo, "doctype", None):
        raise DtdForbidden("a DOCTYPE is not allowed")
    return root


def wsdl_dir() -> Traversable:
    """The folder of shipped WSDL and XSD files (inside the wheel, or the checkout)."""
    packaged = resources.files("aswbridge") / "wsdl"
    if packaged.is_dir():
        return packaged
    # Running from a source checkout: the files live at the top level.
    return resources.files("aswbridge") / ".." / "wsdl"


def package_file(name: str) -> Path:
    """A real filesystem path to a shipped schema file (the wheel is installed unzipped)."""
    path = Path(str(wsdl_dir() / name)).resolve()
    if not path.is_file():
        raise ConfigurationError(f"schema file {name!r} is not shipped in the package")
    return path


def schema_path(schema: str | Path) -> Path:
    """A shipped schema by file name, or a profile's own schema file by path."""
    if isinstance(schema, str):
        return package_file(schema)
    path = Path(schema).resolve()
    if not path.is_file():
        raise ConfigurationError(f"schema file {schema} does not exist")
    return path


class _LocalOnly(etree.Resolver):
    """Resolve schema imports to local files under the given folders; refuse every URL.

    An import of a schema shipped with aswbridge (``xmldsig-core-schema.xsd``) from a
    profile's own folder resolves to the shipped copy.
    """

    def __init__(self, roots: tuple[Path, ...]) -> None:
        super().__init__()
        self._roots = roots

    def resolve(self, system_url: str, public_id: str, context: Any = None) -> Any:
        if "://" in system_url and not system_url.startswith("file:"):
            raise ConfigurationError(f"schema import of a URL refused: {system_url}")
        path = Path(system_url.removeprefix("file://")).resolve()
        if not path.is_file():
            shipped = Path(str(wsdl_dir() / path.name)).resolve()
            path = shipped if shipped.is_file() else path
        if not path.is_file() or not any(path.is_relative_to(r) for r in self._roots):
            raise ConfigurationError(f"schema import outside the schema folders: {system_url}")
        return self.resolve_filename(str(path), context)  # type: ignore[attr-defined]


_schema_lock = threading.Lock()
_schemas = threading.local()


def load_schema(schema: str | Path) -> etree.XMLSchema:
    """Compile an XSD once per thread: a shipped one by file name, or a profile's own by path.

    Each thread gets its own compiled schema (a validation leaves its error log on the
    schema object), and compiling is serialised: libxml2's schema compiler initialises
    shared state on first use and two threads compiling at once have been seen to fail.
    """
    cache: dict[str, etree.XMLSchema] | None = getattr(_schemas, "cache", None)
    if cache is None:
        cache = _schemas.cache = {}
    key = str(schema)
    compiled = cache.get(key)
    if compiled is None:
        with _schema_lock:
            compiled = cache[key] = _compile_schema(schema_path(schema))
    return compiled


def _compile_schema(path: Path) -> etree.XMLSchema:
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    parser.resolvers.add(_LocalOnly((path.parent, Path(str(wsdl_dir())).resolve())))
    doc = etree.parse(str(path), parser)
    try:
        return etree.XMLSchema(doc)
    except etree.XMLSchemaParseError as exc:
        raise ConfigurationError(f"schema {path.name} does not compile: {exc}") from None
