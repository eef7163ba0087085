"""PyTorch peer of examples/gan (the same GAN, for the reference time per epoch and figures).

Same as examples/gan/nets.mjs and gan.mjs, choice for choice:
  generator      noise 64 (standard normal) -> Linear 256 -> relu -> Linear 784 -> sigmoid -> 28x28
  discriminator  28x28 -> Linear 256 -> leaky relu 0.2 -> Linear 1 (a logit)
  init           weights uniform in +-1/sqrt(fan-in), biases zero
  optimiser      Adam lr 2e-4, betas (0.5, 0.999), eps 1e-8, one for each player
  losses         D: mean softplus(-l_real) + mean softplus(l_fake); G: mean softplus(-l_fake)
  a step         z -> fake = G(z); D update on [real batch, fake]; then G update through the
                 updated D (D's params not differentiated in that pass, as LiFT's Dx module)
  batch 64, the last partial batch of an epoch skipped, shuffled each epoch.
Quality: the same LeNet classifier weights as the LiFT run (a `lift train` checkpoint, read
here from its safetensors file with numpy) on `quality_samples` images from fixed noise.

  python3 bench/peers/torch_gan.py --data DIR --classifier CKPT [--epochs 1] [--threads 1]
Prints one JSON object on stdout.
"""
import argparse
import gzip
import json
import os
import struct
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from torch_peer_model import LeNet, lift_layout

NOISE, HIDDEN, PX = 64, 256, 28 * 28


def read_idx(path):
    raw = open(path, "rb").read()
    if path.endswith(".gz"):
        raw = gzip.decompress(raw)
    dims = raw[3]
    shape = struct.unpack(">" + "I" * dims, raw[4 : 4 + 4 * dims])
    return np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * dims).reshape(shape)


def find(d, base):
    for name in (base, base + ".gz"):
        if os.path.isfile(os.path.join(d, name)):
            return os.path.join(d, name)
    raise FileNotFoundError(os.path.join(d, base))


def read_safetensors(path):
    """The F32 tensors of a safetensors file: 8-byte length, JSON header, little-endian data."""
    raw = open(path, "rb").read()
    n = struct.unpack("<Q", raw[:8])[0]
    header = json.loads(raw[8 : 8 + n])
    out = {}
    for name, t in header.items():
        if name == "__metadata__" or t["dtype"] != "F32":
            continue
        a, b = t["data_offsets"]
        out[name] = np.frombuffer(raw[8 + n + a : 8 + n + b], dtype="<f4").reshape(t["shape"])
    return out


def load_classifier(path):
    w = read_safetensors(path)
    m = LeNet()
    with torch.no_grad():
        for name, (p, _) in lift_layout(m).items():
            p.copy_(torch.from_numpy(w[name].copy()).reshape(p.shape))
    return m.eval()


def quality(classifier, images):
    """Mean top-class softmax probability and each class's share of the top classes."""
    with torch.inference_mode():
        p = torch.cat([F.softmax(classifier(images[b : b + 256].reshape(-1, 1, 28, 28)), 1) for b in range(0, len(images), 256)])
    top, cls = p.max(1)
    shares = torch.bincount(cls, minlength=10).double() / len(images)
    return {"mean_top_probability": float(top.double().mean()), "class_shares": shares.tolist()}


def linear(n_in, n_out):
    m = nn.Linear(n_in, n_out)
    with torch.no_grad():
        m.weight.uniform_(-1 / n_in**0.5, 1 / n_in**0.5)
        m.bias.zero_()
    return m


def players():
    G = nn.Sequential(linear(NOISE, HIDDEN), nn.ReLU(), linear(HIDDEN, PX), nn.Sigmoid())
    D = nn.Sequential(nn.Flatten(), linear(PX, HIDDEN), nn.LeakyReLU(0.2), linear(HIDDEN, 1), nn.Flatten(0))
    return G, D


def step(G, D, opt_g, opt_d, real):
    n = len(real)
    fake = G(torch.randn(n, NOISE)).reshape(n, 28, 28)
    logits = D(torch.cat([real, fake.detach()]))
    d_loss = F.softplus(-logits[:n]).mean() + F.softplus(logits[n:]).mean()
    opt_d.zero_grad(set_to_none=True)
    d_loss.backward()
    opt_d.step()
    D.requires_grad_(False)
    g_loss = F.softplus(-D(fake)).mean()
    opt_g.zero_grad(set_to_none=True)
    g_loss.backward()
    opt_g.step()
    D.requires_grad_(True)
    return float(d_loss), float(g_loss)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default="/usr/share/datasets/fashion-mnist")
    ap.add_argument("--classifier", required=True)
    ap.add_argument("--epochs", type=int, default=1)
    ap.add_argument("--limit-train", type=int)
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--lr", type=float, default=2e-4)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--quality-samples", type=int, default=1000)
    ap.add_argument("--threads", type=int, default=1)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    train = torch.from_numpy(read_idx(find(a.data, "train-images-idx3-ubyte")).astype(np.float32) / 255)
    test = torch.from_numpy(read_idx(find(a.data, "t10k-images-idx3-ubyte")).astype(np.float32) / 255)
    count = min(len(train), a.limit_train or len(train))
    classifier = load_classifier(a.classifier)
    real_quality = quality(classifier, test[: min(a.quality_samples, len(test))])
    G, D = players()
    opt_g = torch.optim.Adam(G.parameters(), lr=a.lr, betas=(0.5, 0.999), eps=1e-8)
    opt_d = torch.optim.Adam(D.parameters(), lr=a.lr, betas=(0.5, 0.999), eps=1e-8)
    fixed = torch.randn(a.quality_samples, NOISE, generator=torch.Generator().manual_seed(a.seed + 99))
    rng = np.random.RandomState(a.seed)
    detail = []
    for e in range(1, a.epochs + 1):
        t0, c0 = time.perf_counter(), time.process_time()
        order = torch.from_numpy(rng.permutation(count))
        losses = [step(G, D, opt_g, opt_d, train[order[b : b + a.batch]]) for b in range(0, count - a.batch + 1, a.batch)]
        seconds, cpu_seconds = time.perf_counter() - t0, time.process_time() - c0
        with torch.inference_mode():
            q = quality(classifier, G(fixed).reshape(-1, 28, 28))
        d, g = np.mean(losses, 0)
        detail.append({"epoch": e, "d_loss": float(d), "g_loss": float(g), "steps": len(losses), "seconds": seconds, "cpu_seconds": cpu_seconds, "quality": q})
    last = detail[-1]
    timed = detail[1:] if len(detail) > 1 else detail
    print(json.dumps({
        "example": "gan", "system": "pytorch", "torch": torch.__version__, "threads": a.threads, "train_images": count,
        "batch": a.batch, "epochs": a.epochs, "real_quality": real_quality, "epochs_detail": detail,
        "d_loss": last["d_loss"], "g_loss": last["g_loss"], "mean_top_probability": last["quality"]["mean_top_probability"],
        "class_shares": last["quality"]["class_shares"], "seconds_per_epoch": sum(x["seconds"] for x in timed) / len(timed),
        "cpu_seconds_per_epoch": sum(x["cpu_seconds"] for x in timed) / len(timed),
    }))


if __name__ == "__main__":
    main()
