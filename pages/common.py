"""What every page shares: the current dataset and roles in session state, cached package calls.

Caches are keyed on content digests computed here (Streamlit hashes big DataFrames from a sample),
and large objects are passed with a leading underscore so Streamlit does not hash them at all.
Everything computed is a call into the `anonymizer` package.
"""

from __future__ import annotations

import hashlib
import tempfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import streamlit as st

from anonymizer import ADULT_QIS, ADULT_TARGET, DataError, anonymize_table, load_adult, privacy_metrics
from anonymizer.data import check_k, read_table_bytes, table_format, validate_roles
from anonymizer.experiment import Experiment, ExperimentConfig
from anonymizer.models import DEFAULT_SEED, check_model, load_model, model_features, retrain, train_default_model

DEMO_NAME = "UCI Adult (built-in demo)"
DEMO_SENSITIVE = "marital-status"
METHODS = {"ag": "Accuracy-guided", "mondrian": "Mondrian"}
SWEEP_KS = [5, 10, 25, 50, 100, 250, 500, 1000]
ATTACK_SWEEP_KS = [10, 50, 100, 500, 1000]
WIDGET_KEYS = {"method": "ag", "seed": DEFAULT_SEED, "allow_pickle": False}


@dataclass(frozen=True)
class Dataset:
    """The table under study and what came with it; digests key every cache."""

    name: str
    data: pd.DataFrame = field(repr=False)
    digest: str
    test: pd.DataFrame | None = field(default=None, repr=False)
    test_name: str | None = None
    test_digest: str = ""
    model: object | None = field(default=None, repr=False)
    model_name: str | None = None
    model_digest: str = ""


@dataclass(frozen=True)
class RoleChoice:
    """The analyst's role choices (hashable, so they key caches); validated before they are kept."""

    target: str
    quasi_identifiers: tuple[str, ...]
    sensitive: str | None
    dropped: tuple[str, ...] = ()


def digest(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()[:16]


@st.cache_resource(show_spinner="Loading the demo data...")
def demo_dataset() -> Dataset:
    return Dataset(DEMO_NAME, load_adult("train"), "demo-adult-train", load_adult("test"), "UCI Adult test split",
                   "demo-adult-test")


def init_state() -> None:
    """Session defaults, and the widget keys kept alive across pages (GUIDE section 7)."""
    if "dataset" not in st.session_state:
        use_dataset(demo_dataset(), RoleChoice(ADULT_TARGET, tuple(ADULT_QIS), DEMO_SENSITIVE))
    st.session_state.setdefault("k", 10)
    for key, value in WIDGET_KEYS.items():
        st.session_state.setdefault(key, value)
        st.session_state[key] = st.session_state[key]
    for key in ("target", "qis", "sensitive", "drop_columns"):
        if key in st.session_state:
            st.session_state[key] = st.session_state[key]


def use_dataset(dataset: Dataset, roles: RoleChoice) -> None:
    """Make `dataset` current with `roles` (already valid), and set the role widgets to match."""
    st.session_state["dataset"] = dataset
    st.session_state["roles"] = roles
    st.session_state["target"] = roles.target
    st.session_state["qis"] = list(roles.quasi_identifiers)
    st.session_state["sensitive"] = roles.sensitive
    st.session_state["drop_columns"] = list(roles.dropped)
    n = len(dataset.data)
    st.session_state["k"] = min(st.session_state.get("k", 10), max(1, n // 2))


def current() -> tuple[Dataset, RoleChoice]:
    return st.session_state["dataset"], st.session_state["roles"]


@dataclass(frozen=True)
class Context:
    """What a page works on: the dataset, roles, seed, k, method and the cache key they make."""

    dataset: Dataset
    roles: RoleChoice
    seed: int
    k: int
    method: str

    @property
    def key(self) -> tuple:
        return state_key(self.dataset, self.roles, self.seed)


def context() -> Context:
    dataset, roles = current()
    return Context(dataset, roles, int(st.session_state["seed"]), int(st.session_state["k"]),
                   st.session_state["method"])


def table(dataset: Dataset, roles: RoleChoice) -> pd.DataFrame:
    """The table the analysis uses: the dataset without the columns marked to be dropped."""
    return dataset.data.drop(columns=list(roles.dropped)) if roles.dropped else dataset.data


def state_key(dataset: Dataset, roles: RoleChoice, seed: int) -> tuple:
    return (dataset.digest, dataset.test_digest, dataset.model_digest, roles, seed)


def read_upload(upload) -> tuple[pd.DataFrame, str]:
    """A table from an upload, or a DataError with one line to show."""
    content = upload.getvalue()
    frame = read_table_bytes(content, table_format(upload.name), name=upload.name)
    return frame, digest(content)


def read_model_upload(upload, allow_pickle: bool):
    content = upload.getvalue()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / Path(upload.name).name
        path.write_bytes(content)
        return load_model(path, allow_pickle=allow_pickle), digest(content)


def check_roles(dataset: Dataset, roles: RoleChoice) -> None:
    """Raise DataError if the roles do not fit the dataset (and its model)."""
    data = table(dataset, roles)
    validate_roles(data, list(roles.quasi_identifiers), roles.target, roles.sensitive, require_target=True)
    if dataset.model is not None:
        features = data.drop(columns=[roles.target])
        check_model(dataset.model, features, data[roles.target])


# --- cached engine calls -----------------------------------------------------------------------

@st.cache_resource(max_entries=4, show_spinner="Training the model that guides the anonymization...")
def guiding_model(key: tuple, _dataset: Dataset, _roles: RoleChoice, seed: int):
    """The model whose predictions guide AG: the user's model, or LightGBM trained on the table."""
    data = table(_dataset, _roles)
    features = data.drop(columns=[_roles.target])
    if _dataset.model is not None:
        model = check_model(_dataset.model, features, data[_roles.target])
    else:
        model = train_default_model(features, data[_roles.target], seed)
    return model, model.predict(features[model_features(model, features)])


@st.cache_resource(max_entries=64, show_spinner="Anonymizing...")
def anonymization(key: tuple, method: str, k: int, _dataset: Dataset, _roles: RoleChoice, seed: int):
    """(result, metrics) of anonymizing the whole table; shared read-only between reruns and pages."""
    data = table(_dataset, _roles)
    check_k(k, len(data))
    guide = guiding_model(key, _dataset, _roles, seed)[1] if method == "ag" else None
    qis = list(_roles.quasi_identifiers)
    result = anonymize_table(data, qis, k, method, _roles.target, guide, seed)
    metrics = privacy_metrics(result.data, qis, k=k, original=data, sensitive=_roles.sensitive)
    return result, metrics


@st.cache_resource(max_entries=64, show_spinner=False)
def anonymization_view(key: tuple, method: str, k: int, _dataset: Dataset, _roles: RoleChoice, seed: int) -> dict:
    """What the Anonymize page shows for one k, built once: coming back to a k is then instant."""
    import numpy as np

    from anonymizer.charts import class_size_histogram, reading_class_sizes
    from anonymizer.display import class_summary

    result, metrics = anonymization(key, method, k, _dataset, _roles, seed)
    sizes = np.bincount(result.class_ids)
    return {"result": result, "metrics": metrics, "summary": class_summary(result),
            "histogram": class_size_histogram(sizes, k), "reading": reading_class_sizes(sizes, k)}


PREFETCH_MAX_ROWS = 200_000
_prefetch_pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="prefetch-k")
_prefetch_latest: dict[str, tuple] = {}


def prefetch_neighbours(key: tuple, method: str, k: int, dataset: Dataset, roles: RoleChoice, seed: int) -> None:
    """Compute k - 1 and k + 1 in the background, so the next slider step is a cache hit.

    One worker; a request superseded by a newer k is skipped, so fast slider moves never queue work.
    """
    request = (key, method, k)
    _prefetch_latest["request"] = request
    n = len(table(dataset, roles))
    if n > PREFETCH_MAX_ROWS:  # a big table's neighbours cost seconds each: compute on demand only
        return

    def work():
        for nearby in (k + 1, k - 1):
            if _prefetch_latest.get("request") != request:
                return
            if 2 <= nearby <= n:
                anonymization_view(key, method, nearby, dataset, roles, seed)

    _prefetch_pool.submit(work)


@st.cache_resource(max_entries=8, show_spinner="Retraining the model on the anonymized table...")
def retrained_model(key: tuple, method: str, k: int, _dataset: Dataset, _roles: RoleChoice, seed: int):
    model = guiding_model(key, _dataset, _roles, seed)[0]
    result, _ = anonymization(key, method, k, _dataset, _roles, seed)
    features = result.data.drop(columns=[_roles.target])
    return retrain(model, features[model_features(model, features)], result.data[_roles.target], seed)


@st.cache_resource(max_entries=2, show_spinner="Splitting the data and training the original model...")
def experiment(key: tuple, _dataset: Dataset, _roles: RoleChoice, seed: int) -> Experiment:
    config = ExperimentConfig(_roles.target, list(_roles.quasi_identifiers), _roles.sensitive, seed)
    return Experiment(table(_dataset, _roles), config, test=_dataset.test, model=_dataset.model)


@st.cache_data(max_entries=8, show_spinner="Summarizing the columns...")
def column_summary(digest: str, _data: pd.DataFrame) -> pd.DataFrame:
    from anonymizer.roles import suggest_roles

    return suggest_roles(_data)


def engine_error(exc: Exception) -> None:
    """Show a failure of the engine as one line, never a traceback."""
    st.error(str(exc) if isinstance(exc, DataError) else f"Unexpected {type(exc).__name__}: {exc}")


# --- layout ------------------------------------------------------------------------------------

def sidebar() -> None:
    dataset, roles = current()
    side = st.sidebar
    side.markdown("### Current analysis")
    side.markdown(f"**Dataset:** {dataset.name}  \n{len(dataset.data):,} rows × {dataset.data.shape[1]} columns")
    if dataset.test is not None:
        side.caption(f"Test table: {dataset.test_name} ({len(dataset.test):,} rows)")
    side.caption(f"Model: {dataset.model_name or 'LightGBM trained here (default parameters)'}")
    side.markdown(f"**Target:** `{roles.target}`")
    side.markdown("**Quasi-identifiers:** " + ", ".join(f"`{q}`" for q in roles.quasi_identifiers))
    side.markdown(f"**Sensitive:** {'`' + roles.sensitive + '`' if roles.sensitive else 'none'}")
    side.markdown(f"**k:** {st.session_state['k']} · **Method:** {METHODS[st.session_state['method']]}")
    side.caption(f"Seed {st.session_state['seed']}: every random choice derives from it.")


def k_controls(n_rows: int) -> int:
    """A k slider and a number input that stay in step; returns k."""
    top = max(2, min(1000, n_rows // 2))
    k = min(int(st.session_state["k"]), n_rows)
    # only push k into a widget when it differs, so a press in flight is never overwritten
    if st.session_state.get("k_slider") != min(max(k, 2), top):
        st.session_state["k_slider"] = min(max(k, 2), top)
    if st.session_state.get("k_number") != k:
        st.session_state["k_number"] = k

    def from_slider():
        st.session_state["k"] = st.session_state["k_slider"]

    def from_number():
        st.session_state["k"] = st.session_state["k_number"]

    left, right = st.columns([4, 1])
    left.slider("k: every record shares its quasi-identifiers with at least k − 1 others", 2, top,
                key="k_slider", on_change=from_slider)
    right.number_input("k (any value)", min_value=1, max_value=n_rows, step=1, key="k_number",
                       on_change=from_number)
    return int(st.session_state["k"])


def method_control() -> str:
    st.radio("Method", list(METHODS), format_func=METHODS.get, horizontal=True, key="method",
             help="Accuracy-guided: a decision tree trained on the model's own predictions decides which records "
                  "become indistinguishable. Mondrian: classic k-anonymity that splits ranges at their median.")
    return st.session_state["method"]



def split_caption(exp: Experiment) -> str:
    holdout = "the test table" if exp.holdout is not exp.nonmembers else "the non-members"
    return (f"Simulated on one seeded split: {len(exp.members):,} members (the training data that gets anonymized), "
            f"{len(exp.nonmembers):,} non-members and an attacker's pool of {len(exp.pool):,}; accuracy is measured "
            f"on {len(exp.holdout):,} records of {holdout}, never on training data. Model: {exp.model_source}.")


def load_experiment(ctx: Context):
    """The cached Experiment for the current state, or None after showing why it cannot be built."""
    try:
        return experiment(ctx.key, ctx.dataset, ctx.roles, ctx.seed)
    except Exception as exc:
        engine_error(exc)
        return None


def experiment_page(title: str, note: str = "") -> tuple[Context, Experiment]:
    """Open a page that works on the simulated split: title, context, experiment and its caption."""
    st.title(title)
    ctx = context()
    exp = load_experiment(ctx)
    if exp is None:
        st.stop()
    st.caption(split_caption(exp) + note)
    return ctx, exp


def sweep_with_progress(exp: Experiment, ks: list[int], attacks: bool, what: str) -> list:
    """exp.sweep over both methods with a progress bar; points already run come back at once."""
    bar = st.progress(0.0, text=f"Starting the {what}...")

    def progress(done, total, label):
        bar.progress(done / total, text=f"{label} ({done}/{total})")

    runs = exp.sweep(exp.usable_ks(ks), list(METHODS), progress, attacks=attacks)
    bar.empty()
    return runs
