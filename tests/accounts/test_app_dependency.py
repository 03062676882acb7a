"""The two apps depend one way: collections_app uses accounts (users, roles, teams), accounts never
imports collections_app. The links the other way are the columns Team.lender and User.agency,
declared by the model's name as Django allows ("collections_app.Lender", "collections_app.Agency",
resolved by the app registry, no import);
accounts' migrations record that column and are left out of the scan."""
import ast
import re
from pathlib import Path

from django.conf import settings

ACCOUNTS = Path(settings.BASE_DIR) / "accounts"
REFERENCE = re.compile(r"collections_app(\.\w+)*")  # a module or a model named in a string
# Team.lender (docs/architecture.md) and User.agency (an agency user's agency, docs/agency.md)
ALLOWED_NAMES = {("models.py", "collections_app.Lender"), ("models.py", "collections_app.Agency")}


def _sources():
    files = sorted(p for p in ACCOUNTS.rglob("*.py") if "migrations" not in p.relative_to(ACCOUNTS).parts)
    assert ACCOUNTS / "roles.py" in files and ACCOUNTS / "models.py" in files
    return [(p, ast.parse(p.read_text(encoding="utf-8"), filename=str(p))) for p in files]


def test_accounts_never_imports_collections_app():
    found = []
    for path, tree in _sources():
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                modules = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                modules = [node.module or ""]
            else:
                continue
            found += [f"{path.name}:{node.lineno} {name}" for name in modules
                      if name == "collections_app" or name.startswith("collections_app.")]
    assert found == []


def test_accounts_names_collections_app_only_for_team_lender_and_user_agency():
    named = {(path.relative_to(ACCOUNTS).as_posix(), node.value)
             for path, tree in _sources() for node in ast.walk(tree)
             if isinstance(node, ast.Constant) and isinstance(node.value, str)
             and REFERENCE.fullmatch(node.value.strip())}
    assert named == ALLOWED_NAMES


def test_the_scan_sees_an_import_inside_a_function_and_a_lazy_reference():
    tree = ast.parse("def f():\n    from collections_app.models import Loan\n    apps.get_model('collections_app.Loan')\n")
    assert [n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)] == ["collections_app.models"]
    assert [n.value for n in ast.walk(tree) if isinstance(n, ast.Constant) and REFERENCE.fullmatch(n.value)] == [
        "collections_app.Loan"]
