"""``python -m skprune``: prune models on bundled data and print what changed."""

from ._demo import main

if __name__ == "__main__":
    main()
