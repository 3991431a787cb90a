#!/usr/bin/env python3
# Owns the PyTorch reference of bench/text.ts (issue 16): the same model and data shape, timed the same
# way (median process CPU time of a train step), so that `npm run bench` can print mtl ÷ PyTorch.
# Model: embedding 1000×64 → bidirectional LSTM(64) over 32 tokens; intent head: max over the steps →
# linear (20 intents, cross-entropy); tagging head: linear → 127 emission scores per token and a
# linear-chain CRF (Lafferty et al. 2001) whose NLL uses the forward algorithm in log space with the
# padding mask (Sutton & McCallum 2012, §4.1; doi:10.1561/2200000013); Adam, batch 32. Synthetic
# sentences: lengths 4…18 (mean 11), padded with id 0. Run by bench/text.ts only when torch imports;
# not a dependency of mtl.
import argparse
import json
import statistics
import time

import torch
from torch import nn

VOCAB, DIM, UNITS, STEPS, TAGS, INTENTS, BATCH = 1000, 64, 64, 32, 127, 20, 32


class TextCrf(nn.Module):
    def __init__(self):
        super().__init__()
        self.embedding = nn.Embedding(VOCAB, DIM)
        self.lstm = nn.LSTM(DIM, UNITS, batch_first=True, bidirectional=True)
        self.intent = nn.Linear(2 * UNITS, INTENTS)
        self.emit = nn.Linear(2 * UNITS, TAGS)
        self.transitions = nn.Parameter(torch.empty(TAGS, TAGS).uniform_(-0.1, 0.1))
        self.start = nn.Parameter(torch.zeros(TAGS))
        self.end = nn.Parameter(torch.zeros(TAGS))

    def crf_nll(self, e, tags, mask):
        """−log p(tags | e) per sentence; e [b, T, K], tags [b, T], mask [b, T] (real tokens first)."""
        b, steps, _ = e.shape
        rows = torch.arange(b)
        score = self.start[tags[:, 0]] + e[rows, 0, tags[:, 0]]
        alpha = self.start + e[:, 0]
        for t in range(1, steps):
            m = mask[:, t]
            score = score + (self.transitions[tags[:, t - 1], tags[:, t]] + e[rows, t, tags[:, t]]) * m
            nxt = torch.logsumexp(alpha.unsqueeze(2) + self.transitions + e[:, t].unsqueeze(1), dim=1)
            alpha = torch.where(m.unsqueeze(1) > 0, nxt, alpha)
        last = tags[rows, mask.sum(1).long() - 1]
        score = score + self.end[last]
        return torch.logsumexp(alpha + self.end, dim=1) - score

    def forward(self, tokens, intents, tags, mask):
        h, _ = self.lstm(self.embedding(tokens))
        intent_loss = nn.functional.cross_entropy(self.intent(h.max(dim=1).values), intents)
        # The CRF recursion stops at the batch's longest sentence, as a PyTorch user would write it.
        longest = int(mask.sum(1).max())
        crf_loss = self.crf_nll(self.emit(h[:, :longest]), tags[:, :longest], mask[:, :longest]).mean()
        return intent_loss + crf_loss


def batch(seed=3):
    g = torch.Generator().manual_seed(seed)
    lengths = torch.randint(4, 19, (BATCH,), generator=g)
    mask = (torch.arange(STEPS).unsqueeze(0) < lengths.unsqueeze(1)).float()
    tokens = torch.randint(2, VOCAB, (BATCH, STEPS), generator=g) * mask.long()
    tags = torch.randint(0, TAGS, (BATCH, STEPS), generator=g) * mask.long()
    intents = torch.randint(0, INTENTS, (BATCH,), generator=g)
    return tokens, intents, tags, mask


def main():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument('--steps', type=int, default=10)
    p.add_argument('--warmup', type=int, default=2)
    p.add_argument('--threads', type=int, default=1)
    p.add_argument('--json', action='store_true', help='print one JSON line')
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(1)
    model = TextCrf()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    data = batch()
    times = []
    for k in range(a.warmup + a.steps):
        c0 = time.process_time()
        opt.zero_grad()
        loss = model(*data)
        loss.backward()
        opt.step()
        loss.item()
        if k >= a.warmup:
            times.append(time.process_time() - c0)
    ms = statistics.median(times) * 1000
    out = {'torch': torch.__version__, 'threads': a.threads, 'step_ms': ms, 'sentences_per_s': BATCH * 1000 / ms}
    print(json.dumps(out) if a.json else f"PyTorch {out['torch']}, {a.threads} thread(s): {ms:.1f} ms per step, {out['sentences_per_s']:.1f} sentences/s")


if __name__ == '__main__':
    main()
