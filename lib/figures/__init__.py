"""Plotly figures from analysis results: each chart is a data step (plain data) then a drawing step."""
