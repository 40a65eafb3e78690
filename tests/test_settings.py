"""Settings come from the environment; every one is documented in the README."""

import re
from dataclasses import fields
from pathlib import Path

import pytest

from reusegraph.api.settings import Settings, SettingsError, variable_name

README = Path(__file__).resolve().parent.parent / "README.md"


def test_every_setting_is_in_the_readme_table() -> None:
    documented = set(re.findall(r"^\| `([A-Z_]+)` \|", README.read_text(encoding="utf-8"), re.M))
    expected = {variable_name(f.name) for f in fields(Settings)}
    assert expected == documented


def test_values_are_parsed() -> None:
    settings = Settings.from_environ(
        {"REUSEGRAPH_PORT": "9000", "REUSEGRAPH_GRAPHIQL": "false", "REUSEGRAPH_DEMO_DATA": "yes"}
    )
    assert settings.port == 9000
    assert settings.graphiql is False
    assert settings.demo_data is True


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        ({"REUSEGRAPH_PORT": "-1"}, "REUSEGRAPH_PORT has value '-1'; it must not be negative"),
        (
            {"REUSEGRAPH_GRAPHIQL": "maybe"},
            "REUSEGRAPH_GRAPHIQL has value 'maybe'; allowed: true or false",
        ),
        ({"REUSEGRAPH_LOG_LEVEL": "loud"}, "allowed: debug, info, warning, error"),
    ],
)
def test_bad_values_name_the_variable_and_what_is_allowed(
    environ: dict[str, str], message: str
) -> None:
    with pytest.raises(SettingsError, match=re.escape(message)):
        Settings.from_environ(environ)
