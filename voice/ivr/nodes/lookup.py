"""``lookup``: an HTTP request to a CRM or other system; the answer is saved as a variable.

The engine only emits a ``Lookup`` action; the adapter's lookup service performs it and
answers with ``LookupCompleted``. This is the one place templates see sensitive variables
unmasked, because the receiving system (a payment processor, say) is what needs them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from voice.ivr import actions as act
from voice.ivr.events import Event, LookupCompleted
from voice.ivr.model import NodeReader
from voice.ivr.nodes.base import Node, register
from voice.ivr.templates import Template
from voice.ivr.turn import Turn


@register("lookup")
@dataclass(frozen=True, kw_only=True)
class LookupNode(Node):
    """``url``, ``method``, ``headers``, ``body``, ``timeout``, ``save_as``, ``next``,
    ``on_error`` (defaults to ``next``)."""

    url: Template
    method: str
    headers: tuple[tuple[str, Template], ...]
    body: tuple[tuple[str, Any], ...] | None
    timeout: int
    save_as: str
    next: str
    on_error: str | None

    @classmethod
    def parse(cls, r: NodeReader) -> LookupNode:
        url = r.text("url", required=True, what="the URL to call is required")
        if url is not None and not url.source.lstrip().startswith(("http://", "https://",
                                                                   "{{")):
            r.problem("url", "must start with http:// or https://")
        method = r.str("method", default="GET", choices=("GET", "POST"))
        save_as = r.str("save_as", required=True, what="the variable to save the answer in")
        if save_as is not None and not save_as.isidentifier():
            r.problem("save_as", f"'{save_as}' is not a valid variable name")
        node = cls(
            id=r.node_id, line=r.raw.line, url=url or Template(""), method=method or "GET",
            headers=_templated(r, "headers", text_only=True) or (),
            body=_templated(r, "body", text_only=False),
            timeout=r.int("timeout", default=5, minimum=1, maximum=60),
            save_as=save_as or "", next=r.target("next") or "",
            on_error=r.target("on_error", label="error", required=False),
        )
        if node.body is not None and node.method == "GET":
            r.problem("body", "a GET lookup cannot send a body (use method: POST)")
        r.check_fields()
        return node

    def enter(self, t: Turn) -> None:
        request = t.request_id("lookup")
        context = t.context(with_secrets=True)
        t.emit(act.Lookup(
            request=request, method=self.method, url=self.url.render(context),
            headers={k: v.render(context) for k, v in self.headers},
            body=None if self.body is None else {
                k: v.render(context) if isinstance(v, Template) else v for k, v in self.body
            },
            timeout=float(self.timeout),
        ))
        t.wait("lookup", request)

    def on_event(self, t: Turn, event: Event) -> None:
        assert isinstance(event, LookupCompleted)
        if event.ok:
            t.set_var(self.save_as, event.data)
            t.finish("ok", detail={"status": event.status})
            t.goto(self.next)
        else:
            t.set_var(self.save_as, None)
            t.finish("error", detail={"status": event.status, "error": event.error})
            t.goto(self.on_error or self.next)


def _templated(r: NodeReader, name: str, *, text_only: bool) -> tuple | None:
    raw = r.mapping(name)
    if raw is None:
        return None
    out = []
    for key, value in raw.items():
        if isinstance(value, str):
            value = r.template(value, name, raw.line_of(key))
        elif text_only or isinstance(value, dict | list):
            r.problem(name, f"'{key}' must be text", raw.line_of(key))
            continue
        out.append((key, value))
    return tuple(out)
