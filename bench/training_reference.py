"""Training-step speed of a plain PyTorch GPT-2 on this CPU, for bench/training.ts.

    .venv/bin/python bench/training_reference.py CONFIG_JSON
        CONFIG_JSON: {"vocab_size", "n_positions", "n_embd", "n_layer", "n_head", "batch_size",
                      "seq_len", "prompt_len", "warmup", "min_steps", "max_steps", "target_seconds",
                      "attn_implementation"}
        Prints JSON: the seconds of each timed step, split into loss + gradients, clipping and the
        optimizer update; torch's version, thread count and attention implementation; the CPU
        seconds this process used (so that the caller can tell how busy the machine was otherwise).

One step is what the workbook's fine-tuning does, written the ordinary PyTorch way:
transformers' GPT2LMHeadModel (dropout 0, fp32) computes the loss from labels (-100 on the first
prompt_len positions, so only the rest counts), loss.backward(), clip_grad_norm_(1.0), then
torch.optim.AdamW (its default implementation; weight decay 0.01 on matrices and embeddings only,
as the workbook does), and loss.item() so that the step has surely finished before the clock stops.
Random weights and tokens: the speed does not depend on the values. torch uses as many threads as
the machine has cores.
"""
import json
import os
import resource
import sys
import time

import torch
from transformers import GPT2Config, GPT2LMHeadModel
from transformers.utils import logging


def main():
    cfg = json.loads(sys.argv[1])
    logging.set_verbosity_error()  # notices about the config's unused defaults, not about speed
    torch.set_num_threads(os.cpu_count() or 1)
    torch.manual_seed(0)
    vocab = cfg["vocab_size"]
    config = GPT2Config(vocab_size=vocab, n_positions=cfg["n_positions"], n_embd=cfg["n_embd"],
                        n_layer=cfg["n_layer"], n_head=cfg["n_head"], resid_pdrop=0.0, embd_pdrop=0.0, attn_pdrop=0.0,
                        bos_token_id=vocab - 1, eos_token_id=vocab - 1,
                        attn_implementation=cfg["attn_implementation"])
    model = GPT2LMHeadModel(config).train()
    decay = [p for p in model.parameters() if p.dim() >= 2]  # matrices and embeddings
    no_decay = [p for p in model.parameters() if p.dim() < 2]  # biases and layer-norm gains
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": 0.01}, {"params": no_decay, "weight_decay": 0.0}],
                            lr=1e-4, betas=(0.9, 0.999), eps=1e-8)
    ids = torch.randint(0, vocab, (cfg["batch_size"], cfg["seq_len"]))
    labels = ids.clone()
    labels[:, : cfg["prompt_len"]] = -100  # the prompt does not count

    def step():
        t0 = time.perf_counter()
        loss = model(input_ids=ids, labels=labels).loss
        opt.zero_grad(set_to_none=True)
        loss.backward()
        value = loss.item()
        t1 = time.perf_counter()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        t2 = time.perf_counter()
        opt.step()
        t3 = time.perf_counter()
        return {"total": t3 - t0, "gradients": t1 - t0, "clip": t2 - t1, "update": t3 - t2, "loss": value}

    for _ in range(cfg["warmup"]):
        step()
    steps = []
    started = time.perf_counter()
    while len(steps) < cfg["max_steps"] and (len(steps) < cfg["min_steps"] or time.perf_counter() - started < cfg["target_seconds"]):
        steps.append(step())
    usage = resource.getrusage(resource.RUSAGE_SELF)
    print(json.dumps({"torch": torch.__version__, "threads": torch.get_num_threads(),
                      "attn_implementation": model.config._attn_implementation, "steps": steps,
                      "process_cpu_seconds": usage.ru_utime + usage.ru_stime}))


if __name__ == "__main__":
    main()
