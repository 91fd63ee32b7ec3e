"""The MCP App views rendered in a real headless Chromium from a real sandbox's data, with screenshots.

Each page is loaded the way a host loads it: inside an iframe of a host page that answers the
view's ``ui/initialize`` and then sends it the tool's result (``ui/notifications/tool-result``),
here the structured result of a real call through an MCP client. The host page copies the
rendered text out of the frame so the test can read it; the screenshots are kept under
``.test-output/screenshots/`` (the README's images are copies of them).
"""

from __future__ import annotations

import html
import json
import shutil
import subprocess
from pathlib import Path

import pytest

from nexla_mcp.apps import VIEWS, View, page_html
from nexla_sandbox.runtime.demo import write_demo_data
from tests.helpers.deploy import SECRET_ENV, run_source, spec_data
from tests.helpers.mcp import ToolCaller, connect, settings_for

REPO = Path(__file__).resolve().parents[2]
SHOTS = REPO / ".test-output" / "screenshots"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")

pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (make browser installs it)")

HOST = """<!doctype html><html><body style="margin:0">
<iframe id="view" style="border:0;width:1000px;height:680px" srcdoc="{page}"></iframe>
<pre id="rendered"></pre>
<script>
const frame = document.getElementById("view");
const result = {result};
window.addEventListener("message", (event) => {{
  const message = event.data || {{}};
  if (message.method === "ui/initialize") {{
    frame.contentWindow.postMessage({{jsonrpc: "2.0", id: message.id, result: {{protocolVersion: "2026-01-26",
      hostInfo: {{name: "test-host", version: "1"}}, hostCapabilities: {{}}, hostContext: {{}}}}}}, "*");
  }}
  if (message.method === "ui/notifications/initialized") {{
    frame.contentWindow.postMessage({{jsonrpc: "2.0", method: "ui/notifications/tool-result", params: result}}, "*");
    setTimeout(() => {{ document.getElementById("rendered").textContent =
      frame.contentDocument.body.dataset.rendered + "\\n" + frame.contentDocument.body.innerText; }}, 50);
  }}
}});
</script></body></html>"""


def _render(view: View, result: dict, folder: Path) -> str:
    host = folder / f"{view.page}.host.html"
    host.write_text(HOST.format(page=html.escape(page_html(view), quote=True), result=json.dumps(result)), "utf-8")
    base = [str(CHROMIUM), "--headless=new", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
            "--window-size=1000,700", "--virtual-time-budget=5000", "--run-all-compositor-stages-before-draw"]
    SHOTS.mkdir(parents=True, exist_ok=True)
    shot = SHOTS / view.page.replace(".html", ".png")
    subprocess.run([*base, f"--screenshot={shot}", host.as_uri()], capture_output=True, timeout=120, check=True)
    assert shot.stat().st_size > 5_000
    dom = subprocess.run([*base, "--dump-dom", host.as_uri()], capture_output=True, text=True, timeout=120, check=True)
    start = dom.stdout.index('<pre id="rendered">') + len('<pre id="rendered">')
    return html.unescape(dom.stdout[start : dom.stdout.index("</pre>", start)])


async def test_the_three_views_render_real_results(sandbox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(SECRET_ENV, "demo-secret-value")
    write_demo_data(sandbox.data_dir)
    async with connect(settings_for(sandbox)) as client:
        tools = (await client.list_tools()).tools
        for view in VIEWS:
            (tool,) = [tool for tool in tools if tool.name == view.tool]
            assert tool.meta == {"ui": {"resourceUri": view.uri}}
            resource = (await client.read_resource(view.uri)).contents[0]
            assert resource.mime_type == "text/html;profile=mcp-app"
        call = ToolCaller(client, tools)
        applied = await call.ok("apply_deployment", {"spec": spec_data()})
        run_source(sandbox, applied["source_id"])
        results = {
            "check_health": await call.ok("check_health", {}),
            "get_run_summaries": await call.ok("get_run_summaries", {"kind": "flows", "id": applied["flow_id"]}),
            "plan_deployment": await call.ok("plan_deployment", {"spec": spec_data(
                destinations=[{"name": "orders-to-parquet-parquet", "type": "s3",
                               "config": {"path": "analytics/orders-v2/", "data_format": "parquet"}}])}),
        }
    texts = {view.tool: _render(view, {"structuredContent": results[view.tool], "content": []}, tmp_path)
             for view in VIEWS}
    health, timeline, plan = texts["check_health"], texts["get_run_summaries"], texts["plan_deployment"]
    assert health.startswith("true") and "Fleet health" in health and "orders-to-parquet" in health
    assert results["check_health"]["overall"] in health
    run = results["get_run_summaries"]["runs"][0]
    assert timeline.startswith("true") and str(run["run_id"]) in timeline and f"{run['records']} records" in timeline
    assert plan.startswith("true") and "update" in plan and "analytics/orders-v2/" in plan
