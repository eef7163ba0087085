"""PyTorch 1.13 CPU peer of the LiFT benchmark: the LeNet network of examples/fashion-lenet.lift.

  conv 5x5x8 padding 2, relu, maxpool 2, conv 5x5x16 padding 2, relu, maxpool 2,
  linear 16*7*7 -> 10, cross-entropy (batch mean), Adam lr 1e-3.

Modes (the one JSON argument's "mode"):
  export  seeds the weights, writes into cfg["dir"]: lenet.onnx (torch.onnx.export, dynamic batch),
          images.bin (float32, 256x28x28 in [0,1)), labels.bin (int32 classes), weights/NAME.bin in
          LiFT's layout (K1 8x5x5, B1, K2 16x8x5x5, B2, W 10x16x7x7, B) and ref_logits.bin (the
          logits of the first 8 images), so every system runs the same weights on the same data.
  train   training images/s at cfg["batch"] (forward, loss, backward, Adam step).
  infer   inference images/s at cfg["batch"] (eval mode, torch.inference_mode).
"""
import os

import numpy as np
import torch
import torch.nn.functional as F

from benchutil import blas_info, config, emit, measure, peak_rss
from torch_peer_model import LeNet, lift_layout

cfg = config()
threads = int(cfg.get("threads", 2))
torch.set_num_threads(threads)
D = cfg["dir"]
COUNT = 256
CHECK = 8


def load_model():
    m = LeNet()
    with torch.no_grad():
        for name, (p, _) in lift_layout(m).items():
            data = np.fromfile(os.path.join(D, "weights", f"{name}.bin"), dtype=np.float32)
            p.copy_(torch.from_numpy(data).reshape(p.shape))
    return m


def load_data(batch):
    images = np.fromfile(os.path.join(D, "images.bin"), dtype=np.float32).reshape(COUNT, 1, 28, 28)
    labels = np.fromfile(os.path.join(D, "labels.bin"), dtype=np.int32).astype(np.int64)
    return torch.from_numpy(images[:batch].copy()), torch.from_numpy(labels[:batch].copy())


def timing():
    return dict(warmup_s=cfg.get("warmup_s", 1.0), reps=cfg.get("reps", 5), rep_s=cfg.get("rep_s", 0.6))


def versions():
    return {"torch": torch.__version__, "threads": torch.get_num_threads(), "blas": blas_info()}


mode = cfg["mode"]
if mode == "export":
    torch.manual_seed(0)
    m = LeNet().eval()
    os.makedirs(os.path.join(D, "weights"), exist_ok=True)
    for name, (p, shape) in lift_layout(m).items():
        p.detach().numpy().astype(np.float32).reshape(shape).tofile(os.path.join(D, "weights", f"{name}.bin"))
    rng = np.random.default_rng(0)
    images = rng.random((COUNT, 1, 28, 28), dtype=np.float32)
    labels = rng.integers(0, 10, COUNT).astype(np.int32)
    images.tofile(os.path.join(D, "images.bin"))
    labels.tofile(os.path.join(D, "labels.bin"))
    with torch.inference_mode():
        m(torch.from_numpy(images[:CHECK])).numpy().astype(np.float32).tofile(os.path.join(D, "ref_logits.bin"))
    torch.onnx.export(
        m, torch.from_numpy(images[:1]), os.path.join(D, "lenet.onnx"),
        input_names=["images"], output_names=["logits"],
        dynamic_axes={"images": {0: "N"}, "logits": {0: "N"}}, opset_version=13, do_constant_folding=True,
    )
    emit({"kind": "export", "onnx_bytes": os.path.getsize(os.path.join(D, "lenet.onnx")), **versions()})
elif mode == "train":
    batch = int(cfg["batch"])
    m = load_model().train()
    x, y = load_data(batch)
    opt = torch.optim.Adam(m.parameters(), lr=1e-3)
    first = {}

    def step():
        opt.zero_grad()
        loss = F.cross_entropy(m(x), y)
        loss.backward()
        opt.step()
        if not first:
            first["loss"] = loss.item()

    rate, rates, calls = measure(step, batch, **timing())
    emit({
        "system": "pytorch", "workload": "train", "batch": batch, "images_per_s": rate, "reps": rates,
        "calls": calls, "ms_per_call": batch / rate * 1e3, **peak_rss(),
        "first_loss": first["loss"], **versions(),
    })
elif mode == "infer":
    batch = int(cfg["batch"])
    m = load_model().eval()
    x, _ = load_data(batch)

    def run():
        with torch.inference_mode():
            m(x)

    rate, rates, calls = measure(run, batch, **timing())
    emit({
        "system": "pytorch", "workload": "infer", "batch": batch, "images_per_s": rate, "reps": rates,
        "calls": calls, "ms_per_call": batch / rate * 1e3, **peak_rss(), **versions(),
    })
else:
    raise SystemExit(f"unknown mode {mode}")
