"""Widgets and messages every page uses: the sidebar, the k and method controls, one-line errors.

User strings (file and column names) only reach the screen through `markdown_escape`, or as data in
tables, so nothing a user uploads is ever rendered as Markdown or HTML.
"""

from __future__ import annotations

import streamlit as st

from anonymizer import DataError
from anonymizer.analysis import Analysis
from anonymizer.names import METHODS, model_description
from anonymizer.text import markdown_escape as esc
from pages import state


def error(exc: Exception, suffix: str = "") -> None:
    """A failure of the engine as one plain line, never a traceback."""
    text = str(exc) if isinstance(exc, DataError) else f"Unexpected {type(exc).__name__}: {exc}"
    st.error(esc(text + suffix))


def open_analysis() -> Analysis:
    """The session's Analysis, or a one-line error and the end of the page."""
    try:
        return state.analysis()
    except Exception as exc:
        error(exc, " Fix the roles on the Data & model page.")
        st.stop()


def sidebar() -> None:
    dataset, roles = state.current()
    side = st.sidebar
    side.markdown("### Current analysis")
    side.markdown(f"**Dataset:** {esc(dataset.name)}  \n{len(dataset.data):,} rows × {dataset.data.shape[1]} columns")
    if dataset.test is not None:
        side.caption(f"Test table: {esc(dataset.test_name)} ({len(dataset.test):,} rows)")
    side.caption("Model: " + esc(model_description(dataset.model_name if dataset.model is not None else None,
                                                   st.session_state["model_family"])))
    side.markdown(f"**Target:** {esc(roles.target)}")
    side.markdown("**Quasi-identifiers:** " + esc(", ".join(map(str, roles.quasi_identifiers))))
    side.markdown("**Sensitive:** " + (esc(roles.sensitive) if roles.sensitive else "none"))
    if roles.dropped:
        side.markdown("**Dropped:** " + esc(", ".join(map(str, roles.dropped))))
    side.caption(f"Seed {st.session_state['seed']}: every random choice derives from it.")


def k_controls(n_rows: int) -> int:
    """A k slider and a number input that stay in step; returns k. Works for any table of 1+ rows."""
    top = max(1, min(1000, n_rows // 2))
    k = max(1, min(int(st.session_state["k"]), n_rows))
    st.session_state["k"] = k
    # only push k into a widget when it differs, so a press in flight is never overwritten
    if st.session_state.get("k_number") != k:
        st.session_state["k_number"] = k

    def from_slider():
        st.session_state["k"] = st.session_state["k_slider"]

    def from_number():
        st.session_state["k"] = st.session_state["k_number"]

    left, right = st.columns([4, 1])
    if top >= 3:
        if st.session_state.get("k_slider") != min(max(k, 2), top):
            st.session_state["k_slider"] = min(max(k, 2), top)
        left.slider("k: every record shares its quasi-identifiers with at least k − 1 others", 2, top,
                    key="k_slider", on_change=from_slider)
    else:
        left.caption(f"The table has {n_rows} rows: k can be at most {n_rows}.")
    right.number_input("k (any value)", min_value=1, max_value=max(1, n_rows), step=1, key="k_number",
                       on_change=from_number)
    return int(st.session_state["k"])


def persistent(widget, label: str, *args, key: str, **kwargs):
    """`widget(label, ...)` whose value lives in the plain session key `key`, so pages that do not draw it (and
    fragment reruns) keep it: the widget has a key of its own, set from `key` and copied back on change.

    (Streamlit drops a widget's own key on a run that does not draw the widget; copying it back on every
    run was not enough after the Data page, which the browser test caught.)"""
    widget_key = f"{key}__widget"
    if st.session_state.get(widget_key) != st.session_state[key]:
        st.session_state[widget_key] = st.session_state[key]

    def chosen():
        st.session_state[key] = st.session_state[widget_key]

    widget(label, *args, key=widget_key, on_change=chosen, **kwargs)
    return st.session_state[key]


def method_control() -> str:
    """The method radio; the choice lives in the plain key "method", so pages without the radio keep it."""
    return persistent(st.radio, "Method", list(METHODS), format_func=METHODS.get, horizontal=True, key="method",
                      help="Accuracy-guided: a decision tree trained on the model's own predictions decides which "
                           "records become indistinguishable. Mondrian: classic k-anonymity that splits ranges at "
                           "their median.")


def job_status(job) -> None:
    """What a finished job ended with, as one line (nothing for a job that finished well)."""
    from anonymizer.jobs import CANCELLED, FAILED

    if job is not None and job.status == FAILED:
        st.error(esc(job.describe()))
    elif job is not None and job.status == CANCELLED:
        st.info(esc(job.describe()))


@st.fragment(run_every=1.0)
def live_job(job, draw=None) -> None:
    """A running background job (`anonymizer.jobs.Job`): its progress and time left, redrawn every second
    without rerunning the page (the rest of the page and the other pages stay usable), what it has produced
    so far (`draw()`), and a Cancel button. When the job ends the whole page is drawn again."""
    st.progress(job.done / max(job.total, 1), text=esc(job.describe()))
    if draw is not None:
        draw()
    st.button("Cancel", key=f"cancel_{job.name}", on_click=job.cancel,
              help="Stops after the step that is running; every finished step is kept.")
    if job.finished:
        st.rerun(scope="app")


def run_with_progress(what: str, work) -> None:
    """`work(progress)` under a progress bar; a failure is one line on the page, and the bar goes either way."""
    progress, done = progress_bar(what)
    try:
        work(progress)
    except Exception as exc:
        error(exc)
    done()


def progress_bar(what: str):
    """A progress callback `(done, total, label)` drawing a bar, and a function that removes it."""
    bar = st.progress(0.0, text=f"Starting the {what}...")

    def progress(done, total, label):
        bar.progress(done / total, text=f"{label} ({done}/{total})")

    return progress, bar.empty


def release_rules_controls(analysis: Analysis):
    """The release rules (hierarchies per QI, local suppression, l and t) as widgets whose values live in plain
    session keys (`persistent`), so every page anonymizes under the same rules; returns the
    `constraints.ReleaseRules`, or None (with one line shown) when a choice does not fit the table."""
    from anonymizer.constraints import ReleaseRules
    from anonymizer.hierarchies import hierarchy_choices, hierarchy_from_upload, parse_hierarchy

    roles = analysis.roles
    qis = list(roles.quasi_identifiers)
    for key, default in state.RULE_DEFAULTS.items():
        st.session_state.setdefault(key, default)
    hierarchies, problems = [], []
    with st.expander("Release rules: hierarchies, local suppression, l-diversity, t-closeness"):
        st.caption("For a table people can publish: postcodes as 021**, dates as a month, ages in round bands, "
                   "categories as a named parent; a few outlying records suppressed rather than everyone coarsened; "
                   "and l or t enforced, not only measured. Off by default; the suggested hierarchy of each "
                   "quasi-identifier is listed first.")
        for q in qis:
            choices = ["none"] + hierarchy_choices(analysis.table[q])
            key = f"{state.HIERARCHY_KEY}{q}"
            st.session_state.setdefault(key, "none")
            if st.session_state[key] not in choices:  # a link's spec that is not offered (bands at other edges)
                try:
                    parse_hierarchy(st.session_state[key])
                    choices.append(st.session_state[key])
                except DataError:
                    st.session_state[key] = "none"
            suggested = choices[1] if len(choices) > 1 and choices[1] != "taxonomy" else None
            spec = persistent(st.selectbox, f"Hierarchy of {q}", choices, key=key,
                              format_func=lambda c, s=suggested: f"{c} (suggested)" if c == s else c)
            if spec == "none":
                continue
            try:
                if spec == "taxonomy":
                    upload = st.file_uploader(f"Taxonomy of {q}: a JSON tree or a child,parent CSV",
                                              type=["json", "csv"], key=f"rules_tax::{q}")
                    if upload is None:
                        st.caption("Upload the taxonomy to use it.")
                        continue
                    hierarchy = hierarchy_from_upload(upload.name, upload.getvalue())
                else:
                    hierarchy = parse_hierarchy(spec)
                hierarchy.check_column(analysis.table[q])
            except DataError as exc:
                problems.append(str(exc))
                continue
            st.caption(esc(hierarchy.describe()))
            hierarchies.append((q, hierarchy))
        if hierarchies:
            persistent(st.radio, "Hierarchy splits", ["boundary", "lift"], key="rules_splits", horizontal=True,
                       format_func={"boundary": "split only at node boundaries",
                                    "lift": "split the values, lift each class to its lowest shared node"}.get)
        share = persistent(st.slider, "Local suppression: at most this share of records", 0.0, 0.10,
                           key="rules_suppress", step=0.005, format="%.3f",
                           help="Records whose class would force a coarser generalization are suppressed instead "
                                "(0: off). They count as fully generalized in the information loss.")
        if share > 0:
            persistent(st.radio, "Suppressed records", ["missing", "remove"], key="rules_suppression", horizontal=True,
                       format_func={"missing": "QI cells set to missing", "remove": "rows removed"}.get)
        l_value, t_value = 1, None
        if roles.sensitive is not None:
            cols = st.columns(3)
            with cols[0]:
                l_value = persistent(st.number_input, f"l-diversity of {roles.sensitive} (1: off)", key="rules_l",
                                     min_value=1, max_value=50, step=1)
            with cols[1]:
                persistent(st.radio, "l kind", ["distinct", "entropy"], key="rules_l_kind", horizontal=True)
            with cols[2]:
                if persistent(st.checkbox, "Enforce t-closeness", key="rules_t_on"):
                    t_value = persistent(st.number_input, "t", key="rules_t", min_value=0.0, max_value=1.0, step=0.05)
        else:
            st.caption("l-diversity and t-closeness need a sensitive attribute (Data & model page).")
    for line in problems:
        st.error(esc(line))
    try:
        rules = ReleaseRules(hierarchies=tuple(hierarchies), hierarchy_splits=st.session_state["rules_splits"],
                             max_suppression=float(share), suppression=st.session_state["rules_suppression"],
                             l=int(l_value) if int(l_value) > 1 else None, l_kind=st.session_state["rules_l_kind"],
                             t=t_value)
        analysis.set_rules(rules)
    except DataError as exc:
        error(exc, " The release rules are not applied.")
        analysis.set_rules(None)
        st.session_state["release_rules"] = None
        return None
    st.session_state["release_rules"] = rules if rules.active else None  # every page's analysis takes them
    return rules
