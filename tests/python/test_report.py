"""`robosim report` pages in a real browser: headless Chromium (Debian's package), driven by
Playwright as a person would use the page — the plots are drawn, the numbers on the page are
the run's own summary, filtering and opening a failure work with the keyboard, and the text
is readable. The pages are made from the shipped data (data/, and tests/fixtures/report: an
eval of a scripted model twice and a pipeline run, written by tests/all/report.rs).
Screenshots go to target/report-screenshots."""

import json
import os
import pathlib
import shutil
import subprocess

import pytest
from playwright.sync_api import expect, sync_playwright

from conftest import BINARY, ROOT

FIXTURES = ROOT / "tests" / "fixtures" / "report"
SCREENSHOTS = pathlib.Path(os.environ.get("CARGO_TARGET_DIR") or ROOT / "target") / "report-screenshots"


def chromium() -> str:
    path = os.environ.get("ROBOSIM_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
    assert path, "headless Chromium is needed: apt-get install chromium (or set ROBOSIM_CHROMIUM)"
    return path


def robosim(*args, code=0):
    done = subprocess.run([str(BINARY), *map(str, args)], capture_output=True, text=True)
    assert done.returncode == code, done.stderr
    return done


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """The runs a user makes from the shipped data, and their summaries."""
    tmp = tmp_path_factory.mktemp("report")
    shutil.copy(ROOT / "data" / "raw.jsonl", tmp / "raw.jsonl")
    batch = json.loads(robosim("verify-batch", tmp / "raw.jsonl", "--json", "-j", "2", code=1).stdout)
    shutil.copy(ROOT / "data" / "completions.jsonl", tmp / "completions.jsonl")
    grades = json.loads(robosim("grade", ROOT / "seeds" / "examples", tmp / "completions.jsonl", "--json", code=1).stdout)
    return {"dir": tmp, "batch": batch, "grades": grades}


@pytest.fixture(scope="module")
def browser():
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium(), args=["--no-sandbox"])
        yield browser
        browser.close()


def open_page(browser, html: pathlib.Path, name: str):
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("request", lambda r: errors.append(f"request {r.url}") if not r.url.startswith(("file:", "data:")) else None)
    page.goto(html.as_uri())
    expect(page.locator("body[data-ready=true]")).to_have_count(1)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENSHOTS / f"{name}.png", full_page=True)
    page.errors = errors
    return page


def stat(page, key, section=0):
    return page.locator(f"#input-{section} [data-stat={key}]").text_content()


def plots_are_drawn(page, at_least):
    plots = page.locator("svg.plot")
    assert plots.count() >= at_least
    for i in range(plots.count()):
        box = plots.nth(i).bounding_box()
        assert box and box["width"] > 100 and box["height"] > 20, f"plot {i} is not drawn"
        assert plots.nth(i).locator("rect, polyline").count() > 0, f"plot {i} has no marks"


def rows(page):
    return page.locator("#failure-table tbody tr")


def test_verdicts_page(runs, browser):
    html = runs["dir"] / "raw.verdicts.report.html"
    robosim("report", runs["dir"] / "raw.verdicts.jsonl")
    page = open_page(browser, html, "verdicts")
    assert page.title() == "robosim report — verdicts · raw.verdicts.jsonl"
    plots_are_drawn(page, 5)
    batch = runs["batch"]
    for key in ["records", "accepted", "rejected", "invalid_input", "not_run", "paths"]:
        assert stat(page, key) == str(batch[key]), key
    failures = batch["rejected"] + batch["invalid_input"] + batch["not_run"]
    assert page.locator("#failures-note [data-stat=failures]").text_content() == str(failures)
    expect(rows(page)).to_have_count(failures)
    # Every class of the summary is a bar of the error-class plot, with its count.
    titles = page.locator("svg.plot g.bar > title").all_text_contents()
    for cls, n in batch["by_class"].items():
        assert f"{cls}: {n}" in titles, cls

    # Filter by class, then by text.
    page.select_option("#filter-class", "RobotPickError")
    expect(rows(page)).to_have_count(batch["by_class"]["RobotPickError"])
    page.select_option("#filter-class", "")
    page.fill("#filter-text", "snak")
    expect(rows(page)).to_have_count(1)
    expect(page.locator("#match-count")).to_have_text(f"1 of {failures} rows match")

    # Open it from the keyboard: the program with its failing line, the path, the robot's calls.
    rows(page).first.focus()
    page.keyboard.press("Enter")
    dialog = page.locator("#detail")
    expect(dialog).to_have_attribute("open", "")
    expect(page.locator("#detail-title")).to_have_text("ask-2 — NameError")
    failing = page.locator("#detail-body .code-line.failing")
    expect(failing).to_have_count(1)
    assert failing.get_attribute("data-n") == "5" and "snak" in failing.text_content()
    assert page.locator("#detail-body ol.timeline > li").count() >= 1
    page.screenshot(path=SCREENSHOTS / "verdicts-failure.png")
    page.keyboard.press("Escape")
    expect(dialog).not_to_have_attribute("open", "")
    assert page.evaluate("document.activeElement.dataset.row") is not None, "focus returns to the row"
    assert page.errors == []


def test_keyboard_moves_through_the_table(runs, browser):
    html = runs["dir"] / "raw.verdicts.report.html"
    robosim("report", runs["dir"] / "raw.verdicts.jsonl")
    page = open_page(browser, html, "verdicts-keyboard")
    # Tab from the text filter reaches the table's first row; arrows move along the rows.
    page.focus("#filter-text")
    for _ in range(10):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.tagName") == "TR":
            break
    first = page.evaluate("document.activeElement.dataset.row")
    assert first is not None, "the rows are reached with Tab"
    page.keyboard.press("ArrowDown")
    second = page.evaluate("document.activeElement.dataset.row")
    assert second != first
    page.keyboard.press("ArrowUp")
    assert page.evaluate("document.activeElement.dataset.row") == first
    page.keyboard.press(" ")
    expect(page.locator("#detail")).to_have_attribute("open", "")


def contrast(page, selector):
    """The contrast ratio of an element's text against white (the page's background)."""
    rgb = page.eval_on_selector(selector, "e => getComputedStyle(e).color")
    r, g, b = [int(x) / 255 for x in rgb[rgb.index("(") + 1 : rgb.index(")")].split(",")[:3]]
    lum = lambda c: c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4  # noqa: E731
    luminance = 0.2126 * lum(r) + 0.7152 * lum(g) + 0.0722 * lum(b)
    return 1.05 / (luminance + 0.05)


def test_grades_page(runs, browser):
    robosim("report", runs["dir"] / "completions.grades.jsonl")
    page = open_page(browser, runs["dir"] / "completions.grades.report.html", "grades")
    assert page.title() == "robosim report — grades · completions.grades.jsonl"
    plots_are_drawn(page, 3)
    grades = runs["grades"]
    assert stat(page, "passed") == str(grades["passed"])
    assert stat(page, "failed") == str(grades["failed"])
    assert stat(page, "pass_at_1_overall") == f"{grades['pass_at_1']:.4f}"
    assert stat(page, "mean_task_pass_at_1") == f"{grades['mean_task_pass_at_1']:.4f}"
    assert page.locator("svg[data-plot=matrix] g.cell").count() == sum(
        len(json.loads(p.read_text())["worlds"]) for p in (ROOT / "seeds" / "examples").glob("*.json")
    )
    page.select_option("#filter-task", "LunchPoll")
    lunch = grades["tasks"]["LunchPoll"]
    expect(rows(page)).to_have_count(lunch["completions"] - lunch["passed"])
    rows(page).filter(has_text="fail_asks_from_the_start").click()
    body = page.locator("#detail-body")
    expect(body.locator("section.world h3.failed").first).to_be_visible()
    assert "RobotAskError" in body.text_content()
    assert body.locator(".code-line.failing").get_attribute("data-n") == "4"
    assert body.locator("ol.timeline li").count() > 0
    page.screenshot(path=SCREENSHOTS / "grades-failure.png")
    # Readable text: body, headers, notes and the plots' labels at 4.5:1 or better.
    for selector in ["body", "th", ".stats dt", ".notes li", "svg.plot text", "#detail-body .error"]:
        assert contrast(page, selector) >= 4.5, selector
    assert page.errors == []


def test_two_evals_side_by_side(runs, browser):
    out = runs["dir"] / "evals.html"
    robosim("report", FIXTURES / "eval-4", FIXTURES / "eval-2", "--out", out)
    page = open_page(browser, out, "evals")
    assert page.title() == "robosim report — eval · eval-4, eval · eval-2"
    plots_are_drawn(page, 8)
    assert page.locator(".comparison svg polyline").count() == 2, "both pass@k curves on one plot"
    boxes = [page.locator(f"#input-{i}").bounding_box() for i in (0, 1)]
    assert abs(boxes[0]["y"] - boxes[1]["y"]) < 1 and boxes[1]["x"] > boxes[0]["x"] + 300, "side by side"
    for i, name in enumerate(["eval-4", "eval-2"]):
        summary = json.loads((FIXTURES / name / "summary.json").read_text())
        assert stat(page, "completions", i) == str(summary["completions"])
        assert stat(page, "passed", i) == str(summary["passed"])
        assert stat(page, "pass_at_1", i) == f"{summary['pass_at']['1']:.4f}"
    page.select_option("#filter-input", "1")
    summary = json.loads((FIXTURES / "eval-2" / "summary.json").read_text())
    expect(rows(page)).to_have_count(summary["completions"] - summary["passed"])
    assert page.errors == []


def test_pipeline_page(runs, browser):
    out = runs["dir"] / "pipeline.html"
    robosim("report", FIXTURES / "pipeline", "--out", out)
    page = open_page(browser, out, "pipeline")
    plots_are_drawn(page, 3)
    stats = json.loads((FIXTURES / "pipeline" / "stats.json").read_text())
    assert stat(page, "accepted") == str(stats["programs"]["accepted_tasks"])
    assert stat(page, "exported") == str(stats["export"]["written"])
    assert stat(page, "first_programs_rejected_rate") == f"{stats['export']['first_programs_rejected_rate']:.4f}"
    revised = [json.loads(l) for l in (FIXTURES / "pipeline" / "aligned.jsonl").read_text().splitlines()]
    revised = [r for r in revised if r.get("revised") and r["revised"] != r["original"]]
    assert page.locator("table.diff tbody tr").count() == len(revised)
    assert page.locator("table.diff ins").count() > 0 and page.locator("table.diff del").count() > 0
    rows(page).filter(has_text="RobotPickError").first.click()
    assert page.locator("#detail-body .code-line.failing").count() == 1
    assert page.errors == []


def test_a_big_run_is_sampled_and_paged(runs, browser, tmp_path):
    """20,000 records: every count is over all of them, the table keeps 5,000, 50 a page."""
    lines = (runs["dir"] / "raw.verdicts.jsonl").read_text().splitlines()
    records = [json.loads(l) for l in lines[1:]]
    big = tmp_path / "big.verdicts.jsonl"
    with big.open("w") as f:
        f.write(lines[0] + "\n")
        for i in range(20_000):
            r = dict(records[i % len(records)])
            r["robosim"] = dict(r["robosim"], id=f"r{i}")
            f.write(json.dumps(r) + "\n")
    robosim("report", big)
    page = open_page(browser, tmp_path / "big.verdicts.report.html", "big")
    rejected = sum(1 for i in range(20_000) if records[i % len(records)]["robosim"]["status"] != "accepted")
    assert page.locator("#failures-note [data-stat=failures]").text_content() == str(rejected)
    assert stat(page, "records") == "20000"
    expect(rows(page)).to_have_count(50)
    assert "The table holds" in page.locator("#failures-note").text_content()
    kept = int(page.locator("#match-count").text_content().split(" of ")[1].split()[0])
    assert kept <= 5000
    page.click("#page-next")
    expect(page.locator("#page-label")).to_have_text(f"page 2 of {(kept + 49) // 50}")
    assert page.errors == []
