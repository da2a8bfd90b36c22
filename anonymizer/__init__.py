"""anonymizer: accuracy-guided anonymization of machine-learning training data, and its costs.

The engine behind the dashboard, usable from Python and from `python -m anonymizer`.
No Streamlit here: pages call this package, tests and scripts use it directly.
"""

from .data import (
    ADULT_QIS,
    ADULT_TARGET,
    DataError,
    Roles,
    column_kinds,
    load_adult,
    read_table,
    validate_roles,
)

__all__ = ["ADULT_QIS", "ADULT_TARGET", "DataError", "Roles", "column_kinds", "load_adult", "read_table",
           "validate_roles"]
