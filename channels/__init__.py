"""Chat channels beyond REST: Microsoft Teams (Rasa input channel) and Matrix (own process)."""
