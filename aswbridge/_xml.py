"""The one hardened XML intake, and schema loading from package files only.

Every byte that enters aswbridge as XML goes through :func:`parse`:

* a byte cap is checked before any parsing;
* the parser never loads a DTD, never resolves entities, never touches the network,
  never recovers from errors and never enables ``huge_tree`` (libxml2 then caps
  nesting at 256 levels and a text node at 10 MB);
* any DOCTYPE or entity declaration is refused outright, even a harmless one, since
  a DTD can change attribute defaults and ID types under a signature;
* XInclude is never processed;
* the shape is capped before any schema sees it: at most :data:`MAX_ELEMENTS`
  elements and :data:`MAX_DOCUMENT_ATTRIBUTES` attributes in a document, at most
  :data:`MAX_CHILDREN` child elements (in a document of over 10,000 elements),
  :data:`MAX_ATTRIBUTES` attributes and :data:`MAX_NAMESPACES` namespaces in scope per
  element. Each misplaced element or attribute is one schema error, and libxml2
  computes each error's path by counting the element's siblings: without these caps a
  1 MB message of 100,000 sibling errors costs minutes.

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

from aswbridge.errors import (
    ConfigurationError,
    DtdForbidden,
    InputTooLarge,
    MalformedXml,
    XmlLimitExceeded,
)

__all__ = [
    "DEFAULT_MAX_BYTES",
    "MAX_ATTRIBUTES",
    "MAX_CHILDREN",
    "MAX_DOCUMENT_ATTRIBUTES",
    "MAX_ELEMENTS",
    "MAX_NAMESPACES",
    "load_schema",
    "package_file",
    "parse",
    "parse_own",
    "schema_path",
    "wsdl_dir",
]

#: Default byte cap: a 200-item certificate is about 150 kB; 8 MiB leaves ample room.
DEFAULT_MAX_BYTES = 8 * 1024 * 1024

#: Most elements in one document (a 200-item certificate has about 4,500).
MAX_ELEMENTS = 100_000
#: Most child elements of one element (a certificate's items are siblings), in a document
#: of more than 10,000 elements: in a smaller one the sibling counting is bounded anyway.
MAX_CHILDREN = 1_000
_FEW_ELEMENTS = 10_000
#: Most attributes on one element (a certificate's elements carry at most one).
MAX_ATTRIBUTES = 64
#: Most attributes in one document.
MAX_DOCUMENT_ATTRIBUTES = 100_000
#: Most namespaces in scope at one element, the implicit ``xml`` namespace included.
MAX_NAMESPACES = 32

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


#: Each holds a ``!`` (byte 0x21 in ASCII-based encodings and in UTF-16): a head without
#: one needs no search.
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
        XmlLimitExceeded: too many elements (``TOO_MANY_ELEMENTS``), children
            (``TOO_MANY_CHILDREN``), attributes (``TOO_MANY_ATTRIBUTES``) or namespaces
            (``TOO_MANY_NAMESPACES``).
    """
    if not isinstance(data, bytes | bytearray | memoryview):
        raise MalformedXml(f"expected bytes, got {type(data).__name__}")
    if len(data) > max_bytes:
        raise InputTooLarge(f"input is {len(data)} bytes, over the cap of {max_bytes}")
    head = bytes(data[:4096])
    if b"!" in head and any(marker in head.replace(b"\x00", b"") for marker in _DTD_MARKERS):
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
    _within_limits(root, data, docinfo.encoding or "")
    return root


def parse_own(data: bytes) -> etree._Element:
    """Parse XML that aswbridge itself wrote (an encoder's output), to validate or sign it.

    The parser is the hardened one, and the shape caps hold (a model built in code or
    read from canonical JSON can be larger than any XML read within them, and a schema
    would otherwise spend its error paths on it); the DOCTYPE sniffing and the byte cap
    of :func:`parse` are skipped, since an encoder escapes every text it writes.

    Raises:
        MalformedXml: the text is not XML (e.g. a control character in a field).
        XmlLimitExceeded: the document is over a shape cap.
    """
    try:
        root = etree.fromstring(data, _parser())
    except etree.XMLSyntaxError as exc:
        raise MalformedXml(f"not well-formed XML: {exc}") from None
    _within_limits(root, data, "UTF-8")
    return root


_COUNT_ELEMENTS = etree.XPath("count(//*)")
_WIDE = etree.XPath("(//*[$n + 1])[1]")  # the n+1-th child of some element
_COUNT_ATTRIBUTES = etree.XPath("count(//@*)")
_CROWDED = etree.XPath("(//*[count(@*) > $n])[1]")
_NAMESPACED = etree.XPath("(//*[count(namespace::*) > $n])[1]")
#: Encodings in which every ``=`` is a byte 0x3D.
_COUNTABLE = ("UTF-8", "UTF-16", "US-ASCII", "ASCII", "ISO-8859-")


def _within_limits(root: etree._Element, data: Any, encoding: str) -> None:
    """Refuse a document over the shape caps.

    Cheap bounds first: an element takes at least 4 bytes and an attribute or a namespace
    declaration one ``=`` (one byte 0x3D in ASCII-based encodings and in UTF-16), so a
    short document, or one with few elements or few ``=``, skips the searches it cannot
    fail; the counts themselves are libxml2 XPath. Below 10,000 elements, schema errors
    cost at most about 0.1 s whatever the shape (libxml2 counts an erring element's
    siblings to write its path), so the children are not searched.
    """
    data = bytes(data)
    if len(data) > 4 * _FEW_ELEMENTS:
        elements = int(_COUNT_ELEMENTS(root))  # type: ignore[arg-type]
        if elements > MAX_ELEMENTS:
            raise XmlLimitExceeded(
                f"{elements} elements, over the cap of {MAX_ELEMENTS}", code="TOO_MANY_ELEMENTS"
            )
        wide = _first(_WIDE, root, MAX_CHILDREN) if elements > _FEW_ELEMENTS else None
        parent = None if wide is None else wide.getparent()
        if parent is not None:
            raise XmlLimitExceeded(
                f"element {_name(parent)} (line {parent.sourceline}) has "
                f"{len(parent)} children, over the cap of {MAX_CHILDREN}",
                code="TOO_MANY_CHILDREN",
            )
    counted = encoding.upper().startswith(_COUNTABLE)
    equals = data.count(b"=") if counted else len(data)
    if equals > MAX_ATTRIBUTES:
        total = int(_COUNT_ATTRIBUTES(root))  # type: ignore[arg-type]
        if total > MAX_DOCUMENT_ATTRIBUTES:
            raise XmlLimitExceeded(
                f"{total} attributes, over the cap of {MAX_DOCUMENT_ATTRIBUTES} per document",
                code="TOO_MANY_ATTRIBUTES",
            )
        element = _first(_CROWDED, root, MAX_ATTRIBUTES) if total > MAX_ATTRIBUTES else None
        if element is not None:
            raise XmlLimitExceeded(
                f"element {_name(element)} (line {element.sourceline}) has "
                f"{len(element.attrib)} attributes, over the cap of {MAX_ATTRIBUTES}",
                code="TOO_MANY_ATTRIBUTES",
            )
    if equals >= MAX_NAMESPACES:
        element = _first(_NAMESPACED, root, MAX_NAMESPACES)
        if element is not None:
            raise XmlLimitExceeded(
                f"element {_name(element)} (line {element.sourceline}) has "
                f"{len(element.nsmap) + 1} namespaces in scope, over the cap of "
                f"{MAX_NAMESPACES}",
                code="TOO_MANY_NAMESPACES",
            )


def _first(xpath: etree.XPath, root: etree._Element, n: int) -> etree._Element | None:
    found = xpath(root, n=n)
    return found[0] if isinstance(found, list) and found else None  # type: ignore[return-value]


def _name(element: Any) -> str:
    return repr(str(etree.QName(element).localname)[:80])


def wsdl_dir() -> Traversable:
    """The folder of shipped WSDL and XSD files (``aswbridge/wsdl``)."""
    return resources.files("aswbridge") / "wsdl"


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


def _local_file(location: str, roots: tuple[Path, ...]) -> Path:
    """The local file a schema import or include names, under one of ``roots``; a
    missing file named like a shipped schema (``xmldsig-core-schema.xsd``) is the shipped
    copy. Raises ConfigurationError for a URL or a file elsewhere."""
    if "://" in location and not location.startswith("file:"):
        raise ConfigurationError(f"schema import of a URL refused: {location}")
    path = Path(location.removeprefix("file://")).resolve()
    if not path.is_file():
        shipped = Path(str(wsdl_dir() / path.name)).resolve()
        path = shipped if shipped.is_file() else path
    if not path.is_file() or not any(path.is_relative_to(r) for r in roots):
        raise ConfigurationError(f"schema import outside the schema folders: {location}")
    return path


class _LocalOnly(etree.Resolver):
    """Resolve schema imports to local files under the given folders; refuse every URL."""

    def __init__(self, roots: tuple[Path, ...]) -> None:
        super().__init__()
        self._roots = roots

    def resolve(self, system_url: str, public_id: str, context: Any = None) -> Any:
        path = _local_file(system_url, self._roots)
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


_XS = "{http://www.w3.org/2001/XMLSchema}"


def _compile_schema(path: Path) -> etree.XMLSchema:
    roots = (path.parent, Path(str(wsdl_dir())).resolve())
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    parser.resolvers.add(_LocalOnly(roots))
    doc = etree.parse(str(path), parser)
    # The schema's own imports are written as the absolute paths they resolve to: lxml
    # hands libxml2 its resolvers through one process-wide loader, which a parse in
    # another thread can reset while this compiles, and libxml2's own loader then finds
    # an existing file but not the shipped copy that a missing one stands for.
    for ref in doc.getroot().iterchildren(f"{_XS}import", f"{_XS}include", f"{_XS}redefine"):
        location = ref.get("schemaLocation")
        if location:
            named = location if "://" in location else str(path.parent / location)
            try:
                ref.set("schemaLocation", str(_local_file(named, roots)))
            except ConfigurationError as exc:
                raise ConfigurationError(f"schema {path.name} does not compile: {exc}") from None
    try:
        return etree.XMLSchema(doc)
    except etree.XMLSchemaParseError as exc:
        raise ConfigurationError(f"schema {path.name} does not compile: {exc}") from None
