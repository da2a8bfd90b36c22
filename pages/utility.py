"""Utility: what anonymization costs, against the original model and the baselines."""

import pandas as pd
import streamlit as st

from anonymizer.analysis import SWEEP_KS
from anonymizer.charts import accuracy_sweep, reading_sweep
from anonymizer.names import METHODS
from anonymizer.simulation import accuracy_points
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
leaks = analysis.target_leaks
if leaks is not None and leaks.findings:
    st.warning(esc(" ".join(t + "." for t in leaks.messages()) + " Fix it on the Data & model page."))
if original.small_sample:
    st.warning(esc(f"Small sample: every figure here rests on {original.n:,} held-out rows (fewer than 100), so the "
                   "intervals are wide and most differences are noise."))

regression = analysis.task == "regression"
key = sim.headline
name = original.headline_name


def change(scores):
    """(the change from the original as shown, whether it is within noise): `Utility.change`, the one rule."""
    c = scores.change(original, key, analysis.seed)
    text = f"{c.diff:+.3f}" if regression else f"{100 * c.diff:+.2f} pt"
    return text + (" (within noise)" if c.within_noise else ""), c.within_noise


def interval(scores) -> str:
    return scores.describe(key)


cards = st.columns(4)
cards[0].metric(f"Original model: {name}", original.show(), help=f"On held-out records: {interval(original)}.")
for col, m in zip(cards[1:3], METHODS):
    scores = runs[m].evaluation.utility
    text, noise = change(scores)
    col.metric(f"{METHODS[m]}, k = {k}", scores.show(), text, delta_color="off" if noise else "normal",
               help=f"The same kind of model retrained on the members anonymized at this k: {interval(scores)}. "
                    "Within noise: the change's 95% interval, on the same held-out rows, holds 0.")
text, noise = change(dropped)
cards[3].metric("QIs dropped", dropped.show(), text, delta_color="off" if noise else "normal",
                help=f"Retrained without the quasi-identifier columns at all: {interval(dropped)}.")
if regression:
    st.caption(esc(f"Baseline without a model: {original.baseline_text()}. Intervals: bootstrap over the "
                   f"{original.n:,} held-out rows (seed {analysis.seed})."))
else:
    why = ("the target is imbalanced, so balanced accuracy (the mean recall over classes) is the headline here, in "
           "the frontier, the report and the CLI; " if key == "balanced_accuracy" else "")
    st.caption(esc(f"Baseline without a model: {original.baseline_text()}; {why}intervals are 95% (Wilson for "
                   f"accuracy, Bonett-Price for balanced accuracy) over {original.n:,} held-out rows."))

columns = ["r2", "r2_ci", "mae", "rmse"] if regression else \
    ["accuracy", "accuracy_ci", "balanced_accuracy", "balanced_accuracy_ci", "roc_auc", "majority_rate"]
models = [("original", original), *((f"{METHODS[m]} (k = {k})", r.evaluation.utility) for m, r in runs.items()),
          ("QIs dropped", dropped)]
table = pd.DataFrame([{"model": label, **{c: getattr(u, c) for c in columns}, "rows": u.n,
                       "small sample": "yes" if u.small_sample else ""} for label, u in models])
for c in [c for c in columns if c.endswith("_ci")]:
    table[c] = [f"{v[0]:.4f} – {v[1]:.4f}" if v else "" for v in table[c]]
st.dataframe(table, hide_index=True, width="stretch",
             column_config={c: st.column_config.NumberColumn(format="%.4f") for c in columns if not c.endswith("_ci")})
st.caption(esc(f"Method on the Anonymize page: {METHODS[method]}. Retrained as: {runs[method].recipe}."))

if analysis.rules.active:
    st.subheader("What the release rules cost beside k alone")
    try:
        with st.spinner(f"Anonymizing the members at k = {k} without the rules and retraining..."):
            cost = pd.DataFrame(sim.rules_cost(k, list(METHODS)))
    except Exception as exc:
        widgets.error(exc)
    else:
        cost["method"] = cost["method"].map(METHODS)
        st.dataframe(cost.drop(columns=["figure", "rules"]), hide_index=True, width="stretch",
                     column_config={c: st.column_config.NumberColumn(format="%.4f")
                                    for c in ("k alone", "with the rules", "change", "GCP k alone",
                                              "GCP with the rules")} |
                     {"suppressed": st.column_config.NumberColumn(format="percent")})
        st.caption(esc(f"Rules set on the Anonymize page: {analysis.rules.describe()}. {name[0].upper() + name[1:]} "
                       "of the model retrained on the members anonymized at this k with and without them, on the "
                       "same held-out rows; within noise: the paired change's 95% interval holds 0."))

st.subheader(f"{name[0].upper() + name[1:]} across k")
usable = sim.usable_ks(SWEEP_KS)
if st.button("Run the k sweep", help=f"k = {', '.join(map(str, SWEEP_KS))} for both methods; each point is kept."):
    widgets.run_with_progress("sweep", lambda progress: sim.sweep(usable, list(METHODS), progress, attacks=False))
if None not in (done := [sim.peek_run(m, x, attacks=False) for m in METHODS for x in usable]):
    points = accuracy_points(done, key, original)
    ci = original.interval(key)
    st.plotly_chart(accuracy_sweep(points, original.value(key), dropped.value(key), key, ci), width="stretch")
    st.caption(esc(reading_sweep(points, original.value(key), dropped.value(key), key, ci)))
else:
    st.info("Run the sweep to see the retrained model's figures against k for both methods.")
