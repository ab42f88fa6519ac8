"""Reproducible, resumable data order: the same batches whether a run is interrupted or not.

- `SeededItems` seeds torch/numpy/random from (seed, epoch, index) around every item, so an augmented item
  is the same in any worker process and after a resume (the data transforms draw from torch's RNG).
- `ResumableSampler` is DistributedSampler's order (a permutation seeded by seed + epoch, rank r takes every
  world-th index, drop_last) that can start at any batch of the epoch.
"""

from __future__ import annotations

import random

import numpy as np
import torch
from torch.utils.data import Dataset, Sampler


def item_seed(seed: int, epoch: int, index: int) -> int:
    return (seed * 1_000_003 + epoch * 10_007 + index * 7_919 + 1) % (2**31)


class SeededItems(Dataset):
    def __init__(self, dataset: Dataset, seed: int):
        self.dataset, self.seed, self.epoch = dataset, int(seed), 0

    def __len__(self) -> int:
        return len(self.dataset)

    def __getitem__(self, index):
        """index: an int (this object's `epoch`) or (epoch, index) from EpochTagged."""
        epoch, index = index if isinstance(index, tuple) else (self.epoch, index)
        py_state, np_state = random.getstate(), np.random.get_state()
        with torch.random.fork_rng(devices=[]):
            s = item_seed(self.seed, epoch, index)
            torch.manual_seed(s)
            random.seed(s)
            np.random.seed(s)
            try:
                return self.dataset[index]
            finally:
                random.setstate(py_state)
                np.random.set_state(np_state)


class ResumableSampler(Sampler[int]):
    def __init__(self, size: int, batch_size: int, seed: int, rank: int = 0, world: int = 1, shuffle: bool = True):
        self.size, self.batch_size, self.seed = size, batch_size, seed
        self.rank, self.world, self.shuffle = rank, world, shuffle
        self.epoch, self.start_batch = 0, 0

    def batches_per_epoch(self) -> int:
        return self.size // (self.batch_size * self.world)

    def set_position(self, epoch: int, start_batch: int = 0) -> None:
        self.epoch, self.start_batch = epoch, start_batch

    def _indices(self) -> list[int]:
        if self.shuffle:
            g = torch.Generator().manual_seed(self.seed + self.epoch)
            order = torch.randperm(self.size, generator=g).tolist()
        else:
            order = list(range(self.size))
        usable = self.batches_per_epoch() * self.batch_size * self.world
        return order[self.rank : usable : self.world]

    def __iter__(self):
        return iter(self._indices()[self.start_batch * self.batch_size :])

    def __len__(self) -> int:
        return (self.batches_per_epoch() - self.start_batch) * self.batch_size


class EpochTagged(Sampler):
    """(epoch, index) pairs of a ResumableSampler: persistent DataLoader workers keep their own copy of the
    dataset, so the epoch that seeds an item travels with its index instead of being set on the dataset."""

    def __init__(self, sampler: ResumableSampler):
        self.sampler = sampler

    def __iter__(self):
        epoch = self.sampler.epoch
        return ((epoch, i) for i in self.sampler)

    def __len__(self) -> int:
        return len(self.sampler)
