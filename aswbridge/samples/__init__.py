"""Realistic sample messages, as canonical :class:`~aswbridge.model.Message` objects.

Every builder is a pure, deterministic function: fixed dates, message ids that are
``uuid5`` of the sample's name, no randomness unless a ``seed`` is given. HS codes are
real HS 2022 subheadings (8-digit AHTN lines for Forms D and AK), and every country,
currency, unit, package and port code is a real one. The traders are invented.

>>> from aswbridge import samples
>>> message = samples.form_ak_id_kr()
>>> len(message.document.items), message.envelope.sender.system
(20, 'ID-INSW')
>>> answer = samples.response_for(message, refuse={3: "FOB value does not match invoice"})
>>> [d.preference for d in answer.document.decisions][:4]
['given', 'given', 'not_given', 'given']

:data:`SCENARIOS` names every sample; the names are the file stems of the files under
``examples/messages/``.
"""

from __future__ import annotations

from collections.abc import Callable

from aswbridge.model import Message
from aswbridge.samples.answers import (
    DOCUMENT_TYPES,
    receipt_for,
    response_for,
    verification_reply_for,
    verification_request_for,
)
from aswbridge.samples.builder import HS_EDITION, certificate, message_id
from aswbridge.samples.criteria import criterion
from aswbridge.samples.scenarios import (
    back_to_back,
    cancellation,
    exhibition,
    form_ak_id_kr,
    form_ak_kr_vn,
    form_d_th_id,
    form_rcep_kr_th,
    issued_retroactively,
    many_items,
    one_item,
    replacement,
    third_country_invoicing,
)

__all__ = [
    "DOCUMENT_TYPES",
    "HS_EDITION",
    "SCENARIOS",
    "back_to_back",
    "cancellation",
    "certificate",
    "criterion",
    "exhibition",
    "form_ak_id_kr",
    "form_ak_kr_vn",
    "form_d_th_id",
    "form_rcep_kr_th",
    "issued_retroactively",
    "many_items",
    "message_id",
    "one_item",
    "receipt",
    "receipt_for",
    "replacement",
    "response_for",
    "response_refusing_item",
    "third_country_invoicing",
    "verification_reply",
    "verification_reply_for",
    "verification_request",
    "verification_request_for",
]

#: The reason the sample response gives for refusing item 3 of :func:`form_ak_id_kr`.
REFUSAL_REASON = (
    "FOB value in box 9 does not match the commercial invoice presented at import; "
    "RVC 40% cannot be verified"
)


def receipt() -> Message:
    """UNI-PASS acknowledges receipt of :func:`form_ak_id_kr`."""
    return receipt_for(form_ak_id_kr())


def response_refusing_item() -> Message:
    """Korea Customs gives preference to every item of :func:`form_ak_id_kr` but item 3."""
    return response_for(form_ak_id_kr(), refuse={3: REFUSAL_REASON})


def verification_request() -> Message:
    """Korea Customs asks Indonesia to verify the coffee and pepper of :func:`form_ak_id_kr`."""
    return verification_request_for(form_ak_id_kr(), items=(2, 11))


def verification_reply() -> Message:
    """Indonesia confirms the origin of the items :func:`verification_request` asked about."""
    return verification_reply_for(verification_request())


#: Every sample by name (the file stem under ``examples/messages/``).
SCENARIOS: dict[str, Callable[[], Message]] = {
    "form_ak_id_kr": form_ak_id_kr,
    "form_ak_kr_vn": form_ak_kr_vn,
    "form_rcep_kr_th": form_rcep_kr_th,
    "form_d_th_id": form_d_th_id,
    "back_to_back": back_to_back,
    "third_country_invoicing": third_country_invoicing,
    "issued_retroactively": issued_retroactively,
    "exhibition": exhibition,
    "replacement": replacement,
    "cancellation": cancellation,
    "one_item": one_item,
    "many_items": many_items,
    "receipt": receipt,
    "response_refusing_item": response_refusing_item,
    "verification_request": verification_request,
    "verification_reply": verification_reply,
}
