"""Rendering each template file and assembling the message."""

from __future__ import annotations

from typing import Any

import pytest

from conveyor_core import notifications
from email_notifier.exceptions import BadContext, InvalidRecipient, UnknownTemplate
from email_notifier.message import Renderer, build, check_recipient, message_id

CASES: dict[str, tuple[dict[str, Any], str, list[str]]] = {
    notifications.WELCOME: (
        {"username": "ada"},
        "Welcome to Conveyor, ada",
        ["Hello ada", "http://conveyor.test"],
    ),
    notifications.JOB_FINISHED: (
        {"username": "ada", "job_id": 42, "job_type": "timed", "status": "failed", "error": "boom"},
        "Your timed job #42 failed",
        ["#42", "failed", "boom", "http://conveyor.test/api/jobs/42"],
    ),
    notifications.MESSAGE: (
        {"subject": "Quarterly report", "body": "Line one\nLine two"},
        "Quarterly report",
        ["Line one", "Line two"],
    ),
}


@pytest.fixture
def renderer() -> Renderer:
    return Renderer(app_url="http://conveyor.test/")


@pytest.mark.parametrize("template", sorted(CASES))
def test_each_template_renders_subject_text_and_html(renderer: Renderer, template: str) -> None:
    context, subject, phrases = CASES[template]
    rendered = renderer.render(template, context)
    assert rendered.subject == subject
    for phrase in phrases:
        assert phrase in rendered.text
        assert phrase in rendered.html
    assert rendered.html.lstrip().startswith("<!doctype html>")


def test_job_finished_email_summarises_the_result(renderer: Renderer) -> None:
    context = {"username": "ada", "job_id": "j1", "job_type": "timed", "status": "completed"}
    rendered = renderer.render("job_finished", {**context, "result": {"elapsed_seconds": 1.5}})
    assert "elapsed_seconds: 1.5" in rendered.text
    assert "elapsed_seconds: <code>1.5</code>" in rendered.html


def test_html_part_escapes_context_but_text_part_keeps_it(renderer: Renderer) -> None:
    rendered = renderer.render("message", {"subject": "s", "body": "<b>hi</b> & bye"})
    assert "&lt;b&gt;hi&lt;/b&gt; &amp; bye" in rendered.html
    assert "<b>hi</b> & bye" in rendered.text


def test_subject_is_folded_to_one_line(renderer: Renderer) -> None:
    rendered = renderer.render("message", {"subject": "a\r\nBcc: x@y.z", "body": ""})
    assert rendered.subject == "a Bcc: x@y.z"


@pytest.mark.parametrize("name", ["nope", "../welcome", "Welcome", "", "welcome.subject"])
def test_unknown_template_is_refused(renderer: Renderer, name: str) -> None:
    with pytest.raises(UnknownTemplate):
        renderer.render(name, {})


def test_missing_variable_is_an_error_not_a_blank(renderer: Renderer) -> None:
    with pytest.raises(BadContext):
        renderer.render("welcome", {})


@pytest.mark.parametrize(
    "to",
    [
        "",
        "ada",
        "ada@",
        "@example.test",
        "Ada <ada@example.test>",
        "a@b.test, c@d.test",
        "ada@example.test\r\nBcc: x@y.z",
        "a b@example.test",
        "x" * 320 + "@example.test",
    ],
)
def test_bad_recipient_is_refused(to: str) -> None:
    with pytest.raises(InvalidRecipient):
        check_recipient(to)


def test_message_is_multipart_alternative_with_a_stable_message_id(renderer: Renderer) -> None:
    rendered = renderer.render("welcome", {"username": "ada"})
    msgid = message_id("welcome:7", "conveyor@example.test")
    message = build(rendered, sender="conveyor@example.test", to="ada@example.test", msgid=msgid)
    assert message.get_content_type() == "multipart/alternative"
    kinds = [part.get_content_type() for part in message.iter_parts()]
    assert kinds == ["text/plain", "text/html"]
    assert message["Message-ID"] == msgid == message_id("welcome:7", "conveyor@example.test")
    assert msgid.endswith("@example.test>")
    assert message_id("welcome:8", "conveyor@example.test") != msgid
