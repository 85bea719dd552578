"""factory_boy factories for the foundation models. Domain apps keep theirs beside their tests
in `tests/<app>/factories.py`."""

import factory

from customers.models import Customer
from users.models import ApiKey, Role, User
from users.services import api_key_create


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"user{n}@example.com")
    name = factory.Faker("name")
    role = Role.ADMINISTRATOR
    is_staff = True
    is_superuser = factory.LazyAttribute(lambda o: o.role == Role.ADMINISTRATOR)
    password = factory.django.Password("correct-horse-battery-9")


def make_api_key(
    *, user: User | None = None, role: str = Role.ADMINISTRATOR, **kwargs
) -> tuple[ApiKey, str]:
    user = user or UserFactory(role=role)
    return api_key_create(user=user, **kwargs)


class CustomerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Customer

    account = factory.Faker("company")
    email = factory.Sequence(lambda n: f"customer{n}@example.com")
    phone = factory.Sequence(lambda n: f"555-{n:04d}")
    address = factory.Faker("street_address")
    city = factory.Faker("city")
    state = "NY"
    zip = "10001"
    country = "US"
