"""The made-up demo customers, loaded into a test's customers store."""

from __future__ import annotations

from voice.compose import Services
from voice.settings import PROJECT_ROOT

DEMO_CUSTOMERS = PROJECT_ROOT / "config" / "demo_customers.csv"


def import_demo_customers(services: Services) -> None:
    """Load the demo customers as ``voice customers import`` would: Dana Smith (10001234,
    PIN 1234, customer id 1) and Lee Park (20005678, PIN 8642, customer id 2)."""
    assert services.customer_service is not None
    report = services.customer_service.import_file(DEMO_CUSTOMERS)
    assert not report.problems, report.problems
