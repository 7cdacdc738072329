"""segment(): unit kinds, label/value pairing, FAQ context, exact offsets, robustness."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from monitor.segment import label_value, segment


def kinds(text: str) -> list[tuple[str, str]]:
    return [(u.kind, u.text) for u in segment(text)]


def test_sentences_survive_abbreviations_and_decimals() -> None:
    text = "Dr. Ivanov gives .25 mg e.g. twice a day in the U.S. market. Use approx. 2 drops. Then stop."
    assert [u.text for u in segment(text)] == [
        "Dr. Ivanov gives .25 mg e.g. twice a day in the U.S. market.",
        "Use approx. 2 drops.",
        "Then stop.",
    ]


def test_range_with_decimal_point_is_not_split() -> None:
    units = segment("Recommended dosage is 0.25-1 mg per day. A 3 ml bottle would contain 60 doses.")
    assert [u.text for u in units] == ["Recommended dosage is 0.25-1 mg per day.", "A 3 ml bottle would contain 60 doses."]


def test_label_value_on_separate_lines_becomes_one_table_row() -> None:
    text = "Summary Table\n\nEvidence Level\n\nLow\n\nAI Summary\n\nSemax is a peptide studied in Russia."
    units = segment(text)
    assert [(u.kind, u.text) for u in units] == [
        ("heading", "Summary Table"),
        ("table_row", "Evidence Level\n\nLow"),
        ("heading", "AI Summary"),
        ("sentence", "Semax is a peptide studied in Russia."),
    ]
    assert label_value(units[1]) == ("Evidence Level", "Low")
    assert units[3].context == "AI Summary"


def test_inline_label_value_and_pipe_rows() -> None:
    units = segment("Evidence: Low\nDose | 300 mcg\n|---|---|\nFrequency | twice daily")
    assert [(u.kind, label_value(u)) for u in units] == [
        ("table_row", ("Evidence", "Low")),
        ("table_row", ("Dose", "300 mcg")),
        ("table_row", ("Frequency", "twice daily")),
    ]


def test_bullets_are_stripped_and_offsets_shifted() -> None:
    text = "Key points\n  • Take 300 mcg daily\n- Not approved by the FDA\n1. Store cold"
    units = segment(text)
    assert [(u.kind, u.text) for u in units] == [
        ("heading", "Key points"),
        ("list_item", "Take 300 mcg daily"),
        ("list_item", "Not approved by the FDA"),
        ("list_item", "Store cold"),
    ]
    assert all(u.context == "Key points" for u in units[1:])


def test_lines_after_a_colon_are_list_items() -> None:
    text = "Semax is intended for research:\nAvailable from suppliers\nNot for human use"
    assert kinds(text)[1:] == [("list_item", "Available from suppliers"), ("list_item", "Not for human use")]


def test_faq_answers_carry_their_question() -> None:
    text = "FAQ\nIs Semax legal?\nYes, for research. It is not a medicine.\nHow is it taken?\nIntranasally."
    units = segment(text)
    answers = [(u.text, u.context) for u in units if u.kind == "faq"]
    assert answers == [
        ("Yes, for research.", "Is Semax legal?"),
        ("It is not a medicine.", "Is Semax legal?"),
        ("Intranasally.", "How is it taken?"),
    ]


def test_title_split_by_markup_is_rejoined() -> None:
    units = segment("What is\nSemax\n?\nSemax is a peptide.")
    assert units[0].kind == "heading" and units[0].text == "What is\nSemax\n?"
    assert units[1].kind == "faq" and units[1].context == "What is\nSemax\n?"


def test_empty_and_whitespace() -> None:
    assert segment("") == [] and segment(" \n\n \t") == [] and segment("•\n- \n?") == []


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("ab .:?|•-1\n\t,;µ%()AZ")) , max_size=200) | st.text(max_size=200))
def test_never_raises_offsets_exact_and_deterministic(text: str) -> None:
    units = segment(text)
    assert units == segment(text)
    last = 0
    for u in units:
        assert text[u.start : u.end] == u.text and u.text.strip() == u.text and u.text
        assert u.start >= last
        last = u.end


# --- the plain-prose fast path never disagrees with syntok --------------------------------------

_FIRST = ["Semax", "The", "Most", "Doses", "Users", "It", "Russian", "Evidence", "Nasal", "Studies"]
_INNER = ["dose", "is", "the", "mg", "e.g.", "Dr.", "U.S.", "approx.", "nasal", "drops", "(BDNF)", "0.25", ".25",
          "twice", "daily", "No.", "etc.", "FDA", "were", "Fig.", "al.", "a", "of", "300mcg", "in", "\"quoted\"", "A.",
          "semax."]
_LAST = ["trials", "daily", "studies", "approved", "evidence", "brain", "nostril", "mg", "Russia", "etc", "day"]
_sentence = st.tuples(st.sampled_from(_FIRST), st.lists(st.sampled_from(_INNER), max_size=6),
                      st.sampled_from(_LAST), st.sampled_from([".", ".", ".", "?", "!", '."', ").", "..."]))


@given(st.lists(_sentence, min_size=2, max_size=5))
def test_plain_fast_path_agrees_with_syntok(sentences):
    from monitor import segment as seg

    line = " ".join(" ".join([first, *inner, last]) + stop for first, inner, last, stop in sentences)
    fast = seg._plain_starts(line)
    if fast is None:
        return
    spans = [sent[0].offset for paragraph in seg.syntok_segmenter.analyze(line) for sent in paragraph if sent]
    assert fast == [0] + spans[1:], line


def test_plain_fast_path_is_taken_for_plain_prose_and_refused_for_abbreviations():
    from monitor import segment as seg

    assert seg._plain_starts("Semax is sold online. Most users take drops daily. Is it legal? Ask first.") == [0, 22, 51, 64]
    for hard in ("Take approx. Two drops daily.", "Ask Dr. Smith first. Then wait.", "The U.S. Food agency. It said.",
                 'He said "stop." Then left.', "Dose is 300 mg. Take it."):
        assert seg._plain_starts(hard) is None, hard


def test_hard_wrapped_sentence_is_one_unit() -> None:
    # a plain-text wrap, a <br> that became a blank line, and a wrap after "the" before a capital
    text = ("Following the review, the agency removed the substance from\nthe bulks list.\n\n"
            "In Russia it is a prescription medicine, while in the US\n\nit is not scheduled.\n\n"
            "Selank is not approved by the\nFDA for any use.")
    assert [u.text.split() for u in segment(text)] == [
        "Following the review, the agency removed the substance from the bulks list.".split(),
        "In Russia it is a prescription medicine, while in the US it is not scheduled.".split(),
        "Selank is not approved by the FDA for any use.".split(),
    ]
    assert all(text[u.start:u.end] == u.text for u in segment(text))


def test_label_and_lowercase_value_lines_are_not_joined() -> None:
    assert kinds("Route\nintranasal") == [("table_row", "Route\nintranasal")]


def test_wiki_markers_do_not_hide_a_sentence_boundary() -> None:
    text = "No large trials have been published.[citation needed] If larger trials were run, more would be known."
    assert [u.text for u in segment(text)] == [
        "No large trials have been published.[citation needed]",
        "If larger trials were run, more would be known.",
    ]


def test_run_together_cells_are_read_split() -> None:
    from monitor.segment import split_cells

    assert split_cells("Legal statusRU: Rx-onlyUS: Unscheduled") == "Legal status | RU: Rx-only | US: Unscheduled"
    assert split_cells("Typical Cycle Length4–6 weeks") == "Typical Cycle Length | 4–6 weeks"
    assert split_cells("Watch it on YouTube or PubMed") == "Watch it on YouTube or PubMed"
    assert split_cells("Semax is approved in Russia.") == "Semax is approved in Russia."
