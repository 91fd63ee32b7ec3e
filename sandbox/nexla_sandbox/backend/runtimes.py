"""Runtime rules (``/runtimes``): custom runtime images a code container can run in (CRUD, activate, pause).

The sandbox runs every flow in-process, so a runtime is bookkeeping: its ``dockerpath`` and
``config`` are stored and shown, and ``active`` follows activate/pause. New runtimes start paused unless created ``active``.
"""

from __future__ import annotations

from nexla_sandbox.backend import Caller
from nexla_sandbox.backend.records import Family, change
from nexla_sandbox.errors import bad_request
from nexla_sandbox.params import optional_dict, require_str


def fields_of(body: dict) -> dict:
    fields: dict = {}
    if "description" in body:
        fields["description"] = require_str(body, "description", required=False) or ""
    if "dockerpath" in body:
        fields["dockerpath"] = require_str(body, "dockerpath", required=False) or ""
    if "config" in body:
        fields["config"] = optional_dict(body, "config") or {}
    for name in ("managed", "active"):
        if name in body:
            if not isinstance(body[name], bool):
                raise bad_request(f"'{name}' must be true or false", name)
            fields[name] = body[name]
    return fields


def create(caller: Caller, body: dict) -> dict:
    return {"name": require_str(body, "name"), "description": "", "dockerpath": "", "config": {},
            "active": False, **fields_of(body)}


def update(caller: Caller, record: dict, body: dict) -> dict:
    fields = fields_of(body)
    if "name" in body:
        fields["name"] = require_str(body, "name")
    return fields


def set_active(caller: Caller, id: int, active: bool) -> dict:
    """Activate or pause a runtime (operator role); returns the record as it is now."""
    record = caller.access.require(caller.user, "runtimes", id, "operate")
    return change(caller, "runtimes", record, {"active": active}, "activate" if active else "pause")


FAMILY = Family("runtimes", create, update)
