"""The transform engine shared by client-side validation and the sandbox's runs.

It accepts the official Nexla format ``{version, data_maps, transforms: [Jolt operation |
nexla.custom], custom_config}`` (also a bare Jolt list or a reusable transform's ``{code,
code_type}``), run record by record, and the authoring format ``{"version": 1, "operations":
[...]}``, run on Arrow tables with pyarrow.compute (expressions parsed by our own parser, never
evaluated as Python). ``to_official`` converts the authoring format into the official one. Every
call is bounded by ``Limits``. See TRANSFORMS.md.
"""

from .conversion import NoOfficialEquivalent, to_official
from .engine import (
    OperationCount,
    RecordError,
    TransformResult,
    apply_transform,
    run_on_records,
    transform_problems,
    validate_transform,
)
from .errors import ExpressionSyntaxError, TransformSpecError, TransformSpecErrors
from .jolt import JOLT_OPERATIONS, JoltRecordError, run_operation
from .limits import Limits, TransformLimitError
from .official import OfficialTransform, official_form
from .parser import parse_expression
from .records import records_to_table
from .schema import SchemaDiff, diff_schemas, infer_schema
from .syntax import Expression

__all__ = [
    "JOLT_OPERATIONS",
    "Expression",
    "ExpressionSyntaxError",
    "JoltRecordError",
    "Limits",
    "NoOfficialEquivalent",
    "OfficialTransform",
    "OperationCount",
    "RecordError",
    "SchemaDiff",
    "TransformLimitError",
    "TransformResult",
    "TransformSpecError",
    "TransformSpecErrors",
    "apply_transform",
    "diff_schemas",
    "infer_schema",
    "official_form",
    "parse_expression",
    "records_to_table",
    "run_on_records",
    "run_operation",
    "to_official",
    "transform_problems",
    "validate_transform",
]
