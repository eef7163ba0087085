"""PyTorch 1.13 peer of `lift train`: the LeNet of examples/fashion-lenet.lift trained on the full
Fashion-MNIST for a few epochs, to compare test accuracies run for run (bench/train_seeds.ts).

The one JSON argument:
  data     the directory of the IDX files (train-images-idx3-ubyte.gz, ...)
  epochs   epochs to train; batch: images per step; lr: Adam's learning rate; threads
  init     "lift": the initial weights and the batch order are LiFT's for the seed, read from
           dir/weights/NAME.bin (float32, LiFT's layout) and dir/perm-E.bin (uint32 image order of
           epoch E), so the two runs differ only in arithmetic and in max-pooling's tie rule;
           "torch": PyTorch's own default initialisation and shuffling under torch.manual_seed(seed).
  seed     the seed (for init "torch"; recorded for "lift")

Prints one JSON line per epoch ({"epoch", "test_accuracy", "train_loss", "seconds"}) and a summary.
The same preprocessing as LiFT: pixels / 255, the loss the batch mean of the softmax cross-entropy,
the last batch of an epoch the remainder (60000 = 937 * 64 + 32), Adam(0.9, 0.999, 1e-8).
"""
import gzip
import os
import time

import numpy as np
import torch
import torch.nn.functional as F

from benchutil import config, emit
from torch_peer_model import LeNet, lift_layout

cfg = config()
torch.set_num_threads(int(cfg.get("threads", 2)))


def idx(path):
    with gzip.open(path, "rb") as f:
        raw = f.read()
    dims = raw[3]
    shape = [int.from_bytes(raw[4 + 4 * i: 8 + 4 * i], "big") for i in range(dims)]
    return np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * dims).reshape(shape)


def split(name):
    images = idx(os.path.join(cfg["data"], f"{name}-images-idx3-ubyte.gz")).astype(np.float32) / 255
    labels = idx(os.path.join(cfg["data"], f"{name}-labels-idx1-ubyte.gz")).astype(np.int64)
    return torch.from_numpy(images).reshape(-1, 1, 28, 28), torch.from_numpy(labels)


def model():
    if cfg["init"] == "torch":
        torch.manual_seed(int(cfg["seed"]))
        return LeNet()
    m = LeNet()
    with torch.no_grad():
        for name, (p, _) in lift_layout(m).items():
            data = np.fromfile(os.path.join(cfg["dir"], "weights", f"{name}.bin"), dtype=np.float32)
            p.copy_(torch.from_numpy(data).reshape(p.shape))
    return m


def order(epoch, count):
    if cfg["init"] == "torch":
        return torch.randperm(count)
    perm = np.fromfile(os.path.join(cfg["dir"], f"perm-{epoch}.bin"), dtype=np.uint32)
    return torch.from_numpy(perm.astype(np.int64))


def accuracy(m, x, y):
    m.eval()
    with torch.inference_mode():
        correct = sum(int((m(x[i:i + 1000]).argmax(1) == y[i:i + 1000]).sum()) for i in range(0, len(x), 1000))
    m.train()
    return correct / len(x)


train_x, train_y = split("train")
test_x, test_y = split("t10k")
m = model().train()
opt = torch.optim.Adam(m.parameters(), lr=float(cfg["lr"]))
batch = int(cfg["batch"])
history = []
for epoch in range(1, int(cfg["epochs"]) + 1):
    t0 = time.perf_counter()
    perm = order(epoch, len(train_x))
    total = 0.0
    for i in range(0, len(perm), batch):
        j = perm[i:i + batch]
        opt.zero_grad()
        loss = F.cross_entropy(m(train_x[j]), train_y[j])
        loss.backward()
        opt.step()
        total += loss.item() * len(j)
    seconds = time.perf_counter() - t0
    acc = accuracy(m, test_x, test_y)
    history.append(acc)
    emit({"epoch": epoch, "test_accuracy": acc, "train_loss": total / len(perm), "seconds": seconds})
emit({"system": "pytorch", "init": cfg["init"], "seed": cfg["seed"], "test_accuracy": history[-1],
      "history": history, "torch": torch.__version__, "threads": torch.get_num_threads()})
