"""Utility: what anonymization costs, against the original model and the baselines."""

import pandas as pd
import streamlit as st

from anonymizer.analysis import METHODS, SWEEP_KS
from anonymizer.charts import accuracy_sweep, reading_sweep
from anonymizer.simulation import accuracy_points
from anonymizer.stats import within_noise
from anonymizer.text import markdown_escape as esc
from pages import widgets

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
key = original["headline"]
name = {"r2": "R²", "accuracy": "accuracy", "balanced_accuracy": "balanced accuracy"}[key]


def show(value: float) -> str:
    return f"{value:.3f}" if regression else f"{value:.2%}"


def interval(scores: dict) -> str:
    ci = scores.get(f"{key}_ci")
    return f"95% interval {show(ci[0])} – {show(ci[1])}" if ci else "no interval (too few rows)"


def change(scores: dict) -> str:
    diff = scores[key] - original[key]
    text = f"{diff:+.3f}" if regression else f"{100 * diff:+.2f} pt"
    ci_a, ci_b = original.get(f"{key}_ci"), scores.get(f"{key}_ci")
    if ci_a and ci_b and within_noise(original[key], scores[key], tuple(ci_a), tuple(ci_b)):
        text += " (within noise)"
    return text


cards = st.columns(4)
cards[0].metric(f"Original model: {name}", show(original[key]), help=f"On held-out records; {interval(original)}.")
for col, m in zip(cards[1:3], METHODS):
    scores = runs[m].evaluation.utility
    col.metric(f"{METHODS[m]}, k = {k}", show(scores[key]), change(scores), delta_color="off" if
               "within noise" in change(scores) else "normal",
               help=f"The same kind of model retrained on the members anonymized at this k; {interval(scores)}.")
cards[3].metric("QIs dropped", show(dropped[key]), change(dropped),
                help=f"Retrained without the quasi-identifier columns at all; {interval(dropped)}.")
if regression:
    st.caption(f"Baseline without a model (always the members' mean, {original['baseline_mean']:,.4g}): "
               f"R² {original['baseline_r2']:.3f}, MAE {original['baseline_mae']:,.4g}. Intervals: bootstrap over "
               f"the {original['n']:,} held-out rows (seed {analysis.seed}).")
else:
    why = ("the target is imbalanced, so balanced accuracy (the mean recall over classes) is the headline: "
           if key == "balanced_accuracy" else "")
    st.caption(esc(f"Baseline without a model (always the most frequent class): accuracy "
                   f"{original['majority_rate']:.2%}, balanced accuracy "
                   f"{original['majority_balanced_accuracy']:.2%}; "
                   f"{why}intervals are 95% (Wilson for accuracy) over {original['n']:,} held-out rows."))

columns = ["r2", "r2_ci", "mae", "rmse"] if regression else \
    ["accuracy", "accuracy_ci", "balanced_accuracy", "balanced_accuracy_ci", "roc_auc", "majority_rate"]
rows = [{"model": "original", **{c: original.get(c) for c in columns}}]
rows += [{"model": f"{METHODS[m]} (k = {k})", **{c: r.evaluation.utility.get(c) for c in columns}}
         for m, r in runs.items()]
rows.append({"model": "QIs dropped", **{c: dropped.get(c) for c in columns}})
table = pd.DataFrame(rows)
for c in [c for c in columns if c.endswith("_ci")]:
    table[c] = [f"{v[0]:.4f} – {v[1]:.4f}" if v else "" for v in table[c]]
st.dataframe(table, hide_index=True, width="stretch",
             column_config={c: st.column_config.NumberColumn(format="%.4f") for c in columns if not c.endswith("_ci")})
st.caption(esc(f"Method on the Anonymize page: {METHODS[method]}. Retrained as: {runs[method].recipe}."))

st.subheader(f"{name[0].upper() + name[1:]} across k")
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
    ci = tuple(original[f"{key}_ci"]) if original.get(f"{key}_ci") else None
    st.plotly_chart(accuracy_sweep(points, original[key], dropped[key], key, ci), width="stretch")
    st.caption(esc(reading_sweep(points, original[key], dropped[key], key, ci)))
else:
    st.info("Run the sweep to see the retrained model's figures against k for both methods.")
