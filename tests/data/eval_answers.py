import collections
import sys

import yaml

sys.path.insert(0, "/work/main")
from bot.parsing import parse_answer
from bot.questionnaire import load_questionnaire

qn = load_questionnaire()
with open(sys.argv[1], encoding="utf-8") as fh:
    items = yaml.safe_load(fh)
ok = 0
per = collections.Counter()
fails = []
for it in items:
    q = qn.get(it["question_id"])
    r = parse_answer(q, it["text"])
    got = None if r.status == "skip" else (r.value if r.status == "ok" else "__unclear__")
    exp = it["expected"]
    good = (
        sorted(exp) == sorted(got)
        if isinstance(exp, list) and isinstance(got, list)
        else exp == got
    )
    ok += good
    if not good:
        per[q.id] += 1
        fails.append((q.id, it["text"], exp, got, r.reason))
print(f"{ok}/{len(items)} = {ok / len(items):.3f}")
for f in fails:
    print(f)
