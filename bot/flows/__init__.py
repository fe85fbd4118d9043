"""Flow files: the model (model.py), loading and checking (loader.py), hot reload (registry.py)."""
