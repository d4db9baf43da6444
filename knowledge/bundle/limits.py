"""Bounded reading of bundle content from an untrusted stick: limits, YAML pre-scan, text and URL rules.

Pure (no I/O). ``knowledge.bundle.schema`` calls these before it builds any Python object from a member:

- ``load_manifest_json``: size cap, UTF-8, JSON nesting depth checked by a scan (no RecursionError);
- ``scan_yaml``: one pass over libyaml's *event* stream (flat, no recursion, no object built) that
  refuses anchors and aliases (alias bombs), explicit tags, more than one document, complex or
  duplicate mapping keys, nesting deeper than ``max_depth``, more than ``max_nodes`` nodes or
  ``max_list_items`` items in a list, a scalar longer than its field's limit (title, aliases, texts,
  URLs), more than ``max_record_text_chars`` of text in one record, and record text carrying
  invisible/bidi control characters or chat-template tokens (``<|im_start|>``, ``[INST]`` …) that the
  LLM answerer would read as instructions. Only then is the YAML loaded (``yaml.load``);
- ``check_url``: ``https`` only, no user-info or port, host equal to or under an allowed domain.

Every refusal is a ``BundleError`` naming the member and the field (English) with a ``reason`` key
and details (``member``, …) that the UI renders as a Vietnamese sentence for ward staff.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import yaml

from kiosk_app.core.errors import BundleError, BundleUnsafeError, Detail

try:
    _Loader: type[yaml.SafeLoader] | type[yaml.CSafeLoader] = yaml.CSafeLoader
except AttributeError:  # PyYAML built without libyaml
    _Loader = yaml.SafeLoader


@dataclass(frozen=True, slots=True)
class ReadLimits:
    """Caps for what one bundle may hold. A real record is ~10 kB, depth 4, ~300 nodes."""

    max_manifest_bytes: int = 1024 * 1024  # 5,000 members x ~100 bytes, with room
    max_signature_bytes: int = 512  # base64 of 64 bytes is 88
    max_record_bytes: int = 256 * 1024
    max_records: int = 3000
    max_depth: int = 8  # record > fee > details > [i] > sources > [j] is 6
    max_nodes: int = 20_000  # per YAML member
    max_list_items: int = 500
    max_key_chars: int = 64
    max_title_chars: int = 300
    max_alias_chars: int = 300  # aliases, aliases_en, examples, examples_en items
    max_text_chars: int = 5000  # any other text value
    max_url_chars: int = 1000  # a QR code holds 2,331 bytes at level M
    max_record_text_chars: int = 100_000
    max_bundle_text_chars: int = 30_000_000
    max_npz_unpacked_bytes: int = 256 * 1024 * 1024  # vectors.npz: 3 arrays, unpacked by np.load


LIMITS = ReadLimits()
DEFAULT_URL_HOSTS = ("gov.vn",)

_SHORT_LISTS = frozenset({"aliases", "aliases_en", "examples", "examples_en"})
_TITLES = frozenset({"title", "title_en"})
_URL_KEYS = frozenset({"url", "online_url"})
# Chat-template control tokens of the model families an answerer could run (ChatML/Qwen, Llama 2/3,
# Mistral, Gemma, Phi, Alpaca-style headings). Matched case-insensitively in every text value.
_CHAT_TOKENS = re.compile(
    r"<\|[A-Za-z0-9_ ]{1,40}\|>"  # <|im_start|> <|endoftext|> <|eot_id|> <|system|> ...
    r"|\[/?INST\]|<</?SYS>>|</?s>|<(?:start|end)_of_turn>|<\|?(?:begin|end)_of_text\|?>"
    r"|^\s*#{2,}\s*(?:instruction|response|system|input|user|assistant)\b",
    re.IGNORECASE | re.MULTILINE)
_ALLOWED_CONTROL = frozenset("\n\t")


def _refuse(member: str, en: str, reason: str, *, unsafe: bool = False, **details: Detail) -> BundleError:
    cls = BundleUnsafeError if unsafe else BundleError
    return cls(f"{member}: {en}", reason, member=member, **details)


def bad_character(text: str) -> str | None:
    """The first invisible, bidi-control, private-use or control character in ``text`` (as U+hhhh)."""
    if text.replace("\n", " ").replace("\t", " ").isprintable():  # C speed; the usual case
        return None  # isprintable() is False for every category refused below (and for NBSP etc.)
    for ch in text:
        if ch in _ALLOWED_CONTROL:
            continue
        cat = unicodedata.category(ch)
        if cat in ("Cf", "Cc", "Co", "Cs", "Zl", "Zp"):
            return f"U+{ord(ch):04X} ({unicodedata.name(ch, cat)})"
    return None


def chat_token(text: str) -> str | None:
    m = _CHAT_TOKENS.search(text)
    return m.group(0).strip() if m else None


def text_problem(member: str, where: str, text: str) -> BundleError | None:
    """Text a resident would not see as written, or that an LLM would read as a turn marker."""
    bad = bad_character(text)
    if bad:
        return _refuse(member, f"{where}: invisible or direction-changing character {bad}",
                       "text-invisible-char", unsafe=True, where=where, char=bad)
    tok = chat_token(text)
    if tok:
        return _refuse(member, f"{where}: chat-template control token {tok!r} in record text",
                       "text-chat-token", unsafe=True, where=where, token=tok)
    return None


def check_text(member: str, where: str, text: str) -> None:
    err = text_problem(member, where, text)
    if err is not None:
        raise err


def check_url(url: str, hosts: tuple[str, ...], where: str) -> str | None:
    """Why ``url`` is refused (English), or None: https, no user-info/port, host = or under ``hosts``."""
    if len(url) > LIMITS.max_url_chars:
        return f"{where}: URL is {len(url)} characters (limit {LIMITS.max_url_chars})"
    if any(c.isspace() for c in url) or bad_character(url):
        return f"{where}: URL contains spaces or control characters"
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as err:
        return f"{where}: malformed URL ({err})"
    if parts.scheme.lower() != "https":
        return f"{where}: only https:// addresses are allowed, not {parts.scheme or 'no scheme'}:"
    host = (parts.hostname or "").rstrip(".").lower()
    if not host.isascii():  # a look-alike letter ("gоv" with a Cyrillic о) reads as the real host
        return f"{where}: host {host!r} has non-ASCII letters (write it in ASCII / punycode)"
    if not host or parts.username is not None or parts.password is not None or port is not None:
        return f"{where}: URL must be https://host/path without user name, password or port"
    if not any(host == h or host.endswith("." + h) for h in (d.lower().strip(".") for d in hosts)):
        return f"{where}: host {host} is not on the allowed list ({', '.join(hosts)})"
    return None


def load_manifest_json(raw: bytes, member: str, limits: ReadLimits = LIMITS) -> object:
    """``json.loads`` with a size cap and a nesting scan first (a 2 MB ``[[[…`` is a clear refusal)."""
    import json

    if len(raw) > limits.max_manifest_bytes:
        raise _refuse(member, f"is {len(raw):,} bytes (limit {limits.max_manifest_bytes:,})",
                      "manifest-too-large", unsafe=True)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as err:
        raise _refuse(member, f"not UTF-8: {err}", "manifest-corrupt") from err
    depth = deepest = 0
    in_str = esc = False
    for ch in text:  # ~30 ms per MB; JSON strings cannot hide brackets from this scan
        if in_str:
            if esc:
                esc = False
            elif ch == "\\":
                esc = True
            elif ch == '"':
                in_str = False
        elif ch == '"':
            in_str = True
        elif ch in "[{":
            depth += 1
            if depth > 16:
                raise _refuse(member, "JSON nested deeper than 16 levels", "manifest-too-deep", unsafe=True)
            deepest = max(deepest, depth)
        elif ch in "]}":
            depth -= 1
    try:
        return json.loads(text)
    except (json.JSONDecodeError, RecursionError) as err:
        raise _refuse(member, f"not valid JSON: {err}", "manifest-corrupt") from err


_NPZ_ARRAYS = frozenset({"ids.npy", "sha.npy", "vectors.npy"})


def check_npz(raw: bytes, member: str, limits: ReadLimits = LIMITS) -> None:
    """A ``.npz`` member (a zip of ``.npy`` arrays) before ``np.load`` touches it: only the expected
    arrays, stored or deflated, unpacking to at most ``max_npz_unpacked_bytes`` (a small member
    could otherwise inflate to gigabytes when loaded)."""
    import io
    import zipfile

    try:
        with zipfile.ZipFile(io.BytesIO(raw)) as zf:
            infos = zf.infolist()
    except (zipfile.BadZipFile, ValueError, EOFError) as err:
        raise _refuse(member, f"not a .npz archive: {err}", "npz-corrupt") from err
    names = {i.filename for i in infos}
    if names != _NPZ_ARRAYS or len(infos) != len(_NPZ_ARRAYS):
        raise _refuse(member, f"holds {sorted(names)[:5]}, expected {sorted(_NPZ_ARRAYS)}",
                      "npz-odd-content", unsafe=True)
    size = sum(i.file_size for i in infos)
    if size > limits.max_npz_unpacked_bytes or any(
            i.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED) for i in infos):
        raise _refuse(member, f"unpacks to {size:,} bytes (limit {limits.max_npz_unpacked_bytes:,}) or uses "
                      "an unsupported compression", "npz-too-large", unsafe=True)
    for info in infos:
        problem = _npy_problem(zf_open(raw, info.filename), info.file_size)
        if problem:
            raise _refuse(member, f"{info.filename}: {problem}", "npz-odd-content", unsafe=True)


def zf_open(raw: bytes, name: str) -> bytes:
    """The first 4 KiB of one array in a .npz (its .npy header lives there)."""
    import io
    import zipfile

    with zipfile.ZipFile(io.BytesIO(raw)) as zf, zf.open(name) as fh:
        return fh.read(4096)


def _npy_problem(head: bytes, file_size: int) -> str | None:
    """A .npy header that declares object data (pickles) or more data than the member holds."""
    import io

    import numpy as np
    from numpy.lib import format as npy

    try:
        fh = io.BytesIO(head)
        version = npy.read_magic(fh)
        shape, _fortran, dtype = (npy.read_array_header_1_0(fh) if version == (1, 0)
                                  else npy.read_array_header_2_0(fh))
    except (ValueError, OSError, EOFError) as err:
        return f"not a .npy array ({err})"
    if dtype.hasobject:
        return "object array (would need pickle)"
    need = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    if need != file_size - fh.tell():
        return f"header declares {need:,} bytes of data, the member holds {file_size - fh.tell():,}"
    return None


class _Frame:
    """One open mapping or sequence while scanning events."""

    __slots__ = ("data", "is_map", "items", "key", "keys", "name", "value_key", "want_key")

    def __init__(self, is_map: bool, name: str | None) -> None:
        self.is_map = is_map
        self.data: dict[object, object] | list[object] = {} if is_map else []
        self.key: object = None  # mapping: the constructed key whose value comes next
        self.name = name  # the key (or list name) this container is the value of
        self.want_key = True
        self.keys: set[str] = set()
        self.value_key: str | None = None  # mapping: the key whose value comes next
        self.items = 0

    def field(self) -> str | None:
        """The field name a value at this position belongs to."""
        return self.value_key if self.is_map else self.name


def _where(stack: list[_Frame]) -> str:
    parts: list[str] = []
    for f in stack:
        parts.append(f"{f.value_key}" if f.is_map and f.value_key and not f.want_key else
                     (f"[{f.items}]" if not f.is_map else ""))
    return ".".join(p for p in parts if p).replace(".[", "[") or "(root)"


def _field_limit(stack: list[_Frame], limits: ReadLimits) -> tuple[int, str]:
    """(limit, kind) for a scalar value at the top of ``stack``."""
    name = stack[-1].field() or ""
    top_level = len(stack) == 1 or (len(stack) == 2 and not stack[-1].is_map)
    if name in _URL_KEYS:
        return limits.max_url_chars, "URL"
    if top_level and name in _TITLES:
        return limits.max_title_chars, "title"
    if name in _SHORT_LISTS:  # aliases (top level), examples (records and out_of_scope.yaml kinds)
        return limits.max_alias_chars, name
    return limits.max_text_chars, "text"


def _explicit_tag(ev: yaml.Event) -> str | None:
    tag = getattr(ev, "tag", None)
    if tag is None:
        return None
    implicit = getattr(ev, "implicit", False)
    if implicit is True or (isinstance(implicit, tuple) and any(implicit)):
        return None  # a plain or quoted scalar / an untagged collection
    return str(tag)


def scan_yaml(raw: bytes, member: str, limits: ReadLimits = LIMITS) -> int:
    """Check a YAML member (``load_yaml``); returns its text length."""
    return load_yaml(raw, member, limits)[1]


def load_yaml(raw: bytes, member: str, limits: ReadLimits = LIMITS) -> tuple[object, int]:
    """Load a YAML member from libyaml's event stream, checking every event before it is used:
    (data as ``yaml.safe_load`` would give it, text length). One pass; no node graph is built, so an
    alias can never be expanded (it is refused, as is every anchor)."""
    if len(raw) > limits.max_record_bytes:
        raise _refuse(member, f"is {len(raw):,} bytes (limit {limits.max_record_bytes:,})",
                      "yaml-too-large", unsafe=True)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as err:
        raise _refuse(member, f"not valid UTF-8: {err}", "yaml-unreadable") from err
    stack: list[_Frame] = []
    nodes = docs = total = 0
    root: object = None
    loader = _Loader(text)
    try:
        while loader.check_event():  # yaml.parse without its generator: ~170 events per record
            ev: Any = loader.get_event()
            kind = type(ev)
            if kind is _SCALAR or kind is _MAP_START or kind is _SEQ_START:
                if ev.anchor is not None:
                    raise _alias(member, stack)
                nodes += 1
                if nodes > limits.max_nodes:
                    raise _refuse(member, f"more than {limits.max_nodes:,} YAML nodes",
                                  "yaml-too-many-nodes", unsafe=True)
                if ev.tag is not None and _explicit_tag(ev):
                    raise _refuse(member, f"{_where(stack)}: explicit YAML tag {ev.tag} is not allowed",
                                  "yaml-tag", unsafe=True, tag=str(ev.tag))
                parent = stack[-1] if stack else None
                if parent is not None and parent.want_key and parent.is_map:
                    if kind is not _SCALAR:
                        raise _refuse(member, f"{_where(stack)}: a mapping key must be plain text",
                                      "yaml-bad-key")
                    _key(parent, ev.value, member, limits)
                    parent.key = _construct(loader, ev)
                elif kind is _SCALAR:
                    if parent is None:
                        root = _construct(loader, ev)  # a bare scalar document: the schema refuses it
                        continue
                    total += _value(stack, ev.value, member, limits)
                    if total > limits.max_record_text_chars:
                        raise _too_much_text(member, limits)
                    _attach(parent, _construct(loader, ev))
                    _consumed(parent, member, limits)
                else:
                    if len(stack) >= limits.max_depth:
                        raise _refuse(member, f"{_where(stack)}: nested deeper than {limits.max_depth} "
                                      "levels", "yaml-too-deep", unsafe=True)
                    stack.append(_Frame(kind is _MAP_START, parent.field() if parent else None))
            elif kind is _MAP_END or kind is _SEQ_END:
                done = stack.pop()
                if stack:
                    _attach(stack[-1], done.data)
                    _consumed(stack[-1], member, limits)
                else:
                    root = done.data
            elif kind is _ALIAS:
                raise _alias(member, stack)
            elif kind is _DOC_START:
                docs += 1
                if docs > 1:
                    raise _refuse(member, "more than one YAML document", "yaml-several-docs")
    except yaml.YAMLError as err:
        raise _refuse(member, f"not valid YAML: {err}", "yaml-unreadable") from err
    except (ValueError, TypeError) as err:  # a plain scalar that resolves to a bad int/date/…
        raise _refuse(member, f"{_where(stack)}: bad value: {err}", "yaml-bad-value") from err
    finally:
        loader.dispose()
    return root, total


_STR_TAG = "tag:yaml.org,2002:str"


def _construct(loader: Any, ev: Any) -> object:
    """A scalar as SafeLoader constructs it (int, float, bool, None, date/datetime, str)."""
    tag = loader.resolve(yaml.ScalarNode, ev.value, ev.implicit) if ev.tag in (None, "!") else ev.tag
    if tag == _STR_TAG:
        return ev.value
    node = yaml.ScalarNode(tag, ev.value, style=ev.style)
    return loader.yaml_constructors[tag](loader, node)


def _attach(frame: _Frame, value: object) -> None:
    if isinstance(frame.data, dict):
        frame.data[frame.key] = value
    else:
        frame.data.append(value)


_SCALAR, _ALIAS, _DOC_START = yaml.ScalarEvent, yaml.AliasEvent, yaml.DocumentStartEvent
_MAP_START, _SEQ_START = yaml.MappingStartEvent, yaml.SequenceStartEvent
_MAP_END, _SEQ_END = yaml.MappingEndEvent, yaml.SequenceEndEvent


def _too_much_text(member: str, limits: ReadLimits) -> BundleError:
    return _refuse(member, f"more than {limits.max_record_text_chars:,} characters of text",
                   "yaml-too-much-text", limit=limits.max_record_text_chars)


def _alias(member: str, stack: list[_Frame]) -> BundleError:
    return _refuse(member, f"{_where(stack)}: YAML anchors/aliases (&, *) are not allowed",
                   "yaml-alias", unsafe=True)


def _key(frame: _Frame, key: str, member: str, limits: ReadLimits) -> None:
    if len(key) > limits.max_key_chars:
        raise _refuse(member, f"a key of {len(key)} characters", "yaml-key-too-long")
    if key in frame.keys:
        raise _refuse(member, f"duplicate key '{key}' (YAML would silently keep the last one)",
                      "yaml-duplicate-key", key=key)
    frame.keys.add(key)
    frame.value_key = key
    frame.want_key = False


def _value(stack: list[_Frame], value: str, member: str, limits: ReadLimits) -> int:
    limit, kind = _field_limit(stack, limits)
    if len(value) > limit:
        where = _where(stack)
        raise _refuse(member, f"{where}: {kind} is {len(value):,} characters (limit {limit:,})",
                      "text-too-long", where=where, length=len(value), limit=limit)
    if not _clean(value):  # the path is built only for a refusal
        err = text_problem(member, _where(stack), value)
        if err is not None:
            raise err
    return len(value)


def _clean(value: str) -> bool:
    """Fast pre-check: printable and free of '<', '[' and '#' (every chat token needs one of them)."""
    return (value.replace("\n", " ").replace("\t", " ").isprintable()
            and "<" not in value and "[" not in value and "#" not in value)


def _consumed(frame: _Frame, member: str, limits: ReadLimits) -> None:
    if frame.is_map:
        frame.want_key = True
        return
    frame.items += 1
    if frame.items > limits.max_list_items:
        raise _refuse(member, f"list '{frame.name}' has more than {limits.max_list_items} items",
                      "yaml-list-too-long", unsafe=True, list=str(frame.name))
