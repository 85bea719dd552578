"""The rooms' import rules (docs/architecture.md), checked on the source: no cycle between
apps (imports inside functions included), `core` imports no room, and no room but the API's
own HTTP layer (views, serializers, routes, filters) imports the `api` hallway."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SKIP = {"migrations", "tests", "bench", ".venv", "node_modules", "__pycache__", "docs", "templates"}
APPS = sorted(
    p.name for p in ROOT.iterdir() if (p / "__init__.py").is_file() and p.name not in SKIP
)
# A room's HTTP layer sits on the hallway (api.viewsets, api.pagination, ...); nothing else may.
HTTP_LAYER = {
    "views.py",
    "serializers.py",
    "api_urls.py",
    "authentication.py",
    "permissions.py",
}


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module.split(".")[0])
    return found


def _app_files(app: str):
    for path in (ROOT / app).rglob("*.py"):
        if not SKIP.intersection(path.relative_to(ROOT).parts):
            yield path


def _edges() -> dict[str, dict[str, set[str]]]:
    edges: dict[str, dict[str, set[str]]] = {app: {} for app in APPS}
    for app in APPS:
        for path in _app_files(app):
            for target in _imports(path) & set(APPS) - {app}:
                edges[app].setdefault(target, set()).add(str(path.relative_to(ROOT)))
    return edges


def _reaches(edges, start: str, goal: str) -> bool:
    seen, todo = set(), [start]
    while todo:
        node = todo.pop()
        if node == goal:
            return True
        if node not in seen:
            seen.add(node)
            todo.extend(edges[node])
    return False


def test_no_import_cycle_between_apps():
    edges = _edges()
    cycles = sorted(
        f"{a} -> {b} ({', '.join(sorted(files))}) and back"
        for a, targets in edges.items()
        for b, files in targets.items()
        if _reaches(edges, b, a)
    )
    assert cycles == []


def test_core_imports_no_room():
    assert _edges()["core"] == {}


def test_only_the_http_layer_imports_the_api_hallway():
    offenders = sorted(
        f
        for app, targets in _edges().items()
        if app not in {"api", "config"}
        for f in targets.get("api", set())
        if Path(f).name not in HTTP_LAYER
    )
    assert offenders == []


# What an admin module may not call itself: every admin write goes through core.admin.ServiceAdmin
# to a service (issue #12). `create`/`update` count on a manager or queryset (not on a dict).
ALWAYS_WRITES = {
    "save",
    "delete",
    "bulk_create",
    "bulk_update",
    "get_or_create",
    "update_or_create",
}
QUERYSET_WRITES = {"create", "update"}


def _receiver_text(node: ast.AST) -> str:
    return ast.unparse(node).lower()


def test_no_admin_module_writes_to_the_database_itself():
    offenders = []
    for path in sorted(ROOT.glob("*/admin.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
                continue
            name, receiver = node.func.attr, _receiver_text(node.func.value)
            if name in ALWAYS_WRITES or (
                name in QUERYSET_WRITES and ("objects" in receiver or "queryset" in receiver)
            ):
                offenders.append(f"{path.relative_to(ROOT)}:{node.lineno}: {ast.unparse(node)}")
    assert offenders == []


DRF_SERIALIZER_BASES = {"serializers.Serializer", "serializers.ModelSerializer"}


def test_every_serializer_builds_on_the_core_bases():
    # core.serializers caches field templates and reads plain columns directly: a serializer
    # on DRF's own base would quietly take the slow path (docs/performance.md).
    offenders = []
    for app in APPS:
        if app == "core":
            continue
        for path in _app_files(app):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.ClassDef):
                    bases = {ast.unparse(base) for base in node.bases}
                    if bases & DRF_SERIALIZER_BASES:
                        offenders.append(f"{path.relative_to(ROOT)}:{node.lineno}: {node.name}")
    assert offenders == []
