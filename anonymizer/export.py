"""Exports people can hand on: tables safe to open in a spreadsheet, rules, models, a report."""

from __future__ import annotations

import io

import pandas as pd
from pandas.api import types as ptypes

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def defuse(value):
    """`value` with a leading apostrophe if it is text a spreadsheet would run as a formula."""
    return "'" + value if _is_formula(value) else value


def _is_formula(value) -> bool:
    return isinstance(value, str) and value.startswith(FORMULA_PREFIXES)


def spreadsheet_safe(df: pd.DataFrame) -> pd.DataFrame:
    """A copy whose header and text cells cannot be run as formulas by a spreadsheet (OWASP CSV injection).

    A column name or text cell starting with =, +, -, @, tab or carriage return gets a leading
    apostrophe, which spreadsheets show as text. Numbers, including negative ones, are left alone.
    """
    out = df.copy()
    for col in out.columns:
        if ptypes.is_numeric_dtype(out[col].dtype) or ptypes.is_bool_dtype(out[col].dtype):
            continue
        values = out[col].astype(object)
        try:  # each distinct value is tested once (a column holds far fewer values than cells)
            formulas = [v for v in pd.unique(values) if _is_formula(v)]
            risky = values.isin(formulas) if formulas else None
        except TypeError:  # unhashable cells (lists, dicts) are never text: only the text cells are tested
            risky = values.map(_is_formula)
        if risky is not None and risky.any():
            out[col] = values.where(~risky, "'" + values.astype(str))
    out.columns = [defuse(c) for c in out.columns]
    return out


def csv_bytes(df: pd.DataFrame) -> bytes:
    """CSV for people: UTF-8, no index, header and cells defused by `spreadsheet_safe`."""
    return spreadsheet_safe(df).to_csv(index=False).encode("utf-8")


def parquet_bytes(df: pd.DataFrame) -> bytes:
    buffer = io.BytesIO()
    df.to_parquet(buffer, index=False)
    return buffer.getvalue()


def model_file(model) -> tuple[str, bytes, str]:
    """(file suffix, content, format) for a retrained model, in a format that is safe to open.

    LightGBM (bare or behind our category encoder) -> LightGBM's text format, whose stored
    categories let `load_model` + `check_model` read it back; scikit-learn models -> skops.
    """
    from lightgbm import LGBMModel
    from sklearn.pipeline import Pipeline

    final = model[-1] if isinstance(model, Pipeline) else model
    if isinstance(final, LGBMModel):
        return ".txt", final.booster_.model_to_string().encode("utf-8"), "LightGBM text"
    import skops.io as sio

    return ".skops", sio.dumps(model), "skops"
