"""The offline docs site, built from nbs/ and opened in headless Chromium: every page loads with its title,
every local link resolves, every image has a non-zero natural width, maths renders, nothing leaves the machine."""

import functools, http.server, re, subprocess, threading
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import pytest
from conftest import BIN, CHROMIUM_ARGS, free_port, need_chromium
from lowrank_nb.docsite import build_site


@pytest.fixture(scope='module')
def site(tmp_path_factory):
    "The site built into a temporary folder and served on loopback."
    dest = tmp_path_factory.mktemp('docs') / '_docs'
    pages = build_site(dest)

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

    handler = functools.partial(Quiet, directory=str(dest))
    srv = http.server.ThreadingHTTPServer(('127.0.0.1', free_port()), handler)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    yield dest, [p.relative_to(dest).as_posix() for p in pages], f'http://127.0.0.1:{srv.server_port}/'
    srv.shutdown()


def test_expected_pages(site):
    _, pages, _ = site
    assert {
        'index.html',
        'results.html',
        'core.html',
        'pretrained.html',
        'spectra.html',
        'docsite.html',
        'experiments/minilm_spectra.html',
    } <= set(pages)


def test_pages_in_browser(site):
    from playwright.sync_api import sync_playwright

    dest, pages, base = site
    host = urlsplit(base).netloc
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=need_chromium(), args=CHROMIUM_ARGS)
        page = browser.new_page()
        outside, failed, missing = [], [], []
        page.on(
            'request',
            lambda r: (
                outside.append(r.url)
                if urlsplit(r.url).scheme in ('http', 'https') and urlsplit(r.url).netloc != host
                else None
            ),
        )
        page.on(
            'requestfailed',
            lambda r: (
                failed.append((r.url, r.failure))
                if 'ERR_ABORTED' not in (r.failure or '') and not r.url.startswith('about:')
                else None
            ),
        )
        page.on('response', lambda r: missing.append((r.url, r.status)) if r.status >= 400 else None)
        links = set()
        for name in pages:
            resp = page.goto(base + name, wait_until='networkidle')  # MathJax fetches its fonts after 'load'
            assert resp.status == 200, name
            title = page.title()
            assert title and title != 'Notebook', f'{name}: no title'
            assert page.locator('nav.lr-nav a').count() == len(pages), f'{name}: navigation lists every page'
            page.wait_for_function('() => Array.from(document.images).every(i => i.complete)')
            widths = page.eval_on_selector_all('img', 'imgs => imgs.map(i => [i.src.slice(0, 60), i.naturalWidth])')
            assert all(w > 0 for _, w in widths), f'{name}: broken images {[s for s, w in widths if not w]}'
            for href in page.eval_on_selector_all('a[href]', 'as => as.map(a => a.getAttribute("href"))'):
                url = urljoin(base + name, href)
                if urlsplit(url).netloc == host:
                    links.add(url.split('#')[0])
        for url in sorted(links):
            assert page.request.get(url).status == 200, f'broken local link {url}'
        # maths is typeset by the site's own MathJax copy
        page.goto(base + 'spectra.html', wait_until='load')
        page.wait_for_function('() => window.MathJax && window.MathJax.isReady', timeout=30_000)
        page.wait_for_function(
            '() => document.querySelectorAll(".MathJax, .MathJax_Display, .MathJax_CHTML").length > 0', timeout=30_000
        )
        browser.close()
    assert not outside, f'pages load resources from outside the site: {sorted(set(outside))[:5]}'
    assert not failed, f'requests failed: {failed[:5]}'
    # MathJax 2 probes for its TeX web fonts before using STIX-Web, the only fonts the jupyter-server-mathjax wheel
    # ships; that probe's 404 is expected (the maths is typeset, checked above). Any other missing file fails.
    missing = [(u, s) for u, s in missing if '/mathjax/fonts/HTML-CSS/TeX/' not in u]
    assert not missing, f'pages ask for files the site does not have: {missing[:5]}'
    assert len(links) >= len(pages)
    assert 'results.html' in {urlsplit(u).path.rsplit('/', 1)[-1] for u in links}, 'the results page is linked'
    assert any(p.endswith('.png') for p in (str(f) for f in dest.rglob('*.png'))), 'README figure copied into the site'


def test_results_page(site, root):
    "The results page holds every experiment's summary: its table and its figure, each copied into the site."
    dest, pages, _ = site
    html = (dest / 'results.html').read_text()
    md = {p.parent.name: p.read_text() for p in (root / 'figures').glob('*/summary.md')}
    assert md and all(f'figures/{n}/' in html for n in md), 'a section per summary.md'
    assert html.count('<table') >= sum('|---' in t for t in md.values()), 'every table'
    images = re.findall(r'<img\b[^>]*\bsrc="([^"]+)"', html)
    assert len(images) >= sum('![' in t for t in md.values()), 'every figure'
    assert all((dest / src).is_file() for src in images), 'every figure is copied into the site'
    nav = html.split('</nav>')[0]
    assert '<h3>Results</h3>' in nav and 'class="active">Results<' in nav


def test_readme_matches_index(root):
    from lowrank_nb.docsite import write_readme

    write_readme(root, check=True)


def test_cli_help():
    out = subprocess.run([BIN / 'lowrank_docs', '--help'], capture_output=True, text=True, check=True).stdout
    assert '--readme_only' in out and '--check_readme' in out and 'offline docs site' in out


def test_quarto_config_is_valid(root):
    "Users with Quarto run `nbdev_docs` on nbs/_quarto.yml: it must parse and name files that exist."
    import yaml

    cfg = yaml.safe_load((root / 'nbs' / '_quarto.yml').read_text())
    assert cfg['project']['type'] == 'website'
    assert (root / 'nbs' / cfg['format']['html']['css']).is_file()
