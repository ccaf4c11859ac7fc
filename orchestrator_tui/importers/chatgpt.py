"""ChatGPT's data export (``conversations.json``), one conversation in memory at a time.

The export is one JSON array of conversations and reaches hundreds of MB: it is streamed
with ijson, which builds one conversation object, hands it over and forgets it. Each
conversation becomes one transcript: ``source_id`` its ``conversation_id`` (``id`` in older
exports), its title, ``create_time`` and ``update_time`` (Unix seconds).

A conversation is a tree: ``mapping`` maps node ids to nodes (``message``, ``parent``,
``children``), and editing a prompt or regenerating an answer adds a sibling branch. Only the
branch that ends at ``current_node`` (what the ChatGPT window shows) is imported, root first;
without a usable ``current_node``, the branch of the latest leaf.

Left out: placeholder nodes (no message), messages ChatGPT hides
(``metadata.is_visually_hidden_from_conversation``: custom instructions, scaffolding), the
context it injects (``user_editable_context``, ``model_editable_context``), the model's
reasoning (``thoughts``, ``reasoning_recap``; the other importers skip thinking too), and
messages that show nothing (the empty system message every conversation starts with).

Turns: ``user``, ``assistant`` and ``tool`` messages (a ``system`` message with content is
kept as such). An assistant message whose ``recipient`` is not ``all`` is a call of that
tool (browser, python, dalle.text2im, a plugin); a tool message is its result, named by its
author. Calls and results are kept short. Content that is not text is described: an image
as ``[image 1024x768, 240 KB]``, code as its text, a quote as ``[quote: title url]``, a
browsed page as ``[browsing: title]`` and its text, an unknown content type as
``[<content_type>]``, uploaded files as ``[file: name]``. A turn's id is its message id. The
model is the last ``model_slug`` of the branch.

A conversation that is not an object with a ``mapping`` is skipped and reported with its
1-based position in the array; malformed JSON ends the file there (the conversations before
it stand) and is reported with the position of the conversation it broke.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

import ijson  # type: ignore[import-untyped]

from orchestrator_tui.importers.model import (
    PROGRESS_EVERY,
    End,
    Event,
    Problems,
    Progress,
    Start,
    Turn,
    parse_time,
    shorten,
)

FORMAT = "chatgpt"
BOM = b"\xef\xbb\xbf"

# Content that is not conversation: ChatGPT's injected context and the model's reasoning.
SKIPPED_CONTENT = frozenset(
    {"user_editable_context", "model_editable_context", "thoughts", "reasoning_recap"}
)
_ASSET_NAMES = {
    "image_asset_pointer": "image",
    "audio_asset_pointer": "audio",
    "real_time_user_audio_video_asset_pointer": "audio/video",
    "video_container_asset_pointer": "video",
}
_MAPPING_KEY = re.compile(rb'"mapping"\s*:')
_TREE_KEYS = re.compile(rb'"(?:current_node|create_time)"\s*:')

Record = dict[str, Any]


def sniff(head: bytes, path: Path) -> bool:
    """A JSON array whose first conversation shows its ``mapping`` and times or current node."""
    text = head.removeprefix(BOM).lstrip()
    return (
        text.startswith(b"[")
        and _MAPPING_KEY.search(text) is not None
        and _TREE_KEYS.search(text) is not None
    )


def parse(path: Path, problems: Problems, progress: Progress) -> Iterator[Event]:
    """One transcript per conversation of the export, in the file's order."""
    with path.open("rb") as file:
        if not _is_array(file):
            problems.report(path, 1, "not a ChatGPT export: the file is not a JSON array")
            return
        conversations = ijson.items(file, "item", use_float=True)
        position = reported = 0
        while True:
            try:
                conversation = next(conversations)
            except StopIteration:
                break
            except (ijson.JSONError, ValueError, RecursionError) as error:
                message = f"invalid JSON, the rest of the file was not read: {_first_line(error)}"
                problems.report(path, position + 1, message)
                break
            position += 1
            if not isinstance(conversation, dict):
                problems.report(path, position, "not a conversation (not a JSON object)")
            elif not isinstance(conversation.get("mapping"), dict):
                problems.report(path, position, "conversation without a mapping of messages")
            else:
                yield from _conversation(conversation, position)
            offset = file.tell()
            if offset - reported >= PROGRESS_EVERY:
                progress(offset)
                reported = offset
        progress(file.tell())


def _is_array(file: IO[bytes]) -> bool:
    """Whether the file holds a JSON array; leaves the file at its start (after a BOM)."""
    start = file.read(len(BOM))
    if start != BOM:
        file.seek(0)
    origin = file.tell()
    while chunk := file.read(4096):
        text = chunk.lstrip()
        if text:
            file.seek(origin)
            return text.startswith(b"[")
    file.seek(origin)
    return False


def _first_line(error: BaseException) -> str:
    """The first line of a parser's message (yajl's come as bytes, over several lines)."""
    message = error.args[0] if error.args else ""
    text = message.decode("utf-8", "replace") if isinstance(message, bytes) else str(error)
    return next((line.strip() for line in text.splitlines() if line.strip()), type(error).__name__)


def _conversation(conversation: Record, position: int) -> Iterator[Event]:
    mapping: Record = conversation["mapping"]
    branch = _branch(mapping, conversation.get("current_node"))
    turns: list[Turn] = []
    model: str | None = None
    used: set[str] = set()
    for node_id, node in branch:
        message = node.get("message")
        if not isinstance(message, dict):
            continue
        turn = _turn(message, _turn_id(message, node_id, used))
        if turn is not None:
            turns.append(turn)
        metadata = message.get("metadata")
        slug = metadata.get("model_slug") if isinstance(metadata, dict) else None
        if isinstance(slug, str) and slug:
            model = slug
    default_model = conversation.get("default_model_slug")
    if model is None and isinstance(default_model, str) and default_model:
        model = default_model
    title = conversation.get("title")
    yield Start(
        source_format=FORMAT,
        source_id=_conversation_id(conversation, position),
        title=" ".join(title.split()) if isinstance(title, str) else "",
        started_at=parse_time(conversation.get("create_time")),
        model=model,
    )
    yield from turns
    yield End(ended_at=parse_time(conversation.get("update_time")))


def _conversation_id(conversation: Record, position: int) -> str:
    for key in ("conversation_id", "id"):
        value = conversation.get(key)
        if isinstance(value, str) and value:
            return value
    return f"conversation-{position}"  # stable while the export is not re-made


def _branch(mapping: Record, current: object) -> list[tuple[str, Record]]:
    """The nodes from the root to ``current`` (or to the latest leaf), as (id, node). A
    broken file's cycle of parents ends the walk."""
    node_id = current if isinstance(current, str) and current in mapping else _latest_leaf(mapping)
    chain: list[tuple[str, Record]] = []
    seen: set[str] = set()
    while isinstance(node_id, str) and node_id not in seen:
        node = mapping.get(node_id)
        if not isinstance(node, dict):
            break
        seen.add(node_id)
        chain.append((node_id, node))
        node_id = node.get("parent")
    chain.reverse()
    return chain


def _latest_leaf(mapping: Record) -> str | None:
    """The childless node whose message was written last (the last such in the file on a
    tie): where the conversation ended when ``current_node`` does not say."""
    best: str | None = None
    best_time = float("-inf")
    for node_id, node in mapping.items():
        if not isinstance(node, dict) or node.get("children"):
            continue
        message = node.get("message")
        created = message.get("create_time") if isinstance(message, dict) else None
        when = float(created) if isinstance(created, int | float) else float("-inf")
        if best is None or when >= best_time:
            best, best_time = node_id, when
    return best


def _turn_id(message: Record, node_id: str, used: set[str]) -> str:
    """The message's id, else its node's; unique within the conversation."""
    own = message.get("id")
    candidate = own if isinstance(own, str) and own else node_id
    if candidate in used:
        candidate = node_id if node_id not in used else f"{node_id}#{len(used)}"
    used.add(candidate)
    return candidate


def _turn(message: Record, source_id: str) -> Turn | None:
    """The turn a message makes, or None for one that is left out."""
    metadata = message.get("metadata")
    metadata = metadata if isinstance(metadata, dict) else {}
    if metadata.get("is_visually_hidden_from_conversation") is True:
        return None
    author = message.get("author")
    role = author.get("role") if isinstance(author, dict) else None
    content = message.get("content")
    if role not in ("user", "assistant", "tool", "system") or not isinstance(content, dict):
        return None
    text = _describe(content)
    if text is None:
        return None
    files = _attachments(metadata)
    text = "\n".join(piece for piece in (text, files) if piece).strip()
    if not text:
        return None
    created = parse_time(message.get("create_time"))
    recipient = message.get("recipient")
    if role == "tool":
        name = author.get("name") if isinstance(author, dict) else None
        return Turn(
            "tool",
            shorten(text),
            source_id,
            created,
            "tool_result",
            name if isinstance(name, str) and name else "tool",
            _failed(content, metadata),
        )
    if role == "assistant" and isinstance(recipient, str) and recipient not in ("", "all"):
        return Turn("assistant", shorten(text), source_id, created, "tool_call", recipient)
    return Turn(role, text, source_id, created)


def _failed(content: Record, metadata: Record) -> bool:
    """A tool result that reports a failure: a ``system_error``, a failed browser command,
    code that raised."""
    if content.get("content_type") == "system_error" or metadata.get("status") == "failed":
        return True
    result = metadata.get("aggregate_result")
    status = result.get("status") if isinstance(result, dict) else None
    return isinstance(status, str) and status != "success"


def _text(value: object) -> str:
    return value.strip() if isinstance(value, str) else ""


def _describe(content: Record) -> str | None:
    """What a message's content shows, as text; None for content that is left out."""
    kind = content.get("content_type")
    if not isinstance(kind, str):  # a damaged record: described as unknown content
        kind = "unknown"
    if kind in SKIPPED_CONTENT:
        return None
    if kind in ("text", "multimodal_text"):
        parts = content.get("parts")
        if not isinstance(parts, list):
            return ""
        return "\n\n".join(piece for piece in map(_part, parts) if piece)
    if kind == "code":
        return _text(content.get("text"))
    if kind == "execution_output":
        return shorten(_text(content.get("text")))
    if kind == "tether_quote":
        label = " ".join(
            piece for piece in (_text(content.get("title")), _text(content.get("url"))) if piece
        )
        quote = _text(content.get("text"))
        return f"[quote: {label}]" + (f"\n{shorten(quote)}" if quote else "")
    if kind == "tether_browsing_display":
        summary, result = _text(content.get("summary")), _text(content.get("result"))
        label = f"[browsing: {summary}]" if summary else "[browsing]"
        return shorten(f"{label}\n{result}") if result else label
    if kind == "system_error":
        name, text = _text(content.get("name")), _text(content.get("text"))
        return f"{name}: {text}" if name and text else name or text or "[error]"
    if kind == "sonic_webpage":
        label = " ".join(
            piece for piece in (_text(content.get("title")), _text(content.get("url"))) if piece
        )
        return f"[webpage: {label}]" if label else "[webpage]"
    return f"[{kind}]" if isinstance(kind, str) and kind else "[content]"


def _part(part: object) -> str:
    """One part of a (multimodal) text message."""
    if isinstance(part, str):
        return part.strip()
    if not isinstance(part, dict):
        return ""
    kind = part.get("content_type")
    if kind == "image_asset_pointer":
        return _image(part)
    if isinstance(kind, str) and kind in _ASSET_NAMES:
        return f"[{_ASSET_NAMES[kind]}]"
    text = _text(part.get("text"))
    if text:  # an audio transcription, and the like
        return text
    return f"[{kind}]" if isinstance(kind, str) and kind else ""


def _count(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else None


def _image(part: Record) -> str:
    """``[image 1024x768, 240 KB]``, with what is known of the size."""
    width, height = _count(part.get("width")), _count(part.get("height"))
    details: list[str] = []
    if width and height:
        details.append(f"{width}x{height}")
    if (size := _count(part.get("size_bytes"))) is not None:
        details.append(f"{max(1, round(size / 1024))} KB")
    return f"[image {', '.join(details)}]" if details else "[image]"


def _attachments(metadata: Record) -> str:
    """The files uploaded with a message (``metadata.attachments``), one line each."""
    attachments = metadata.get("attachments")
    if not isinstance(attachments, list):
        return ""
    names = [
        _text(item.get("name")) or "attachment" for item in attachments if isinstance(item, dict)
    ]
    return "\n".join(f"[file: {name}]" for name in names)
