"""Server-side drawing: a Vega-Lite specification to SVG through vl-convert (Deno + the same Vega
and Vega-Lite builds the page runs), offline."""

from __future__ import annotations

import copy
import json
from functools import lru_cache

from . import VEGA_LITE_VERSION


class ChartUnavailable(RuntimeError):
    """vl-convert-python is not installed (pyproject dependencies)."""


def render_svg(spec: dict, *, width: int = 640) -> str:
    """The SVG of ``spec`` (a ``"container"`` width becomes ``width`` px). No URL is fetched: the
    data must be inline (``allowed_base_urls=[]`` refuses any), and the text uses the system's
    fonts; numbers follow ``usermeta.formatLocale`` when the spec has one (as in the page). The
    same specification renders the same SVG: results are cached."""
    fixed = copy.deepcopy(spec)
    if fixed.get("width") == "container":
        fixed["width"] = width
    return _svg(json.dumps(fixed, sort_keys=True, default=str))


@lru_cache(maxsize=128)
def _svg(spec_json: str) -> str:
    converter = _converter()
    locale = (json.loads(spec_json).get("usermeta") or {}).get("formatLocale")
    # vl-convert keeps one JavaScript runtime per process, started by the first call (~0.7 s);
    # later calls take tens of milliseconds.
    return converter.vegalite_to_svg(
        spec_json,
        vl_version=VEGA_LITE_VERSION,
        allowed_base_urls=[],
        format_locale=locale,
    )


@lru_cache(maxsize=1)
def _converter():
    try:
        import vl_convert
    except ImportError as exc:
        raise ChartUnavailable(str(exc)) from None
    return vl_convert
