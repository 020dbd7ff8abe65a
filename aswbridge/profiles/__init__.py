"""Profiles: each side's message set (``asw``, ``unipass``, ``ubl``; more by entry point).

A third party adds a profile (China's e-Form E, Japan's EPA certificates) by
publishing a :class:`Profile` object under the entry-point group
``aswbridge.profiles``; nothing in the core changes. An installed profile with the name
of a shipped one (``asw``, ``unipass``, ``ubl``) replaces it.
"""

from __future__ import annotations

import functools
from importlib.metadata import entry_points

from lxml import etree

from aswbridge.errors import ConfigurationError, SchemaError
from aswbridge.profiles.base import Profile

__all__ = ["Profile", "detect", "get", "names", "register", "unregister"]

_BUILTIN = {
    "asw": "aswbridge.profiles.asw",
    "ubl": "aswbridge.profiles.ubl",
    "unipass": "aswbridge.profiles.unipass",
}
_REGISTERED: dict[str, Profile] = {}


def register(profile: Profile) -> None:
    """Register a profile object under its name (for tests and embedding hosts)."""
    _REGISTERED[profile.name] = profile


def unregister(name: str) -> None:
    """Forget a profile registered with :func:`register` (an installed or shipped one of
    that name is found again by the next :func:`get`)."""
    _REGISTERED.pop(name, None)


@functools.cache
def _entry_points() -> dict[str, str]:
    return {ep.name: ep.value for ep in entry_points(group="aswbridge.profiles")}


def names() -> list[str]:
    """Names of every available profile."""
    return sorted({*_BUILTIN, *_entry_points(), *_REGISTERED})


def get(name: str) -> Profile:
    """The profile called ``name``: registered, else installed (an entry point), else
    shipped. An installed profile named like a shipped one replaces it: an NSW with its
    official schema publishes its own ``asw`` without changing aswbridge.

    Raises:
        ConfigurationError: no such profile.
    """
    if name in _REGISTERED:
        return _REGISTERED[name]
    profile: Profile
    if name in _entry_points():
        for ep in entry_points(group="aswbridge.profiles", name=name):
            profile = ep.load()
            break
    elif name in _BUILTIN:
        import importlib

        profile = importlib.import_module(_BUILTIN[name]).PROFILE
    else:
        raise ConfigurationError(f"unknown profile {name!r}; known: {', '.join(names())}")
    if not isinstance(profile, Profile):
        raise ConfigurationError(f"entry point {name!r} is not an aswbridge Profile")
    _REGISTERED[name] = profile
    return profile


def detect(element: etree._Element) -> Profile:
    """The profile whose root element ``element`` is.

    Raises:
        SchemaError: no profile reads this root element.
    """
    for name in names():
        profile = get(name)
        if profile.detect(element):
            return profile
    raise SchemaError(f"no profile reads a {element.tag} root element")
