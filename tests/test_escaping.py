"""Text a person typed (a name, a comment, an SOP's nomor) is shown literally: no Markdown image that makes the
browser fetch a remote address, no link, no HTML."""
import markdown_it

from lib.base import fmt


def _rendered(text: str) -> str:
    return markdown_it.MarkdownIt("commonmark").enable("table").render(text)


def test_a_typed_markdown_image_or_link_fetches_nothing():
    shown = _rendered(f"**{fmt.md('Budi ![x](http://contoh.invalid/x.png) [klik](http://contoh.invalid)')}**")
    assert "<img" not in shown and "<a " not in shown
    assert "![x](http://contoh.invalid/x.png)" in shown


def test_typed_html_is_shown_as_text():
    shown = _rendered(fmt.md('<img src="http://contoh.invalid/x.png" onerror="alert(1)"> <b>tebal</b>'))
    assert "<img" not in shown and "<b>" not in shown
    assert "&lt;img" in shown
    assert fmt.html_text('<script>x</script> "a"') == "&lt;script&gt;x&lt;/script&gt; &quot;a&quot;"


def test_ordinary_names_keep_their_brackets_and_punctuation():
    assert fmt.md("Penerbitan Kartu Pencari Kerja (AK1)") == "Penerbitan Kartu Pencari Kerja (AK1)"
    assert fmt.md("Siti_Aminah *Valid*") == "Siti\\_Aminah \\*Valid\\*"
