"""Anonymize: move k, pick the method, see the classes, the records and the privacy metrics."""

import numpy as np
import streamlit as st

from anonymizer.display import changed_cells
from pages import common

st.title("Anonymize")
dataset, roles = common.current()
data = common.table(dataset, roles)
seed = st.session_state["seed"]
method = common.method_control()
k = common.k_controls(len(data))
key = common.state_key(dataset, roles, seed)
try:
    view = common.anonymization_view(key, method, k, dataset, roles, seed)
except Exception as exc:  # shown as one line; the page stays usable
    common.engine_error(exc)
    st.stop()
result, metrics = view["result"], view["metrics"]
common.prefetch_neighbours(key, method, k, dataset, roles, seed)

cards = st.columns(5)
cards[0].metric("k achieved", f"{metrics.k_achieved:,}", help="Size of the smallest class, checked on the output.")
cards[1].metric("Classes", f"{metrics.n_classes:,}", help="Groups of records that share all quasi-identifiers.")
cards[2].metric("Information loss (GCP)", f"{metrics.gcp:.1%}",
                help="0% = nothing generalized, 100% = every QI generalized to its whole range.")
cards[3].metric("Max re-identification risk", f"{metrics.max_risk:.1%}",
                help="1 / size of the smallest class: the best odds of picking out one person.")
cards[4].metric("Average risk", f"{metrics.avg_risk:.2%}", help="Classes / records.")
if roles.sensitive:
    s = st.columns(5)
    s[0].metric("Distinct l-diversity", metrics.l_distinct,
                help=f"Fewest different '{roles.sensitive}' values within one class.")
    s[1].metric("Entropy l-diversity", f"{metrics.l_entropy:.2f}",
                help="exp(entropy) of the sensitive values in the least diverse class.")
    s[2].metric("t-closeness", f"{metrics.t_closeness:.3f}",
                help="Largest distance between a class's sensitive values and the whole table's (0 = same).")
    s[3].metric("Records at risk", f"{metrics.share_at_risk:.1%}",
                help=f"Share of records whose risk exceeds {metrics.risk_threshold:.0%}.")
if roles.sensitive in roles.quasi_identifiers:
    st.caption(f"'{roles.sensitive}' is also a quasi-identifier, so records in a class tend to share it: "
               "l-diversity is low and t-closeness high by construction.")
st.caption(f"{common.METHODS[method]} at k = {k}, seed {seed}; anonymization took {result.seconds:.2f} s.")

st.plotly_chart(view["histogram"], width="stretch")
st.caption(view["reading"])

st.subheader("Equivalence classes")
st.caption("Select a class to see its records below.")
summary = view["summary"]
selection = st.dataframe(summary, hide_index=True, width="stretch", height=300, on_select="rerun",
                         selection_mode="single-row", key="class_table")
rows = selection.selection.rows if selection else []
if rows:
    class_id = int(summary.iloc[rows[0]]["class"])
    mask = result.class_ids == class_id
    st.markdown(f"**Class {class_id}: {int(mask.sum()):,} records** (first 100 shown)")
else:
    mask = np.zeros(len(data), dtype=bool)
    mask[:100] = True
    st.markdown("**The first 100 records**")
original = data[mask].head(100)
anonymized = result.data[mask].head(100)
changed = changed_cells(original, anonymized)
left, right = st.columns(2)
left.caption("Original")
left.dataframe(original, width="stretch", height=350)
right.caption(f"Anonymized ({changed.to_numpy().mean():.0%} of cells changed, highlighted)")
right.dataframe(anonymized.style.apply(lambda _: np.where(changed, "background-color: #FCE8B2", ""), axis=None),
                width="stretch", height=350)
