from teams import selectors


def navigation(request):
    """The teams a signed-in member belongs to, for the navigation bar."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"nav_teams": list(selectors.teams_of(user).only("id", "slug", "name"))}
