"""Cross-language recall on the labelled Danish-Norwegian pairs, against real PostgreSQL."""

from bench.search_recall import measure, pairs
from reusegraph.store.engine import Database
from tests.support.postgres import url_of


async def test_spelling_folds_find_more_pairs_in_the_other_language(empty_db: Database) -> None:
    assert len(pairs()) >= 50
    (no_before, no_after), (da_before, da_after) = await measure(url_of(empty_db))
    assert (no_before, da_before) == (6, 7)
    assert no_after >= 18
    assert da_after >= 18
