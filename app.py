"""Dashboard entry point: navigation, session defaults and the sidebar shared by every page.

Run with `python -m streamlit run app.py`. Pages live in pages/; they hold widgets, layout and
charts only, and every computation is a cached call into the `anonymizer` package.
"""

import streamlit as st

from pages import common

st.set_page_config(page_title="Anonymizer", page_icon=":material/shield:", layout="wide")
common.init_state()
navigation = st.navigation([
    st.Page("pages/data.py", title="Data & model", icon=":material/table:", default=True),
    st.Page("pages/anonymize.py", title="Anonymize", icon=":material/blur_on:"),
    st.Page("pages/utility.py", title="Utility", icon=":material/speed:"),
    st.Page("pages/attacks.py", title="Attacks", icon=":material/gpp_maybe:"),
    st.Page("pages/export.py", title="Export", icon=":material/download:"),
])
common.sidebar()
navigation.run()
