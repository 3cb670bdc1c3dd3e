"""`alert` end to end against a real receiver on 127.0.0.1: the four channels, state in the store,
retries, 4xx, the guard, silence, the lock, and secrets kept out of everything recorded."""

from __future__ import annotations

import hashlib
import hmac
from datetime import timedelta
from pathlib import Path

from aoai_watch.alerts.run import LOCK_SUFFIX, evaluate
from aoai_watch.probes.schedule import cycle_lock
from aoai_watch.probes.store import Store

from .conftest import SECRETS, T0, probes, store_probes, write_config
from .receiver import Receiver

PATHS = {"webhook": "/hook/T0SECRETPATH0hook", "pagerduty": "/v2/enqueue"}


def run(config, environ, at):  # type: ignore[no-untyped-def]
    return evaluate(config, now=at, environ=environ, sleep=lambda s: None)


def by_status(receiver: Receiver, status: str) -> list[dict]:
    """The webhook's delivered payloads of `status`."""
    return [r.body for r in receiver.delivered(PATHS["webhook"]) if r.body["status"] == status]


def test_a_sustained_outage_notifies_once_per_channel_and_severity_then_resolves_once(
    tmp_path: Path, receiver: Receiver, environ: dict[str, str]
) -> None:
    config = write_config(tmp_path, receiver)
    start = T0 - timedelta(hours=2)
    store_probes(config, probes("eastus2", start, 90) + probes("eastus2", start + timedelta(minutes=90), 30, bad=True))
    store_probes(config, probes("swedencentral", start, 120))
    at = T0 - timedelta(seconds=30)
    first = run(config, environ, at)
    assert first.ok
    firing = by_status(receiver, "firing")
    assert sorted((p["alert"], p["severity"], p["region"]) for p in firing) == [
        ("availability burn rate", "page", "eastus2"),
        ("availability burn rate", "ticket", "eastus2"),
    ]
    # every channel got exactly one firing notification per severity
    assert len(receiver.delivered()) == 4 * 2
    pd = [r.body for r in receiver.delivered(PATHS["pagerduty"])]
    assert sorted(e["payload"]["severity"] for e in pd) == ["critical", "warning"]

    # the next run (one more failed probe) sends nothing new
    store_probes(config, probes("eastus2", T0, 1, bad=True) + probes("swedencentral", T0, 1))
    assert run(config, environ, T0 + timedelta(seconds=30)).outcomes == []
    assert len(receiver.delivered()) == 8

    # recovery: 35 good minutes resolve the page once (the 5m window is clean); the ticket holds
    store_probes(config, probes("eastus2", T0 + timedelta(minutes=1), 35) + probes("swedencentral", T0, 36))
    run(config, environ, T0 + timedelta(minutes=35, seconds=30))
    resolved = by_status(receiver, "resolved")
    assert [(p["alert"], p["severity"]) for p in resolved] == [("availability burn rate", "page")]
    assert resolved[0]["dedup_key"] == next(p["dedup_key"] for p in firing if p["severity"] == "page")
    pd_resolve = [r.body for r in receiver.delivered(PATHS["pagerduty"]) if r.body["event_action"] == "resolve"]
    assert len(pd_resolve) == 1 and pd_resolve[0]["dedup_key"] == resolved[0]["dedup_key"]
    run(config, environ, T0 + timedelta(minutes=36))
    assert len(by_status(receiver, "resolved")) == 1  # once

    # the ticket's rows (24h / 2h, 3d / 6h) hold until the 6h window is clean: seven clean hours later
    store_probes(config, probes("eastus2", T0 + timedelta(minutes=36), 420))
    run(config, environ, T0 + timedelta(minutes=36 + 419))
    assert sorted(p["severity"] for p in by_status(receiver, "resolved")) == ["page", "ticket"]
    assert len(by_status(receiver, "firing")) == 2 and len(receiver.delivered()) == 4 * 2 * 2


def test_one_failed_probe_among_sixty_pages_nobody(tmp_path: Path, receiver: Receiver, environ: dict[str, str]) -> None:
    config = write_config(tmp_path, receiver)
    rows = probes("eastus2", T0 - timedelta(minutes=60), 60)
    rows[57] = probes("eastus2", rows[57].ts, 1, bad=True)[0]  # one blip, three minutes ago
    store_probes(config, rows)
    report = run(config, environ, T0 - timedelta(seconds=30))
    assert report.conditions == [] and receiver.requests == []


def test_a_receiver_that_fails_twice_still_gets_it_once(
    tmp_path: Path, receiver: Receiver, environ: dict[str, str]
) -> None:
    config = write_config(tmp_path, receiver)
    receiver.script.extend([500, "timeout"])  # the first channel's first two attempts
    report = run(config, environ, T0)  # no probe row at all: the prober is silent
    assert [c.rule for c in report.conditions] == ["prober silent"]
    assert report.ok and all(o.delivery.state == "delivered" for o in report.outcomes)
    assert [o.delivery.attempts for o in report.outcomes] == [3, 1, 1, 1]
    assert len(receiver.delivered()) == 4
    hook = [r for r in receiver.requests if r.path == PATHS["webhook"]]
    assert [r.answered for r in hook] == [500, "timeout", 200]
    assert run(config, environ, T0 + timedelta(minutes=1)).outcomes == []  # delivered: never again


def test_a_failure_past_the_retries_is_kept_for_the_next_run_and_sent_once(
    tmp_path: Path, receiver: Receiver, environ: dict[str, str]
) -> None:
    config = write_config(tmp_path, receiver)
    receiver.script.extend([503, 503, 503])  # the webhook's three attempts in this run
    first = run(config, environ, T0)
    assert first.ok  # queued for retry is not a failure
    assert [o.delivery.state for o in first.outcomes] == ["pending", "delivered", "delivered", "delivered"]
    assert first.outcomes[0].delivery.answer.startswith("HTTP 503")
    second = run(config, environ, T0 + timedelta(minutes=1))
    assert [(o.delivery.channel, o.delivery.state, o.delivery.attempts) for o in second.outcomes] == [
        ("hook", "delivered", 4)
    ]
    assert len(receiver.delivered(PATHS["webhook"])) == 1
    assert run(config, environ, T0 + timedelta(minutes=2)).outcomes == []


def test_a_4xx_is_recorded_masked_and_not_retried(tmp_path: Path, receiver: Receiver, environ: dict[str, str]) -> None:
    config = write_config(tmp_path, receiver)
    receiver.script.append(404)  # the webhook's answer names its (secret) path
    report = run(config, environ, T0)
    assert not report.ok
    hook = report.outcomes[0].delivery
    assert (hook.state, hook.http_status, hook.attempts) == ("rejected", 404, 1)
    assert "refused: invalid webhook" in (hook.answer or "") and "T0SECRETPATH0hook" not in (hook.answer or "")
    assert len([r for r in receiver.requests if r.path == PATHS["webhook"]]) == 1
    assert run(config, environ, T0 + timedelta(minutes=1)).outcomes == []  # rejected: not retried


def test_prober_silent_fires_within_silence_after(tmp_path: Path, receiver: Receiver, environ: dict[str, str]) -> None:
    config = write_config(tmp_path, receiver)
    store_probes(config, probes("eastus2", T0 - timedelta(minutes=30), 30))  # the last at T0 - 1 min
    assert run(config, environ, T0 + timedelta(minutes=3)).conditions == []
    late = run(config, environ, T0 + timedelta(minutes=4, seconds=30))
    assert [(c.rule, c.severity) for c in late.conditions] == [("prober silent", "page")]
    assert "no probe row for 6 min" in late.conditions[0].summary or "for 5 min" in late.conditions[0].summary


def test_overlapping_runs_never_send_twice(tmp_path: Path, receiver: Receiver, environ: dict[str, str]) -> None:
    config = write_config(tmp_path, receiver)
    with cycle_lock(config.database, LOCK_SUFFIX):
        busy = run(config, environ, T0)
    assert busy.skipped and "alert evaluation is still running" in busy.skipped and receiver.requests == []
    assert len(run(config, environ, T0).outcomes) == 4


def test_payloads_have_each_channels_documented_shape(
    tmp_path: Path, receiver: Receiver, environ: dict[str, str]
) -> None:
    config = write_config(tmp_path, receiver)
    run(config, environ, T0)
    got = {r.path.split("/")[1]: r for r in receiver.delivered()}
    hook = got["hook"]
    for field in ("status", "alert", "severity", "region", "summary", "value", "threshold", "started_at"):
        assert field in hook.body
    assert hook.body["dedup_key"] == "prober-silent" and hook.body["dashboard_url"].endswith("/alerts")
    expected = hmac.new(SECRETS["AOAI_ALERT_HOOK_SECRET"].encode(), hook.raw, hashlib.sha256).hexdigest()
    headers = {k.lower(): v for k, v in hook.headers.items()}  # HTTP header names are case-insensitive
    assert headers["x-aoai-watch-signature"] == f"sha256={expected}"
    slack = got["slack"].body
    assert slack["text"].startswith("[FIRING] page: prober silent")
    assert [b["type"] for b in slack["blocks"]] == ["header", "section", "context"]
    assert slack["blocks"][0]["text"]["type"] == "plain_text" and slack["blocks"][1]["text"]["type"] == "mrkdwn"
    teams = got["teams"].body
    assert teams["type"] == "message" and len(teams["attachments"]) == 1
    attachment = teams["attachments"][0]
    assert attachment["contentType"] == "application/vnd.microsoft.card.adaptive"
    card = attachment["content"]
    assert (
        card["type"] == "AdaptiveCard" and card["version"] == "1.4" and card["$schema"].endswith("adaptive-card.json")
    )
    assert {b["type"] for b in card["body"]} == {"TextBlock", "FactSet"}
    pd = got["v2"].body
    assert pd["routing_key"] == SECRETS["AOAI_ALERT_PD_KEY"] and pd["event_action"] == "trigger"
    assert pd["dedup_key"] == "prober-silent"
    assert pd["payload"]["severity"] == "critical" and pd["payload"]["source"] == "test-prober"
    assert pd["payload"]["summary"].startswith("prober silent:")


def test_secrets_never_reach_the_database_or_a_dry_run(
    tmp_path: Path, receiver: Receiver, environ: dict[str, str], capsys
) -> None:
    config = write_config(tmp_path, receiver)
    receiver.script.extend([401, 500, 500, 500])
    run(config, environ, T0)
    secrets = [*SECRETS.values(), environ["AOAI_ALERT_HOOK"], "T0SECRETPATH0hook", "slacksecret", "teamssecret999"]
    for table in ("alerts", "alert_deliveries"):
        _, rows = Store(config.database).query(f"SELECT * FROM {table}")
        text = repr(rows)
        assert rows and not [s for s in secrets if s and s in text]
    from aoai_watch.app.cli import main

    argv = ["alert", "--config", str(config.path), "--at", "2026-12-02T03:30:00Z", "--dry-run"]
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert out.count("would POST") == 1  # the slack notification left pending; nothing new
    assert main([*argv, "--db", str(tmp_path / "fresh.duckdb")]) == 0
    fresh = capsys.readouterr().out
    assert fresh.count("would POST") == 4 and "$AOAI_ALERT_PD_KEY" in fresh and "$AOAI_ALERT_HOOK" in fresh
    assert not [s for s in secrets if s and s in out + fresh]
    _, sent = Store(config.database).query("SELECT count(*) FROM alert_deliveries WHERE state = 'delivered'")
    assert sent == [(2,)]  # teams and pagerduty, from the real run: the dry runs sent nothing
