"""Progress lines of the recipe: ``[3/8] sanity checks`` ... ``(1.2 s)``."""

import sys
import time

__all__ = ["Progress"]


class Progress:
    """One line when a stage begins and one when it ends, with its time.

    Parameters
    ----------
    n_stages : int
        Stages of the run (the ``8`` of ``[3/8]``).
    verbose : bool, default=True
        Print; when False only the timings are recorded.
    stream : file-like, default=None
        Where to print (``sys.stdout`` when None, looked up at each line).
    """

    def __init__(self, n_stages, *, verbose=True, stream=None):
        self.n_stages = n_stages
        self.verbose = verbose
        self.stream = stream
        self.stage = 0
        self.timings = {}
        self._key = None
        self._start = None

    def begin(self, key, title):
        """Start stage ``key``, printing its number and ``title``."""
        self.stage += 1
        self._key = key
        self._start = time.perf_counter()
        self.say(f"[{self.stage}/{self.n_stages}] {title}")

    def end(self, summary=""):
        """End the current stage: its summary and wall time (seconds)."""
        seconds = time.perf_counter() - self._start
        self.timings[self._key] = round(seconds, 3)
        shown = f"{seconds:.1f} s" if seconds >= 1 else f"{seconds:.2f} s"
        self.say(f"      {summary}{'  ' if summary else ''}({shown})")

    def say(self, text):
        """Print one line (when verbose)."""
        if self.verbose:
            print(text, file=self.stream or sys.stdout, flush=True)
