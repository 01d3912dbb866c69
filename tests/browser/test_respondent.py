"""A respondent in a real browser: keyboard only, resume after closing the browser, language switch.

The keyboard test drives the page with Tab, arrow keys, Space and Enter only (reading the DOM to
know where the focus is, never clicking). It also checks what a keyboard user relies on: the skip
link, a radio group is one tab stop, a visible focus ring (3:1 against the background), the focus
on the step heading after "Suivant" (RGAA 12.8, 12.9, 10.7, 7.5).
"""

from __future__ import annotations

import pytest

from tests.browser.pages import survey_categories
from tests.browser.site import CATEGORY_STEP, REVIEW_STEP

pytestmark = pytest.mark.browser

ACTIVE_JS = r"""
() => {
  const el = document.activeElement;
  if (!el || el === document.body) return {tag: "body"};
  const form = el.closest("form.step-form");
  const style = getComputedStyle(el);
  const rgb = s => (s.match(/[\d.]+/g) || []).slice(0, 4).map(Number);
  const lum = ([r, g, b]) => {
    const c = [r, g, b].map(v => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); });
    return 0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2];
  };
  let bg = [255, 255, 255];
  for (let n = el.parentElement; n; n = n.parentElement) {
    const c = rgb(getComputedStyle(n).backgroundColor);
    if (c.length >= 3 && (c.length < 4 || c[3] > 0)) { bg = c; break; }
  }
  const ring = rgb(style.outlineColor);
  const l1 = lum(ring), l2 = lum(bg);
  return {
    tag: el.tagName.toLowerCase(), type: el.type || "", name: el.name || "", id: el.id || "", value: el.value || "",
    inForm: !!form, checked: !!el.checked,
    primary: !!form && el.matches("button[type=submit]:not([name=wizard_goto_step])"),
    text: (el.textContent || "").trim().slice(0, 40),
    outline: style.outlineStyle, outlineWidth: parseFloat(style.outlineWidth) || 0,
    contrast: (Math.max(l1, l2) + 0.05) / (Math.min(l1, l2) + 0.05),
    min: el.min || "",
  };
}
"""


def _focus_problems(info: dict) -> list[str]:
    if info["tag"] == "body":
        return []
    where = f"{info['tag']}#{info['id'] or info['name'] or info['text']}"
    if info["outline"] in ("none", "") or info["outlineWidth"] < 2:
        return [f"no visible focus ring on {where} (outline {info['outline']} {info['outlineWidth']}px)"]
    if info["contrast"] < 3:
        return [f"focus ring on {where} has contrast {info['contrast']:.2f}:1 (< 3:1)"]
    return []


def keyboard_step(page, choose_category: str | None = None, all_boxes: bool = True, max_tabs: int = 250) -> list[str]:
    """Answer the step on screen with the keyboard and press Enter on its main button.

    Radio groups: Space selects the focused option, ArrowDown moves to (and selects) the next one;
    checkboxes: Space ticks every one (or the first of each group); texts and numbers are typed.
    Returns focus problems.
    """
    problems: list[str] = []
    groups_seen: set[str] = set()
    boxes_seen: set[str] = set()
    for _ in range(max_tabs):
        page.keyboard.press("Tab")
        info = page.evaluate(ACTIVE_JS)
        problems += _focus_problems(info)
        if info["primary"]:
            with page.expect_navigation():
                page.keyboard.press("Enter")
            return problems
        if not info["inForm"]:
            continue
        if info["type"] == "radio":
            if info["name"] in groups_seen:
                problems.append(f"radio group {info['name']} takes more than one tab stop")
                continue
            groups_seen.add(info["name"])
            if choose_category is not None:
                values = page.evaluate("n => Array.from(document.getElementsByName(n)).map(r => r.value)", info["name"])
                page.keyboard.press("Space")
                for _step in range(values.index(choose_category)):
                    page.keyboard.press("ArrowDown")
            else:
                page.keyboard.press("Space")
                page.keyboard.press("ArrowDown")
            checked = page.evaluate(
                "n => Array.from(document.getElementsByName(n)).filter(r => r.checked).map(r => r.value)", info["name"])
            if len(checked) != 1:
                problems.append(f"the keyboard did not select one option of {info['name']}: {checked}")
        elif info["type"] == "checkbox":
            if all_boxes or info["name"] not in boxes_seen:
                page.keyboard.press("Space")
            boxes_seen.add(info["name"])
        elif info["tag"] == "textarea":
            page.keyboard.type("Réponse au clavier")
        elif info["type"] == "number":
            page.keyboard.type(info["min"] or "1")
    raise AssertionError(f"{max_tabs} Tab presses never reached the main button: keyboard trap? ({page.url})")


@pytest.mark.parametrize("category", survey_categories())
def test_keyboard_only_completes_the_survey(site, category):
    """The first category ticks every box, so it walks every "if you used..." step; the others
    tick one box per question (a shorter walk through their own steps)."""
    from surveys.models import Response

    all_boxes = category == survey_categories()[0]
    page = site.page
    site.start()  # the open link: the category is asked first
    assert site.step() == CATEGORY_STEP
    # The skip link is the first tab stop and moves the focus to the content.
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.classList.contains('skip-link')"), "the skip link is not first"
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "contenu"
    problems = keyboard_step(page, choose_category=category)
    steps = [CATEGORY_STEP]
    while True:
        step = site.step()
        if step is None:
            break
        assert step not in steps or step == REVIEW_STEP, f"step {step!r} came back: the previous one failed"
        steps.append(step)
        assert page.evaluate("document.activeElement.id") == "step-heading", f"focus not on the heading of {step}"
        problems += keyboard_step(page, all_boxes=all_boxes)
        if step == REVIEW_STEP:
            break
    assert site.path().endswith("/merci/"), f"did not reach the thank-you page: {site.page.url}"
    assert not problems, "\n".join(problems)
    response = Response.objects.get()
    assert response.status == "complete" and response.category.code == category
    assert len(steps) >= 3, steps
    # Space ticked the boxes of every multiple-choice question: all of them were stored.
    for answer in response.answers.filter(question__type="multiple").select_related("question"):
        codes = list(answer.question.choices.order_by("order").values_list("code", flat=True))
        assert sorted(answer.codes) == sorted(codes if all_boxes else codes[:1]), answer.codes


def _checked(page) -> dict[str, list[str]]:
    return page.evaluate("""() => {
      const out = {};
      for (const el of document.querySelectorAll('form.step-form input:checked'))
        (out[el.name] = out[el.name] || []).push(el.value);
      return out;
    }""")


def _previous(site) -> None:
    with site.page.expect_navigation():
        site.page.locator("form.step-form button[name=wizard_goto_step]").click()


def test_resume_after_closing_the_browser(site):
    """Two steps answered, browser closed; a new browser resumes with the code at step 3, every
    earlier answer in place; the questionnaire ends as one response."""
    from surveys.models import Response

    category = survey_categories()[0]
    site.start(category)
    first = site.step()
    site.fill_step()
    answers_first = _checked(site.page)
    second = site.next_step()
    third = site.next_step()
    code = site.page.locator(".resume-box strong.code").inner_text().strip()
    resume_link = site.page.locator(".resume-box a").get_attribute("href")
    assert code and resume_link.endswith(f"/{code}/")

    site.new_context()  # the browser is closed: no cookie, no session
    site.goto("/s/reprise/")
    site.page.locator("#id_code").focus()
    site.page.keyboard.type(code)
    with site.page.expect_navigation():
        site.page.keyboard.press("Enter")
    assert site.step() == third, f"resumed at {site.step()!r}, expected the first unanswered step {third!r}"
    _previous(site)
    assert site.step() == second
    _previous(site)
    assert site.step() == first
    assert _checked(site.page) == answers_first, "the answers of the first step were not restored"

    while site.step() != REVIEW_STEP:
        site.next_step()
    site.submit()
    assert site.path().endswith("/merci/")
    assert Response.objects.filter(status="complete").count() == 1

    site.new_context()  # the resume link after sending: "already answered", not a new questionnaire
    site.goto(resume_link)
    assert "Déjà répondu" in site.page.locator("h1").inner_text()


def test_language_switch_mid_survey_keeps_progress(site):
    """Switching to English on step 2 keeps the step, the answers and the progress."""
    from surveys.models import Response, Section

    site.start(survey_categories()[0])
    first = site.step()
    site.fill_step()
    answers_first = _checked(site.page)
    second = site.next_step()
    progress_fr = site.page.locator("progress").get_attribute("value")
    with site.page.expect_navigation():
        site.page.locator("form.lang-form button[value=en]").click()
    assert site.page.locator("html").get_attribute("lang") == "en"
    assert site.step() == second
    assert site.page.locator("progress").get_attribute("value") == progress_fr
    section = Section.objects.get(survey=site.survey, code=second)
    assert section.title_en and site.page.locator("#step-heading").inner_text().strip() == section.title_en
    _previous(site)
    assert site.step() == first and _checked(site.page) == answers_first
    assert site.page.locator("html").get_attribute("lang") == "en"
    while site.step() != REVIEW_STEP:
        site.next_step()
    site.submit()
    assert Response.objects.get().language == "en"
    # The choice of language is the one cookie beyond sessionid/csrftoken (set by Django's
    # set_language view); it must at least die with the browser session.
    cookies = {c["name"]: c for c in site.context.cookies()}
    assert {c for c in cookies if not c.startswith("ecoute_resume_")} <= {"sessionid", "csrftoken", "django_language"}, \
        sorted(cookies)
    assert all(c["expires"] == -1 for name, c in cookies.items() if name.startswith("ecoute_resume_"))
    assert cookies["django_language"]["expires"] == -1, cookies["django_language"]
