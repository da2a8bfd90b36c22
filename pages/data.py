"""Data & model: choose the table, the model and the column roles."""

from dataclasses import replace

import streamlit as st

from anonymizer import DataError
from anonymizer.names import FAMILY_NAMES
from anonymizer.results import LEAK
from anonymizer.roles import Roles
from anonymizer.suggest import Suggestion, suggest
from anonymizer.target_leaks import drop_leaking, target_leaks_for
from anonymizer.text import markdown_escape as esc
from pages import state, widgets

ENCODINGS = {"auto": "UTF-8 (default)", "cp1252": "Windows-1252", "latin-1": "Latin-1 (ISO-8859-1)",
             "utf-16": "UTF-16", "mac_roman": "Mac Roman"}

ROLE_OF_WIDGET = {"target": "target", "qis": "quasi_identifiers", "sensitive": "sensitive", "drop_columns": "dropped"}


@st.cache_data(max_entries=16, show_spinner="Looking at the columns...",
               hash_funcs={state.Dataset: lambda d: d.digest})
def suggestion_for(dataset: state.Dataset) -> Suggestion:
    return suggest(dataset.data)


def on_role_change(widget: str) -> None:
    """A role widget changed: move the columns it names into that role (out of any other), with a note."""
    roles: Roles = st.session_state["roles"]
    value = st.session_state[widget]
    role = ROLE_OF_WIDGET[widget]
    notes = []
    if role in ("target", "sensitive"):
        if value is None:
            roles = replace(roles, **{role: None})
        else:
            roles, note = roles.assign(value, role)
            notes.append(note)
        if role == "target" and value is not None:  # a hand-picked target gets the check a suggested one gets
            roles, moved = drop_leaks(roles)
            notes += moved
    else:
        before = set(getattr(roles, role))
        for column in [c for c in value if c not in before]:
            roles, note = roles.assign(column, role)
            notes.append(note)
        roles = replace(roles, **{role: tuple(c for c in getattr(roles, role) if c in value)})
    st.session_state["roles"] = roles
    st.session_state["role_notes"] = [n for n in notes if n]
    state.show_roles(roles)


def drop_leaks(roles: Roles) -> tuple[Roles, list[str]]:
    """Columns that give the new target away move to the dropped ones, with a note each."""
    return drop_leaking(roles, target_leaks_for(state.current()[0].data, roles))


def drop_column(column: str) -> None:
    roles, _ = st.session_state["roles"].assign(column, "dropped")
    st.session_state["roles"] = roles
    state.show_roles(roles)


def on_task_change() -> None:
    choice = st.session_state["task_choice"]
    st.session_state["roles"] = replace(st.session_state["roles"], task=None if choice == "detect" else choice)


st.title("Data & model")
dataset, roles = state.current()

with st.expander("Use your own data", expanded=dataset.name != state.DEMO_NAME):
    st.caption("CSV (comma, semicolon, tab or | separated) or Parquet, up to 200 MB. Nothing you upload is "
               "modified or stored outside this session.")
    up, enc = st.columns([3, 1])
    enc.selectbox("Text encoding (CSV)", list(ENCODINGS), format_func=ENCODINGS.get, key="encoding",
                  help="UTF-8 unless you choose another; a file in another encoding is refused with the likely one "
                       "named. Parquet files carry their own.")
    upload = up.file_uploader("Table (the model's training data)", type=["csv", "parquet"], key="upload_table")
    if upload is not None and st.session_state.get("loaded_table") != (upload.file_id, st.session_state["encoding"]):
        st.session_state["loaded_table"] = (upload.file_id, st.session_state["encoding"])
        st.session_state.pop("table_error", None)
        try:
            frame, dig = state.read_upload(upload)
            new = state.Dataset(upload.name, frame, dig)
            state.use_dataset(new, state.roles_for(new, suggestion_for(new).roles()))
            st.rerun()
        except DataError as exc:
            st.session_state["table_error"] = str(exc)
    if st.session_state.get("table_error") and upload is not None:
        st.error(esc(st.session_state["table_error"] + " The previous dataset stays in use."))
    elif upload is None:
        st.session_state.pop("table_error", None)

    test_upload = st.file_uploader("Separate test table (optional: held-out records for accuracy)",
                                   type=["csv", "parquet"], key="upload_test")
    if test_upload is not None and st.session_state.get("loaded_test") != (test_upload.file_id, dataset.digest):
        st.session_state["loaded_test"] = (test_upload.file_id, dataset.digest)
        try:
            test, dig = state.read_upload(test_upload)
            new = replace(dataset, test=test, test_name=test_upload.name, test_digest=dig)
            state.check(new, roles)
            state.use_dataset(new, roles)
            st.rerun()
        except DataError as exc:
            st.error(esc(f"{exc} The previous test table stays in use."))

    st.checkbox("Allow pickle/joblib models", key="allow_pickle",
                help="Loading a pickle runs any code inside the file. Tick this only for files you made yourself.")
    model_types = ["txt", "lgb", "model", "skops"] + (["pkl", "pickle", "joblib"] if st.session_state["allow_pickle"]
                                                      else [])
    model_upload = st.file_uploader("Trained model (optional): LightGBM text or skops", type=model_types,
                                    key="upload_model")
    if model_upload is not None and st.session_state.get("loaded_model") != (model_upload.file_id, dataset.digest):
        st.session_state["loaded_model"] = (model_upload.file_id, dataset.digest)
        try:
            model, dig = state.read_model_upload(model_upload, st.session_state["allow_pickle"])
            new = replace(dataset, model=model, model_name=model_upload.name, model_digest=dig)
            state.check(new, roles)
            state.use_dataset(new, roles)
            st.rerun()
        except DataError as exc:
            st.error(esc(f"{exc} The previous model stays in use."))
    widgets.persistent(st.selectbox, "Model family (when no model is uploaded)", list(FAMILY_NAMES), key="model_family",
                 format_func=FAMILY_NAMES.get,
                 help="The model trained on your table. A full-depth random forest, as such models are often shipped, "
                      "memorizes its training rows: that is where anonymization and DP show their effect.")
    if dataset.model is not None and dataset.test is None:
        st.warning("With a trained model, the table is taken to be its training data: upload a test table too, "
                   "so the Utility and Attacks pages have records the model never saw.")
    if dataset.name != state.DEMO_NAME and st.button("Back to the demo"):
        state.use_dataset(state.demo_dataset(), state.DEMO_ROLES)
        st.rerun()

if st.session_state.get("link_note"):
    st.info(esc(st.session_state["link_note"]))
    if st.session_state.get("pending_scenario") is None or \
            st.session_state["pending_scenario"].data == dataset.digest:
        st.session_state.pop("link_note")
st.subheader(esc(f"{dataset.name}: {len(dataset.data):,} rows, {dataset.data.shape[1]} columns"))
for note in dataset.data.attrs.get("reading_notes", []):
    st.caption(esc(f"Read: {note}."))
suggestion = suggestion_for(dataset)
for message in suggestion.messages:
    st.caption(esc(f"Suggestion: {message}"))
if suggestion.identifiers:
    st.warning(esc("Likely direct identifiers: " + ", ".join(f"{c} ({why})" for c, why in suggestion.identifiers)
                   + ". They single people out on their own and should be dropped, not generalized."))


columns = list(dataset.data.columns)
st.markdown("#### Column roles")
st.caption("Choosing a column for one role takes it out of the others.")
c1, c2 = st.columns([1, 2])
c1.selectbox("Target (what the model predicts)", [None] + columns, key="target",
             format_func=lambda c: "(choose)" if c is None else str(c), on_change=on_role_change, args=("target",))
c2.multiselect("Quasi-identifiers (could identify a person when combined)", columns, key="qis",
               on_change=on_role_change, args=("qis",),
               help="Suggested: " + (", ".join(map(str, suggestion.quasi_identifiers)) or "none found"))
c3, c4 = st.columns([1, 2])
c3.selectbox("Sensitive attribute (optional)", [None] + columns, key="sensitive",
             format_func=lambda c: "(none)" if c is None else str(c), on_change=on_role_change, args=("sensitive",),
             help="Adds l-diversity and t-closeness, and the attribute-inference attack.")
c4.multiselect("Columns to drop before anything else", columns, key="drop_columns", on_change=on_role_change,
               args=("drop_columns",), help="Direct identifiers are pre-selected.")
for note in st.session_state.pop("role_notes", []):
    st.info(esc(note))

roles = st.session_state["roles"]
if roles.target is None:
    st.warning("No target chosen: name the column the model predicts. The accuracy-guided method, the Utility and "
               "the Attacks pages need it (Mondrian works without).")
if not roles.quasi_identifiers:
    st.warning("No quasi-identifiers chosen: none was found by name. Choose the columns an attacker could know "
               "about a person (age, sex, postcode, dates...).")
try:
    analysis = state.analysis()
except DataError as exc:
    analysis = None
    st.error(esc(f"{exc}."))
check = analysis.target_leaks if analysis is not None else None
if check is not None and check.findings:
    st.markdown("##### Columns that give the target away")
    for i, finding in enumerate(check.findings):
        st.warning(esc(finding.message(check.target) + "."))
        st.button(f"Drop it: {finding.column}", key=f"drop_leak_{i}", on_click=drop_column, args=(finding.column,),
                  type="primary" if finding.level == LEAK else "secondary")
dropped_leaks = [c for c, _ in suggestion.target_leaks if c in roles.dropped]
if dropped_leaks and roles.target == suggestion.target:
    st.caption(esc("Dropped because they give the target away: " + ", ".join(dropped_leaks)
                   + ". A model that reads them scores near-perfectly whatever is anonymized."))
t1, t2 = st.columns([1, 2])
t1.radio("Task", ["detect", "classification", "regression"], key="task_choice", horizontal=True,
         format_func=lambda t: "detect" if t == "detect" else t, on_change=on_task_change)
if analysis is not None and analysis.task:
    t2.markdown(esc(f"Task: {analysis.task} ({analysis.task_reason})."))
    if analysis.n_without_target:
        t2.caption(esc(f"{analysis.n_without_target:,} row(s) have no value in the target '{roles.target}': they "
                       "stay in the anonymized table but are left out of training and scoring."))

st.markdown("#### Columns")
st.dataframe(suggestion.column_table(), hide_index=True, width="stretch")
st.markdown("#### Preview (first 50 rows)")
st.dataframe(dataset.data.head(50).iloc[:, :500], hide_index=True, width="stretch")
if dataset.data.shape[1] > 500:
    st.caption(f"The first 500 of {dataset.data.shape[1]:,} columns are shown.")
