"""Bundle format v1: schema, reading, validation and writing. Pure: no Chroma, no network.

A bundle is one zip file (extension ``.wkb``, "ward knowledge bundle") that ward staff copy::

    manifest.json            Manifest: bundle id, version, created, schema version, record count,
                             sha256 of every other member
    manifest.sig             optional Ed25519 signature of manifest.json's bytes (see bundle.signing)
    records/<id>.yaml        one human-editable Record per procedure
    out_of_scope.yaml        optional: example questions per refusal kind (``OutOfScope``)
    vectors.npz              optional: the index documents' E5 vectors (``understand.vectors``), made
                             by the model named in the manifest's ``embedding``
    recordings.yaml          optional: recorded sentences (``knowledge.recordings.bundle``) with
    recordings/<id>.ogg      their Ogg/Opus audio

Every fact is a ``Fact`` carrying its sources and a ``status`` flag: ``sourced``, ``uncertain``
(the research sheet says "chưa chắc chắn": spoken with a hedge, confirm at the counter) or
``unsourced`` ("Chưa tìm được nguồn": never filled with a guess).
"""

from __future__ import annotations

import hashlib
import io
import json
import re
import zipfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Final, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from kiosk_app.core.errors import BundleError, BundleUnsafeError
from knowledge.bundle.limits import LIMITS, ReadLimits, check_npz, load_manifest_json, load_yaml
from knowledge.understand.vectors import VECTORS

if TYPE_CHECKING:
    from knowledge.recordings.members import Index as RecordingIndex

try:  # libyaml's parser (ships in PyYAML wheels) is ~7x faster: matters for 1,000-record bundles
    _YamlLoader: type[yaml.SafeLoader] | type[yaml.CSafeLoader] = yaml.CSafeLoader
except AttributeError:  # PyYAML built without libyaml
    _YamlLoader = yaml.SafeLoader

SCHEMA_VERSION: Final = 1  # Final: a literal, so it types as the manifest's Literal[1]
MANIFEST = "manifest.json"
SIGNATURE = "manifest.sig"
RECORDS_DIR = "records"
OUT_OF_SCOPE = "out_of_scope.yaml"  # bundle member, and its file name in a folder of records
OPTIONAL_MEMBERS: frozenset[str] = frozenset({OUT_OF_SCOPE, VECTORS})  # further members read if listed
BUNDLE_SUFFIX = ".wkb"
SLUG = r"^[a-z0-9]+(?:-[a-z0-9]+)*$"
_RECORD_MEMBER = re.compile(r"^records/[a-z0-9]+(?:-[a-z0-9]+)*\.yaml$")
_SOURCE_KEY = re.compile(r"^S\d+$")
_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")


def citations(sources: Iterable[str]) -> tuple[str, ...]:
    """The legal citations among a fact's sources ("Luật Cư trú 2020, Điều 28"), not its keys ("S10")."""
    return tuple(c for c in sources if not _SOURCE_KEY.match(c))


class Status(StrEnum):
    SOURCED = "sourced"
    UNCERTAIN = "uncertain"  # "(chưa chắc chắn …)": hedge and ask to confirm at the counter
    UNSOURCED = "unsourced"  # "Chưa tìm được nguồn": say we do not know; never guess


class Group(StrEnum):
    HO_TICH = "hộ tịch"
    CHUNG_THUC = "chứng thực"
    CU_TRU = "cư trú"
    CHINH_SACH = "chính sách xã hội"
    DAT_DAI = "đất đai - xây dựng"
    KINH_DOANH = "kinh doanh"
    HUONG_DAN = "hướng dẫn chung"


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


def numbers_in(text: str) -> set[str]:
    """Digit groups in ``text`` with thousands separators removed: "2.000 đ" -> {"2000"}."""
    return {re.sub(r"[.,]", "", m) for m in _NUMBER.findall(text)}


class Fact(_Model):
    """One statement from the research sheet, with where it comes from."""

    text: str = Field(min_length=1)  # full wording for the screen, faithful to the source
    say: str | None = None  # optional short spoken form; may only use numbers found in ``text``
    status: Status = Status.SOURCED
    note: str | None = None  # why it is uncertain, e.g. "nguồn thứ cấp"
    sources: tuple[str, ...] = ()  # source keys ("S23") or legal citations ("Luật Hộ tịch 2014, Điều 16")
    text_en: str | None = None
    say_en: str | None = None

    @model_validator(mode="after")
    def _check(self) -> Fact:
        if self.status is Status.SOURCED and not self.sources:
            raise ValueError("a sourced fact needs at least one source (or status uncertain/unsourced)")
        for spoken in (self.say, self.say_en):
            if spoken:
                extra = numbers_in(spoken) - numbers_in(self.text) - numbers_in(self.text_en or "")
                if extra:
                    raise ValueError(f"spoken form has numbers not in the text: {sorted(extra)}")
        return self

    @property
    def spoken(self) -> str:
        return self.say or self.text


class Fee(Fact):
    """The main fee statement plus further fee lines, each with its own status and sources."""

    details: tuple[Fact, ...] = ()  # e.g. "Quá hạn: Hà Nội 5.000 đồng/việc" (uncertain)
    exemptions: tuple[Fact, ...] = ()


class Source(_Model):
    key: str = Field(min_length=1)  # "S23" (research sheet key) or a short document name
    title: str = Field(min_length=1)
    url: str | None = None


class Record(_Model):
    """One procedure. Field names are the bundle contract (see docs/bundle-format.md)."""

    id: str = Field(pattern=SLUG, max_length=80)
    title: str = Field(min_length=1)
    title_en: str | None = None
    group: Group
    aliases: tuple[str, ...] = Field(min_length=1)  # colloquial names people use
    aliases_en: tuple[str, ...] = ()
    summary: Fact
    who: Fact | None = None  # who goes / who may submit
    where: Fact  # which office handles it
    documents: tuple[Fact, ...] = ()
    steps: tuple[Fact, ...] = ()
    processing_time: Fact
    fee: Fee
    online: Fact | None = None  # can it be done online, how
    online_url: str | None = None
    legal_basis: tuple[str, ...] = ()
    notes: tuple[Fact, ...] = ()  # other facts worth showing (conditions, results, cautions)
    sources: tuple[Source, ...] = Field(min_length=1)
    updated: date
    # Questions residents ask about this procedure, in their own words (the kiosk learns the
    # procedure from them; staff add phrasings from the unanswered-questions log).
    examples: tuple[str, ...] = ()
    examples_en: tuple[str, ...] = ()

    @field_validator("online_url")
    @classmethod
    def _url(cls, v: str | None) -> str | None:
        if v is not None and not re.match(r"^https?://\S+$", v):
            raise ValueError("must be an http(s) URL")
        return v

    @model_validator(mode="after")
    def _sources_known(self) -> Record:
        known = {s.key for s in self.sources}
        for fact in self.facts():
            for ref in fact.sources:
                if _SOURCE_KEY.match(ref) and ref not in known:
                    raise ValueError(f"source key {ref} is used but not listed in sources")
        return self

    def facts(self) -> Iterable[Fact]:
        yield self.summary
        if self.who:
            yield self.who
        yield self.where
        yield from self.documents
        yield from self.steps
        yield self.processing_time
        yield self.fee
        yield from self.fee.details
        yield from self.fee.exemptions
        if self.online:
            yield self.online
        yield from self.notes

    def all_text(self) -> str:
        """Every piece of text in the record (for number checks and indexing)."""
        parts = [self.title, *self.aliases, *self.legal_basis]
        for f in self.facts():
            parts += [f.text, f.say or "", f.note or "", f.text_en or "", f.say_en or ""]
            parts += citations(f.sources)  # a cited law: "…, Điều 28"
        return "\n".join(p for p in parts if p)


class RefusalKind(StrEnum):
    """Questions the kiosk must not answer with a procedure, each with its own fixed refusal."""

    PERSONAL_DATA = "personal_data"  # someone's file, case status, ID number, address
    HARMFUL = "harmful"  # cheating, forging, bribing: refused without explaining any procedure
    OTHER_AUTHORITY = "other_authority"  # a real errand handled elsewhere (passport, tax, court...)
    CHITCHAT = "chitchat_advice"  # weather, jokes, health or legal advice


class RefusalExamples(_Model):
    examples: tuple[str, ...] = ()
    examples_en: tuple[str, ...] = ()


class OutOfScope(_Model):
    """``out_of_scope.yaml``: example questions per refusal kind (all optional)."""

    kinds: dict[RefusalKind, RefusalExamples] = Field(default_factory=dict)


class Manifest(_Model):
    schema_version: Literal[1] = SCHEMA_VERSION
    bundle_id: str = Field(pattern=SLUG, max_length=80)
    version: str = Field(pattern=r"^[0-9A-Za-z][0-9A-Za-z.\-+]{0,40}$")
    created: datetime
    title: str = ""
    sample: bool = False  # sample data, not the ward's real data
    record_count: int = Field(ge=1)
    files: dict[str, str]  # member path -> sha256 hex
    embedding: str | None = Field(None, max_length=80)  # model fingerprint of vectors.npz

    @property
    def label(self) -> str:
        return f"{self.bundle_id}@{self.version}"


@dataclass(frozen=True, slots=True)
class Bundle:
    manifest: Manifest
    records: dict[str, Record]  # id -> record, in manifest order
    signature: bytes | None = None
    manifest_bytes: bytes = b""
    out_of_scope: OutOfScope = field(default_factory=OutOfScope)
    vectors: bytes | None = None  # raw vectors.npz (knowledge.understand.vectors.unpack)
    recordings: RecordingIndex | None = None  # recordings.yaml, checked (knowledge.recordings.bundle)


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _load_yaml(member: str, raw: bytes, limits: ReadLimits = LIMITS) -> object:
    """``load_yaml`` checks every event of the member before it is used (size, anchors/aliases,
    duplicate keys, depth, field lengths, hidden characters, chat-template tokens) and builds the data
    in the same pass (libyaml's parser, SafeLoader's scalar types)."""
    return load_yaml(raw, member, limits)[0]


def parse_out_of_scope(member: str, raw: bytes, limits: ReadLimits = LIMITS) -> OutOfScope:
    data = _load_yaml(member, raw, limits)
    try:
        return OutOfScope.model_validate(data)
    except ValidationError as err:
        first = err.errors()[0]
        loc = ".".join(str(p) for p in first["loc"])
        raise BundleError(f"{member}: field {loc}: {first['msg']}",
                          "out-of-scope-field", member=member, loc=loc) from err


def parse_record(member: str, raw: bytes, limits: ReadLimits = LIMITS) -> Record:
    """Parse one YAML record (bounded: ``_load_yaml``); errors name the member, record and field
    (English; ``reason`` + details for staff)."""
    data = _load_yaml(member, raw, limits)
    if not isinstance(data, dict):
        raise BundleError(f"{member}: a record must be a mapping", "record-not-mapping", member=member)
    rid = str(data.get("id", Path(member).stem))
    try:
        return Record.model_validate(data)
    except ValidationError as err:
        first = err.errors()[0]
        loc = ".".join(str(p) for p in first["loc"])
        field = str(first["loc"][0]) if first["loc"] else "?"
        missing = first["type"] == "missing"
        en = f"{member}: record '{rid}': field {loc}: {first['msg']}"
        if len(err.errors()) > 1:
            en += f" (+{len(err.errors()) - 1} more)"
        reason = "record-missing-field" if missing and "." not in loc else "record-bad-field"
        raise BundleError(en, reason, rid=rid, field=field, loc=loc) from err


def load_records_dir(src: Path) -> list[Record]:
    """Read every ``*.yaml`` record in a folder (sorted by file name)."""
    files = sorted(p for p in Path(src).glob("*.yaml") if p.is_file() and p.name != OUT_OF_SCOPE)
    if not files:
        raise BundleError(f"{src}: no *.yaml records found", "records-dir-empty", dir=str(src))
    records = [parse_record(p.name, p.read_bytes()) for p in files]
    check_unique(records)
    return records


def builtin_out_of_scope() -> OutOfScope:
    """The refusal examples that ship with the software (the sample's): they are not ward-specific,
    so a bundle without ``out_of_scope.yaml`` is indexed with these (else it could refuse nothing)."""
    return load_out_of_scope_dir(Path(__file__).resolve().parents[1] / "sample" / RECORDS_DIR)


def load_out_of_scope_dir(src: Path) -> OutOfScope:
    """The folder's ``out_of_scope.yaml`` beside the records, or no examples."""
    path = Path(src) / OUT_OF_SCOPE
    return parse_out_of_scope(path.name, path.read_bytes()) if path.is_file() else OutOfScope()


def check_unique(records: Iterable[Record]) -> None:
    seen: set[str] = set()
    for r in records:
        if r.id in seen:
            raise BundleError(f"duplicate procedure id '{r.id}'", "duplicate-id", rid=r.id)
        seen.add(r.id)


def record_yaml(record: Record) -> bytes:
    data = record.model_dump(mode="json", exclude_none=True, exclude_defaults=True)
    data = {"id": record.id, **data}
    text: str = yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=100)  # no stream: a str
    return text.encode("utf-8")


def build_bundle_bytes(records: Iterable[Record], *, bundle_id: str, version: str, title: str = "",
                       sample: bool = False, created: datetime | None = None,
                       signer: Callable[[bytes], bytes] | None = None,
                       out_of_scope: OutOfScope | None = None,
                       vectors: tuple[str, bytes] | None = None,
                       recordings: dict[str, bytes] | None = None) -> bytes:
    """Return the bytes of a bundle zip. ``signer(manifest_bytes) -> signature bytes`` is optional;
    ``vectors``: (embedding model fingerprint, ``vectors.npz`` bytes) to ship precomputed vectors;
    ``recordings``: ``recordings.yaml`` and its audio members (``recordings_bundle.read_source``)."""
    recs = list(records)
    check_unique(recs)
    members = {f"{RECORDS_DIR}/{r.id}.yaml": record_yaml(r) for r in recs}
    if out_of_scope is not None and out_of_scope.kinds:
        oos = out_of_scope.model_dump(mode="json", exclude_defaults=True)
        members[OUT_OF_SCOPE] = yaml.safe_dump(oos, allow_unicode=True, sort_keys=False,
                                               width=100).encode("utf-8")
    if vectors is not None:
        members[VECTORS] = vectors[1]
    members.update(recordings or {})
    manifest = Manifest(bundle_id=bundle_id, version=version, title=title, sample=sample,
                        created=created or datetime.now(UTC).replace(microsecond=0),
                        record_count=len(recs), embedding=vectors[0] if vectors else None,
                        files={name: sha256_bytes(data) for name, data in members.items()})
    manifest_bytes = json.dumps(manifest.model_dump(mode="json", exclude_none=True), ensure_ascii=False,
                                indent=2).encode("utf-8")
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr(MANIFEST, manifest_bytes)
        if signer is not None:
            zf.writestr(SIGNATURE, signer(manifest_bytes))
        for name, data in members.items():
            zf.writestr(name, data)
    return buf.getvalue()


def parse_manifest(raw: bytes, limits: ReadLimits = LIMITS) -> Manifest:
    """Bounded: size cap and nesting scan before ``json.loads`` (``load_manifest_json``)."""
    data = load_manifest_json(raw, MANIFEST, limits)
    try:
        manifest = Manifest.model_validate(data)
    except ValidationError as err:
        first = err.errors()[0]
        loc = ".".join(str(p) for p in first["loc"])
        raise BundleError(f"{MANIFEST}: field {loc}: {first['msg']}",
                          "manifest-field", loc=loc) from err
    for name in manifest.files:
        problem = member_problem(name)
        if problem:
            raise BundleUnsafeError(f"{MANIFEST} lists {name!r}: {problem}",
                                    "manifest-odd-member", name=name[:80])
    if manifest.record_count > limits.max_records:
        raise BundleUnsafeError(f"{MANIFEST}: {manifest.record_count} records (limit {limits.max_records})",
                                "too-many-records")
    return manifest


def member_problem(name: str) -> str | None:
    """Why a member listed in the manifest is not one the kiosk reads (None: it is read).

    The member set must equal what ``read_bundle_dir`` and ``Knowledge.open`` read: a listed file the
    reader skips (``records/README.txt``, ``LICENSE``, ``records/x.YAML``) or one that clashes with
    what the importer writes next to the bundle (``import.json``, ``index/``) would pass the import and
    then make the kiosk report a damaged bundle."""
    if name in (MANIFEST, SIGNATURE):
        return "the manifest cannot list itself or its signature"
    if _RECORD_MEMBER.match(name) or name in OPTIONAL_MEMBERS:
        return None
    from knowledge.recordings.members import is_recording_member

    if is_recording_member(name):
        return None
    return (f"not a member the kiosk reads (allowed: {RECORDS_DIR}/<id>.yaml with a lower-case id"
            + (f", {', '.join(sorted(OPTIONAL_MEMBERS))}" if OPTIONAL_MEMBERS else "") + ")")


def bundle_from_members(members: dict[str, bytes], limits: ReadLimits = LIMITS) -> Bundle:
    """Validate a bundle given its members (name -> bytes). Checks every checksum and record.

    The members must be exactly the manifest, its optional signature and the files it lists."""
    if MANIFEST not in members:
        raise BundleError(f"{MANIFEST} is missing", "manifest-missing")
    manifest_bytes = members[MANIFEST]
    manifest = parse_manifest(manifest_bytes, limits)
    check_member_set(members, manifest)
    records: dict[str, Record] = {}
    out_of_scope = OutOfScope()
    for name, digest in manifest.files.items():
        if sha256_bytes(members[name]) != digest:
            raise BundleError(f"{name}: sha256 does not match the manifest",
                              "checksum", name=name)
    from knowledge.recordings.members import check_members, is_recording_member

    recordings = check_members(members, manifest.files)  # sizes and index; audio is decoded at import
    text = 0
    for name in manifest.files:
        if is_recording_member(name):
            continue
        if name.startswith(f"{RECORDS_DIR}/"):
            rec = parse_record(name, members[name], limits)
            if Path(name).stem != rec.id:
                raise BundleError(f"{name}: file name does not match record id '{rec.id}'",
                                  "record-name-mismatch", name=name, rid=rec.id)
            if rec.id in records:
                raise BundleError(f"duplicate procedure id '{rec.id}'", "duplicate-id", rid=rec.id)
            records[rec.id] = rec
        elif name == OUT_OF_SCOPE:
            out_of_scope = parse_out_of_scope(name, members[name], limits)
        elif name == VECTORS:
            check_npz(members[name], name, limits)  # bounded before anything np.load()s it
            continue
        text += len(members[name])
        if text > limits.max_bundle_text_chars:
            raise BundleUnsafeError(f"records hold more than {limits.max_bundle_text_chars:,} bytes",
                                    "too-much-text")
    if len(records) != manifest.record_count:
        raise BundleError(f"manifest says {manifest.record_count} records, bundle has {len(records)}",
                          "record-count")
    return Bundle(manifest=manifest, records=records, signature=members.get(SIGNATURE),
                  manifest_bytes=manifest_bytes, out_of_scope=out_of_scope,
                  vectors=members.get(VECTORS) if VECTORS in manifest.files else None,
                  recordings=recordings)


def check_member_set(members: Iterable[str], manifest: Manifest) -> None:
    """The members must equal manifest + optional signature + the files the manifest lists."""
    names = set(members)
    extra = names - set(manifest.files) - {MANIFEST, SIGNATURE}
    if extra:
        name = sorted(extra)[0]
        raise BundleError(f"member {name} is not listed in the manifest",
                          "member-not-listed", name=name)
    missing = set(manifest.files) - names
    if missing:
        name = sorted(missing)[0]
        raise BundleError(f"{name} is listed in the manifest but missing", "member-missing", name=name)


def read_bundle_dir(path: Path, limits: ReadLimits = LIMITS) -> Bundle:
    """Read an unpacked bundle directory (as activated under ``data_dir/bundles/<id>``).

    Reads exactly what the manifest lists (plus the manifest and its signature), nothing found by
    globbing: the importer's member-set check and this reader agree by construction."""
    path = Path(path)
    manifest_bytes = (path / MANIFEST).read_bytes() if (path / MANIFEST).is_file() else None
    if manifest_bytes is None:
        raise BundleError(f"{path / MANIFEST} is missing", "manifest-missing")
    manifest = parse_manifest(manifest_bytes, limits)
    members: dict[str, bytes] = {MANIFEST: manifest_bytes}
    if (path / SIGNATURE).is_file():
        members[SIGNATURE] = (path / SIGNATURE).read_bytes()
    for name in manifest.files:  # names passed member_problem: no "..", no absolute path
        p = path / name
        if p.is_file():
            members[name] = p.read_bytes()
    return bundle_from_members(members, limits)
