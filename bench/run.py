"""The benchmark: projledger's commands as whole processes on generated portfolios, side by side
with (a) a process that only parses the same files with tomllib (2 processes) and (b)
check-jsonschema over the same files, in the same run.

    python bench/run.py                       # 1,000 and 10,000 records (make bench)
    python bench/run.py --sizes 100000 ...    # make bench-large
    python bench/run.py --smoke               # 50 records, one run each, no check-jsonschema

Each figure is the median wall time of ``--runs`` runs and the peak resident memory of the
largest process of the command's process tree (``os.wait4``'s rusage, as ``/usr/bin/time -v``
gives it; processes the command left running, such as its pool's forkserver, are adopted,
waited for and counted too). Cold runs get a fresh, empty cache folder (``PROJLEDGER_CACHE_DIR``), so nothing
cached anywhere helps them, the user's own cache folder included. The table is printed and
written to ``--out`` (default ``bench/results.md``) with the machine's description.
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
PROJECT_ROOT = HERE.parent
sys.path.insert(0, str(PROJECT_ROOT))

from bench.generate import AS_OF, generate  # noqa: E402

BIN = Path(sys.executable).parent
PROJLEDGER = str(BIN / "projledger")
CHECK_JSONSCHEMA = str(BIN / "check-jsonschema")
SCHEMA = PROJECT_ROOT / "schemas" / "project.schema.json"
KPI_SCHEMA = PROJECT_ROOT / "schemas" / "kpi.schema.json"
AS_OF_ARG = AS_OF.isoformat()
#: Arguments per check-jsonschema process, well under the kernel's limit on a command line.
ARGS_PER_PROCESS = 20_000

TARGETS = {  # (row, limit on the ratio to check-jsonschema at 10,000 records)
    "validate, cold": 0.10,
    "status, warm (unchanged)": 0.01,
    "summary, warm (unchanged)": 0.01,
    "status, after one record changed": 0.02,
    "summary, after one record changed": 0.02,
    "status, after one KPI changed": 0.02,  # the KPI portfolio only
    "summary, after one KPI changed": 0.02,
    "sheet import, 1,000 rows": 0.5,
    "site, cold": 0.75,
    "site, after one record changed": 0.05,
}
MEMORY_LIMIT_MB = 50
#: The portfolios every figure is measured on: the generator's plain one, a second one where
#: two records in three carry a warning and layouts vary (bench/generate.py ``varied``), so no
#: lever can fit the first one's shape alone, and a third of format 2 (``kpi``): the varied one
#: as format-2 projects with evaluations and budget revisions, plus one KPI for every five
#: projects (a portfolio of N records holds N projects and N / 5 KPIs: 10,000 + 2,000 files).
PORTFOLIOS = {"plain": "r", "varied": "v", "kpi": "k"}


@dataclass
class Timing:
    seconds: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)
    peak_kb: int = 0
    failed: str = ""

    @property
    def median(self) -> float:
        return statistics.median(self.seconds) if self.seconds else float("nan")

    @property
    def cpu_median(self) -> float:
        """CPU seconds (user + system) of the whole process tree: less sensitive to a busy machine."""
        return statistics.median(self.cpu) if self.cpu else float("nan")


def adopt_orphans() -> None:
    """Make this process the reaper of its descendants' orphans (Linux): a command's pool
    started from a forkserver is not the command's child, and the forkserver is never waited
    for by the command, so ``wait4`` on the command alone would leave their CPU and memory out."""
    if sys.platform == "linux":
        import ctypes

        pr_set_child_subreaper = 36
        ctypes.CDLL(None, use_errno=True).prctl(pr_set_child_subreaper, 1, 0, 0, 0)


def timed(
    argv: Sequence[str], cwd: Path, env: dict[str, str], *, ok_codes: tuple[int, ...] = (0, 1)
) -> tuple[float, float, int, str]:
    """Run one process; (wall seconds until it exits, CPU seconds of its whole tree, peak RSS
    in KB of the tree's largest process, error). What it left running (a forkserver and its
    processes, reparented here by ``adopt_orphans``) is waited for and counted too."""
    with tempfile.TemporaryFile() as errors:
        start = time.perf_counter()
        process = subprocess.Popen(argv, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=errors)
        _, status, usage = os.wait4(process.pid, 0)
        elapsed = time.perf_counter() - start
        cpu, peak = usage.ru_utime + usage.ru_stime, usage.ru_maxrss
        while True:
            try:
                _, _, left = os.wait4(-1, 0)
            except ChildProcessError:
                break
            cpu, peak = cpu + left.ru_utime + left.ru_stime, max(peak, left.ru_maxrss)
        errors.seek(0)
        stderr = errors.read()
    code = os.waitstatus_to_exitcode(status)
    error = "" if code in ok_codes else f"exit {code}: {stderr.decode(errors='replace')[-300:]}"
    return elapsed, cpu, peak, error


def measure(runs: int, argv_for: Callable[[], Sequence[Sequence[str]]], cwd: Path, env: Callable[[], dict[str, str]],
            before: Callable[[], None] = lambda: None, after: Callable[[], None] = lambda: None) -> Timing:  # fmt: skip
    """Median of ``runs``; a step of several processes (check-jsonschema in batches) adds up."""
    timing = Timing()
    for _ in range(runs):
        before()
        total, cpu, environment = 0.0, 0.0, env()
        for argv in argv_for():
            seconds, used, peak, error = timed(argv, cwd, environment)
            total += seconds
            cpu += used
            timing.peak_kb = max(timing.peak_kb, peak)
            timing.failed = timing.failed or error
        after()
        timing.seconds.append(total)
        timing.cpu.append(cpu)
    return timing


#: Free space below which ``set_aside`` deletes at once rather than keep a tree to the end.
SET_ASIDE_MIN_FREE = 10 * 1024**3


def set_aside(path: Path) -> None:
    """Move a tree the benchmark is done with out of the way, to be deleted with the scratch
    folder when every figure is taken (deleted at once when the disk is short of room).

    Deleting thousands of files makes the next thousands of files created slower for minutes,
    whatever creates them: ext4 without a journal (this machine's root file system) passes over
    every inode freed in the last 5 s, 300 s while its block is not yet written back, before it
    reuses one (``recently_deleted`` in fs/ext4/ialloc.c). Measured here: a file's creation took
    0.02-0.03 ms on a quiet file system and 0.4-0.65 ms after 3,000 to 30,000 deletions, and a
    cold site of 10,000 records spent 5.9 s of system time right after the previous site was
    deleted against 2.9 s with no deletion before it. The benchmark's own deletions (a site,
    a copied portfolio) would then be charged to the next command timed, so it makes none."""
    if not path.exists():
        return
    if shutil.disk_usage(path.parent).free < SET_ASIDE_MIN_FREE:
        shutil.rmtree(path, ignore_errors=True)
        return
    aside = Path(tempfile.mkdtemp(prefix=".set-aside-", dir=path.parent))
    path.rename(aside / path.name)


def parse_only(folder: str) -> int:
    """(a): parse every record under ``folder`` with tomllib, exact floats, on 2 processes."""
    import multiprocessing
    import tomllib
    from decimal import Decimal

    files = sorted(str(p) for p in Path(folder).rglob("*.toml"))

    def work(part: list[str]) -> None:
        for name in part:
            try:
                with open(name, "rb") as handle:
                    tomllib.loads(handle.read().decode("utf-8"), parse_float=Decimal)
            except Exception:
                pass

    half = len(files) // 2
    child = multiprocessing.get_context("fork").Process(target=work, args=(files[:half],))
    child.start()
    work(files[half:])
    child.join()
    return 0


def ensure_portfolio(data: Path, count: int, portfolio: str = "plain") -> Path:
    """``data/r<count>`` (plain), ``data/v<count>`` (varied) or ``data/k<count>`` (kpi: ``count``
    projects and ``count // 5`` KPIs), generated once (deterministic) and reused."""
    folder = data / f"{PORTFOLIOS[portfolio]}{count}"
    stamp = folder / ".complete"
    if not stamp.exists():
        shutil.rmtree(folder, ignore_errors=True)
        generate(folder, count, varied=portfolio == "varied", kpi=portfolio == "kpi")
        stamp.write_text("generated by bench/generate.py\n")
    return folder


def pick_project(repo: Path) -> Path:
    """A clean active record with reports: the one show and add-report work on."""
    from projledger.core.check import check_file
    from projledger.core.config import load_config

    config = load_config(repo)
    for path in sorted(repo.glob("records/2568/*.toml")) + sorted(repo.glob("records/*/*.toml")):
        result = check_file(path, config, AS_OF)
        project = result.project
        latest = project.latest if project else None
        if not result.findings and latest and not latest.event and latest.date < datetime.date(2025, 6, 1):
            return path
    raise SystemExit(f"no suitable project in {repo}")


_SHEET_SCRIPT = """
import sys
from pathlib import Path
sys.path.insert(0, sys.argv[3])
from bench.sheet_case import write_filled_sheet
from projledger.core.config import load_config
from projledger.core.repository import find_by_code
from projledger.core.sheet import read_table
root, sheet = Path(sys.argv[1]), Path(sys.argv[2])
print(write_filled_sheet(root, sheet))
config = load_config(root)
for row in read_table(sheet, str(sheet)).rows:  # what bench.sheet_case.restorer saves
    path = find_by_code(str(row.cells["code"].value), config)
    if path is not None:
        print(path)
"""


def prepare_sheet(repo: Path, sheet: Path, backup: Path) -> tuple[int, Callable[[], None]]:
    """bench/sheet_case.py's filled sheet and restorer, made in another process: this one stays
    small, since every process it starts is forked from it and reports its size as its own peak.
    Returns the rows in the sheet and a function that puts the records it touches back."""
    done = subprocess.run([sys.executable, "-c", _SHEET_SCRIPT, str(repo), str(sheet), str(PROJECT_ROOT)],
                          capture_output=True, text=True, check=True)  # fmt: skip
    first, *paths = done.stdout.splitlines()
    backup.mkdir(parents=True, exist_ok=True)
    saved = []
    for index, name in enumerate(paths):
        copy = backup / f"{index}.toml"
        shutil.copyfile(name, copy)
        saved.append((Path(name), copy))

    def restore() -> None:
        for path, copy in saved:
            shutil.copyfile(copy, path)

    return int(first), restore


def one_record_repo(data: Path, record: Path) -> Path:
    folder = data / f"one-{record.stem}"
    target = folder / "records" / record.parent.name / record.name
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(record, target)
    return folder


def machine() -> str:
    model = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:
        cores = os.cpu_count() or 0
    load = ", load average {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()) if hasattr(os, "getloadavg") else ""
    return (f"{model}, {cores} cores usable, Python {platform.python_version()}, {platform.system()} "
            f"{platform.release()}, {datetime.datetime.now(datetime.UTC):%Y-%m-%d %H:%M} UTC{load}")  # fmt: skip


def bench_size(
    count: int, args: argparse.Namespace, data: Path, scratch: Path, portfolio: str = "plain"
) -> dict[str, Timing]:
    repo = ensure_portfolio(data, count, portfolio)
    scratch = scratch / portfolio
    scratch.mkdir(exist_ok=True)
    files = sorted(str(p.relative_to(repo)) for p in repo.glob("records/*/*.toml"))  # projects
    kpis = sorted(str(p.relative_to(repo)) for p in repo.glob("records/*/kpi/*.toml"))
    # Bytecode is cached as in any installed tool (this sandbox sets PYTHONDONTWRITEBYTECODE, which
    # would make every process compile every module it imports: about 50 ms a process).
    base_env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("PROJLEDGER_") and k != "PYTHONDONTWRITEBYTECODE"
    }
    base_env.update(NO_COLOR="1", COLUMNS="120")
    runs = args.runs
    caches: list[Path] = []

    def fresh_cache() -> dict[str, str]:
        folder = Path(tempfile.mkdtemp(prefix="cache-", dir=scratch))
        caches.append(folder)
        return {**base_env, "PROJLEDGER_CACHE_DIR": str(folder)}

    warm_folder = scratch / f"warm-{count}"

    def warm_cache() -> dict[str, str]:
        return {**base_env, "PROJLEDGER_CACHE_DIR": str(warm_folder)}

    def cmd(*argv: str) -> Callable[[], list[list[str]]]:
        return lambda: [[PROJLEDGER, *argv]]

    results: dict[str, Timing] = {}
    print(f"-- {count:,} records ({portfolio}) in {repo}", file=sys.stderr)
    results["(a) parse only, tomllib, 2 processes"] = measure(
        runs,
        lambda: [[sys.executable, str(HERE / "run.py"), "--parse-only", str(repo / "records")]],
        repo,
        lambda: base_env,
    )
    if not args.no_check_jsonschema:
        # check-jsonschema stops with a traceback at nan/inf (it cannot turn them into integers):
        # those few files are left out of its list, as a CI maintainer would have to.
        # KPIs are checked against their own schema, in processes of their own.
        batches = []
        for schema, every in ((SCHEMA, files), (KPI_SCHEMA, kpis)):
            finite = [
                f
                for f in every
                if b"= nan" not in (repo / f).read_bytes() and b"= inf" not in (repo / f).read_bytes()
            ]
            batches += [
                (schema, finite[i : i + ARGS_PER_PROCESS]) for i in range(0, len(finite), ARGS_PER_PROCESS)
            ]
        results["(b) check-jsonschema --schemafile"] = measure(
            runs,
            lambda: [[CHECK_JSONSCHEMA, "--schemafile", str(schema), *batch] for schema, batch in batches],
            repo,
            lambda: base_env,
        )
    validate = cmd("validate", "--as-of", AS_OF_ARG)
    if not args.smoke:
        results["validate, 1 process, no index"] = measure(
            runs, validate, repo, lambda: {**base_env, "PROJLEDGER_NO_CACHE": "1", "PROJLEDGER_JOBS": "1"}
        )
    results["validate, cold"] = measure(runs, validate, repo, fresh_cache)
    shutil.rmtree(warm_folder, ignore_errors=True)
    measure(1, validate, repo, warm_cache)
    results["validate, warm"] = measure(runs, validate, repo, warm_cache)
    changed = repo / files[len(files) // 2]
    original = changed.read_bytes()

    def change() -> None:
        changed.write_bytes(original + b"# changed by the benchmark\n")

    def restore() -> None:
        changed.write_bytes(original)

    # In the KPI portfolio a KPI changes too: its facts and the links checked across records.
    kpi_changed = repo / kpis[len(kpis) // 2] if kpis else None
    kpi_original = kpi_changed.read_bytes() if kpi_changed else b""

    def change_kpi() -> None:
        assert kpi_changed is not None
        kpi_changed.write_bytes(kpi_original + b"# changed by the benchmark\n")

    def restore_kpi() -> None:
        assert kpi_changed is not None
        kpi_changed.write_bytes(kpi_original)

    for command in ("status", "summary"):
        run = cmd(command, "--as-of", AS_OF_ARG)
        results[f"{command}, cold"] = measure(runs, run, repo, fresh_cache)
        measure(1, run, repo, warm_cache)
        results[f"{command}, warm (unchanged)"] = measure(runs, run, repo, warm_cache)
        results[f"{command}, after one record changed"] = measure(
            runs, run, repo, warm_cache, before=lambda run=run: (measure(1, run, repo, warm_cache), change())[-1], after=restore)  # fmt: skip
        if kpi_changed:
            results[f"{command}, after one KPI changed"] = measure(
                runs, run, repo, warm_cache, before=lambda run=run: (measure(1, run, repo, warm_cache), change_kpi())[-1], after=restore_kpi)  # fmt: skip
    # The static site: built from nothing, then rebuilt after one record changed; before the
    # cases that delete or rewrite many files (a copied portfolio, the sheet import), and each
    # cold build's previous site is set aside, not deleted (``set_aside`` says why).
    site = scratch / f"site-{count}"
    build = cmd("site", "--as-of", AS_OF_ARG, "--output", str(site))
    results["site, cold"] = measure(runs, build, repo, fresh_cache, before=lambda: set_aside(site))
    measure(1, build, repo, warm_cache)
    results["site, after one record changed"] = measure(
        runs, build, repo, warm_cache, before=lambda: (measure(1, build, repo, warm_cache), change())[-1], after=restore)  # fmt: skip
    results.update(bench_fresh_copy(repo, scratch / f"copy-{count}", files, runs, fresh_cache))
    project = pick_project(repo)
    code = project.stem
    single = one_record_repo(scratch, project)
    small_runs = runs if args.smoke else max(runs, 5)
    for label, where in ((f"{count:,} records", repo), ("1 record", single)):
        target = where / "records" / project.parent.name / project.name
        saved = target.read_bytes()
        results[f"show CODE, {label}"] = measure(small_runs, cmd("show", code), where, fresh_cache)
        add = cmd("add-report", code, "--date", "2025-06-30", "--progress", "100", "--note", "ทดสอบ")
        results[f"add-report, {label}"] = measure(
            small_runs, add, where, fresh_cache, after=lambda target=target, saved=saved: target.write_bytes(saved))  # fmt: skip
    # A clerk's monthly sheet of 1,000 rows imported into the repository (written, not timed).
    sheet = scratch / f"sheet-{count}.xlsx"
    filled, restore_sheet = prepare_sheet(repo, sheet, scratch / f"sheet-backup-{count}")
    name = "sheet import, 1,000 rows" if filled == 1000 else f"sheet import, {filled:,} rows"
    results[name] = measure(runs, cmd("sheet", "import", str(sheet), "--as-of", AS_OF_ARG), repo, fresh_cache,
                            after=restore_sheet)  # fmt: skip
    results.update(bench_export(count, repo, scratch, runs, fresh_cache, warm_cache))
    for folder in caches:
        shutil.rmtree(folder, ignore_errors=True)
    return results


def bench_fresh_copy(
    repo: Path, copy: Path, files: list[str], runs: int, fresh_cache: Callable[[], dict[str, str]]
) -> dict[str, Timing]:
    """``status`` on a portfolio as a fresh clone or ``cp -r`` leaves it: every file new to the
    index and written within its racy window (its stat alone cannot say it is unchanged).
    status runs once on it at once, then one record changes, and status is timed twice. The
    first of those reads every file the cold run found racy once more (as git does with
    "racily clean" files); the second must not: the other rows time a portfolio older than
    that window, and would not see a run that read them again each time."""
    status = [PROJLEDGER, "status", "--as-of", AS_OF_ARG]
    changed = copy / files[len(files) // 2]
    first, second = Timing(), Timing()
    for _ in range(runs):
        set_aside(copy)
        shutil.copytree(repo, copy, symlinks=True)
        environment = fresh_cache()
        timed(status, copy, environment)
        changed.write_bytes(changed.read_bytes() + b"# changed by the benchmark\n")
        for timing in (first, second):
            seconds, cpu, peak, error = timed(status, copy, environment)
            timing.seconds.append(seconds)
            timing.cpu.append(cpu)
            timing.peak_kb = max(timing.peak_kb, peak)
            timing.failed = timing.failed or error
    set_aside(copy)
    return {
        "status, fresh copy, first run after one record changed": first,
        "status, fresh copy, next run": second,
    }


#: The formats ``projledger export`` is measured in (parquet only where pyarrow is installed).
EXPORT_FORMATS = ("parquet", "sqlite", "ndjson")
#: Peak memory an export may reach at 100,000 records (issue 21).
EXPORT_MEMORY_LIMIT_MB = 100


def bench_export(count: int, repo: Path, scratch: Path, runs: int, fresh_cache: Callable[[], dict[str, str]],
                 warm_cache: Callable[[], dict[str, str]]) -> dict[str, Timing]:  # fmt: skip
    """``projledger export`` of the whole portfolio: cold (nothing in the index) and warm (the
    index knows every record), each format into a folder of its own."""
    import importlib.util

    results: dict[str, Timing] = {}
    for fmt in EXPORT_FORMATS:
        if fmt == "parquet" and importlib.util.find_spec("pyarrow") is None:
            continue
        out = scratch / f"export-{fmt}-{count}"
        argv = [PROJLEDGER, "export", "--format", fmt, "--output", str(out), "--as-of", AS_OF_ARG]
        results[f"export {fmt}, cold"] = measure(runs, lambda argv=argv: [argv], repo, fresh_cache)
        measure(1, lambda argv=argv: [argv], repo, warm_cache)
        results[f"export {fmt}, warm"] = measure(runs, lambda argv=argv: [argv], repo, warm_cache)
    return results


def bench_only(count: int, args: argparse.Namespace, data: Path, scratch: Path,
               portfolio: str = "plain") -> dict[str, Timing]:  # fmt: skip
    """``--only export``: the export rows alone (a quick check of its code path); ``--only
    cold``: what the cost per record is judged on (the parse-only reference, validate, status
    and summary from nothing, and the exports), for a size too large for the whole run."""
    repo = ensure_portfolio(data, count, portfolio)
    where = scratch / portfolio
    where.mkdir(exist_ok=True)
    base_env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("PROJLEDGER_") and k != "PYTHONDONTWRITEBYTECODE"
    }
    base_env.update(NO_COLOR="1", COLUMNS="120")
    warm = where / f"warm-{count}"

    def fresh() -> dict[str, str]:
        return {**base_env, "PROJLEDGER_CACHE_DIR": tempfile.mkdtemp(prefix="cache-", dir=where)}

    results: dict[str, Timing] = {}
    if args.only == "cold":
        parse = [sys.executable, str(HERE / "run.py"), "--parse-only", str(repo / "records")]
        results["(a) parse only, tomllib, 2 processes"] = measure(
            args.runs, lambda: [parse], repo, lambda: base_env
        )
        for command in ("validate", "status", "summary"):
            argv = [PROJLEDGER, command, "--as-of", AS_OF_ARG]
            results[f"{command}, cold"] = measure(args.runs, lambda argv=argv: [argv], repo, fresh)
    return results | bench_export(
        count, repo, where, args.runs, fresh, lambda: {**base_env, "PROJLEDGER_CACHE_DIR": str(warm)}
    )


def table(sizes: list[int], all_results: dict[int, dict[str, Timing]]) -> str:
    rows = list(dict.fromkeys(name for results in all_results.values() for name in results))
    head = "| what |" + "".join(
        f" {n:,}: median s | ÷ (a) | ÷ (b) | CPU s | CPU ÷ (b) | peak MB |" for n in sizes
    )
    rule = "|---|" + "---:|---:|---:|---:|---:|---:|" * len(sizes)
    lines = [head, rule]
    for name in rows:
        cells = [f"| {name} |"]
        for n in sizes:
            t = all_results[n].get(name)
            if t is None:
                cells.append(" | | | | | |")
                continue
            a = all_results[n].get("(a) parse only, tomllib, 2 processes")
            b = all_results[n].get("(b) check-jsonschema --schemafile")
            ra = f"{t.median / a.median:.3f}" if a else ""
            rb = f"{t.median / b.median:.3f}" if b else ""
            cb = f"{t.cpu_median / b.cpu_median:.3f}" if b else ""
            flag = " ⚠" if t.failed else ""
            cells.append(
                f" {t.median:.3f}{flag} | {ra} | {rb} | {t.cpu_median:.2f} | {cb} | {t.peak_kb / 1024:.0f} |"
            )
        lines.append("".join(cells))
    return "\n".join(lines) + "\n"


def per_record(sizes: list[int], all_results: dict[int, dict[str, Timing]]) -> str:
    names = ["validate, cold", "status, cold", "summary, cold", "(a) parse only, tomllib, 2 processes",
             "(b) check-jsonschema --schemafile"]  # fmt: skip
    lines = ["| cost per record (ms) |" + "".join(f" {n:,} |" for n in sizes), "|---|" + "---:|" * len(sizes)]
    for name in names:
        if any(name in all_results[n] for n in sizes):
            cells = [
                f" {all_results[n][name].median / n * 1000:.3f} |" if name in all_results[n] else " |"
                for n in sizes
            ]
            lines.append(f"| {name} |" + "".join(cells))
    return "\n".join(lines) + "\n"


def verdicts(sizes: list[int], all_results: dict[int, dict[str, Timing]]) -> str:
    lines = []
    size = 10_000 if 10_000 in all_results else max(sizes)
    results = all_results[size]
    b = results.get("(b) check-jsonschema --schemafile")
    if b:
        for name, limit in TARGETS.items():
            if name in results:
                ratio = results[name].median / b.median
                lines.append(
                    f"- {name}: {ratio:.3f} of check-jsonschema (target ≤ {limit}): {'met' if ratio <= limit else 'NOT met'}"
                )
    for what in ("show CODE", "add-report"):
        big, one = results.get(f"{what}, {size:,} records"), results.get(f"{what}, 1 record")
        if big and one:
            ratio = big.median / one.median
            lines.append(
                f"- {what} in {size:,} records vs 1: {ratio:.2f}× (target ≤ 1.5×): {'met' if ratio <= 1.5 else 'NOT met'}"
            )
    for name in results:  # every run of these three commands, whatever it found in the index
        if name.startswith(("validate, ", "status, ", "summary, ")):
            mb = results[name].peak_kb / 1024
            lines.append(
                f"- peak memory of {name}: {mb:.0f} MB (target ≤ {MEMORY_LIMIT_MB}): {'met' if mb <= MEMORY_LIMIT_MB else 'NOT met'}"
            )
    for n in sizes:
        for name, timing in all_results[n].items():
            if name.startswith("export "):
                mb = timing.peak_kb / 1024
                verdict = "met" if mb <= EXPORT_MEMORY_LIMIT_MB else "NOT met"
                lines.append(
                    f"- peak memory of {name} at {n:,}: {mb:.0f} MB (target ≤ {EXPORT_MEMORY_LIMIT_MB} at 100,000): {verdict}"
                )
    small, large = min(sizes), max(sizes)
    for name in (
        "validate, cold",
        "status, cold",
        "summary, cold",
        *(f"export {f}, cold" for f in EXPORT_FORMATS),
    ):
        if large > small and all(name in all_results[n] for n in (small, large)):
            cost = [all_results[n][name].median / n for n in (small, large)]
            verdict = "met" if cost[1] / cost[0] <= 1.3 else "NOT met"
            lines.append(
                f"- {name} per record, {large:,} vs {small:,}: {cost[1] / cost[0]:.2f}× (target ≤ 1.3× from 10,000 to 100,000): {verdict}"
            )
    failed = [
        f"- ⚠ {n:,} {name}: {t.failed}" for n in sizes for name, t in all_results[n].items() if t.failed
    ]
    return "\n".join(lines + failed) + "\n"


ABOUT = {
    "plain": "The plain portfolio (tomli-w's layout, few warnings)",
    "varied": "The varied portfolio (two records in three carry a warning; satang amounts, "
    "reports = [], inline agency tables, comments, CRLF, notes with blank lines)",
    "kpi": "The KPI portfolio (format 2: the varied portfolio's projects with สยป. evaluations and "
    "budget revisions, plus one KPI for every five projects, four quarters of results each, about "
    "one KPI in three warned; N records = N projects + N / 5 KPIs, per-record costs divided by N)",
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="projledger's benchmark")
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10_000])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--data", type=Path, default=HERE / "data")
    parser.add_argument("--out", type=Path, default=HERE / "results.md")
    parser.add_argument("--no-check-jsonschema", action="store_true")
    parser.add_argument("--smoke", action="store_true", help="50 records, one run, no check-jsonschema")
    parser.add_argument("--portfolios", nargs="+", choices=list(PORTFOLIOS), default=list(PORTFOLIOS))
    parser.add_argument("--only", choices=["export", "cold"], help="measure only these rows (see bench_only)")
    parser.add_argument("--parse-only", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.parse_only:
        return parse_only(args.parse_only)
    if args.smoke:
        args.sizes, args.runs, args.no_check_jsonschema = [50], 1, True
    args.data.mkdir(parents=True, exist_ok=True)
    adopt_orphans()
    by_portfolio: dict[str, dict[int, dict[str, Timing]]] = {}
    with tempfile.TemporaryDirectory(prefix="projledger-bench-") as scratch:
        for portfolio in args.portfolios:
            each = bench_only if args.only else bench_size
            by_portfolio[portfolio] = {
                count: each(count, args, args.data, Path(scratch), portfolio) for count in args.sizes
            }
    sections = "".join(
        f"\n## {ABOUT[portfolio]}\n\n" + table(args.sizes, all_results) + "\n" + per_record(args.sizes, all_results)
        + "\n" + verdicts(args.sizes, all_results)
        for portfolio, all_results in by_portfolio.items()
    )  # fmt: skip
    report = (
        f"# projledger benchmark\n\n{machine()}\n\n"
        f"Generated portfolios (bench/generate.py, about 17 KB a record, 3 % broken on purpose), "
        f"`--as-of {AS_OF_ARG}`; median of {args.runs} runs (at least 5 for show and add-report); "
        "peak memory is the largest process of the command's tree. (a) parses every file with "
        "tomllib on 2 processes and does nothing else; (b) is check-jsonschema over the same files "
        "(files holding nan/inf left out: it stops with a traceback on them). Bytecode is cached, as "
        "in an installed tool. The sheet import appends 1,000 reports (bench/sheet_case.py); the site "
        "is built from nothing (cold), then again after one record changed. \"Fresh copy\": status on a "
        "portfolio copied just before its cold run (as a fresh clone is), after one record changed: "
        "the first run hashes once more the files the cold run found racy, the next must not. "
        "Trees the benchmark is done with (a site, a copied portfolio) are set aside and deleted "
        "after the last figure: deleting them at once slows the files created next (`set_aside` "
        "in bench/run.py).\n"
        + sections
    )  # fmt: skip
    print(report)
    args.out.write_text(report, "utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
