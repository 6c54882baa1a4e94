"""Tests of gradavg.site.sphinxext.exercises: every content page ends with exercises, answer boxes and checked solutions."""

import html
import json
import re

import pytest

from conftest import ROOT
from gradavg.engine.claims import claim_module, get
from gradavg.site.sphinxext.exercises import answer_box_html

pytestmark = pytest.mark.build

#: the content pages: those that show claims (every other page is navigation, reference or the live form)
CONTENT = sorted(path.stem for path in (ROOT / "docs").glob("*.md") if 'show("' in path.read_text(encoding="utf-8"))

EXERCISE = re.compile(r'<div class="gradavg-exercise" id="exercise-(\d+)">(.*?)(?=<div class="gradavg-exercise"|\Z)', re.S)
SOLUTION = re.compile(r'<details class="gradavg-solution"><summary>Solution to exercise (\d+)</summary>(.*?)</details>',
                      re.S)
VERDICT = re.compile(r'data-verdict="([^"]*)"')


def test_the_content_pages_are_found():
    assert {"linearity", "unbiased", "training-stacks"} <= set(CONTENT) and "index" not in CONTENT


@pytest.mark.parametrize("name", CONTENT)
def test_every_content_page_ends_with_two_to_four_exercises_one_with_an_answer_box(built_site, name):
    page = (built_site / f"{name}.html").read_text(encoding="utf-8")
    exercises = EXERCISE.findall(page)
    assert 2 <= len(exercises) <= 4, f"{name}: {len(exercises)} exercises"
    assert [int(number) for number, _ in exercises] == list(range(1, len(exercises) + 1))
    assert any('<form class="gradavg-answer"' in body for _, body in exercises), f"{name}: no answer box"
    start = page.find('<section id="exercises">')
    assert start != -1 and page.find("<section id=", start + 1) == -1, f"{name}: the exercises are not its last section"
    assert start < page.find('<div class="gradavg-exercise"'), f"{name}: an exercise outside the section Exercises"


@pytest.mark.parametrize("name", CONTENT)
def test_every_solution_is_closed_and_shows_a_claim_that_holds(built_site, name):
    page = (built_site / f"{name}.html").read_text(encoding="utf-8")
    solutions = SOLUTION.findall(page)
    assert sorted(int(n) for n, _ in solutions) == [int(n) for n, _ in EXERCISE.findall(page)], name
    for number, body in solutions:
        rows = [json.loads(html.unescape(v)) for v in VERDICT.findall(body)]
        assert rows, f"{name}: the solution of exercise {number} shows no verdict"
        assert all(row["holds"] and row["control_rejected"] for row in rows), (name, number, rows)
    assert "<details class=\"gradavg-solution\" open" not in page


@pytest.mark.parametrize("name", CONTENT)
def test_every_answer_box_asks_for_its_claim_s_answer(built_site, name):
    page = (built_site / f"{name}.html").read_text(encoding="utf-8")
    for claim_id, expected, variables in re.findall(
            r'<form class="gradavg-answer" data-claim="([^"]+)" data-expected="([^"]*)" data-variables="([^"]*)"', page):
        answer = get(claim_id, module=claim_module(claim_id)).answer
        assert (html.unescape(expected), html.unescape(variables)) == (answer.expression, answer.variables), claim_id


def test_an_answer_box_needs_a_claim_with_an_answer():
    with pytest.raises(ValueError, match="has no answer for an answer box"):
        answer_box_html("linearity.general-n", 1)
    assert 'for="exercise-3-answer"' in answer_box_html("linearity.exercise-three-examples", 3)
