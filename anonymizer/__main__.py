"""`python -m anonymizer ...`: see anonymizer.cli."""

from .cli import main

raise SystemExit(main())
