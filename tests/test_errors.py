"""The error tree lives in one module, each class with its own code, drawn from the classes."""

from __future__ import annotations

import importlib
import pkgutil
import subprocess
import sys
from pathlib import Path

import pytest

import aswbridge
from aswbridge import errors
from aswbridge.errors import AswBridgeError, RemoteRejected

ROOT = Path(__file__).resolve().parent.parent


def every_error_class() -> list[type[AswBridgeError]]:
    for module in pkgutil.walk_packages(aswbridge.__path__, "aswbridge."):
        if not module.name.endswith("__main__"):
            importlib.import_module(module.name)
    found: list[type[AswBridgeError]] = []
    pending: list[type[AswBridgeError]] = [AswBridgeError]
    while pending:
        cls = pending.pop()
        found.append(cls)
        pending += cls.__subclasses__()
    return found


def test_every_error_class_is_defined_in_errors_py() -> None:
    elsewhere = [
        f"{c.__module__}.{c.__qualname__}"
        for c in every_error_class()
        if c.__module__ != "aswbridge.errors"
    ]
    assert not elsewhere, f"define these in aswbridge/errors.py: {elsewhere}"


def test_each_class_has_its_own_code() -> None:
    classes = set(every_error_class())
    missing = sorted(c.__name__ for c in classes if "code" not in vars(c))
    assert not missing, f"give these a code of their own: {missing}"
    by_code: dict[str, list[str]] = {}
    for cls in classes:
        by_code.setdefault(cls.code, []).append(cls.__name__)
    shared = {code: names for code, names in by_code.items() if len(names) > 1}
    assert not shared, shared


def test_the_drawn_tree_and_the_docs_table_are_current() -> None:
    done = subprocess.run(
        [sys.executable, str(ROOT / "tools" / "gen_errors.py"), "--check"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout


@pytest.mark.parametrize("partner_code", ["WRONG_RECEIVER", ""])
def test_a_partners_code_is_kept_apart(partner_code: str) -> None:
    refused = RemoteRejected("refused", remote_code=partner_code, remote_text="no")
    assert refused.code == "REMOTE_REJECTED" == type(refused).code
    assert (refused.remote_code, refused.remote_text) == (partner_code, "no")


def test_security_and_transport_modules_name_the_same_classes() -> None:
    from aswbridge.security import errors as security_errors
    from aswbridge.transport import base

    assert security_errors.DigestMismatch is errors.DigestMismatch
    assert base.OutcomeUnknown is errors.OutcomeUnknown
