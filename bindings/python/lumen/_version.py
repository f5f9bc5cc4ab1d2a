"""The version of a built lumen-explain.

``None`` in a source checkout, where :mod:`lumen` reads Cargo.toml's workspace version
instead; ``setup.py`` replaces this module in the wheel with the version it was built at.
"""

from typing import Optional

BUILT_VERSION: Optional[str] = None
