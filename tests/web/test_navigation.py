"""The header menu and the landing page show each role the pages it may open, and a visitor
the way to sign in; supervisors land on the wallboard after signing in."""

from __future__ import annotations

import re

from flask import Flask
from staff_login import PASSWORD, sign_in

from voice.compose import Services


def menu(html: str) -> list[str]:
    """The labels of the header menu of a page."""
    nav = re.search(r'<nav aria-label="Pages"[^>]*>(.*?)</nav>', html, re.S)
    return re.findall(r">([^<>]+)</a>", nav.group(1)) if nav else []


def test_each_role_sees_its_own_pages(services: Services, app: Flask) -> None:
    assert services.user_service is not None and services.acd is not None
    services.user_service.add("sue", "supervisor", PASSWORD)
    services.acd.agents.add("ann", PASSWORD, queues=["support"])

    visitor = app.test_client()
    landing = visitor.get("/").text
    assert 'href="/login"' in landing and menu(landing) == []

    agent = app.test_client()
    sign_in(agent, "ann")
    assert menu(agent.get("/agent").text) == ["Agent desktop"]
    assert "Wallboard" not in agent.get("/").text

    supervisor = app.test_client()
    answer = sign_in(supervisor, "sue")
    assert answer.status_code == 303 and answer.headers["Location"].endswith("/supervisor")
    links = menu(supervisor.get("/supervisor").text)
    assert "Wallboard" in links and "Agent desktop" not in links and "Flows" not in links
    assert 'aria-current="page">Wallboard<' in supervisor.get("/supervisor").text
    reports = supervisor.get("/supervisor/reports").text
    assert reports.count('aria-current="page"') == 1
    assert 'aria-current="page">Reports<' in reports
