"""The AI core's management commands: imports, evaluations and the benchmark."""

from __future__ import annotations

import re
from io import StringIO
from pathlib import Path

import numpy as np
import pytest
from django.core.management import CommandError, call_command

from bank_ai.ai.intents import classify_intent
from bank_ai.ai.models import Intent, IntentModel, KnowledgeChunk

pytestmark = pytest.mark.django_db


def _run(*args: str) -> str:
    out = StringIO()
    call_command(*args, stdout=out, stderr=StringIO())
    return out.getvalue()


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


LABELLED = """text,category
my card has not arrived yet,card_arrival
still waiting for the new card,card_arrival
when will my card be delivered,card_arrival
where is my card it never came,card_arrival
how long does card delivery take,card_arrival
I was charged twice for one purchase,duplicate_charge
the same payment shows up two times,duplicate_charge
why was I billed twice,duplicate_charge
double charge on my statement,duplicate_charge
a transaction appears twice,duplicate_charge
how do I top up my account,top_up
can I add money with a bank transfer,top_up
top up by card please,top_up
ways to put money into my account,top_up
adding funds to the balance,top_up
"""


def test_import_intents_creates_intents_and_retrains(tmp_path: Path) -> None:
    before = IntentModel.objects.count()
    out = _run("import_intents", str(_write(tmp_path / "b.csv", LABELLED)))
    assert "15 rows: 3 new intents, 15 new examples" in out
    assert IntentModel.objects.count() == before + 1
    assert Intent.objects.filter(code="duplicate_charge").exists()
    assert classify_intent("I got charged two times for the same thing").top[0][0] == (
        "duplicate_charge"
    )


def test_import_intents_accepts_a_label_column(tmp_path: Path) -> None:
    rows = LABELLED.replace("text,category", "text,label")
    out = _run("import_intents", "--no-train", str(_write(tmp_path / "l.csv", rows)))
    assert "3 new intents" in out


def test_import_intents_rejects_a_file_without_the_columns(tmp_path: Path) -> None:
    with pytest.raises(CommandError, match="expected columns text,category or text,label"):
        _run("import_intents", str(_write(tmp_path / "bad.csv", "question,answer\na,b\n")))


def test_eval_intents_reports_per_intent_and_ends_with_the_summary_line(tmp_path: Path) -> None:
    train = _write(tmp_path / "train.csv", LABELLED)
    test = _write(
        tmp_path / "test.csv",
        "text,category\nmy card never arrived,card_arrival\n"
        "charged two times,duplicate_charge\nhow can I top up,top_up\n",
    )
    out = _run("eval_intents", "--train", str(train), "--test", str(test))
    assert "top confusions" in out
    assert re.search(r"^accuracy=\d\.\d{4} macro_f1=\d\.\d{4}$", out.strip().splitlines()[-1])


def test_eval_intents_cross_validates_a_single_file(tmp_path: Path) -> None:
    out = _run("eval_intents", "--train", str(_write(tmp_path / "t.csv", LABELLED)), "--folds", "3")
    assert "3-fold CV: 15 predictions" in out


def test_eval_retrieval_compares_three_methods_and_cleans_up(tmp_path: Path) -> None:
    corpus = _write(
        tmp_path / "corpus.csv",
        "id,text\n"
        "a,信用卡年费可以通过一年刷卡六次免除\n"
        "b,Lost cards can be frozen instantly in the app under Cards > Report lost\n"
        "c,大额取现五万元以上需要提前一天预约\n"
        "d,Foreign currency purchase is limited to USD 50,000 per person per year\n",
    )
    queries = _write(
        tmp_path / "q.csv",
        "text,expected_id\n年费怎么免,a\n"
        "I lost my card,b\n取五万块要预约吗,c\nhow many dollars can I buy a year,d\n",
    )
    chunks_before = KnowledgeChunk.objects.count()
    out = _run("eval_retrieval", "--corpus", str(corpus), "--queries", str(queries))
    for method in ("production (hybrid RRF)", "plain vector (HNSW)", "plain BM25"):
        assert method in out
    assert re.search(
        r"^recall@1=\d\.\d{4} recall@5=\d\.\d{4} mrr=\d\.\d{4}$", out.strip().splitlines()[-1]
    )
    assert KnowledgeChunk.objects.count() == chunks_before


def test_eval_retrieval_refuses_an_expected_id_missing_from_the_corpus(tmp_path: Path) -> None:
    corpus = _write(tmp_path / "c.csv", "id,text\na,some text\n")
    queries = _write(tmp_path / "q.csv", "text,expected_id\nquestion,zzz\n")
    with pytest.raises(CommandError, match="expected_id not in the corpus: zzz"):
        _run("eval_retrieval", "--corpus", str(corpus), "--queries", str(queries))


def test_eval_matching_reports_accuracy_and_auc(tmp_path: Path) -> None:
    pairs = _write(
        tmp_path / "p.tsv",
        "\n".join(
            [
                "信用卡年费怎么免\t怎样才能免掉信用卡年费\t1",
                "信用卡年费怎么免\t信用卡额度怎么提高\t0",
                "卡丢了怎么办\t银行卡遗失如何挂失\t1",
                "卡丢了怎么办\t卡片到期怎么换新\t0",
                "How do I activate my card\tWhat are the steps to activate a new card\t1",
                "How do I activate my card\tHow do I cancel my card\t0",
                "能分期吗\t可以办理分期付款吗\t1",
                "能分期吗\t不能还款怎么办\t0",
            ]
        )
        + "\n",
    )
    out = _run("eval_matching", "--pairs", str(pairs))
    assert re.search(r"^accuracy=\d\.\d{4} auc=\d\.\d{4}$", out.strip().splitlines()[-1])


def test_the_suggested_threshold_lets_through_at_most_the_given_share_of_other_page_pairs() -> None:
    from bank_ai.ai.management.commands.eval_matching import threshold_for_false_matches

    negatives = np.asarray([0.1] * 90 + [0.55, 0.62, 0.7, 0.8, 0.9, 0.91, 0.93, 0.95, 0.97, 0.99])
    # 5% of 100: the five highest may pass, the sixth (0.9) may not.
    assert threshold_for_false_matches(negatives, 0.05) == 0.91
    assert threshold_for_false_matches(negatives, 0.01) == 0.98
    assert threshold_for_false_matches(negatives, 0.5) == 0.11


def test_eval_matching_rejects_a_malformed_line(tmp_path: Path) -> None:
    with pytest.raises(CommandError, match="expected question1<TAB>question2<TAB>0|1"):
        _run("eval_matching", "--pairs", str(_write(tmp_path / "x.tsv", "a\tb\tmaybe\n")))


@pytest.mark.slow
def test_bench_ai_prints_its_table() -> None:
    out = _run("bench_ai", "--sizes", "600", "--queries", "5")
    for row in (
        "embedding throughput",
        "retrieval p50 / p95 @ 600",
        "retrieval recall@10 @ 600",
        "intent p50 / p95",
        "local turn p50 / p95",
    ):
        assert row in out


def test_eval_matching_refuses_pairs_of_a_single_label(tmp_path: Path) -> None:
    pairs = _write(tmp_path / "one.tsv", "a\tb\t1\nc\td\t1\n")
    with pytest.raises(CommandError, match="need both labels"):
        _run("eval_matching", "--pairs", str(pairs))


@pytest.mark.parametrize("sizes", ["abc", "5"])
def test_bench_ai_refuses_bad_sizes(sizes: str) -> None:
    with pytest.raises(CommandError, match="--sizes"):
        _run("bench_ai", "--sizes", sizes)


def test_eval_answers_reports_fact_recall_and_repeats(tmp_path: Path) -> None:
    questions = _write(
        tmp_path / "q.csv",
        "language,question,facts,ordered\n"
        "zh-hans,我的卡被偷了，还被人刷走了钱，现在该怎么办,挂失;95500-8,1\n"
        "en,How many days do I have to activate my new credit card?,90 days,0\n",
    )
    out = _run("eval_answers", "--questions", str(questions))
    rows = [line for line in out.splitlines() if line.startswith("| all |")]
    assert rows
    # | all | 2 | recall (found/facts) | all facts | in order | repeats | cited twice | language |
    cells = [c.strip() for c in rows[0].strip("|").split("|")]
    assert cells[1] == "2"
    assert re.fullmatch(r"\d\.\d{3} \(\d/3\)", cells[2])
    assert cells[5] == "0/2"  # no answer repeats a sentence
    assert cells[6] == "0/2"  # no answer cites a source twice


def test_eval_answers_refuses_a_question_without_facts(tmp_path: Path) -> None:
    questions = _write(tmp_path / "q.csv", "language,question,facts,ordered\nen,Hi?,;,0\n")
    with pytest.raises(CommandError, match="no facts"):
        _run("eval_answers", "--questions", str(questions))


def test_train_matcher_stores_a_model_the_matcher_then_uses(settings, tmp_path: Path) -> None:  # noqa: ANN001
    from bank_ai.ai.matcher_model import trained_model

    settings.MATCHER_MODEL_PATH = str(tmp_path / "m.json")
    out = _run("train_matcher")
    assert "trained on" in out
    model = trained_model()
    assert model is not None
    assert model.meta["origins"]["variants"] > 0
