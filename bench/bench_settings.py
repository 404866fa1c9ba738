"""Settings for bench/cases_submit.py only: lianxin's settings with a URLconf that adds one
bare-insert view (bench_urls.py). Never used by the package or the tests."""

from lianxin.settings import *  # noqa: F403

ROOT_URLCONF = "bench_urls"
