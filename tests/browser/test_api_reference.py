"""The API's reference page in a real browser: Swagger UI from our own static files draws every operation
of the schema under the portal's Content-Security-Policy (no inline script or style, nothing external),
without a log-in."""

import pytest

from .test_csp import LISTEN

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_reference_lists_the_operations_without_a_csp_violation(page):
    problems, requests = [], []
    page.expose_function("reportCsp", lambda text: problems.append(text))
    page.add_init_script(LISTEN)
    page.on("console", lambda msg: problems.append(msg.text) if "Security Policy" in msg.text else None)

    def failed(response):
        if response.status >= 400 and "favicon" not in response.url:
            problems.append(f"{response.status} {response.url}")

    page.on("response", failed)
    page.on("request", lambda request: requests.append(request.url))
    response = page.goto(page.base_url + "/api/v1/docs/")
    assert response.status == 200
    assert "unsafe-inline" not in response.headers.get("content-security-policy", "")
    page.wait_for_selector(".opblock-summary-path", timeout=15000)
    paths = page.locator(".opblock-summary-path").all_inner_texts()
    assert any("/api/v1/enterprises/" in p for p in paths)
    assert any("/api/v1/certifications/" in p for p in paths)
    assert any("/api/v1/official-lists/" in p for p in paths)
    assert not problems, problems
    assert all(url.startswith(page.base_url) or url.startswith("data:") for url in requests), requests
