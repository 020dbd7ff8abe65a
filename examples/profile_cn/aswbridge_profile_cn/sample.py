"""A sample China-issued RCEP certificate for Korea, made from an aswbridge sample.

``aswbridge.samples`` has no Chinese traders, so the Korean RCEP sample is re-issued
from China: a Chinese exporter, issuing authority and port, Korea as the importer.
The goods, quantities and invoices are the sample's own.
"""

from __future__ import annotations

import attrs

from aswbridge import samples
from aswbridge.model import Authority, Endpoint, Message, Party

__all__ = ["rcep_cn_kr"]

EXPORTER = Party(
    name="Ningbo Harbour Chemicals Co., Ltd.",
    address="188 Zhongshan East Road, Haishu District, Ningbo 315000",
    country="CN",
    id="91330200MA2H0A1X3K",
)
CONSIGNEE = Party(
    name="Hanbit Materials Co., Ltd.",
    address="45 Sinseon-ro, Nam-gu, Busan 48547",
    country="KR",
    id="602-81-23456",
)
AUTHORITY = Authority(name="General Administration of Customs of China", country="CN", id="GACC")


def rcep_cn_kr() -> Message:
    """A China RCEP certificate to Korea, valid under the aswbridge rules."""
    base = samples.form_rcep_kr_th()
    doc = base.document
    items = tuple(
        attrs.evolve(
            item, origin_country="CN", marks=(item.marks or "").replace("THLCH", "KRPUS") or None
        )
        for item in doc.items
    )
    document = attrs.evolve(
        doc,
        id="E266000000123450001",
        issuing_country="CN",
        importing_country="KR",
        issuing_authority=AUTHORITY,
        exporter=EXPORTER,
        producer=EXPORTER,
        consignee=CONSIGNEE,
        transport=attrs.evolve(
            doc.transport,
            vessel="COSCO NINGBO V.031E",
            port_of_loading="CNNGB",
            port_of_discharge="KRPUS",
        ),
        items=items,
        declaration=attrs.evolve(
            doc.declaration, place="Ningbo", signatory="Chen Jing", producing_country="CN"
        ),
        certification=attrs.evolve(
            doc.certification, place="Ningbo", officer="Li Wei", date=doc.issue_date
        ),
    )
    envelope = attrs.evolve(
        base.envelope,
        message_id=samples.message_id("rcep_cn_kr"),
        sender=Endpoint(country="CN", system="CN-SINGLEWINDOW"),
        receiver=Endpoint(country="KR", system="KR-UNIPASS"),
    )
    return Message(envelope=envelope, document=document)


if __name__ == "__main__":  # print the sample in the cn profile
    import sys

    from aswbridge import write

    sys.stdout.buffer.write(write(rcep_cn_kr(), profile="cn"))
