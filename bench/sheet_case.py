"""The benchmark's sheet case: a clerk's filled monthly sheet of 1,000 rows for a generated repository.

    from bench.sheet_case import write_filled_sheet, import_args
    rows = write_filled_sheet(root, root / "june.xlsx")          # not timed: the clerk's part
    restore = restorer(root, root / "june.xlsx")                 # after each timed run
    timed: subprocess.run(["projledger", *import_args(root / "june.xlsx")], cwd=root)

``write_filled_sheet`` exports the month's due rows exactly as ``sheet export`` does (it walks
the repository: export may), keeps ``rows`` of them spread over the whole list, and fills them
the way ``tests/test_cli_sheet.py`` does a clerk's: BE dates, progress a few points up, the
disbursed amount left empty (unchanged) on every third row, Thai notes, a plan status on some.
Every row is valid, so the timed import reads, checks and writes 1,000 records and only those.
Running the import a second time on the same repository measures the "already there" path.

Also runnable: ``python bench/sheet_case.py ROOT [--rows 1000] [--output june.xlsx]``.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from pathlib import Path

#: The generator never dates a report after this day (bench/generate.py AS_OF).
AS_OF = date(2025, 6, 30)
MONTH = (2025, 6)
NOTES = [
    "ดำเนินการตามแผนและติดตามผลการดำเนินงาน",
    "อยู่ระหว่างการเบิกจ่ายงบประมาณ",
    "ตรวจรับงานงวดที่ ๒ เรียบร้อยแล้ว",
    "จัดประชุมคณะทำงานเพื่อติดตามความก้าวหน้า",
]


def write_filled_sheet(
    root: Path, output: Path, *, rows: int = 1000, month: tuple[int, int] = MONTH, as_of: date = AS_OF
) -> int:
    """Write ``output`` (.xlsx or .csv): ``rows`` filled rows due for ``month`` in ``root``; returns
    how many rows it holds (fewer only when fewer reports are due)."""
    from projledger.core.calendar import format_be
    from projledger.core.config import load_config
    from projledger.core.portfolio import Filters
    from projledger.core.sheet import export_rows, write_sheet

    config = load_config(root)
    due = export_rows(config, as_of, month[0], month[1], Filters())
    step = max(len(due) // rows, 1)
    chosen = due[::step][:rows]
    day = date(month[0], month[1], min(25, as_of.day))
    for index, line in enumerate(chosen):
        latest = line["latest_progress"] or Decimal(0)
        line["date"] = format_be(day)
        line["progress"] = min(latest + 5, Decimal(100))
        if index % 3:
            line["disbursed"] = line["latest_disbursed"] or Decimal(0)
        if index % 4 == 0:
            line["plan_status"] = "ไม่เป็นไปตามแผน"  # cautious: never rosier than computed
        line["note"] = NOTES[index % len(NOTES)]
    write_sheet(output, "report", chosen, str(output))
    return len(chosen)


def import_args(sheet: Path, as_of: date = AS_OF) -> list[str]:
    """The arguments of the timed command (run with the repository as the working folder)."""
    return ["sheet", "import", str(sheet), "--as-of", as_of.isoformat()]


def restorer(root: Path, sheet: Path) -> Callable[[], None]:
    """A function that puts back the bytes the sheet's records hold now (call it after each timed
    import, so every run appends to the same records)."""
    from projledger.core.config import load_config
    from projledger.core.repository import find_by_code
    from projledger.core.sheet import read_table

    config = load_config(root)
    saved: dict[Path, bytes] = {}
    for row in read_table(sheet, str(sheet)).rows:
        path = find_by_code(str(row.cells["code"].value), config)
        if path is not None:
            saved[path] = path.read_bytes()

    def restore() -> None:
        for path, content in saved.items():
            path.write_bytes(content)

    return restore


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("root", type=Path)
    parser.add_argument("--rows", type=int, default=1000)
    parser.add_argument("--output", type=Path, default=None)
    args = parser.parse_args()
    output = args.output or args.root / "sheet-june.xlsx"
    count = write_filled_sheet(args.root, output, rows=args.rows)
    print(f"{output}: {count} rows; time: cd {args.root} && projledger {' '.join(import_args(output))}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
