"""Azure's content filter annotations: the per-category results on prompts and completions.

Severity categories (`hate`, `self_harm`, `sexual`, `violence`) carry `filtered` and `severity`;
detection categories (`jailbreak`, `indirect_attack` on the prompt) carry `filtered` and
`detected`. `flag` names the one category a content_filter fault marks, with its severity.
"""

from __future__ import annotations

from typing import Any

SEVERITY_CATEGORIES = ("hate", "self_harm", "sexual", "violence")
PROMPT_DETECTIONS = ("jailbreak", "indirect_attack")
SEVERITIES = ("low", "medium", "high")
Flag = tuple[str, str]  # (category, severity)


def _severity_results(flag: Flag | None) -> dict[str, Any]:
    results: dict[str, Any] = {}
    for category in SEVERITY_CATEGORIES:
        if flag is not None and flag[0] == category:
            results[category] = {"filtered": True, "severity": flag[1]}
        else:
            results[category] = {"filtered": False, "severity": "safe"}
    return results


def completion_results(flag: Flag | None = None) -> dict[str, Any]:
    """A choice's `content_filter_results`; `flag` marks one severity category as filtered."""
    return _severity_results(flag)


def prompt_results(flag: Flag | None = None) -> dict[str, Any]:
    """The prompt's `content_filter_results`, severity and detection categories together."""
    results = _severity_results(flag)
    for category in PROMPT_DETECTIONS:
        hit = flag is not None and flag[0] == category
        results[category] = {"filtered": hit, "detected": hit}
    return results


# what every unflagged answer carries (built once: they are on the hot path)
SAFE_COMPLETION = completion_results()
SAFE_PROMPT = [{"prompt_index": 0, "content_filter_results": prompt_results()}]
