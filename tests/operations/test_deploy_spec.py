"""Deploy spec parsing and schema: errors name the field path; no sandbox needed."""

from __future__ import annotations

import pytest

from nexla_ops.operations.deploy import SpecError, load_spec, parse_spec, spec_json_schema
from nexla_ops.operations.deploy.spec import resolve_fields
from tests.helpers.deploy import SECRET_ENV, spec_data, spec_yaml


def test_guide_example_loads_without_secrets(tmp_path):
    spec = load_spec("examples/orders_to_parquet.yaml")
    assert spec.tag == "nexla-ops:orders-to-parquet"
    assert spec.credential.fields["secret_access_key"].from_env == "NEXLA_SECRET_DEMO_S3"
    assert [op["operation"] for op in spec.nexsets[0].transform["operations"]] == ["flatten", "rename", "filter"]


def test_yaml_text_and_json_file_give_the_same_spec(tmp_path):
    import json

    path = tmp_path / "spec.json"
    path.write_text(json.dumps(spec_data()))
    assert load_spec(path) == load_spec(spec_yaml())


@pytest.mark.parametrize(
    ("change", "path"),
    [
        (lambda d: d["nexsets"][0].update(transform_id=3), "nexsets[0]"),
        (lambda d: d["destinations"][0].update({"from": "nope"}), "destinations[0].from"),
        (lambda d: d["credential"].update(id=0), "credential.id"),
        (lambda d: d["credential"]["fields"].update(secret_access_key={"from_env": 5}), "credential.fields.secret_access_key.from_env"),
        (lambda d: d["source"].pop("type"), "source.type"),
        (lambda d: d.update(destinations=[]), "destinations"),
        (lambda d: d.update(colour="red"), "colour"),
        (lambda d: d.update(name="has space"), "name"),
    ],
)
def test_invalid_spec_names_the_field(change, path):
    data = spec_data()
    change(data)
    with pytest.raises(SpecError) as caught:
        parse_spec(data)
    assert path in [issue.path for issue in caught.value.issues], caught.value.issues
    assert caught.value.to_dict()["exit_code"] == 2


def test_broken_yaml_says_where():
    with pytest.raises(SpecError, match="line 2"):
        load_spec("name: x\n  bad: [\n")


def test_missing_environment_variable_names_field_and_variable():
    spec = parse_spec(spec_data())
    with pytest.raises(SpecError) as caught:
        resolve_fields(spec.credential.fields, "credential.fields", env={})
    assert caught.value.issues[0].path == "credential.fields.secret_access_key"
    assert SECRET_ENV in caught.value.issues[0].message
    assert resolve_fields(spec.credential.fields, "credential.fields", env={SECRET_ENV: "s3cr3t!"})["secret_access_key"] == "s3cr3t!"


def test_schema_documents_every_top_level_field():
    schema = spec_json_schema()
    props = schema["properties"]
    assert set(props) >= {"name", "project", "credential", "source", "nexsets", "destinations", "activate", "discovery_timeout_s"}
    assert "nexla-ops:" in props["name"]["description"]
    assert "from" in schema["$defs"]["DestinationSpec"]["properties"]
