"""dlgrade: sandboxed, tamper-proof autograding for deep-learning courses on nbgrader."""

import sys

__version__ = "0.1.0"

# nbformat imports jsonschema in every dlgrade process; with rfc3987-syntax installed
# (jupyter-events pulls it in) jsonschema builds ~35 Earley parsers at import, about 2 s
# per process, for the "iri" formats that no notebook schema uses. Blocked here, jsonschema
# simply leaves those two formats unchecked.
sys.modules.setdefault("rfc3987_syntax", None)
