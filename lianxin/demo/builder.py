"""Demo data: filled in by the demo generator."""

DEMO_PASSWORD = "Lianxin@2026"
DEMO_ACCOUNTS: list[tuple[str, str]] = []


def ensure_demo(stdout=None) -> bool:  # noqa: ANN001
    return False
