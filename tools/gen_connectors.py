"""Derive the connector catalogue ``scripts/nexla_ops/connectors.json`` from Nexla's OpenAPI.

``python tools/gen_connectors.py`` rewrites the file; ``--check`` exits 1 when the committed file
differs from a fresh generation (tests/operations/test_connectors.py runs the same comparison).

What comes from ``reference/nexla-openapi.json``: every connector code, which roles it can play
(the ``credentials_type``, ``source_type`` and ``sink_type`` discriminator lists), its category
(the ``ConnectorType*`` enums; ``rest``/``soap`` are APIs, the rest are Nexla's own), which codes
answer ``probe/tree`` (the ``probe_tree_common`` list) and the probe request bodies.

What the OpenAPI does not publish is each connector's credential fields. ``FIELD_TEMPLATES``
below holds the fields this product documents and tests (object stores, as REFERENCE.md and the
sandbox use them) and the usual JDBC fields; every other connector is marked ``fields_known:
false`` so no one mistakes a guess for the contract. Whether a field is secret is decided by
:func:`nexla_ops.redaction.is_secret_key`, the same rule that redacts it everywhere.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
OPENAPI = REPO / "reference" / "nexla-openapi.json"
TARGET = REPO / "scripts" / "nexla_ops" / "connectors.json"

sys.path.insert(0, str(REPO / "scripts"))
from nexla_ops.redaction import is_secret_key  # noqa: E402 - after the path set-up

_CATEGORY_ENUMS = {
    "ConnectorTypeFile": "file",
    "ConnectorTypeDatabase": "database",
    "ConnectorTypeNoSql": "nosql",
    "ConnectorTypeKafka": "streaming",
    "ConnectorTypeVectorDB": "vector",
}
_API_CODES = ("rest", "soap")
_ROLE_SCHEMAS = {"credential": "data_credential", "source": "data_source", "sink": "data_sink"}

# (field, required); secrecy is computed, never written here.
_S3 = (("access_key_id", True), ("secret_access_key", True), ("region", False), ("bucket", False))
_AZURE = (("account_name", True), ("account_key", False), ("sas_token", False), ("connection_string", False))
_JDBC = (("host", True), ("port", True), ("database", True), ("username", True), ("password", True))
FIELD_TEMPLATES: dict[str, tuple[tuple[str, bool], ...]] = {
    **{code: _S3 for code in ("s3", "min_io_s3", "delta_lake_s3", "s3_iceberg")},
    "gcs": (("service_account_json", True), ("bucket", False)),
    **{code: _AZURE for code in ("azure_blb", "azure_data_lake", "delta_lake_azure_blb", "delta_lake_azure_data_lake")},
    **{
        code: _JDBC
        for code in (
            "postgres", "mysql", "sqlserver", "oracle", "redshift", "db2", "teradata", "sybase", "as400",
            "cloudsql_mysql", "cloudsql_postgres", "cloudsql_sqlserver", "gcp_alloydb", "hana_jdbc",
        )
    },
}
_ONE_OF = {code: "one of account_key, sas_token, connection_string" for code, f in FIELD_TEMPLATES.items() if f is _AZURE}

# The formats and config keys this product validates and the sandbox runs, for file connectors.
FILE_FORMATS = {"input": ["json", "ndjson", "csv", "parquet"], "output": ["json", "ndjson", "csv", "parquet"],
                "compression": ["none", "gzip", "snappy"]}
SOURCE_CONFIG = {"file": ["path", "file_format", "start.cron"], "database": ["database", "table", "start.cron"]}
SINK_CONFIG = {"file": ["path", "data_format", "file_compression"], "database": ["database", "table"]}


def _discriminator_codes(schemas: dict[str, Any], name: str) -> list[str]:
    return list(schemas[name]["discriminator"]["x-nexla-mapping-values-without-schema"])


def _probe_bodies(spec: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    """The request body shapes of probe/tree and probe/sample, as property -> type lists."""
    out: dict[str, list[dict[str, Any]]] = {}
    for name in ("tree", "sample"):
        body = spec["paths"][f"/data_credentials/{{credential_id}}/probe/{name}"]["post"]["requestBody"]
        options = body["content"]["application/json"]["schema"]["oneOf"]
        out[name] = [
            {key: value.get("type") for key, value in option.get("properties", {}).items()}
            for option in options
            if option.get("properties")
        ]
    return out


def generate(spec: dict[str, Any]) -> dict[str, Any]:
    """The catalogue for ``spec`` (a parsed OpenAPI document)."""
    schemas = spec["components"]["schemas"]
    categories: dict[str, str] = {}
    for enum_name, category in _CATEGORY_ENUMS.items():
        for code in schemas[enum_name]["enum"]:
            categories[code] = category
    roles = {role: set(_discriminator_codes(schemas, name)) for role, name in _ROLE_SCHEMAS.items()}
    tree_codes = set(_discriminator_codes(schemas, "probe_tree_common"))
    connectors: dict[str, Any] = {}
    for code in sorted(set().union(*roles.values())):
        entry: dict[str, Any] = {
            "category": categories.get(code, "api" if code in _API_CODES else "nexla"),
            "roles": [role for role in _ROLE_SCHEMAS if code in roles[role]],
            "probe_tree": code in tree_codes,
        }
        template = FIELD_TEMPLATES.get(code)
        entry["fields_known"] = template is not None
        if template is not None:
            entry["credential_fields"] = [
                {"name": field, "secret": is_secret_key(field), "required": required} for field, required in template
            ]
        if code in _ONE_OF:
            entry["note"] = _ONE_OF[code]
        connectors[code] = entry
    return {
        "generated_from": "reference/nexla-openapi.json",
        "probe_bodies": _probe_bodies(spec),
        "file_formats": FILE_FORMATS,
        "source_config": SOURCE_CONFIG,
        "sink_config": SINK_CONFIG,
        "connectors": connectors,
    }


def render(catalogue: dict[str, Any]) -> str:
    """The committed text: one connector per line keeps diffs readable and the file small."""
    head = {key: value for key, value in catalogue.items() if key != "connectors"}
    lines = [json.dumps(head, sort_keys=True)[:-1] + ', "connectors": {']
    items = sorted(catalogue["connectors"].items())
    for index, (code, entry) in enumerate(items):
        comma = "," if index < len(items) - 1 else ""
        lines.append(f"  {json.dumps(code)}: {json.dumps(entry, sort_keys=True)}{comma}")
    lines.append("}}")
    return "\n".join(lines) + "\n"


def fresh_text() -> str:
    return render(generate(json.loads(OPENAPI.read_text(encoding="utf-8"))))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if the committed catalogue is stale")
    args = parser.parse_args(argv)
    text = fresh_text()
    if args.check:
        current = TARGET.read_text(encoding="utf-8") if TARGET.exists() else ""
        if current != text:
            print(f"{TARGET.relative_to(REPO)} is stale: run python tools/gen_connectors.py", file=sys.stderr)
            return 1
        return 0
    TARGET.write_text(text, encoding="utf-8")
    print(f"wrote {TARGET.relative_to(REPO)} ({len(json.loads(text)['connectors'])} connectors)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
