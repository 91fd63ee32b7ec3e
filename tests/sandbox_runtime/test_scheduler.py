"""The cron scheduler, driven by an explicit clock (no sleeping)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from nexla_sandbox.runtime.scheduler import CronScheduler, cron_of

T0 = datetime(2025, 3, 1, 12, 0, 30, tzinfo=UTC)


def make(sources: list[dict]) -> tuple[CronScheduler, list[int]]:
    fired: list[int] = []
    return CronScheduler(lambda: [s for s in sources if s["status"] == "ACTIVE"], fired.append), fired


def test_every_minute_fires_once_per_minute_while_active() -> None:
    source = {"id": 7, "status": "ACTIVE", "source_config": {"start.cron": "* * * * *"}}
    scheduler, fired = make([source])
    assert scheduler.tick(T0) == []  # first sight only schedules 12:01
    assert scheduler.next_run(7) == datetime(2025, 3, 1, 12, 1, tzinfo=UTC)
    assert scheduler.tick(T0 + timedelta(seconds=20)) == []
    assert scheduler.tick(T0 + timedelta(seconds=31)) == [7]
    assert scheduler.tick(T0 + timedelta(seconds=40)) == []
    assert scheduler.tick(T0 + timedelta(seconds=95)) == [7]
    source["status"] = "PAUSED"
    assert scheduler.tick(T0 + timedelta(minutes=5)) == [] and scheduler.next_run(7) is None
    source["status"] = "ACTIVE"
    assert scheduler.tick(T0 + timedelta(minutes=6)) == []  # re-activation never fires a missed tick
    assert fired == [7, 7]


def test_nested_cron_key_invalid_and_missing_crons() -> None:
    nested = {"id": 1, "status": "ACTIVE", "source_config": {"start": {"cron": "*/5 * * * *"}}}
    invalid = {"id": 2, "status": "ACTIVE", "source_config": {"start.cron": "every minute"}}
    none = {"id": 3, "status": "ACTIVE", "source_config": {}}
    assert cron_of(nested) == "*/5 * * * *" and cron_of(none) is None
    scheduler, fired = make([nested, invalid, none])
    scheduler.tick(T0)
    assert scheduler.tick(T0 + timedelta(minutes=5)) == [1] and fired == [1]
    assert scheduler.next_run(2) is None and scheduler.next_run(3) is None
