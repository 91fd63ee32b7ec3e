"""describe_connector.py as a subprocess: offline, JSON and text, usage errors."""

from __future__ import annotations

import json
import os

from tests.helpers.scripts import run_script


def _env() -> dict[str, str]:
    # No API settings at all: describing a connector never needs them.
    return {k: v for k, v in os.environ.items() if not k.startswith("NEXLA_")}


def test_describes_s3_as_json_without_configuration() -> None:
    done = run_script("describe_connector", "s3", "--json", env=_env())
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)["result"]
    assert {f["name"]: f["secret"] for f in result["credential_fields"]}["secret_access_key"] is True


def test_text_listing_and_unknown_code() -> None:
    listed = run_script("describe_connector", "--category", "database", env=_env())
    assert listed.returncode == 0 and listed.stdout.startswith("database: ") and "postgres" in listed.stdout
    bad = run_script("describe_connector", "postgress", env=_env())
    assert bad.returncode == 2 and "Did you mean postgres" in bad.stderr
