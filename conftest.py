"""pytest's collection settings for the whole project (doctests in sknet/ included)."""

import importlib.util

# sknet/onnx.py needs the `onnx` extra: without it, its doctest is not collected
# (tests/test_onnx.py skips itself).
collect_ignore = []
if not (importlib.util.find_spec("skl2onnx") and importlib.util.find_spec("onnxruntime")):
    collect_ignore.append("sknet/onnx.py")
