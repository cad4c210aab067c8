"""``python -m sim.cli``: the relsim command line."""

from . import main

main()
