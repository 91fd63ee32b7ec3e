"""Access control: the role matrix every route (and the runtime's routes) enforces.

Roles rank owner > admin > operator > collaborator. A caller's role on a resource is the
highest role granted to them by the resource's accessors (USER: them; TEAM: a team they are in;
ORG: an org they are an active member of). The creator gets an ``owner`` accessor; an org admin
acts as owner on every resource of their org; team members are collaborators on their team.

| action      | what it covers                                                              | minimum role  |
|-------------|-----------------------------------------------------------------------------|---------------|
| `read`      | get, list, flow tree, samples, metrics, logs, audit_log, GET accessors, probe | collaborator  |
| `reference` | use it from another resource (credential of a source/sink, parent nexset, nexset of a sink) | collaborator |
| `operate`   | activate, pause, run now                                                    | operator      |
| `update`    | PUT, copy, docs recommendation                                              | admin         |
| `share`     | PUT/POST/DELETE accessors                                                   | admin         |
| `delete`    | DELETE the resource or its flow                                             | owner         |

Creating a resource needs active membership of the caller's org. Lists only show resources
the caller can read; ``access_role=X`` keeps those where the caller's role is exactly X
(org admins count as owners). A flow's rights are those of its root source, and
``/flows/{id}/accessors`` edits the source's accessors; flow-level activate, pause and run now
check ``operate``, and flow delete ``delete``, on the root source only, not on each node (a detected nexset or another user's
destination need not be shared for the flow's operators to run it). Refusals are 403 with a message naming
the role that was needed; a missing resource is 404.

Besides accessors, some kinds grant roles by what they are; these rights also decide who may
read (``read``) and change (``share``) their ``/accessors``:

| kind            | implicit role                                                          | accessors: read / change |
|-----------------|------------------------------------------------------------------------|--------------------------|
| `teams`         | members are collaborators, team admins are admins                       | members / team admins, org admins |
| `orgs`          | the org's admins are owners; plain members hold no role on the org      | org admins               |
| `users`         | the user is owner of themself; admins of any org the user belongs to are owners | the user, those org admins |
| `notifications` | the notification's `owner_id` is owner                                  | its owner, org admins    |
| `async_tasks`   | the task's `owner_id` (its creator) is owner                           | its owner, org admins    |

Accessors granted on an org, user, notification or task extend only these resource-level rights
(e.g. who may share it); org membership and admin rights stay with ``/orgs/{id}/members``.

Accessor edits may not leave a resource that has an ``owner`` accessor without one (400, "last
owner"). Every resource created through the API gets one; orgs, seeded users and seeded
notifications have none (their owners are implicit), so the rule does not bind until one is
granted. ``DELETE .../accessors`` without a body therefore revokes every accessor *except* owner
accessors: it un-shares the resource and keeps it owned.
"""

from __future__ import annotations

from nexla_sandbox.errors import ApiError, not_found, singular
from nexla_sandbox.state import accessors
from nexla_sandbox.state.flows import resource_of_node, root_of
from nexla_sandbox.state.store import Store

ACTION_ROLE = {
    "read": "collaborator", "reference": "collaborator",
    "operate": "operator", "activate": "operator", "pause": "operator", "run": "operator",
    "update": "admin", "write": "admin", "copy": "admin", "share": "admin", "accessors": "admin",
    "delete": "owner",
}


class Access:
    """Permission checks over the store; ``user`` is the authenticated ``{id, org_id, is_org_admin}``."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def target(self, kind: str, id: int) -> tuple[str, dict]:
        """The (kind, record) whose accessors govern ``kind/id``; 404 when it does not exist."""
        if kind == "flows":
            found = resource_of_node(self.store, id)
            if found is None:
                raise not_found("flows", id)
            root = root_of(self.store, *found)
            if root is None:
                raise not_found("flows", id)
            return "data_sources", root
        record = self.store.get(kind, id)
        if record is None:
            raise not_found(kind, id)
        return kind, record

    def roles(self, user: dict, kind: str, record: dict) -> list[str]:
        """The caller's roles on a record, highest first ([] when none)."""
        if kind == "flows":
            kind, record = self.target(kind, record["flow_node_id"] if "flow_node_id" in record else record["id"])
        return accessors.effective_roles(self.store, user["id"], kind, record)

    def role(self, user: dict, kind: str, record: dict) -> str | None:
        roles = self.roles(user, kind, record)
        return roles[0] if roles else None

    def allowed(self, user: dict, kind: str, record: dict, action: str) -> bool:
        need = ACTION_ROLE[action]
        have = self.role(user, kind, record)
        return have is not None and accessors.ROLE_RANK[have] >= accessors.ROLE_RANK[need]

    def check(self, user: dict, kind: str, record: dict, action: str, shown_kind: str | None = None) -> None:
        """403 unless the caller's role on ``record`` is enough for ``action``."""
        if action not in ACTION_ROLE:
            raise ValueError(f"unknown action {action!r}; use one of {sorted(ACTION_ROLE)}")
        if not self.allowed(user, kind, record, action):
            need = ACTION_ROLE[action]
            have = self.role(user, kind, record)
            shown = shown_kind or kind
            raise ApiError(
                403,
                f"Forbidden: '{action}' on {singular(shown)} {record['id']} needs the {need} role or higher; "
                f"you have {have or 'no role'}",
                resource_type=shown, resource_id=record["id"],
            )

    def require(self, user: dict, kind: str, id: int, action: str) -> dict:
        """The record of ``kind/id`` after checking ``action`` (404 missing, 403 not allowed).

        For ``kind="flows"`` the id is a flow node id and the returned record is the flow's root source.
        """
        governing_kind, record = self.target(kind, int(id))
        self.check(user, governing_kind, record, action, shown_kind=kind)
        return record

    def require_member(self, user: dict, org_id: int | None = None) -> None:
        """403 unless the caller is an active member of the org they create in."""
        if accessors.org_membership(self.store, user["id"], org_id or user["org_id"]) is None:
            raise ApiError(403, "Forbidden: creating resources needs an active membership of the org")
