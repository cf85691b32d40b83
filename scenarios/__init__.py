"""Scenario YAML files (shipped as package data)."""
