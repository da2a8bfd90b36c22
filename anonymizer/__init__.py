"""anonymizer: accuracy-guided anonymization of machine-learning training data, and its costs.

The engine behind the dashboard, usable from Python and from `python -m anonymizer`.
No Streamlit here: pages call this package, tests and scripts use it directly.
"""

from .anonymize import (
    AccuracyGuidedAnonymizer,
    MondrianAnonymizer,
    anonymize_table,
    anonymizer_for,
    drop_quasi_identifiers,
)
from .classes import AnonymizationResult
from .data import (
    ADULT_QIS,
    ADULT_TARGET,
    DataError,
    column_kinds,
    load_adult,
    read_table,
    validate_roles,
)
from .metrics import PrivacyMetrics, equivalence_classes, privacy_metrics
from .roles import Roles

__all__ = [
    "ADULT_QIS", "ADULT_TARGET", "AccuracyGuidedAnonymizer", "AnonymizationResult", "DataError",
    "MondrianAnonymizer", "PrivacyMetrics", "Roles", "anonymize_table", "anonymizer_for", "column_kinds",
    "drop_quasi_identifiers", "equivalence_classes", "load_adult", "privacy_metrics", "read_table",
    "validate_roles",
]
