"""Declarative flow deployment: spec -> validate -> plan -> apply (verify, rollback) -> destroy."""

from nexla_ops.operations.deploy.apply import (
    DeployFailure,
    DeployResult,
    ResourceRef,
    RollbackReport,
    UndoFailure,
    apply_deployment,
    rollback,
)
from nexla_ops.operations.deploy.destroy import DestroyResult, destroy_deployment
from nexla_ops.operations.deploy.plan import DeployPlan, FieldChange, PlannedChange, plan_deployment
from nexla_ops.operations.deploy.spec import (
    CredentialDef,
    CredentialRef,
    DestinationSpec,
    EnvRef,
    FlowSpec,
    NexsetSpec,
    SourceSpec,
    SpecError,
    SpecIssue,
    load_spec,
    parse_spec,
    spec_json_schema,
)
from nexla_ops.operations.deploy.validate import CredentialCheck, TransformCheck, ValidationReport, validate_deployment

__all__ = [
    "CredentialCheck",
    "CredentialDef",
    "CredentialRef",
    "DeployFailure",
    "DeployPlan",
    "DeployResult",
    "DestinationSpec",
    "DestroyResult",
    "EnvRef",
    "FieldChange",
    "FlowSpec",
    "NexsetSpec",
    "PlannedChange",
    "ResourceRef",
    "RollbackReport",
    "SourceSpec",
    "SpecError",
    "SpecIssue",
    "TransformCheck",
    "UndoFailure",
    "ValidationReport",
    "apply_deployment",
    "destroy_deployment",
    "load_spec",
    "parse_spec",
    "plan_deployment",
    "rollback",
    "spec_json_schema",
    "validate_deployment",
]
