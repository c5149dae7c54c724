"""
Audit a router's locality and balance
=====================================

`dsn_model.audit.statistics` measures how often two inputs at distance r share
a unit (with a Clopper-Pearson band) and how evenly a router spreads its load.
The paper's point: LSH keeps nearby inputs together; a uniform hash does not.
"""

# %%
import matplotlib.pyplot as plt
import numpy as np

from dsn_model import DSM
from dsn_model.audit.statistics import collision_curve, load_balance
from dsn_model.lsh.families import EuclideanLSH

radii = np.linspace(0, 1, 9)
hashed = collision_curve(
    DSM.random(8, 256, 4, router="hash", random_state=0), radii, random_state=1
)
lsh = collision_curve(
    EuclideanLSH(8, 2, 0.5, n_tables=100, random_state=0), radii, n_pairs=50, random_state=1
)

fig, ax = plt.subplots(figsize=(6, 4))
for label, c in (("uniform hash", hashed), ("Euclidean LSH (per table)", lsh)):
    ax.fill_between(radii, c.low, c.high, alpha=0.25)
    ax.plot(radii, c.probability, marker="o", label=label)
ax.set_xlabel("distance r")
ax.set_ylabel("P(share a unit)")
ax.legend()
plt.show()

# %%
# Load balance of a Switch router on uniform inputs.
net = DSM.random(8, 64, 4, router="switch", random_state=0)
balance = load_balance(net.route(np.random.default_rng(0).uniform(-1, 1, (5000, 8))))
print(
    {k: round(float(balance[k]), 3) for k in ("max_over_mean", "entropy_ratio", "unused_fraction")}
)
