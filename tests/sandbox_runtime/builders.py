"""Builders of flow records straight into the Store, as the sandbox's routes would create them."""

from __future__ import annotations

from nexla_sandbox.state.store import Store

OWNER = {"owner_id": 1, "org_id": 1}

GUIDE_TRANSFORM = {
    "version": 1,
    "operations": [
        {"operation": "flatten", "path": "line_items"},
        {"operation": "rename", "fields": {"line_items.sku": "sku"}},
        {"operation": "filter", "condition": "status != 'CANCELLED'"},
    ],
}


class Flow:
    """Builds flow records straight into the Store, as the sandbox's routes would."""

    def __init__(self, store: Store, owner: dict | None = None) -> None:
        self.store = store
        self.owner = owner or OWNER

    def source(self, path: str = "ingest/orders/", **config: object) -> dict:
        return self.store.create("data_sources", {
            "name": "orders", "status": "ACTIVE", "source_type": "s3",
            "source_config": {"path": path, **config},
        }, **self.owner)

    def nexset(self, parent_id: int, transform: dict | None = GUIDE_TRANSFORM) -> dict:
        return self.store.create("data_sets", {
            "name": "clean orders", "status": "ACTIVE", "parent_data_set_id": parent_id,
            "has_custom_transform": True, "transform": transform,
        }, **self.owner)

    def sink(self, data_set_id: int, path: str = "analytics/orders/", data_format: str = "parquet",
             compression: str = "snappy", status: str = "ACTIVE") -> dict:
        return self.store.create("data_sinks", {
            "name": "orders parquet", "status": status, "sink_type": "s3", "data_set_id": data_set_id,
            "sink_config": {"path": path, "data_format": data_format, "file_compression": compression},
        }, **self.owner)
