"""Layer statistics during training: what ``track_training`` records.

:func:`network_statistics` measures every affine block of a network on some
rows: mean and spread of its activations, dead ReLUs, saturated sigmoid and
tanh units, weight and gradient norms and update-to-weight ratios (CS231n's
rule of thumb: about 1e-3). :class:`Telemetry` records them after each epoch,
with the epoch's last update, into ``history_``; :mod:`sknet.diagnostics`
reports and advises on the same records.
"""

import numpy as np

__all__ = ["network_statistics", "Telemetry"]

# track_training records statistics on at most this many training samples.
TRACK_SAMPLES = 1000


def _norm(a):
    a = np.asarray(a, dtype=np.float64).ravel()
    return float(np.sqrt(np.dot(a, a)))


def network_statistics(network, X, *, gradients=None, updates=None):
    """Statistics of every affine layer of a network on the data ``X``.

    One record per ``Dense`` layer (the hidden blocks, then the output layer),
    computed in evaluation mode (running batch-norm statistics, no dropout):

    - ``activation``: the estimator's name for the block's activation
      (``'output'`` for the output layer);
    - ``mean``, ``std``: of the block's activations (of the raw scores for the
      output layer);
    - ``dead_fraction``: for the rectifiers (``Activation.rectifier``), the
      fraction of units never positive on ``X`` (a dead ReLU passes no
      gradient); NaN otherwise;
    - ``saturated_fraction``: for activations with a saturation region
      (``Activation.saturated``: sigmoid below 0.01 or above 0.99,
      ``|tanh| > 0.99``), the fraction of the activation values in it, where
      the local gradient vanishes; NaN otherwise;
    - ``weight_norm``: ``||W||``;
    - ``grad_norm``: ``||dW||`` if ``gradients`` holds ``'<name>.W'``;
    - ``update_ratio``: ``||dW_step|| / ||W||`` if ``updates`` holds the
      update of ``'<name>.W'`` (the lecture's rule of thumb: about 1e-3).

    Parameters
    ----------
    network : sknet.network.Network
    X : {ndarray, sparse matrix} of shape (n_samples, n_features)
        Inputs in the network's dtype.
    gradients : dict, default=None
        ``'layer.key' -> gradient`` (keys of ``network.named_parameters()``).
    updates : dict, default=None
        ``'layer.key' -> update`` applied by one optimizer step.

    Returns
    -------
    records : list of dict
        Keys ``layer`` (index), ``name``, ``activation``, ``n_units``,
        ``mean``, ``std``, ``dead_fraction``, ``saturated_fraction``,
        ``weight_norm``, ``grad_norm``, ``update_ratio``.

    Examples
    --------
    >>> import numpy as np
    >>> from sknet.network_builder import build_network
    >>> from sknet.training import network_statistics
    >>> net = build_network(3, [4], 2, activation="relu", out_activation="softmax",
    ...                     random_state=np.random.RandomState(0), dtype=np.float64)
    >>> stats = network_statistics(net, np.random.RandomState(1).randn(50, 3))
    >>> [(s["name"], s["activation"]) for s in stats]
    [('dense0', 'relu'), ('dense1', 'output')]
    >>> 0 <= stats[0]["dead_fraction"] <= 1
    True
    """
    gradients = gradients or {}
    updates = updates or {}
    outputs = dict(network.layer_outputs(X))
    params = network.named_parameters()
    records = []
    for index, (dense, act_name, act) in enumerate(network.blocks()):
        if act is None:
            values, kind = outputs[dense], "output"
        else:
            values, kind = outputs[act_name], act.name
        values = np.asarray(values)
        dead = saturated = np.nan
        if act is not None and act.rectifier and values.size:
            dead = float(np.mean(~np.any(values > 0, axis=0)))
        elif act is not None and values.size and act.saturated(values) is not None:
            saturated = float(np.mean(act.saturated(values)))
        W = params[f"{dense}.W"]
        w_norm = _norm(W)
        grad = gradients.get(f"{dense}.W")
        update = updates.get(f"{dense}.W")
        records.append(
            {
                "layer": index,
                "name": dense,
                "activation": kind,
                "n_units": int(values.shape[1]) if values.ndim == 2 else 0,
                "mean": float(np.mean(values)) if values.size else np.nan,
                "std": float(np.std(values)) if values.size else np.nan,
                "dead_fraction": dead,
                "saturated_fraction": saturated,
                "weight_norm": w_norm,
                "grad_norm": np.nan if grad is None else _norm(grad),
                "update_ratio": (
                    np.nan if update is None or w_norm == 0 else _norm(update) / w_norm
                ),
            }
        )
    return records


class Telemetry:
    """Records :func:`network_statistics` and the training score after each epoch.

    Statistics are measured on at most ``TRACK_SAMPLES`` training rows, evenly
    spread (no random draw, so recording never changes the fit), with the
    gradients and the update of the epoch's last step.

    Parameters
    ----------
    network : sknet.network.Network
    X, target : ndarray
        The data and their encoded targets.
    rows : ndarray of int or None
        The training rows among them (None: all).
    score : callable
        ``score(X, target, sample_weight)``: the estimator's accuracy or R^2.
    history : dict of list
        Gets the keys 'layer_stats' and 'train_score'.
    """

    def __init__(self, network, X, target, rows, score, history):
        n = X.shape[0] if rows is None else rows.shape[0]
        picked = np.unique(np.linspace(0, n - 1, min(n, TRACK_SAMPLES)).astype(np.intp))
        if rows is not None:
            picked = rows[picked]
        self.network, self.X, self.target = network, X[picked], target[picked]
        self.score, self.history = score, history
        self.names = list(network.named_parameters())
        history.setdefault("layer_stats", [])
        history.setdefault("train_score", [])
        self._before = self._grads = self._updates = None

    def before_step(self):
        """Called before the epoch's last update: keep the weights and gradients."""
        self._before = [p.copy() for p in self.network.parameters()]
        self._grads = dict(zip(self.names, [g.copy() for g in self.network.gradients()]))

    def after_step(self):
        """Called after the epoch's last update: the update it made."""
        self._updates = {
            name: p - b
            for name, p, b in zip(self.names, self.network.parameters(), self._before)
        }

    def record(self):
        """Append this epoch's statistics and training score to the history."""
        with np.errstate(all="ignore"):
            self.history["layer_stats"].append(
                network_statistics(
                    self.network, self.X, gradients=self._grads, updates=self._updates
                )
            )
            self.history["train_score"].append(self.score(self.X, self.target, None))
        self._before = self._grads = self._updates = None
