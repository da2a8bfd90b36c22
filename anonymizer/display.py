"""Tables for people: generalizations as short text, changed cells, tidy numbers.

The dashboard and the HTML report show these; keeping them here keeps pages thin and testable.
"""

from __future__ import annotations

import datetime

import numpy as np
import pandas as pd

from .classes import LEVEL, MAX, MIN, NODE, VALUES, AnonymizationResult, iso_date

MAX_LISTED = 4  # values named in a category set before "+N more"


def _number(v) -> str:
    """A number with thousands separators, a date as ISO text, 'missing' for a missing value."""
    if v is None or v is pd.NaT or (isinstance(v, float) and np.isnan(v)):
        return "missing"
    if isinstance(v, (pd.Timestamp, datetime.date)):
        return iso_date(v)
    if float(v).is_integer():
        return f"{int(v):,}"
    return f"{v:,.4g}"


def describe_range(lo, hi) -> str:
    """'17–25' for a numeric generalization, '2024-01-01 – 2024-03-31' for dates, or the single
    value when lo == hi."""
    if lo == hi or (pd.isna(lo) and pd.isna(hi)):
        return _number(lo)
    dash = " – " if isinstance(lo, (pd.Timestamp, datetime.date)) else "–"
    return f"{_number(lo)}{dash}{_number(hi)}"


def describe_set(values: tuple) -> str:
    """'A, B, C +2 more' for a categorical generalization (missing shown as 'missing')."""
    names = ["missing" if v is None else str(v) for v in values]
    shown = ", ".join(names[:MAX_LISTED])
    return shown + (f" +{len(names) - MAX_LISTED} more" if len(names) > MAX_LISTED else "")


def _shown(v) -> str:
    if pd.isna(v):
        return "missing"
    return _number(v) if isinstance(v, (int, float, np.number, pd.Timestamp, datetime.date)) else str(v)


def class_summary(result: AnonymizationResult) -> pd.DataFrame:
    """One row per class: size, then for every QI its generalization and its representative."""
    classes = result.classes
    out = {"class": classes.index.to_numpy(), "size": classes["size"].to_numpy()}
    for q in result.quasi_identifiers:
        if f"{q}{VALUES}" in classes.columns:
            out[f"{q} (values)"] = [describe_set(v) for v in classes[f"{q}{VALUES}"]]
        else:
            out[f"{q} (range)"] = [describe_range(lo, hi) for lo, hi in zip(classes[f"{q}{MIN}"],
                                                                            classes[f"{q}{MAX}"])]
        out[f"{q} → shown as"] = [_shown(v) for v in classes[q]]
        if f"{q}{NODE}" in classes.columns:  # a hierarchy: the node the class is released as, and its level
            out[f"{q} → released as"] = [_shown(v) for v in classes[f"{q}{NODE}"]]
            out[f"{q} level"] = [_shown(v) for v in classes[f"{q}{LEVEL}"]]
    if "suppressed" in classes.columns:
        out["suppressed"] = classes["suppressed"].to_numpy()
    return pd.DataFrame(out)


def hierarchy_level_table(levels: dict) -> pd.DataFrame:
    """The levels reached (`PrivacyMetrics.hierarchy_levels`) as rows: QI, hierarchy, level, records, classes."""
    rows = [{"quasi-identifier": q, "hierarchy": info["description"], "level": name, "records": n,
             "classes": info["classes_by_level"][name]}
            for q, info in levels.items() for name, n in info["records_by_level"].items() if n]
    return pd.DataFrame(rows, columns=["quasi-identifier", "hierarchy", "level", "records", "classes"])


def changed_cells(original: pd.DataFrame, anonymized: pd.DataFrame) -> pd.DataFrame:
    """True where a cell differs (missing equal to missing)."""
    same = (original == anonymized) | (original.isna() & anonymized.isna())
    return ~same.fillna(False).astype(bool)



# --- counts, k, and two frames formatted alike ---------------------------------------------------

def share_with_interval(share: float | None, interval: list[float] | None, digits: int = 2) -> str:
    """'5.38% (4.79% - 6.04%)', or 'n/a' for a share that was not measured (no one to count)."""
    if share is None:
        return "n/a"
    text = f"{share:.{digits}%}"
    return text if interval is None else f"{text} ({interval[0]:.{digits}%} - {interval[1]:.{digits}%})"


def plural(n: int, word: str, plural_word: str | None = None) -> str:
    """'1 record', '2 records', '12,345 records' ('1 class', '3 classes' with plural_word='classes')."""
    return f"{n:,} {word if n == 1 else (plural_word or word + 's')}"


def describe_k(k: int) -> str:
    """k as people should read it: k = 1 means some record is alone in its class, i.e. no protection."""
    return f"{k:,} (no protection)" if k <= 1 else f"{k:,}"


MAX_DECIMALS = 6


def _decimals(values: np.ndarray) -> int:
    """The fewest decimals (up to MAX_DECIMALS) that show every value exactly."""
    for d in range(MAX_DECIMALS + 1):
        if np.allclose(np.round(values, d), values, rtol=0, atol=10.0 ** -(MAX_DECIMALS + 2)):
            return d
    return MAX_DECIMALS


def _text_column(series: pd.Series, decimals: int | None, dates: bool) -> pd.Series:
    """One column as text by a shared rule; missing stays missing."""
    missing = series.isna().to_numpy()
    if decimals is not None:
        values = series.to_numpy(dtype=float, na_value=np.nan)
        texts = [f"{v:.{decimals}f}" for v in values]  # no thousands separator: years, codes
    elif dates:
        stamps = pd.to_datetime(series)
        midnight = bool((stamps.dropna() == stamps.dropna().dt.normalize()).all())
        texts = [None if pd.isna(v) else (v.date().isoformat() if midnight else v.isoformat()) for v in stamps]
    else:
        texts = [str(v) for v in series.to_numpy(dtype=object)]
    out = np.asarray(texts, dtype=object)
    out[missing] = None
    return pd.Series(pd.array(out, dtype="str"), index=series.index, name=series.name)


def _is_number(series: pd.Series) -> bool:
    return pd.api.types.is_numeric_dtype(series.dtype) and not pd.api.types.is_bool_dtype(series.dtype)


def format_alike(original: pd.DataFrame, anonymized: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Both frames as text, each column by one rule for both, so a cell that did not change reads the same.

    A number column shown as 40 in one frame and 40.0 in the other looks changed; here a column that
    holds numbers in both frames gets the decimals its values need in either (40 and 40, or 2.50 and
    2.25, no thousands separator), dates are ISO dates in both, everything else is its text.
    Missing stays missing.
    """
    out_o, out_a = {}, {}
    for col in dict.fromkeys([*original.columns, *anonymized.columns]):
        present = [f[col] for f in (original, anonymized) if col in f.columns]
        decimals, dates = None, False
        if all(_is_number(s) for s in present):
            values = np.concatenate([s.to_numpy(dtype=float, na_value=np.nan) for s in present])
            values = values[np.isfinite(values)]
            decimals = _decimals(values) if len(values) else 0
        elif all(pd.api.types.is_datetime64_any_dtype(s.dtype) for s in present):
            dates = True
        if col in original.columns:
            out_o[col] = _text_column(original[col], decimals, dates)
        if col in anonymized.columns:
            out_a[col] = _text_column(anonymized[col], decimals, dates)
    return (pd.DataFrame(out_o, index=original.index)[list(original.columns)],
            pd.DataFrame(out_a, index=anonymized.index)[list(anonymized.columns)])


def synthetic_table(runs, utility_key: str) -> pd.DataFrame:
    """One row per DP synthetic run (`simulation.SyntheticRun`): the utility of the model retrained on it, the
    strongest membership attack, fidelity, copies of member rows beside copies of control rows, and the
    control-set risks of the synthetic table (what the Attacks page and the report show)."""
    rows = []
    for run in runs:
        u, membership = run.evaluation.utility, run.evaluation.membership
        strongest = membership.strongest() if membership else None
        lo, hi = u.interval(utility_key) or (None, None)
        risks = run.release
        so = (risks.get("singling_out") or {}).get("risk")
        inf = (risks.get("inference") or {}).get("risk")
        rows.append({"epsilon": run.epsilon, utility_key: u.value(utility_key), "95% low": lo, "95% high": hi,
                     "strongest attack": strongest, "its AUC": membership[strongest].auc if strongest else None,
                     "TPR at 1% FPR": membership[strongest].tpr_at_1pct_fpr if strongest else None,
                     "TVD 1-way": run.fidelity["tvd_1way"], "TVD 2-way": run.fidelity["tvd_2way"],
                     "member rows copied": run.copies["members_copied_share"],
                     "control rows copied": run.copies.get("controls_copied_share"),
                     "singling-out risk": so, "inference risk": inf, "seed": run.seed})
    return pd.DataFrame(rows)
