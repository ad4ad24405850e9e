"""The recipe's pipelines: column handling, scaling, whitening, the network.

Every model the recipe fits (the checks' network, the search's candidates,
the default network, the final model and the baselines) is built here, so
that they all see the data through the same steps::

    Pipeline([("columns", ColumnTransformer | SimpleImputer | "passthrough"),
              ("scale", StandardScaler | mean image + global std),
              ("whiten", Whitening | "passthrough"),
              ("mlp", MLPClassifier | MLPRegressor)])

Regression wraps it in a ``TransformedTargetRegressor`` that standardizes
the target, so the network's outputs start at the right scale.
"""

import numpy as np

__all__ = [
    "image_scaler",
    "scalers_for",
    "make_pipeline",
    "mlp_step",
    "mlp_of",
    "network_step",
    "column_step",
    "resolve_scoring",
]


def image_scaler():
    """Subtract the mean image, divide by one global standard deviation."""
    from sklearn.pipeline import Pipeline

    from ..preprocessing import Centerer

    return Pipeline(
        [
            ("mean_image", Centerer()),
            ("global_std", Centerer(per="channel", n_channels=1, with_std=True)),
        ]
    )


def scalers_for(choice, *, table):
    """The scalers the search may choose from, by name.

    The mean image only makes sense when every feature is a pixel-like
    number on one scale: tables with other columns get 'standard'.
    """
    from sklearn.preprocessing import StandardScaler

    options = {"standard": StandardScaler(), "image": image_scaler()}
    if choice == "auto":
        return {"standard": options["standard"]} if table else options
    return {choice: options[choice]}


def column_step(ds):
    """The first step: the table's ColumnTransformer, an imputer for arrays
    with missing values, or 'passthrough'; and the column plans (a list of
    :class:`~sknet.recipe.columns.ColumnPlan`, or None for arrays)."""
    if ds.is_table:
        from .columns import plan_columns

        return plan_columns(ds.X)
    if np.isnan(ds.X).any():
        from sklearn.impute import SimpleImputer

        return SimpleImputer(strategy="median", add_indicator=True), None
    return "passthrough", None


def make_pipeline(columns, scaler, whiten, mlp, *, classification):
    """The recipe's model: columns, scaling, whitening and the network."""
    from sklearn.base import clone
    from sklearn.pipeline import Pipeline

    from ..preprocessing import Whitening

    whitening = "passthrough" if whiten == "none" else Whitening(method=whiten)
    columns = columns if isinstance(columns, str) else clone(columns)
    pipe = Pipeline(
        [("columns", columns), ("scale", clone(scaler)), ("whiten", whitening), ("mlp", mlp)]
    )
    if classification:
        return pipe
    from sklearn.compose import TransformedTargetRegressor
    from sklearn.preprocessing import StandardScaler

    return TransformedTargetRegressor(regressor=pipe, transformer=StandardScaler())


def mlp_step(classification):
    """Parameter prefix of the network inside :func:`make_pipeline`'s model."""
    return "mlp__" if classification else "regressor__mlp__"


def network_step(model):
    """The (unfitted) network inside a :func:`make_pipeline` model."""
    pipe = getattr(model, "regressor", model)
    return pipe.named_steps["mlp"]


def mlp_of(model):
    """The fitted network inside a fitted :func:`make_pipeline` model."""
    pipe = getattr(model, "regressor_", model)
    return pipe.named_steps["mlp"]


def resolve_scoring(choice, ds):
    """The scorer name the search and the headline use, and why."""
    if choice != "auto":
        return choice, "chosen with --scoring"
    if not ds.classification:
        return "r2", "regression"
    if ds.imbalanced:
        classes, counts = ds.class_counts()
        return "balanced_accuracy", (
            f"imbalanced classes (the smallest has {int(counts.min())} rows, the largest "
            f"{int(counts.max())}): plain accuracy would reward predicting the majority"
        )
    return "accuracy", "balanced classes"
