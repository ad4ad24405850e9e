"""The network object: an ordered list of named layers and an output loss.

:class:`Network` owns the forward and backward passes, lists its learnable
arrays and their gradients in one fixed order, and exposes each layer's
output for diagnostics. The estimators in :mod:`sknet.neural_network` build
one with :func:`sknet.network_builder.build_network` and train it with an optimizer; nothing here
knows about scikit-learn's estimator contract.
"""

import numpy as np

from . import _blocks
from .layers import BatchNorm, Dense, Dropout, ReLU
from .ops import all_finite

__all__ = ["Network"]


class Network:
    """A feed-forward network: named layers followed by an output loss.

    Parameters
    ----------
    layers : list of (str, Layer)
        Layers in forward order, each with a unique name.
    loss : callable
        One of the losses of :mod:`sknet.losses`; its ``link`` maps the last
        layer's raw scores to predictions.

    Examples
    --------
    >>> import numpy as np
    >>> from sknet.network_builder import build_network
    >>> net = build_network(
    ...     4, [5], 3, activation="relu", out_activation="softmax",
    ...     random_state=np.random.RandomState(0), dtype=np.float64)
    >>> net
    Network(dense0=Dense(4, 5), relu0=ReLU(), dense1=Dense(5, 3), loss=softmax)
    >>> net.predict(np.ones((2, 4))).shape
    (2, 3)
    >>> sorted(net.named_parameters())
    ['dense0.W', 'dense0.b', 'dense1.W', 'dense1.b']
    """

    def __init__(self, layers, loss):
        self.layers = list(layers)
        self.loss = loss
        self._flatten()
        self._steps = _fused_steps(self.layers)

    def _flatten(self):
        """Make every learnable array, and its gradient, a view into one flat buffer.

        An update rule then runs a dozen array operations over one vector per
        step instead of a dozen per array, which is most of the per-batch
        Python overhead of a small network.
        """
        entries = [
            (layer, key, array)
            for _, layer in self.layers
            for key, array in layer.params.items()
        ]
        dtypes = {array.dtype for _, _, array in entries}
        if len(dtypes) > 1:
            raise ValueError(f"All parameters must share one dtype, got {sorted(map(str, dtypes))}.")
        dtype = dtypes.pop() if dtypes else np.float64
        total = sum(array.size for _, _, array in entries)
        self.flat_params = np.empty(total, dtype=dtype)
        self.flat_grads = np.zeros(total, dtype=dtype)
        offset = 0
        for layer, key, array in entries:
            stop = offset + array.size
            view = self.flat_params[offset:stop].reshape(array.shape)
            view[...] = array
            layer.params[key] = view
            layer.grads[key] = self.flat_grads[offset:stop].reshape(array.shape)
            offset = stop

    def __getstate__(self):
        state = self.__dict__.copy()
        # The per-layer arrays carry the values; the flat views are rebuilt.
        del state["flat_params"], state["flat_grads"]
        state.pop("_steps", None)
        return state

    def __setstate__(self, state):
        self.__dict__.update(state)
        self._flatten()
        self._steps = _fused_steps(self.layers)

    # -- passes ---------------------------------------------------------
    def forward(self, X, *, training=False, sample_weight=None):
        """Raw output scores for ``X`` (before the output link).

        In training mode every layer caches what its backward pass needs,
        batch normalization uses (and updates) batch statistics, and dropout
        draws a mask.

        Parameters
        ----------
        X : {ndarray, sparse matrix} of shape (n_samples, n_features)
        training : bool, default=False
        sample_weight : ndarray of shape (n_samples,), default=None
            Weights of the batch-norm statistics.

        Returns
        -------
        Z : ndarray of shape (n_samples, n_outputs)
        """
        return _run_steps(self._steps, X, training=training, sample_weight=sample_weight)

    def backward(self, dZ):
        """Backpropagate through every layer of the last training :meth:`forward`.

        Parameters
        ----------
        dZ : ndarray of shape (n_samples, n_outputs)
            Gradient of the loss with respect to the raw scores.

        Returns
        -------
        dX : ndarray of shape (n_samples, n_features) or None
            None: the first layer skips the input gradient.
        """
        for layer, _ in reversed(self._steps):
            dZ = layer.backward(dZ)
        return dZ

    def predict(self, X, *, check=None):
        """Predictions (probabilities or means) in evaluation mode.

        The rows go through the network in blocks of :meth:`block_rows`, so
        the memory used beyond ``X`` and the result is one block's activations
        (about ``BLOCK_BYTES`` of ``sknet/_blocks.py``), whatever the network. Each block is cast
        to the parameters' dtype on its own.

        Parameters
        ----------
        X : {ndarray, sparse matrix} of shape (n_samples, n_features)
        check : callable, default=None
            Called on a block of ``X`` (before the cast) whose first affine
            output is not finite (see :meth:`_eval_forward`); the estimators
            pass scikit-learn's finiteness check, so non-finite input gets
            its error and message without a pass over every block of ``X``.
            What it raises propagates.

        Returns
        -------
        predictions : ndarray of shape (n_samples, n_outputs)
            In the dtype of the parameters.
        """
        X = _blocks.row_sliceable(X)
        blocks = self.row_blocks(X.shape[0])
        if len(blocks) == 1:  # the forward pass's fresh output takes the predictions
            Z = self._eval_forward(X, check)
            return self.loss.link(Z, out=Z)
        out = np.empty((X.shape[0], self.n_outputs), dtype=self.flat_params.dtype)
        for rows in blocks:
            self.loss.link(self._eval_forward(X[rows], check), out=out[rows])
        return out

    def _eval_forward(self, block, check):
        """Raw scores of one block in evaluation mode; ``check(block)`` when needed.

        Non-finite input makes the first affine output non-finite: NaN or an
        infinity times any weight, zero included, is NaN or infinite, and so
        is a sum with one (IEEE 754). numpy's BLAS and scipy's sparse product
        compute every term; a BLAS that skipped zero weights could miss only
        a feature whose weights are all exactly zero, which cannot change the
        prediction. So ``check`` runs on the block only when that output, in
        cache and a third of the bytes of a 784-wide input at 256 units, is
        not finite. After the activation it would be too late: ReLU turns
        -inf into 0, tanh turns +inf into 1.
        """
        (first, _), *rest = self._steps
        if check is None or not isinstance(first, Dense):
            if check is not None:
                check(block)  # no affine layer first (never so from build_network)
            return self.forward(self._cast(block))
        H = first.forward(self._cast(block))
        if not all_finite(H):
            check(block)  # finite input that overflows goes on: the output is checked
        return _run_steps(rest, H)

    @property
    def n_outputs(self):
        """Width of the raw scores (the last affine layer's units)."""
        return self.weight_layers()[-1].params["W"].shape[1]

    def block_rows(self, n_rows):
        """Rows per block of the evaluation passes (:meth:`predict` and others).

        As many rows as keep one block's activations, and its input cast to
        the parameters' dtype, within ``BLOCK_BYTES`` of ``sknet/_blocks.py``; at least
        ``MIN_BLOCK_ROWS`` so the matrix products stay efficient.

        Parameters
        ----------
        n_rows : int

        Returns
        -------
        rows : int
            Between 1 and ``max(n_rows, 1)``.
        """
        widths = [layer.params["W"].shape for layer in self.weight_layers()]
        # Per row: the input, each affine output, and as much again for the
        # layers that cannot work in place (maxout, a sparse first product).
        values = widths[0][0] + 2 * sum(n_out for _, n_out in widths)
        return _blocks.rows_per_block(values * self.flat_params.dtype.itemsize, n_rows)

    def row_blocks(self, n_rows):
        """Slices of ``range(n_rows)`` in blocks of :meth:`block_rows` rows.

        Parameters
        ----------
        n_rows : int

        Returns
        -------
        list of slice
            Empty for zero rows.
        """
        return _blocks.row_slices(n_rows, self.block_rows(n_rows))

    def _block(self, X, rows):
        """Rows ``rows`` of ``X`` in the parameters' dtype."""
        return self._cast(X[rows])

    def _cast(self, block):
        dtype = self.flat_params.dtype
        return block if block.dtype == dtype else block.astype(dtype)

    def loss_and_gradients(self, X, target, *, sample_weight=None, alpha=0.0):
        """Loss of one batch with the L2 penalty; assigns every layer's ``grads``.

        The penalty is ``alpha / 2 * sum ||W||^2 / n`` (``n`` the sum of the
        sample weights, or the batch size), on weights only, as in
        scikit-learn's MLP.

        Parameters
        ----------
        X : {ndarray, sparse matrix} of shape (n_samples, n_features)
        target : ndarray
            Encoded targets (see :func:`sknet.training.encode_target`).
        sample_weight : ndarray of shape (n_samples,), default=None
        alpha : float, default=0.0
            L2 penalty.

        Returns
        -------
        loss : float
        """
        Z = self.forward(X, training=True, sample_weight=sample_weight)
        value, dZ = self.loss(Z, target, sample_weight)
        self.backward(dZ)
        if alpha:
            value += self._add_penalty(X, sample_weight, alpha)
        return value

    def _add_penalty(self, X, sample_weight, alpha):
        """Add the L2 penalty's gradient to the weights' gradients; return its value."""
        scale = self._penalty_scale(X, sample_weight, alpha)
        for layer in self.weight_layers():
            W = layer.params["W"]
            layer.grads["W"] += W.dtype.type(scale) * W
        return self._penalty(scale)

    def evaluate_loss(self, X, target, *, sample_weight=None, alpha=0.0):
        """Loss of ``X`` in evaluation mode (running statistics, no dropout).

        Computed in the row blocks of :meth:`predict` (so with memory for one
        block's activations), each block's mean weighted by its share of the
        rows (or of the sample weights).

        Parameters
        ----------
        X : {ndarray, sparse matrix} of shape (n_samples, n_features)
        target : ndarray
            Encoded targets.
        sample_weight : ndarray of shape (n_samples,), default=None
        alpha : float, default=0.0
            L2 penalty, scaled as in :meth:`loss_and_gradients`.

        Returns
        -------
        loss : float
        """
        X = _blocks.row_sliceable(X)
        value = 0.0
        for rows, share in self._block_shares(X.shape[0], sample_weight):
            sw = None if sample_weight is None else sample_weight[rows]
            block_value, _ = self.loss(self.forward(self._block(X, rows)), target[rows], sw)
            value += share * block_value
        if alpha:
            value += self._penalty(self._penalty_scale(X, sample_weight, alpha))
        return value

    def full_batch_loss_and_gradients(self, X, target, *, sample_weight=None, alpha=0.0):
        """:meth:`loss_and_gradients` of the whole data set, in row blocks.

        The loss and the gradient are means over rows, so they are the
        share-weighted sums of the blocks' (the shares of :meth:`evaluate_loss`):
        the memory used is one block's activations and one gradient vector,
        not the whole data set's activations. A network with batch
        normalization runs as one block, because its statistics are those of
        the whole batch.

        Parameters
        ----------
        X : {ndarray, sparse matrix} of shape (n_samples, n_features)
        target : ndarray
            Encoded targets.
        sample_weight : ndarray of shape (n_samples,), default=None
        alpha : float, default=0.0
            L2 penalty, scaled as in :meth:`loss_and_gradients`.

        Returns
        -------
        loss : float
            With :attr:`flat_grads` holding its gradient.
        """
        X = _blocks.row_sliceable(X)
        blocks = self._block_shares(X.shape[0], sample_weight)
        if self.has_batch_norm or len(blocks) <= 1:
            return self.loss_and_gradients(X, target, sample_weight=sample_weight, alpha=alpha)
        value = 0.0
        total = np.zeros_like(self.flat_grads)
        for rows, share in blocks:
            sw = None if sample_weight is None else sample_weight[rows]
            value += share * self.loss_and_gradients(X[rows], target[rows], sample_weight=sw)
            total += self.flat_grads.dtype.type(share) * self.flat_grads
        self.flat_grads[...] = total
        self.clear_cache()
        if alpha:
            value += self._add_penalty(X, sample_weight, alpha)
        return value

    def _block_shares(self, n_rows, sample_weight):
        """``(rows, share)`` of each row block carrying weight; shares sum to one."""
        return _blocks.block_shares(self.row_blocks(n_rows), n_rows, sample_weight)

    @staticmethod
    def _penalty_scale(X, sample_weight, alpha):
        """``alpha / n``, with ``n`` the batch size or the sum of the sample weights."""
        n = X.shape[0] if sample_weight is None else float(np.sum(sample_weight))
        return alpha / n

    def _penalty(self, scale):
        """``scale / 2 * sum ||W||^2`` over the affine layers' weights."""
        return 0.5 * scale * sum(float(np.dot(W.ravel(), W.ravel())) for W in self.coefs)

    # -- parameters -----------------------------------------------------
    def named_parameters(self):
        """Dict ``'layer.key' -> array`` of every learnable array, in a fixed order."""
        return {
            f"{name}.{key}": array
            for name, layer in self.layers
            for key, array in layer.params.items()
        }

    def parameters(self):
        """Learnable arrays as a list (the order of :meth:`named_parameters`).

        Each is a view into :attr:`flat_params`, as each gradient is into
        :attr:`flat_grads`; update rules may step the flat vectors directly.
        """
        return [a for _, layer in self.layers for a in layer.params.values()]

    def gradients(self):
        """Gradients of the last backward pass, aligned with :meth:`parameters`."""
        return [layer.grads[key] for _, layer in self.layers for key in layer.params]

    def named_state(self):
        """Dict ``'layer.key' -> array`` of non-learnable buffers (running statistics)."""
        return {
            f"{name}.{key}": array
            for name, layer in self.layers
            for key, array in layer.state.items()
        }

    def settings(self):
        """Each layer's settings (see :attr:`sknet.layers.Layer.settings`).

        Returns
        -------
        settings : dict
            ``layer name -> {attribute: value}``, for the layers that have any,
            and ``'loss'`` for the loss's (label smoothing).
        """
        settings = {
            name: {key: getattr(layer, key) for key in layer.settings}
            for name, layer in self.layers
            if layer.settings
        }
        if self.loss.settings:
            settings["loss"] = {key: getattr(self.loss, key) for key in self.loss.settings}
        return settings

    def apply_settings(self, settings):
        """Set layer settings, as :meth:`settings` returns them.

        Parameters
        ----------
        settings : dict
            ``layer name -> {attribute: value}``; layers not named keep theirs.
        """
        owners = {**dict(self.layers), "loss": self.loss}
        for name, values in settings.items():
            for key, value in values.items():
                setattr(owners[name], key, value)

    def blocks(self):
        """The network's blocks, one per affine layer, in forward order.

        A hidden block is ``Dense -> [BatchNorm] -> activation -> [Dropout]``;
        the output block is a lone ``Dense`` whose scores feed the loss.

        Returns
        -------
        blocks : list of tuple
            ``(dense_name, activation_name, activation_layer)``; the last two
            are None for the output block.
        """
        blocks = []
        for name, layer in self.layers:
            if isinstance(layer, Dense):
                blocks.append([name, None, None])
            elif isinstance(layer, (BatchNorm, Dropout)):
                continue
            elif blocks and blocks[-1][1] is None:
                blocks[-1][1], blocks[-1][2] = name, layer
        return [tuple(block) for block in blocks]

    def weight_mask(self):
        """1 where :attr:`flat_params` holds an affine layer's weight, 0 elsewhere.

        Returns
        -------
        mask : ndarray of the shape and dtype of :attr:`flat_params`
            What weight decay shrinks (not biases, batch norm or PReLU slopes).
        """
        mask = np.zeros_like(self.flat_params)
        offset = 0  # the order of _flatten
        for _, layer in self.layers:
            for key, array in layer.params.items():
                if layer.has_weights and key == "W":
                    mask[offset : offset + array.size] = 1
                offset += array.size
        return mask

    @property
    def has_batch_norm(self):
        """Whether any layer is a :class:`~sknet.layers.BatchNorm`."""
        return any(isinstance(layer, BatchNorm) for _, layer in self.layers)

    def weight_layers(self):
        """The affine layers, in order (their ``W`` takes the L2 penalty)."""
        return [layer for _, layer in self.layers if layer.has_weights]

    @property
    def coefs(self):
        """Weight matrices of the affine layers (scikit-learn's ``coefs_``)."""
        return [layer.params["W"] for layer in self.weight_layers()]

    @property
    def intercepts(self):
        """Bias vectors of the affine layers (scikit-learn's ``intercepts_``)."""
        return [layer.params["b"] for layer in self.weight_layers()]

    # -- inspection -----------------------------------------------------
    def layer_outputs(self, X, *, training=False):
        """Output of every layer for ``X``, as a list of ``(name, array)``.

        With ``training=False`` (the default) nothing is cached or updated,
        and the rows go through in the blocks of :meth:`predict`, so the
        memory used beyond the outputs themselves is one block's.

        Parameters
        ----------
        X : {ndarray, sparse matrix} of shape (n_samples, n_features)
        training : bool, default=False
            Training mode runs the whole batch at once (batch normalization
            then uses, and updates, that batch's statistics).

        Returns
        -------
        outputs : list of (str, ndarray)
            Copies, each of shape (n_samples, layer width).
        """
        X = _blocks.row_sliceable(X)
        n_rows = X.shape[0]
        blocks = [slice(0, n_rows)] if training else self.row_blocks(n_rows) or [slice(0, 0)]
        outputs = []
        for k, rows in enumerate(blocks):
            H = X[rows] if training else self._block(X, rows)
            for i, (name, layer) in enumerate(self.layers):
                H = layer.forward(H, training=training)
                if k == 0:
                    outputs.append((name, np.empty((n_rows,) + H.shape[1:], H.dtype)))
                # Copied: an in-place activation would overwrite the stored output.
                outputs[i][1][rows] = H
        return outputs

    def recompute_running_stats(self, X, *, sample_weight=None):
        """Set every batch-norm layer's running statistics to those of ``X``.

        Used after full-batch training (L-BFGS), where the statistics of the
        whole training set are the right ones for prediction.

        Parameters
        ----------
        X : {ndarray, sparse matrix} of shape (n_samples, n_features)
        sample_weight : ndarray of shape (n_samples,), default=None
        """
        for _, layer in self.layers:
            if isinstance(layer, BatchNorm):
                momentum, layer.momentum = layer.momentum, 0.0
                try:
                    X = layer.forward(X, training=True, sample_weight=sample_weight)
                finally:
                    layer.momentum = momentum
            else:
                X = layer.forward(X, training=False)
        self.clear_cache()

    def clear_cache(self):
        """Release the arrays cached by the last training forward pass."""
        for _, layer in self.layers:
            layer.clear_cache()

    def __repr__(self):
        inner = ", ".join(f"{name}={layer!r}" for name, layer in self.layers)
        return f"Network({inner}, loss={self.loss.out_activation})"


def _fused_steps(layers):
    """The layers as the passes (training and prediction) run them: ``(layer, relu)`` pairs.

    A :class:`~sknet.layers.BatchNorm` directly followed by a
    :class:`~sknet.layers.ReLU` becomes one step with ``relu=True``: the batch
    norm rectifies its own output and takes the ReLU's gradient (see its
    Notes), bitwise as the two layers would, and the ReLU is skipped.
    """
    steps = []
    for _, layer in layers:
        after_batch_norm = steps and isinstance(steps[-1][0], BatchNorm) and not steps[-1][1]
        if type(layer) is ReLU and after_batch_norm:
            steps[-1] = (steps[-1][0], True)
        else:
            steps.append((layer, False))
    return steps


def _run_steps(steps, X, *, training=False, sample_weight=None):
    """``X`` through the ``(layer, relu)`` steps of :func:`_fused_steps`, in order."""
    for layer, relu in steps:
        if relu:
            X = layer.forward(X, training=training, sample_weight=sample_weight, relu=True)
        else:
            X = layer.forward(X, training=training, sample_weight=sample_weight)
    return X
