"""Per-session state: the dataset, the roles, the seed, and the session's own `Analysis`.

Everything a session computes lives in its `Analysis`, held in a session-scoped resource cache:
nothing is shared between browser sessions but the read-only demo tables, and Streamlit releases the
analysis (and we give its memory back to the system) as soon as the session disconnects. Widget keys
that must survive page switches are re-assigned here on every run (docs/design.md, "Dashboard").

The session's settings are one `anonymizer.scenario.Scenario`, mirrored in the URL: a link reopens the
same analysis (for an uploaded table, once the same file is uploaded again: the digest must match).
"""

from __future__ import annotations

from dataclasses import astuple, dataclass, field

import pandas as pd
import streamlit as st

from anonymizer import ADULT_QIS, ADULT_TARGET, DataError, load_adult
from anonymizer.analysis import Analysis
from anonymizer.constraints import NO_RULES
from anonymizer.data import table_format
from anonymizer.memo import give_back_memory
from anonymizer.models import load_model_bytes
from anonymizer.roles import Roles
from anonymizer.sandbox import read_table_isolated
from anonymizer.scenario import (
    DEFAULT_FAMILY,
    DEFAULT_K,
    DEFAULT_METHOD,
    DEFAULT_SEED,
    DP_EPSILONS,
    SYNTHETIC_EPSILONS,
    UTILITY_BUDGET,
    Scenario,
    digest_bytes,
)

DEMO_NAME = "UCI Adult (built-in demo)"
# `education` is dropped from the demo: it maps one to one onto the QI `education-num`, so releasing it
# unchanged would undo that QI's generalization (issue 9's leak check finds it)
DEMO_ROLES = Roles(ADULT_TARGET, tuple(ADULT_QIS), "marital-status", ("education",))
WIDGET_DEFAULTS = {"method": DEFAULT_METHOD, "seed": DEFAULT_SEED, "allow_pickle": False,
                   "model_family": DEFAULT_FAMILY, "utility_budget": UTILITY_BUDGET, "dp_epsilons": list(DP_EPSILONS),
                   "synthetic_epsilons": list(SYNTHETIC_EPSILONS),
                   "output_form": "representative", "encoding": "auto",
                   "frontier_privacy": "model"}
ROLE_WIDGETS = ("target", "qis", "sensitive", "drop_columns", "task_choice")
# the release-rule widgets' plain keys (widgets.release_rules_controls draws them; a QI's hierarchy is
# HIERARCHY_KEY with its name); the rules they make live in "release_rules" (None: k alone)
RULE_DEFAULTS = {"rules_splits": "boundary", "rules_suppress": 0.0, "rules_suppression": "missing", "rules_l": 1,
                 "rules_l_kind": "distinct", "rules_t_on": False, "rules_t": 0.2}
HIERARCHY_KEY = "rules_h::"


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


digest = digest_bytes  # one digest for a file, in the dashboard and the CLI alike


@st.cache_resource(show_spinner=False)
def warm_up_server() -> bool:
    """Once per server: the thread policy, and the tree's compiled loops loading in the background, so the
    first anonymization of the server pays no compile and no load."""
    from anonymizer.trees import start_warm_up
    from anonymizer.workers import limit_native_threads

    limit_native_threads()
    start_warm_up()
    return True


@st.cache_resource(show_spinner="Loading the demo data...")
def demo_dataset() -> Dataset:
    """Shared by every session: read-only after it is built."""
    return Dataset(DEMO_NAME, load_adult("train"), "demo-adult-train", load_adult("test"), "UCI Adult test split",
                   "demo-adult-test")


def init_state() -> None:
    first_run = "dataset" not in st.session_state
    if first_run:
        use_dataset(demo_dataset(), DEMO_ROLES)
    st.session_state.setdefault("k", DEFAULT_K)
    for key, value in WIDGET_DEFAULTS.items():
        st.session_state.setdefault(key, value)
        st.session_state[key] = st.session_state[key]
    for key in ROLE_WIDGETS:
        if key in st.session_state:
            st.session_state[key] = st.session_state[key]
    if first_run:
        open_link()


# --- the scenario, and the URL that carries it ------------------------------------------------------

def scenario() -> Scenario:
    """The session's settings as one Scenario (what the URL, the report and the CLI's --scenario carry)."""
    dataset, roles = current()
    return Scenario(dataset.digest, roles, st.session_state["method"], int(st.session_state["k"]),
                    int(st.session_state["seed"]), st.session_state["model_family"],
                    tuple(float(e) for e in st.session_state["dp_epsilons"]),
                    test=dataset.test_digest or None, model=dataset.model_digest or None,
                    rules=st.session_state.get("release_rules"))


def show_rules(rules) -> None:
    """Set the release-rule widgets to `rules` (None: k alone) and make them the session's rules."""
    for key in [k for k in st.session_state if str(k).startswith(HIERARCHY_KEY) and not str(k).endswith("__widget")]:
        st.session_state[key] = "none"
    st.session_state.update(RULE_DEFAULTS)
    st.session_state["release_rules"] = rules
    if rules is None:
        return
    for q, hierarchy in rules.hierarchies:
        st.session_state[f"{HIERARCHY_KEY}{q}"] = "taxonomy" if hierarchy.kind == "taxonomy" else hierarchy.spec
    st.session_state.update(rules_splits=rules.hierarchy_splits, rules_suppress=float(rules.max_suppression),
                            rules_suppression=rules.suppression, rules_l=int(rules.l or 1), rules_l_kind=rules.l_kind,
                            rules_t_on=rules.t is not None, rules_t=float(rules.t) if rules.t is not None else 0.2)


def apply_scenario(sc: Scenario) -> str | None:
    """Make `sc` the session's settings if it is for the current table; returns why not, or None."""
    dataset, _ = current()
    if sc.data != dataset.digest:
        return (f"This link is for a table whose digest is {sc.data}; upload that file on the Data & model page "
                "and its settings are applied.")
    try:
        check(dataset, sc.roles)
    except DataError as exc:
        return f"The link's roles do not fit the table: {exc}"
    st.session_state["roles"] = sc.roles
    show_roles(sc.roles)
    st.session_state.update(method=sc.method, k=sc.k, seed=sc.seed, model_family=sc.model_family,
                            dp_epsilons=[e for e in sc.epsilons])
    show_rules(sc.rules)
    st.session_state.pop("pending_scenario", None)
    return None


def open_link() -> None:
    """On a session's first run: the scenario in the URL, applied now (demo) or kept until its table is uploaded."""
    params = st.query_params
    try:
        sc = Scenario.from_query(params.get, params.get_all)
    except DataError as exc:
        st.session_state["link_note"] = f"The link's settings could not be read: {exc}"
        return
    if sc is None:
        return
    st.session_state["pending_scenario"] = sc
    note = apply_scenario(sc)
    if note:
        st.session_state["link_note"] = note


def roles_for(dataset: Dataset, suggested: Roles) -> Roles:
    """The roles a newly read table starts with: a pending link's, when the link is for this table, else the
    suggestion's."""
    pending = st.session_state.get("pending_scenario")
    if pending is not None and pending.data == dataset.digest:
        try:
            check(dataset, pending.roles)
            return pending.roles
        except DataError:
            pass
    return suggested


def sync_url() -> None:
    """Write the session's scenario into the URL (only when it changed), so the address is a link to it."""
    try:
        wanted = scenario().to_query()
    except DataError:
        return
    params = st.query_params
    current_params = {key: (params.get_all(key) if isinstance(wanted.get(key), list) else params.get(key))
                      for key in Scenario.QUERY_KEYS if key in params}
    if current_params != wanted:
        params.from_dict(wanted)


def show_roles(roles: Roles) -> None:
    """Set the role widgets to `roles`."""
    st.session_state["target"] = roles.target
    st.session_state["qis"] = list(roles.quasi_identifiers)
    st.session_state["sensitive"] = roles.sensitive
    st.session_state["drop_columns"] = list(roles.dropped)
    st.session_state["task_choice"] = roles.task or "detect"


def use_dataset(dataset: Dataset, roles: Roles) -> None:
    """Make `dataset` current with `roles` (already valid), and set the role widgets to match; a link waiting
    for this table is applied."""
    st.session_state["dataset"] = dataset
    st.session_state["roles"] = roles
    show_roles(roles)
    st.session_state["k"] = max(1, min(st.session_state.get("k", DEFAULT_K), len(dataset.data) // 2))
    pending = st.session_state.get("pending_scenario")
    if pending is not None and pending.data == dataset.digest and pending.roles == roles:
        apply_scenario(pending)


def current() -> tuple[Dataset, Roles]:
    return st.session_state["dataset"], st.session_state["roles"]


def build_analysis(dataset: Dataset, roles: Roles, seed: int, family: str = DEFAULT_FAMILY) -> Analysis:
    return Analysis(dataset.data, roles, seed=seed, model=dataset.model, test=dataset.test, name=dataset.name,
                    model_name=dataset.model_name, model_family=family, digest=dataset.digest,
                    test_digest=dataset.test_digest or None, model_digest=dataset.model_digest or None)


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
    built = session_analysis(dataset, roles, int(st.session_state["seed"]),
                             st.session_state.get("model_family", DEFAULT_FAMILY))
    rules = st.session_state.get("release_rules")  # the session's rules hold on every page, on a rebuilt one too
    if (rules if rules is not None else NO_RULES) != built.rules:
        try:
            built.set_rules(rules)
        except DataError:  # they no longer fit (new roles): k alone, and the Anonymize page says why
            built.set_rules(None)
    return built


def read_upload(upload) -> tuple[pd.DataFrame, str]:
    """A table from an upload (in the encoding picked beside it), or a DataError with one line to show."""
    content = upload.getvalue()
    encoding = st.session_state.get("encoding", "auto")
    # parsed in a child process with a time and memory limit: one upload cannot take the server down
    return (read_table_isolated(content, table_format(upload.name), name=upload.name,
                                encoding=None if encoding == "auto" else encoding), digest(content))


def read_model_upload(upload, allow_pickle: bool):
    content = upload.getvalue()
    return load_model_bytes(content, upload.name, allow_pickle=allow_pickle), digest(content)


def check(dataset: Dataset, roles: Roles) -> None:
    """Raise DataError if the roles do not fit the dataset (and its model and test table)."""
    build_analysis(dataset, roles, int(st.session_state.get("seed", DEFAULT_SEED)),
                   st.session_state.get("model_family", DEFAULT_FAMILY))


__all__ = ["DEMO_NAME", "DEMO_ROLES", "DataError", "Dataset", "analysis", "apply_scenario", "check", "current",
           "demo_dataset", "init_state", "read_model_upload", "read_upload", "roles_for", "scenario",
           "show_roles", "sync_url", "use_dataset"]
