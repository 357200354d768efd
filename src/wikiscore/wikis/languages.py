"""The Wikipedia language editions (codes in ``wikipedia-languages.txt``), with the few whose
database name or content language differs from the subdomain code."""

from pathlib import Path


def _read_codes() -> tuple[str, ...]:
    path = Path(__file__).with_name("wikipedia-languages.txt")
    words = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.startswith("#"):
            words.extend(line.split())
    return tuple(dict.fromkeys(words))


WIKIPEDIA_CODES: tuple[str, ...] = _read_codes()

# Codes whose database name is not "<code with - as _>wiki".
DBNAME_EXCEPTIONS: dict[str, str] = {"be-tarask": "be_x_oldwiki"}

# Codes whose content language (MediaWiki language code) differs from the subdomain.
CONTENT_LANGUAGE: dict[str, str] = {
    "simple": "en",
    "zh-yue": "yue",
    "zh-classical": "lzh",
    "zh-min-nan": "nan",
    "bat-smg": "sgs",
    "fiu-vro": "vro",
    "roa-rup": "rup",
    "roa-tara": "nap-x-tara",
    "map-bms": "jv-x-bms",
    "cbk-zam": "cbk",
}
