"""The smallest Streamlit app with the same two widgets as the ones bench_app.py changes in app.py.

It sets the floor of a rerun round trip on this machine: Streamlit, the WebSocket and the browser,
with no work of ours. `streamlit run benchmarks/baseline_app.py` (bench_app.py starts it itself).
"""

import streamlit as st


@st.fragment
def panel() -> None:
    st.text_input("Area: W,S,E,N in degrees", key="osm_bbox")


st.sidebar.text_input("Port name or UN/LOCODE", key="query")
panel()
