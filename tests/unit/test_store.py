"""The assessment table: updated as answers arrive, completed with the result."""

from sqlalchemy import inspect

from bot import store
from bot.advisor import evaluate
from tests.unit.test_advisor import SMALL_CAUTIOUS


def test_migration_creates_the_table(temp_db):
    columns = {c["name"] for c in inspect(store.get_engine()).get_columns("assessments")}
    for field in (
        "sender_id",
        "channel",
        "started_at",
        "completed_at",
        "answers",
        "typ",
        "typ_scores",
        "phase",
        "phase_reason",
        "reifegrad",
        "recommendations",
        "model_version",
        "confirmed_typ",
    ):
        assert field in columns


def test_paused_check_is_kept_and_completed_later(temp_db):
    store.save_answers("s1", "rest", {"kommune_art": "stadt"})
    store.save_answers("s1", "rest", {"kommune_art": "stadt", "einwohner": 9500})
    paused = store.get_assessment("s1")
    assert paused["answers"] == {"kommune_art": "stadt", "einwohner": 9500}
    assert paused["completed_at"] is None

    result = evaluate(SMALL_CAUTIOUS)
    store.save_result("s1", "rest", SMALL_CAUTIOUS, result)
    done = store.get_assessment("s1")
    assert done["completed_at"] is not None
    assert done["typ"] == result.typ
    assert done["recommendations"][0]["id"] == result.recommendations[0].id
    assert done["confirmed_typ"] is None
    assert len(store.list_assessments()) == 1
