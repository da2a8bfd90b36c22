"""anonymizer: accuracy-guided anonymization of machine-learning training data, and its costs.

The engine behind the dashboard, usable from Python and from `python -m anonymizer`.
No Streamlit here: pages call this package, tests and scripts use it directly.

The names below are imported on first use (PEP 562), so `import anonymizer` itself is instant:
`python -m anonymizer` then imports the engine inside its own Ctrl-C handling.
"""

from importlib import import_module

_EXPORTS = {
    "AccuracyGuidedAnonymizer": "anonymize", "MondrianAnonymizer": "anonymize", "anonymize_table": "anonymize",
    "anonymizer_for": "anonymize", "drop_quasi_identifiers": "anonymize",
    "AnonymizationResult": "classes",
    "ADULT_QIS": "data", "ADULT_TARGET": "data", "DataError": "data", "Roles": "roles", "column_kinds": "data",
    "load_adult": "data", "read_table": "data", "validate_roles": "data",
    "Analysis": "analysis",
    "PrivacyMetrics": "metrics", "equivalence_classes": "metrics", "privacy_metrics": "metrics",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    if name not in _EXPORTS:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(f".{_EXPORTS[name]}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_EXPORTS})
