"""``/admin/customers``: find customers, see who is locked out, and unlock them (admins).

Searches the customers store by name, account number or phone
(:meth:`voice.customers.service.CustomerService.search`), paged, and shows each customer's
tier, phones, which secrets are set (never a hash or a secret), the account number masked as
on agents' screens (``****4321``) and whether too many failed verifications locked it.
Unlock lifts a lockout the way ``voice customers unlock`` does (an ``unlocked`` attempt
naming the admin) and is audited as ``customer.unlock``. Forms name customers by their
internal id, so full account numbers never appear in the page.
"""

from __future__ import annotations

from urllib.parse import urlencode

from flask import Response, request

from voice.customers.errors import CustomerNotFoundError
from voice.customers.records import CustomerView
from voice.web.access import require_page_role
from voice.web.admin_common import ROLE, actor, bp, done, page, text
from voice.web.api_customers import customer_service
from voice.web.audit_trail import audit

PAGE_SIZE = 25


def _back(query: str, offset: int) -> str:
    params = {key: value for key, value in (("q", query), ("offset", offset)) if value}
    return "/admin/customers" + (f"?{urlencode(params)}" if params else "")


def _show(status: int = 200, problems: list[str] | None = None) -> tuple[str, int]:
    query = (request.args.get("q") or "").strip()[:100]
    offset = max(request.args.get("offset", 0, type=int) or 0, 0)
    customers, total = customer_service().search(query or None, limit=PAGE_SIZE, offset=offset)
    return page("admin_customers.html", status, customers=customers, total=total,
                query=query, offset=offset, page_size=PAGE_SIZE, back=_back,
                problems=problems or [])


@bp.get("/customers")
@require_page_role(ROLE)
def customers_page() -> tuple[str, int]:
    """Customers matching ``?q=`` (name, account number or phone), ``?offset=`` pages."""
    return _show()


@bp.post("/customers/<int:customer_id>/unlock")
@require_page_role(ROLE)
def unlock_customer(customer_id: int) -> Response | tuple[str, int]:
    """Lift a customer's lockout."""
    back = _back(text("q"), int(text("offset") or 0) if text("offset").isdigit() else 0)
    service = customer_service()
    try:
        before = service.by_id(customer_id)
        if not before.locked:
            return done(f"{_name(before)} was not locked.", back)
        after = service.unlock(before.account_number, actor=actor())
    except CustomerNotFoundError:
        return _show(404, [f"customer #{customer_id} does not exist (any more); search "
                           "again"])
    audit("customer.unlock", "customer", str(customer_id), f"Unlocked customer {_name(after)}",
          {"account": after.masked_account, "still_locked": after.locked})
    return done(f"Unlocked {_name(after)}; they can verify again.", back)


def _name(view: CustomerView) -> str:
    return f"{view.first_name} {view.last_name} ({view.masked_account})"
