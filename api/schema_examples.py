"""Examples in the OpenAPI document: the reference's own request bodies (api-reference.md) and
its response examples, so the docs show what users asked for. Bodies without an explicit
example here get one generated from their schema by the docs UI."""

REFERENCE_REQUESTS: dict[tuple[str, str], dict] = {
    ("/api/v2/customers", "post"): {
        "account": "Jane Smith",
        "email": "jane@example.com",
        "phone": "1234567890",
        "address": "123 Business St",
        "city": "New York",
        "state": "NY",
        "zip": "10001",
        "country": "US",
    },
    ("/api/v2/invoices", "post"): {
        "customer_id": 1,
        "date": "2024-01-15",
        "due_date": "2024-02-15",
        "items": [{"description": "Web Development", "amount": 1500.00, "qty": 1}],
        "notes": "Payment due within 30 days",
    },
    ("/api/v2/invoices/{id}/payments", "post"): {
        "amount": 1500.00,
        "date": "2024-01-20",
        "account_id": 1,
        "method": "bank_transfer",
        "note": "Paid in full",
    },
    ("/api/v2/transactions", "post"): {
        "type": "Income",
        "account_id": 1,
        "amount": 1500.00,
        "category_id": 1,
        "description": "Website Development Payment",
        "date": "2024-01-15",
    },
    ("/api/v2/products", "post"): {
        "name": "Web Hosting",
        "price": 99.99,
        "description": "Annual web hosting package",
        "type": "service",
        "tax_rate": 10,
    },
    ("/api/v2/quotes", "post"): {
        "customer_id": 1,
        "valid_until": "2024-02-15",
        "items": [{"description": "Consulting Services", "amount": 2000.00, "qty": 1}],
    },
    ("/api/v2/tickets", "post"): {
        "customer_id": 1,
        "subject": "Technical Support Required",
        "message": "Need assistance with installation",
        "department_id": 1,
        "priority": "High",
    },
    ("/api/v2/leads", "post"): {
        "first_name": "John",
        "last_name": "Smith",
        "email": "john@example.com",
        "company": "Acme Corp",
        "phone": "1234567890",
        "source": "Website",
    },
    ("/api/v2/users", "post"): {
        "name": "Admin User",
        "email": "admin@example.com",
        "password": "securepassword",
        "role": "administrator",
    },
    ("/api/v2/webhooks", "post"): {
        "url": "https://your-domain.com/webhook",
        "events": ["invoice.created", "payment.received"],
    },
    ("/api/v2/batch/customers", "post"): {
        "customers": [
            {"account": "Customer 1", "email": "customer1@example.com"},
            {"account": "Customer 2", "email": "customer2@example.com"},
        ]
    },
}

REFERENCE_RESPONSES: dict[tuple[str, str, str], dict] = {
    ("/api/v2/customers", "get", "200"): {
        "success": True,
        "data": [
            {
                "id": 1,
                "account": "John Doe",
                "email": "john@example.com",
                "phone": "1234567890",
                "address": "",
                "city": "",
                "state": "",
                "zip": "",
                "country": "",
                # Not in the reference: added by credit notes (contract section 8).
                "credit_balance": 0.00,
                "created_at": "2024-01-15T10:00:00Z",
                "updated_at": "2024-01-15T10:00:00Z",
            }
        ],
        "meta": {"current_page": 1, "total_pages": 5, "total_records": 100},
    },
    ("/api/v2/reports/financial", "get", "200"): {
        "success": True,
        "data": {
            # Contract section 13 adds the base currency every figure is in.
            "currency": "USD",
            "income": 15000.00,
            "expenses": 5000.00,
            "profit": 10000.00,
            "outstanding_invoices": 3000.00,
        },
    },
}


def add_examples(paths: dict) -> None:
    for (path, method), example in REFERENCE_REQUESTS.items():
        operation = paths.get(path, {}).get(method)
        if operation is None:
            continue
        for content in operation.get("requestBody", {}).get("content", {}).values():
            content["examples"] = {
                "reference": {"summary": "From the API reference", "value": example}
            }
    for (path, method, status), example in REFERENCE_RESPONSES.items():
        response = paths.get(path, {}).get(method, {}).get("responses", {}).get(status, {})
        content = response.get("content", {}).get("application/json")
        if content is not None:
            content["examples"] = {
                "reference": {"summary": "From the API reference", "value": example}
            }
