"""Tests of gradavg.site.notebook_download: the executed notebook a page offers."""


def test_executed_notebook_lookup(tmp_path):
    from gradavg.site.notebook_download import executed_notebook

    (tmp_path / "page.ipynb").write_text("{}")
    assert executed_notebook(tmp_path, "page") == tmp_path / "page.ipynb"
    assert executed_notebook(tmp_path, "other") is None
