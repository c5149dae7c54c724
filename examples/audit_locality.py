"""
LSH keeps nearby inputs together; a uniform hash does not
=========================================================

The paper's point in one picture: collision probability against distance for LSH and a uniform hash.

Run: python examples/audit_locality.py [--out locality.png]
"""

import argparse

import numpy as np

from dsn_model import DSM
from dsn_model.audit.statistics import collision_curve, pstable_collision
from dsn_model.lsh.families import EuclideanLSH, HyperplaneLSH


def main(out: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    d, radii = 8, np.linspace(0, 1, 11)
    curves = {
        "uniform hash (any shared unit)": collision_curve(
            DSM.random(d, 256, 4, router="hash", random_state=0), radii, random_state=1
        ),
        "hyperplane LSH, 6 hashes (per table)": collision_curve(
            HyperplaneLSH(d, 6, n_tables=200, random_state=0), radii, n_pairs=50, random_state=1
        ),
        "Euclidean LSH, 2 hashes, w = 0.5 (per table)": collision_curve(
            EuclideanLSH(d, 2, 0.5, n_tables=200, random_state=0), radii, n_pairs=50, random_state=1
        ),
    }
    fig, ax = plt.subplots(figsize=(7, 4.5))
    for label, c in curves.items():
        ax.fill_between(radii, c.low, c.high, alpha=0.25)
        ax.plot(radii, c.probability, marker="o", label=label)
        print(
            f"{label:48s} P(share) at r = 0.1: {c.probability[1]:.3f}, r = 0.5: "
            f"{c.probability[5]:.3f}"
        )
    ax.plot(radii, pstable_collision(radii, 0.5, 2), "k--", label="Datar et al. closed form")
    ax.set_xlabel("distance between two inputs")
    ax.set_ylabel("probability they share a unit")
    ax.set_title("Locality of routing (95% Clopper-Pearson bands)")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(out, dpi=120)
    print(f"saved {out}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=(__doc__ or "").strip().split("\n")[0])
    parser.add_argument("--out", default="locality.png")
    main(parser.parse_args().out)
