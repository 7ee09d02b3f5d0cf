"""Credentials: the Authorization header, and every form of the secrets scrubbed."""

from __future__ import annotations

import base64
import json
import urllib.parse

import pytest
from hypothesis import given
from hypothesis import strategies as st

from influxkit import InfluxDBHTTPError
from influxkit._core.credentials import Credentials, basic_authorization
from influxkit._errors import REDACTED, http_error

PASSWORD = 'p@ss "wörd"/1'
TOKEN = "tok_3nQ+/=="


def test_authorization_header() -> None:
    assert Credentials().authorization is None
    assert Credentials("alice", "pw").authorization == basic_authorization("alice", "pw")
    assert basic_authorization("alice", "pw") == "Basic " + base64.b64encode(
        b"alice:pw").decode()
    # A token wins over a user, as the constructor documents.
    assert Credentials("alice", "pw", TOKEN).authorization == f"Token {TOKEN}"


def test_repr_shows_no_secret() -> None:
    text = repr(Credentials("alice", PASSWORD, TOKEN))
    assert PASSWORD not in text
    assert TOKEN not in text


@pytest.mark.parametrize("echo", [
    PASSWORD,
    urllib.parse.quote(PASSWORD, safe=""),
    urllib.parse.quote_plus(PASSWORD),
    json.dumps(PASSWORD)[1:-1],
    json.dumps(PASSWORD, ensure_ascii=False)[1:-1],
    base64.b64encode(f"alice:{PASSWORD}".encode()).decode(),
    TOKEN,
    urllib.parse.quote(TOKEN, safe=""),
])
def test_every_form_is_scrubbed(echo: str) -> None:
    credentials = Credentials("alice", PASSWORD, TOKEN)
    text = f"proxy said: header {echo!s} refused; {echo}"
    scrubbed = credentials.scrub(text)
    assert echo not in scrubbed
    assert scrubbed == f"proxy said: header {REDACTED} refused; {REDACTED}"


def test_errors_are_scrubbed_in_place() -> None:
    credentials = Credentials("alice", PASSWORD)
    body = json.dumps({"error": f"CREATE USER x WITH PASSWORD '{PASSWORD}'"})
    error = http_error(400, json.loads(body)["error"] + " " + json.dumps(PASSWORD),
                       headers={"X-Influxdb-Error": PASSWORD})
    credentials.scrub_error(error)
    assert isinstance(error, InfluxDBHTTPError)
    for text in (str(error), error.message, *error.headers.values()):
        assert PASSWORD not in text
        assert json.dumps(PASSWORD)[1:-1] not in text


def test_short_secrets_and_words_inside_others_are_left() -> None:
    # A two-letter password would hide every such pair of letters in a message.
    assert Credentials("alice", "pw").scrub("pw is wrong") == "pw is wrong"
    assert Credentials("alice", "secret").scrub("secrets are kept; secret is not") == (
        f"secrets are kept; {REDACTED} is not")


@given(st.text(min_size=3, max_size=30).filter(
    # Not a word of the message around it, which would be scrubbed too, rightly.
    lambda s: s.strip() == s and s.isprintable() and s not in "bad password ()"))
def test_any_password_is_scrubbed_from_a_json_error(password: str) -> None:
    credentials = Credentials("alice", password)
    for echo in (password, json.dumps(password)[1:-1]):
        assert credentials.scrub(f"bad password ({echo})") == f"bad password ({REDACTED})"
