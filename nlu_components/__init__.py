"""Custom Rasa NLU components (imported by the Rasa venv via the module path in config.yml)."""
