"""Queue depth as a Prometheus collector that reads the database when scraped.

Counted across every active run and every worker, so it is registered once, in the API process
(whose /metrics a scraper reads anyway); workers export only what happens inside them.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator

from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import REGISTRY, Collector
from sqlalchemy import func
from sqlmodel import Session, col, select

from contracts.stages import ALL_STAGES
from contracts.status import ACTIVE_RUN_STATUSES
from contracts.status import GenerationStatus as GS
from core.db import get_engine
from core.metrics import stage_name
from models import AutomationRun, StageItem

log = logging.getLogger("igny8.metrics")
WAITING = (GS.PENDING, GS.PROCESSING)


class QueueDepthCollector(Collector):
    """`igny8_stage_queue_items{stage,status}`: items waiting in active runs' stage queues."""

    def collect(self) -> Iterator[GaugeMetricFamily]:
        family = GaugeMetricFamily(
            "igny8_stage_queue_items",
            "Items of active runs waiting (pending) or being worked on (processing), by stage.",
            labels=["stage", "status"],
        )
        active_runs = GaugeMetricFamily(
            "igny8_active_runs", "Runs running or paused, by status.", labels=["status"]
        )
        try:
            depth, runs = _read()
        except Exception as exc:  # a scrape must answer even while the database is down
            log.warning("queue depth not read: %s", type(exc).__name__)
            return
        for (stage, status), n in sorted(depth.items()):
            family.add_metric([stage_name(stage), status], n)
        for status in ACTIVE_RUN_STATUSES:
            active_runs.add_metric([status], runs.get(status, 0))
        yield family
        yield active_runs


def _read() -> tuple[dict[tuple[int, str], int], dict[str, int]]:
    with Session(get_engine()) as session:
        active = select(AutomationRun.id).where(col(AutomationRun.status).in_(ACTIVE_RUN_STATUSES))
        rows = session.exec(
            select(StageItem.stage, StageItem.status, func.count())
            .where(col(StageItem.run_id).in_(active), col(StageItem.status).in_(WAITING))
            .group_by(col(StageItem.stage), col(StageItem.status))
        ).all()
        depth = {(int(stage), str(status)): int(n) for stage, status, n in rows}
        # Every stage and status appears, at 0 when empty, so a graph drops to zero.
        for stage in ALL_STAGES:
            for status in WAITING:
                depth.setdefault((stage, str(status)), 0)
        runs = session.exec(
            select(AutomationRun.status, func.count())
            .where(col(AutomationRun.status).in_(ACTIVE_RUN_STATUSES))
            .group_by(AutomationRun.status)
        ).all()
    return depth, {str(status): int(n) for status, n in runs}


_registered = False


def register_queue_depth() -> None:
    """Register the collector on the default registry (once per process)."""
    global _registered
    if not _registered:
        REGISTRY.register(QueueDepthCollector())
        _registered = True
