"""Every resource family the sandbox serves parses into the official SDK's pydantic models.

The SDK validates each reply against its models; a reply missing a required field or carrying a
wrongly typed one raises a pydantic ``ValidationError`` inside the SDK call, so each call below is
itself the assertion. Where the SDK returns raw JSON (audit logs, limits), the test validates it
against the SDK model the contract names.

Known SDK bugs (contract section 6), tested around rather than through:
- 6.12: accessor replies are parsed by calling a pydantic method on a ``typing.Union``, which raises
  ``AttributeError`` for any non-empty list; accessors are read over plain HTTP and validated with
  a discriminated union instead.
- 6.13: metrics helpers once interpolated the ``ResourceType`` enum member into the path; 1.0.8
  resolves it with ``.value``, so both the enum and its string are exercised here.
"""

from __future__ import annotations

from typing import Annotated, Union

import pytest
from nexla_sdk import NexlaClient
from nexla_sdk.models.access.responses import OrgAccessorResponse, TeamAccessorResponse, UserAccessorResponse
from nexla_sdk.models.async_tasks.requests import AsyncTaskCreate
from nexla_sdk.models.async_tasks.responses import AsyncTask
from nexla_sdk.models.attribute_transforms.requests import AttributeTransformCreate
from nexla_sdk.models.attribute_transforms.responses import AttributeTransform
from nexla_sdk.models.code_containers.requests import CodeContainerCreate
from nexla_sdk.models.code_containers.responses import CodeContainer
from nexla_sdk.models.common import LogEntry
from nexla_sdk.models.credentials.requests import CredentialCreate, ProbeSampleRequest, ProbeTreeRequest
from nexla_sdk.models.credentials.responses import Credential, ProbeSampleResponse, ProbeTreeResponse
from nexla_sdk.models.destinations.requests import DestinationCreate
from nexla_sdk.models.destinations.responses import Destination
from nexla_sdk.models.metrics.enums import ResourceType
from nexla_sdk.models.flows.responses import FlowLogsResponse, FlowMetrics, FlowMetricsApiResponse, FlowResponse
from nexla_sdk.models.metrics.responses import (MetricsByRunResponse, MetricsResponse, ResourceFlowLogsResponse,
                                                ResourceFlowMetricsResponse, ResourceMetricDaily,
                                                ResourceMetricsByRun)
from nexla_sdk.models.nexsets.requests import NexsetCreate
from nexla_sdk.models.nexsets.responses import Nexset, NexsetSample
from nexla_sdk.models.notifications.responses import Notification
from nexla_sdk.models.organizations.responses import AccountSummary, Organization, OrgMember
from nexla_sdk.models.projects.requests import ProjectCreate
from nexla_sdk.models.projects.responses import Project, ProjectDataFlow
from nexla_sdk.models.sources.requests import SourceCreate
from nexla_sdk.models.sources.responses import Source
from nexla_sdk.models.teams.requests import TeamCreate
from nexla_sdk.models.teams.responses import Team, TeamMember
from nexla_sdk.models.transforms.requests import TransformCreate
from nexla_sdk.models.transforms.responses import Transform
from nexla_sdk.models.users.responses import User, UserExpanded
from pydantic import Field, TypeAdapter

from nexla_sandbox.runtime.demo import write_demo_data

TRANSFORM = {"version": 1, "operations": [{"operation": "filter", "condition": "status != 'CANCELLED'"}]}
AUDIT_LOG = TypeAdapter(list[LogEntry])
ACCESSORS = TypeAdapter(list[Annotated[Union[UserAccessorResponse, TeamAccessorResponse, OrgAccessorResponse],
                                       Field(discriminator="type")]])


@pytest.fixture
def built(sandbox, sdk: NexlaClient) -> dict:
    """A whole flow (credential -> source -> detected nexset -> derived nexset -> sink), run once."""
    write_demo_data(sandbox.data_dir)
    credential = sdk.credentials.create(CredentialCreate(
        name="models creds", credentials_type="s3",
        credentials={"region": "us-east-1", "access_key_id": "AKIA", "secret_access_key": "s3cr3t"}))
    source = sdk.sources.create(SourceCreate(
        name="models source", source_type="s3", data_credentials_id=credential.id,
        source_config={"path": "ingest/orders/", "file_format": "json"}))
    sdk.sources.activate(source.id)
    detected = sdk.sources.get(source.id, expand=True).data_sets[0]
    nexset = sdk.nexsets.create(NexsetCreate(
        name="models clean", parent_data_set_id=detected.id, has_custom_transform=True, transform=TRANSFORM))
    sink = sdk.destinations.create(DestinationCreate(
        name="models out", sink_type="s3", data_credentials_id=credential.id, data_set_id=nexset.id,
        sink_config={"path": "out/", "data_format": "json"}))
    sdk.flows.activate_by_resource("data_sources", source.id, all=True)
    run = sandbox.control.post(f"sources/{source.id}/run")
    assert run.status_code == 200, run.text
    return {"credential": credential, "source": source, "detected": detected, "nexset": nexset, "sink": sink,
            "run": run.json()}


def test_credentials(sdk: NexlaClient, built: dict) -> None:
    listed = sdk.credentials.list()
    assert listed and all(isinstance(c, Credential) for c in listed)
    assert sdk.credentials.list(credentials_type="s3")[0].credentials_type == "s3"
    one = sdk.credentials.get(built["credential"].id, expand=True)
    assert one.connector is not None and one.referenced_resource_ids["data_sources"] == [built["source"].id]


def test_probe_tree_and_sample(sdk: NexlaClient, built: dict) -> None:
    # ProbeTreeRequest requires depth (contract 6.18).
    tree = sdk.credentials.probe_tree(built["credential"].id, ProbeTreeRequest(depth=2, path="ingest/"))
    assert isinstance(tree, ProbeTreeResponse) and tree.object
    sample = sdk.credentials.probe_sample(built["credential"].id, ProbeSampleRequest(path="ingest/orders/"))
    assert isinstance(sample, ProbeSampleResponse) and sample.output["response"]["data"]


def test_sources(sdk: NexlaClient, built: dict) -> None:
    assert all(isinstance(s, Source) for s in sdk.sources.list())
    source = sdk.sources.get(built["source"].id, expand=True)
    brief = source.data_sets[0]
    assert (brief.id, brief.owner_id, brief.org_id) == (built["detected"].id, source.owner.id, source.org.id)
    assert source.data_credentials is not None and source.run_ids


def test_nexsets_and_samples(sdk: NexlaClient, built: dict) -> None:
    assert all(isinstance(n, Nexset) for n in sdk.nexsets.list())
    derived = sdk.nexsets.get(built["nexset"].id, expand=True)
    assert derived.parent_data_sets[0].id == built["detected"].id
    sink = derived.data_sinks[0]
    assert (sink.id, sink.sink_type) == (built["sink"].id, "s3")
    assert derived.data_source is not None and derived.output_schema
    samples = sdk.nexsets.get_samples(built["nexset"].id, count=3)
    assert samples and all(isinstance(s, NexsetSample) for s in samples)
    wrapped = sdk.nexsets.get_samples(built["nexset"].id, count=2, include_metadata=True)
    assert wrapped[0].nexla_metadata is not None


def test_destinations(sdk: NexlaClient, built: dict) -> None:
    assert all(isinstance(d, Destination) for d in sdk.destinations.list())
    sink = sdk.destinations.get(built["sink"].id, expand=True)
    assert sink.data_set.id == built["nexset"].id and sink.sink_format == "json"


@pytest.mark.parametrize("flows_only", [False, True])
def test_flows(sdk: NexlaClient, built: dict, flows_only: bool) -> None:
    listed = sdk.flows.list(flows_only=flows_only)
    assert isinstance(listed[0], FlowResponse) and listed[0].flows
    tree = sdk.flows.get_by_resource("data_sinks", built["sink"].id, flows_only=flows_only)
    root = tree.flows[0]
    assert root.origin_node_id == root.id and root.parent_node_id is None
    child = root.children[0]
    assert child.parent_node_id == root.id and child.origin_node_id == root.id
    again = sdk.flows.get(root.id, flows_only=flows_only)
    assert again.flows[0].id == root.id
    if not flows_only:
        assert {s.id for s in tree.data_sinks} == {built["sink"].id}


def test_flow_run_metrics(sdk: NexlaClient, built: dict) -> None:
    tree = sdk.flows.get_by_resource("data_sources", built["source"].id)
    with_metrics = sdk.flows.get(tree.flows[0].id, include_run_metrics=True)
    assert with_metrics.metrics and all(isinstance(m, FlowMetrics) for m in with_metrics.metrics)
    assert with_metrics.metrics[0].origin_node_id == tree.flows[0].id


@pytest.mark.parametrize("resource_type", ["data_sources", ResourceType.DATA_SETS])
def test_metrics(sdk: NexlaClient, built: dict, resource_type: str | ResourceType) -> None:
    resource_id = built["source"].id if resource_type == "data_sources" else built["detected"].id
    daily = sdk.metrics.get_resource_daily_metrics(resource_type, resource_id, from_date="2020-01-01")
    assert isinstance(daily, MetricsResponse)
    assert [ResourceMetricDaily.model_validate(m) for m in daily.metrics]
    by_run = sdk.metrics.get_resource_metrics_by_run(resource_type, resource_id, page=1, size=5)
    assert isinstance(by_run, MetricsByRunResponse)
    assert [ResourceMetricsByRun.model_validate(m) for m in by_run.metrics["data"]]
    # These two fall back to a raw dict when validation fails, so the type is the assertion.
    flow_metrics = sdk.metrics.get_flow_metrics(resource_type, resource_id, from_date="2020-01-01")
    assert isinstance(flow_metrics, ResourceFlowMetricsResponse) and flow_metrics.metrics.data
    run_id = built["run"]["run_id"]
    logs = sdk.metrics.get_flow_logs(resource_type, resource_id, run_id=run_id, from_ts=1_000_000_000_000)
    assert isinstance(logs, ResourceFlowLogsResponse)
    source_logs = sdk.flows.get_logs("data_sources", built["source"].id, run_id, 1_000_000_000_000)
    assert isinstance(source_logs, FlowLogsResponse) and source_logs.logs
    assert isinstance(sdk.flows.get_metrics(resource_type, resource_id, "2020-01-01"), FlowMetricsApiResponse)


def test_rate_limits(sdk: NexlaClient, built: dict) -> None:
    limits = sdk.metrics.get_rate_limits()
    assert isinstance(limits, dict) and limits


def test_teams(sdk: NexlaClient, sandbox, built: dict) -> None:
    created = sdk.teams.create(TeamCreate(name="models team", members=[{"id": sandbox.users["operator"]}]))
    assert created.description == "" and created.member is False
    assert all(isinstance(t, Team) for t in sdk.teams.list())
    assert sdk.teams.get(created.id, expand=True).members[0].id == sandbox.users["operator"]
    assert all(isinstance(m, TeamMember) for m in sdk.teams.get_members(created.id))


def test_users(sdk: NexlaClient, sandbox, built: dict) -> None:
    users = sdk.users.list()
    assert users and all(isinstance(u, User) for u in users)
    expanded = sdk.users.list(expand=True)
    assert all(isinstance(u, UserExpanded) and u.account_summary is not None for u in expanded)
    admin = sdk.users.get(sandbox.users["admin"], expand=True)
    assert admin.org_memberships and admin.default_org.id == admin.org_memberships[0].id
    assert isinstance(sdk.users.get_current(), dict)


def test_projects(sdk: NexlaClient, built: dict) -> None:
    project = sdk.projects.create(ProjectCreate(name="models project"))
    assert project.description == ""
    root = sdk.flows.get_by_resource("data_sources", built["source"].id).flows[0]
    added = sdk.projects.add_flows(project.id, {"flows": [root.id]})
    assert added and all(isinstance(f, ProjectDataFlow) for f in added)
    assert all(isinstance(p, Project) for p in sdk.projects.list(expand=True))
    assert sdk.projects.get(project.id, expand=True).flows_count == 1
    assert sdk.projects.get_flows(project.id).flows[0].id == root.id


def test_notifications(sdk: NexlaClient, built: dict) -> None:
    listed = sdk.notifications.list()
    assert listed and all(isinstance(n, Notification) for n in listed)
    assert sdk.notifications.get(listed[0].id).id == listed[0].id
    assert sdk.notifications.list(read=0) is not None
    assert sdk.notifications.get_count().count >= 0


def test_code_resources(sdk: NexlaClient, built: dict) -> None:
    transform = sdk.transforms.create(TransformCreate(
        name="drop ssn", output_type="record", code_type="jolt", code_encoding="json",
        code=[{"operation": "remove", "spec": {"ssn": ""}}]))
    assert isinstance(sdk.transforms.get(transform.id), Transform)
    assert all(isinstance(t, Transform) for t in sdk.transforms.list() + sdk.transforms.list_public())
    attribute = sdk.attribute_transforms.create(AttributeTransformCreate(
        name="upper", output_type="string", code_type="python", code_encoding="text", code="lambda v: v.upper()"))
    assert isinstance(sdk.attribute_transforms.get(attribute.id), AttributeTransform)
    assert all(isinstance(t, AttributeTransform) for t in sdk.attribute_transforms.list())
    container = sdk.code_containers.create(CodeContainerCreate(
        name="container", output_type="record", code_type="jolt", code_encoding="json",
        code=[{"operation": "shift", "spec": {"a": "b"}}]))
    assert isinstance(sdk.code_containers.get(container.id), CodeContainer)
    assert all(isinstance(c, CodeContainer) for c in sdk.code_containers.list() + sdk.code_containers.list_public())
    assert isinstance(sdk.transforms.copy(transform.id), Transform)


def test_async_tasks(sdk: NexlaClient, built: dict) -> None:
    kind = sdk.async_tasks.types()[0]
    task = sdk.async_tasks.create(AsyncTaskCreate(type=kind, arguments={}))
    assert isinstance(task, AsyncTask)
    assert all(isinstance(t, AsyncTask) for t in sdk.async_tasks.list())
    assert sdk.async_tasks.get(task.id).id == task.id
    assert sdk.async_tasks.list_of_type(kind)


def test_orgs(sdk: NexlaClient, sandbox, built: dict) -> None:
    orgs = sdk.organizations.list()
    assert orgs and all(isinstance(o, Organization) for o in orgs)
    org = sdk.organizations.get(orgs[0].id)
    assert org.access_roles == ["admin"]
    assert all(isinstance(m, OrgMember) for m in sdk.organizations.get_members(org.id))
    assert isinstance(sdk.organizations.get_account_summary(org.id), AccountSummary)
    assert isinstance(sdk.organizations.get_current_account_summary(), AccountSummary)
    entries = sdk.organizations.get_audit_log(org.id)
    assert entries and all(isinstance(e, LogEntry) for e in entries)
    sinks = sdk.organizations.get_resource_audit_log(org.id, ResourceType.DATA_SINKS)
    assert sinks and {e.item_id for e in sinks} == {built["sink"].id}
    assert {e["id"] for e in sdk.request("GET", f"/orgs/{org.id}/data_sink/audit_log")} == {e.id for e in sinks}


@pytest.mark.parametrize("family", ["credentials", "sources", "nexsets", "destinations", "flows"])
def test_audit_logs(sdk: NexlaClient, built: dict, family: str) -> None:
    resource_id = {
        "credentials": built["credential"].id, "sources": built["source"].id, "nexsets": built["nexset"].id,
        "destinations": built["sink"].id,
        "flows": sdk.flows.get_by_resource("data_sources", built["source"].id).flows[0].id,
    }[family]
    entries = AUDIT_LOG.validate_python(getattr(sdk, family).get_audit_log(resource_id))
    assert "create" in {e.event for e in entries}
    assert all(e.request_user_agent.startswith("nexla-sdk") for e in entries)


def test_user_audit_log(sdk: NexlaClient, sandbox, built: dict) -> None:
    AUDIT_LOG.validate_python(sdk.users.get_audit_log(sandbox.users["admin"]))


def test_accessors_validate_with_a_discriminated_union(sdk: NexlaClient, sandbox, built: dict) -> None:
    entries = ACCESSORS.validate_python(sdk.request("GET", f"/data_sources/{built['source'].id}/accessors"))
    assert entries and entries[0].type == "USER"
    # The SDK's own parser hits contract 6.12 on any non-empty reply.
    with pytest.raises(AttributeError):
        sdk.sources.get_accessors(built["source"].id)
