"""Models: required fields per the contract, unknown fields kept, accessors discriminated."""

import pydantic
import pytest

from nexla_ops.domain import (
    Credential,
    DailyMetrics,
    Destination,
    FlowTree,
    LogsPage,
    Nexset,
    RunSummaryPage,
    Source,
    TeamAccessor,
    UserAccessor,
    parse_accessors,
)


def test_unknown_fields_are_kept_and_nulls_tolerated():
    src = Source.model_validate(
        {"id": 1, "name": "s", "status": "ACTIVE", "source_type": "s3", "data_sets": None, "tags": None, "brand_new": 1}
    )
    assert src.data_sets == [] and src.tags == [] and src.model_extra == {"brand_new": 1}
    assert src.to_dict()["brand_new"] == 1


@pytest.mark.parametrize(
    ("model", "body", "missing"),
    [
        (Source, {"id": 1, "name": "s", "status": "ACTIVE"}, "source_type"),
        (Destination, {"id": 1, "name": "d", "sink_type": "s3"}, "status"),
        (Credential, {"id": 1, "name": "c"}, "credentials_type"),
        (Nexset, {"name": "n"}, "id"),
        (FlowTree, {"data_sources": []}, "flows"),
        (DailyMetrics, {"metrics": []}, "status"),
    ],
)
def test_required_fields(model, body, missing):
    with pytest.raises(pydantic.ValidationError) as info:
        model.model_validate(body)
    assert missing in str(info.value)


def test_accessor_union_is_discriminated_on_type():
    parsed = parse_accessors(
        [
            {"type": "USER", "email": "a@example.com", "access_roles": ["operator"]},
            {"type": "TEAM", "id": 4, "access_roles": ["admin"]},
            {"type": "ORG", "email_domain": "example.com", "access_roles": ["collaborator"]},
        ]
    )
    assert isinstance(parsed[0], UserAccessor) and isinstance(parsed[1], TeamAccessor)
    assert parsed[2].type == "ORG"
    assert parse_accessors({"not": "a list"}) == []
    with pytest.raises(pydantic.ValidationError):
        parse_accessors([{"type": "ROBOT", "id": 1}])


def test_flow_tree_walks_every_node():
    tree = FlowTree.model_validate(
        {"flows": [{"id": 1, "origin_node_id": 1, "data_source_id": 5, "children": [
            {"id": 2, "origin_node_id": 1, "parent_node_id": 1, "data_set_id": 6, "children": [
                {"id": 3, "origin_node_id": 1, "parent_node_id": 2, "data_sink_id": 7}]}]}]}
    )
    assert [n.id for n in tree.nodes()] == [1, 2, 3]


def test_camel_case_envelopes():
    runs = RunSummaryPage.model_validate(
        {"status": 200, "metrics": {"data": [{"runId": 9, "dataSetId": 2, "records": 3, "size": 4, "errors": 1}],
                                    "meta": {"currentPage": 1, "pageCount": 1, "totalCount": 1}}}
    )
    assert runs.rows[0].run_id == 9 and runs.meta.total_count == 1
    logs = LogsPage.model_validate({"status": 200, "logs": [{"level": "ERROR", "message": "bad"}], "meta": {"pageCount": 2}})
    assert logs.logs[0].level == "ERROR" and logs.meta.page_count == 2
