"""Monitoring the relay: Prometheus metrics, ``/healthz`` and ``/readyz``.

Needs the ``[metrics]`` extra (``prometheus_client``). Configured with::

    [metrics]
    listen = "127.0.0.1:9464"

:class:`RelayMetrics` holds the series and the readiness checks, :func:`metered_store` and
:func:`metered_side` feed it from the relay's traffic, :class:`MetricsServer` serves it.
"""

from __future__ import annotations

from aswbridge.monitor.metrics import RelayMetrics
from aswbridge.monitor.server import MetricsServer, parse_listen
from aswbridge.monitor.wrap import metered_side, metered_store

__all__ = ["MetricsServer", "RelayMetrics", "metered_side", "metered_store", "parse_listen"]
