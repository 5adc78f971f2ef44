"""Sweepscope's entry point: run with `streamlit run streamlit_app.py`.

It draws the frame every page shares (page config, navigation, the sidebar's current sweep) and runs
the chosen page from `pages/`; the frame lives in `lib.ui.frame` so a deep link can draw it too.
"""

from lib.ui.frame import run_app

run_app()
