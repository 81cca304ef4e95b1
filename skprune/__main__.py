"""``python -m skprune``: prune models on bundled data and print what changed."""

import sys

from ._demo import main

if __name__ == "__main__":
    sys.exit(main())
