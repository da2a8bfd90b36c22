"""Attacks: what anonymization buys against membership and attribute inference."""

import streamlit as st

from anonymizer import charts
from anonymizer.analysis import ATTACK_SWEEP_KS, DP_EPSILONS, METHODS
from anonymizer.frontier import recommend
from anonymizer.simulation import attack_points
from anonymizer.text import markdown_escape as esc
from pages import widgets

st.title("Attacks")
analysis = widgets.open_analysis()
roles = analysis.roles
k, method = int(st.session_state["k"]), st.session_state["method"]
try:
    with st.spinner("Splitting the data and training the original model..."):
        sim = analysis.simulation
except Exception as exc:
    widgets.error(exc)
    st.stop()
st.caption(esc(f"Simulated on {sim.split.describe()}. Model: {sim.model_source}. Attacks always query the models "
               "with the original records."))

if not sim.attacks_ready:
    st.info(f"The attacks train the attacker's reference models ({sim.attack_settings.n_reference} models of the same "
            "kind as yours), then attack the original and the anonymized model. On Adult this takes about 10 seconds, "
            "once; after that, each new k or method takes about 2 seconds and every result is kept for this session.")
    if not st.button("Run the attacks", type="primary"):
        st.stop()
try:
    if not sim.attacks_ready:
        with st.status("Preparing the attacks...", expanded=True) as status:
            sim.prepare_attacks(progress=status.write)
            status.write("attacking the original model")
            _ = sim.original_evaluation
            status.update(label="Attacks ready", state="complete", expanded=False)
        st.rerun()  # redraw without the button and the explanation
    original = sim.original_evaluation
    with st.spinner(f"Attacking the {METHODS[method]} model at k = {k}..."):
        run = sim.run(method, k, attacks=True)
except Exception as exc:
    widgets.error(exc)
    st.stop()
anonymized = run.evaluation
label = f"{METHODS[method]} k={k} model"

st.subheader("Anonymize or differential privacy?")
key = sim.frontier_key
utility_name = "R²" if key == "r2" else "accuracy"
epsilons = [float(e) for e in st.multiselect("DP epsilons", DP_EPSILONS, key="dp_epsilons")]
if sim.has_frontier(ATTACK_SWEEP_KS, list(METHODS), epsilons):
    points = sim.frontier_points(ATTACK_SWEEP_KS, list(METHODS), epsilons)
    budget = st.slider(f"{utility_name} budget: the most you would give up, in points", 0.0, 10.0, step=0.25,
                       key="utility_budget")
    rec = recommend(points, budget)
    st.plotly_chart(charts.privacy_utility_frontier(points, utility_name, rec.setting), width="stretch")
    st.markdown(esc(charts.reading_frontier(rec, utility_name)))
    shown = points[["setting", "utility", "utility_low", "utility_high", "advantage", "auc", "attack", "pareto"]]
    st.dataframe(shown.rename(columns={"utility": utility_name, "utility_low": "95% low", "utility_high": "95% high",
                                       "advantage": "strongest advantage", "auc": "its AUC"}),
                 hide_index=True, width="stretch")
    note = next((sim.dp_run(e).privacy_note for e in epsilons if sim.dp_run(e).privacy_note), None)
    st.caption(esc(f"Every point is measured on {sim.split.describe()}. DP: DP-EBM at delta 1e-5, its reference "
                   f"models trained with the same DP recipe; public schema: {sim.dp_run(epsilons[0]).schema_source}."
                   if epsilons else f"Every point is measured on {sim.split.describe()}."))
    if note:
        st.warning(esc(f"DP caveat: {note}."))
else:
    st.info(f"One chart of every setting: the original, QIs dropped, both methods at k = "
            f"{', '.join(map(str, ATTACK_SWEEP_KS))} and DP-EBM at each epsilon, each attacked by all four attacks. "
            "On Adult this takes a few minutes (the DP models and their reference models are the slow part); every "
            "result is kept for this session.")
    if st.button("Build the frontier", type="primary"):
        progress, done = widgets.progress_bar("frontier")
        try:
            sim.frontier_points(ATTACK_SWEEP_KS, list(METHODS), epsilons, progress=progress)
        except Exception as exc:
            widgets.error(exc)
        done()
        st.rerun()

st.subheader("Membership inference")
worse = charts.more_attackable(original.membership, anonymized.membership)
if worse:
    st.warning("The anonymized model is more attackable than the original by "
               + ", ".join(charts.ATTACK_NAMES[a] for a in worse) + " (AUC higher by more than the noise of the "
               "repeated draws).")
st.plotly_chart(charts.membership_bars(original.membership, anonymized.membership, label), width="stretch")
st.caption(esc(charts.reading_membership(original.membership, anonymized.membership, label)))

attack = st.radio("Attack to inspect", list(charts.ATTACK_NAMES), format_func=charts.ATTACK_NAMES.get,
                  index=2, horizontal=True, key="attack_shown")
st.plotly_chart(charts.roc_curves(original.membership, anonymized.membership, attack, label), width="stretch")
st.caption(esc(charts.reading_roc(original.membership, anonymized.membership, attack)))
left, right = st.columns(2)
left.plotly_chart(charts.score_histograms(original.scores, attack, "Original model"), width="stretch")
left.caption(esc(charts.reading_scores(original.scores, attack)))
right.plotly_chart(charts.score_histograms(anonymized.scores, attack, f"{METHODS[method]}, k = {k}"), width="stretch")
right.caption(esc(charts.reading_scores(anonymized.scores, attack)))

st.subheader("Attack success across k")
usable = sim.usable_ks(ATTACK_SWEEP_KS)
if st.button("Run the attack sweep", help=f"k = {', '.join(map(str, ATTACK_SWEEP_KS))} for both methods, about 2 "
                                          "seconds a point on Adult; each point is kept."):
    progress, done = widgets.progress_bar("attack sweep")
    try:
        sim.sweep(usable, list(METHODS), progress, attacks=True)
    except Exception as exc:
        widgets.error(exc)
    done()
if all(sim.has_run(m, x) for m in METHODS for x in usable):
    points = attack_points([sim.run(m, x) for m in METHODS for x in usable])
    st.plotly_chart(charts.attack_auc_vs_k(points, original.membership), width="stretch")
    st.caption(esc(charts.reading_auc_vs_k(points, original.membership)))
else:
    st.info("Run the attack sweep to see each attack's AUC against k for both methods.")

st.subheader("Attribute inference")
if roles.sensitive is None:
    st.info("Choose a sensitive attribute on the Data & model page to simulate attribute inference.")
else:
    st.plotly_chart(charts.attribute_bars(original.attribute, anonymized.attribute, roles.sensitive, label),
                    width="stretch")
    st.caption(esc(charts.reading_attribute(original.attribute, anonymized.attribute, roles.sensitive)))
