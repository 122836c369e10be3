"""Generation speed of transformers' GPT2LMHeadModel on this CPU, for bench/generation.ts.

    .venv/bin/python bench/generation_reference.py CONFIG_JSON
        CONFIG_JSON: {"vocab_size", "n_positions", "n_embd", "n_layer", "n_head", "prompt_len",
                      "new_tokens", "repeats"}
        Prints JSON: tokens/s of greedy generation with and without the key/value cache
        (random weights; fp32; torch's default thread count).
    .venv/bin/python bench/generation_reference.py '{"prompts_file": PATH, "repeats": N}'
        PATH: {"model_dir", "prompts" (token ids), "batch_size", "max_new_tokens", "eos_token_id"}
        Prints JSON: examples/s of batched greedy generation with a saved model, and its outputs.
"""
import json
import sys
import time

import torch
from transformers import GPT2Config, GPT2LMHeadModel


def batched(cfg):
    """The lesson's evaluation: greedy answers to many prompts, `batch_size` at a time, left-padded
    as transformers expects for batched decoder-only generation; stops a row at end-of-text."""
    with open(cfg["prompts_file"]) as f:
        job = json.load(f)
    model = GPT2LMHeadModel.from_pretrained(job["model_dir"]).eval()
    prompts, bs, eos = job["prompts"], job["batch_size"], job["eos_token_id"]
    outputs = []

    def run():
        outputs.clear()
        for start in range(0, len(prompts), bs):
            rows = prompts[start:start + bs]
            longest = max(len(r) for r in rows)
            ids = torch.tensor([[eos] * (longest - len(r)) + r for r in rows])
            mask = torch.tensor([[0] * (longest - len(r)) + [1] * len(r) for r in rows])
            with torch.no_grad():
                out = model.generate(ids, attention_mask=mask, max_new_tokens=job["max_new_tokens"], do_sample=False,
                                     eos_token_id=eos, pad_token_id=eos)
            for row in out[:, longest:].tolist():
                outputs.append(row[:row.index(eos)] if eos in row else row)

    run()  # warm-up
    times = []
    for _ in range(cfg["repeats"]):
        t0 = time.perf_counter()
        run()
        times.append(time.perf_counter() - t0)
    best = sorted(times)[len(times) // 2]
    print(json.dumps({"torch": torch.__version__, "threads": torch.get_num_threads(), "seconds": best,
                      "examples_per_second": len(prompts) / best, "outputs": outputs}))


def gemv(cfg):
    """One row times a weight matrix, the product a decoding step is made of: ms per product."""
    out = []
    for k, n, transposed in cfg["gemv"]:
        x = torch.randn(1, k)
        w = torch.randn(n, k) if transposed else torch.randn(k, n)
        f = (lambda: x @ w.T) if transposed else (lambda: x @ w)
        for _ in range(5):
            f()
        t0 = time.perf_counter()
        for _ in range(cfg["repeats"]):
            f()
        out.append((time.perf_counter() - t0) / cfg["repeats"])
    print(json.dumps({"seconds": out}))


def main():
    cfg = json.loads(sys.argv[1])
    if "prompts_file" in cfg:
        return batched(cfg)
    if "gemv" in cfg:
        return gemv(cfg)
    torch.manual_seed(0)
    config = GPT2Config(vocab_size=cfg["vocab_size"], n_positions=cfg["n_positions"], n_embd=cfg["n_embd"],
                        n_layer=cfg["n_layer"], n_head=cfg["n_head"], resid_pdrop=0.0, embd_pdrop=0.0, attn_pdrop=0.0)
    model = GPT2LMHeadModel(config).eval()
    prompt = torch.randint(0, cfg["vocab_size"], (1, cfg["prompt_len"]))
    n = cfg["new_tokens"]
    result = {"torch": torch.__version__, "threads": torch.get_num_threads()}
    for use_cache in (True, False):
        kwargs = dict(max_new_tokens=n, min_new_tokens=n, do_sample=False, use_cache=use_cache, pad_token_id=0)
        with torch.no_grad():
            model.generate(prompt, max_new_tokens=2, min_new_tokens=2, do_sample=False, use_cache=use_cache, pad_token_id=0)  # warm-up
            times = []
            for _ in range(cfg["repeats"]):
                t0 = time.perf_counter()
                out = model.generate(prompt, **kwargs)
                times.append(time.perf_counter() - t0)
                assert out.shape[1] == cfg["prompt_len"] + n
        best = sorted(times)[len(times) // 2]
        result["cache" if use_cache else "no_cache"] = {"seconds": best, "tokens_per_second": n / best}
    print(json.dumps(result))


if __name__ == "__main__":
    main()
