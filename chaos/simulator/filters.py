"""Azure's content filter annotations: the per-category results on prompts and completions.

Every answer carries the categories Azure sends under its default policy (docs/wire-notes.md,
section 5): on the prompt the severity categories plus the prompt shields (`jailbreak`, and
`indirect_attack`, which the v1 schema requires); on a completion the severity categories plus
the protected-material detections. Severity categories (`hate`, `self_harm`, `sexual`,
`violence`) carry `filtered` and `severity`; detections carry `filtered` and `detected`.
`flag` names the one category a content_filter fault marks, with its severity (ignored for a
detection, which is detected or not).

Chat completions put these under `prompt_filter_results[i].content_filter_results` and
`choices[i].content_filter_results`; the Responses API lists them in `content_filters`
(`content_filter_entry`).
"""

from __future__ import annotations

from typing import Any

SEVERITY_CATEGORIES = ("hate", "self_harm", "sexual", "violence")
PROMPT_DETECTIONS = ("jailbreak", "indirect_attack")
COMPLETION_DETECTIONS = ("protected_material_code", "protected_material_text")
SEVERITIES = ("low", "medium", "high")
Flag = tuple[str, str]  # (category, severity)


def _results(detections: tuple[str, ...], flag: Flag | None) -> dict[str, Any]:
    """The categories in alphabetical order, as Azure sends them; `flag` marks one filtered."""
    results: dict[str, Any] = {}
    for category in sorted(SEVERITY_CATEGORIES + detections):
        hit = flag is not None and flag[0] == category
        if category in SEVERITY_CATEGORIES:
            results[category] = {"filtered": hit, "severity": flag[1] if hit and flag else "safe"}
        else:
            results[category] = {"filtered": hit, "detected": hit}
    return results


def completion_results(flag: Flag | None = None) -> dict[str, Any]:
    """A choice's `content_filter_results`; `flag` marks one severity category as filtered."""
    return _results(COMPLETION_DETECTIONS, flag)


def prompt_results(flag: Flag | None = None) -> dict[str, Any]:
    """The prompt's `content_filter_results`, severity categories and prompt shields together;
    `flag` marks one of them (a shield such as `jailbreak` as detected and filtered)."""
    return _results(PROMPT_DETECTIONS, flag)


def prompt_filter_results(flag: Flag | None = None) -> list[dict[str, Any]]:
    """A chat answer's `prompt_filter_results`: one entry, for prompt 0."""
    return [{"prompt_index": 0, "content_filter_results": prompt_results(flag)}]


def content_filter_entry(
    source_type: str, results: dict[str, Any], chars: int, raw: list[Any] | None = None
) -> dict[str, Any]:
    """One entry of a Responses object's `content_filters` (or of its prompt-filter 400):
    `source_type` "prompt" or "completion", `blocked` when any category was filtered, and the
    offsets of the text it judged (0 to `chars`). Azure sends `content_filter_raw` null on a
    200 and [] on a 400; `raw` says which."""
    blocked = any(isinstance(r, dict) and r.get("filtered") for r in results.values())
    return {
        "blocked": blocked,
        "source_type": source_type,
        "content_filter_raw": raw,
        "content_filter_results": results,
        "content_filter_offsets": {"start_offset": 0, "end_offset": chars, "check_offset": 0},
    }


def responses_content_filters(
    prompt_chars: int, completion_chars: int, completion_flag: Flag | None = None
) -> list[dict[str, Any]]:
    """A Responses object's `content_filters`: the prompt's entry (safe: a flagged prompt is a
    400) and the completion's, `completion_flag` marking one category filtered."""
    return [
        content_filter_entry("prompt", prompt_results(), prompt_chars),
        content_filter_entry("completion", completion_results(completion_flag), completion_chars),
    ]


# what every unflagged answer carries (built once: they are on the hot path)
SAFE_COMPLETION = completion_results()
SAFE_PROMPT = prompt_filter_results()
