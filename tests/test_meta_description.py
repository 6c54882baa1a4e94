"""Each page's meta description is its opening sentence as plain text, at most 160 characters (gradavg.site.sphinxext.meta_description)."""

from docutils.core import publish_doctree

from gradavg.site.sphinxext import meta_description
from gradavg.site.sphinxext.meta_description import LIMIT, description, math_as_text, shortened


def doctree(rst: str):
    return publish_doctree(rst, settings_overrides={"report_level": 5, "doctitle_xform": False})  # as Sphinx reads pages


def test_the_description_is_the_opening_sentence_of_the_first_paragraph_without_markup():
    page = doctree("Title\n=====\n\n.. note::\n\n   Not body text.\n\n"
                   "This page *proves* the\n``one`` fact   everything rests on. A second sentence.\n\nLater.\n")
    assert description(page) == "This page proves the one fact everything rests on."


def test_math_in_the_first_sentence_is_written_as_plain_text():
    page = doctree("Dataset versus population\n=========================\n\n"
                   r"The cost :math:`C(\theta) = \frac1N\sum_i L(\theta, x_i)` averages over the examples we have. "
                   "What we care about is the risk.\n")
    assert description(page) == "The cost C(θ) = 1/N∑_i L(θ, x_i) averages over the examples we have."


def test_a_page_without_a_paragraph_is_described_by_its_title():
    page = doctree("References\n==========\n\n.. note::\n\n   A paragraph, but not body text.\n")
    assert description(page) == "References"


def test_a_first_sentence_longer_than_the_limit_is_cut_at_a_word_boundary_with_an_ellipsis():
    words = " ".join(["word"] * 40) + "."
    page = doctree(f"Title\n=====\n\n{words}\n")
    described = description(page)
    assert len(described) <= LIMIT and described.endswith("word…") and words.startswith(described[:-1])


def test_a_text_of_exactly_the_limit_is_kept_and_one_character_more_is_cut():
    exact = ("abcd " * 32)[:LIMIT - 1] + "."
    assert len(exact) == LIMIT and shortened(exact) == exact
    longer = exact[:-1] + "e."
    assert len(longer) == LIMIT + 1
    cut = shortened(longer)
    assert len(cut) <= LIMIT and cut.endswith("…") and not cut.endswith(" …")


def test_a_single_word_longer_than_the_limit_is_cut_inside_it():
    assert shortened("x" * (LIMIT + 5)) == "x" * (LIMIT - 1) + "…"


def test_formulas_lose_their_commands_and_braces_but_keep_what_they_say():
    assert math_as_text(r"\frac{a+b}{2} \le \mathrm{max}\,\{x\}") == "(a+b)/2 ≤ max x"
    assert math_as_text(r"\nabla_\theta \frac{1}{B}\sum_{i=1}^B g_i") == "∇_θ 1/B∑_i=1^B g_i"


def test_every_page_gets_one_description_and_generated_pages_name_the_project():
    class Config:
        project = "Why averaging gradients works"

    class App:
        config = Config()

    context = {"metatags": '<meta name="x" content="y">\n'}
    meta_description._add_description(App(), "search", "search.html", context, None)
    assert context["metatags"] == ('<meta name="x" content="y">\n'
                                   '<meta name="description" content="Search: Why averaging gradients works.">\n')
    context = {"indextitle": "Proof Index"}
    meta_description._add_description(App(), "prf-prf", "domainindex.html", context, None)
    assert context["metatags"] == '<meta name="description" content="Proof Index: Why averaging gradients works.">\n'
    context = {}
    meta_description._add_description(App(), "page", "page.html", context, doctree('T\n=\n\nSay "x" & <y>.\n'))
    assert context["metatags"] == '<meta name="description" content="Say &quot;x&quot; &amp; &lt;y&gt;.">\n'
