"""Code lists: countries, currencies, units, packages, transport modes, HS, agreements.

Every list is one :class:`CodeList` with the same verbs (the python-stdnum shape):

* ``lookup(code)`` returns the :class:`Entry` (``code``, ``name``, ``status``, the CSV
  row) or ``None``; deprecated and deleted UN/ECE codes are still found, with their
  status, so that a caller can say *why* a code is refused;
* ``is_valid(code)`` says whether ``validate`` would accept the code;
* ``validate(code)`` returns the code in its canonical spelling (trimmed, upper-case)
  or raises :class:`UnknownCode` naming the list and the code;
* ``code in LIST`` is the strict test the business rules use: the canonical spelling
  of an active code, nothing else.

The data are the CSV files of :mod:`aswbridge.codes.data` (see ``data/README.md`` for
their sources and editions), read through :mod:`importlib.resources` the first time a
list is used and kept in dictionaries and sets, so every lookup is O(1).

>>> COUNTRIES.validate(" kr ")
'KR'
>>> UNITS.lookup("BX").status
'deleted'
>>> hs_is_valid("85171300", "HS2022"), hs_is_valid("85171300", "HS2017")
(True, False)
"""

from __future__ import annotations

import csv
import io
import threading
from collections.abc import Callable, Iterator, Mapping
from datetime import date
from importlib import resources

import attrs

from aswbridge.errors import UnknownCode

__all__ = [
    "AGREEMENTS",
    "COUNTRIES",
    "CURRENCIES",
    "HS",
    "HS_EDITIONS",
    "PACKAGES",
    "TRANSPORT_MODES",
    "UNITS",
    "Agreement",
    "CodeList",
    "Entry",
    "UnknownCode",
    "agreement_for_form",
    "hs_is_valid",
    "hs_subheadings",
]

#: HS editions the shipped nomenclature files cover, oldest first.
HS_EDITIONS = ("HS2017", "HS2022")


@attrs.frozen(kw_only=True)
class Entry:
    """One row of a code list."""

    code: str
    name: str
    status: str = "active"  # "active" | "deprecated" | "deleted"
    row: Mapping[str, str] = attrs.field(factory=dict, eq=False, repr=False)

    @property
    def active(self) -> bool:
        """Whether the code may be used in new messages."""
        return self.status == "active"


def _upper(code: str) -> str:
    return code.strip().upper()


def _digits(code: str) -> str:
    return code.replace(".", "").replace(" ", "").strip()


def _read_csv(filename: str) -> list[dict[str, str]]:
    data = resources.files("aswbridge.codes").joinpath("data")
    text = data.joinpath(filename).read_text(encoding="utf-8")
    return list(csv.DictReader(io.StringIO(text)))


class CodeList:
    """A code list read lazily from a CSV file of :mod:`aswbridge.codes.data`.

    ``key`` and ``name`` name the CSV columns holding the code and its label;
    ``status`` names the column holding ``active``/``deprecated``/``deleted`` where the
    list has one. ``extra`` yields more entries (the Rec 21 packaging units of Rec 20).
    """

    def __init__(
        self,
        *,
        title: str,
        filename: str,
        key: str,
        name: str,
        status: str | None = None,
        compact: Callable[[str], str] = _upper,
        extra: Callable[[], Iterator[Entry]] | None = None,
    ) -> None:
        self.title = title
        self.filename = filename
        self._key, self._name, self._status = key, name, status
        self._compact = compact
        self._extra = extra
        self._lock = threading.Lock()
        self._entries: dict[str, Entry] | None = None
        self._active: frozenset[str] = frozenset()

    def __repr__(self) -> str:
        return f"CodeList({self.title!r})"

    def _table(self) -> dict[str, Entry]:
        entries = self._entries
        if entries is None:
            with self._lock:
                entries = self._entries
                if entries is None:
                    entries = self._load()
                    self._active = frozenset(c for c, e in entries.items() if e.active)
                    self._entries = entries
        return entries

    def _load(self) -> dict[str, Entry]:
        entries: dict[str, Entry] = {}
        for row in _read_csv(self.filename):
            status = row[self._status] if self._status else "active"
            entry = Entry(code=row[self._key], name=row[self._name], status=status, row=row)
            entries[entry.code] = entry
        if self._extra is not None:
            for entry in self._extra():
                entries.setdefault(entry.code, entry)
        return entries

    def entries(self) -> Mapping[str, Entry]:
        """Every entry, active or not, by code."""
        return self._table()

    def codes(self) -> frozenset[str]:
        """The active codes, in their canonical spelling."""
        self._table()
        return self._active

    def __contains__(self, code: object) -> bool:
        """Strict test: ``code`` is an active code spelled canonically."""
        if self._entries is None:
            self._table()
        return isinstance(code, str) and code in self._active

    def __len__(self) -> int:
        return len(self._table())

    def lookup(self, code: str) -> Entry | None:
        """The entry for ``code`` (trimmed, upper-cased), whatever its status, or ``None``."""
        if not isinstance(code, str):
            return None
        table = self._table()
        entry = table.get(code)
        if entry is None:
            entry = table.get(self._compact(code))
        return entry

    def validate(self, code: str) -> str:
        """Return ``code`` in canonical spelling, or raise :class:`UnknownCode`."""
        entry = self.lookup(code)
        if entry is None:
            raise UnknownCode(list_name=self.title, value=str(code))
        if not entry.active:
            raise UnknownCode(list_name=self.title, value=str(code), reason=entry.status)
        return entry.code

    def is_valid(self, code: str) -> bool:
        """Whether :meth:`validate` accepts ``code``."""
        entry = self.lookup(code)
        return entry is not None and entry.active


def _package_units() -> Iterator[Entry]:
    # Rec 20, introduction note 2: a packaging unit is "X" followed by the Rec 21 code.
    for entry in PACKAGES.entries().values():
        yield Entry(
            code="X" + entry.code,
            name=entry.name,
            status=entry.status,
            row={"source": "UN/ECE Rec 21", "rec21_code": entry.code},
        )


COUNTRIES = CodeList(title="ISO 3166-1 alpha-2", filename="iso3166.csv", key="alpha2", name="name")
CURRENCIES = CodeList(title="ISO 4217", filename="iso4217.csv", key="alpha_code", name="name")
PACKAGES = CodeList(
    title="UN/ECE Rec 21", filename="unece_rec21.csv", key="code", name="name", status="status"
)
UNITS = CodeList(
    title="UN/ECE Rec 20",
    filename="unece_rec20.csv",
    key="code",
    name="name",
    status="status",
    extra=_package_units,
)
TRANSPORT_MODES = CodeList(
    title="UN/ECE Rec 19", filename="unece_rec19.csv", key="code", name="name"
)
#: HS six-digit subheadings by edition.
HS: Mapping[str, CodeList] = {
    "HS2017": CodeList(
        title="HS 2017 subheadings",
        filename="hs2017_subheadings.csv",
        key="code",
        name="description",
        compact=_digits,
    ),
    "HS2022": CodeList(
        title="HS 2022 subheadings",
        filename="hs2022_subheadings.csv",
        key="code",
        name="description",
        compact=_digits,
    ),
}


_HS_ANY: frozenset[str] | None = None


def hs_subheadings() -> frozenset[str]:
    """Every HS-6 subheading of any edition in :data:`HS` (the union, built once).

    ``code in hs_subheadings()`` is ``any(code in HS[e] for e in HS)``, in one lookup.
    """
    global _HS_ANY
    union = _HS_ANY
    if union is None:
        union = _HS_ANY = frozenset().union(*(table.codes() for table in HS.values()))
    return union


def hs_is_valid(code: str, edition: str) -> bool:
    """Whether ``code`` is an HS-6 subheading of ``edition``, or an 8-digit code under one.

    The code must be digits only, 6 or 8 of them (an 8-digit AHTN tariff line starts
    with the HS-6 subheading it subdivides). ``edition`` is one of :data:`HS_EDITIONS`.
    """
    table = HS.get(edition)
    if table is None or not isinstance(code, str):
        return False
    if len(code) not in (6, 8) or not code.isascii() or not code.isdigit():
        return False
    return code[:6] in table


# --- agreements -------------------------------------------------------------------------


@attrs.frozen(kw_only=True)
class Agreement:
    """A trade agreement, the form of its certificate of origin and its Parties."""

    name: str
    form: str
    members: frozenset[str]
    #: The day the agreement entered into force for each Party.
    in_force: Mapping[str, date] = attrs.field(factory=dict, eq=False)


class _Agreements(Mapping[str, Agreement]):
    """Agreements by name (``ATIGA``, ``AKFTA``, ``RCEP``), read from ``agreements.csv``."""

    def __init__(self) -> None:
        self._by_name: dict[str, Agreement] | None = None

    def _table(self) -> dict[str, Agreement]:
        if self._by_name is None:
            members: dict[tuple[str, str], dict[str, date]] = {}
            for row in _read_csv("agreements.csv"):
                parties = members.setdefault((row["agreement"], row["form"]), {})
                parties[row["country"]] = date.fromisoformat(row["in_force"])
            self._by_name = {
                name: Agreement(name=name, form=form, members=frozenset(parties), in_force=parties)
                for (name, form), parties in members.items()
            }
        return self._by_name

    def __getitem__(self, name: str) -> Agreement:
        return self._table()[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._table())

    def __len__(self) -> int:
        return len(self._table())


AGREEMENTS: Mapping[str, Agreement] = _Agreements()


def agreement_for_form(form: str) -> Agreement | None:
    """The agreement whose certificate is ``form`` (``FORM_D`` → ATIGA), or ``None``."""
    for agreement in AGREEMENTS.values():
        if agreement.form == form:
            return agreement
    return None
