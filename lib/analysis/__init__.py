"""Analyses of a Sweep's runs: plain numbers and frames, no plotting, no Streamlit, no sources."""
