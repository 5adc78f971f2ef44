"""Sweepscope's library: sources, the sweep model and analyses. No Streamlit here but `lib.ui`."""
