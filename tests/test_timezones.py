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


# -- names members type, in their language (Babel's CLDR data) -------------------------
def labels(text: str, language: str) -> list[str]:
    return [
        place.shown_for(timezones.normalise(text))
        for place in timezones.search(text, language)
    ]


def test_a_city_a_country_or_a_zone_name_in_the_members_language_finds_zones() -> None:
    assert timezones.lookup("Paris", "en") == "Europe/Paris"
    assert timezones.lookup("paris", "fr") == "Europe/Paris"
    assert timezones.lookup("São Paulo", "pt-BR") == "America/Sao_Paulo"
    assert timezones.lookup("sao paulo", "en") == "America/Sao_Paulo"
    # Big cities that are not their zone's example city: a short shipped list.
    assert timezones.lookup("Munich", "en") == "Europe/Berlin"
    assert timezones.lookup("München", "de") == "Europe/Berlin"
    assert labels("Münch", "de")[0].startswith("München · Berlin, Deutschland")
    # A country of one zone is that zone; of several, a list to pick from.
    assert timezones.lookup("Frankreich", "de") == "Europe/Paris"
    assert timezones.lookup("Brazil", "en") is None
    brazil = {p.key for p in timezones.search("Brasilien", "de")}
    assert {"America/Sao_Paulo", "America/Manaus"} <= brazil
    # Zone names and abbreviations, in the member's language and in English.
    central = {p.key for p in timezones.search("Mitteleuropäische Zeit", "de")}
    assert {"Europe/Paris", "Europe/Berlin"} <= central
    assert "Europe/Paris" in {p.key for p in timezones.search("CET", "en")}
    assert "Europe/Paris" in {
        p.key for p in timezones.search("heure d’Europe centrale", "fr")
    }
    assert "America/New_York" in {p.key for p in timezones.search("Eastern Time", "es")}


def test_labels_read_in_the_members_language() -> None:
    assert timezones.label("Europe/Paris", "de") == (
        "Paris, Frankreich · Mitteleuropäische Zeit (Europe/Paris)"
    )
    assert timezones.label("Europe/Paris", "en-US").startswith("Paris, France")
    assert timezones.label("Mars/Olympus", "en") == "Mars/Olympus"


def test_an_abbreviation_that_is_also_an_old_id_asks_which_zone() -> None:
    # The "EST" zone never has summer time: a New Yorker typing EST means New York.
    assert timezones.find("EST") == "EST"
    assert timezones.lookup("EST", "en") is None
    assert "could be several timezones" in timezones.refusal("EST", "en")
    assert timezones.lookup("UTC", "en") == "UTC"
    assert timezones.lookup("GMT", "en") == "GMT"
    assert "Unknown timezone Narnia" in timezones.refusal("Narnia", "en")


def test_whole_hour_offsets_are_fixed_zones() -> None:
    assert timezones.lookup("UTC+2", "en") == "Etc/GMT-2"
    assert timezones.lookup("GMT-5", "en") == "Etc/GMT+5"
    assert timezones.lookup("+0", "en") == "UTC"
    assert timezones.lookup("UTC+15", "en") is None


def test_an_empty_search_offers_the_zones_of_the_members_country() -> None:
    keys = {p.key for p in timezones.search("", "pt-BR")}
    assert "America/Sao_Paulo" in keys and "Europe/Paris" not in keys
    assert "Europe/Berlin" in {p.key for p in timezones.search("", "de")}


@given(
    st.text(max_size=40), st.sampled_from(["en", "de", "es", "fr", "pt-BR", "ja", "xx"])
)
def test_searching_never_raises_and_offers_real_zones(text: str, language: str) -> None:
    found = timezones.search(text, language)
    assert len(found) <= timezones.CHOICES
    assert all(timezones.find(place.key) for place in found)
    assert all(
        len(place.shown_for(timezones.normalise(text))) <= 100 for place in found
    )
    key = timezones.lookup(text, language)
    assert key is None or timezones.find(key) is not None
