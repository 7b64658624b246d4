"""submit (--wait and its exit codes), list, show, cancel, retry, download."""

from __future__ import annotations

import json
import re
import struct
import subprocess
import zlib
from pathlib import Path

import pytest
from conftest import COMMAND_TIMEOUT, CONVEYOR, Cli, read_until

UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
QUICK = '{"duration_seconds": 0.3}'


def test_submit_wait_exits_0_when_the_job_completes(signed_in: Cli) -> None:
    done = signed_in.run("submit", "timed", "--payload", QUICK, "--wait")
    assert done.returncode == 0, done.stderr
    assert "completed" in done.stdout


def test_submit_wait_exits_1_when_the_job_fails(signed_in: Cli) -> None:
    payload = '{"duration_seconds": 0.1, "fail_attempts": 1}'
    done = signed_in.run("submit", "timed", "--payload", payload, "--max-retries", "0", "--wait")
    assert done.returncode == 1, done.stderr
    assert "failed" in done.stdout


def test_submit_wait_exits_3_when_the_job_is_canceled_meanwhile(signed_in: Cli) -> None:
    payload = '{"duration_seconds": 30}'
    with signed_in.start("submit", "timed", "--payload", payload, "--wait", "--quiet") as waiting:
        job_id = read_until(waiting.stdout, "\n").strip()
        canceled = signed_in.run("cancel", job_id)
        assert canceled.returncode == 0, canceled.stderr
        assert waiting.wait(timeout=COMMAND_TIMEOUT) == 3


def test_submit_json_prints_the_apis_job(signed_in: Cli) -> None:
    done = signed_in.run("submit", "timed", "--payload", QUICK, "--priority", "high", "--json")
    assert done.returncode == 0, done.stderr
    job = json.loads(done.stdout)
    assert (job["type"], job["priority"], job["payload"]["duration_seconds"]) == (
        "timed",
        "high",
        0.3,
    )


def test_submit_quiet_prints_the_id_alone(signed_in: Cli) -> None:
    done = signed_in.run("submit", "timed", "--payload", QUICK, "--quiet")
    assert done.returncode == 0, done.stderr
    assert UUID.match(done.stdout.strip())
    assert signed_in.job(done.stdout.strip())["type"] == "timed"


def test_submitted_ids_pipe_into_watch(signed_in: Cli) -> None:
    script = f"{CONVEYOR} submit timed --payload '{QUICK}' --quiet | xargs {CONVEYOR} watch --quiet"
    done = subprocess.run(["bash", "-c", f"set -o pipefail; {script}"], env=signed_in.env(),
                          capture_output=True, text=True, timeout=COMMAND_TIMEOUT)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert signed_in.job(done.stdout.strip())["status"] == "completed"


@pytest.mark.parametrize(
    ("payload", "problem"),
    [
        ('{"duration_seconds": 1', "--payload is not valid JSON"),
        ("duration_seconds=1", "--payload is not valid JSON"),
        ("[1, 2]", "must be a JSON object"),
        ("@/nonexistent/payload.json", "cannot read --payload file /nonexistent/payload.json"),
    ],
)
def test_a_bad_payload_exits_2_naming_the_problem(
    signed_in: Cli, payload: str, problem: str
) -> None:
    done = signed_in.run("submit", "timed", "--payload", payload)
    assert done.returncode == 2
    assert problem in done.stderr
    assert "Traceback" not in done.stderr


def test_a_payload_from_a_file(signed_in: Cli, tmp_path: Path) -> None:
    (tmp_path / "payload.json").write_text('{"duration_seconds": 0.2}')
    done = signed_in.run("submit", "timed", "--payload", f"@{tmp_path / 'payload.json'}", "--json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["payload"]["duration_seconds"] == 0.2


def test_a_payload_the_api_refuses_exits_2_with_its_field_errors(signed_in: Cli) -> None:
    done = signed_in.run("submit", "timed", "--payload", '{"duration_seconds": -1}')
    assert done.returncode == 2
    assert "payload.duration_seconds:" in done.stderr
    assert "The request is not valid." in done.stderr


def test_list_filters_by_status(signed_in: Cli) -> None:
    failing = '{"duration_seconds": 0.1, "fail_attempts": 1}'
    failed = signed_in.run("submit", "timed", "--payload", failing, "--max-retries", "0", "--wait")
    assert failed.returncode == 1, failed.stderr
    completed = signed_in.submit(QUICK, "--wait")
    done = signed_in.run("list", "--status", "completed", "--json")
    assert done.returncode == 0, done.stderr
    page = json.loads(done.stdout)
    assert [job["id"] for job in page["items"]] == [completed]


def test_list_quiet_prints_ids_newest_first(signed_in: Cli) -> None:
    first, second = signed_in.submit(QUICK), signed_in.submit(QUICK)
    done = signed_in.run("list", "--quiet")
    assert done.stdout.split() == [second, first]


def test_list_shows_a_table(signed_in: Cli) -> None:
    job_id = signed_in.submit(QUICK, "--wait")
    done = signed_in.run("list")
    assert re.search(rf"{job_id}\s+timed\s+completed\s+100%", done.stdout), done.stdout


def test_show_of_an_unknown_job_exits_4(signed_in: Cli) -> None:
    done = signed_in.run("show", "00000000-0000-0000-0000-000000000000")
    assert done.returncode == 4
    assert "not found" in done.stderr.lower()


def test_cancel_then_retry(signed_in: Cli) -> None:
    job_id = signed_in.submit(QUICK, "--delay", "600")
    canceled = signed_in.run("cancel", job_id, "--json")
    assert json.loads(canceled.stdout)["status"] == "canceled"
    retried = signed_in.run("retry", job_id, "--json")
    assert retried.returncode == 0, retried.stderr
    assert json.loads(retried.stdout)["status"] in ("queued", "running", "completed")


def test_canceling_a_finished_job_is_refused_with_exit_4(signed_in: Cli) -> None:
    job_id = signed_in.submit(QUICK, "--wait")
    done = signed_in.run("cancel", job_id)
    assert done.returncode == 4
    assert "already finished" in done.stderr


def tiny_png() -> bytes:
    """A 2x2 RGB PNG, made here (the client has no imaging library)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    rows = b"".join(b"\x00" + b"\xff\x00\x00" * 2 for _ in range(2))
    header = struct.pack(">IIBBBBB", 2, 2, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


def test_an_image_file_is_sent_for_the_user_and_its_result_downloaded(
    signed_in: Cli, tmp_path: Path
) -> None:
    (tmp_path / "in.png").write_bytes(tiny_png())
    payload = '{"operations": [{"op": "grayscale"}], "format": "png"}'
    job_id = signed_in.submit(payload, "--wait", "--file", str(tmp_path / "in.png"),
                              job_type="image")  # fmt: skip
    done = signed_in.run("download", job_id, "-o", str(tmp_path / "out.png"))
    assert done.returncode == 0, done.stderr
    output = (tmp_path / "out.png").read_bytes()
    assert output.startswith(b"\x89PNG")
    assert struct.unpack(">II", output[16:24]) == (2, 2)  # our picture's size, from IHDR


def test_download_names_the_file_after_the_artifact(signed_in: Cli, tmp_path: Path) -> None:
    job_id = signed_in.submit('{"dataset": "jobs", "format": "csv"}', "--wait", job_type="export")
    command = [CONVEYOR, "download", job_id, "--quiet"]
    done = subprocess.run(command, cwd=tmp_path, env=signed_in.env(), capture_output=True,
                          text=True, timeout=COMMAND_TIMEOUT)  # fmt: skip
    assert done.returncode == 0, done.stderr
    saved = tmp_path / done.stdout.strip()
    assert saved.parent == tmp_path and saved.read_text().startswith("id,")
