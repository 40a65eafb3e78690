"""Cross-language recall on the labelled Danish-Norwegian pairs, against real PostgreSQL."""

from bench.search_recall import measure, pairs, title_alike
from reusegraph.store.engine import Database
from tests.support.postgres import url_of


async def test_spelling_folds_find_more_pairs_in_the_other_language(empty_db: Database) -> None:
    assert len(pairs()) >= 50
    (no_before, no_after), (da_before, da_after) = await measure(url_of(empty_db))
    assert (no_before, da_before) == (6, 7)
    assert no_after >= 45
    assert da_after >= 40


async def test_folded_titles_make_most_pairs_alike_enough_to_be_found(empty_db: Database) -> None:
    before, after = await title_alike(url_of(empty_db))
    assert before == 8
    assert after >= 45
