"""RQ worker entry point: ``python worker.py`` (the same as ``ungebot worker``)."""
import sys

from bot.cli import main

if __name__ == "__main__":
    sys.argv = [sys.argv[0], "worker", *sys.argv[1:]]
    main()
