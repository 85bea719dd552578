from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("billing", "0004_lifecycle_data")]

    operations = [
        migrations.AddConstraint(
            model_name="invoice",
            constraint=models.CheckConstraint(
                condition=models.Q(("balance_due__gte", 0)), name="invoice_balance_not_negative"
            ),
        ),
        migrations.AddConstraint(
            model_name="invoice",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("invoice_number__isnull", True),
                    models.Q(("status", "Draft"), _negated=True),
                    _connector="OR",
                ),
                name="invoice_draft_unnumbered",
            ),
        ),
    ]
