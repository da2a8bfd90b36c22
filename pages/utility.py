"""Utility: what anonymization costs, against the original model and the baselines."""

import pandas as pd
import streamlit as st

from anonymizer.analysis import METHODS
from anonymizer.charts import accuracy_sweep, reading_sweep
from anonymizer.simulation import accuracy_points
from anonymizer.text import markdown_escape as esc
from pages import widgets

SWEEP_KS = [5, 10, 25, 50, 100, 250, 500, 1000]

st.title("Utility")
analysis = widgets.open_analysis()
k, method = int(st.session_state["k"]), st.session_state["method"]
try:
    with st.spinner("Splitting the data and training the original model..."):
        sim = analysis.simulation
    original = sim.original_utility
    with st.spinner(f"Anonymizing the members at k = {k} and retraining..."):
        runs = {m: sim.run(m, k, attacks=False) for m in METHODS}
    dropped = sim.qi_dropped()
except Exception as exc:
    widgets.error(exc)
    st.stop()
st.caption(esc(f"Simulated on {sim.split.describe()}. Model: {sim.model_source}."))

regression = analysis.task == "regression"
key, name, fmt = ("r2", "R²", "{:.3f}") if regression else ("accuracy", "accuracy", "{:.2%}")
cards = st.columns(4)
cards[0].metric(f"Original model ({name})", fmt.format(original[key]), help="On held-out records.")
for col, m in zip(cards[1:3], METHODS):
    value = runs[m].evaluation.utility[key]
    delta = f"{value - original[key]:+.3f}" if regression else f"{100 * (value - original[key]):+.2f} pt"
    col.metric(f"{METHODS[m]}, k = {k}", fmt.format(value), delta,
               help="The same kind of model retrained on the members anonymized at this k.")
delta = f"{dropped[key] - original[key]:+.3f}" if regression else f"{100 * (dropped[key] - original[key]):+.2f} pt"
cards[3].metric("QIs dropped", fmt.format(dropped[key]), delta,
                help="Retrained without the quasi-identifier columns at all: the price of not generalizing.")

columns = ["r2", "mae", "rmse"] if regression else ["accuracy", "balanced_accuracy", "roc_auc", "majority_rate"]
rows = [{"model": "original", **{c: original.get(c) for c in columns}}]
rows += [{"model": f"{METHODS[m]} (k = {k})", **{c: r.evaluation.utility.get(c) for c in columns}}
         for m, r in runs.items()]
rows.append({"model": "QIs dropped", **{c: dropped.get(c) for c in columns}})
table = pd.DataFrame(rows)
st.dataframe(table, hide_index=True, width="stretch",
             column_config={c: st.column_config.NumberColumn(format="%.4f") for c in columns})
if regression:
    st.caption(f"Baseline without a model (always the members' mean): R² {original['baseline_r2']:.3f}, "
               f"MAE {original['baseline_mae']:,.4g}.")
else:
    st.caption(f"Baseline without a model (always the most frequent class): {original['majority_rate']:.2%}.")
st.caption(esc(f"Method on the Anonymize page: {METHODS[method]}. Retrained as: {runs[method].recipe}."))

st.subheader(f"{name.capitalize() if not regression else name} across k")
usable = sim.usable_ks(SWEEP_KS)
if st.button("Run the k sweep", help=f"k = {', '.join(map(str, SWEEP_KS))} for both methods; each point is kept."):
    progress, done = widgets.progress_bar("sweep")
    try:
        sim.sweep(usable, list(METHODS), progress, attacks=False)
    except Exception as exc:
        widgets.error(exc)
    done()
if all(sim.has_run(m, x, attacks=False) for m in METHODS for x in usable):
    points = accuracy_points([sim.run(m, x, attacks=False) for m in METHODS for x in usable], key)
    st.plotly_chart(accuracy_sweep(points, original[key], dropped[key], key), width="stretch")
    st.caption(esc(reading_sweep(points, original[key], dropped[key], key)))
else:
    st.info("Run the sweep to see the retrained model's figures against k for both methods.")
