"""A self-contained HTML report for stakeholders: settings, seed, metrics and charts in one file.

plotly.js is embedded once, so the file opens offline and can be mailed as it is.
"""

from __future__ import annotations

import html
from datetime import UTC, datetime

import numpy as np
import pandas as pd
from plotly.offline import get_plotlyjs

from . import charts
from .classes import AnonymizationResult
from .metrics import PrivacyMetrics

STYLE = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;max-width:1100px;margin:2em auto;color:#1F2933;
padding:0 1em}h1{color:#2E6F9E}h2{border-bottom:1px solid #d8dee4;padding-bottom:.2em;margin-top:1.6em}
table{border-collapse:collapse;margin:.6em 0}td,th{border:1px solid #d8dee4;padding:.3em .7em;text-align:left}
th{background:#F2F5F8}.reading{color:#52606D;font-style:italic;margin:.2em 0 1.4em}.small{color:#7B8794;font-size:.9em}
"""


def _table(rows: dict | pd.DataFrame) -> str:
    frame = rows if isinstance(rows, pd.DataFrame) else pd.DataFrame({"": list(rows), " ": list(rows.values())})
    return frame.to_html(index=False, escape=True, border=0, float_format=lambda v: f"{v:,.4f}")


def _figure(fig, reading: str) -> str:
    return (fig.to_html(full_html=False, include_plotlyjs=False, config={"displaylogo": False})
            + f'<p class="reading">{html.escape(reading)}</p>')


def build_report(settings: dict, result: AnonymizationResult, metrics: PrivacyMetrics,
                 utility: dict | None = None, original=None, anonymized=None) -> str:
    """settings: what was chosen (dataset, target, QIs, sensitive, method, k, seed...);
    utility: {"original": acc, "anonymized": acc, "mondrian": acc, "qi_dropped": acc} (optional);
    original / anonymized: experiment Evaluations with attacks (optional)."""
    parts = [f"<h1>Anonymization report</h1><p class='small'>Generated "
             f"{datetime.now(UTC):%Y-%m-%d %H:%M UTC} by the anonymizer dashboard. Every random choice "
             f"derives from seed {html.escape(str(settings.get('seed')))}, so the figures can be reproduced.</p>",
             "<h2>Settings</h2>", _table({k: ", ".join(v) if isinstance(v, (list, tuple)) else v
                                          for k, v in settings.items()})]
    privacy = {"k asked": metrics.k, "k achieved": metrics.k_achieved, "records": metrics.n_rows,
               "classes": metrics.n_classes, "information loss (GCP)": f"{metrics.gcp:.1%}",
               "max re-identification risk": f"{metrics.max_risk:.1%}", "average risk": f"{metrics.avg_risk:.2%}",
               f"records with risk above {metrics.risk_threshold:.0%}": f"{metrics.share_at_risk:.1%}",
               "discernibility": f"{metrics.discernibility:,}"}
    if metrics.sensitive:
        privacy.update({f"distinct l-diversity ({metrics.sensitive})": metrics.l_distinct,
                        "entropy l-diversity": f"{metrics.l_entropy:.2f}", "t-closeness": f"{metrics.t_closeness:.3f}"})
    sizes = np.bincount(result.class_ids)
    parts += ["<h2>Privacy of the anonymized table</h2>", _table(privacy),
              _figure(charts.class_size_histogram(sizes, metrics.k or 1),
                      charts.reading_class_sizes(sizes, metrics.k or 1))]
    if utility:
        rows = pd.DataFrame([{"model": name, "accuracy": f"{acc:.2%}",
                              "change": f"{100 * (acc - utility['original']):+.2f} pt"}
                             for name, acc in utility.items()])
        parts += ["<h2>Utility: accuracy on held-out records</h2>", _table(rows)]
    if original is not None and anonymized is not None and original.membership:
        label = f"{settings.get('method')} k={settings.get('k')} model"
        rows = pd.DataFrame([{"attack": charts.ATTACK_NAMES[a], "AUC before": original.membership[a]["auc"],
                              "AUC after": anonymized.membership[a]["auc"],
                              "TPR at 1% FPR before": original.membership[a]["tpr_at_1pct_fpr"],
                              "TPR at 1% FPR after": anonymized.membership[a]["tpr_at_1pct_fpr"]}
                             for a in original.membership])
        parts += ["<h2>Membership inference</h2>", _table(rows),
                  _figure(charts.membership_bars(original.membership, anonymized.membership, label),
                          charts.reading_membership(original.membership, anonymized.membership, label)),
                  _figure(charts.roc_curves(original.membership, anonymized.membership, "lira", label),
                          charts.reading_roc(original.membership, anonymized.membership, "lira"))]
        if original.attribute and anonymized.attribute:
            sensitive = settings.get("sensitive attribute")
            parts += ["<h2>Attribute inference</h2>",
                      _figure(charts.attribute_bars(original.attribute, anonymized.attribute, sensitive, label),
                              charts.reading_attribute(original.attribute, anonymized.attribute, sensitive))]
    else:
        parts.append("<h2>Attacks</h2><p>The attack simulation was not run for this report.</p>")
    body = "\n".join(parts)
    return (f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>Anonymization report</title>"
            f"<style>{STYLE}</style><script>{get_plotlyjs()}</script></head><body>{body}</body></html>")
