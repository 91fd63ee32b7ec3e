"""A password inside a URL (scheme://user:PASSWORD@host) never shows, wherever the client prints or records it."""

import json
import logging

import pytest

from nexla_ops.audit import AuditLog
from nexla_ops.client import NexlaClient
from nexla_ops.errors import NexlaError
from nexla_ops.redaction import REDACTED, SecretScrubbingFilter, redact, scrub_text

PASSWORD = "URLPASS-s3cr3t-77"


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        (f"postgres://user:{PASSWORD}@host:5432/db", f"postgres://user:{REDACTED}@host:5432/db"),
        (f"mysql+pymysql://bob:{PASSWORD}@db.example.com/x?ssl=1", f"mysql+pymysql://bob:{REDACTED}@db.example.com/x?ssl=1"),
        (f"jdbc:postgresql://u:{PASSWORD}@h/db", f"jdbc:postgresql://u:{REDACTED}@h/db"),
        (f"redis://:{PASSWORD}@cache:6379", f"redis://:{REDACTED}@cache:6379"),
        ("mongodb+srv://admin:p@ss:w@rd@cluster0.example.net/?retry=true",
         f"mongodb+srv://admin:{REDACTED}@cluster0.example.net/?retry=true"),
        (f"failed: sftp://ops:{PASSWORD}@files.example.com/in, then https://a:{PASSWORD}@b/",
         f"failed: sftp://ops:{REDACTED}@files.example.com/in, then https://a:{REDACTED}@b/"),
    ],
)
def test_url_passwords_are_scrubbed_and_the_rest_kept(text, shown):
    assert scrub_text(text) == shown


@pytest.mark.parametrize("text", ["http://host:8080/path", "https://example.com/a:b@c", "user:pass@host", "x@y.z"])
def test_urls_without_a_password_are_untouched(text):
    assert scrub_text(text) == text


def test_redact_and_audit_lines_hide_url_passwords(tmp_path):
    record = {"name": "pg", "config": {"url": f"postgres://reader:{PASSWORD}@db/app", "table": "orders"}}
    assert PASSWORD not in json.dumps(redact(record))
    log = AuditLog(tmp_path / "audit.jsonl")
    log.record(operation="deploy_flow", outcome="ok", note=f"connected to postgres://reader:{PASSWORD}@db/app")
    assert PASSWORD not in (tmp_path / "audit.jsonl").read_text()


def test_log_records_hide_url_passwords(caplog):
    logger = logging.getLogger("test.url_passwords")
    handler = logging.Handler()
    seen: list[str] = []
    handler.emit = lambda record: seen.append(record.getMessage())  # type: ignore[method-assign]
    handler.addFilter(SecretScrubbingFilter())
    logger.addHandler(handler)
    try:
        logger.warning("cannot reach %s", f"postgres://reader:{PASSWORD}@db/app")
    finally:
        logger.removeHandler(handler)
    assert seen and PASSWORD not in seen[0] and REDACTED in seen[0]


def test_a_url_password_sent_to_the_api_never_comes_back_out(sandbox, controls, make_settings, audit_path, caplog):
    caplog.set_level(logging.DEBUG)
    url = f"postgres://reader:{PASSWORD}@db.internal:5432/app"
    shown: list[str] = []
    with NexlaClient(make_settings()) as client:
        source = client.post("/data_sources", json={"name": "pg-orders", "source_type": "postgres",
                                                     "source_config": {"url": url, "table": "orders"}})
        shown.append(json.dumps(redact(client.get(f"/data_sources/{source['id']}"))))
        # A server that echoes the password without its URL around it, in a message and a body.
        controls.fault(method="PUT", path=r"^/data_sources/\d+$", status=503, count=3, retry_after="0",
                       body={"message": f"upstream rejected password {PASSWORD}", "detail": url})
        with pytest.raises(NexlaError) as info:
            client.put(f"/data_sources/{source['id']}", json={"source_config": {"url": url}})
        error = info.value
        shown += [str(error), repr(error), json.dumps(error.to_dict(), default=str)]
        client.audit("update_source", "data_sources", source["id"], "failed", url=url)
    shown += [caplog.text, audit_path.read_text()]
    for text in shown:
        assert PASSWORD not in text
    assert "reader" in audit_path.read_text() or "reader" in shown[0], "only the password is hidden"
