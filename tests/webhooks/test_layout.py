"""How the webhooks room is put together (issue 12): imports inside the room go one way,
services <- delivery <- tasks (imports inside functions included), and the admin writes
only through core.admin.ServiceAdmin's service hooks."""

import ast
from pathlib import Path

ROOM = Path(__file__).resolve().parents[2] / "webhooks"
# What each module may import from the room; anything not listed is a lower layer.
LAYERS = {"services": 0, "delivery": 1, "tasks": 2}


def _room_imports(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module:
            if node.module == "webhooks":
                found.update(alias.name for alias in node.names)
            elif node.module.startswith("webhooks."):
                found.add(node.module.split(".")[1])
        elif isinstance(node, ast.Import):
            found.update(a.name.split(".")[1] for a in node.names if a.name.startswith("webhooks."))
    return found


def test_services_delivery_and_tasks_import_only_downward():
    upward = sorted(
        f"{name} imports {target}"
        for name, level in LAYERS.items()
        for target in _room_imports(ROOM / f"{name}.py")
        if LAYERS.get(target, -1) >= level and target != name
    )
    assert upward == []


def test_the_admin_writes_only_through_services():
    source = (ROOM / "admin.py").read_text(encoding="utf-8")
    tree = ast.parse(source)
    writes = sorted(
        f"line {node.lineno}: .{node.func.attr}()"
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr
        in {"save", "delete", "create", "update", "bulk_create", "bulk_update", "get_or_create"}
    )
    bases = {
        node.name: [ast.unparse(base) for base in node.bases]
        for node in tree.body
        if isinstance(node, ast.ClassDef) and node.name.endswith("Admin")
    }
    assert writes == []
    assert bases == {
        "EndpointAdmin": ["ServiceAdmin"],
        "DeliveryAdmin": ["ServiceAdmin"],
        "EventAdmin": ["ServiceAdmin"],
    }
