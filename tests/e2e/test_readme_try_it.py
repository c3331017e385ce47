"""The README's "Try it on your own repository", followed against a real server.

The section's commands run in order in a fresh directory (see
``tests/e2e/doc_examples.py``), with no ``ISHCD_URL`` or ``ISHCD_TOKEN``:
everything after ``ishcd login`` finds the server and the token in the file
login saved. The login prompt is answered on stdin, as a person would type.
"""

from __future__ import annotations

import os
from pathlib import Path

from tests.e2e.conftest import LiveServer
from tests.e2e.doc_examples import run_page

README = Path(__file__).parents[2] / "README.md"
HEADING = "## Try it on your own repository"
LOGIN = "ishcd login http://127.0.0.1:8080"
# What the section must keep showing: the path the issue promises.
COVERED = [LOGIN, "ishcd projects create", "--wait", "ishcd pipeline logs", "--failed"]


def section() -> str:
    text = README.read_text()
    start = text.index(HEADING)
    end = text.index("\n## ", start + len(HEADING))
    return text[start:end]


def test_the_section_shows_the_whole_way() -> None:
    text = section()
    missing = [part for part in COVERED if part not in text]
    assert not missing, f"the README's try-it section no longer shows {missing}"
    assert text.count(LOGIN) == 1


def test_a_new_user_follows_it_from_login_to_a_failed_jobs_log(
    live_server: LiveServer, tmp_path: Path
) -> None:
    page = tmp_path / "try-it.md"
    typed = f"printf 'admin\\n%s\\n' \"$PASSWORD\" | {LOGIN}"
    page.write_text("```sh\nPASSWORD=…\n```\n\n" + section().replace(LOGIN, typed))
    home = tmp_path / "home"
    home.mkdir()
    work = tmp_path / "work"
    work.mkdir()
    config = tmp_path / "config" / "ishcd.json"
    env = {
        name: value
        for name, value in live_server.env.items()
        if name not in ("ISHCD_URL", "ISHCD_TOKEN") and not name.startswith("GIT_")
    }
    env.update(
        HOME=str(home),
        ISHCD_CONFIG=str(config),
        GIT_CONFIG_NOSYSTEM="1",
        GIT_AUTHOR_NAME="Dev",
        GIT_AUTHOR_EMAIL="dev@example.com",
        GIT_COMMITTER_NAME="Dev",
        GIT_COMMITTER_EMAIL="dev@example.com",
        PATH=os.environ.get("PATH", ""),
    )
    ran = run_page(
        page,
        live_server.url,
        env,
        {"PASSWORD": live_server.password},
        cwd=work,
        silent_commands=True,
        timeout=90,
    )
    assert ran >= 8
    assert config.stat().st_mode & 0o777 == 0o600
    with live_server.client() as client:
        pipelines = client.get("/v1/projects/demo/pipelines").json()
    assert sorted((p["number"], p["status"]) for p in pipelines) == [(1, "error"), (2, "complete")]
