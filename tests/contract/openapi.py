"""Nexla's official OpenAPI as validators: one Draft 2020-12 validator per operation's 200 answer.

Readings of the document (written down because the conformance test depends on them):

* ``format: nullable`` marks a value that may also be ``null``. On a typed schema it adds ``"null"``
  to ``type``; as a member of ``allOf`` (``allOf: [{$ref: X}, {format: nullable}]``) it makes the
  whole ``allOf`` optional-null. No other format is asserted (``date-time`` and friends are
  annotations in 2020-12, and the document uses non-standard ones such as
  ``unix epoch in milliseconds``).
* A schema whose whole ``type`` is ``"null"`` constrains nothing. The document's schemas were
  derived from example answers, and a field that happened to be null there (``client_identifier``,
  ``sink_format``, ``copied_from_id`` ...) says nothing about the values it takes.
* ``minItems``/``maxItems`` written inside ``items`` of a pair whose members may be of any type
  (audit-log ``object_changes``: ``[before, after]``) bound the pair, not its members: the document
  nests them one level too deep.
* ``oneOf`` is read as ``anyOf``: the document's alternatives overlap (a nexset sample record fits
  both the plain and the ``rawMessage`` form, whose properties are all optional), so "exactly one"
  would refuse every answer that fits the first.
* An ``allOf`` whose members are all enumerations (a probe's ``connection_type``: file, database,
  NoSQL ... connector codes) lists alternatives, so it is read as ``anyOf``: no value is in every one.
* Paths written with a query (``/users?expand=1``) are the plain path called with that query.
* Every operation documents exactly one success status, 200; error statuses carry no body schema.
"""

from __future__ import annotations

import copy
from typing import Any

from jsonschema import Draft202012Validator
from referencing import Registry
from referencing.jsonschema import DRAFT202012

from tools.gen_coverage import Operation, load_openapi

URI = "urn:nexla-openapi"
RAW = load_openapi()
NULLABLE = {"format": "nullable"}


def is_enumeration(node: Any) -> bool:
    """Whether ``node`` (a local ``$ref`` followed in the raw document) is an ``enum`` schema."""
    while isinstance(node, dict) and "$ref" in node:
        target: Any = RAW
        for part in node["$ref"].removeprefix("#/").split("/"):
            target = target[part]
        node = target
    return isinstance(node, dict) and "enum" in node


def with_nullables(node: Any) -> Any:
    """A copy of ``node`` where every ``format: nullable`` also admits ``null``."""
    if isinstance(node, list):
        return [with_nullables(item) for item in node]
    if not isinstance(node, dict):
        return node
    node = {key: with_nullables(value) for key, value in node.items()}
    if node.get("type") in ("null", ["null"]):
        node.pop("type")
    if node.get("format") == "nullable":
        node.pop("format")
        kind = node.get("type")
        if isinstance(kind, str):
            node["type"] = [kind, "null"]
        elif isinstance(kind, list) and "null" not in kind:
            node["type"] = [*kind, "null"]
    if "oneOf" in node:
        node["anyOf"] = node.pop("oneOf")
    items = node.get("items")
    if isinstance(items, dict) and isinstance(items.get("type"), list) and len(items["type"]) > 1:
        for bound in ("minItems", "maxItems"):
            if bound in items:
                node[bound] = items.pop(bound)
    members = node.get("allOf")
    if isinstance(members, list) and len(members) > 1 and all(is_enumeration(m) for m in members):
        node["anyOf"] = node.pop("allOf")
        return node
    if isinstance(members, list) and {} in members:
        # {format: nullable} became {} above: the allOf as a whole may be null.
        rest: dict[str, Any] = {"allOf": [m for m in members if m != {}]}
        node.pop("allOf")
        if "anyOf" in node:
            rest["anyOf"] = node.pop("anyOf")
        node["anyOf"] = [{"type": "null"}, rest]
    return node


DOCUMENT = with_nullables(copy.deepcopy(RAW))
REGISTRY: Registry = Registry().with_resource(URI, DRAFT202012.create_resource(DOCUMENT))


def pointer_escape(part: str) -> str:
    return part.replace("~", "~0").replace("/", "~1")


def response_pointer(operation: Operation, status: str = "200") -> str | None:
    """JSON pointer to the body schema of ``operation``'s answer with ``status`` (None when it has none)."""
    node = DOCUMENT["paths"][operation.path][operation.method.lower()]["responses"].get(status)
    pointer = "/paths/" + pointer_escape(operation.path) + f"/{operation.method.lower()}/responses/{status}"
    while isinstance(node, dict) and "$ref" in node:
        pointer = node["$ref"].removeprefix("#")
        node = DOCUMENT
        for part in pointer.strip("/").split("/"):
            node = node[part.replace("~1", "/").replace("~0", "~")]
    if not isinstance(node, dict) or "schema" not in (node.get("content") or {}).get("application/json", {}):
        return None
    return pointer + "/content/application~1json/schema"


def validator(operation: Operation, status: str = "200") -> Draft202012Validator | None:
    pointer = response_pointer(operation, status)
    if pointer is None:
        return None
    return Draft202012Validator({"$ref": f"{URI}#{pointer}"}, registry=REGISTRY)


def declared_statuses(operation: Operation) -> set[str]:
    return set(DOCUMENT["paths"][operation.path][operation.method.lower()]["responses"])


def query_parameters(operation: Operation) -> list[dict[str, Any]]:
    item = DOCUMENT["paths"][operation.path]
    found = []
    for parameter in item.get("parameters", []) + item[operation.method.lower()].get("parameters", []):
        while "$ref" in parameter:
            target: Any = DOCUMENT
            for part in parameter["$ref"].removeprefix("#/").split("/"):
                target = target[part]
            parameter = target
        if parameter.get("in") == "query":
            found.append(parameter)
    return found


def has_request_body(operation: Operation) -> bool:
    return "requestBody" in DOCUMENT["paths"][operation.path][operation.method.lower()]
