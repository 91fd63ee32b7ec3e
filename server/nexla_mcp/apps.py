"""MCP App views (``ui://`` HTML resources, the SDK's Apps extension) for three tools.

``check_health`` (fleet health), ``get_run_summaries`` (a flow's run timeline with records and
errors) and ``plan_deployment`` (the plan diff before apply) carry ``_meta.ui.resourceUri``; a
host that speaks MCP Apps renders the page and hands it the tool's result, and the page can call
tools through the host for fresh data, so the model never carries it. Every one of these tools
still returns its full text/structured result, which is what clients without Apps show.

The pages are plain HTML with one small script (``ui/base.js``: the host handshake, results,
tool calls through the host) and one stylesheet, inlined at build so each page is one resource.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from mcp.server.apps import Apps

UI_DIR = Path(__file__).resolve().parent / "ui"


@dataclass(frozen=True)
class View:
    tool: str
    uri: str
    page: str
    title: str


VIEWS = (
    View("check_health", "ui://nexla/fleet-health.html", "fleet-health.html", "Fleet health"),
    View("get_run_summaries", "ui://nexla/run-timeline.html", "run-timeline.html", "Run timeline"),
    View("plan_deployment", "ui://nexla/plan-diff.html", "plan-diff.html", "Plan diff"),
)
VIEW_BY_TOOL = {view.tool: view for view in VIEWS}


def page_html(view: View) -> str:
    """The view's page with its script and stylesheet inlined."""
    html = (UI_DIR / view.page).read_text(encoding="utf-8")
    return html.replace("/*STYLE*/", (UI_DIR / "style.css").read_text(encoding="utf-8")).replace(
        "/*BASE*/", (UI_DIR / "base.js").read_text(encoding="utf-8")
    )


def ui_meta(tool: str) -> dict[str, object] | None:
    """The ``_meta`` a tool publishes to point at its view, if it has one."""
    view = VIEW_BY_TOOL.get(tool)
    return {"ui": {"resourceUri": view.uri}} if view else None


def apps_extension(tools: set[str]) -> Apps:
    """The Apps extension serving the views of the ``tools`` this server exposes."""
    apps = Apps()
    for view in VIEWS:
        if view.tool in tools:
            apps.add_html_resource(
                view.uri, page_html(view), name=view.page, title=view.title, prefers_border=True,
                description=f"{view.title} view of {view.tool} (MCP App).",
            )
    return apps
