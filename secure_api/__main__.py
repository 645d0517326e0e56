"""``python -m secure_api``: the ``secure-api`` command."""

from __future__ import annotations

import sys

from secure_api.keys.cli import main

if __name__ == "__main__":
    sys.exit(main())
