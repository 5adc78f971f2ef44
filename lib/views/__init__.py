"""Page models: what each page shows, as plain pandas and dataclasses, with no Streamlit."""
