"""The shape of a verified token's claims, checked as a whole before any handler runs.

A signature says who minted a token, not that what it says makes sense: a validly signed token
with org "" or null once saw every school's data, an org given as a list crashed the handler, and a
school role carrying a county code acted on every school of the county. So every caller must be:
a non-empty user id, a role, and an org unit of the level that role acts at —

    school_registrar, school_leader   a school of the org-unit tree
    department_registrar, user_admin  an education department (division) of the tree
    system                            the tree's root (the ministry, 000000) or a province: a service identity
                                      of the nation or of one province's deployment (docs/ACCOUNTS.md)

The coarse form check (a school code or a division code) is auth.role_fits_unit, applied at
verification; this one places the unit in the tree.

Anything else is UNAUTHENTICATED (the interceptor answers it), so no handler ever reads an empty
or oddly shaped org.
"""

from __future__ import annotations

from xueji_common.auth import Principal, Role
from xueji_common.orgunits import OrgLevel, OrgTree

MAX_USER_ID = 200


def claims_problem(principal: Principal, tree: OrgTree) -> str | None:
    """Why the caller's claims cannot be acted on (English, for the log and the message), or None."""
    user, role, org = principal.user_id, principal.role, principal.org_unit
    if not isinstance(user, str) or not user.strip() or len(user) > MAX_USER_ID:
        return "subject must be a non-empty string"
    if not isinstance(role, Role):
        return "unknown role"
    if not isinstance(org, str) or not org:
        return "org must be a non-empty string"
    if org not in tree:
        return "org is not a unit of the org-unit tree"
    level = tree.get(org).level
    if role.at_school and level is not OrgLevel.SCHOOL:
        return f"role {role.value} needs a school's code as org"
    if not role.at_school and level is OrgLevel.SCHOOL:
        return f"role {role.value} needs an education department's division code as org"
    if role is Role.SYSTEM and level not in (OrgLevel.MINISTRY, OrgLevel.PROVINCE):
        return f"role {role.value} is a service identity: org must be the root {tree.root.code} or a province"
    return None
