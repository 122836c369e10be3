"""Generation speed of transformers' GPT2LMHeadModel on this CPU, for bench/generation.ts.

    .venv/bin/python bench/generation_reference.py CONFIG_JSON
        CONFIG_JSON: {"vocab_size", "n_positions", "n_embd", "n_layer", "n_head", "prompt_len",
                      "new_tokens", "repeats"}
        Prints JSON: tokens/s of greedy generation with and without the key/value cache
        (random weights; fp32; torch's default thread count).
"""
import json
import sys
import time

import torch
from transformers import GPT2Config, GPT2LMHeadModel


def main():
    cfg = json.loads(sys.argv[1])
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
