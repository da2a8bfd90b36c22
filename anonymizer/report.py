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
from .analysis import ATTACK_SWEEP_KS, METHODS, Analysis
from .frontier import recommend

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
    "l-diversity": "Distinct: fewest different sensitive values in one class. Entropy: exp(entropy) of the least "
                   "diverse class.",
    "t-closeness": "Largest distance between a class's sensitive-value distribution and the whole table's.",
    "accuracy / balanced accuracy": "Share of held-out records predicted right / mean recall over classes.",
    "R², MAE, RMSE": "Regression: variance explained, mean absolute error, root mean squared error on held-out rows.",
    "majority-class rate": "The accuracy of always predicting the most frequent class: the baseline without a model.",
    "membership attack AUC": "How well an attack ranks training records above non-training ones: 0.5 is guessing.",
    "advantage": "The best TPR − FPR over thresholds: 0 is guessing.",
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


def _utility_text(task: str, scores: dict) -> str:
    """The headline figure with its 95% interval, and the other figure."""
    if task == "regression":
        ci = scores.get("r2_ci")
        interval = f" (95% interval {ci[0]:.3f} – {ci[1]:.3f})" if ci else ""
        return f"R² {scores['r2']:.3f}{interval}, MAE {scores['mae']:,.4g}"
    a, b = scores["accuracy_ci"], scores["balanced_accuracy_ci"]
    return (f"accuracy {scores['accuracy']:.2%} (95% interval {a[0]:.2%} – {a[1]:.2%}), balanced accuracy "
            f"{scores['balanced_accuracy']:.2%} ({b[0]:.2%} – {b[1]:.2%})")


def build_report(analysis: Analysis, method: str, k: int, budget_points: float = 1.0) -> str:
    """The report of `analysis` at (method, k): the released table's privacy, and, from the simulation, the
    utility and (when this analysis has run them) the attacks."""
    anon = analysis.anonymize(method, k)
    m, roles = anon.metrics, analysis.roles
    sim = analysis.simulation if analysis.roles.target is not None else None
    run = original = None
    if sim is not None:
        with_attacks = sim.attacks_ready
        run = sim.run(method, k, attacks=with_attacks)
        original = sim.original_evaluation if with_attacks else None
    kept = analysis.kept_columns

    summary = [f"<li>{_esc(METHODS[method])} anonymization at k = {k} of {_esc(analysis.name)} "
               f"({len(analysis.table):,} rows): {m.n_classes:,} classes, the smallest of {m.k_achieved:,} "
               f"record{'s' if m.k_achieved != 1 else ''}"
               + (" (no protection)" if m.k_achieved == 1 else "") + f"; information loss {m.gcp:.1%}; maximum "
               f"re-identification risk {m.max_risk:.1%}.</li>"]
    if sim is not None:
        base = sim.original_utility
        baseline = (f"always predicting the members' mean gives R² {base['baseline_r2']:.3f}"
                    if analysis.task == "regression" else
                    f"always predicting the most frequent class gives {base['majority_rate']:.2%}")
        summary.append(f"<li>Utility in the simulation: the original model reaches {_utility_text(analysis.task, base)}"
                       "; retrained on the anonymized members, "
                       f"{_utility_text(analysis.task, run.evaluation.utility)}; {_esc(baseline)}.</li>")
    if original is not None:
        best = charts.strongest_attack(original.membership)
        before, after = original.membership[best]["auc"], run.evaluation.membership[best]["auc"]
        summary.append(f"<li>The strongest membership attack ({_esc(charts.ATTACK_NAMES[best])}) scores AUC "
                       f"{before:.3f} against the original model and {after:.3f} against the anonymized one "
                       "(0.5 is guessing). " + _esc(charts.reading_membership(original.membership,
                                                                              run.evaluation.membership,
                                                                              f"{METHODS[method]} k={k} model"))
                       + "</li>")
        worse = charts.more_attackable(original.membership, run.evaluation.membership)
        if worse:
            summary.append("<li><b>The anonymized model is more attackable</b> than the original by "
                           + _esc(", ".join(charts.ATTACK_NAMES[a] for a in worse)) + ".</li>")
    leaks = anon.leaks
    if leaks.holds_with_kept_columns(k):
        summary.append("<li>Leak check: no column released unchanged reveals a generalized quasi-identifier or "
                       f"singles people out, and k = {k} holds with any one of them added; "
                       f"{leaks.unique_share_all_columns:.1%} of records are unique over all released columns.</li>")
    elif leaks.clean:
        summary.append(f"<li><b>Leak check: k = {k} holds over the quasi-identifiers only.</b> "
                       f"{_esc(leaks.weak_detail(k))}</li>")
    else:
        summary.append("<li><b>Leak check failed:</b> " + "; ".join(_esc(f["message"]) for f in leaks.findings())
                       + ". The k above does not hold for the released table until these columns are made "
                       "quasi-identifiers or dropped.</li>")
    caveats = ["k counts the quasi-identifiers only: an attacker who also knows a column released unchanged can "
               f"narrow a class further (over all released columns {leaks.unique_share_all_columns:.1%} of records "
               "are unique)."]
    if sim is not None:
        caveats.append("Utility and attack figures come from a simulation on one seeded split of the table, not "
                       "from the released table itself.")
    if original is None:
        caveats.append("The attack simulation was not run in this session: run it on the Attacks page (or the "
                       "CLI's evaluate) to include it.")
    frontier = None
    if sim is not None and sim.attacks_ready:
        epsilons = sim.dp_epsilons()
        if sim.has_frontier(ATTACK_SWEEP_KS, list(METHODS), epsilons):
            points = sim.frontier_points(ATTACK_SWEEP_KS, list(METHODS), epsilons)
            utility_name = "R²" if sim.frontier_key == "r2" else "accuracy"
            rec = recommend(points, budget_points)
            frontier = (points, utility_name, rec)
            summary.insert(0, f"<li>{_esc(charts.reading_frontier(rec, utility_name))}</li>")
    parts = [f"<h1>Anonymization report</h1><p class='small'>Generated {datetime.now(UTC):%Y-%m-%d %H:%M UTC} by the "
             f"anonymizer. Every random choice derives from seed {analysis.seed}, so the figures can be reproduced."
             "</p>", "<h2>Summary</h2><ul class='summary'>" + "".join(summary) + "</ul>",
             "<p><b>Caveats.</b> " + " ".join(_esc(c) for c in caveats) + "</p>"]

    if frontier is not None:
        points, utility_name, rec = frontier
        parts += ["<h2>Anonymize or differential privacy?</h2>",
                  _measured(sim.split.describe() + "; each setting's model is attacked by all four membership "
                            "attacks and placed at its strongest attack's advantage"),
                  _figure(charts.privacy_utility_frontier(points, utility_name, rec.setting),
                          charts.reading_frontier(rec, utility_name)),
                  _frame(points.drop(columns=[c for c in ("kind", "k", "epsilon") if c in points.columns]))]
        dp_notes = {sim.dp_run(e).privacy_note for e in sim.dp_epsilons()} - {None}
        if dp_notes:
            parts.append(f"<p><b>DP caveat:</b> {_esc(next(iter(dp_notes)))}.</p>")
    settings = {k_: (", ".join(map(str, v)) if isinstance(v, (list, tuple)) else ("none" if v in (None, []) else v))
                for k_, v in analysis.describe().items()}
    settings.update({"method": METHODS[method], "k": k})
    parts += ["<h2>Settings</h2>", _rows(settings)]

    privacy = {"k asked": k, "k achieved": m.k_achieved, "records": m.n_rows, "classes": m.n_classes,
               "information loss (GCP)": f"{m.gcp:.1%}", "max re-identification risk": f"{m.max_risk:.1%}",
               "average risk": f"{m.avg_risk:.2%}",
               f"records with risk above {m.risk_threshold:.0%}": f"{m.share_at_risk:.1%}",
               "discernibility": f"{m.discernibility:,}"}
    if m.sensitive:
        privacy.update({f"distinct l-diversity ({m.sensitive})": m.l_distinct,
                        "entropy l-diversity": f"{m.l_entropy:.2f}", "t-closeness": f"{m.t_closeness:.3f}"})
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
    parts += [f"<ul>{findings}</ul>", _frame(k_rows) if len(k_rows) else "",
              "<h2>What the recoding did</h2>", _measured(anon.measured_on)]
    recoding = anon.recoding
    for q in roles.quasi_identifiers:
        parts.append(_figure(charts.recoding_bars(recoding, q), charts.reading_recoding(recoding, q)))
    parts += ["<p class='small'>Output form: the exported table holds, in each quasi-identifier cell, one real value "
              "per class (representative) or the class's range / set (generalized), as chosen at export.</p>"]

    if sim is not None:
        key = "r2" if analysis.task == "regression" else "accuracy"
        columns = ["r2", "r2_ci", "mae", "rmse"] if key == "r2" else \
            ["accuracy", "accuracy_ci", "balanced_accuracy", "balanced_accuracy_ci", "roc_auc", "majority_rate"]
        rows = [{"model": "original", **{c: sim.original_utility.get(c) for c in columns}}]
        for m_ in METHODS:
            r = sim.run(m_, k, attacks=False) if m_ != method else run
            rows.append({"model": f"{METHODS[m_]} k={k}", **{c: r.evaluation.utility.get(c) for c in columns}})
        rows.append({"model": "QIs dropped", **{c: sim.qi_dropped().get(c) for c in columns}})
        frame = pd.DataFrame(rows)
        for c in [c for c in columns if c.endswith("_ci")]:
            frame[c] = [f"{v[0]:.4f} – {v[1]:.4f}" if v else "–" for v in frame[c]]
        parts += ["<h2>Utility</h2>", _measured(sim.split.describe() + "; the members are anonymized with the same "
                                                "method and k, and the model retrained on them"), _frame(frame),
                  "<p class='small'>Intervals are 95%: Wilson for accuracy, a normal approximation over class "
                  "recalls for balanced accuracy, a seeded bootstrap over the hold-out rows for R².</p>"]
    if original is not None:
        anonymized = run.evaluation
        label = f"{METHODS[method]} k={k} model"
        rows = pd.DataFrame([{"attack": charts.ATTACK_NAMES[a], "AUC before": original.membership[a]["auc"],
                              "AUC after": anonymized.membership[a]["auc"],
                              "p vs chance before": original.membership[a].get("p_value_vs_chance"),
                              "p vs chance after": anonymized.membership[a].get("p_value_vs_chance"),
                              "TPR at 1% FPR before": original.membership[a]["tpr_at_1pct_fpr"],
                              "TPR at 1% FPR after": anonymized.membership[a]["tpr_at_1pct_fpr"]}
                             for a in original.membership])
        parts += ["<h2>Membership inference</h2>", _measured(f"{len(sim.split.members):,} members and "
                                                             f"{len(sim.split.nonmembers):,} non-members, balanced "
                                                             "draws; the attacks query the original records"),
                  _frame(rows),
                  _figure(charts.membership_bars(original.membership, anonymized.membership, label),
                          charts.reading_membership(original.membership, anonymized.membership, label)),
                  _figure(charts.roc_curves(original.membership, anonymized.membership, "lira", label),
                          charts.reading_roc(original.membership, anonymized.membership, "lira"))]
        if original.attribute and anonymized.attribute:
            parts += ["<h2>Attribute inference</h2>",
                      _figure(charts.attribute_bars(original.attribute, anonymized.attribute, roles.sensitive, label),
                              charts.reading_attribute(original.attribute, anonymized.attribute, roles.sensitive))]
    parts += ["<h2>Definitions</h2>", _rows(DEFINITIONS)]
    body = "\n".join(parts)
    return (f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>Anonymization report</title>"
            f"<style>{STYLE}</style><script>{get_plotlyjs()}</script></head><body>{body}</body></html>")
