"""Our errors cross process boundaries whole: the site and the index check records on worker
processes, and an error a worker raises must reach the command as the same one-line message."""

from __future__ import annotations

import pickle
from concurrent.futures import ProcessPoolExecutor

import pytest

import projledger.main  # noqa: F401  (imports every module that defines an error of ours)
from projledger.core import errors
from projledger.core.errors import ProjledgerError, RecordError


def _every_error_class() -> list[type[ProjledgerError]]:
    found, todo = [], [ProjledgerError]
    while todo:
        cls = todo.pop()
        found.append(cls)
        todo.extend(cls.__subclasses__())
    return found


def _made(cls: type[ProjledgerError]) -> ProjledgerError:
    error = cls.__new__(cls)
    Exception.__init__(error, "ข้อความ")
    error.__dict__.update(message="ข้อความ", path="records/2565/x.toml", line=7, field="budget", rule="r")
    return error


@pytest.mark.parametrize("cls", _every_error_class(), ids=lambda cls: cls.__name__)
def test_every_error_survives_pickling_with_its_message(cls: type[ProjledgerError]) -> None:
    error = _made(cls)
    again = pickle.loads(pickle.dumps(error))
    assert type(again) is cls
    assert str(again) == str(error)
    assert again.__dict__ == error.__dict__
    assert again.exit_code == error.exit_code


def _refuse(path: str) -> None:
    raise RecordError("ไม่ใช่ระเบียนโครงการ", rule="format-version", path=path, line=3)


def test_an_error_raised_in_a_worker_reaches_the_caller_instead_of_hanging() -> None:
    with ProcessPoolExecutor(max_workers=1) as pool:
        future = pool.submit(_refuse, "records/2565/a.toml")
        with pytest.raises(RecordError) as raised:
            future.result(timeout=60)
    assert str(raised.value) == "records/2565/a.toml:3: ไม่ใช่ระเบียนโครงการ"
    assert raised.value.rule == "format-version"


def test_the_module_names_no_error_without_the_base() -> None:
    assert all(
        issubclass(value, ProjledgerError)
        for name, value in vars(errors).items()
        if isinstance(value, type) and issubclass(value, Exception) and name.endswith("Error")
    )
