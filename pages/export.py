"""Export: the anonymized table, the generalization rules, the retrained model and a report."""

import re

import streamlit as st

from anonymizer.export import csv_bytes, model_file, parquet_bytes
from anonymizer.report import build_report
from anonymizer.text import markdown_escape as esc
from pages import state, widgets

FORMS = {"representative": "Representative (one real value per class)",
         "generalized": "Generalized (the class's range or set)"}
FORM_HELP = {
    "representative": "Each QI cell holds one real value shared by its whole class (numbers: the value closest to the "
                      "class median; categories: the most frequent one). The paper's output: retrain a model on it.",
    "generalized": "Each QI cell holds what its class covers: numbers and dates as [lo, hi] (or the value when lo = "
                   "hi), categories as {a, b, c}. For people to read; QI columns become text.",
}

st.title("Export")
analysis = widgets.open_analysis()
k, method, seed = int(st.session_state["k"]), st.session_state["method"], analysis.seed
try:
    anon = analysis.anonymize(method, k)
except Exception as exc:
    widgets.error(exc)
    st.stop()
m = anon.metrics
stem = re.sub(r"[^A-Za-z0-9_-]+", "_", analysis.name.rsplit(".", 1)[0]).strip("_") or "table"
st.caption(esc(f"{anon.label} (k achieved {m.k_achieved}), seed {seed}, {m.n_rows:,} rows in {m.n_classes:,} "
               f"classes; measured on {anon.measured_on}."))
rules = anon.result.release_rules
if rules is not None and rules.active:  # set on the Anonymize page; every export here follows them
    suppressed = (f" {m.suppressed_rows:,} records suppressed ({m.suppressed_share:.2%})."
                  if m.suppression is not None else "")
    st.caption(esc(f"Release rules: {rules.describe()}.{suppressed} Change them on the Anonymize page."))

verdict = anon.leaks.verdict(k)
if verdict.clear:
    st.success(esc(f"Leak check: {verdict.headline}"))
else:
    st.warning(esc("Leak check: " + verdict.headline + " " + " ".join(verdict.lines)
                   + " Fix it on the Anonymize page (one click) before you release."))
if m.homogeneous_classes:
    st.warning(esc(m.disclosure_reading()))
target_check = analysis.target_leaks
if target_check is not None and target_check.findings:
    st.warning(esc(" ".join(t + "." for t in target_check.messages())))
st.caption(esc(f"{anon.leaks.unique_share_all_columns:.1%} of records are unique over all released columns; k counts "
               "the quasi-identifiers only."))

st.subheader("Anonymized table")
form = st.radio("Quasi-identifier cells", list(FORMS), format_func=FORMS.get, key="output_form", horizontal=True)
st.caption(FORM_HELP[form])
table = anon.output(form)
c1, c2 = st.columns(2)
c1.download_button("Download CSV", csv_bytes(table), f"{stem}_k{k}_{method}_{form}.csv", "text/csv",
                   help="Header and text cells starting with =, +, -, @, tab or CR get a leading apostrophe so "
                        "spreadsheets do not run them as formulas.")
c2.download_button("Download Parquet", parquet_bytes(table), f"{stem}_k{k}_{method}_{form}.parquet",
                   "application/octet-stream")

st.subheader("Generalization rules")
st.caption("Per class: its size, and for every quasi-identifier the range or set it covers and the value shown.")
st.download_button("Download rules (JSON)", anon.result.rules_json(), f"{stem}_k{k}_{method}_rules.json",
                   "application/json")

st.subheader("Retrained model")
if st.toggle("Prepare the model retrained on the anonymized table", key="want_model"):
    try:
        with st.spinner("Retraining the model on the anonymized table..."):
            model, recipe = analysis.retrained_model(method, k)
        suffix, content, fmt = model_file(model)
        st.download_button(f"Download model ({fmt})", content, f"{stem}_k{k}_{method}_model{suffix}",
                           "application/octet-stream")
        st.caption(esc(f"Retrained as: {recipe}. {fmt} files are safe to open (no pickle)."))
    except Exception as exc:
        widgets.error(exc)

st.subheader("DP synthetic data")
st.caption("Instead of the anonymized rows, a table drawn from a differentially private model of the whole table "
           "(MST: every column's marginal and a tree of column pairs, measured with noise): the same columns and "
           "types, no row a person's. The Attacks page measures what it costs and buys on the members.")
c1, c2 = st.columns([1, 2])
synthetic_epsilon = c1.number_input("Epsilon", min_value=0.01, max_value=100.0, value=4.0, step=0.5,
                                    key="export_synthetic_epsilon")
if c2.toggle("Make the synthetic table", key="want_synthetic"):
    try:
        with st.spinner("Measuring the marginals and drawing the synthetic rows..."):
            made = analysis.synthetic(float(synthetic_epsilon))
        name = f"{stem}_synthetic_eps{synthetic_epsilon:g}"
        d1, d2, d3 = st.columns(3)
        d1.download_button("Download CSV", csv_bytes(made.table), f"{name}.csv", "text/csv", key="synthetic_csv")
        d2.download_button("Download Parquet", parquet_bytes(made.table), f"{name}.parquet",
                           "application/octet-stream", key="synthetic_parquet")
        d3.download_button("Download its description (JSON)", made.description_json(), f"{name}_rules.json",
                           "application/json", key="synthetic_rules")
        fid = made.fidelity
        st.caption(esc(f"{len(made.table):,} rows, MST at ε = {made.epsilon:g}, δ = {made.delta:g}, seed {made.seed} "
                       f"(the budget in thirds: 1-way marginals, choosing the tree, 2-way marginals); mean total "
                       f"variation distance to the real marginals: {fid['tvd_1way']:.3f} per column"
                       + (f", {fid['tvd_2way']:.3f} per pair of columns" if fid["tvd_2way"] is not None else "")
                       + f". Public schema: {made.budget['schema']}. The seed makes it reproducible; a table meant "
                         "for release needs a secret seed (CLI: synthesize --seed)."))
        if made.budget["not_counted"]:
            st.warning(esc(f"Synthetic-data caveat: {made.budget['not_counted']}."))
    except Exception as exc:
        widgets.error(exc)

st.subheader("Report for stakeholders")
try:
    sim_ready = analysis.roles.target is not None
    with st.spinner("Assembling the report..."):
        report = build_report(analysis, method, k, float(st.session_state["utility_budget"]),
                              state.scenario().epsilons)
    if not (sim_ready and analysis.simulation.attacks_ready):
        st.caption("Run the attacks on the Attacks page to include them in the report.")
    st.download_button("Download report (HTML)", report, f"{stem}_k{k}_{method}_report.html", "text/html")
except Exception as exc:
    widgets.error(exc)
