from teams import access, selectors
from teams.models import Person


def navigation(request):
    """The teams a signed-in person belongs to (or coaches), for the navigation bar."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    teams = selectors.teams_of(user).only("id", "slug", "name")
    context = {"nav_teams": list(teams) if access.may_join_teams(user) else []}
    if user.kind == Person.Kind.COACH:
        context["nav_coached"] = list(selectors.coached_teams(user).only("id", "slug", "name"))
    return context
