"""Transports: the two sides of the bridge behind one interface (:class:`Side`).

* :mod:`aswbridge.transport.unipass` – UNI-PASS over SOAP 1.1 (zeep, packaged WSDL);
* :mod:`aswbridge.transport.nsw` – an NSW gateway mailbox over HTTP;
* :mod:`aswbridge.transport.filebox` – an NSW mailbox of folders (atomic rename).
"""

from aswbridge.transport._http import HttpPolicy
from aswbridge.transport.base import (
    Delivered,
    Inbound,
    Outbound,
    OutcomeUnknown,
    RemoteRejected,
    ResponseRefused,
    RetryableTransportError,
    Side,
    TrackState,
)

__all__ = [
    "Delivered",
    "HttpPolicy",
    "Inbound",
    "Outbound",
    "OutcomeUnknown",
    "RemoteRejected",
    "ResponseRefused",
    "RetryableTransportError",
    "Side",
    "TrackState",
]
