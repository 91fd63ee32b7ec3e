"""The transform engine shared by client-side validation and the sandbox's runs.

A transform object ``{"version": 1, "operations": [...]}`` is validated into typed operations and
applied to Arrow tables with pyarrow.compute; expressions are parsed by our own parser (no Python
evaluation). See TRANSFORMS.md for the operations and the expression language.
"""

from .engine import OperationCount, RecordError, TransformResult, apply_transform, run_on_records
from .errors import ExpressionSyntaxError, TransformSpecError
from .parser import parse_expression
from .records import records_to_table
from .reusable import from_reusable
from .schema import SchemaDiff, diff_schemas, infer_schema
from .spec import validate_transform
from .syntax import Expression

__all__ = [
    "Expression",
    "ExpressionSyntaxError",
    "OperationCount",
    "RecordError",
    "SchemaDiff",
    "TransformResult",
    "TransformSpecError",
    "apply_transform",
    "diff_schemas",
    "from_reusable",
    "infer_schema",
    "parse_expression",
    "records_to_table",
    "run_on_records",
    "validate_transform",
]
