"""Names derived from catalog names: singular class names, snake fields, enum members."""

from __future__ import annotations

import builtins
import keyword
import random
import subprocess
import sys
import warnings
from pathlib import Path

import pytest

from sync_schema.naming import (
    BUILTIN_NAMES,
    PYDANTIC_RESERVED,
    class_base_name,
    enum_class_name,
    enum_member_name,
    field_name,
    find_free_name,
    import_order,
    is_plain_identifier,
    pascal,
    pydantic_field_name,
    singularize,
    snake_words,
)

REGULAR = [
    ("organizations", "organization"),
    ("projects", "project"),
    ("users", "user"),
    ("settings", "setting"),
    ("keys", "key"),
    ("days", "day"),
    ("photos", "photo"),
    ("prices", "price"),
    ("devices", "device"),
    ("roles", "role"),
    ("ids", "id"),
    ("metrics", "metric"),
]
IES = [
    ("categories", "category"),
    ("companies", "company"),
    ("activities", "activity"),
    ("queries", "query"),
    ("movies", "movie"),
    ("cookies", "cookie"),
    ("ties", "tie"),
    ("zombies", "zombie"),
]
SIBILANTS = [
    ("addresses", "address"),
    ("classes", "class"),
    ("processes", "process"),
    ("boxes", "box"),
    ("indexes", "index"),
    ("taxes", "tax"),
    ("batches", "batch"),
    ("matches", "match"),
    ("switches", "switch"),
    ("wishes", "wish"),
    ("hashes", "hash"),
    ("buzzes", "buzz"),
    ("waltzes", "waltz"),
    ("sizes", "size"),
    ("caches", "cache"),
    ("headaches", "headache"),
    ("beaches", "beach"),
    ("coaches", "coach"),
    ("niches", "niche"),
    ("avalanches", "avalanche"),
    ("branches", "branch"),
]
SES = [
    ("statuses", "status"),
    ("buses", "bus"),
    ("campuses", "campus"),
    ("viruses", "virus"),
    ("bonuses", "bonus"),
    ("causes", "cause"),
    ("houses", "house"),
    ("uses", "use"),
    ("excuses", "excuse"),
    ("fuses", "fuse"),
    ("analyses", "analysis"),
    ("hypotheses", "hypothesis"),
    ("parentheses", "parenthesis"),
    ("diagnoses", "diagnosis"),
    ("crises", "crisis"),
    ("bases", "base"),
    ("databases", "database"),
    ("cases", "case"),
    ("phases", "phase"),
    ("aliases", "alias"),
    ("biases", "bias"),
    ("gases", "gas"),
    ("licenses", "license"),
    ("responses", "response"),
    ("purposes", "purpose"),
    ("noses", "nose"),
    ("premises", "premise"),
    ("lenses", "lens"),
]
VES = [
    ("leaves", "leaf"),
    ("knives", "knife"),
    ("wives", "wife"),
    ("wolves", "wolf"),
    ("halves", "half"),
    ("shelves", "shelf"),
    ("lives", "life"),
    ("thieves", "thief"),
    ("archives", "archive"),
    ("drives", "drive"),
    ("objectives", "objective"),
    ("olives", "olive"),
    ("valves", "valve"),
    ("curves", "curve"),
    ("gloves", "glove"),
    ("waves", "wave"),
]
OES = [
    ("heroes", "hero"),
    ("potatoes", "potato"),
    ("echoes", "echo"),
    ("shoes", "shoe"),
    ("toes", "toe"),
    ("canoes", "canoe"),
]
IRREGULAR = [
    ("people", "person"),
    ("salespeople", "salesperson"),
    ("children", "child"),
    ("grandchildren", "grandchild"),
    ("men", "man"),
    ("chairmen", "chairman"),
    ("women", "woman"),
    ("mice", "mouse"),
    ("geese", "goose"),
    ("feet", "foot"),
    ("teeth", "tooth"),
    ("oxen", "ox"),
    ("indices", "index"),
    ("matrices", "matrix"),
    ("vertices", "vertex"),
    ("criteria", "criterion"),
    ("phenomena", "phenomenon"),
    ("quizzes", "quiz"),
    ("alumni", "alumnus"),
    ("cacti", "cactus"),
    ("formulae", "formula"),
    ("axes", "axis"),
    ("bureaux", "bureau"),
]
UNCHANGED = [
    "data",
    "metadata",
    "media",
    "information",
    "equipment",
    "news",
    "series",
    "species",
    "software",
    "feedback",
    "analytics",
    "status",
    "address",
    "analysis",
    "bus",
    "class",
    "process",
    "access",
    "campus",
    "virus",
    "alias",
    "canvas",
    "gas",
    "bias",
    "axis",
    "chassis",
    "user",
    "person",
    "specimen",
    "dns",
    "os",
    "a",
    "",
    "v2",
    "item2",
]


@pytest.mark.parametrize(("plural", "singular"), REGULAR)
def test_regular_plurals_drop_their_s(plural: str, singular: str) -> None:
    assert singularize(plural) == singular


@pytest.mark.parametrize(("plural", "singular"), IES)
def test_ies_plurals_become_y_unless_the_singular_ends_in_ie(plural: str, singular: str) -> None:
    assert singularize(plural) == singular


@pytest.mark.parametrize(("plural", "singular"), SIBILANTS)
def test_sibilant_plurals_drop_es(plural: str, singular: str) -> None:
    assert singularize(plural) == singular


@pytest.mark.parametrize(("plural", "singular"), SES)
def test_ses_plurals_choose_between_s_es_and_is(plural: str, singular: str) -> None:
    assert singularize(plural) == singular


@pytest.mark.parametrize(("plural", "singular"), VES)
def test_ves_plurals_become_f_only_for_f_words(plural: str, singular: str) -> None:
    assert singularize(plural) == singular


@pytest.mark.parametrize(("plural", "singular"), OES)
def test_oes_plurals_become_o_unless_the_singular_ends_in_oe(plural: str, singular: str) -> None:
    assert singularize(plural) == singular


@pytest.mark.parametrize(("plural", "singular"), IRREGULAR)
def test_irregular_plurals_singularize(plural: str, singular: str) -> None:
    assert singularize(plural) == singular


@pytest.mark.parametrize("word", UNCHANGED)
def test_uncountable_and_singular_words_are_unchanged(word: str) -> None:
    assert singularize(word) == word


def test_singularize_is_idempotent() -> None:
    tables = [REGULAR, IES, SIBILANTS, SES, VES, OES, IRREGULAR]
    singulars = [singular for table in tables for _, singular in table]
    assert [singularize(word) for word in singulars] == singulars


@pytest.mark.parametrize(
    ("name", "words"),
    [
        ("organization_members", ["organization", "members"]),
        ("HTTPServer", ["http", "server"]),
        ("userID", ["user", "id"]),
        ("userIDs", ["user", "ids"]),
        ("APIsList", ["apis", "list"]),
        ("getHTTPResponseCode", ["get", "http", "response", "code"]),
        ("PascalCase", ["pascal", "case"]),
        ("v2_items", ["v2", "items"]),
        ("ID2Name", ["id2", "name"]),
        ("2fa_codes", ["2fa", "codes"]),
        ("First Name", ["first", "name"]),
        ("kebab-case.dotted/slashed", ["kebab", "case", "dotted", "slashed"]),
        ("__dunder__", ["dunder"]),
        ("", []),
        ("_", []),
        ("!!!", []),
    ],
)
def test_snake_words_split_at_separators_and_case_changes(name: str, words: list[str]) -> None:
    assert snake_words(name) == words


@pytest.mark.parametrize(
    ("name", "words"),
    [
        ("café", ["cafe"]),
        ("Ångström_unit", ["angstrom", "unit"]),
        ("naïve résumé", ["naive", "resume"]),
        ("Straße", ["strasse"]),
        ("smørrebrød", ["smorrebrod"]),
        ("\uff26\uff35\uff2c\uff2c width", ["full", "width"]),
        ("🚀launch🚀", ["launch"]),
        ("名前", []),
        ("x\u200by", ["x", "y"]),
    ],
)
def test_snake_words_transliterate_or_drop_non_ascii(name: str, words: list[str]) -> None:
    assert snake_words(name) == words


def test_snake_words_returns_a_fresh_list_each_call() -> None:
    snake_words("user_id").append("mutated")
    assert snake_words("user_id") == ["user", "id"]


@pytest.mark.parametrize(
    ("table", "name"),
    [
        ("organizations", "Organization"),
        ("organization_members", "OrganizationMember"),
        ("people", "Person"),
        ("project_statuses", "ProjectStatus"),
        ("user_data", "UserData"),
        ("categories", "Category"),
        ("addresses", "Address"),
        ("status", "Status"),
        ("news_items", "NewsItem"),
        ("userProfiles", "UserProfile"),
        ("Weird Table!", "WeirdTable"),
        ("2fa_codes", "N2faCode"),
        ("v2_3", "V2_3"),
        ("🚀", "Table"),
        ("", "Table"),
        ("none", "None_"),
        ("trues", "True_"),
        ("i", "I_"),
        ("O", "O_"),
    ],
)
def test_class_base_name_is_pascal_case_with_a_singular_last_word(table: str, name: str) -> None:
    assert class_base_name(table) == name


@pytest.mark.parametrize(
    ("enum", "name"),
    [
        ("project_status", "ProjectStatus"),
        ("org_type", "OrgType"),
        ("statuses", "Statuses"),
        ("3d_kind", "N3dKind"),
        ("✨", "EnumType"),
        ("none", "None_"),
        ("o", "O_"),
    ],
)
def test_enum_class_name_is_pascal_case_and_not_singularized(enum: str, name: str) -> None:
    assert enum_class_name(enum) == name


@pytest.mark.parametrize(
    ("raw", "name"),
    [
        ("point_3d", "Point3d"),
        ("get_user_by_id", "GetUserById"),
        ("money_amounts", "MoneyAmounts"),
        ("9lives", "N9lives"),
        ("", "X"),
        ("💥", "X"),
        ("I", "I_"),
    ],
)
def test_pascal_is_plain_pascal_case(raw: str, name: str) -> None:
    assert pascal(raw) == name


@pytest.mark.parametrize(
    ("label", "member"),
    [
        ("active", "ACTIVE"),
        ("in-progress", "IN_PROGRESS"),
        ("On Hold", "ON_HOLD"),
        ("inProgress", "IN_PROGRESS"),
        ("1st", "N_1ST"),
        ("", "EMPTY"),
        ("🚀", "EMPTY"),
        ("_", "EMPTY"),
        ("__init__", "INIT"),
        ("_sunder_", "SUNDER"),
        ("mro", "MRO"),
        ("name", "NAME"),
        ("None", "NONE"),
        ("déjà vu", "DEJA_VU"),
        ("i", "I_"),
        ("o", "O_"),
    ],
)
def test_enum_member_names_are_upper_snake(label: str, member: str) -> None:
    assert enum_member_name(label) == member


@pytest.mark.parametrize(
    ("column", "name"),
    [
        ("user_id", "user_id"),
        ("userID", "user_id"),
        ("First Name", "first_name"),
        ("createdAt", "created_at"),
        ("2fa", "n_2fa"),
        ("", "field"),
        ("🚀", "field"),
        ("__secret", "secret"),
        ("_private", "private"),
        ("café", "cafe"),
        ("l", "l_"),
        ("L", "l_"),
    ],
)
def test_field_names_are_lower_snake(column: str, name: str) -> None:
    assert field_name(column) == name


@pytest.mark.parametrize(
    ("column", "name"),
    [
        ("class", "class_"),
        ("def", "def_"),
        ("from", "from_"),
        ("None", "none"),
        ("match", "match"),
        ("case", "case"),
        ("type", "type"),
        ("_", "field"),
    ],
)
def test_hard_keywords_get_a_trailing_underscore_soft_ones_stay(column: str, name: str) -> None:
    assert field_name(column) == name


@pytest.mark.parametrize("word", [*keyword.kwlist, *keyword.softkwlist])
def test_no_keyword_survives_as_a_field_name(word: str) -> None:
    assert not keyword.iskeyword(field_name(word))


@pytest.mark.parametrize(
    ("column", "name"),
    [("id", "id"), ("type", "type"), ("list", "list"), ("hash", "hash")],
)
def test_builtins_stay_as_field_names_unless_reserved(column: str, name: str) -> None:
    assert field_name(column) == name
    assert field_name(column, frozenset({column})) == f"{name}_"


@pytest.mark.parametrize("name", ["l", "I", "O"])
def test_ambiguous_names_are_never_plain_typeddict_keys(name: str) -> None:
    # ruff's default rules (E741) reject them as attribute names: functional syntax keeps them.
    assert not is_plain_identifier(name)


def test_builtin_names_cover_the_running_python() -> None:
    public = {name for name in dir(builtins) if not name.startswith("_")}
    assert public <= BUILTIN_NAMES


@pytest.mark.parametrize(
    ("column", "reserved", "name"),
    [
        ("date", frozenset({"date"}), "date_"),
        ("date", frozenset({"date", "date_"}), "date__"),
        ("uuid", frozenset({"date"}), "uuid"),
    ],
)
def test_reserved_names_get_a_trailing_underscore(
    column: str, reserved: frozenset[str], name: str
) -> None:
    assert field_name(column, reserved) == name


@pytest.mark.parametrize(
    ("column", "name"),
    [
        ("model_config", "model_config_"),
        ("model_fields", "model_fields_"),
        ("model_dump", "model__dump"),
        ("model_dump_json", "model__dump_json"),
        ("model_validated_at", "model__validated_at"),
        ("model_id", "model_id"),
        ("schema", "schema_"),
        ("copy", "copy_"),
        ("json", "json_"),
        ("fields", "fields_"),
        ("validate", "validate_"),
        ("id", "id"),
        ("name", "name"),
    ],
)
def test_pydantic_field_names_avoid_base_model_names(column: str, name: str) -> None:
    assert pydantic_field_name(column) == name


def test_pydantic_field_name_honours_extra_reserved_names() -> None:
    assert pydantic_field_name("date", frozenset({"date"})) == "date_"


def test_pydantic_reserved_covers_base_model() -> None:
    from pydantic import BaseModel

    # pydantic warns when a field name is any attribute of the base class, its metaclass's too.
    candidates = set(dir(BaseModel)) | set(dir(type(BaseModel)))
    public = {n for n in candidates if not n.startswith("_") and hasattr(BaseModel, n)}
    assert public <= PYDANTIC_RESERVED


def test_pydantic_accepts_every_generated_field_name_without_warnings() -> None:
    from pydantic import create_model

    columns = [
        *PYDANTIC_RESERVED,
        "model_dump_extra",
        "model_validate_me",
        "model_id",
        "model_name",
        "dict",
        "self",
    ]
    names = sorted({pydantic_field_name(column) for column in columns})
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        model = create_model("Generated", **dict.fromkeys(names, (int, 0)))  # type: ignore[call-overload]
    assert sorted(model.model_fields) == names


@pytest.mark.parametrize(
    ("base", "taken", "sep", "result"),
    [
        ("User", set(), "", "User"),
        ("User", {"User"}, "", "User2"),
        ("User", {"User", "User2"}, "", "User3"),
        ("EMPTY", {"EMPTY"}, "_", "EMPTY_2"),
        ("id_", {"id_"}, "_", "id_2"),
        ("name", {"name", "name_2", "name_3"}, "_", "name_4"),
    ],
)
def test_find_free_name_counts_up_from_two(
    base: str, taken: set[str], sep: str, result: str
) -> None:
    before = set(taken)
    assert find_free_name(base, taken, sep) == result
    assert taken == before | {result}


def test_find_free_name_is_deterministic_over_repeated_calls() -> None:
    taken: set[str] = set()
    assert [find_free_name("Item", taken) for _ in range(4)] == ["Item", "Item2", "Item3", "Item4"]


@pytest.mark.parametrize(
    ("name", "plain"),
    [
        ("user_id", True),
        ("CamelCase", True),
        ("_private", True),
        ("x1", True),
        ("class", False),
        ("match", True),
        ("type", True),
        ("_", True),
        ("__mangled", False),
        ("__dunder__", False),
        ("first name", False),
        ("1st", False),
        ("café", False),
        ("", False),
    ],
)
def test_is_plain_identifier_accepts_only_safe_class_syntax_keys(name: str, plain: bool) -> None:
    assert is_plain_identifier(name) is plain


HOSTILE_NAMES = [
    "",
    "_",
    "__",
    "__class__",
    "class",
    "None",
    "True",
    "match",
    "123",
    "1st place",
    "🚀🚀",
    "名前",
    "drop table; --",
    "x\x00y",
    "a\nb",
    "ﬁle",
    "ⅻ",
    "mro",
    "model_config",
]


@pytest.mark.parametrize("raw", HOSTILE_NAMES)
def test_every_generated_name_is_an_ascii_identifier_and_not_a_keyword(raw: str) -> None:
    for name in (
        class_base_name(raw),
        enum_class_name(raw),
        pascal(raw),
        enum_member_name(raw),
        field_name(raw),
        pydantic_field_name(raw),
    ):
        assert name.isascii()
        assert name.isidentifier()
        assert not keyword.iskeyword(name)
        assert not name.startswith("_")


# --- import order: what ruff's isort rules (I001) want, so no fix pass is needed ------------


def _random_import_names(rng: random.Random) -> list[str]:
    pieces = ["Account", "account", "ID", "Id", "id", "N", "X", "Value", "VALUE", "I", "O", "a"]
    digits = ["0", "00", "01", "1", "2", "9", "10", "010", "100", "0040", ""]
    names: set[str] = set()
    for _ in range(rng.randint(2, 6)):
        name = "".join(rng.choice(pieces) + rng.choice(["", "_"]) + rng.choice(digits)
                       for _ in range(rng.randint(1, 3)))  # fmt: skip
        if name.isidentifier():
            names.add(name)
    return sorted(names) or ["x"]


def test_import_order_matches_ruffs_isort_on_generated_name_shapes(tmp_path: Path) -> None:
    rng = random.Random(20261125)
    cases = [
        ["Class", "N0"],
        ["Account10", "Account9", "account_2"],
        ["A01", "A1", "A001", "A0", "A10"],
        ["X_1", "X1", "x1", "X_01"],
        ["I_", "ID", "Id", "id_"],
        *(_random_import_names(rng) for _ in range(400)),
    ]
    source = "".join(
        f"from m{index:04d} import {', '.join(import_order(names))}\n"
        for index, names in enumerate(cases)
    )
    path = tmp_path / "imports.py"
    path.write_text(source, encoding="utf-8")

    result = subprocess.run(
        [str(Path(sys.executable).parent / "ruff"), "check", "--isolated", "--no-cache",
         "--select", "I", "--line-length", "10000", "--diff", str(path)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout
