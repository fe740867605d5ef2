"""Reflection cleaning: turn a critic's reply into short, actionable feedback.

Small critics ramble, apologise, and paste whole programs. The generator only needs
the diagnosis, so code dumps and chatter go, and the rest is bounded in size.
"""

from __future__ import annotations

import re

MAX_REFLECTION_CHARS = 600
MAX_REFLECTION_LINES = 8

_FENCED = re.compile(r"```.*?(```|\Z)", re.DOTALL)
_CHATTER = re.compile(
    r"^\s*(sure|certainly|of course|here('s| is| are)|i hope|let me know|great"
    r"|okay|ok[,.!]"
    r"|happy to help|the (corrected|fixed|updated) (code|version)|corrected code)\b",
    re.IGNORECASE,
)
_CODE_LINE = re.compile(
    r"^\s*(def |class |import |from \w+ import |return |for .*:$|if .*:$)"
)


def clean_reflection(raw: str) -> str:
    """Strip code blocks, code-looking lines and chatter; keep ~600 characters."""
    text = _FENCED.sub("", raw)
    kept: list[str] = []
    for line in text.splitlines():
        stripped = line.strip()
        if not stripped or _CHATTER.match(stripped) or _CODE_LINE.match(line):
            continue
        kept.append(stripped)
        if len(kept) >= MAX_REFLECTION_LINES:
            break
    cleaned = "\n".join(kept)
    if len(cleaned) > MAX_REFLECTION_CHARS:
        cut = cleaned[:MAX_REFLECTION_CHARS]
        sentence_end = max(cut.rfind(". "), cut.rfind(".\n"))
        cleaned = (
            cut[: sentence_end + 1] if sentence_end > 200 else cut.rstrip() + "..."
        )
    return cleaned
