#!/usr/bin/env python3
"""Independent reference of the campaign run order (docs/campaigns.md):
xoshiro256** seeded by splitmix64, Lemire's bounded draw, Fisher-Yates
from the last element down over the list [(config i % nconfigs)
for i in range(nconfigs * reps)].

usage: plan_order_ref.py SEED NCONFIGS REPS  -> prints the config indices
       plan_order_ref.py --raw SEED N        -> prints N raw outputs
"""
import sys

M = (1 << 64) - 1


def splitmix64(state):
    state = (state + 0x9E3779B97F4A7C15) & M
    z = state
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & M
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & M
    return state, z ^ (z >> 31)


def rotl(x, k):
    return ((x << k) | (x >> (64 - k))) & M


class Xoshiro:
    def __init__(self, seed):
        self.s = []
        x = seed
        for _ in range(4):
            x, v = splitmix64(x)
            self.s.append(v)

    def next(self):
        s = self.s
        result = (rotl((s[1] * 5) & M, 7) * 9) & M
        t = (s[1] << 17) & M
        s[2] ^= s[0]
        s[3] ^= s[1]
        s[1] ^= s[2]
        s[0] ^= s[3]
        s[2] ^= t
        s[3] = rotl(s[3], 45)
        return result

    def below(self, bound):
        m = self.next() * bound
        low = m & M
        if low < bound:
            threshold = ((1 << 64) - bound) % bound
            while low < threshold:
                m = self.next() * bound
                low = m & M
        return m >> 64


if sys.argv[1] == "--raw":
    r = Xoshiro(int(sys.argv[2]))
    print(" ".join(str(r.next()) for _ in range(int(sys.argv[3]))))
else:
    seed, nconf, reps = (int(a) for a in sys.argv[1:4])
    runs = [i % nconf for i in range(nconf * reps)]
    r = Xoshiro(seed)
    for i in range(len(runs) - 1, 0, -1):
        j = r.below(i + 1)
        runs[i], runs[j] = runs[j], runs[i]
    print(" ".join(str(c) for c in runs))
