"""`python -m anonymizer ...`: see anonymizer.cli.

The package itself imports nothing heavy (see anonymizer/__init__.py), so Ctrl-C during start-up
lands here, while the engine is imported, and ends with one line instead of a traceback.

The cyclic garbage collector is off while the engine is imported: pandas, scikit-learn, SciPy and
LightGBM create a few hundred thousand objects that live as long as the process, and the collector
scanned them four times over during start-up (0.3-0.4 s of a one-shot run). They are then frozen
(`gc.freeze`), so later collections skip them too, and the collector is back on before any command runs.
"""

import gc
import sys

gc.disable()
try:
    from .cli import main
except KeyboardInterrupt:
    print("error: interrupted", file=sys.stderr)
    raise SystemExit(130) from None
finally:
    gc.freeze()
    gc.enable()

raise SystemExit(main())
