"""A self-contained HTML report for stakeholders, assembled from one `Analysis`.

It opens with a summary (what was done, the key numbers with their baselines, caveats), then the details;
every section says which rows it was measured on, every metric is defined at the end. plotly.js is
embedded once, so the file opens offline and can be mailed as it is. All user strings are HTML-escaped.
"""

from __future__ import annotations

import html
from datetime import UTC, datetime

import pandas as pd
from plotly.offline import get_plotlyjs

from . import charts
from .analysis import Analysis
from .names import ATTACK_NAMES, METHODS
from .results import RECOMMENDED, SMALL_SAMPLE
from .scenario import DP_EPSILONS, UTILITY_BUDGET

STYLE = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;max-width:1100px;margin:2em auto;color:#1F2933;
padding:0 1em}h1{color:#2E6F9E}h2{border-bottom:1px solid #d8dee4;padding-bottom:.2em;margin-top:1.6em}
table{border-collapse:collapse;margin:.6em 0}td,th{border:1px solid #d8dee4;padding:.3em .7em;text-align:left}
th{background:#F2F5F8}.reading{color:#52606D;font-style:italic;margin:.2em 0 1.4em}.small{color:#7B8794;font-size:.9em}
.measured{color:#52606D;font-size:.92em;margin:.2em 0 .8em}.summary li{margin:.3em 0}
"""

DEFINITIONS = {
    "k achieved": "The size of the smallest equivalence class (records sharing all quasi-identifier values), counted "
                  "on the released table itself.",
    "information loss (GCP)": "Record-weighted mean normalized certainty penalty over the quasi-identifiers: 0 = "
                              "nothing generalized, 1 = every value generalized to the column's whole range.",
    "re-identification risk": "1 / (size of a record's class): the chance of picking out one person from the class.",
    "records at risk": "Share of records whose re-identification risk is above the threshold, or who sit in a class "
                       "that discloses the sensitive attribute.",
    "attribute disclosure": "A class discloses the sensitive attribute when all its records hold one value of it (or, "
                            "for a number, their values span less than 5% of its range): finding someone's class "
                            "then tells their value.",
    "l-diversity": "Distinct: fewest different sensitive values in one class. Entropy: exp(entropy) of the least "
                   "diverse class.",
    "t-closeness": "Largest distance between a class's sensitive-value distribution and the whole table's.",
    "accuracy / balanced accuracy": "Share of held-out records predicted right / mean recall over classes.",
    "R², MAE, RMSE": "Regression: variance explained, mean absolute error, root mean squared error on held-out rows.",
    "majority-class rate": "The accuracy of always predicting the most frequent class: the baseline without a model.",
    "membership attack AUC": "How well an attack ranks training records above non-training ones: 0.5 is guessing.",
    "advantage": "The best TPR − FPR over thresholds: 0 is guessing. The strongest attack against a model is the one "
                 "with the largest advantage.",
    "small sample": f"A figure measured on fewer than {SMALL_SAMPLE} rows: its interval is wide; read it with care.",
    "TPR at 1% FPR": "Share of members found while flagging 1% of non-members.",
    "attribute inference": "Guessing the sensitive attribute with the model's help, against a baseline that guesses "
                           "it from the same known columns without the model.",
}


def _esc(value) -> str:
    return html.escape(str(value))


def _rows(rows: dict) -> str:
    """A two-column table with no header row: label, value."""
    body = "".join(f"<tr><th scope='row'>{_esc(k)}</th><td>{_esc(v)}</td></tr>" for k, v in rows.items())
    return f"<table>{body}</table>"


def _frame(frame: pd.DataFrame) -> str:
    return frame.to_html(index=False, escape=True, border=0, float_format=lambda v: f"{v:,.4f}", na_rep="–")


def _figure(fig, reading: str) -> str:
    return (fig.to_html(full_html=False, include_plotlyjs=False, config={"displaylogo": False})
            + f'<p class="reading">{_esc(reading)}</p>')


def _measured(text: str) -> str:
    return f"<p class='measured'>Measured on {_esc(text)}.</p>"


def _utility_rows(sim, k: int, method: str, run) -> pd.DataFrame:
    """Original, both methods at k and QIs dropped: the headline figure first, each with its interval and n."""
    from .names import METHODS as NAMES

    rows = [("original", sim.original_utility)]
    for m_ in NAMES:
        rows.append((f"{NAMES[m_]} k={k}", (run if m_ == method else sim.run(m_, k, attacks=False)).evaluation.utility))
    rows.append(("QIs dropped", sim.qi_dropped()))
    keys = ["r2", "mae", "rmse"] if sim.task == "regression" else \
        [sim.headline, *(c for c in ("accuracy", "balanced_accuracy") if c != sim.headline), "roc_auc", "majority_rate"]
    out = []
    for name, u in rows:
        row = {"model": name}
        for key in keys:
            row[key] = getattr(u, key, None)
            ci = u.interval(key) if key in ("accuracy", "balanced_accuracy", "r2") else None
            if key in ("accuracy", "balanced_accuracy", "r2"):
                row[f"{key} 95% interval"] = f"{ci[0]:.4f} – {ci[1]:.4f}" if ci else "–"
        row["held-out rows"] = u.n
        row["small sample"] = "yes" if u.small_sample else ""
        out.append(row)
    return pd.DataFrame(out)


def _frontier_section(sim, budget_points: float, summary: list[str], caveats: list[str]) -> list[str]:
    """The frontier the session asked for, as far as it got: a recommendation only from a finished one."""
    frontier = sim.requested_frontier() if sim is not None else None
    if frontier is None:
        caveats.append("The privacy-utility frontier (anonymize or differential privacy?) was not built in this "
                       "session, so the report makes no recommendation.")
        return []
    rec = frontier.recommend(budget_points)
    reading = charts.reading_frontier(rec, frontier.utility_name)
    summary.insert(0, f"<li>{_esc(reading)}</li>")
    partial = frontier.progress_text
    if not frontier.complete:
        caveats.append(f"The frontier build stopped before it finished ({partial}; missing: "
                       f"{', '.join(frontier.missing)}): its points are shown as measured, and no setting is "
                       "recommended.")
    parts = ["<h2>Anonymize, train with DP, or release DP synthetic data?</h2>",
             _measured(sim.split.describe() + "; each setting's model is attacked by all four membership attacks and "
                       "placed at its strongest attack's advantage (the largest TPR − FPR)")]
    if len(frontier.points):
        decided = rec.setting if rec.status == RECOMMENDED else None
        parts += [_figure(charts.privacy_utility_frontier(frontier.points, frontier.utility_name, decided, partial),
                          reading),
                  _frame(frontier.points.drop(columns=[c for c in ("kind", "k", "epsilon")
                                                        if c in frontier.points.columns]))]
    else:
        parts.append(f"<p class='reading'>{_esc(reading)}</p>")
    on_release = sim.requested_frontier("release")
    if len(on_release.points):  # the same frontier with privacy measured on the release, where it was linked
        rec = on_release.recommend(budget_points)
        reading = charts.reading_frontier(rec, on_release.utility_name, "release")
        decided = rec.setting if rec.status == RECOMMENDED else None
        parts += ["<h3>The same settings, privacy measured on the released table</h3>",
                  _figure(charts.privacy_utility_frontier(on_release.points, on_release.utility_name, decided,
                                                          on_release.progress_text, "release"), reading)]
    _, _, epsilons, delta = sim.frontier_request
    note = sim.dp_caveat(epsilons, delta)[1]
    if note:
        parts.append(f"<p><b>DP caveat:</b> {_esc(note)}.</p>")
    return parts + _synthetic_section(sim, delta)


def _synthetic_section(sim, delta: float) -> list[str]:
    """The DP synthetic runs of the requested frontier that finished: utility, attacks, fidelity, copies and the
    control-set risks, with each run's epsilon, delta, seed, budget and schema."""
    from .display import synthetic_table

    made = [r for e in sim.frontier_synthetic if (r := sim.peek_synthetic_run(e, delta)) is not None]
    if not made:
        return []
    first = made[0]
    parts = ["<h3>DP synthetic data (MST)</h3>",
             _measured(f"{sim.split.describe()}; synthetic members at delta {first.delta:g}, seed {first.seed}; "
                       f"public schema: {first.schema_source}"),
             _frame(synthetic_table(made, sim.headline)),
             "<p class='small'>Budget per epsilon (zCDP): a third each for the 1-way marginals, choosing the tree of "
             "column pairs and the 2-way marginals. Copies: the share of member rows that appear whole in the "
             "synthetic table beside the share of control rows; no synthetic row is a person's, so there is no "
             "linkage figure.</p>"]
    if first.privacy_note:
        parts.append(f"<p><b>Synthetic-data caveat:</b> {_esc(first.privacy_note)}.</p>")
    return parts


def _release_attack_section(analysis: Analysis, sim, method: str, k: int) -> list[str]:
    """The attacks on the released table this session ran (linkage of the whole table; the control-set risks
    of the members' release), or a line saying they were not run."""
    from .release_attacks import linkage_table, reading_linkage, risk_table

    parts = ["<h2>The released table attacked</h2>"]
    linkages = analysis.computed_linkages(method, k)
    if linkages:
        parts += [_measured("the whole table; the adversary's table: " + ", ".join(dict.fromkeys(
                      r["adversary"] for r in linkages))), _frame(linkage_table(linkages)),
                  f"<p>{_esc(reading_linkage(linkages))}</p>"]
    risks = [r for r in (sim.peek_release_attack("original"), sim.peek_release_attack(method, k))
             if r is not None] if sim is not None else []
    if risks:
        parts += [_measured(f"{sim.split.describe()}; the members released, as many non-members as the control"),
                  _frame(risk_table(risks)),
                  "<p class='small'>Each risk is (attack − control) / (1 − control) with a 95% interval: what the "
                  "release tells an attacker about its own people beyond what it tells about anyone.</p>"]
    if not linkages and not risks:
        parts.append("<p>Not run in this session: turn on 'Attack the released table' on the Anonymize page, or "
                     "use the CLI's <code>audit</code> or <code>evaluate</code>.</p>")
    return parts


def build_report(analysis: Analysis, method: str, k: int, budget_points: float = UTILITY_BUDGET,
                 epsilons=None) -> str:
    """The report of `analysis` at (method, k): the released table's privacy, and, from the simulation, the
    utility and (when this analysis has run them) the attacks and the frontier. It contains exactly what the
    session computed, and concludes only from finished computations."""
    anon = analysis.anonymize(method, k)
    m, roles = anon.metrics, analysis.roles
    sim = analysis.simulation if analysis.roles.target is not None else None
    run = original = None
    if sim is not None:
        with_attacks = sim.attacks_ready
        run = sim.run(method, k, attacks=with_attacks)
        original = sim.original_evaluation if with_attacks else None
    kept = analysis.kept_columns
    scenario = analysis.scenario(method, k, epsilons if epsilons is not None else
                                 (sim.frontier_request[2] if sim is not None and sim.frontier_request else
                                  DP_EPSILONS))

    summary = [f"<li>{_esc(METHODS[method])} anonymization at k = {k} of {_esc(analysis.name)} "
               f"({len(analysis.table):,} rows): {m.n_classes:,} classes, the smallest of {m.k_achieved:,} "
               f"record{'s' if m.k_achieved != 1 else ''}"
               + (" (no protection)" if m.k_achieved == 1 else "") + f"; information loss {m.gcp:.1%}; maximum "
               f"re-identification risk {m.max_risk:.1%}; records at risk {m.share_at_risk:.1%}.</li>"]
    caveats = []
    rules = anon.result.release_rules
    if rules is not None and rules.active:
        summary.append(f"<li>Release rules: {_esc(rules.describe())}.</li>")
        caveats.extend(m.rule_notes)
    if m.homogeneous_classes:
        summary.append(f"<li><b>Attribute disclosure:</b> {_esc(m.disclosure_reading())}</li>")
        caveats.append("k-anonymity does not protect the sensitive attribute where a class holds one value of it: "
                       f"{m.homogeneous_classes:,} classes here.")
    leak_check = analysis.target_leaks
    if leak_check is not None and leak_check.findings:
        summary.append("<li><b>Target leak:</b> " + " ".join(_esc(t + ".") for t in leak_check.messages()) + "</li>")
        caveats.append("A column kept beside the target gives it away: the utility figures below mostly measure that "
                       "column, not what anonymization costs.")
    if sim is not None:
        base = sim.original_utility
        after = run.evaluation.utility
        summary.append(f"<li>Utility in the simulation: the original model reaches {_esc(base.describe())}; "
                       f"retrained on the anonymized members, {_esc(after.describe())}; "
                       f"{_esc(base.baseline_text())}.</li>")
        if base.small_sample:
            caveats.append(f"The utility figures rest on {base.n:,} held-out rows (fewer than {SMALL_SAMPLE}): their "
                           "intervals are wide, and a difference between two of them is rarely more than noise.")
    if original is not None:
        summary.append("<li>" + _esc(charts.reading_membership(original.membership, run.evaluation.membership,
                                                               f"{METHODS[method]} k={k} model")) + "</li>")
        worse = charts.more_attackable(original.membership, run.evaluation.membership)
        if worse:
            summary.append("<li><b>The anonymized model is more attackable</b> than the original by "
                           + _esc(", ".join(ATTACK_NAMES[a] for a in worse)) + ".</li>")
    verdict = anon.leaks.verdict(k)
    lines = " ".join(_esc(line) for line in verdict.lines)
    summary.append(f"<li>Leak check: {_esc(verdict.headline)} {lines}</li>" if verdict.clear else
                   f"<li><b>Leak check: {_esc(verdict.headline)}</b> {lines}</li>")
    leaks = anon.leaks
    caveats.insert(0, "k counts the quasi-identifiers only: an attacker who also knows a column released unchanged "
                      f"can narrow a class further (over all released columns {leaks.unique_share_all_columns:.1%} "
                      "of records are unique).")
    if sim is not None:
        caveats.append("Utility and attack figures come from a simulation on one seeded split of the table, not "
                       "from the released table itself.")
    if original is None:
        caveats.append("The attack simulation was not run in this session: run it on the Attacks page (or the "
                       "CLI's evaluate) to include it.")
    frontier_parts = _frontier_section(sim, budget_points, summary, caveats) if sim is not None else []
    parts = [f"<h1>Anonymization report</h1><p class='small'>Generated {datetime.now(UTC):%Y-%m-%d %H:%M UTC} by the "
             f"anonymizer. Every random choice derives from seed {analysis.seed}, so the figures can be reproduced "
             "(the scenario at the end replays this analysis).</p>",
             "<h2>Summary</h2><ul class='summary'>" + "".join(summary) + "</ul>",
             "<p><b>Caveats.</b> " + " ".join(_esc(c) for c in caveats) + "</p>", *frontier_parts]

    settings = {k_: (", ".join(map(str, v)) if isinstance(v, (list, tuple)) else ("none" if v in (None, []) else v))
                for k_, v in analysis.describe().items()}
    settings.update({"method": METHODS[method], "k": k, "model": analysis.model_description,
                     "data digest": scenario.data})
    parts += ["<h2>Settings</h2>", _rows(settings)]

    privacy = {"k asked": k, "k achieved": m.k_achieved, "records": m.n_rows, "classes": m.n_classes,
               "information loss (GCP)": f"{m.gcp:.1%}", "max re-identification risk": f"{m.max_risk:.1%}",
               "average risk": f"{m.avg_risk:.2%}",
               "records at risk": f"{m.share_at_risk:.1%} (re-identification risk above {m.risk_threshold:.0%}"
                                  + (", or in a class that discloses the sensitive attribute)" if m.sensitive else ")"),
               "discernibility": f"{m.discernibility:,}"}
    if m.sensitive:
        privacy.update({f"distinct l-diversity ({m.sensitive})": m.l_distinct,
                        "entropy l-diversity": f"{m.l_entropy:.2f}", "t-closeness": f"{m.t_closeness:.3f}",
                        "classes that disclose it": f"{m.homogeneous_classes:,} ({m.homogeneous_rows:,} records)"})
    if m.l_required is not None:
        privacy[f"{m.l_kind} l required"] = m.l_required
    if m.t_required is not None:
        privacy["t required"] = f"{m.t_required:g}"
    if m.suppression is not None:
        privacy["records suppressed"] = (f"{m.suppressed_rows:,} ({m.suppressed_share:.2%}; "
                                         + ("rows removed" if m.suppression == "remove" else "QI cells set to missing")
                                         + "; each counted as fully generalized in the information loss)")
    for q, levels in m.hierarchy_levels.items():
        reached = ", ".join(f"{name}: {n:,}" for name, n in levels["records_by_level"].items() if n)
        privacy[f"'{q}' released at ({levels['hierarchy']})"] = reached
    parts += ["<h2>Privacy of the released table</h2>", _measured(anon.measured_on), _rows(privacy),
              _figure(charts.class_size_histogram(anon.class_sizes, k),
                      charts.reading_class_sizes(anon.class_sizes, k)),
              "<h2>Columns released unchanged</h2>",
              f"<p>{_esc(', '.join(map(str, kept)) or 'none')}</p>",
              "<h2>Leak check</h2>", _measured("the original table (which kept column determines which QI) and the "
                                               "released table (k over the QIs plus each kept column)")]
    k_rows = pd.DataFrame([{"kept column": c, "k over the QIs plus this column": v}
                           for c, v in leaks.k_with_column.items()])
    findings = "".join(f"<li>{_esc(f['message'])}</li>" for f in leaks.findings()) or \
        "<li>No kept column reveals a generalized quasi-identifier or singles people out.</li>"
    parts += [f"<ul>{findings}</ul>", _frame(k_rows) if len(k_rows) else ""]
    if leak_check is not None:
        parts += ["<h2>Target leak check</h2>",
                  _measured(f"{leak_check.rows_checked:,} rows with a target (each column alone, held-out thirds)"),
                  "<ul>" + ("".join(f"<li>{_esc(t)}</li>" for t in leak_check.messages()) or
                            f"<li>No column gives the target '{_esc(leak_check.target)}' away (one to one, or "
                            f"predicting it alone at {leak_check.near_threshold:g} or more).</li>") + "</ul>"]
    parts += ["<h2>What the recoding did</h2>", _measured(anon.measured_on)]
    recoding = anon.recoding
    for q in roles.quasi_identifiers:
        parts.append(_figure(charts.recoding_bars(recoding, q), charts.reading_recoding(recoding, q)))
    parts += ["<p class='small'>Output form: the exported table holds, in each quasi-identifier cell, one real value "
              "per class (representative) or the class's range / set (generalized), as chosen at export.</p>"]

    parts += _release_attack_section(analysis, sim, method, k)
    if sim is not None:
        parts += ["<h2>Utility</h2>", _measured(sim.split.describe() + "; the members are anonymized with the same "
                                                "method and k, and the model retrained on them"),
                  _frame(_utility_rows(sim, k, method, run)),
                  "<p class='small'>Intervals are 95%: Wilson for accuracy, Bonett-Price over class recalls for "
                  "balanced accuracy, a seeded bootstrap over the hold-out rows for R². The first figure is the "
                  "headline: balanced accuracy where the target is imbalanced.</p>"]
    if original is not None:
        anonymized = run.evaluation
        label = f"{METHODS[method]} k={k} model"
        rows = pd.DataFrame([{"attack": ATTACK_NAMES[a], "AUC before": original.membership[a].auc,
                              "AUC after": anonymized.membership[a].auc,
                              "advantage before": original.membership[a].advantage,
                              "advantage after": anonymized.membership[a].advantage,
                              "p vs chance before": original.membership[a].p_value_vs_chance,
                              "p vs chance after": anonymized.membership[a].p_value_vs_chance,
                              "TPR at 1% FPR before": original.membership[a].tpr_at_1pct_fpr,
                              "TPR at 1% FPR after": anonymized.membership[a].tpr_at_1pct_fpr}
                             for a in original.membership])
        strongest = original.membership.strongest()
        parts += ["<h2>Membership inference</h2>", _measured(f"{len(sim.split.members):,} members and "
                                                             f"{len(sim.split.nonmembers):,} non-members, balanced "
                                                             "draws; the attacks query the original records"),
                  _frame(rows),
                  _figure(charts.membership_bars(original.membership, anonymized.membership, label),
                          "Bars: each attack before and after; the strongest is the one with the largest advantage."),
                  _figure(charts.roc_curves(original.membership, anonymized.membership, strongest, label),
                          charts.reading_roc(original.membership, anonymized.membership, strongest))]
        if original.attribute and anonymized.attribute:
            parts += ["<h2>Attribute inference</h2>",
                      _figure(charts.attribute_bars(original.attribute, anonymized.attribute, roles.sensitive, label),
                              charts.reading_attribute(original.attribute, anonymized.attribute, roles.sensitive))]
    parts += ["<h2>Scenario</h2><p class='small'>Replay it with <code>python -m anonymizer evaluate --data FILE "
              "--scenario scenario.json</code>, or open the dashboard's link with the same settings.</p>",
              f"<pre>{_esc(scenario.to_json())}</pre>"]
    parts += ["<h2>Definitions</h2>", _rows(DEFINITIONS)]
    body = "\n".join(parts)
    return (f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>Anonymization report</title>"
            f"<style>{STYLE}</style><script>{get_plotlyjs()}</script></head><body>{body}</body></html>")
