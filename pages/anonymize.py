"""Anonymize: move k, pick the method, see the classes, the records and the privacy metrics."""

import numpy as np
import streamlit as st

from anonymizer.analysis import PREFETCH_MAX_ROWS
from anonymizer.charts import class_size_histogram, reading_class_sizes, reading_recoding, recoding_bars
from anonymizer.data import DataError
from anonymizer.display import changed_cells, describe_k, format_alike, hierarchy_level_table, plural
from anonymizer.release_attacks import (
    KNOWLEDGE_NAMES,
    Knowledge,
    linkage_table,
    make_uploaded_auxiliary,
    reading_linkage,
    risk_table,
)
from anonymizer.text import markdown_escape as esc
from pages import state, widgets

MAX_SHOWN_COLUMNS = 40  # records side by side: QIs first, then other columns up to this many

st.title("Anonymize")
analysis = widgets.open_analysis()
roles = analysis.roles


@st.fragment
def controls_and_results():
    """The k and method controls and everything they drive rerun alone, not the whole page."""
    method = widgets.method_control()
    k = widgets.k_controls(len(analysis.table))
    widgets.release_rules_controls(analysis)
    try:
        anon = analysis.anonymize(method, k)
    except Exception as exc:  # one line; the page stays usable
        widgets.error(exc)
        return
    m = anon.metrics
    cards = st.columns(5)
    cards[0].metric("k achieved", describe_k(m.k_achieved),
                    help="Size of the smallest class over the quasi-identifiers, checked on the output itself.")
    cards[1].metric("Classes", f"{m.n_classes:,}", help="Groups of records that share all quasi-identifiers.")
    cards[2].metric("Information loss (GCP)", f"{m.gcp:.1%}",
                    help="0% = nothing generalized, 100% = every QI generalized to its whole range.")
    cards[3].metric("Max re-identification risk", f"{m.max_risk:.1%}",
                    help="1 / size of the smallest class: the best odds of picking out one person.")
    cards[4].metric("Average risk", f"{m.avg_risk:.2%}", help="Classes / records.")
    if roles.sensitive:
        s = st.columns(5)
        s[0].metric("Distinct l-diversity", m.l_distinct, help="Fewest different sensitive values within one class.")
        s[1].metric("Entropy l-diversity", f"{m.l_entropy:.2f}",
                    help="exp(entropy) of the sensitive values in the least diverse class.")
        s[2].metric("t-closeness", f"{m.t_closeness:.3f}",
                    help="Largest distance between a class's sensitive values and the whole table's (0 = same).")
        s[3].metric("Records at risk", f"{m.share_at_risk:.1%}",
                    help=f"Share of records whose re-identification risk exceeds {m.risk_threshold:.0%}, or who sit "
                         f"in a class that discloses '{roles.sensitive}'.")
        s[4].metric("Classes that disclose it", f"{m.homogeneous_classes:,}",
                    help=m.homogeneous_rule[0].upper() + m.homogeneous_rule[1:] + ".")
        if st.session_state.get("disclosure_note"):
            st.info(esc(st.session_state.pop("disclosure_note")))
        if m.homogeneous_classes:
            disclosure(anon, method, k)
        if roles.sensitive in roles.quasi_identifiers:
            st.caption(esc(f"'{roles.sensitive}' is also a quasi-identifier, so records in a class tend to share it: "
                           "l-diversity is low and t-closeness high by construction."))
    st.caption(esc(f"{anon.label}, seed {anon.seed}; measured on {anon.measured_on}; anonymization took "
                   f"{anon.result.seconds:.2f} s."))
    rules_achieved(anon)

    release_check(anon)
    linkage(method, k)

    st.plotly_chart(class_size_histogram(anon.class_sizes, k), width="stretch")
    st.caption(esc(reading_class_sizes(anon.class_sizes, k)))

    st.subheader("Equivalence classes")
    st.caption("Select a class to see its records below.")
    summary = anon.class_summary
    if st.session_state.get("only_disclosing") and len(anon.disclosing_classes):
        summary = summary[summary["class"].isin(anon.disclosing_classes)]
        st.caption(esc(f"Showing the {len(summary):,} classes that disclose '{roles.sensitive}'."))
        st.button("Show every class", key="all_classes", on_click=st.session_state.update,
                  kwargs={"only_disclosing": False})
    selection = st.dataframe(summary.head(5000), hide_index=True, width="stretch", height=300, on_select="rerun",
                             selection_mode="single-row", key="class_table")
    if len(summary) > 5000:
        st.caption(f"The first 5,000 of {len(summary):,} classes are listed.")
    rows = selection.selection.rows if selection else []
    if rows:
        class_id = int(summary.iloc[rows[0]]["class"])
        positions = anon.rows_shown(class_id, limit=len(analysis.table))
        st.markdown(f"**Class {class_id}: {plural(len(positions), 'record')}** (first 100 shown)")
        positions = positions[:100]
    else:
        positions = anon.rows_shown()
        st.markdown("**The first 100 records**")
    if anon.result.removes_rows:
        st.caption(f"Records removed by local suppression ({anon.result.n_suppressed:,}) are not in the release "
                   "and not shown.")
    qis = list(roles.quasi_identifiers)
    shown = (qis + [c for c in analysis.table.columns if c not in qis])[:MAX_SHOWN_COLUMNS]
    original = analysis.table.iloc[positions][shown]
    anonymized = anon.data.iloc[positions][shown]
    changed = changed_cells(original, anonymized)
    original, anonymized = format_alike(original, anonymized)  # unchanged cells read the same in both
    left, right = st.columns(2)
    left.caption("Original")
    left.dataframe(original, width="stretch", height=350)
    right.caption(f"Anonymized ({changed.to_numpy().mean():.0%} of cells changed, highlighted)")
    right.dataframe(anonymized.style.apply(lambda _: np.where(changed, "background-color: #FCE8B2", ""), axis=None),
                    width="stretch", height=350)
    if analysis.table.shape[1] > MAX_SHOWN_COLUMNS:
        st.caption(f"The quasi-identifiers and the first other columns are shown ({MAX_SHOWN_COLUMNS} of "
                   f"{analysis.table.shape[1]:,}).")

    st.subheader("What the recoding did to each quasi-identifier")
    recoding = anon.recoding
    column = st.selectbox("Quasi-identifier", list(roles.quasi_identifiers), key="recoding_column",
                          format_func=str)
    st.plotly_chart(recoding_bars(recoding, column), width="stretch")
    st.caption(esc(reading_recoding(recoding, column)))
    called = recoding[recoding["called_out"]]
    if len(called):
        st.caption(esc(f"Across all QIs, {plural(len(called), 'category', 'categories')} vanish or lose more than "
                       "half their records: the anonymized table no longer shows them as they were."))
    state.sync_url()  # a fragment rerun does not run app.py: keep the link in step with k and the method
    # last, so the neighbours' work (LightGBM threads on every core) never slows drawing this k
    analysis.prefetch(method, [k - 1, k + 1])


def rules_achieved(anon) -> None:
    """What the release rules did: suppression, and the level each QI with a hierarchy reached."""
    m = anon.metrics
    rules = anon.result.release_rules
    if rules is None or not rules.active:
        return
    st.markdown("##### Release rules")
    st.caption(esc(f"Asked: {rules.describe()}."))
    for line in m.rule_notes:
        st.warning(esc(line))
    if m.suppression is not None:
        how = "rows removed from the release" if m.suppression == "remove" else "quasi-identifiers set to missing"
        st.metric("Records suppressed", f"{m.suppressed_rows:,} ({m.suppressed_share:.2%})",
                  help=f"At most {rules.max_suppression:.1%} allowed; {how}. Each counts as fully generalized "
                       "(NCP 1 on every quasi-identifier) in the information loss; the same records in every column.")
    if m.hierarchy_levels:
        st.dataframe(hierarchy_level_table(m.hierarchy_levels), hide_index=True, width="stretch")
        st.caption("Records per level each quasi-identifier's classes were released at (root * = fully generalized); "
                   "the class table below names each class's node and level.")


def adversary_table():
    """The adversary's table the analyst uploaded, as a `release_attacks.Auxiliary`, or None (the one made from
    the data); a bad file gets one line and the made table stays in use."""
    dataset, _ = state.current()
    upload = st.file_uploader("The adversary's table (CSV or Parquet): an identifier column and some of the "
                              "quasi-identifiers", type=["csv", "parquet"], key="upload_auxiliary")
    if upload is None:
        return None
    try:
        if st.session_state.get("auxiliary_file") != (upload.file_id, dataset.digest):
            st.session_state["auxiliary_table"] = state.read_upload(upload)
            st.session_state["auxiliary_file"] = (upload.file_id, dataset.digest)
        table, digest = st.session_state["auxiliary_table"]
        shared = [c for c in table.columns if c in dataset.data.columns]
        ordered = [c for c in roles.dropped if c in shared] + [c for c in shared if c not in roles.dropped]
        if not ordered:
            raise DataError("the adversary's table shares no column with the data, so no one in it can be checked "
                            "against the release: it needs the data's identifier column (e.g. a name or an ID)")
        id_column = st.selectbox("Its identifier column (in the data too, dropped from the release)", ordered,
                                 key="auxiliary_id", format_func=str)
        if len(dataset.data) != len(analysis.table):
            raise DataError("the data's rows and the analysed rows differ; link an uploaded table on the whole data")
        return make_uploaded_auxiliary(table, id_column, dataset.data[id_column].reset_index(drop=True),
                                       list(roles.quasi_identifiers), digest + id_column, upload.name)
    except DataError as exc:
        st.error(esc(f"{exc}. The adversary's table made from the data stays in use."))
        return None


def linkage(method: str, k: int) -> None:
    """The adversary who links an identified table to the release (anonymizer.release_attacks): the linkage,
    the risks with a control set, and the population figures."""
    st.subheader("An adversary with an identified table")
    on = st.toggle("Attack the released table", key="linkage_on",
                   help="Play the adversary who holds names and some quasi-identifiers of real people and links "
                        "them to the release (the Netflix and voter-list re-identifications).")
    if not on:
        st.caption("The linkage attack, the singling-out, linkability and inference risks against a control set, and "
                   "the population risks of the released table.")
        return
    source = st.radio("The adversary's table", ["made", "uploaded"], horizontal=True, key="linkage_source",
                      format_func={"made": "made from the data", "uploaded": "my own file"}.get)
    auxiliary = adversary_table() if source == "uploaded" else None
    if auxiliary is None:
        st.caption("Made from the data: a seeded half of the people (at most 5,000), with who they are, plus 20% "
                   "outsiders who are not in the table. The adversary links each to the released classes "
                   "(generalized form) and names one person of the best match.")
    else:
        st.caption(esc(f"{auxiliary.name}: {len(auxiliary.table):,} people, knowing "
                       f"{', '.join(auxiliary.known_columns(list(roles.quasi_identifiers)))}; identified by "
                       f"'{auxiliary.id_column}'."))
    knowledge = st.radio("The adversary knows the quasi-identifiers", list(KNOWLEDGE_NAMES), horizontal=True,
                         format_func=KNOWLEDGE_NAMES.get, key="linkage_knowledge")
    try:
        with st.spinner("Linking..."):
            results = [analysis.linkage(s, None, knowledge=Knowledge(knowledge), auxiliary=auxiliary)
                       for s in ("original", "qi_dropped")]
            results.append(analysis.linkage(method, k, knowledge=Knowledge(knowledge), auxiliary=auxiliary))
    except Exception as exc:
        widgets.error(exc)
        return
    st.dataframe(linkage_table(results), hide_index=True, width="stretch")
    st.caption(esc(reading_linkage(results)))
    control_risks(method, k)
    population(method, k)


def control_risks(method: str, k: int) -> None:
    """Singling-out, linkability and inference against a control set: the simulation's members released, its
    non-members the people who were not."""
    st.markdown("##### Risks against a control set")
    if roles.target is None:
        st.info("The risks with a control set use the simulation's split, which needs a target column.")
        return
    try:
        with st.spinner("Attacking the members' release and the control..."):
            sim = analysis.simulation
            results = [sim.release_attack("original"), sim.release_attack(method, k)]
    except Exception as exc:
        widgets.error(exc)
        return
    st.dataframe(risk_table(results), hide_index=True, width="stretch")
    secret = (f"; inference guesses '{roles.sensitive}'" if roles.sensitive else
              "; inference needs a sensitive attribute")
    st.caption(esc(f"Each risk is (attack − control) / (1 − control), 95% interval: the attack's success on "
                   f"{results[0]['control_rows']:,} released members minus its success on as many non-members who "
                   f"were not released (seed {analysis.seed}){secret}. Near 0: the release tells an attacker no more "
                   "about its own people than about anyone of the population."))


def population(method: str, k: int) -> None:
    """The journalist and marketer risks and the population uniques, where the table samples a population."""
    sample = st.checkbox("The table is a sample of a larger population", key="is_sample")
    if not sample:
        return
    fraction = st.number_input("Sampling fraction: the table's share of its population", 0.0001, 1.0, 0.1,
                               step=0.01, format="%.4f", key="sampling_fraction")
    st.dataframe(analysis.population(method, k, fraction), hide_index=True, width="stretch")
    st.caption("Journalist risk: the highest chance of naming a record of the sample from the population; marketer "
               "risk: the expected share named. Record risk E[1/F | f] with a negative binomial population "
               "(Benedetti-Franconi); population uniques by Zayatz's estimator.")


def find_k(method: str, k: int) -> None:
    """The one-click way forward from attribute disclosure: the smallest larger k without it, if any."""
    found, tried = analysis.k_without_disclosure(method, k)
    if found is not None:
        st.session_state["k"] = found
        st.session_state["disclosure_note"] = (f"k = {found} is the smallest k tried ({', '.join(map(str, tried))}) "
                                               "at which no class discloses the sensitive attribute.")
    else:
        st.session_state["disclosure_note"] = (
            f"No k tried up to {tried[-1] if tried else k} removes every disclosing class: the attribute is too "
            "skewed for k alone. Choose a coarser sensitive attribute, or a different one." if tried else
            "The table is too small for a larger k.")


def disclosure(anon, method: str, k: int) -> None:
    """Classes where everyone shares the sensitive value: named, with the ways forward at one click."""
    st.warning(esc(anon.metrics.disclosure_reading()))
    left, right, _ = st.columns([1, 1, 2])
    left.button("Show these classes", key="show_disclosing", on_click=st.session_state.update,
                kwargs={"only_disclosing": True})
    small = len(analysis.table) <= PREFETCH_MAX_ROWS  # up to 12 anonymizations of the table, while one waits
    right.button("Find a k without them", key="find_k", on_click=find_k, args=(method, k), type="primary",
                 disabled=not small, help=None if small else "For tables of more than 200,000 rows: try larger k "
                                                              "values with the slider instead.")


def fix_roles(action: str, column: str) -> None:
    """A one-click fix from the leak check: make a kept column a QI, or drop it."""
    roles = st.session_state["roles"]
    roles, _ = roles.assign(column, "quasi_identifiers" if action == "make_qi" else "dropped")
    st.session_state["roles"] = roles
    state.show_roles(roles)


def release_check(anon) -> None:
    """Whether the k shown holds for the table as released (`LeakReport.verdict`), with each fix at one click."""
    report = anon.leaks
    verdict = report.verdict(anon.k)
    st.markdown("##### What the released table reveals")
    if verdict.clear:
        st.success(esc(verdict.headline))
        return
    if verdict.findings:
        st.error(esc(verdict.headline))
    for i, finding in enumerate(report.findings()):
        st.warning(esc(finding["message"] + "."))
        buttons = st.columns(4)
        for j, fix in enumerate(finding["fixes"]):
            label = ("Make it a quasi-identifier" if fix["action"] == "make_qi" else "Drop it") + \
                f": {fix['column']}"
            buttons[j].button(label, key=f"fix_{i}_{j}", on_click=fix_roles, args=(fix["action"], fix["column"]),
                              type="primary" if j == 0 else "secondary")
    if verdict.weak:
        st.warning(esc(verdict.weak_line + " Make such a column a quasi-identifier if an attacker may know it."))


controls_and_results()
