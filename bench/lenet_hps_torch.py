#!/usr/bin/env python3
"""PyTorch reference for `npm run bench`: trains the quickstart model (LeNet-HPS, hard parameter
sharing) exactly as configs/quickstart.yaml defines it, on data of the same shapes, and prints
training throughput as JSON lines, one per thread count.

Model (as mtl builds it from configs/quickstart.yaml): a 36x36x1 canvas -> conv 10@9x9 valid, relu ->
max-pool 2 -> conv 20@5x5 valid, relu -> max-pool 2 -> flatten (500) -> dense 50, relu, shared by two
heads `left` and `right` (dense 10 each); loss = sum of the two sparse categorical cross-entropies
(static weights 1); Adam, learning rate 0.002; one fixed batch, so only the training step is timed.
Initialisation follows Keras' defaults (Glorot-uniform kernels, zero biases), as in tfjs-layers.

Usage: python3 bench/lenet_hps_torch.py [--batch 256] [--steps 20] [--warmup 3] [--threads 1,2]
For a true N-thread figure run one thread count per process with OMP_NUM_THREADS=N (the bench does):
torch.set_num_threads(1) alone leaves Debian's OpenMP build a second busy thread.
Not a dependency of mtl: Debian/Ubuntu `apt-get install python3-torch`, or `pip install torch`.
"""
import argparse
import json
import os
import time

import torch
from torch import nn


class LeNetHPS(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.trunk = nn.Sequential(
            nn.Conv2d(1, 10, 9), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(10, 20, 5), nn.ReLU(), nn.MaxPool2d(2),
            nn.Flatten(), nn.Linear(500, 50), nn.ReLU(),
        )
        self.left = nn.Linear(50, 10)
        self.right = nn.Linear(50, 10)
        for m in self.modules():
            if isinstance(m, (nn.Conv2d, nn.Linear)):
                nn.init.xavier_uniform_(m.weight)
                nn.init.zeros_(m.bias)

    def forward(self, x):
        h = self.trunk(x)
        return self.left(h), self.right(h)


def throughput(threads: int, batch: int, steps: int, warmup: int) -> dict:
    torch.set_num_threads(threads)
    torch.manual_seed(42)
    model = LeNetHPS()
    opt = torch.optim.Adam(model.parameters(), lr=0.002)
    # Canvases in [0, 1] like MultiFashion's, and class labels for the two tasks.
    x = torch.rand(batch, 1, 36, 36)
    y_left = torch.randint(0, 10, (batch,))
    y_right = torch.randint(0, 10, (batch,))
    ce = nn.CrossEntropyLoss()
    times, cpu = [], []
    for k in range(warmup + steps):
        t0, c0 = time.perf_counter(), time.process_time()
        opt.zero_grad(set_to_none=True)
        out_left, out_right = model(x)
        loss = ce(out_left, y_left) + ce(out_right, y_right)
        loss.backward()
        opt.step()
        loss.item()  # the step's result on the host, as mtl reads its losses
        if k >= warmup:
            times.append(time.perf_counter() - t0)
            cpu.append(time.process_time() - c0)
    times.sort()
    cpu.sort()
    median = times[len(times) // 2]
    # CPU time per step (all threads): on one thread, the step's cost however loaded the machine is.
    return {"threads": threads, "batch": batch, "stepMs": median * 1000, "cpuStepMs": cpu[len(cpu) // 2] * 1000,
            "samplesPerSecond": batch / median, "torch": torch.__version__}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--batch", type=int, default=256)
    p.add_argument("--steps", type=int, default=20)
    p.add_argument("--warmup", type=int, default=3)
    p.add_argument("--threads", default=f"1,{os.cpu_count() or 1}")
    a = p.parse_args()
    for t in sorted({int(s) for s in a.threads.split(",")}):
        print(json.dumps(throughput(t, a.batch, a.steps, a.warmup)), flush=True)


if __name__ == "__main__":
    main()
