"""describe_connector from the packaged catalogue; the catalogue is exactly what the generator derives."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

from nexla_ops.operations.connectors import catalogue, describe_connector, secret_fields
from nexla_ops.redaction import is_secret_key

REPO = Path(__file__).resolve().parents[2]


def _generator():
    spec = importlib.util.spec_from_file_location("gen_connectors", REPO / "tools" / "gen_connectors.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_committed_catalogue_equals_a_fresh_generation() -> None:
    committed = (REPO / "scripts" / "nexla_ops" / "connectors.json").read_text(encoding="utf-8")
    assert committed == _generator().fresh_text(), "run python tools/gen_connectors.py"


def test_every_discriminator_code_of_the_openapi_is_described() -> None:
    spec = json.loads((REPO / "reference" / "nexla-openapi.json").read_text(encoding="utf-8"))
    schemas = spec["components"]["schemas"]
    for schema, role in (("data_credential", "credential"), ("data_source", "source"), ("data_sink", "sink")):
        for code in schemas[schema]["discriminator"]["x-nexla-mapping-values-without-schema"]:
            assert role in describe_connector(code).roles, (code, role)
    assert "credential" not in describe_connector("file_upload").roles  # a source-only code


def test_s3_fields_secrets_config_and_formats() -> None:
    s3 = describe_connector("S3 ")
    assert s3.connector == "s3" and s3.category == "file" and s3.roles == ["credential", "source", "sink"]
    secret = {f.name: f.secret for f in s3.credential_fields}
    assert secret["secret_access_key"] is True and secret["access_key_id"] is False
    assert "path" in s3.source_config and "data_format" in s3.sink_config
    assert "parquet" in s3.formats["output"] and s3.probe["tree"] is True
    assert "from_env" in (s3.note or "")
    assert secret_fields("gcs") == {"service_account_json"}


def test_catalogue_secrecy_is_the_redaction_rule() -> None:
    for entry in catalogue()["connectors"].values():
        for field in entry.get("credential_fields", []):
            assert field["secret"] is is_secret_key(field["name"]), field


def test_unknown_fields_are_said_to_be_unknown() -> None:
    kafka = describe_connector("kafka")
    assert kafka.fields_known is False and kafka.credential_fields == []
    assert "does not publish" in (kafka.note or "")


def test_listing_by_category_and_bad_codes() -> None:
    listed = describe_connector(category="file")
    assert list(listed.connectors) == ["file"] and "s3" in listed.connectors["file"]
    assert sum(len(codes) for codes in describe_connector().connectors.values()) == len(catalogue()["connectors"])
    with pytest.raises(ValueError, match="Did you mean postgres"):
        describe_connector("postgress")
    with pytest.raises(ValueError, match="category"):
        describe_connector(category="nothing")
