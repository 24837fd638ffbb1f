"""``python -m repscope ...`` (and the ``repscope`` console script installed
with the package): the same command line as the Rust binary, run by the
compiled core, e.g. ``python -m repscope similarity reps.npz --plot cka.png``.
"""

from __future__ import annotations

import sys

from . import _repscope


def main() -> None:
    """Run the command line with this process's arguments and exit with its status."""
    sys.exit(_repscope.cli(["repscope", *sys.argv[1:]]))


if __name__ == "__main__":
    main()
