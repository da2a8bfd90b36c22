"""Export: the anonymized table, the generalization rules, the retrained model and a report."""

import streamlit as st

from anonymizer.export import csv_bytes, model_file, parquet_bytes
from anonymizer.report import build_report
from pages import common

st.title("Export")
ctx = common.context()
dataset, roles, seed, k, method, key = ctx.dataset, ctx.roles, ctx.seed, ctx.k, ctx.method, ctx.key
try:
    result, metrics = common.anonymization(key, method, k, dataset, roles, seed)
except Exception as exc:
    common.engine_error(exc)
    st.stop()
stem = dataset.name.rsplit(".", 1)[0].replace(" ", "_").replace("(", "").replace(")", "")
st.caption(f"{common.METHODS[method]} at k = {k} (k achieved {metrics.k_achieved}), seed {seed}, "
           f"{metrics.n_rows:,} rows in {metrics.n_classes:,} classes.")

st.subheader("Anonymized table")
c1, c2 = st.columns(2)
c1.download_button("Download CSV", csv_bytes(result.data), f"{stem}_k{k}_{method}.csv", "text/csv",
                   help="Text cells starting with =, +, - or @ get a leading apostrophe so spreadsheets "
                        "do not run them as formulas.")
c2.download_button("Download Parquet", parquet_bytes(result.data), f"{stem}_k{k}_{method}.parquet",
                   "application/octet-stream")

st.subheader("Generalization rules")
st.caption("Per class: its size, and for every quasi-identifier the range or set it covers and the value shown.")
st.download_button("Download rules (JSON)", result.rules_json(), f"{stem}_k{k}_{method}_rules.json",
                   "application/json")

st.subheader("Retrained model")
if st.toggle("Prepare the model retrained on the anonymized table", key="want_model"):
    try:
        model, recipe = common.retrained_model(key, method, k, dataset, roles, seed)
        suffix, content, fmt = model_file(model)
        st.download_button(f"Download model ({fmt})", content, f"{stem}_k{k}_{method}_model{suffix}",
                           "application/octet-stream")
        st.caption(f"Retrained as: {recipe}. {fmt} files are safe to open (no pickle).")
    except Exception as exc:
        common.engine_error(exc)

st.subheader("Report for stakeholders")
settings = {"dataset": dataset.name, "rows": len(dataset.data), "target": roles.target,
            "quasi-identifiers": list(roles.quasi_identifiers), "sensitive attribute": roles.sensitive or "none",
            "dropped columns": list(roles.dropped) or "none", "method": common.METHODS[method], "k": k, "seed": seed,
            "model": dataset.model_name or "LightGBM (default parameters)"}
utility = original = anonymized = None
exp = common.load_experiment(ctx)
if exp is not None:
    try:
        base = exp.original_utility["accuracy"]
        utility = {"original": base}
        for m in common.METHODS:
            utility[f"{common.METHODS[m]} k={k}"] = exp.run(m, k, attacks=False).evaluation.accuracy
        utility["QIs dropped"] = exp.qi_dropped()["accuracy"]
        if exp.attacks_ready:
            original = exp.original_evaluation
            anonymized = exp.run(method, k, attacks=True).evaluation
    except Exception as exc:
        common.engine_error(exc)
if original is None:
    st.caption("Run the attacks on the Attacks page to include them in the report.")
report = build_report(settings, result, metrics, utility, original, anonymized)
st.download_button("Download report (HTML)", report, f"{stem}_k{k}_{method}_report.html", "text/html")
