"""The protocol-form engine: forms as data, safe control relations, validation (pure Python).

Nothing here imports Django, so the engine runs in the web app, in workers, in the CLI and in
bulk analyses alike.

    >>> from baqylau.protocols.engine import load_form, validate
    >>> form = load_form("kz_president")
    >>> result = validate(form, {"L1": 1000, ...}, choices={"tokayev": 600, ...})
    >>> result.status, [f.message("ru") for f in result.findings]
"""

from .expressions import Comparison, Expression, ExpressionError, parse_expression, parse_relation
from .forms import (
    FORMS_DIR,
    LANGUAGES,
    ChoicesBlock,
    FormDefinitionError,
    Line,
    LocalizedText,
    ProtocolForm,
    Relation,
    Severity,
    Turnout,
    available_forms,
    load_form,
    load_form_file,
    parse_form,
)
from .validation import (
    BulkFindings,
    Finding,
    FindingKind,
    RelationMask,
    Status,
    ValidationContext,
    ValidationPolicy,
    ValidationResult,
    validate,
    validate_arrays,
)

__all__ = [
    "FORMS_DIR",
    "LANGUAGES",
    "BulkFindings",
    "ChoicesBlock",
    "Comparison",
    "Expression",
    "ExpressionError",
    "Finding",
    "FindingKind",
    "FormDefinitionError",
    "Line",
    "LocalizedText",
    "ProtocolForm",
    "Relation",
    "RelationMask",
    "Severity",
    "Status",
    "Turnout",
    "ValidationContext",
    "ValidationPolicy",
    "ValidationResult",
    "available_forms",
    "load_form",
    "load_form_file",
    "parse_expression",
    "parse_form",
    "parse_relation",
    "validate",
    "validate_arrays",
]
