"""A mesh of mock partners: one NSW mailbox per country, and UNI-PASS for Korea.

For testing a bridge with many partners::

    with MockMesh.start(["ID", "VN", "TH"], profiles={"JP": "ubl"}) as mesh:
        mesh["ID"].send(samples.form_ak_id_kr())   # Indonesia files a certificate
        mesh["KR"]                                  # the UNI-PASS mock
        mesh.urls                                   # {"ID": "http://127.0.0.1:...", ...}
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, Self

from aswbridge.errors import ConfigurationError
from aswbridge.testing.scripted import ScriptedNsw, ScriptedUnipass

__all__ = ["MockMesh"]


class MockMesh:
    """Running mocks by country: ScriptedNsw for each NSW, ScriptedUnipass for ``KR``."""

    def __init__(self, mocks: Mapping[str, ScriptedNsw | ScriptedUnipass]) -> None:
        self.mocks = dict(mocks)

    @classmethod
    def start(
        cls,
        countries: Iterable[str],
        *,
        unipass: bool = True,
        profiles: Mapping[str, str] | None = None,
        **options: Any,
    ) -> MockMesh:
        """Start an NSW mock for each of ``countries`` and (``unipass``) the UNI-PASS mock.

        ``profiles`` gives a country's profile (``{"JP": "ubl"}``; default ``asw``); the
        other ``options`` (``faults``, ``signing``, ``answer``, ...) go to every mock.
        """
        wanted = [c.upper() for c in countries]
        if len(set(wanted)) != len(wanted) or any(len(c) != 2 for c in wanted):
            raise ConfigurationError(f"countries must be distinct alpha-2 codes: {wanted}")
        if unipass and "KR" in wanted:
            raise ConfigurationError("KR is the UNI-PASS mock; do not list it as an NSW")
        chosen = {c.upper(): p for c, p in (profiles or {}).items()}
        mocks: dict[str, ScriptedNsw | ScriptedUnipass] = {}
        try:
            for country in wanted:
                nsw = ScriptedNsw(country=country, profile=chosen.get(country, "asw"), **options)
                mocks[country] = nsw
                nsw.start()
            if unipass:
                mocks["KR"] = ScriptedUnipass(**options)
                mocks["KR"].start()
        except BaseException:
            cls(mocks).stop()
            raise
        return cls(mocks)

    def __getitem__(self, country: str) -> Any:
        return self.mocks[country.upper()]

    def __iter__(self) -> Any:
        return iter(self.mocks)

    @property
    def urls(self) -> dict[str, str]:
        """Each partner's service URL: the mailbox root of an NSW, UNI-PASS's SOAP endpoint."""
        return {country: mock.url for country, mock in self.mocks.items()}

    def stop(self) -> None:
        """Stop every mock (safe to call twice)."""
        for mock in reversed(list(self.mocks.values())):
            mock.stop()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
