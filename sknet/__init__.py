"""sknet: scikit-learn neural networks with the CS231n training recipe."""

__version__ = "0.1.0"
