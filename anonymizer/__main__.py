"""`python -m anonymizer ...`: see anonymizer.cli.

The package itself imports nothing heavy (see anonymizer/__init__.py), so Ctrl-C during start-up
lands here, while the engine is imported, and ends with one line instead of a traceback.
"""

import sys

try:
    from .cli import main
except KeyboardInterrupt:
    print("error: interrupted", file=sys.stderr)
    raise SystemExit(130) from None

raise SystemExit(main())
