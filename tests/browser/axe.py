"""axe-core in the browser tests: the engine comes from a registry package, never from the network.

``axe-playwright-python`` (PyPI, MIT) ships axe-core's ``axe.min.js`` (MPL-2.0, Deque Systems);
we only take the file from it and run axe ourselves, so the options and the report are ours.
Injected with ``page.evaluate`` (the DevTools protocol, which the pages' CSP does not apply to).
"""

from __future__ import annotations

from axe_playwright_python.base import AXE_SCRIPT

#: What fails a page: WCAG A/AA problems and the best practices axe rates serious or critical.
FAILING = ("serious", "critical")

#: axe's default rule set, plus the "label in name" check (WCAG 2.5.3, still marked experimental
#: in axe 4.x): a control whose accessible name does not contain its visible words cannot be
#: driven by voice ("click Alpha Foods" must find the organization switcher).
OPTIONS = {
    "rules": {"label-content-name-mismatch": {"enabled": True}},
    "resultTypes": ["violations"],
}


#: Findings that are not problems, by rule: elements matching the selector are left out.
#: - label-content-name-mismatch on FullCalendar's day cells: each cell (role gridcell) is named
#:   by its date (aria-labelledby its day-number link), and the rule, still experimental, then
#:   counts the posts drawn inside the cell as the cell's "visible label". They are its content;
#:   the posts and the day link are each reachable by their own names.
NOT_PROBLEMS = {
    "label-content-name-mismatch": ".fc td[role=gridcell][aria-labelledby]",
}

_RUN = """([context, options, notProblems]) => axe.run(context || document, options).then(r =>
  r.violations.map(v => {
    const skip = notProblems[v.id];
    if (!skip) { return v; }
    const nodes = v.nodes.filter(n => {
      const el = typeof n.target[0] === "string" ? document.querySelector(n.target[0]) : null;
      return !(el && el.matches(skip));
    });
    return Object.assign({}, v, { nodes: nodes });
  }).filter(v => v.nodes.length))"""


def run_axe(pg, *, context: dict | None = None) -> list[dict]:
    """axe's violations on the page as it is now (each with id, impact, help and nodes)."""
    if not pg.evaluate("typeof window.axe === 'object'"):
        pg.evaluate(AXE_SCRIPT)
    return pg.evaluate(_RUN, [context, OPTIONS, NOT_PROBLEMS])


def serious(violations: list[dict]) -> list[dict]:
    return [v for v in violations if v.get("impact") in FAILING]


def describe(violations: list[dict], where: str = "") -> str:
    """One actionable paragraph per violation: rule, impact, what it means, where (selectors)."""
    lines = []
    for v in violations:
        lines.append(f"{where}{v['id']} ({v['impact']}): {v['help']} <{v.get('helpUrl', '')}>")
        for node in v["nodes"][:8]:
            target = " ".join(str(t) for t in node["target"])
            summary = (node.get("failureSummary") or "").replace("\n", " ").strip()
            lines.append(f"    {target}: {summary[:300]}")
        if len(v["nodes"]) > 8:
            lines.append(f"    … and {len(v['nodes']) - 8} more elements")
    return "\n".join(lines)
