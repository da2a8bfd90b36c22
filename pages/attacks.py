"""Attacks: what anonymization buys against membership and attribute inference.

The attacks, the frontier and the attack sweep run as background jobs owned by the session's analysis
(`anonymizer.jobs`): they go on when another page is opened, show their progress, can be cancelled, and
draw what they have as it arrives."""

import streamlit as st

from anonymizer import charts
from anonymizer.analysis import ATTACK_SWEEP_KS, DP_EPSILONS, SYNTHETIC_EPSILONS
from anonymizer.display import synthetic_table
from anonymizer.frontier import PRIVACY_AXES
from anonymizer.names import ATTACK_NAMES, METHODS
from anonymizer.results import RECOMMENDED
from anonymizer.simulation import attack_points
from anonymizer.text import markdown_escape as esc
from pages import widgets

st.title("Attacks")
analysis = widgets.open_analysis()
roles, jobs = analysis.roles, analysis.jobs
k, method = int(st.session_state["k"]), st.session_state["method"]
try:
    with st.spinner("Splitting the data and training the original model..."):
        sim = analysis.simulation
except Exception as exc:
    widgets.error(exc)
    st.stop()
st.caption(esc(f"Simulated on {sim.split.describe()}. Model: {sim.model_source}. Attacks always query the models "
               "with the original records."))

attack_job = jobs.get("Attacks")
if not sim.attacks_ready or attack_job is not None and not attack_job.finished:
    if attack_job is not None and not attack_job.finished:
        widgets.live_job(attack_job)
        st.stop()
    widgets.job_status(attack_job)
    st.info(f"The attacks train the attacker's reference models ({sim.attack_settings.n_reference} models of the same "
            "kind as yours), then attack the original and the anonymized model. On Adult this takes about 5 seconds "
            "on one core, once; after that, each new k or method takes under 2 seconds, and every result is kept "
            "for this session. It runs in the background: other pages stay usable meanwhile.")
    if st.button("Run the attacks", type="primary"):
        jobs.start("Attacks", sim.attack_steps(method, k))
        st.rerun()
    st.stop()
try:
    original = sim.original_evaluation
    with st.spinner(f"Attacking the {METHODS[method]} model at k = {k}..."):
        run = sim.run(method, k, attacks=True)
except Exception as exc:
    widgets.error(exc)
    st.stop()
anonymized = run.evaluation
label = f"{METHODS[method]} k={k} model"

st.subheader("Anonymize, train with DP, or release DP synthetic data?")
c1, c2 = st.columns(2)
with c1:
    epsilons = [float(e) for e in widgets.persistent(st.multiselect, "DP epsilons (DP-EBM)", DP_EPSILONS,
                                                     key="dp_epsilons")]
with c2:
    synthetic = [float(e) for e in widgets.persistent(
        st.multiselect, "Synthetic-data epsilons (MST)", SYNTHETIC_EPSILONS, key="synthetic_epsilons",
        help="DP synthetic data of the members (MST, delta 1e-5); the model retrained on it is attacked like the "
             "others, with reference models trained on synthetic data of the attacker's pool.")]
privacy = widgets.persistent(st.radio, "Privacy measured by", list(PRIVACY_AXES), key="frontier_privacy",
                             format_func=PRIVACY_AXES.get, horizontal=True,
                             help="The model axis: the strongest of the four membership attacks on each retrained "
                                  "model. The release axis: an adversary holding an identified half of the members "
                                  "(plus 20% non-members) links it to each released table, exact QI values; DP "
                                  "models release no table and a synthetic table no person's row: both are left out.")
frontier_job = jobs.get("Frontier")


def show_frontier(budget: float, with_table: bool = True) -> None:
    """The frontier the session asked for, as far as it is computed (the same one the report shows): the
    chart, the reading (a recommendation only when it is finished and its intervals settle it), the table."""
    try:
        frontier = sim.requested_frontier(privacy)
        rec = frontier.recommend(budget)
    except Exception as exc:
        widgets.error(exc)
        return
    if len(frontier.points):
        st.plotly_chart(charts.privacy_utility_frontier(frontier.points, frontier.utility_name,
                                                        rec.setting if rec.status == RECOMMENDED else None,
                                                        frontier.progress_text, privacy),
                        width="stretch", key="frontier_chart")
    st.markdown(esc(charts.reading_frontier(rec, frontier.utility_name, privacy)))
    if with_table and len(frontier.points) and privacy == "release":
        shown = frontier.points[["setting", "utility", "utility_low", "utility_high", "n", "targets_in_release",
                                 "advantage", "advantage_low", "advantage_high", "baseline_share", "pareto"]]
        st.dataframe(shown.rename(columns={"utility": frontier.utility_name, "utility_low": "95% low",
                                           "utility_high": "95% high", "n": "held-out rows",
                                           "targets_in_release": "adversary's people released",
                                           "advantage": "named correctly", "advantage_low": "95% low ",
                                           "advantage_high": "95% high ",
                                           "baseline_share": "random pick in the class"}),
                     hide_index=True, width="stretch")
    elif with_table and len(frontier.points):
        shown = frontier.points[["setting", "utility", "utility_low", "utility_high", "change_low", "change_high",
                                 "n", "advantage", "advantage_std", "auc", "attack", "pareto"]]
        st.dataframe(shown.rename(columns={"utility": frontier.utility_name, "utility_low": "95% low",
                                           "utility_high": "95% high", "change_low": "change from original: low",
                                           "change_high": "change: high (same rows, 95%)", "n": "held-out rows",
                                           "advantage": "strongest advantage", "advantage_std": "± (repeats)",
                                           "auc": "its AUC"}), hide_index=True, width="stretch")


def start_frontier() -> None:
    steps = sim.frontier_steps(ATTACK_SWEEP_KS, list(METHODS), epsilons, synthetic=synthetic)
    if privacy == "release":  # after the settings they attack
        steps += sim.release_steps(ATTACK_SWEEP_KS, list(METHODS))
    jobs.start("Frontier", steps)


if frontier_job is not None and not frontier_job.finished:
    widgets.live_job(frontier_job, lambda: show_frontier(float(st.session_state["utility_budget"]), False))
elif sim.frontier_request is not None:
    widgets.job_status(frontier_job)
    frontier = sim.requested_frontier(privacy)
    built = [float(e) for e in sim.frontier_request[2]]
    built_synthetic = [float(e) for e in sim.frontier_synthetic]
    budget = widgets.persistent(st.slider, f"{frontier.utility_name} budget: the most you would give up, in points",
                                0.0, 10.0, step=0.25, key="utility_budget")
    if not frontier.complete:
        st.warning(esc(f"Partial frontier: {frontier.progress_text} are done. Missing: "
                       f"{', '.join(frontier.missing)}. No recommendation until it finishes; finished settings are "
                       "kept."))
        st.button("Resume the frontier", type="primary", on_click=start_frontier)
    elif built != epsilons or built_synthetic != synthetic:
        st.info(esc(f"The frontier below was built with DP ε = {', '.join(f'{e:g}' for e in built) or 'none'} and "
                    f"synthetic-data ε = {', '.join(f'{e:g}' for e in built_synthetic) or 'none'}; build it again "
                    "to use the epsilons chosen above (what is done is kept)."))
        st.button("Build the frontier", type="primary", on_click=start_frontier)
    show_frontier(budget)
    source, note = sim.dp_caveat(built)
    st.caption(esc(f"Every point is measured on {sim.split.describe()}. The strongest attack is the one with the "
                   "largest advantage. DP: DP-EBM at delta 1e-5, its reference models trained with the same DP recipe"
                   + (f"; public schema: {source}." if source else ".")))
    if note:
        st.warning(esc(f"DP caveat: {note}."))
    made = [r for e in built_synthetic if (r := sim.peek_synthetic_run(e)) is not None]
    if made:
        st.markdown("**DP synthetic data (MST)**")
        st.dataframe(synthetic_table(made, sim.headline), hide_index=True, width="stretch")
        schema_source, not_counted = made[0].schema_source, made[0].privacy_note
        st.caption(esc(f"Each epsilon's budget is spent in three equal parts (zCDP): the 1-way marginals, choosing "
                       f"the tree of column pairs, the 2-way marginals. Public schema: {schema_source}. TVD: total "
                       "variation distance between the members' and the synthetic marginals (0 = the same). Copies: "
                       "the share of member rows that appear whole in the synthetic table, beside the share of "
                       "control rows (never seen by the synthesizer): equal shares mean chance, not memory. "
                       "Singling-out and inference: control-set risks of the synthetic table; no synthetic row is "
                       "a person's, so there is no linkage figure."))
        if not_counted:
            st.warning(esc(f"Synthetic-data caveat: {not_counted}."))
else:
    st.info(f"One chart of every setting: the original, QIs dropped, both methods at k = "
            f"{', '.join(map(str, ATTACK_SWEEP_KS))}, DP-EBM at each epsilon and DP synthetic data at each of its "
            "epsilons, each attacked by all four attacks. "
            "On Adult this takes about a minute on one core (the DP models and their reference models are the slow "
            "part). It runs in the background and draws its points as they arrive; every result is kept for this "
            "session.")
    st.button("Build the frontier", type="primary", on_click=start_frontier)

st.subheader("Membership inference")
worse = charts.more_attackable(original.membership, anonymized.membership)
if worse:
    st.warning("The anonymized model is more attackable than the original by "
               + ", ".join(ATTACK_NAMES[a] for a in worse) + " (AUC higher by more than 1.96 standard errors of "
               "the difference).")
st.plotly_chart(charts.membership_bars(original.membership, anonymized.membership, label), width="stretch")
st.caption(esc(charts.reading_membership(original.membership, anonymized.membership, label)))

strongest = original.membership.strongest()
attack = st.radio("Attack to inspect", list(ATTACK_NAMES), format_func=ATTACK_NAMES.get,
                  index=list(ATTACK_NAMES).index(strongest), horizontal=True, key="attack_shown",
                  help="Opens on the strongest attack against the original model (the largest advantage).")
st.plotly_chart(charts.roc_curves(original.membership, anonymized.membership, attack, label), width="stretch")
st.caption(esc(charts.reading_roc(original.membership, anonymized.membership, attack)))
left, right = st.columns(2)
left.plotly_chart(charts.score_histograms(original.scores, attack, "Original model"), width="stretch")
left.caption(esc(charts.reading_scores(original.scores, attack)))
right.plotly_chart(charts.score_histograms(anonymized.scores, attack, f"{METHODS[method]}, k = {k}"), width="stretch")
right.caption(esc(charts.reading_scores(anonymized.scores, attack)))

st.subheader("Attack success across k")
usable = sim.usable_ks(ATTACK_SWEEP_KS)
sweep_job = jobs.get("Attack sweep")
if sweep_job is not None and not sweep_job.finished:
    widgets.live_job(sweep_job)
elif None not in (done := [sim.peek_run(m, x) for m in METHODS for x in usable]):
    points = attack_points(done)
    st.plotly_chart(charts.attack_auc_vs_k(points, original.membership), width="stretch")
    st.caption(esc(charts.reading_auc_vs_k(points, original.membership)))
else:
    widgets.job_status(sweep_job)
    st.info("Run the attack sweep to see each attack's AUC against k for both methods.")
    st.button("Run the attack sweep", on_click=lambda: jobs.start("Attack sweep", sim.sweep_steps(usable,
                                                                                                   list(METHODS))),
              help=f"k = {', '.join(map(str, ATTACK_SWEEP_KS))} for both methods, under 2 seconds a point on Adult, "
                   "in the background; each point is kept.")

st.subheader("Attribute inference")
if roles.sensitive is None:
    st.info("Choose a sensitive attribute on the Data & model page to simulate attribute inference.")
else:
    st.plotly_chart(charts.attribute_bars(original.attribute, anonymized.attribute, roles.sensitive, label),
                    width="stretch")
    st.caption(esc(charts.reading_attribute(original.attribute, anonymized.attribute, roles.sensitive)))
