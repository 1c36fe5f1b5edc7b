"""Render bench.run's results as docs/benchmarks.md."""

from __future__ import annotations

from typing import Any

SERVER_NAMES = {
    "daphne": "Daphne (production)",
    "uvicorn": "Uvicorn (asyncio, h11)",
    "uvicorn-uvloop": "Uvicorn (uvloop, httptools)",
}


def fmt(value: Any, digits: int = 1) -> str:
    """A figure for a table cell; missing figures show as a dash."""
    if value is None:
        return "–"
    if isinstance(value, bool):
        return "yes" if value else "**no**"
    if isinstance(value, float):
        if abs(value) >= 1000:
            return f"{value:,.0f}"
        return f"{value:.{digits}f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def table(header: list[str], rows: list[list[Any]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(fmt(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def ratio(a: float | None, b: float | None) -> str | None:
    return f"{a / b:.3f}" if a is not None and b else None


def met(ok: bool | None) -> str:
    return "–" if ok is None else ("**met**" if ok else "**not met**")


def render(results: dict[str, Any], notes: str) -> str:
    """The whole Markdown document."""
    m = results["machine"]
    reps = results["reps"]
    parts = [
        "# Benchmarks",
        "",
        "Written by `make bench` (`python -m bench.run`); do not edit by hand: the narrative parts come "
        "from `bench/notes.md`. Every figure is the median over "
        f"{reps} repetition{'s' if reps != 1 else ''}"
        + (" (a quick run: fewer marks)" if results.get("quick") else "")
        + f"; the whole run took {results['elapsed_s'] / 60:.1f} minutes.",
        "",
        "## Machine",
        "",
        f"- {m['cores']} cores ({m['cpu']}), {m['memory_gib']} GiB, Linux {m['kernel']}, Python {m['python']}, "
        f"measured {m['date']}",
        "- " + ", ".join(f"{k} {v}" for k, v in m["versions"].items()),
        "- Server and load client are separate processes on this machine, so they share its cores: "
        "every figure includes the client's own CPU use.",
        f"- Load average (1 min) when the run started: {m.get('load_start', '–')}, when it ended: "
        f"{results.get('load_end', '–')}. Other work on the machine slows the absolute figures; the "
        "project/reference ratio, measured interleaved, is the steadier one.",
        "",
    ]
    targets: list[list[Any]] = []
    if "fanout" in results:
        parts += fanout_section(results["fanout"], targets)
    if "connections" in results:
        parts += connections_section(results["connections"], targets)
    if "done" in results:
        parts += done_section(results["done"])
    if "http" in results:
        parts += http_section(results["http"])
    if "servers" in results or "fanout" in results:
        parts += servers_section(results)
    if "argon2" in results:
        parts += argon2_section(results["argon2"])
    if targets:
        parts += ["## Targets", "", table(["target", "measured", "verdict"], targets), ""]
    if notes.strip():
        parts += [notes.strip(), ""]
    return "\n".join(parts)


def fanout_section(fan: dict[str, Any], targets: list[list[Any]]) -> list[str]:
    med = fan["medians"]
    sizes = sorted({int(k.split("/")[1]) for k in med})
    rows = []
    for size in sizes:
        for who in ("project", "reference"):
            r = med.get(f"{who}/{size}")
            if r:
                rows.append(
                    [
                        size,
                        who,
                        r["p50_ms"],
                        r["p99_ms"],
                        r["max_ms"],
                        r["marks_per_s"],
                        r["deliveries_per_s"],
                        r["ok"],
                    ]
                )
    ratio_rows = []
    for size in sizes:
        p, ref = med.get(f"project/{size}"), med.get(f"reference/{size}")
        if p and ref:
            ratio_rows.append([size, ratio(p["marks_per_s"], ref["marks_per_s"]), ratio(p["p99_ms"], ref["p99_ms"])])
    out = [
        "## 1–2. Fan-out: one teacher marking, N students connected",
        "",
        "A class of N token-only students (`manage.py loadtest_seed`) with a running session; the "
        "load client (`bench/fanout.py`) opens N student sockets and the teacher's, then: a latency "
        "phase (one mark at a time; latency = the teacher's send until the last of the N+1 sockets has "
        "the broadcast) and a throughput phase (marks back-to-back, at most "
        "32 in flight; marks/s from the first send to the last receipt). Every socket must receive every "
        "mark in order, nothing else: *zero loss* says it did. The reference is "
        "`bench/reference_server.py` (plain asyncio `websockets`, no auth, no database, one room) on "
        "the same client.",
        "",
        table(
            ["students", "server", "p50 ms", "p99 ms", "max ms", "marks/s", "deliveries/s", "zero loss"],
            rows,
        ),
        "",
        "**The figure we track: project / reference** (throughput: higher is better, ≥ 0.33 is the "
        "target; p99: lower is better).",
        "",
        table(["students", "throughput ratio", "p99 ratio"], ratio_rows),
        "",
    ]
    p200, p1000 = med.get("project/200"), med.get("project/1000")
    if p200:
        targets.append(["fan-out p99 ≤ 50 ms at 200", f"{fmt(p200['p99_ms'])} ms", met(_le(p200["p99_ms"], 50))])
    if p1000:
        targets.append(["fan-out p99 ≤ 250 ms at 1,000", f"{fmt(p1000['p99_ms'])} ms", met(_le(p1000["p99_ms"], 250))])
    for size, r, _ in ratio_rows:
        targets.append(
            [f"throughput ≥ ⅓ of the reference at {size:,}", fmt(r), met(_ge(None if r is None else float(r), 1 / 3))]
        )
    all_ok = all(v["ok"] for k, v in med.items() if k.startswith("project/"))
    targets.append(["zero lost messages", "none lost" if all_ok else "losses", met(all_ok)])
    return out


def _le(a: float | None, b: float) -> bool | None:
    return None if a is None else a <= b


def _ge(a: float | None, b: float) -> bool | None:
    return None if a is None else a >= b


def connections_section(c: dict[str, Any], targets: list[list[Any]]) -> list[str]:
    rows = [
        [
            r["sockets"],
            r["connects_per_s"],
            round(r["rss_before_kib"] / 1024, 1),
            round(r["rss_after_kib"] / 1024, 1),
            r["kib_per_socket"],
            r["broadcast"].get("p50_ms"),
            r["all_live"],
        ]
        for r in c["runs"]
    ]
    targets.append(
        [
            "≥ 2,000 authenticated sockets on one worker",
            f"{fmt(c['sockets'])} (all live: {fmt(c['all_live'])})",
            met(c["all_live"] and c["sockets"] >= 2000),
        ]
    )
    return [
        "## 3. Connections held by one worker",
        "",
        "One Daphne worker; the client opens every socket of a 1,999-student class plus its teacher's, "
        "100 handshakes in flight at most, waits 3 s, reads the server's RSS, then proves every socket "
        "live: 3 teacher marks must each reach all of them. Memory per idle connection = RSS growth / "
        "sockets (authentication, group subscriptions, presence and the consumer included).",
        "",
        table(
            ["sockets", "connects/s", "RSS before MiB", "RSS after MiB", "KiB per socket", "broadcast ms", "all live"],
            rows,
        ),
        "",
    ]


def done_section(d: dict[str, Any]) -> list[str]:
    return [
        "## 4. DONE with 1,000 enrolled students",
        "",
        "A running session, no student marked, the teacher's socket only: the teacher's DONE until its "
        "DONE frame, i.e. the session closed and 1,000 absent records written in one transaction (SQLite), "
        "then the broadcast.",
        "",
        table(
            ["runs (ms)", "median ms", "frame correct"], [[", ".join(fmt(x) for x in d["runs"]), d["done_ms"], d["ok"]]]
        ),
        "",
    ]


def http_section(h: dict[str, Any]) -> list[str]:
    rows = []
    for kind, by_name in h["medians"].items():
        for name, r in by_name.items():
            rows.append(
                [
                    SERVER_NAMES.get(kind, kind),
                    name,
                    r["concurrency"],
                    r["requests_per_s"],
                    r["p50_ms"],
                    r["p99_ms"],
                    r["server_peak_extra_mib"],
                    r["errors"],
                ]
            )
    return [
        "## 5. HTTP",
        "",
        "`bench/httpload.py`: keep-alive connections, each sending its next request when the last "
        "answer is read, so *in flight* requests at most; every answer must be a 2xx envelope. Login "
        "verifies a real Argon2 hash (the tuned hasher); the class and student list hold 200 students. "
        "*Peak MiB* is the server's RSS high-water mark during the load above its RSS before it.",
        "",
        table(
            ["server", "request", "in flight", "req/s", "p50 ms", "p99 ms", "peak +MiB", "errors"],
            rows,
        ),
        "",
    ]


def servers_section(results: dict[str, Any]) -> list[str]:
    rows = []
    fan = results.get("fanout", {}).get("medians", {}).get("project/200")
    if fan:
        rows.append([SERVER_NAMES["daphne"], fan["p50_ms"], fan["p99_ms"], fan["marks_per_s"], fan["ok"]])
    for key, r in results.get("servers", {}).get("medians", {}).items():
        rows.append([SERVER_NAMES.get(key.split("/")[0], key), r["p50_ms"], r["p99_ms"], r["marks_per_s"], r["ok"]])
    if not rows:
        return []
    return [
        "## 6. Daphne against Uvicorn (same ASGI app, WebSocket fan-out at 200)",
        "",
        "HTTP figures per server are in section 5. Uvicorn runs with `--ws websockets --proxy-headers` "
        "and an access log through the project's token-redacting filter (`bench/uvicorn_log.json`), "
        "so both servers log every request.",
        "",
        table(["server", "p50 ms", "p99 ms", "marks/s", "zero loss"], rows),
        "",
    ]


def argon2_section(a: dict[str, Any]) -> list[str]:
    rows = []
    for name, label in (("tuned", "project: OWASP minimum (accounts/hashers.py)"), ("django", "Django default")):
        r = a.get(name)
        if r:
            rows.append(
                [
                    label,
                    f"{r['memory_cost_kib'] // 1024} MiB, t={r['time_cost']}, p={r['parallelism']}",
                    r["hash_ms_median"],
                    r["burst"],
                    r["burst_wall_ms"],
                    r["burst_peak_extra_mib"],
                ]
            )
    return [
        "## 7. Password hashing cost",
        "",
        "`bench/argon2cost.py`, one process per parameter set: the median time of one hash (a login "
        "verifies one, at the same cost), then a burst of concurrent hashes released together on "
        "threads (Django under ASGI runs each request's view on its own thread) with the process's "
        "peak memory above its resting RSS.",
        "",
        table(["hasher", "parameters", "ms per hash", "burst", "burst wall ms", "burst peak +MiB"], rows),
        "",
    ]
