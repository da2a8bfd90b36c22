"""Data & model: choose the table, the model and the column roles."""

from dataclasses import replace

import streamlit as st

from anonymizer import DataError
from anonymizer.roles import identifier_columns, suggest_roles, suggested_qis, suggested_target
from pages import common

st.title("Data & model")
dataset, roles = common.current()

with st.expander("Use your own data", expanded=dataset.name != common.DEMO_NAME):
    st.caption("CSV or Parquet, up to 200 MB. Nothing you upload is modified or stored outside this session.")
    upload = st.file_uploader("Table (the model's training data)", type=["csv", "parquet"], key="upload_table")
    if upload is not None and st.session_state.get("loaded_table") != upload.file_id:
        try:
            frame, dig = common.read_upload(upload)
            summary = suggest_roles(frame)
            dropped = identifier_columns(summary)
            target = suggested_target(frame, exclude=dropped)
            if target is None:
                raise DataError(f"{upload.name}: no column looks like a target (2 to 20 distinct values); "
                                "a classification target is needed")
            qis = [q for q in suggested_qis(summary) if q != target] or \
                [c for c in frame.columns if c not in dropped and c != target][:1]
            new_roles = common.RoleChoice(target, tuple(qis), None, tuple(dropped))
            new = common.Dataset(upload.name, frame, dig)
            common.check_roles(new, new_roles)
            common.use_dataset(new, new_roles)
            st.session_state["loaded_table"] = upload.file_id
            st.rerun()
        except DataError as exc:
            st.session_state["loaded_table"] = upload.file_id
            st.session_state["table_error"] = str(exc)
    if st.session_state.get("table_error") and upload is not None:
        st.error(f"{st.session_state['table_error']} The previous dataset stays in use.")
    elif upload is None:
        st.session_state.pop("table_error", None)

    test_upload = st.file_uploader("Separate test table (optional: held-out records for accuracy)",
                                   type=["csv", "parquet"], key="upload_test")
    if test_upload is not None and st.session_state.get("loaded_test") != (test_upload.file_id, dataset.digest):
        st.session_state["loaded_test"] = (test_upload.file_id, dataset.digest)
        try:
            test, dig = common.read_upload(test_upload)
            missing = [c for c in dataset.data.columns if c not in test.columns]
            if missing:
                raise DataError(f"{test_upload.name} lacks column(s) of the table: {missing[:8]}")
            common.use_dataset(replace(dataset, test=test, test_name=test_upload.name, test_digest=dig), roles)
            st.rerun()
        except DataError as exc:
            st.error(f"{exc} The previous test table stays in use.")

    st.checkbox("Allow pickle/joblib models", key="allow_pickle",
                help="Loading a pickle runs any code inside the file. Tick this only for files you made yourself.")
    model_types = ["txt", "lgb", "model", "skops"] + (["pkl", "pickle", "joblib"] if st.session_state["allow_pickle"]
                                                      else [])
    model_upload = st.file_uploader("Trained model (optional): LightGBM text or skops", type=model_types,
                                    key="upload_model")
    if model_upload is not None and st.session_state.get("loaded_model") != (model_upload.file_id, dataset.digest):
        st.session_state["loaded_model"] = (model_upload.file_id, dataset.digest)
        try:
            model, dig = common.read_model_upload(model_upload, st.session_state["allow_pickle"])
            new = replace(dataset, model=model, model_name=model_upload.name, model_digest=dig)
            common.check_roles(new, roles)
            common.use_dataset(new, roles)
            st.rerun()
        except DataError as exc:
            st.error(f"{exc} The previous model stays in use.")
    if dataset.model is not None and dataset.test is None:
        st.warning("With a trained model, the table is taken to be its training data: upload a test table too, "
                   "so the Utility and Attacks pages have records the model never saw.")
    if dataset.name != common.DEMO_NAME and st.button("Back to the demo"):
        common.use_dataset(common.demo_dataset(), common.RoleChoice(common.ADULT_TARGET, tuple(common.ADULT_QIS),
                                                               common.DEMO_SENSITIVE))
        st.rerun()

st.subheader(f"{dataset.name}: {len(dataset.data):,} rows, {dataset.data.shape[1]} columns")
summary = common.column_summary(dataset.digest, dataset.data)
flagged = identifier_columns(summary)
if flagged:
    st.warning("Likely direct identifiers: " + ", ".join(f"`{c}`" for c in flagged) + ". They single people out "
               "on their own and should be dropped, not generalized.")

columns = list(dataset.data.columns)
st.markdown("#### Column roles")
c1, c2 = st.columns([1, 2])
c1.selectbox("Target (what the model predicts)", columns, key="target")
c2.multiselect("Quasi-identifiers (could identify a person when combined)",
               columns, key="qis",
               help="Suggested: " + (", ".join(suggested_qis(summary)) or "none"))
c3, c4 = st.columns([1, 2])
c3.selectbox("Sensitive attribute (optional)", [None] + columns, key="sensitive",
             format_func=lambda c: "(none)" if c is None else c,
             help="Adds l-diversity and t-closeness, and the attribute-inference attack.")
c4.multiselect("Columns to drop before anything else", columns, key="drop_columns",
               help="Direct identifiers are pre-selected.")
candidate = common.RoleChoice(st.session_state["target"], tuple(st.session_state["qis"]), st.session_state["sensitive"],
                         tuple(st.session_state["drop_columns"]))
if candidate != roles:
    try:
        if set(candidate.dropped) & ({candidate.target, candidate.sensitive} | set(candidate.quasi_identifiers)):
            raise DataError("a dropped column cannot also be the target, a QI or the sensitive attribute")
        common.check_roles(dataset, candidate)
        st.session_state["roles"] = roles = candidate
        st.rerun()
    except DataError as exc:
        st.error(f"{exc}. The last valid roles stay in use (see the sidebar).")

st.markdown("#### Columns")
st.dataframe(summary, hide_index=True, width="stretch",
             column_config={"missing %": st.column_config.NumberColumn(format="%.1f%%")})
st.markdown("#### Preview (first 50 rows)")
st.dataframe(dataset.data.head(50), hide_index=True, width="stretch")
