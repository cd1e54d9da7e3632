"""``make bench-pages`` only (scripts/bench_pages.py): the production settings, plus one trivial
logged-in page that the benchmark measures as its floor (anyang_hte/bench_urls.py). Never deployed."""

from .production import *  # noqa: F403

ROOT_URLCONF = "anyang_hte.bench_urls"
