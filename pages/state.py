"""Per-session state: the dataset, the roles, the seed, and the session's own `Analysis`.

Everything a session computes lives in its `Analysis`, held in a session-scoped resource cache:
nothing is shared between browser sessions but the read-only demo tables, and Streamlit releases the
analysis (and we give its memory back to the system) as soon as the session disconnects. Widget keys
that must survive page switches are re-assigned here on every run (GUIDE section 7).
"""

from __future__ import annotations

import hashlib
from dataclasses import astuple, dataclass, field

import pandas as pd
import streamlit as st

from anonymizer import ADULT_QIS, ADULT_TARGET, DataError, load_adult
from anonymizer.analysis import Analysis
from anonymizer.data import read_table_bytes, table_format
from anonymizer.memo import give_back_memory
from anonymizer.models import DEFAULT_SEED, load_model_bytes
from anonymizer.roles import Roles

DEMO_NAME = "UCI Adult (built-in demo)"
# `education` is dropped from the demo: it maps one to one onto the QI `education-num`, so releasing it
# unchanged would undo that QI's generalization (issue 9's leak check finds it)
DEMO_ROLES = Roles(ADULT_TARGET, tuple(ADULT_QIS), "marital-status", ("education",))
WIDGET_DEFAULTS = {"method": "ag", "seed": DEFAULT_SEED, "allow_pickle": False, "model_family": "lightgbm",
                   "utility_budget": 1.0, "dp_epsilons": [0.5, 1.0, 2.0, 4.0, 8.0], "output_form": "representative"}
ROLE_WIDGETS = ("target", "qis", "sensitive", "drop_columns", "task_choice")


@dataclass(frozen=True)
class Dataset:
    """The table under study and what came with it; `digest` identifies the content."""

    name: str
    data: pd.DataFrame = field(repr=False)
    digest: str
    test: pd.DataFrame | None = field(default=None, repr=False)
    test_name: str | None = None
    test_digest: str = ""
    model: object | None = field(default=None, repr=False)
    model_name: str | None = None
    model_digest: str = ""

    @property
    def key(self) -> tuple[str, str, str]:
        return self.digest, self.test_digest, self.model_digest


def digest(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()[:16]


@st.cache_resource(show_spinner="Loading the demo data...")
def demo_dataset() -> Dataset:
    """Shared by every session: read-only after it is built."""
    return Dataset(DEMO_NAME, load_adult("train"), "demo-adult-train", load_adult("test"), "UCI Adult test split",
                   "demo-adult-test")


def init_state() -> None:
    if "dataset" not in st.session_state:
        use_dataset(demo_dataset(), DEMO_ROLES)
    st.session_state.setdefault("k", 10)
    for key, value in WIDGET_DEFAULTS.items():
        st.session_state.setdefault(key, value)
        st.session_state[key] = st.session_state[key]
    for key in ROLE_WIDGETS:
        if key in st.session_state:
            st.session_state[key] = st.session_state[key]


def show_roles(roles: Roles) -> None:
    """Set the role widgets to `roles`."""
    st.session_state["target"] = roles.target
    st.session_state["qis"] = list(roles.quasi_identifiers)
    st.session_state["sensitive"] = roles.sensitive
    st.session_state["drop_columns"] = list(roles.dropped)
    st.session_state["task_choice"] = roles.task or "detect"


def use_dataset(dataset: Dataset, roles: Roles) -> None:
    """Make `dataset` current with `roles` (already valid), and set the role widgets to match."""
    st.session_state["dataset"] = dataset
    st.session_state["roles"] = roles
    show_roles(roles)
    st.session_state["k"] = max(1, min(st.session_state.get("k", 10), len(dataset.data) // 2))


def current() -> tuple[Dataset, Roles]:
    return st.session_state["dataset"], st.session_state["roles"]


def build_analysis(dataset: Dataset, roles: Roles, seed: int, family: str = "lightgbm") -> Analysis:
    return Analysis(dataset.data, roles, seed=seed, model=dataset.model, test=dataset.test, name=dataset.name,
                    model_name=dataset.model_name, model_family=family)


def _release(analysis: Analysis) -> None:
    analysis.release()
    give_back_memory()


@st.cache_resource(scope="session", max_entries=1, show_spinner=False, on_release=_release,
                   hash_funcs={Dataset: lambda d: d.key, Roles: astuple})
def session_analysis(dataset: Dataset, roles: Roles, seed: int, family: str) -> Analysis:
    """This session's one Analysis. Streamlit drops it (and `_release` gives its memory back) when the
    session disconnects, or when the dataset, roles, seed or family change."""
    return build_analysis(dataset, roles, seed, family)


def analysis() -> Analysis:
    """This session's Analysis for the current dataset, roles and seed (built again when they change)."""
    dataset, roles = current()
    return session_analysis(dataset, roles, int(st.session_state["seed"]),
                            st.session_state.get("model_family", "lightgbm"))


def read_upload(upload) -> tuple[pd.DataFrame, str]:
    """A table from an upload, or a DataError with one line to show."""
    content = upload.getvalue()
    return read_table_bytes(content, table_format(upload.name), name=upload.name), digest(content)


def read_model_upload(upload, allow_pickle: bool):
    content = upload.getvalue()
    return load_model_bytes(content, upload.name, allow_pickle=allow_pickle), digest(content)


def check(dataset: Dataset, roles: Roles) -> None:
    """Raise DataError if the roles do not fit the dataset (and its model and test table)."""
    build_analysis(dataset, roles, int(st.session_state.get("seed", DEFAULT_SEED)),
                   st.session_state.get("model_family", "lightgbm"))


__all__ = ["DEMO_NAME", "DEMO_ROLES", "DataError", "Dataset", "analysis", "check", "current", "demo_dataset",
           "init_state", "read_model_upload", "read_upload", "show_roles", "use_dataset"]
