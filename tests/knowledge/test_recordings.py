"""Recorded sentences (issue 20): keys, the inventory, splitting composed sentences, the recording set."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import numpy as np
import pytest

from kiosk_app.core.errors import BundleError, BundleUnsafeError
from kiosk_app.ui.bundle_messages import staff_vi
from knowledge.answer import EvidenceAnswerer, TemplateAnswerer
from knowledge.bundle.schema import bundle_from_members, load_records_dir
from knowledge.recordings.audio import TARGET_DBFS, active_level_db
from knowledge.recordings.bundle import add_take, audit, read_source
from knowledge.recordings.inventory import Kind, inventory
from knowledge.recordings.lookup import RecordingSet
from knowledge.recordings.members import REC_LIMITS, check_members
from knowledge.recordings.sentences import decompose, loose, sentence_key
from knowledge.types import Aspect
from tests.conftest import SAMPLE_RECORDS

RECORDS = load_records_dir(SAMPLE_RECORDS)
BY_ID = {r.id: r for r in RECORDS}
INV = inventory(RECORDS, "vi")
KNOWN = {loose(i.text): i for i in INV}


def tone(seconds: float = 1.0, rate: int = 24000, amp: float = 3000.0) -> np.ndarray:
    """A voiced-like test signal: 200 Hz with harmonics, 0.2 s of silence at each end."""
    t = np.arange(int(seconds * rate)) / rate
    x = amp * (np.sin(2 * np.pi * 200 * t) + 0.5 * np.sin(2 * np.pi * 400 * t))
    pad = np.zeros(int(0.2 * rate))
    return np.concatenate([pad, x, pad]).astype(np.int16)


@pytest.mark.parametrize(("a", "b", "same"), [
    ("Khai tử làm ở phường.", "Khai tử  làm ở phường. ", True),  # spaces collapsed, stripped
    ("Khai tử làm ở phường.", "Khai tu\u031b\u0309 làm ở phường.", True),  # NFD == NFC
    ("Khai tử làm ở phường.", "Khai tử làm ở phường", False),  # punctuation is part of the words
    ("Trong 15 ngày.", "Trong 30 ngày.", False),  # an edited number is another sentence
])
def test_sentence_key(a: str, b: str, same: bool) -> None:
    assert (sentence_key(a) == sentence_key(b)) is same
    assert len(sentence_key(a)) == 64


def test_inventory_ids_are_unique_file_safe_and_carry_fact_ids() -> None:
    ids = [i.id for i in INV]
    assert len(ids) == len(set(ids))
    assert all(i.replace(".", "").replace("-", "").replace("_", "").isalnum() and i.islower() for i in ids)
    facts = [i for i in INV if i.kind is Kind.FACT]
    assert any(i.fact_id == "khai-tu/summary" and i.text.startswith("Khai tử làm ở") for i in facts)
    kinds = {i.kind for i in INV}
    assert {Kind.FACT, Kind.TITLE, Kind.FIXED, Kind.CONNECTIVE, Kind.NO_INFO} <= kinds
    texts = {i.text for i in INV}
    assert "Xin hỏi lại cán bộ tại quầy để chắc chắn." in texts and "Được." in texts


@pytest.mark.parametrize(("sentence", "ids"), [
    ("Xin hỏi lại cán bộ tại quầy để chắc chắn.", ["fixed.hedge-end"]),
    ("Đăng ký khai tử: khai tử làm ở Ủy ban nhân dân phường nơi người mất cư trú cuối cùng, trong 15 ngày "
     "kể từ ngày mất.", ["khai-tu.title", "khai-tu.summary"]),
    ("Được, khai tử đúng hạn thì được miễn lệ phí.", ["word.duoc", "khai-tu.fee"]),
    ("Cần mang: tờ khai đăng ký khai tử; giấy báo tử hoặc giấy tờ thay thế giấy báo tử.",
     ["connective.list-documents", "khai-tu.documents.0", "khai-tu.documents.1"]),
    ("Một câu không ai ghi.", None),
    ("Đăng ký khai tử: một câu lạ.", None),  # a known head does not make an unknown rest
])
def test_decompose(sentence: str, ids: list[str] | None) -> None:
    parts = decompose(sentence, KNOWN)
    assert (None if parts is None else [p.id for p in parts]) == ids


def test_every_composed_answer_sentence_is_made_of_inventory_items() -> None:
    """Template answers (every record × aspect) and evidence answers to specific questions."""
    template, evidence = TemplateAnswerer(), EvidenceAnswerer()
    questions = ["lệ phí bao nhiêu", "mất mấy ngày", "làm ở đâu", "ông bà đi làm thay được không",
                 "có làm trên mạng được không", "giấy tờ có giá trị bao lâu", "cần mang mấy bản"]
    missing = []
    for r in RECORDS:
        answers = [template.answer("", r, a) for a in Aspect]
        answers += [evidence.answer(q, r, Aspect.GENERAL) for q in questions]
        missing += [s for a in answers for s in a.sentences if decompose(s, KNOWN) is None]
    assert missing == []


def _source(tmp_path: Path) -> Path:
    src = tmp_path / "src"
    src.mkdir()
    for p in SAMPLE_RECORDS.glob("*.yaml"):
        (src / p.name).write_bytes(p.read_bytes())
    return src


def _item(sid: str):  # type: ignore[no-untyped-def]
    return next(i for i in INV if i.id == sid)


def test_recording_set_plays_fresh_composed_and_ignores_stale(tmp_path: Path) -> None:
    src = _source(tmp_path)
    for sid, amp in (("khai-tu.title", 2000.0), ("khai-tu.summary", 9000.0), ("fixed.hedge-end", 500.0)):
        add_take(src, sid, _item(sid).text, "vi", tone(1.0, amp=amp), 24000)
    rs = RecordingSet.from_members(RECORDS, read_source(src))
    hedge = rs.clip("Xin hỏi lại cán bộ tại quầy để chắc chắn.")
    assert hedge is not None and hedge.sentence_id == "fixed.hedge-end" and hedge.sample_rate == 24000
    pcm = np.frombuffer(hedge.pcm16, dtype=np.int16)
    assert abs(active_level_db(pcm, 24000) - TARGET_DBFS) < 1.0  # levelled (it was recorded at ~-33 dBFS)
    assert len(pcm) / 24000 < 1.2  # 0.2 s of silence at each end trimmed to 60 ms
    answer = TemplateAnswerer().answer("khai tử làm thế nào", BY_ID["khai-tu"], Aspect.GENERAL)
    first = answer.sentences[0]
    assert first.startswith("Đăng ký khai tử: khai tử làm ở")
    joined = rs.clip(first)
    assert joined is not None and joined.sentence_id == "khai-tu.title+khai-tu.summary"
    assert rs.clip("Một câu không ai ghi.") is None
    cov = rs.coverage("vi")
    assert (cov.recorded, cov.stale, cov.orphaned) == (3, 0, 0) and cov.total == len(INV)
    # the clerk edits the summary's say-form: its old recording is stale, never played
    yaml_path = src / "khai-tu.yaml"
    yaml_path.write_text(yaml_path.read_text(encoding="utf-8").replace(
        "trong 15 ngày kể từ ngày mất.", "trong vòng 15 ngày kể từ ngày mất."), encoding="utf-8")
    edited = load_records_dir(src)
    rs2 = RecordingSet.from_members(edited, read_source(src))
    new_summary = next(i for i in inventory(edited, "vi") if i.id == "khai-tu.summary")
    assert rs2.clip(new_summary.text) is None and rs2.clip(_item("khai-tu.summary").text) is None
    assert rs2.status(new_summary) == "stale" and rs2.coverage("vi").stale == 1
    issues = audit(check_members(read_source(src), read_source(src).keys()), read_source(src),
                   {("vi", i.id): sentence_key(i.text) for i in inventory(edited, "vi")})
    assert [i.record_id for i in issues] == ["khai-tu"] and issues[0].message.startswith("[recording-stale]")


def _bundle_members(tmp_path: Path, corrupt: str | None = None) -> dict[str, bytes]:
    from knowledge.bundle.safezip import read_members
    from knowledge.bundle.schema import build_bundle_bytes

    src = _source(tmp_path)
    for sid in ("khai-tu.title", "fixed.hedge-end"):
        add_take(src, sid, _item(sid).text, "vi", tone(), 24000)
    rec = read_source(src)
    if corrupt:
        rec[corrupt] = b"OggS" + bytes(range(256)) * 8  # packed that way by the builder: sha matches
    return read_members(build_bundle_bytes(RECORDS, bundle_id="ward", version="1", recordings=rec))


def test_corrupt_audio_member_is_a_warning_never_played_rest_works(tmp_path: Path) -> None:
    from knowledge.bundle.lint import lint_records
    from knowledge.recordings.bundle import audit_bundle, current_keys

    members = _bundle_members(tmp_path, corrupt="recordings/fixed.hedge-end.ogg")
    bundle = bundle_from_members(members)  # not refused
    assert bundle.recordings is not None and len(bundle.recordings.recordings) == 2
    lint = audit_bundle(lint_records(bundle.records.values()), members, bundle)
    bad = [w for w in lint.warnings if "fixed.hedge-end" in w.message]
    assert len(bad) == 1 and bad[0].message.startswith("[recording-undecodable]")
    assert "cannot be decoded" in bad[0].message and "không phát" in staff_vi(bad[0])
    rs = RecordingSet.from_members(list(bundle.records.values()), members)
    assert rs.clip(_item("fixed.hedge-end").text) is None and "fixed.hedge-end" in rs.broken
    assert rs.clip(_item("khai-tu.title").text) is not None  # the rest still plays
    keys = current_keys(bundle.records.values())
    assert keys[("vi", "khai-tu.title")] == sentence_key(_item("khai-tu.title").text)


def test_tampered_audio_member_refuses_the_bundle(tmp_path: Path) -> None:
    members = _bundle_members(tmp_path)
    members["recordings/khai-tu.title.ogg"] += b"x"
    with pytest.raises(BundleError, match="sha256 does not match"):
        bundle_from_members(members)


def test_recording_limits(tmp_path: Path) -> None:
    members = _bundle_members(tmp_path)
    files = list(members)
    big = dict(members)
    big["recordings/khai-tu.title.ogg"] = b"\0" * (REC_LIMITS.max_file_bytes + 1)
    with pytest.raises(BundleUnsafeError, match="limit"):
        check_members(big, files)
    unlisted = dict(members, **{"recordings/khai-tu.where.ogg": b"OggS"})
    with pytest.raises(BundleError, match="not listed"):
        check_members(unlisted, [*files, "recordings/khai-tu.where.ogg"])
    no_index = {k: v for k, v in members.items() if k != "recordings.yaml"}
    with pytest.raises(BundleError, match=r"without recordings\.yaml"):
        check_members(no_index, [f for f in files if f != "recordings.yaml"])


def test_bundle_zip_with_recordings_roundtrips(tmp_path: Path) -> None:
    from knowledge.bundle.schema import build_bundle_bytes

    src = _source(tmp_path)
    add_take(src, "khai-tu.title", _item("khai-tu.title").text, "vi", tone(), 24000)
    data = build_bundle_bytes(RECORDS, bundle_id="ward", version="1", recordings=read_source(src))
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        names = set(zf.namelist())
    assert {"recordings.yaml", "recordings/khai-tu.title.ogg"} <= names
