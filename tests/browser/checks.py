"""The checks run on every rendered page: axe-core, our RGAA form checks, reflow, HTML validity.

Each check returns a list of problems as short strings (empty: the page passes), so one test can
report every problem of a page at once and the same functions serve the "can it fail?" tests.
"""

from __future__ import annotations

import json
import re
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parents[2]
VNU_JAR = BASE_DIR / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"

# WCAG 2.1 A and AA, the level RGAA 4.1.2 maps to.
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


# -- axe-core ------------------------------------------------------------------------------------
@dataclass
class AxeReport:
    version: str
    rules: set[str]                       # every rule axe ran (passed, failed, incomplete, inapplicable)
    violations: list[dict]
    incomplete: set[str] = field(default_factory=set)

    def problems(self) -> list[str]:
        out = []
        for v in self.violations:
            targets = "; ".join(", ".join(map(str, n["target"])) + " → " + (n.get("failureSummary") or "")
                                .replace("\n", " ") for n in v["nodes"][:5])
            out.append(f"[axe {v['id']}, {v['impact']}] {v['help']}: {targets}")
        return out


def run_axe(page) -> AxeReport:
    """axe-core as bundled by axe-playwright-python (injected through the DevTools protocol, so the
    page's CSP does not apply to it and nothing is fetched), restricted to the WCAG 2.1 A/AA tags."""
    from axe_playwright_python.sync_playwright import Axe

    page.evaluate(Axe().axe_script)
    result = page.evaluate(
        "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']})",
        AXE_TAGS,
    )
    rules = {r["id"] for key in ("violations", "passes", "incomplete", "inapplicable") for r in result[key]}
    return AxeReport(version=result["testEngine"]["version"], rules=rules, violations=result["violations"],
                     incomplete={r["id"] for r in result["incomplete"]})


# -- RGAA 11 (forms): what axe does not check ----------------------------------------------------
FORM_SCAN_JS = r"""
() => {
  const text = el => (el ? el.textContent.replace(/\s+/g, " ").trim() : "");
  const snippet = el => el.outerHTML.replace(/\s+/g, " ").slice(0, 140);
  const skip = ["hidden", "submit", "button", "reset", "image"];
  const controls = Array.from(document.querySelectorAll("input, select, textarea"))
    .filter(el => !skip.includes((el.getAttribute("type") || "").toLowerCase()));
  const problems = [];
  const labelText = {};
  for (const el of controls) {
    if (!el.id) { problems.push(`11.1 field without id (so without <label for>): ${snippet(el)}`); continue; }
    const labels = Array.from(document.querySelectorAll(`label[for="${CSS.escape(el.id)}"]`));
    if (labels.length !== 1) { problems.push(`11.1 #${el.id}: ${labels.length} <label for> instead of 1`); continue; }
    if (!text(labels[0])) problems.push(`11.2 #${el.id}: its label is empty`);
    labelText[el.id] = text(labels[0]);
  }
  // Radios and checkboxes sharing a name in one form are one group (RGAA 11.5): a group of two or
  // more must sit in one <fieldset> whose <legend> (first child) says what it asks.
  const groups = {};
  const forms = Array.from(document.forms);
  for (const el of controls) {
    if (el.type !== "radio" && el.type !== "checkbox") continue;
    const key = forms.indexOf(el.form) + ":" + el.name;
    (groups[key] = groups[key] || []).push(el);
  }
  const questions = {};
  for (const els of Object.values(groups)) {
    const name = els[0].name;
    if (els.length < 2 && !els[0].closest(".question")) continue;  // a lone checkbox is its own label
    const fs = els[0].closest("fieldset");
    if (!fs) { problems.push(`11.5 the ${els[0].type} group "${name}" is not in a <fieldset>`); continue; }
    if (els.some(e => e.closest("fieldset") !== fs)) problems.push(`11.5 the group "${name}" spans several fieldsets`);
    const legend = fs.firstElementChild && fs.firstElementChild.tagName === "LEGEND" ? fs.firstElementChild : null;
    if (!legend) { problems.push(`11.6 the fieldset of "${name}" has no <legend> as its first child`); continue; }
    if (!text(legend)) problems.push(`11.6 the legend of "${name}" is empty`);
    const q = fs.closest(".question");
    if (q) questions[q.id] = text(legend);
  }
  for (const q of document.querySelectorAll(".question")) {
    if (questions[q.id] !== undefined) continue;
    const label = q.querySelector("label[for]");
    questions[q.id] = label ? text(label) : "";
  }
  // Errors (RGAA 11.10, 11.11; WCAG 3.3.1).
  const invalid = Array.from(document.querySelectorAll('[aria-invalid="true"]'));
  const errors = [];
  for (const el of invalid) {
    const name = el.id || el.name || el.tagName;
    const ids = (el.getAttribute("aria-describedby") || "").split(/\s+/).filter(Boolean);
    if (!ids.length) { errors.push(`11.10 #${name} is aria-invalid without aria-describedby`); continue; }
    const missing = ids.filter(id => !document.getElementById(id));
    if (missing.length) errors.push(`11.10 #${name}: aria-describedby names missing ids ${missing.join(", ")}`);
    const messages = ids.map(id => document.getElementById(id))
      .filter(t => t && text(t) && (t.classList.contains("error-text") || t.closest(".error-summary")));
    if (!messages.length) errors.push(`11.10 #${name}: aria-describedby points to no error message`);
  }
  for (const msg of document.querySelectorAll(".error-text")) {
    if (!msg.id || !document.querySelector(`[aria-describedby~="${CSS.escape(msg.id)}"]`))
      errors.push(`11.10 the error message "${text(msg).slice(0, 60)}" is tied to no field (aria-describedby)`);
  }
  const summary = document.getElementById("error-summary");
  const links = summary ? Array.from(summary.querySelectorAll('a[href^="#"]')) : [];
  const brokenLinks = links.filter(a => !document.getElementById(decodeURIComponent(a.hash.slice(1))))
    .map(a => a.getAttribute("href"));
  return {
    problems, questions, labels: labelText, errors, invalidCount: invalid.length,
    summary: !!summary, summaryFocused: !!summary && document.activeElement === summary,
    summaryLinks: links.length, brokenLinks, title: document.title,
    activeId: document.activeElement ? document.activeElement.id : null,
    lang: document.documentElement.lang,
  };
}
"""


def form_problems(page, *, expect_error: bool, question_texts: dict[str, str] | None = None,
                  step_title: bool = False) -> list[str]:
    """RGAA 11.1/11.2/11.5/11.6 on every page; 11.10/11.11 (and focus, title) on failed forms.

    `question_texts` maps ``q-<CODE>`` to the question text in the page language: the legend (or
    the label) of each question must hold it.
    """
    scan = page.evaluate(FORM_SCAN_JS)
    problems = [f"[rgaa] {p}" for p in scan["problems"]]
    for qid, expected in (question_texts or {}).items():
        found = scan["questions"].get(qid)
        if found is None:
            continue  # hidden by a condition on this page
        if expected.strip() and expected.strip() not in found:
            problems.append(f"[rgaa 11.6] #{qid}: legend/label {found!r} does not hold the question {expected!r}")
    title = scan["title"]
    if expect_error:
        problems += [f"[rgaa] {p}" for p in scan["errors"]]
        if scan["invalidCount"] == 0:
            problems.append("[rgaa 11.10] failed form but no field has aria-invalid=\"true\"")
        if not scan["summary"]:
            problems.append("[rgaa 11.11] failed form without an error summary (#error-summary)")
        elif not scan["summaryFocused"]:
            problems.append(f"[rgaa 11.11] the error summary does not have the focus (focus on #{scan['activeId']})")
        if scan["brokenLinks"]:
            problems.append(f"[rgaa 11.11] error-summary links to missing ids: {scan['brokenLinks']}")
        if scan["lang"].startswith("fr") and not title.startswith("Erreur :"):
            problems.append(f"[rgaa 8.6] the <title> of a failed form does not start with 'Erreur :': {title!r}")
    else:
        if scan["invalidCount"]:
            problems.append(f"[rgaa] {scan['invalidCount']} field(s) aria-invalid on a page without error")
        if title.startswith(("Erreur", "Error")):
            problems.append(f"[rgaa 8.6] <title> says error on a page without error: {title!r}")
    if step_title and scan["lang"].startswith("fr") and not re.search(r"Étape \d+ sur \d+", title):
        problems.append(f"[rgaa 8.6] a questionnaire step's <title> does not say 'Étape n sur N': {title!r}")
    return problems


# -- reflow (RGAA 10.11, WCAG 1.4.10) -------------------------------------------------------------
OVERFLOW_JS = r"""
width => Array.from(document.querySelectorAll("body *"))
  .filter(el => el.getBoundingClientRect().right > width + 0.5 && el.getClientRects().length)
  .slice(0, 5).map(el => el.tagName.toLowerCase() + (el.id ? "#" + el.id : "") +
    (el.className && typeof el.className === "string" ? "." + el.className.trim().split(/\s+/).join(".") : ""))
"""


def reflow_problems(page, width: int = 320) -> tuple[int, list[str]]:
    """Resize to `width` CSS px: no horizontal scroll (scrollWidth <= width). Restores the size."""
    before = page.viewport_size
    page.set_viewport_size({"width": width, "height": 800})
    try:
        scroll_width = page.evaluate("document.documentElement.scrollWidth")
        problems = []
        if scroll_width > width:
            culprits = page.evaluate(OVERFLOW_JS, width)
            problems.append(f"[reflow] at {width} px the page is {scroll_width} px wide; widest: {culprits}")
        return scroll_width, problems
    finally:
        page.set_viewport_size(before)


# -- Nu HTML Checker ----------------------------------------------------------------------------
def run_vnu(paths: list[Path]) -> tuple[str, dict[str, list[str]]]:
    """Validate files with vnu.jar in one JVM: (vnu version, {file name: [errors]})."""
    proc = subprocess.run(
        ["java", "-jar", str(VNU_JAR), "--errors-only", "--format", "json", *map(str, paths)],
        capture_output=True, text=True, timeout=300,
    )
    raw = proc.stderr.strip() or proc.stdout.strip()
    try:
        report = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise AssertionError(f"vnu.jar did not answer JSON (exit {proc.returncode}): {raw[:2000]}") from exc
    errors: dict[str, list[str]] = {}
    for msg in report.get("messages", []):
        name = Path(msg.get("url", "").removeprefix("file:")).name
        where = f"line {msg.get('lastLine', '?')}"
        errors.setdefault(name, []).append(
            f"[vnu {msg.get('type')}] {where}: {msg.get('message')} — {msg.get('extract', '').strip()[:120]!r}")
    if proc.returncode not in (0, 1):
        raise AssertionError(f"vnu.jar failed (exit {proc.returncode}): {raw[:2000]}")
    return report.get("version", "?"), errors
