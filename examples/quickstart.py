"""Quick start: sknet as a drop-in, the lecture's choices, and the recipe.

1. scikit-learn's MLPClassifier and sknet's, both with their defaults, in the
   same StandardScaler pipeline: the drop-in replacement scores alike.
2. sknet with the lecture's choices (He initialization, batch normalization,
   leaky ReLUs) as constructor parameters.
3. The whole recipe (checks, learning-rate finder, coarse-to-fine search, the
   default network as a fallback, baselines on the same split) in one call.

Each network is trained with three seeds and the mean test accuracy is shown
with the spread, since one seed's difference on 450 test images is noise.

Run: ``python examples/quickstart.py`` (about a minute on two cores).
"""

import time

import numpy as np
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier as SklearnMLP
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sknet import MLPClassifier
from sknet.recipe import RecipeConfig, run_recipe

SEEDS = (0, 1, 2)


def main():
    X, y = load_digits(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.25, stratify=y, random_state=0
    )
    print(f"digits: {X_train.shape[0]} training and {X_test.shape[0]} test images\n")
    models = {
        "scikit-learn, defaults": lambda seed: SklearnMLP(random_state=seed),
        "sknet, defaults": lambda seed: MLPClassifier(random_state=seed),
        "sknet, He + batch norm + leaky ReLU": lambda seed: MLPClassifier(
            hidden_layer_sizes=(128, 64),
            activation="leaky_relu",
            init="he",
            batch_norm=True,
            random_state=seed,
        ),
    }
    for name, make in models.items():
        scores, start = [], time.perf_counter()
        for seed in SEEDS:
            pipe = make_pipeline(StandardScaler(), make(seed)).fit(X_train, y_train)
            scores.append(pipe.score(X_test, y_test))
        seconds = (time.perf_counter() - start) / len(SEEDS)
        print(
            f"{name:<38} test accuracy {np.mean(scores):.4f} "
            f"(seeds: {min(scores):.4f} .. {max(scores):.4f}), {seconds:.2f} s a fit"
        )

    print("\nthe recipe, 30 fits of search:")
    result = run_recipe(X, y, RecipeConfig(budget_fits=30, n_jobs=-1))
    print(result.summary())


if __name__ == "__main__":
    main()
