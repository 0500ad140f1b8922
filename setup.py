"Package set-up for `pip install -e .`: every piece of metadata comes from settings.ini (nbdev 2)."

from configparser import ConfigParser
from pathlib import Path
import setuptools

cfg = ConfigParser(delimiters=['='])
cfg.read(Path(__file__).parent / 'settings.ini', encoding='utf-8')
cfg = cfg['DEFAULT']
licenses = {'apache2': 'Apache-2.0'}  # SPDX expression
statuses = ['1 - Planning', '2 - Pre-Alpha', '3 - Alpha', '4 - Beta', '5 - Production/Stable']
entry_points = [line.strip() for line in cfg.get('console_scripts', '').split() if line.strip()]

setuptools.setup(
    name=cfg['lib_name'].replace('_', '-'),
    version=cfg['version'],
    description=cfg['description'],
    license=licenses[cfg['license']],
    author=cfg['author'],
    author_email=cfg['author_email'],
    url=cfg['git_url'],
    keywords=cfg['keywords'].split(),
    python_requires=f">={cfg['min_python']}",
    classifiers=[
        f"Development Status :: {statuses[int(cfg['status'])]}",
        'Programming Language :: Python :: 3',
        'Intended Audience :: Science/Research',
    ],
    packages=setuptools.find_packages(include=[cfg['lib_path'], f"{cfg['lib_path']}.*"]),
    include_package_data=True,
    install_requires=cfg['requirements'].split(),
    extras_require={'dev': cfg['dev_requirements'].split()},
    long_description=(Path(__file__).parent / 'README.md').read_text(encoding='utf-8')
    if (Path(__file__).parent / 'README.md').exists()
    else '',
    long_description_content_type='text/markdown',
    zip_safe=False,
    entry_points={'console_scripts': entry_points, 'nbdev': [f"{cfg['lib_path']}={cfg['lib_path']}._modidx:d"]},
)
