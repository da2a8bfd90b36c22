"""Plotly charts and their one-line plain-language readings, shared by the dashboard and the report.

Every chart comes with a sentence that says what it shows in words a stakeholder can repeat;
the sentence is computed from the same numbers as the chart.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from .display import plural
from .names import ATTACK_NAMES, KIND_NAMES, METHODS, UTILITY_NAMES
from .results import CHANCE_P, Membership
from .text import html_text

METHOD_NAMES = METHODS
ORIGINAL, ANONYMIZED = "#5B6C7D", "#2E6F9E"
METHOD_COLORS = {"ag": "#2E6F9E", "mondrian": "#D97B29"}
LAYOUT = dict(template="plotly_white", margin=dict(l=60, r=20, t=50, b=110), height=420,
              legend=dict(orientation="h", yanchor="top", y=-0.22, xanchor="left", x=0),
              font=dict(size=13))


def _fig(title: str) -> go.Figure:
    return go.Figure(layout=dict(LAYOUT, title=dict(text=title, x=0, xanchor="left")))


def pct(x: float) -> str:
    return f"{100 * x:.1f}%"


# --- anonymization -----------------------------------------------------------------------------

def class_size_histogram(sizes: np.ndarray, k: int) -> go.Figure:
    """Class sizes; when a few huge classes dwarf the rest, bins grow logarithmically."""
    fig = _fig("How many records share each combination of quasi-identifiers")
    if sizes.max() > 20 * max(np.median(sizes), 1):
        edges = np.unique(np.round(np.logspace(np.log10(sizes.min()), np.log10(sizes.max() + 1), 18)).astype(int))
        counts, _ = np.histogram(sizes, bins=edges)
        labels = [f"{a:,}" if b - 1 <= a else f"{a:,}–{b - 1:,}" for a, b in zip(edges[:-1], edges[1:])]
        fig.add_bar(x=labels, y=counts, marker_color=ANONYMIZED,
                    hovertemplate="class size %{x}<br>%{y} classes<extra></extra>")
        fig.update_layout(xaxis_title=f"class size in records (bins grow logarithmically; k = {k})")
    else:
        fig.add_histogram(x=sizes, nbinsx=min(60, max(10, len(np.unique(sizes)))), marker_color=ANONYMIZED,
                          hovertemplate="class size %{x}<br>%{y} classes<extra></extra>")
        fig.add_vline(x=k, line_dash="dash", line_color="#B03A2E", annotation_text=f"k = {k}",
                      annotation_position="top right")
        fig.update_layout(xaxis_title="class size (records)")
    fig.update_layout(yaxis_title="number of classes", showlegend=False, bargap=0.05)
    return fig


def _k_axis(fig: go.Figure, ks) -> None:
    ks = sorted(set(int(x) for x in ks))
    fig.update_xaxes(type="log", tickvals=ks, ticktext=[f"{x:,}" for x in ks], minor=dict(showgrid=False))


def reading_class_sizes(sizes: np.ndarray, k: int) -> str:
    return (f"{len(sizes):,} classes; the smallest holds {int(sizes.min()):,} records (k = {k} asked), half hold "
            f"{int(np.median(sizes)):,} or fewer, the largest {int(sizes.max()):,}.")


# --- utility -----------------------------------------------------------------------------------

UTILITY_LABELS = UTILITY_NAMES


def _utility_text(value: float, key: str) -> str:
    return f"{value:.3f}" if key == "r2" else f"{value:.1%}"


def accuracy_sweep(points: pd.DataFrame, original: float, qi_dropped: float, key: str = "accuracy",
                   original_ci: tuple[float, float] | None = None) -> go.Figure:
    """points: columns method, k, the utility figure `key` and its 95% interval `lo`, `hi` (drawn as bands)."""
    label = UTILITY_LABELS.get(key, key)
    fig = _fig(f"{label[0].upper() + label[1:]} of the retrained model as k grows (bands: 95% intervals)")
    hover = "%{y:.3f}" if key == "r2" else "%{y:.2%}"
    if original_ci is not None:
        fig.add_hrect(y0=original_ci[0], y1=original_ci[1], fillcolor=ORIGINAL, opacity=0.12, line_width=0)
    for method, group in points.sort_values("k").groupby("method", sort=False):
        color = METHOD_COLORS.get(method, ANONYMIZED)
        if {"lo", "hi"} <= set(group.columns) and group["lo"].notna().all():
            fig.add_scatter(x=np.r_[group["k"], group["k"][::-1]], y=np.r_[group["hi"], group["lo"][::-1]],
                            fill="toself", fillcolor=color, opacity=0.15, line_width=0, hoverinfo="skip",
                            showlegend=False)
        fig.add_scatter(x=group["k"], y=group[key], mode="lines+markers",
                        name=METHOD_NAMES.get(method, method), line_color=color,
                        hovertemplate=f"k = %{{x}}<br>{label} {hover}<extra></extra>")
    fig.add_hline(y=original, line_dash="dot", line_color=ORIGINAL,
                  annotation_text=f"original {_utility_text(original, key)}", annotation_position="top left")
    fig.add_hline(y=qi_dropped, line_dash="dash", line_color="#B03A2E",
                  annotation_text=f"QIs dropped {_utility_text(qi_dropped, key)}", annotation_position="bottom left")
    fig.update_layout(xaxis_title="k (minimum records per class, log scale)", yaxis_title=f"{label} on held-out data")
    _k_axis(fig, points["k"])
    if key != "r2":
        fig.update_yaxes(tickformat=".1%")
    return fig


def _difference(value: float, reference: float, key: str) -> str:
    return f"{value - reference:+.3f}" if key == "r2" else f"{100 * (value - reference):+.1f} points"


def reading_sweep(points: pd.DataFrame, original: float, qi_dropped: float, key: str = "accuracy",
                  original_ci: tuple[float, float] | None = None) -> str:
    """What the sweep shows, saying "within noise" where a loss lies inside the 95% intervals."""
    from .stats import within_noise

    worst = points.loc[points[key].idxmin()]
    label = UTILITY_LABELS.get(key, key)
    where = f"{METHOD_NAMES.get(worst['method'], worst['method'])} at k = {int(worst['k'])}"
    text = (f"The original model's {label} is {_utility_text(original, key)}; dropping the QIs changes it by "
            f"{_difference(qi_dropped, original, key)}. The lowest point is {_utility_text(worst[key], key)} ({where}, "
            f"{_difference(worst[key], original, key)})")
    if "within_noise" in worst.index:  # the one rule: the change's interval on the same rows (Utility.change)
        text += ": within noise of the original (the change's 95% interval holds 0)" if worst["within_noise"] else \
            ": a loss beyond the noise"
    elif original_ci is not None and not np.isnan(worst.get("lo", np.nan)):
        noise = within_noise(original, float(worst[key]), original_ci, (float(worst["lo"]), float(worst["hi"])))
        text += ": within noise of the original (95% intervals)" if noise else ": a loss beyond the noise"
    return text + "."


# --- membership inference ----------------------------------------------------------------------

def membership_bars(original: dict, anonymized: dict, label: str) -> go.Figure:
    """Grouped bars of AUC, advantage and TPR at 1% FPR per attack, original vs anonymized."""
    from plotly.subplots import make_subplots

    metrics = [("auc", "ROC AUC (0.5 = coin flip)"), ("advantage", "Advantage (TPR − FPR)"),
               ("tpr_at_1pct_fpr", "TPR at 1% FPR")]
    fig = make_subplots(rows=1, cols=3, subplot_titles=[m[1] for m in metrics], horizontal_spacing=0.08)
    attacks = [a for a in ATTACK_NAMES if a in original]
    for col, (key, _) in enumerate(metrics, start=1):
        for name, data, color in (("original model", original, ORIGINAL), (label, anonymized, ANONYMIZED)):
            fig.add_bar(x=[ATTACK_NAMES[a] for a in attacks], y=[getattr(data[a], key) for a in attacks],
                        error_y=dict(type="data", array=[getattr(data[a], key + "_std") or 0 for a in attacks]),
                        name=name, marker_color=color, showlegend=col == 1, legendgroup=name,
                        hovertemplate="%{x}: %{y:.3f}<extra>" + name + "</extra>", row=1, col=col)
    fig.update_layout(**dict(LAYOUT, height=440, margin=dict(l=60, r=20, t=80, b=130)), barmode="group",
                      title=dict(text="Membership inference: before and after anonymization (dotted lines: guessing)",
                                 x=0))
    fig.update_layout(legend=dict(y=-0.35))
    fig.update_yaxes(range=[0.4, 1], row=1, col=1)
    fig.update_yaxes(range=[0, None], row=1, col=2)
    fig.update_yaxes(range=[0, None], row=1, col=3)
    fig.update_annotations(font_size=12)
    # chance: AUC 0.5, advantage 0, TPR = FPR = 1% for a guessing attacker
    for col, y in ((1, 0.5), (2, 0.0), (3, 0.01)):
        fig.add_hline(y=y, line_dash="dot", line_color="#999", row=1, col=col)
    return fig


def more_attackable(original, anonymized) -> list[str]:
    """Attacks whose AUC rose beyond its noise from the original to the anonymized model
    (`results.Membership.auc_change`, the one rule; the spread over repeated draws, used before, left the
    models' own sampling out and called a rise from 0.609 to 0.631 on 476 + 476 rows "more attackable")."""
    return [a for a in original if a in anonymized and original.auc_change(a, anonymized) == "up"]


def _p_text(p: float | None) -> str:
    if p is None:
        return ""
    return "p < 0.001" if p < 0.001 else f"p = {p:.3f}"


def strongest_attack(membership: Membership) -> str:
    """The strongest attack against a model: `results.Membership.strongest` (the one definition)."""
    return membership.strongest()


def _chance_reading(p_before: float | None, p_after: float | None, label: str) -> str:
    """Before against after, against chance (Mann-Whitney U, p < 0.05 beats guessing)."""
    if p_before is None or p_after is None:
        return ""
    figures = f"Against chance (Mann-Whitney U): {_p_text(p_before)} before, {_p_text(p_after)} after"
    before, after = p_before < CHANCE_P, p_after < CHANCE_P
    if before and not after:
        return f"{figures}; with the {label} the attack is no longer distinguishable from guessing."
    if not before and not after:
        return f"{figures}; neither before nor after is the attack distinguishable from guessing."
    if not before and after:
        return f"{figures}; the attack beats guessing only against the {label}."
    return f"{figures}; it beats guessing before and after."


def reading_membership(original: Membership, anonymized: Membership, label: str) -> str:
    best = strongest_attack(original)
    before, after = original[best].auc, anonymized[best].auc
    moved = original.auc_change(best, anonymized)
    if moved == "down":
        change = f"drops to {after:.3f} with the {label}"
    elif moved == "up":
        change = f"rises to {after:.3f} with the {label}: anonymization did not reduce this attack"
    else:
        change = f"is {after:.3f} with the {label}: no change beyond the noise"
    figures = original[best]
    tpr = figures.tpr_at_1pct_fpr
    firm = "" if figures.tpr_at_1pct_fpr_supported else " (too few non-members for a firm figure at 1%)"
    chance = _chance_reading(figures.p_value_vs_chance, anonymized[best].p_value_vs_chance, label)
    others = [a for a in anonymized if a != best and anonymized[a].beats_chance]
    if chance and not anonymized[best].beats_chance and others:  # the one attack that stopped is not the story
        named = ", ".join(f"{ATTACK_NAMES[a]} ({_p_text(anonymized[a].p_value_vs_chance)})" for a in others)
        chance = chance.rstrip(".") + f"; but {named} still beat{'s' if len(others) == 1 else ''} guessing against it."
    return (f"The strongest attack (largest advantage, {figures.advantage:.3f}) is {ATTACK_NAMES[best]}: it tells "
            f"members from non-members with AUC {before:.3f} on the original model (0.5 is guessing; "
            f"{figures.n_members:,} members and {figures.n_nonmembers:,} non-members a draw) and {change}; at 1% "
            f"false alarms it finds {pct(tpr)} of members (guessing finds 1%){firm}. {chance}").strip()


def roc_curves(original: dict, anonymized: dict, attack: str, label: str) -> go.Figure:
    fig = _fig(f"ROC curve of the {ATTACK_NAMES[attack]} attack (log axes)")
    for name, data, color, dash in (("original model", original, ORIGINAL, "dash"),
                                    (label, anonymized, ANONYMIZED, "solid")):
        roc = data[attack].roc
        fpr, tpr = np.maximum(roc["fpr"], 1e-4), np.maximum(roc["tpr"], 1e-4)
        fig.add_scatter(x=fpr, y=tpr, mode="lines", name=f"{name} (AUC {data[attack].auc:.3f})",
                        line=dict(color=color, shape="hv", dash=dash, width=2),
                        hovertemplate="FPR %{x:.4f}<br>TPR %{y:.4f}<extra></extra>")
    grid = np.logspace(-4, 0, 50)
    fig.add_scatter(x=grid, y=grid, mode="lines", name="guessing", line=dict(color="#999", dash="dot"))
    fig.update_xaxes(type="log", title="false positive rate (non-members flagged)", range=[-4, 0], dtick=1,
                     tickformat=".2~%")
    fig.update_yaxes(type="log", title="true positive rate (members found)", range=[-4, 0], dtick=1,
                     tickformat=".2~%")
    return fig


def reading_roc(original: dict, anonymized: dict, attack: str) -> str:
    a, b = original[attack].tpr_at_0_1pct_fpr, anonymized[attack].tpr_at_0_1pct_fpr
    note = "" if original[attack].tpr_at_0_1pct_fpr_supported else \
        " (too few non-members for a firm figure at 0.1%)"
    return (f"Curves above the dotted diagonal mean the attack beats guessing; at 0.1% false alarms it finds "
            f"{pct(a)} of members before and {pct(b)} after{note}.")


def score_histograms(scores: dict, attack: str, title_suffix: str) -> go.Figure:
    members, nonmembers = scores[attack]
    fig = _fig(f"{title_suffix}: members vs non-members")
    lo, hi = np.percentile(np.r_[members, nonmembers], [0.5, 99.5])
    for name, values, color in (("members", members, "#B03A2E"), ("non-members", nonmembers, "#2E6F9E")):
        fig.add_histogram(x=np.clip(values, lo, hi), name=name, marker_color=color, opacity=0.6,
                          histnorm="probability", nbinsx=50)
    fig.update_layout(barmode="overlay", yaxis_title="share of records",
                      xaxis_title=f"{ATTACK_NAMES[attack]} score (higher = more likely a member)")
    return fig


def reading_scores(scores: dict, attack: str) -> str:
    members, nonmembers = scores[attack]
    gap = float(np.median(members) - np.median(nonmembers))
    spread = float(np.std(np.r_[members, nonmembers])) or 1.0
    size = "hardly differ" if abs(gap) < 0.1 * spread else ("differ somewhat" if abs(gap) < 0.5 * spread
                                                             else "are clearly apart")
    return (f"The two histograms {size}: the more they overlap, the less the attack can tell who was in the "
            "training data.")


def attack_auc_vs_k(points: pd.DataFrame, original: dict) -> go.Figure:
    """points: columns method, k, attack, auc."""
    fig = _fig("Membership attack AUC as k grows")
    dashes = {"threshold": "dot", "shadow": "dash", "lira": "solid", "rmia": "dashdot"}
    for (method, attack), group in points.sort_values("k").groupby(["method", "attack"], sort=False):
        fig.add_scatter(x=group["k"], y=group["auc"], mode="lines+markers",
                        name=f"{METHOD_NAMES.get(method, method)} · {ATTACK_NAMES[attack]}",
                        line=dict(color=METHOD_COLORS.get(method), dash=dashes[attack]))
    best = strongest_attack(original)
    fig.add_hline(y=original[best].auc, line_dash="dot", line_color=ORIGINAL,
                  annotation_text=f"original, {ATTACK_NAMES[best]}: {original[best].auc:.3f}")
    fig.add_hline(y=0.5, line_color="#999", annotation_text="guessing", annotation_position="bottom right")
    fig.update_layout(xaxis_title="k (log scale)", yaxis_title="attack ROC AUC", height=460,
                      margin=dict(l=60, r=20, t=50, b=150), legend=dict(y=-0.25))
    _k_axis(fig, points["k"])
    return fig


def reading_auc_vs_k(points: pd.DataFrame, original: dict) -> str:
    best = strongest_attack(original)
    rows = points[points["attack"] == best]
    top = rows.loc[rows["auc"].idxmax()]
    method = METHOD_NAMES.get(top["method"], top["method"])
    return (f"{ATTACK_NAMES[best]} (the strongest against the original model) reaches AUC "
            f"{original[best].auc:.3f} on it; across the sweep "
            f"its highest is {top['auc']:.3f} ({method} at k = {int(top['k'])}).")


# --- attribute inference -----------------------------------------------------------------------

def attribute_bars(original: dict, anonymized: dict, sensitive: str, label: str) -> go.Figure:
    metric = "balanced accuracy" if original.metric == "balanced_accuracy" else "accuracy"
    fig = _fig(f"Guessing '{html_text(sensitive)}': with the model vs without it ({metric})")
    groups = ["members", "non-members"]
    keys = ["members", "nonmembers"]
    fig.add_bar(x=groups, y=[getattr(original, "baseline_" + k) for k in keys], name="without the model (baseline)",
                marker_color="#A7B4C2")
    fig.add_bar(x=groups, y=[getattr(original, "attack_" + k) for k in keys], name="with the original model",
                marker_color=ORIGINAL)
    fig.add_bar(x=groups, y=[getattr(anonymized, "attack_" + k) for k in keys], name=f"with the {label}",
                marker_color=ANONYMIZED)
    fig.update_layout(barmode="group", yaxis_title=metric, yaxis_range=[0, 1])
    return fig


def reading_attribute(original, anonymized, sensitive: str) -> str:
    adv_before, adv_after = original.advantage_members, anonymized.advantage_members
    verdict = "the model adds little to what the attacker already knew" if abs(adv_before) < 0.02 else \
        f"the model helps the attacker by {100 * adv_before:+.1f} points"
    flag = (f" Small sample ({min(original.n_members, original.n_nonmembers):,} records a group): read with care."
            if original.small_sample else "")
    return (f"For members, guessing '{sensitive}' without the model scores {original.baseline_members:.1%}; "
            f"{verdict}; with the anonymized model the attack scores {100 * adv_after:+.1f} points against that "
            f"baseline.{flag}")


# --- what the recoding did ---------------------------------------------------------------------

CALLED_OUT = "#B03A2E"


def recoding_bars(summary: pd.DataFrame, column: str) -> go.Figure:
    """Rows per category of one QI before and after the recoding (summary: release.recoding_summary).

    Categories that vanish or shrink by more than half are drawn red and labelled with their change.
    """
    rows = summary[summary["column"] == column]
    if rows.empty:
        raise ValueError(f"no recoding summary for column '{column}'")
    fig = _fig(f"'{html_text(column)}' before and after the recoding")
    labels = [html_text(c) for c in rows["category"]]
    fig.add_bar(y=labels, x=rows["before"], orientation="h", name="original", marker_color=ORIGINAL,
                hovertemplate="%{y}: %{x:,} records before<extra></extra>")
    notes = ["vanished" if v else (f"−{100 * (1 - a / b):.0f}%" if s else "")
             for v, s, a, b in zip(rows["vanished"], rows["shrank"], rows["after"], rows["before"])]
    fig.add_bar(y=labels, x=rows["after"], orientation="h", name="anonymized (red: vanished or more than halved)",
                marker_color=[CALLED_OUT if c else ANONYMIZED for c in rows["called_out"]],
                text=notes, textposition="outside", cliponaxis=False,
                hovertemplate="%{y}: %{x:,} records after<extra></extra>")
    fig.update_layout(barmode="group", xaxis_title="records", bargap=0.25,
                      height=max(320, 140 + 34 * len(labels)))
    fig.update_yaxes(autorange="reversed", type="category")
    return fig


def reading_recoding(summary: pd.DataFrame, column: str | None = None) -> str:
    """One sentence on what the recoding did to one QI (or to all of them)."""
    rows = summary if column is None else summary[summary["column"] == column]
    subject = f"'{column}'" if column is not None else "the quasi-identifiers"
    out = rows[rows["called_out"]]
    if out.empty:
        return f"The recoding kept every category of {subject} at more than half its records."
    lost = (out["before"] - out["after"]).to_numpy()
    worst = out.iloc[np.argsort(-lost, kind="stable")[:3]]
    named = ", ".join(f"{r.category if column else f'{r.column} {r.category}'} {r.before:,} → {r.after:,}"
                      for r in worst.itertuples())
    vanished, shrank = int(out["vanished"].sum()), int(out["shrank"].sum())
    parts = [f"{plural(vanished, 'category', 'categories')} vanished"] if vanished else []
    parts += [f"{plural(shrank, 'category', 'categories')} shrank to less than half"] if shrank else []
    return (f"The recoding rewrote {subject}: {' and '.join(parts)} of {len(rows):,} "
            f"(largest losses: {named}).")


# --- privacy-utility frontier ------------------------------------------------------------------

KIND_COLORS = {"original": ORIGINAL, "qi_dropped": "#B03A2E", "ag": METHOD_COLORS["ag"],
               "mondrian": METHOD_COLORS["mondrian"], "dp": "#3C8D5A", "synthetic": "#8E44AD"}
KIND_SYMBOLS = {"original": "star", "qi_dropped": "x", "ag": "circle", "mondrian": "square", "dp": "diamond",
                "synthetic": "triangle-up"}


def privacy_utility_frontier(points: pd.DataFrame, utility_name: str = "accuracy",
                             recommended: str | None = None, partial: str = "", privacy: str = "model") -> go.Figure:
    """Utility against the strongest attack's advantage, one point per setting (AUC on hover),
    intervals as error bars, the Pareto-optimal points joined.

    points: columns setting, kind, utility, advantage, auc, attack, and optionally utility_low/high
    and advantage_std (frontier.strongest_attack_point builds them).
    """
    from .frontier import pareto_front

    release = privacy == "release"
    title = f"Privacy against {utility_name}: every setting, best trade-offs joined" + \
        (" (privacy: linkage on the release)" if release else "")
    fig = _fig(f"PARTIAL ({html_text(partial)}) · " + title if partial else title)
    points = points.reset_index(drop=True)
    front = points[pareto_front(points)].sort_values(["advantage", "utility"])
    fig.add_scatter(x=front["advantage"], y=front["utility"], mode="lines", name="best trade-offs (Pareto front)",
                    line=dict(color="#444", dash="dot", width=1.5, shape="hv"), hoverinfo="skip")
    fmt = ".2%" if utility_name == "accuracy" else ".3f"
    for kind, group in points.groupby("kind", sort=False):
        low = group.get("utility_low", group["utility"])
        high = group.get("utility_high", group["utility"])
        attack = group["attack"].map(lambda a: ATTACK_NAMES.get(a, a)) if "attack" in group else ""
        if release:  # the linkage's 95% interval
            error_x = dict(type="data", symmetric=False, array=group["advantage_high"] - group["advantage"],
                           arrayminus=group["advantage"] - group["advantage_low"], thickness=1)
            hover = (f"%{{customdata[0]}}<br>{utility_name} %{{y:{fmt}}}<br>re-identified %{{x:.2%}} of the "
                     "adversary's released people<extra></extra>")
        else:
            error_x = dict(type="data", array=group.get("advantage_std", 0 * group["advantage"]), thickness=1)
            hover = (f"%{{customdata[0]}}<br>{utility_name} %{{y:{fmt}}}<br>advantage %{{x:.3f}} "
                     "(%{customdata[2]})<br>AUC %{customdata[1]:.3f}<extra></extra>")
        fig.add_scatter(
            x=group["advantage"], y=group["utility"], mode="markers", name=KIND_NAMES.get(kind, kind),
            marker=dict(color=KIND_COLORS.get(kind, "#777"), symbol=KIND_SYMBOLS.get(kind, "circle"), size=11),
            error_y=dict(type="data", symmetric=False, array=high - group["utility"],
                         arrayminus=group["utility"] - low, thickness=1),
            error_x=error_x, customdata=np.column_stack([group["setting"], group["auc"], attack]),
            hovertemplate=hover)
    if recommended is not None and (points["setting"] == recommended).any():
        best = points[points["setting"] == recommended].iloc[0]
        fig.add_annotation(x=best["advantage"], y=best["utility"], text=f"recommended: {recommended}",
                           showarrow=True, arrowhead=2, ax=40, ay=-40)
    fig.update_layout(xaxis_title=("share of the adversary's released people named correctly by linkage (lower = "
                                   "more private)" if release else
                                   "advantage of the strongest membership attack (TPR − FPR; lower = more private)"),
                      yaxis_title=f"{utility_name} on held-out data", height=480, legend=dict(y=-0.25))
    if release:
        fig.update_xaxes(tickformat=".0%")
    if utility_name == "accuracy":
        fig.update_yaxes(tickformat=".1%")
    fig.update_xaxes(rangemode="tozero")
    return fig


def reading_frontier(rec, utility_name: str = "accuracy", privacy: str = "model") -> str:
    """What the frontier concludes, in one or two sentences (rec: results.Recommendation). Says "no
    recommendation" unless the frontier finished and its intervals settle the choice."""
    from .results import NOTHING_BETTER, PARTIAL, UNDECIDED

    r2 = rec.utility_key == "r2"

    def show(v):
        return f"{v:.3f}" if r2 else f"{v:.1%}"

    def points(v):
        return f"{100 * v:.1f} points"

    unit = " (a point is 0.01 of R²)" if r2 else ""
    budget = f"Within {'an' if utility_name[:1].lower() in 'aeiour' else 'a'} {utility_name} budget of " \
             f"{rec.budget_points:g} point{'s' if rec.budget_points != 1 else ''}{unit}"
    rows = f"{rec.n_holdout:,} held-out rows" + ("; small sample: read with care" if rec.small_sample else "")
    if rec.status == PARTIAL:
        missing = ", ".join(rec.missing[:6]) + (" ..." if len(rec.missing) > 6 else "")
        return (f"No recommendation: the frontier is partial ({len(rec.missing)} setting(s) not computed: {missing}); "
                "a recommendation needs every setting.")
    if rec.status == UNDECIDED:
        crossing = ", ".join(rec.overlapping)
        surely = (f" Of the other settings, the most private whose whole interval lies within the budget is "
                  f"{rec.surely_within}." if rec.surely_within else
                  " No other setting's whole interval lies within the budget.")
        what = "the 95% interval of the change from the original" if rec.paired else "the 95% interval"
        return (f"{budget}, no recommendation: {what} for {crossing} "
                f"crosses the budget line ({show(rec.original_utility - rec.budget_points / 100)}), so whether it is "
                f"within the budget is noise ({rows}).{surely}")
    release = privacy == "release"
    if rec.status == NOTHING_BETTER:
        measure = (f"the linkage re-identifies {rec.original_advantage:.1%} of the adversary's released people" if
                   release else f"attack advantage {rec.original_advantage:.3f}")
        return f"{budget}, no setting is more private than the original ({measure}; {rows})."
    from .stats import within_noise

    gain = rec.cost_points is not None and rec.cost_points < 0
    change = f"{abs(rec.cost_points):.1f} points {'above' if gain else 'below'} the original's " \
             f"{show(rec.original_utility)}"
    if rec.change_low is not None:  # paired on the same rows
        noise = rec.change_low <= 0 <= rec.change_high
        change += (f"; the change's 95% interval, on the same rows, is {points(rec.change_low)} to "
                   f"{points(rec.change_high)}" + (": within noise" if noise else ""))
    elif None not in (rec.original_low, rec.original_high, rec.utility_low, rec.utility_high):
        if within_noise(rec.original_utility, rec.utility, (rec.original_low, rec.original_high),
                        (rec.utility_low, rec.utility_high)):
            change += ", within noise"
    figure = f"{utility_name} {show(rec.utility)} ({change})"
    auc = "" if rec.auc is None else f", AUC {rec.auc:.3f}"
    spread = f" ± {rec.advantage_std:.3f}" if rec.advantage_std else ""
    if release:
        return (f"{budget}, the most private release is {rec.setting}: {figure}, and the share of the adversary's "
                f"released people named correctly by linkage falls from {rec.original_advantage:.1%} to "
                f"{rec.advantage:.1%} ({rec.candidates} settings with a released table were within the budget; "
                f"{rows}; DP models release no table and are not on this axis).")
    return (f"{budget}, the most private setting is {rec.setting}: {figure}, and the strongest attack's advantage "
            f"falls from {rec.original_advantage:.3f} to {rec.advantage:.3f}{spread}{auc} ({rec.candidates} settings "
            f"were within the budget; {rows}).") + reading_families(rec)


def reading_families(rec) -> str:
    """Which family wins within the budget and why (rec.families: `frontier.family_winners`); empty unless the
    frontier holds at least two of anonymization, DP training and DP synthetic data."""
    if len(rec.families) < 2:
        return ""
    parts = []
    for f in rec.families:
        if f["within_budget"]:
            parts.append(f"{f['family']}: {f['setting']} (advantage {f['advantage']:.3f})")
        else:
            parts.append(f"{f['family']}: none within the budget (its best utility, {f['setting']}, is "
                         f"{f['utility']:.1%})" if rec.utility_key != "r2" else
                         f"{f['family']}: none within the budget (its best R², {f['setting']}, is {f['utility']:.3f})")
    inside = sorted((f for f in rec.families if f["within_budget"]), key=lambda f: f["advantage"])
    if not inside:
        return " By family: " + "; ".join(parts) + "."
    win = inside[0]
    why = "the least attack advantage among the settings within the budget"
    if len(inside) > 1:
        gap = inside[1]["advantage"] - win["advantage"]
        spread = (win["advantage_std"] or 0) + (inside[1]["advantage_std"] or 0)
        if gap <= spread:
            why += (f"; {inside[1]['family']}'s best is {gap:.3f} behind, within the attacks' spread over "
                    "repeats: a near tie")
    baseline = (f" The pick itself, {rec.setting}, is a baseline and more private than every family's best."
                if rec.family == "baseline" else "")
    name = win["family"][:1].upper() + win["family"][1:]
    return f" By family: {'; '.join(parts)}. {name} wins: {why}.{baseline}"
