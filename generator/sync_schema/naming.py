"""How a catalog name becomes a Python identifier: the rules, pure and deterministic.

model.names allocates the class names collision-free with these rules. One module past 500
lines on purpose: every rule (case, keywords, builtins, NFKC, digits) is tested from one table.
"""

from __future__ import annotations

import functools
import keyword
import re
import unicodedata
from collections.abc import Iterable
from functools import lru_cache
from typing import Any

__all__ = [
    "AMBIGUOUS_NAMES",
    "BUILTIN_NAMES",
    "PYDANTIC_PROTECTED_PREFIXES",
    "PYDANTIC_RESERVED",
    "class_base_name",
    "enum_class_name",
    "enum_member_name",
    "field_name",
    "find_free_name",
    "import_order",
    "is_plain_identifier",
    "pascal",
    "pydantic_field_name",
    "singularize",
    "snake_words",
]

# Hard-coded rather than taken from keyword.softkwlist so output does not depend on the running
# Python (3.11 lacks "type"); the runtime lists are unioned in for keywords added later.
_KEYWORDS = frozenset((*keyword.kwlist, *keyword.softkwlist, "_", "case", "match", "type"))


def _word_set(text: str) -> frozenset[str]:
    # Word lists are kept as wrapped text: one quoted string per line would run to hundreds.
    return frozenset(text.split())


# Hard-coded rather than dir(builtins): that list depends on the Python version and on whether
# `site` ran (exit, quit, help, ...), and generated output must not.
BUILTIN_NAMES: frozenset[str] = _word_set(
    """
    abs aiter all anext any ascii bin bool breakpoint bytearray bytes callable chr classmethod
    compile complex copyright credits delattr dict dir divmod enumerate eval exec exit filter
    float format frozenset getattr globals hasattr hash help hex id input int isinstance
    issubclass iter len license list locals map max memoryview min next object oct open ord pow
    print property quit range repr reversed round set setattr slice sorted staticmethod str sum
    super tuple type vars zip
    ArithmeticError AssertionError AttributeError BaseException BaseExceptionGroup
    BlockingIOError BrokenPipeError BufferError BytesWarning ChildProcessError
    ConnectionAbortedError ConnectionError ConnectionRefusedError ConnectionResetError
    DeprecationWarning EOFError Ellipsis EncodingWarning EnvironmentError Exception
    ExceptionGroup False FileExistsError FileNotFoundError FloatingPointError FutureWarning
    GeneratorExit IOError ImportError ImportWarning IndentationError IndexError InterruptedError
    IsADirectoryError KeyError KeyboardInterrupt LookupError MemoryError ModuleNotFoundError
    NameError None NotADirectoryError NotImplemented NotImplementedError OSError OverflowError
    PendingDeprecationWarning PermissionError ProcessLookupError PythonFinalizationError
    RecursionError ReferenceError ResourceWarning RuntimeError RuntimeWarning
    StopAsyncIteration StopIteration SyntaxError SyntaxWarning SystemError SystemExit TabError
    TimeoutError True TypeError UnboundLocalError UnicodeDecodeError UnicodeEncodeError
    UnicodeError UnicodeTranslateError UnicodeWarning UserWarning ValueError Warning
    ZeroDivisionError
    """
)

# Public attributes of pydantic.BaseModel (v2, including the deprecated v1 API) and of its
# metaclass (mro, ABCMeta.register): a field with one of these names makes pydantic warn.
# Hard-coded so that naming never imports pydantic; a test compares it with the real class.
PYDANTIC_RESERVED: frozenset[str] = _word_set(
    """
    model_config model_fields model_computed_fields model_extra model_fields_set
    model_construct model_copy model_dump model_dump_json model_json_schema
    model_parametrized_name model_post_init model_rebuild model_validate model_validate_json
    model_validate_strings
    dict json parse_obj parse_raw parse_file from_orm construct copy schema schema_json
    validate update_forward_refs fields __fields__ __fields_set__
    mro register
    """
)

# Pydantic's default protected_namespaces (>= 2.10): a field name starting with one of these warns.
PYDANTIC_PROTECTED_PREFIXES: tuple[str, ...] = ("model_dump", "model_validate")

# Soft keywords (match, case, type, _) and builtins (id, list) are fine as attribute names; a
# builtin only needs avoiding where an annotation uses it, which the caller passes as reserved.
_FIELD_AVOID = frozenset(keyword.kwlist)

# Names pycodestyle calls ambiguous (E741-E743: l, I and O look like 1 and 0); ruff's default
# rules reject them as class, attribute and variable names, so they get a "_" too.
AMBIGUOUS_NAMES = frozenset({"l", "I", "O"})

_CAMEL_BOUNDARY = re.compile(
    # lower/digit -> Upper, and the end of an acronym (HTTPServer); a plural acronym (IDs) stays.
    r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])(?![A-Z]s(?![a-z]))"
)
_ALNUM_RUN = re.compile(r"[A-Za-z0-9]+")

# Letters that NFKD does not decompose but have a conventional ASCII spelling.
_TRANSLITERATE = str.maketrans(
    {
        "ß": "ss",
        "æ": "ae",
        "Æ": "AE",
        "œ": "oe",
        "Œ": "OE",
        "ø": "o",
        "Ø": "O",
        "đ": "d",
        "Đ": "D",
        "ð": "d",
        "Ð": "D",
        "ł": "l",
        "Ł": "L",
        "þ": "th",
        "Þ": "TH",
        "\u0131": "i",
    }
)

_VOWELS = frozenset("aeiou")

# Words that singularize() returns unchanged: uncountables, plural-only nouns, and singular
# nouns whose "s" ending would otherwise be stripped.
_UNCHANGED = _word_set(
    """
    data metadata information equipment news series species media sheep fish deer moose swine
    bison aircraft spacecraft software hardware firmware middleware malware feedback staff
    traffic rice money advice furniture luggage baggage evidence knowledge research music
    homework weather police
    jeans pants shorts scissors trousers clothes pajamas pyjamas headquarters means
    analytics logistics physics mathematics economics ethics politics athletics electronics
    genetics linguistics gymnastics diabetes herpes rabies measles mumps billiards
    kudos chaos ethos pathos cosmos thermos
    gas alias canvas bias atlas pancreas christmas texas whereas alas pampas lens yes
    dns gps sms aws cms ios macos cors https ops devops mlops pos
    """
)

# Exact plural -> singular for irregular words and for exceptions to the suffix rules below.
_IRREGULAR: dict[str, str] = {
    "people": "person",
    "children": "child",
    "men": "man",
    "mice": "mouse",
    "lice": "louse",
    "geese": "goose",
    "feet": "foot",
    "teeth": "tooth",
    "oxen": "ox",
    "dice": "die",
    "quizzes": "quiz",
    "whizzes": "whiz",
    "fezzes": "fez",
    # Latin and Greek plurals.
    "indices": "index",
    "matrices": "matrix",
    "vertices": "vertex",
    "appendices": "appendix",
    "vortices": "vortex",
    "cortices": "cortex",
    "apices": "apex",
    "codices": "codex",
    "helices": "helix",
    "simplices": "simplex",
    "criteria": "criterion",
    "phenomena": "phenomenon",
    "automata": "automaton",
    "schemata": "schema",
    "stigmata": "stigma",
    "genera": "genus",
    "corpora": "corpus",
    "bacteria": "bacterium",
    "curricula": "curriculum",
    "memoranda": "memorandum",
    "millennia": "millennium",
    "strata": "stratum",
    "addenda": "addendum",
    "errata": "erratum",
    "spectra": "spectrum",
    "maxima": "maximum",
    "minima": "minimum",
    "optima": "optimum",
    "quanta": "quantum",
    "referenda": "referendum",
    "symposia": "symposium",
    "consortia": "consortium",
    "alumni": "alumnus",
    "cacti": "cactus",
    "fungi": "fungus",
    "nuclei": "nucleus",
    "radii": "radius",
    "stimuli": "stimulus",
    "syllabi": "syllabus",
    "foci": "focus",
    "loci": "locus",
    "termini": "terminus",
    "bacilli": "bacillus",
    "formulae": "formula",
    "antennae": "antenna",
    "larvae": "larva",
    "vertebrae": "vertebra",
    "nebulae": "nebula",
    "alumnae": "alumna",
    "algae": "alga",
    "crises": "crisis",
    "axes": "axis",
    "oases": "oasis",
    "ellipses": "ellipsis",
    "synopses": "synopsis",
    "irises": "iris",
    "lenses": "lens",
    "atlases": "atlas",
    "canvases": "canvas",
    "pancreases": "pancreas",
    "christmases": "christmas",
    # -ves from -f/-fe; other -ves words keep the "ve".
    "leaves": "leaf",
    "sheaves": "sheaf",
    "loaves": "loaf",
    "thieves": "thief",
    "scarves": "scarf",
    "wharves": "wharf",
    "dwarves": "dwarf",
    "hooves": "hoof",
    "lives": "life",
    "afterlives": "afterlife",
    # -sses whose singular ends in -sse.
    "finesses": "finesse",
    "crevasses": "crevasse",
    "impasses": "impasse",
    "posses": "posse",
    "demitasses": "demitasse",
    # -uses whose singular ends in -use after a consonant (the default is -us: statuses).
    "uses": "use",
    "muses": "muse",
    "ruses": "ruse",
    "excuses": "excuse",
    "abuses": "abuse",
    "accuses": "accuse",
    "misuses": "misuse",
    "disuses": "disuse",
    "overuses": "overuse",
    "recluses": "recluse",
    "amuses": "amuse",
    "peruses": "peruse",
}
# -ies whose singular ends in -ie (the default is -y: categories), and -oes whose singular ends
# in -oe (the default is -o: heroes).
_IE_OE_PLURALS = _word_set(
    """
    movies cookies pies ties lies dies calories zombies rookies selfies smoothies genies
    prairies brownies goalies hoodies newbies techies freebies hippies yuppies junkies pixies
    neckties bowties magpies reveries rotisseries lingeries menageries veggies aunties cuties
    goodies foodies oldies sorties coteries birdies budgies collies groupies hotties indies
    kiddies quickies walkies talkies bookies boogies eyries
    toes tiptoes hammertoes mistletoes does hoes foes oboes canoes floes throes woes aloes
    sloes roes joes felloes
    """
)
_IRREGULAR.update({plural: plural[:-1] for plural in _IE_OE_PLURALS if plural not in _IRREGULAR})

# Suffix rules, first match wins; each replaces the matched suffix.
_SUFFIX_RULES: tuple[tuple[str, str], ...] = (
    ("people", "person"),
    ("children", "child"),
    ("women", "woman"),
    ("eaux", "eau"),
    ("wives", "wife"),
    ("knives", "knife"),
    ("wolves", "wolf"),
    ("olves", "olve"),
    ("valves", "valve"),
    ("lves", "lf"),
    ("shoes", "shoe"),
    ("fuses", "fuse"),
    ("theses", "thesis"),
    ("geneses", "genesis"),
    ("lyses", "lysis"),
    ("gnoses", "gnosis"),
    ("uroses", "urosis"),
    ("choses", "chosis"),
    ("morphoses", "morphosis"),
    ("bioses", "biosis"),
    ("ypnoses", "ypnosis"),
    ("osmoses", "osmosis"),
    ("iases", "ias"),
    ("gases", "gas"),
    ("sses", "ss"),
    ("xes", "x"),
    ("zzes", "zz"),
    ("tzes", "tz"),
    ("shes", "sh"),
    ("tches", "tch"),
)

# Singular nouns ending in -men, which would otherwise become -man.
_MEN_SINGULAR = _word_set(
    """
    amen omen specimen abdomen regimen stamen lumen acumen albumen bitumen semen hymen dolmen
    yemen cyclamen foramen rumen ramen gravamen tegmen germen carmen
    """
)

# -ches whose singular ends in -che (the default drops "es": batches).
_CHE_SUFFIXES = (
    "niches",
    "cliches",
    "quiches",
    "fiches",
    "pastiches",
    "creches",
    "psyches",
    "douches",
    "tranches",
    "avalanches",
    "cloches",
    "brioches",
    "gouaches",
)


@lru_cache(maxsize=8192)
def singularize(word: str) -> str:
    """Return the English singular of one lower-case word (unchanged if already singular)."""
    if len(word) <= 2 or word in _UNCHANGED:
        return word
    irregular = _IRREGULAR.get(word)
    if irregular is not None:
        return irregular
    for suffix, replacement in _SUFFIX_RULES:
        if word.endswith(suffix):
            return word[: -len(suffix)] + replacement
    if word.endswith("men"):
        return word if word in _MEN_SINGULAR else word[:-3] + "man"
    if not word.endswith("s") or word.endswith(("ss", "us", "is")):
        return word
    if word.endswith("ies"):
        return word[:-3] + "y"
    if word.endswith("oes"):
        return word[:-2]
    if word.endswith("uses"):
        # causes, houses keep "use"; statuses, buses, campuses drop "es".
        return word[:-1] if word[-5] in _VOWELS else word[:-2]
    if word.endswith("aches"):
        # caches, headaches keep "ache"; beaches, coaches drop "es".
        return word[:-1] if len(word) == 5 or word[-6] not in _VOWELS else word[:-2]
    if word.endswith("ches"):
        return word[:-1] if word.endswith(_CHE_SUFFIXES) else word[:-2]
    return word[:-1]


@lru_cache(maxsize=65536)
def _words(name: str) -> tuple[str, ...]:
    if not name.isascii():
        decomposed = unicodedata.normalize("NFKD", name)
        name = "".join(c for c in decomposed if not unicodedata.combining(c))
        name = name.translate(_TRANSLITERATE)
    words: list[str] = []
    for run in _ALNUM_RUN.findall(name):
        words.extend(part.lower() for part in _CAMEL_BOUNDARY.split(run) if part)
    return tuple(words)


def snake_words(name: str) -> list[str]:
    """Split an identifier-ish string into lower-case ASCII words at separators and camelCase."""
    return list(_words(name))


def _join_pascal(words: tuple[str, ...] | list[str]) -> str:
    parts: list[str] = []
    for word in words:
        # "v2" + "3" must not read as "V23", which "v23" also produces.
        if parts and parts[-1][-1].isdigit() and word[0].isdigit():
            parts.append("_")
        parts.append(word[0].upper() + word[1:])
    name = "".join(parts)
    if name[0].isdigit():
        name = "N" + name
    # Only True, False and None can collide once capitalised.
    if keyword.iskeyword(name) or name in AMBIGUOUS_NAMES:
        name += "_"
    return name


@lru_cache(maxsize=16384)
def class_base_name(table_name: str) -> str:
    """PascalCase class name for a table, with its last word singularized ("Table" if empty)."""
    words = list(_words(table_name))
    if not words:
        return "Table"
    words[-1] = singularize(words[-1])
    return _join_pascal(words)


@lru_cache(maxsize=16384)
def enum_class_name(enum_name: str) -> str:
    """PascalCase class name for an enum type, not singularized ("EnumType" if empty)."""
    words = _words(enum_name)
    return _join_pascal(words) if words else "EnumType"


@lru_cache(maxsize=16384)
def pascal(name: str) -> str:
    """Plain PascalCase identifier for any name ("X" if it has no ASCII letters or digits)."""
    words = _words(name)
    return _join_pascal(words) if words else "X"


@lru_cache(maxsize=65536)
def enum_member_name(label: str) -> str:
    """UPPER_SNAKE enum member name for a label ("EMPTY" if it has no ASCII letters or digits)."""
    name = "_".join(word.upper() for word in _words(label))
    if not name:
        return "EMPTY"
    # Words are never empty, so the name cannot start with "_" or be a _sunder_/__dunder__.
    if name in AMBIGUOUS_NAMES:
        return name + "_"
    return "N_" + name if name[0].isdigit() else name


@lru_cache(maxsize=65536)
def field_name(column: str, reserved: frozenset[str] = frozenset()) -> str:
    """Snake-case attribute name for a column, suffixed with "_" while it clashes with a name."""
    name = "_".join(_words(column)) or "field"
    if name[0].isdigit():
        name = "n_" + name
    # Words are never empty, so the name cannot start with "_" or be a dunder.
    while name in _FIELD_AVOID or name in AMBIGUOUS_NAMES or name in reserved:
        name += "_"
    return name


@lru_cache(maxsize=65536)
def pydantic_field_name(column: str, reserved: frozenset[str] = frozenset()) -> str:
    """Field name for a Pydantic v2 model: field_name() that also avoids BaseModel's names."""
    name = field_name(column)
    if name.startswith(PYDANTIC_PROTECTED_PREFIXES):
        # A suffix cannot defeat a prefix check, so break the prefix: model__dump_at.
        name = name[:6] + "_" + name[6:]
    while name in PYDANTIC_RESERVED or name in reserved or name in _FIELD_AVOID:
        name += "_"
    return name


def find_free_name(base: str, taken: set[str], sep: str = "") -> str:
    """Return base, or base+sep+N for the first free N >= 2, and add the result to taken."""
    name = base
    if name in taken:
        # "id_" with sep "_" gives "id_2", not "id__2".
        stem = base[: -len(sep)] if sep and base.endswith(sep) else base
        number = 2
        while (name := f"{stem}{sep}{number}") in taken:
            number += 1
    taken.add(name)
    return name


def import_order(names: Iterable[str]) -> list[str]:
    """The names of one `from m import ...` in the order ruff's isort rules (I001) want.

    Constants (ALL_CAPS, longer than one character) first, then Classes, then the rest;
    within each, natural order ignoring case, then natural order with case. The built-in
    templates rely on it to skip ruff's fix pass; a test checks it against ruff itself.
    """
    return sorted(names, key=_import_key)


def _import_key(name: str) -> tuple[int, Any, Any]:
    if len(name) > 1 and name.upper() == name and name.lower() != name:
        kind = 0
    elif name[:1].isupper():
        kind = 1
    else:
        kind = 2
    return kind, _NATURAL(name.lower()), _NATURAL(name)


def _natural_compare(a: str, b: str) -> int:
    """strnatcmp, as the natord crate that ruff uses implements it (no whitespace here)."""
    i = j = 0
    while True:
        if i >= len(a) or j >= len(b):
            return (i < len(a)) - (j < len(b))
        ca, cb = a[i], b[j]
        if ca.isdigit() and cb.isdigit():
            if ca == "0" or cb == "0":
                result, i, j = _compare_left(a, i, b, j)
            else:
                result, i, j = _compare_right(a, i, b, j)
            if result:
                return result
            continue
        if ca != cb:
            return -1 if ca < cb else 1
        i += 1
        j += 1


def _compare_left(a: str, i: int, b: str, j: int) -> tuple[int, int, int]:
    # Runs with a leading zero compare as fractions: digit by digit, the shorter run first.
    while True:
        da = i < len(a) and a[i].isdigit()
        db = j < len(b) and b[j].isdigit()
        if not da and not db:
            return 0, i, j
        if not da:
            return -1, i, j
        if not db:
            return 1, i, j
        if a[i] != b[j]:
            return (-1 if a[i] < b[j] else 1), i, j
        i += 1
        j += 1


def _compare_right(a: str, i: int, b: str, j: int) -> tuple[int, int, int]:
    # Other runs compare as integers: the longer run is bigger, else the first difference.
    bias = 0
    while True:
        da = i < len(a) and a[i].isdigit()
        db = j < len(b) and b[j].isdigit()
        if not da and not db:
            return bias, i, j
        if not da:
            return -1, i, j
        if not db:
            return 1, i, j
        if not bias and a[i] != b[j]:
            bias = -1 if a[i] < b[j] else 1
        i += 1
        j += 1


_NATURAL = functools.cmp_to_key(_natural_compare)


@lru_cache(maxsize=65536)
def is_plain_identifier(name: str) -> bool:
    """True when name can be a class-syntax TypedDict key exactly as it is."""
    return (
        name.isascii()
        and name.isidentifier()
        and not keyword.iskeyword(name)
        and name not in AMBIGUOUS_NAMES
        and not name.startswith("__")
    )
