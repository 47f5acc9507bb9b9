"""Build the knowledge-base retrieval evaluation set from the demo articles.

corpus: one row per article and language (title + summary + body, as indexed);
queries: every curated question variant except the first, whose expected answer is its own
article. The variants are not part of the indexed text, so they are genuine paraphrases.

    python scripts/make_retrieval_eval.py   # writes bank_ai/ai/eval_data/kb_*.csv
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SOURCES = [
    ROOT / "content/demo_data/knowledge_faq_guides.json",
    ROOT / "content/demo_data/knowledge_compliance.json",
]
OUT = ROOT / "bank_ai/ai/eval_data"


def article_text(text: dict) -> str:
    parts = [text["title"], text.get("summary", ""), text.get("answer", ""), text.get("body", "")]
    parts += [f"{s['title']}: {s['detail']}" for s in text.get("steps", [])]
    return "\n".join(p for p in parts if p)


def main() -> None:
    corpus, queries = [], []
    for source in SOURCES:
        for article in json.loads(source.read_text(encoding="utf-8")):
            if article["audience"] != "public":
                continue
            for language in ("zh-hans", "en"):
                doc_id = f"{article['key']}:{language}"
                text = article[language]
                corpus.append((doc_id, article_text(text)))
                queries.extend((q, doc_id) for q in text.get("questions", [])[1:])
    with (OUT / "kb_corpus.csv").open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows([("id", "text"), *corpus])
    with (OUT / "kb_queries.csv").open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows([("text", "expected_id"), *queries])
    print(f"{len(corpus)} passages, {len(queries)} queries")


if __name__ == "__main__":
    main()
