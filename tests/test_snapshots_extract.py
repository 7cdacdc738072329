"""Snapshot store integrity and main-text extraction."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from monitor.errors import SnapshotError
from monitor.extract import comparison_key, extract_main_text, page_problem
from monitor.snapshots import SnapshotStore


def test_snapshot_roundtrip_dedup_and_compression(tmp_path):
    store = SnapshotStore(tmp_path)
    body = b"<html>" + b"semax " * 5000 + b"</html>"
    digest = store.put(body)
    assert store.put(body) == digest
    files = list(tmp_path.glob("??/*.zst"))
    assert len(files) == 1 and files[0].stat().st_size < len(body) / 10
    assert store.get(digest) == body
    assert not list(tmp_path.glob("??/.tmp-*")), "no temp file left behind"


def test_corrupt_snapshot_is_an_error_not_served(tmp_path):
    store = SnapshotStore(tmp_path)
    digest = store.put(b"original body")
    other = SnapshotStore(tmp_path / "x")
    other_digest = other.put(b"tampered body")
    store.path_for(digest).write_bytes(other.path_for(other_digest).read_bytes())
    with pytest.raises(SnapshotError, match="fails its hash check"):
        store.get(digest)
    with pytest.raises(SnapshotError, match="missing"):
        store.get("0" * 64)


def test_main_text_drops_furniture_keeps_tables_and_lists():
    html = """<html><head><title>T</title><script>var x=1</script></head><body>
    <nav>Home Shop</nav><div id="cookie-consent">We use cookies</div>
    <article><h1>Semax</h1><p>It is not approved by the FDA.</p>
    <table><tr><th>Evidence Level</th><td>Low</td></tr></table><ul><li>Animal studies only</li></ul></article>
    <aside class="sidebar">Selank $29</aside><footer>Privacy</footer></body></html>"""
    main = extract_main_text(html)
    assert main.title == "T"
    assert "Evidence Level | Low" in main.text and "• Animal studies only" in main.text
    for junk in ("Home Shop", "cookies", "Selank", "Privacy", "var x"):
        assert junk not in main.text


def test_selector_wins_over_article():
    html = "<body><article>Article text here</article><div class='content'>Selected text</div></body>"
    assert extract_main_text(html, "div.content").text == "Selected text"


def test_volatile_tokens_do_not_change_the_comparison_key_but_doses_do():
    a = "Updated: July 5, 2026 · 1,204 views. Take 300 mcg twice a day. Reading time: 2 min"
    b = "Updated: 12 August 2026 · 98,000 views. Take 300 mcg twice a day. Reading time: 3 min"
    c = "Updated: July 5, 2026 · 1,204 views. Take 600 mcg twice a day. Reading time: 2 min"
    assert comparison_key(a) == comparison_key(b)
    assert comparison_key(a) != comparison_key(c)


def test_page_problem_flags_bot_checks_and_empty_pages():
    blocked = extract_main_text("<html><title>Attention Required! | Cloudflare</title><body><main>Please verify "
                                "you are human to continue to this website. Ray ID 1234.</main></body></html>")
    assert page_problem(blocked) and "bot-check" in page_problem(blocked)
    assert "empty" in page_problem(extract_main_text("<html><body><main>Loading…</main></body></html>"))
    ok = extract_main_text("<main>" + "Semax is a peptide studied in Russia for stroke recovery. " * 5 + "</main>")
    assert page_problem(ok) is None


@given(st.text(max_size=2000))
def test_extraction_never_raises_and_is_deterministic(text):
    a = extract_main_text(text)
    assert a == extract_main_text(text)
    html = f"<html><body><article><p>{text}</p><table><tr><td>{text[:20]}</td></tr></table></article></body></html>"
    assert extract_main_text(html) == extract_main_text(html)


def test_delta_snapshots_roundtrip_small_and_never_chain(tmp_path):
    store = SnapshotStore(tmp_path)
    page = b"<html><nav>menu</nav><article>" + _prose(3000) + b"</article>"
    base = store.put(page.replace(b"menu", b"menu v1"))
    second = store.put(page.replace(b"menu", b"menu v2"), base=base)
    third = store.put(page.replace(b"menu", b"menu v3"), base=second)  # a delta base resolves to its plain base
    assert store.base_of(second) == base and store.base_of(third) == base
    assert store.path_for(second).stat().st_size < store.path_for(base).stat().st_size / 2
    assert store.get(third) == page.replace(b"menu", b"menu v3")
    unrelated = store.put(b"completely different body", base=base)
    assert store.base_of(unrelated) == unrelated, "no delta when it does not pay"


def test_delta_with_missing_or_corrupt_base_is_an_error(tmp_path):
    store = SnapshotStore(tmp_path)
    page = b"<article>" + _prose(2000) + b"</article>"
    base = store.put(page)
    delta = store.put(page + b"<p>new</p>", base=base)
    store.path_for(base).write_bytes(store.path_for(base).read_bytes()[:-5] + b"xxxxx")
    with pytest.raises(SnapshotError):
        store.get(delta)
    store.path_for(base).unlink()
    with pytest.raises(SnapshotError, match="corrupt or its base is missing"):
        store.get(delta)


def _prose(words: int) -> bytes:
    """Deterministic, not self-similar text (repetitive text compresses too well to need a delta)."""
    import random

    rnd = random.Random(7)
    vocab = ["semax", "peptide", "dose", "nasal", "study", "russia", "trial", "mcg", "brain", "effect", "report",
             "animal", "human", "level", "safety", "stroke", "memory", "anxiety", "drops", "daily"]
    return " ".join(rnd.choice(vocab) + str(rnd.randint(0, 999)) for _ in range(words)).encode()


def test_removed_furniture_keeps_the_text_around_it():
    html = ("<article><p>Take <span class='ad-banner'>BUY NOW</span>300 mcg<!-- note --> twice a day.</p>"
            "<p>Before<script>x()</script> after.</p><ul><li>One<ul><li>Nested</li></ul> tail</li></ul></article>")
    text = extract_main_text(html).text
    assert "Take 300 mcg twice a day." in text
    assert "Before after." in text
    assert "• One tail" in text and "• Nested" in text
    assert "BUY NOW" not in text and "x()" not in text


def test_selector_with_several_matches_joins_them_in_order():
    html = "<body><div class='c'>First part.</div><p>Skip me.</p><div class='c'>Second part.</div></body>"
    assert extract_main_text(html, "div.c").text == "First part.\n\nSecond part."


def test_a_thread_of_posts_is_all_main_text_but_a_related_box_is_not():
    from monitor.extract import extract_main_text

    posts = "".join(f"<article class='post'><p>Post {i}: I take {i * 100} mcg of Semax every morning "
                    f"and it works well for focus at work.</p></article>" for i in range(1, 4))
    html = (f"<html><body><nav>Home Forum</nav><div class='thread'>{posts}</div>"
            "<aside><article><p>Related: our best-selling peptide bundle.</p></article></aside></body></html>")
    text = extract_main_text(html).text
    assert all(f"Post {i}:" in text for i in range(1, 4))
    assert "best-selling" not in text
