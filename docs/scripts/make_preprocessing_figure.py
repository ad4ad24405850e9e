"""Draw a 2-D point cloud at each preprocessing stage of the CS231n recipe.

original -> zero-centered -> normalized, and original -> decorrelated ->
whitened (PCA) / whitened (ZCA), all computed with sknet.preprocessing.
Writes docs/_static/preprocessing_stages.png. Run from the repository root::

    PYTHONPATH=. python docs/scripts/make_preprocessing_figure.py
"""

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from sknet.preprocessing import Centerer, Whitening  # noqa: E402

OUT = Path(__file__).resolve().parents[1] / "_static" / "preprocessing_stages.png"


def main():
    rng = np.random.RandomState(0)
    # Correlated, off-center, with features on different scales.
    cov = np.array([[9.0, 3.0], [3.0, 2.0]])
    X = rng.multivariate_normal([6.0, 4.0], cov, size=400)

    centered = Centerer().fit_transform(X)
    normalized = Centerer(with_std=True).fit_transform(X)
    pca = Whitening(method="pca", epsilon=0).fit(X)
    decorrelated = centered @ pca.components_.T  # rotation only
    whitened = pca.transform(X)
    zca = Whitening(method="zca", epsilon=0).fit_transform(X)

    stages = [
        ("original data", X),
        ("zero-centered", centered),
        ("normalized\n(per-feature std)", normalized),
        ("decorrelated\n(rotated onto principal axes)", decorrelated),
        ("whitened (PCA)\ncovariance = identity", whitened),
        ("whitened (ZCA)\nrotated back to input axes", zca),
    ]
    fig, axes = plt.subplots(2, 3, figsize=(9.6, 7.6))
    axes = axes.ravel()
    lim = 1.1 * max(np.abs(Z).max() for _, Z in stages)
    # Highlight the same few samples in every panel to show where they move.
    marked = np.argsort(X[:, 0])[[0, -1]]
    for ax, (title, Z) in zip(axes, stages):
        ax.axhline(0, color="0.7", lw=0.8)
        ax.axvline(0, color="0.7", lw=0.8)
        ax.scatter(Z[:, 0], Z[:, 1], s=6, alpha=0.5, color="tab:blue")
        ax.scatter(Z[marked, 0], Z[marked, 1], s=30, color=["tab:red", "tab:orange"])
        cov = np.cov(Z, rowvar=False).round(2) + 0.0  # no "-0.00"
        ax.set_title(title, fontsize=10)
        ax.set_xlabel(f"var {cov[0, 0]:.2f}, {cov[1, 1]:.2f}; cov {cov[0, 1]:+.2f}", fontsize=8)
        ax.set_xlim(-lim, lim)
        ax.set_ylim(-lim, lim)
        ax.set_aspect("equal")
        ax.tick_params(labelsize=7)
    fig.tight_layout()
    OUT.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(OUT, dpi=110)
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
