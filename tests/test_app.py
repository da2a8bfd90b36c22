"""AppTest of the dashboard on the demo."""

from pathlib import Path

from streamlit.testing.v1 import AppTest

APP = str(Path(__file__).resolve().parents[1] / "app.py")


def test_demo_renders_and_k_changes_the_result():
    at = AppTest.from_file(APP, default_timeout=120).run()
    assert not at.exception
    assert at.metric[0].label == "k achieved"
    assert int(at.metric[0].value) >= 10
    at.slider[0].set_value(200).run()
    assert not at.exception
    assert int(at.metric[0].value) >= 200
    assert int(at.metric[1].value.replace(",", "")) < 1000
