import secrets

from django.core.management.base import BaseCommand

from users.models import Role, User
from users.services import user_create, user_update


class Command(BaseCommand):
    help = (
        "Make sure an administrator EMAIL can log into the admin; sets and prints a new password."
    )

    def add_arguments(self, parser):
        parser.add_argument("--email", default="admin@example.com")
        parser.add_argument("--password", default="", help="default: a new random password")

    def handle(self, *args, email, password, **options):
        password = password or secrets.token_urlsafe(12)
        user = User.objects.filter(email__iexact=email).first()
        if user is None:
            user = user_create(
                email=email, name="Administrator", role=Role.ADMINISTRATOR, password=password
            )
        else:
            user = user_update(
                user=user, role=Role.ADMINISTRATOR, is_active=True, password=password
            )
        self.stdout.write(f"Admin login: {user.email} / {password}")
