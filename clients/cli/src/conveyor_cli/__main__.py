"""``python -m conveyor_cli`` runs the ``conveyor`` command."""

from .main import main

main()
