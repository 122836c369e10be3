"""torch.optim.AdamW with gradient clipping on fixed tensors, for test/train/optimizer.test.ts.

    .venv/bin/python test/train/optim_reference.py
        Prints JSON: the parameters after 3 steps of clip_grad_norm_(max 1.0) + AdamW(lr 0.01,
        weight decay 0.1 on "w" only), given the parameters and gradients defined below.
"""
import json

import torch

w = torch.tensor([[0.5, -1.0, 2.0], [0.1, 0.2, -0.3]], requires_grad=True)
b = torch.tensor([0.05, -0.02, 0.3], requires_grad=True)
grads = [
    ([[1.0, -2.0, 0.5], [0.3, 0.0, -1.0]], [0.5, 0.5, -0.5]),
    ([[-0.2, 0.1, 0.4], [2.0, -1.0, 0.0]], [0.0, 1.5, 0.1]),
    ([[0.01, 0.02, -0.03], [0.0, 0.5, 0.5]], [-0.3, 0.2, 0.9]),
]
opt = torch.optim.AdamW([{"params": [w], "weight_decay": 0.1}, {"params": [b], "weight_decay": 0.0}],
                        lr=0.01, betas=(0.9, 0.999), eps=1e-8)
norms = []
for gw, gb in grads:
    w.grad = torch.tensor(gw)
    b.grad = torch.tensor(gb)
    norms.append(float(torch.nn.utils.clip_grad_norm_([w, b], max_norm=1.0)))
    opt.step()
print(json.dumps({"w": w.detach().reshape(-1).tolist(), "b": b.detach().tolist(), "norms": norms, "grads": grads}))
