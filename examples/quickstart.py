"""Quick start: the lecture's recipe in a few lines on scikit-learn's digits.

Standardize the data, then train sknet's MLPClassifier with He initialization,
batch normalization and leaky ReLUs next to scikit-learn's MLPClassifier with
its defaults, and print both test accuracies and fit times.

Run: ``python examples/quickstart.py``
"""

import time

from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier as SklearnMLP
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sknet import MLPClassifier


def main():
    X, y = load_digits(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.25, stratify=y, random_state=0
    )
    models = {
        "sknet   (leaky_relu, He init, batch norm)": MLPClassifier(
            hidden_layer_sizes=(128, 64),
            activation="leaky_relu",
            init="he",
            batch_norm=True,
            early_stopping=True,
            random_state=0,
        ),
        "sklearn (its defaults)": SklearnMLP(
            hidden_layer_sizes=(128, 64), early_stopping=True, random_state=0
        ),
    }
    print(f"digits: {X_train.shape[0]} training and {X_test.shape[0]} test images\n")
    for name, model in models.items():
        pipe = make_pipeline(StandardScaler(), model)
        start = time.perf_counter()
        pipe.fit(X_train, y_train)
        seconds = time.perf_counter() - start
        accuracy = pipe.score(X_test, y_test)
        print(
            f"{name}: test accuracy {accuracy:.4f}, {model.n_iter_} epochs, "
            f"{seconds:.2f} s"
        )
    net = models["sknet   (leaky_relu, He init, batch norm)"].network_
    print(f"\nsknet's trained network: {net}")


if __name__ == "__main__":
    main()
