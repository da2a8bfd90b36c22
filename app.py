"""Dashboard entry point (placeholder until the full dashboard lands, issue #4).

Shows the engine on the built-in demo: UCI Adult, LightGBM, the 9 default QIs, a k slider.
All computation is a call into the `anonymizer` package, cached on (k, method, seed).
"""

import streamlit as st

from anonymizer import ADULT_QIS, ADULT_TARGET, anonymizer_for, load_adult
from anonymizer.models import DEFAULT_SEED, train_default_model

st.set_page_config(page_title="Anonymizer", layout="wide")


@st.cache_resource(show_spinner="Loading the demo and training LightGBM...")
def demo_predictions():
    train = load_adult("train")
    features = train.drop(columns=[ADULT_TARGET])
    model = train_default_model(features, train[ADULT_TARGET], DEFAULT_SEED)
    return features, model.predict(features)


@st.cache_data(show_spinner="Anonymizing...")
def anonymize_demo(k: int, method: str):
    features, predictions = demo_predictions()
    result = anonymizer_for(method, k, ADULT_QIS, DEFAULT_SEED).fit(features, predictions).result_
    return result.metrics(original=features).to_dict(), result.data.head(20), result.classes.head(20)


st.title("Anonymizer")
st.caption(f"Demo: UCI Adult, {len(ADULT_QIS)} quasi-identifiers, LightGBM guiding the tree, seed {DEFAULT_SEED}.")
method = st.radio("Method", ["ag", "mondrian"], horizontal=True,
                  format_func={"ag": "Accuracy-guided", "mondrian": "Mondrian"}.get)
k = st.slider("k (minimum class size)", min_value=2, max_value=1000, value=10)
metrics, sample, classes = anonymize_demo(k, method)
cols = st.columns(4)
cols[0].metric("k achieved", metrics["k_achieved"])
cols[1].metric("Classes", f"{metrics['n_classes']:,}")
cols[2].metric("GCP (information loss)", f"{metrics['gcp']:.3f}")
cols[3].metric("Max re-identification risk", f"{metrics['max_risk']:.3f}")
st.subheader("Anonymized records (first 20)")
st.dataframe(sample, hide_index=True)
st.subheader("Equivalence classes (first 20)")
st.dataframe(classes)
