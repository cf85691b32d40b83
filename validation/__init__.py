"""Checks of the simulator against results nobody here made, and benchmark baselines."""
