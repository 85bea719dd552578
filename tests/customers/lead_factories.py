import factory

from customers.models import Lead, LeadStatus


class LeadFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Lead

    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    email = factory.Sequence(lambda n: f"lead{n}@example.com")
    company = factory.Sequence(lambda n: f"Prospect {n} Ltd")
    phone = factory.Sequence(lambda n: f"555-9{n:03d}")
    source = "Website"
    status = LeadStatus.NEW
