"""The Streamlit dashboard and the matplotlib plot functions it shares with CLI reports.

Everything here reads run directories (through :mod:`sim.results`) and the schemas; nothing
here runs a model.
"""
