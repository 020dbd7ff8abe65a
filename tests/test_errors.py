"""The error tree lives in one module, each class with its own code, drawn from the classes."""

from __future__ import annotations

import ast
import importlib
import pkgutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import cast

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


# --- reason codes: the narrower codes an instance may carry --------------------------


def literal_codes() -> list[tuple[str, type[AswBridgeError], str]]:
    """Every ``code=`` written literally to an error constructor in the package, as
    (where, class, code); an f-string's fields become placeholders (``HTTP_<status>``)."""
    found = []
    for path in sorted((ROOT / "aswbridge").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            func = node.func
            name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")
            cls = getattr(errors, name, None)
            if not (isinstance(cls, type) and issubclass(cls, AswBridgeError)):
                continue
            for keyword in node.keywords:
                value = keyword.value
                if keyword.arg != "code":
                    continue
                if isinstance(value, ast.Constant) and isinstance(value.value, str):
                    code = value.value
                elif isinstance(value, ast.JoinedStr):
                    code = "".join(
                        f"<{ast.unparse(part.value)}>"
                        if isinstance(part, ast.FormattedValue)
                        else str(cast(ast.Constant, part).value)
                        for part in value.values
                    )
                else:
                    continue
                where = f"{path.relative_to(ROOT)}:{node.lineno}"
                found.append((where, cls, code))
    return found


def test_every_code_the_package_passes_is_declared_by_its_class() -> None:
    found = literal_codes()
    assert len(found) > 25  # the scan sees the constructors (transport, caps, JSON)
    undeclared = [
        f"{where}: {cls.__name__}(code={code!r})"
        for where, cls, code in found
        if not (cls.declares(code) or code in cls.reasons)
    ]
    assert not undeclared, f"declare these in the class's reasons: {undeclared}"


def test_every_declared_reason_is_raised_somewhere() -> None:
    used = {(cls, code) for _, cls, code in literal_codes()}
    unused = [
        f"{cls.__name__}: {reason}"
        for cls in every_error_class()
        for reason in cls.reasons
        if (cls, reason) not in used and reason != "<rule>"
    ]
    assert not unused, f"declared but never raised: {unused}"


def test_a_business_rule_s_code_is_what_validation_failed_carries() -> None:
    from aswbridge.rules import RULES

    codes = {rule.code for rules in RULES.values() for rule in rules}
    assert len(codes) > 20 and all(errors.ValidationFailed.declares(c) for c in codes)
    problem = errors.Problem(code=sorted(codes)[0], path="x", message="m")
    assert errors.ValidationFailed([problem]).code == sorted(codes)[0]


@pytest.mark.parametrize(
    ("make", "code"),
    [
        pytest.param(lambda c: errors.LimitExceeded("m", code=c), "HTTP_503", id="cap-http"),
        pytest.param(lambda c: errors.LimitExceeded("m", code=c), "TOO_DEEP", id="cap-typo"),
        pytest.param(
            lambda c: errors.RetryableTransportError("m", code=c), "EVIL\nINJECTED", id="partner"
        ),
        pytest.param(lambda c: errors.RetryableTransportError("m", code=c), "HTTP_99", id="http-2"),
        pytest.param(
            lambda c: errors.RetryableTransportError("m", code=c), "HTTP_5030", id="http-4"
        ),
        pytest.param(lambda c: errors.RetryableTransportError("m", code=c), "HTTP_", id="http-0"),
        pytest.param(
            lambda c: errors.OutcomeUnknown("m", code=c), "CONNECT_TIMEOUT", id="parent-s-reason"
        ),
        pytest.param(
            lambda c: errors.DtdForbidden("m", code=c), "JSON_INVALID", id="not-inherited"
        ),
        pytest.param(
            lambda c: errors.MessageError("m", code=c), "SCHEMA_INVALID", id="another-class-s"
        ),
    ],
)
def test_an_undeclared_code_is_a_type_error(
    make: Callable[[str], AswBridgeError], code: str
) -> None:
    with pytest.raises(TypeError, match="declares no reason code"):
        make(code)


@pytest.mark.parametrize(
    ("cls", "code"),
    [
        pytest.param(errors.RetryableTransportError, "HTTP_503", id="http-503"),
        pytest.param(errors.RetryableTransportError, "HTTP_302", id="http-302"),
        pytest.param(errors.RetryableTransportError, "TRANSPORT_RETRYABLE", id="own-code"),
        pytest.param(errors.OutcomeUnknown, "READ_TIMEOUT", id="read-timeout"),
        pytest.param(errors.XmlLimitExceeded, "TOO_MANY_CHILDREN", id="shape-cap"),
        pytest.param(errors.MessageError, "JSON_INVALID", id="json"),
    ],
)
def test_a_declared_code_is_carried(cls: type[AswBridgeError], code: str) -> None:
    error = cls("m", code=code)
    assert (error.code, type(error).code) == (code, cls.code)
