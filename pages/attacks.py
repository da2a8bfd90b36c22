"""Attacks: what anonymization buys against membership and attribute inference."""

import streamlit as st

from anonymizer import charts
from anonymizer.analysis import METHODS
from anonymizer.simulation import attack_points
from anonymizer.text import markdown_escape as esc
from pages import widgets

ATTACK_SWEEP_KS = [10, 50, 100, 500, 1000]

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
    original = sim.original_evaluation
    with st.spinner(f"Attacking the {METHODS[method]} model at k = {k}..."):
        run = sim.run(method, k, attacks=True)
except Exception as exc:
    widgets.error(exc)
    st.stop()
anonymized = run.evaluation
label = f"{METHODS[method]} k={k} model"

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
