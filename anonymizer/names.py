"""The names people read for methods, attacks, tasks, model families and figures, defined once.

Every face (pages, report, CLI messages, charts) takes its labels from here, so one thing is never
called two names in two places (docs/design.md, "One definition, one place").
"""

from __future__ import annotations

CLASSIFICATION, REGRESSION = "classification", "regression"
TASKS = (CLASSIFICATION, REGRESSION)

# anonymization methods: key -> name in sentences, short name in chart labels and settings
METHODS = {"ag": "Accuracy-guided", "mondrian": "Mondrian"}
METHOD_SHORT = {"ag": "AG", "mondrian": "Mondrian"}

# membership attacks, in the order every table and chart lists them
ATTACK_NAMES = {"threshold": "Confidence threshold", "shadow": "Shadow models", "lira": "LiRA (offline)",
                "rmia": "RMIA (offline)"}
MEMBERSHIP_ATTACKS = tuple(ATTACK_NAMES)

# model families of the default model (when the analyst uploads none)
FAMILIES = ("lightgbm", "random_forest", "logistic")
FAMILY_NAMES = {"lightgbm": "LightGBM (default parameters)", "random_forest": "random forest (full depth)",
                "logistic": "logistic regression (ridge for regression)"}

# the settings a frontier holds, by kind
KIND_NAMES = {"original": "Original", "qi_dropped": "QIs dropped", **METHODS, "dp": "Differential privacy (DP-EBM)",
              "synthetic": "DP synthetic data (MST)"}

# the three answers to "anonymize, train with DP, or release DP synthetic data?", by setting kind
FAMILY_OF_KIND = {"original": "baseline", "qi_dropped": "baseline", **{m: "anonymization" for m in METHODS},
                  "dp": "DP training", "synthetic": "DP synthetic data"}
SETTING_FAMILIES = ("anonymization", "DP training", "DP synthetic data")

# utility figures
UTILITY_NAMES = {"accuracy": "accuracy", "balanced_accuracy": "balanced accuracy", "r2": "R²"}


def model_description(uploaded: str | None, family: str) -> str:
    """The model in use, in words: the analyst's file, or the default family trained here."""
    return f"uploaded: {uploaded}" if uploaded else f"{FAMILY_NAMES[family]}, trained here"


def method_name(method: str) -> str:
    return METHODS.get(method, method)


def utility_name(key: str) -> str:
    return UTILITY_NAMES.get(key, key)


def setting_name(kind: str, k: int | None = None, epsilon: float | None = None) -> str:
    """The one label of a frontier setting: 'original', 'QIs dropped', 'AG k=10', 'DP ε=1', 'Synthetic ε=4'."""
    if kind == "original":
        return "original"
    if kind == "qi_dropped":
        return "QIs dropped"
    if kind == "dp":
        return f"DP ε={epsilon:g}"
    if kind == "synthetic":
        return f"Synthetic ε={epsilon:g}"
    return f"{METHOD_SHORT.get(kind, kind)} k={k}"


def release_label(kind: str, k: int | None = None) -> str:
    """The one label of a released table in the release attacks: 'original (identifiers dropped)',
    'QIs dropped', 'accuracy-guided at k = 10'."""
    if kind == "original":
        return "original (identifiers dropped)"
    if kind == "qi_dropped":
        return "QIs dropped"
    return f"{METHODS.get(kind, kind)} at k = {k}"
