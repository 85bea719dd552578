"""Message bodies from templates: `templates/emails/<template>.txt` (required) and `.html`
(optional), each extending the base layout with the company's header and signature."""

from django.conf import settings
from django.template import TemplateDoesNotExist
from django.template.loader import render_to_string


def company_context() -> dict[str, str]:
    return {
        "name": settings.COMPANY_NAME,
        "address": settings.COMPANY_ADDRESS,
        "email": settings.COMPANY_EMAIL,
        "phone": settings.COMPANY_PHONE,
        "website": settings.COMPANY_WEBSITE,
    }


def email_render(*, template: str, context: dict, subject: str) -> tuple[str, str]:
    """Returns (text, html); html is "" when the template has no HTML version. An unknown
    template raises TemplateDoesNotExist: a programming error, not bad input."""
    full = {**context, "company": company_context(), "subject": subject}
    text = render_to_string(f"emails/{template}.txt", full)
    try:
        html = render_to_string(f"emails/{template}.html", full)
    except TemplateDoesNotExist:
        html = ""
    return text.strip() + "\n", html
