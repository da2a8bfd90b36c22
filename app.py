"""Dashboard entry point: navigation, session defaults and the sidebar shared by every page.

Run with `python -m streamlit run app.py`. Pages live in pages/; they hold widgets, layout and
charts only, and every number comes from the session's `anonymizer.analysis.Analysis`.
"""

from pathlib import Path

import streamlit as st

from pages import state, widgets

# a local icon: an emoji or material icon as page icon makes the browser fetch it from another host
ICON = Path(__file__).parent / "assets" / "shield.png"
st.set_page_config(page_title="Anonymizer", page_icon=str(ICON), layout="wide")
state.warm_up_server()
state.init_state()
navigation = st.navigation([
    st.Page("pages/data.py", title="Data & model", icon=":material/table:", default=True),
    st.Page("pages/anonymize.py", title="Anonymize", icon=":material/blur_on:"),
    st.Page("pages/utility.py", title="Utility", icon=":material/speed:"),
    st.Page("pages/attacks.py", title="Attacks", icon=":material/gpp_maybe:"),
    st.Page("pages/export.py", title="Export", icon=":material/download:"),
])
widgets.sidebar()
state.sync_url()  # the address is always a link to this analysis
navigation.run()
