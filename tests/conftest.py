import pandas as pd
import pytest

from anonymizer import load_adult
from tests import browser


@pytest.fixture(scope="session")
def adult_train() -> pd.DataFrame:
    return load_adult("train")


@pytest.fixture
def small_people() -> pd.DataFrame:
    """Eight people whose guiding predictions split cleanly on age (hand-checked cases)."""
    return pd.DataFrame({
        "age": [20, 22, 24, 26, 50, 52, 54, 56],
        "sex": pd.array(["F", "F", "M", "F", "M", "M", "F", "M"], dtype="str"),
        "note": pd.array(list("abcdefgh"), dtype="str"),
        "score": [0.5, 1.5, 2.5, 3.5, 4.5, 5.5, 6.5, 7.5],
    }, index=[10, 11, 12, 13, 14, 15, 16, 17])


@pytest.fixture(scope="module")
def app():
    """`streamlit run app.py` on a free port, one server per browser-test module."""
    with browser.RunningApp() as running:
        yield running
