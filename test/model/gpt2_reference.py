"""Reference values from Hugging Face transformers' GPT2LMHeadModel, for the parity tests.

    .venv/bin/python test/model/gpt2_reference.py make OUT_DIR
        Builds a tiny random GPT-2 with a fixed seed, saves it (config.json + model.safetensors) in
        OUT_DIR, and writes OUT_DIR/reference.json: input ids, labels, logits, the loss, gradients of
        selected weights, and a greedy generation. The TypeScript tests load the same checkpoint
        and compare (test/model/reference-parity.test.ts).

    .venv/bin/python test/model/gpt2_reference.py logits CHECKPOINT_DIR IDS_JSON
        Loads a checkpoint (e.g. one saved by the TypeScript code) with GPT2LMHeadModel and prints
        the logits for the given ids ([[...], ...]) as JSON.

    .venv/bin/python test/model/gpt2_reference.py text CHECKPOINT_DIR TEXT
        Loads the checkpoint's tokenizer (AutoTokenizer) and model, and prints as JSON the ids of
        TEXT and the model's logits for them: a saved folder is usable end to end in transformers.
"""
import json
import sys

import torch
import torch.nn.functional as F
from transformers import GPT2Config, GPT2LMHeadModel

SEED = 1234
GRAD_NAMES = [
    "transformer.wte.weight",
    "transformer.wpe.weight",
    "transformer.h.0.ln_1.weight",
    "transformer.h.0.attn.c_attn.weight",
    "transformer.h.0.attn.c_proj.bias",
    "transformer.h.1.mlp.c_fc.weight",
    "transformer.h.1.mlp.c_proj.weight",
    "transformer.ln_f.bias",
]


def flat(t):
    return [float(x) for x in t.detach().reshape(-1).tolist()]


def make(out_dir):
    torch.manual_seed(SEED)
    config = GPT2Config(
        vocab_size=96, n_positions=32, n_embd=32, n_layer=2, n_head=4,
        resid_pdrop=0.0, embd_pdrop=0.0, attn_pdrop=0.0, layer_norm_epsilon=1e-5,
        activation_function="gelu_new", initializer_range=0.2, bos_token_id=95, eos_token_id=95,
        tie_word_embeddings=True,
    )
    model = GPT2LMHeadModel(config)
    model.eval()
    model.save_pretrained(out_dir, safe_serialization=True)

    gen = torch.Generator().manual_seed(SEED)
    input_ids = torch.randint(0, 95, (2, 12), generator=gen)
    # The first tokens of each row stand for a prompt: their labels are ignored (-100).
    labels = input_ids.clone()
    labels[0, :5] = -100
    labels[1, :3] = -100

    out = model(input_ids=input_ids, labels=labels)
    logits = out.logits  # (B, T, V)
    # The same loss written out: logits at t predict the token at t+1, ignored labels left out.
    loss = F.cross_entropy(logits[:, :-1].reshape(-1, config.vocab_size), labels[:, 1:].reshape(-1), ignore_index=-100)
    loss.backward()
    params = dict(model.named_parameters())
    grads = {name: flat(params[name].grad) for name in GRAD_NAMES}

    prompt = input_ids[:1, :4]
    with torch.no_grad():
        greedy = model.generate(prompt, max_new_tokens=20, do_sample=False, pad_token_id=95, use_cache=True)
    reference = {
        "seed": SEED,
        "torch": torch.__version__,
        "input_ids": input_ids.tolist(),
        "labels": labels.tolist(),
        "logits_shape": list(logits.shape),
        "logits": flat(logits),
        "loss": float(loss.detach()),
        "loss_hf": float(out.loss.detach()),
        "grads": grads,
        "prompt_ids": prompt[0].tolist(),
        "greedy_ids": greedy[0, prompt.shape[1]:].tolist(),
    }
    with open(f"{out_dir}/reference.json", "w") as fh:
        json.dump(reference, fh)


def logits(checkpoint_dir, ids_json):
    model = GPT2LMHeadModel.from_pretrained(checkpoint_dir)
    model.eval()
    ids = torch.tensor(json.loads(ids_json))
    with torch.no_grad():
        out = model(input_ids=ids).logits
    print(json.dumps({"shape": list(out.shape), "logits": flat(out)}))


def text(checkpoint_dir, text):
    from transformers import AutoTokenizer
    tokenizer = AutoTokenizer.from_pretrained(checkpoint_dir)
    model = GPT2LMHeadModel.from_pretrained(checkpoint_dir)
    model.eval()
    ids = tokenizer(text)["input_ids"]
    with torch.no_grad():
        out = model(input_ids=torch.tensor([ids])).logits
    print(json.dumps({"ids": ids, "logits": flat(out)}))


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "make":
        make(sys.argv[2])
    elif len(sys.argv) == 4 and sys.argv[1] == "logits":
        logits(sys.argv[2], sys.argv[3])
    elif len(sys.argv) == 4 and sys.argv[1] == "text":
        text(sys.argv[2], sys.argv[3])
    else:
        sys.exit(__doc__)
