"""Hardware profile YAML files, one folder per kind (shipped as package data)."""
