"""PyTorch's LeNet gradients in float64, for bench/grad_compare.ts (issue 10).

One JSON argument: {"dir": D, "n": N}. Reads D/images.f64 (N x 28 x 28), D/labels.i32 (N) and
D/NAME.f64 for the parameters in LiFT's layout (K1 8x5x5, B1, K2 16x8x5x5, B2, W 10x16x7x7, B);
writes D/torch_NAME.f64 (F.max_pool2d: a tie's gradient goes to one element, the first maximum)
and D/split_NAME.f64 (a 2x2 pooling whose backward splits a tie equally among the tied
elements), and prints one JSON line with the loss and the number of tied pooling windows.
"""
import json
import os
import sys

import numpy as np
import torch
import torch.nn.functional as F

cfg = json.loads(sys.argv[1])
D, N = cfg["dir"], int(cfg["n"])
torch.set_num_threads(1)
SHAPES = {"K1": (8, 1, 5, 5), "B1": (8,), "K2": (16, 8, 5, 5), "B2": (16,), "W": (10, 784), "B": (10,)}


def read(name, shape, dtype=np.float64):
    return torch.from_numpy(np.fromfile(os.path.join(D, name), dtype=dtype).reshape(shape).copy())


class SplitPool(torch.autograd.Function):
    """2x2 max-pooling, stride 2; the gradient of a window goes equally to every element equal to its max."""

    @staticmethod
    def forward(ctx, x):
        n, c, h, w = x.shape
        win = x.reshape(n, c, h // 2, 2, w // 2, 2)
        m = win.amax(dim=(3, 5), keepdim=True)
        hit = (win == m).to(x.dtype)
        ctx.save_for_backward(hit / hit.sum(dim=(3, 5), keepdim=True))
        ctx.shape = x.shape
        return m.reshape(n, c, h // 2, w // 2)

    @staticmethod
    def backward(ctx, g):
        (share,) = ctx.saved_tensors
        n, c, h2, w2 = g.shape
        return (share * g.reshape(n, c, h2, 1, w2, 1)).reshape(ctx.shape)


def tied(x):
    n, c, h, w = x.shape
    win = x.reshape(n, c, h // 2, 2, w // 2, 2)
    m = win.amax(dim=(3, 5), keepdim=True)
    return int((((win == m).sum(dim=(3, 5)) > 1) & (m.squeeze(3).squeeze(4) > 0)).sum())


def run(pool, prefix):
    p = {k: read(f"{k}.f64", s).requires_grad_() for k, s in SHAPES.items()}
    x = read("images.f64", (N, 1, 28, 28))
    y = read("labels.i32", (N,), np.int32).long()
    h1 = F.relu(F.conv2d(x, p["K1"], p["B1"], padding=2))
    p1 = pool(h1)
    h2 = F.relu(F.conv2d(p1, p["K2"], p["B2"], padding=2))
    p2 = pool(h2)
    loss = F.cross_entropy(torch.flatten(p2, 1) @ p["W"].T + p["B"], y)
    loss.backward()
    for k, t in p.items():
        t.grad.numpy().astype(np.float64).tofile(os.path.join(D, f"{prefix}_{k}.f64"))
    return float(loss), tied(h1) + tied(h2)


loss, ties = run(lambda t: F.max_pool2d(t, 2), "torch")
loss2, _ = run(SplitPool.apply, "split")
print(json.dumps({"loss": loss, "loss_split": loss2, "tied_windows": ties, "torch": torch.__version__}))
