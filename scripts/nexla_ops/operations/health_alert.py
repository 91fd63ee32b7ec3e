"""The health check's webhook alert: a Slack-compatible summary POSTed once, never retried."""

from __future__ import annotations

from typing import Any

import httpx

from nexla_ops.operations.health_models import VERDICT_RANK, AlertOutcome, HealthReport, Verdict


def alert_payload(report: HealthReport) -> dict[str, Any]:
    """The JSON posted to the webhook: a Slack-compatible ``text`` plus a structured summary."""
    bad = [flow for flow in report.flows if flow.verdict != "healthy"]
    lines = [
        f"Nexla health: {report.overall.upper()} - {report.counts.get('critical', 0)} critical, "
        f"{report.counts.get('warning', 0)} warning, {report.counts.get('healthy', 0)} healthy "
        f"of {report.flows_checked} flows"
    ]
    lines += [f"- [{flow.verdict}] flow {flow.flow_id} {flow.name or ''}: {'; '.join(flow.reasons)}" for flow in bad[:20]]
    if len(bad) > 20:
        lines.append(f"... and {len(bad) - 20} more")
    return {
        "text": "\n".join(lines),
        "overall": report.overall,
        "checked_at": report.checked_at.isoformat(),
        "counts": report.counts,
        "flows": [
            {"flow_id": f.flow_id, "name": f.name, "verdict": f.verdict, "reasons": f.reasons} for f in bad[:200]
        ],
    }


async def send_alert(url: str, payload: dict[str, Any], *, timeout_s: float = 10.0) -> AlertOutcome:
    """POST ``payload`` to ``url``; never raises and never puts the URL in the outcome."""
    try:
        async with httpx.AsyncClient(timeout=timeout_s, follow_redirects=False) as http:
            response = await http.post(url, json=payload)
    except httpx.HTTPError as exc:
        return AlertOutcome(attempted=True, error=f"could not reach the alert webhook ({type(exc).__name__})")
    if response.is_success:
        return AlertOutcome(attempted=True, delivered=True, status_code=response.status_code)
    return AlertOutcome(
        attempted=True, status_code=response.status_code, error=f"the alert webhook answered HTTP {response.status_code}"
    )


def should_alert(alert_on: str, overall: Verdict) -> bool:
    """True when a report whose verdict is ``overall`` reaches the ``alert_on`` level."""
    if alert_on == "always":
        return True
    return VERDICT_RANK[overall] >= VERDICT_RANK[alert_on]
