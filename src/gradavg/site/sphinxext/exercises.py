"""Exercises at the end of a page: numbered prompts, answer boxes the live engine decides, hidden solutions.

```{exercise} Title`` starts an exercise (numbered on its page); with ``:answer: <claim id>`` it ends
in an answer box: the reader types an answer and the in-browser engine decides whether it equals the
claim's :class:`~gradavg.engine.claims.Answer` (``docs/_static/live/live.js``). ``{solution}``
follows its exercise, hidden in the web edition until opened; its ``:label:`` names the claim that
checks it (read by :mod:`gradavg.site.statements`, like a numbered statement's), and its body shows
that claim's verdict (``{glue}`` of :func:`gradavg.site.display.show`), so a solution that stops
being right fails the build. An exercise with an answer box names the same claim as its solution.
"""

from __future__ import annotations

import html

from docutils import nodes
from docutils.parsers.rst import directives
from sphinx.util import logging
from sphinx.util.docutils import SphinxDirective

from ...engine.claims import claim_module, get

logger = logging.getLogger(__name__)

_COUNTER = "gradavg_exercises"


class exercise(nodes.General, nodes.Element):
    """One exercise: its title (a rubric), its prompt and, if it has one, its answer box."""


class solution(nodes.General, nodes.Element):
    """An exercise's solution: ``number`` is its exercise's, ``claim`` the claim that checks it."""


def answer_box_html(claim_id: str, number: int) -> str:
    """The answer box of exercise ``number``: a form the live engine answers, from the claim's :class:`~gradavg.engine.claims.Answer`.

    Example:
        >>> box = answer_box_html("linearity.exercise-three-examples", 2)
        >>> 'data-variables="w,x_1,x_2,x_3,y_1,y_2,y_3"' in box, '<input id="exercise-2-answer"' in box
        (True, True)
    """
    answer = get(claim_id, module=claim_module(claim_id)).answer
    if answer is None:
        raise ValueError(f"claim {claim_id!r} has no answer for an answer box (give it one: gradavg.checks.answers."
                         "exercise_claim)")
    names = ", ".join(name.strip() for name in answer.variables.split(",") if name.strip())
    positive = ", ".join(name.strip() for name in answer.positive.split(",") if name.strip())
    what = f"an expression in {html.escape(names)}" if names else "a number"
    if positive:
        what += f" ({html.escape(positive)} {'is' if ',' not in positive else 'are'} positive)"
    field = f"exercise-{number}-answer"
    return (f'<form class="gradavg-answer" data-claim="{html.escape(claim_id)}" '
            f'data-expected="{html.escape(answer.expression)}" data-variables="{html.escape(answer.variables)}" '
            f'data-positive="{html.escape(answer.positive)}">'
            f'<label for="{field}">{html.escape(answer.prompt)}</label> '
            f'<input id="{field}" name="answer" type="text" required autocomplete="off" autocapitalize="off" '
            f'spellcheck="false" aria-describedby="{field}-syntax"> '
            '<button type="submit">Check my answer</button>'
            f'<span class="gradavg-answer-syntax" id="{field}-syntax">Type {what}: '
            "<code>*</code> multiplies, <code>**</code> raises to a power, fractions stay exact "
            "(<code>1/11</code>). The engine in your browser decides whether it equals the solution.</span>"
            '<span class="gradavg-live-result" role="status" aria-live="polite"></span></form>')


class ExerciseDirective(SphinxDirective):
    """``{exercise} Title``, with ``:answer: <claim id>`` for an answer box after the prompt."""

    optional_arguments = 1
    final_argument_whitespace = True
    has_content = True
    option_spec = {"answer": directives.unchanged_required}

    def run(self):
        number = self.env.temp_data[_COUNTER] = self.env.temp_data.get(_COUNTER, 0) + 1
        node = exercise(ids=[f"exercise-{number}"], classes=["gradavg-exercise"], number=number,
                        answer=self.options.get("answer"))
        self.set_source_info(node)
        title = f"Exercise {number}" + (f": {self.arguments[0]}" if self.arguments else "")
        heading, messages = self.parse_inline(title, lineno=self.lineno)
        node += nodes.rubric(title, "", *heading, **{"heading-level": 3})
        node += messages
        node += self.parse_content_to_nodes()
        if claim_id := self.options.get("answer"):
            try:
                box = answer_box_html(claim_id, number)
            except (KeyError, ValueError) as error:
                raise self.error(f"exercise {number}: {error}") from None
            node += nodes.raw("", box, format="html")
        return [node]


class SolutionDirective(SphinxDirective):
    """``{solution}`` after its exercise, with ``:label: <claim id>``: hidden in the web edition until opened."""

    has_content = True
    option_spec = {"label": directives.unchanged_required}

    def run(self):
        number = self.env.temp_data.get(_COUNTER, 0)
        if not number:
            raise self.error("a solution must follow its {exercise}")
        if "label" not in self.options:
            raise self.error(f"the solution of exercise {number} names no claim: give it ':label: <claim id>'")
        node = solution(classes=["gradavg-solution"], number=number, claim=self.options["label"])
        self.set_source_info(node)
        node += self.parse_content_to_nodes()
        return [node]


def _check_exercises(app, doctree) -> None:
    """Each exercise has one solution; an answer box's claim is its solution's; a solution shows its claim's verdict."""
    docname = app.env.docname
    solutions = {}
    for found in doctree.findall(solution):
        if found["number"] in solutions:
            logger.warning("exercise %d has two solutions", found["number"], location=(docname, found.line),
                           type="gradavg", subtype="exercise")
        solutions[found["number"]] = found
        # the verdict is a claim report's HTML; other builders paste its Markdown form instead
        if app.builder.format == "html" and f'"id": "{found["claim"]}"' not in _raw_html(found):
            logger.warning("the solution of exercise %d does not show the verdict of its claim %r: put "
                           "```{glue} %s``` in it, glued from show(%r)", found["number"], found["claim"],
                           found["claim"], found["claim"], location=(docname, found.line),
                           type="gradavg", subtype="exercise")
    for found in doctree.findall(exercise):
        mine = solutions.get(found["number"])
        if mine is None:
            logger.warning("exercise %d has no {solution}", found["number"], location=(docname, found.line),
                           type="gradavg", subtype="exercise")
        elif found["answer"] and found["answer"] != mine["claim"]:
            logger.warning("exercise %d checks answers with claim %r but its solution names %r", found["number"],
                           found["answer"], mine["claim"], location=(docname, found.line),
                           type="gradavg", subtype="exercise")


def _raw_html(node) -> str:
    """The HTML of the raw nodes inside ``node``, unescaped (claim reports carry their verdict as an attribute)."""
    return html.unescape(" ".join(raw.astext() for raw in node.findall(nodes.raw) if raw.get("format") == "html"))


def _visit_exercise_html(self, node):
    self.body.append(self.starttag(node, "div"))


def _depart_exercise_html(self, node):
    self.body.append("</div>\n")


def _visit_solution_html(self, node):
    self.body.append(f'<details class="gradavg-solution"><summary>Solution to exercise {node["number"]}</summary>\n')


def _depart_solution_html(self, node):
    self.body.append("</details>\n")


def _visit_solution_latex(self, node):
    self.body.append(f"\n\\par\\medskip\\noindent\\textbf{{Solution to exercise {node['number']}.}} ")


def _visit_solution_text(self, node):
    self.add_text(f"Solution to exercise {node['number']}. ")


def _pass(self, node):
    pass


def setup_exercises(app) -> None:
    """Register the two directives and check each page's exercises as it is read."""
    app.add_node(exercise, html=(_visit_exercise_html, _depart_exercise_html), latex=(_pass, _pass),
                 text=(_pass, _pass))
    app.add_node(solution, html=(_visit_solution_html, _depart_solution_html), latex=(_visit_solution_latex, _pass),
                 text=(_visit_solution_text, _pass))
    app.add_directive("exercise", ExerciseDirective)
    app.add_directive("solution", SolutionDirective)
    app.connect("doctree-read", _check_exercises)
