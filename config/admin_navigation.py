"""The admin sidebar (django-unfold's SIDEBAR navigation), built per request.

Grouped by room, in the order a clerk works through the day, and built from the admin's own
app list, which already holds only the models the user's role may view (users/roles.py): a
viewer sees no "add" screens, staff never see the administrator-only rooms. A model
registered later appears in its room's group without an edit here.
"""

from django.contrib import admin
from django.urls import reverse

# Rooms first in this order; any other app follows, alphabetically (as the admin lists them).
ROOM_ORDER = [
    "billing",
    "customers",
    "ledger",
    "support",
    "reporting",
    "mail",
    "users",
    "webhooks",
    "audit",
    "axes",
    "auth",
]

# Material Symbols names (bundled with unfold, no CDN); a model not named here gets a dot.
ICONS = {
    "invoice": "receipt_long",
    "quote": "request_quote",
    "payment": "payments",
    "product": "inventory_2",
    "customer": "groups",
    "lead": "person_add",
    "account": "account_balance",
    "category": "category",
    "transaction": "swap_horiz",
    "ticket": "support_agent",
    "department": "domain",
    "rollupmonth": "calendar_month",
    "emailmessage": "mail",
    "user": "person",
    "apikey": "key",
    "webhookendpoint": "webhook",
    "event": "bolt",
    "delivery": "outbox",
    "auditentry": "history",
    "group": "group_work",
}


def sidebar(request) -> list[dict]:
    apps = {app["app_label"]: app for app in admin.site.get_app_list(request)}
    ordered = [label for label in ROOM_ORDER if label in apps]
    ordered += [label for label in apps if label not in ordered]
    groups: list[dict] = [
        {
            "items": [
                {"title": "Dashboard", "icon": "dashboard", "link": reverse("admin:index")},
            ]
        }
    ]
    for label in ordered:
        app = apps[label]
        groups.append(
            {
                "title": app["name"],
                "collapsible": label not in ROOM_ORDER[:4],
                "items": [
                    {
                        "title": model["name"],
                        "icon": ICONS.get(model["object_name"].lower(), "circle"),
                        "link": model["admin_url"],
                    }
                    for model in app["models"]
                    if model.get("admin_url")
                ],
            }
        )
    return groups
