"""Stored records -> the API shapes of the contract (section 4), for one caller.

Every object carries the caller's own ``access_roles`` (a list; an object ``{"roles": [...]}``
on transforms, attribute transforms and code containers, whose SDK models type it as a dict).
Credential secrets are never rendered: ``credentials_non_secure_data`` keeps only the fields
:data:`nexla_sandbox.connectors.NON_SECURE_CONFIG` lists as non-secret for the credential's type.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from nexla_sandbox.access import Access
from nexla_sandbox.connectors import non_secure_data
from nexla_sandbox.state import accessors
from nexla_sandbox.state.flows import root_of
from nexla_sandbox.state.store import Store

DESTINATION_TYPES = set(
    ["s3", "gcs", "azure_blb", "azure_data_lake", "ftp", "dropbox", "box", "gdrive", "sharepoint", "min_io_s3", "webdav", "mysql", "postgres", "supabase", "sqlserver", "oracle", "oracle_autonomous", "redshift", "snowflake", "snowflake_dcr", "bigquery", "databricks", "as400", "aws_athena", "azure_synapse", "cloudsql_mysql", "cloudsql_postgres", "cloudsql_sqlserver", "db2", "firebolt", "gcp_alloydb", "gcp_spanner", "hana_jdbc", "hive", "netsuite_jdbc", "sybase", "teradata", "delta_lake_azure_blb", "delta_lake_azure_data_lake", "delta_lake_s3", "s3_iceberg", "mongo", "dynamodb", "firebase", "kafka", "confluent_kafka", "google_pubsub", "jms", "tibco", "rest", "soap", "email", "data_map", "nexla_monitor", "pinecone"]
)
DESTINATION_FORMATS = {"json", "csv", "parquet", "avro", "xml", "delimited", "fixed_width"}
# Every key the SDK's OrgTier model requires (it reads the org's tier under ``account_tier``).
ACCOUNT_TIER = {"id": 1, "name": "SANDBOX", "display_name": "Sandbox", "record_count_limit": 0,
                "record_count_limit_time": "DAILY", "data_source_count_limit": 0, "trial_period_days": None}
CODE_KINDS = ("transforms", "attribute_transforms", "code_containers")
FILE_CONNECTORS = {"s3", "gcs", "azure_blb", "ftp", "dropbox", "box", "gdrive", "sharepoint", "file_upload",
                   "min_io_s3", "webdav", "azure_data_lake"}


def connection_type(code: str | None) -> str:
    if code in FILE_CONNECTORS:
        return "file"
    if code in {"nexla_rest", "rest", "soap", "api_push"}:
        return "api"
    if code in {"kafka", "confluent_kafka", "google_pubsub", "jms", "tibco"}:
        return "streaming"
    return "database"


def connector(code: str | None) -> dict:
    return {"id": abs(hash(code or "")) % 10000, "type": code or "unknown", "connection_type": connection_type(code),
            "name": (code or "unknown").replace("_", " ").title(), "description": f"{code} connector (sandbox)",
            "nexset_api_compatible": True}


@dataclass
class Renderer:
    """Renders records for one authenticated caller."""

    store: Store
    access: Access
    user: dict
    root_url: str = ""

    def owner(self, user_id: int | None) -> dict | None:
        user = self.store.get("users", user_id) if user_id else None
        return {"id": user["id"], "full_name": user["full_name"], "email": user["email"]} if user else None

    def org(self, org_id: int | None) -> dict | None:
        org = self.store.get("orgs", org_id) if org_id else None
        if org is None:
            return None
        return {"id": org["id"], "name": org["name"], "email_domain": org.get("email_domain"),
                "client_identifier": org.get("client_identifier")}

    def full_user(self, user_id: int | None) -> dict | None:
        """A user as ``GET /users/{id}`` shows it (the org model types its ``owner`` as a full User)."""
        user = self.store.get("users", user_id) if user_id else None
        return self.render("users", user) if user else None

    def roles(self, kind: str, record: dict) -> list[str]:
        return accessors.effective_roles(self.store, self.user["id"], kind, record)

    def common(self, kind: str, record: dict) -> dict:
        roles = self.roles(kind, record)
        return {
            "id": record["id"], "name": record.get("name"), "description": record.get("description") or "",
            "owner": self.owner(record.get("owner_id")), "org": self.org(record.get("org_id")),
            "owner_id": record.get("owner_id"), "org_id": record.get("org_id"),
            "access_roles": {"roles": roles} if kind in CODE_KINDS else roles,
            "tags": record.get("tags") or [], "copied_from_id": record.get("copied_from_id"),
            "managed": False, "created_at": record["created_at"], "updated_at": record["updated_at"],
        }

    def render(self, kind: str, record: dict, *, expand: bool = False, show_keys: bool = False) -> dict:
        """The API object for a record of ``kind``."""
        method = getattr(self, f"_{kind}", None)
        base = self.common(kind, record)
        if method is None:
            extra = {k: v for k, v in record.items() if k not in base and k not in {"deleted"}}
            return {**extra, **base}
        return method(record, base, expand=expand, show_keys=show_keys)

    def brief(self, data_set: dict) -> dict:
        return {"id": data_set["id"], "owner_id": data_set["owner_id"], "org_id": data_set["org_id"],
                "name": data_set.get("name"), "description": data_set.get("description"), "version": 1,
                "created_at": data_set["created_at"], "updated_at": data_set["updated_at"]}

    def _data_credentials(self, record: dict, base: dict, **_: Any) -> dict:
        used = {
            kind: [r["id"] for r in self.store.list(kind, {"data_credentials_id": record["id"]})]
            for kind in ("data_sources", "data_sinks")
        }
        # verified_at is a string in Nexla's OpenAPI: an unverified credential leaves it out.
        verified = {"verified_at": record["verified_at"]} if record.get("verified_at") else {}
        return {**base, "credentials_type": record["credentials_type"],
                "verified_status": record.get("verified_status", "UNVERIFIED"), **verified,
                "credentials_version": "1", "connector": connector(record["credentials_type"]),
                "credentials_non_secure_data": non_secure_data(record["credentials_type"],
                                                               self.store.credential_secrets(record["id"])),
                "api_keys": [], "template_config": record.get("template_config"),
                "referenced_resource_ids": used}

    def _data_sources(self, record: dict, base: dict, *, expand: bool, show_keys: bool) -> dict:
        detected = self.store.list("data_sets", {"data_source_id": record["id"], "parent_data_set_id": None})
        credential = self.store.get("data_credentials", record.get("data_credentials_id") or 0)
        keys = [
            {"id": k["id"], "url": f"{self.root_url}/webhook/{record['id']}", "created_at": k["created_at"],
             **({"api_key": k["api_key"]} if show_keys else {})}
            for k in record.get("api_keys", [])
        ]
        source_config = record.get("source_config") or {}
        file_format = source_config.get("file_format")
        shaped = {**base, "status": record.get("status", "INIT"), "source_type": record["source_type"],
                  "connector_type": record["source_type"], "connector": connector(record["source_type"]),
                  "ingest_method": record.get("ingest_method") or ("STREAMING" if record["source_type"] == "nexla_rest" else "POLL"),
                  "source_format": file_format.upper() if isinstance(file_format, str) else None,
                  "source_config": source_config, "poll_schedule": (source_config.get("start.cron")),
                  "data_credentials_id": record.get("data_credentials_id"),
                  "data_sets": [self.brief(d) for d in detected], "api_keys": keys,
                  "run_ids": record.get("run_ids") or [], "flow_type": record.get("flow_type") or "batch",
                  "auto_generated": False, "has_template": False, "template_config": record.get("template_config"),
                  "flow_node_id": record.get("flow_node_id"), "origin_node_id": record.get("flow_node_id")}
        if expand and credential is not None:
            shaped["data_credentials"] = self.render("data_credentials", credential)
        return shaped

    def _origin(self, kind: str, record: dict) -> int | None:
        root = root_of(self.store, kind, record)
        return root.get("flow_node_id") if root else None

    def simplified_sink(self, sink: dict) -> dict:
        sink_type = sink.get("sink_type")
        return {"id": sink["id"], "name": sink.get("name"), "owner_id": sink["owner_id"], "org_id": sink["org_id"],
                "status": sink.get("status"), "sink_type": sink_type if sink_type in DESTINATION_TYPES else None}

    def _data_sets(self, record: dict, base: dict, *, expand: bool, **_: Any) -> dict:
        parent = self.store.get("data_sets", record.get("parent_data_set_id") or 0)
        root = root_of(self.store, "data_sets", record)
        sinks = self.store.list("data_sinks", {"data_set_id": record["id"]})
        shaped = {**base, "status": record.get("status", "INIT"),
                  "data_source_id": record.get("data_source_id"),
                  "parent_data_set_id": record.get("parent_data_set_id"),
                  "parent_data_sets": [self.brief(parent)] if parent else [],
                  "data_sinks": [self.simplified_sink(s) for s in sinks],
                  "transform_id": record.get("transform_id"), "transform": record.get("transform"),
                  "has_custom_transform": bool(record.get("has_custom_transform")),
                  "output_schema": record.get("output_schema"),
                  "output_schema_annotations": record.get("output_schema_annotations"),
                  "output_schema_validation_enabled": bool(record.get("output_schema_validation_enabled")),
                  "output_validation_schema": record.get("output_validation_schema"),
                  "custom_config": record.get("custom_config"), "flow_type": record.get("flow_type") or "batch",
                  "flow_node_id": record.get("flow_node_id"),
                  "origin_node_id": root.get("flow_node_id") if root else None}
        if expand and root is not None:
            shaped["data_source"] = self.render("data_sources", root)
        return shaped

    def _data_sinks(self, record: dict, base: dict, *, expand: bool, **_: Any) -> dict:
        data_set = self.store.get("data_sets", record.get("data_set_id") or 0)
        root = root_of(self.store, "data_sinks", record)
        config = record.get("sink_config") or {}
        data_format = config.get("data_format")
        shaped = {**base, "status": record.get("status", "INIT"), "sink_type": record["sink_type"],
                  "connector_type": record["sink_type"], "connector": connector(record["sink_type"]),
                  "data_set_id": record.get("data_set_id"), "data_credentials_id": record.get("data_credentials_id"),
                  "data_source_id": root["id"] if root else None,
                  "sink_format": data_format if data_format in DESTINATION_FORMATS else None,
                  "sink_config": config, "sink_schedule": None, "in_memory": False,
                  "flow_type": record.get("flow_type") or "batch", "has_template": False,
                  "flow_node_id": record.get("flow_node_id"),
                  "origin_node_id": root.get("flow_node_id") if root else None}
        if data_set is not None:
            shaped["data_set"] = {"id": data_set["id"], "name": data_set.get("name") or "",
                                  "description": data_set.get("description"), "status": data_set.get("status"),
                                  "output_schema": data_set.get("output_schema"), "version": 1,
                                  "created_at": data_set["created_at"], "updated_at": data_set["updated_at"]}
        credential = self.store.get("data_credentials", record.get("data_credentials_id") or 0)
        if expand and credential is not None:
            shaped["data_credentials"] = self.render("data_credentials", credential)
        return shaped

    def _projects(self, record: dict, base: dict, **_: Any) -> dict:
        flows = [self.project_flow(record, entry) for entry in record.get("data_flows", [])]
        return {**base, "description": record.get("description") or "", "data_flows": flows, "flows": flows,
                "flows_count": len(flows), "client_identifier": record.get("client_identifier"),
                "client_url": record.get("client_url")}

    def project_flow(self, project: dict, entry: dict) -> dict:
        return {"id": entry["id"], "project_id": project["id"], "data_source_id": entry.get("data_source_id"),
                "data_set_id": entry.get("data_set_id"), "data_sink_id": entry.get("data_sink_id"),
                "flow_node_id": entry.get("flow_node_id"), "name": entry.get("name"),
                "description": entry.get("description"), "created_at": entry.get("created_at"),
                "updated_at": entry.get("updated_at")}

    def _teams(self, record: dict, base: dict, **_: Any) -> dict:
        members = []
        for member in record.get("members", []):
            user = self.store.get("users", member["id"])
            if user:
                members.append({"id": user["id"], "email": user["email"], "admin": bool(member.get("admin"))})
        return {**base, "description": record.get("description") or "", "members": members,
                "member": any(m["id"] == self.user["id"] for m in members)}

    def _code(self, kind: str, record: dict, base: dict) -> dict:
        used = [d["id"] for d in self.store.list("data_sets", {"transform_id": record["id"]})]
        # Nexla's OpenAPI: every reusable transform is a code container of resource_type "transform"
        # unless made as something else (ai_function, source, sink, error, validator).
        shaped = {**base, "resource_type": record.get("resource_type") or "transform",
                  "reusable": record.get("reusable", True), "code_type": record.get("code_type"),
                  "output_type": record.get("output_type"), "code_encoding": record.get("code_encoding"),
                  "code": record.get("code"), "code_config": record.get("code_config") or {},
                  "custom_config": record.get("custom_config"), "data_credentials": None,
                  "runtime_data_credentials": None, "data_sets": used}
        if kind == "code_containers":
            shaped["public"] = bool(record.get("public"))
            if record.get("ai_function_type"):
                shaped["ai_function_type"] = record["ai_function_type"]
        return shaped

    def _transforms(self, record: dict, base: dict, **_: Any) -> dict:
        return self._code("transforms", record, base)

    def _attribute_transforms(self, record: dict, base: dict, **_: Any) -> dict:
        return self._code("attribute_transforms", record, base)

    def _code_containers(self, record: dict, base: dict, **_: Any) -> dict:
        return self._code("code_containers", record, base)

    def _notifications(self, record: dict, base: dict, **_: Any) -> dict:
        return {**base, "level": record.get("level", "INFO"), "resource_type": record.get("resource_type") or "SOURCE",
                "resource_id": record.get("resource_id"), "message_id": int(record.get("message_id") or 0),
                "message": record.get("message") or "",
                # read_at is a string in Nexla's OpenAPI: an unread notification leaves it out.
                **({"read_at": record["read_at"]} if record.get("read_at") else {})}

    def _async_tasks(self, record: dict, base: dict, **_: Any) -> dict:
        return {"id": record["id"], "type": record.get("type"), "status": record.get("status"),
                "priority": record.get("priority"), "arguments": record.get("arguments") or {},
                "result": record.get("result"), "error": record.get("error"),
                "owner_id": record.get("owner_id"), "org_id": record.get("org_id"),
                "started_at": record.get("started_at"), "finished_at": record.get("finished_at"),
                "acknowledged": bool(record.get("acknowledged")),
                "created_at": record["created_at"], "updated_at": record["updated_at"]}

    def memberships(self, user_id: int) -> list[dict]:
        found = []
        for org in self.store.list("orgs"):
            for member in org.get("members", []):
                if member["id"] == user_id:
                    found.append({"id": org["id"], "name": org["name"],
                                  "org_membership_status": member.get("status", "ACTIVE"),
                                  "is_admin": bool(member.get("is_admin"))})
        return found

    def _users(self, record: dict, base: dict, *, expand: bool, **_: Any) -> dict:
        default_org = self.store.get("orgs", record.get("default_org_id") or 0)
        shaped = {"id": record["id"], "email": record["email"], "full_name": record["full_name"],
                  "impersonated": False, "super_user": False, "status": record.get("status", "ACTIVE"),
                  "account_locked": False, "user_tier": record.get("user_tier"),
                  "default_org": {"id": default_org["id"], "name": default_org["name"]} if default_org else None,
                  "org_memberships": self.memberships(record["id"]), "email_verified_at": record["created_at"],
                  "tos_signed_at": record["created_at"], "created_at": record["created_at"],
                  "updated_at": record["updated_at"]}
        if expand:
            shaped["account_summary"] = self.account_summary(owner_id=record["id"])
        return shaped

    def resource_counts(self, where: dict) -> dict[str, dict[str, int] | dict[str, dict[str, int]]]:
        """``{total, active, paused}`` per resource family (nexsets split into derived and detected)."""

        def counts(records: list[dict]) -> dict[str, int]:
            return {"total": len(records), "active": sum(r.get("status") == "ACTIVE" for r in records),
                    "paused": sum(r.get("status") == "PAUSED" for r in records)}

        data_sets = self.store.list("data_sets", where)
        return {
            "data_sources": counts(self.store.list("data_sources", where)),
            "data_sets": {"derived": counts([d for d in data_sets if d.get("parent_data_set_id")]),
                          "detected": counts([d for d in data_sets if not d.get("parent_data_set_id")])},
            "data_sinks": counts(self.store.list("data_sinks", where)),
        }

    def account_summary(self, *, owner_id: int) -> dict:
        """A user's ``account_summary`` (SDK ``UserAccountSummary``: every family a dict of count dicts)."""
        counts = self.resource_counts({"owner_id": owner_id})
        return {"data_sources": {"counts": counts["data_sources"]}, "data_sets": counts["data_sets"],
                "data_sinks": {"counts": counts["data_sinks"]},
                "data_maps": {"counts": {"total": 0, "active": 0, "paused": 0}}}

    def org_account_summary(self, org_id: int) -> dict:
        """An org's account summary (SDK ``AccountSummary``: sources and sinks are flat count dicts)."""
        return {"org_id": org_id, **self.resource_counts({"org_id": org_id})}

    def _orgs(self, record: dict, base: dict, **_: Any) -> dict:
        is_admin = any(m["id"] == self.user["id"] and m.get("is_admin") for m in record.get("members", []))
        is_member = any(m["id"] == self.user["id"] for m in record.get("members", []))
        return {"id": record["id"], "name": record["name"], "email_domain": record.get("email_domain"),
                "client_identifier": record.get("client_identifier"), "status": record.get("status", "ACTIVE"),
                "access_roles": ["admin"] if is_admin else (["collaborator"] if is_member else []),
                "owner": self.full_user(record.get("owner_id")), "self_signup": False, "features_enabled": [],
                "account_tier": ACCOUNT_TIER, "account_tier_name": ACCOUNT_TIER["name"],
                "account_tier_display_name": ACCOUNT_TIER["display_name"],
                "members_count": len(record.get("members", [])),
                "created_at": record["created_at"], "updated_at": record["updated_at"]}

    def org_member(self, member: dict) -> dict | None:
        user = self.store.get("users", member["id"])
        if user is None:
            return None
        return {"id": user["id"], "full_name": user["full_name"], "email": user["email"],
                "is_admin?": bool(member.get("is_admin")), "is_admin": bool(member.get("is_admin")),
                "org_membership_status": member.get("status", "ACTIVE"), "user_status": user.get("status", "ACTIVE")}
