"""``python -m reportgen``: the same CLI as the ``reportgen`` command (where no script is installed)."""

from reportgen.cli import main

main()
