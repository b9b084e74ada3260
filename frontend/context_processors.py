from teams import selectors
from teams.models import Person


def navigation(request):
    """The teams a signed-in person belongs to (or coaches), for the navigation bar."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    if user.kind in (Person.Kind.INSPECTOR, Person.Kind.PORTAL):
        # Only team members join teams (teams.services refuses anyone else): no query.
        return {"nav_teams": []}
    context = {"nav_teams": list(selectors.teams_of(user).only("id", "slug", "name"))}
    if user.kind == Person.Kind.COACH:
        context["nav_coached"] = list(selectors.coached_teams(user).only("id", "slug", "name"))
    return context
