"""The official nexla-sdk 1.0.8 integration suite (its ``tests/integration``) against a seeded sandbox.

The suite is not part of this repository. Point ``NEXLA_SDK_SUITE`` at a checkout of
nexla-opensource/nexla-sdk-python at tag v1.0.8 (the folder holding ``tests/integration``); its
test dependencies (``faker``, ``python-dotenv``) must be importable, for instance from a folder
named in ``NEXLA_SDK_SUITE_PYTHONPATH``. Without them the test is skipped.

The suite reads ids through ``TEST_*`` variables: they name a deployed, run flow. A second,
active flow is deployed first, because the suite's "deleting an active flow fails" check takes
the first flow listed after its own activation test has left the ``TEST_FLOW_ID`` flow paused.
It may fail only on the defects of the SDK and of the suite itself listed in ``SDK_DEFECTS``, and
every one of those must still fail (a defect that starts passing means the list is stale).
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path
from xml.etree import ElementTree

import pytest
from nexla_ops.operations.deploy import apply_deployment
from nexla_sandbox.runtime.demo import write_demo_data

from tests.helpers.deploy import SECRET_ENV, client_for, make_spec

SUITE = os.environ.get("NEXLA_SDK_SUITE")
EXTRA_PATH = os.environ.get("NEXLA_SDK_SUITE_PYTHONPATH", "")

SDK_DEFECTS = {
    "test_destinations.py::TestDestinationsIntegration::test_destination_list_with_pagination":
        "the suite calls assert_destination_response without expected_data",
    "test_destinations.py::TestDestinationsIntegration::test_destination_list_with_access_role_filter":
        "the suite calls assert_destination_response without expected_data",
    "test_flows.py::TestFlowsIntegration::test_get_flow_by_dataset": "the suite looks for the nexset among root nodes only",
    "test_lookups.py::TestLookupsIntegration::test_lookup_not_found_error":
        "NotFoundError is not a ServerError and carries no status_code",
    "test_nexsets.py::TestNexsetsIntegration::test_nexset_not_found_error": "NotFoundError carries no status_code",
    "test_nexsets.py::TestNexsetsIntegration::test_nexset_crud_operations":
        "the suite calls assert_nexset_response without expected_data",
    "test_nexsets.py::TestNexsetsIntegration::test_get_nexset_with_expand":
        "the suite calls assert_nexset_response without expected_data",
    "test_nexsets.py::TestNexsetsIntegration::test_nexset_copy":
        "the suite calls assert_nexset_response without expected_data",
    "test_nexsets.py::TestNexsetsIntegration::test_nexset_lifecycle_operations":
        "the suite calls assert_nexset_response without expected_data",
    "test_nexsets.py::TestNexsetsIntegration::test_list_nexsets":
        "the suite calls assert_nexset_response without expected_data",
    "test_sources.py::TestSourcesIntegration::test_source_access_control":
        "accessor calls raise AttributeError: model_validate (AccessorResponse is a typing.Union)",
    "test_projects.py::TestProjectsIntegration::test_project_crud_operations": "pytest.current_timestamp is never set",
    # Not yet in the shared list of known defects: Nexla's OpenAPI answers a working probe with {output}.
    "test_credentials.py::TestCredentialsIntegration::test_probe_credential":
        "the suite expects 'status' in GET /data_credentials/{id}/probe's answer; Nexla's OpenAPI answers {output}",
}
def suite_environment() -> dict[str, str] | None:
    """The subprocess environment when the suite and its dependencies are available, else None."""
    if not SUITE or not (Path(SUITE) / "tests" / "integration").is_dir():
        return None
    env = {k: v for k, v in os.environ.items() if not k.startswith(("NEXLA_", "TEST_"))}
    env["PYTHONPATH"] = EXTRA_PATH
    probe = subprocess.run([sys.executable, "-c", "import faker, dotenv"], env=env, capture_output=True, check=False)
    return env if probe.returncode == 0 else None


async def seed(sandbox) -> dict[str, str]:
    """Deploy an active decoy flow, then the flow the TEST_* variables name, and run it once."""
    async with client_for(sandbox) as client:
        decoy = await apply_deployment(client, make_spec(name="sdk-suite-active"))
        assert decoy.status == "applied", decoy.error
        result = await apply_deployment(client, make_spec(name="sdk-suite"))
        assert result.status == "applied", result.error
        source = await client.get(f"/data_sources/{result.source_id}", params={"expand": 1})
    nexsets = [created.id for created in result.created if created.kind == "data_sets"]
    run = sandbox.control.post(f"sources/{result.source_id}/run")
    run.raise_for_status()
    return {"TEST_FLOW_ID": str(result.flow_id), "TEST_SOURCE_ID": str(result.source_id),
            "TEST_DATASET_ID": str(nexsets[-1]), "TEST_NEXSET_ID": str(nexsets[-1]),
            "TEST_PARENT_DATASET_ID": str(source["data_sets"][0]["id"])}


def outcomes(report: Path) -> dict[str, str]:
    """``file::Class::test`` -> passed / failed / skipped from a JUnit report."""
    found = {}
    for case in ElementTree.parse(report).iter("testcase"):
        name = f"{case.get('classname', '').split('.')[-2]}.py::{case.get('classname', '').split('.')[-1]}::{case.get('name')}"
        kind = "failed" if case.find("failure") is not None or case.find("error") is not None else \
            "skipped" if case.find("skipped") is not None else "passed"
        found[name] = kind
    return found


def test_official_integration_suite_fails_only_on_known_defects(sandbox, monkeypatch, tmp_path: Path) -> None:
    env = suite_environment()
    if env is None:
        pytest.skip("nexla-sdk 1.0.8's integration suite is not available: set NEXLA_SDK_SUITE to a v1.0.8 checkout "
                    "and make faker and python-dotenv importable (NEXLA_SDK_SUITE_PYTHONPATH)")
    monkeypatch.setenv(SECRET_ENV, "sdk-suite-secret")
    write_demo_data(sandbox.data_dir)
    env.update(asyncio.run(seed(sandbox)))
    env.update(NEXLA_API_URL=sandbox.base_url, NEXLA_SERVICE_KEY=sandbox.service_key,
               NEXLA_TEST_API_URL=sandbox.base_url, NEXLA_TEST_SERVICE_KEY=sandbox.service_key)
    report = tmp_path / "suite.xml"
    subprocess.run([sys.executable, "-m", "pytest", "tests/integration", "-q", "-p", "no:cacheprovider",
                    "-p", "no:randomly", "-o", "addopts=", "--timeout=60", f"--junitxml={report}"],
                   cwd=SUITE, env=env, capture_output=True, text=True, timeout=600, check=False)
    results = outcomes(report)
    failed = {name for name, kind in results.items() if kind == "failed"}
    unexpected = sorted(failed - SDK_DEFECTS.keys())
    stale = sorted(name for name in SDK_DEFECTS if results.get(name) != "failed")
    assert not unexpected, f"the sandbox fails these official SDK tests: {unexpected}"
    assert not stale, f"these listed defects no longer fail: {stale}"
    assert sum(kind == "passed" for kind in results.values()) >= 60, results
