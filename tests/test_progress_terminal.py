"""Long CLI work shows a progress bar on a terminal and plain lines elsewhere (issue 15)."""

import re
from pathlib import Path

from reusegraph.store.engine import Database
from tests.support import builders as b
from tests.support.cli import reusegraph
from tests.support.terminal import HIDE_CURSOR, reusegraph_on_terminal

FIXTURES = Path(__file__).parent / "fixtures" / "imports"
DK = "DK-0101"
BAR = "\u2501"  # the heavy horizontal line rich draws its bars with
ESCAPE = "\x1b["


async def test_an_import_on_a_terminal_draws_a_bar_per_stage_and_keeps_the_report_on_stdout(
    empty_db: Database, tmp_path: Path
) -> None:
    await b.insert_rows(empty_db, municipality=[b.municipality(DK)])
    lines = (FIXTURES / "spreadsheet.csv").read_text(encoding="utf-8").splitlines()
    good = tmp_path / "good.csv"
    good.write_text(
        "\n".join(line for line in lines if not line.startswith(("A-3", "A-4"))), encoding="utf-8"
    )

    run = await reusegraph_on_terminal(empty_db, "import", str(good), "--dry-run")

    assert run.returncode == 0, run.terminal
    assert run.terminal.startswith(HIDE_CURSOR), run.terminal[:200]
    for stage in ("reading", "writing"):
        assert re.search(rf"{stage} \S*{BAR}+\S* \S*2/2\S* rows", run.terminal), run.terminal
    assert "of 2 rows (100 %)" not in run.terminal, "a terminal gets the bar, not plain lines"
    assert "would create 2" in run.stdout
    assert ESCAPE not in run.stdout, "the report stays plain text"


async def test_an_export_to_a_file_is_the_same_with_a_bar_on_a_terminal_or_lines_in_a_pipe(
    demo_db: Database, tmp_path: Path
) -> None:
    args = ("export", "--format", "csv", "--municipality", "DK-0901", "--member-of", "DK-0901")
    on_terminal = await reusegraph_on_terminal(
        demo_db, *args, "--output", str(tmp_path / "terminal.csv")
    )
    piped = await reusegraph(demo_db, *args, "--output", str(tmp_path / "piped.csv"))

    assert on_terminal.returncode == 0, on_terminal.terminal
    assert piped.returncode == 0, piped.stderr
    exported = (tmp_path / "piped.csv").read_bytes()
    assert exported.count(b"\n") > 1
    assert (tmp_path / "terminal.csv").read_bytes() == exported
    count = len(re.findall(r"^Exported (\d+) processes", piped.stderr, re.M))
    assert count == 1, piped.stderr
    assert HIDE_CURSOR in on_terminal.terminal
    assert re.search(rf"exporting \S*{BAR}+", on_terminal.terminal), on_terminal.terminal
    assert "Exported" in on_terminal.terminal
    assert re.search(r"^exporting: \d+ processes$", piped.stderr, re.M), piped.stderr
    assert ESCAPE not in piped.stderr, "no terminal: no escape sequences in a log"
