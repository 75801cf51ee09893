from socialdesk.bootstrap import App
from socialdesk.services.workspaces import get_or_create_workspace


def test_workspace_is_created_once(app: App) -> None:
    with app.db.session() as session:
        first = get_or_create_workspace(session).id
    with app.db.session() as session:
        assert get_or_create_workspace(session).id == first
