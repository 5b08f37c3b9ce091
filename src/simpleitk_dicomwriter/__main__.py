"""``python -m simpleitk_dicomwriter``: the ``dicomwriter`` command line."""

from .cli import main

raise SystemExit(main())
