"""The deployment spec: one YAML or JSON file describing a whole flow.

Shape (every field documented in :func:`spec_json_schema`)::

    name: orders-to-parquet            # deployment name; resources get the tag nexla-ops:<name>
    project: analytics                 # optional; created if missing, the flow is added to it
    credential: {id: 12}               # or {name, type, fields: {key: value | {from_env: VAR}}}
    source: {name, type, config: {...}}
    nexsets:                           # a chain: the first derives from the source's detected nexset
      - {name, transform: {version: 1, transforms: [...]}}   # official Nexla form, a Jolt list, or transform_id: 7
    destinations:
      - {name, type, config: {...}, from: <nexset name>, credential: {...}}
    activate: true
    discovery_timeout_s: 60
    transform_dialect: official        # or authoring: send {version: 1, operations: [...]} as written (sandbox only)

Secrets never live in the file: a credential field may be ``{from_env: VAR}``, read at validate time.
"""

from __future__ import annotations

import difflib
import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Discriminator, Field, Tag, model_validator
from pydantic import ValidationError as PydanticValidationError

from nexla_ops.operations.guidance import current_face
from nexla_ops.secrets import (
    DotenvRef,
    EnvRef,
    KeyringRef,
    SecretSourceError,
    UserRef,
    as_secret_ref,
    literal_secret_message,
    ref_tag,
    resolve_secret,
)

TAG_PREFIX = "nexla-ops:"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


_UNION_TAGS = ("env-ref", "keyring-ref", "dotenv-ref", "user-ref", "literal", "existing-credential", "new-credential")

FieldValue = Annotated[
    Annotated[EnvRef, Tag("env-ref")] | Annotated[KeyringRef, Tag("keyring-ref")]
    | Annotated[DotenvRef, Tag("dotenv-ref")] | Annotated[UserRef, Tag("user-ref")]
    | Annotated[str | int | float | bool, Tag("literal")],
    Discriminator(ref_tag),
]


class CredentialRef(_Strict):
    """Use an existing credential by id (it is probed, never changed)."""

    id: int = Field(ge=1, description="Id of an existing credential.")


class CredentialDef(_Strict):
    """A credential this deployment creates (or reuses when it exists with the same name and tag).

    Secrets of an existing credential are not compared or replaced: rotate them with
    rotate_credential."""

    name: str = Field(min_length=1, description="Credential name.")
    type: str = Field(min_length=1, description="Connector code, e.g. s3, postgres.")
    description: str | None = Field(default=None, description="Optional description.")
    fields: dict[str, FieldValue] = Field(
        default_factory=dict,
        description="Connection fields; a secret names its source ({from_env: VAR}, {from_keyring: NAME}, "
        "{from_dotenv: {file, key}}, {from_user: LABEL}) so the file holds none.",
    )

    @model_validator(mode="after")
    def _no_literal_secrets(self) -> CredentialDef:
        refused = [literal_secret_message(k) for k, v in self.fields.items() if isinstance(v, str) and v]
        if any(refused):
            raise ValueError("; ".join(m for m in refused if m))
        return self


def _credential_tag(value: Any) -> str:
    if isinstance(value, CredentialRef) or (isinstance(value, dict) and "id" in value):
        return "existing-credential"
    return "new-credential"


CredentialSpec = Annotated[
    Annotated[CredentialRef, Tag("existing-credential")] | Annotated[CredentialDef, Tag("new-credential")],
    Discriminator(_credential_tag),
]


class SourceSpec(_Strict):
    """The source that ingests data."""

    name: str = Field(min_length=1, description="Source name (unique within the deployment).")
    type: str = Field(min_length=1, description="Connector code (source_type), e.g. s3.")
    description: str | None = Field(default=None, description="Optional description.")
    config: dict[str, Any] = Field(default_factory=dict, description="source_config, e.g. {path, file_format}.")


class NexsetSpec(_Strict):
    """A derived nexset. The first one derives from the source's detected nexset, each next one
    from the previous one."""

    name: str = Field(min_length=1, description="Nexset name (unique within the deployment).")
    description: str | None = Field(default=None, description="Optional description.")
    transform: dict[str, Any] | list[dict[str, Any]] | None = Field(
        default=None,
        description="Inline transform: the official {version, data_maps, transforms: [...], custom_config}, a bare "
        "Jolt list, or the authoring {version: 1, operations: [...]} (converted to the official form; see TRANSFORMS.md).",
    )
    transform_id: int | None = Field(default=None, ge=1, description="A reusable transform's id instead of an inline one.")

    @model_validator(mode="after")
    def _one_transform(self) -> NexsetSpec:
        if (self.transform is None) == (self.transform_id is None):
            raise ValueError("give exactly one of transform or transform_id")
        return self


class DestinationSpec(_Strict):
    """A destination (sink) fed by one nexset of the chain."""

    name: str = Field(min_length=1, description="Destination name (unique within the deployment).")
    type: str = Field(min_length=1, description="Connector code (sink_type), e.g. s3.")
    description: str | None = Field(default=None, description="Optional description.")
    credential: CredentialSpec | None = Field(default=None, description="Defaults to the flow's credential.")
    config: dict[str, Any] = Field(default_factory=dict, description="sink_config, e.g. {path, data_format, file_compression}.")
    from_: str | None = Field(
        default=None, alias="from", description="Name of the nexset that feeds it; default the last of the chain."
    )


class FlowSpec(_Strict):
    """A whole deployment: credential -> source -> nexset chain -> destinations."""

    name: str = Field(
        min_length=1, max_length=100, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$",
        description="Deployment name; every resource it creates carries the tag nexla-ops:<name>.",
    )
    project: str | None = Field(default=None, description="Project name; created if missing, the flow is added to it.")
    credential: CredentialSpec = Field(description="The flow's credential: {id} of an existing one, or {name, type, fields}.")
    source: SourceSpec
    nexsets: list[NexsetSpec] = Field(default_factory=list, description="Chain of derived nexsets, in order.")
    destinations: list[DestinationSpec] = Field(min_length=1, description="One or more destinations.")
    activate: bool = Field(default=True, description="Activate the whole flow after apply.")
    discovery_timeout_s: float = Field(
        default=60.0, gt=0, le=3600, description="How long to wait for the source's detected nexset."
    )
    transform_dialect: Literal["official", "authoring"] = Field(
        default="official",
        description="official: nexset transforms are sent in Nexla's documented format (authoring operations "
        "converted; one with no official equivalent is a validation error). authoring: the authoring "
        "{version: 1, operations: [...]} is sent as written; only the local sandbox runs it, real Nexla does not "
        "document it.",
    )

    @model_validator(mode="after")
    def _names(self) -> FlowSpec:
        nexset_names = [n.name for n in self.nexsets]
        for index, name in enumerate(nexset_names):
            if name in nexset_names[:index]:
                raise ValueError(f"nexsets[{index}].name: duplicate nexset name {name!r}")
        sink_names = [d.name for d in self.destinations]
        for index, sink in enumerate(self.destinations):
            if sink.name in sink_names[:index]:
                raise ValueError(f"destinations[{index}].name: duplicate destination name {sink.name!r}")
            if sink.from_ is not None and sink.from_ not in nexset_names:
                choices = ", ".join(nexset_names) or "(no nexsets: omit 'from' to use the detected nexset)"
                raise ValueError(f"destinations[{index}].from: unknown nexset {sink.from_!r}; use one of {choices}")
        return self

    @property
    def tag(self) -> str:
        """The tag recorded on every resource of this deployment."""
        return TAG_PREFIX + self.name


class SpecIssue(BaseModel):
    """One problem in a spec, with the dotted path of the field, e.g. ``nexsets[0].transform``."""

    path: str
    message: str


class SpecError(ValueError):
    """The spec is invalid; ``issues`` lists every problem by field path."""

    def __init__(self, issues: list[SpecIssue], *, source: str = "spec") -> None:
        self.issues = issues
        lines = "; ".join(f"{issue.path}: {issue.message}" if issue.path else issue.message for issue in issues)
        super().__init__(f"{source} is invalid: {lines}")
        self.hint = f"Fix the fields named above ({_where_the_schema_is()})."

    def to_dict(self) -> dict[str, Any]:
        return {
            "error": "invalid_spec", "type": "SpecError", "message": str(self), "hint": self.hint,
            "issues": [issue.model_dump() for issue in self.issues], "exit_code": 2,
        }


def format_loc(loc: tuple[Any, ...]) -> str:
    """Pydantic error location -> ``a.b[0].c``; union branch names are dropped."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif part in _UNION_TAGS or part in ("str", "int", "float", "bool"):
            continue
        else:
            out += ("." if out else "") + ("from" if part == "from_" else str(part))
    return out


def _spec_field_names(schema: Any) -> set[str]:
    """Every property name anywhere in the spec's JSON Schema."""
    names: set[str] = set()
    if isinstance(schema, Mapping):
        names.update(str(key) for key in (schema.get("properties") or {}))
        for value in schema.values():
            names |= _spec_field_names(value)
    elif isinstance(schema, list):
        for value in schema:
            names |= _spec_field_names(value)
    return names


def _where_the_schema_is() -> str:
    """Where the caller reads the spec's schema: an MCP resource inside MCP, the script's flag elsewhere."""
    if current_face() == "mcp":
        return "read the nexla://deploy/spec-schema.json resource"
    return "print the schema with deploy_flow.py --print-schema"


def _unknown_field_message(field: str) -> str:
    """A typo'd field's message, with the closest real field name when one is near."""
    close = difflib.get_close_matches(field, sorted(_spec_field_names(spec_json_schema())), n=1, cutoff=0.75)
    suggestion = f"; did you mean {close[0]!r}?" if close else f"; to see the fields, {_where_the_schema_is()}"
    return f"unknown field {field!r}{suggestion}"


def issues_from_pydantic(error: PydanticValidationError) -> list[SpecIssue]:
    """Flatten pydantic errors into SpecIssues (one per path, union noise removed)."""
    issues: dict[str, SpecIssue] = {}
    for item in error.errors():
        path = format_loc(tuple(item["loc"]))
        message = item["msg"].removeprefix("Value error, ")
        if item["type"] == "extra_forbidden" and item["loc"]:
            message = _unknown_field_message(str(item["loc"][-1]))
        if ": " in message and message.split(": ", 1)[0].replace("[", "").replace("]", "").replace(".", "").replace("_", "").isalnum():
            head, rest = message.split(": ", 1)
            if head.startswith(("nexsets[", "destinations[")):
                path, message = head, rest
        issues.setdefault(path, SpecIssue(path=path, message=message))
    return list(issues.values())


def parse_spec(data: Any, *, source: str = "spec") -> FlowSpec:
    """Validate a spec already parsed into Python data; raises SpecError naming each field."""
    if not isinstance(data, Mapping):
        raise SpecError([SpecIssue(path="", message="the spec must be a mapping (YAML/JSON object)")], source=source)
    try:
        return FlowSpec.model_validate(dict(data))
    except PydanticValidationError as error:
        raise SpecError(issues_from_pydantic(error), source=source) from None


def load_spec(path_or_text: str | Path) -> FlowSpec:
    """Load a spec from a YAML/JSON file path or from YAML/JSON text; raises SpecError.

    A ``Path``, or a string naming an existing file, is read; any other string is parsed as text.
    """
    source = "spec"
    text: str
    if isinstance(path_or_text, Path) or ("\n" not in str(path_or_text) and Path(str(path_or_text)).is_file()):
        path = Path(path_or_text)
        source = str(path)
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as error:
            raise SpecError([SpecIssue(path="", message=f"cannot read {path}: {error.strerror}")], source=source) from None
    else:
        text = str(path_or_text)
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise SpecError([SpecIssue(path="", message=f"not valid YAML/JSON{where}")], source=source) from None
    return parse_spec(data, source=source)


def resolve_fields(fields: Mapping[str, Any], path: str, env: Mapping[str, str] | None = None) -> dict[str, Any]:
    """Credential fields with every secret reference (env, keyring, .env; see :mod:`nexla_ops.secrets`) resolved.

    Raises SpecError naming the field and the source when a value is missing or not allowed.
    """
    environ = os.environ if env is None else env
    out: dict[str, Any] = {}
    missing: list[SpecIssue] = []
    for key, value in fields.items():
        # The plan carries references as plain data ({from_env: VAR}); the spec as parsed refs.
        ref = as_secret_ref(value)
        if ref is not None:
            try:
                out[key] = resolve_secret(ref, key, environ)
            except SecretSourceError as error:
                missing.append(SpecIssue(path=f"{path}.{key}", message=str(error)))
        else:
            out[key] = value
    if missing:
        raise SpecError(missing)
    return out


def spec_json_schema() -> dict[str, Any]:
    """The JSON Schema of a deployment spec (YAML or JSON files follow it)."""
    schema = FlowSpec.model_json_schema(by_alias=True)
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "Nexla flow deployment spec"
    return schema


def dump_spec(spec: FlowSpec) -> str:
    """The spec as JSON text (``from_env`` references kept, never their values)."""
    return json.dumps(spec.model_dump(mode="json", by_alias=True, exclude_none=True), indent=2)


__all__ = [
    "TAG_PREFIX",
    "CredentialDef",
    "CredentialRef",
    "CredentialSpec",
    "DestinationSpec",
    "EnvRef",
    "FlowSpec",
    "NexsetSpec",
    "SourceSpec",
    "SpecError",
    "SpecIssue",
    "dump_spec",
    "load_spec",
    "parse_spec",
    "resolve_fields",
    "spec_json_schema",
]
