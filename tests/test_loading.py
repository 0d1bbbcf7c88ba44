"""Reading a record file: exact numbers, and a clear refusal of what is not a record."""

from __future__ import annotations

import codecs
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from projledger.core.check import check_file
from projledger.core.config import load_config
from projledger.core.errors import RecordError
from projledger.core.record import MAX_RECORD_BYTES, document_from_bytes, read_document

from conftest import SHIPPED

AS_OF = date(2026, 11, 25)


def test_money_and_progress_are_decimals() -> None:
    data = read_document(SHIPPED).data
    assert data["budget"] == Decimal("3540000.0") and isinstance(data["budget"], Decimal)
    assert isinstance(data["reports"][0]["progress"], Decimal)
    assert data["start"] == date(2021, 10, 1)


@pytest.mark.parametrize(
    ("raw", "rule", "words"),
    [
        (b"", "empty", "empty"),
        (b"  \n\n", "empty", "empty"),
        (b"format = 1\x00\x01\x02", "encoding", "binary"),
        (codecs.BOM_UTF16_LE + "format = 1\n".encode("utf-16-le"), "encoding", "the file is UTF-16;"),
        ("format = 1\n".encode("utf-32"), "encoding", "the file is UTF-32;"),  # was named UTF-16
        (b'name = "\xe0\xb8"\n', "encoding", "not UTF-8"),
        (b"a = " + b"[" * 5000 + b"]" * 5000, "toml-syntax", "nested too deep"),
        (b"a = 1\na = 2\n", "toml-syntax", "not valid TOML"),
        (b"x = inf\n", "non-finite", "not a number"),
        (b"x = -nan\n", "non-finite", "not a number"),
    ],
)
def test_what_is_not_a_record_is_refused_by_name(raw: bytes, rule: str, words: str) -> None:
    with pytest.raises(RecordError) as caught:
        document_from_bytes(raw, Path("r.toml"))
    assert caught.value.rule == rule
    assert words in caught.value.message
    assert "\n" not in str(caught.value)


def test_over_one_mib_is_refused_before_parsing() -> None:
    with pytest.raises(RecordError, match="over the 1 MiB limit") as caught:
        document_from_bytes(b"#" * (MAX_RECORD_BYTES + 1), Path("r.toml"))
    assert caught.value.rule == "too-large"


def test_bom_and_crlf_are_accepted(repo: Path) -> None:
    path = repo / "records" / "2565" / SHIPPED.name
    text = SHIPPED.read_text("utf-8").replace("\n", "\r\n")
    path.write_bytes(codecs.BOM_UTF8 + text.encode("utf-8"))
    result = check_file(path, load_config(repo), AS_OF)
    assert [(f.rule, f.line) for f in result.findings] == [("progress-dip", 73)]


@pytest.mark.parametrize("name", ["MIMALLOC_PURGE_DELAY", "MIMALLOC_ARENA_EAGER_COMMIT"])
@pytest.mark.parametrize(("given", "expected"), [(None, "0"), ("250", "250")])
def test_toml_rs_allocator_holds_no_memory_it_does_not_use(
    name: str, given: str | None, expected: str
) -> None:
    # toml-rs's mimalloc otherwise keeps the pages of thousands of records read (12 MB in a
    # worker of a cold validate) and commits its first arena whole as it loads (5.4 MB resident
    # for one record read, 1.6 MB without); set before the library loads, a value the user set
    # is kept
    import os
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if k != name}
    if given is not None:
        env[name] = given
    code = f"import os, projledger.core.record; print(os.environ[{name!r}])"
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert done.stdout.strip() == expected
