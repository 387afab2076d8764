"""Consultant review: pages under /beratung, the JSON API under /api, CLI commands, storage.

Kept import-light (no FastAPI here): bot.store imports bot.review.models when it deletes.
"""
