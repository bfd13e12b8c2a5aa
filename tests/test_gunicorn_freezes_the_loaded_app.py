"""gunicorn's workers freeze what the app loaded out of the garbage collector's full collections
(``gunicorn.conf.py``'s ``post_worker_init``): a full collection scanned every loaded object, every
few requests (the analytics dashboard's slowest requests were those)."""

from __future__ import annotations

import gc
import runpy
from pathlib import Path

CONFIG = Path(__file__).resolve().parent.parent / "gunicorn.conf.py"


def test_a_worker_freezes_what_is_loaded_once_the_app_is_loaded():
    hooks = runpy.run_path(str(CONFIG))
    before = gc.get_freeze_count()
    try:
        hooks["post_worker_init"](None)
        assert gc.get_freeze_count() > before
    finally:
        gc.unfreeze()
