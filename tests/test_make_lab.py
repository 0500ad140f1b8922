"`make lab` serves Jupyter Lab offline on loopback with the project's kernel."

import os, signal, subprocess, time, urllib.request
from conftest import ROOT, free_port


def test_make_lab_serves():
    port, token = free_port(), 'lowrank-test'
    proc = subprocess.Popen(
        ['make', '--no-print-directory', 'lab', f'LAB_PORT={port}', f'LAB_ARGS=--IdentityProvider.token={token}'],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        deadline, page = time.time() + 90, None
        while time.time() < deadline and proc.poll() is None:
            try:
                page = urllib.request.urlopen(f'http://127.0.0.1:{port}/lab?token={token}', timeout=5).read().decode()
                break
            except OSError:
                time.sleep(1)
        log = proc.stdout.read1().decode()[-2000:] if proc.poll() is not None else 'still starting'
        assert page is not None, f'Jupyter Lab did not answer within 90 s: {log}'
        assert 'JupyterLab' in page
        specs = (
            urllib.request.urlopen(f'http://127.0.0.1:{port}/api/kernelspecs?token={token}', timeout=10).read().decode()
        )
        assert '"lowrank_nb"' in specs
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=30)
