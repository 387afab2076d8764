"""The data files agree with each other and with the ids of assessment.md."""

from pathlib import Path

import yaml

from bot.maturity import load_formulas
from bot.phase import load_rules
from bot.questionnaire import load_questionnaire
from bot.recommend import load_catalogue
from bot.typology import load_profiles

ROOT = Path(__file__).resolve().parents[2]
QN = load_questionnaire()
ARTICLES = {p.stem for p in (ROOT / "knowledge" / "articles").glob("*.md")}


def test_domain_has_a_slot_and_an_ask_action_per_question():
    domain = yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))
    for qid in QN.ids:
        assert qid in domain["slots"]
        assert f"action_ask_{qid}" in domain["actions"]
    assert domain["forms"]["assessment_form"]["required_slots"] == QN.ids_for("voll")
    assert QN.ids_for("voll")[: len(QN.ids_for("kurz"))] == QN.ids_for("kurz")


def _check_conditions(conditions):
    for cond in conditions:
        q = QN.get(cond.question)
        for value in (
            (cond.in_ or []) + (cond.not_in or []) + (cond.any_of or []) + (cond.none_of or [])
        ):
            assert value in q.option_ids, (cond.question, value)


def test_rules_refer_to_real_questions_and_options():
    for rule in load_rules().rules:
        _check_conditions(rule.all + rule.any)
    for entry in load_catalogue().recommendations:
        _check_conditions(entry.when)
        assert set(entry.knowledge_ids) <= ARTICLES, entry.id
    for dim in load_formulas().dimensions.values():
        for item in dim.items:
            assert set(item.scores) <= set(QN.get(item.question).option_ids)


def test_profiles_cover_every_question_with_valid_options():
    for t in load_profiles()["types"]:
        for q in QN.questions:
            if q.id in ("kommune_name", "bundesland"):
                continue
            spec = t["answers"][q.id]
            if q.kind in ("single", "multi"):
                assert set(spec) == set(q.option_ids), (t["id"], q.id)
            for item in t.get("learn_from", []):
                assert set(item["knowledge_ids"]) <= ARTICLES
