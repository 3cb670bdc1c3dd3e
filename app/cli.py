"""The `aoai-watch` command line. Each subcommand imports what it needs when it runs, so
`aoai-watch --help` and `check-config` start fast.

Exit codes: 0 success, 1 a runtime failure, 2 bad usage or a bad config file (no traceback).
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence
from typing import Any, NoReturn

from ..failover.config import DAY_S, ConfigError, number_problem
from ..failover.outcomes import SUCCESSFUL

EXIT_USAGE = 2


class _Parser(argparse.ArgumentParser):
    """argparse, with a usage error printed as one line (what is wrong, where --help is) and exit 2."""

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_USAGE, f"{self.prog}: {message} (see {self.prog} --help)\n")


def _number(low: float, high: float, *, whole: bool = False, unit: str = "") -> Callable[[str], Any]:
    """An argparse `type=` for a number option: the project's one number rule (finite, in range)."""

    def parse(text: str) -> float | int:
        try:
            value: object = float(text)
        except ValueError:
            value = text
        problem = number_problem(value, low, high, whole=whole, unit=unit)
        if problem is not None:
            raise argparse.ArgumentTypeError(problem)
        assert isinstance(value, float)
        return int(value) if whole else value

    return parse


_PORT = _number(0, 65535, whole=True)


def _check_config(args: argparse.Namespace) -> int:
    """Every problem of the file on stderr, one line each (exit 2, via `main`); a good file's summary
    and its warnings (what loads but will not run) on stdout, exit 0."""
    from ..probes.config import load_config, warnings

    config = load_config(args.file)
    regions = config.regions
    print(
        f"{args.file}: OK, {len(regions)} region(s); database {config.database}; "
        f"probes {', '.join(config.probes.kinds)} every {config.probes.every_s:g} s"
    )
    for r in regions:
        key = f"key from ${r.api_key_env}" if r.auth == "api-key" else "Entra ID"
        missing = "" if r.auth != "api-key" or os.environ.get(r.api_key_env or "") else " (variable not set here)"
        models = ", ".join(f"{m} -> {d}" for m, d in r.deployments.items())
        print(f"  {r.priority}. {r.name:<16} {r.endpoint}  {key}{missing}  {models}")
    if config.alerts is not None:
        for c in config.alerts.channels:
            unset = "" if os.environ.get(c.url_env) else " (variable not set here)"
            print(f"  alerts -> {c.name:<12} {c.kind:<9} ${c.url_env}{unset}  {', '.join(c.severities)}")
    for warning in warnings(config):
        print(f"warning: {warning}")
    return 0


def _simulate(args: argparse.Namespace) -> int:
    from ..chaos.simulator import cli as sim

    quota = {k: v for k, v in (("tpm", args.tpm), ("rpm", args.rpm)) if v is not None}
    if args.config:
        if args.regions:
            raise _UsageError("give either --config or --regions, not both")
        regions = sim.regions_from_config(args.config, args.latency_scale, quota)
    else:
        api_key = args.api_key or os.environ.get(sim.KEY_ENV)
        if not api_key:
            raise _UsageError(
                f"no key for the simulated regions: export {sim.KEY_ENV}=<any string> "
                "(or pass --api-key); clients must send the same key"
            )
        names = [n.strip() for n in (args.regions or "eastus2,swedencentral").split(",") if n.strip()]
        if len(set(names)) != len(names) or not names:
            raise _UsageError(f"--regions needs distinct, comma-separated names; got {args.regions!r}")
        regions = sim.regions_from_names(names, api_key, args.latency_scale, quota)
    lag_s = args.monitor_lag_s if args.monitor else None
    return sim.run(regions, args.seed, args.control_port, args.ready_file, lag_s)


def _probe(args: argparse.Namespace) -> int:
    from ..probes.config import load_config
    from ..probes.kinds import KINDS
    from ..probes.schedule import CycleBusy, CycleReport, run_loop, run_once

    config = load_config(args.config, database=args.db)
    kinds = None
    if args.kinds:
        kinds = tuple(k.strip() for k in args.kinds.split(",") if k.strip())
        unknown = [k for k in kinds if k not in KINDS]
        if unknown:
            raise _UsageError(f"unknown probe kind(s) {', '.join(unknown)}; kinds: {', '.join(KINDS)}")

    # --quiet is for cron logs: every line starts with a UTC timestamp
    stamp = (lambda: f"{_utc_stamp()} ") if args.quiet else (lambda: "")
    metrics = None
    if args.metrics_port is not None:
        if args.every is None:
            raise _UsageError(
                "--metrics-port needs --every: one cycle ends before a scrape; for cron, serve the "
                "store with `aoai-watch exporter --db PATH --port P`"
            )
        from ..probes.metrics import LiveMetrics

        metrics = LiveMetrics()
        where = _serve_metrics(metrics, args.metrics_host, args.metrics_port, args.allow_remote, "the prober")
        print(f"{stamp()}metrics on {where}", flush=True)

    def report(outcome: CycleReport | Exception) -> None:
        if metrics is not None and isinstance(outcome, CycleReport):
            metrics.add_all(outcome.results)  # measured is counted, stored or spooled alike
        if isinstance(outcome, CycleBusy):
            print(f"{stamp()}aoai-watch probe: {outcome}", file=sys.stderr, flush=True)
        elif isinstance(outcome, Exception):
            message = f"cycle failed: {type(outcome).__name__}: {outcome}"
            print(f"{stamp()}aoai-watch probe: {message}", file=sys.stderr, flush=True)
        else:
            _print_cycle(outcome, config.database, args.quiet)
            if config.alerts is not None:  # `probe --every` evaluates the alert rules after each cycle
                _alerts_after_cycle(config, stamp())

    if args.every is not None:
        print(f"{stamp()}probing every {args.every:g} s into {config.database}; Ctrl-C or SIGTERM stops", flush=True)
        run_loop(config, report, kinds, every_s=args.every)
        return 0
    try:
        outcome = run_once(config, kinds)
    except CycleBusy as busy:
        report(busy)
        return 0  # the running cycle stores its own rows; skipping is the right thing
    report(outcome)
    return 1 if outcome.stored.problem else 0


def _serve_metrics(collector: object, host: str, port: int, allow_remote: bool, what: str) -> str:
    """Start /metrics for `collector` on host:port (loopback unless `allow_remote`); its URL."""
    from ..failover.config import is_loopback_host
    from ..probes.exporter import serve_metrics

    if not is_loopback_host(host):
        if not allow_remote:
            raise _UsageError(
                f"refusing to serve /metrics on {host}: it has no login and names your regions and deployments; "
                "use a loopback address, or add --allow-remote if you really mean it"
            )
        print(f"warning: {what} serves /metrics on {host}: anyone who can reach it can read it", file=sys.stderr)
    try:
        server, _ = serve_metrics(collector, host, port)
    except OSError as exc:
        raise _ListenError(f"cannot listen on {host}:{port} ({exc.strerror or exc})") from None
    shown = f"[{host}]" if ":" in host else host
    return f"http://{shown}:{server.server_port}/metrics"


def _exporter(args: argparse.Namespace) -> int:
    import signal
    import threading
    from pathlib import Path

    from ..probes.exporter import StoreMetrics
    from ..probes.store import Store, StoreBusy, StoreUnusable

    database = Path(args.db)
    if database.is_dir():
        example = database / "aoai-watch.duckdb"
        raise _UsageError(f"--db {database} is a directory; give the DuckDB file, e.g. {example}")
    collector = StoreMetrics(Store(database), cache_s=args.cache_s)
    try:
        collector.families()  # a corrupt file is refused now, not at every scrape
    except StoreUnusable as exc:
        print(f"aoai-watch exporter: {exc}", file=sys.stderr)
        return 1
    except StoreBusy:
        pass  # a prober is writing: the first scrape reads it
    if not database.exists():
        print(f"aoai-watch exporter: {database} does not exist yet; serving no probe metrics until it does")
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(sig, lambda *_: stop.set())
    where = _serve_metrics(collector, args.host, args.port, args.allow_remote, "the exporter")
    print(f"exporter: {where} from {database} (read-only, cached {args.cache_s:g} s); Ctrl-C stops it", flush=True)
    stop.wait()
    return 0


def _slo_rules(args: argparse.Namespace) -> int:
    from pathlib import Path

    from ..alerts.prometheus import dump_yaml, rule_groups
    from ..probes.alert_settings import AlertSettings
    from ..probes.config import load_config

    config = load_config(args.config)
    document = rule_groups(config.slo, config.alerts or AlertSettings(), config.path)
    text = dump_yaml(document)
    if not args.output:
        sys.stdout.write(text)
        return 0
    try:
        Path(args.output).write_text(text, encoding="utf-8")
    except OSError as exc:
        raise _UsageError(f"cannot write -o {args.output} ({exc.strerror or exc})") from None
    count = sum(len(g["rules"]) for g in document["groups"])
    print(f"wrote {count} rules in {len(document['groups'])} groups to {args.output}", file=sys.stderr)
    return 0


def _alerts_after_cycle(config: Any, stamp: str) -> None:
    from .alerting import print_report, run_alerts

    try:
        print_report(run_alerts(config), stamp)
    except Exception as exc:  # the loop goes on; pending notifications stay queued
        print(f"{stamp}aoai-watch probe: alert evaluation failed: {type(exc).__name__}: {exc}", file=sys.stderr)


def _alert(args: argparse.Namespace) -> int:
    from datetime import UTC, datetime

    from ..probes.config import load_config
    from ..probes.store import StoreBusy
    from .alerting import print_report, run_alerts

    config = load_config(args.config, database=args.db)
    at = None
    if args.at:
        try:
            at = datetime.fromisoformat(args.at.replace("Z", "+00:00"))
        except ValueError:
            raise _UsageError(f"--at takes an ISO time such as 2026-12-02T03:00:00Z; got {args.at!r}") from None
        at = at.astimezone(UTC).replace(tzinfo=None) if at.tzinfo else at
    if config.alerts is None:
        print(f"aoai-watch alert: {config.path} has no [alerts] table; evaluating the rules without channels")
    try:
        report = run_alerts(config, at, args.dry_run)
    except StoreBusy as exc:
        print(f"aoai-watch alert: {exc}; the pending notifications stay queued for the next run", file=sys.stderr)
        return 1
    print_report(report, f"{_utc_stamp()} " if args.quiet else "")
    return 0 if report.ok else 1


def _utc_stamp(when: object = None) -> str:
    """`2026-12-02T03:04:05Z`: a naive-UTC datetime (a probe's `ts`), or now."""
    from datetime import UTC, datetime

    moment = when if isinstance(when, datetime) else datetime.now(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _print_cycle(cycle: object, database: object, quiet: bool) -> None:
    """Without --quiet, a table of every probe and a summary. With --quiet, for cron logs, each
    line starts with a UTC timestamp: one per failed probe naming what failed
    (`2026-12-02T03:04:05Z eastus2/chat server_error 503`, at the probe's start), then the summary."""
    from ..probes.schedule import CycleReport

    assert isinstance(cycle, CycleReport)
    stamp = f"{_utc_stamp()} " if quiet else ""
    for r in cycle.results:
        status = r.status_code if r.status_code is not None else "-"
        if quiet:
            if r.outcome not in SUCCESSFUL:
                shown = f" {r.status_code}" if r.status_code is not None else ""
                print(f"{_utc_stamp(r.ts)} {r.region}/{r.kind} {r.outcome}{shown}")
            continue
        latency = f"{r.latency_ms:7.0f} ms" if r.latency_ms is not None else "        -"
        print(
            f"  {r.region:<16} {r.kind:<16} {r.outcome:<14} {status!s:>4} {latency}"
            + (f"  {r.error[:80]}" if r.error else "")
        )
    stored = cycle.stored
    if stored.problem:  # the database cannot be used: the one line that says which and what to do
        print(f"{stamp}aoai-watch probe: {stored.problem}", file=sys.stderr, flush=True)
        return
    bad = sum(r.outcome not in SUCCESSFUL for r in cycle.results)
    where = (
        f"stored in {database}"
        if not stored.spooled
        else f"database locked: {stored.spooled} rows kept in the spool file, stored at the next write"
    )
    print(
        f"{stamp}{len(cycle.results)} probes, {bad} failed; {stored.written} rows {where}"
        + (f"; {stored.model_changes} model version change(s)" if stored.model_changes else ""),
        flush=True,
    )


def _prune(args: argparse.Namespace) -> int:
    import re
    from datetime import timedelta

    from ..probes.config import load_config
    from ..probes.store import Store

    match = re.fullmatch(r"(\d+)d", args.older_than)
    if not match:
        raise _UsageError(f"--older-than takes days, e.g. 90d; got {args.older_than!r}")
    database = args.db or (load_config(args.config).database if args.config else None)
    if database is None:
        raise _UsageError("give --db PATH or --config FILE")
    from ..probes.store import StoreBusy

    try:
        deleted = Store(database).prune(timedelta(days=int(match.group(1))))
    except StoreBusy as exc:
        print(f"aoai-watch prune: {exc}; try again later", file=sys.stderr)
        return 1
    print(f"deleted {deleted} probe rows older than {args.older_than} from {database}")
    return 0


def _export(args: argparse.Namespace) -> int:
    """Probe rows as Parquet by prober and day (probes/export.py); progress on stderr, one line a file."""
    from datetime import UTC, datetime
    from pathlib import Path

    from ..probes.config import load_config
    from ..probes.export import export_parquet, parse_since
    from ..probes.sources import problems
    from ..probes.store import StoreBusy

    database = Path(args.db or (load_config(args.config).database if args.config else ""))
    if not args.db and not args.config:
        raise _UsageError("give --db PATH (the prober's DuckDB file) or --config FILE")
    if not database.is_file():
        raise _UsageError(f"{database}: no such file. Fix: pass the database `aoai-watch probe` writes (--db PATH)")
    found = problems([database])
    if found:
        raise _UsageError("\n".join(found))
    out = Path(args.parquet)
    if out.exists() and not out.is_dir():
        raise _UsageError(f"--parquet {out}: a file, not a folder. Fix: name a folder (it is created when missing)")
    now = datetime.now(UTC).replace(tzinfo=None)
    try:
        since = parse_since(args.since, now) if args.since else None
    except ValueError as exc:
        raise _UsageError(str(exc)) from None
    progress = (lambda line: None) if args.quiet else (lambda line: print(line, file=sys.stderr, flush=True))
    try:
        done = export_parquet(database, out, since, progress)
    except StoreBusy as exc:
        print(f"aoai-watch export: {exc}; try again later", file=sys.stderr)
        return 1
    except OSError as exc:
        print(
            f"aoai-watch export: cannot write under {out} ({exc.strerror or exc}). Fix: make it writable",
            file=sys.stderr,
        )
        return 1
    first = f" from {done.since:%Y-%m-%d} (whole days, UTC)" if done.since else ""
    print(f"exported {done.rows:,} probe rows{first} into {done.partitions} file(s) (prober x day) under {out}")
    return 0


def _drill_run(args: argparse.Namespace) -> int:
    from ..chaos.drills.model import DrillError, load_drills

    try:
        drills = load_drills(args.paths)
    except DrillError as exc:
        print(f"aoai-watch drill run: {exc}", file=sys.stderr)
        return EXIT_USAGE
    # only now the simulator, the client and the SDK: a bad file is refused in a tenth of a second
    from ..chaos.drills.report import print_table, store_records, write_journal, write_junit
    from ..chaos.drills.runner import run_drill
    from ..chaos.drills.stop import DrillStopped, stop_on_signals

    results = []
    print(f"running {len(drills)} drill(s) with client {args.client}", flush=True)
    try:
        with stop_on_signals():  # Ctrl-C, SIGTERM and SIGHUP unwind alike: the drill's rollback runs
            for drill in drills:
                result = run_drill(drill, args.client, args.simulator, progress=None if args.quiet else sys.stderr)
                print_table(result, sys.stdout)
                results.append(result)
    except DrillStopped as exc:
        print(f"aoai-watch drill run: stopped by {exc.signal_name} (the drill's rollback ran)", file=sys.stderr)
        return int(exc.code)
    if args.junit:
        write_junit(results, args.junit)
    if args.json:
        write_journal(results, args.json)
    if args.db:
        from ..probes.store import Store, StoreBusy

        try:
            Store(args.db).write_drills(store_records(results))
        except StoreBusy as exc:
            print(f"aoai-watch drill run: results not stored: {exc}", file=sys.stderr)
    passed = sum(r.passed for r in results)
    print(f"{passed} of {len(results)} drills passed", flush=True)
    return 0 if passed == len(results) else 1


def _chaos_proxy(args: argparse.Namespace) -> int:
    from urllib.parse import urlsplit

    from ..chaos.proxy import ProxyApp
    from ..chaos.simulator.cli import serve_until_signal
    from ..chaos.simulator.model import RegionSpec
    from ..chaos.simulator.simulator import Simulator
    from ..failover.config import is_loopback_host

    upstream = urlsplit(args.upstream)
    if upstream.scheme not in ("http", "https") or not upstream.hostname or upstream.path not in ("", "/"):
        raise _UsageError(
            f"--upstream takes scheme and host, e.g. https://contoso.openai.azure.com; got {args.upstream!r}"
        )
    if upstream.scheme == "http" and not is_loopback_host(upstream.hostname):
        raise _UsageError("--upstream must be https:// (keys pass through the proxy and must not travel in clear text)")
    host, _, port = args.listen.rpartition(":")
    if not host or not port.isdigit():
        raise _UsageError(f"--listen takes HOST:PORT, e.g. 127.0.0.1:8100; got {args.listen!r}")
    if not is_loopback_host(host):
        if not args.allow_remote:
            raise _UsageError(
                f"refusing to listen on {host}: the proxy carries your keys and has no login; "
                "use a loopback address, or add --allow-remote if you really mean it"
            )
        print(
            f"warning: the chaos proxy listens on {host}: anyone who can reach it can use your upstream "
            "with whatever credentials they send",
            file=sys.stderr,
        )
    spec = RegionSpec(name=args.name, deployments=(), port=int(port))
    simulator = Simulator(
        [spec], control_port=args.control_port, host=host, app_factory=lambda state: ProxyApp(state, args.upstream)
    )
    print(f"chaos proxy: {args.listen} -> {args.upstream} (faults on region {args.name!r})", flush=True)
    return serve_until_signal(simulator, args.ready_file, "chaos proxy")


def _dashboard(args: argparse.Namespace) -> int:
    from ..failover.config import is_loopback_host
    from ..probes.sources import SourceProblem, expand, problems

    given = args.db
    if not given and args.config:
        from ..probes.config import load_config

        given = [str(load_config(args.config).database)]
    try:  # several --db (or a glob) read as one: each must be a store, said before Streamlit starts
        databases = expand(given or ["data/aoai-watch.duckdb"])
    except SourceProblem as exc:
        raise _UsageError(str(exc)) from None
    found = problems(databases)
    if found:
        raise _UsageError("\n".join(found))
    database = ", ".join(str(p) for p in databases)
    from . import serve  # Streamlit's import: only once the sources are known to be good

    if not is_loopback_host(args.host):
        print(
            f"warning: the dashboard listens on {args.host} and has no login; anyone who can reach it sees your "
            "probe data. For shared use, put it behind Streamlit's OIDC login with Entra ID (see README).",
            file=sys.stderr,
        )
    from .children import Children

    with Children() as children:  # SIGTERM, SIGINT, SIGHUP stop Streamlit too; it never outlives this
        process = children.adopt(serve.start(databases, args.host, args.port, args.config))
        print(f"dashboard on http://{args.host}:{args.port}  (database {database}); Ctrl-C stops it", flush=True)
        children.wait()
    if children.failed is not None:
        print(
            f"aoai-watch dashboard: the Streamlit server exited on its own (exit code {process.returncode})",
            file=sys.stderr,
        )
        return 1
    return 0


def _demo(args: argparse.Namespace) -> int:
    from .demo import run

    return run(port=args.port, seed=args.seed, duration_s=args.duration_s)


def _import_metrics(args: argparse.Namespace) -> int:
    import logging
    from datetime import UTC, datetime

    from ..probes.config import load_config
    from ..probes.monitor.importer import import_metrics, parse_since

    config = load_config(args.config, database=args.db)
    if config.monitor is None:
        raise ConfigError(
            config.path,
            "monitor",
            "missing: add [monitor.regions.<region>] tables with each region's resource_id (see README)",
        )
    now = datetime.now(UTC).replace(tzinfo=None)
    try:
        since = parse_since(args.since, now)
    except ValueError as exc:
        raise _UsageError(str(exc)) from None
    # azure-identity logs every credential it tries at WARNING; the import prints one line with the fix
    logging.getLogger("azure").setLevel(logging.CRITICAL)
    progress = (lambda line: None) if args.quiet else (lambda line: print(line, file=sys.stderr, flush=True))
    report = import_metrics(config, since, now=now, progress=progress)
    for region in report.regions:
        state = "FAILED" if region.errors else "ok"
        print(f"{region.region:<16} {state:<6} {region.metric_rows} metric points, {region.log_rows} request logs")
        for error in region.errors:
            print(f"  {error}", file=sys.stderr)
    print(f"window {report.since:%Y-%m-%d %H:%M} .. {report.until:%Y-%m-%d %H:%M} UTC into {config.database}")
    return 0 if report.ok else 1


class _UsageError(Exception):
    pass


class _ListenError(Exception):
    """A server could not start listening (the port is taken, the address is not this machine's)."""


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="aoai-watch",
        description=(
            "Probes, an SLO dashboard and chaos drills for Azure OpenAI, with a multi-region failover client."
        ),
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    check = sub.add_parser("check-config", help="validate a config file (exit 0 when good, 2 when not)")
    check.add_argument("file", help="the TOML config file, e.g. data/aoai-watch.example.toml")
    check.set_defaults(run=_check_config)

    simulate = sub.add_parser(
        "simulate",
        help="serve simulated Azure OpenAI regions on 127.0.0.1",
        description="One port per region, plus a control port for faults.",
    )
    simulate.add_argument(
        "--regions",
        help="comma-separated region names (default eastus2,swedencentral); "
        "each serves gpt-4o, gpt-4o-mini, text-embedding-3-small",
    )
    simulate.add_argument("--config", help="serve exactly the regions of this config file (loopback endpoints)")
    simulate.add_argument("--api-key", help="the key clients must send with --regions (default: $AOAI_SIM_KEY)")
    simulate.add_argument("--ready-file", help="write the region and control URLs here as JSON once listening")
    simulate.add_argument("--seed", type=int, default=None, help="make latency, ids and fault odds repeatable")
    simulate.add_argument(
        "--latency-scale",
        type=_number(0, 1000),
        default=1.0,
        help="multiply the latency model (0 = answer at once; default 1)",
    )
    simulate.add_argument(
        "--tpm", type=_number(0, 1e12, whole=True), help="tokens-per-minute quota of every deployment (0 = unlimited)"
    )
    simulate.add_argument(
        "--rpm", type=_number(0, 1e12, whole=True), help="requests-per-minute quota of every deployment (0 = unlimited)"
    )
    simulate.add_argument("--control-port", type=_PORT, default=0, help="port of the control API (default: free)")
    simulate.add_argument(
        "--monitor",
        action="store_true",
        help="also serve Azure Monitor (metrics batch + Log Analytics, HTTPS with a test CA) for import-metrics",
    )
    simulate.add_argument(
        "--monitor-lag-s",
        type=_number(0, DAY_S, unit="seconds"),
        default=180.0,
        help="seconds before a request shows in the monitor APIs (Azure: about 180; default 180)",
    )
    simulate.set_defaults(run=_simulate)
    probe = sub.add_parser(
        "probe",
        help="probe every region once (for cron), or every N seconds",
        description="Exit 0 even when probes fail (they are data); 1 when it could not run or store.",
    )
    probe.add_argument("--config", required=True, help="the TOML config file")
    probe.add_argument("--db", help="the DuckDB file (default: the config's database)")
    probe.add_argument(
        "--every", type=_number(1, DAY_S, unit="seconds"), help="loop: a cycle every this many seconds (with jitter)"
    )
    probe.add_argument("--kinds", help="comma-separated probe kinds (default: the config's [probes] kinds)")
    probe.add_argument("--quiet", action="store_true", help="print one summary line per cycle")
    probe.add_argument(
        "--metrics-port", type=_PORT, help="with --every: serve Prometheus /metrics on this port (0: a free one)"
    )
    probe.add_argument("--metrics-host", default="127.0.0.1", help="listen address of /metrics (default loopback)")
    probe.add_argument("--allow-remote", action="store_true", help="allow a non-loopback --metrics-host")
    probe.set_defaults(run=_probe)

    exporter = sub.add_parser(
        "exporter",
        help="serve Prometheus /metrics from a database (for cron setups), read-only",
        description="Counters are sums over the stored rows (and what prune deleted), so a restart loses nothing.",
    )
    exporter.add_argument("--db", required=True, help="the DuckDB file the probes write")
    exporter.add_argument("--port", type=_PORT, required=True, help="port of /metrics (0: a free one)")
    exporter.add_argument("--host", default="127.0.0.1", help="listen address (default loopback; it has no login)")
    exporter.add_argument("--allow-remote", action="store_true", help="allow a non-loopback --host")
    exporter.add_argument(
        "--cache-s",
        type=_number(0, 3600, unit="seconds"),
        default=5.0,
        help="read the database at most this often; scrapes in between get the last read (default 5)",
    )
    exporter.set_defaults(run=_exporter)

    slo_cmd = sub.add_parser("slo", help="the SLOs of a config file, for other engines")
    slo_sub = slo_cmd.add_subparsers(dest="slo_command", metavar="COMMAND")
    rules = slo_sub.add_parser(
        "rules",
        help="write [slo] as Prometheus rule groups (recording rules and burn-rate alerts), YAML",
        description="The same windows, burn rates and low-traffic guard as `aoai-watch alert`; defaults apply "
        "when [slo] or [alerts] is absent.",
    )
    rules.add_argument("--config", required=True, help="the TOML config file")
    rules.add_argument("--format", choices=["prometheus"], default="prometheus", help="prometheus (the default)")
    rules.add_argument("-o", "--output", help="write to this file (default: standard output)")
    rules.set_defaults(run=_slo_rules)

    alert = sub.add_parser(
        "alert",
        help="evaluate the alert rules once and deliver notifications (for cron, right after probe)",
        description="Exit 0 when every due notification was delivered or queued for retry, 1 when a channel "
        "rejected one (4xx) or the database stayed locked, 2 for a bad config.",
    )
    alert.add_argument("--config", required=True, help="the TOML config file (its [alerts] table)")
    alert.add_argument("--db", help="the DuckDB file (default: the config's database)")
    alert.add_argument("--at", help="evaluate as if it were this ISO time (UTC), e.g. 2026-12-02T03:00:00Z")
    alert.add_argument("--dry-run", action="store_true", help="print what would be sent; send and store nothing")
    alert.add_argument("--quiet", action="store_true", help="start every line with a UTC timestamp (cron logs)")
    alert.set_defaults(run=_alert)

    prune = sub.add_parser("prune", help="delete old probe rows to keep the database bounded")
    prune.add_argument("--older-than", required=True, help="age in days, e.g. 90d")
    prune.add_argument("--db", help="the DuckDB file")
    prune.add_argument("--config", help="take the database from this config")
    prune.set_defaults(run=_prune)

    export = sub.add_parser(
        "export",
        help="write probe rows as Parquet, partitioned by prober and date (hive style)",
        description="Files DIR/prober=<name>/date=<YYYY-MM-DD>/part-0.parquet, for object storage, Fabric, Synapse, "
        "Spark, or `dashboard --db DIR`. Re-exporting a day replaces its file; days are exported whole (UTC).",
    )
    export.add_argument("--db", help="the prober's DuckDB file")
    export.add_argument("--config", help="take the database from this config")
    export.add_argument("--parquet", required=True, metavar="DIR", help="the folder to write (created when missing)")
    export.add_argument("--since", help="from this many days or hours back (7d, 36h) or an ISO date; default: all")
    export.add_argument("--quiet", action="store_true", help="no progress lines")
    export.set_defaults(run=_export)

    drill = sub.add_parser("drill", help="chaos drills: prove a client survives outages and throttling")
    drill_sub = drill.add_subparsers(dest="drill_command", metavar="COMMAND")
    drill_run = drill_sub.add_parser("run", help="run drill files (or folders of them); exit 0 only if all pass")
    drill_run.add_argument("paths", nargs="+", help="drill .toml files or folders, e.g. data/drills/")
    drill_run.add_argument(
        "--client",
        default="bundled",
        help="bundled (default), naive (plain openai SDK on the primary), or module:factory",
    )
    drill_run.add_argument("--simulator", help="control URL of a running simulator (default: start one per drill)")
    drill_run.add_argument("--junit", help="write JUnit XML here (one testcase per expectation)")
    drill_run.add_argument("--json", help="write the JSON journal here (each step: start, end, status, output)")
    drill_run.add_argument("--db", help="also store runs, calls and faults in this DuckDB file")
    drill_run.add_argument("--quiet", action="store_true", help="no live progress line")
    drill_run.set_defaults(run=_drill_run)

    chaos = sub.add_parser("chaos", help="fault injection in front of a real endpoint")
    chaos_sub = chaos.add_subparsers(dest="chaos_command", metavar="COMMAND")
    proxy = chaos_sub.add_parser("proxy", help="forward to a real endpoint, applying the simulator's faults")
    proxy.add_argument("--upstream", required=True, help="the real endpoint, e.g. https://contoso.openai.azure.com")
    proxy.add_argument("--listen", default="127.0.0.1:8100", help="HOST:PORT to listen on (loopback only by default)")
    proxy.add_argument("--name", default="proxy", help="the region name faults address (default: proxy)")
    proxy.add_argument("--control-port", type=_PORT, default=0, help="port of the control API (default: free)")
    proxy.add_argument("--ready-file", help="write the URLs here as JSON once listening")
    proxy.add_argument("--allow-remote", action="store_true", help="allow a non-loopback --listen address")
    proxy.set_defaults(run=_chaos_proxy)

    imports = sub.add_parser(
        "import-metrics",
        help="import Azure Monitor metrics (and request logs) of each region into the database",
        description="Needs [monitor.regions.<name>] with resource_id in the config, and the Monitoring Reader "
        "role. Re-importing a window replaces its rows. Exit 0 when every region imported, 1 when one failed.",
    )
    imports.add_argument("--config", required=True, help="the TOML config file")
    imports.add_argument("--since", default="24h", help="how far back: 24h (default), 90m, 7d, or an ISO time")
    imports.add_argument("--db", help="the DuckDB file (default: the config's database)")
    imports.add_argument("--quiet", action="store_true", help="no progress lines")
    imports.set_defaults(run=_import_metrics)

    dashboard = sub.add_parser("dashboard", help="serve the SLO dashboard (Streamlit) in the browser")
    dashboard.add_argument(
        "--db",
        action="append",
        help="the DuckDB file (default: the config's database, or data/aoai-watch.duckdb); repeat it, or give a "
        "quoted glob ('probers/*.duckdb') or an `export --parquet` folder, to read several probers as one",
    )
    dashboard.add_argument("--config", help="the config file, for the database and the SLO targets")
    dashboard.add_argument("--port", type=_number(1, 65535, whole=True), default=8501)
    dashboard.add_argument("--host", default="127.0.0.1", help="listen address (default loopback; it has no login)")
    dashboard.set_defaults(run=_dashboard)

    demo = sub.add_parser("demo", help="simulator, probes, a drill and the dashboard on this machine, no Azure needed")
    demo.add_argument("--seed", type=int, default=None, help="make the run repeatable")
    demo.add_argument("--port", type=_number(1, 65535, whole=True), default=8501, help="dashboard port")
    demo.add_argument(
        "--duration-s",
        type=_number(1, DAY_S, unit="seconds"),
        help="stop by itself after this many seconds (default: run until Ctrl-C or SIGTERM)",
    )
    demo.set_defaults(run=_demo)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "run", None):
        parser.print_help()
        return EXIT_USAGE
    try:
        return args.run(args)
    except ConfigError as exc:  # every problem of the file, one line each
        for line in str(exc).splitlines():
            print(f"aoai-watch {args.command}: {line}", file=sys.stderr)
        return EXIT_USAGE
    except _UsageError as exc:  # one line per problem
        for line in str(exc).splitlines():
            print(f"aoai-watch {args.command}: {line}", file=sys.stderr)
        return EXIT_USAGE
    except _ListenError as exc:
        print(f"aoai-watch {args.command}: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
