"""Google's rouge-score ROUGE-L on (candidate, reference) pairs, for test/eval/rouge.test.ts.

    .venv/bin/python test/eval/rouge_reference.py PAIRS_JSON [--out FILE]

    PAIRS_JSON   a JSON list of pairs, each [candidate, reference] or an object with "candidate" and
                 "reference" (other keys, such as "group", are kept); or an object whose "pairs" is
                 such a list, so that the fixture itself can be given (its old scores are ignored)
    --out FILE   write the JSON there instead of printing it

The JSON has rouge-score's version and "pairs": each pair as given, with "candidate_tokens" and
"reference_tokens" (rouge-score's DefaultTokenizer without stemming) and "precision", "recall",
"fmeasure" from

    rouge_scorer.RougeScorer(["rougeL"], use_stemmer=False).score(reference, candidate)["rougeL"]

(score() takes the target, our reference, first). The committed fixture was made, and is remade
after a change to its pairs, with:

    .venv/bin/python test/eval/rouge_reference.py test/fixtures/rouge/rouge-l.json \\
        --out test/fixtures/rouge/rouge-l.json
"""
import argparse
import json
import sys
from importlib.metadata import version

from rouge_score import rouge_scorer, tokenizers


def as_pair(item, index):
    if isinstance(item, list) and len(item) == 2:
        return {"candidate": item[0], "reference": item[1]}
    if isinstance(item, dict) and isinstance(item.get("candidate"), str) and isinstance(item.get("reference"), str):
        return dict(item)
    sys.exit(f"rouge_reference.py: pair {index} is neither [candidate, reference] nor "
             f'{{"candidate": ..., "reference": ...}}: {json.dumps(item)[:200]}')


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("pairs")
    parser.add_argument("--out")
    opts = parser.parse_args()

    with open(opts.pairs, encoding="utf-8") as f:
        data = json.load(f)
    items = data["pairs"] if isinstance(data, dict) else data

    scorer = rouge_scorer.RougeScorer(["rougeL"], use_stemmer=False)
    tokenizer = tokenizers.DefaultTokenizer(use_stemmer=False)
    pairs = []
    for index, item in enumerate(items):
        pair = as_pair(item, index)
        score = scorer.score(pair["reference"], pair["candidate"])["rougeL"]
        pair.update(candidate_tokens=tokenizer.tokenize(pair["candidate"]),
                    reference_tokens=tokenizer.tokenize(pair["reference"]),
                    # floats, although rouge-score gives the int 0 for an empty side
                    precision=float(score.precision), recall=float(score.recall), fmeasure=float(score.fmeasure))
        pairs.append(pair)

    text = to_json({"rouge_score": version("rouge-score"),
                    "scorer": 'rouge_scorer.RougeScorer(["rougeL"], use_stemmer=False).score(reference, candidate)',
                    "pairs": pairs})
    if opts.out:
        with open(opts.out, "w", encoding="utf-8") as f:
            f.write(text)
    else:
        sys.stdout.buffer.write(text.encode("utf-8"))


def to_json(report):
    """JSON with one line per pair, so that a change in the fixture shows as a readable diff."""
    head = "".join(f"  {json.dumps(k)}: {json.dumps(report[k])},\n" for k in ("rouge_score", "scorer"))
    rows = ",\n".join("    " + json.dumps(p, ensure_ascii=False) for p in report["pairs"])
    return "{\n" + head + '  "pairs": [\n' + rows + "\n  ]\n}\n"


if __name__ == "__main__":
    main()
