"""The connector codes Nexla accepts, as listed by ``reference/nexla-openapi.json``.

Each list is the ``x-nexla-mapping-values-without-schema`` of the discriminator of the
``data_credential``, ``data_source`` and ``data_sink`` schemas; tests/sandbox/test_real_behaviour.py
checks they stay equal to the OpenAPI. Any other ``credentials_type``, ``source_type`` or
``sink_type`` is refused with 400 "Invalid connector type".
"""

from __future__ import annotations

from nexla_sandbox.errors import bad_request
from nexla_sandbox.runtime.paths import ConnectorPathError, path_parts

CREDENTIAL_TYPES: frozenset[str] = frozenset(["as400", "aws_athena", "azure_blb", "azure_data_lake", "azure_synapse", "bigquery", "box", "cloudsql_mysql", "cloudsql_postgres", "cloudsql_sqlserver", "confluent_kafka", "databricks", "db2", "delta_lake_azure_blb", "delta_lake_azure_data_lake", "delta_lake_s3", "dropbox", "dynamodb", "firebase", "firebolt", "ftp", "gcp_alloydb", "gcp_spanner", "gcs", "gdrive", "google_pubsub", "hana_jdbc", "hive", "jms", "kafka", "min_io_s3", "mongo", "mysql", "netsuite_jdbc", "nexla_monitor", "oracle", "oracle_autonomous", "pinecone", "postgres", "redshift", "rest", "s3", "s3_iceberg", "sharepoint", "snowflake", "snowflake_dcr", "soap", "sqlserver", "sybase", "teradata", "tibco", "webdav"])

SOURCE_TYPES: frozenset[str] = frozenset(["as400", "aws_athena", "azure_blb", "azure_data_lake", "azure_synapse", "bigquery", "box", "cloudsql_mysql", "cloudsql_postgres", "cloudsql_sqlserver", "confluent_kafka", "databricks", "db2", "dropbox", "dynamodb", "file_upload", "firebase", "firebolt", "ftp", "gcp_alloydb", "gcp_spanner", "gcs", "gdrive", "google_pubsub", "hana_jdbc", "hive", "jms", "kafka", "min_io_s3", "mongo", "mysql", "netsuite_jdbc", "nexla_monitor", "nexla_rest", "oracle", "oracle_autonomous", "pinecone", "postgres", "redshift", "rest", "s3", "s3_iceberg", "sharepoint", "snowflake", "soap", "sqlserver", "sybase", "teradata", "tibco", "webdav"])

SINK_TYPES: frozenset[str] = frozenset(["as400", "azure_blb", "azure_data_lake", "azure_synapse", "bigquery", "box", "cloudsql_mysql", "cloudsql_postgres", "cloudsql_sqlserver", "confluent_kafka", "data_map", "databricks", "delta_lake_azure_blb", "delta_lake_azure_data_lake", "delta_lake_s3", "dropbox", "dynamodb", "email", "firebase", "firebolt", "ftp", "gcp_alloydb", "gcp_spanner", "gcs", "gdrive", "google_pubsub", "jms", "kafka", "min_io_s3", "mongo", "mysql", "netsuite_jdbc", "oracle", "oracle_autonomous", "pinecone", "postgres", "redshift", "rest", "s3", "s3_iceberg", "sharepoint", "snowflake", "snowflake_dcr", "sqlserver", "teradata", "tibco"])

# The fields each credential type shows in ``credentials_non_secure_data`` (Nexla keeps such a
# ``non_secure_config`` list per connector type). Everything else a credential holds is secret: a type
# or field missing here is never shown (fail closed). tests/sandbox/test_credential_non_secure.py
# checks these agree with the secret flags of scripts/nexla_ops/connectors.json.
_JDBC = frozenset({"host", "port", "database", "username"})
_S3 = frozenset({"access_key_id", "region", "bucket"})
_AZURE = frozenset({"account_name", "container"})
NON_SECURE_CONFIG: dict[str, frozenset[str]] = {
    **dict.fromkeys(["as400", "cloudsql_mysql", "cloudsql_postgres", "cloudsql_sqlserver", "db2", "gcp_alloydb",
                     "hana_jdbc", "mysql", "oracle", "postgres", "redshift", "sqlserver", "sybase", "teradata"], _JDBC),
    **dict.fromkeys(["s3", "delta_lake_s3", "min_io_s3", "s3_iceberg"], _S3),
    **dict.fromkeys(["azure_blb", "azure_data_lake", "delta_lake_azure_blb", "delta_lake_azure_data_lake"], _AZURE),
    "gcs": frozenset({"bucket"}),
}


def non_secure_data(credentials_type: str | None, secrets: dict) -> dict:
    """The fields of a credential that Nexla shows: its type's non-secret fields with a plain value."""
    shown = NON_SECURE_CONFIG.get(credentials_type or "", frozenset())
    return {k: v for k, v in secrets.items() if k in shown and isinstance(v, str | int | float | bool)}


FIELD_TYPES = {"credentials_type": CREDENTIAL_TYPES, "source_type": SOURCE_TYPES, "sink_type": SINK_TYPES}


def check_connector_type(field: str, code: str) -> str:
    """``code`` when Nexla knows it for ``field``; 400 "Invalid connector type" naming the field otherwise."""
    if code not in FIELD_TYPES[field]:
        raise bad_request(f"Invalid connector type: '{field}' {code!r} is not a Nexla connector code", field)
    return code


def check_config_path(config: dict | None, field: str) -> None:
    """400 naming ``field`` (e.g. ``source_config.path``) unless the config's ``path`` is a safe relative path.

    Checked at create and update so a bad path never reaches a run.
    """
    try:
        path_parts((config or {}).get("path"), field=field)
    except ConnectorPathError as error:
        raise bad_request(str(error), field) from None
