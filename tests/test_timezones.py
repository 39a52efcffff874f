from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from bot import timezones


@given(st.sampled_from(timezones.names()))
def test_every_zone_is_found_by_its_name_in_any_case(name: str) -> None:
    assert timezones.find(name) == name
    assert timezones.find(f"  {name.lower()} ") == name
    assert timezones.find(name.replace("_", " ")) == name


@given(st.text(max_size=40))
def test_finding_never_raises_and_returns_a_real_zone(text: str) -> None:
    found = timezones.find(text)
    assert found is None or found in timezones.names() or found == "UTC"


def test_aliases_and_unknown_names() -> None:
    assert timezones.find("utc") == "UTC"
    assert timezones.find("Mars/Olympus_Mons") is None
    assert timezones.zone("Europe/Paris") is not None


def test_choices_put_prefix_matches_first_and_respect_the_limit() -> None:
    found = timezones.choices("paris")
    assert found == ["Europe/Paris"]
    found = timezones.choices("america/", limit=5)
    assert len(found) == 5 and all(name.startswith("America/") for name in found)
    assert timezones.choices("york")[0] == "America/New_York"


def test_a_zone_named_like_an_alias_keeps_its_own_name() -> None:
    # Hypothesis found it: "GMT" is a zone of its own, not a spelling of UTC.
    assert timezones.find("GMT") == "GMT"
    assert timezones.find("z") == "UTC"
