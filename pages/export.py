"""Export: the anonymized table, the generalization rules, the retrained model and a report."""

import re

import streamlit as st

from anonymizer.analysis import METHODS
from anonymizer.export import csv_bytes, model_file, parquet_bytes
from anonymizer.models import retrain
from anonymizer.report import build_report
from anonymizer.text import markdown_escape as esc
from pages import widgets

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

st.subheader("Anonymized table")
c1, c2 = st.columns(2)
c1.download_button("Download CSV", csv_bytes(anon.data), f"{stem}_k{k}_{method}.csv", "text/csv",
                   help="Header and text cells starting with =, +, -, @, tab or CR get a leading apostrophe so "
                        "spreadsheets do not run them as formulas.")
c2.download_button("Download Parquet", parquet_bytes(anon.data), f"{stem}_k{k}_{method}.parquet",
                   "application/octet-stream")

st.subheader("Generalization rules")
st.caption("Per class: its size, and for every quasi-identifier the range or set it covers and the value shown.")
st.download_button("Download rules (JSON)", anon.result.rules_json(), f"{stem}_k{k}_{method}_rules.json",
                   "application/json")

st.subheader("Retrained model")
if st.toggle("Prepare the model retrained on the anonymized table", key="want_model"):
    try:
        with st.spinner("Retraining the model on the anonymized table..."):
            guide = analysis.guide.model
            labelled = anon.data[anon.data[analysis.roles.target].notna()]
            features = [f for f in analysis.features if f in labelled.columns]
            model, recipe = retrain(guide, labelled[features], labelled[analysis.roles.target], seed)
        suffix, content, fmt = model_file(model)
        st.download_button(f"Download model ({fmt})", content, f"{stem}_k{k}_{method}_model{suffix}",
                           "application/octet-stream")
        st.caption(esc(f"Retrained as: {recipe}. {fmt} files are safe to open (no pickle)."))
    except Exception as exc:
        widgets.error(exc)

st.subheader("Report for stakeholders")
try:
    sim_ready = analysis.roles.target is not None
    with st.spinner("Assembling the report..."):
        report = build_report(analysis, method, k)
    if not (sim_ready and analysis.simulation.attacks_ready):
        st.caption("Run the attacks on the Attacks page to include them in the report.")
    st.download_button("Download report (HTML)", report, f"{stem}_k{k}_{method}_report.html", "text/html")
except Exception as exc:
    widgets.error(exc)
