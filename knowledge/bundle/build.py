"""Office-PC side: records (YAML folder or the clerk's Excel workbook) → validated, signed ``.wkb`` file.

``collect_records`` reads every record and keeps going after a bad one, so the report lists every
problem at once; ``build_bundle_file`` refuses to write anything while there is an error.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from kiosk_app.core.errors import BundleError
from knowledge.bundle.lint import Issue, LintReport, Severity, lint_records
from knowledge.bundle.schema import (
    BUNDLE_SUFFIX,
    OUT_OF_SCOPE,
    OutOfScope,
    Record,
    build_bundle_bytes,
    parse_record,
    sha256_bytes,
)

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class BuildReport:
    records: tuple[Record, ...]
    lint: LintReport
    schema_errors: tuple[Issue, ...]  # records that could not be read at all
    out: Path | None  # written file (None when refused)
    sha256: str = ""
    size: int = 0
    signed_by: str | None = None
    label: str = ""

    @property
    def errors(self) -> tuple[Issue, ...]:
        return self.schema_errors + self.lint.errors

    @property
    def ok(self) -> bool:
        return not self.errors


def _issue(err: BundleError, record_id: str | None = None) -> Issue:
    return Issue(Severity.ERROR, record_id, str(err), err.reason, err.details)


def collect_records(src: Path) -> tuple[list[Record], list[Issue]]:
    """Read a folder of ``*.yaml`` records or an ``.xlsx`` workbook; bad records become issues."""
    src = Path(src)
    errors: list[BundleError] = []
    issues: list[Issue] = []
    records: list[Record] = []
    if src.is_file() and src.suffix.lower() in (".xlsx", ".xlsm"):
        from knowledge.bundle.excel import read_template

        records = read_template(src, errors)
    elif src.is_dir():
        files = sorted(p for p in src.glob("*.yaml") if p.is_file() and p.name != OUT_OF_SCOPE)
        if not files:
            raise BundleError(f"{src}: no *.yaml records found", "records-dir-empty", dir=str(src))
        for p in files:
            try:
                records.append(parse_record(p.name, p.read_bytes()))
            except BundleError as err:
                issues.append(_issue(err, p.stem))
    else:
        raise BundleError(f"{src}: not a folder of records or an .xlsx workbook",
                          "build-source-kind", name=src.name)
    return records, issues + [_issue(e) for e in errors]


def default_version(now: datetime | None = None) -> str:
    return (now or datetime.now(UTC)).strftime("%Y.%m.%d-%H%M")


def build_bundle_file(records: list[Record], schema_errors: list[Issue], out: Path, *, bundle_id: str,
                      version: str, title: str = "", sample: bool = False,
                      sign_key: Path | None = None, out_of_scope: OutOfScope | None = None,
                      vectors: Callable[[], tuple[str, bytes]] | None = None,
                      recordings: dict[str, bytes] | None = None) -> BuildReport:
    """Lint, then (only if there is no error) write the bundle file atomically, signed if asked.
    ``vectors``: computes the precomputed vectors to ship (``knowledge.understand.store.compute_vectors``);
    ``recordings``: the source folder's recordings (``recordings_bundle.read_source``), checked
    like an import checks them (stale or undecodable ones are warnings)."""
    lint = lint_records(records)
    if recordings:
        from knowledge.recordings.bundle import audit_source

        lint = audit_source(lint, records, recordings)
    report = BuildReport(tuple(records), lint, tuple(schema_errors), None)
    if not report.ok or not records:
        return report
    signer = None
    signed_by = None
    if sign_key is not None:
        from knowledge.bundle.signing import fingerprint, load_private_key, sign

        key = load_private_key(sign_key)
        signed_by = fingerprint(key.public_key())

        def signer(manifest_bytes: bytes) -> bytes:
            return sign(manifest_bytes, key)

    data = build_bundle_bytes(records, bundle_id=bundle_id, version=version, title=title, sample=sample,
                              signer=signer, out_of_scope=out_of_scope,
                              vectors=vectors() if vectors is not None else None, recordings=recordings)
    out = Path(out)
    if out.suffix != BUNDLE_SUFFIX:
        log.warning("bundle file %s does not end in %s; the kiosk only offers *%s files from a stick",
                    out, BUNDLE_SUFFIX, BUNDLE_SUFFIX)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, out)
    log.info("wrote bundle %s@%s (%d records, %d bytes) to %s", bundle_id, version, len(records),
             len(data), out)
    return BuildReport(tuple(records), lint, tuple(schema_errors), out, sha256_bytes(data), len(data),
                       signed_by, f"{bundle_id}@{version}")
