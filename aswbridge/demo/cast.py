"""The newcomers of the regional story: China with its profile package, Japan in UBL.

The samples have no Chinese or Japanese traders, so their certificates are Korea's RCEP
sample issued again: from China to Korea (a Chinese exporter, authority and port), and
from Korea to Japan (a Japanese consignee and port). China's profile is the example
package ``examples/profile_cn``: installed, it is found by its entry point; in a
checkout, the demo registers it from that folder for the run; elsewhere China speaks
the shipped ``ubl`` profile and the demo says so.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import attrs

import aswbridge
from aswbridge import profiles, samples
from aswbridge.model import Authority, Certificate, Endpoint, Message, Party
from aswbridge.profiles import Profile

__all__ = ["ChinaProfile", "china_profile", "china_to_korea", "korea_to_japan"]

#: Where the example package is in a checkout of the repository.
PACKAGE = Path(aswbridge.__file__).resolve().parents[1] / "examples" / "profile_cn"
_MODULE = "aswbridge_profile_cn"

_CHINA = Party(
    name="Ningbo Harbour Chemicals Co., Ltd.",
    address="188 Zhongshan East Road, Haishu District, Ningbo 315000",
    country="CN",
    id="91330200MA2H0A1X3K",
)
_GACC = Authority(name="General Administration of Customs of China", country="CN", id="GACC")
_JAPAN = Party(
    name="Sakura Resin Trading K.K.",
    address="2-7-1 Minatomirai, Nishi-ku, Yokohama 220-0012",
    country="JP",
    id="1020001071491",
)


@attrs.frozen(kw_only=True)
class ChinaProfile:
    """The profile China's NSW speaks in the demo and how it came to be there.

    Attributes:
        name: ``cn`` (the example package) or ``ubl`` (the package is not at hand).
        how: one sentence for the timeline.
        register: the profile object the demo registers for the run (None: it is
            installed already, or China speaks a shipped profile).
    """

    name: str
    how: str
    register: Profile | None = None


def china_profile() -> ChinaProfile:
    """China's profile: installed, in this checkout's examples, or ``ubl`` instead."""
    if "cn" in profiles.names():
        return ChinaProfile(name="cn", how="China's profile package is installed (entry point cn)")
    init = PACKAGE / _MODULE / "__init__.py"
    spec = importlib.util.spec_from_file_location(_MODULE, init) if init.is_file() else None
    if spec is None or spec.loader is None:
        return ChinaProfile(
            name="ubl",
            how="China's profile package (examples/profile_cn) is not at hand: China speaks "
            "the shipped ubl profile instead",
        )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return ChinaProfile(
        name="cn",
        how="China's profile package examples/profile_cn, registered for this run with "
        "aswbridge.profiles.register (installed, its entry point does it)",
        register=module.PROFILE,
    )


def _rcep(name: str) -> tuple[Message, Certificate]:
    """Korea's RCEP sample with its own message id and certificate number."""
    base = samples.form_rcep_kr_th()
    doc = base.document
    assert isinstance(doc, Certificate)
    number = f"{doc.id[:-4]}{samples.message_id(name)[:4].upper()}"
    return (
        attrs.evolve(
            base, envelope=attrs.evolve(base.envelope, message_id=samples.message_id(name))
        ),
        attrs.evolve(doc, id=number),
    )


def korea_to_japan(name: str) -> Message:
    """A Korean RCEP certificate for a consignee in Yokohama."""
    base, doc = _rcep(name)
    items = tuple(
        attrs.evolve(item, marks=(item.marks or "").replace("THLCH", "JPYOK") or None)
        for item in doc.items
    )
    document = attrs.evolve(
        doc,
        importing_country="JP",
        consignee=_JAPAN,
        items=items,
        transport=attrs.evolve(doc.transport, port_of_discharge="JPYOK"),
    )
    receiver = Endpoint(country="JP", system="JP-SINGLEWINDOW")
    return attrs.evolve(
        base, envelope=attrs.evolve(base.envelope, receiver=receiver), document=document
    )


def china_to_korea(name: str) -> Message:
    """An RCEP certificate issued in Ningbo for a Korean consignee."""
    base, doc = _rcep(name)
    assert doc.certification is not None  # the sample is certified
    korea = attrs.evolve(
        doc.consignee,
        name="Hanbit Materials Co., Ltd.",
        country="KR",
        address="45 Sinseon-ro, Nam-gu, Busan 48547",
        id="602-81-23456",
    )
    items = tuple(
        attrs.evolve(
            item, origin_country="CN", marks=(item.marks or "").replace("THLCH", "KRPUS") or None
        )
        for item in doc.items
    )
    document = attrs.evolve(
        doc,
        issuing_country="CN",
        importing_country="KR",
        issuing_authority=_GACC,
        exporter=_CHINA,
        producer=_CHINA,
        consignee=korea,
        items=items,
        transport=attrs.evolve(doc.transport, port_of_loading="CNNGB", port_of_discharge="KRPUS"),
        declaration=attrs.evolve(
            doc.declaration, place="Ningbo", signatory="Chen Jing", producing_country="CN"
        ),
        certification=attrs.evolve(doc.certification, place="Ningbo", officer="Li Wei"),
    )
    envelope = attrs.evolve(
        base.envelope,
        sender=Endpoint(country="CN", system="CN-SINGLEWINDOW"),
        receiver=Endpoint(country="KR", system="KR-UNIPASS"),
    )
    return attrs.evolve(base, envelope=envelope, document=document)
