"""Utility: what anonymization costs in accuracy, against the original model and the baselines."""

import pandas as pd
import streamlit as st

from anonymizer.charts import accuracy_sweep, reading_sweep
from anonymizer.experiment import accuracy_points
from pages import common

ctx, exp = common.experiment_page("Utility")
k, method, key = ctx.k, ctx.method, ctx.key
try:
    original = exp.original_utility
    with st.spinner(f"Anonymizing the members at k = {k} and retraining..."):
        runs = {m: exp.run(m, k, attacks=False) for m in common.METHODS}
    dropped = exp.qi_dropped()
except Exception as exc:
    common.engine_error(exc)
    st.stop()

cards = st.columns(4)
cards[0].metric("Original model", f"{original['accuracy']:.2%}", help="Accuracy on held-out records.")
for col, m in zip(cards[1:3], common.METHODS):
    acc = runs[m].evaluation.accuracy
    col.metric(f"{common.METHODS[m]}, k = {k}", f"{acc:.2%}", f"{100 * (acc - original['accuracy']):+.2f} pt",
               help="The same kind of model retrained on the anonymized members.")
lost = 100 * (dropped["accuracy"] - original["accuracy"])
cards[3].metric("QIs dropped", f"{dropped['accuracy']:.2%}", f"{lost:+.2f} pt",
                help="Retrained without the quasi-identifier columns at all: the price of not generalizing.")

rows = [{"model": "original", **original}]
rows += [{"model": f"{common.METHODS[m]} (k = {k})", "accuracy": r.evaluation.accuracy,
          "balanced_accuracy": r.evaluation.balanced_accuracy, "roc_auc": r.evaluation.roc_auc}
         for m, r in runs.items()]
table = pd.DataFrame(rows).rename(columns={"balanced_accuracy": "balanced accuracy", "roc_auc": "ROC AUC"})
st.dataframe(table, hide_index=True, width="stretch",
             column_config={c: st.column_config.NumberColumn(format="%.4f") for c in
                            ("accuracy", "balanced accuracy", "ROC AUC")})
st.caption(f"Method on the Anonymize page: {common.METHODS[method]}. Retrained as: {runs[method].recipe}.")

st.subheader("Accuracy across k")
sweeps = st.session_state.setdefault("sweeps", {})
if st.button("Run the k sweep", help=f"k = {', '.join(map(str, common.SWEEP_KS))} for both methods; "
                                     "each point is cached."):
    sweeps[key] = accuracy_points(common.sweep_with_progress(exp, common.SWEEP_KS, False, "sweep"))
if key in sweeps:
    points = sweeps[key]
    st.plotly_chart(accuracy_sweep(points, original["accuracy"], dropped["accuracy"]), width="stretch")
    st.caption(reading_sweep(points, original["accuracy"], dropped["accuracy"]))
else:
    st.info("Run the sweep to see accuracy against k for both methods (about half a second a point on Adult).")
