"""Typing aid for the model's tuple fields."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any


def seq(values: Iterable[Any]) -> Any:
    """``values`` as a tuple, typed ``Any`` for the model's tuple fields.

    The model converts these fields with a generic converter, which mypy's attrs plugin
    cannot solve, so it rejects any argument; passing ``Any`` keeps strict mode clean
    until the converters are typed without a type variable.
    """
    return tuple(values)
