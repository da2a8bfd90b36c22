"""Suggested roles for an analyst's own table: what to drop, what to generalize, what the model predicts.

A new table comes with no roles, and a wrong guess changes what every privacy number means (a
mortgage outcome generalized as a QI protects nothing). So each suggestion here is cautious and
carries its reason: column names are read as whole words (split on `_` `-` `.` space, camelCase and
digits, so `wage` is never `age`), then values are checked for their shape (e-mails, phones, person
names, dates, row numbers). When nothing fits, the suggestion is empty and a message asks the
analyst; no other column is put in its place. The dashboard and the CLI show the same suggestions.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from pandas.api import types as ptypes

from .data import DATE, DataError, column_kind
from .names import CLASSIFICATION, REGRESSION
from .results import LEAK
from .target_leaks import check_target_leaks, same_information

MAX_CLASSES = 20  # whole numbers with at most this many values are classes
REGRESSION_MIN_SHARE = 0.05  # ... and above it, amounts if they also exceed this share of the rows
NEAR_UNIQUE = 0.95  # share of distinct values that makes a code or number an identifier
SHAPE_SHARE = 0.8  # share of sampled values that must have a shape (e-mail, phone, name) to count
SAMPLE = 500  # values sampled for shape checks (the first ones, so the result is deterministic)
MIN_ROWS_FOR_UNIQUENESS = 20  # below this, every column can look near-unique

# --- column names as words -------------------------------------------------------------------

_SEPARATORS = re.compile(r"[_\-.\s/]+")
_WORD_BOUNDARY = re.compile(r"(?<=[a-z])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])|(?<=[A-Za-z])(?=\d)|(?<=\d)(?=[A-Za-z])")


def name_words(name) -> tuple[str, ...]:
    """Lower-case words of a column name: 'MaritalStatus_2' -> ('marital', 'status', '2')."""
    words = []
    for part in _SEPARATORS.split(str(name).strip()):
        words.extend(w.lower() for w in _WORD_BOUNDARY.split(part) if w)
    return tuple(words)


# QI vocabulary: what the name says -> the words that say it
_QI_WORDS = {
    "age": {"age", "ages", "agegroup", "agegrp", "ageband", "agecat", "yob"},
    "sex or gender": {"sex", "gender"},
    "race or ethnicity": {"race", "racial", "ethnicity", "ethnic", "ethn", "ancestry"},
    "marital status": {"marital", "maritl", "marstat", "married", "maried", "marriage"},
    "a birth date": {"birth", "birthdate", "birthday", "birthyear", "birthmonth", "dob", "bdate"},
    "a date": {"date", "dt"},
    "a postcode or area code": {"zip", "zipcode", "postcode", "postal", "plz", "fips", "zcta"},
    "a place": {"region", "country", "state", "city", "county", "town", "province", "neighborhood",
                "neighbourhood", "district", "residence", "birthplace", "nationality", "nation",
                "latitude", "longitude", "lat", "lon", "lng", "municipality", "commune"},
    "occupation or employment": {"occupation", "occup", "occ", "job", "jobclass", "profession", "workclass",
                                 "employment", "employed", "employer", "industry"},
    "education": {"education", "educ", "edu", "educatn", "schooling", "degree", "qualification"},
    "a family relationship": {"relationship"},
    "language or citizenship": {"language", "citizen", "citizenship", "immigrant"},
}
_ALL_QI_WORDS = set().union(*_QI_WORDS.values())
# words naming one value of a category: a QI only as an indicator (few values), not as a count
_INDICATOR_WORDS = {"single", "divorced", "widowed", "male", "female", "black", "white", "nonwhite",
                    "hispanic", "asian", "married", "maried"}
_INDICATOR_MAX_VALUES = 10
# a statistic about a group, not an attribute of the person: 'birth_rate', 'pct_married'
_STATISTIC_WORDS = {"rate", "ratio", "pct", "percent", "perc", "share", "count", "mean", "avg", "average",
                    "median"}

_TARGET_WORDS = {"target", "label", "labels", "outcome", "outcomes", "class", "y", "response", "result",
                 "results", "status", "depvar"}
_EVENT_WORDS = {"deny", "denied", "default", "churn", "churned", "survived", "survival", "died", "death", "dead",
                "fraud", "spam", "approved", "approval", "admit", "admitted", "diagnosis", "callback"}
_AMOUNT_WORDS = {"income", "salary", "wage", "earnings"}  # often the outcome, sometimes a feature
_OUTCOME_WORDS = _TARGET_WORDS | _EVENT_WORDS | _AMOUNT_WORDS

_SENSITIVE_WORDS = {"health", "diagnosis", "diagnoses", "disease", "diseases", "illness", "medical", "disability",
                    "hiv", "cancer", "diabetes", "depression", "mental", "pregnancy", "pregnant", "religion",
                    "religious", "income", "salary", "wage", "wages", "earnings", "sexuality", "orientation",
                    "criminal", "conviction", "convictions", "drug", "drugs", "alcohol"}

_ID_WORDS = {"id", "ids", "uuid", "guid", "ssn", "passport", "iban", "account", "rownames", "rowname", "row",
             "index", "idx", "key", "seqn", "obsno", "nr", "number", "no", "num", "code", "licence", "license"}
_PERSON_NAME_WORDS = {"surname", "forename", "firstname", "lastname", "fullname", "givenname", "familyname",
                      "maidenname", "nickname", "middlename"}
_NAME_QUALIFIERS = {"first", "last", "given", "family", "middle", "full", "maiden", "sur", "fore", "nick",
                    "person", "patient", "customer", "client", "user", "employee", "owner", "contact",
                    "applicant", "member", "student", "mother", "father", "fake", "real", "birth"}
_EMAIL_WORDS = {"email", "mail"}  # 'e-mail' splits into ('e', 'mail')
_PHONE_WORDS = {"phone", "telephone", "tel", "mobile", "cell", "fax"}
_ADDRESS_WORDS = {"address", "street", "addr"}

# --- value shapes ----------------------------------------------------------------------------

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[A-Za-z]{2,}$")
_PHONE = re.compile(r"^\+?[\d\s().\-/]+$")
_SSN = re.compile(r"^\d{3}-\d{2}-\d{4}$")
_ZIP_PLUS4 = re.compile(r"^\d{5}-\d{4}$")
_DATE = re.compile(r"^(\d{4}-\d{1,2}-\d{1,2}([ T]\d{1,2}:\d{2}(:\d{2}(\.\d+)?)?)?(Z|[+-]\d{2}:?\d{2})?"
                   r"|\d{4}/\d{1,2}/\d{1,2}|\d{1,2}[/.]\d{1,2}[/.]\d{4})$")
_NAME_WORD = re.compile(r"^[A-Z][a-z]+(?:['\-][A-Z]?[a-z]+)*,?$")
_INITIAL = re.compile(r"^[A-Z]\.?$")
FREE_TEXT_MIN_CHARS = 30


def _text_sample(col: pd.Series) -> pd.Series:
    return col.dropna().astype(str).str.strip().head(SAMPLE)


def _share(sample: pd.Series, test) -> float:
    return float(sample.map(test).mean()) if len(sample) else 0.0


def looks_like_dates(col: pd.Series) -> bool:
    """Date or datetime columns, and text whose values are ISO-like or d/m/y dates that parse."""
    if column_kind(col) == DATE or isinstance(col.dtype, pd.PeriodDtype):  # datetime64, and Parquet dates
        return True
    if column_kind(col) != "categorical" or ptypes.is_bool_dtype(col.dtype):
        return False
    sample = _text_sample(col)
    if not len(sample) or _share(sample, lambda v: bool(_DATE.match(v))) < 0.9:
        return False
    parsed = pd.to_datetime(sample, errors="coerce", format="mixed")
    return float(parsed.notna().mean()) >= 0.9


def _show(value) -> str:
    """A cell value for a message: 'text' quoted, numbers plain (3, not np.int64(3))."""
    value = value.item() if isinstance(value, np.generic) else value
    return repr(value) if isinstance(value, str) else str(value)


def _is_phone(value: str) -> bool:
    if not _PHONE.match(value) or _DATE.match(value) or _ZIP_PLUS4.match(value):
        return False
    return 7 <= sum(ch.isdigit() for ch in value) <= 15


def _is_person_name(value: str) -> bool:
    words = value.split()
    full = sum(bool(_NAME_WORD.match(w)) for w in words)
    return 2 <= len(words) <= 4 and full >= 2 and all(_NAME_WORD.match(w) or _INITIAL.match(w) for w in words)


# --- the suggestion --------------------------------------------------------------------------


@dataclass(frozen=True)
class ColumnSummary:
    """A column as read: kind (numeric/categorical), dtype, distinct and missing values."""

    kind: str
    dtype: str
    distinct: int
    missing: int

    def to_dict(self) -> dict:
        return {"kind": self.kind, "dtype": self.dtype, "distinct": self.distinct, "missing": self.missing}


@dataclass(frozen=True)
class Suggestion:
    """Roles suggested for a table, each with the reason shown to the analyst."""

    target: str | None
    target_reason: str
    task: str | None
    task_reason: str
    quasi_identifiers: tuple[str, ...]
    qi_reasons: tuple[tuple[str, str], ...]
    identifiers: tuple[tuple[str, str], ...]
    sensitive: str | None
    sensitive_reason: str
    messages: tuple[str, ...]
    columns: tuple[tuple[str, ColumnSummary], ...] = field(repr=False)
    # columns that give the target away (the target in another form, or recorded after the outcome)
    target_leaks: tuple[tuple[str, str], ...] = ()

    @property
    def identifier_columns(self) -> list[str]:
        """Columns to drop before anything else: they name people rather than describe them."""
        return [name for name, _ in self.identifiers]

    def reason_for(self, column: str) -> str:
        """Why `column` got its suggested role ('' if it has none)."""
        reasons = dict(self.identifiers) | dict(self.target_leaks) | dict(self.qi_reasons)
        if column == self.target:
            return self.target_reason
        if column == self.sensitive:
            return self.sensitive_reason
        return reasons.get(column, "")

    def role_of(self, column: str) -> str:
        if column in self.identifier_columns:
            return "direct identifier"
        if column in dict(self.target_leaks):
            return "gives the target away"
        if column == self.target:
            return "target"
        if column in self.quasi_identifiers:
            return "quasi-identifier"
        if column == self.sensitive:
            return "sensitive"
        return ""

    def column_table(self) -> pd.DataFrame:
        """One row per column: what it holds, the suggested role and why (for the Data page)."""
        rows = [{"column": name, **summary.to_dict(), "suggestion": self.role_of(name), "why": self.reason_for(name)}
                for name, summary in self.columns]
        return pd.DataFrame(rows, columns=["column", "kind", "dtype", "distinct", "missing", "suggestion", "why"])

    def roles(self):
        """The suggested roles as a `Roles` (identifiers and target leaks dropped; the task left to detection)."""
        from .roles import Roles

        dropped = tuple(self.identifier_columns) + tuple(name for name, _ in self.target_leaks)
        return Roles(self.target, self.quasi_identifiers, self.sensitive, dropped)

    def to_dict(self) -> dict:
        """The JSON the CLI prints: roles, their reasons, the messages, and every column as read."""
        return {
            "target": self.target,
            "task": self.task,
            "quasi_identifiers": list(self.quasi_identifiers),
            "identifiers": [{"column": name, "reason": reason} for name, reason in self.identifiers],
            "target_leaks": [{"column": name, "reason": reason} for name, reason in self.target_leaks],
            "sensitive": self.sensitive,
            "reasons": {"target": self.target_reason, "task": self.task_reason,
                        "quasi_identifiers": dict(self.qi_reasons), "sensitive": self.sensitive_reason},
            "messages": list(self.messages),
            "columns": {name: summary.to_dict() for name, summary in self.columns},
        }


def detect_task(series: pd.Series) -> tuple[str, str]:
    """'classification' or 'regression' for a target column, and why in plain words.

    Booleans, text and whole numbers with few values are classes; numbers with fractions, or whole
    numbers with many values (more than 20, and more than 5% of the rows), are amounts. Missing values
    are ignored (those rows are left out of training).
    """
    name = series.name
    values = series.dropna()
    if values.empty:
        raise DataError(f"target column '{name}' has no values")
    distinct = int(values.nunique())
    if distinct < 2:
        raise DataError(f"target column '{name}' has a single value ({_show(values.iloc[0])}); "
                        "a model needs two or more")
    if ptypes.is_bool_dtype(values.dtype):
        return CLASSIFICATION, "true/false values"
    if column_kind(values) == DATE:
        raise DataError(f"target column '{name}' holds dates; choose a column with classes or amounts")
    if column_kind(values) != "numeric":
        return CLASSIFICATION, f"text values: {distinct} classes"
    numbers = values.to_numpy(dtype=float)
    if not np.all(np.isfinite(numbers)):
        raise DataError(f"target column '{name}' holds infinite numbers; replace them or mark them missing")
    if not np.all(numbers == np.round(numbers)):
        example = next(v for v in numbers if v != round(v))
        return REGRESSION, f"numbers with fractions (e.g. {example:g}): an amount to predict"
    n = len(values)
    if distinct <= MAX_CLASSES:
        return CLASSIFICATION, f"{distinct} distinct whole numbers (at most {MAX_CLASSES}): classes"
    if distinct > REGRESSION_MIN_SHARE * n:
        return REGRESSION, (f"{distinct:,} distinct whole numbers in {n:,} rows (more than {MAX_CLASSES} "
                            f"and more than {REGRESSION_MIN_SHARE:.0%} of the rows): an amount to predict")
    return CLASSIFICATION, (f"{distinct:,} distinct whole numbers, few for {n:,} rows "
                            f"(at most {REGRESSION_MIN_SHARE:.0%}): classes")


def identifier_reason(name, col: pd.Series) -> str | None:
    """Why `col` is a direct identifier (it names a person, or is a code or text unique to them), or None."""
    words = set(name_words(name))
    values = col.dropna()
    n, distinct = len(values), int(values.nunique())
    if n == 0 or looks_like_dates(col):
        return None  # an empty column is nothing; dates are quasi-identifiers, never phones or ids
    numeric = column_kind(col) == "numeric"
    if not numeric and not ptypes.is_bool_dtype(col.dtype):
        sample = _text_sample(col)
        if _share(sample, lambda v: bool(_EMAIL.match(v))) >= SHAPE_SHARE:
            return "values look like e-mail addresses"
        if _share(sample, lambda v: bool(_SSN.match(v))) >= SHAPE_SHARE:
            return "values look like social security numbers"
        if (_share(sample, _is_phone) >= SHAPE_SHARE and distinct >= 0.5 * n
                and not words & _QI_WORDS["a postcode or area code"]):
            return "values look like phone numbers"
    if words & _PERSON_NAME_WORDS or ("name" in words or "names" in words) and (
            words <= {"name", "names"} or words & _NAME_QUALIFIERS):
        return "the name says it holds person names"
    if not numeric and distinct >= 0.8 * n and _share(_text_sample(col), _is_person_name) >= SHAPE_SHARE:
        return "values look like person names (capitalised first and last names)"
    if distinct >= 0.5 * n and n >= 2:
        if words & _EMAIL_WORDS:
            return "the name says e-mail and most values differ"
        if words & _PHONE_WORDS:
            return "the name says phone and most values differ"
        if words & _ADDRESS_WORDS:
            return "the name says address and most values differ"
    if words & _ALL_QI_WORDS:
        return None  # a postcode or an age is generalized, not dropped, however many values it has
    if words & (_SENSITIVE_WORDS | _OUTCOME_WORDS) and not words & _ID_WORDS:
        return None  # an income in dollars may be near-unique, yet it is an attribute, not a code
    whole, enough_rows = ptypes.is_integer_dtype(col.dtype), n >= MIN_ROWS_FOR_UNIQUENESS
    if whole and (enough_rows or words & _ID_WORDS) and distinct == n and values.max() - values.min() == n - 1:
        return f"a row number: the whole numbers {values.min():,} to {values.max():,}, one per row"
    if whole and enough_rows and distinct >= NEAR_UNIQUE * n:
        return f"{distinct:,} distinct whole numbers in {n:,} rows: a near-unique code"
    if words & _ID_WORDS and distinct >= 0.5 * n and n >= 2 and not ptypes.is_float_dtype(col.dtype):
        return f"the name says id or number and {distinct:,} of {n:,} values differ"
    if not enough_rows:
        return None
    if not numeric and not ptypes.is_bool_dtype(col.dtype):
        sample = _text_sample(col)
        median_chars = float(sample.str.len().median())
        if median_chars >= FREE_TEXT_MIN_CHARS and distinct >= 0.5 * n:
            return f"free text (values of about {median_chars:.0f} characters, mostly different): may name people"
        if distinct >= NEAR_UNIQUE * n:
            return f"{distinct:,} distinct values in {n:,} rows: a near-unique code"
    return None


def qi_reason(name, col: pd.Series) -> str | None:
    """Why `col` is likely a quasi-identifier (a demographic or location attribute), or None."""
    words = set(name_words(name))
    if words & _STATISTIC_WORDS:
        return None
    for says, vocabulary in _QI_WORDS.items():
        hits = words & vocabulary
        if not hits:
            continue
        if hits <= _INDICATOR_WORDS and col.nunique(dropna=True) > _INDICATOR_MAX_VALUES:
            continue  # 'married' with 80 values is a count of married people, not a person's status
        return f"the name says {says}"
    indicator = words & _INDICATOR_WORDS
    if indicator and col.nunique(dropna=True) <= _INDICATOR_MAX_VALUES:
        return f"the name says {sorted(indicator)[0]}: an indicator of a demographic group"
    if looks_like_dates(col):
        return "values are dates"
    return None


def _target_rank(name) -> tuple[int, int] | None:
    """(word strength, whole name) for target-like names, higher is stronger; None if not one.

    'target'/'label'/'outcome' say it outright; events (deny, death) are outcomes more often than
    amounts (income, wage), which are also common features; a one-word name beats a compound one
    ('result' over 'patient_class').
    """
    words = set(name_words(name))
    strengths = [strength for strength, vocabulary in enumerate((_AMOUNT_WORDS, _EVENT_WORDS, _TARGET_WORDS), 1)
                 if words & vocabulary]
    return (max(strengths), int(len(words) == 1)) if strengths else None


def suggest(df: pd.DataFrame) -> Suggestion:
    """Suggested roles for `df`: identifiers to drop, target and task, QIs, sensitive; with reasons."""
    messages: list[str] = []
    columns = tuple((str(name), ColumnSummary(column_kind(df[name]), str(df[name].dtype),
                                              int(df[name].nunique(dropna=True)), int(df[name].isna().sum())))
                    for name in df.columns)
    summary = dict(columns)
    names = [str(c) for c in df.columns]
    frame = df.set_axis(names, axis=1)

    def same(a: str, b: str) -> bool:  # equal distinct counts first: most pairs stop there, cheaply
        return summary[a].distinct == summary[b].distinct and same_information(frame[a], frame[b])

    identifiers = []
    for name in names:
        reason = identifier_reason(name, frame[name])
        if reason:
            identifiers.append((name, reason))
    taken = {name for name, _ in identifiers}
    usable = [n for n in names if n not in taken and summary[n].distinct >= 2]
    for name in names:
        if name not in taken and summary[name].distinct < 2:
            present = frame[name].dropna()
            values = f"one value ({_show(present.iloc[0])})" if len(present) else "no values"
            if qi_reason(name, frame[name]) or _target_rank(name):
                messages.append(f"'{name}' has {values}: it cannot tell anyone apart, so it plays no role")

    qi_candidates = {name: qi_reason(name, frame[name]) for name in usable}
    qi_candidates = {name: reason for name, reason in qi_candidates.items() if reason}

    target, target_reason, task, task_reason = None, "", None, ""
    leaks: list[tuple[str, str]] = []
    ranked = [(rank, i, name) for i, name in enumerate(usable)
              if name not in qi_candidates and (rank := _target_rank(name)) is not None
              and not looks_like_dates(frame[name])]
    if ranked:
        target = max(ranked)[2]
        words = ", ".join(sorted(set(name_words(target)) & _OUTCOME_WORDS))
        target_reason = f"the name says it is an outcome ({words})"
        others = ", ".join(repr(name) for _, _, name in sorted(ranked) if name != target)
        if others:
            messages.append(f"target: chose '{target}'; also named like an outcome: {others}; "
                            "change it if the model predicts another column")
        try:
            task, task_reason = detect_task(frame[target])
        except DataError as exc:  # e.g. infinite numbers: still a suggestion, with what stands in the way
            messages.append(f"{exc}; the task cannot be detected")
        missing = summary[target].missing
        if missing:
            messages.append(f"target '{target}' has {missing:,} missing value(s): those rows are left out of "
                            "training and evaluation")
        check = check_target_leaks(frame, target, task, [n for n in usable if n != target])
        leaks = [(f.column, f.reason) for f in check.leaks]
        for finding in check.findings:
            messages.append(finding.message(target) + ("; suggested for dropping" if finding.level == LEAK else ""))
    else:
        messages.append("no column is named like an outcome (target, label, class, outcome, status, ...): "
                        "choose the column the model predicts")

    qi_reasons = [(name, reason) for name, reason in qi_candidates.items() if name != target]
    qi_reasons = _without_duplicates(qi_reasons, same, summary, messages)
    if not qi_reasons:
        messages.append("no quasi-identifier found by name (age, sex, race, marital status, dates, postcode, "
                        "place, occupation, education, ...): choose the columns an attacker could know")

    qis = {name for name, _ in qi_reasons}
    sensitive, sensitive_reason = None, ""
    candidates = [(int(len(name_words(name)) == 1), -i, name) for i, name in enumerate(usable)
                  if name != target and name not in qis and set(name_words(name)) & _SENSITIVE_WORDS]
    if candidates:
        sensitive = max(candidates)[2]
        words = ", ".join(sorted(set(name_words(sensitive)) & _SENSITIVE_WORDS))
        sensitive_reason = f"the name says {words}: a private fact an attacker may try to infer"
    else:
        messages.append("no sensitive attribute found by name (health, diagnosis, income, religion, ...): choose "
                        "the private fact an attacker would try to infer, or leave none")
    return Suggestion(target, target_reason, task, task_reason, tuple(name for name, _ in qi_reasons),
                      tuple(qi_reasons), tuple(identifiers), sensitive, sensitive_reason, tuple(messages), columns,
                      tuple(leaks))


def _without_duplicates(qi_reasons: list[tuple[str, str]], same, summary: dict[str, ColumnSummary],
                        messages: list[str]) -> list[tuple[str, str]]:
    """Keep one of two QIs that hold the same information: the numeric one (it generalizes to ranges)."""
    kept: list[tuple[str, str]] = []
    for name, reason in qi_reasons:
        twin = next((k for k, _ in kept if same(k, name)), None)
        if twin is None:
            kept.append((name, reason))
            continue
        if summary[name].kind == "numeric" and summary[twin].kind != "numeric":
            kept = [(name, reason) if k == twin else (k, r) for k, r in kept]
            twin, name = name, twin
        messages.append(f"'{name}' and '{twin}' hold the same information (one-to-one): kept '{twin}' as the "
                        "quasi-identifier")
    return kept
