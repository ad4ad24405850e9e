"""The ``sknet`` command: argument parsing, the recipe, the writers, exit codes.

``sknet recipe [DATA]`` runs :func:`sknet.recipe.run_recipe` on a data set
(one shipped with scikit-learn, a table file or an NPZ file), prints its
progress stage by stage and a report, and writes the report folder
(``report.json``, ``report.md``, ``report.html``, the figures and the fitted
pipeline ``model.joblib``). Every failure ends in one line on stderr: exit
status 2 for bad input, options or report folder, 130 for an interrupt, 1
for an internal error (``SKNET_TRACEBACK=1`` shows its traceback).
"""

import argparse
import math
import os
import shlex
import sys

from ._cluster import check_scheduler_options
from .recipe.config import DEFAULT_BUDGET_FITS, RecipeConfig
from .recipe.data import BUILTIN_DATASETS
from .recipe.errors import InputError

__all__ = ["main", "build_parser", "InputError"]

#: Exit status of usage and input errors (argparse uses the same).
EXIT_USAGE = 2
#: Exit status of an unexpected error (a bug: please report it).
EXIT_INTERNAL = 1
#: Exit status after Ctrl-C (128 + SIGINT), as shells report it.
EXIT_INTERRUPTED = 130


# --------------------------------------------------------------------------
# command line
# --------------------------------------------------------------------------


def _positive_int(text):
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}")
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}")
    return value


def _positive_float(text):
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive number, got {text!r}")
    if not (value > 0 and math.isfinite(value)):
        raise argparse.ArgumentTypeError(f"expected a positive number, got {text!r}")
    return value


def _fraction(text):
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number in (0, 1), got {text!r}")
    if not 0 < value < 1:
        raise argparse.ArgumentTypeError(f"expected a number in (0, 1), got {text!r}")
    return value


class _Parser(argparse.ArgumentParser):
    """An argument parser whose usage errors are one line, like every other."""

    def error(self, message):
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message} ({self.prog} --help lists the "
                              "options)\n")


def build_parser():
    """The argument parser of the ``sknet`` command."""
    from . import __version__

    parser = _Parser(
        prog="sknet",
        description="scikit-learn neural networks with the CS231n training recipe.",
    )
    parser.add_argument("--version", action="version", version=f"sknet {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    recipe = commands.add_parser(
        "recipe",
        help="run the lecture's training recipe on a data set and write a report",
        description=(
            "Split off a test set, preprocess, run the sanity checks (initial loss, "
            "overfit a tiny subset), the learning-rate finder and a coarse-to-fine "
            "random search within a budget, fit the final model, score it on the "
            "test set and write a report folder."
        ),
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    recipe.add_argument(
        "data",
        nargs="?",
        default="digits",
        help=(
            "a data set shipped with scikit-learn ("
            + ", ".join(BUILTIN_DATASETS)
            + "), a table (.csv, .tsv, .txt, .data, optionally .gz/.bz2/.xz/.zip/.zst; "
            ".parquet with pyarrow) or an .npz file"
        ),
    )
    recipe.add_argument(
        "--target",
        help=(
            "table: name of the target column (default: a column named 'target' or 'y'). "
            "NPZ: name of the target array (default 'y'; features in array 'X')"
        ),
    )
    recipe.add_argument(
        "--task",
        choices=["auto", "classification", "regression"],
        default="auto",
        help="auto: classification for labels (text, booleans, or at most 20 distinct "
        "whole numbers), regression otherwise",
    )
    recipe.add_argument(
        "--test-size", type=_fraction, default=0.2, help="fraction held out for the test"
    )
    recipe.add_argument(
        "--scaling",
        choices=["auto", "standard", "image"],
        default="auto",
        help=(
            "standard: (x - mean) / std per feature; image: subtract the mean image, "
            "divide by one global std; auto: let the search choose between the two"
        ),
    )
    recipe.add_argument(
        "--whiten", choices=["none", "pca", "zca"], default="none", help="whitening"
    )
    recipe.add_argument(
        "--scoring",
        choices=["auto", "accuracy", "balanced_accuracy", "r2"],
        default="auto",
        help="score of the search and the headline; auto: balanced_accuracy for "
        "imbalanced classes, accuracy for balanced ones, r2 for regression",
    )
    recipe.add_argument(
        "--budget-fits",
        type=_positive_int,
        default=None,
        help="model fits the search may run (candidates x folds); default "
        f"{DEFAULT_BUDGET_FITS} when no --budget-minutes is given",
    )
    recipe.add_argument(
        "--budget-minutes",
        type=_positive_float,
        default=None,
        help="wall-clock minutes of the whole run (the search is sized from a timed pilot fit)",
    )
    recipe.add_argument(
        "--max-width", type=_positive_int, default=512, help="widest hidden layer searched"
    )
    recipe.add_argument(
        "--max-depth", type=_positive_int, default=2, help="most hidden layers searched"
    )
    recipe.add_argument(
        "--max-iter", type=_positive_int, default=200, help="epochs of the final fits"
    )
    recipe.add_argument("--cv", type=_positive_int, default=3, help="folds of the search")
    recipe.add_argument(
        "--n-jobs", type=int, default=-1, help="parallel fits in the search (-1: all cores)"
    )
    recipe.add_argument(
        "--scheduler",
        metavar="ADDRESS",
        help="run the search on a dask cluster (tls://host:8786 with the --tls-* files; "
        "plain tcp:// is unencrypted and unauthenticated)",
    )
    for flag, what in (
        ("--tls-ca-file", "the certificate authority that signed the scheduler's certificate"),
        ("--tls-cert", "this client's certificate"),
        ("--tls-key", "this client's private key"),
    ):
        recipe.add_argument(flag, metavar="PEM", help=f"for a tls:// --scheduler: {what}")
    recipe.add_argument("--random-state", type=int, default=0, help="seed of everything")
    recipe.add_argument(
        "--output",
        default="sknet-report",
        help="report folder, written whole at the end (a folder sknet made is replaced)",
    )
    recipe.add_argument(
        "--overwrite",
        action="store_true",
        help="replace an existing non-empty --output folder that sknet did not make",
    )
    recipe.add_argument(
        "--no-figures", action="store_true", help="do not draw the figures"
    )
    recipe.add_argument(
        "--no-baselines",
        action="store_true",
        help="skip scikit-learn's MLP and gradient boosting on the same split",
    )
    recipe.add_argument("--quiet", action="store_true", help="print only the final report")
    return parser


# --------------------------------------------------------------------------
# entry point
# --------------------------------------------------------------------------


def _config(args):
    options = {name: getattr(args, name) for name in RecipeConfig.field_names()
               if hasattr(args, name)}
    return RecipeConfig(**options, baselines=not args.no_baselines, verbose=not args.quiet)


def _one_line(exc):
    return " ".join(str(exc).split()) or type(exc).__name__


def _cluster_failure(exc):
    """Errors of a dask cluster (a killed worker, a lost connection)."""
    return any(cls.__module__.split(".")[0] == "distributed" for cls in type(exc).__mro__) or (
        type(exc).__name__ in ("FutureCancelledError", "CancelledError", "KilledWorker")
    )


def main(argv=None):
    """Run the ``sknet`` command; returns the exit status.

    Parameters
    ----------
    argv : list of str, default=None
        The arguments (``sys.argv[1:]`` if None).

    Returns
    -------
    status : int
        0 on success; 2 for usage, data and report-folder errors; 130 when
        interrupted; 1 for an internal error. Each failure prints one line
        on stderr and no traceback (``SKNET_TRACEBACK=1`` shows the
        traceback of an internal error).
    """
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # --help, --version, usage errors
        return int(exc.code or 0)
    if args.command is None:
        parser.print_help(sys.stderr)
        return EXIT_USAGE
    command = " ".join(["sknet", *map(shlex.quote, argv)])
    try:
        tls = (args.tls_ca_file, args.tls_cert, args.tls_key)
        try:
            if args.scheduler is not None:
                check_scheduler_options(args.scheduler, *tls)
            elif any(tls):
                raise InputError("the --tls-* files apply to a tls:// --scheduler, and none "
                                 "is given.")
        except ValueError as exc:
            raise InputError(str(exc)) from exc
        from .recipe import run_recipe
        from .recipe.output import ReportFolder

        config = _config(args).validate()
        # an unusable --output is found now, not after the search
        ReportFolder(args.output, overwrite=args.overwrite).check()
        result = run_recipe(args.data, config=config, command=command)
        result.save(args.output, overwrite=args.overwrite, figures=not args.no_figures)
    except InputError as exc:
        print(f"sknet recipe: error: {_one_line(exc)}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("sknet recipe: interrupted; no report written", file=sys.stderr)
        return EXIT_INTERRUPTED
    except Exception as exc:  # noqa: BLE001 (the command never ends in a traceback)
        if os.environ.get("SKNET_TRACEBACK"):
            raise
        if _cluster_failure(exc):
            print(f"sknet recipe: error: the dask cluster failed ({type(exc).__name__}: "
                  f"{_one_line(exc)}); no report written", file=sys.stderr)
            return EXIT_USAGE
        print(f"sknet recipe: internal error: {type(exc).__name__}: {_one_line(exc)} "
              "(no report written; SKNET_TRACEBACK=1 shows the traceback, please report it)",
              file=sys.stderr)
        return EXIT_INTERNAL
    print(result.summary())
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
