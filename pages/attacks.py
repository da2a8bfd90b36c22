"""Attacks: what anonymization buys against membership and attribute inference."""

import streamlit as st

from anonymizer import charts
from anonymizer.experiment import attack_points
from pages import common

ctx, exp = common.experiment_page("Attacks", " Attacks always query the models with the original records.")
roles, k, method, key = ctx.roles, ctx.k, ctx.method, ctx.key

started = st.session_state.setdefault("attacks_started", set())
if key not in started:
    st.info("The attacks train the attacker's reference models (8 models of the same kind as yours), then attack "
            "the original and the anonymized model. On Adult this takes about 10 seconds, once; after that, each new "
            "k or method takes about 2 seconds and every result is cached.")
    if not st.button("Run the attacks", type="primary"):
        st.stop()
    started.add(key)
try:
    if not exp.attacks_ready:
        with st.status("Preparing the attacks...", expanded=True) as status:
            exp.prepare_attacks(progress=status.write)
            status.write("attacking the original model")
            _ = exp.original_evaluation
            status.update(label="Attacks ready", state="complete", expanded=False)
    original = exp.original_evaluation
    with st.spinner(f"Attacking the {common.METHODS[method]} model at k = {k}..."):
        run = exp.run(method, k, attacks=True)
except Exception as exc:
    common.engine_error(exc)
    st.stop()
anonymized = run.evaluation
label = f"{common.METHODS[method]} k={k} model"

st.subheader("Membership inference")
st.plotly_chart(charts.membership_bars(original.membership, anonymized.membership, label), width="stretch")
st.caption(charts.reading_membership(original.membership, anonymized.membership, label))

attack = st.radio("Attack to inspect", list(charts.ATTACK_NAMES), format_func=charts.ATTACK_NAMES.get,
                  index=2, horizontal=True, key="attack_shown")
st.plotly_chart(charts.roc_curves(original.membership, anonymized.membership, attack, label), width="stretch")
st.caption(charts.reading_roc(original.membership, anonymized.membership, attack))
left, right = st.columns(2)
left.plotly_chart(charts.score_histograms(original.scores, attack, "Original model"), width="stretch")
left.caption(charts.reading_scores(original.scores, attack))
right.plotly_chart(charts.score_histograms(anonymized.scores, attack, f"{common.METHODS[method]}, k = {k}"),
                   width="stretch")
right.caption(charts.reading_scores(anonymized.scores, attack))

st.subheader("Attack success across k")
sweeps = st.session_state.setdefault("attack_sweeps", {})
if st.button("Run the attack sweep", help=f"k = {', '.join(map(str, common.ATTACK_SWEEP_KS))} for both methods, "
                                          "about 2 seconds a point on Adult; each point is cached."):
    sweeps[key] = attack_points(common.sweep_with_progress(exp, common.ATTACK_SWEEP_KS, True, "attack sweep"))
if key in sweeps:
    st.plotly_chart(charts.attack_auc_vs_k(sweeps[key], original.membership), width="stretch")
    st.caption(charts.reading_auc_vs_k(sweeps[key], original.membership))
else:
    st.info("Run the attack sweep to see each attack's AUC against k for both methods.")

st.subheader("Attribute inference")
if roles.sensitive is None:
    st.info("Choose a sensitive attribute on the Data & model page to simulate attribute inference.")
else:
    st.plotly_chart(charts.attribute_bars(original.attribute, anonymized.attribute, roles.sensitive, label),
                    width="stretch")
    st.caption(charts.reading_attribute(original.attribute, anonymized.attribute, roles.sensitive))
