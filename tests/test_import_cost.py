"""``import amili_async`` loads none of the optional heavy libraries.

aiohttp (the ``[aiohttp]`` backend) and PyJWT with cryptography (``ApiCodeAuth``)
are imported when first used: together about 200 ms and 40 MB that a user of a
static key on the default backend would otherwise pay at every start.
"""

from __future__ import annotations

import json
import subprocess
import sys

LAZY = ("aiohttp", "httpx_aiohttp", "jwt", "cryptography")


def test_importing_the_sdk_loads_no_optional_heavy_library() -> None:
    program = (
        "import json, sys\n"
        "import amili_async\n"
        f"print(json.dumps([name for name in {LAZY!r} if name in sys.modules]))\n"
    )
    finished = subprocess.run(
        [sys.executable, "-c", program], capture_output=True, text=True, check=True, timeout=60
    )
    assert json.loads(finished.stdout) == []
