"""Templates (prompt text), expressions (branch conditions) and ``mask``.

Named ``test_engine_templates`` so its basename stays unique in the test tree.
"""

from __future__ import annotations

import pytest

from voice.ivr import parse_flow
from voice.ivr.templates import Expression, Template, mask

CONTEXT = {
    "call": {"from": "+15551230001", "to": "1000", "channel": "sim"},
    "vars": {"amount": "25", "count": 3, "crm": {"vip": True, "name": "Dana"}, "empty": "",
             "letters": ["a", "b"]},
    "customer": {"first_name": "Dana", "tier": "gold"},
    "auth": {"verified": True, "level": "strong"},
}

RENDER = {
    "plain-text": ("Thanks for calling.", "Thanks for calling."),
    "plain-text-kept-as-is": ("100% sure } {", "100% sure } {"),
    "variable": ("Hello {{ customer.first_name }}.", "Hello Dana."),
    "nested": ("{{ vars.crm.name }} is vip: {{ vars.crm.vip }}", "Dana is vip: True"),
    "filter": ("{{ customer.tier | upper }}", "GOLD"),
    "condition": ("{% if auth.verified %}Verified{% else %}Unverified{% endif %}", "Verified"),
    "loop": ("{% for i in vars.letters %}{{ i }}{% endfor %}", "ab"),
    "arithmetic-on-numbers": ("{{ vars.count * 2 }}", "6"),
    "int-filter-on-digits": ("{{ vars.amount | int + 5 }}", "30"),
    "undefined-is-empty": ("Hi {{ customer.last_name }}!", "Hi !"),
    "undefined-chain-is-empty": ("{{ vars.nope.deeper.still }}", ""),
    "undefined-top-level-is-empty": ("{{ nobody }}", ""),
    "stripped": ("  {{ call.channel }}  \n", "sim"),
    "unsafe-attribute-is-empty": ("{{ ''.__class__.__mro__[1].__subclasses__() }}", ""),
    "unsafe-globals-are-empty": ("{{ lipsum.__globals__ }}", ""),
    "mutation-is-refused": ("{{ vars.update({'amount': '0'}) }}", ""),
    "no-autoescape": ("{{ '<b>&' }}", "<b>&"),
}


@pytest.mark.parametrize(("source", "text"), RENDER.values(), ids=RENDER.keys())
def test_template_render(source, text) -> None:
    assert Template(source).render(CONTEXT) == text
    assert CONTEXT["vars"]["amount"] == "25"


CRASHES = {
    "str-plus-int": "Total {{ vars.amount + 1 }}",
    "division-by-zero": "{{ vars.count / 0 }}",
    "unknown-filter": "{{ customer.first_name | capitalise }}",
}


@pytest.mark.parametrize("source", CRASHES.values(), ids=CRASHES.keys())
def test_template_runtime_failure_renders_empty_text(source) -> None:
    assert Template(source).render(CONTEXT) == ""


def test_template_none_renders_as_empty_text() -> None:
    assert Template("Amount {{ vars.x }}.").render({"vars": {"x": None}}) == "Amount ."


CHECK = {
    "plain": ("Hello.", None),
    "valid": ("Hello {{ customer.first_name }}{% if x %}!{% endif %}", None),
    "percent-and-braces-in-text": ("100% sure }", None),
    "unclosed-print": ("Hello {{ customer.first_name",
                       (1, "template syntax error: unexpected end of template, expected "
                           "'end of print statement'.")),
    "unclosed-block-on-line-2": ("line one\n{% if x %}\nno end",
                                 (2, "template syntax error: Unexpected end of template. Jinja "
                                     "was looking for the following tags: 'elif' or 'else' or "
                                     "'endif'. The innermost block that needs to be closed is "
                                     "'if'.")),
    "bad-token-on-line-3": ("a\nb\n{{ x }\n", (3, "template syntax error: unexpected '}'")),
    "empty-for": ("{% for %}", (1, "template syntax error: Expected an expression, got 'end "
                                   "of statement block'")),
    "unclosed-comment": ("{# note", (1, "template syntax error: Missing end of comment tag")),
}


@pytest.mark.parametrize(("source", "expected"), CHECK.values(), ids=CHECK.keys())
def test_template_check(source, expected) -> None:
    assert Template(source).check() == expected


def test_template_check_reports_an_unknown_filter() -> None:
    assert Template("{{ customer.first_name | capitalise }}").check() is not None


def test_template_equality() -> None:
    assert Template("{{ x }}") == Template("{{ x }}")
    assert Template("{{ x }}") != Template("{{ y }}")
    assert len({Template("a"), Template("a")}) == 1
    assert Template("a") != "a"


def test_flow_reports_a_template_error_at_its_line() -> None:
    text = ("id: t\nname: t\nstart: hello\nnodes:\n  hello:\n    type: say\n"
            "    text: \"Hi {{ customer.first_name\"\n    next: bye\n  bye: {type: hangup}\n")
    _, problems = parse_flow(text, "t.yaml")
    assert [str(p) for p in problems] == [
        "t.yaml:7: node 'hello': field 'text': template syntax error: unexpected end of "
        "template, expected 'end of print statement'."]


def test_flow_reports_a_template_error_in_a_block_at_its_own_line() -> None:
    text = ("id: t\nname: t\nstart: hello\nnodes:\n  hello:\n    type: say\n    text: |\n"
            "      Line one.\n      Line two {{ oops\n    next: bye\n  bye: {type: hangup}\n")
    _, problems = parse_flow(text, "t.yaml")
    assert [p.line for p in problems] == [9]


EVALUATE = {
    "equal": ("customer.tier == 'gold'", True),
    "not-equal": ("customer.tier == 'silver'", False),
    "and": ("customer.tier == 'gold' and auth.verified", True),
    "or": ("customer.tier == 'x' or vars.crm.vip", True),
    "not": ("not auth.verified", False),
    "in": ("auth.level in ['medium', 'strong']", True),
    "comparison": ("vars.count >= 3", True),
    "filter": ("vars.amount | int > 20", True),
    "test": ("vars.count is odd", True),
    "string-method": ("call.from.startswith('+1555')", True),
    "empty-string": ("vars.empty", False),
    "non-empty-list": ("vars.letters", True),
    "undefined": ("vars.nope", False),
    "undefined-chain": ("vars.nope.deeper == 'x'", False),
    "undefined-compared": ("vars.nope > 1", False),
    "not-undefined": ("not vars.nope", True),
    "undefined-top-level": ("nobody", False),
    "type-error": ("vars.amount + 1", False),
    "division-by-zero": ("vars.count / 0", False),
    "unsafe-subclasses": ("''.__class__.__mro__[1].__subclasses__()", False),
    "unsafe-globals": ("lipsum.__globals__['os']", False),
    "unsafe-format": ("'{0.__class__}'.format(vars)", False),
    "mutation": ("vars.update({'count': 0}) or true", False),
    "huge-range": ("range(10**9) | list | length > 0", False),
}


@pytest.mark.parametrize(("source", "value"), EVALUATE.values(), ids=EVALUATE.keys())
def test_expression_evaluate(source, value) -> None:
    expr = Expression(source)
    assert expr.check() is None
    assert expr.evaluate(CONTEXT) is value
    assert CONTEXT["vars"]["count"] == 3


@pytest.mark.parametrize(("source", "message"), [
    ("customer.tier == = 'gold'", "expression syntax error: unexpected '='"),
    ("a b", "expression syntax error: unexpected 'b'"),
    ("x }}", "expression syntax error: unexpected '}}'"),
    ("(a", "expression syntax error: unexpected end of template, expected ')'."),
    ("", "expression syntax error: unexpected 'end of template'"),
], ids=["double-equals", "two-names", "closing-braces", "unclosed-paren", "empty"])
def test_expression_check(source, message) -> None:
    assert Expression(source).check() == message


def test_expression_with_unknown_filter_is_false() -> None:
    expr = Expression("customer.tier | capitalise == 'Gold'")
    assert expr.check() is not None or expr.evaluate(CONTEXT) is False


@pytest.mark.parametrize(("value", "masked"), [
    ("4111111111111111", "****1111"),
    ("378282246310005", "****0005"),
    ("12345678", "****5678"),
    ("1234567", "****"),
    ("1234", "****"),
    ("", "****"),
    (12345678, "****5678"),
], ids=["visa", "amex", "eight", "seven", "four", "empty", "int"])
def test_mask(value, masked) -> None:
    assert mask(value) == masked
