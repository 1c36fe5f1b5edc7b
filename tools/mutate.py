"""`make mutate`: run mutmut over the domain modules and write docs/mutation.md.

What is mutated and which tests run are in pyproject.toml under [tool.mutmut]. Mutants that
change nothing a user could notice are listed, each with its reason, in
docs/mutation-equivalents.toml; the report counts every other survivor as unexplained.

    python -m tools.mutate            # fresh run, then the report
    python -m tools.mutate --report   # the report of the last run only
"""

import argparse
import os
import re
import shutil
import subprocess
import sys
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EQUIVALENTS = ROOT / "docs" / "mutation-equivalents.toml"
REPORT = ROOT / "docs" / "mutation.md"
MUTMUT = [sys.executable, "-m", "mutmut"]
RESULT_LINE = re.compile(r"^\s*(?P<name>[\w.]+__mutmut_\d+): (?P<status>.+)$")
HUNK = re.compile(r"^@@ -(?P<start>\d+)")
METHOD = "\u01c1"


@dataclass
class Mutant:
    name: str
    status: str
    file: str = ""
    function: str = ""
    line: int = 0
    removed: list[str] = field(default_factory=list)
    added: list[str] = field(default_factory=list)
    diff: str = ""
    reason: str = ""


def _normal(line: str) -> str:
    return " ".join(line.split())


def _mutmut(*args: str) -> str:
    return subprocess.run([*MUTMUT, *args], cwd=ROOT, check=True, capture_output=True, text=True).stdout


def run(jobs: int) -> None:
    """Run every mutant from scratch (a stale cache would report on yesterday's code)."""
    shutil.rmtree(ROOT / "mutants", ignore_errors=True)
    subprocess.run([*MUTMUT, "run", "--max-children", str(jobs)], cwd=ROOT, check=True)


def collect() -> list[Mutant]:
    mutants = []
    for line in _mutmut("results", "--all", "true").splitlines():
        match = RESULT_LINE.match(line)
        if match:
            mutants.append(Mutant(match["name"], match["status"]))
    return mutants


def _diff(name: str) -> str:
    """The mutant's diff, as `mutmut show` prints it (in-process: one process per mutant is slow)."""
    from mutmut.mutation.diff_apply import get_diff_for_mutant

    return get_diff_for_mutant(name)


def _location(name: str) -> tuple[str, str]:
    """Split a mutant's name into its module and function (`Class.method` for a method)."""
    name = name.rsplit("__mutmut_", 1)[0]
    if METHOD in name:  # mutmut names a method module.xǁClassǁmethod
        module, klass, method = name.split(METHOD)
        return module.removesuffix(".x"), f"{klass}.{method}"
    module, _, function = name.partition(".x_")
    return module, function


def describe(mutant: Mutant) -> None:
    """Fill in the file, line and diff of a mutant from `mutmut show`."""
    module, mutant.function = _location(mutant.name)
    mutant.file = module.replace(".", "/") + ".py"
    mutant.diff = _diff(mutant.name).strip()
    source = (ROOT / mutant.file).read_text().splitlines()
    name = mutant.function.rsplit(".", 1)[-1]
    start = next((i for i, text in enumerate(source, 1) if re.match(rf"\s*(async )?def {name}\(", text)), 1)
    offset = 0
    for text in mutant.diff.splitlines():
        hunk = HUNK.match(text)
        if hunk:
            offset = int(hunk["start"]) - 1
        elif text.startswith(("---", "+++")):
            continue
        elif text.startswith("-"):
            mutant.removed.append(_normal(text[1:]))
            mutant.line = mutant.line or start + offset
            offset += 1
        elif text.startswith("+"):
            mutant.added.append(_normal(text[1:]))
        else:
            offset += 1


def load_equivalents() -> list[dict]:
    return tomllib.loads(EQUIVALENTS.read_text())["equivalent"]


def explain(mutant: Mutant, equivalents: list[dict]) -> None:
    """Attach the reason from the equivalents list to a survivor that matches an entry."""
    for entry in equivalents:
        if entry["file"] not in ("*", mutant.file) or entry["function"] not in ("*", mutant.function):
            continue
        if "rewrite" in entry:
            pattern, replacement = entry["rewrite"]
            rewritten = [re.sub(pattern, replacement, line) for line in mutant.removed]
            matches = rewritten != mutant.removed and rewritten == mutant.added
        elif "before" in entry:
            matches = [_normal(line) for line in entry["before"]] == mutant.removed and [
                _normal(line) for line in entry["after"]
            ] == mutant.added
        else:
            matches = mutant.status == "no tests"
        if matches:
            mutant.reason = entry["reason"]
            return


def write_report(mutants: list[Mutant], note: str = "") -> int:
    killed = [m for m in mutants if m.status == "killed"]
    timeouts = [m for m in mutants if m.status == "timeout"]
    survivors = [m for m in mutants if m.status not in ("killed", "timeout")]
    untested = [m for m in survivors if m.status == "no tests"]
    unexplained = [m for m in survivors if not m.reason]
    equivalent = len(survivors) - len(unexplained)
    scored = len(mutants) - equivalent
    score = 100 * (len(killed) + len(timeouts)) / scored if scored else 100.0
    files = sorted({_location(m.name)[0] for m in mutants})
    lines = [
        "# Mutation testing",
        "",
        "Written by `make mutate` (mutmut over the domain modules and their fast tests; see",
        "`[tool.mutmut]` in pyproject.toml). Accepted equivalent mutants and their reasons are in",
        "docs/mutation-equivalents.toml.",
        "",
        f"Modules: {', '.join(files)}",
        "",
        "| mutants | killed | timed out | survived | no test reaches it | accepted equivalents | score |",
        "| --- | --- | --- | --- | --- | --- | --- |",
        f"| {len(mutants)} | {len(killed)} | {len(timeouts)} | {len(survivors) - len(untested)} | {len(untested)} "
        f"| {equivalent} | {score:.1f}% |",
        "",
        "The score counts killed and timed-out mutants over all mutants less the accepted equivalents;",
        "a mutant no test of the selection reaches counts as a survivor.",
        "",
    ]
    if note:
        lines += [note, ""]
    accepted = [m for m in survivors if m.reason]
    for title, group in (("Unexplained survivors", unexplained), ("Accepted equivalents", accepted)):
        if not group:
            continue
        lines += [f"## {title}", ""]
        for m in sorted(group, key=lambda m: (m.file, m.line)):
            lines += [f"### {m.file}:{m.line} `{m.function}` ({m.status})", ""]
            if m.reason:
                lines += [f"Why it is equivalent: {m.reason}", ""]
            lines += ["```diff", m.diff, "```", ""]
    lines.append(f"**{len(unexplained)} unexplained survivors.**")
    REPORT.write_text("\n".join(lines) + "\n")
    return len(unexplained)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--report", action="store_true", help="only write the report of the last run")
    parser.add_argument("--note", default="", help="a paragraph for the report, e.g. how its results were made")
    parser.add_argument("--jobs", type=int, default=int(os.environ.get("MUTATE_JOBS", os.cpu_count() or 1)))
    options = parser.parse_args()
    if not options.report:
        run(options.jobs)
    mutants = collect()
    equivalents = load_equivalents()
    for mutant in mutants:
        if mutant.status != "killed":
            describe(mutant)
            explain(mutant, equivalents)
    unexplained = write_report(mutants, options.note)
    print(f"{REPORT.relative_to(ROOT)}: {len(mutants)} mutants, {unexplained} unexplained survivors")
    return 1 if unexplained else 0


if __name__ == "__main__":
    sys.exit(main())
