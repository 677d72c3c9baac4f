"""The README's step-by-step quick start works when pasted: run as written, only the port made free."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
from pathlib import Path

README = Path(__file__).resolve().parents[2] / "README.md"


def _quick_start_block() -> str:
    section = README.read_text(encoding="utf-8").split("## Quick start", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```sh\n(.*?)```", section, flags=re.DOTALL)
    return next(block for block in blocks if "nps-connector sandbox" in block)


def test_the_quick_start_runs_as_pasted(tmp_path: Path) -> None:
    """Every command of the block exits 0 (bash -e), the report is CSV, no error line, no PORT to edit."""
    block = _quick_start_block()
    assert "PORT" not in block
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = str(sock.getsockname()[1])
    # `make install && . .venv/bin/activate` is what put this interpreter's bin on PATH; it is not rerun.
    script = block.replace("make install && . .venv/bin/activate\n", "").replace("8765", port)
    env = {k: v for k, v in os.environ.items() if not k.startswith("NPS_")}
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    result = subprocess.run(
        ["bash", "-e", "-c", script],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"listening on http://127.0.0.1:{port}" in result.stdout
    assert "setup: 27 properties created" in result.stdout
    assert "company_id,name,nps_company_score" in result.stdout
    assert "error:" not in result.stdout + result.stderr
    assert "Traceback" not in result.stdout + result.stderr
