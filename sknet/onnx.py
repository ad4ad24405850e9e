"""Export to ONNX: converters that teach skl2onnx sknet's estimators and transformers.

Importing this module registers converters for :class:`~sknet.MLPClassifier`,
:class:`~sknet.MLPRegressor`, :class:`~sknet.preprocessing.Centerer` and
:class:`~sknet.preprocessing.Whitening` with skl2onnx (``pip install
sknet-mlp[onnx]``); ``skl2onnx.to_onnx`` then converts them, alone or inside
a Pipeline::

    import sknet.onnx  # noqa: F401  (registers the converters)
    from skl2onnx import to_onnx
    onx = to_onnx(model, X[:1].astype(np.float32))

The network is written layer by layer from ``network_``: every activation of
:data:`sknet.layers.ACTIVATIONS` (PReLU with its learned slopes, maxout as a
reshape and a maximum, GELU through ``Erf``, SiLU as ``x sigmoid(x)``), batch
normalization folded into the affine layer before it with its running
statistics, dropout as the identity it is at prediction, and the output link
(softmax, sigmoid, identity, or Poisson's ``exp``). Classifiers output
``label`` and ``probabilities`` as skl2onnx's own converters do (multilabel
labels by thresholding at 0.5).
"""

import numpy as np
from skl2onnx import update_registered_converter
from skl2onnx.common.data_types import DoubleTensorType, FloatTensorType, guess_proto_type
from skl2onnx.common.shape_calculator import calculate_linear_classifier_output_shapes
from skl2onnx.proto import onnx_proto

from .layers import (
    ELU,
    GELU,
    BatchNorm,
    Dense,
    Dropout,
    Identity,
    LeakyReLU,
    Maxout,
    PReLU,
    ReLU,
    Sigmoid,
    SiLU,
    Tanh,
)
from .neural_network import MLPClassifier, MLPRegressor
from .preprocessing import Centerer, Whitening

__all__ = ["register"]


class _Graph:
    """Adds nodes and constants to skl2onnx's container, in one float type."""

    def __init__(self, scope, container, proto_dtype):
        self.scope, self.container, self.proto_dtype = scope, container, proto_dtype
        self.np_dtype = np.float64 if proto_dtype == onnx_proto.TensorProto.DOUBLE else np.float32

    def name(self, hint):
        return self.scope.get_unique_variable_name(hint)

    def const(self, values, hint="const", dtype=None):
        values = np.asarray(values, dtype=self.np_dtype if dtype is None else dtype)
        proto = self.proto_dtype if dtype is None else onnx_proto.TensorProto.INT64
        name = self.name(hint)
        self.container.add_initializer(name, proto, list(values.shape), values.ravel().tolist())
        return name

    def op(self, op_type, inputs, hint=None, output=None, domain="", **attrs):
        output = output or self.name(hint or op_type.lower())
        kw = {"op_domain": domain} if domain else {}
        self.container.add_node(
            op_type, inputs, output, name=self.scope.get_unique_operator_name(op_type), **kw,
            **attrs,
        )
        return output


def _proto_dtype(operator):
    dtype = guess_proto_type(operator.inputs[0].type)
    return dtype if dtype == onnx_proto.TensorProto.DOUBLE else onnx_proto.TensorProto.FLOAT


def _fold_batch_norm(W, b, bn):
    """The affine layer followed by batch norm at prediction, as one affine layer."""
    scale = bn.params["gamma"] / np.sqrt(bn.state["running_var"] + bn.epsilon)
    return W * scale, (b - bn.state["running_mean"]) * scale + bn.params["beta"]


def _activation(graph, layer, x):
    """The nodes of one activation layer applied to ``x``."""
    if isinstance(layer, ReLU):
        return graph.op("Relu", [x])
    if isinstance(layer, LeakyReLU):
        return graph.op("LeakyRelu", [x], alpha=float(layer.slope))
    if isinstance(layer, PReLU):
        return graph.op("PRelu", [x, graph.const(layer.params["slope"], "slope")])
    if isinstance(layer, ELU):
        return graph.op("Elu", [x], alpha=float(layer.alpha))
    if isinstance(layer, Sigmoid):
        return graph.op("Sigmoid", [x])
    if isinstance(layer, Tanh):
        return graph.op("Tanh", [x])
    if isinstance(layer, Identity):
        return x
    if isinstance(layer, GELU):  # x Phi(x) = x (1 + erf(x / sqrt 2)) / 2
        erf = graph.op("Erf", [graph.op("Mul", [x, graph.const(1 / np.sqrt(2.0))])])
        half = graph.op("Mul", [graph.op("Add", [erf, graph.const(1.0)]), graph.const(0.5)])
        return graph.op("Mul", [x, half])
    if isinstance(layer, SiLU):
        return graph.op("Mul", [x, graph.op("Sigmoid", [x])])
    if isinstance(layer, Maxout):  # (n, units * k) -> (n, units, k) -> max over k
        pieces = graph.op("Reshape", [x, graph.const([0, -1, layer.k], "shape", np.int64)])
        if graph.container.target_opset >= 18:
            axes = graph.const([2], "axes", np.int64)
            return graph.op("ReduceMax", [pieces, axes], keepdims=0)
        return graph.op("ReduceMax", [pieces], axes=[2], keepdims=0)
    raise NotImplementedError(f"No ONNX form for {type(layer).__name__}.")


def _network_scores(graph, network, x):
    """The network's output, link applied, for the input variable ``x``."""
    layers = [layer for _, layer in network.layers]
    i = 0
    while i < len(layers):
        layer = layers[i]
        if isinstance(layer, Dense):
            W, b = layer.params["W"], layer.params["b"]
            if i + 1 < len(layers) and isinstance(layers[i + 1], BatchNorm):
                W, b = _fold_batch_norm(W, b, layers[i + 1])
                i += 1
            x = graph.op("MatMul", [x, graph.const(W, "W")])
            x = graph.op("Add", [x, graph.const(b.reshape(1, -1), "b")])
        elif not isinstance(layer, Dropout):  # dropout is the identity at prediction
            x = _activation(graph, layer, x)
        i += 1
    link = network.loss.out_activation
    if link == "softmax":
        return graph.op("Softmax", [x], axis=1)
    if link == "logistic":
        return graph.op("Sigmoid", [x])
    if link == "exp":
        return graph.op("Exp", [x])
    return x


def _convert_classifier(scope, operator, container):
    est = operator.raw_operator
    graph = _Graph(scope, container, _proto_dtype(operator))
    x = graph.op("Cast", [operator.inputs[0].full_name], to=graph.proto_dtype)
    scores = _network_scores(graph, est.network_, x)
    label_out, proba_out = operator.outputs[0].full_name, operator.outputs[1].full_name
    if est._multilabel:
        graph.op("Identity", [scores], output=proba_out)
        binary = graph.op("Binarizer", [scores], domain="ai.onnx.ml", threshold=0.5)
        graph.op("Cast", [binary], output=label_out, to=onnx_proto.TensorProto.INT64)
        return
    if est._single_class:  # a column of ones, as predict_proba
        ones = graph.op("Add", [graph.op("Mul", [scores, graph.const(0.0)]), graph.const(1.0)])
        graph.op("Identity", [ones], output=proba_out)
    elif est.n_outputs_ == 1:  # one sigmoid column: p(classes_[1])
        negative = graph.op("Sub", [graph.const(1.0), scores])
        graph.op("Concat", [negative, scores], output=proba_out, axis=1)
    else:
        graph.op("Identity", [scores], output=proba_out)
    classes = est.classes_
    if np.issubdtype(classes.dtype, np.number) or classes.dtype == np.bool_:
        class_values, class_type = classes.astype(np.int64), onnx_proto.TensorProto.INT64
    else:
        class_values = np.array([str(c).encode("utf-8") for c in classes])
        class_type = onnx_proto.TensorProto.STRING
    classes_name = graph.name("classes")
    container.add_initializer(classes_name, class_type, list(class_values.shape),
                              class_values.tolist())
    best = graph.op("ArgMax", [proba_out], axis=1)
    picked = graph.op("ArrayFeatureExtractor", [classes_name, best], domain="ai.onnx.ml")
    graph.op("Reshape", [picked, graph.const([-1], "shape", np.int64)], output=label_out)


def _classifier_shapes(operator):
    calculate_linear_classifier_output_shapes(operator)
    est = operator.raw_operator
    if est._single_class:
        proba = operator.outputs[1]
        proba.type = proba.type.__class__([operator.inputs[0].get_first_dimension(), 1])


def _regressor_shapes(operator):
    est = operator.raw_operator
    input_type = operator.inputs[0].type
    tensor = DoubleTensorType if isinstance(input_type, DoubleTensorType) else FloatTensorType
    n = operator.inputs[0].get_first_dimension()
    operator.outputs[0].type = tensor([n, est.n_outputs_])


def _convert_regressor(scope, operator, container):
    est = operator.raw_operator
    graph = _Graph(scope, container, _proto_dtype(operator))
    x = graph.op("Cast", [operator.inputs[0].full_name], to=graph.proto_dtype)
    scores = _network_scores(graph, est.network_, x)
    graph.op("Identity", [scores], output=operator.outputs[0].full_name)


def _transformer_shapes(operator):
    est = operator.raw_operator
    input_type = operator.inputs[0].type
    tensor = DoubleTensorType if isinstance(input_type, DoubleTensorType) else FloatTensorType
    n = operator.inputs[0].get_first_dimension()
    width = est.whitening_.shape[1] if isinstance(est, Whitening) else est.n_features_in_
    operator.outputs[0].type = tensor([n, width])


def _convert_centerer(scope, operator, container):
    est = operator.raw_operator
    graph = _Graph(scope, container, _proto_dtype(operator))
    x = graph.op("Cast", [operator.inputs[0].full_name], to=graph.proto_dtype)
    out = graph.op("Sub", [x, graph.const(est._per_feature(est.mean_).reshape(1, -1), "mean")])
    if est.scale_ is not None:
        out = graph.op("Div", [out, graph.const(est._per_feature(est.scale_).reshape(1, -1))])
    graph.op("Identity", [out], output=operator.outputs[0].full_name)


def _convert_whitening(scope, operator, container):
    est = operator.raw_operator
    graph = _Graph(scope, container, _proto_dtype(operator))
    x = graph.op("Cast", [operator.inputs[0].full_name], to=graph.proto_dtype)
    if est.center:
        x = graph.op("Sub", [x, graph.const(est.mean_.reshape(1, -1), "mean")])
    graph.op("MatMul", [x, graph.const(est.whitening_, "whitening")],
             output=operator.outputs[0].full_name)


def register():
    """Register sknet's converters with skl2onnx (done when this module is imported).

    Examples
    --------
    >>> import numpy as np
    >>> import onnxruntime
    >>> from skl2onnx import to_onnx
    >>> import sknet.onnx
    >>> from sknet import MLPClassifier
    >>> X = np.random.RandomState(0).randn(40, 3).astype(np.float32)
    >>> clf = MLPClassifier((5,), activation="gelu", batch_norm=True, max_iter=5,
    ...                     random_state=0).fit(X, np.arange(40) % 3)
    >>> onx = to_onnx(clf, X[:1], options={"zipmap": False})
    >>> session = onnxruntime.InferenceSession(onx.SerializeToString())
    >>> label, proba = session.run(None, {"X": X})
    >>> bool(np.allclose(proba, clf.predict_proba(X), atol=1e-5))
    True
    """
    options = {"zipmap": [True, False, "columns"], "nocl": [True, False]}
    update_registered_converter(MLPClassifier, "SknetMLPClassifier", _classifier_shapes,
                                _convert_classifier, options=options)
    update_registered_converter(MLPRegressor, "SknetMLPRegressor", _regressor_shapes,
                                _convert_regressor)
    update_registered_converter(Centerer, "SknetCenterer", _transformer_shapes,
                                _convert_centerer)
    update_registered_converter(Whitening, "SknetWhitening", _transformer_shapes,
                                _convert_whitening)


register()
